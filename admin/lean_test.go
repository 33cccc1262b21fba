package admin_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	oteltrace "go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/latchkey/latchkey/internal/authn"
	"github.com/latchkey/latchkey/internal/testserver"
	"github.com/latchkey/latchkey/internal/tracing"
)

// The lean path (admin/lean.go) serves GET and HEAD of /api/v1/verify and
// /api/v1/token before Gin. These tests send the same requests to it and
// to the same App served through Gin alone (App.Gin: the same store,
// cache, limiter and counters) and compare what comes back and what each
// leaves behind.

// leanPair starts a Latchkey (cache on, access log at info) and a second
// server of the same App through Gin alone.
func leanPair(t *testing.T, o testserver.Options) (lean, viaGin *testserver.Server, logs *observer.ObservedLogs) {
	t.Helper()
	core, logs := observer.New(zap.InfoLevel)
	o.Logger, o.CacheTTL = zap.New(core), time.Hour
	s := testserver.StartWith(t, o)
	hs := httptest.NewServer(s.App.Gin)
	t.Cleanup(hs.Close)
	g := *s
	g.URL = hs.URL
	return s, &g, logs
}

// sameAnswer fails unless a and b have the same status, body and headers
// (Date and X-Request-Id aside; both must carry a request id).
func sameAnswer(t *testing.T, name string, lean, viaGin *testserver.Response) {
	t.Helper()
	if lean.Status != viaGin.Status {
		t.Errorf("%s: lean status %d, Gin %d (%s / %s)", name, lean.Status, viaGin.Status, lean.Body, viaGin.Body)
	}
	if !bytes.Equal(lean.Body, viaGin.Body) {
		t.Errorf("%s: bodies differ:\nlean %s\nGin  %s", name, lean.Body, viaGin.Body)
	}
	hl, hg := lean.Header.Clone(), viaGin.Header.Clone()
	for _, h := range []http.Header{hl, hg} {
		if h.Get("X-Request-Id") == "" {
			t.Errorf("%s: an answer without X-Request-Id", name)
		}
		h.Del("Date")
		h.Del("X-Request-Id")
	}
	if !reflect.DeepEqual(hl, hg) {
		t.Errorf("%s: headers differ:\nlean %v\nGin  %v", name, hl, hg)
	}
}

