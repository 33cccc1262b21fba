package lastused_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/errs"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/lastused"
)

// fakeWriter records every write; it fails with err (or a plain error) while
// fail is set.
type fakeWriter struct {
	mu     sync.Mutex
	fail   bool
	err    error
	writes map[string][]lastused.Use // "tenant/collection" → uses, in write order
	calls  int
}

func (f *fakeWriter) Write(_ context.Context, tenant, coll string, uses []lastused.Use) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.fail {
		if f.err != nil {
			return f.err
		}
		return errors.New("write failed")
	}
	if f.writes == nil {
		f.writes = map[string][]lastused.Use{}
	}
	f.writes[tenant+"/"+coll] = append(f.writes[tenant+"/"+coll], uses...)
	return nil
}

func TestBatcherWritesLatestUseOnce(t *testing.T) {
	w := &fakeWriter{}
	b := lastused.New(w)
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tok, app := ids.New(), ids.New()
	for i := range 100 {
		b.Used("tenanta1", "tokens", tok, t0.Add(time.Duration(i)*time.Second))
		b.Used("tenanta1", "app_tokens", app, t0)
	}
	b.Used("tenanta1", "tokens", tok, t0) // an older use reported late changes nothing
	if got := b.Stats().Pending; got != 2 {
		t.Fatalf("got %d pending, want 2", got)
	}
	if err := b.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := w.writes["tenanta1/tokens"]
	if len(got) != 1 || got[0].ID != tok || !got[0].At.Equal(t0.Add(99*time.Second)) {
		t.Fatalf("tokens writes: got %v, want one write of %s at +99s", got, tok.Hex())
	}
	if got := w.writes["tenanta1/app_tokens"]; len(got) != 1 || got[0].ID != app {
		t.Fatalf("app_tokens writes: got %v, want one", got)
	}
	// Nothing was used since: the next flush writes nothing.
	calls := w.calls
	if err := b.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if w.calls != calls {
		t.Fatalf("an idle flush wrote: got %d calls, want %d", w.calls, calls)
	}
	if st := b.Stats(); st.Written != 2 || st.Pending != 0 || st.Flushes != 1 {
		t.Fatalf("got stats %+v, want 2 written, 0 pending, 1 flush", st)
	}
}

func TestBatcherKeepsFailedWritesForRetry(t *testing.T) {
	w := &fakeWriter{fail: true}
	b := lastused.New(w)
	t0 := time.Now()
	id := ids.New()
	b.Used("tenanta1", "tokens", id, t0)
	if err := b.Flush(context.Background()); err == nil {
		t.Fatal("got no error from a failing write")
	}
	if st := b.Stats(); st.Pending != 1 || st.Failed != 1 {
		t.Fatalf("got stats %+v, want 1 pending, 1 failed", st)
	}
	b.Used("tenanta1", "tokens", id, t0.Add(time.Second)) // newer use while the store was down
	w.fail = false
	if err := b.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := w.writes["tenanta1/tokens"]; len(got) != 1 || !got[0].At.Equal(t0.Add(time.Second)) {
		t.Fatalf("got writes %v, want one of the newer use", got)
	}
}

// TestBatcherStopsWhenStoreUnavailable checks that a flush against a dead
// store tries one write, not one per tenant, and keeps every use.
func TestBatcherStopsWhenStoreUnavailable(t *testing.T) {
	w := &fakeWriter{fail: true, err: errs.E(errs.Unavailable, "store", "down")}
	b := lastused.New(w)
	for _, tenant := range []string{"tenanta1", "tenantb2", "tenantc3"} {
		b.Used(tenant, "tokens", ids.New(), time.Now())
	}
	if err := b.Flush(context.Background()); !errs.Is(err, errs.Unavailable) {
		t.Fatalf("got %v, want unavailable", err)
	}
	if w.calls != 1 {
		t.Fatalf("got %d writes, want 1", w.calls)
	}
	if st := b.Stats(); st.Pending != 3 {
		t.Fatalf("got %d pending, want 3", st.Pending)
	}
}

// TestBatcherConcurrent runs Used from many goroutines while flushing; under
// -race it checks the locking, and every token used ends up written.
func TestBatcherConcurrent(t *testing.T) {
	w := &fakeWriter{}
	b := lastused.New(w)
	toks := make([]ids.ID, 64)
	for i := range toks {
		toks[i] = ids.New()
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 2000 {
				b.Used("tenanta1", "tokens", toks[(g+i)%len(toks)], time.Now())
			}
		})
	}
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			default:
				_ = b.Flush(context.Background())
			}
		}
	}()
	wg.Wait()
	close(done)
	if err := b.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	seen := map[ids.ID]bool{}
	for _, u := range w.writes["tenanta1/tokens"] {
		seen[u.ID] = true
	}
	if len(seen) != len(toks) {
		t.Fatalf("got %d tokens written, want %d", len(seen), len(toks))
	}
}

func BenchmarkUsed(b *testing.B) {
	r := lastused.New(&fakeWriter{})
	id := ids.New()
	now := time.Now()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r.Used("tenanta1", "tokens", id, now)
		}
	})
}
