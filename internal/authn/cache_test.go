package authn

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/access"
	"github.com/latchkey/latchkey/internal/errs"
)

var ctx = context.Background()

// clock is a clock the cache tests move.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// loader counts how often the cache goes to the store.
type loader struct {
	calls int
	cred  access.AppCredential
	err   error
}

func (l *loader) load(context.Context) (access.AppCredential, error) {
	l.calls++
	return l.cred, l.err
}

func newTestCache(ttl time.Duration, size int) (*Cache, *clock) {
	clk := &clock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	return NewCache(ttl, size, clk.Now), clk
}

func TestCacheHit(t *testing.T) {
	c, _ := newTestCache(2*time.Second, 10)
	l := &loader{cred: access.AppCredential{TenantID: "aaaaaaaa", TenantActive: true}}
	for i := range 3 {
		got, err := c.app(ctx, "aaaaaaaa", "h1", l.load)
		if err != nil || got.TenantID != "aaaaaaaa" {
			t.Fatalf("call %d: got %+v, %v", i, got, err)
		}
	}
	if l.calls != 1 {
		t.Errorf("got %d loads, want 1", l.calls)
	}
	if c.Len() != 1 {
		t.Errorf("got %d entries, want 1", c.Len())
	}
}

func TestCacheUserCredentials(t *testing.T) {
	c, _ := newTestCache(time.Second, 10)
	calls := 0
	load := func(context.Context) (access.UserCredential, error) {
		calls++
		return access.UserCredential{Username: "ann", Role: access.Admin, UserActive: true}, nil
	}
	for range 2 {
		if got, err := c.user(ctx, "aaaaaaaa", "u1", load); err != nil || got.Username != "ann" {
			t.Fatalf("got %+v, %v, want ann", got, err)
		}
	}
	if calls != 1 {
		t.Errorf("got %d loads, want 1", calls)
	}
}

func TestCacheTTLExpiry(t *testing.T) {
	c, clk := newTestCache(2*time.Second, 10)
	l := &loader{}
	c.app(ctx, "aaaaaaaa", "h1", l.load)
	clk.Advance(1999 * time.Millisecond)
	c.app(ctx, "aaaaaaaa", "h1", l.load)
	if l.calls != 1 {
		t.Fatalf("before the ttl: got %d loads, want 1", l.calls)
	}
	clk.Advance(time.Millisecond)
	c.app(ctx, "aaaaaaaa", "h1", l.load)
	if l.calls != 2 {
		t.Errorf("at the ttl: got %d loads, want 2", l.calls)
	}
}

func TestCacheDoesNotKeepErrors(t *testing.T) {
	c, _ := newTestCache(time.Second, 10)
	l := &loader{err: errs.E(errs.NotFound, "token", "No such token.")}
	for range 2 {
		if _, err := c.app(ctx, "aaaaaaaa", "h1", l.load); !errs.Is(err, errs.NotFound) {
			t.Fatalf("got %v, want not found", err)
		}
	}
	if l.calls != 2 || c.Len() != 0 {
		t.Errorf("got %d loads and %d entries, want 2 and 0", l.calls, c.Len())
	}
	l.err = errors.New("store down")
	if _, err := c.app(ctx, "aaaaaaaa", "h1", l.load); err == nil {
		t.Error("got nil, want the load's error")
	}
}

func TestCacheInvalidateDropsOneTenant(t *testing.T) {
	c, _ := newTestCache(time.Minute, 10)
	a, b := &loader{}, &loader{}
	c.app(ctx, "aaaaaaaa", "ha", a.load)
	c.app(ctx, "bbbbbbbb", "hb", b.load)
	c.Invalidate("aaaaaaaa")
	c.app(ctx, "aaaaaaaa", "ha", a.load)
	c.app(ctx, "bbbbbbbb", "hb", b.load)
	if a.calls != 2 {
		t.Errorf("invalidated tenant: got %d loads, want 2", a.calls)
	}
	if b.calls != 1 {
		t.Errorf("other tenant: got %d loads, want 1 (still cached)", b.calls)
	}
}

// An entry is only good for the tenant it was loaded for.
func TestCacheEntryIsPerTenant(t *testing.T) {
	c, _ := newTestCache(time.Minute, 10)
	l := &loader{}
	c.app(ctx, "aaaaaaaa", "h", l.load)
	c.app(ctx, "bbbbbbbb", "h", l.load)
	if l.calls != 2 {
		t.Errorf("got %d loads, want 2", l.calls)
	}
}

