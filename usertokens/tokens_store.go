package usertokens

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/mongostore"
	"github.com/latchkey/latchkey/internal/page"
)

// Find returns a page of tokens matching f (Active judged at now), newest
// first, after the cursor (an id), and the cursor of the next page ("" on
// the last).
func (Store) Find(ctx context.Context, db *mongo.Database, f Filter, now time.Time, pg page.Page) ([]Token, string, error) {
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
	after, err := mongostore.IDCursor(pg.Cursor)
	if err != nil {
		return nil, "", err
	}
	return mongostore.FindPage(ctx, coll(db), q, pg.Limit, mongostore.Keyset[Token]{
		Key: "_id", Desc: true, After: after, KeyOf: func(t *Token) string { return t.ID.Hex() }})
}

// Delete removes token id, or answers NotFound.
func (Store) Delete(ctx context.Context, db *mongo.Database, id ids.ID) error {
	res, err := coll(db).DeleteOne(ctx, bson.D{{Key: "_id", Value: id}})
	if err != nil {
		return mongostore.Translate(err, nil)
	}
	if res.DeletedCount == 0 {
		return errNotFound
	}
	return nil
}
