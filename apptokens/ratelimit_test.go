package apptokens_test

import (
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/testserver"
)

// limited makes an app token limited to n requests every seconds and
// returns its string and id.
func limited(t *testing.T, s *testserver.Server, owner string, n, seconds int) (string, string) {
	t.Helper()
	r := s.Must(t, http.StatusCreated, testserver.Request{Method: "POST", Path: base, AppToken: s.AppToken, Token: owner,
		JSON: map[string]any{"name": "partner", "rate_limit": map[string]any{"limit": n, "seconds": seconds}}})
	rl, _ := r.JSON["rate_limit"].(map[string]any)
	if rl["limit"] != float64(n) || rl["seconds"] != float64(seconds) {
		t.Fatalf("created with rate_limit %v, want %d/%d", r.JSON["rate_limit"], n, seconds)
	}
	return r.String("app_token"), r.String("id")
}

// TestRateLimit spends a limited app token's budget on Latchkey's API and
// on /verify alike: every answer carries the RateLimit fields, the one
// beyond the limit is 429 with Retry-After, and the next window admits
// again. An unlimited token is unaffected throughout.
func TestRateLimit(t *testing.T) {
	s := testserver.Start(t)
	owner := s.OwnerToken(t)
	app, _ := limited(t, s, owner, 4, 60)
	reset := func() int {
		now := s.Clock.Now().UnixMilli()
		return int((60_000 - now%60_000 + 999) / 1000)
	}
	reqs := []testserver.Request{
		{Method: "GET", Path: "/api/v1/token", AppToken: app, Token: owner},
		{Method: "GET", Path: "/api/v1/verify", AppToken: app, Token: owner},
		{Method: "GET", Path: "/api/v1/token", AppToken: app, Token: "lkt_bad"}, // a bad user token counts too
		{Method: "GET", Path: "/api/v1/verify", AppToken: app, Token: owner},
	}
	wantStatus := []int{200, 200, 401, 200}
	for i, req := range reqs {
		r := s.Do(t, req)
		if r.Status != wantStatus[i] {
			t.Fatalf("request %d: got %d %s, want %d", i+1, r.Status, r.Body, wantStatus[i])
		}
		if got := r.Header.Get("RateLimit-Policy"); got != `"default";q=4;w=60` {
			t.Errorf("request %d: RateLimit-Policy %q", i+1, got)
		}
		if got, want := r.Header.Get("RateLimit"), fmt.Sprintf(`"default";r=%d;t=%d`, 3-i, reset()); got != want {
			t.Errorf("request %d: RateLimit %q, want %q", i+1, got, want)
		}
	}
	for _, path := range []string{"/api/v1/token", "/api/v1/verify"} {
		r := s.Do(t, testserver.Request{Method: "GET", Path: path, AppToken: app, Token: owner})
		if r.Status != http.StatusTooManyRequests {
			t.Fatalf("%s beyond the limit: got %d %s, want 429", path, r.Status, r.Body)
		}
		testserver.WantErrors(t, r, map[string]string{"rate_limit": "*"})
		if got := r.Header.Get("Retry-After"); got != strconv.Itoa(reset()) {
			t.Errorf("Retry-After %q, want %d", got, reset())
		}
		if got, want := r.Header.Get("RateLimit"), fmt.Sprintf(`"default";r=0;t=%d`, reset()); got != want {
			t.Errorf("429: RateLimit %q, want %q", got, want)
		}
	}
	// The unlimited app token of the same tenant is unaffected.
	for range 10 {
		r := s.Must(t, http.StatusOK, testserver.Request{Method: "GET", Path: "/api/v1/verify", AppToken: s.AppToken, Token: owner})
		if r.Header.Get("RateLimit") != "" || r.Header.Get("RateLimit-Policy") != "" {
			t.Fatalf("an unlimited token's answer carries RateLimit fields: %v", r.Header)
		}
	}
	s.Clock.Advance(time.Duration(reset()) * time.Second)
	r := s.Must(t, http.StatusOK, testserver.Request{Method: "GET", Path: "/api/v1/verify", AppToken: app, Token: owner})
	if got := r.Header.Get("RateLimit"); got != `"default";r=3;t=60` {
		t.Errorf("next window: RateLimit %q", got)
	}
}

