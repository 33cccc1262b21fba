package main

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/cmd/latchkey/cli"
	"github.com/latchkey/latchkey/internal/testserver"
)

// binaryRun runs the built latchkey with args and env (and nothing of this
// process's environment but PATH) and returns its exit code and output.
func binaryRun(t *testing.T, bin string, env []string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(),
		cli.EnvCredentials + "=" + filepath.Join(t.TempDir(), "credentials.json")}, env...)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatalf("latchkey %v: %v", args, err)
	}
	return cmd.ProcessState.ExitCode(), stdout.String(), stderr.String()
}

// buildBinary builds latchkey into the test's directory.
func buildBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the binary; skipped with -short")
	}
	bin := filepath.Join(t.TempDir(), "latchkey")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestBinaryCommandLine runs the real binary as a shell does: every
// subcommand answers --help with exit 0, global flags come before the
// command, unknown commands suggest near ones, a URL needs no scheme, and
// shell completion (which calls "latchkey __complete …") offers names.
func TestBinaryCommandLine(t *testing.T) {
	bin := buildBinary(t)
	s := testserver.Start(t)
	owner := s.OwnerToken(t)
	s.NewUser(t, s.AppToken, owner, "mia", "member")
	s.NewUser(t, s.AppToken, owner, "milo", "member")
	env := []string{cli.EnvURL + "=" + strings.TrimPrefix(s.URL, "http://"), cli.EnvAppToken + "=" + s.AppToken, cli.EnvToken + "=" + owner}

	for _, args := range [][]string{{"--help"}, {"serve", "--help"}, {"init", "--help"}, {"migrate", "--help"},
		{"app-token", "--help"}, {"app-token", "create", "--help"}, {"user", "reset-password", "--help"},
		{"healthcheck", "--help"}, {"version", "--help"}, {"login", "--help"}, {"users", "--help"},
		{"users", "get", "--help"}, {"tokens", "list", "--help"}, {"completion", "bash", "--help"},
		{"scopes", "put", "--help"}, {"webhooks", "--help"}, {"webhooks", "retry", "--help"}} {
		code, out, errOut := binaryRun(t, bin, nil, args...)
		if code != 0 || !strings.Contains(out, "Usage:") {
			t.Errorf("latchkey %s: exit %d, stdout %q, stderr %q; want 0 and the usage", strings.Join(args, " "), code, out, errOut)
		}
	}
	if code, out, _ := binaryRun(t, bin, nil, "serve", "--help"); code == 0 && (!strings.Contains(out, "--data-dir") || !strings.Contains(out, "--config")) {
		t.Errorf("serve --help does not name its flags: %s", out)
	}
	if code, out, _ := binaryRun(t, bin, nil, "--version"); code != 0 || out != "latchkey dev\n" {
		t.Errorf("--version: exit %d, %q", code, out)
	}

	if code, out, errOut := binaryRun(t, bin, env, "--json", "users", "list"); code != 0 || !strings.Contains(out, `"username": "mia"`) {
		t.Errorf("--json users list: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if code, _, errOut := binaryRun(t, bin, env, "users", "lst"); code != cli.ExitUsage || !strings.Contains(errOut, "Did you mean this?") || !strings.Contains(errOut, "\tlist\n") {
		t.Errorf("users lst: exit %d, stderr %q; want 2 suggesting list", code, errOut)
	}
	if code, _, errOut := binaryRun(t, bin, env, "sevre"); code != cli.ExitUsage || !strings.Contains(errOut, "serve") {
		t.Errorf("sevre: exit %d, stderr %q; want 2 suggesting serve", code, errOut)
	}

	// Completion: the script bash runs calls the binary's __complete.
	code, out, errOut := binaryRun(t, bin, env, "__complete", "users", "get", "")
	if code != 0 || !strings.Contains(out, "mia\n") || !strings.Contains(out, "milo\n") || !strings.Contains(out, s.Username+"\n") {
		t.Errorf("__complete users get: exit %d, stdout %q, stderr %q; want the usernames", code, out, errOut)
	}
	if _, out, _ := binaryRun(t, bin, env, "__complete", "users", "get", "mi"); strings.Contains(out, s.Username+"\n") || !strings.Contains(out, "milo") {
		t.Errorf("__complete users get mi: %q, want only the usernames starting with mi", out)
	}
	// Scope names complete as arguments and as --scope; a name that names
	// no app token is not found (exit 4).
	s.Must(t, 200, testserver.Request{Method: "PUT", Path: "/api/v1/scopes/billing:read", AppToken: s.AppToken, Token: owner,
		JSON: map[string]any{"description": "Read invoices"}})
	for _, args := range [][]string{{"__complete", "scopes", "delete", "bi"}, {"__complete", "app-tokens", "create", "--scope", ""}} {
		if code, out, errOut := binaryRun(t, bin, env, args...); code != 0 || !strings.Contains(out, "billing:read\n") {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want billing:read", strings.Join(args, " "), code, out, errOut)
		}
	}
	if code, _, errOut := binaryRun(t, bin, env, "app-tokens", "get", "nobody"); code != cli.ExitNotFound || !strings.Contains(errOut, `no app token is named "nobody"`) {
		t.Errorf("app-tokens get nobody: exit %d, stderr %q; want 4, not found", code, errOut)
	}
	if _, out, _ := binaryRun(t, bin, env, "__complete", "ser"); !strings.Contains(out, "serve") {
		t.Errorf("__complete ser: %q, want serve", out)
	}
	if code, out, _ := binaryRun(t, bin, nil, "completion", "bash"); code != 0 || !strings.Contains(out, "__complete") {
		t.Errorf("completion bash: exit %d; the script does not call __complete", code)
	}

	// A server that is not there: its URL named, not the dial error.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gone := ln.Addr().String()
	ln.Close()
	down := []string{cli.EnvURL + "=" + gone, cli.EnvAppToken + "=" + s.AppToken, cli.EnvToken + "=" + owner}
	code, _, errOut = binaryRun(t, bin, down, "users", "list")
	if code != cli.ExitServer || !strings.Contains(errOut, "the server is not reachable at http://"+gone) || strings.Contains(errOut, "dial tcp") {
		t.Errorf("users list with the server down: exit %d, stderr %q; want 5 naming http://%s", code, errOut, gone)
	}
}
