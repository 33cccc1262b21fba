package main

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/configs"
)

// faultServer is a serve on SQLite files with the platform tenant and a
// second one, acme, whose file the tests break and mend.
type faultServer struct {
	base     string
	platform apiCall // lists the platform's app tokens
	acme     apiCall // lists acme's app tokens
	acmeID   string
	acmePath string // acme's file
	client   *http.Client
}

// startFaultServer runs a Main with one open tenant file at a time (so a
// request of one tenant closes the other's file, and the next one of that
// tenant opens it again) and no verification cache (every request reads
// its tenant's file).
func startFaultServer(t *testing.T) *faultServer {
	t.Helper()
	cfg := configs.Default()
	cfg.Store.DataDir = t.TempDir()
	cfg.Store.MaxOpenTenants = 1
	cfg.Store.Timeout = 10 * time.Second
	cfg.Server.Addr = "127.0.0.1:0"
	cfg.Cache.TTL = 0
	m, app := startMain(t, cfg)
	base := m.URL()
	owner := login(t, base, app, "admin", "owner-password")
	created := mustCall(t, base, 201, apiCall{method: "POST", path: "/api/v1/tenants", appToken: app, token: owner,
		json: map[string]any{"slug": "acme", "name": "Acme", "admin": map[string]any{"username": "boss", "password": "boss-password", "email": "b@example.test"}}})
	acmeApp := created["app_token"].(string)
	acmeID := created["tenant"].(map[string]any)["id"].(string)
	s := &faultServer{base: base, acmeID: acmeID,
		acmePath: filepath.Join(cfg.Store.DataDir, "tenants", acmeID+".db"),
		platform: apiCall{method: "GET", path: "/api/v1/app_tokens", appToken: app, token: owner},
		acme:     apiCall{method: "GET", path: "/api/v1/app_tokens", appToken: acmeApp, token: login(t, base, acmeApp, "boss", "boss-password")},
		client:   &http.Client{Timeout: 30 * time.Second},
	}
	s.must(t, http.StatusOK, s.acme)
	return s
}

// create is a write in acme: a new app token named name.
func (s *faultServer) create(name string) apiCall {
	c := s.acme
	c.method, c.json = "POST", map[string]any{"name": name}
	return c
}

// do sends c and returns the status and the decoded body; the answer must
// not be a 500 and, when it is a 503, must carry Retry-After.
func (s *faultServer) do(t *testing.T, c apiCall) (int, map[string]any) {
	t.Helper()
	var body io.Reader
	if c.json != nil {
		b, _ := json.Marshal(c.json)
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequest(c.method, s.base+c.path, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("App-Token", c.appToken)
	req.Header.Set("Token", c.token)
	res, err := s.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", c.method, c.path, err)
	}
	defer res.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(res.Body).Decode(&out)
	switch {
	case res.StatusCode == http.StatusInternalServerError:
		t.Errorf("%s %s: got 500 %v", c.method, c.path, out)
	case res.StatusCode == http.StatusServiceUnavailable && res.Header.Get("Retry-After") == "":
		t.Errorf("%s %s: 503 without Retry-After", c.method, c.path)
	}
	return res.StatusCode, out
}

func (s *faultServer) must(t *testing.T, want int, c apiCall) {
	t.Helper()
	if status, body := s.do(t, c); status != want {
		t.Fatalf("%s %s: got %d %v, want %d", c.method, c.path, status, body, want)
	}
}

// closeAcme makes the server close acme's file: with one open file at a
// time, a request of the platform tenant closes it, and SQLite, closing
// its last connection, folds the -wal file into the file and removes it.
func (s *faultServer) closeAcme(t *testing.T) {
	t.Helper()
	s.must(t, http.StatusOK, s.platform)
	if _, err := os.Stat(s.acmePath + "-wal"); err == nil {
		t.Fatal("acme's file is still open after a request of the platform tenant")
	}
}

// expectFault checks the server while acme's file is at fault: acme's
// requests answer 503 with Retry-After (never 500), at once while the
// fault is known, /readyz answers 503 naming acme and the fault, and the
// platform tenant is served.
func (s *faultServer) expectFault(t *testing.T, fault string, first apiCall) {
	t.Helper()
	if status, body := s.do(t, first); status != http.StatusServiceUnavailable {
		t.Fatalf("first request after the fault (%s %s): got %d %v, want 503", first.method, first.path, status, body)
	}
	for i, c := range []apiCall{s.acme, s.create("during-the-fault"), s.acme} {
		start := time.Now()
		status, body := s.do(t, c)
		if took := time.Since(start); status != http.StatusServiceUnavailable || took > 5*time.Second {
			t.Errorf("acme request %d while its file is at fault: got %d %v in %v, want 503 at once", i, status, body, took)
		}
	}
	status, body := callWith(t, s.client, s.base, apiCall{method: "GET", path: "/readyz"})
	errs, _ := body["errors"].(map[string]any)
	named, _ := errs["tenants"].(string)
	if status != http.StatusServiceUnavailable || !strings.Contains(named, s.acmeID+" ("+fault+")") {
		t.Errorf("/readyz: got %d %v, want 503 naming %s (%s)", status, body, s.acmeID, fault)
	}
	s.must(t, http.StatusOK, s.platform)
}

// expectRecovery waits for acme to be served again once its file is mended,
// and for /readyz to answer 200, without a restart.
func (s *faultServer) expectRecovery(t *testing.T) {
	t.Helper()
	mended := time.Now()
	for deadline := mended.Add(60 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		status, _ := s.do(t, s.acme)
		ready, _ := callWith(t, s.client, s.base, apiCall{method: "GET", path: "/readyz"})
		if status == http.StatusOK && ready == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("60 s after the file was mended: acme %d, /readyz %d; want 200 and 200", status, ready)
		}
	}
	t.Logf("served again %v after the file was mended", time.Since(mended).Round(time.Millisecond))
	s.must(t, http.StatusCreated, s.create("after-the-fault"))
}

