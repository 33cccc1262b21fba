package secret

import (
	"context"
	"runtime"
	"sync"
	"time"

	"github.com/latchkey/latchkey/internal/errs"
)

// Limiter bounds how many password hashes run at once
// (password.max_concurrent): each argon2id hash holds its memory (19 MiB by
// default) while it runs, so 500 parallel logins would otherwise hold
// gigabytes. A caller beyond the limit waits in a short queue; beyond the
// queue it is refused at once with an Unavailable error that asks it to
// retry, which the HTTP layer answers 503 with Retry-After.
type Limiter struct {
	slots      chan struct{}
	retryAfter time.Duration

	mu      sync.Mutex
	waiting int
	queue   int
}

// DefaultConcurrency is password.max_concurrent's default: every core but
// one (at least one hash). A login flood then leaves a core to everything
// else, above all to verifying the credentials that guard the platform.
func DefaultConcurrency() int { return max(runtime.GOMAXPROCS(0)-1, 1) }

// NewLimiter lets slots hashes run at once and queue more wait; a refused
// caller is asked to come back after retryAfter.
func NewLimiter(slots, queue int, retryAfter time.Duration) *Limiter {
	return &Limiter{slots: make(chan struct{}, max(slots, 1)), queue: max(queue, 0), retryAfter: retryAfter}
}

// Acquire takes a slot, waiting in the queue while every slot is taken,
// and returns the function that gives it back (call it once). It fails at
// once when the queue is full, with an Unavailable error whose RetryAfter
// is the limiter's, and with ctx's error when ctx ends while it waits. A
// nil Limiter lets every caller through.
func (l *Limiter) Acquire(ctx context.Context) (release func(), err error) {
	if l == nil {
		return func() {}, nil
	}
	select {
	case l.slots <- struct{}{}:
		return l.release, nil
	default:
	}
	l.mu.Lock()
	if l.waiting >= l.queue {
		l.mu.Unlock()
		return nil, errs.Busy("server", "Too many passwords are being checked at once; retry shortly.", l.retryAfter)
	}
	l.waiting++
	l.mu.Unlock()
	defer func() {
		l.mu.Lock()
		l.waiting--
		l.mu.Unlock()
	}()
	select {
	case l.slots <- struct{}{}:
		return l.release, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (l *Limiter) release() { <-l.slots }

// Running returns how many slots are taken.
func (l *Limiter) Running() int { return len(l.slots) }

// Waiting returns how many callers wait in the queue.
func (l *Limiter) Waiting() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.waiting
}
