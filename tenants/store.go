package tenants

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/latchkey/latchkey/internal/errs"
	"github.com/latchkey/latchkey/internal/mongostore"
	"github.com/latchkey/latchkey/internal/page"
)

// Store keeps tenants in the control database's "tenants" collection.
type Store struct {
	client *mongo.Client
	coll   *mongo.Collection
}

var errNotFound = errs.E(errs.NotFound, "tenant", "No such tenant.")

// NewStore returns the tenant store of the control database control.
func NewStore(client *mongo.Client, control *mongo.Database) *Store {
	return &Store{client: client, coll: control.Collection("tenants")}
}

// EnsureIndexes makes the control database's indexes.
func (s *Store) EnsureIndexes(ctx context.Context) error {
	return mongostore.EnsureIndexes(ctx, s.coll, mongostore.Index{Keys: bson.D{{Key: "slug", Value: 1}}, Unique: true})
}

// EnsureTenantIndexes makes the indexes of tenant id's database, given by
// collection name; it is idempotent.
func (s *Store) EnsureTenantIndexes(ctx context.Context, id string, byColl map[string][]mongostore.Index) error {
	db := s.DB(id)
	for coll, idx := range byColl {
		if err := mongostore.EnsureIndexes(ctx, db.Collection(coll), idx...); err != nil {
			return err
		}
	}
	return nil
}

// DB returns a tenant's database.
func (s *Store) DB(id string) *mongo.Database { return s.client.Database(DatabaseName(id)) }

// Insert adds t; a taken slug or id is Conflict.
func (s *Store) Insert(ctx context.Context, t *Tenant) error {
	_, err := s.coll.InsertOne(ctx, t)
	if mongostore.IsDuplicate(err) {
		return errs.E(errs.Conflict, "slug", "A tenant with this slug already exists.")
	}
	return mongostore.Translate(err, nil)
}

// FindByID returns the tenant with id, or NotFound.
func (s *Store) FindByID(ctx context.Context, id string) (*Tenant, error) {
	return s.findOne(ctx, bson.D{{Key: "_id", Value: id}})
}

// FindBySlug returns the tenant with slug, or NotFound.
func (s *Store) FindBySlug(ctx context.Context, slug string) (*Tenant, error) {
	return s.findOne(ctx, bson.D{{Key: "slug", Value: slug}})
}

func (s *Store) findOne(ctx context.Context, q bson.D) (*Tenant, error) {
	var t Tenant
	if err := s.coll.FindOne(ctx, q).Decode(&t); err != nil {
		return nil, mongostore.Translate(err, errNotFound)
	}
	return &t, nil
}

// Find lists tenants by slug, after the cursor (a slug).
func (s *Store) Find(ctx context.Context, pg page.Page) ([]Tenant, string, error) {
	var after any
	if pg.Cursor != "" {
		if !ValidSlug(pg.Cursor) { // tenant cursors are slugs
			return nil, "", page.BadCursor
		}
		after = pg.Cursor
	}
	return mongostore.FindPage(ctx, s.coll, bson.D{}, pg.Limit, mongostore.Keyset[Tenant]{
		Key: "slug", After: after, KeyOf: func(t *Tenant) string { return t.Slug }})
}

// Replace writes t over the stored tenant of the same id.
func (s *Store) Replace(ctx context.Context, t *Tenant) error {
	res, err := s.coll.ReplaceOne(ctx, bson.D{{Key: "_id", Value: t.ID}}, t)
	if err != nil {
		return mongostore.Translate(err, nil)
	}
	if res.MatchedCount == 0 {
		return errNotFound
	}
	return nil
}

// Delete drops the tenant's database and removes its record.
func (s *Store) Delete(ctx context.Context, id string) error {
	if err := s.DB(id).Drop(ctx); err != nil {
		return mongostore.Translate(fmt.Errorf("drop tenant database: %w", err), nil)
	}
	res, err := s.coll.DeleteOne(ctx, bson.D{{Key: "_id", Value: id}})
	if err != nil {
		return mongostore.Translate(err, nil)
	}
	if res.DeletedCount == 0 {
		return errNotFound
	}
	return nil
}
