package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/latchkey/latchkey/admin"
)

// curlLine is the login line the welcome prints.
var curlLine = regexp.MustCompile(`curl -s -X POST (http://\S+)/api/v1/token/ -H 'App-Token: (\S+)' -d username=(\S+) -d 'password=([^']+)'`)

// waitFor polls out until it contains want, or the command ends.
func waitFor(t *testing.T, out *syncBuffer, want string, done <-chan int) {
	t.Helper()
	deadline := time.After(60 * time.Second)
	for !strings.Contains(out.String(), want) {
		select {
		case code := <-done:
			t.Fatalf("serve ended with %d before printing %q; output %q", code, want, out.String())
		case <-deadline:
			t.Fatalf("serve did not print %q within 60s; output %q", want, out.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// loginAsPrinted does what the welcome's curl line does and then calls the
// API with the token, as its second line says.
func loginAsPrinted(t *testing.T, welcome string) (base string) {
	t.Helper()
	m := curlLine.FindStringSubmatch(welcome)
	if m == nil {
		t.Fatalf("no curl line in %q", welcome)
	}
	base, app, user, pw := m[1], m[2], m[3], m[4]
	out := mustCall(t, base, 200, apiCall{method: "POST", path: "/api/v1/token/", appToken: app,
		form: url.Values{"username": {user}, "password": {pw}}})
	tok, _ := out["token"].(string)
	me := mustCall(t, base, 200, apiCall{method: "GET", path: "/api/v1/users/me", appToken: app, token: tok})
	if me["username"] != "admin" || me["role"] != "owner" {
		t.Errorf("got %v, want the owner admin", me)
	}
	return base
}

// serve stops with exit 0 when its context ends; on an empty store it
// prints the welcome with a working curl line, on a second run it does not.
func TestServeStopsOnCancel(t *testing.T) {
	dir := t.TempDir()
	for round, first := range []bool{true, false} {
		ctx, cancel := context.WithCancel(context.Background())
		var stdout, stderr syncBuffer
		done := make(chan int, 1)
		go func() { done <- run(ctx, []string{"serve"}, storeEnv(dir), &stdout, &stderr) }()
		var base string
		if first {
			waitFor(t, &stdout, "Console:", done)
			base = loginAsPrinted(t, stdout.String())
			if !strings.Contains(stdout.String(), "shown once") {
				t.Errorf("the welcome does not say the credentials are shown once: %s", stdout.String())
			}
		} else {
			waitFor(t, &stdout, "Latchkey is serving on", done)
			if strings.Contains(stdout.String(), "curl") || strings.Contains(stdout.String(), "password") {
				t.Errorf("round %d: the welcome was printed again: %s", round, stdout.String())
			}
			base = strings.Fields(strings.TrimPrefix(stdout.String(), "Latchkey is serving on "))[0]
			mustCall(t, base, 200, apiCall{method: "GET", path: "/healthz"})
		}
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("round %d: got exit %d, want 0; stderr %s", round, code, stderr.String())
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("round %d: serve did not stop within 30s of the cancel", round)
		}
		if _, err := http.Get(base + "/healthz"); err == nil {
			t.Errorf("round %d: the server still answers after it stopped", round)
		}
	}
}

// The real binary stops on SIGTERM with exit status 0.
func TestBinaryStopsOnSIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary; skipped with -short")
	}
	bin := filepath.Join(t.TempDir(), "latchkey")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(storeEnv(t.TempDir()), "PATH="+os.Getenv("PATH"), "HOME="+t.TempDir())
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	var welcome strings.Builder
	lines := bufio.NewScanner(stdout)
	for lines.Scan() {
		welcome.WriteString(lines.Text() + "\n")
		if strings.HasPrefix(lines.Text(), "Console:") {
			break
		}
	}
	base := loginAsPrinted(t, welcome.String())
	go func() { _, _ = io.Copy(io.Discard, stdout) }()

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	select {
	case err := <-waited:
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			t.Errorf("got exit status %d, want 0; stderr %s", exit.ExitCode(), stderr.String())
		} else if err != nil {
			t.Errorf("wait: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("the binary did not stop within 30s of SIGTERM; stderr %s", stderr.String())
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Error("the server still answers after it exited")
	}
}

// The welcome's curl line sends the password the server checks, whatever
// characters LATCHKEY_ADMIN_PASSWORD holds: a shell parses the line and a
// form parser decodes what curl -d would send.
func TestWelcomeCurlLineKeepsThePassword(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh to parse the curl line with")
	}
	for _, pw := range []string{"plainpassword", `it's a+b&c=d%20 "q" $HOME \n`, "ünïcødé pässwörd"} {
		var out strings.Builder
		printWelcome(&out, "http://127.0.0.1:1", &admin.Bootstrap{AppToken: "lka_x", Admin: admin.BootstrapAdmin{Username: "admin", Password: pw}}, false)
		line := ""
		for _, l := range strings.Split(out.String(), "\n") {
			if strings.Contains(l, "curl -s -X POST") {
				line = strings.TrimSpace(l)
			}
		}
		if line == "" {
			t.Fatalf("no curl line in %q", out.String())
		}
		// A curl that prints its arguments, one a line.
		args, err := exec.Command(sh, "-c", `curl() { for a; do printf '%s\n' "$a"; done; }; `+line).Output()
		if err != nil {
			t.Fatalf("%s: sh: %v", line, err)
		}
		var data []string
		list := strings.Split(string(args), "\n")
		for i, a := range list {
			if a == "-d" && i+1 < len(list) {
				data = append(data, list[i+1])
			}
		}
		form, err := url.ParseQuery(strings.Join(data, "&"))
		if err != nil {
			t.Fatalf("%s: the data is not a form: %v", line, err)
		}
		if form.Get("username") != "admin" || form.Get("password") != pw {
			t.Errorf("password %q: the curl line sends %v", pw, form)
		}
	}
}
