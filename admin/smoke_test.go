package admin_test

import (
	"net/http"
	"testing"

	"github.com/latchkey/latchkey/internal/testserver"
)

func TestSmokeTwoTenants(t *testing.T) {
	s := testserver.Start(t)
	a := s.NewTenant(t, "acme")
	b := s.NewTenant(t, "globex")
	// A's owner token with B's app token is refused.
	r := s.Do(t, testserver.Request{Method: "GET", Path: "/api/v1/users/me", AppToken: b.AppToken, Token: a.OwnerToken})
	if r.Status != http.StatusUnauthorized {
		t.Fatalf("got %d, want 401: %s", r.Status, r.Body)
	}
	s.Must(t, http.StatusOK, testserver.Request{Method: "GET", Path: "/api/v1/users/me/", AppToken: a.AppToken, Token: a.OwnerToken})
}
