package mongo

import (
	"context"
	"fmt"
	"sync"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/latchkey/latchkey/internal/clock"
	"github.com/latchkey/latchkey/internal/lastused"
)

// lastUsedWorkers is how many updates one Write keeps in flight: enough to
// overlap round trips to MongoDB.
const lastUsedWorkers = 4

// lastUsedStore writes last_used into the tenant databases. Each token is its own
// single-document update, {$max: {last_used: at}}: two instances flushing
// the same token, or a slow flush overtaken by a newer one, keep the later
// time, and no read-modify-write is involved. A token deleted meanwhile
// matches nothing and is skipped, and so is a tenant deleted meanwhile.
//
// Plain UpdateOne calls, not a bulk write: on FerretDB v1 a bulk write of n
// updates took longer than n single ones, growing faster than linearly.

// Write implements lastused.Writer. It stops at the first failure, since the rest
// would most likely fail alike (the store is down) and each would wait for
// store.timeout. Errors: Unavailable when the store does not answer; others
// are internal.
func (s lastUsedStore) Write(ctx context.Context, tenantID, collection string, uses []lastused.Use) error {
	db := s.db.tenant(tenantID)
	// FerretDB creates a missing database and collection on an update even
	// when it matches nothing, so a flush after a tenant was
	// deleted would bring back an empty database of it. A deleted tenant's
	// tokens have nothing left to update.
	names, err := db.ListCollectionNames(ctx, bson.D{{Key: "name", Value: collection}})
	if err != nil {
		return translate(fmt.Errorf("write last_used of %s in tenant %s: %w", collection, tenantID, err), nil)
	}
	if len(names) == 0 {
		return nil
	}
	coll := db.Collection(collection)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	next := make(chan lastused.Use)
	var (
		once  sync.Once
		first error
		wg    sync.WaitGroup
	)
	for range min(lastUsedWorkers, len(uses)) {
		wg.Go(func() {
			for u := range next {
				_, err := coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: u.ID}},
					bson.D{{Key: "$max", Value: bson.D{{Key: "last_used", Value: clock.Stored(u.At)}}}})
				if err != nil {
					once.Do(func() { first = err; cancel() })
				}
			}
		})
	}
feed:
	for _, u := range uses {
		select {
		case next <- u:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if first == nil {
		first = ctx.Err() // the caller's deadline ended the feed
	}
	if first != nil {
		return translate(fmt.Errorf("write last_used of %s in tenant %s: %w", collection, tenantID, first), nil)
	}
	return nil
}
