package gatewaytest_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/gatewaytest"
	"github.com/latchkey/latchkey/internal/testserver"
)

func TestMain(m *testing.M) { testserver.Main(m) }

// gateway starts one kind of gateway in front of upstream, asking the
// Latchkey at latchkey (host:port), and returns its base URL.
type gateway struct {
	name  string
	bin   string
	start func(t *testing.T, latchkey, upstream string, replace ...string) string
	// stripsAnyName: the gateway removes every X-Latchkey-* header the
	// client sent, not only the ten Latchkey defines (stock nginx cannot).
	stripsAnyName bool
	// unavailable is the status when Latchkey cannot be reached.
	unavailable int
	// misspeltScope turns the scope route's question into one Latchkey
	// refuses (400), as a typo would: the replacements for start.
	misspeltScope []string
}

var nginx = gateway{name: "nginx", bin: "nginx", start: startNginx, unavailable: http.StatusServiceUnavailable,
	misspeltScope: []string{"scope-reports:read;", "scope-Reports:read;"}}

var caddy = gateway{name: "caddy", bin: "caddy", start: startCaddy, stripsAnyName: true, unavailable: http.StatusBadGateway,
	misspeltScope: []string{"?scope=reports:read", "?scope=Reports:read"}}

func TestNginx(t *testing.T) { testGateway(t, nginx) }

func TestCaddy(t *testing.T) { testGateway(t, caddy) }

// requireBinary skips the test when bin is missing, or fails it under
// LATCHKEY_REQUIRE_GATEWAYS=1.
func requireBinary(t *testing.T, bin string) string {
	t.Helper()
	path, err := exec.LookPath(bin)
	if err == nil {
		return path
	}
	if os.Getenv("LATCHKEY_REQUIRE_GATEWAYS") == "1" {
		t.Fatalf("%s is not installed and LATCHKEY_REQUIRE_GATEWAYS=1 (apt-get install -y nginx caddy)", bin)
	}
	t.Skipf("%s is not installed (apt-get install -y nginx caddy); set LATCHKEY_REQUIRE_GATEWAYS=1 to fail instead", bin)
	return ""
}

// freePort returns a loopback port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// fromDeploy reads a shipped configuration and makes the replacements,
// each of which must apply at least once (so a changed file cannot make a
// replacement silently do nothing).
func fromDeploy(t *testing.T, name string, replace ...string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "deploy", name))
	if err != nil {
		t.Fatal(err)
	}
	conf := string(b)
	for i := 0; i < len(replace); i += 2 {
		if !strings.Contains(conf, replace[i]) {
			t.Fatalf("deploy/%s no longer contains %q", name, replace[i])
		}
		conf = strings.ReplaceAll(conf, replace[i], replace[i+1])
	}
	return conf
}

