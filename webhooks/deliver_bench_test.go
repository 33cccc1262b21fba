package webhooks_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/testserver"
	"github.com/latchkey/latchkey/webhooks"
)

// BenchmarkDeliver measures how fast one instance sends: b.N pending
// deliveries (pings) to one endpoint on 127.0.0.1 that answers 204, on the
// engine of the run (LATCHKEY_TEST_STORE), timed from the first dispatcher
// pass until the last is delivered. The passes run back to back, as if
// each were kicked at once: what one dispatcher, sending one delivery at a
// time, can do.
func BenchmarkDeliver(b *testing.B) {
	s, got := queued(b, b.N)
	ctx := context.Background()
	// The deliveries are due at the clock's time, which stands still.
	b.ResetTimer()
	start := time.Now()
	passes := 0
	for got.Load() < int64(b.N) {
		if err := s.App.Dispatcher.Run(ctx); err != nil {
			b.Fatal(err)
		}
		if passes++; passes > b.N/50+10 {
			b.Fatalf("after %d passes %d of %d delivered", passes, got.Load(), b.N)
		}
	}
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "deliveries/s")
	b.ReportMetric(float64(passes), "passes")
	if n := got.Load(); n != int64(b.N) {
		b.Fatalf("the endpoint got %d requests, want %d", n, b.N)
	}
}

// BenchmarkDeliverLoop is BenchmarkDeliver sent by the App's own delivery
// job, as serve runs it: a second instance on the same store, started once
// the deliveries are queued, with webhooks.interval 250 ms. A pass sends
// a tenant's due deliveries a batch of 100 after another while batches
// come back full, so the interval bounds only when a backlog is noticed.
func BenchmarkDeliverLoop(b *testing.B) {
	s, got := queued(b, b.N)
	b.ResetTimer()
	start := time.Now()
	testserver.StartWith(b, testserver.Options{Store: s.Store, Clock: s.Clock, WebhookHosts: []string{"127.0.0.1"},
		WebhookInterval: 250 * time.Millisecond})
	deadline := start.Add(time.Duration(b.N/100+4) * time.Second)
	for got.Load() < int64(b.N) {
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d delivered by the deadline", got.Load(), b.N)
		}
		time.Sleep(time.Millisecond)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "deliveries/s")
}

// queued starts an instance without a delivery job, with one endpoint on
// 127.0.0.1 answering 204 and n pings to it pending; got counts the
// requests the endpoint receives.
func queued(b testing.TB, n int) (*testserver.Server, *atomic.Int64) {
	b.Helper()
	s := testserver.StartWith(b, testserver.Options{WebhookHosts: []string{"127.0.0.1"}})
	owner := s.OwnerToken(b)
	got := new(atomic.Int64)
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		got.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	b.Cleanup(rc.Close)
	created := s.Must(b, 201, testserver.Request{Method: "POST", Path: base, AppToken: s.AppToken, Token: owner,
		JSON: map[string]any{"url": rc.URL + "/hook", "events": []string{webhooks.PingType}}})
	id, err := ids.Parse(created.String("id"))
	if err != nil {
		b.Fatal(err)
	}
	for range n {
		if _, err := s.App.Webhooks.Ping(context.Background(), s.TenantID, id); err != nil {
			b.Fatal(err)
		}
	}
	return s, got
}

// TestRunDrainsABacklog: one pass sends every due delivery of a tenant, a
// batch after another while batches come back full, not one batch of 100
// per webhooks.interval.
func TestRunDrainsABacklog(t *testing.T) {
	s, got := queued(t, 250)
	if err := s.App.Dispatcher.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := got.Load(); n != 250 {
		t.Errorf("one pass sent %d of 250 due deliveries", n)
	}
}
