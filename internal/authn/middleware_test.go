package authn_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"go.uber.org/zap"

	"github.com/latchkey/latchkey/internal/access"
	"github.com/latchkey/latchkey/internal/authn"
	"github.com/latchkey/latchkey/internal/errs"
	"github.com/latchkey/latchkey/internal/httpx"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/secret"
)

// countingSource is a Source in memory that counts its reads: a read here
// is a store read in production.
type countingSource struct {
	mu    sync.Mutex
	reads int
	app   map[string]access.AppCredential
	user  map[string]access.UserCredential
}

func (s *countingSource) AppCredential(_ context.Context, _ string, ref secret.Ref) (access.AppCredential, error) {
	return read(s, s.app, ref)
}

func (s *countingSource) UserCredential(_ context.Context, _ string, ref secret.Ref) (access.UserCredential, error) {
	return read(s, s.user, ref)
}

// read counts one read and looks ref's hash up in m.
func read[T any](s *countingSource, m map[string]T, ref secret.Ref) (T, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reads++
	c, ok := m[ref.Hash]
	if !ok {
		return c, errs.E(errs.NotFound, "token", "No such token.")
	}
	return c, nil
}

func (s *countingSource) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reads
}

type fixture struct {
	keys      *secret.Keyring
	src       *countingSource
	now       time.Time
	router    *gin.Engine
	app, user string
}

const tenantID = "abcdefgh"