// run starts cmd, stops it when the test ends, and waits until url answers.
func run(t *testing.T, cmd *exec.Cmd, url string) {
	t.Helper()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	deadline := time.Now().Add(15 * time.Second)
	for {
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("%s exited: %v\n%s", cmd.Path, err, out.String())
		default:
		}
		if res, err := http.Get(url); err == nil {
			res.Body.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not answer within 15s\n%s", cmd.Path, out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func startNginx(t *testing.T, latchkey, upstream string, replace ...string) string {
	bin := requireBinary(t, "nginx")
	dir := t.TempDir()
	port := freePort(t)
	site := fromDeploy(t, "nginx/latchkey.conf", append([]string{
		"server 127.0.0.1:8080;", "server " + latchkey + ";",
		"server 127.0.0.1:9000;", "server " + upstream + ";",
		"listen 8000;", fmt.Sprintf("listen 127.0.0.1:%d;", port)}, replace...)...)
	if err := os.WriteFile(filepath.Join(dir, "latchkey.conf"), []byte(site), 0o600); err != nil {
		t.Fatal(err)
	}
	// The main configuration around the shipped file: one process, every
	// path in the temporary directory.
	main := fmt.Sprintf(`daemon off;
master_process off;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log warn;
events { worker_connections 512; }
http {
    access_log off;
    client_body_temp_path %[1]s/body;
    proxy_temp_path %[1]s/proxy;
    fastcgi_temp_path %[1]s/fastcgi;
    uwsgi_temp_path %[1]s/uwsgi;
    scgi_temp_path %[1]s/scgi;
    include %[1]s/latchkey.conf;
}
`, dir)
	if err := os.WriteFile(filepath.Join(dir, "nginx.conf"), []byte(main), 0o600); err != nil {
		t.Fatal(err)
	}
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	run(t, exec.Command(bin, "-p", dir, "-c", filepath.Join(dir, "nginx.conf"), "-e", filepath.Join(dir, "error.log")), url)
	return url
}

func startCaddy(t *testing.T, latchkey, upstream string, replace ...string) string {
	bin := requireBinary(t, "caddy")
	dir := t.TempDir()
	port := freePort(t)
	site := fromDeploy(t, "caddy/Caddyfile", append([]string{
		"127.0.0.1:8080", latchkey,
		"reverse_proxy 127.0.0.1:9000", "reverse_proxy " + upstream,
		"\n:8000 {\n", fmt.Sprintf("\n:%d {\n\tbind 127.0.0.1\n", port)}, replace...)...)
	// Test-only global options: no admin endpoint (tests run side by side).
	conf := "{\n\tadmin off\n}\n" + site
	path := filepath.Join(dir, "Caddyfile")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "run", "--config", path, "--adapter", "caddyfile")
	cmd.Env = append(os.Environ(), "HOME="+dir, "XDG_DATA_HOME="+dir, "XDG_CONFIG_HOME="+dir)
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	run(t, cmd, url)
	return url
}

// world is what a gateway test needs: Latchkey instance A (where the API
// calls are made), instance B on the same store (the one the gateway asks,
// with its verification cache on and a clock the test moves), the echo
// upstream, a scope catalog with reports:read and orders:write, and a
// tenant "acme" with a member and an OBO token, and a second tenant.
type world struct {
	a, b        *testserver.Server
	ttl         time.Duration
	echo        *gatewaytest.Echo
	upstream    string
	acme, other *testserver.Tenant
	memID       string
	mem         *testserver.Response // mem's login
	obo         string               // an OBO token the owner issued for mem
}

func newWorld(t *testing.T) *world {
	w := &world{ttl: 2 * time.Second, echo: &gatewaytest.Echo{}}
	w.a = testserver.Start(t)
	w.b = testserver.StartWith(t, testserver.Options{Store: w.a.Store, CacheTTL: w.ttl})
	up := httptest.NewServer(w.echo)
	t.Cleanup(up.Close)
	w.upstream = strings.TrimPrefix(up.URL, "http://")
	platformOwner := w.a.OwnerToken(t)
	for _, name := range []string{"reports:read", "orders:write"} {
		w.a.Must(t, http.StatusOK, testserver.Request{Method: "PUT", Path: "/api/v1/scopes/" + name, AppToken: w.a.AppToken,
			Token: platformOwner, JSON: map[string]any{"description": "Scope " + name + "."}})
	}
	w.acme, w.other = w.a.NewTenant(t, "acme"), w.a.NewTenant(t, "other")
	w.memID = w.a.NewUser(t, w.acme.AppToken, w.acme.OwnerToken, "mem", "member")
	w.mem = w.a.Must(t, http.StatusOK, testserver.Request{Method: "POST", Path: "/api/v1/token", AppToken: w.acme.AppToken,
		JSON: map[string]any{"username": "mem", "password": "mem-password"}})
	w.obo = w.a.Must(t, http.StatusCreated, testserver.Request{Method: "POST", Path: "/api/v1/tokens", AppToken: w.acme.AppToken,
		Token: w.acme.OwnerToken, JSON: map[string]any{"user": w.memID}}).String("token")
	return w
}

// appToken makes an app token of acme with body and returns its string.
func (w *world) appToken(t *testing.T, body map[string]any) string {
	t.Helper()
	return w.a.Must(t, http.StatusCreated, testserver.Request{Method: "POST", Path: "/api/v1/app_tokens", AppToken: w.acme.AppToken,
		Token: w.acme.OwnerToken, JSON: body}).String("app_token")
}

// client bounds every request, so a gateway that stops answering fails
// its test instead of hanging it.
var client = &http.Client{Timeout: 20 * time.Second}

