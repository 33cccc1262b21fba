package usertokens

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/latchkey/latchkey/internal/httpx"
	"github.com/latchkey/latchkey/internal/mongostore"
)

// Find returns a page of tokens matching f (Active judged at now), newest
// first, after the cursor (an id), and the cursor of the next page ("" on
// the last).
func (Store) Find(ctx context.Context, db *mongo.Database, f Filter, now time.Time, page httpx.Page) ([]Token, string, error) {
	q := bson.D{}
	if f.User != nil {
		q = append(q, bson.E{Key: "user_id", Value: *f.User})
	}
	if f.Kind != "" {
		q = append(q, bson.E{Key: "kind", Value: f.Kind})
	}
	if f.Active != nil {
		op := "$lte"
		if *f.Active {
			op = "$gt"
		}
		q = append(q, bson.E{Key: "expires", Value: bson.D{{Key: op, Value: now}}})
	}
	if page.Cursor != "" {
		id, err := bson.ObjectIDFromHex(page.Cursor)
		if err != nil {
			return nil, "", mongostore.BadCursor
		}
		q = append(q, bson.E{Key: "_id", Value: bson.D{{Key: "$lt", Value: id}}})
	}
	opts := options.Find().SetSort(bson.D{{Key: "_id", Value: -1}}).SetLimit(int64(page.Limit) + 1)
	cur, err := coll(db).Find(ctx, q, opts)
	if err != nil {
		return nil, "", mongostore.Translate(err, nil)
	}
	var list []Token
	if err := cur.All(ctx, &list); err != nil {
		return nil, "", mongostore.Translate(err, nil)
	}
	next := ""
	if len(list) > page.Limit {
		list = list[:page.Limit]
		next = list[len(list)-1].ID.Hex()
	}
	return list, next, nil
}

// Delete removes token id, or answers NotFound.
func (Store) Delete(ctx context.Context, db *mongo.Database, id bson.ObjectID) error {
	res, err := coll(db).DeleteOne(ctx, bson.D{{Key: "_id", Value: id}})
	if err != nil {
		return mongostore.Translate(err, nil)
	}
	if res.DeletedCount == 0 {
		return errNotFound
	}
	return nil
}
