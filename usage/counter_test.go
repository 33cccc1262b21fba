package usage_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/errs"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/usage"
)

// fakeStore keeps what flushes wrote both ways the engines do: the sum of
// the deltas per bucket (SQLite) and each slot's latest total (MongoDB),
// summed per bucket when read. It fails while fail is set.
type fakeStore struct {
	mu     sync.Mutex
	fail   error
	calls  int
	deltas map[bkey]usage.Counts
	slots  map[ids.ID]slotDoc
}

type bkey struct {
	tenant string
	token  ids.ID
	start  time.Time
}

type slotDoc struct {
	b     bkey
	total usage.Counts
}

func newFake() *fakeStore {
	return &fakeStore{deltas: map[bkey]usage.Counts{}, slots: map[ids.ID]slotDoc{}}
}

func (f *fakeStore) Add(_ context.Context, tenant string, rows []usage.Row) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.fail != nil {
		return f.fail
	}
	for _, r := range rows {
		k := bkey{tenant, r.AppTokenID, r.Start}
		c := f.deltas[k]
		c.Add(r.Delta)
		f.deltas[k] = c
		f.slots[r.Slot] = slotDoc{k, r.Total}
	}
	return nil
}

// bucket returns a bucket's counts as both engines would read them; the
// test fails when they differ.
func (f *fakeStore) bucket(t *testing.T, tenant string, token ids.ID, start time.Time) usage.Counts {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	k := bkey{tenant, token, start}
	var summed usage.Counts
	for _, d := range f.slots {
		if d.b == k {
			summed.Add(d.total)
		}
	}
	if summed != f.deltas[k] {
		t.Fatalf("bucket %v: the slots sum to %v, the deltas to %v", start, summed, f.deltas[k])
	}
	return summed
}

type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now }

var t0 = time.Date(2031, 3, 4, 5, 6, 7, 0, time.UTC)

func TestCounterCountsInMemoryUntilFlush(t *testing.T) {
	f, c := newFake(), &clock{t0}
	n := usage.NewCounter(f, c.Now)
	tok := ids.New()
	n.Count("acme", tok, usage.OK, c.now)
	n.Count("acme", tok, usage.OK, c.now)
	n.Count("acme", tok, usage.Denied, c.now)
	if f.calls != 0 {
		t.Fatalf("the store was written %d times before a flush", f.calls)
	}
	if st := n.Stats(); st.Pending != 1 {
		t.Fatalf("got %+v, want one bucket pending", st)
	}
	if err := n.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	hour := t0.Truncate(time.Hour)
	if got, want := f.bucket(t, "acme", tok, hour), (usage.Counts{2, 1, 0}); got != want {
		t.Fatalf("got %v, want %v", got, want)
	}
	// A flush with nothing new writes nothing.
	if err := n.Flush(context.Background()); err != nil || f.calls != 1 {
		t.Fatalf("an empty flush wrote (%d calls, %v)", f.calls, err)
	}
	// The next hour is a bucket of its own; the first one gets more.
	n.Count("acme", tok, usage.OK, t0)
	c.now = t0.Add(time.Hour)
	n.Count("acme", tok, usage.RateLimited, c.now)
	if err := n.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got, want := f.bucket(t, "acme", tok, hour), (usage.Counts{3, 1, 0}); got != want {
		t.Fatalf("first hour: got %v, want %v", got, want)
	}
	if got, want := f.bucket(t, "acme", tok, hour.Add(time.Hour)), (usage.Counts{0, 0, 1}); got != want {
		t.Fatalf("second hour: got %v, want %v", got, want)
	}
}

// TestCounterInstancesAddUp: two Counters (two instances) counting the same
// token in the same hour write shares that add up, on both engines' ways.
func TestCounterInstancesAddUp(t *testing.T) {
	f, c := newFake(), &clock{t0}
	a, b := usage.NewCounter(f, c.Now), usage.NewCounter(f, c.Now)
	tok := ids.New()
	for range 3 {
		a.Count("acme", tok, usage.OK, t0)
	}
	b.Count("acme", tok, usage.OK, t0)
	b.Count("acme", tok, usage.Denied, t0)
	for _, n := range []*usage.Counter{a, b, a} {
		n.Count("acme", tok, usage.OK, t0)
		if err := n.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := f.bucket(t, "acme", tok, t0.Truncate(time.Hour)), (usage.Counts{7, 1, 0}); got != want {
		t.Fatalf("got %v, want %v", got, want)
	}
}

// TestCounterKeepsFailedWrites: a flush that fails keeps its counts (and
// what came in meanwhile) for the next one; an unavailable store stops the
// flush after one tenant.
func TestCounterKeepsFailedWrites(t *testing.T) {
	f, c := newFake(), &clock{t0}
	n := usage.NewCounter(f, c.Now)
	tok, other := ids.New(), ids.New()
	n.Count("acme", tok, usage.OK, t0)
	n.Count("globex", other, usage.OK, t0)
	f.fail = errs.E(errs.Unavailable, "store", "down")
	err := n.Flush(context.Background())
	if !errs.Is(err, errs.Unavailable) {
		t.Fatalf("got %v, want Unavailable", err)
	}
	if f.calls != 1 {
		t.Fatalf("got %d writes against a store that is down, want 1", f.calls)
	}
	if st := n.Stats(); st.Pending != 2 || st.Failed != 2 {
		t.Fatalf("got %+v, want both buckets kept", st)
	}
	n.Count("acme", tok, usage.Denied, t0)
	f.fail = nil
	if err := n.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got, want := f.bucket(t, "acme", tok, t0.Truncate(time.Hour)), (usage.Counts{1, 1, 0}); got != want {
		t.Fatalf("acme: got %v, want %v", got, want)
	}
	if got, want := f.bucket(t, "globex", other, t0.Truncate(time.Hour)), (usage.Counts{1, 0, 0}); got != want {
		t.Fatalf("globex: got %v, want %v", got, want)
	}
	f.fail = errors.New("disk full")
	n.Count("acme", tok, usage.OK, t0)
	if err := n.Flush(context.Background()); err == nil {
		t.Fatal("a failed write was not reported")
	}
}

// TestCounterForgetsPastHours: a written share of an hour before the
// previous one is dropped from memory; a late request of that hour makes a
// new share that adds to what was written instead of overwriting it.
func TestCounterForgetsPastHours(t *testing.T) {
	f, c := newFake(), &clock{t0}
	n := usage.NewCounter(f, c.Now)
	tok := ids.New()
	for range 5 {
		n.Count("acme", tok, usage.OK, t0)
	}
	if err := n.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	c.now = t0.Add(2 * time.Hour)
	n.Count("acme", tok, usage.OK, c.now)
	if err := n.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st := n.Stats(); st.Held != 1 {
		t.Fatalf("got %+v, want only the current hour held", st)
	}
	n.Count("acme", tok, usage.Denied, t0) // late
	if err := n.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got, want := f.bucket(t, "acme", tok, t0.Truncate(time.Hour)), (usage.Counts{5, 1, 0}); got != want {
		t.Fatalf("got %v, want %v", got, want)
	}
}
