package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/latchkey/latchkey/internal/errs"
	"github.com/latchkey/latchkey/tenants"
)

// Errors of the engine's own making, before translation.
var (
	errNoTenant = errors.New("sqlite: no such tenant file")
	errClosed   = errors.New("sqlite: store closed")
)

// Messages of translated errors.
const (
	msgUnavailable = "The store is unavailable. Try again shortly."
	msgConflict    = "Already exists."
	msgNotFound    = "Not found."
)

// coded returns err as an error of code, with field's message.
func coded(code errs.Code, field, msg string, err error) *errs.Error {
	return &errs.Error{Code: code, Fields: map[string]string{field: msg}, Cause: err}
}

// fail turns an error of operation op into Latchkey's codes: no rows and a
// missing tenant file become notFound (a missing file tenants.ErrNotFound
// when notFound is nil; no rows a NotFound without a domain), a unique or
// primary-key violation Conflict, a tenant file at fault (with the
// Retry-After of its back-off), a busy or locked file, an interrupted
// statement, an ended context, a full disk, an I/O error, a read-only,
// corrupt or foreign file or a closed store Unavailable, each by SQLite's
// result code. Anything else stays internal, wrapped with op.
func (db *DB) fail(op string, err error, notFound *errs.Error) error {
	if err == nil {
		return nil
	}
	// A fault first: its cause may be an error translated already (the
	// file failed to open), without the fault's Retry-After.
	if ff := (*fileFault)(nil); errors.As(err, &ff) {
		e := coded(errs.Unavailable, "store", msgUnavailable, fmt.Errorf("%s: %w", op, err))
		e.RetryAfter = ff.retry
		return e
	}
	if _, ok := errs.As(err); ok {
		return err
	}
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if notFound != nil {
			return notFound
		}
		return coded(errs.NotFound, "id", msgNotFound, fmt.Errorf("%s: %w", op, err))
	case errors.Is(err, errNoTenant):
		if notFound != nil {
			return notFound
		}
		return tenants.ErrNotFound
	case isUnique(err):
		return coded(errs.Conflict, "id", msgConflict, fmt.Errorf("%s: %w", op, err))
	case db.unavailable(err):
		return coded(errs.Unavailable, "store", msgUnavailable, fmt.Errorf("%s: %w", op, err))
	default:
		return fmt.Errorf("sqlite: %s: %w", op, err)
	}
}

// code returns the primary SQLite result code of err, 0 if it has none.
func code(err error) int {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return 0
	}
	return se.Code() & 0xff
}

// isUnique reports whether err is a UNIQUE or PRIMARY KEY violation.
func isUnique(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}

// unavailable reports whether err means the store cannot answer now,
// rather than that the request or the code is wrong.
func (db *DB) unavailable(err error) bool {
	switch code(err) {
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_INTERRUPT, sqlite3.SQLITE_FULL,
		sqlite3.SQLITE_IOERR, sqlite3.SQLITE_PROTOCOL, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_NOMEM,
		sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB:
		return true
	}
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) ||
		errors.Is(err, errClosed) || errors.Is(err, sql.ErrConnDone) || db.closed.Load()
}

// emptyIfGone turns a missing tenant file into no error, for the reads and
// clean-ups of a tenant that has none: a deleted tenant reads as an empty
// one, as a dropped MongoDB database does.
func emptyIfGone(err error) error {
	if errors.Is(err, errNoTenant) {
		return nil
	}
	return err
}

// gone reports whether err is SQLite failing to open the file at path
// because it no longer exists.
func gone(err error, path string) bool {
	if code(err) != sqlite3.SQLITE_CANTOPEN {
		return false
	}
	_, serr := os.Stat(path)
	return errors.Is(serr, os.ErrNotExist)
}

// changed turns an update's or delete's count of changed rows into
// notFound when it is 0 (and a missing tenant file into notFound too).
func (db *DB) changed(op string, n int64, err error, notFound *errs.Error) error {
	if err != nil {
		return db.fail(op, err, notFound)
	}
	if n == 0 {
		return notFound
	}
	return nil
}

// exists turns the error of a one-row read into whether it found the row.
func exists(err error) (bool, error) {
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, sql.ErrNoRows):
		return false, nil
	default:
		return false, err
	}
}
