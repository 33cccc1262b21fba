package main

import (
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

func TestFloorPercent(t *testing.T) {
	const mib = 1 << 20
	for _, c := range []struct {
		live, roots uint64
		want        int
	}{
		{0, 0, 800}, // the runtime's minimum heap, 4 MiB × 8, is then the goal
		{1 * mib, 0, 800},
		{1 * mib, 1 * mib, 800},
		{2 * mib, 2 * mib, 750},
		{8 * mib, 0, 300},
		{8 * mib, 4 * mib, 200},
		{15 * mib, 0, 113},
		{15 * mib, 4 * mib, 100}, // 15 + 19 × 0.89 would be below 32: Go's default is more
		{16 * mib, 0, 100},
		{500 * mib, 1 * mib, 100},
	} {
		got := floorPercent(c.live, c.roots, 32*mib)
		if got != c.want {
			t.Errorf("floorPercent(%d MiB, roots %d MiB) = %d, want %d", c.live/mib, c.roots/mib, got, c.want)
		}
		goal := max(c.live+(c.live+c.roots)*uint64(got)/100, minHeap*uint64(got)/100)
		if goal < 32*mib-mib/10 && goal < 2*c.live {
			t.Errorf("live %d MiB, roots %d MiB: goal %d bytes is below the floor", c.live/mib, c.roots/mib, goal)
		}
		if got > 100 && goal > 33*mib {
			t.Errorf("live %d MiB, roots %d MiB: goal %d bytes is above the floor", c.live/mib, c.roots/mib, goal)
		}
	}
}

// gcPercent returns the GC percent in force.
func gcPercent() int {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p
}

func TestGCRule(t *testing.T) {
	for _, c := range []struct {
		env       []string
		rule      string
		keepFloor bool
	}{
		{[]string{"GOGC=50"}, "GOGC=50", false},
		{[]string{"HOME=/root", "GOGC=off"}, "GOGC=off", false},
		{[]string{"HOME=/root", "GOGCX=1", "GOGC="}, "heap floor 32 MiB, else GOGC=100", true},
		{nil, "heap floor 32 MiB, else GOGC=100", true},
	} {
		if rule, keepFloor := gcRule(c.env); rule != c.rule || keepFloor != c.keepFloor {
			t.Errorf("gcRule(%q) = %q, %v; want %q, %v", c.env, rule, keepFloor, c.rule, c.keepFloor)
		}
	}
}

// TestTuneGC checks that the floor is applied after collections. The
// process's live heap is a few MiB here, far below it.
func TestTuneGC(t *testing.T) {
	before := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(before) })
	tuneGC(nil)
	deadline := time.Now().Add(5 * time.Second)
	for gcPercent() <= 100 {
		if time.Now().After(deadline) {
			t.Fatalf("GC percent still %d after collections; the floor was not applied", gcPercent())
		}
		runtime.GC()
		time.Sleep(5 * time.Millisecond)
	}
	// And after later collections too (the cleanup arms a new sentinel).
	debug.SetGCPercent(100)
	for gcPercent() <= 100 {
		if time.Now().After(deadline) {
			t.Fatal("the floor was applied once, not after every collection")
		}
		runtime.GC()
		time.Sleep(5 * time.Millisecond)
	}
}
