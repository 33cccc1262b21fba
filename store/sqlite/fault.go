package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	sqlite3 "modernc.org/sqlite/lib"

	"github.com/latchkey/latchkey/internal/errs"
	"github.com/latchkey/latchkey/tenants"
)

// A tenant file at fault (store faults): read-only, full, failing
// to read or write, truncated, overwritten, corrupt, or gone from its path
// while the tenant is still registered. Operations on it answer 503 with
// Retry-After, at once while the fault is known; the file is closed, and
// opened again (a probe) after a back-off that grows while it stays at
// fault, so a mended file serves again without a restart. Ping reports the
// tenants at fault. A file gone from its path is never made again: the
// engine opens tenant files without creating them (dsn), and a write is
// answered only once the file it went to is still the one at the path.

// Causes of faults found by the engine rather than by SQLite.
var (
	errFileMissing  = errors.New("the tenant's file is missing")
	errFileReplaced = errors.New("the tenant's file was removed or replaced while open")
	errFileEmpty    = errors.New("the tenant's file is empty")
	errFileCorrupt  = errors.New("the tenant's file failed its integrity check")
)

// Back-off of a file at fault: the first retry after faultRetry, each
// further one after twice the last, at most faultRetryMax.
const (
	faultRetry    = time.Second
	faultRetryMax = 16 * time.Second
)

// fileFault is the error of an operation on a tenant file at fault.
type fileFault struct {
	tenant string
	cause  error
	retry  time.Duration // until the file is tried again
}

func (e *fileFault) Error() string {
	return fmt.Sprintf("sqlite: tenant %s: file at fault: %v", e.tenant, e.cause)
}

func (e *fileFault) Unwrap() error { return e.cause }

// isFileFault reports whether err says the tenant's file itself is at
// fault, by SQLite's result code (not the message) or the engine's own
// causes. A busy file, an interrupted statement or an ended context are
// not: they say nothing about the file.
func isFileFault(err error) bool {
	switch code(err) {
	case sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CANTOPEN,
		sqlite3.SQLITE_IOERR, sqlite3.SQLITE_FULL:
		return true
	}
	return errors.Is(err, errFileMissing) || errors.Is(err, errFileReplaced) || errors.Is(err, errFileEmpty) ||
		errors.Is(err, errFileCorrupt)
}

// faultName is the few words /readyz gives for a fault's cause: a fixed
// text per kind, never a driver's message or a path.
func faultName(err error) string {
	switch {
	case errors.Is(err, errFileMissing):
		return "missing"
	case errors.Is(err, errFileReplaced):
		return "removed or replaced while open"
	case errors.Is(err, errFileEmpty):
		return "empty"
	case errors.Is(err, errFileCorrupt):
		return "corrupt"
	}
	switch code(err) {
	case sqlite3.SQLITE_READONLY:
		return "read-only"
	case sqlite3.SQLITE_CORRUPT:
		return "corrupt"
	case sqlite3.SQLITE_NOTADB:
		return "not a database"
	case sqlite3.SQLITE_CANTOPEN:
		return "cannot be opened"
	case sqlite3.SQLITE_IOERR:
		return "I/O error"
	case sqlite3.SQLITE_FULL:
		return "disk full"
	}
	return "at fault"
}

// fault is what is known of one tenant file at fault.
type fault struct {
	cause   error
	wait    time.Duration // the current back-off
	retry   time.Time     // when the file is tried again
	probing bool          // an operation is trying it
}

// faults keeps the tenant files at fault, by tenant id.
type faults struct {
	mu sync.Mutex
	m  map[string]*fault
}

// enter is called before an operation on tenant id's file. While a fault
// of it is known and its back-off runs (or another operation is trying
// the file), it returns the fault's error at once. Once the back-off has
// run out, the first caller becomes the probe (probe is true) and goes on.
func (fs *faults) enter(id string) (probe bool, err error) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	f := fs.m[id]
	if f == nil {
		return false, nil
	}
	now := time.Now()
	if f.probing || now.Before(f.retry) {
		return false, &fileFault{tenant: id, cause: f.cause, retry: max(f.retry.Sub(now), faultRetry)}
	}
	f.probing = true
	return true, nil
}

