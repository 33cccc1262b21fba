package sqlite

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/store"

	"github.com/latchkey/latchkey/apptokens"
	"github.com/latchkey/latchkey/internal/clock"
	"github.com/latchkey/latchkey/internal/errs"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/lastused"
	"github.com/latchkey/latchkey/internal/page"
	"github.com/latchkey/latchkey/internal/secret"
	"github.com/latchkey/latchkey/tenants"
	"github.com/latchkey/latchkey/users"
)

var _ store.Store = (*DB)(nil)

// mustOpen opens the engine on dir, closed when the test ends.
func mustOpen(tb testing.TB, dir string) *DB {
	tb.Helper()
	db, err := Open(context.Background(), Options{DataDir: dir, Timeout: 10 * time.Second})
	if err != nil {
		tb.Fatalf("open: %v", err)
	}
	tb.Cleanup(func() { _ = db.Close() })
	return db
}

// mustTenant registers a tenant in db and makes its file.
func mustTenant(tb testing.TB, db *DB) *tenants.Tenant {
	tb.Helper()
	ctx := context.Background()
	now := clock.Stored(time.Now())
	t := &tenants.Tenant{ID: secret.NewTenantID(), Slug: "t-" + strings.ToLower(ids.New().Hex()[16:]), Name: "T",
		Status: tenants.Active, Settings: tenants.DefaultSettings(), Created: now, Updated: now}
	if err := db.Tenants().Insert(ctx, t); err != nil {
		tb.Fatalf("insert tenant: %v", err)
	}
	if err := db.Tenants().CreateDatabase(ctx, t.ID); err != nil {
		tb.Fatalf("create tenant database: %v", err)
	}
	return t
}

func newAppToken(now time.Time) *apptokens.Token {
	return &apptokens.Token{ID: ids.NewAt(now), Hash: "h", Name: "n", Created: now, Expires: now.Add(time.Hour)}
}

func newUser(name string, now time.Time) *users.User {
	return &users.User{ID: ids.NewAt(now), Username: name, UsernameKey: users.UsernameKey(name),
		Email: name + "@Example.com", Role: "member", Status: users.Active, PasswordHash: "x", Created: now, Updated: now}
}

func TestFilesMadeWithTenantAndRemovedWithIt(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := mustOpen(t, dir)
	if _, err := os.Stat(filepath.Join(dir, controlName)); err != nil {
		t.Fatalf("control file: %v", err)
	}
	tn := mustTenant(t, db)
	path := filepath.Join(dir, tenantsDir, tn.ID+".db")
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("tenant file after CreateDatabase: %v", err)
	}
	if err := db.Tenants().CreateDatabase(ctx, tn.ID); err != nil {
		t.Fatalf("CreateDatabase again: %v", err)
	}
	now := clock.Stored(time.Now())
	if err := db.AppTokens().Insert(ctx, tn.ID, newAppToken(now)); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + "-wal"); err != nil {
		t.Fatalf("no -wal file after a write (not in WAL mode?): %v", err)
	}
	if err := db.Tenants().Delete(ctx, tn.ID); err != nil {
		t.Fatalf("delete tenant: %v", err)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s after Delete: %v, want it gone", filepath.Base(p), err)
		}
	}
	if err := db.Tenants().Delete(ctx, tn.ID); !errors.Is(err, tenants.ErrNotFound) {
		t.Errorf("delete again: got %v, want tenants.ErrNotFound", err)
	}
}

// Nothing but CreateDatabase makes a tenant file: a last_used flush, or
// any other write, after the tenant's deletion finds no file and brings
// none back.
func TestDeletedTenantNotRecreated(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := mustOpen(t, dir)
	tn := mustTenant(t, db)
	now := clock.Stored(time.Now())
	tok := newAppToken(now)
	if err := db.AppTokens().Insert(ctx, tn.ID, tok); err != nil {
		t.Fatal(err)
	}
	if err := db.Tenants().Delete(ctx, tn.ID); err != nil {
		t.Fatal(err)
	}
	uses := []lastused.Use{{ID: tok.ID, At: now}}
	if err := db.LastUsed().Write(ctx, tn.ID, "app_tokens", uses); err != nil {
		t.Errorf("flush after deletion: got %v, want no error", err)
	}
	if err := db.AppTokens().Insert(ctx, tn.ID, newAppToken(now)); !errs.Is(err, errs.NotFound) {
		t.Errorf("insert after deletion: got %v, want not_found", err)
	}
	if _, err := db.AppTokens().FindByID(ctx, tn.ID, tok.ID); !errors.Is(err, apptokens.ErrNotFound) {
		t.Errorf("find after deletion: got %v, want apptokens.ErrNotFound", err)
	}
	if list, next, err := db.AppTokens().Find(ctx, tn.ID, pageOfTen); err != nil || len(list) != 0 || next != "" {
		t.Errorf("list after deletion: got %d items, %q, %v; want an empty page", len(list), next, err)
	}
	entries, _ := os.ReadDir(filepath.Join(dir, tenantsDir))
	for _, e := range entries {
		t.Errorf("%s in the tenants directory after deletion", e.Name())
	}
}

