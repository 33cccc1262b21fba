package secret_test

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/errs"
	"github.com/latchkey/latchkey/internal/secret"
)

// waitUntil yields until cond holds; it synchronises with goroutines, it
// measures nothing.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for i := 0; !cond(); i++ {
		if i > 100000 {
			t.Fatalf("never: %s", what)
		}
		runtime.Gosched()
		if i > 1000 {
			time.Sleep(time.Millisecond)
		}
	}
}

// Hold every slot, fill the queue, and the next caller is refused at once
// with 503's error and Retry-After; a released slot goes to a waiter.
func TestLimiterQueueThenRefuse(t *testing.T) {
	const slots, queue = 3, 2
	l := secret.NewLimiter(slots, queue, 2*time.Second)
	ctx := context.Background()
	var held []func()
	for range slots {
		release, err := l.Acquire(ctx)
		if err != nil {
			t.Fatalf("a free slot: %v", err)
		}
		held = append(held, release)
	}
	got := make(chan func(), queue)
	for range queue {
		go func() {
			release, err := l.Acquire(ctx)
			if err != nil {
				t.Errorf("a queued caller: %v", err)
			}
			got <- release
		}()
	}
	waitUntil(t, "the queue fills", func() bool { return l.Waiting() == queue })
	if l.Running() != slots {
		t.Fatalf("got %d running, want %d", l.Running(), slots)
	}

	// The slots+queue+1-th caller. Its context has ended already, so a
	// limiter that queued it instead of refusing it answers with the
	// context's error instead of hanging the test.
	ended, cancel := context.WithCancel(ctx)
	cancel()
	_, err := l.Acquire(ended)
	e, ok := errs.As(err)
	if !ok || e.Code != errs.Unavailable || e.RetryAfter != 2*time.Second {
		t.Fatalf("beyond the queue: got %v, want Unavailable with RetryAfter 2s", err)
	}
	if l.Waiting() != queue {
		t.Errorf("the refused caller changed the queue: %d waiting", l.Waiting())
	}

	held[0]()
	first := <-got
	waitUntil(t, "a waiter takes the slot", func() bool { return l.Waiting() == queue-1 })
	if l.Running() != slots {
		t.Errorf("got %d running, want %d", l.Running(), slots)
	}
	// With a place free in the queue, a new caller waits instead of failing.
	done := make(chan error, 1)
	go func() {
		release, err := l.Acquire(ctx)
		if err == nil {
			release()
		}
		done <- err
	}()
	waitUntil(t, "the new caller queues", func() bool { return l.Waiting() == queue })
	first()
	for _, r := range held[1:] {
		r()
	}
	(<-got)()
	if err := <-done; err != nil {
		t.Errorf("the queued caller: %v", err)
	}
	waitUntil(t, "everything is released", func() bool { return l.Running() == 0 && l.Waiting() == 0 })
}

// A waiter whose request ends leaves the queue with its context's error.
func TestLimiterWaiterGivesUp(t *testing.T) {
	l := secret.NewLimiter(1, 1, time.Second)
	release, _ := l.Acquire(context.Background())
	defer release()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := l.Acquire(ctx)
		done <- err
	}()
	waitUntil(t, "the caller queues", func() bool { return l.Waiting() == 1 })
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
	if l.Waiting() != 0 {
		t.Errorf("got %d waiting, want 0", l.Waiting())
	}
}

// Under any number of callers, no more than slots hold a slot at once.
func TestLimiterNeverExceedsSlots(t *testing.T) {
	const slots = 2
	l := secret.NewLimiter(slots, 1000, time.Second)
	var now, peak atomic.Int32
	var wg sync.WaitGroup
	for range 200 {
		wg.Go(func() {
			release, err := l.Acquire(context.Background())
			if err != nil {
				t.Error(err)
				return
			}
			n := now.Add(1)
			for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
			}
			runtime.Gosched()
			now.Add(-1)
			release()
		})
	}
	wg.Wait()
	if peak.Load() > slots {
		t.Errorf("got %d at once, want at most %d", peak.Load(), slots)
	}
}

func TestDefaultConcurrency(t *testing.T) {
	if got, want := secret.DefaultConcurrency(), max(runtime.GOMAXPROCS(0)-1, 1); got != want {
		t.Errorf("got %d, want every core but one (%d)", got, want)
	}
}