// leave records the outcome err of an operation on tenant id's file, a
// probe or not, and returns the error to answer: a fault becomes (or stays)
// known, with a back-off twice the last when a probe found it again; a
// probe that reached the file (it answered, even "no such row") clears the
// fault; a probe that did not (busy, timed out) leaves the next operation
// to try again.
func (fs *faults) leave(id string, probe bool, err error) error {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	f := fs.m[id]
	switch {
	case isFileFault(err):
		if f == nil {
			f = &fault{wait: faultRetry}
			if fs.m == nil {
				fs.m = map[string]*fault{}
			}
			fs.m[id] = f
		} else if probe {
			f.wait = min(2*f.wait, faultRetryMax)
		}
		var ff *fileFault
		if errors.As(err, &ff) {
			err = ff.cause
		}
		f.cause, f.retry, f.probing = err, time.Now().Add(f.wait), false
		return &fileFault{tenant: id, cause: err, retry: f.wait}
	case !probe || f == nil:
		return err
	case err == nil || errors.Is(err, sql.ErrNoRows) || isUnique(err) || errors.Is(err, errNoTenant):
		delete(fs.m, id)
	default:
		f.probing = false
	}
	return err
}

// clear forgets tenant id's fault (its files are being deleted).
func (fs *faults) clear(id string) {
	fs.mu.Lock()
	delete(fs.m, id)
	fs.mu.Unlock()
}

// due returns the tenants at fault whose back-off has run out, for Ping
// to probe, and all the tenants at fault with the name of each fault.
func (fs *faults) due() (probe []string, known map[string]string) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	now := time.Now()
	known = map[string]string{}
	for id, f := range fs.m {
		if !f.probing && !now.Before(f.retry) {
			probe = append(probe, id)
		}
		known[id] = faultName(f.cause)
	}
	return probe, known
}

// maxNamed bounds how many tenants at fault /readyz names.
const maxNamed = 20

// checkTenants probes the tenant files at fault whose back-off has run
// out (an integrity check of the whole file: after a fault, and only then,
// a file is read through once), and returns an Unavailable error naming
// the tenants still at fault, nil when there is none.
func (db *DB) checkTenants(ctx context.Context) error {
	probe, _ := db.faults.due()
	for _, id := range probe {
		_ = db.inTenant(ctx, id, integrity)
	}
	_, known := db.faults.due()
	if len(known) == 0 {
		return nil
	}
	ids := slices.Sorted(maps.Keys(known))
	names := make([]string, 0, min(len(ids), maxNamed))
	for _, id := range ids[:min(len(ids), maxNamed)] {
		names = append(names, id+" ("+known[id]+")")
	}
	more := ""
	if len(ids) > maxNamed {
		more = fmt.Sprintf(" and %d more", len(ids)-maxNamed)
	}
	return &errs.Error{Code: errs.Unavailable, RetryAfter: faultRetry, Fields: map[string]string{
		"store":   "The files of some tenants are at fault; the other tenants are served.",
		"tenants": strings.Join(names, ", ") + more}}
}

// integrity runs SQLite's quick check on f: errFileCorrupt unless it
// finds the file sound.
func integrity(ctx context.Context, f *file) error {
	var res string
	if err := f.db.QueryRowContext(ctx, "PRAGMA quick_check(1)").Scan(&res); err != nil {
		return err
	}
	if res != "ok" {
		return errFileCorrupt
	}
	return nil
}

// missing decides what a tenant file absent from its path is: no tenant
// (errNoTenant) when the registry has none by that id or has one still
// being created, whose file is not made yet; otherwise a fault
// (errFileMissing), never a reason to make a new, empty file.
func (db *DB) missing(ctx context.Context, id string) error {
	var t tenants.Tenant
	err := db.inControl(ctx, func(ctx context.Context, f *file) error {
		return scanTenant(f.row(keyed(ctx), qTenantByID, id), &t)
	})
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return errNoTenant
	case err != nil:
		return err
	case t.Status == tenants.Creating:
		return errNoTenant
	}
	return errFileMissing
}

// stillAt reports whether the file at path is still the one h opened:
// not removed, not replaced.
func stillAt(h *handle) error {
	info, err := os.Stat(h.path)
	if err != nil || !os.SameFile(info, h.info) {
		return errFileReplaced
	}
	return nil
}
