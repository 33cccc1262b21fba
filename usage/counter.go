package usage

import (
	"context"
	"time"

	"github.com/latchkey/latchkey/internal/batch"
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

// Counter counts requests by app token, hour and outcome in memory and
// writes them in batches: Count touches memory only; Flush writes every
// bucket counted in since the previous Flush, once. Writes that fail are
// kept and retried by the next Flush. A Counter is one instance's share:
// several instances (processes) each run one over the same store, and
// their shares add up (Row).
type Counter struct {
	w   Writer
	now func() time.Time

	entries batch.Sharded[key, *entry]
	flusher batch.Flusher
}

// NewCounter returns a Counter that flushes to w; now is the clock that
// decides when a past hour's share may be forgotten.
func NewCounter(w Writer, now func() time.Time) *Counter {
	c := &Counter{w: w, now: now}
	c.entries.Init()
	return c
}

// Count records one request of app token id of tenant that ended with o at
// at. It never touches the store.
func (c *Counter) Count(tenantID string, id ids.ID, o Outcome, at time.Time) {
	k := key{tenant: tenantID, token: id, hour: at.Unix() / 3600}
	s := c.entries.Of(id)
	s.Mu.Lock()
	e := s.M[k]
	if e == nil {
		e = &entry{slot: ids.New()}
		s.M[k] = e
	}
	e.delta[o]++
	e.total[o]++
	s.Mu.Unlock()
}

// taken is an entry a Flush is writing, with the delta it took.
type taken struct {
	e     *entry
	shard *batch.Shard[key, *entry]
	delta Counts
}

// Flush writes every bucket counted in since the previous Flush, one
// Writer.Add per tenant (batch.Flush: a tenant whose write fails keeps its
// counts for the next Flush, and the error reports it).
func (c *Counter) Flush(ctx context.Context) error {
	var took map[string][]taken
	return batch.Flush(ctx, &c.flusher,
		func() map[string][]Row {
			var rows map[string][]Row
			rows, took = c.take()
			return rows
		},
		c.w.Add,
		func(tenant string, _ []Row) {
			for _, t := range took[tenant] {
				t.shard.Mu.Lock()
				t.e.delta.Add(t.delta)
				t.shard.Mu.Unlock()
			}
		})
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
	for i := range c.entries {
		s := &c.entries[i]
		s.Mu.Lock()
		for k, e := range s.M {
			if e.delta.IsZero() {
				if k.hour < keep {
					delete(s.M, k)
				}
				continue
			}
			rows[k.tenant] = append(rows[k.tenant], Row{Slot: e.slot, AppTokenID: k.token,
				Start: time.Unix(k.hour*3600, 0).UTC(), Delta: e.delta, Total: e.total})
			took[k.tenant] = append(took[k.tenant], taken{e: e, shard: s, delta: e.delta})
			e.delta = Counts{}
		}
		s.Mu.Unlock()
	}
	return rows, took
}

// Stats are the Counter's counters since it was made: Pending is the
// buckets with counts not yet written.
type Stats struct {
	batch.Stats
	Held int // buckets held in memory (written or not)
}

// Stats returns the counters.
func (c *Counter) Stats() Stats {
	var st Stats
	pending := 0
	for i := range c.entries {
		s := &c.entries[i]
		s.Mu.Lock()
		st.Held += len(s.M)
		for _, e := range s.M {
			if !e.delta.IsZero() {
				pending++
			}
		}
		s.Mu.Unlock()
	}
	st.Stats = c.flusher.Stats(pending)
	return st
}
