package admin_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/secret"
	"github.com/latchkey/latchkey/internal/testserver"
)

// verifications returns latchkey_verifications_total by its labels, as
// `credential="…",outcome="…"`.
func verifications(t *testing.T, s *testserver.Server) map[string]float64 {
	t.Helper()
	return s.Samples(t, "latchkey_verifications_total")
}

// TestVerificationOutcomes: every way a verification ends is counted once
// under its own outcome, for the credential it is about. (user_disabled is
// not reached through the API, which expires a user's tokens when it is
// disabled; it guards tokens that a race or older data left behind.)
func TestVerificationOutcomes(t *testing.T) {
	s := testserver.Start(t)
	owner := s.OwnerToken(t)
	acme := s.NewTenant(t, "acme")
	shortApp := s.Must(t, http.StatusCreated, testserver.Request{Method: "POST", Path: "/api/v1/app_tokens", AppToken: s.AppToken,
		Token: owner, JSON: map[string]any{"seconds_until_expire": 60}}).String("app_token")
	loggedOut := s.OwnerToken(t)
	s.Must(t, http.StatusNoContent, testserver.Request{Method: "DELETE", Path: "/api/v1/token", AppToken: s.AppToken, Token: loggedOut})
	disabledApp := acme.AppToken
	s.Must(t, http.StatusOK, testserver.Request{Method: "PATCH", Path: "/api/v1/tenants/acme", AppToken: s.AppToken, Token: owner,
		JSON: map[string]any{"status": "disabled"}})
	s.Clock.Advance(2 * time.Minute) // shortApp expires

	get := func(app, user string) testserver.Request {
		return testserver.Request{Method: "GET", Path: "/api/v1/users/me", AppToken: app, Token: user}
	}
	cases := []struct {
		name string
		req  testserver.Request
		want []string // the series that grow by one
	}{
		{"nothing", get("", ""), []string{`credential="app_token",outcome="missing"`}},
		{"malformed app token", get("lka_nope", owner), []string{`credential="app_token",outcome="malformed"`}},
		{"unknown app token", get(s.Keys.NewToken(secret.App, s.TenantID, ids.New()), owner), []string{`credential="app_token",outcome="unknown"`}},
		{"expired app token", get(shortApp, owner), []string{`credential="app_token",outcome="expired"`}},
		{"disabled tenant", get(disabledApp, owner), []string{`credential="app_token",outcome="tenant_disabled"`}},
		{"no user token", get(s.AppToken, ""), []string{`credential="app_token",outcome="verified"`, `credential="user_token",outcome="missing"`}},
		{"malformed user token", get(s.AppToken, "lku_nope"), []string{`credential="app_token",outcome="verified"`, `credential="user_token",outcome="malformed"`}},
		{"other tenant", get(s.AppToken, acme.OwnerToken), []string{`credential="app_token",outcome="verified"`, `credential="user_token",outcome="other_tenant"`}},
		{"unknown user token", get(s.AppToken, s.Keys.NewToken(secret.User, s.TenantID, ids.New())),
			[]string{`credential="app_token",outcome="verified"`, `credential="user_token",outcome="unknown"`}},
		{"logged out", get(s.AppToken, loggedOut), []string{`credential="app_token",outcome="verified"`, `credential="user_token",outcome="expired"`}},
		{"valid", get(s.AppToken, owner), []string{`credential="app_token",outcome="verified"`, `credential="user_token",outcome="verified"`}},
	}
	for _, tc := range cases {
		before := verifications(t, s)
		s.Do(t, tc.req)
		after := verifications(t, s)
		// The scrape itself is not authenticated, so only tc.req counts.
		var grew []string
		for k, v := range after {
			if v != before[k] {
				if v != before[k]+1 {
					t.Errorf("%s: %s grew by %v, want 1", tc.name, k, v-before[k])
				}
				grew = append(grew, k)
			}
		}
		if len(grew) != len(tc.want) {
			t.Errorf("%s: got %v grown, want %v", tc.name, grew, tc.want)
			continue
		}
		for _, w := range tc.want {
			if after[w] != before[w]+1 {
				t.Errorf("%s: %s did not grow (grown: %v)", tc.name, w, grew)
			}
		}
	}
	if got := len(verifications(t, s)); got != 2*10 {
		t.Errorf("got %d series, want all 20 from the start (2 credentials × 10 outcomes)", got)
	}
}
