// Package sqlite is the embedded storage engine: every domain's store in
// SQLite files under one data directory, through database/sql and
// modernc.org/sqlite (pure Go, no cgo).
//
// The data directory holds a control file, latchkey.db (the tenant registry
// and the installation's keys), and one file per tenant, tenants/<id>.db,
// which CreateDatabase makes and Delete removes (with its -wal and -shm
// files). Every other access opens a tenant file without creating it, so a
// write that comes after a tenant's deletion (a last_used flush, say)
// brings nothing back.
//
// Files are in WAL mode with synchronous=NORMAL and a busy timeout, so
// readers never wait for the writer and several processes may share the
// data directory (SQLite's file locks decide between them). Tables are
// typed (ids as 12-byte BLOBs, times as INTEGER Unix milliseconds in UTC)
// and keyed by id (WITHOUT ROWID), with an index for every query: see
// queries.go, whose statements plan_test.go checks with EXPLAIN QUERY PLAN.
// Races are decided by the database: a unique constraint settles a refresh
// (tokens.parent), a lockout slot (claims.id), a username and a slug.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync/atomic"
	"time"

	sqlite3 "modernc.org/sqlite/lib"

	"github.com/latchkey/latchkey/store"
)

// Options say where the files are and how long to wait for them.
type Options struct {
	// DataDir is the data directory (store.data_dir); Open makes it.
	DataDir string
	// MaxOpenTenants bounds how many tenant files are open at once (256
	// when 0). Files in use are never closed, so the count may exceed it
	// while more than that many tenants are busy at the same moment.
	MaxOpenTenants int
	// BusyTimeout is how long a statement waits for another connection's
	// or process's lock before it fails as unavailable (5 s when 0).
	BusyTimeout time.Duration
	// Timeout bounds each store operation's wait for its file to open,
	// and each list, purge batch and last_used flush (store.timeout; none
	// when 0). A statement by key (a lookup, or a write of rows an index
	// names) runs to its end, bounded by its index and, while it waits for
	// a lock, by BusyTimeout.
	Timeout time.Duration
}

// Defaults of Options.
const (
	DefaultMaxOpenTenants = 256
	DefaultBusyTimeout    = 5 * time.Second
)

// File names in the data directory.
const (
	controlName = "latchkey.db"
	tenantsDir  = "tenants"
)

// DB is an open SQLite engine. It implements store.Store.
type DB struct {
	store.Views // the domain stores
	dir         string
	busy        time.Duration
	timeout     time.Duration
	control     *file
	pool        *pool
	faults      faults
	closed      atomic.Bool
}

// Open makes the data directory and the control file if they are missing,
// migrates the control file to the current schema, and returns the engine.
// Tenant files are opened (and migrated) when first used.
func Open(ctx context.Context, opts Options) (*DB, error) {
	if opts.DataDir == "" {
		return nil, errors.New("sqlite: no data directory")
	}
	dir, err := filepath.Abs(opts.DataDir)
	if err != nil {
		return nil, fmt.Errorf("sqlite: data directory %s: %w", opts.DataDir, err)
	}
	if err := os.MkdirAll(filepath.Join(dir, tenantsDir), 0o700); err != nil {
		return nil, fmt.Errorf("sqlite: make data directory: %w", err)
	}
	db := &DB{dir: dir, busy: opts.BusyTimeout, timeout: opts.Timeout}
	db.Views = db.views()
	if db.busy <= 0 {
		db.busy = DefaultBusyTimeout
	}
	limit := opts.MaxOpenTenants
	if limit <= 0 {
		limit = DefaultMaxOpenTenants
	}
	db.pool = newPool(limit, db.openTenant)
	path := filepath.Join(dir, controlName)
	if err := db.create(ctx, path, controlSchema); err != nil {
		return nil, err
	}
	if db.control, err = db.openFile(ctx, path, controlSchema); err != nil {
		return nil, err
	}
	return db, nil
}

// Engine implements store.Store.
func (db *DB) Engine() string { return "sqlite" }

// Dir is the data directory.
func (db *DB) Dir() string { return db.dir }

// Ping checks that the control file answers and that no tenant file is
// known to be at fault, trying those whose back-off has run out again.
// Errors: Unavailable, naming the tenants at fault in its "tenants" field
// when the control file answers.
func (db *DB) Ping(ctx context.Context) error {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	var v int
	if err := db.fail("ping", db.control.row(ctx, qVersion).Scan(&v), nil); err != nil {
		return err
	}
	return db.checkTenants(ctx)
}