// TestPatchRateLimit changes a token's limit: owners may, support may
// not; bad limits change nothing; null removes it.
func TestPatchRateLimit(t *testing.T) {
	s := testserver.Start(t)
	owner := s.OwnerToken(t)
	app, id := limited(t, s, owner, 1, 3600)
	s.NewUser(t, s.AppToken, owner, "sally", "support")
	support := s.Login(t, s.AppToken, "sally", "sally-password")
	path := base + "/" + id
	patch := func(token string, body any) *testserver.Response {
		return s.Do(t, testserver.Request{Method: "PATCH", Path: path, AppToken: s.AppToken, Token: token, JSON: body})
	}
	s.Must(t, http.StatusOK, testserver.Request{Method: "GET", Path: "/api/v1/verify", AppToken: app, Token: owner})
	s.Must(t, http.StatusTooManyRequests, testserver.Request{Method: "GET", Path: "/api/v1/verify", AppToken: app, Token: owner})

	bad := []struct {
		body  any
		field string
	}{
		{map[string]any{"rate_limit": map[string]any{"limit": 0, "seconds": 60}}, "rate_limit.limit"},
		{map[string]any{"rate_limit": map[string]any{"limit": 1_000_001, "seconds": 60}}, "rate_limit.limit"},
		{map[string]any{"rate_limit": map[string]any{"limit": 5, "seconds": 86_401}}, "rate_limit.seconds"},
		{map[string]any{"rate_limit": map[string]any{"limit": 5}}, "rate_limit"},
		{map[string]any{"rate_limit": map[string]any{"limit": 5, "seconds": 60, "burst": 2}}, "rate_limit"},
		{map[string]any{"rate_limit": "100/60s"}, "rate_limit"},
		{`{"rate_limit": {"limit": 5, "limit": 6, "seconds": 60}}`, "rate_limit.limit"},
	}
	for _, tc := range bad {
		r := patch(owner, tc.body)
		if r.Status != http.StatusBadRequest {
			t.Errorf("%v: got %d %s, want 400", tc.body, r.Status, r.Body)
			continue
		}
		testserver.WantErrors(t, r, map[string]string{tc.field: "*"})
	}
	r := patch(support, map[string]any{"rate_limit": nil})
	if r.Status != http.StatusForbidden {
		t.Fatalf("support removing a limit: got %d %s, want 403", r.Status, r.Body)
	}
	testserver.WantErrors(t, r, map[string]string{"rate_limit": "*"})
	// Nothing changed: still one request an hour.
	got := s.Must(t, http.StatusOK, testserver.Request{Method: "GET", Path: path, AppToken: s.AppToken, Token: owner})
	if rl, _ := got.JSON["rate_limit"].(map[string]any); rl["limit"] != float64(1) || rl["seconds"] != float64(3600) {
		t.Fatalf("after refused changes: rate_limit %v", got.JSON["rate_limit"])
	}
	s.Must(t, http.StatusTooManyRequests, testserver.Request{Method: "GET", Path: "/api/v1/token", AppToken: app, Token: owner})

	// A new limit counts afresh; null removes it.
	r = s.Must(t, http.StatusOK, testserver.Request{Method: "PATCH", Path: path, AppToken: s.AppToken, Token: owner,
		JSON: map[string]any{"rate_limit": map[string]any{"limit": 2, "seconds": 3600}}})
	if rl, _ := r.JSON["rate_limit"].(map[string]any); rl["limit"] != float64(2) {
		t.Fatalf("PATCH answer rate_limit %v", r.JSON["rate_limit"])
	}
	s.Must(t, http.StatusOK, testserver.Request{Method: "GET", Path: "/api/v1/token", AppToken: app, Token: owner})
	r = s.Must(t, http.StatusOK, testserver.Request{Method: "PATCH", Path: path, AppToken: s.AppToken, Token: owner,
		JSON: map[string]any{"rate_limit": nil}})
	if r.JSON["rate_limit"] != nil {
		t.Fatalf("PATCH null: rate_limit %v", r.JSON["rate_limit"])
	}
	for range 5 {
		r := s.Must(t, http.StatusOK, testserver.Request{Method: "GET", Path: "/api/v1/verify", AppToken: app, Token: owner})
		if r.Header.Get("RateLimit") != "" {
			t.Fatal("a token whose limit was removed still carries RateLimit")
		}
	}
	// An expired token's limit cannot change.
	s.Must(t, http.StatusOK, testserver.Request{Method: "PATCH", Path: path, AppToken: s.AppToken, Token: owner,
		JSON: map[string]any{"seconds_until_expire": -1}})
	r = patch(owner, map[string]any{"rate_limit": map[string]any{"limit": 2, "seconds": 60}})
	if r.Status != http.StatusConflict {
		t.Fatalf("limit of an expired token: got %d %s, want 409", r.Status, r.Body)
	}
}

