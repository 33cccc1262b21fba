package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/latchkey/latchkey/configs"
	"github.com/latchkey/latchkey/internal/page"
	"github.com/latchkey/latchkey/users"
)

// runCmd runs the command line args with env and returns its exit code
// and output.
func runCmd(t *testing.T, env []string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr syncBuffer
	code := run(context.Background(), args, env, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// counts opens the SQLite store in dir and counts its tenants and, per
// tenant, its users and app tokens.
func counts(t *testing.T, dir string) map[string]int64 {
	t.Helper()
	ctx := context.Background()
	cfg := configs.Default().Store
	cfg.DataDir = dir
	st, err := openStore(ctx, cfg)
	if err != nil {
		t.Fatalf("open the store: %v", err)
	}
	defer st.Close()
	out := map[string]int64{}
	ts, _, err := st.Tenants().Find(ctx, page.Page{Limit: page.MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	out["tenants"] = int64(len(ts))
	for _, tn := range ts {
		us, _, err := st.Users().Find(ctx, tn.ID, users.Filter{}, page.Page{Limit: page.MaxLimit})
		if err != nil {
			t.Fatal(err)
		}
		as, _, err := st.AppTokens().Find(ctx, tn.ID, page.Page{Limit: page.MaxLimit})
		if err != nil {
			t.Fatal(err)
		}
		out[tn.Slug+".users"], out[tn.Slug+".app_tokens"] = int64(len(us)), int64(len(as))
	}
	return out
}

func TestInitJSON(t *testing.T) {
	dir := t.TempDir()
	code, stdout, stderr := runCmd(t, storeEnv(dir, "LATCHKEY_ADMIN_PASSWORD=a-chosen-password"), "init", "--json")
	if code != 0 {
		t.Fatalf("init --json: got exit %d, want 0; stderr %s", code, stderr)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(stdout), &raw); err != nil {
		t.Fatalf("stdout %q is not one JSON object: %v", stdout, err)
	}
	if len(raw) != 3 || raw["tenant"] == nil || raw["admin"] == nil || raw["app_token"] == nil {
		t.Errorf("got keys of %s, want exactly tenant, admin, app_token", stdout)
	}
	var out struct {
		Tenant   map[string]any    `json:"tenant"`
		Admin    map[string]string `json:"admin"`
		AppToken string            `json:"app_token"`
	}
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("decode %s: %v", stdout, err)
	}
	id, _ := out.Tenant["id"].(string)
	if out.Tenant["slug"] != "platform" || out.Tenant["status"] != "active" || len(id) != 8 {
		t.Errorf("tenant: got %v, want the active platform tenant", out.Tenant)
	}
	if created, _ := out.Tenant["created"].(string); !strings.HasSuffix(created, "Z") {
		t.Errorf("tenant.created: got %q, want RFC 3339 UTC", created)
	}
	// The password came from the environment: it is not printed back.
	if len(out.Admin) != 2 || len(out.Admin["id"]) != 24 || out.Admin["username"] != "admin" {
		t.Errorf("admin: got %v, want {id, username: admin} and no password", out.Admin)
	}
	if strings.Contains(stdout+stderr, "a-chosen-password") {
		t.Errorf("init --json printed the password of LATCHKEY_ADMIN_PASSWORD: %s", stdout)
	}
	if !strings.HasPrefix(out.AppToken, "lka_"+id+"_") {
		t.Errorf("app_token: got %q, want lka_%s_…", out.AppToken, id)
	}
	before := counts(t, dir)
	if before["tenants"] != 1 || before["platform.users"] != 1 || before["platform.app_tokens"] != 1 {
		t.Errorf("after init: got %v, want one tenant, user and app token", before)
	}

	// A second init changes nothing and fails.
	code, stdout, stderr = runCmd(t, storeEnv(dir, "LATCHKEY_ADMIN_PASSWORD=another-password"), "init", "--json")
	if code == 0 {
		t.Errorf("second init: got exit 0, want non-zero")
	}
	if stdout != "" {
		t.Errorf("second init: got stdout %q, want none", stdout)
	}
	if !strings.Contains(stderr, "already initialised") {
		t.Errorf("second init: got stderr %q, want it to say the store is already initialised", stderr)
	}
	if after := counts(t, dir); !equalCounts(before, after) {
		t.Errorf("second init changed the store: before %v, after %v", before, after)
	}
	// The first credentials still work.
	m := openMain(t, dir)
	defer m.Close()
	login(t, m.URL(), out.AppToken, "admin", "a-chosen-password")
}

func equalCounts(a, b map[string]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestInitGeneratesAPassword(t *testing.T) {
	dir := t.TempDir()
	code, stdout, stderr := runCmd(t, storeEnv(dir), "init")
	if code != 0 {
		t.Fatalf("init: got exit %d; stderr %s", code, stderr)
	}
	var password, appToken string
	for _, line := range strings.Split(stdout, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "password:"); ok {
			password = strings.TrimSpace(v)
		}
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "app token:"); ok {
			appToken = strings.TrimSpace(v)
		}
	}
	if len(password) < 20 || appToken == "" {
		t.Fatalf("got %q, want a generated password of 20+ characters and an app token", stdout)
	}
	m := openMain(t, dir)
	defer m.Close()
	login(t, m.URL(), appToken, "admin", password)
}

// TestInitPrintsOnlyAGeneratedPassword: init --json prints the password it
// generated, once; init without --json does not print one that came from
// LATCHKEY_ADMIN_PASSWORD either.
func TestInitPrintsOnlyAGeneratedPassword(t *testing.T) {
	code, stdout, stderr := runCmd(t, storeEnv(t.TempDir()), "init", "--json")
	var out struct{ Admin map[string]string }
	if err := json.Unmarshal([]byte(stdout), &out); code != 0 || err != nil {
		t.Fatalf("init --json: exit %d, %v; stdout %q stderr %q", code, err, stdout, stderr)
	}
	if len(out.Admin["password"]) < 20 {
		t.Errorf("init --json with a generated password: got admin %v, want its password", out.Admin)
	}
	const pw = "env-chosen Pa55word"
	code, stdout, stderr = runCmd(t, storeEnv(t.TempDir(), "LATCHKEY_ADMIN_PASSWORD="+pw), "init")
	if code != 0 || !strings.Contains(stdout, "LATCHKEY_ADMIN_PASSWORD, not shown") {
		t.Errorf("init: exit %d, stdout %q, want 0 and a password line naming the variable", code, stdout)
	}
	if strings.Contains(stdout+stderr, "Pa55word") {
		t.Errorf("init printed the password of LATCHKEY_ADMIN_PASSWORD: %q", stdout)
	}
}

func TestVersionAndUsage(t *testing.T) {
	code, stdout, _ := runCmd(t, nil, "version")
	if code != 0 || stdout != "latchkey "+version+"\n" {
		t.Errorf("version: got %d %q, want 0 %q", code, stdout, "latchkey "+version+"\n")
	}
	if code, _, stderr := runCmd(t, nil); code != 2 || !strings.Contains(stderr, "Usage:") {
		t.Errorf("no command: got %d %q, want 2 and the usage", code, stderr)
	}
	if code, _, stderr := runCmd(t, nil, "frobnicate"); code != 2 || !strings.Contains(stderr, `unknown command "frobnicate"`) {
		t.Errorf("unknown command: got %d %q, want 2 naming it", code, stderr)
	}
	if code, stdout, _ := runCmd(t, nil, "help"); code != 0 || !strings.Contains(stdout, "serve") || !strings.Contains(stdout, "app-tokens") {
		t.Errorf("help: got %d %q, want the server and the admin commands", code, stdout)
	}
	// The admin commands go to cmd/latchkey/cli (tested there).
	if code, _, stderr := runCmd(t, []string{"LATCHKEY_CREDENTIALS=" + t.TempDir() + "/none.json"}, "users", "me"); code != 3 ||
		!strings.Contains(stderr, "not logged in") {
		t.Errorf("users me without credentials: got %d %q, want 3, not logged in", code, stderr)
	}
}

// Bad configuration fails at start with a message naming the key, and
// starts no store.
func TestBadConfiguration(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(t.TempDir(), "latchkey.yaml")
	if err := os.WriteFile(file, []byte("cache:\n  ttl: 2s\n  colour: blue\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	badValue := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(badValue, []byte("server:\n  shutdown_timeout: soon\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		env  []string
		args []string
		code int
		want string
	}{
		{"a bad duration", []string{"LATCHKEY_CACHE_TTL=banana"}, nil, 1, "cache.ttl"},
		{"an unknown variable", []string{"LATCHKEY_CACHE_TLL=2s"}, nil, 1, "LATCHKEY_CACHE_TLL"},
		{"a negative duration", []string{"LATCHKEY_CACHE_TTL=-1s"}, nil, 1, "cache.ttl"},
		{"a bad number", []string{"LATCHKEY_CACHE_SIZE=lots"}, nil, 1, "cache.size"},
		{"weak argon2id", []string{"LATCHKEY_PASSWORD_MEMORY_KIB=1024"}, nil, 1, "password.memory_kib"},
		{"a bad log level", []string{"LATCHKEY_LOG_LEVEL=loud"}, nil, 1, "log.level"},
		{"a bad MongoDB URI", []string{"LATCHKEY_STORE_MONGODB_URI=http://x"}, nil, 1, "store.mongodb_uri"},
		{"a bad leak key", []string{"LATCHKEY_LEAKS_PUBLIC_KEYS=github:not-a-key"}, nil, 1, "leaks.public_keys: entry 1: key github"},
		{"a missing leak key file", []string{"LATCHKEY_LEAKS_PUBLIC_KEYS_FILE=" + filepath.Join(dir, "keys.json")}, nil, 1, "leaks.public_keys_file"},
		{"a bad OTLP endpoint", []string{"LATCHKEY_TRACING_OTLP_ENDPOINT=collector:4318"}, nil, 1, "tracing.otlp_endpoint"},
		{"a bad flag value", nil, []string{"--addr", "nonsense"}, 1, "server.addr"},
		{"an unknown key in the file", nil, []string{"--config", file}, 1, "cache.colour"},
		{"a bad value in the file", nil, []string{"--config", badValue}, 1, "server.shutdown_timeout"},
		{"a missing file", nil, []string{"--config", filepath.Join(dir, "nope.yaml")}, 1, "nope.yaml"},
		{"an unknown flag", nil, []string{"--port", "80"}, 2, "port"},
		{"a stray argument", nil, []string{"extra"}, 2, `"extra"`},
	}
	for _, tc := range cases {
		for _, cmd := range []string{"serve", "init"} {
			env := append(storeEnv(dir), tc.env...)
			code, stdout, stderr := runCmd(t, env, append([]string{cmd}, tc.args...)...)
			if code != tc.code {
				t.Errorf("%s: %s: got exit %d, want %d; stderr %s", tc.name, cmd, code, tc.code, stderr)
			}
			if !strings.Contains(stderr, tc.want) {
				t.Errorf("%s: %s: got stderr %q, want it to name %s", tc.name, cmd, stderr, tc.want)
			}
			if strings.Contains(stdout, "curl") || strings.Contains(stdout, "app token") {
				t.Errorf("%s: %s: initialised despite the bad configuration: %s", tc.name, cmd, stdout)
			}
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("a store was started in %s despite the bad configuration", dir)
	}
}

// Flags override the environment, which overrides the file.
func TestConfigurationPrecedence(t *testing.T) {
	file := filepath.Join(t.TempDir(), "latchkey.yaml")
	if err := os.WriteFile(file, []byte("server:\n  addr: 127.0.0.1:7001\nstore:\n  data_dir: /from/file\ncache:\n  ttl: 5s\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{"LATCHKEY_SERVER_ADDR=127.0.0.1:7002", "LATCHKEY_STORE_DATA_DIR=/from/env"}
	load := func(args []string, env []string) (configs.Config, error) {
		fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
		l := configFlags(fs, env)
		if err := fs.Parse(args); err != nil {
			return configs.Config{}, err
		}
		return l()
	}
	cfg, err := load([]string{"--config", file, "--addr", "127.0.0.1:7003"}, env)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Server.Addr != "127.0.0.1:7003" || cfg.Store.DataDir != "/from/env" || cfg.Cache.TTL != 5*time.Second {
		t.Errorf("got addr %s, data_dir %s, ttl %s; want the flag's addr, the env's data_dir, the file's ttl",
			cfg.Server.Addr, cfg.Store.DataDir, cfg.Cache.TTL)
	}
	cfg, err = load([]string{"--data-dir", "/from/flag", "--mongodb-uri", "mongodb://db.example:27017"}, env)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Store.DataDir != "/from/flag" || cfg.Store.MongoDBURI != "mongodb://db.example:27017" || cfg.Server.Addr != "127.0.0.1:7002" {
		t.Errorf("got %+v %+v", cfg.Store, cfg.Server)
	}

	// Through the command: --data-dir wins over LATCHKEY_STORE_DATA_DIR.
	envDir, flagDir := t.TempDir(), t.TempDir()
	if code, _, stderr := runCmd(t, storeEnv(envDir), "init", "--json", "--data-dir", flagDir); code != 0 {
		t.Fatalf("init: got exit %d; %s", code, stderr)
	}
	if entries, _ := os.ReadDir(envDir); len(entries) != 0 {
		t.Errorf("the environment's data dir was used: %v", entries)
	}
	if entries, _ := os.ReadDir(flagDir); len(entries) == 0 {
		t.Error("the flag's data dir is empty")
	}
}
