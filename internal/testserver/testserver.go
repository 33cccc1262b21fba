// Package testserver runs a whole Latchkey for tests: the embedded store
// (one per test binary, one control database per test, dropped when the test
// ends), the real router on 127.0.0.1, a clock tests can move, and helpers
// for making requests.
package testserver

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/latchkey/latchkey/admin"
	"github.com/latchkey/latchkey/internal/mongostore"
	"github.com/latchkey/latchkey/internal/secret"
	"github.com/latchkey/latchkey/tenants"
)

// Server is a running Latchkey with an initialised platform tenant.
type Server struct {
	URL      string
	AppToken string // the platform tenant's first app token
	Username string // the platform owner
	Password string
	TenantID string // the platform tenant
	App      *admin.App
	Store    *mongostore.Store
	Clock    *Clock
}

// Options change how Start builds the server.
type Options struct {
	// CacheTTL of the verification cache; 0 (the default here) disables it.
	CacheTTL time.Duration
	// Store to use instead of the shared embedded one.
	Store *mongostore.Store
	// Database is the control database name; default: a new one per test.
	Database string
	// Logger; default: the test's log at warn level.
	Logger *zap.Logger
	// Clock; default: a new one starting now.
	Clock *Clock
	// Initialise the platform tenant (default true unless Database is set).
	SkipInit bool
	// LastUsedFlush is how often the App writes last_used; default one
	// minute (tests call App.LastUsed.Flush or App.Close instead).
	LastUsedFlush time.Duration
	// PurgeInterval runs the App's purge of records expired more than
	// Retention ago (by the test clock); default 0, no periodic purge.
	PurgeInterval, Retention time.Duration
}

// FastArgon2 keeps password hashing cheap in tests; production uses the
// configured (OWASP-minimum or stronger) parameters.
var FastArgon2 = secret.Argon2{MemoryKiB: 64, Iterations: 1, Parallelism: 1}

// Start runs a Latchkey until the test ends.
func Start(tb testing.TB) *Server { return StartWith(tb, Options{}) }

var dbSeq atomic.Int64

// StartWith runs a Latchkey configured by o until the test ends.
func StartWith(tb testing.TB, o Options) *Server {
	tb.Helper()
	store := o.Store
	if store == nil {
		store = Shared(tb)
	}
	if o.Clock == nil {
		o.Clock = NewClock(time.Now())
	}
	if o.Logger == nil {
		o.Logger = zaptest.NewLogger(tb, zaptest.Level(zap.WarnLevel))
	}
	db := o.Database
	if db == "" {
		db = fmt.Sprintf("t%d_%d", os.Getpid(), dbSeq.Add(1))
		tb.Cleanup(func() { DropAll(store, db) })
	}
	st := *store
	st.Control = store.Client.Database(db)
	app, err := admin.New(admin.Options{Store: &st, Logger: o.Logger, CacheTTL: o.CacheTTL, CacheSize: 10000,
		Password: FastArgon2, Now: o.Clock.Now, LastUsedFlush: o.LastUsedFlush,
		PurgeInterval: o.PurgeInterval, Retention: o.Retention})
	if err != nil {
		tb.Fatalf("admin.New: %v", err)
	}
	hs := httptest.NewServer(app.Handler)
	tb.Cleanup(func() {
		hs.Close()
		app.Close()
	})
	s := &Server{URL: hs.URL, App: app, Store: &st, Clock: o.Clock}
	if o.SkipInit || o.Database != "" {
		return s
	}
	boot, err := app.Initialize(context.Background(), "platform-password")
	if err != nil {
		tb.Fatalf("Initialize: %v", err)
	}
	s.AppToken, s.Username, s.Password, s.TenantID = boot.AppToken, boot.Admin.Username, boot.Admin.Password, boot.Tenant.ID
	return s
}

// DropAll drops a control database and the databases of its tenants.
func DropAll(store *mongostore.Store, control string) {
	ctx := context.Background()
	cur, err := store.Client.Database(control).Collection("tenants").Find(ctx, bson.D{})
	if err == nil {
		var ts []tenants.Tenant
		if cur.All(ctx, &ts) == nil {
			for _, t := range ts {
				_ = store.Client.Database(tenants.DatabaseName(t.ID)).Drop(ctx)
			}
		}
	}
	_ = store.Client.Database(control).Drop(ctx)
}

var (
	sharedOnce  sync.Once
	sharedStore *mongostore.Store
	sharedDir   string
	sharedErr   error
)

// Shared returns the test binary's embedded store, starting it on first use.
// Main stops it when the tests end.
func Shared(tb testing.TB) *mongostore.Store {
	tb.Helper()
	sharedOnce.Do(func() {
		sharedDir, sharedErr = os.MkdirTemp("", "latchkey-test-*")
		if sharedErr != nil {
			return
		}
		sharedStore, sharedErr = mongostore.Open(context.Background(), mongostore.Options{DataDir: sharedDir,
			EmbeddedAddr: "127.0.0.1:0", Database: "unused", Timeout: 10 * time.Second,
			Logger: slog.New(slog.DiscardHandler)})
	})
	if sharedErr != nil {
		tb.Fatalf("embedded store: %v", sharedErr)
	}
	return sharedStore
}

// Main runs a package's tests and then stops the shared store and removes
// its files. Use it as: func TestMain(m *testing.M) { testserver.Main(m) }.
func Main(m *testing.M) {
	code := m.Run()
	if sharedStore != nil {
		sharedStore.Close(context.Background())
	}
	if sharedDir != "" {
		_ = os.RemoveAll(sharedDir)
	}
	os.Exit(code)
}

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
