package leaks_test

import (
	"encoding/json"
	"go/build"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/testserver"
)

// gitleaks returns the gitleaks binary: on PATH or where go install puts
// it. Without one the test is skipped, unless LATCHKEY_REQUIRE_GITLEAKS=1
// (CI), where that is a failure.
func gitleaks(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("gitleaks"); err == nil {
		return p
	}
	p := filepath.Join(build.Default.GOPATH, "bin", "gitleaks")
	if _, err := os.Stat(p); err == nil {
		return p
	}
	if os.Getenv("LATCHKEY_REQUIRE_GITLEAKS") == "1" {
		t.Fatal("gitleaks is not installed, and LATCHKEY_REQUIRE_GITLEAKS=1 (see .ci/run)")
	}
	t.Skip("gitleaks is not installed: go install github.com/zricethezav/gitleaks/v8@v8.30.1")
	return ""
}

// finding is the part of a gitleaks JSON report the tests read.
type finding struct {
	RuleID string
	File   string
	Secret string
}

// scan runs gitleaks with deploy/gitleaks.toml on dir and returns what it
// found.
func scan(t *testing.T, bin, dir string) []finding {
	t.Helper()
	report := filepath.Join(t.TempDir(), "report.json")
	cmd := exec.Command(bin, "dir", "--config", "../deploy/gitleaks.toml", "--no-banner", "--exit-code", "0",
		"--report-format", "json", "--report-path", report, dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gitleaks: %v\n%s", err, out)
	}
	data, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	var found []finding
	if err := json.Unmarshal(data, &found); err != nil {
		t.Fatalf("gitleaks report: %v\n%s", err, data)
	}
	return found
}

// TestGitleaksFindsEveryToken plants tokens of every kind, made by a real
// server, in the places tokens leak (an env file, a shell script, JSON,
// YAML, code, a URL), next to look-alikes that are not tokens, and checks
// that deploy/gitleaks.toml finds each token where it was put, under the
// rule of its kind, and nothing else.
func TestGitleaksFindsEveryToken(t *testing.T) {
	bin := gitleaks(t)
	s := testserver.Start(t)
	acme := s.NewTenant(t, "acme")
	sess := login(t, s, acme.AppToken, "owner", "owner-password")
	appToken := s.Must(t, http.StatusCreated, testserver.Request{Method: "POST", Path: "/api/v1/app_tokens",
		AppToken: acme.AppToken, Token: acme.OwnerToken, JSON: map[string]any{"name": "ci"}}).String("app_token")
	personal := s.Must(t, http.StatusCreated, testserver.Request{Method: "POST", Path: "/api/v1/tokens",
		AppToken: acme.AppToken, Token: acme.OwnerToken, JSON: map[string]any{}}).String("token")
	userID := s.NewUser(t, acme.AppToken, acme.OwnerToken, "mallory", "member")
	obo := s.Must(t, http.StatusCreated, testserver.Request{Method: "POST", Path: "/api/v1/tokens",
		AppToken: acme.AppToken, Token: acme.OwnerToken, JSON: map[string]any{"user": userID}}).String("token")

	rule := map[string]string{"lka": "latchkey-app-token", "lku": "latchkey-user-token", "lkr": "latchkey-refresh-token"}
	files := map[string]string{
		".env":           "LATCHKEY_APP_TOKEN=" + acme.AppToken + "\nLATCHKEY_REFRESH=" + sess.refresh + "\n",
		"call.sh":        "curl -H 'App-Token: " + appToken + "' -H \"Token: " + sess.token + "\" https://api.example.com/v1/me\n",
		"config.json":    `{"app_token":"` + appToken + `","token":"` + personal + `"}` + "\n",
		"settings.yaml":  "latchkey:\n  token: " + obo + "\n",
		"client.py":      "TOKEN = '" + sess.refresh + "'  # refresh\n",
		"links.md":       "[debug](https://app.example.com/callback?token=" + obo + "&x=1)\n",
		"lookalikes.txt": lookalikes(acme.AppToken, sess.token),
	}
	want := map[string][]string{} // file → the tokens planted in it
	dir := t.TempDir()
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		for _, tok := range []string{acme.AppToken, appToken, sess.token, sess.refresh, personal, obo} {
			if name != "lookalikes.txt" && strings.Contains(text, tok) {
				want[name] = append(want[name], tok)
			}
		}
	}
	got := map[string][]string{}
	for _, f := range scan(t, bin, dir) {
		name := filepath.Base(f.File)
		got[name] = append(got[name], f.Secret)
		if r := rule[f.Secret[:3]]; f.RuleID != r {
			t.Errorf("%s: %s… found by rule %s, want %s", name, f.Secret[:16], f.RuleID, r)
		}
	}
	for name := range files {
		slices.Sort(got[name])
		slices.Sort(want[name])
		if !slices.Equal(got[name], want[name]) {
			t.Errorf("%s: gitleaks found %d tokens %q, want the %d planted", name, len(got[name]), short(got[name]), len(want[name]))
		}
	}
	for _, kind := range []string{"lka_", "lku_", "lkr_"} {
		if !slices.ContainsFunc(slices.Concat(slices.Collect(maps.Values(got))...), func(s string) bool { return strings.HasPrefix(s, kind) }) {
			t.Errorf("no %s token found", kind)
		}
	}
}

// lookalikes returns text that resembles tokens without being any: a
// truncated one, one with a character too many, one in capitals, one glued
// to a longer word, and a placeholder of repeated letters.
func lookalikes(app, user string) string {
	return strings.Join([]string{
		app[:len(app)-1],
		user + "a",
		strings.ToUpper(user),
		"x" + app,
		"lku_abcdefgh_" + strings.Repeat("a", 104),
		"lka_r7aoafoz_…",
	}, "\n") + "\n"
}

func short(list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = s[:min(len(s), 16)] + "…"
	}
	return out
}

// TestGitleaksRepositoryClean runs the rules on this repository: no file in
// it holds anything the rules take for a token (docs show tokens cut short).
func TestGitleaksRepositoryClean(t *testing.T) {
	bin := gitleaks(t)
	for _, f := range scan(t, bin, "..") {
		t.Errorf("%s: rule %s matches %s…", f.File, f.RuleID, f.Secret[:min(len(f.Secret), 16)])
	}
}
