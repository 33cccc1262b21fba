package jobs

import (
	"context"
	"sync"
	"time"
)

// Scheduler runs jobs at intervals until Stop. The zero value is not
// usable: make one with NewScheduler.
type Scheduler struct {
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// NewScheduler returns a Scheduler with no jobs.
func NewScheduler() *Scheduler {
	ctx, cancel := context.WithCancel(context.Background())
	return &Scheduler{ctx: ctx, cancel: cancel}
}

// Every runs job every interval until Stop, which also cancels a job that
// is running.
func (s *Scheduler) Every(interval time.Duration, job func(ctx context.Context)) {
	s.wg.Go(func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-s.ctx.Done():
				return
			case <-t.C:
				job(s.ctx)
			}
		}
	})
}

// Stop cancels every job and waits until the running ones have returned.
func (s *Scheduler) Stop() {
	s.cancel()
	s.wg.Wait()
}

// Go runs job once in the background; Stop cancels its context and waits
// for it.
func (s *Scheduler) Go(job func(ctx context.Context)) {
	s.wg.Go(func() { job(s.ctx) })
}
