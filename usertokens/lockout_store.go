package usertokens

import (
	"context"
	"errors"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/latchkey/latchkey/internal/mongostore"
)

// claims reads and writes the lockout claims of a tenant database, each by
// its _id. Only inserts into the unique _id decide anything.
type claims struct{}

var claimStore claims

func claimColl(db *mongo.Database) *mongo.Collection { return db.Collection(Claims) }

// insert adds c; a taken _id is Conflict.
func (claims) insert(ctx context.Context, db *mongo.Database, c claim) error {
	_, err := claimColl(db).InsertOne(ctx, c)
	return mongostore.Translate(err, nil)
}

// find returns the claim id, or nil.
func (claims) find(ctx context.Context, db *mongo.Database, id string) (*claim, error) {
	var c claim
	err := claimColl(db).FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&c)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, nil
	}
	if err != nil {
		return nil, mongostore.Translate(err, nil)
	}
	return &c, nil
}

// replace writes c over old, if old is still there unchanged.
func (claims) replace(ctx context.Context, db *mongo.Database, old *claim, c claim) error {
	q := bson.D{{Key: "_id", Value: old.ID}, {Key: "expires", Value: old.Expires}}
	_, err := claimColl(db).ReplaceOne(ctx, q, c)
	return mongostore.Translate(err, nil)
}

// delete removes the claim id.
func (claims) delete(ctx context.Context, db *mongo.Database, id string) error {
	_, err := claimColl(db).DeleteOne(ctx, bson.D{{Key: "_id", Value: id}})
	return mongostore.Translate(err, nil)
}

// purge deletes the claims and locks of db that stopped mattering before
// now, and returns how many.
func (claims) purge(ctx context.Context, db *mongo.Database, now time.Time) (int64, error) {
	res, err := claimColl(db).DeleteMany(ctx, bson.D{{Key: "expires", Value: bson.D{{Key: "$lt", Value: now}}}})
	if err != nil {
		return 0, mongostore.Translate(err, nil)
	}
	return res.DeletedCount, nil
}