// A handle kept open in another engine's pool opens its new connections
// without creating the file (mode=rw), so when the tenant was deleted
// meanwhile a flush through it is no error and makes no file.
func TestPooledHandleDoesNotRecreate(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	a, b := mustOpen(t, dir), mustOpen(t, dir)
	b.pool.recheck = time.Hour // b does not notice the deletion by itself
	tn := mustTenant(t, a)
	now := clock.Stored(time.Now())
	tok := newAppToken(now)
	if err := a.AppTokens().Insert(ctx, tn.ID, tok); err != nil {
		t.Fatal(err)
	}
	if _, err := b.AppTokens().FindByID(ctx, tn.ID, tok.ID); err != nil {
		t.Fatal(err)
	}
	h, err := b.pool.acquire(ctx, tn.ID)
	if err != nil {
		t.Fatal(err)
	}
	h.db.SetMaxIdleConns(0) // b's next statement opens a new connection
	b.pool.release(h)
	if err := a.Tenants().Delete(ctx, tn.ID); err != nil {
		t.Fatal(err)
	}
	if err := b.LastUsed().Write(ctx, tn.ID, "app_tokens", []lastused.Use{{ID: tok.ID, At: now}}); err != nil {
		t.Errorf("flush through a stale handle: got %v, want no error", err)
	}
	path := filepath.Join(dir, tenantsDir, tn.ID+".db")
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("tenant file after a flush through a stale handle: %v, want none", err)
	}
	if b.pool.size() != 0 {
		t.Errorf("b keeps the deleted tenant's file in its pool")
	}
}

// Two engines on one data directory (as two serve processes) see each
// other's writes, including a tenant's deletion.
func TestTwoEnginesShareADirectory(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	a, b := mustOpen(t, dir), mustOpen(t, dir)
	b.pool.recheck = 0 // check the file on every use
	tn := mustTenant(t, a)
	if got, err := b.Tenants().FindBySlug(ctx, tn.Slug); err != nil || got.ID != tn.ID {
		t.Fatalf("b finds a's tenant: %v, %v", got, err)
	}
	now := clock.Stored(time.Now())
	u := newUser("alice", now)
	if err := a.Users().Insert(ctx, tn.ID, u); err != nil {
		t.Fatal(err)
	}
	got, err := b.Users().FindByUsername(ctx, tn.ID, "ALICE")
	if err != nil || got.ID != u.ID {
		t.Fatalf("b finds a's user: %v, %v", got, err)
	}
	if err := b.Users().Insert(ctx, tn.ID, newUser("Alice", now)); !errors.Is(err, users.ErrUsernameTaken) {
		t.Errorf("b inserts a's username: got %v, want users.ErrUsernameTaken", err)
	}
	got.Status = users.Disabled
	if err := b.Users().Replace(ctx, tn.ID, got); err != nil {
		t.Fatal(err)
	}
	if again, err := a.Users().FindByID(ctx, tn.ID, u.ID); err != nil || again.Status != users.Disabled {
		t.Fatalf("a reads b's change: %v, %v", again, err)
	}
	if err := a.Tenants().Delete(ctx, tn.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Users().FindByID(ctx, tn.ID, u.ID); !errors.Is(err, users.ErrNotFound) {
		t.Errorf("b reads a deleted tenant's user: got %v, want users.ErrNotFound", err)
	}
	if b.pool.size() != 0 {
		t.Errorf("b keeps %d files open after the tenant's deletion, want 0", b.pool.size())
	}
}

func TestErrorsTranslated(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t, t.TempDir())
	tn := mustTenant(t, db)
	now := clock.Stored(time.Now())
	tok := newAppToken(now)
	if err := db.AppTokens().Insert(ctx, tn.ID, tok); err != nil {
		t.Fatal(err)
	}

	err := db.AppTokens().Insert(ctx, tn.ID, tok)
	if !errs.Is(err, errs.Conflict) {
		t.Errorf("duplicate id: got %v, want conflict", err)
	}
	if !strings.Contains(err.Error(), "conflict") || !strings.Contains(errors.Unwrap(err).Error(), "insert app token") {
		t.Errorf("duplicate id: %q (cause %v) does not say what failed", err, errors.Unwrap(err))
	}
	if _, err := db.AppTokens().FindByID(ctx, tn.ID, ids.New()); !errors.Is(err, apptokens.ErrNotFound) {
		t.Errorf("missing token: got %v, want apptokens.ErrNotFound", err)
	}
	if err := db.AppTokens().Delete(ctx, tn.ID, ids.New(), apptokens.Force); !errors.Is(err, apptokens.ErrNotFound) {
		t.Errorf("delete missing token: got %v, want apptokens.ErrNotFound", err)
	}
	dup := *tn
	dup.ID = secret.NewTenantID()
	if err := db.Tenants().Insert(ctx, &dup); !errors.Is(err, tenants.ErrSlugTaken) {
		t.Errorf("duplicate slug: got %v, want tenants.ErrSlugTaken", err)
	}

	// A context that has ended is unavailable: never internal.
	done, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := db.AppTokens().FindByID(done, tn.ID, tok.ID); !errs.Is(err, errs.Unavailable) {
		t.Errorf("ended context: got %v, want unavailable", err)
	}
	past, cancel := context.WithDeadline(ctx, time.Now().Add(-time.Second))
	defer cancel()
	if _, _, err := db.AppTokens().Find(past, tn.ID, pageOfTen); !errs.Is(err, errs.Unavailable) {
		t.Errorf("passed deadline: got %v, want unavailable", err)
	}

	// SQLITE_BUSY, once the busy timeout runs out.
	busy := mustOpenWith(t, t.TempDir(), Options{BusyTimeout: time.Millisecond})
	tb := mustTenant(t, busy)
	locker := lockTenant(t, busy, tb.ID)
	err = busy.AppTokens().Insert(ctx, tb.ID, newAppToken(now))
	if !errs.Is(err, errs.Unavailable) || code(err) != 5 { // SQLITE_BUSY
		t.Errorf("write while another connection holds the lock: got %v (code %d), want unavailable (SQLITE_BUSY)", err, code(err))
	}
	_ = locker.Rollback()

	_ = db.Close()
	if _, err := db.AppTokens().FindByID(ctx, tn.ID, tok.ID); !errs.Is(err, errs.Unavailable) {
		t.Errorf("closed store: got %v, want unavailable", err)
	}
	if err := db.Ping(ctx); !errs.Is(err, errs.Unavailable) {
		t.Errorf("ping a closed store: got %v, want unavailable", err)
	}
}

