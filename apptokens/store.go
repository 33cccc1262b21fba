package apptokens

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/latchkey/latchkey/internal/errs"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/mongostore"
	"github.com/latchkey/latchkey/internal/page"
	"github.com/latchkey/latchkey/internal/secret"
)

// Indexes are the app_tokens collection's indexes.
var Indexes = []mongostore.Index{
	{Keys: bson.D{{Key: "expires", Value: 1}}},
}

var errNotFound = errs.E(errs.NotFound, "token", "No such app token.")

// Store reads and writes app tokens in a tenant database.
type Store struct{}

func coll(db *mongo.Database) *mongo.Collection { return db.Collection(Collection) }

// Insert adds t.
func (Store) Insert(ctx context.Context, db *mongo.Database, t *Token) error {
	_, err := coll(db).InsertOne(ctx, t)
	return mongostore.Translate(err, nil)
}

// FindByRef returns the token ref names, or NotFound (also when ref is a
// token string whose hash does not match).
func (Store) FindByRef(ctx context.Context, db *mongo.Database, ref secret.Ref) (*Token, error) {
	var t Token
	if err := coll(db).FindOne(ctx, ref.Filter()).Decode(&t); err != nil {
		return nil, mongostore.Translate(err, errNotFound)
	}
	if !ref.Verifies(t.Hash) {
		return nil, errNotFound
	}
	return &t, nil
}

// Find returns a page of tokens, newest first, after the cursor (an id).
func (Store) Find(ctx context.Context, db *mongo.Database, pg page.Page) ([]Token, string, error) {
	after, err := mongostore.IDCursor(pg.Cursor)
	if err != nil {
		return nil, "", err
	}
	return mongostore.FindPage(ctx, coll(db), bson.D{}, pg.Limit, mongostore.Keyset[Token]{
		Key: "_id", Desc: true, After: after, KeyOf: func(t *Token) string { return t.ID.Hex() }})
}

// SetExpires changes the expiry of token id.
func (Store) SetExpires(ctx context.Context, db *mongo.Database, id ids.ID, expires time.Time) error {
	res, err := coll(db).UpdateOne(ctx, bson.D{{Key: "_id", Value: id}}, bson.D{{Key: "$set", Value: bson.D{{Key: "expires", Value: expires}}}})
	if err != nil {
		return mongostore.Translate(err, nil)
	}
	if res.MatchedCount == 0 {
		return errNotFound
	}
	return nil
}

// Delete removes token id.
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

// PurgeExpired deletes tokens that expired before cutoff and returns how many.
func (Store) PurgeExpired(ctx context.Context, db *mongo.Database, cutoff time.Time) (int64, error) {
	res, err := coll(db).DeleteMany(ctx, bson.D{{Key: "expires", Value: bson.D{{Key: "$lt", Value: cutoff}}}})
	if err != nil {
		return 0, mongostore.Translate(err, nil)
	}
	return res.DeletedCount, nil
}
