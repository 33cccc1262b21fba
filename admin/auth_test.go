package admin_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/secret"
	"github.com/latchkey/latchkey/internal/testserver"
)

func TestAuthHeaders(t *testing.T) {
	s := testserver.Start(t)
	tok := s.OwnerToken(t)
	other := s.NewTenant(t, "other")
	refresh := s.Must(t, 200, testserver.Request{Method: "POST", Path: "/api/v1/token", AppToken: s.AppToken,
		JSON: map[string]any{"username": s.Username, "password": s.Password}}).String("refresh_token")
	me := func(app, token string, header map[string]string) testserver.Request {
		return testserver.Request{Method: "GET", Path: "/api/v1/users/me", AppToken: app, Token: token, Header: header}
	}
	const (
		appMissing = "This header is required."
		appBad     = "Invalid or expired app token."
		tokMissing = "This header is required."
		tokBad     = "Invalid or expired token."
	)
	wantMe := func(t *testing.T, r *testserver.Response) {
		if r.String("username") != s.Username {
			t.Errorf("got %s, want the platform owner", r.Body)
		}
	}
	runCoreCases(t, s, []coreCase{
		{name: "both headers", req: me(s.AppToken, tok, nil), status: 200, check: wantMe},
		{name: "Authorization: Token", req: me(s.AppToken, "", map[string]string{"Authorization": "Token " + tok}), status: 200, check: wantMe},
		{name: "Authorization: Bearer", req: me(s.AppToken, "", map[string]string{"Authorization": "Bearer " + tok}), status: 200, check: wantMe},
		{name: "Authorization: bearer", req: me(s.AppToken, "", map[string]string{"Authorization": "bearer " + tok}), status: 200, check: wantMe},
		{name: "no headers", req: me("", "", nil), status: 401,
			errors: map[string]string{"App-Token": appMissing, "Token": tokMissing}},
		{name: "bad App-Token and no Token", req: me("lka_nonsense", "", nil), status: 401,
			errors: map[string]string{"App-Token": appBad, "Token": tokMissing}},
		{name: "no App-Token", req: me("", tok, nil), status: 401, errors: map[string]string{"App-Token": appMissing}},
		{name: "no Token", req: me(s.AppToken, "", nil), status: 401, errors: map[string]string{"Token": tokMissing}},
		{name: "Authorization of another scheme", req: me(s.AppToken, "", map[string]string{"Authorization": "Basic YTpi"}), status: 401,
			errors: map[string]string{"Token": tokMissing}},
		{name: "made-up App-Token", req: me("lka_nonsense", tok, nil), status: 401, errors: map[string]string{"App-Token": appBad}},
		{name: "unknown App-Token", req: me(s.Keys.NewToken(secret.App, s.TenantID, ids.New()), tok, nil), status: 401,
			errors: map[string]string{"App-Token": appBad}},
		{name: "App-Token of an unknown tenant", req: me(s.Keys.NewToken(secret.App, "zzzzzzzz", ids.New()), tok, nil), status: 401,
			errors: map[string]string{"App-Token": appBad}},
		{name: "user token as App-Token", req: me(tok, tok, nil), status: 401, errors: map[string]string{"App-Token": appBad}},
		{name: "made-up Token", req: me(s.AppToken, "lku_nonsense", nil), status: 401, errors: map[string]string{"Token": tokBad}},
		{name: "unknown Token", req: me(s.AppToken, s.Keys.NewToken(secret.User, s.TenantID, ids.New()), nil), status: 401,
			errors: map[string]string{"Token": tokBad}},
		{name: "app token as Token", req: me(s.AppToken, s.AppToken, nil), status: 401, errors: map[string]string{"Token": tokBad}},
		{name: "refresh token as Token", req: me(s.AppToken, refresh, nil), status: 401, errors: map[string]string{"Token": tokBad}},
		{name: "Token of another tenant", req: me(s.AppToken, other.OwnerToken, nil), status: 401,
			errors: map[string]string{"Token": "The token and the app token belong to different tenants."}},
		{name: "App-Token of another tenant", req: me(other.AppToken, tok, nil), status: 401,
			errors: map[string]string{"Token": "The token and the app token belong to different tenants."}},
		{name: "login needs only the App-Token", req: testserver.Request{Method: "POST", Path: "/api/v1/token", AppToken: s.AppToken,
			JSON: map[string]any{"username": s.Username, "password": s.Password}}, status: 200},
		{name: "login without App-Token", req: testserver.Request{Method: "POST", Path: "/api/v1/token",
			JSON: map[string]any{"username": s.Username, "password": s.Password}}, status: 401,
			errors: map[string]string{"App-Token": appMissing}},
	})
}

func TestExpiredAppToken(t *testing.T) {
	s := testserver.Start(t)
	tok := s.OwnerToken(t)
	r := s.Must(t, 201, testserver.Request{Method: "POST", Path: "/api/v1/app_tokens", AppToken: s.AppToken, Token: tok,
		JSON: map[string]any{"seconds_until_expire": 60, "name": "short"}})
	short := r.String("app_token")
	me := testserver.Request{Method: "GET", Path: "/api/v1/users/me", AppToken: short, Token: tok}
	s.Must(t, 200, me)
	s.Clock.Advance(time.Minute)
	testserver.WantErrors(t, s.Must(t, 401, me), map[string]string{"App-Token": "Invalid or expired app token."})
	s.Must(t, 401, testserver.Request{Method: "POST", Path: "/api/v1/token", AppToken: short,
		JSON: map[string]any{"username": s.Username, "password": s.Password}})
	// The first app token is untouched.
	me.AppToken = s.AppToken
	s.Must(t, 200, me)
}

// Disabling a tenant stops its tokens from the next request on, also with
// the verification cache on; enabling it again brings them back.
func TestDisabledTenantStopsAtOnce(t *testing.T) {
	s := testserver.StartWith(t, testserver.Options{CacheTTL: time.Hour})
	a := s.NewTenant(t, "acme")
	owner := s.OwnerToken(t)
	me := testserver.Request{Method: "GET", Path: "/api/v1/users/me", AppToken: a.AppToken, Token: a.OwnerToken}
	login := testserver.Request{Method: "POST", Path: "/api/v1/token", AppToken: a.AppToken,
		JSON: map[string]any{"username": "owner", "password": "owner-password"}}
	s.Must(t, 200, me) // now cached
	s.Must(t, 200, testserver.Request{Method: "PATCH", Path: "/api/v1/tenants/acme", AppToken: s.AppToken, Token: owner,
		JSON: map[string]any{"status": "disabled"}})
	for _, req := range []testserver.Request{me, login} {
		r := s.Do(t, req)
		if r.Status != http.StatusUnauthorized {
			t.Fatalf("%s %s: got %d, want 401", req.Method, req.Path, r.Status)
		}
		testserver.WantErrors(t, r, map[string]string{"App-Token": "This tenant is disabled."})
	}
	s.Must(t, 200, testserver.Request{Method: "PATCH", Path: "/api/v1/tenants/acme", AppToken: s.AppToken, Token: owner,
		JSON: map[string]any{"status": "active"}})
	s.Must(t, 200, me)
	s.Must(t, 200, login)
}
