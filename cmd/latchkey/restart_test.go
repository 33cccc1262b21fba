package main

import (
	"context"
	"errors"
	"testing"

	"github.com/latchkey/latchkey/admin"
	"github.com/latchkey/latchkey/configs"
)

// openMain opens and runs a Main on the SQLite data in dir.
func openMain(t *testing.T, dir string) *Main {
	t.Helper()
	cfg := configs.Default().Store
	cfg.DataDir = dir
	return openMainOn(t, cfg)
}

// Stopping and starting again on the same data keeps every token valid:
// app tokens, login tokens and long logins, in the platform and in another
// tenant, and the passwords.
func TestRestartKeepsTokens(t *testing.T) {
	dir := t.TempDir()
	m := openMain(t, dir)
	boot, err := m.App.Initialize(context.Background(), "first-password")
	if err != nil {
		m.Close()
		t.Fatalf("Initialize: %v", err)
	}
	base := m.URL()
	owner := login(t, base, boot.AppToken, "admin", "first-password")
	long := mustCall(t, base, 200, apiCall{method: "POST", path: "/api/v1/token", appToken: boot.AppToken,
		json: map[string]any{"username": "admin", "password": "first-password", "long": true}})["token"].(string)
	created := mustCall(t, base, 201, apiCall{method: "POST", path: "/api/v1/tenants", appToken: boot.AppToken, token: owner,
		json: map[string]any{"slug": "acme", "name": "Acme", "admin": map[string]any{"username": "boss", "password": "boss-password", "email": "b@example.test"}}})
	acmeApp := created["app_token"].(string)
	acmeOwner := login(t, base, acmeApp, "boss", "boss-password")
	extra := mustCall(t, base, 201, apiCall{method: "POST", path: "/api/v1/app_tokens", appToken: boot.AppToken, token: owner,
		json: map[string]any{"name": "second"}})["app_token"].(string)
	gone := login(t, base, boot.AppToken, "admin", "first-password")
	mustCall(t, base, 204, apiCall{method: "DELETE", path: "/api/v1/token", appToken: boot.AppToken, token: gone})
	if err := m.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	m = openMain(t, dir)
	defer m.Close()
	base = m.URL()
	for name, c := range map[string]apiCall{
		"platform login token":     {method: "GET", path: "/api/v1/token", appToken: boot.AppToken, token: owner},
		"platform long login":      {method: "GET", path: "/api/v1/users/me", appToken: boot.AppToken, token: long},
		"second app token":         {method: "GET", path: "/api/v1/users/me", appToken: extra, token: owner},
		"tenant's app and token":   {method: "GET", path: "/api/v1/users/me", appToken: acmeApp, token: acmeOwner},
		"platform owner's tenants": {method: "GET", path: "/api/v1/tenants/acme", appToken: boot.AppToken, token: owner},
	} {
		if status, out := call(t, base, c); status != 200 {
			t.Errorf("%s: got %d %v, want 200", name, status, out)
		}
	}
	if status, _ := call(t, base, apiCall{method: "GET", path: "/api/v1/token", appToken: boot.AppToken, token: gone}); status != 401 {
		t.Errorf("logged-out token after restart: got %d, want 401", status)
	}
	login(t, base, boot.AppToken, "admin", "first-password")
	login(t, base, acmeApp, "boss", "boss-password")
	if _, err := m.App.Initialize(context.Background(), "second-password"); !errors.Is(err, admin.ErrInitialised) {
		t.Errorf("Initialize after restart: got %v, want ErrInitialised", err)
	}
	if status, _ := call(t, base, apiCall{method: "POST", path: "/api/v1/token", appToken: boot.AppToken,
		json: map[string]any{"username": "admin", "password": "second-password"}}); status != 401 {
		t.Errorf("the second password: got %d, want 401", status)
	}
}
