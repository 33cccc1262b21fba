package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/cmd/latchkey/cli"
	"github.com/latchkey/latchkey/configs"
	"github.com/latchkey/latchkey/internal/testserver"
)

func TestMain(m *testing.M) { testserver.Main(m) }

// term runs the CLI against a real server with a credentials file of its
// own, as a user at a shell would.
type term struct {
	t     *testing.T
	s     *testserver.Server
	creds string   // the credentials file
	env   []string // extra environment
}

func newTerm(t *testing.T, s *testserver.Server) *term {
	return &term{t: t, s: s, creds: filepath.Join(t.TempDir(), "latchkey", "credentials.json")}
}

// result is what one command did.
type result struct {
	code     int
	out, err string
}

// run runs latchkey args with stdin.
func (tm *term) run(stdin string, args ...string) result {
	tm.t.Helper()
	var out, errOut bytes.Buffer
	env := append([]string{"HOME=" + tm.t.TempDir(), cli.EnvCredentials + "=" + tm.creds}, tm.env...)
	code := cli.Run(context.Background(), args, cli.IO{In: strings.NewReader(stdin), Out: &out, Err: &errOut, Env: env}, cli.Program{})
	return result{code: code, out: out.String(), err: errOut.String()}
}

// ok runs a command that must succeed and returns its output.
func (tm *term) ok(stdin string, args ...string) string {
	tm.t.Helper()
	r := tm.run(stdin, args...)
	if r.code != cli.ExitOK {
		tm.t.Fatalf("latchkey %s: exit %d, want 0\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.out, r.err)
	}
	return r.out
}

// fails runs a command that must exit with code and print every want on
// stderr.
func (tm *term) fails(code int, want []string, stdin string, args ...string) {
	tm.t.Helper()
	r := tm.run(stdin, args...)
	if r.code != code {
		tm.t.Errorf("latchkey %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, code, r.out, r.err)
	}
	for _, w := range want {
		if !strings.Contains(r.err, w) {
			tm.t.Errorf("latchkey %s: stderr %q does not say %q", strings.Join(args, " "), r.err, w)
		}
	}
}

// jsonOf runs a command with --json and decodes what it prints.
func (tm *term) jsonOf(v any, stdin string, args ...string) {
	tm.t.Helper()
	out := tm.ok(stdin, append(args, "--json")...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		tm.t.Fatalf("latchkey %s --json printed %q: %v", strings.Join(args, " "), out, err)
	}
}

// entry returns what the credentials file holds for the server url.
func (tm *term) entry(url string) map[string]any {
	tm.t.Helper()
	var f struct{ Servers map[string]map[string]any }
	b, err := os.ReadFile(tm.creds)
	if err != nil || json.Unmarshal(b, &f) != nil || f.Servers[url] == nil {
		tm.t.Fatalf("the credentials file holds nothing for %s: %s %v", url, b, err)
	}
	return f.Servers[url]
}

// setEntry changes fields of the credentials file's entry for url and
// returns the file written.
func (tm *term) setEntry(url string, fields map[string]any) []byte {
	tm.t.Helper()
	var f map[string]any
	b, _ := os.ReadFile(tm.creds)
	if err := json.Unmarshal(b, &f); err != nil {
		tm.t.Fatal(err)
	}
	e := f["servers"].(map[string]any)[url].(map[string]any)
	for k, v := range fields {
		e[k] = v
	}
	b, _ = json.Marshal(f)
	if err := os.WriteFile(tm.creds, b, 0o600); err != nil {
		tm.t.Fatal(err)
	}
	return b
}

// login logs tm in as username of the tenant of app.
func (tm *term) login(app, username, password string) {
	tm.t.Helper()
	tm.ok(password+"\n", "login", "--url", tm.s.URL, "--app-token", app, "--username", username, "--password-stdin")
}

func TestLogin(t *testing.T) {
	s := testserver.Start(t)
	tm := newTerm(t, s)

	tm.fails(cli.ExitAuth, []string{"401", "credentials: Invalid username or password."}, "wrong-password\n",
		"login", "--url", s.URL, "--app-token", s.AppToken, "--username", s.Username, "--password-stdin")
	if _, err := os.Stat(tm.creds); err == nil {
		t.Error("a failed login wrote a credentials file")
	}

	// Everything asked for on stdin, as at a terminal.
	out := tm.ok(s.URL+"\n"+s.AppToken+"\n"+s.Username+"\n"+s.Password+"\n", "login")
	if !strings.Contains(out, "Logged in to "+s.URL+" as "+s.Username+" (owner)") {
		t.Errorf("login printed %q", out)
	}
	info, err := os.Stat(tm.creds)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("credentials file has mode %04o, want 0600", perm)
	}
	b, _ := os.ReadFile(tm.creds)
	for _, want := range []string{`"token": "lku_`, `"refresh_token": "lkr_`, `"app_token": "` + s.AppToken} {
		if !strings.Contains(string(b), want) {
			t.Errorf("credentials file lacks %s", want)
		}
	}
	if strings.Contains(string(b), s.Password) {
		t.Error("the credentials file holds the password")
	}
	if out := tm.ok("", "users", "me"); !strings.Contains(out, s.Username) {
		t.Errorf("users me after login printed %q", out)
	}

	// From the environment, and again with the stored URL and app token.
	tm.env = []string{cli.EnvUsername + "=" + s.Username, cli.EnvPassword + "=" + s.Password}
	tm.ok("", "login", "--long")
	tm.env = nil

	// A credentials file others can read is refused.
	if err := os.Chmod(tm.creds, 0o644); err != nil {
		t.Fatal(err)
	}
	tm.fails(cli.ExitLocal, []string{"chmod 600"}, "", "users", "me")
}

func TestLogout(t *testing.T) {
	s := testserver.Start(t)
	tm := newTerm(t, s)
	tm.fails(cli.ExitAuth, []string{"not logged in"}, "", "logout")
	tm.login(s.AppToken, s.Username, s.Password)
	st := tm.entry(s.URL)
	if out := tm.ok("", "logout"); !strings.Contains(out, "Logged out.") {
		t.Errorf("logout printed %q", out)
	}
	if _, err := os.Stat(tm.creds); err == nil {
		t.Error("logout left the credentials file")
	}
	tm.env = []string{cli.EnvURL + "=" + s.URL, cli.EnvAppToken + "=" + s.AppToken, cli.EnvToken + "=" + st["token"].(string)}
	tm.fails(cli.ExitAuth, []string{"401", "Token: Invalid or expired token."}, "", "users", "me")
}

func TestSignup(t *testing.T) {
	s := testserver.Start(t)
	tm := newTerm(t, s)
	args := []string{"signup", "--url", s.URL, "--app-token", s.AppToken, "--username", "newbie",
		"--email", "newbie@example.test", "--accept-tos", "--password-stdin"}
	tm.fails(cli.ExitAuth, []string{"403", "signup: Signup is not enabled for this tenant."}, "newbie-password\n", args...)
	tm.login(s.AppToken, s.Username, s.Password)
	tm.ok("", "tenants", "update", "platform", "--setting", "allow_signup=true")
	if out := tm.ok("newbie-password\n", args...); !strings.Contains(out, "Signed up to "+s.URL+" as newbie (member)") {
		t.Errorf("signup printed %q", out)
	}
	if out := tm.ok("", "users", "me"); !strings.Contains(out, "newbie") {
		t.Errorf("after signup, users me printed %q", out)
	}
	tm.fails(cli.ExitAPI, []string{"400", "username: A user with that username already exists."}, "newbie-password\n", args...)
}

func TestSession(t *testing.T) {
	s := testserver.Start(t)
	tm := newTerm(t, s)
	tm.fails(cli.ExitAuth, []string{"not logged in"}, "", "session", "show")
	tm.fails(cli.ExitAuth, []string{"not logged in"}, "", "session", "refresh")
	tm.login(s.AppToken, s.Username, s.Password)
	if out := tm.ok("", "session", "show"); !strings.Contains(out, "login") {
		t.Errorf("session show printed %q", out)
	}
	var tok struct{ Expires time.Time }
	tm.jsonOf(&tok, "", "session", "extend", "--expires-in", "2h")
	if d := time.Until(tok.Expires); d < time.Hour || d > 3*time.Hour {
		t.Errorf("session extend 2h: expires in %v", d)
	}
	tm.fails(cli.ExitUsage, []string{"--expires-in \"soon\""}, "", "session", "extend", "--expires-in", "soon")
	tm.fails(cli.ExitAPI, []string{"400", "seconds_until_expire: Must be at most"}, "", "session", "extend", "--expires-in", "1000d")
	before, _ := os.ReadFile(tm.creds)
	if out := tm.ok("", "session", "refresh"); !strings.Contains(out, "Renewed the session") {
		t.Errorf("session refresh printed %q", out)
	}
	after, _ := os.ReadFile(tm.creds)
	if bytes.Equal(before, after) {
		t.Error("session refresh did not store the new session")
	}

	// A stored session that has ended is renewed by its refresh token.
	ended := time.Now().Add(-time.Minute).Format(time.RFC3339)
	b := tm.setEntry(s.URL, map[string]any{"expires": ended})
	tm.ok("", "users", "me")
	renewed, _ := os.ReadFile(tm.creds)
	if bytes.Equal(renewed, b) {
		t.Error("an ended session was not renewed")
	}
	// Its refresh token ended too: log in again.
	tm.setEntry(s.URL, map[string]any{"expires": ended, "refresh_expires": ended})
	tm.fails(cli.ExitAuth, []string{"the session has ended"}, "", "users", "me")
}

func TestUsageErrors(t *testing.T) {
	tm := newTerm(t, testserver.Start(t))
	tm.fails(cli.ExitUsage, []string{"unknown flag: --frob"}, "", "users", "list", "--frob")
	tm.fails(cli.ExitUsage, []string{`unknown command "frob"`}, "", "users", "frob")
	tm.fails(cli.ExitUsage, []string{"want 1 argument(s): <user>"}, "", "users", "get")
	tm.fails(cli.ExitUsage, []string{`required flag(s) "confirm" not set`}, "", "tenants", "delete", "acme")
}

func TestCompletion(t *testing.T) {
	tm := newTerm(t, testserver.Start(t))
	for shell, want := range map[string]string{"bash": "complete -o default", "zsh": "#compdef latchkey", "fish": "complete -c latchkey"} {
		if out := tm.ok("", "completion", shell); !strings.Contains(out, want) {
			t.Errorf("completion %s does not contain %q", shell, want)
		}
	}
	// Cobra answers completion requests itself: subcommands of tokens.
	if out := tm.ok("", "__complete", "tokens", ""); !strings.Contains(out, "expire") || !strings.Contains(out, "create") {
		t.Errorf("completing tokens printed %q", out)
	}
	tm.fails(cli.ExitUsage, []string{`unknown command "powershell-7"`}, "", "completion", "powershell-7")
}

// TestServeAcceptsTheEnvironment: a shell with the CLI's variables set
// can still run serve, which refuses unknown LATCHKEY_ variables.
func TestServeAcceptsTheEnvironment(t *testing.T) {
	env := []string{cli.EnvURL + "=x", cli.EnvAppToken + "=x", cli.EnvToken + "=x", cli.EnvUsername + "=x",
		cli.EnvPassword + "=x", cli.EnvCredentials + "=x"}
	if _, err := configs.Load("", env, nil); err != nil {
		t.Errorf("configs.Load with the CLI's environment: %v", err)
	}
}
