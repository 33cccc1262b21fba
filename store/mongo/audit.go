package mongo

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/latchkey/latchkey/audit"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/page"
)

func (s auditStore) coll(tenantID string) *mongo.Collection {
	return s.db.tenant(tenantID).Collection(collAudit)
}

// Insert implements audit.Store: one document, which carries the
// record's pending webhook deliveries (insertAudit).
func (s auditStore) Insert(ctx context.Context, tenantID string, r *audit.Record) error {
	if r.ID.IsZero() {
		r.ID = ids.NewAt(r.At)
	}
	return insertAudit(ctx, s.db, tenantID, r)
}

// Find implements audit.Store. Record ids are made from their time, so
// since is also a lower bound of _id, which every index ends with.
func (s auditStore) Find(ctx context.Context, tenantID string, f audit.Filter, pg page.Page) ([]audit.Record, string, error) {
	q := bson.D{}
	if f.Action != "" {
		q = append(q, bson.E{Key: "action", Value: f.Action})
	}
	if f.User != nil {
		q = append(q, bson.E{Key: "$or", Value: bson.A{bson.D{{Key: "user", Value: *f.User}}, bson.D{{Key: "actor", Value: *f.User}}}})
	}
	if f.Since != nil {
		q = append(q, bson.E{Key: "at", Value: bson.D{{Key: "$gte", Value: *f.Since}}},
			bson.E{Key: "_id", Value: bson.D{{Key: "$gte", Value: ids.Floor(*f.Since)}}})
	}
	after, err := afterID(pg)
	if err != nil {
		return nil, "", err
	}
	return findPage(ctx, s.coll(tenantID), q, pg.Size(), keyset[audit.Record]{
		Key: "_id", Desc: true, After: after, KeyOf: func(r *audit.Record) string { return r.ID.Hex() }})
}