// Close closes every open file. Operations that start afterwards fail as
// unavailable.
func (db *DB) Close() error {
	if db.closed.Swap(true) {
		return nil
	}
	return errors.Join(db.pool.close(), db.control.close())
}

// The domain stores, each a view of db.
type (
	tenantStore   struct{ db *DB }
	userStore     struct{ db *DB }
	appTokenStore struct{ db *DB }
	tokenStore    struct{ db *DB }
	claimStore    struct{ db *DB }
	auditStore    struct{ db *DB }
	lastUsedStore struct{ db *DB }
)

// views returns db's domain stores.
func (db *DB) views() store.Views {
	return store.Views{TenantStore: tenantStore{db}, UserStore: userStore{db}, AppTokenStore: appTokenStore{db},
		TokenStore: tokenStore{db}, ClaimStore: claimStore{db}, AuditStore: auditStore{db}, LastUsedStore: lastUsedStore{db},
		UsageStore: usageStore{db}, WebhookStore: webhookStore{db}, ScopeStore: scopeStore{db}}
}

// bound applies the operation timeout to ctx.
func (db *DB) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	if db.timeout <= 0 {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, db.timeout)
}

// inTenant runs f on tenant id's file, which stays open (in the pool) until
// f returns, under the operation timeout. A tenant without a file (never
// made, or deleted) is errNoTenant; a file at fault is a *fileFault, at
// once while the fault is known (fault.go).
func (db *DB) inTenant(ctx context.Context, tenantID string, f func(context.Context, *file) error) error {
	return db.useTenant(ctx, tenantID, false, f)
}

// writeTenant is inTenant for f that writes: f's success counts only when
// the file it wrote is still the one at the tenant's path, so a write to a
// file removed or replaced meanwhile is answered as a fault, not accepted
// and then lost.
func (db *DB) writeTenant(ctx context.Context, tenantID string, f func(context.Context, *file) error) error {
	return db.useTenant(ctx, tenantID, true, f)
}

func (db *DB) useTenant(ctx context.Context, tenantID string, write bool, f func(context.Context, *file) error) error {
	if db.closed.Load() {
		return errClosed
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	probe, err := db.faults.enter(tenantID)
	if err != nil {
		return err
	}
	ctx, cancel := db.bound(ctx)
	defer cancel()
	return db.faults.leave(tenantID, probe, db.runTenant(ctx, tenantID, write, f))
}

// runTenant runs f on tenant id's file. A file that fails as a file
// (isFileFault) leaves the pool, to be opened afresh by the next try; one
// absent from its path is no tenant or a fault, as the registry says.
func (db *DB) runTenant(ctx context.Context, tenantID string, write bool, f func(context.Context, *file) error) error {
	h, err := db.pool.acquire(ctx, tenantID)
	if errors.Is(err, errNoTenant) && db.tenantPath(tenantID) != "" {
		return db.missing(ctx, tenantID)
	}
	if err != nil {
		return err
	}
	defer db.pool.release(h)
	err = f(ctx, h.file)
	if err == nil && write {
		err = stillAt(h)
	}
	if !isFileFault(err) {
		return err
	}
	db.pool.discard(h)
	if _, serr := os.Stat(h.path); errors.Is(serr, os.ErrNotExist) {
		return db.missing(ctx, tenantID)
	}
	return err
}

// inControl runs f on the control file under the operation timeout.
func (db *DB) inControl(ctx context.Context, f func(context.Context, *file) error) error {
	if db.closed.Load() {
		return errClosed
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	ctx, cancel := db.bound(ctx)
	defer cancel()
	return f(ctx, db.control)
}

// tenantPath returns the file of tenant id, or "" for an id that cannot
// name a file.
func (db *DB) tenantPath(id string) string {
	if !fileSafe(id) {
		return ""
	}
	return filepath.Join(db.dir, tenantsDir, id+".db")
}

// fileSafe reports whether a tenant id can be a file name as it is:
// letters, digits, - and _, at most 64 of them.
func fileSafe(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// dsn is the modernc.org/sqlite data source name of the file at path:
// mode=rw never creates the file (rwc does), a busy timeout, synchronous
// NORMAL (durable in WAL mode except for the last commits before a power
// loss, never corrupt), a WAL file cut back to walLimit after each
// checkpoint (not left at the size of the largest burst of writes), and
// BEGIN IMMEDIATE for every transaction, so a transaction takes the write
// lock when it starts instead of failing with SQLITE_BUSY when it upgrades
// a read.
func (db *DB) dsn(path string, create bool) string {
	mode := "rw"
	if create {
		mode = "rwc"
	}
	q := url.Values{}
	q.Set("mode", mode)
	q.Set("_txlock", "immediate")
	q.Add("_pragma", "busy_timeout("+strconv.FormatInt(db.busy.Milliseconds(), 10)+")")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "journal_size_limit("+strconv.Itoa(walLimit)+")")
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(path), RawQuery: q.Encode()}).String()
}

