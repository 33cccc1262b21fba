package admin_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/latchkey/latchkey/internal/access"
	"github.com/latchkey/latchkey/internal/authn"
	"github.com/latchkey/latchkey/internal/secret"
	"github.com/latchkey/latchkey/internal/testserver"
	"github.com/latchkey/latchkey/internal/tracing"
	"github.com/latchkey/latchkey/users"
)

// Benchmarks of whole requests through Gin (in process, no network), of a
// verification that misses the cache and goes to the embedded store, and of
// a login with the default argon2id parameters. docs/PERFORMANCE.md quotes
// them; cmd/loadgen measures the same over HTTP.

// serve runs one request through the App's handler and fails unless it
// answers want.
func serve(b *testing.B, h http.Handler, req *http.Request, want int) {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != want {
		b.Fatalf("%s %s: got %d, want %d: %s", req.Method, req.URL.Path, w.Code, want, w.Body)
	}
}

// BenchmarkRequestHealthz is the bare route: request id, access log,
// metrics and routing, nothing else.
func BenchmarkRequestHealthz(b *testing.B) {
	s := testserver.Start(b)
	req := httptest.NewRequest(http.MethodGet, "/healthz", nil)
	b.ReportAllocs()
	for b.Loop() {
		serve(b, s.App.Handler, req, http.StatusOK)
	}
}

// BenchmarkRequestGetToken is an authenticated GET /api/v1/token with a
// warm cache (the clock does not move, so entries never age out), served
// by the lean path in front of Gin.
func BenchmarkRequestGetToken(b *testing.B) {
	benchAuthenticated(b, "/api/v1/token", tracing.Options{}, false)
}

// BenchmarkRequestGetTokenGin is BenchmarkRequestGetToken through Gin
// alone (App.Gin): the path before the lean one.
func BenchmarkRequestGetTokenGin(b *testing.B) {
	benchAuthenticated(b, "/api/v1/token", tracing.Options{}, true)
}

// BenchmarkRequestVerify is GET /api/v1/verify with a warm cache: what a
// gateway asks for every request it lets through, served by the lean path.
func BenchmarkRequestVerify(b *testing.B) {
	benchAuthenticated(b, "/api/v1/verify", tracing.Options{}, false)
}

// BenchmarkRequestVerifyGin is BenchmarkRequestVerify through Gin alone.
func BenchmarkRequestVerifyGin(b *testing.B) {
	benchAuthenticated(b, "/api/v1/verify", tracing.Options{}, true)
}

// BenchmarkRequestGetTokenTraced is BenchmarkRequestGetToken with tracing
// on and every request sampled: a server span per request, handed to an
// exporter that discards it (what the OTLP batcher's queue costs aside).
func BenchmarkRequestGetTokenTraced(b *testing.B) {
	benchAuthenticated(b, "/api/v1/token", tracing.Options{Exporter: tracetest.NewNoopExporter(), SampleRatio: 1}, false)
}

// benchAuthenticated serves GET path with the platform owner's tokens,
// cached, through the App's handler or, with viaGin, through Gin alone.
func benchAuthenticated(b *testing.B, path string, tr tracing.Options, viaGin bool) {
	s := testserver.StartWith(b, testserver.Options{CacheTTL: time.Hour, Tracing: tr})
	h := s.App.Handler
	if viaGin {
		h = s.App.Gin
	}
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header.Set(authn.AppTokenHeader, s.AppToken)
	req.Header.Set(authn.TokenHeader, s.OwnerToken(b))
	serve(b, h, req, http.StatusOK) // warm the cache
	b.ReportAllocs()
	for b.Loop() {
		serve(b, h, req, http.StatusOK)
	}
}

// BenchmarkVerifyMiss resolves an App-Token and a user token from the
// embedded store, as the middleware does on a cache miss: the tenant, the
// app token, the user token and its user.
func BenchmarkVerifyMiss(b *testing.B) {
	s := testserver.Start(b)
	tok := s.OwnerToken(b)
	src := s.App.Auth.Source
	appTok, _ := s.Keys.Parse(s.AppToken)
	userTok, _ := s.Keys.Parse(tok)
	appRef, userRef := secret.RefOf(appTok, s.AppToken), secret.RefOf(userTok, tok)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := src.AppCredential(ctx, s.TenantID, appRef); err != nil {
			b.Fatal(err)
		}
		if _, err := src.UserCredential(ctx, s.TenantID, userRef); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoginDefaultArgon2 is POST /api/v1/token for a user whose
// password hash has the default parameters (19 MiB, t=2, p=1): the
// password check, the lockout claim, the token insert and the audit record.
func BenchmarkLoginDefaultArgon2(b *testing.B) {
	s := testserver.Start(b)
	s.App.Users.Hasher = secret.DefaultArgon2
	if _, err := s.App.Users.Create(context.Background(), s.TenantID,
		users.New{Username: "bench", Password: "bench-password", Email: "bench@example.test", Role: access.Member}, nil); err != nil {
		b.Fatal(err)
	}
	body := url.Values{"username": {"bench"}, "password": {"bench-password"}}.Encode()
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/api/v1/token", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set(authn.AppTokenHeader, s.AppToken)
		serve(b, s.App.Handler, req, http.StatusOK)
	}
}