// TestTenantDefaultRateLimit: app_token_rate_limit is null by default,
// validated, and the limit of new app tokens unless they name their own.
func TestTenantDefaultRateLimit(t *testing.T) {
	s := testserver.Start(t)
	owner := s.OwnerToken(t)
	tenant := "/api/v1/tenants/platform"
	r := s.Must(t, http.StatusOK, testserver.Request{Method: "GET", Path: tenant, AppToken: s.AppToken, Token: owner})
	settings, _ := r.JSON["settings"].(map[string]any)
	if v, ok := settings["app_token_rate_limit"]; !ok || v != nil {
		t.Fatalf("default app_token_rate_limit: %v (present %v), want null", v, ok)
	}
	r = s.Do(t, testserver.Request{Method: "PATCH", Path: tenant, AppToken: s.AppToken, Token: owner,
		JSON: map[string]any{"settings": map[string]any{"app_token_rate_limit": map[string]any{"limit": 0, "seconds": 0}}}})
	if r.Status != http.StatusBadRequest {
		t.Fatalf("bad default: got %d %s", r.Status, r.Body)
	}
	testserver.WantErrors(t, r, map[string]string{"settings.app_token_rate_limit.limit": "*", "settings.app_token_rate_limit.seconds": "*"})
	s.Must(t, http.StatusOK, testserver.Request{Method: "PATCH", Path: tenant, AppToken: s.AppToken, Token: owner,
		JSON: map[string]any{"settings": map[string]any{"app_token_rate_limit": map[string]any{"limit": 7, "seconds": 30}}}})
	made := s.Must(t, http.StatusCreated, testserver.Request{Method: "POST", Path: base, AppToken: s.AppToken, Token: owner, JSON: map[string]any{}})
	if rl, _ := made.JSON["rate_limit"].(map[string]any); rl["limit"] != float64(7) || rl["seconds"] != float64(30) {
		t.Fatalf("new token's rate_limit %v, want the tenant's 7/30", made.JSON["rate_limit"])
	}
	r = s.Must(t, http.StatusOK, testserver.Request{Method: "GET", Path: "/api/v1/verify", AppToken: made.String("app_token"), Token: owner})
	if r.Header.Get("RateLimit-Policy") != `"default";q=7;w=30` {
		t.Errorf("RateLimit-Policy %q", r.Header.Get("RateLimit-Policy"))
	}
	none := s.Must(t, http.StatusCreated, testserver.Request{Method: "POST", Path: base, AppToken: s.AppToken, Token: owner,
		JSON: map[string]any{"rate_limit": nil}})
	if none.JSON["rate_limit"] != nil {
		t.Fatalf("explicit null: rate_limit %v", none.JSON["rate_limit"])
	}
	// Tokens made before the setting keep having none.
	list := s.Must(t, http.StatusOK, testserver.Request{Method: "GET", Path: base, AppToken: s.AppToken, Token: owner})
	items, _ := list.JSON["items"].([]any)
	last, _ := items[len(items)-1].(map[string]any)
	if last["rate_limit"] != nil {
		t.Errorf("the first app token: rate_limit %v, want null", last["rate_limit"])
	}
	s.Must(t, http.StatusOK, testserver.Request{Method: "PATCH", Path: tenant, AppToken: s.AppToken, Token: owner,
		JSON: map[string]any{"settings": map[string]any{"app_token_rate_limit": nil}}})
	r = s.Must(t, http.StatusOK, testserver.Request{Method: "GET", Path: tenant, AppToken: s.AppToken, Token: owner})
	if settings, _ := r.JSON["settings"].(map[string]any); settings["app_token_rate_limit"] != nil {
		t.Errorf("after null: %v", settings["app_token_rate_limit"])
	}
}
