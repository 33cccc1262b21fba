package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"slices"
	"testing"

	"go.uber.org/zap"

	"github.com/latchkey/latchkey/configs"
)

// TestLeaksAndTracingConfigured: the leaks and tracing sections reach the
// App that Open wires.
func TestLeaksAndTracingConfigured(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	cfg := configs.Default()
	cfg.Store.DataDir = t.TempDir()
	cfg.Leaks.PublicKeys = []string{"github-1:" + string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))}
	cfg.Tracing.OTLPEndpoint = "http://127.0.0.1:4318" // nothing listens: spans are dropped, requests are not held up
	m := NewMain(cfg, zap.NewNop())
	t.Cleanup(func() { _ = m.Close() })
	if err := m.Open(context.Background()); err != nil {
		t.Fatalf("Open: %v", err)
	}
	if got := m.App.Leaks.Keys().IDs(); !slices.Equal(got, []string{"github-1"}) {
		t.Errorf("leak keys: got %v, want [github-1]", got)
	}
	if !m.App.Tracing.Enabled() {
		t.Errorf("tracing.otlp_endpoint is set, but tracing is off")
	}
}
