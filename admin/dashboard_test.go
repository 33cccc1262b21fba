package admin_test

import (
	"encoding/json"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/secret"
	"github.com/latchkey/latchkey/internal/testserver"
)

// dashboard is the part of a Grafana dashboard the test reads.
type dashboard struct {
	UID    string  `json:"uid"`
	Title  string  `json:"title"`
	Panels []panel `json:"panels"`
}

type panel struct {
	ID         int             `json:"id"`
	Type       string          `json:"type"`
	Title      string          `json:"title"`
	Datasource json.RawMessage `json:"datasource"`
	Targets    []struct {
		RefID string `json:"refId"`
		Expr  string `json:"expr"`
	} `json:"targets"`
	Panels []panel `json:"panels"` // a collapsed row's
}

var (
	promStrings   = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)
	promMatchers  = regexp.MustCompile(`\{[^}]*\}`)
	promRanges    = regexp.MustCompile(`\[[^\]]*\]`)
	promGrouping  = regexp.MustCompile(`\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`)
	promName      = regexp.MustCompile(`[a-zA-Z_:][a-zA-Z0-9_:]*`)
	promKeywords  = map[string]bool{"and": true, "or": true, "unless": true, "bool": true, "offset": true}
	promFunctions = regexp.MustCompile(`[a-zA-Z_]+\s*\(`)
	promNumbers   = regexp.MustCompile(`\b[0-9][0-9a-zA-Z.]*`) // 0.99, 5m
)

// metricNames returns the metric names a PromQL expression reads: what is
// left once strings, label matchers, ranges, groupings, functions and
// numbers are taken out.
func metricNames(expr string) []string {
	for _, re := range []*regexp.Regexp{promStrings, promMatchers, promRanges, promGrouping, promFunctions, promNumbers} {
		expr = re.ReplaceAllString(expr, " ")
	}
	var names []string
	for _, n := range promName.FindAllString(expr, -1) {
		if !promKeywords[n] {
			names = append(names, n)
		}
	}
	return names
}

func TestMetricNames(t *testing.T) {
	got := metricNames(`sum by (le, route) (rate(a_bucket{job=~"$job", x="y}"}[$__rate_interval])) / on(instance) b + 2 * c offset 5m and d`)
	if want := []string{"a_bucket", "b", "c", "d"}; !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

// TestDashboard keeps deploy/grafana/latchkey.json true: it is a dashboard
// whose every panel reads the data source variable, and every metric one
// of its queries reads is served by a real Latchkey's /metrics after a
// little traffic.
func TestDashboard(t *testing.T) {
	data, err := os.ReadFile("../deploy/grafana/latchkey.json")
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatalf("latchkey.json: %v", err)
	}
	if d.UID == "" || d.Title == "" {
		t.Errorf("dashboard without uid or title")
	}
	queried := map[string][]string{} // metric → panels
	ids := map[int]bool{}
	var walk func([]panel)
	walk = func(panels []panel) {
		for _, p := range panels {
			if ids[p.ID] {
				t.Errorf("panel id %d twice", p.ID)
			}
			ids[p.ID] = true
			walk(p.Panels)
			if p.Type == "row" {
				continue
			}
			if !strings.Contains(string(p.Datasource), "${datasource}") || len(p.Targets) == 0 {
				t.Errorf("panel %q: want the ${datasource} variable and at least one query", p.Title)
			}
			for _, q := range p.Targets {
				names := metricNames(q.Expr)
				if q.RefID == "" || len(names) == 0 {
					t.Errorf("panel %q: query %q has no refId or reads no metric", p.Title, q.Expr)
				}
				for _, n := range names {
					queried[n] = append(queried[n], p.Title)
				}
			}
		}
	}
	walk(d.Panels)

	s := startBusy(t)
	exposed := exposedMetrics(t, s)
	for name, panels := range queried {
		if !exposed[name] {
			t.Errorf("panels %q query %s, which /metrics does not serve", panels, name)
		}
	}
}

// startBusy starts a server with a password-hash limiter, as serve runs,
// and sends the traffic that makes every lazily created series appear: a
// login and a failed one, authenticated requests and a leak report.
func startBusy(t *testing.T) *testserver.Server {
	t.Helper()
	s := testserver.StartWith(t, testserver.Options{Hashes: secret.NewLimiter(2, 8, time.Second)})
	tok := s.OwnerToken(t)
	s.Must(t, http.StatusUnauthorized, testserver.Request{Method: "POST", Path: "/api/v1/token", AppToken: s.AppToken,
		JSON: map[string]any{"username": s.Username, "password": "wrong-password"}})
	s.Must(t, http.StatusOK, testserver.Request{Method: "GET", Path: "/api/v1/users/me", AppToken: s.AppToken, Token: tok})
	s.Must(t, http.StatusOK, testserver.Request{Method: "POST", Path: "/api/v1/leaks", AppToken: s.AppToken, Token: tok,
		JSON: []map[string]string{{"token": "ghp_0000", "type": "x", "url": "u", "source": "content"}}})
	return s
}

// exposedMetrics returns the names of the samples /metrics serves.
func exposedMetrics(t *testing.T, s *testserver.Server) map[string]bool {
	t.Helper()
	body := string(s.Must(t, http.StatusOK, testserver.Request{Method: "GET", Path: "/metrics"}).Body)
	names := map[string]bool{}
	for line := range strings.SplitSeq(body, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		names[promName.FindString(line)] = true
	}
	return names
}

// TestMetricsDocumented keeps docs/OBSERVABILITY.md true: every latchkey_
// metric a real server serves is named there.
func TestMetricsDocumented(t *testing.T) {
	doc, err := os.ReadFile("../docs/OBSERVABILITY.md")
	if err != nil {
		t.Fatal(err)
	}
	s := startBusy(t)
	missing := map[string]bool{}
	for name := range exposedMetrics(t, s) {
		family := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(name, "_bucket"), "_sum"), "_count")
		if strings.HasPrefix(name, "latchkey_") && !strings.Contains(string(doc), "`"+family+"`") {
			missing[family] = true
		}
	}
	for family := range missing {
		t.Errorf("docs/OBSERVABILITY.md does not list %s", family)
	}
}
