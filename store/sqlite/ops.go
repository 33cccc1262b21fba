package sqlite

import (
	"context"
	"time"

	"github.com/latchkey/latchkey/internal/errs"
)

// The shapes of operation every tenant store is made of, each one or a
// few statements in tenant's file (see inTenant).

// keyed returns the context for a statement by key (a lookup, insert,
// update or delete of rows named by an index): ctx without its
// cancellation. Such a statement is bounded by its index (plan_test.go)
// and any wait for a lock by the busy timeout, while a cancellable context
// costs the driver a goroutine, a progress handler and a busy handler of
// its own on every statement, and database/sql a goroutine per row read:
// measured, 40% of a token lookup's CPU time. An operation whose context
// has ended does not start (inTenant).
func keyed(ctx context.Context) context.Context { return context.WithoutCancel(ctx) }

// execIn runs q in tenant's file and returns how many rows it changed.
func (db *DB) execIn(ctx context.Context, tenantID, q string, args ...any) (int64, error) {
	var n int64
	err := db.writeTenant(ctx, tenantID, func(ctx context.Context, f *file) (err error) {
		n, err = f.exec(keyed(ctx), q, args...)
		return err
	})
	return n, err
}

// findIn reads the row of q in tenant's file with scan. Errors: notFound
// (no row, or no file), Unavailable.
func findIn[T any](ctx context.Context, db *DB, tenantID, op, q string, key any, scan func(scanner, *T) error,
	notFound *errs.Error) (*T, error) {
	var v T
	err := db.inTenant(ctx, tenantID, func(ctx context.Context, f *file) error {
		return scan(f.row(keyed(ctx), q, key), &v)
	})
	if err != nil {
		return nil, db.fail(op, err, notFound)
	}
	return &v, nil
}

// existsIn reports whether q finds a row in tenant's file; a tenant
// without a file has none. Errors: Unavailable.
func (db *DB) existsIn(ctx context.Context, tenantID, op, q string, args ...any) (bool, error) {
	var found bool
	err := db.inTenant(ctx, tenantID, func(ctx context.Context, f *file) error {
		var one int
		var err error
		found, err = exists(f.row(keyed(ctx), q, args...).Scan(&one))
		return err
	})
	return found, db.fail(op, emptyIfGone(err), nil)
}

// pageIn reads a page of items from tenant's file: q, with args ending in
// the LIMIT limit+1, and scan. It returns up to limit items and the next
// page's cursor (key of the last item), "" on the last page. A tenant
// without a file lists nothing. Errors: Unavailable.
func pageIn[T any](ctx context.Context, db *DB, tenantID, op, q string, args []any, limit int,
	scan func(scanner, *T) error, key func(*T) string) ([]T, string, error) {
	var list []T
	err := db.inTenant(ctx, tenantID, func(ctx context.Context, f *file) error {
		rows, err := f.query(ctx, q, args...)
		if err != nil {
			return err
		}
		list, err = collect(rows, scan)
		return err
	})
	if err = emptyIfGone(err); err != nil {
		return nil, "", db.fail(op, err, nil)
	}
	list, next := pageOf(list, limit, key)
	return list, next, nil
}

// purgeBatch is how many rows one statement of a purge deletes: each batch
// is a short write transaction of its own, so a large purge never holds
// the file's write lock for long.
const purgeBatch = 500

// purge runs q (a delete of up to ?2 rows that expired before ?1) in
// tenant's file until it deletes less than a batch, and returns how many
// rows it deleted. Each batch has the operation timeout to itself. A tenant
// without a file has nothing to purge. Errors: Unavailable.
func (db *DB) purge(ctx context.Context, tenantID, op, q string, cutoff time.Time) (int64, error) {
	var total int64
	for {
		n, err := db.execIn(ctx, tenantID, q, cutoff.UnixMilli(), purgeBatch)
		total += n
		if err != nil {
			return total, db.fail(op, emptyIfGone(err), nil)
		}
		if n < purgeBatch {
			return total, nil
		}
	}
}
