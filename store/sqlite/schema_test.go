package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchkey/latchkey/apptokens"
	"github.com/latchkey/latchkey/internal/clock"
	"github.com/latchkey/latchkey/internal/ended"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/page"
	"github.com/latchkey/latchkey/scopes"
)

// rawFile opens the SQLite file at path directly, closed when the test ends.
func rawFile(tb testing.TB, path string) *sql.DB {
	tb.Helper()
	sdb, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = sdb.Close() })
	return sdb
}

func version(tb testing.TB, sdb *sql.DB) int {
	tb.Helper()
	var v int
	if err := sdb.QueryRow(qVersion).Scan(&v); err != nil {
		tb.Fatal(err)
	}
	return v
}

func hasTable(tb testing.TB, sdb *sql.DB, name string) bool {
	tb.Helper()
	var n int
	if err := sdb.QueryRow(`SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?`, name).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n == 1
}

// A control file of version 1 (before the keys table) is brought to the
// current version when the engine opens it, keeping its tenants.
func TestControlFileMigrated(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, controlName)
	old := rawFile(t, path)
	if _, err := old.Exec(controlSchema.steps[0] + `PRAGMA user_version = 1;`); err != nil {
		t.Fatal(err)
	}
	now := clock.Stored(time.Now()).UnixMilli()
	if _, err := old.Exec(`INSERT INTO tenants VALUES ('t1', 'old', 'Old', 'active', 0, 1, 2, 3, 4, 5, 6, 0, 5, 900, 900, ?, ?)`, now, now); err != nil {
		t.Fatal(err)
	}
	if hasTable(t, old, "keys") {
		t.Fatal("version 1 has the keys table already")
	}

	db := mustOpen(t, dir)
	if v := version(t, old); v != len(controlSchema.steps) {
		t.Fatalf("control file version %d after Open, want %d", v, len(controlSchema.steps))
	}
	if !hasTable(t, old, "keys") {
		t.Fatal("no keys table after migration")
	}
	got, err := db.Tenants().FindBySlug(ctx, "old")
	if err != nil || got.ID != "t1" || got.Settings.LockoutWindow != 900 {
		t.Fatalf("tenant of version 1 after migration: %+v, %v", got, err)
	}
}

// A tenant file is migrated when the pool first opens it: a release that
// adds a step finds the files of the previous one and brings each up to
// date, keeping its rows.
func TestTenantFileMigratedOnFirstUse(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := mustOpen(t, dir)
	tn := mustTenant(t, db)
	now := clock.Stored(time.Now())
	if err := db.Users().Insert(ctx, tn.ID, newUser("alice", now)); err != nil {
		t.Fatal(err)
	}
	_ = db.Close()

	saved := tenantSchema
	t.Cleanup(func() { tenantSchema = saved })
	tenantSchema.steps = append(saved.steps[:len(saved.steps):len(saved.steps)],
		`ALTER TABLE users ADD COLUMN note TEXT NOT NULL DEFAULT 'migrated'`)

	db = mustOpen(t, dir)
	if _, err := db.Users().FindByUsername(ctx, tn.ID, "alice"); err != nil {
		t.Fatalf("user after migration: %v", err)
	}
	raw := rawFile(t, filepath.Join(dir, tenantsDir, tn.ID+".db"))
	if v := version(t, raw); v != len(tenantSchema.steps) {
		t.Fatalf("tenant file version %d after first use, want %d", v, len(tenantSchema.steps))
	}
	var note string
	if err := raw.QueryRow(`SELECT note FROM users WHERE username_key = 'alice'`).Scan(&note); err != nil || note != "migrated" {
		t.Fatalf("new column: %q, %v", note, err)
	}
}

