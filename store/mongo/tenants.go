package mongo

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/latchkey/latchkey/internal/page"
	"github.com/latchkey/latchkey/tenants"
)

// claimTTL deletes lockout claims once they no longer matter, where the
// server has TTL indexes; the purge deletes them elsewhere.
var claimTTL time.Duration

// tenantIndexes are the indexes of every tenant database, by collection.
var tenantIndexes = map[string][]index{
	collUsers: {
		{keys: bson.D{{Key: "username_key", Value: 1}}, unique: true},
		{keys: bson.D{{Key: "role", Value: 1}, {Key: "_id", Value: 1}}},
		{keys: bson.D{{Key: "status", Value: 1}, {Key: "_id", Value: 1}}},
	},
	collAppTokens: {{keys: bson.D{{Key: "expires", Value: 1}}},
		{keys: bson.D{{Key: "scopes", Value: 1}}, sparse: true}, rotatedFrom},
	collTokens: {
		{keys: bson.D{{Key: "scopes", Value: 1}}, sparse: true},
		{keys: bson.D{{Key: "parent", Value: 1}}, unique: true, sparse: true},
		rotatedFrom,
		{keys: bson.D{{Key: "user_id", Value: 1}, {Key: "_id", Value: -1}}},
		{keys: bson.D{{Key: "chain", Value: 1}}, sparse: true},
		{keys: bson.D{{Key: "actor_id", Value: 1}}, sparse: true},
		{keys: bson.D{{Key: "kind", Value: 1}, {Key: "_id", Value: -1}}},
		{keys: bson.D{{Key: "expires", Value: 1}}},
	},
	collClaims: {{keys: bson.D{{Key: "expires", Value: 1}}, expireAfter: &claimTTL}},
	collUsage: {
		{keys: bson.D{{Key: "app_token_id", Value: 1}, {Key: "start", Value: 1}}},
		{keys: bson.D{{Key: "start", Value: 1}}},
	},
	collAudit: {
		{keys: bson.D{{Key: "action", Value: 1}, {Key: "_id", Value: -1}}},
		{keys: bson.D{{Key: "user", Value: 1}, {Key: "_id", Value: -1}}},
		{keys: bson.D{{Key: "actor", Value: 1}, {Key: "_id", Value: -1}}},
		{keys: bson.D{{Key: "outbox_at", Value: 1}}, sparse: true},
	},
	collWebhooks: {{keys: bson.D{{Key: "status", Value: 1}, {Key: "_id", Value: 1}}}},
	collDeliveries: {
		{keys: bson.D{{Key: "webhook", Value: 1}, {Key: "_id", Value: -1}}},
		{keys: bson.D{{Key: "status", Value: 1}, {Key: "next_attempt", Value: 1}}},
	},
	collDelClaims: {{keys: bson.D{{Key: "delivery", Value: 1}, {Key: "made", Value: 1}, {Key: "gen", Value: -1}}}},
}

func (s tenantStore) coll() *mongo.Collection { return s.db.controlDB().Collection(collTenants) }

// Insert implements tenants.Store.
func (s tenantStore) Insert(ctx context.Context, t *tenants.Tenant) error {
	_, err := s.coll().InsertOne(ctx, t)
	if isDuplicate(err) {
		return tenants.ErrSlugTaken
	}
	return translate(err, nil)
}

// FindByID implements tenants.Store.
func (s tenantStore) FindByID(ctx context.Context, id string) (*tenants.Tenant, error) {
	return s.findOne(ctx, bson.D{{Key: "_id", Value: id}})
}

// FindBySlug implements tenants.Store.
func (s tenantStore) FindBySlug(ctx context.Context, slug string) (*tenants.Tenant, error) {
	return s.findOne(ctx, bson.D{{Key: "slug", Value: slug}})
}

func (s tenantStore) findOne(ctx context.Context, q bson.D) (*tenants.Tenant, error) {
	var t tenants.Tenant
	if err := s.coll().FindOne(ctx, q).Decode(&t); err != nil {
		return nil, translate(err, tenants.ErrNotFound)
	}
	return &t, nil
}

// Find implements tenants.Store.
func (s tenantStore) Find(ctx context.Context, pg page.Page) ([]tenants.Tenant, string, error) {
	var after any
	if pg.Cursor != "" {
		if !tenants.ValidSlug(pg.Cursor) { // tenant cursors are slugs
			return nil, "", page.BadCursor
		}
		after = pg.Cursor
	}
	return findPage(ctx, s.coll(), bson.D{}, pg.Size(), keyset[tenants.Tenant]{
		Key: "slug", After: after, KeyOf: func(t *tenants.Tenant) string { return t.Slug }})
}

// Replace implements tenants.Store.
func (s tenantStore) Replace(ctx context.Context, t *tenants.Tenant) error {
	res, err := s.coll().ReplaceOne(ctx, bson.D{{Key: "_id", Value: t.ID}}, t)
	if err != nil {
		return translate(err, nil)
	}
	return affected(res.MatchedCount, nil, tenants.ErrNotFound)
}

// CreateDatabase implements tenants.Store: MongoDB makes a database with
// its first write; this makes its indexes.
func (s tenantStore) CreateDatabase(ctx context.Context, id string) error {
	db := s.db.tenant(id)
	for coll, idx := range tenantIndexes {
		if err := ensureIndexes(ctx, db.Collection(coll), idx...); err != nil {
			return err
		}
	}
	return nil
}

// Delete implements tenants.Store.
func (s tenantStore) Delete(ctx context.Context, id string) error {
	if err := s.db.tenant(id).Drop(ctx); err != nil {
		return translate(fmt.Errorf("drop tenant database: %w", err), nil)
	}
	res, err := s.coll().DeleteOne(ctx, bson.D{{Key: "_id", Value: id}})
	if err != nil {
		return translate(err, nil)
	}
	return affected(res.DeletedCount, nil, tenants.ErrNotFound)
}
