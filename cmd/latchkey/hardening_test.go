package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/admin"
)

// A serve whose address is taken fails before it opens the store: the
// store stays empty (init still works on it), so no first credentials are
// made that nobody sees.
func TestServeBindsBeforeInitialising(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	dir := t.TempDir()
	code, stdout, stderr := runCmd(t, storeEnv(dir, "LATCHKEY_SERVER_ADDR="+taken.Addr().String()), "serve")
	if code == 0 || !strings.Contains(stderr, "server.addr") {
		t.Fatalf("serve on a taken port: got exit %d, stderr %q; want a failure naming server.addr", code, stderr)
	}
	if strings.Contains(stdout, "app token") || strings.Contains(stdout, "password") {
		t.Errorf("serve printed credentials although it did not start: %q", stdout)
	}
	code, stdout, stderr = runCmd(t, storeEnv(dir), "init", "--json")
	if code != 0 {
		t.Fatalf("init after the failed serve: exit %d, stderr %q: the failed serve initialised the store", code, stderr)
	}
	var boot admin.Bootstrap
	if err := json.Unmarshal([]byte(stdout), &boot); err != nil || boot.AppToken == "" {
		t.Errorf("init: got %q, %v, want the credentials", stdout, err)
	}
}

// serve never prints a password that came from LATCHKEY_ADMIN_PASSWORD, in
// its welcome or its logs; the welcome says where the password is, and its
// curl line, run by a shell with the variable set, sends it.
func TestServeDoesNotEchoTheEnvironmentPassword(t *testing.T) {
	const pw = "env-chosen Pa55word & more"
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve"}, storeEnv(t.TempDir(), "LATCHKEY_ADMIN_PASSWORD="+pw, "LATCHKEY_LOG_LEVEL=debug"), &stdout, &stderr)
	}()
	waitFor(t, &stdout, "Console:", done)
	welcome := stdout.String()
	for _, part := range []string{pw, "Pa55word", "env-chosen"} {
		if strings.Contains(welcome, part) || strings.Contains(stderr.String(), part) {
			t.Errorf("the password (%q) was printed: stdout %q", part, welcome)
		}
	}
	if !strings.Contains(welcome, "LATCHKEY_ADMIN_PASSWORD") {
		t.Errorf("the welcome does not say the password is LATCHKEY_ADMIN_PASSWORD's: %q", welcome)
	}
	line := ""
	for l := range strings.SplitSeq(welcome, "\n") {
		if strings.Contains(l, "curl -s -X POST") {
			line = strings.TrimSpace(l)
		}
	}
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh to run the curl line with")
	}
	cmd := exec.Command(sh, "-c", `curl() { for a; do printf '%s\n' "$a"; done; }; `+line)
	cmd.Env = []string{"LATCHKEY_ADMIN_PASSWORD=" + pw}
	args, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v", line, err)
	}
	if !strings.Contains(string(args), "--data-urlencode\npassword="+pw+"\n") {
		t.Errorf("the curl line sends %q, want --data-urlencode password=<the variable>", args)
	}
	m := regexp.MustCompile(`(http://\S+)/api/v1/token/ -H 'App-Token: (\S+)'`).FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("no URL and app token in %q", line)
	}
	login(t, m[1], m[2], "admin", pw)
	cancel()
	<-done
}

// Headers over the server's hard limit (64 KiB) are answered 431 and the
// connection is closed without reading further; between 16 and 64 KiB the
// answer is the JSON 431 and the connection stays usable.
func TestServerHeaderLimit(t *testing.T) {
	addr := servedAddr(t, serveInProcess(t, storeEnv(t.TempDir())))
	status, closed := rawRequest(t, addr, "X-Big: "+strings.Repeat("b", 70<<10)+"\r\n")
	if !strings.Contains(status, " 431 ") || !closed {
		t.Errorf("70 KiB of headers: got %q, closed %v; want 431 and the connection closed", status, closed)
	}
	status, closed = rawRequest(t, addr, "X-Big: "+strings.Repeat("b", 20<<10)+"\r\n")
	if !strings.Contains(status, " 431 ") || closed {
		t.Errorf("20 KiB of headers: got %q, closed %v; want 431 on a connection kept open", status, closed)
	}
	req, _ := http.NewRequest("GET", "http://"+addr+"/healthz", nil)
	req.Header.Set("X-Big", strings.Repeat("b", 20<<10))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var env struct {
		Errors map[string]string `json:"errors"`
	}
	if err := json.NewDecoder(res.Body).Decode(&env); err != nil || res.StatusCode != 431 || env.Errors["headers"] == "" {
		t.Errorf("20 KiB of headers: got %d %v %v, want 431 {\"errors\": {\"headers\": …}}", res.StatusCode, env, err)
	}
}

// serveInProcess runs `latchkey serve` with env in this process until the
// test ends and returns its welcome.
func serveInProcess(t *testing.T, env []string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"serve"}, env, &stdout, &stderr) }()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("serve: exit %d; stderr %s", code, stderr.String())
		}
	})
	waitFor(t, &stdout, "Console:", done)
	return stdout.String()
}

// servedAddr returns the host:port of a serve's welcome or serving line.
func servedAddr(t *testing.T, out string) string {
	t.Helper()
	i := strings.Index(out, "http://127.0.0.1:")
	if i < 0 {
		t.Fatalf("no URL in %q", out)
	}
	addr, _, _ := strings.Cut(strings.TrimPrefix(strings.Fields(out[i:])[0], "http://"), "/")
	return addr
}

// healthcheck exits 0 when the configured server answers /readyz and 1
// when nothing listens there.
func TestHealthcheck(t *testing.T) {
	addr := servedAddr(t, serveInProcess(t, storeEnv(t.TempDir())))
	code, stdout, stderr := runCmd(t, []string{"LATCHKEY_SERVER_ADDR=" + addr}, "healthcheck")
	if code != 0 || strings.TrimSpace(stdout) != "ready" {
		t.Errorf("healthcheck of a running server: exit %d, stdout %q, stderr %q; want 0 and ready", code, stdout, stderr)
	}
	code, _, stderr = runCmd(t, []string{"LATCHKEY_SERVER_ADDR=" + freeAddr(t)}, "healthcheck")
	if code != 1 || !strings.Contains(stderr, "not ready") {
		t.Errorf("healthcheck with no server: exit %d, stderr %q; want 1 and not ready", code, stderr)
	}
}

func TestDialAddr(t *testing.T) {
	for in, want := range map[string]string{
		"0.0.0.0:8080": "127.0.0.1:8080", ":8080": "127.0.0.1:8080", "[::]:8080": "[::1]:8080",
		"127.0.0.1:9": "127.0.0.1:9", "lk.internal:80": "lk.internal:80",
	} {
		if got := dialAddr(in); got != want {
			t.Errorf("dialAddr(%q) = %q, want %q", in, got, want)
		}
	}
}

// rawRequest writes a GET with extra header bytes on a new connection and
// returns the status line and whether the server then closed it.
func rawRequest(t *testing.T, addr string, header string) (status string, closed bool) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	go func() {
		_, _ = io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHost: x\r\n"+header+"\r\n")
	}()
	r := bufio.NewReader(conn)
	status, err = r.ReadString('\n')
	if err != nil {
		t.Fatalf("read the status line: %v", err)
	}
	res, err := http.ReadResponse(bufio.NewReader(io.MultiReader(strings.NewReader(status), r)), nil)
	if err == nil {
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
	}
	_, err = r.ReadByte()
	return strings.TrimSpace(status), err == io.EOF
}
