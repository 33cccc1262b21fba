package usertokens_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/testserver"
)

// TestExpiringTheSessionEndsItsRefreshToken: PATCH /token with -1 is a
// logout in all but name, so the refresh token must not revive the session.
func TestExpiringTheSessionEndsItsRefreshToken(t *testing.T) {
	s := testserver.Start(t)
	login := s.Must(t, http.StatusOK, testserver.Request{Method: "POST", Path: "/api/v1/token", AppToken: s.AppToken,
		JSON: map[string]any{"username": s.Username, "password": s.Password}})
	s.Must(t, http.StatusOK, testserver.Request{Method: "PATCH", Path: "/api/v1/token", AppToken: s.AppToken,
		Token: login.String("token"), JSON: map[string]any{"seconds_until_expire": -1}})
	r := s.Do(t, testserver.Request{Method: "POST", Path: "/api/v1/token/refresh", AppToken: s.AppToken,
		JSON: map[string]any{"refresh_token": login.String("refresh_token")}})
	if r.Status != http.StatusUnauthorized || r.Errors()["refresh_token"] == nil {
		t.Fatalf("refresh after expiring the session: got %d %s, want 401 on refresh_token", r.Status, r.Body)
	}
}

// TestFailedLoginAuditKeepsNoUnknownName: a failed login for an unknown
// username records no name (it may be a password typed in the wrong field);
// one for a known user records who.
func TestFailedLoginAuditKeepsNoUnknownName(t *testing.T) {
	s := testserver.Start(t)
	for _, name := range []string{"hunter2-oops", s.Username} {
		s.Must(t, http.StatusUnauthorized, testserver.Request{Method: "POST", Path: "/api/v1/token", AppToken: s.AppToken,
			JSON: map[string]any{"username": name, "password": "wrong-password"}})
	}
	r := s.Must(t, http.StatusOK, testserver.Request{Method: "GET", Path: "/api/v1/audit?action=login", AppToken: s.AppToken, Token: s.OwnerToken(t)})
	if strings.Contains(string(r.Body), "hunter2-oops") {
		t.Fatalf("the audit log records an unknown username: %s", r.Body)
	}
	var failures []map[string]any
	for _, it := range r.JSON["items"].([]any) {
		if rec := it.(map[string]any); rec["outcome"] == "failure" {
			failures = append(failures, rec)
		}
	}
	if len(failures) != 2 {
		t.Fatalf("got %d failed-login records, want 2: %s", len(failures), r.Body)
	}
	// Newest first: the known user, then the unknown name.
	if failures[0]["username"] != s.Username || failures[0]["user"] == nil {
		t.Errorf("known user's failure: got %v, want username %s and a user id", failures[0], s.Username)
	}
	if failures[1]["user"] != nil || failures[1]["detail"] != "unknown username" {
		t.Errorf("unknown user's failure: got %v, want no user and detail \"unknown username\"", failures[1])
	}
}
