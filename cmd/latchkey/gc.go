package main

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
)

// heapFloor is the least heap goal serve gives the garbage collector when
// the environment sets no GOGC. Go's default (GOGC=100) collects each time
// the heap has grown by the live heap, and never below 4 MiB: Latchkey's
// live heap is one to a few MiB (cached credentials, buffers), so under
// load it collected 45-65 times a second, each cycle followed by page
// faults as freed pages were returned to the system and touched again
// (docs/PERFORMANCE.md, "The garbage collector": /verify cost 62-69 us of
// CPU, 45 us with the floor). With the floor a small heap is collected
// once it reaches 32 MiB, and a heap whose live part is half of that or
// more (password hashes in flight, a large cache) as Go's default would:
// the floor adds at most 32 MiB to the heap, whatever the load. GOGC in
// the environment replaces it; GOMEMLIMIT bounds the heap either way.
const heapFloor = 32 << 20

// tuneGC keeps the collector's heap goal at heapFloor or more unless env
// sets GOGC, and says which rule is in force for the log.
func tuneGC(env []string) string {
	rule, keepFloor := gcRule(env)
	if keepFloor {
		floorOnce.Do(func() { new(floor).arm() })
	}
	return rule
}

// gcRule says which rule of collection serve follows with env: GOGC's when
// env sets it (the runtime read it at start), else the heap floor.
func gcRule(env []string) (rule string, keepFloor bool) {
	if v, ok := lookupEnv(env, "GOGC"); ok && v != "" {
		return "GOGC=" + v, false
	}
	return "heap floor " + strconv.Itoa(heapFloor>>20) + " MiB, else GOGC=100", true
}

var floorOnce sync.Once

// floor sets GOGC after every collection so that the next heap goal is at
// least heapFloor; 100 (Go's default) once the live heap is half of it or
// more. The goal is the live heap plus GOGC percent of what the collector
// scans: the live heap, goroutine stacks and global variables.
type floor struct {
	samples [3]metrics.Sample
}

// sentinel is allocated to be collected: its cleanup runs after the
// collection that finds it unreachable, and arms a new one. The pointer
// field keeps it out of the tiny allocator, whose blocks hold several small
// objects and are freed only when all of them are unreachable.
type sentinel struct{ _ *floor }

func (f *floor) arm() {
	runtime.AddCleanup(&sentinel{}, func(f *floor) { f.adjust(); f.arm() }, f)
}

func (f *floor) adjust() {
	f.samples[0].Name = "/gc/heap/live:bytes"
	f.samples[1].Name = "/gc/scan/stack:bytes"
	f.samples[2].Name = "/gc/scan/globals:bytes"
	metrics.Read(f.samples[:])
	live := f.samples[0].Value.Uint64()
	roots := f.samples[1].Value.Uint64() + f.samples[2].Value.Uint64()
	debug.SetGCPercent(floorPercent(live, roots, heapFloor))
}

// floorPercent is the GOGC that makes the heap goal at least floor: 100
// or more. The goal is live + (live + roots) × GOGC / 100, and never less
// than 4 MiB × GOGC / 100 (the runtime's minimum heap, which scales with
// GOGC): the percent stops where that minimum alone reaches the floor.
func floorPercent(live, roots, floor uint64) int {
	if 2*live >= floor {
		return 100
	}
	most := int(floor * 100 / minHeap)
	if live+roots == 0 {
		return most
	}
	return max(100, min(most, int((floor-live)*100/(live+roots))))
}

// minHeap is the Go runtime's least heap goal at GOGC=100.
const minHeap = 4 << 20

// lookupEnv returns the value of the variable name in env ("K=V" strings
// as from os.Environ), and whether env has it.
func lookupEnv(env []string, name string) (string, bool) {
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, name+"="); ok {
			return v, true
		}
	}
	return "", false
}