func TestCacheSizeBound(t *testing.T) {
	for _, size := range []int{1, 8, 100} {
		c, _ := newTestCache(time.Minute, size)
		l := &loader{}
		for i := range 3 * size {
			c.app(ctx, "aaaaaaaa", fmt.Sprint("h", i), l.load)
			if n := c.Len(); n > size {
				t.Fatalf("size %d: got %d entries after %d loads", size, n, i+1)
			}
		}
		if c.Len() == 0 {
			t.Errorf("size %d: the cache holds nothing", size)
		}
	}
}

func TestCacheTTLZeroDisables(t *testing.T) {
	c, _ := newTestCache(0, 10)
	l := &loader{}
	for range 3 {
		c.app(ctx, "aaaaaaaa", "h1", l.load)
	}
	if l.calls != 3 || c.Len() != 0 {
		t.Errorf("got %d loads and %d entries, want 3 and 0", l.calls, c.Len())
	}
}

// A load that raced an Invalidate may have read the old state: it is
// answered but not kept.
func TestCacheLoadRacingInvalidateIsNotKept(t *testing.T) {
	c, _ := newTestCache(time.Minute, 10)
	l := &loader{}
	racing := func(ctx context.Context) (access.AppCredential, error) {
		c.Invalidate("aaaaaaaa") // a change lands while the store is read
		return l.load(ctx)
	}
	if _, err := c.app(ctx, "aaaaaaaa", "h1", racing); err != nil {
		t.Fatal(err)
	}
	if c.Len() != 0 {
		t.Errorf("got %d entries, want 0: the racing load was cached", c.Len())
	}
	c.app(ctx, "aaaaaaaa", "h1", l.load)
	if l.calls != 2 {
		t.Errorf("got %d loads, want 2", l.calls)
	}
	// A race in another tenant does not matter.
	other := func(ctx context.Context) (access.AppCredential, error) {
		c.Invalidate("bbbbbbbb")
		return l.load(ctx)
	}
	c.app(ctx, "aaaaaaaa", "h2", other)
	if c.Len() != 2 {
		t.Errorf("got %d entries, want 2", c.Len())
	}
}

func TestCacheConcurrentUse(t *testing.T) {
	c, clk := newTestCache(time.Second, 50)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 500 {
				tenant := fmt.Sprint("t", i%3)
				c.app(ctx, tenant, fmt.Sprint("h", g, i%70), func(context.Context) (access.AppCredential, error) { return access.AppCredential{}, nil })
				if i%50 == 0 {
					c.Invalidate(tenant)
					clk.Advance(100 * time.Millisecond)
				}
			}
		})
	}
	wg.Wait()
	if c.Len() > 50 {
		t.Errorf("got %d entries, want at most 50", c.Len())
	}
}

// A read that began before a change to its tenant is not joined by requests
// made after the change: they read again (revocation from the next
// request on).
func TestCacheFlightNotJoinedAcrossInvalidate(t *testing.T) {
	for _, ttl := range []time.Duration{time.Minute, 0} {
		c, _ := newTestCache(ttl, 10)
		var reads atomic.Int64
		gate := make(chan struct{})
		load := func(context.Context) (access.AppCredential, error) {
			reads.Add(1)
			<-gate
			return access.AppCredential{TenantID: "aaaaaaaa"}, nil
		}
		first := make(chan error)
		go func() {
			_, err := c.app(ctx, "aaaaaaaa", "h1", load)
			first <- err
		}()
		for reads.Load() == 0 {
			time.Sleep(time.Millisecond)
		}
		c.Invalidate("aaaaaaaa")
		second := make(chan error)
		go func() {
			_, err := c.app(ctx, "aaaaaaaa", "h1", load)
			second <- err
		}()
		for reads.Load()+int64(c.Waiting()) < 2 {
			time.Sleep(time.Millisecond)
		}
		close(gate)
		if err := errors.Join(<-first, <-second); err != nil {
			t.Fatal(err)
		}
		if got := reads.Load(); got != 2 {
			t.Errorf("ttl %v: got %d reads, want 2: a request after Invalidate joined the older read", ttl, got)
		}
	}
}

// The load runs detached from the cancellation of the request that started
// it: when that client hangs up, the others waiting still get the result.
func TestCacheLoadOutlivesItsCaller(t *testing.T) {
	c, _ := newTestCache(time.Minute, 10)
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err := c.app(cctx, "aaaaaaaa", "h1", func(ctx context.Context) (access.AppCredential, error) {
		return access.AppCredential{}, ctx.Err()
	})
	if err != nil {
		t.Errorf("got %v, want the load to run with a live context", err)
	}
}
