package admin

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/latchkey/latchkey/internal/page"
)

// PurgeReport counts what a purge deleted, over every tenant.
type PurgeReport struct {
	Tenants   int   // tenants visited
	AppTokens int64 // expired app tokens
	Tokens    int64 // user tokens whose token and refresh token expired
	Claims    int64 // lockout claims and locks
}

// Purge deletes, in every tenant, the records that expired more than
// retention ago (tokens.retention): app tokens, user tokens whose refresh
// token expired too, and lockout claims. Expiry itself never depends on it:
// every read checks expiry, so a purge that is late or fails changes no
// answer. A tenant that fails does not stop the others; the errors come
// back joined. It works on the embedded store as on MongoDB (plain deletes,
// no TTL index needed).
func (a *App) Purge(ctx context.Context, retention time.Duration) (PurgeReport, error) {
	return a.purge(ctx, retention, page.MaxLimit)
}

// purge is Purge reading the tenants pageSize at a time.
func (a *App) purge(ctx context.Context, retention time.Duration, pageSize int) (PurgeReport, error) {
	var rep PurgeReport
	var errList []error
	cutoff := a.Tokens.Now().Add(-retention)
	pg := page.Page{Limit: pageSize}
	for {
		list, next, err := a.Tenants.Store.Find(ctx, pg)
		if err != nil {
			return rep, errors.Join(append(errList, fmt.Errorf("purge: list tenants: %w", err))...)
		}
		for _, t := range list {
			if err := ctx.Err(); err != nil {
				return rep, errors.Join(append(errList, err)...)
			}
			rep.Tenants++
			n, err := a.AppTokens.Store.PurgeExpired(ctx, t.ID, cutoff)
			rep.AppTokens += n
			if err != nil {
				errList = append(errList, fmt.Errorf("purge tenant %s app tokens: %w", t.ID, err))
			}
			p, err := a.Tokens.Purge(ctx, t.ID, cutoff)
			rep.Tokens, rep.Claims = rep.Tokens+p.Tokens, rep.Claims+p.Claims
			if err != nil {
				errList = append(errList, fmt.Errorf("purge tenant %s user tokens: %w", t.ID, err))
			}
		}
		if next == "" {
			return rep, errors.Join(errList...)
		}
		pg.Cursor = next
	}
}
