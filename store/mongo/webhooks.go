package mongo

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/latchkey/latchkey/audit"
	"github.com/latchkey/latchkey/internal/errs"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/page"
	"github.com/latchkey/latchkey/webhooks"
)

// Webhooks on MongoDB. Nothing lost: an audit record's pending deliveries
// travel in the audit document itself (outbox, outbox_at), one insert of
// one document, so a crash keeps both or neither. Due moves an outbox into
// the deliveries collection first: each delivery is inserted under the id
// the outbox gave it (a repeat after a crash is a duplicate key, ignored),
// then the outbox is removed from the audit document.
//
// Leases: FerretDB does not make a conditional update atomic, so an attempt
// is claimed by an insert under a unique key in delivery_claims:
// {_id: "<delivery>|<attempts made>|<generation>"}. A claimant reads the
// highest generation of the attempt; none: it inserts generation 0; one
// whose lease runs: it has lost; one whose lease ended (its holder
// crashed): it inserts the next. The unique _id gives each to one
// instance. Settle removes the claims of attempts two before the one it
// ends, so a claimant whose read of the delivery was one attempt stale
// still meets the claim it would duplicate.
const (
	collWebhooks   = "webhooks"
	collDeliveries = "deliveries"
	collDelClaims  = "delivery_claims"
)

// auditDoc is an audit record as stored, with its outbox until Due moves it.
type auditDoc struct {
	audit.Record `bson:",inline"`
	Outbox       []webhooks.Delivery `bson:"outbox,omitempty"`
	OutboxAt     *time.Time          `bson:"outbox_at,omitempty"`
}

// deliveryClaim is the lease on one attempt of a delivery.
type deliveryClaim struct {
	ID       string    `bson:"_id"`
	Delivery ids.ID    `bson:"delivery"`
	Made     int       `bson:"made"`
	Gen      int       `bson:"gen"`
	Until    time.Time `bson:"until"`
}

type webhookStore struct{ db *DB }

func (s webhookStore) coll(tenantID, name string) *mongo.Collection {
	return s.db.tenant(tenantID).Collection(name)
}

// insertAudit inserts r with its outbox: the tenant's enabled webhooks
// whose events choose it.
func insertAudit(ctx context.Context, db *DB, tenantID string, r *audit.Record) error {
	var hooks []webhooks.Webhook
	cur, err := db.tenant(tenantID).Collection(collWebhooks).Find(ctx, bson.D{{Key: "status", Value: webhooks.Enabled}})
	if err == nil {
		err = cur.All(ctx, &hooks)
	}
	if err != nil {
		return translate(err, nil)
	}
	doc := auditDoc{Record: *r, Outbox: webhooks.Outbox(hooks, r)}
	if len(doc.Outbox) > 0 {
		doc.OutboxAt = &r.At
	}
	_, err = db.tenant(tenantID).Collection(collAudit).InsertOne(ctx, doc)
	return translate(err, nil)
}

// Insert implements webhooks.Store.
func (s webhookStore) Insert(ctx context.Context, tenantID string, w *webhooks.Webhook) error {
	_, err := s.coll(tenantID, collWebhooks).InsertOne(ctx, w)
	return translate(err, nil)
}

// FindByID implements webhooks.Store.
func (s webhookStore) FindByID(ctx context.Context, tenantID string, id ids.ID) (*webhooks.Webhook, error) {
	var w webhooks.Webhook
	if err := s.coll(tenantID, collWebhooks).FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&w); err != nil {
		return nil, translate(err, webhooks.ErrNotFound)
	}
	return &w, nil
}

// Find implements webhooks.Store.
func (s webhookStore) Find(ctx context.Context, tenantID string, pg page.Page) ([]webhooks.Webhook, string, error) {
	after, err := afterID(pg)
	if err != nil {
		return nil, "", err
	}
	return findPage(ctx, s.coll(tenantID, collWebhooks), bson.D{}, pg.Size(), keyset[webhooks.Webhook]{
		Key: "_id", After: after, KeyOf: func(w *webhooks.Webhook) string { return w.ID.Hex() }})
}

// Replace implements webhooks.Store.
func (s webhookStore) Replace(ctx context.Context, tenantID string, w *webhooks.Webhook) error {
	set := bson.D{{Key: "url", Value: w.URL}, {Key: "events", Value: w.Events}, {Key: "description", Value: w.Description},
		{Key: "status", Value: w.Status}, {Key: "updated", Value: w.Updated}}
	return s.update(ctx, tenantID, w.ID, set, w.FailingSince)
}

