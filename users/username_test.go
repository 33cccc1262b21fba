package users_test

import (
	"net/http"
	"testing"

	"github.com/latchkey/latchkey/internal/testserver"
)

// TestPathTakesUsername: wherever a path takes a user, its username does
// too (in any case, as at login); a member may name itself so, but a
// username of someone else is 403 for it whether or not the user exists,
// so the answer does not tell which usernames exist.
func TestPathTakesUsername(t *testing.T) {
	s := testserver.Start(t)
	owner := s.OwnerToken(t)
	miaID := s.NewUser(t, s.AppToken, owner, "mia", "member")
	s.NewUser(t, s.AppToken, owner, "noa", "member")
	mia := s.Login(t, s.AppToken, "mia", "mia-password")
	do := func(want int, method, path, token string, body any) *testserver.Response {
		t.Helper()
		return s.Must(t, want, testserver.Request{Method: method, Path: "/api/v1" + path, AppToken: s.AppToken, Token: token, JSON: body})
	}
	if got := do(http.StatusOK, "GET", "/users/mia", owner, nil).String("id"); got != miaID {
		t.Errorf("GET /users/mia: got id %s, want %s", got, miaID)
	}
	if got := do(http.StatusOK, "GET", "/users/MIA", owner, nil).String("id"); got != miaID {
		t.Errorf("GET /users/MIA: got id %s, want %s", got, miaID)
	}
	do(http.StatusOK, "PATCH", "/users/mia", owner, map[string]any{"email": "mia@example.test"})
	do(http.StatusOK, "GET", "/users/mia", mia, nil)
	do(http.StatusForbidden, "GET", "/users/noa", mia, nil)
	do(http.StatusForbidden, "GET", "/users/nobody", mia, nil)
	do(http.StatusNotFound, "GET", "/users/nobody", owner, nil)
	do(http.StatusNoContent, "POST", "/users/mia/unlock", owner, nil)
	if n := do(http.StatusOK, "POST", "/users/mia/expire_tokens", owner, nil).JSON["expired"]; n != float64(1) {
		t.Errorf("expire_tokens of mia by username: got %v, want 1", n)
	}
	do(http.StatusNoContent, "DELETE", "/users/mia", owner, nil)
	do(http.StatusNotFound, "GET", "/users/mia", owner, nil)
}
