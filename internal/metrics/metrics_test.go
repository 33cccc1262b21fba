package metrics_test

import (
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/metrics"
)

// samples returns the counter samples of family name as "label=value,…"
// → value.
func samples(t *testing.T, m *metrics.Metrics, name string) map[string]float64 {
	t.Helper()
	families, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, c := range f.GetMetric() {
			var labels []string
			for _, l := range c.GetLabel() {
				labels = append(labels, l.GetName()+"="+l.GetValue())
			}
			sort.Strings(labels)
			out[strings.Join(labels, ",")] = c.GetCounter().GetValue()
		}
	}
	return out
}

// wantSamples checks that the counter name has exactly the series of want,
// with want's values.
func wantSamples(t *testing.T, m *metrics.Metrics, name string, want map[string]float64) {
	t.Helper()
	got := samples(t, m, name)
	if len(got) != len(want) {
		t.Errorf("%s: got %v, want %v", name, got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s{%s}: got %v, want %v", name, k, got[k], v)
		}
	}
}

func TestObserveLabels(t *testing.T) {
	m := metrics.New("")
	m.Observe("GET", "/api/v1/token", 200, time.Millisecond)
	m.Observe("BREW", "", 404, time.Millisecond) // an odd method on an unknown path
	for _, status := range []int{200, 401, 429, 400, 503, 499, 500} {
		m.Observe("POST", metrics.LoginRoute, status, time.Millisecond)
	}
	m.Observe("POST", "/api/v1/tokens", 201, time.Millisecond) // not a login

	requests := samples(t, m, "latchkey_http_requests_total")
	for _, want := range []string{
		"method=GET,route=/api/v1/token,status=200",
		"method=OTHER,route=(unmatched),status=404",
		"method=POST,route=/api/v1/token,status=401",
	} {
		if requests[want] != 1 {
			t.Errorf("requests{%s}: got %v, want 1", want, requests[want])
		}
	}
	wantSamples(t, m, "latchkey_logins_total", map[string]float64{"outcome=success": 1, "outcome=failure": 1,
		"outcome=locked": 1, "outcome=invalid": 1, "outcome=unavailable": 1, "outcome=abandoned": 1, "outcome=error": 1})
}

// TestObserveConcurrent counts from many goroutines; under -race it checks
// the series cache.
func TestObserveConcurrent(t *testing.T) {
	m := metrics.New("")
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 500 {
				m.Observe(http.MethodGet, "/r", 200+(g+i)%3, time.Microsecond)
			}
		})
	}
	wg.Wait()
	got := samples(t, m, "latchkey_http_requests_total")
	total := 0.0
	for _, v := range got {
		total += v
	}
	if len(got) != 3 || total != 8*500 {
		t.Errorf("got %d series counting %v requests, want 3 counting %d", len(got), total, 8*500)
	}
}

// TestBuildInfo: latchkey_build_info names the version it was given.
func TestBuildInfo(t *testing.T) {
	m := metrics.New("v1.2.3")
	families, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "latchkey_build_info" {
			continue
		}
		labels := map[string]string{}
		for _, l := range f.GetMetric()[0].GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		if labels["version"] != "v1.2.3" || !strings.HasPrefix(labels["goversion"], "go") || labels["revision"] == "" {
			t.Errorf("got labels %v, want version v1.2.3, a goversion and a revision", labels)
		}
		if v := f.GetMetric()[0].GetGauge().GetValue(); v != 1 {
			t.Errorf("got %v, want 1", v)
		}
		return
	}
	t.Fatal("no latchkey_build_info")
}

// TestVerifyAnswers counts /verify answers by result, whatever the method
// and the path below /verify, and introspections by whether the token was
// active.
func TestVerifyAnswers(t *testing.T) {
	m := metrics.New("")
	for _, o := range []struct {
		method, route string
		status        int
	}{{"GET", metrics.VerifyRoute, 200}, {"POST", metrics.VerifyRoute + "/*path", 200}, {"GET", metrics.VerifyRoute, 401},
		{"GET", metrics.VerifyRoute, 403}, {"GET", metrics.VerifyRoute, 400}, {"GET", metrics.VerifyRoute, 499},
		{"GET", metrics.VerifyRoute, 503}, {"GET", metrics.VerifyRoute, 500}} {
		m.Observe(o.method, o.route, o.status, time.Millisecond)
	}
	m.Observe("GET", "/api/v1/token", 401, time.Millisecond) // not a /verify answer
	m.Introspected(true)
	m.Introspected(false)
	m.Introspected(false)
	wantSamples(t, m, "latchkey_verify_answers_total", map[string]float64{"result=ok": 2, "result=unauthorized": 1,
		"result=forbidden": 1, "result=invalid": 1, "result=abandoned": 1, "result=unavailable": 1, "result=error": 1})
	in := samples(t, m, "latchkey_introspections_total")
	if in["active=true"] != 1 || in["active=false"] != 2 {
		t.Errorf("got introspections %v, want 1 active and 2 inactive", in)
	}
}
