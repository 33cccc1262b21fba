package sqlite

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/usage"
)

// usageStore keeps the usage buckets: a row per app token and hour, to
// which every instance adds its counts (qUsageAdd: one atomic upsert).
type usageStore struct{ db *DB }

// The usage queries, their outcome columns named by usage.OutcomeNames.
var (
	// qUsageAdd adds counts to bucket (?1 token, ?2 start).
	qUsageAdd = `INSERT INTO usage (app_token_id, start, ` + usageCols("") + `) VALUES (?1, ?2, ` + usageArgs(3) + `)
		ON CONFLICT (app_token_id, start) DO UPDATE SET ` + usageSums()
	// qUsageHours reads token ?1's buckets that start in [?2, ?3).
	qUsageHours = `SELECT start, ` + usageCols("") + ` FROM usage
		WHERE app_token_id = ?1 AND start >= ?2 AND start < ?3 ORDER BY start`
	// qUsageTotals sums each token's buckets that start in [?1, ?2).
	qUsageTotals = `SELECT app_token_id, ` + usageCols("sum") + ` FROM usage
		WHERE start >= ?1 AND start < ?2 GROUP BY app_token_id`
	// qUsagePurge deletes up to ?2 buckets that started before ?1.
	qUsagePurge = `DELETE FROM usage WHERE (app_token_id, start) IN
		(SELECT app_token_id, start FROM usage WHERE start < ?1 LIMIT ?2)`
)

// usageCols lists the outcome columns, each inside fn( ) when fn is set.
func usageCols(fn string) string {
	cols := make([]string, len(usage.OutcomeNames))
	for i, n := range usage.OutcomeNames {
		cols[i] = n
		if fn != "" {
			cols[i] = fn + "(" + n + ")"
		}
	}
	return strings.Join(cols, ", ")
}

// usageArgs lists the parameters of the outcome columns from ?first on.
func usageArgs(first int) string {
	args := make([]string, len(usage.OutcomeNames))
	for i := range args {
		args[i] = "?" + strconv.Itoa(first+i)
	}
	return strings.Join(args, ", ")
}

// usageSums is the SET of qUsageAdd: each column plus the new row's.
func usageSums() string {
	sets := make([]string, len(usage.OutcomeNames))
	for i, n := range usage.OutcomeNames {
		sets[i] = n + " = " + n + " + excluded." + n
	}
	return strings.Join(sets, ", ")
}

// Add implements usage.Writer: each row's Delta is added to its bucket,
// all rows in one transaction (all or nothing). A tenant deleted meanwhile
// has no file, which is no error and is not made again. Errors:
// Unavailable.
func (s usageStore) Add(ctx context.Context, tenantID string, rows []usage.Row) error {
	err := s.db.writeTenant(ctx, tenantID, func(ctx context.Context, f *file) error {
		st, err := f.stmt(ctx, qUsageAdd)
		if err != nil {
			return err
		}
		tx, err := f.db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer func() { _ = tx.Rollback() }()
		txst := tx.StmtContext(ctx, st)
		args := make([]any, 2+len(usage.OutcomeNames))
		for _, r := range rows {
			args[0], args[1] = idArg(r.AppTokenID), r.Start.UnixMilli()
			for i, n := range r.Delta {
				args[2+i] = n
			}
			if _, err := txst.ExecContext(ctx, args...); err != nil {
				return err
			}
		}
		return tx.Commit()
	})
	return s.db.fail("add usage in tenant "+tenantID, emptyIfGone(err), nil)
}

// scanCounts returns the destinations of the outcome columns of c.
func scanCounts(c *usage.Counts) []any {
	dst := make([]any, len(c))
	for i := range c {
		dst[i] = &c[i]
	}
	return dst
}

// Hours implements usage.Store.
func (s usageStore) Hours(ctx context.Context, tenantID string, id ids.ID, since, until time.Time) ([]usage.Bucket, error) {
	var list []usage.Bucket
	err := s.db.inTenant(ctx, tenantID, func(ctx context.Context, f *file) error {
		rows, err := f.query(ctx, qUsageHours, idArg(id), since.UnixMilli(), until.UnixMilli())
		if err != nil {
			return err
		}
		list, err = collect(rows, func(sc scanner, b *usage.Bucket) error {
			var start int64
			if err := sc.Scan(append([]any{&start}, scanCounts(&b.Counts)...)...); err != nil {
				return err
			}
			b.Start = time.UnixMilli(start).UTC()
			return nil
		})
		return err
	})
	if err = emptyIfGone(err); err != nil {
		return nil, s.db.fail("read usage", err, nil)
	}
	return list, nil
}

// Totals implements usage.Store.
func (s usageStore) Totals(ctx context.Context, tenantID string, since, until time.Time) ([]usage.TokenCounts, error) {
	var list []usage.TokenCounts
	err := s.db.inTenant(ctx, tenantID, func(ctx context.Context, f *file) error {
		rows, err := f.query(ctx, qUsageTotals, since.UnixMilli(), until.UnixMilli())
		if err != nil {
			return err
		}
		list, err = collect(rows, func(sc scanner, t *usage.TokenCounts) error {
			return sc.Scan(append([]any{idCol{&t.AppTokenID}}, scanCounts(&t.Counts)...)...)
		})
		return err
	})
	if err = emptyIfGone(err); err != nil {
		return nil, s.db.fail("sum usage", err, nil)
	}
	return list, nil
}

// Purge implements usage.Store.
func (s usageStore) Purge(ctx context.Context, tenantID string, cutoff time.Time) (int64, error) {
	return s.db.purge(ctx, tenantID, "purge usage", qUsagePurge, cutoff)
}
