package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/configs"
	"github.com/latchkey/latchkey/internal/access"
	"github.com/latchkey/latchkey/users"
)

// TestUserResetPassword: "latchkey user reset-password" works straight on
// the store (beside a running serve): the locked-out, disabled admin "ops"
// gets a new password, becomes an active owner, is unlocked, its tokens
// end, and the tenant's audit log says so; a password given is never
// printed, one generated is printed once and works; the platform's own
// admin can be reset too.
func TestUserResetPassword(t *testing.T) {
	dir := t.TempDir()
	code, out, errOut := runCmd(t, storeEnv(dir, "LATCHKEY_ADMIN_PASSWORD=owner-password"), "init", "--json")
	if code != 0 {
		t.Fatalf("init: exit %d, %s", code, errOut)
	}
	var boot struct {
		AppToken string `json:"app_token"`
	}
	if err := json.Unmarshal([]byte(out), &boot); err != nil {
		t.Fatal(err)
	}
	lite := configs.Default().Store
	lite.DataDir = dir
	m := openMainOn(t, lite)
	ctx := context.Background()
	base, app := m.URL(), boot.AppToken
	platform, err := m.App.Tenants.Find(ctx, "platform")
	if err != nil {
		t.Fatal(err)
	}
	ops, err := m.App.Users.Create(ctx, platform.ID, users.New{Username: "ops", Password: "ops-password",
		Email: "ops@example.test", Role: access.Admin}, nil)
	if err != nil {
		t.Fatal(err)
	}
	old := login(t, base, app, "ops", "ops-password")
	for range 6 {
		call(t, base, apiCall{method: "POST", path: "/api/v1/token", appToken: app, json: map[string]any{"username": "ops", "password": "wrong-password"}})
	}
	if code, _ := call(t, base, apiCall{method: "POST", path: "/api/v1/token", appToken: app,
		json: map[string]any{"username": "ops", "password": "ops-password"}}); code != 429 {
		t.Fatalf("ops is not locked out: %d", code)
	}
	ops.Status = users.Disabled
	if err := m.App.Users.Store.Replace(ctx, platform.ID, ops); err != nil {
		t.Fatal(err)
	}

	code, out, errOut = runCmd(t, storeEnv(dir, envNewPassword+"=fresh-ops-password"), "user", "reset-password", "ops", "--tenant", "platform")
	if code != 0 {
		t.Fatalf("reset-password: exit %d, %s", code, errOut)
	}
	if strings.Contains(out+errOut, "fresh-ops-password") {
		t.Errorf("the password from the environment was printed: %s %s", out, errOut)
	}
	if !strings.Contains(out, "active owner (was admin, disabled)") {
		t.Errorf("output %q does not say what changed", out)
	}
	tok := login(t, base, app, "ops", "fresh-ops-password")
	me := mustCall(t, base, 200, apiCall{method: "GET", path: "/api/v1/users/me", appToken: app, token: tok})
	if me["role"] != "owner" || me["status"] != "active" {
		t.Errorf("after the reset: %v, want an active owner", me)
	}
	deadline := time.Now().Add(10 * time.Second) // the serve's cache keeps it up to cache.ttl
	for {
		code, _ := call(t, base, apiCall{method: "GET", path: "/api/v1/users/me", appToken: app, token: old})
		if code == 401 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the token made before the reset still works: %d", code)
		}
		time.Sleep(100 * time.Millisecond)
	}
	audit := mustCall(t, base, 200, apiCall{method: "GET", path: "/api/v1/audit?action=user.update", appToken: app, token: tok})
	if items, _ := audit["items"].([]any); len(items) == 0 || !strings.Contains(items[0].(map[string]any)["detail"].(string), "reset-password") {
		t.Errorf("no audit record of the reset: %v", audit)
	}

	// The platform's own admin, with a generated password printed once.
	code, out, errOut = runCmd(t, storeEnv(dir), "user", "reset-password", "--tenant", "platform", "admin")
	if code != 0 {
		t.Fatalf("reset-password admin: exit %d, %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if !strings.Contains(out, "shown once") {
		t.Fatalf("no generated password in %q", out)
	}
	login(t, base, app, "admin", lines[len(lines)-1])

	for _, args := range [][]string{{"user"}, {"user", "reset-password", "--tenant", "platform"}, {"user", "reset-password", "admin"},
		{"user", "reset-password", "--tenant", "platform", "a", "b"}} {
		if code, _, _ := runCmd(t, storeEnv(dir), args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
	for _, args := range [][]string{{"--tenant", "nobody", "admin"}, {"--tenant", "platform", "nobody"}} {
		if code, _, errOut := runCmd(t, storeEnv(dir), append([]string{"user", "reset-password"}, args...)...); code != 1 || !strings.Contains(errOut, "nobody") {
			t.Errorf("%v: exit %d, stderr %q; want 1 naming it", args, code, errOut)
		}
	}
}
