package ratelimit_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/errs"
	"github.com/latchkey/latchkey/internal/ratelimit"
)

// claims is a store of claims: an id is taken once.
type claims struct {
	mu       sync.Mutex
	taken    map[string]time.Time
	calls    int
	conflict int
	fail     error
}

func (c *claims) Claim(_ context.Context, tenantID, id string, expires time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls++
	if c.fail != nil {
		return c.fail
	}
	if c.taken == nil {
		c.taken = map[string]time.Time{}
	}
	if _, ok := c.taken[tenantID+"/"+id]; ok {
		c.conflict++
		return errs.E(errs.Conflict, "id", "taken")
	}
	c.taken[tenantID+"/"+id] = expires
	return nil
}

var t0 = time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC) // a multiple of 60 s

func TestLimitAndWindows(t *testing.T) {
	st := &claims{}
	l := &ratelimit.Limiter{Claims: st}
	p := ratelimit.Policy{Limit: 10, Seconds: 60}
	now := t0.Add(43 * time.Second)
	for i := range 10 {
		d, err := l.Allow(context.Background(), "t1", "tok", p, now)
		if err != nil || !d.Allowed {
			t.Fatalf("request %d: got %+v, %v, want allowed", i+1, d, err)
		}
		if d.Remaining != int64(9-i) {
			t.Errorf("request %d: remaining %d, want %d", i+1, d.Remaining, 9-i)
		}
	}
	calls := st.calls
	d, err := l.Allow(context.Background(), "t1", "tok", p, now)
	if err != nil || d.Allowed || d.Remaining != 0 || d.Reset != 17*time.Second {
		t.Fatalf("11th: got %+v, %v, want refused, 0 left, reset 17s", d, err)
	}
	if st.calls != calls {
		t.Errorf("a refused request asked the store (%d calls, want %d)", st.calls, calls)
	}
	if pol, state := d.Headers(); pol != `"default";q=10;w=60` || state != `"default";r=0;t=17` {
		t.Errorf("headers %q %q", pol, state)
	}
	// The next window starts afresh; another token has its own budget.
	if d, _ := l.Allow(context.Background(), "t1", "tok", p, t0.Add(60*time.Second)); !d.Allowed || d.Remaining != 9 {
		t.Errorf("next window: got %+v, want allowed, 9 left", d)
	}
	if d, _ := l.Allow(context.Background(), "t1", "other", p, now); !d.Allowed {
		t.Errorf("another token: got %+v, want allowed", d)
	}
	// A changed policy counts afresh.
	if d, _ := l.Allow(context.Background(), "t1", "tok", ratelimit.Policy{Limit: 11, Seconds: 60}, now); !d.Allowed {
		t.Errorf("changed policy: got %+v, want allowed", d)
	}
}

// TestInstancesShareTheBudget runs limiters on one store of claims, with
// requests spread over them in several patterns, and counts the admitted
// ones per window: never more than the limit, and (since every limiter
// sees each chunk its neighbours claimed) the losing path of a claim, a
// Conflict, runs every time two limiters meet.
func TestInstancesShareTheBudget(t *testing.T) {
	for _, n := range []int64{1, 2, 5, 7, 20, 99, 100, 1000, 12345} {
		for _, instances := range []int{2, 3} {
			st := &claims{}
			ls := make([]*ratelimit.Limiter, instances)
			for i := range ls {
				ls[i] = &ratelimit.Limiter{Claims: st}
			}
			p := ratelimit.Policy{Limit: n, Seconds: 10}
			for w := range int64(3) {
				admitted := int64(0)
				start := t0.Add(time.Duration(w*10) * time.Second)
				for i := range 3*n + 10 {
					l := ls[(i*7/3)%int64(instances)] // uneven spread
					now := start.Add(time.Duration(i%10_000) * time.Millisecond)
					d, err := l.Allow(context.Background(), "t", "tok", p, now)
					if err != nil {
						t.Fatal(err)
					}
					if d.Allowed {
						admitted++
					}
				}
				if admitted > n {
					t.Errorf("n=%d, %d instances, window %d: %d admitted, want at most %d", n, instances, w, admitted, n)
				}
				if want := n - int64(instances-1)*(ratelimit.ChunkSize(n)-1); admitted < want {
					t.Errorf("n=%d, %d instances, window %d: %d admitted, want at least %d", n, instances, w, admitted, want)
				}
			}
			if n >= 10 && st.conflict == 0 {
				t.Errorf("n=%d: no claim was ever refused: the losing path did not run", n)
			}
		}
	}
}

