package admin_test

import (
	"net/http"
	"testing"

	"github.com/latchkey/latchkey/internal/testserver"
)

// TestListsReportEveryBadParameter: a list request with several bad query
// parameters hears of all of them at once (SPEC §3).
func TestListsReportEveryBadParameter(t *testing.T) {
	s := testserver.Start(t)
	owner := s.OwnerToken(t)
	tests := []struct {
		path string
		want []string
	}{
		{"/api/v1/audit?limit=9999&user=xyz&since=yesterday", []string{"limit", "user", "since"}},
		{"/api/v1/users?limit=0&role=king&status=asleep", []string{"limit", "role", "status"}},
		{"/api/v1/tokens?limit=x&kind=magic&active=maybe&user=xyz", []string{"limit", "kind", "active", "user"}},
	}
	for _, tt := range tests {
		r := s.Do(t, testserver.Request{Method: "GET", Path: tt.path, AppToken: s.AppToken, Token: owner})
		if r.Status != http.StatusBadRequest {
			t.Errorf("%s: got status %d, want 400: %s", tt.path, r.Status, r.Body)
			continue
		}
		for _, f := range tt.want {
			if r.Errors()[f] == nil {
				t.Errorf("%s: no error on %q in %s", tt.path, f, r.Body)
			}
		}
	}
}

// TestTenantListCursor: tenant pages are keyed by slug; a cursor that cannot
// be a slug is refused like every other list's bad cursor, and a real one
// pages on.
func TestTenantListCursor(t *testing.T) {
	s := testserver.Start(t)
	owner := s.OwnerToken(t)
	s.NewTenant(t, "acme")
	get := func(q string) *testserver.Response {
		return s.Do(t, testserver.Request{Method: "GET", Path: "/api/v1/tenants?" + q, AppToken: s.AppToken, Token: owner})
	}
	if r := get("cursor=%00zz"); r.Status != http.StatusBadRequest || r.Errors()["cursor"] == nil {
		t.Fatalf("bad cursor: got %d %s, want 400 on cursor", r.Status, r.Body)
	}
	first := get("limit=1")
	next, _ := first.JSON["next_cursor"].(string)
	if first.Status != http.StatusOK || next != "acme" {
		t.Fatalf("first page: got %d next_cursor %q, want 200 and acme", first.Status, next)
	}
	second := get("limit=1&cursor=" + next)
	items, _ := second.JSON["items"].([]any)
	if len(items) != 1 || items[0].(map[string]any)["slug"] != "platform" {
		t.Fatalf("second page: got %s, want the platform tenant", second.Body)
	}
}
