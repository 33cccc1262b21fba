// Package lastused keeps every token's last_used time without a write per
// request: the authenticating middleware reports each use to a Batcher, which
// holds the latest time per token in memory, and a periodic Flush writes each
// token that was used since the last flush once, with a $max update.
package lastused

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/latchkey/latchkey/internal/errs"
	"github.com/latchkey/latchkey/internal/ids"
)

// Use is the latest use of one token.
type Use struct {
	ID ids.ID
	At time.Time
}

// Writer stores uses of tokens of one collection ("app_tokens", "tokens") of
// one tenant. Store implements it over MongoDB.
type Writer interface {
	Write(ctx context.Context, tenantID, collection string, uses []Use) error
}

type key struct {
	tenant, collection string
	id                 ids.ID
}

// shards spread the tokens over several locks, so concurrent requests of
// different tokens rarely wait for each other.
const shards = 16

type shard struct {
	mu      sync.Mutex
	pending map[key]time.Time
}

// Batcher implements authn.Recorder. Used only touches memory; Flush writes
// what was used since the previous Flush, one update per token, so calling
// Flush once per tokens.last_used_flush writes each token at most once per
// that interval. Writes that fail are kept and retried by the next Flush.
type Batcher struct {
	w      Writer
	shards [shards]shard
	// flushing makes concurrent Flush calls (the periodic one and the one
	// at shutdown) take turns.
	flushing sync.Mutex

	written, failed, flushes atomic.Uint64
}

// New returns a Batcher that flushes to w.
func New(w Writer) *Batcher {
	b := &Batcher{w: w}
	for i := range b.shards {
		b.shards[i].pending = map[key]time.Time{}
	}
	return b
}

// Used records that token id of collection in tenant was used at at. It
// implements authn.Recorder and never touches the store.
func (b *Batcher) Used(tenantID, collection string, id ids.ID, at time.Time) {
	k := key{tenant: tenantID, collection: collection, id: id}
	s := &b.shards[id[len(id)-1]%shards] // the last bytes of an ObjectID are a counter
	s.mu.Lock()
	if prev, ok := s.pending[k]; !ok || at.After(prev) {
		s.pending[k] = at
	}
	s.mu.Unlock()
}

// Flush writes every pending use, one update per token, grouped by tenant
// and collection. Uses whose write fails stay pending (unless a newer use
// came in meanwhile) and are retried by the next Flush; the error reports
// them. Once the store is unavailable, Flush writes no further group and
// keeps them all, so a flush against a dead store costs one store.timeout,
// not one per tenant.
func (b *Batcher) Flush(ctx context.Context) error {
	b.flushing.Lock()
	defer b.flushing.Unlock()
	batches := b.take()
	if len(batches) == 0 {
		return nil
	}
	b.flushes.Add(1)
	var failures []error
	down := false
	for g, uses := range batches {
		var err error
		if !down {
			err = b.w.Write(ctx, g.tenant, g.collection, uses)
		}
		if err == nil && !down {
			b.written.Add(uint64(len(uses)))
			continue
		}
		if err != nil {
			failures = append(failures, err)
			down = errs.Is(err, errs.Unavailable) || ctx.Err() != nil
		}
		b.failed.Add(uint64(len(uses)))
		for _, u := range uses {
			b.Used(g.tenant, g.collection, u.ID, u.At)
		}
	}
	return errors.Join(failures...)
}

type group struct{ tenant, collection string }

// take empties the shards and returns their uses by tenant and collection.
func (b *Batcher) take() map[group][]Use {
	batches := map[group][]Use{}
	for i := range b.shards {
		s := &b.shards[i]
		s.mu.Lock()
		taken := s.pending
		if len(taken) == 0 {
			s.mu.Unlock()
			continue
		}
		s.pending = make(map[key]time.Time, len(taken))
		s.mu.Unlock()
		for k, at := range taken {
			g := group{k.tenant, k.collection}
			batches[g] = append(batches[g], Use{ID: k.id, At: at})
		}
	}
	return batches
}

// Stats are the Batcher's counters since it was made.
type Stats struct {
	Pending int    // tokens used since the last successful write
	Written uint64 // token updates written
	Failed  uint64 // token updates not written (kept for the next flush)
	Flushes uint64 // flushes that had something to write
}

// Stats returns the counters.
func (b *Batcher) Stats() Stats {
	st := Stats{Written: b.written.Load(), Failed: b.failed.Load(), Flushes: b.flushes.Load()}
	for i := range b.shards {
		s := &b.shards[i]
		s.mu.Lock()
		st.Pending += len(s.pending)
		s.mu.Unlock()
	}
	return st
}