// TestConcurrentInstances is the same bound with the requests of several
// limiters racing each other (go test -race).
func TestConcurrentInstances(t *testing.T) {
	st := &claims{}
	a, b := &ratelimit.Limiter{Claims: st}, &ratelimit.Limiter{Claims: st}
	p := ratelimit.Policy{Limit: 200, Seconds: 60}
	var mu sync.Mutex
	admitted := 0
	var wg sync.WaitGroup
	for g := range 8 {
		l := a
		if g%2 == 1 {
			l = b
		}
		wg.Go(func() {
			for range 100 {
				d, err := l.Allow(context.Background(), "t", "tok", p, t0)
				if err != nil {
					t.Error(err)
					return
				}
				if d.Allowed {
					mu.Lock()
					admitted++
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if admitted > 200 || admitted < 200-int(ratelimit.ChunkSize(200)-1) {
		t.Errorf("%d admitted, want from %d to 200", admitted, 200-ratelimit.ChunkSize(200)+1)
	}
}

func TestStoreErrorIsNotCounted(t *testing.T) {
	st := &claims{fail: errs.E(errs.Unavailable, "", "down")}
	l := &ratelimit.Limiter{Claims: st}
	p := ratelimit.Policy{Limit: 5, Seconds: 60}
	if _, err := l.Allow(context.Background(), "t", "tok", p, t0); !errs.Is(err, errs.Unavailable) {
		t.Fatalf("got %v, want Unavailable", err)
	}
	st.fail = nil
	for i := range 5 {
		if d, err := l.Allow(context.Background(), "t", "tok", p, t0); err != nil || !d.Allowed {
			t.Fatalf("request %d after the outage: got %+v, %v", i+1, d, err)
		}
	}
	if d, _ := l.Allow(context.Background(), "t", "tok", p, t0); d.Allowed {
		t.Error("the failed claim gave away a chunk: 6 admitted of 5")
	}
}

func TestChunks(t *testing.T) {
	for n := int64(1); n <= 3000; n++ {
		c, k := ratelimit.ChunkSize(n), ratelimit.Chunks(n)
		if k > 20 || c < 1 || (k-1)*c >= n || k*c < n {
			t.Fatalf("n=%d: chunk %d × %d", n, c, k)
		}
	}
	if c := ratelimit.ChunkSize(ratelimit.MaxLimit); ratelimit.Chunks(ratelimit.MaxLimit) != 20 || c != 50_000 {
		t.Errorf("max: chunk %d", c)
	}
}

func TestPolicyCheck(t *testing.T) {
	for _, p := range []ratelimit.Policy{{0, 1}, {1, 0}, {ratelimit.MaxLimit + 1, 1}, {1, ratelimit.MaxSeconds + 1}, {-1, -1}} {
		if err := p.Check("rate_limit"); !errs.Is(err, errs.Invalid) {
			t.Errorf("%+v: got %v, want Invalid", p, err)
		}
	}
	for _, p := range []ratelimit.Policy{{1, 1}, {ratelimit.MaxLimit, ratelimit.MaxSeconds}} {
		if err := p.Check("rate_limit"); err != nil {
			t.Errorf("%+v: %v", p, err)
		}
	}
	_ = errors.New
}
