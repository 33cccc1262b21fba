package batch

import (
	"context"
	"errors"
	"testing"

	"github.com/latchkey/latchkey/internal/errs"
)

// TestFlushKeepsWhatFailed: a group whose write fails is handed back to
// keep and counted as failed; the others are written.
func TestFlushKeepsWhatFailed(t *testing.T) {
	var f Flusher
	groups := map[string][]int{"a": {1, 2}, "b": {3}}
	kept := map[string][]int{}
	err := Flush(context.Background(), &f, func() map[string][]int { return groups },
		func(_ context.Context, g string, _ []int) error {
			if g == "b" {
				return errors.New("conflict")
			}
			return nil
		},
		func(g string, rows []int) { kept[g] = rows })
	if err == nil {
		t.Fatal("Flush: got no error, want the failed write's")
	}
	if len(kept) != 1 || len(kept["b"]) != 1 {
		t.Errorf("kept: got %v, want b's row", kept)
	}
	if st := f.Stats(7); st != (Stats{Pending: 7, Written: 2, Failed: 1, Flushes: 1}) {
		t.Errorf("stats: got %+v", st)
	}
}

// TestFlushStopsAtAnUnavailableStore: once a write finds the store
// unavailable, no further group is written and every one is kept.
func TestFlushStopsAtAnUnavailableStore(t *testing.T) {
	var f Flusher
	groups := map[int][]int{1: {1}, 2: {2}, 3: {3}}
	writes, kept := 0, 0
	_ = Flush(context.Background(), &f, func() map[int][]int { return groups },
		func(context.Context, int, []int) error {
			writes++
			return errs.E(errs.Unavailable, "", "down")
		},
		func(int, []int) { kept++ })
	if writes != 1 || kept != 3 {
		t.Errorf("got %d writes and %d groups kept, want 1 and 3", writes, kept)
	}
}

// TestFlushOfNothing counts no flush.
func TestFlushOfNothing(t *testing.T) {
	var f Flusher
	err := Flush(context.Background(), &f, func() map[int][]int { return nil },
		func(context.Context, int, []int) error { t.Fatal("write called"); return nil },
		func(int, []int) {})
	if err != nil || f.Stats(0).Flushes != 0 {
		t.Errorf("got %v and %+v", err, f.Stats(0))
	}
}
