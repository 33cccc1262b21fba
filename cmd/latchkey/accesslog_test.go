package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zapcore"

	"github.com/latchkey/latchkey/configs"
)

// tickClock is the access log buffer's clock in tests: its ticker ticks
// when the test sends on tick, never by itself.
type tickClock struct{ tick chan time.Time }

func (c tickClock) Now() time.Time { return time.Now() }

func (c tickClock) NewTicker(time.Duration) *time.Ticker { return &time.Ticker{C: c.tick} }

// signalBuffer is a log output that says when it is written to.
type signalBuffer struct {
	syncBuffer
	wrote chan struct{}
}

func (b *signalBuffer) Write(p []byte) (int, error) {
	n, err := b.syncBuffer.Write(p)
	select {
	case b.wrote <- struct{}{}:
	default:
	}
	return n, err
}

func (b *signalBuffer) Sync() error { return nil }

// openBuffered runs a Main whose access log goes through a buffer of the
// default size to out, flushed only when clock ticks or at Close, and
// answers one GET /healthz.
func openBuffered(t *testing.T, out *signalBuffer, clock tickClock) *Main {
	t.Helper()
	cfg := configs.Default()
	cfg.Server.Addr = "127.0.0.1:0"
	cfg.Store.DataDir = t.TempDir()
	ws := zapcore.Lock(out)
	log, err := newLogger(cfg.Log, ws)
	if err != nil {
		t.Fatal(err)
	}
	m := NewMain(cfg, log)
	t.Cleanup(func() { _ = m.Close() })
	if m.AccessLog, m.FlushAccessLog, err = newAccessLogger(cfg.Log, log, ws, clock); err != nil {
		t.Fatal(err)
	}
	if err := m.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	res, err := http.Get(m.URL() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if strings.Contains(out.String(), `"route":"/healthz"`) {
		t.Fatalf("the access log line went out before a flush: %s", out)
	}
	return m
}

// TestAccessLogFlushedAtClose: a request's access log line waits in the
// buffer (no write of its own) and is written when the process stops.
func TestAccessLogFlushedAtClose(t *testing.T) {
	out := &signalBuffer{wrote: make(chan struct{}, 1)}
	m := openBuffered(t, out, tickClock{tick: make(chan time.Time)})
	if err := m.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if !strings.Contains(out.String(), `"route":"/healthz"`) {
		t.Errorf("after Close, got log %q, want the access log line of GET /healthz", out)
	}
}

// TestAccessLogFlushedOnTimer: without a Close, the buffer goes out when
// its flush timer ticks (every second in production).
func TestAccessLogFlushedOnTimer(t *testing.T) {
	out := &signalBuffer{wrote: make(chan struct{}, 1)}
	tick := make(chan time.Time)
	openBuffered(t, out, tickClock{tick: tick})
	select {
	case tick <- time.Now(): // received by the flush loop: the flush follows
	case <-time.After(10 * time.Second):
		t.Fatal("the access log has no flush timer")
	}
	for !strings.Contains(out.String(), `"route":"/healthz"`) {
		select {
		case <-out.wrote:
		case <-time.After(10 * time.Second):
			t.Fatalf("no flush after the timer ticked; log %q", out)
		}
	}
}

// TestAccessLogUnbuffered: log.access_buffer 0 writes each line at once,
// through the process's logger.
func TestAccessLogUnbuffered(t *testing.T) {
	cfg := configs.Default()
	cfg.Log.AccessBuffer = 0
	log, err := newLogger(cfg.Log, zapcore.AddSync(&syncBuffer{}))
	if err != nil {
		t.Fatal(err)
	}
	access, flush, err := newAccessLogger(cfg.Log, log, zapcore.AddSync(&syncBuffer{}), nil)
	if err != nil || access != log || flush != nil {
		t.Errorf("got %p, flush %v, err %v; want the process's logger %p, no flush", access, flush != nil, err, log)
	}
}
