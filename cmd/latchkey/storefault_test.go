package main

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/latchkey/latchkey/configs"
	"github.com/latchkey/latchkey/store/mongo/mongotest"
)

// freeAddr returns a loopback address with a port that was free a moment
// ago, so a store can be stopped and started again on the same address.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestStoreOutage checks store faults end to end: a serve
// instance whose MongoDB (a FerretDB run apart) goes away
// keeps running and answers 503 {"errors":{"store":…}} promptly, /readyz
// says 503, and when the store comes back on the same address and data the
// instance recovers by itself, with its tokens still valid.
func TestStoreOutage(t *testing.T) {
	dir, addr := t.TempDir(), freeAddr(t)
	quiet := slog.New(slog.DiscardHandler)
	store, err := mongotest.StartFerretDB(dir, addr, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { store.Close() }()

	cfg := configs.Default()
	cfg.Store.MongoDBURI = store.URI()
	cfg.Store.Timeout = time.Second
	cfg.Server.Addr = "127.0.0.1:0"
	cfg.Cache.TTL = 0 // every request goes to the store
	m, app := startMain(t, cfg)
	base := m.URL()
	tok := login(t, base, app, "admin", "owner-password")
	users := apiCall{method: "GET", path: "/api/v1/users", appToken: app, token: tok}
	mustCall(t, base, http.StatusOK, users)

	store.Close()
	// The client's timeout only keeps a hanging request from hanging the
	// test; the store timeout (1s) is what answers.
	client := &http.Client{Timeout: 20 * time.Second}
	for name, c := range map[string]apiCall{
		"authenticated list": users,
		"login":              {method: "POST", path: "/api/v1/token", appToken: app, json: map[string]any{"username": "admin", "password": "owner-password"}},
	} {
		start := time.Now()
		status, body := callWith(t, client, base, c)
		t.Logf("%s with the store down: %d in %v", name, status, time.Since(start).Round(time.Millisecond))
		errors, _ := body["errors"].(map[string]any)
		if status != http.StatusServiceUnavailable || errors["store"] == nil {
			t.Errorf("%s with the store down: got %d %v, want 503 with errors.store", name, status, body)
		}
	}
	if status, _ := callWith(t, client, base, apiCall{method: "GET", path: "/readyz"}); status != http.StatusServiceUnavailable {
		t.Errorf("/readyz with the store down: got %d, want 503", status)
	}
	if status, _ := callWith(t, client, base, apiCall{method: "GET", path: "/healthz"}); status != http.StatusOK {
		t.Errorf("/healthz with the store down: got %d, want 200 (the process keeps running)", status)
	}

	store, err = mongotest.StartFerretDB(dir, addr, quiet)
	if err != nil {
		t.Fatalf("restart the store on %s: %v", addr, err)
	}
	restarted := time.Now()
	deadline := restarted.Add(60 * time.Second)
	for {
		status, _ := callWith(t, client, base, apiCall{method: "GET", path: "/readyz"})
		if status == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz still %d 60s after the store came back", status)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("ready again %v after the store came back", time.Since(restarted).Round(time.Millisecond))
	mustCall(t, base, http.StatusOK, users) // the same token: the data survived
	login(t, base, app, "admin", "owner-password")
}

// callWith sends c with client (and so its timeout) and returns the status
// and the decoded JSON body.
func callWith(t *testing.T, client *http.Client, base string, c apiCall) (int, map[string]any) {
	t.Helper()
	var body io.Reader
	if c.json != nil {
		b, _ := json.Marshal(c.json)
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequest(c.method, base+c.path, body)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.appToken != "" {
		req.Header.Set("App-Token", c.appToken)
	}
	if c.token != "" {
		req.Header.Set("Token", c.token)
	}
	res, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", c.method, c.path, err)
	}
	defer res.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out
}
