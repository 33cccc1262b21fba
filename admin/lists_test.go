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
