// Package lastused keeps every token's last_used time without a write per
// request: the authenticating middleware reports each use to a Batcher, which
// holds the latest time per token in memory, and a periodic Flush writes each
// token that was used since the last flush once, with a $max update.
package lastused

import (
	"context"
	"time"

	"github.com/latchkey/latchkey/internal/batch"
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

// Batcher implements authn.Recorder. Used only touches memory; Flush writes
// what was used since the previous Flush, one update per token, so calling
// Flush once per tokens.last_used_flush writes each token at most once per
// that interval. Writes that fail are kept and retried by the next Flush.
type Batcher struct {
	w       Writer
	pending batch.Sharded[key, time.Time]
	flusher batch.Flusher
}

// New returns a Batcher that flushes to w.
func New(w Writer) *Batcher {
	b := &Batcher{w: w}
	b.pending.Init()
	return b
}

// Used records that token id of collection in tenant was used at at. It
// implements authn.Recorder and never touches the store.
func (b *Batcher) Used(tenantID, collection string, id ids.ID, at time.Time) {
	k := key{tenant: tenantID, collection: collection, id: id}
	s := b.pending.Of(id)
	s.Mu.Lock()
	if prev, ok := s.M[k]; !ok || at.After(prev) {
		s.M[k] = at
	}
	s.Mu.Unlock()
}

// Flush writes every pending use, one update per token, grouped by tenant
// and collection (batch.Flush: what fails stays pending, unless a newer use
// came in meanwhile, and the error reports it).
func (b *Batcher) Flush(ctx context.Context) error {
	return batch.Flush(ctx, &b.flusher, b.take,
		func(ctx context.Context, g group, uses []Use) error {
			return b.w.Write(ctx, g.tenant, g.collection, uses)
		},
		func(g group, uses []Use) {
			for _, u := range uses {
				b.Used(g.tenant, g.collection, u.ID, u.At)
			}
		})
}

type group struct{ tenant, collection string }

// take empties the shards and returns their uses by tenant and collection.
func (b *Batcher) take() map[group][]Use {
	batches := map[group][]Use{}
	for i := range b.pending {
		s := &b.pending[i]
		s.Mu.Lock()
		taken := s.M
		if len(taken) == 0 {
			s.Mu.Unlock()
			continue
		}
		s.M = make(map[key]time.Time, len(taken))
		s.Mu.Unlock()
		for k, at := range taken {
			g := group{k.tenant, k.collection}
			batches[g] = append(batches[g], Use{ID: k.id, At: at})
		}
	}
	return batches
}

// Stats returns the counters; Pending is the tokens used since their last
// successful write.
func (b *Batcher) Stats() batch.Stats {
	pending := 0
	for i := range b.pending {
		s := &b.pending[i]
		s.Mu.Lock()
		pending += len(s.M)
		s.Mu.Unlock()
	}
	return b.flusher.Stats(pending)
}
