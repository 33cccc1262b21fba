package usage

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/latchkey/latchkey/internal/errs"
	"github.com/latchkey/latchkey/internal/ids"
)

type key struct {
	tenant string
	token  ids.ID
	hour   int64 // Unix seconds / 3600
}

// entry is this Counter's share of one bucket.
type entry struct {
	slot  ids.ID
	delta Counts // counted since the last successful write
	total Counts // counted since the entry was made
}

// shards spread the buckets over several locks, so concurrent requests of
// different app tokens rarely wait for each other.
const shards = 16

type shard struct {
	mu      sync.Mutex
	entries map[key]*entry
}

// Counter counts requests by app token, hour and outcome in memory and
// writes them in batches: Count touches memory only; Flush writes every
// bucket counted in since the previous Flush, once. Writes that fail are
// kept and retried by the next Flush. A Counter is one instance's share:
// several instances (processes) each run one over the same store, and
// their shares add up (Row).
type Counter struct {
	w   Writer
	now func() time.Time

	shards [shards]shard
	// flushing makes concurrent Flush calls (the periodic one and the one
	// at Close) take turns.
	flushing sync.Mutex

	written, failed, flushes atomic.Uint64
}

// NewCounter returns a Counter that flushes to w; now is the clock that
// decides when a past hour's share may be forgotten.
func NewCounter(w Writer, now func() time.Time) *Counter {
	c := &Counter{w: w, now: now}
	for i := range c.shards {
		c.shards[i].entries = map[key]*entry{}
	}
	return c
}

// Count records one request of app token id of tenant that ended with o at
// at. It never touches the store.
func (c *Counter) Count(tenantID string, id ids.ID, o Outcome, at time.Time) {
	k := key{tenant: tenantID, token: id, hour: at.Unix() / 3600}
	s := &c.shards[id[len(id)-1]%shards] // the last bytes of an ObjectID are a counter
	s.mu.Lock()
	e := s.entries[k]
	if e == nil {
		e = &entry{slot: ids.New()}
		s.entries[k] = e
	}
	e.delta[o]++
	e.total[o]++
	s.mu.Unlock()
}

// taken is an entry a Flush is writing, with the delta it took.
type taken struct {
	e     *entry
	shard *shard
	delta Counts
}

// Flush writes every bucket counted in since the previous Flush, one
// Writer.Add per tenant. A tenant whose write fails keeps its counts for
// the next Flush; the error reports it. Once the store is unavailable,
// Flush writes no further tenant, so a flush against a dead store costs
// one store.timeout, not one per tenant.
func (c *Counter) Flush(ctx context.Context) error {
	c.flushing.Lock()
	defer c.flushing.Unlock()
	rows, took := c.take()
	if len(rows) == 0 {
		return nil
	}
	c.flushes.Add(1)
	var failures []error
	down := false
	for tenant, list := range rows {
		var err error
		if !down {
			err = c.w.Add(ctx, tenant, list)
		}
		if err == nil && !down {
			c.written.Add(uint64(len(list)))
			continue
		}
		if err != nil {
			failures = append(failures, err)
			down = errs.Is(err, errs.Unavailable) || ctx.Err() != nil
		}
		c.failed.Add(uint64(len(list)))
		for _, t := range took[tenant] {
			t.shard.mu.Lock()
			t.e.delta.Add(t.delta)
			t.shard.mu.Unlock()
		}
	}
	return errors.Join(failures...)
}

// take returns, by tenant, the rows of every entry counted in since the
// previous take, and zeroes their deltas. It forgets the entries of hours
// before the previous one that were written whole by an earlier Flush: a
// request counted in such an hour later (a clock moved back, a request
// that took an hour) makes a new share with a new slot, so it adds to the
// bucket rather than overwrite what was written.
func (c *Counter) take() (map[string][]Row, map[string][]taken) {
	rows := map[string][]Row{}
	took := map[string][]taken{}
	keep := c.now().Unix()/3600 - 1
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		for k, e := range s.entries {
			if e.delta.IsZero() {
				if k.hour < keep {
					delete(s.entries, k)
				}
				continue
			}
			rows[k.tenant] = append(rows[k.tenant], Row{Slot: e.slot, AppTokenID: k.token,
				Start: time.Unix(k.hour*3600, 0).UTC(), Delta: e.delta, Total: e.total})
			took[k.tenant] = append(took[k.tenant], taken{e: e, shard: s, delta: e.delta})
			e.delta = Counts{}
		}
		s.mu.Unlock()
	}
	return rows, took
}

// Stats are the Counter's counters since it was made.
type Stats struct {
	Pending int    // buckets with counts not yet written
	Held    int    // buckets held in memory (written or not)
	Written uint64 // bucket rows written
	Failed  uint64 // bucket rows not written (kept for the next flush)
	Flushes uint64 // flushes that had something to write
}

// Stats returns the counters.
func (c *Counter) Stats() Stats {
	st := Stats{Written: c.written.Load(), Failed: c.failed.Load(), Flushes: c.flushes.Load()}
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		st.Held += len(s.entries)
		for _, e := range s.entries {
			if !e.delta.IsZero() {
				st.Pending++
			}
		}
		s.mu.Unlock()
	}
	return st
}