// A tenant file written by the release before ended_by (schema version 1)
// keeps working: its tokens read back with no reason, an expired one shows
// as ended by "time", the expired-is-final rule holds on it, and new ends
// record their reason.
func TestTenantFileOfVersion1(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	saved := tenantSchema
	t.Cleanup(func() { tenantSchema = saved })
	tenantSchema.steps = saved.steps[:1]
	db := mustOpen(t, dir)
	tn := mustTenant(t, db)
	_ = db.Close()

	now := clock.Stored(time.Now())
	live, ran, login := ids.NewAt(now), ids.NewAt(now), ids.NewAt(now)
	raw := rawFile(t, filepath.Join(dir, tenantsDir, tn.ID+".db"))
	if v := version(t, raw); v != 1 {
		t.Fatalf("tenant file of the previous release at version %d, want 1", v)
	}
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO app_tokens (id, hash, name, created, created_by, expires, last_used) VALUES (?,?,?,?,?,?,?)`,
			[]any{idArg(live), "h1", "live", now.UnixMilli(), nil, now.Add(time.Hour).UnixMilli(), nil}},
		{`INSERT INTO app_tokens (id, hash, name, created, created_by, expires, last_used) VALUES (?,?,?,?,?,?,?)`,
			[]any{idArg(ran), "h2", "ran out", now.UnixMilli(), nil, now.Add(-time.Hour).UnixMilli(), nil}},
		{`INSERT INTO tokens (id, hash, refresh_hash, refresh_expires, kind, user_id, actor_id, app_token_id, chain,
			parent, name, created, expires, last_used, lifetime) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
			[]any{idArg(login), "h3", "r3", now.Add(time.Hour).UnixMilli(), "login", idArg(ids.New()), nil, idArg(live),
				idArg(login), nil, "", now.UnixMilli(), now.Add(time.Hour).UnixMilli(), nil, 3600}},
	} {
		if _, err := raw.Exec(q.sql, q.args...); err != nil {
			t.Fatal(err)
		}
	}

	tenantSchema = saved
	db = mustOpen(t, dir)
	got, err := db.AppTokens().FindByID(ctx, tn.ID, ran)
	if err != nil || got.EndedBy != "" {
		t.Fatalf("a version 1 app token after migration: %+v, %v", got, err)
	}
	if v := version(t, raw); v != len(tenantSchema.steps) {
		t.Fatalf("tenant file version %d after first use, want %d", v, len(tenantSchema.steps))
	}
	if by := ended.Shown(got.EndedBy, got.Expires, now); by == nil || *by != ended.Time {
		t.Errorf("a version 1 app token that ran out shows ended_by %v, want time", by)
	}
	if err := db.AppTokens().SetExpires(ctx, tn.ID, ran, ended.Change{Expires: now.Add(time.Hour), Now: now}, apptokens.Force); !errors.Is(err, apptokens.ErrExpired) {
		t.Errorf("re-date a version 1 app token that ran out: %v, want ErrExpired", err)
	}
	if err := db.AppTokens().SetExpires(ctx, tn.ID, live, ended.Change{Expires: now, Now: now, By: ended.Support}, apptokens.Force); err != nil {
		t.Fatal(err)
	}
	if got, err := db.AppTokens().FindByID(ctx, tn.ID, live); err != nil || got.EndedBy != ended.Support {
		t.Errorf("a version 1 app token expired by support: %+v, %v", got, err)
	}
	if err := db.UserTokens().SetExpires(ctx, tn.ID, login, ended.Change{Expires: now, Now: now, By: ended.User}); err != nil {
		t.Fatal(err)
	}
	if got, err := db.UserTokens().FindByID(ctx, tn.ID, login); err != nil || got.EndedBy != ended.User || !got.RefreshExpires.Equal(now) {
		t.Errorf("a version 1 login token after logout: %+v, %v", got, err)
	}
}

// A step that fails leaves the file as it was: no half-applied step, the
// version unchanged.
func TestFailedMigrationRollsBack(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "x.db")
	s := schema{name: "test", steps: []string{`CREATE TABLE a (x INTEGER);`}}
	db := &DB{busy: time.Second}
	if err := db.create(ctx, path, s); err != nil {
		t.Fatal(err)
	}
	s.steps = append(s.steps, `CREATE TABLE b (x INTEGER); CREATE TABLE a (x INTEGER);`) // a exists: fails
	if err := db.create(ctx, path, s); err == nil || !strings.Contains(err.Error(), "step 2") {
		t.Fatalf("failing step: got %v, want an error naming step 2", err)
	}
	raw := rawFile(t, path)
	if v := version(t, raw); v != 1 {
		t.Errorf("version %d after a failed step, want 1", v)
	}
	if hasTable(t, raw, "b") {
		t.Error("the failed step's first statement stayed")
	}
}

// A file written by a later release is refused, not written to.
func TestNewerFileRefused(t *testing.T) {
	dir := t.TempDir()
	mustOpen(t, dir).Close()
	raw := rawFile(t, filepath.Join(dir, controlName))
	if _, err := raw.Exec(`PRAGMA user_version = 99`); err != nil {
		t.Fatal(err)
	}
	_, err := Open(context.Background(), Options{DataDir: dir})
	if err == nil || !strings.Contains(err.Error(), "newer than this release") {
		t.Fatalf("Open of a version-99 control file: got %v, want a refusal", err)
	}
}

