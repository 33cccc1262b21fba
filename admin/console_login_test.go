package admin_test

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/testserver"
)

// consoleApp is the id of every tenant's built-in console app token.
const consoleApp = "000000000000000000000001"

func consoleLogin(tenant, username, password string) testserver.Request {
	return testserver.Request{Method: "POST", Path: "/api/v1/console/login",
		JSON: map[string]any{"tenant": tenant, "username": username, "password": password}}
}

// TestConsoleLogin: the console signs in by tenant slug, username and
// password, without an App-Token; its session is a user token issued
// through the tenant's console app token, sent with App-Token "console".
func TestConsoleLogin(t *testing.T) {
	s := testserver.Start(t)
	acme := s.NewTenant(t, "acme")
	s.NewUser(t, acme.AppToken, acme.OwnerToken, "mia", "member")
	now := s.Clock.Now()

	r := s.Must(t, http.StatusOK, consoleLogin("acme", "MIA", "mia-password"))
	tok := r.String("token")
	wantTime(t, "expires", r.JSON["expires"], now.Add(24*time.Hour)) // the tenant's user_token_ttl
	if u := objOf(r, "user"); u["username"] != "mia" || u["role"] != "member" {
		t.Errorf("user: got %v, want mia, member", u)
	}
	if r.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control: got %q, want no-store", r.Header.Get("Cache-Control"))
	}
	cur := s.Must(t, http.StatusOK, testserver.Request{Method: "GET", Path: "/api/v1/token", AppToken: "console", Token: tok})
	if cur.String("app_token_id") != consoleApp || cur.String("kind") != "login" {
		t.Errorf("GET /token: got %s, want a login through the console app token", cur.Body)
	}
	// The console session works with the tenant's other app tokens too, as
	// any user token of the tenant does.
	s.Must(t, http.StatusOK, testserver.Request{Method: "GET", Path: "/api/v1/users/me", AppToken: acme.AppToken, Token: tok})

	// The console app token is listed as such, and cannot be changed.
	list := s.Must(t, http.StatusOK, testserver.Request{Method: "GET", Path: "/api/v1/app_tokens", AppToken: acme.AppToken, Token: acme.OwnerToken})
	consoles := 0
	for _, it := range list.JSON["items"].([]any) {
		v := it.(map[string]any)
		if v["console"] == true {
			consoles++
			if v["id"] != consoleApp || v["name"] != "Console" {
				t.Errorf("console app token: got %v", v)
			}
		}
	}
	if consoles != 1 {
		t.Errorf("got %d app tokens marked console, want 1: %s", consoles, list.Body)
	}
	for _, req := range []testserver.Request{
		{Method: "PATCH", Path: "/api/v1/app_tokens/" + consoleApp, JSON: map[string]any{"seconds_until_expire": -1}},
		{Method: "PATCH", Path: "/api/v1/app_tokens/" + consoleApp, JSON: map[string]any{"seconds_until_expire": 60}},
		{Method: "DELETE", Path: "/api/v1/app_tokens/" + consoleApp + "?force=true"},
	} {
		req.AppToken, req.Token = acme.AppToken, acme.OwnerToken
		testserver.WantErrors(t, s.Must(t, http.StatusConflict, req), map[string]string{"token": "*"})
	}
	s.Must(t, http.StatusOK, testserver.Request{Method: "GET", Path: "/api/v1/users/me", AppToken: "console", Token: tok})

	// A second sign-in reuses the console app token.
	s.Must(t, http.StatusOK, consoleLogin("acme", "owner", "owner-password"))
	if n := s.Count(t, acme.ID, "app_tokens"); n != 2 {
		t.Errorf("app tokens: got %d, want 2 (the first and the console's)", n)
	}

	// Audited in the tenant as a login through the console.
	audit := s.Must(t, http.StatusOK, testserver.Request{Method: "GET", Path: "/api/v1/audit?action=login", AppToken: acme.AppToken, Token: acme.OwnerToken})
	if items := audit.JSON["items"].([]any); len(items) == 0 || items[0].(map[string]any)["detail"] != "console" {
		t.Errorf("audit: got %s, want the console login first", audit.Body)
	}

	// Logout through the console session ends it.
	s.Must(t, http.StatusNoContent, testserver.Request{Method: "DELETE", Path: "/api/v1/token", AppToken: "console", Token: tok})
	testserver.WantErrors(t, s.Must(t, http.StatusUnauthorized, testserver.Request{Method: "GET", Path: "/api/v1/token", AppToken: "console", Token: tok}),
		map[string]string{"Token": "Invalid or expired token."})
}

