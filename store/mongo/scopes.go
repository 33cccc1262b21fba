package mongo

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/latchkey/latchkey/internal/page"
	"github.com/latchkey/latchkey/scopes"
)

// scopeStore is the scope catalog's store: the control collection
// "scopes", one document per name (its _id).
type scopeStore struct{ db *DB }

func (s scopeStore) coll() *mongo.Collection { return s.db.controlDB().Collection(scopes.Collection) }

// Put implements scopes.Store: an upsert by name, created set once.
func (s scopeStore) Put(ctx context.Context, sc *scopes.Scope) error {
	_, err := s.coll().UpdateOne(ctx, bson.D{{Key: "_id", Value: sc.Name}}, bson.D{
		{Key: "$set", Value: bson.D{{Key: "description", Value: sc.Description}, {Key: "updated", Value: sc.Updated}}},
		{Key: "$setOnInsert", Value: bson.D{{Key: "created", Value: sc.Created}}},
	}, options.UpdateOne().SetUpsert(true))
	return translate(err, nil)
}

// FindByName implements scopes.Store.
func (s scopeStore) FindByName(ctx context.Context, name string) (*scopes.Scope, error) {
	var sc scopes.Scope
	if err := s.coll().FindOne(ctx, bson.D{{Key: "_id", Value: name}}).Decode(&sc); err != nil {
		return nil, translate(err, scopes.ErrNotFound)
	}
	return &sc, nil
}

// Find implements scopes.Store.
func (s scopeStore) Find(ctx context.Context, pg page.Page) ([]scopes.Scope, string, error) {
	var after any
	if pg.Cursor != "" {
		after = pg.Cursor
	}
	return findPage(ctx, s.coll(), bson.D{}, pg.Size(), keyset[scopes.Scope]{
		Key: "_id", After: after, KeyOf: func(sc *scopes.Scope) string { return sc.Name }})
}

// Delete implements scopes.Store.
func (s scopeStore) Delete(ctx context.Context, name string) error {
	res, err := s.coll().DeleteOne(ctx, bson.D{{Key: "_id", Value: name}})
	if err != nil {
		return translate(err, nil)
	}
	return affected(res.DeletedCount, nil, scopes.ErrNotFound)
}

// Held implements scopes.Store: a live app token or user token whose
// scopes (an indexed array) name the scope.
func (s scopeStore) Held(ctx context.Context, tenantID, name string, now time.Time) (bool, error) {
	q := bson.D{{Key: "scopes", Value: name}, {Key: "expires", Value: bson.D{{Key: "$gt", Value: now}}}}
	for _, coll := range []string{collAppTokens, collTokens} {
		err := s.db.tenant(tenantID).Collection(coll).FindOne(ctx, q, options.FindOne().SetProjection(bson.D{{Key: "_id", Value: 1}})).Err()
		if ok, err := found(err); err != nil {
			return false, err
		} else if ok {
			return true, nil
		}
	}
	return false, nil
}
