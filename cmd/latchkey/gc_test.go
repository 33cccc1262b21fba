package main

import (
	"runtime/debug"
	"testing"
)

func TestTuneGC(t *testing.T) {
	before := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(before) })

	if got := tuneGC([]string{"HOME=/root", "GOGCX=1"}); got != "400" {
		t.Errorf("without GOGC: tuneGC = %q, want 400", got)
	}
	if now := debug.SetGCPercent(100); now != serveGOGC {
		t.Errorf("without GOGC: GC percent %d, want %d", now, serveGOGC)
	}

	for _, gogc := range []string{"50", "off"} {
		if got := tuneGC([]string{"GOGC=" + gogc}); got != gogc {
			t.Errorf("GOGC=%s: tuneGC = %q", gogc, got)
		}
		if now := debug.SetGCPercent(100); now != 100 {
			t.Errorf("GOGC=%s: GC percent changed to %d; the environment's setting must stand", gogc, now)
		}
	}
}