// TestConsoleLoginRefusals: an unknown or disabled tenant answers exactly
// as a wrong password does (no tenant enumeration), bad input is 400, and
// App-Token "console" goes only with a console session.
func TestConsoleLoginRefusals(t *testing.T) {
	s := testserver.Start(t)
	acme := s.NewTenant(t, "acme")
	off := s.NewTenant(t, "off")
	s.Must(t, http.StatusOK, testserver.Request{Method: "PATCH", Path: "/api/v1/tenants/off", AppToken: s.AppToken, Token: s.OwnerToken(t),
		JSON: map[string]any{"status": "disabled"}})

	for name, req := range map[string]testserver.Request{
		"wrong password":  consoleLogin("acme", "owner", "wrong-password"),
		"unknown user":    consoleLogin("acme", "nobody", "owner-password"),
		"unknown tenant":  consoleLogin("nope", "owner", "owner-password"),
		"malformed slug":  consoleLogin("Not A Slug!", "owner", "owner-password"),
		"a tenant id":     consoleLogin(acme.ID, "owner", "owner-password"),
		"disabled tenant": consoleLogin("off", "owner", "owner-password"),
	} {
		r := s.Do(t, req)
		if r.Status != http.StatusUnauthorized || string(r.Body) != badCredentials {
			t.Errorf("%s: got %d %s, want 401 %s", name, r.Status, r.Body, badCredentials)
		}
	}
	_ = off
	testserver.WantErrors(t, s.Must(t, http.StatusBadRequest, testserver.Request{Method: "POST", Path: "/api/v1/console/login",
		JSON: map[string]any{"tenant": "", "username": "", "password": "", "app_token": "x"}}),
		map[string]string{"tenant": "*", "username": "*", "password": "*", "app_token": "*"})

	// A token signed in with a partner app token is no console session.
	partner := s.Login(t, acme.AppToken, "owner", "owner-password")
	testserver.WantErrors(t, s.Must(t, http.StatusUnauthorized, testserver.Request{Method: "GET", Path: "/api/v1/token", AppToken: "console", Token: partner}),
		map[string]string{"App-Token": "*"})
	// Routes without a user token refuse App-Token "console".
	testserver.WantErrors(t, s.Must(t, http.StatusUnauthorized, testserver.Request{Method: "POST", Path: "/api/v1/token", AppToken: "console",
		JSON: map[string]any{"username": "owner", "password": "owner-password"}}), map[string]string{"App-Token": "*"})

	// Disabling the tenant ends its console sessions.
	tok := s.Must(t, http.StatusOK, consoleLogin("acme", "owner", "owner-password")).String("token")
	s.Must(t, http.StatusOK, testserver.Request{Method: "PATCH", Path: "/api/v1/tenants/acme", AppToken: s.AppToken, Token: s.OwnerToken(t),
		JSON: map[string]any{"status": "disabled"}})
	testserver.WantErrors(t, s.Must(t, http.StatusUnauthorized, testserver.Request{Method: "GET", Path: "/api/v1/token", AppToken: "console", Token: tok}),
		map[string]string{"App-Token": "This tenant is disabled."})
}