func mustOpenWith(tb testing.TB, dir string, o Options) *DB {
	tb.Helper()
	o.DataDir = dir
	db, err := Open(context.Background(), o)
	if err != nil {
		tb.Fatalf("open: %v", err)
	}
	tb.Cleanup(func() { _ = db.Close() })
	return db
}

// locker holds a tenant file's write lock from another connection.
type lockerTx interface{ Rollback() error }

func lockTenant(tb testing.TB, db *DB, tenantID string) lockerTx {
	tb.Helper()
	other := mustOpenWith(tb, db.dir, Options{})
	h, err := other.pool.acquire(context.Background(), tenantID)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { other.pool.release(h) })
	tx, err := h.db.BeginTx(context.Background(), nil) // BEGIN IMMEDIATE: takes the write lock
	if err != nil {
		tb.Fatal(err)
	}
	return tx
}

func TestOpenOptions(t *testing.T) {
	if _, err := Open(context.Background(), Options{}); err == nil {
		t.Error("Open without a data directory succeeded")
	}
	db := mustOpen(t, t.TempDir())
	if db.Engine() != "sqlite" {
		t.Errorf("Engine() = %q", db.Engine())
	}
	if err := db.Ping(context.Background()); err != nil {
		t.Errorf("Ping: %v", err)
	}
	if db.busy != DefaultBusyTimeout || db.pool.limit != DefaultMaxOpenTenants {
		t.Errorf("defaults: busy %v, pool %d", db.busy, db.pool.limit)
	}
	f, err := db.openFile(context.Background(), filepath.Join(db.dir, controlName), controlSchema)
	if err != nil {
		t.Fatal(err)
	}
	defer f.close()
	for pragma, want := range map[string]string{"journal_mode": "wal", "synchronous": "1", "busy_timeout": "5000",
		"journal_size_limit": "16777216"} {
		var got string
		if err := f.db.QueryRow("PRAGMA " + pragma).Scan(&got); err != nil || got != want {
			t.Errorf("PRAGMA %s = %q (%v), want %q", pragma, got, err, want)
		}
	}
}

// A tenant id is a file name: anything that could leave the tenants
// directory names no tenant.
func TestUnsafeTenantIDs(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t, t.TempDir())
	for _, id := range []string{"", "../latchkey", "a/b", "a.b", strings.Repeat("a", 65)} {
		if err := db.Tenants().CreateDatabase(ctx, id); err == nil {
			t.Errorf("CreateDatabase(%q) succeeded", id)
		}
		if _, err := db.Users().FindByID(ctx, id, ids.New()); !errors.Is(err, users.ErrNotFound) {
			t.Errorf("FindByID in tenant %q: got %v, want users.ErrNotFound", id, err)
		}
	}
}

var pageOfTen = page.Page{Limit: 10}
