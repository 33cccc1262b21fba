package main

import (
	"context"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/latchkey/latchkey/configs"
	"github.com/latchkey/latchkey/store/mongo/mongotest"
)

// openMainOn opens and runs a Main on the store cfg names, as a new
// process would: with no tag keys but the ones the store keeps.
func openMainOn(t *testing.T, cfg configs.Store) *Main {
	t.Helper()
	c := configs.Default()
	c.Store = cfg
	c.Server.Addr = "127.0.0.1:0"
	m := NewMain(c, zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel)))
	if err := m.Open(context.Background()); err != nil {
		m.Close()
		t.Fatalf("Open: %v", err)
	}
	if err := m.Run(context.Background()); err != nil {
		m.Close()
		t.Fatalf("Run: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// TestMigrateBothWays copies an installation from SQLite into MongoDB (the
// test's FerretDB) and back into a new SQLite directory: every token made
// before the copy works after it, refresh tokens included, and a target
// that is not empty is refused.
func TestMigrateBothWays(t *testing.T) {
	dir, back := t.TempDir(), t.TempDir()
	uri, db := mongotest.FerretURI(t), mongotest.NewDatabaseName()
	t.Cleanup(func() { mongotest.DropAll(mongotest.OpenDatabase(t, uri, db)) })
	lite := configs.Default().Store
	lite.DataDir = dir

	m := openMainOn(t, lite)
	boot, err := m.App.Initialize(context.Background(), "owner-password")
	if err != nil {
		t.Fatal(err)
	}
	base, app := m.URL(), boot.AppToken
	sess := mustCall(t, base, 200, apiCall{method: "POST", path: "/api/v1/token", appToken: app,
		json: map[string]any{"username": "admin", "password": "owner-password"}})
	owner, refresh := sess["token"].(string), sess["refresh_token"].(string)
	acme := mustCall(t, base, 201, apiCall{method: "POST", path: "/api/v1/tenants", appToken: app, token: owner,
		json: map[string]any{"slug": "acme", "name": "Acme", "admin": map[string]any{"username": "boss", "password": "boss-password", "email": "b@example.test"}}})
	acmeApp := acme["app_token"].(string)
	boss := login(t, base, acmeApp, "boss", "boss-password")
	obo := mustCall(t, base, 201, apiCall{method: "POST", path: "/api/v1/tokens", appToken: app, token: owner,
		json: map[string]any{"name": "personal"}})["token"].(string)
	m.Close()

	env := func(extra ...string) []string {
		return append([]string{"LATCHKEY_STORE_DATA_DIR=" + dir, "LATCHKEY_STORE_DATABASE=" + db, "LATCHKEY_LOG_LEVEL=warn"}, extra...)
	}
	code, out, errOut := runCmd(t, env(), "migrate", "--to", uri)
	if code != 0 || !strings.Contains(out, "2 tenants") {
		t.Fatalf("migrate --to: exit %d, stdout %q, stderr %q; want 0 and 2 tenants", code, out, errOut)
	}
	if code, _, errOut := runCmd(t, env(), "migrate", "--to", uri); code == 0 || !strings.Contains(errOut, "not empty") {
		t.Errorf("migrate --to a non-empty target: exit %d, stderr %q; want a refusal", code, errOut)
	}

	// works checks the tokens made before the copies on base, then spends
	// the session's refresh token, which ends the session's token, and
	// returns the new token and refresh token.
	works := func(base, owner, refresh string) (string, string) {
		t.Helper()
		for name, c := range map[string]apiCall{
			"platform owner's token":  {method: "GET", path: "/api/v1/token", appToken: app, token: owner},
			"a personal token":        {method: "GET", path: "/api/v1/users/me", appToken: app, token: obo},
			"another tenant's tokens": {method: "GET", path: "/api/v1/users/me", appToken: acmeApp, token: boss},
			"the tenant list":         {method: "GET", path: "/api/v1/tenants/acme", appToken: app, token: owner},
		} {
			if status, body := call(t, base, c); status != 200 {
				t.Errorf("%s: got %d %v, want 200", name, status, body)
			}
		}
		login(t, base, acmeApp, "boss", "boss-password")
		next := mustCall(t, base, 200, apiCall{method: "POST", path: "/api/v1/token/refresh", appToken: app,
			json: map[string]any{"refresh_token": refresh}})
		return next["token"].(string), next["refresh_token"].(string)
	}
	mg := configs.Default().Store
	mg.MongoDBURI, mg.Database, mg.DataDir = uri, db, t.TempDir()
	m = openMainOn(t, mg)
	owner, refresh = works(m.URL(), owner, refresh)
	m.Close()

	code, out, errOut = runCmd(t, []string{"LATCHKEY_STORE_DATA_DIR=" + back, "LATCHKEY_STORE_DATABASE=" + db, "LATCHKEY_LOG_LEVEL=warn"},
		"migrate", "--from", uri)
	if code != 0 || !strings.Contains(out, "2 tenants") {
		t.Fatalf("migrate --from: exit %d, stdout %q, stderr %q; want 0 and 2 tenants", code, out, errOut)
	}
	lite.DataDir = back
	m = openMainOn(t, lite)
	works(m.URL(), owner, refresh)
}

func TestMigrateUsage(t *testing.T) {
	env := []string{"LATCHKEY_STORE_DATA_DIR=" + t.TempDir(), "LATCHKEY_LOG_LEVEL=warn"}
	for _, args := range [][]string{{"migrate"}, {"migrate", "--to", "mongodb://a", "--from", "mongodb://b"}} {
		if code, _, errOut := runCmd(t, env, args...); code != 2 || !strings.Contains(errOut, "exactly one of --to") {
			t.Errorf("%v: exit %d, stderr %q; want 2 and the usage", args, code, errOut)
		}
	}
}

// app-token create writes a working app token of a tenant straight into
// the store, for a tenant that has none left.
func TestAppTokenCreate(t *testing.T) {
	dir := t.TempDir()
	code, _, errOut := runCmd(t, storeEnv(dir, "LATCHKEY_ADMIN_PASSWORD=owner-password"), "init")
	if code != 0 {
		t.Fatalf("init: exit %d, %s", code, errOut)
	}
	code, out, errOut := runCmd(t, storeEnv(dir), "app-token", "create", "--tenant", "platform")
	if code != 0 {
		t.Fatalf("app-token create: exit %d, %s", code, errOut)
	}
	fields := strings.Fields(out)
	tok := fields[len(fields)-1]
	if !strings.HasPrefix(tok, "lka_") {
		t.Fatalf("no app token in %q", out)
	}
	lite := configs.Default().Store
	lite.DataDir = dir
	m := openMainOn(t, lite)
	login(t, m.URL(), tok, "admin", "owner-password")
	for _, args := range [][]string{{"app-token", "create"}, {"app-token"}, {"app-token", "remove"}} {
		if code, _, _ := runCmd(t, storeEnv(dir), args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
	if code, _, errOut := runCmd(t, storeEnv(dir), "app-token", "create", "--tenant", "nobody"); code != 1 || !strings.Contains(errOut, "nobody") {
		t.Errorf("an unknown tenant: exit %d, stderr %q; want 1 naming it", code, errOut)
	}
}
