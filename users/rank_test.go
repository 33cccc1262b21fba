package users_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/latchkey/latchkey/internal/testserver"
)

// rankAction is one way a caller acts on a user: do sends it against a
// fresh user of role target (created by the owner) and returns the answer
// and that user's id.
type rankAction struct {
	name string
	// field is the error field of a refusal: "role" when the role given is
	// too high, "user" when the user acted on is.
	field   string
	success int
	do      func(t *testing.T, token, target string) (*testserver.Response, string)
}

// TestRankRules: through the API, an admin acts on admins, support staff
// and members but never on an owner: it cannot create one, promote anyone
// to owner, change, demote, disable, reset the password of or delete one,
// nor issue an on-behalf-of token for one; an owner does all of it. Each
// refusal is a 403 naming the field, and leaves the user as it was.
func TestRankRules(t *testing.T) {
	s := testserver.Start(t)
	owner := s.OwnerToken(t)
	s.NewUser(t, s.AppToken, owner, "adm", "admin")
	callers := map[string]string{"owner": owner, "admin": s.Login(t, s.AppToken, "adm", "adm-password")}
	n := 0
	fresh := func(t *testing.T, role string) string {
		t.Helper()
		n++
		return s.NewUser(t, s.AppToken, owner, fmt.Sprintf("user%d", n), role)
	}
	send := func(t *testing.T, token, method, path string, body any) *testserver.Response {
		t.Helper()
		return s.Do(t, testserver.Request{Method: method, Path: "/api/v1" + path, AppToken: s.AppToken, Token: token, JSON: body})
	}
	patch := func(body map[string]any) func(t *testing.T, token, target string) (*testserver.Response, string) {
		return func(t *testing.T, token, target string) (*testserver.Response, string) {
			id := fresh(t, target)
			return send(t, token, "PATCH", "/users/"+id, body), id
		}
	}
	actions := []rankAction{
		{"create", "role", http.StatusCreated, func(t *testing.T, token, target string) (*testserver.Response, string) {
			n++
			name := fmt.Sprintf("user%d", n)
			return send(t, token, "POST", "/users", map[string]any{"username": name, "password": name + "-password",
				"email": name + "@example.test", "role": target}), ""
		}},
		{"promote a member", "role", http.StatusOK, func(t *testing.T, token, target string) (*testserver.Response, string) {
			id := fresh(t, "member")
			return send(t, token, "PATCH", "/users/"+id, map[string]any{"role": target}), id
		}},
		{"demote to member", "user", http.StatusOK, patch(map[string]any{"role": "member"})},
		{"change the email", "user", http.StatusOK, patch(map[string]any{"email": "changed@example.test"})},
		{"disable", "user", http.StatusOK, patch(map[string]any{"status": "disabled"})},
		{"reset the password", "user", http.StatusOK, patch(map[string]any{"password": "a-new-password"})},
		{"delete", "user", http.StatusNoContent, func(t *testing.T, token, target string) (*testserver.Response, string) {
			id := fresh(t, target)
			return send(t, token, "DELETE", "/users/"+id, nil), id
		}},
		{"issue an OBO token", "user", http.StatusCreated, func(t *testing.T, token, target string) (*testserver.Response, string) {
			id := fresh(t, target)
			return send(t, token, "POST", "/tokens", map[string]any{"user": id}), id
		}},
	}
	for _, a := range actions {
		for _, caller := range []string{"owner", "admin"} {
			for _, target := range []string{"owner", "admin", "support", "member"} {
				// The role a "promote" gives, or the role of the user acted on.
				allowed := caller == "owner" || target != "owner"
				t.Run(fmt.Sprintf("%s: %s, %s", a.name, caller, target), func(t *testing.T) {
					r, id := a.do(t, callers[caller], target)
					if allowed {
						if r.Status != a.success {
							t.Fatalf("got %d, want %d; body %s", r.Status, a.success, r.Body)
						}
						return
					}
					if r.Status != http.StatusForbidden {
						t.Fatalf("got %d, want 403; body %s", r.Status, r.Body)
					}
					testserver.WantErrors(t, r, map[string]string{a.field: "*"})
					if id == "" {
						return
					}
					// Refused means untouched: the user is there, as it was.
					u := s.Must(t, http.StatusOK, testserver.Request{Method: "GET", Path: "/api/v1/users/" + id, AppToken: s.AppToken, Token: owner})
					want := target
					if a.name == "promote a member" {
						want = "member"
					}
					if u.String("role") != want || u.String("status") != "active" || u.String("email") == "changed@example.test" {
						t.Errorf("after the refusal the user is %s, want it unchanged (role %s, active)", u.Body, want)
					}
				})
			}
		}
	}
}

// TestExpireTokensOfAnyRole: POST /users/{id}/expire_tokens is "any user
// token: bulk expire" of the permission matrix, which support staff and admins may do
// to anyone, an owner included (as they may expire each of its tokens):
// ending sessions only takes access away, so it carries no rank rule.
func TestExpireTokensOfAnyRole(t *testing.T) {
	s := testserver.Start(t)
	owner := s.OwnerToken(t)
	s.NewUser(t, s.AppToken, owner, "adm", "admin")
	adm := s.Login(t, s.AppToken, "adm", "adm-password")
	id := s.NewUser(t, s.AppToken, owner, "own2", "owner")
	tok := s.Login(t, s.AppToken, "own2", "own2-password")
	r := s.Must(t, http.StatusOK, testserver.Request{Method: "POST", Path: "/api/v1/users/" + id + "/expire_tokens",
		AppToken: s.AppToken, Token: adm})
	if r.JSON["expired"] != 1.0 {
		t.Errorf("got %s, want 1 token expired", r.Body)
	}
	s.Must(t, http.StatusUnauthorized, testserver.Request{Method: "GET", Path: "/api/v1/token", AppToken: s.AppToken, Token: tok})
}