// SetFailing implements webhooks.Store.
func (s webhookStore) SetFailing(ctx context.Context, tenantID string, id ids.ID, since *time.Time) error {
	return s.update(ctx, tenantID, id, nil, since)
}

func (s webhookStore) update(ctx context.Context, tenantID string, id ids.ID, set bson.D, since *time.Time) error {
	u := bson.D{}
	if since != nil {
		set = append(set, bson.E{Key: "failing_since", Value: *since})
	} else {
		u = append(u, bson.E{Key: "$unset", Value: bson.D{{Key: "failing_since", Value: ""}}})
	}
	if len(set) > 0 {
		u = append(u, bson.E{Key: "$set", Value: set})
	}
	res, err := s.coll(tenantID, collWebhooks).UpdateOne(ctx, bson.D{{Key: "_id", Value: id}}, u)
	if err != nil {
		return translate(err, nil)
	}
	return affected(res.MatchedCount, nil, webhooks.ErrNotFound)
}

// Delete implements webhooks.Store: the webhook, then its deliveries (a
// delivery left by a crash between the two fails as the endpoint's).
func (s webhookStore) Delete(ctx context.Context, tenantID string, id ids.ID) error {
	res, err := s.coll(tenantID, collWebhooks).DeleteOne(ctx, bson.D{{Key: "_id", Value: id}})
	if err := affected(deleted(res), err, webhooks.ErrNotFound); err != nil {
		return err
	}
	_, err = s.coll(tenantID, collDeliveries).DeleteMany(ctx, bson.D{{Key: "webhook", Value: id}})
	return translate(err, nil)
}

func deleted(res *mongo.DeleteResult) int64 {
	if res == nil {
		return 0
	}
	return res.DeletedCount
}

// InsertDelivery implements webhooks.Store.
func (s webhookStore) InsertDelivery(ctx context.Context, tenantID string, d *webhooks.Delivery) error {
	_, err := s.coll(tenantID, collDeliveries).InsertOne(ctx, d)
	return translate(err, nil)
}

// FindDelivery implements webhooks.Store.
func (s webhookStore) FindDelivery(ctx context.Context, tenantID string, webhook, id ids.ID) (*webhooks.Delivery, error) {
	var d webhooks.Delivery
	err := s.coll(tenantID, collDeliveries).FindOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "webhook", Value: webhook}}).Decode(&d)
	if err != nil {
		return nil, translate(err, webhooks.ErrDeliveryNotFound)
	}
	return &d, nil
}

// Deliveries implements webhooks.Store.
func (s webhookStore) Deliveries(ctx context.Context, tenantID string, webhook ids.ID, pg page.Page) ([]webhooks.Delivery, string, error) {
	after, err := afterID(pg)
	if err != nil {
		return nil, "", err
	}
	return findPage(ctx, s.coll(tenantID, collDeliveries), bson.D{{Key: "webhook", Value: webhook}}, pg.Size(),
		keyset[webhooks.Delivery]{Key: "_id", Desc: true, After: after, KeyOf: func(d *webhooks.Delivery) string { return d.ID.Hex() }})
}

// Due implements webhooks.Store: it moves the outboxes of audit documents
// into deliveries first.
func (s webhookStore) Due(ctx context.Context, tenantID string, now time.Time, limit int) ([]webhooks.Delivery, error) {
	if err := s.ensureIndexes(ctx, tenantID); err != nil {
		return nil, err
	}
	if err := s.drainOutbox(ctx, tenantID, limit); err != nil {
		return nil, err
	}
	cur, err := s.coll(tenantID, collDeliveries).Find(ctx,
		bson.D{{Key: "status", Value: webhooks.Pending}, {Key: "next_attempt", Value: bson.D{{Key: "$lte", Value: now}}}},
		options.Find().SetSort(bson.D{{Key: "next_attempt", Value: 1}}).SetLimit(int64(limit)))
	var list []webhooks.Delivery
	if err == nil {
		err = cur.All(ctx, &list)
	}
	return list, translate(err, nil)
}

// ensureIndexes makes, once per process and tenant, the indexes webhooks
// need, which a tenant made before them lacks (CreateDatabase makes them
// for new tenants).
func (s webhookStore) ensureIndexes(ctx context.Context, tenantID string) error {
	if _, ok := s.db.webhookIndexed.Load(tenantID); ok {
		return nil
	}
	db := s.db.tenant(tenantID)
	for _, coll := range []string{collAudit, collWebhooks, collDeliveries, collDelClaims} {
		if err := ensureIndexes(ctx, db.Collection(coll), tenantIndexes[coll]...); err != nil {
			return err
		}
	}
	s.db.webhookIndexed.Store(tenantID, true)
	return nil
}