// through sends a request through the gateway.
func through(t *testing.T, base, method, path string, header map[string]string, body []byte) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, base+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, b
}

func received(t *testing.T, b []byte) gatewaytest.Received {
	t.Helper()
	var r gatewaytest.Received
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("not the upstream's answer: %s", b)
	}
	return r
}

// identity returns the X-Latchkey-* headers the upstream received,
// failing on any that arrived more than once.
func identity(t *testing.T, r gatewaytest.Received) map[string]string {
	t.Helper()
	out := map[string]string{}
	for k, v := range r.Headers {
		if strings.HasPrefix(strings.ToLower(k), "x-latchkey-") {
			if len(v) != 1 {
				t.Errorf("%s arrived %d times: %q", k, len(v), v)
			}
			out[http.CanonicalHeaderKey(k)] = strings.Join(v, ",")
			if strings.Contains(out[http.CanonicalHeaderKey(k)], "{http.") {
				t.Errorf("%s arrived as a placeholder: %q", k, v)
			}
		}
	}
	return out
}

// countingProxy forwards TCP connections to target and counts them, to
// see whether a gateway keeps its connections to Latchkey.
type countingProxy struct {
	addr  string
	conns atomic.Int64
}

func newCountingProxy(t *testing.T, target string) *countingProxy {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	p := &countingProxy{addr: l.Addr().String()}
	go func() {
		for {
			in, err := l.Accept()
			if err != nil {
				return
			}
			p.conns.Add(1)
			go func() {
				defer in.Close()
				out, err := net.Dial("tcp", target)
				if err != nil {
					return
				}
				defer out.Close()
				go func() { _, _ = io.Copy(out, in) }()
				_, _ = io.Copy(in, out)
			}()
		}
	}()
	return p
}

