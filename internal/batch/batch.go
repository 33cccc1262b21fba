// Package batch is the write-behind mechanics that last_used times
// (internal/lastused) and usage counts (usage) share: requests record into
// memory sharded by token id, and a periodic Flush writes what was recorded
// since the previous one in groups (one store write per group), keeping
// what failed for the next Flush and giving up on the rest of a flush once
// the store is unavailable.
package batch

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"

	"github.com/latchkey/latchkey/internal/errs"
	"github.com/latchkey/latchkey/internal/ids"
)

// Shards is how many locks a batcher spreads its tokens over, so
// concurrent requests of different tokens rarely wait for each other.
const Shards = 16

// Shard is one lock's part of a batcher's memory.
type Shard[K comparable, V any] struct {
	Mu sync.Mutex
	M  map[K]V
}

// Sharded is a batcher's memory: Shards maps, each behind its own lock.
type Sharded[K comparable, V any] [Shards]Shard[K, V]

// Init makes every shard's map.
func (s *Sharded[K, V]) Init() {
	for i := range s {
		s[i].M = map[K]V{}
	}
}

// Of returns the shard of token id. The last bytes of an ObjectID are a
// counter, so they spread ids evenly.
func (s *Sharded[K, V]) Of(id ids.ID) *Shard[K, V] { return &s[id[len(id)-1]%Shards] }

// Stats are a batcher's counters since it was made.
type Stats struct {
	Pending int    // recorded and not yet written
	Written uint64 // rows written
	Failed  uint64 // rows not written (kept for the next flush)
	Flushes uint64 // flushes that had something to write
}

// Flusher counts a batcher's flushes and makes concurrent ones (the
// periodic one and the one at shutdown) take turns. The zero value is
// ready.
type Flusher struct {
	turn                     sync.Mutex
	written, failed, flushes atomic.Uint64
}

// Flush runs one flush of f: take empties the batcher's memory into groups
// of rows, write stores each group, and keep hands back the rows of a
// group that was not written, for the next flush. Once a write finds the
// store unavailable (or ctx done), no further group is tried and every one
// left is kept, so a flush against a dead store costs one store.timeout,
// not one per group. The error joins the writes' errors.
func Flush[G comparable, R any](ctx context.Context, f *Flusher, take func() map[G][]R,
	write func(context.Context, G, []R) error, keep func(G, []R)) error {
	f.turn.Lock()
	defer f.turn.Unlock()
	groups := take()
	if len(groups) == 0 {
		return nil
	}
	f.flushes.Add(1)
	var failures []error
	down := false
	for g, rows := range groups {
		if !down {
			err := write(ctx, g, rows)
			if err == nil {
				f.written.Add(uint64(len(rows)))
				continue
			}
			failures = append(failures, err)
			down = errs.Is(err, errs.Unavailable) || ctx.Err() != nil
		}
		f.failed.Add(uint64(len(rows)))
		keep(g, rows)
	}
	return errors.Join(failures...)
}

// Stats returns f's counters with pending, what the batcher holds unwritten.
func (f *Flusher) Stats(pending int) Stats {
	return Stats{Pending: pending, Written: f.written.Load(), Failed: f.failed.Load(), Flushes: f.flushes.Load()}
}
