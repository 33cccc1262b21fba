package main

import (
	"net/http"
	"testing"
)

// TestTwoInstancesShareLockout checks that lockout counters live in the
// store: failed logins spread over two instances count against one
// limit, and once it is reached both instances refuse even the right
// password.
func TestTwoInstancesShareLockout(t *testing.T) {
	eachEngine(t, testTwoInstancesShareLockout)
}

func testTwoInstancesShareLockout(t *testing.T, store []string) {
	a, b, app := twoInstances(t, store...)
	owner := login(t, a.base, app, "admin", "owner-password")
	mustCall(t, a.base, 201, apiCall{method: "POST", path: "/api/v1/users", appToken: app, token: owner,
		json: map[string]any{"username": "lou", "password": "lou-password", "email": "lou@example.test", "role": "member"}})
	const attempts = 5 // the default lockout_attempts
	for i := range attempts {
		in := []instance{a, b}[i%2]
		if status, out := call(t, in.base, apiCall{method: "POST", path: "/api/v1/token", appToken: app,
			json: map[string]any{"username": "lou", "password": "wrong-password"}}); status != http.StatusUnauthorized {
			t.Fatalf("failed login %d: got %d %v, want 401", i+1, status, out)
		}
	}
	for name, in := range map[string]instance{"A": a, "B": b} {
		if status, out := call(t, in.base, apiCall{method: "POST", path: "/api/v1/token", appToken: app,
			json: map[string]any{"username": "lou", "password": "lou-password"}}); status != http.StatusTooManyRequests {
			t.Errorf("%s, right password after %d failures on A and B: got %d %v, want 429", name, attempts, status, out)
		}
	}
	// Another user of the tenant is not locked.
	login(t, b.base, app, "admin", "owner-password")
}
