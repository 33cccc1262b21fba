package leaks_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/errs"
	"github.com/latchkey/latchkey/leaks"
)

// TestParseKeys: keys come as PEM, as PEM on one line (an environment
// variable), or as base64 DER; anything that is not an ECDSA P-256 public
// key is refused with the entry named.
func TestParseKeys(t *testing.T) {
	a, b := newScanner(t, "a"), newScanner(t, "b")
	der, err := x509.MarshalPKIXPublicKey(&b.key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	oneLine := strings.ReplaceAll(a.pem(t), "\n", " ")
	keys, err := leaks.ParseKeys([]string{"a:" + oneLine, " b : " + base64.StdEncoding.EncodeToString(der), a.entry(t)})
	if err != nil {
		t.Fatalf("ParseKeys: %v", err)
	}
	if got := keys.IDs(); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("IDs: got %v, want [a b]", got)
	}
	body := []byte(`[]`)
	if err := keys.Verify("b", b.sign(t, body), body); err != nil {
		t.Errorf("Verify with the base64 DER key: %v", err)
	}

	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der384, _ := x509.MarshalPKIXPublicKey(&p384.PublicKey)
	bad := []struct {
		name, entry, want string
	}{
		{"no identifier", a.pem(t), "entry 1: must be <key identifier>:<public key>"},
		{"bad identifier", "a b:" + a.pem(t), "entry 1: the key identifier must be"},
		{"not base64", "a:not a key", "entry 1: key a: not a PEM public key"},
		{"P-384", "a:" + base64.StdEncoding.EncodeToString(der384), "entry 1: key a: not an ECDSA P-256 public key"},
		{"PEM without END", "a:-----BEGIN PUBLIC KEY-----\nMFkw", "entry 1: key a: the PEM block has no END line"},
	}
	for _, tc := range bad {
		if _, err := leaks.ParseKeys([]string{tc.entry}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
	if _, err := leaks.ParseKeys([]string{a.entry(t), "a:" + b.pem(t)}); err == nil || !strings.Contains(err.Error(), "entry 2: key a: the identifier is given twice") {
		t.Errorf("one identifier, two keys: got %v", err)
	}
}

// TestReadFile reads keys in the shape GitHub publishes them in.
func TestReadFile(t *testing.T) {
	a, b := newScanner(t, "90a421169f0a406205f1563a953312f0be898d3c7b6c06b681aa86a874555f4a"), newScanner(t, "bcb53661c06b4728e59d897fb6165d5c9cda0fd9cdf9d09ead458168deb7518c")
	doc := map[string]any{"public_keys": []map[string]any{
		{"key_identifier": a.id, "key": a.pem(t), "is_current": false},
		{"key_identifier": b.id, "key": b.pem(t), "is_current": true},
	}}
	data, _ := json.Marshal(doc)
	path := filepath.Join(t.TempDir(), "keys.json")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	keys, err := leaks.ParseKeys(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := keys.ReadFile(path); err != nil {
		t.Fatalf("ReadFile: %v", err)
	}
	body := []byte(`[{"token":"x"}]`)
	for _, sc := range []*scanner{a, b} {
		if err := keys.Verify(sc.id, sc.sign(t, body), body); err != nil {
			t.Errorf("key %s…: %v", sc.id[:8], err)
		}
	}
	if err := keys.Verify(a.id, b.sign(t, body), body); !errs.Is(err, errs.Unauthorized) {
		t.Errorf("b's signature under a's identifier: got %v, want Unauthorized", err)
	}
	if err := os.WriteFile(path, []byte(`{"public_keys": [{"key_identifier": "x", "key": "nope"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := keys.ReadFile(path); err == nil || !strings.Contains(err.Error(), "public_keys[0]: key x:") {
		t.Errorf("bad key in file: got %v", err)
	}
	if err := keys.ReadFile(filepath.Join(t.TempDir(), "missing.json")); err == nil {
		t.Errorf("missing file: got nil error")
	}
}
