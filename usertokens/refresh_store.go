package usertokens

import (
	"context"
	"errors"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/mongostore"
	"github.com/latchkey/latchkey/internal/secret"
)

// FindByRefresh returns the token whose refresh token ref names (by the
// token's _id, then the refresh hash compared), or NotFound.
func (Store) FindByRefresh(ctx context.Context, db *mongo.Database, ref secret.Ref) (*Token, error) {
	t, err := findOne(ctx, db, ref.Filter())
	if err == nil && (t.RefreshHash == "" || !ref.Verifies(t.RefreshHash)) {
		return nil, errNotFound
	}
	return t, err
}

// HasChild reports whether a token was made by spending id's refresh token.
func (Store) HasChild(ctx context.Context, db *mongo.Database, id ids.ID) (bool, error) {
	err := coll(db).FindOne(ctx, bson.D{{Key: "parent", Value: id}},
		options.FindOne().SetProjection(bson.D{{Key: "_id", Value: 1}})).Err()
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, mongo.ErrNoDocuments):
		return false, nil
	default:
		return false, mongostore.Translate(err, nil)
	}
}

// ExpireAt makes token id and its refresh token expire at t, unless they
// expire earlier already.
func (Store) ExpireAt(ctx context.Context, db *mongo.Database, id ids.ID, t time.Time) error {
	_, err := coll(db).UpdateOne(ctx, bson.D{{Key: "_id", Value: id}}, bson.D{{Key: "$min", Value: bson.D{
		{Key: "expires", Value: t}, {Key: "refresh_expires", Value: t}}}})
	return mongostore.Translate(err, nil)
}

// PurgeExpired deletes the tokens whose token and refresh token (if any)
// both expired before cutoff, and returns how many.
func (Store) PurgeExpired(ctx context.Context, db *mongo.Database, cutoff time.Time) (int64, error) {
	before := bson.D{{Key: "$lt", Value: cutoff}}
	res, err := coll(db).DeleteMany(ctx, bson.D{
		{Key: "expires", Value: before},
		{Key: "$or", Value: bson.A{
			bson.D{{Key: "refresh_expires", Value: bson.D{{Key: "$exists", Value: false}}}},
			bson.D{{Key: "refresh_expires", Value: before}},
		}},
	})
	if err != nil {
		return 0, mongostore.Translate(err, nil)
	}
	return res.DeletedCount, nil
}
