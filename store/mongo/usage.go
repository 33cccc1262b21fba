package mongo

import (
	"context"
	"fmt"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/latchkey/latchkey/internal/clock"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/usage"
)

// usageStore keeps the usage buckets as one document per instance per
// bucket: {_id: the instance's slot (usage.Row), app_token_id, start, and a
// field per outcome}, which only that instance writes, each flush setting
// its running totals. FerretDB does not make an upserted document's $inc
// atomic (concurrent $incs of one document lose updates), so instances
// never write one document together; a
// read sums the documents of a bucket. Setting totals, not adding, also
// makes a retried flush harmless.

func (s usageStore) coll(tenantID string) *mongo.Collection {
	return s.db.tenant(tenantID).Collection(collUsage)
}

// Add implements usage.Writer: each row's slot document gets the row's
// totals (an upsert), so the same rows written again change nothing. A
// tenant deleted meanwhile is skipped: FerretDB would make its database
// again on an upsert. A tenant made before usage existed gets the
// collection's indexes first. Errors: Unavailable.
func (s usageStore) Add(ctx context.Context, tenantID string, rows []usage.Row) error {
	db := s.db.tenant(tenantID)
	names, err := db.ListCollectionNames(ctx, bson.D{{Key: "name", Value: bson.D{{Key: "$in", Value: bson.A{collAppTokens, collUsage}}}}})
	if err != nil {
		return translate(fmt.Errorf("add usage in tenant %s: %w", tenantID, err), nil)
	}
	if !slices.Contains(names, collAppTokens) {
		return nil
	}
	coll := db.Collection(collUsage)
	if !slices.Contains(names, collUsage) {
		if err := ensureIndexes(ctx, coll, tenantIndexes[collUsage]...); err != nil {
			return err
		}
	}
	upsert := options.UpdateOne().SetUpsert(true)
	for _, r := range rows {
		set := bson.D{{Key: "app_token_id", Value: r.AppTokenID}, {Key: "start", Value: clock.Stored(r.Start)}}
		for i, n := range r.Total {
			set = append(set, bson.E{Key: usage.OutcomeNames[i], Value: n})
		}
		if _, err := coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: r.Slot}}, bson.D{{Key: "$set", Value: set}}, upsert); err != nil {
			return translate(fmt.Errorf("add usage in tenant %s: %w", tenantID, err), nil)
		}
	}
	return nil
}

// countsOf reads the outcome fields of a usage document; an absent one
// (an outcome added after the document was written) is 0.
func countsOf(doc bson.Raw) usage.Counts {
	var c usage.Counts
	for i, n := range usage.OutcomeNames {
		if v, err := doc.LookupErr(n); err == nil {
			c[i], _ = v.AsInt64OK()
		}
	}
	return c
}

// each runs f on every document of q in tenant's usage.
func (s usageStore) each(ctx context.Context, tenantID string, q bson.D, f func(bson.Raw) error) error {
	cur, err := s.coll(tenantID).Find(ctx, q)
	if err != nil {
		return translate(err, nil)
	}
	defer func() { _ = cur.Close(ctx) }()
	for cur.Next(ctx) {
		if err := f(cur.Current); err != nil {
			return err
		}
	}
	return translate(cur.Err(), nil)
}

func startIn(since, until time.Time) bson.D {
	return bson.D{{Key: "$gte", Value: clock.Stored(since)}, {Key: "$lt", Value: clock.Stored(until)}}
}

// Hours implements usage.Store: the documents of each bucket, summed.
func (s usageStore) Hours(ctx context.Context, tenantID string, id ids.ID, since, until time.Time) ([]usage.Bucket, error) {
	sums := map[int64]usage.Counts{}
	err := s.each(ctx, tenantID, bson.D{{Key: "app_token_id", Value: id}, {Key: "start", Value: startIn(since, until)}},
		func(doc bson.Raw) error {
			start, ok := doc.Lookup("start").DateTimeOK()
			if !ok {
				return fmt.Errorf("usage document without a start")
			}
			c := sums[start]
			c.Add(countsOf(doc))
			sums[start] = c
			return nil
		})
	if err != nil {
		return nil, err
	}
	list := make([]usage.Bucket, 0, len(sums))
	for ms, c := range sums {
		list = append(list, usage.Bucket{Start: time.UnixMilli(ms).UTC(), Counts: c})
	}
	slices.SortFunc(list, func(a, b usage.Bucket) int { return a.Start.Compare(b.Start) })
	return list, nil
}

// Totals implements usage.Store.
func (s usageStore) Totals(ctx context.Context, tenantID string, since, until time.Time) ([]usage.TokenCounts, error) {
	sums := map[ids.ID]usage.Counts{}
	err := s.each(ctx, tenantID, bson.D{{Key: "start", Value: startIn(since, until)}}, func(doc bson.Raw) error {
		var id ids.ID
		if err := doc.Lookup("app_token_id").Unmarshal(&id); err != nil {
			return err
		}
		c := sums[id]
		c.Add(countsOf(doc))
		sums[id] = c
		return nil
	})
	if err != nil {
		return nil, err
	}
	list := make([]usage.TokenCounts, 0, len(sums))
	for id, c := range sums {
		list = append(list, usage.TokenCounts{AppTokenID: id, Counts: c})
	}
	return list, nil
}

// Purge implements usage.Store.
func (s usageStore) Purge(ctx context.Context, tenantID string, cutoff time.Time) (int64, error) {
	res, err := s.coll(tenantID).DeleteMany(ctx, bson.D{{Key: "start", Value: bson.D{{Key: "$lt", Value: clock.Stored(cutoff)}}}})
	if err != nil {
		return 0, translate(err, nil)
	}
	return res.DeletedCount, nil
}