// newFixture serves GET /me behind User with a cache of ttl, a clock the
// test moves, one app token and one user token expiring in a minute.
func newFixture(t *testing.T, ttl time.Duration) *fixture {
	t.Helper()
	keys, err := secret.NewKeyring(1, map[secret.KeyID][]byte{1: secret.NewKey()})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{keys: keys, now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	f.app, f.user = keys.NewToken(secret.App, tenantID, ids.New()), keys.NewToken(secret.User, tenantID, ids.New())
	f.src = &countingSource{
		app: map[string]access.AppCredential{secret.Hash(f.app): {TenantID: tenantID, TenantActive: true,
			TokenID: ids.New(), Expires: f.now.Add(time.Hour)}},
		user: map[string]access.UserCredential{secret.Hash(f.user): {TokenID: ids.New(), Kind: "login",
			Expires: f.now.Add(time.Minute), UserID: ids.New(), Username: "u", Role: access.Member,
			UserActive: true, ActorActive: true}},
	}
	clock := func() time.Time { return f.now }
	a := &authn.Authenticator{Keys: keys, Source: f.src, Cache: authn.NewCache(ttl, 100, clock), Now: clock}
	gin.SetMode(gin.ReleaseMode)
	f.router = gin.New()
	f.router.Use(httpx.Errors(zap.NewNop()))
	f.router.GET("/me", a.User(), func(c *gin.Context) { c.Status(http.StatusNoContent) })
	f.router.GET("/app", a.App(), func(c *gin.Context) { c.Status(http.StatusNoContent) })
	return f
}

func (f *fixture) get(path string, header http.Header) (int, map[string]string) {
	req := httptest.NewRequest("GET", path, nil)
	req.Header = header
	w := httptest.NewRecorder()
	f.router.ServeHTTP(w, req)
	var env struct {
		Errors map[string]string `json:"errors"`
	}
	_ = json.Unmarshal(w.Body.Bytes(), &env)
	return w.Code, env.Errors
}

func headers(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}

// Expiry is checked on every request, also when both tokens come from the
// cache: a cached token stops at its own expiry, not at the cache's TTL.
func TestExpiryCheckedOnCacheHits(t *testing.T) {
	f := newFixture(t, time.Hour)
	h := headers("App-Token", f.app, "Token", f.user)
	if code, errs := f.get("/me", h); code != 204 {
		t.Fatalf("got %d %v, want 204", code, errs)
	}
	reads := f.src.count()
	f.now = f.now.Add(59 * time.Second)
	if code, _ := f.get("/me", h); code != 204 || f.src.count() != reads {
		t.Fatalf("got %d after %d reads, want 204 from the cache (%d reads)", code, f.src.count(), reads)
	}
	f.now = f.now.Add(time.Second) // now == expires: expired
	if code, errs := f.get("/me", h); code != 401 || errs["Token"] == "" {
		t.Errorf("an expired, cached user token: got %d %v, want 401 on Token", code, errs)
	}
	if f.src.count() != reads {
		t.Errorf("got %d reads, want %d: the expired token should have come from the cache", f.src.count(), reads)
	}
	f.now = f.now.Add(time.Hour)
	if code, errs := f.get("/app", h); code != 401 || errs["App-Token"] == "" {
		t.Errorf("an expired, cached app token: got %d %v, want 401 on App-Token", code, errs)
	}
}

// A token string the keys did not make costs no read, whatever its shape:
// even with a valid public checksum (made here under another key, which is
// what a forger who knows the format can do).
func TestForgedTokensCostNoRead(t *testing.T) {
	f := newFixture(t, 0)
	other, _ := secret.NewKeyring(1, map[secret.KeyID][]byte{1: secret.NewKey()})
	forgedApp := other.NewToken(secret.App, tenantID, ids.New())
	forgedUser := other.NewToken(secret.User, tenantID, ids.New())
	for name, h := range map[string]http.Header{
		"forged app token":  headers("App-Token", forgedApp, "Token", f.user),
		"forged user token": headers("App-Token", f.app, "Token", forgedUser),
	} {
		before := f.src.count()
		code, errs := f.get("/me", h)
		if code != 401 {
			t.Errorf("%s: got %d %v, want 401", name, code, errs)
		}
		reads := f.src.count() - before
		if name == "forged app token" && reads != 0 || name == "forged user token" && reads != 1 {
			t.Errorf("%s: got %d reads, want only the real app token's", name, reads)
		}
	}
}

// Two different credentials for one slot are 400 before anything is read.
func TestTwoCredentialsForOneSlot(t *testing.T) {
	f := newFixture(t, 0)
	other := f.keys.NewToken(secret.User, tenantID, ids.New())
	otherApp := f.keys.NewToken(secret.App, tenantID, ids.New())
	cases := map[string]struct {
		h     http.Header
		field string
	}{
		"two Token headers":           {headers("App-Token", f.app, "Token", f.user, "Token", other), "Token"},
		"Token and Authorization":     {headers("App-Token", f.app, "Token", f.user, "Authorization", "Bearer "+other), "Token"},
		"two Authorization headers":   {headers("App-Token", f.app, "Authorization", "Token "+f.user, "Authorization", "Bearer "+other), "Token"},
		"two App-Token headers":       {headers("App-Token", f.app, "App-Token", otherApp, "Token", f.user), "App-Token"},
		"two App-Tokens, no Token":    {headers("App-Token", f.app, "App-Token", otherApp), "App-Token"},
		"two Tokens and no App-Token": {headers("Token", f.user, "Token", other), "Token"},
	}
	for name, tc := range cases {
		before := f.src.count()
		code, errs := f.get("/me", tc.h)
		if code != 400 || errs[tc.field] == "" || len(errs) != 1 {
			t.Errorf("%s: got %d %v, want 400 on %s", name, code, errs, tc.field)
		}
		if f.src.count() != before {
			t.Errorf("%s: the store was read", name)
		}
	}
	// The same token in both is one credential.
	if code, errs := f.get("/me", headers("App-Token", f.app, "Token", f.user, "Authorization", "Bearer "+f.user)); code != 204 {
		t.Errorf("the same token twice: got %d %v, want 204", code, errs)
	}
	if code, errs := f.get("/app", headers("App-Token", f.app, "App-Token", otherApp)); code != 400 || errs["App-Token"] == "" {
		t.Errorf("App middleware, two App-Tokens: got %d %v, want 400", code, errs)
	}
}