// walLimit is the size a WAL file is cut back to after a checkpoint.
const walLimit = 16 << 20

// connsPerFile bounds the connections of one file: readers run in
// parallel (WAL), up to about one per core.
var connsPerFile = max(4, runtime.GOMAXPROCS(0))

// create makes the file at path if it is missing, in WAL mode, and
// migrates it to schema. Calling it again changes nothing.
func (db *DB) create(ctx context.Context, path string, schema schema) error {
	sdb, err := sql.Open("sqlite", db.dsn(path, true))
	if err != nil {
		return fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	defer sdb.Close()
	sdb.SetMaxOpenConns(1)
	f := &file{db: sdb, path: path}
	if err := db.setWAL(ctx, sdb); err != nil {
		return db.fail("set WAL mode of "+path, err, nil)
	}
	return db.fail("migrate "+path, migrate(ctx, f, schema, true), nil)
}

// setWAL puts the file of sdb in WAL mode (a setting the file keeps).
// The switch needs the file's exclusive lock, which the statement asks for
// while it already holds a read lock: SQLite then answers SQLITE_BUSY at
// once rather than call the busy handler (waiting could deadlock two such
// upgrades), so processes making a new data directory together would fail
// to open it. The switch is tried again after a growing pause, for up to
// the busy timeout, as the busy handler would have.
func (db *DB) setWAL(ctx context.Context, sdb *sql.DB) error {
	deadline := time.Now().Add(db.busy)
	pause := time.Millisecond
	for {
		var mode string
		err := sdb.QueryRowContext(ctx, "PRAGMA journal_mode=WAL").Scan(&mode)
		if err == nil && mode == "wal" {
			return nil
		}
		// SQLite answers the mode the file is in: another than wal
		// means the switch did not happen, tried again as well.
		busy := err == nil || code(err) == sqlite3.SQLITE_BUSY || code(err) == sqlite3.SQLITE_LOCKED
		if err == nil {
			err = fmt.Errorf("journal mode is still %s", mode)
		}
		if !busy || time.Now().Add(pause).After(deadline) {
			return err
		}
		select {
		case <-time.After(pause):
		case <-ctx.Done():
			return ctx.Err()
		}
		pause = min(2*pause, 50*time.Millisecond)
	}
}

// openFile opens the existing file at path (mode=rw) and migrates it to
// schema if it is older. An empty file (version 0: truncated to nothing,
// say) is errFileEmpty: only create makes the tables of a new file.
func (db *DB) openFile(ctx context.Context, path string, schema schema) (*file, error) {
	sdb, err := sql.Open("sqlite", db.dsn(path, false))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	sdb.SetMaxOpenConns(connsPerFile)
	sdb.SetMaxIdleConns(connsPerFile)
	sdb.SetConnMaxIdleTime(time.Minute)
	f := &file{db: sdb, path: path}
	if err := migrate(ctx, f, schema, false); err != nil {
		_ = sdb.Close()
		return nil, db.fail("migrate "+path, err, nil)
	}
	return f, nil
}

// openTenant opens tenant id's file for the pool: errNoTenant when it has
// none.
func (db *DB) openTenant(ctx context.Context, id string) (*file, os.FileInfo, error) {
	path := db.tenantPath(id)
	if path == "" {
		return nil, nil, errNoTenant
	}
	info, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil, errNoTenant
	}
	if err != nil {
		return nil, nil, fmt.Errorf("sqlite: tenant file: %w", err)
	}
	f, err := db.openFile(ctx, path, tenantSchema)
	if gone(err, path) {
		return nil, nil, errNoTenant
	}
	if errors.Is(err, errFileEmpty) && errors.Is(db.missing(ctx, id), errNoTenant) {
		// A tenant still being created has an empty file until its
		// creator's first migration commits: no tenant yet, not a fault
		// (which would refuse the creator's own next step).
		return nil, nil, errNoTenant
	}
	if err != nil {
		return nil, nil, err
	}
	return f, info, nil
}