func testGateway(t *testing.T, g gateway) {
	requireBinary(t, g.bin)
	w := newWorld(t)
	toLatchkey := newCountingProxy(t, strings.TrimPrefix(w.b.URL, "http://"))
	base := g.start(t, toLatchkey.addr, w.upstream)
	memTok := w.mem.String("token")
	creds := map[string]string{"App-Token": w.acme.AppToken, "Token": memTok}
	wantMem := map[string]string{
		"X-Latchkey-Tenant-Id":  w.acme.ID,
		"X-Latchkey-Tenant":     "acme",
		"X-Latchkey-User-Id":    w.memID,
		"X-Latchkey-Username":   "mem",
		"X-Latchkey-Role":       "member",
		"X-Latchkey-Token-Id":   w.mem.String("id"),
		"X-Latchkey-Token-Kind": "login",
	}

	t.Run("a valid pair reaches the upstream with the identity headers", func(t *testing.T) {
		res, b := through(t, base, "GET", "/orders/7?page=2", creds, nil)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("got %d %s", res.StatusCode, b)
		}
		r := received(t, b)
		if r.Method != "GET" || r.Path != "/orders/7" || r.Query != "page=2" {
			t.Errorf("upstream got %s %s?%s", r.Method, r.Path, r.Query)
		}
		got := identity(t, r)
		for k, v := range wantMem {
			if got[k] != v {
				t.Errorf("%s: got %q, want %q", k, got[k], v)
			}
		}
		if got["X-Latchkey-App-Token-Id"] == "" || got["X-Latchkey-Expires"] == "" {
			t.Errorf("got %v, want the app token id and the expiry", got)
		}
		if _, ok := got["X-Latchkey-Actor-Id"]; ok {
			t.Errorf("got X-Latchkey-Actor-Id %q for a login token", got["X-Latchkey-Actor-Id"])
		}
		if r.Headers["Token"][0] != memTok {
			t.Error("the upstream did not get the Token header")
		}
		// The same with Authorization: Bearer.
		res, b = through(t, base, "DELETE", "/orders/7", map[string]string{"App-Token": w.acme.AppToken, "Authorization": "Bearer " + memTok}, nil)
		if res.StatusCode != http.StatusOK || identity(t, received(t, b))["X-Latchkey-User-Id"] != w.memID {
			t.Errorf("Bearer: got %d %s", res.StatusCode, b)
		}
	})

	t.Run("the connection to Latchkey is kept", func(t *testing.T) {
		before := toLatchkey.conns.Load()
		for range 40 {
			if res, b := through(t, base, "GET", "/orders", creds, nil); res.StatusCode != http.StatusOK {
				t.Fatalf("got %d %s", res.StatusCode, b)
			}
		}
		if n := toLatchkey.conns.Load() - before; n > 4 {
			t.Errorf("40 requests one after another opened %d connections to Latchkey, want a kept one", n)
		}
	})

	t.Run("a client's own X-Latchkey headers never arrive", func(t *testing.T) {
		forged := map[string]string{"App-Token": w.acme.AppToken, "Token": memTok,
			"X-Latchkey-User-Id": "forged", "x-latchkey-role": "owner", "X-LATCHKEY-ACTOR-ID": "forged",
			"X-Latchkey-Tenant": "other", "X-Latchkey-Something-Else": "forged"}
		res, b := through(t, base, "GET", "/orders", forged, nil)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("got %d %s", res.StatusCode, b)
		}
		got := identity(t, received(t, b))
		for k, v := range wantMem {
			if got[k] != v {
				t.Errorf("%s: got %q, want %q", k, got[k], v)
			}
		}
		if v, ok := got["X-Latchkey-Actor-Id"]; ok {
			t.Errorf("the client's X-Latchkey-Actor-Id arrived: %q", v)
		}
		if v, ok := got["X-Latchkey-Something-Else"]; ok && g.stripsAnyName {
			t.Errorf("the client's X-Latchkey-Something-Else arrived: %q", v)
		}
	})

	t.Run("an OBO token names its actor", func(t *testing.T) {
		res, b := through(t, base, "GET", "/orders", map[string]string{"App-Token": w.acme.AppToken, "Token": w.obo,
			"X-Latchkey-Actor-Id": "forged"}, nil)
		got := identity(t, received(t, b))
		if res.StatusCode != http.StatusOK || got["X-Latchkey-Actor-Id"] != w.acme.OwnerID ||
			got["X-Latchkey-User-Id"] != w.memID || got["X-Latchkey-Token-Kind"] != "obo" {
			t.Errorf("got %d %v", res.StatusCode, got)
		}
	})

	t.Run("a POST with a body works", func(t *testing.T) {
		body := bytes.Repeat([]byte(`{"line":"0123456789abcdef"}`+"\n"), 8000) // 216 KB: nginx buffers it to disk
		res, b := through(t, base, "POST", "/orders", map[string]string{"App-Token": w.acme.AppToken, "Token": memTok,
			"Content-Type": "application/json"}, body)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("got %d %s", res.StatusCode, b)
		}
		r := received(t, b)
		if r.Method != "POST" || r.Body != string(body) || identity(t, r)["X-Latchkey-User-Id"] != w.memID {
			t.Errorf("upstream got %s with %d bytes (want %d) and %v", r.Method, len(r.Body), len(body), identity(t, r))
		}
	})

	t.Run("a role route", func(t *testing.T) {
		hits := w.echo.Hits()
		res, b := through(t, base, "GET", "/admin/users", creds, nil)
		if res.StatusCode != http.StatusForbidden || !strings.Contains(string(b), `"role"`) {
			t.Errorf("member: got %d %s, want 403 with Latchkey's errors", res.StatusCode, b)
		}
		if w.echo.Hits() != hits {
			t.Error("a member reached the upstream's admin route")
		}
		res, b = through(t, base, "GET", "/admin/users?page=2", map[string]string{"App-Token": w.acme.AppToken, "Token": w.acme.OwnerToken}, nil)
		if res.StatusCode != http.StatusOK || identity(t, received(t, b))["X-Latchkey-Role"] != "owner" {
			t.Errorf("owner: got %d %s", res.StatusCode, b)
		}
	})

	t.Run("a scope route", func(t *testing.T) {
		reports := w.appToken(t, map[string]any{"scopes": []string{"reports:read"}, "external_id": "cust-42"})
		orders := w.appToken(t, map[string]any{"scopes": []string{"orders:write"}})
		none := w.appToken(t, map[string]any{"scopes": []string{}})
		with := func(app string) map[string]string { return map[string]string{"App-Token": app, "Token": memTok} }

		// Held: the request passes, the upstream learns the scopes.
		for name, c := range map[string]struct {
			h                        map[string]string
			wantScopes, wantExternal string
		}{
			"an app token with the scope": {with(reports), "reports:read", "cust-42"},
			"an unrestricted app token":   {creds, "latchkey:admin orders:write reports:read", ""},
			"forged scopes and external id": {map[string]string{"App-Token": w.acme.AppToken, "Token": memTok,
				"X-Latchkey-Scopes": "orders:write", "X-Latchkey-External-Id": "cust-1"}, "latchkey:admin orders:write reports:read", ""},
		} {
			res, b := through(t, base, "GET", "/reports/monthly?year=2026", c.h, nil)
			if res.StatusCode != http.StatusOK {
				t.Errorf("%s: got %d %s, want 200", name, res.StatusCode, b)
				continue
			}
			r := received(t, b)
			got := identity(t, r)
			if r.Path != "/reports/monthly" || r.Query != "year=2026" || got["X-Latchkey-User-Id"] != w.memID ||
				got["X-Latchkey-Scopes"] != c.wantScopes || got["X-Latchkey-External-Id"] != c.wantExternal {
				t.Errorf("%s: upstream got %s?%s with %v, want scopes %q", name, r.Path, r.Query, got, c.wantScopes)
			}
		}

		// Not held: Latchkey's 403 on scope, and the upstream never sees it.
		// A user token restricted to another scope narrows an unrestricted
		// app token's.
		personal := w.a.Must(t, http.StatusCreated, testserver.Request{Method: "POST", Path: "/api/v1/tokens", AppToken: w.acme.AppToken,
			Token: memTok, JSON: map[string]any{"scopes": []string{"orders:write"}}}).String("token")
		for name, h := range map[string]map[string]string{
			"an app token with another scope": with(orders),
			"an app token with no scope":      with(none),
			"a user token with another scope": {"App-Token": w.acme.AppToken, "Token": personal},
			"a forged scopes header":          {"App-Token": orders, "Token": memTok, "X-Latchkey-Scopes": "reports:read"},
		} {
			// nginx redirects /reports to /reports/ (which the client follows);
			// Caddy's matcher names both.
			for _, path := range []string{"/reports/monthly", "/reports"} {
				hits := w.echo.Hits()
				res, b := through(t, base, "GET", path, h, nil)
				if w.echo.Hits() != hits {
					t.Errorf("%s: %s reached the upstream (%d %s)", name, path, res.StatusCode, b)
				}
				var e struct{ Errors map[string]string }
				if res.StatusCode != http.StatusForbidden || json.Unmarshal(b, &e) != nil ||
					!strings.Contains(e.Errors["scope"], "reports:read") {
					t.Errorf("%s: %s got %d %s, want 403 with Latchkey's errors on scope", name, path, res.StatusCode, b)
				}
			}
		}

		// Missing credentials on a scope route are still 401.
		if res, b := through(t, base, "GET", "/reports/monthly", map[string]string{"App-Token": reports}, nil); res.StatusCode != http.StatusUnauthorized ||
			res.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("no user token: got %d %s, want 401", res.StatusCode, b)
		}

		// The routes that ask for no scope take any valid pair, a scoped
		// one and one with no scope at all.
		for name, c := range map[string]struct {
			app        string
			wantScopes string
		}{"reports:read": {reports, "reports:read"}, "orders:write": {orders, "orders:write"}, "none": {none, ""}} {
			res, b := through(t, base, "GET", "/orders/7", with(c.app), nil)
			if res.StatusCode != http.StatusOK {
				t.Errorf("%s on /orders/7: got %d %s, want 200", name, res.StatusCode, b)
				continue
			}
			got := identity(t, received(t, b))
			if v, ok := got["X-Latchkey-Scopes"]; got["X-Latchkey-User-Id"] != w.memID || v != c.wantScopes || (c.wantScopes == "" && ok) {
				t.Errorf("%s on /orders/7: upstream got %v, want scopes %q", name, got, c.wantScopes)
			}
		}
		// A scope does not lift the role a role route asks for.
		if res, b := through(t, base, "GET", "/admin/users", with(reports), nil); res.StatusCode != http.StatusForbidden {
			t.Errorf("member with reports:read on /admin/: got %d %s, want 403", res.StatusCode, b)
		}
	})

	t.Run("refused credentials never reach the upstream", func(t *testing.T) {
		forged := []byte(memTok)
		forged[len(forged)-1] ^= 1
		expired := w.a.Must(t, http.StatusOK, testserver.Request{Method: "POST", Path: "/api/v1/token", AppToken: w.acme.AppToken,
			JSON: map[string]any{"username": "mem", "password": "mem-password", "seconds_until_expire": 1}}).String("token")
		w.b.Clock.Advance(2 * time.Second) // past its expiry, by the clock of the instance asked
		otherTok := w.a.Login(t, w.other.AppToken, "owner", "owner-password")
		for name, h := range map[string]map[string]string{
			"no credentials":              {},
			"no user token":               {"App-Token": w.acme.AppToken},
			"no app token":                {"Token": memTok},
			"a forged token":              {"App-Token": w.acme.AppToken, "Token": string(forged)},
			"garbage":                     {"App-Token": w.acme.AppToken, "Token": "not-a-token"},
			"an expired token":            {"App-Token": w.acme.AppToken, "Token": expired},
			"another tenant's user token": {"App-Token": w.acme.AppToken, "Token": otherTok},
			"another tenant's app token":  {"App-Token": w.other.AppToken, "Token": memTok},
			"forged identity, no token":   {"X-Latchkey-User-Id": w.memID, "X-Latchkey-Tenant-Id": w.acme.ID},
		} {
			hits := w.echo.Hits()
			res, b := through(t, base, "POST", "/orders", h, []byte(`{"item":1}`))
			if res.StatusCode != http.StatusUnauthorized {
				t.Errorf("%s: got %d %s, want 401", name, res.StatusCode, b)
			}
			var e struct{ Errors map[string]string }
			if json.Unmarshal(b, &e) != nil || len(e.Errors) == 0 {
				t.Errorf("%s: got body %s, want Latchkey's errors", name, b)
			}
			if res.Header.Get("WWW-Authenticate") == "" {
				t.Errorf("%s: no WWW-Authenticate", name)
			}
			if w.echo.Hits() != hits {
				t.Errorf("%s: the request reached the upstream", name)
			}
		}
	})

	t.Run("a token expired through the API is refused within cache.ttl", func(t *testing.T) {
		login := w.a.Must(t, http.StatusOK, testserver.Request{Method: "POST", Path: "/api/v1/token", AppToken: w.acme.AppToken,
			JSON: map[string]any{"username": "mem", "password": "mem-password"}})
		h := map[string]string{"App-Token": w.acme.AppToken, "Token": login.String("token")}
		if res, b := through(t, base, "GET", "/orders", h, nil); res.StatusCode != http.StatusOK {
			t.Fatalf("got %d %s", res.StatusCode, b) // now in instance B's cache
		}
		w.a.Must(t, http.StatusOK, testserver.Request{Method: "PATCH", Path: "/api/v1/tokens/" + login.String("id"),
			AppToken: w.acme.AppToken, Token: w.acme.OwnerToken, JSON: map[string]any{"seconds_until_expire": -1}})
		w.b.Clock.Advance(w.ttl) // B's cache entry has reached cache.ttl
		hits := w.echo.Hits()
		if res, b := through(t, base, "GET", "/orders", h, nil); res.StatusCode != http.StatusUnauthorized {
			t.Errorf("after cache.ttl: got %d %s, want 401", res.StatusCode, b)
		}
		if w.echo.Hits() != hits {
			t.Error("the expired token reached the upstream")
		}
	})

	t.Run("a rate-limited app token gets 429 with Retry-After", func(t *testing.T) {
		app := w.a.Must(t, http.StatusCreated, testserver.Request{Method: "POST", Path: "/api/v1/app_tokens", AppToken: w.acme.AppToken,
			Token: w.acme.OwnerToken, JSON: map[string]any{"rate_limit": map[string]any{"limit": 2, "seconds": 3600}}}).String("app_token")
		h := map[string]string{"App-Token": app, "Token": memTok}
		for i := range 2 {
			res, b := through(t, base, "GET", "/orders", h, nil)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("request %d: got %d %s, want 200", i+1, res.StatusCode, b)
			}
			if res.Header.Get("RateLimit-Policy") != `"default";q=2;w=3600` || res.Header.Get("RateLimit") == "" {
				t.Errorf("request %d: RateLimit fields %q %q", i+1, res.Header.Get("RateLimit-Policy"), res.Header.Get("RateLimit"))
			}
		}
		hits := w.echo.Hits()
		res, b := through(t, base, "GET", "/orders", h, nil)
		if res.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("beyond the limit: got %d %s, want 429", res.StatusCode, b)
		}
		if ra, err := strconv.Atoi(res.Header.Get("Retry-After")); err != nil || ra < 1 || ra > 3600 {
			t.Errorf("Retry-After %q, want 1 to 3600 seconds", res.Header.Get("Retry-After"))
		}
		if !strings.HasPrefix(res.Header.Get("RateLimit"), `"default";r=0;t=`) {
			t.Errorf("RateLimit %q", res.Header.Get("RateLimit"))
		}
		var e struct{ Errors map[string]string }
		if json.Unmarshal(b, &e) != nil || e.Errors["rate_limit"] == "" {
			t.Errorf("got body %s, want errors.rate_limit", b)
		}
		if w.echo.Hits() != hits {
			t.Error("a request beyond the limit reached the upstream")
		}
		// An unlimited app token passes with no RateLimit fields.
		if res, b := through(t, base, "GET", "/orders", creds, nil); res.StatusCode != http.StatusOK || res.Header.Get("RateLimit") != "" {
			t.Errorf("unlimited: got %d %q %s", res.StatusCode, res.Header.Get("RateLimit"), b)
		}
	})

	t.Run("a rate-limited app token gets 429 on a scope route", func(t *testing.T) {
		app := w.appToken(t, map[string]any{"scopes": []string{"reports:read"}, "rate_limit": map[string]any{"limit": 1, "seconds": 3600}})
		h := map[string]string{"App-Token": app, "Token": memTok}
		if res, b := through(t, base, "GET", "/reports/monthly", h, nil); res.StatusCode != http.StatusOK {
			t.Fatalf("first: got %d %s, want 200", res.StatusCode, b)
		}
		hits := w.echo.Hits()
		res, b := through(t, base, "GET", "/reports/monthly", h, nil)
		if res.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("beyond the limit: got %d %s, want 429", res.StatusCode, b)
		}
		if ra, err := strconv.Atoi(res.Header.Get("Retry-After")); err != nil || ra < 1 || ra > 3600 {
			t.Errorf("Retry-After %q, want 1 to 3600 seconds", res.Header.Get("Retry-After"))
		}
		var e struct{ Errors map[string]string }
		if json.Unmarshal(b, &e) != nil || e.Errors["rate_limit"] == "" {
			t.Errorf("got body %s, want errors.rate_limit", b)
		}
		if w.echo.Hits() != hits {
			t.Error("a request beyond the limit reached the upstream")
		}
	})

	t.Run("a misspelt scope fails closed", func(t *testing.T) {
		typo := g.start(t, toLatchkey.addr, w.upstream, g.misspeltScope...)
		hits := w.echo.Hits()
		res, b := through(t, typo, "GET", "/reports/monthly", creds, nil)
		var e struct{ Errors map[string]string }
		if res.StatusCode < 400 || json.Unmarshal(b, &e) != nil || len(e.Errors) == 0 || w.echo.Hits() != hits {
			t.Errorf("got %d %s, want a refusal in the errors shape that never reaches the upstream", res.StatusCode, b)
		}
		t.Logf("%s answers %d %s", g.name, res.StatusCode, b)
		if res, b := through(t, typo, "GET", "/orders", creds, nil); res.StatusCode != http.StatusOK {
			t.Errorf("the other routes: got %d %s, want 200", res.StatusCode, b)
		}
	})

	t.Run("nothing passes while Latchkey is unreachable", func(t *testing.T) {
		down := g.start(t, fmt.Sprintf("127.0.0.1:%d", freePort(t)), w.upstream)
		hits := w.echo.Hits()
		res, b := through(t, down, "GET", "/orders", creds, nil)
		if res.StatusCode != g.unavailable {
			t.Errorf("got %d %s, want %d", res.StatusCode, b, g.unavailable)
		}
		if w.echo.Hits() != hits {
			t.Error("the request reached the upstream")
		}
	})
}
