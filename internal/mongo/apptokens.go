package mongo

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/latchkey/latchkey/apptokens"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/page"
)

func (s appTokenStore) coll(tenantID string) *mongo.Collection {
	return s.db.tenant(tenantID).Collection(collAppTokens)
}

// Insert implements apptokens.Store.
func (s appTokenStore) Insert(ctx context.Context, tenantID string, t *apptokens.Token) error {
	_, err := s.coll(tenantID).InsertOne(ctx, t)
	return translate(err, nil)
}

// FindByID implements apptokens.Store.
func (s appTokenStore) FindByID(ctx context.Context, tenantID string, id ids.ID) (*apptokens.Token, error) {
	var t apptokens.Token
	if err := s.coll(tenantID).FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&t); err != nil {
		return nil, translate(err, apptokens.ErrNotFound)
	}
	return &t, nil
}

// Find implements apptokens.Store.
func (s appTokenStore) Find(ctx context.Context, tenantID string, pg page.Page) ([]apptokens.Token, string, error) {
	after, err := idCursor(pg.Cursor)
	if err != nil {
		return nil, "", err
	}
	return findPage(ctx, s.coll(tenantID), bson.D{}, pg.Limit, keyset[apptokens.Token]{
		Key: "_id", Desc: true, After: after, KeyOf: func(t *apptokens.Token) string { return t.ID.Hex() }})
}

// LiveExcept implements apptokens.Store.
func (s appTokenStore) LiveExcept(ctx context.Context, tenantID string, except ids.ID, now time.Time) (bool, error) {
	err := s.coll(tenantID).FindOne(ctx, bson.D{
		{Key: "expires", Value: bson.D{{Key: "$gt", Value: now}}},
		{Key: "_id", Value: bson.D{{Key: "$ne", Value: except}}},
	}, options.FindOne().SetProjection(bson.D{{Key: "_id", Value: 1}})).Err()
	return found(err)
}

// SetExpires implements apptokens.Store.
func (s appTokenStore) SetExpires(ctx context.Context, tenantID string, id ids.ID, expires time.Time) error {
	res, err := s.coll(tenantID).UpdateOne(ctx, bson.D{{Key: "_id", Value: id}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "expires", Value: expires}}}})
	if err != nil {
		return translate(err, nil)
	}
	return affected(res.MatchedCount, nil, apptokens.ErrNotFound)
}

// Delete implements apptokens.Store.
func (s appTokenStore) Delete(ctx context.Context, tenantID string, id ids.ID) error {
	res, err := s.coll(tenantID).DeleteOne(ctx, bson.D{{Key: "_id", Value: id}})
	if err != nil {
		return translate(err, nil)
	}
	return affected(res.DeletedCount, nil, apptokens.ErrNotFound)
}

// PurgeExpired implements apptokens.Store.
func (s appTokenStore) PurgeExpired(ctx context.Context, tenantID string, cutoff time.Time) (int64, error) {
	res, err := s.coll(tenantID).DeleteMany(ctx, bson.D{{Key: "expires", Value: bson.D{{Key: "$lt", Value: cutoff}}}})
	if err != nil {
		return 0, translate(err, nil)
	}
	return res.DeletedCount, nil
}
