package admin

import (
	"context"
	"time"
)

// PurgePaged is Purge reading the tenants pageSize at a time (tests only).
func PurgePaged(a *App, ctx context.Context, retention time.Duration, pageSize int) (PurgeReport, error) {
	return a.purge(ctx, retention, pageSize)
}
