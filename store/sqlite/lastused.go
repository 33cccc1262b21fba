package sqlite

import (
	"context"
	"fmt"

	"github.com/latchkey/latchkey/internal/lastused"
)

// lastUsedBatch is how many token updates one write transaction of a
// flush holds: few enough to keep the file's write lock short.
const lastUsedBatch = 256

// lastUsedSQL is the update of each collection a flush may name.
var lastUsedSQL = map[string]string{
	"app_tokens": qAppTokenLastUsed,
	"tokens":     qTokenLastUsed,
}

// Write implements lastused.Writer: for each use, last_used becomes the
// later of itself and the use's time (two instances flushing one token, or
// a slow flush overtaken by a newer one, keep the later time). A token
// deleted meanwhile matches nothing and is skipped; a tenant deleted
// meanwhile has no file, which is no error and is not made again. The uses
// are written lastUsedBatch to a transaction. Errors: Unavailable when the
// store does not answer; others are internal.
func (s lastUsedStore) Write(ctx context.Context, tenantID, collection string, uses []lastused.Use) error {
	q, ok := lastUsedSQL[collection]
	if !ok {
		return fmt.Errorf("sqlite: write last_used: no collection %q", collection)
	}
	for start := 0; start < len(uses); start += lastUsedBatch {
		batch := uses[start:min(start+lastUsedBatch, len(uses))]
		err := s.db.writeTenant(ctx, tenantID, func(ctx context.Context, f *file) error {
			return writeLastUsed(ctx, f, q, batch)
		})
		if err = emptyIfGone(err); err != nil {
			return s.db.fail(fmt.Sprintf("write last_used of %s in tenant %s", collection, tenantID), err, nil)
		}
	}
	return nil
}

// writeLastUsed runs q for each of uses in one transaction.
func writeLastUsed(ctx context.Context, f *file, q string, uses []lastused.Use) error {
	st, err := f.stmt(ctx, q)
	if err != nil {
		return err
	}
	tx, err := f.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	txst := tx.StmtContext(ctx, st)
	for _, u := range uses {
		if _, err := txst.ExecContext(ctx, u.At.UnixMilli(), idArg(u.ID)); err != nil {
			return err
		}
	}
	return tx.Commit()
}