// Store faults on SQLite: a tenant file that is read-only,
// truncated, overwritten or deleted while the server runs makes that
// tenant's requests answer 503 with Retry-After (they answered 500, and a
// deleted file took writes that were then lost), /readyz names the tenant,
// the other tenants are served, and the tenant is served again once its
// file is mended.
func TestTenantFileFaults(t *testing.T) {
	t.Run("read-only", func(t *testing.T) {
		s := startFaultServer(t)
		s.closeAcme(t) // the fault is met when the file is opened again
		makeReadOnly(t, s.acmePath)
		s.expectFault(t, "read-only", s.create("refused"))
		restoreWritable(t, s.acmePath)
		s.expectRecovery(t)
	})
	for name, damage := range map[string]struct {
		fault string
		write func(saved []byte) []byte
	}{
		"truncated": {"corrupt", func(saved []byte) []byte { return saved[:4096] }},
		"overwritten": {"not a database", func(saved []byte) []byte {
			garbage := make([]byte, len(saved))
			_, _ = rand.Read(garbage)
			return garbage
		}},
	} {
		t.Run(name, func(t *testing.T) {
			s := startFaultServer(t)
			s.closeAcme(t)
			saved, err := os.ReadFile(s.acmePath)
			if err != nil {
				t.Fatal(err)
			}
			if len(saved) <= 4096 {
				t.Fatalf("acme's file has %d bytes: too small to truncate to its first page", len(saved))
			}
			if err := os.WriteFile(s.acmePath, damage.write(saved), 0o600); err != nil {
				t.Fatal(err)
			}
			s.expectFault(t, damage.fault, s.acme)
			if err := os.WriteFile(s.acmePath, saved, 0o600); err != nil {
				t.Fatal(err)
			}
			s.expectRecovery(t)
		})
	}
	t.Run("deleted", func(t *testing.T) {
		s := startFaultServer(t)
		// acme's file is open; it is removed from under the server, kept
		// under another name to put it back later.
		kept := s.acmePath + ".kept"
		if err := os.Link(s.acmePath, kept); err != nil {
			t.Fatal(err)
		}
		if err := os.Remove(s.acmePath); err != nil {
			t.Fatal(err)
		}
		var accepted []string
		for i := range 3 {
			name := fmt.Sprintf("after-delete-%d", i)
			if status, _ := s.do(t, s.create(name)); status == http.StatusCreated {
				accepted = append(accepted, name)
				t.Errorf("write %d to the deleted file: got 201, want 503", i)
			}
		}
		s.expectFault(t, "missing", s.acme)
		if _, err := os.Stat(s.acmePath); err == nil {
			t.Error("the server made acme's file again")
		}
		if err := os.Rename(kept, s.acmePath); err != nil {
			t.Fatal(err)
		}
		s.expectRecovery(t)
		_, list := s.do(t, s.acme)
		for _, name := range accepted {
			if !strings.Contains(fmt.Sprint(list), name) {
				t.Errorf("app token %s was accepted (201) and then lost", name)
			}
		}
	})
}
