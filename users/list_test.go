package users_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/testserver"
)

// TestListRefusesBadQueries: GET /users binds its whole query strictly, as
// every list does: a bad value, an unknown or repeated parameter, or bytes
// that are not UTF-8 are a 400 naming the parameter, never a 500 or a
// filter silently dropped.
func TestListRefusesBadQueries(t *testing.T) {
	s := testserver.Start(t)
	owner := s.OwnerToken(t)
	roles := "Must be one of: owner, admin, support, member."
	for _, tc := range []struct {
		query string
		want  map[string]string
	}{
		{"role=king", map[string]string{"role": roles}},
		{"role=Owner", map[string]string{"role": roles}},
		{"status=x", map[string]string{"status": "Must be one of: active, disabled."}},
		{"q=%ff%fe", map[string]string{"query": "*"}},
		{"q=" + strings.Repeat("a", 255), map[string]string{"q": "Must be at most 254 characters."}},
		{"limit=abc", map[string]string{"limit": "Must be an integer."}},
		{"limit=0", map[string]string{"limit": "Must be an integer from 1 to 500."}},
		{"rol=admin", map[string]string{"rol": "Unknown parameter."}},
		{"role=admin&role=owner", map[string]string{"role": "Give this field once."}},
		{"role=king&status=x&limit=abc&extra=1", map[string]string{"role": "*", "status": "*", "limit": "*", "extra": "*"}},
	} {
		name := tc.query
		if len(name) > 40 {
			name = name[:40] + "…"
		}
		t.Run(name, func(t *testing.T) {
			r := s.Do(t, testserver.Request{Method: "GET", Path: "/api/v1/users/?" + tc.query, AppToken: s.AppToken, Token: owner})
			if r.Status != http.StatusBadRequest {
				t.Fatalf("got %d, want 400; body %s", r.Status, r.Body)
			}
			testserver.WantErrors(t, r, tc.want)
		})
	}
	// The good values still filter.
	r := s.Must(t, http.StatusOK, testserver.Request{Method: "GET", Path: "/api/v1/users?role=owner&status=active&q=" + s.Username + "&limit=1",
		AppToken: s.AppToken, Token: owner})
	if items, _ := r.JSON["items"].([]any); len(items) != 1 {
		t.Errorf("got %s, want the platform owner", r.Body)
	}
}
