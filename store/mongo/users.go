package mongo

import (
	"context"
	"regexp"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/page"
	"github.com/latchkey/latchkey/users"
)

func (s userStore) coll(tenantID string) *mongo.Collection {
	return s.db.tenant(tenantID).Collection(collUsers)
}

// Insert implements users.Store.
func (s userStore) Insert(ctx context.Context, tenantID string, u *users.User) error {
	_, err := s.coll(tenantID).InsertOne(ctx, u)
	if isDuplicate(err) {
		return users.ErrUsernameTaken
	}
	return translate(err, nil)
}

// FindByID implements users.Store.
func (s userStore) FindByID(ctx context.Context, tenantID string, id ids.ID) (*users.User, error) {
	return s.findOne(ctx, tenantID, bson.D{{Key: "_id", Value: id}})
}

// FindByUsername implements users.Store.
func (s userStore) FindByUsername(ctx context.Context, tenantID, username string) (*users.User, error) {
	return s.findOne(ctx, tenantID, bson.D{{Key: "username_key", Value: users.UsernameKey(username)}})
}

func (s userStore) findOne(ctx context.Context, tenantID string, q bson.D) (*users.User, error) {
	var u users.User
	if err := s.coll(tenantID).FindOne(ctx, q).Decode(&u); err != nil {
		return nil, translate(err, users.ErrNotFound)
	}
	return &u, nil
}

// Find implements users.Store.
func (s userStore) Find(ctx context.Context, tenantID string, f users.Filter, pg page.Page) ([]users.User, string, error) {
	q := bson.D{}
	if f.Role != "" {
		q = append(q, bson.E{Key: "role", Value: f.Role})
	}
	if f.Status != "" {
		q = append(q, bson.E{Key: "status", Value: f.Status})
	}
	if f.Q != "" {
		re := bson.Regex{Pattern: "^" + regexp.QuoteMeta(users.UsernameKey(f.Q))}
		reMail := bson.Regex{Pattern: "^" + regexp.QuoteMeta(f.Q), Options: "i"}
		q = append(q, bson.E{Key: "$or", Value: bson.A{bson.D{{Key: "username_key", Value: re}}, bson.D{{Key: "email", Value: reMail}}}})
	}
	after, err := afterID(pg)
	if err != nil {
		return nil, "", err
	}
	return findPage(ctx, s.coll(tenantID), q, pg.Size(), keyset[users.User]{
		Key: "_id", After: after, KeyOf: func(u *users.User) string { return u.ID.Hex() }})
}

// Replace implements users.Store. A change that leaves u an active owner
// removes no owner and takes no lock; any other decides under the tenant's
// owner lock (owners.go).
func (s userStore) Replace(ctx context.Context, tenantID string, u *users.User) error {
	replace := func(ctx context.Context) error {
		res, err := s.coll(tenantID).ReplaceOne(ctx, bson.D{{Key: "_id", Value: u.ID}}, u)
		if isDuplicate(err) {
			return users.ErrUsernameTaken
		}
		if err != nil {
			return translate(err, nil)
		}
		return affected(res.MatchedCount, nil, users.ErrNotFound)
	}
	if u.ActiveOwner() {
		return replace(ctx)
	}
	return s.keepOwner(ctx, tenantID, u.ID, replace)
}

// Delete implements users.Store, under the tenant's owner lock (owners.go).
func (s userStore) Delete(ctx context.Context, tenantID string, id ids.ID) error {
	return s.keepOwner(ctx, tenantID, id, func(ctx context.Context) error {
		res, err := s.coll(tenantID).DeleteOne(ctx, bson.D{{Key: "_id", Value: id}})
		if err != nil {
			return translate(err, nil)
		}
		return affected(res.DeletedCount, nil, users.ErrNotFound)
	})
}