// counters returns every latchkey_ counter (histograms: their sample
// counts) of s's registry by name and labels.
func counters(t *testing.T, s *testserver.Server) map[string]float64 {
	t.Helper()
	mfs, err := s.App.Metrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		// The usage flushes are the test's own.
		if !strings.HasPrefix(mf.GetName(), "latchkey_") || mf.GetType() == dto.MetricType_GAUGE ||
			strings.HasPrefix(mf.GetName(), "latchkey_usage_") {
			continue
		}
		for _, m := range mf.GetMetric() {
			k := mf.GetName() + "{"
			for _, l := range m.GetLabel() {
				k += l.GetName() + "=" + l.GetValue() + ","
			}
			if strings.Contains(k, "operation=usage.") {
				continue
			}
			switch {
			case m.GetCounter() != nil:
				out[k] = m.GetCounter().GetValue()
			case m.GetHistogram() != nil:
				out[k] = float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return out
}

// usageCounts flushes the usage counts of s and returns tenant's totals by
// app token.
func usageCounts(t *testing.T, s *testserver.Server, tenant string) map[string][3]int64 {
	t.Helper()
	ctx := context.Background()
	if err := s.App.Usage.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	now := s.Clock.Now()
	rows, err := s.App.Store.Usage().Totals(ctx, tenant, now.Add(-48*time.Hour), now.Add(48*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][3]int64{}
	for _, r := range rows {
		out[r.AppTokenID.Hex()] = [3]int64(r.Counts[:3])
	}
	return out
}

// delta is what changed from before to after.
func delta[V comparable](before, after map[string]V, sub func(a, b V) V) map[string]V {
	out := map[string]V{}
	for k, v := range after {
		if d := sub(v, before[k]); d != *new(V) {
			out[k] = d
		}
	}
	return out
}

func subFloat(a, b float64) float64 { return a - b }

func subCounts(a, b [3]int64) [3]int64 { return [3]int64{a[0] - b[0], a[1] - b[1], a[2] - b[2]} }

type leanCase struct {
	name string
	want int
	// prep runs before each of the two requests.
	prep func()
	req  testserver.Request
}

// TestLeanPathAnswersAsGin sends every outcome of /verify and GET /token
// to the lean path and to Gin and compares the answers, the metrics (the
// cache's hits and misses, the verification outcomes, the requests by
// route and status) and the usage counts each request left, and the
// access log lines.
func TestLeanPathAnswersAsGin(t *testing.T) {
	s, g, logs := leanPair(t, testserver.Options{TrustedProxies: []string{"127.0.0.1"}})
	acme := s.NewTenant(t, "acme")
	other := s.NewTenant(t, "other")
	s.NewUser(t, acme.AppToken, acme.OwnerToken, "mia", "member")
	mia := s.Login(t, acme.AppToken, "mia", "mia-password")
	// A token that runs out in a minute, cached before it does.
	short := s.Must(t, http.StatusCreated, testserver.Request{Method: "POST", Path: "/api/v1/tokens", AppToken: acme.AppToken,
		Token: acme.OwnerToken, JSON: map[string]any{"seconds_until_expire": 60}}).String("token")
	s.Must(t, http.StatusOK, testserver.Request{Method: "GET", Path: "/api/v1/verify", AppToken: acme.AppToken, Token: short})
	// A token its user ended.
	ended := s.Login(t, acme.AppToken, "owner", "owner-password")
	s.Must(t, http.StatusOK, testserver.Request{Method: "PATCH", Path: "/api/v1/token", AppToken: acme.AppToken, Token: ended,
		JSON: map[string]any{"seconds_until_expire": -1}})
	// An app token restricted to one scope, and one limited to a request
	// a minute.
	s.Must(t, http.StatusOK, testserver.Request{Method: "PUT", Path: "/api/v1/scopes/orders.read", AppToken: s.AppToken,
		Token: s.OwnerToken(t), JSON: map[string]any{"description": "Read orders."}})
	scoped := s.Must(t, http.StatusCreated, testserver.Request{Method: "POST", Path: "/api/v1/app_tokens", AppToken: acme.AppToken,
		Token: acme.OwnerToken, JSON: map[string]any{"name": "scoped", "scopes": []string{"orders.read"}, "external_id": "cus_1",
			"meta": map[string]any{"plan": "gold"}}}).String("app_token")
	limited := s.Must(t, http.StatusCreated, testserver.Request{Method: "POST", Path: "/api/v1/app_tokens", AppToken: acme.AppToken,
		Token: acme.OwnerToken, JSON: map[string]any{"name": "limited", "rate_limit": map[string]any{"limit": 1, "seconds": 60}}}).String("app_token")
	s.Clock.Advance(2 * time.Minute) // short has run out
	// Before each of the two requests the cache is made the same: empty
	// (miss), or holding the request's credentials (hit: the request made
	// once before, through Gin).
	var hitReq testserver.Request
	miss := func() { s.App.Cache.Invalidate(acme.ID); s.App.Cache.Invalidate(other.ID) }
	hit := func() {
		miss()
		s.App.Gin.ServeHTTP(httptest.NewRecorder(), s.NewRequest(t, hitReq))
	}
	nextWindow := func() { s.Clock.Advance(time.Minute); miss() }
	verify := func(app, tok string, h map[string]string) testserver.Request {
		return testserver.Request{Method: "GET", Path: "/api/v1/verify", AppToken: app, Token: tok, Header: h}
	}
	token := func(app, tok string) testserver.Request {
		return testserver.Request{Method: "GET", Path: "/api/v1/token", AppToken: app, Token: tok}
	}
	head := func(r testserver.Request) testserver.Request { r.Method = "HEAD"; return r }
	cases := []leanCase{
		{"valid, cache hit", 200, hit, verify(acme.AppToken, acme.OwnerToken, nil)},
		{"valid, cache miss", 200, miss, verify(acme.AppToken, acme.OwnerToken, nil)},
		{"valid member, Authorization Bearer", 200, hit, verify(acme.AppToken, "", map[string]string{"Authorization": "Bearer " + mia})},
		{"HEAD", 200, hit, head(verify(acme.AppToken, acme.OwnerToken, nil))},
		{"trailing slash", 200, hit, testserver.Request{Method: "GET", Path: "/api/v1/verify/", AppToken: acme.AppToken, Token: mia}},
		{"Prefer: return=minimal", 204, hit, verify(acme.AppToken, acme.OwnerToken, map[string]string{"Prefer": "return=minimal"})},
		{"HEAD, Prefer: return=minimal, miss", 204, miss, head(verify(acme.AppToken, mia, map[string]string{"Prefer": "return=minimal"}))},
		{"expired, cache hit", 401, hit, verify(acme.AppToken, short, nil)},
		{"expired, cache miss", 401, miss, verify(acme.AppToken, short, nil)},
		{"ended by its user", 401, hit, verify(acme.AppToken, ended, nil)},
		{"wrong tenant", 401, hit, verify(acme.AppToken, other.OwnerToken, nil)},
		{"missing headers", 401, hit, verify("", "", nil)},
		{"missing user token", 401, hit, verify(acme.AppToken, "", nil)},
		{"made-up user token", 401, hit, verify(acme.AppToken, "lku_nope", nil)},
		{"two user tokens", 400, hit, verify(acme.AppToken, acme.OwnerToken, map[string]string{"Authorization": "Token " + mia})},
		{"scoped app token, external id and meta", 200, hit, verify(scoped, mia, nil)},
		{"scope held", 200, hit, testserver.Request{Method: "GET", Path: "/api/v1/verify?scope=orders.read", AppToken: scoped, Token: mia}},
		{"scope not held", 403, hit, testserver.Request{Method: "GET", Path: "/api/v1/verify?scope=orders.write", AppToken: scoped, Token: mia}},
		{"role too weak", 403, hit, testserver.Request{Method: "GET", Path: "/api/v1/verify?role=admin", AppToken: acme.AppToken, Token: mia}},
		{"user optional, none sent", 200, hit, testserver.Request{Method: "GET", Path: "/api/v1/verify?user=optional", AppToken: acme.AppToken}},
		{"bad query (Gin answers)", 400, hit, testserver.Request{Method: "GET", Path: "/api/v1/verify?role=king", AppToken: acme.AppToken, Token: mia}},
		{"rate limited app token, in a new window", 200, nextWindow, verify(limited, mia, nil)},
		{"rate limited 429", 429, hit, verify(limited, mia, nil)},
		{"huge header 431", 431, hit, verify(acme.AppToken, mia, map[string]string{"X-Big": strings.Repeat("a", 17<<10)})},
		{"request id echoed", 200, hit, verify(acme.AppToken, mia, map[string]string{"X-Request-Id": "gw-42"})},
		{"traceparent handed on", 200, hit, verify(acme.AppToken, mia, map[string]string{
			"Traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"})},
		{"forwarded by a trusted proxy", 200, hit, verify(acme.AppToken, mia, map[string]string{"X-Forwarded-For": "203.0.113.9"})},
		{"GET /token, cache hit", 200, hit, token(acme.AppToken, acme.OwnerToken)},
		{"GET /token, cache miss", 200, miss, token(acme.AppToken, mia)},
		{"HEAD /token", 200, hit, head(token(acme.AppToken, mia))},
		{"GET /token/ scoped", 200, hit, testserver.Request{Method: "GET", Path: "/api/v1/token/", AppToken: scoped, Token: mia}},
		{"GET /token, expired", 401, hit, token(acme.AppToken, short)},
		{"GET /token, missing user token", 401, hit, token(acme.AppToken, "")},
		{"GET /token, rate limited", 429, hit, token(limited, mia)},
		{"GET /token with a query (Gin answers)", 200, hit, testserver.Request{Method: "GET", Path: "/api/v1/token?x=1", AppToken: acme.AppToken, Token: mia}},
	}
	for _, tc := range cases {
		var got [2]*testserver.Response
		var metrics [2]map[string]float64
		var used [2]map[string][3]int64
		var lines [2]map[string]any
		for i, srv := range []*testserver.Server{s, g} {
			hitReq = tc.req
			tc.prep()
			m0, u0 := counters(t, s), usageCounts(t, s, acme.ID)
			got[i] = srv.Do(t, tc.req)
			metrics[i] = delta(m0, counters(t, s), subFloat)
			used[i] = delta(u0, usageCounts(t, s, acme.ID), subCounts)
			all := accessLines(logs)
			lines[i] = all[len(all)-1]
		}
		if got[0].Status != tc.want {
			t.Errorf("%s: got %d %s, want %d", tc.name, got[0].Status, got[0].Body, tc.want)
		}
		sameAnswer(t, tc.name, got[0], got[1])
		if id := tc.req.Header["X-Request-Id"]; id != "" && (got[0].Header.Get("X-Request-Id") != id || got[1].Header.Get("X-Request-Id") != id) {
			t.Errorf("%s: request id %q not echoed by both", tc.name, id)
		}
		if !reflect.DeepEqual(metrics[0], metrics[1]) {
			t.Errorf("%s: metrics moved differently:\nlean %v\nGin  %v", tc.name, metrics[0], metrics[1])
		}
		if !reflect.DeepEqual(used[0], used[1]) {
			t.Errorf("%s: usage counted differently:\nlean %v\nGin  %v", tc.name, used[0], used[1])
		}
		if tc.want != 431 && tc.want != 400 && tc.req.AppToken != "" && len(used[0]) != 1 {
			t.Errorf("%s: usage counted %v, want the app token's request", tc.name, used[0])
		}
		if !reflect.DeepEqual(lines[0], lines[1]) {
			t.Errorf("%s: access log lines differ:\nlean %v\nGin  %v", tc.name, lines[0], lines[1])
		}
	}
}

// accessLines returns the fields of the access log lines so far, request
// id and latency left out.
func accessLines(logs *observer.ObservedLogs) []map[string]any {
	var out []map[string]any
	for _, e := range logs.FilterMessage("request").All() {
		m := e.ContextMap()
		if m["request_id"] == "" {
			m["request_id"] = "(none)"
		} else {
			m["request_id"] = "(some)"
		}
		delete(m, "latency")
		keys := make([]string, 0, len(e.Context))
		for _, f := range e.Context {
			keys = append(keys, f.Key)
		}
		m["(order)"] = strings.Join(keys, " ")
		out = append(out, m)
	}
	return out
}

// The lean path answers a panic as the Gin path's panic guard does (a
// JSON 500 without a stack, the panic logged with its request id) and
// still writes the access log line and counts the request.
func TestLeanPathPanic(t *testing.T) {
	s, g, logs := leanPair(t, testserver.Options{})
	tok := s.OwnerToken(t)
	observe := s.App.Auth.Observe
	s.App.Auth.Observe = func(c authn.Credential, o authn.Outcome) {
		if c == authn.UserToken {
			panic("injected")
		}
		observe(c, o)
	}
	var got [2]*testserver.Response
	for i, srv := range []*testserver.Server{s, g} {
		got[i] = srv.Do(t, testserver.Request{Method: "GET", Path: "/api/v1/verify", AppToken: s.AppToken, Token: tok})
	}
	if got[0].Status != http.StatusInternalServerError {
		t.Fatalf("got %d %s, want the guard's 500", got[0].Status, got[0].Body)
	}
	testserver.WantErrors(t, got[0], map[string]string{"server": "Internal server error."})
	sameAnswer(t, "panic", got[0], got[1])
	panics := logs.FilterMessage("panic").All()
	if len(panics) != 2 {
		t.Fatalf("got %d panic log lines, want one per path", len(panics))
	}
	for i, e := range panics {
		m := e.ContextMap()
		if m["panic"] != "injected" || m["request_id"] != got[i].Header.Get("X-Request-Id") || !strings.Contains(m["stack"].(string), "admin") {
			t.Errorf("panic line %d: %v", i, m)
		}
		if e.Level != zapcore.ErrorLevel {
			t.Errorf("panic line %d at %v, want error", i, e.Level)
		}
	}
	lines := accessLines(logs)
	if l, g := lines[len(lines)-2], lines[len(lines)-1]; !reflect.DeepEqual(l, g) || l["status"] != int64(500) {
		t.Errorf("access log lines:\nlean %v\nGin  %v", l, g)
	}
}

// Options.GinOnly serves /verify through Gin: its route and answers are
// the same, and the lean path is not in front.
func TestGinOnly(t *testing.T) {
	s := testserver.StartWith(t, testserver.Options{GinOnly: true})
	if got := fmt.Sprintf("%T", s.App.Handler); got == "*admin.lean" {
		t.Errorf("GinOnly: Handler is %s, want the Gin path", got)
	}
	tok := s.OwnerToken(t)
	r := s.Must(t, http.StatusOK, testserver.Request{Method: "GET", Path: "/api/v1/verify", AppToken: s.AppToken, Token: tok})
	if r.Header.Get("X-Latchkey-Tenant-Id") != s.TenantID || !slices.Contains(r.Header.Values("Cache-Control"), "no-store") {
		t.Errorf("got headers %v", r.Header)
	}
}

// With tracing on, the lean path makes the span Gin's middleware makes:
// the same name, kind, parent, attributes and status, the store calls as
// its children, and the trace on the answer and the log line.
func TestLeanPathSpan(t *testing.T) {
	spans := tracetest.NewInMemoryExporter()
	s, g, logs := leanPair(t, testserver.Options{Tracing: tracing.Options{Exporter: spans, SampleRatio: 1}})
	tok := s.OwnerToken(t)
	// The scope catalog, read once per cache.ttl, is read before.
	s.Must(t, http.StatusOK, testserver.Request{Method: "GET", Path: "/api/v1/verify", AppToken: s.AppToken, Token: tok})
	const parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	for _, tc := range []struct {
		name string
		req  testserver.Request
	}{
		{"valid, miss", testserver.Request{Method: "GET", Path: "/api/v1/verify", AppToken: s.AppToken, Token: tok,
			Header: map[string]string{"Traceparent": parent}}},
		{"HEAD /token, no parent", testserver.Request{Method: "HEAD", Path: "/api/v1/token", AppToken: s.AppToken, Token: tok}},
		{"refused", testserver.Request{Method: "GET", Path: "/api/v1/verify", AppToken: s.AppToken,
			Header: map[string]string{"Traceparent": parent}}},
	} {
		var got [2]*testserver.Response
		var span [2]tracetest.SpanStub
		var children [2][]string
		var lines [2]map[string]any
		for i, srv := range []*testserver.Server{s, g} {
			s.App.Cache.Invalidate(s.TenantID)
			spans.Reset()
			got[i] = srv.Do(t, tc.req)
			all := spans.GetSpans()
			for _, sp := range all {
				if sp.SpanKind == oteltrace.SpanKindServer {
					span[i] = sp
				}
			}
			for _, sp := range all {
				if sp.Parent.SpanID() == span[i].SpanContext.SpanID() {
					children[i] = append(children[i], sp.Name)
				}
			}
			all2 := accessLines(logs)
			lines[i] = all2[len(all2)-1]
		}
		l, gs := span[0], span[1]
		if l.Name == "" || l.Name != gs.Name || l.SpanKind != gs.SpanKind || l.Parent.SpanID() != gs.Parent.SpanID() ||
			l.Parent.TraceID() != gs.Parent.TraceID() || l.Status != gs.Status {
			t.Errorf("%s: spans differ:\nlean %s %v parent %v status %v\nGin  %s %v parent %v status %v", tc.name,
				l.Name, l.SpanKind, l.Parent, l.Status, gs.Name, gs.SpanKind, gs.Parent, gs.Status)
		}
		if la, ga := attrsBut(l, "latchkey.request_id"), attrsBut(gs, "latchkey.request_id"); !reflect.DeepEqual(la, ga) {
			t.Errorf("%s: span attributes differ:\nlean %v\nGin  %v", tc.name, la, ga)
		}
		slices.Sort(children[0])
		slices.Sort(children[1])
		if !reflect.DeepEqual(children[0], children[1]) {
			t.Errorf("%s: child spans differ:\nlean %v\nGin  %v", tc.name, children[0], children[1])
		}
		if want := tc.req.Header["Traceparent"]; want != "" {
			if l.SpanContext.TraceID().String() != "4bf92f3577b34da6a3ce929d0e0e4736" {
				t.Errorf("%s: the lean span is not of the caller's trace: %v", tc.name, l.SpanContext.TraceID())
			}
		}
		for i := range got {
			if tp := got[i].Header.Get("Traceparent"); !strings.Contains(tp, span[i].SpanContext.SpanID().String()) {
				t.Errorf("%s: answer %d's traceparent %q does not name its span", tc.name, i, tp)
			}
			got[i].Header.Del("Traceparent")
			delete(lines[i], "trace_id") // the same trace only with a parent
		}
		sameAnswer(t, tc.name, got[0], got[1])
		if !reflect.DeepEqual(lines[0], lines[1]) {
			t.Errorf("%s: access log lines differ:\nlean %v\nGin  %v", tc.name, lines[0], lines[1])
		}
	}
}

// attrsBut returns the span's attributes but the one named skip.
func attrsBut(s tracetest.SpanStub, skip attribute.Key) map[attribute.Key]string {
	out := map[attribute.Key]string{}
	for _, a := range s.Attributes {
		if a.Key != skip {
			out[a.Key] = a.Value.Emit()
		}
	}
	return out
}