// Engines opening a new directory at once (serve processes starting
// together) all succeed: the switch to WAL mode, which SQLite answers
// SQLITE_BUSY without waiting, is tried again (setWAL); the migration's
// BEGIN IMMEDIATE makes them take turns, and the later ones find the file
// current. It failed about once in 30 runs before setWAL; run it with
// -count 200.
func TestConcurrentOpenMigratesOnce(t *testing.T) {
	dir := t.TempDir()
	var wg sync.WaitGroup
	errc := make(chan error, 4)
	for range 4 {
		wg.Go(func() {
			db, err := Open(context.Background(), Options{DataDir: dir})
			if err == nil {
				err = db.Close()
			}
			errc <- err
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		if err != nil {
			t.Error(err)
		}
	}
	if v := version(t, rawFile(t, filepath.Join(dir, controlName))); v != len(controlSchema.steps) {
		t.Errorf("version %d, want %d", v, len(controlSchema.steps))
	}
}

// TestFilesBeforeScopes opens a control file and a tenant file written by
// the release before scopes (each one stops at the step before the one
// that brought scopes; later steps apply as the file is opened again): the
// catalog is there and empty, and the tokens of before read as
// unrestricted, without metadata or hint, hold no scope, and can be
// changed.
func TestFilesBeforeScopes(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	savedT, savedC := tenantSchema, controlSchema
	t.Cleanup(func() { tenantSchema, controlSchema = savedT, savedC })
	tenantSchema.steps = savedT.steps[:stepOf(t, savedT, "token_scopes")]
	controlSchema.steps = savedC.steps[:stepOf(t, savedC, "CREATE TABLE scopes")]
	db := mustOpen(t, dir)
	tn := mustTenant(t, db)
	_ = db.Close()

	now := clock.Stored(time.Now())
	app, login := ids.NewAt(now), ids.NewAt(now)
	raw := rawFile(t, filepath.Join(dir, tenantsDir, tn.ID+".db"))
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO app_tokens (id, hash, name, created, created_by, expires, last_used, ended_by) VALUES (?,?,?,?,?,?,?,?)`,
			[]any{idArg(app), "h1", "old", now.UnixMilli(), nil, now.Add(time.Hour).UnixMilli(), nil, ""}},
		{`INSERT INTO tokens (id, hash, refresh_hash, refresh_expires, kind, user_id, actor_id, app_token_id, chain,
			parent, name, created, expires, last_used, lifetime, ended_by) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
			[]any{idArg(login), "h3", "r3", now.Add(time.Hour).UnixMilli(), "login", idArg(ids.New()), nil, idArg(app),
				idArg(login), nil, "", now.UnixMilli(), now.Add(time.Hour).UnixMilli(), nil, 3600, ""}},
	} {
		if _, err := raw.Exec(q.sql, q.args...); err != nil {
			t.Fatal(err)
		}
	}

	tenantSchema, controlSchema = savedT, savedC
	db = mustOpen(t, dir)
	if list, _, err := db.Scopes().Find(ctx, page.Page{}); err != nil || len(list) != 0 {
		t.Fatalf("catalog after migration: %v, %v, want empty", list, err)
	}
	got, err := db.AppTokens().FindByID(ctx, tn.ID, app)
	if err != nil || got.Scopes != nil || got.ExternalID != "" || got.Meta != "" || got.Last != "" {
		t.Fatalf("an app token of before: %+v, %v, want unrestricted, no metadata, no hint", got, err)
	}
	tok, err := db.UserTokens().FindByID(ctx, tn.ID, login)
	if err != nil || tok.Scopes != nil || tok.Last != "" {
		t.Fatalf("a user token of before: %+v, %v, want unrestricted", tok, err)
	}
	if err := db.Scopes().Put(ctx, &scopes.Scope{Name: "a.read", Created: now, Updated: now}); err != nil {
		t.Fatal(err)
	}
	if held, err := db.Scopes().Held(ctx, tn.ID, "a.read", now); err != nil || held {
		t.Errorf("held by a token of before: %v, %v", held, err)
	}
	names := []string{"a.read"}
	if err := db.AppTokens().Change(ctx, tn.ID, app, apptokens.Details{Scopes: &names}, now); err != nil {
		t.Fatal(err)
	}
	if held, err := db.Scopes().Held(ctx, tn.ID, "a.read", now); err != nil || !held {
		t.Errorf("held after the old token was given it: %v, %v, want true", held, err)
	}
}

// stepOf returns the index of the step of s that contains marker.
func stepOf(t *testing.T, s schema, marker string) int {
	t.Helper()
	for i, step := range s.steps {
		if strings.Contains(step, marker) {
			return i
		}
	}
	t.Fatalf("no step of the %s schema contains %q", s.name, marker)
	return 0
}
