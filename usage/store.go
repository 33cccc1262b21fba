package usage

import (
	"context"
	"time"

	"github.com/latchkey/latchkey/internal/ids"
)

// Writer writes a flush of one tenant. Rows are applied all or nothing, or
// so that writing the same rows again changes nothing (Row), so a flush
// that failed is retried whole. A tenant deleted meanwhile is skipped and
// not made again. Errors: Unavailable.
type Writer interface {
	Add(ctx context.Context, tenantID string, rows []Row) error
}

// Store keeps the buckets of every tenant database. The engines
// (store/sqlite, store/mongo) implement it; every call names the tenant.
type Store interface {
	Writer
	// Hours returns app token id's buckets that start in [since, until),
	// each summed over the instances that wrote it, by start. Hours
	// nothing was counted in are absent. Errors: Unavailable.
	Hours(ctx context.Context, tenantID string, id ids.ID, since, until time.Time) ([]Bucket, error)
	// Totals returns, for each app token with a bucket that starts in
	// [since, until), the sum of those buckets, in no particular order.
	// Errors: Unavailable.
	Totals(ctx context.Context, tenantID string, since, until time.Time) ([]TokenCounts, error)
	// Purge deletes the buckets that started before cutoff and returns
	// how many records it deleted. Errors: Unavailable.
	Purge(ctx context.Context, tenantID string, cutoff time.Time) (int64, error)
}
