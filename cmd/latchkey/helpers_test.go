package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/latchkey/latchkey/configs"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
)

// storeEnv returns an environment that keeps a test's store in dir and
// lets every listener pick a free port.
func storeEnv(dir string, extra ...string) []string {
	return append([]string{
		"LATCHKEY_STORE_DATA_DIR=" + dir,
		"LATCHKEY_SERVER_ADDR=127.0.0.1:0",
		"LATCHKEY_LOG_LEVEL=warn",
	}, extra...)
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader in two
// goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// apiCall is one request to a running server.
type apiCall struct {
	method, path    string
	appToken, token string
	json            any
	form            url.Values
}

// call sends c to base and returns the status and the decoded JSON body.
func call(t *testing.T, base string, c apiCall) (int, map[string]any) {
	t.Helper()
	var body io.Reader
	ct := ""
	switch {
	case c.form != nil:
		body, ct = strings.NewReader(c.form.Encode()), "application/x-www-form-urlencoded"
	case c.json != nil:
		b, _ := json.Marshal(c.json)
		body, ct = bytes.NewReader(b), "application/json"
	}
	req, err := http.NewRequest(c.method, base+c.path, body)
	if err != nil {
		t.Fatal(err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if c.appToken != "" {
		req.Header.Set("App-Token", c.appToken)
	}
	if c.token != "" {
		req.Header.Set("Token", c.token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", c.method, c.path, err)
	}
	defer res.Body.Close()
	var out map[string]any
	raw, _ := io.ReadAll(res.Body)
	_ = json.Unmarshal(raw, &out)
	return res.StatusCode, out
}

// mustCall is call that ends the test unless the status is want.
func mustCall(t *testing.T, base string, want int, c apiCall) map[string]any {
	t.Helper()
	status, out := call(t, base, c)
	if status != want {
		t.Fatalf("%s %s: got status %d, want %d; body %v", c.method, c.path, status, want, out)
	}
	return out
}

// login logs username in and returns the user token.
func login(t *testing.T, base, appToken, username, password string) string {
	t.Helper()
	out := mustCall(t, base, 200, apiCall{method: "POST", path: "/api/v1/token", appToken: appToken,
		json: map[string]any{"username": username, "password": password}})
	tok, _ := out["token"].(string)
	return tok
}

// startMain opens and runs a Main on cfg, initialises its store with the
// owner password "owner-password", and returns it with the platform's
// first app token; it is closed when the test ends.
func startMain(t *testing.T, cfg configs.Config) (*Main, string) {
	t.Helper()
	m := NewMain(cfg, zaptest.NewLogger(t, zaptest.Level(zap.ErrorLevel)))
	t.Cleanup(func() { _ = m.Close() })
	if err := m.Open(context.Background()); err != nil {
		t.Fatalf("Open: %v", err)
	}
	if err := m.Run(context.Background()); err != nil {
		t.Fatalf("Run: %v", err)
	}
	boot, err := m.App.Initialize(context.Background(), "owner-password")
	if err != nil {
		t.Fatalf("Initialize: %v", err)
	}
	return m, boot.AppToken
}
