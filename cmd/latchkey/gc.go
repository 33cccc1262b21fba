package main

import (
	"runtime/debug"
	"strconv"
	"strings"
)

// serveGOGC is the garbage collector's GOGC for serve when the environment
// sets none. Go's default, 100, collects each time the heap has grown by
// the live heap since the last collection, and never below 4 MiB: with
// Latchkey's small live heap (about 1 MiB of cached credentials and
// buffers) that is a collection every 2,000 to 3,000 requests, 50 a second
// under load, each returning pages the next requests fault in again. At
// 400 the heap may grow to five times the live heap (16 MiB at least)
// before a collection: a fifth of the collections, a quarter less CPU per
// verified request and a third more verified requests a second on two
// cores (docs/PERFORMANCE.md, "The garbage collector"), for a few more
// MiB of memory. GOGC (and GOMEMLIMIT, which bounds the heap whatever
// GOGC says) in the environment override it.
const serveGOGC = 400

// tuneGC gives the process serve's GOGC unless env sets GOGC, and returns
// the GOGC in force as the variable would write it.
func tuneGC(env []string) string {
	if v, ok := lookupEnv(env, "GOGC"); ok && v != "" {
		return v // the runtime read it at start
	}
	debug.SetGCPercent(serveGOGC)
	return strconv.Itoa(serveGOGC)
}

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
