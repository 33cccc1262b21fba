package admin_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/testserver"
)

// TestMetrics reads /metrics (no App-Token needed): requests are counted by
// route pattern and status, logins by outcome, cache hits and misses are
// there, and no token string reaches a label even when one is in the path.
func TestMetrics(t *testing.T) {
	s := testserver.StartWith(t, testserver.Options{CacheTTL: time.Minute})
	tok := s.OwnerToken(t)
	s.Must(t, http.StatusUnauthorized, testserver.Request{Method: "POST", Path: "/api/v1/token", AppToken: s.AppToken,
		JSON: map[string]any{"username": s.Username, "password": "wrong-password"}})
	for range 3 {
		s.Must(t, http.StatusOK, testserver.Request{Method: "GET", Path: "/api/v1/token/", AppToken: s.AppToken, Token: tok})
	}
	s.Must(t, http.StatusOK, testserver.Request{Method: "GET", Path: "/api/v1/app_tokens/" + s.AppToken, AppToken: s.AppToken, Token: tok})
	s.Must(t, http.StatusNotFound, testserver.Request{Method: "GET", Path: "/api/v1/nope/" + tok, AppToken: s.AppToken, Token: tok})
	s.Must(t, http.StatusMethodNotAllowed, testserver.Request{Method: "PUT", Path: "/api/v1/tokens/" + tok, AppToken: s.AppToken, Token: tok})

	r := s.Must(t, http.StatusOK, testserver.Request{Method: "GET", Path: "/metrics"})
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("got Content-Type %q, want text/plain", ct)
	}
	body := string(r.Body)
	for _, want := range []string{
		`latchkey_http_requests_total{method="GET",route="/api/v1/token",status="200"} 3`,
		`latchkey_http_requests_total{method="GET",route="/api/v1/app_tokens/:token",status="200"} 1`,
		`latchkey_http_requests_total{method="GET",route="(unmatched)",status="404"} 1`,
		`latchkey_http_request_duration_seconds_bucket{method="GET",route="/api/v1/token",status_class="2xx",le="+Inf"} 3`,
		`latchkey_http_request_duration_seconds_bucket{method="PUT",route="(unmatched)",status_class="4xx",le="+Inf"} 1`,
		`latchkey_logins_total{outcome="success"} 1`,
		`latchkey_logins_total{outcome="failure"} 1`,
		"latchkey_cache_hits_total ",
		"latchkey_cache_misses_total ",
		"latchkey_last_used_pending ",
		"latchkey_usage_pending ",
		`latchkey_build_info{goversion="go`,
		`latchkey_verifications_total{credential="user_token",outcome="verified"} `,
		"go_goroutines ",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	for _, sec := range []string{s.AppToken, tok, s.Password, "wrong-password"} {
		if strings.Contains(body, sec) || len(sec) > 40 && strings.Contains(body, sec[len(sec)/2:]) {
			t.Errorf("/metrics holds a secret")
		}
	}
	if hits := metricValue(t, body, "latchkey_cache_hits_total"); hits < 1 {
		t.Errorf("got %v cache hits, want some: the same tokens were used again within the TTL", hits)
	}
}

// TestHistogramSeriesFew: the latency histogram is labelled by status
// class, so a route answering many codes keeps one set of buckets per class.
func TestHistogramSeriesFew(t *testing.T) {
	s := testserver.Start(t)
	for status, body := range map[int]any{
		http.StatusBadRequest:   map[string]any{"username": 7},
		http.StatusUnauthorized: map[string]any{"username": s.Username, "password": "wrong-password"},
	} {
		s.Must(t, status, testserver.Request{Method: "POST", Path: "/api/v1/token", AppToken: s.AppToken, JSON: body})
	}
	body := string(s.Must(t, http.StatusOK, testserver.Request{Method: "GET", Path: "/metrics"}).Body)
	n := strings.Count(body, `latchkey_http_request_duration_seconds_bucket{method="POST",route="/api/v1/token",`)
	if buckets := strings.Count(body, `latchkey_http_request_duration_seconds_bucket{method="POST",route="/api/v1/token",status_class="4xx"`); n != buckets || n == 0 {
		t.Errorf("login histogram: got %d bucket series, want only the 4xx class's (%d)", n, buckets)
	}
	for _, code := range []string{"400", "401"} {
		if !strings.Contains(body, `latchkey_http_requests_total{method="POST",route="/api/v1/token",status="`+code+`"} 1`) {
			t.Errorf("the request counter lost status code %s", code)
		}
	}
}

// TestMetricsPerApp builds two Apps in one process: each has its own
// registry, so neither panics on a duplicate registration nor counts the
// other's requests.
func TestMetricsPerApp(t *testing.T) {
	a := testserver.Start(t)
	b := testserver.Start(t)
	a.Must(t, http.StatusOK, testserver.Request{Method: "GET", Path: "/healthz"})
	body := string(b.Must(t, http.StatusOK, testserver.Request{Method: "GET", Path: "/metrics"}).Body)
	if strings.Contains(body, `route="/healthz"`) {
		t.Errorf("App b counted App a's request")
	}
}

// metricValue returns the value of the unlabelled sample name in a
// Prometheus text exposition.
func metricValue(t *testing.T, body, name string) float64 {
	t.Helper()
	for line := range strings.SplitSeq(body, "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			var f float64
			if _, err := fmt.Sscan(v, &f); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			return f
		}
	}
	t.Fatalf("no sample %s", name)
	return 0
}
