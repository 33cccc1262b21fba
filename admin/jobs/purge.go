// Package jobs is Latchkey's periodic work: a scheduler that runs jobs at
// intervals until it is stopped, and the purge of expired records. The
// composition root (admin) decides which jobs run; the last_used flush is
// one of them.
package jobs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/latchkey/latchkey/internal/page"
	"github.com/latchkey/latchkey/tenants"
	"github.com/latchkey/latchkey/usage"
	"github.com/latchkey/latchkey/usertokens"
)

// Report counts what a purge deleted, over every tenant.
type Report struct {
	Tenants   int   // tenants visited
	AppTokens int64 // expired app tokens
	Tokens    int64 // user tokens whose token and refresh token expired
	Claims    int64 // lockout claims and locks
	Usage     int64 // usage records of buckets older than usage.Retention
}

// TenantLister pages through every tenant.
type TenantLister interface {
	Find(ctx context.Context, p page.Page) ([]tenants.Tenant, string, error)
}

// AppTokenPurger deletes a tenant's app tokens that expired before cutoff.
type AppTokenPurger interface {
	PurgeExpired(ctx context.Context, tenantID string, cutoff time.Time) (int64, error)
}

// TokenPurger deletes a tenant's user tokens and lockout claims that ended
// before cutoff.
type TokenPurger interface {
	Purge(ctx context.Context, tenantID string, cutoff time.Time) (usertokens.Purged, error)
}

// UsagePurger deletes a tenant's usage buckets that started before cutoff.
type UsagePurger interface {
	Purge(ctx context.Context, tenantID string, cutoff time.Time) (int64, error)
}

// Purger deletes, in every tenant, the records that expired more than a
// retention ago (tokens.retention): app tokens, user tokens whose refresh
// token expired too, and lockout claims. Expiry itself never depends on it:
// every read checks expiry, so a purge that is late or fails changes no
// answer. It works on the embedded store as on MongoDB (plain deletes, no
// TTL index needed).
type Purger struct {
	Tenants   TenantLister
	AppTokens AppTokenPurger
	Tokens    TokenPurger
	// Usage, when set, also purges the usage buckets older than
	// usage.Retention (their own retention, not tokens.retention).
	Usage UsagePurger
	Now   func() time.Time
	// PageSize is how many tenants are read at a time; 0 means
	// page.MaxLimit.
	PageSize int
}

// Run purges what expired more than retention ago. A tenant that fails
// does not stop the others; the errors come back joined.
func (p *Purger) Run(ctx context.Context, retention time.Duration) (Report, error) {
	var rep Report
	var errList []error
	cutoff := p.Now().Add(-retention)
	usageCutoff := p.Now().Add(-usage.Retention)
	pg := page.Page{Limit: p.PageSize}
	if pg.Limit <= 0 {
		pg.Limit = page.MaxLimit
	}
	for {
		list, next, err := p.Tenants.Find(ctx, pg)
		if err != nil {
			return rep, errors.Join(append(errList, fmt.Errorf("purge: list tenants: %w", err))...)
		}
		for _, t := range list {
			if err := ctx.Err(); err != nil {
				return rep, errors.Join(append(errList, err)...)
			}
			rep.Tenants++
			n, err := p.AppTokens.PurgeExpired(ctx, t.ID, cutoff)
			rep.AppTokens += n
			if err != nil {
				errList = append(errList, fmt.Errorf("purge tenant %s app tokens: %w", t.ID, err))
			}
			u, err := p.Tokens.Purge(ctx, t.ID, cutoff)
			rep.Tokens, rep.Claims = rep.Tokens+u.Tokens, rep.Claims+u.Claims
			if err != nil {
				errList = append(errList, fmt.Errorf("purge tenant %s user tokens: %w", t.ID, err))
			}
			if p.Usage != nil {
				n, err := p.Usage.Purge(ctx, t.ID, usageCutoff)
				rep.Usage += n
				if err != nil {
					errList = append(errList, fmt.Errorf("purge tenant %s usage: %w", t.ID, err))
				}
			}
		}
		if next == "" {
			return rep, errors.Join(errList...)
		}
		pg.Cursor = next
	}
}