// TestConsoleLoginLockout: console sign-ins count toward the username's
// lockout like any login, and are audited as failures.
func TestConsoleLoginLockout(t *testing.T) {
	s := testserver.Start(t)
	acme := s.NewTenant(t, "acme")
	for range 5 {
		s.Must(t, http.StatusUnauthorized, consoleLogin("acme", "owner", "wrong-password"))
	}
	s.Must(t, http.StatusTooManyRequests, consoleLogin("acme", "owner", "owner-password"))
	s.Must(t, http.StatusTooManyRequests, testserver.Request{Method: "POST", Path: "/api/v1/token", AppToken: acme.AppToken,
		JSON: map[string]any{"username": "owner", "password": "owner-password"}})
	audit := s.Must(t, http.StatusOK, testserver.Request{Method: "GET", Path: "/api/v1/audit?action=login", AppToken: acme.AppToken, Token: acme.OwnerToken})
	failures := 0
	for _, it := range audit.JSON["items"].([]any) {
		if it.(map[string]any)["outcome"] != "success" {
			failures++
		}
	}
	if failures != 7 { // five wrong passwords, two refused by the lock
		t.Errorf("audit: got %d refused logins, want 7: %s", failures, audit.Body)
	}
}

// TestConsoleLoginFirstUseRace: concurrent first sign-ins of a tenant all
// succeed and leave one console app token. There are fewer of them than
// the lockout's slots (lockout_attempts, 5 by default): a sixth login in
// flight at once would rightly be told to retry (429), and whether one is
// depends on how long the others take to hash. The losing insert itself
// is made to happen every time by TestConsoleLosesTheFirstUseRace.
func TestConsoleLoginFirstUseRace(t *testing.T) {
	s := testserver.Start(t)
	acme := s.NewTenant(t, "acme")
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() { s.Must(t, http.StatusOK, consoleLogin("acme", "owner", "owner-password")) })
	}
	wg.Wait()
	if n := s.Count(t, acme.ID, "app_tokens"); n != 2 {
		t.Errorf("app tokens: got %d, want 2", n)
	}
}

// TestTokensNameTheirIssuer: GET /tokens and GET /tokens/{token} name the
// issuing admin of an on-behalf-of token by username, for a member too
// (who may not read users), and null once that admin is deleted.
func TestTokensNameTheirIssuer(t *testing.T) {
	s := testserver.Start(t)
	acme := s.NewTenant(t, "acme")
	miaID := s.NewUser(t, acme.AppToken, acme.OwnerToken, "mia", "member")
	adaID := s.NewUser(t, acme.AppToken, acme.OwnerToken, "ada", "admin")
	ada := s.Login(t, acme.AppToken, "ada", "ada-password")
	obo := s.Must(t, http.StatusCreated, testserver.Request{Method: "POST", Path: "/api/v1/tokens", AppToken: acme.AppToken, Token: ada,
		JSON: map[string]any{"user": miaID, "seconds_until_expire": 3600}}).String("id")
	mia := s.Login(t, acme.AppToken, "mia", "mia-password")

	issuer := func(path string) any {
		r := s.Must(t, http.StatusOK, testserver.Request{Method: "GET", Path: path, AppToken: acme.AppToken, Token: mia})
		if items, ok := r.JSON["items"].([]any); ok {
			for _, it := range items {
				if v := it.(map[string]any); v["id"] == obo {
					return v["actor_username"]
				}
			}
			t.Fatalf("%s: no token %s in %s", path, obo, r.Body)
		}
		return r.JSON["actor_username"]
	}
	for _, path := range []string{"/api/v1/tokens", "/api/v1/tokens/" + obo} {
		if got := issuer(path); got != "ada" {
			t.Errorf("%s: actor_username got %v, want ada", path, got)
		}
	}
	s.Must(t, http.StatusNoContent, testserver.Request{Method: "DELETE", Path: "/api/v1/users/" + adaID, AppToken: acme.AppToken, Token: acme.OwnerToken})
	if got := issuer("/api/v1/tokens/" + obo); got != nil {
		t.Errorf("after the issuer is deleted: actor_username got %v, want null", got)
	}
}