// drainOutbox moves up to limit audit documents' outboxes into deliveries.
func (s webhookStore) drainOutbox(ctx context.Context, tenantID string, limit int) error {
	auditColl := s.coll(tenantID, collAudit)
	cur, err := auditColl.Find(ctx, bson.D{{Key: "outbox_at", Value: bson.D{{Key: "$exists", Value: true}}}},
		options.Find().SetSort(bson.D{{Key: "outbox_at", Value: 1}}).SetLimit(int64(limit)))
	var docs []auditDoc
	if err == nil {
		err = cur.All(ctx, &docs)
	}
	if err != nil {
		return translate(err, nil)
	}
	for _, doc := range docs {
		for i := range doc.Outbox {
			if err := s.InsertDelivery(ctx, tenantID, &doc.Outbox[i]); err != nil && !errs.Is(err, errs.Conflict) {
				return err
			}
		}
		_, err := auditColl.UpdateOne(ctx, bson.D{{Key: "_id", Value: doc.ID}},
			bson.D{{Key: "$unset", Value: bson.D{{Key: "outbox", Value: ""}, {Key: "outbox_at", Value: ""}}}})
		if err != nil {
			return translate(err, nil)
		}
	}
	return nil
}

// Claim implements webhooks.Store by an insert under a unique key (see
// the package comment above).
func (s webhookStore) Claim(ctx context.Context, tenantID string, d *webhooks.Delivery, now, until time.Time) (bool, error) {
	var cur webhooks.Delivery
	if err := s.coll(tenantID, collDeliveries).FindOne(ctx, bson.D{{Key: "_id", Value: d.ID}}).Decode(&cur); err != nil {
		_, err := found(err) // a delivery deleted meanwhile: not claimed
		return false, err
	}
	if cur.Status != webhooks.Pending || cur.Attempts != d.Attempts {
		return false, nil
	}
	claims := s.coll(tenantID, collDelClaims)
	var last deliveryClaim
	gen := 0
	err := claims.FindOne(ctx, bson.D{{Key: "delivery", Value: d.ID}, {Key: "made", Value: d.Attempts}},
		options.FindOne().SetSort(bson.D{{Key: "gen", Value: -1}})).Decode(&last)
	switch ok, err := found(err); {
	case err != nil:
		return false, err
	case ok && last.Until.After(now):
		return false, nil
	case ok:
		gen = last.Gen + 1
	}
	c := deliveryClaim{ID: fmt.Sprintf("%s|%d|%d", d.ID.Hex(), d.Attempts, gen), Delivery: d.ID, Made: d.Attempts, Gen: gen, Until: until}
	if _, err := claims.InsertOne(ctx, c); err != nil {
		if isDuplicate(err) {
			return false, nil
		}
		return false, translate(err, nil)
	}
	return true, nil
}

// Settle implements webhooks.Store.
func (s webhookStore) Settle(ctx context.Context, tenantID string, d *webhooks.Delivery) error {
	set := bson.D{{Key: "status", Value: d.Status}, {Key: "attempts", Value: d.Attempts}, {Key: "last_status", Value: d.LastStatus},
		{Key: "last_error", Value: d.LastError}, {Key: "updated", Value: d.Updated}}
	u := bson.D{}
	if d.NextAttempt != nil {
		set = append(set, bson.E{Key: "next_attempt", Value: *d.NextAttempt})
	} else {
		u = append(u, bson.E{Key: "$unset", Value: bson.D{{Key: "next_attempt", Value: ""}}})
	}
	u = append(u, bson.E{Key: "$set", Value: set})
	res, err := s.coll(tenantID, collDeliveries).UpdateOne(ctx, bson.D{{Key: "_id", Value: d.ID}}, u)
	if err != nil {
		return translate(err, nil)
	}
	if err := affected(res.MatchedCount, nil, webhooks.ErrDeliveryNotFound); err != nil {
		return err
	}
	_, err = s.coll(tenantID, collDelClaims).DeleteMany(ctx,
		bson.D{{Key: "delivery", Value: d.ID}, {Key: "made", Value: bson.D{{Key: "$lt", Value: d.Attempts - 2}}}})
	return translate(err, nil)
}
