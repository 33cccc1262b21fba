package authn_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"go.uber.org/zap"

	"github.com/latchkey/latchkey/internal/access"
	"github.com/latchkey/latchkey/internal/authn"
	"github.com/latchkey/latchkey/internal/httpx"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/secret"
)

// testKeys tag the token strings these tests make and verify.
var testKeys = secret.NewRandomKeyring()

// memSource is a Source in memory: the benchmarks measure the middleware,
// not a store (admin's benchmarks add the store).
type memSource struct {
	app  map[string]access.AppCredential
	user map[string]access.UserCredential
}

func (m *memSource) AppCredential(_ context.Context, _ string, ref secret.Ref) (access.AppCredential, error) {
	return m.app[ref.Hash], nil
}

func (m *memSource) UserCredential(_ context.Context, _ string, ref secret.Ref) (access.UserCredential, error) {
	return m.user[ref.Hash], nil
}

type nopRecorder struct{}

func (nopRecorder) Used(string, string, ids.ID, time.Time) {}

// memFixture returns an in-memory source holding one valid App-Token and
// user token of one tenant, and a GET /x request carrying them.
func memFixture() (*memSource, *http.Request) {
	const tenant = "abcdefgh"
	appTok, userTok := testKeys.NewToken(secret.App, tenant, ids.New()), testKeys.NewToken(secret.User, tenant, ids.New())
	far := time.Now().Add(time.Hour)
	src := &memSource{
		app: map[string]access.AppCredential{secret.Hash(appTok): {TenantID: tenant, TenantActive: true,
			TokenID: ids.New(), Expires: far}},
		user: map[string]access.UserCredential{secret.Hash(userTok): {TokenID: ids.New(), Kind: "login",
			Expires: far, UserID: ids.New(), Username: "u", Role: access.Member, UserActive: true, ActorActive: true}},
	}
	req := httptest.NewRequest(http.MethodGet, "/x", nil)
	req.Header.Set(authn.AppTokenHeader, appTok)
	req.Header.Set(authn.TokenHeader, userTok)
	return src, req
}

// userRouter serves GET /x (204) behind a's User middleware.
func userRouter(a *authn.Authenticator) *gin.Engine {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.Use(httpx.Errors(zap.NewNop())) // as the router: the middleware's errors are answered there
	r.GET("/x", a.User(), func(c *gin.Context) { c.Status(http.StatusNoContent) })
	return r
}

// benchRouter serves GET /x behind the User middleware with a cache of ttl
// (0: every request is a miss) and returns a request carrying valid tokens.
func benchRouter(ttl time.Duration) (*gin.Engine, *http.Request) {
	src, req := memFixture()
	a := &authn.Authenticator{Keys: testKeys, Source: src, Cache: authn.NewCache(ttl, 1000, time.Now), Recorder: nopRecorder{}, Now: time.Now}
	return userRouter(a), req
}

func benchMiddleware(b *testing.B, ttl time.Duration) {
	r, req := benchRouter(ttl)
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		if w.Code != http.StatusNoContent {
			b.Fatalf("got %d: %s", w.Code, w.Body)
		}
	}
}

// BenchmarkMiddlewareHit verifies an App-Token and a user token that are
// both cached: parse, hash, two cache lookups, no store.
func BenchmarkMiddlewareHit(b *testing.B) { benchMiddleware(b, time.Hour) }

// BenchmarkMiddlewareMiss is the same with the cache disabled, against an
// in-memory source: the middleware's own cost of a miss.
func BenchmarkMiddlewareMiss(b *testing.B) { benchMiddleware(b, 0) }

// BenchmarkMiddlewareHitParallel runs cache hits from every core, which
// shows contention on the cache's lock.
func BenchmarkMiddlewareHitParallel(b *testing.B) {
	r, req := benchRouter(time.Hour)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			w := httptest.NewRecorder()
			r.ServeHTTP(w, req)
			if w.Code != http.StatusNoContent {
				b.Errorf("got %d", w.Code)
				return
			}
		}
	})
}

// BenchmarkMiddlewareForged refuses a user token whose checksum fails: no
// lookup at all.
func BenchmarkMiddlewareForged(b *testing.B) {
	r, req := benchRouter(time.Hour)
	forged := []byte(req.Header.Get(authn.TokenHeader))
	if forged[30] == 'a' {
		forged[30] = 'b'
	} else {
		forged[30] = 'a'
	}
	req.Header.Set(authn.TokenHeader, string(forged))
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		if w.Code != http.StatusUnauthorized {
			b.Fatalf("got %d", w.Code)
		}
	}
}

// BenchmarkMiddlewareHitFullCache is a hit in a cache holding 100,000
// credentials of 1,000 tenants: a hit is a map lookup, so its cost does not
// grow with what else the cache holds.
func BenchmarkMiddlewareHitFullCache(b *testing.B) {
	const tenants, perTenant = 1000, 100
	far := time.Now().Add(time.Hour)
	src := &memSource{app: map[string]access.AppCredential{}, user: map[string]access.UserCredential{}}
	var reqs []*http.Request
	for range tenants {
		tenant := secret.NewTenantID()
		appTok := testKeys.NewToken(secret.App, tenant, ids.New())
		src.app[secret.Hash(appTok)] = access.AppCredential{TenantID: tenant, TenantActive: true, TokenID: ids.New(), Expires: far}
		for range perTenant - 1 {
			userTok := testKeys.NewToken(secret.User, tenant, ids.New())
			src.user[secret.Hash(userTok)] = access.UserCredential{TokenID: ids.New(), Kind: "login", Expires: far,
				UserID: ids.New(), Role: access.Member, UserActive: true, ActorActive: true}
			req := httptest.NewRequest(http.MethodGet, "/x", nil)
			req.Header.Set(authn.AppTokenHeader, appTok)
			req.Header.Set(authn.TokenHeader, userTok)
			reqs = append(reqs, req)
		}
	}
	a := &authn.Authenticator{Keys: testKeys, Source: src, Cache: authn.NewCache(time.Hour, tenants*perTenant, time.Now), Recorder: nopRecorder{}, Now: time.Now}
	r := gin.New()
	r.Use(httpx.Errors(zap.NewNop())) // as the router: the middleware's errors are answered there
	r.GET("/x", a.User(), func(c *gin.Context) { c.Status(http.StatusNoContent) })
	for _, req := range reqs { // fill the cache
		r.ServeHTTP(httptest.NewRecorder(), req)
	}
	if n := a.Cache.Len(); n != tenants*perTenant {
		b.Fatalf("cache holds %d, want %d", n, tenants*perTenant)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		w := httptest.NewRecorder()
		r.ServeHTTP(w, reqs[i%len(reqs)])
		if w.Code != http.StatusNoContent {
			b.Fatalf("got %d", w.Code)
		}
		i += 7919 // a prime stride: a different tenant and token every time
	}
}
