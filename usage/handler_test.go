package usage_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	answer "github.com/latchkey/latchkey/internal/clock"
	"github.com/latchkey/latchkey/internal/testserver"
)

// h0 is on an hour, 10 minutes before the clock the tests start at; days
// do not change within the tests.
var h0 = time.Date(2031, 3, 4, 5, 0, 0, 0, time.UTC)

type fixture struct {
	s       *testserver.Server
	acme    *testserver.Tenant
	partner string // an app token of acme: its secret
	id      string // and its id
}

func newFixture(t *testing.T) *fixture {
	s := testserver.StartWith(t, testserver.Options{Clock: testserver.NewClock(h0.Add(10 * time.Minute))})
	acme := s.NewTenant(t, "acme")
	r := s.Must(t, http.StatusCreated, testserver.Request{Method: "POST", Path: "/api/v1/app_tokens", AppToken: acme.AppToken,
		Token: acme.OwnerToken, JSON: map[string]any{"name": "partner"}})
	return &fixture{s: s, acme: acme, partner: r.String("app_token"), id: r.String("id")}
}

func (f *fixture) flush(t *testing.T) {
	t.Helper()
	if err := f.s.App.Usage.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// series reads the partner's usage with query q as the owner.
func (f *fixture) series(t *testing.T, q url.Values) []map[string]any {
	t.Helper()
	r := f.s.Must(t, http.StatusOK, testserver.Request{Method: "GET", Path: "/api/v1/app_tokens/" + f.id + "/usage?" + q.Encode(),
		AppToken: f.acme.AppToken, Token: f.acme.OwnerToken})
	list, _ := r.JSON["series"].([]any)
	out := make([]map[string]any, len(list))
	for i, p := range list {
		out[i], _ = p.(map[string]any)
	}
	return out
}

func counts(p map[string]any) [3]float64 {
	return [3]float64{p["ok"].(float64), p["denied"].(float64), p["rate_limited"].(float64)}
}

// TestUsageByOutcome checks usage counting: requests authenticated with an app
// token are counted by outcome (a 401 or 403 after the App-Token was
// verified is denied), nothing shows before a flush, and hours and days
// are the buckets summed.
func TestUsageByOutcome(t *testing.T) {
	f := newFixture(t)
	s := f.s
	member := s.NewUser(t, f.acme.AppToken, f.acme.OwnerToken, "mem", "member")
	_ = member
	memberTok := s.Login(t, f.acme.AppToken, "mem", "mem-password")
	do := func(want int, path, token string) {
		t.Helper()
		s.Must(t, want, testserver.Request{Method: "GET", Path: path, AppToken: f.partner, Token: token})
	}
	do(http.StatusOK, "/api/v1/token", f.acme.OwnerToken)
	do(http.StatusOK, "/api/v1/token", memberTok)
	do(http.StatusNotFound, "/api/v1/users/"+f.id, f.acme.OwnerToken) // any answer but 401/403 is ok
	do(http.StatusUnauthorized, "/api/v1/token", "")                  // no user token
	do(http.StatusUnauthorized, "/api/v1/token", "lku_bad")           // a bad one
	do(http.StatusForbidden, "/api/v1/app_tokens", memberTok)         // no permission
	do(http.StatusOK, "/api/v1/verify", f.acme.OwnerToken)
	do(http.StatusUnauthorized, "/api/v1/verify", "")
	// An App-Token that is not verified counts for nobody.
	s.Must(t, http.StatusUnauthorized, testserver.Request{Method: "GET", Path: "/api/v1/token", AppToken: "lka_bad", Token: memberTok})

	last := func(points []map[string]any) [3]float64 { return counts(points[len(points)-1]) }
	if got := last(f.series(t, nil)); got != [3]float64{} {
		t.Fatalf("got %v before a flush, want nothing", got)
	}
	f.flush(t)
	points := f.series(t, nil)
	// The default: the last 24 hours, hourly, from the hour holding since.
	if len(points) != 25 {
		t.Fatalf("got %d points, want 25 (24 hours back from 05:10, by the hour)", len(points))
	}
	if got, want := points[0]["start"], answer.Format(h0.Add(-24*time.Hour)); got != want {
		t.Errorf("first point starts %v, want %v", got, want)
	}
	if got, want := last(points), [3]float64{4, 4, 0}; got != want {
		t.Fatalf("got %v, want %v (ok, denied, rate_limited)", got, want)
	}

	// The next hour is a bucket of its own; a day sums its hours.
	s.Clock.Advance(time.Hour)
	do(http.StatusOK, "/api/v1/token", memberTok)
	f.flush(t)
	points = f.series(t, url.Values{"since": {h0.Format(time.RFC3339)}})
	if len(points) != 2 || counts(points[0]) != [3]float64{4, 4, 0} || counts(points[1]) != [3]float64{1, 0, 0} {
		t.Fatalf("hourly since %v: got %v", h0, points)
	}
	day := time.Date(2031, 3, 4, 0, 0, 0, 0, time.UTC)
	points = f.series(t, url.Values{"since": {day.Add(-24 * time.Hour).Format(time.RFC3339)}, "granularity": {"day"}})
	if len(points) != 2 || points[1]["start"] != answer.Format(day) || counts(points[1]) != [3]float64{5, 4, 0} ||
		counts(points[0]) != [3]float64{} {
		t.Fatalf("daily: got %v", points)
	}
	// until is exclusive: the first hour alone.
	points = f.series(t, url.Values{"since": {h0.Format(time.RFC3339)}, "until": {h0.Add(time.Hour).Format(time.RFC3339)}})
	if len(points) != 1 || counts(points[0]) != [3]float64{4, 4, 0} {
		t.Fatalf("one hour: got %v", points)
	}

	// The ranking: the partner first, then the tenant's first app token
	// (the owner's reads of usage), each with its name.
	r := s.Must(t, http.StatusOK, testserver.Request{Method: "GET", Path: "/api/v1/usage/?since=" + url.QueryEscape(h0.Format(time.RFC3339)),
		AppToken: f.acme.AppToken, Token: f.acme.OwnerToken})
	items, _ := r.JSON["items"].([]any)
	if len(items) != 2 {
		t.Fatalf("got items %v, want 2", r.JSON)
	}
	first := items[0].(map[string]any)
	if first["app_token_id"] != f.id || first["name"] != "partner" || first["ok"] != 5.0 || first["denied"] != 4.0 || first["rate_limited"] != 0.0 {
		t.Fatalf("got first item %v, want the partner with 5 ok and 4 denied", first)
	}
	r = s.Must(t, http.StatusOK, testserver.Request{Method: "GET", Path: "/api/v1/usage?limit=1",
		AppToken: f.acme.AppToken, Token: f.acme.OwnerToken})
	if items, _ := r.JSON["items"].([]any); len(items) != 1 {
		t.Fatalf("limit=1: got %v", r.JSON)
	}
	// Another tenant sees none of acme's.
	globex := s.NewTenant(t, "globex")
	r = s.Must(t, http.StatusOK, testserver.Request{Method: "GET", Path: "/api/v1/usage", AppToken: globex.AppToken, Token: globex.OwnerToken})
	if items, _ := r.JSON["items"].([]any); len(items) != 0 {
		t.Fatalf("globex: got %v", r.JSON)
	}
	s.Must(t, http.StatusNotFound, testserver.Request{Method: "GET", Path: "/api/v1/app_tokens/" + f.id + "/usage",
		AppToken: globex.AppToken, Token: globex.OwnerToken})
}

// TestUsageTwoInstances: two instances on one store each count their own
// requests; the reads sum both.
func TestUsageTwoInstances(t *testing.T) {
	f := newFixture(t)
	other := testserver.StartWith(t, testserver.Options{Store: f.s.Store, Clock: f.s.Clock})
	for _, s := range []*testserver.Server{f.s, other, other} {
		s.Must(t, http.StatusOK, testserver.Request{Method: "GET", Path: "/api/v1/token", AppToken: f.partner, Token: f.acme.OwnerToken})
	}
	f.flush(t)
	other.App.Close() // Close flushes too
	points := f.series(t, nil)
	if got := counts(points[len(points)-1]); got != [3]float64{3, 0, 0} {
		t.Fatalf("got %v, want both instances' 3 requests", got)
	}
}

// TestUsagePermissions: owners, admins and support read usage; members
// do not.
func TestUsagePermissions(t *testing.T) {
	f := newFixture(t)
	s := f.s
	for _, role := range []string{"admin", "support", "member"} {
		s.NewUser(t, f.acme.AppToken, f.acme.OwnerToken, role+"1", role)
		tok := s.Login(t, f.acme.AppToken, role+"1", role+"1-password")
		want := http.StatusOK
		if role == "member" {
			want = http.StatusForbidden
		}
		for _, path := range []string{"/api/v1/app_tokens/" + f.id + "/usage", "/api/v1/usage"} {
			r := s.Must(t, want, testserver.Request{Method: "GET", Path: path, AppToken: f.acme.AppToken, Token: tok})
			if want == http.StatusForbidden {
				testserver.WantErrors(t, r, map[string]string{"permission": "*"})
			}
		}
	}
}

// TestUsageBadQueries: every bad query is a 400 naming the parameter.
func TestUsageBadQueries(t *testing.T) {
	f := newFixture(t)
	at := func(d time.Duration) string { return url.QueryEscape(h0.Add(d).Format(time.RFC3339)) }
	series := "/api/v1/app_tokens/" + f.id + "/usage"
	tests := []struct {
		path  string
		want  int
		field string
	}{
		{series + "?since=" + at(0) + "&until=" + at(0), 400, "since"},
		{series + "?since=" + at(time.Hour) + "&until=" + at(0), 400, "since"},
		{series + "?since=" + at(-91*24*time.Hour), 400, "since"},
		{series + "?since=yesterday", 400, "since"},
		{series + "?until=" + at(-91*24*time.Hour) + "&since=" + at(-182*24*time.Hour), 400, "since"},
		{series + "?granularity=week", 400, "granularity"},
		{series + "?step=1", 400, "step"},
		{"/api/v1/app_tokens/zzz/usage", 400, "token"},
		{"/api/v1/app_tokens/" + "6b02a6e5ca87368ce209254d" + "/usage", 404, "token"},
		{"/api/v1/usage?since=" + at(time.Hour) + "&until=" + at(0), 400, "since"},
		{"/api/v1/usage?limit=0", 400, "limit"},
		{"/api/v1/usage?limit=101", 400, "limit"},
		{"/api/v1/usage?until=soon", 400, "until"},
	}
	for _, tt := range tests {
		r := f.s.Must(t, tt.want, testserver.Request{Method: "GET", Path: tt.path, AppToken: f.acme.AppToken, Token: f.acme.OwnerToken})
		testserver.WantErrors(t, r, map[string]string{tt.field: "*"})
	}
	// 90 days exactly is allowed.
	f.s.Must(t, http.StatusOK, testserver.Request{Method: "GET", Path: series + "?since=" + at(-90*24*time.Hour) + "&until=" + at(0),
		AppToken: f.acme.AppToken, Token: f.acme.OwnerToken})
}

// TestUsageCountsRateLimited: a request the app token's rate limit refuses
// counts as rate_limited, not as denied or ok.
func TestUsageCountsRateLimited(t *testing.T) {
	f := newFixture(t)
	f.s.Must(t, http.StatusOK, testserver.Request{Method: "PATCH", Path: "/api/v1/app_tokens/" + f.id, AppToken: f.acme.AppToken,
		Token: f.acme.OwnerToken, JSON: map[string]any{"rate_limit": map[string]any{"limit": 2, "seconds": 3600}}})
	for _, want := range []int{http.StatusOK, http.StatusOK, http.StatusTooManyRequests, http.StatusTooManyRequests} {
		f.s.Must(t, want, testserver.Request{Method: "GET", Path: "/api/v1/token", AppToken: f.partner, Token: f.acme.OwnerToken})
	}
	f.flush(t)
	points := f.series(t, nil)
	if got, want := counts(points[len(points)-1]), [3]float64{2, 0, 2}; got != want {
		t.Fatalf("got %v, want %v (ok, denied, rate_limited)", got, want)
	}
}
