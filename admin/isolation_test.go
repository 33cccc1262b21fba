package admin_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/testserver"
)

// Tenant A's tokens, ids and users never work in tenant B.
func TestIsolationBetweenTenants(t *testing.T) {
	s := testserver.Start(t)
	a := s.NewTenant(t, "acme")
	b := s.NewTenant(t, "globex")
	aliceID := s.NewUser(t, a.AppToken, a.OwnerToken, "alice", "admin")
	alice := s.Login(t, a.AppToken, "alice", "alice-password")
	bobID := s.NewUser(t, b.AppToken, b.OwnerToken, "bob", "member")
	aApp := itemsOf(t, s.Must(t, 200, testserver.Request{Method: "GET", Path: "/api/v1/app_tokens", AppToken: a.AppToken, Token: a.OwnerToken}))[0]["id"].(string)
	inB := func(method, path string, body any) testserver.Request {
		return testserver.Request{Method: method, Path: path, AppToken: b.AppToken, Token: b.OwnerToken, JSON: body}
	}
	const otherTenant = "The token and the app token belong to different tenants."
	runCoreCases(t, s, []coreCase{
		{name: "A's app token with B's user token", req: testserver.Request{Method: "GET", Path: "/api/v1/users/me", AppToken: a.AppToken, Token: b.OwnerToken},
			status: 401, errors: map[string]string{"Token": otherTenant}},
		{name: "B's app token with A's user token", req: testserver.Request{Method: "GET", Path: "/api/v1/token", AppToken: b.AppToken, Token: alice},
			status: 401, errors: map[string]string{"Token": otherTenant}},
		{name: "A's user token via Bearer with B's app token", req: testserver.Request{Method: "GET", Path: "/api/v1/token", AppToken: b.AppToken,
			Header: map[string]string{"Authorization": "Bearer " + alice}}, status: 401, errors: map[string]string{"Token": otherTenant}},
		{name: "A's user logs in to B", req: testserver.Request{Method: "POST", Path: "/api/v1/token", AppToken: b.AppToken,
			JSON: map[string]any{"username": "alice", "password": "alice-password"}}, status: 401,
			errors: map[string]string{"credentials": "Invalid username or password."}},
		{name: "B's user logs in to A", req: testserver.Request{Method: "POST", Path: "/api/v1/token", AppToken: a.AppToken,
			JSON: map[string]any{"username": "bob", "password": "bob-password"}}, status: 401},
		{name: "GET A's user id in B", req: inB("GET", "/api/v1/users/"+aliceID, nil), status: 404, errors: map[string]string{"user": "No such user."}},
		{name: "PATCH A's user id in B", req: inB("PATCH", "/api/v1/users/"+aliceID, map[string]any{"status": "disabled"}), status: 404,
			errors: map[string]string{"user": "No such user."}},
		{name: "PATCH A's user's password in B", req: inB("PATCH", "/api/v1/users/"+aliceID, map[string]any{"password": "taken-over!"}), status: 404},
		{name: "DELETE A's user id in B", req: inB("DELETE", "/api/v1/users/"+aliceID, nil), status: 404, errors: map[string]string{"user": "No such user."}},
		{name: "A's owner id in B", req: inB("GET", "/api/v1/users/"+a.OwnerID, nil), status: 404},
		{name: "B's list has only B's users", req: inB("GET", "/api/v1/users?limit=500", nil), status: 200, check: func(t *testing.T, r *testserver.Response) {
			for _, u := range itemsOf(t, r) {
				if u["id"] == aliceID || u["id"] == a.OwnerID || u["username"] == "alice" {
					t.Errorf("B's list shows A's user %v", u)
				}
			}
			if len(itemsOf(t, r)) != 2 {
				t.Errorf("got %d users, want B's 2", len(itemsOf(t, r)))
			}
		}},
		{name: "B's users filtered by A's username", req: inB("GET", "/api/v1/users?q=alice", nil), status: 200, check: func(t *testing.T, r *testserver.Response) {
			if len(itemsOf(t, r)) != 0 {
				t.Errorf("got %s, want no users", r.Body)
			}
		}},
		{name: "GET A's app token id in B", req: inB("GET", "/api/v1/app_tokens/"+aApp, nil), status: 404, errors: map[string]string{"token": "*"}},
		{name: "GET A's app token string in B", req: inB("GET", "/api/v1/app_tokens/"+a.AppToken, nil), status: 404, errors: map[string]string{"token": "*"}},
		{name: "PATCH A's app token in B", req: inB("PATCH", "/api/v1/app_tokens/"+aApp, map[string]any{"seconds_until_expire": -1}), status: 404},
		{name: "PATCH A's app token string in B", req: inB("PATCH", "/api/v1/app_tokens/"+a.AppToken, map[string]any{"seconds_until_expire": -1}), status: 404},
		{name: "DELETE A's app token in B", req: inB("DELETE", "/api/v1/app_tokens/"+aApp, nil), status: 404},
		{name: "DELETE A's app token string in B", req: inB("DELETE", "/api/v1/app_tokens/"+a.AppToken, nil), status: 404},
		{name: "B's owner cannot reach A through tenants", req: inB("PATCH", "/api/v1/tenants/acme", map[string]any{"status": "disabled"}), status: 403},
		{name: "B's audit log has none of A's records", req: inB("GET", "/api/v1/audit?limit=500", nil), status: 200, check: func(t *testing.T, r *testserver.Response) {
			// B records the failed login as alice above; nothing of A's.
			if strings.Contains(string(r.Body), aliceID) || strings.Contains(string(r.Body), a.OwnerID) {
				t.Errorf("B's audit shows A's users: %s", r.Body)
			}
		}},
	})

	// After all that, A is untouched.
	me := s.Must(t, http.StatusOK, testserver.Request{Method: "GET", Path: "/api/v1/users/me", AppToken: a.AppToken, Token: alice})
	if me.String("status") != "active" || me.String("id") != aliceID {
		t.Errorf("got %s, want alice active", me.Body)
	}
	s.Login(t, a.AppToken, "alice", "alice-password")
	s.Must(t, 200, testserver.Request{Method: "GET", Path: "/api/v1/app_tokens/" + aApp, AppToken: a.AppToken, Token: a.OwnerToken})
	// And A's owner cannot reach B's user either.
	s.Must(t, 404, testserver.Request{Method: "GET", Path: "/api/v1/users/" + bobID, AppToken: a.AppToken, Token: a.OwnerToken})
	// The platform is a tenant like any other for users.
	s.Must(t, 404, testserver.Request{Method: "GET", Path: "/api/v1/users/" + aliceID, AppToken: s.AppToken, Token: s.OwnerToken(t)})
}
