package usertokens

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/latchkey/latchkey/internal/errs"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/mongostore"
	"github.com/latchkey/latchkey/internal/secret"
)

// Indexes are the tokens collection's indexes.
var Indexes = []mongostore.Index{
	{Keys: bson.D{{Key: "parent", Value: 1}}, Unique: true, Sparse: true},
	{Keys: bson.D{{Key: "user_id", Value: 1}, {Key: "expires", Value: 1}}},
	{Keys: bson.D{{Key: "chain", Value: 1}}, Sparse: true},
	{Keys: bson.D{{Key: "expires", Value: 1}}},
}

var errNotFound = errs.E(errs.NotFound, "token", "No such token.")

// Store reads and writes user tokens in a tenant database.
type Store struct{}

func coll(db *mongo.Database) *mongo.Collection { return db.Collection(Collection) }

// Insert adds t. A duplicate parent (the refresh token was spent already) is
// Conflict.
func (Store) Insert(ctx context.Context, db *mongo.Database, t *Token) error {
	_, err := coll(db).InsertOne(ctx, t)
	return mongostore.Translate(err, nil)
}

// FindByRef returns the token ref names, or NotFound.
// (A token string whose hash does not match is NotFound too.)
func (Store) FindByRef(ctx context.Context, db *mongo.Database, ref secret.Ref) (*Token, error) {
	t, err := findOne(ctx, db, ref.Filter())
	if err == nil && !ref.Verifies(t.Hash) {
		return nil, errNotFound
	}
	return t, err
}

func findOne(ctx context.Context, db *mongo.Database, q bson.D) (*Token, error) {
	var t Token
	if err := coll(db).FindOne(ctx, q).Decode(&t); err != nil {
		return nil, mongostore.Translate(err, errNotFound)
	}
	return &t, nil
}

// SetExpires changes token id's expiry; when refresh is true its refresh
// token expires at the same moment.
func (Store) SetExpires(ctx context.Context, db *mongo.Database, id ids.ID, expires time.Time, refresh bool) error {
	set := bson.D{{Key: "expires", Value: expires}}
	if refresh {
		set = append(set, bson.E{Key: "refresh_expires", Value: expires})
	}
	res, err := coll(db).UpdateOne(ctx, bson.D{{Key: "_id", Value: id}}, bson.D{{Key: "$set", Value: set}})
	if err != nil {
		return mongostore.Translate(err, nil)
	}
	if res.MatchedCount == 0 {
		return errNotFound
	}
	return nil
}

// ExpireWhere expires, at now, every token matching q whose token or refresh
// token still lives, and returns how many it expired. Expiring only ever
// moves times backwards, so a concurrent run cannot undo it.
func (Store) ExpireWhere(ctx context.Context, db *mongo.Database, q bson.D, now time.Time) (int64, error) {
	q = append(q, bson.E{Key: "$or", Value: bson.A{
		bson.D{{Key: "expires", Value: bson.D{{Key: "$gt", Value: now}}}},
		bson.D{{Key: "refresh_expires", Value: bson.D{{Key: "$gt", Value: now}}}},
	}})
	res, err := coll(db).UpdateMany(ctx, q, bson.D{{Key: "$set", Value: bson.D{
		{Key: "expires", Value: now}, {Key: "refresh_expires", Value: now}}}})
	if err != nil {
		return 0, mongostore.Translate(err, nil)
	}
	return res.ModifiedCount, nil
}
