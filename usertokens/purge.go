package usertokens

import (
	"context"
	"time"

	"github.com/latchkey/latchkey/internal/clock"
)

// Purged counts what a purge deleted from one tenant.
type Purged struct {
	Tokens int64 // user tokens
	Claims int64 // lockout claims and locks
}

// Purge deletes, from tenant's database, the user tokens whose token and
// refresh token both expired before cutoff (now minus tokens.retention),
// and the lockout claims and locks whose window is over. Claims are not
// kept for retention: they record nothing but a count that no longer
// matters (MongoDB's TTL index deletes them at the same moment). Errors: Unavailable.
func (s *Service) Purge(ctx context.Context, tenantID string, cutoff time.Time) (Purged, error) {
	var p Purged
	var err error
	if p.Tokens, err = s.Store.PurgeExpired(ctx, tenantID, cutoff); err != nil {
		return p, err
	}
	p.Claims, err = s.Claims.PurgeClaims(ctx, tenantID, clock.Stored(s.Now()))
	return p, err
}
