package admin

import (
	"context"
	"regexp"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/latchkey/latchkey/internal/errs"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/mongostore"
	"github.com/latchkey/latchkey/internal/page"
)

// UserIndexes are the users collection's indexes.
var UserIndexes = []mongostore.Index{
	{Keys: bson.D{{Key: "username_key", Value: 1}}, Unique: true},
	{Keys: bson.D{{Key: "role", Value: 1}}},
}

var errUserNotFound = errs.E(errs.NotFound, "user", "No such user.")

// UserStore reads and writes users in a tenant database.
type UserStore struct{}

func users(db *mongo.Database) *mongo.Collection { return db.Collection(UsersCollection) }

// Insert adds u; a taken username is Conflict on field "username".
func (UserStore) Insert(ctx context.Context, db *mongo.Database, u *User) error {
	_, err := users(db).InsertOne(ctx, u)
	if mongostore.IsDuplicate(err) {
		return errs.E(errs.Conflict, "username", "A user with that username already exists.")
	}
	return mongostore.Translate(err, nil)
}

// FindByID returns user id, or NotFound.
func (UserStore) FindByID(ctx context.Context, db *mongo.Database, id ids.ID) (*User, error) {
	return findUser(ctx, db, bson.D{{Key: "_id", Value: id}})
}

// FindByUsername returns the user of username (case-insensitive), or NotFound.
func (UserStore) FindByUsername(ctx context.Context, db *mongo.Database, username string) (*User, error) {
	return findUser(ctx, db, bson.D{{Key: "username_key", Value: UsernameKey(username)}})
}

func findUser(ctx context.Context, db *mongo.Database, q bson.D) (*User, error) {
	var u User
	if err := users(db).FindOne(ctx, q).Decode(&u); err != nil {
		return nil, mongostore.Translate(err, errUserNotFound)
	}
	return &u, nil
}

// UserFilter selects users; Q matches the start of a username or email.
type UserFilter struct {
	Role, Status, Q string
}

// Find returns a page of users ordered by id after the cursor.
func (UserStore) Find(ctx context.Context, db *mongo.Database, f UserFilter, pg page.Page) ([]User, string, error) {
	q := bson.D{}
	if f.Role != "" {
		q = append(q, bson.E{Key: "role", Value: f.Role})
	}
	if f.Status != "" {
		q = append(q, bson.E{Key: "status", Value: f.Status})
	}
	if f.Q != "" {
		re := bson.Regex{Pattern: "^" + regexp.QuoteMeta(UsernameKey(f.Q)), Options: ""}
		reMail := bson.Regex{Pattern: "^" + regexp.QuoteMeta(f.Q), Options: "i"}
		q = append(q, bson.E{Key: "$or", Value: bson.A{bson.D{{Key: "username_key", Value: re}}, bson.D{{Key: "email", Value: reMail}}}})
	}
	after, err := mongostore.IDCursor(pg.Cursor)
	if err != nil {
		return nil, "", err
	}
	return mongostore.FindPage(ctx, users(db), q, pg.Limit, mongostore.Keyset[User]{
		Key: "_id", After: after, KeyOf: func(u *User) string { return u.ID.Hex() }})
}

// Replace writes u over the stored user of the same id.
func (UserStore) Replace(ctx context.Context, db *mongo.Database, u *User) error {
	res, err := users(db).ReplaceOne(ctx, bson.D{{Key: "_id", Value: u.ID}}, u)
	if err != nil {
		return mongostore.Translate(err, nil)
	}
	if res.MatchedCount == 0 {
		return errUserNotFound
	}
	return nil
}

// Delete removes user id.
func (UserStore) Delete(ctx context.Context, db *mongo.Database, id ids.ID) error {
	res, err := users(db).DeleteOne(ctx, bson.D{{Key: "_id", Value: id}})
	if err != nil {
		return mongostore.Translate(err, nil)
	}
	if res.DeletedCount == 0 {
		return errUserNotFound
	}
	return nil
}
