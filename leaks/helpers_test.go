package leaks_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/testserver"
	"github.com/latchkey/latchkey/leaks"
)

// scanner is a secret scanner made in the test: a key pair and the
// identifier the server knows its public key by.
type scanner struct {
	id  string
	key *ecdsa.PrivateKey
}

func newScanner(t *testing.T, id string) *scanner {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return &scanner{id: id, key: key}
}

// pem returns the scanner's public key as PEM.
func (sc *scanner) pem(t *testing.T) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(&sc.key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// entry is the config entry of the scanner's public key.
func (sc *scanner) entry(t *testing.T) string { return sc.id + ":" + sc.pem(t) }

// sign returns the signature GitHub would send with body.
func (sc *scanner) sign(t *testing.T, body []byte) string {
	t.Helper()
	sum := sha256.Sum256(body)
	sig, err := ecdsa.SignASN1(rand.Reader, sc.key, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(sig)
}

// trust configures the server to accept the scanners' signatures.
func trust(t *testing.T, s *testserver.Server, scanners ...*scanner) {
	t.Helper()
	var entries []string
	for _, sc := range scanners {
		entries = append(entries, sc.entry(t))
	}
	keys, err := leaks.ParseKeys(entries)
	if err != nil {
		t.Fatalf("ParseKeys: %v", err)
	}
	s.App.Leaks.SetKeys(keys)
}

// report builds a report body of tokens, as GitHub would send it.
func report(t *testing.T, tokens ...string) []byte {
	t.Helper()
	var list []leaks.Entry
	for _, tok := range tokens {
		list = append(list, leaks.Entry{Token: tok, Type: "latchkey_token", URL: "https://github.com/octo/repo/blob/abc/config.env",
			Source: "content"})
	}
	b, err := json.Marshal(list)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// post sends body to POST /api/v1/leaks with headers and returns the answer.
func post(t *testing.T, s *testserver.Server, body []byte, headers map[string]string) *testserver.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.URL+"/api/v1/leaks", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out := &testserver.Response{Status: res.StatusCode, Header: res.Header}
	out.Body, _ = io.ReadAll(res.Body)
	if strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		_ = json.Unmarshal(out.Body, &out.JSON) // an object: the errors
	}
	return out
}

// signed sends body signed by sc.
func signed(t *testing.T, s *testserver.Server, sc *scanner, body []byte) *testserver.Response {
	t.Helper()
	return post(t, s, body, map[string]string{leaks.KeyIDHeader: sc.id, leaks.SignatureHeader: sc.sign(t, body)})
}

// labels decodes a 200 answer into the label of each entry.
func labels(t *testing.T, r *testserver.Response) []string {
	t.Helper()
	if r.Status != http.StatusOK {
		t.Fatalf("got status %d, want 200; body %s", r.Status, r.Body)
	}
	var results []leaks.Result
	if err := json.Unmarshal(r.Body, &results); err != nil {
		t.Fatalf("answer %s: %v", r.Body, err)
	}
	out := make([]string, len(results))
	for i, res := range results {
		out[i] = res.Label
	}
	return out
}

// session is a login's token and refresh token.
type session struct{ token, refresh string }

func login(t *testing.T, s *testserver.Server, appToken, username, password string) session {
	t.Helper()
	r := s.Must(t, http.StatusOK, testserver.Request{Method: "POST", Path: "/api/v1/token", AppToken: appToken,
		JSON: map[string]any{"username": username, "password": password}})
	return session{token: r.String("token"), refresh: r.String("refresh_token")}
}

// works reports whether the pair authenticates GET /api/v1/token.
func works(t *testing.T, s *testserver.Server, appToken, token string) bool {
	t.Helper()
	r := s.Do(t, testserver.Request{Method: "GET", Path: "/api/v1/token", AppToken: appToken, Token: token})
	if r.Status != http.StatusOK && r.Status != http.StatusUnauthorized {
		t.Fatalf("GET /token: got %d, want 200 or 401; body %s", r.Status, r.Body)
	}
	return r.Status == http.StatusOK
}

// refreshes reports whether refresh trades for a new session.
func refreshes(t *testing.T, s *testserver.Server, appToken, refresh string) bool {
	t.Helper()
	r := s.Do(t, testserver.Request{Method: "POST", Path: "/api/v1/token/refresh", AppToken: appToken,
		JSON: map[string]any{"refresh_token": refresh}})
	return r.Status == http.StatusOK
}
