package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// purgeBatch is how many rows one statement of a purge deletes: each batch
// is a short write transaction of its own, so a large purge never holds
// the file's write lock for long.
const purgeBatch = 500

// purge runs q (a delete of up to ?2 rows that expired before ?1) in
// tenant's file until it deletes less than a batch, and returns how many
// rows it deleted. Each batch has the operation timeout to itself. A tenant
// without a file has nothing to purge.
func (db *DB) purge(ctx context.Context, tenantID, op, q string, cutoff time.Time) (int64, error) {
	var total int64
	for {
		var n int64
		err := db.inTenant(ctx, tenantID, func(ctx context.Context, f *file) (err error) {
			n, err = f.exec(ctx, q, cutoff.UnixMilli(), purgeBatch)
			return err
		})
		total += n
		if err != nil {
			return total, db.fail(op, emptyIfGone(err), nil)
		}
		if n < purgeBatch {
			return total, nil
		}
	}
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
