package admin_test

import (
	"net/http"
	"testing"

	"github.com/latchkey/latchkey/internal/testserver"
)

// TestListsReportEveryBadParameter: a list request with several bad query
// parameters hears of all of them at once.
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

// TestCursorIsAPositionInTheCallersList: what docs/API.md promises of a
// cursor. A malformed one is 400 on cursor on every list; a well-formed one
// is a position and nothing more: one taken from another tenant's list (or
// made up) pages through the caller's own tenant and list, filters
// included, and never shows another tenant's items.
func TestCursorIsAPositionInTheCallersList(t *testing.T) {
	s := testserver.Start(t)
	owner := s.OwnerToken(t)
	acme := s.NewTenant(t, "acme")
	acmeOwner := s.Login(t, acme.AppToken, "owner", "owner-password")
	for _, name := range []string{"ann", "bob"} {
		s.NewUser(t, acme.AppToken, acmeOwner, name, "member")
	}
	for _, path := range []string{"/api/v1/users", "/api/v1/app_tokens", "/api/v1/tokens", "/api/v1/audit"} {
		r := s.Do(t, testserver.Request{Method: "GET", Path: path + "?cursor=zzz", AppToken: s.AppToken, Token: owner})
		if r.Status != http.StatusBadRequest || r.Errors()["cursor"] != "This cursor is not valid." {
			t.Errorf("%s?cursor=zzz: got %d %s, want 400 on cursor", path, r.Status, r.Body)
		}
	}
	// acme's first page ends at acme's owner (ids sort by creation).
	r := s.Must(t, 200, testserver.Request{Method: "GET", Path: "/api/v1/users?limit=1", AppToken: acme.AppToken, Token: acmeOwner})
	cursor, _ := r.JSON["next_cursor"].(string)
	if cursor == "" {
		t.Fatalf("acme's first page has no next_cursor: %s", r.Body)
	}
	for _, q := range []string{"cursor=" + cursor, "cursor=000000000000000000000000", "cursor=" + cursor + "&role=owner"} {
		r := s.Must(t, 200, testserver.Request{Method: "GET", Path: "/api/v1/users?" + q, AppToken: s.AppToken, Token: owner})
		items, _ := r.JSON["items"].([]any)
		for _, it := range items {
			if name := it.(map[string]any)["username"]; name != s.Username {
				t.Errorf("platform users?%s listed %v, which is not the platform's", q, name)
			}
		}
	}
}
