// Package testserver runs a whole Latchkey for tests: a store of its own on
// the engine the run tests (SQLite files in a temporary directory by
// default; LATCHKEY_TEST_STORE=mongodb runs the MongoDB engine over the test
// binary's FerretDB, or over LATCHKEY_TEST_MONGODB_URI when it is set), the
// real router on 127.0.0.1, a clock tests can move, and helpers for making
// requests.
package testserver

import (
	"cmp"
	"context"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/latchkey/latchkey/store"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/latchkey/latchkey/admin"
	"github.com/latchkey/latchkey/internal/secret"
	"github.com/latchkey/latchkey/internal/tracing"
	"github.com/latchkey/latchkey/store/mongo/mongotest"
	"github.com/latchkey/latchkey/store/sqlite"
)

// Server is a running Latchkey with an initialised platform tenant.
type Server struct {
	URL      string
	AppToken string // the platform tenant's first app token
	Username string // the platform owner
	Password string
	TenantID string // the platform tenant
	App      *admin.App
	Store    store.Store
	Clock    *Clock
	// Keys are the server's token tag keys, for tests that make token
	// strings of their own (made-up ones the server must refuse).
	Keys *secret.Keyring
}

// Options change how Start builds the server.
type Options struct {
	// CacheTTL of the verification cache; 0 (the default here) disables it.
	CacheTTL time.Duration
	// Store to use instead of a new one (a second instance on one store).
	Store store.Store
	// Logger; default: the test's log at warn level.
	Logger *zap.Logger
	// Clock; default: a new one starting now.
	Clock *Clock
	// SkipInit leaves the store uninitialised (default: initialise it,
	// unless Store is given).
	SkipInit bool
	// LastUsedFlush is how often the App writes last_used; default one
	// minute (tests call App.LastUsed.Flush or App.Close instead).
	LastUsedFlush time.Duration
	// Hashes bounds the password hashes running at once; default none.
	Hashes *secret.Limiter
	// PurgeInterval runs the App's purge of records expired more than
	// Retention ago (by the test clock); default 0, no periodic purge.
	PurgeInterval, Retention time.Duration
	// Keys are the token tag keys; default: the installation's keys kept in
	// the store, as serve loads them.
	Keys *secret.Keyring
	// Tracing of the App; default: off (nothing recorded).
	Tracing tracing.Options
	// WebhookHosts are webhooks.allow_hosts; WebhookInterval runs the
	// delivery job (default 0: none; tests call App.Dispatcher.Run).
	WebhookHosts    []string
	WebhookInterval time.Duration
	// TrustedProxies are server.trusted_proxies; default none.
	TrustedProxies []string
	// GinOnly serves every request through Gin (admin.Options.GinOnly).
	GinOnly bool
}

// FastArgon2 keeps password hashing cheap in tests; production uses the
// configured (OWASP-minimum or stronger) parameters.
var FastArgon2 = secret.Argon2{MemoryKiB: 64, Iterations: 1, Parallelism: 1}

// Start runs a Latchkey until the test ends.
func Start(tb testing.TB) *Server { return StartWith(tb, Options{}) }

// StartWith runs a Latchkey configured by o until the test ends.
func StartWith(tb testing.TB, o Options) *Server {
	tb.Helper()
	store := o.Store
	if store == nil {
		store = OpenStore(tb)
	} else {
		o.SkipInit = true
	}
	if o.Clock == nil {
		o.Clock = NewClock(time.Now())
	}
	if o.Logger == nil {
		o.Logger = zaptest.NewLogger(tb, zaptest.Level(zap.WarnLevel))
	}
	// The installation's keys, as serve loads them: a second instance on
	// the same store tags and verifies alike.
	keys := o.Keys
	if keys == nil {
		var err error
		if keys, err = secret.LoadKeyring(context.Background(), store.Keys(), o.Clock.Now()); err != nil {
			tb.Fatalf("load the token tag keys: %v", err)
		}
	}
	app, err := admin.New(admin.Options{Store: store, Keys: keys, Logger: o.Logger, CacheTTL: o.CacheTTL, CacheSize: 10000,
		Password: FastArgon2, Hashes: o.Hashes, Now: o.Clock.Now, LastUsedFlush: o.LastUsedFlush,
		PurgeInterval: o.PurgeInterval, Retention: o.Retention, Tracing: o.Tracing,
		WebhookHosts: o.WebhookHosts, WebhookInterval: cmp.Or(o.WebhookInterval, -1),
		TrustedProxies: o.TrustedProxies, GinOnly: o.GinOnly})
	if err != nil {
		tb.Fatalf("admin.New: %v", err)
	}
	hs := httptest.NewServer(app.Handler)
	tb.Cleanup(func() {
		hs.Close()
		app.Close()
	})
	s := &Server{URL: hs.URL, App: app, Store: store, Clock: o.Clock, Keys: keys}
	if o.SkipInit {
		return s
	}
	boot, err := app.Initialize(context.Background(), "platform-password")
	if err != nil {
		tb.Fatalf("Initialize: %v", err)
	}
	s.AppToken, s.Username, s.Password, s.TenantID = boot.AppToken, boot.Admin.Username, boot.Admin.Password, boot.Tenant.ID
	return s
}

// StoreEnv chooses the engine tests run on: "sqlite" (the default) or
// "mongodb".
const StoreEnv = "LATCHKEY_TEST_STORE"

// Engine returns the engine this test run uses.
func Engine() string {
	if e := os.Getenv(StoreEnv); e != "" {
		return e
	}
	return "sqlite"
}

// OpenStore opens a new, empty store on the engine of this run, closed
// (and, on MongoDB, dropped) when the test ends.
func OpenStore(tb testing.TB) store.Store {
	tb.Helper()
	switch e := Engine(); e {
	case "sqlite":
		st, err := sqlite.Open(context.Background(), sqlite.Options{DataDir: tb.TempDir(), Timeout: 10 * time.Second})
		if err != nil {
			tb.Fatalf("open SQLite engine: %v", err)
		}
		tb.Cleanup(func() { _ = st.Close() })
		return st
	case "mongodb":
		uri := os.Getenv(mongotest.URIEnv)
		if uri == "" {
			uri = mongotest.FerretURI(tb)
		}
		return mongotest.Open(tb, uri)
	default:
		tb.Fatalf("%s=%q: want sqlite or mongodb", StoreEnv, e)
		return nil
	}
}

// Main runs a package's tests and then stops the test binary's FerretDB,
// if one was started. Use it as:
// func TestMain(m *testing.M) { testserver.Main(m) }.
func Main(m *testing.M) { os.Exit(mongotest.Main(m)) }

// Clock is a clock tests can move.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock showing t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}
