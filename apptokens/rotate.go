package apptokens

import (
	"context"
	"time"

	"github.com/latchkey/latchkey/internal/clock"
	"github.com/latchkey/latchkey/internal/ended"
	"github.com/latchkey/latchkey/internal/errs"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/secret"
	"github.com/latchkey/latchkey/tenants"
)

// Grace bounds of a rotation: how long the old token keeps
// working after its successor is made.
const (
	DefaultGrace = 86400
	MaxGrace     = 604800
)

// Rotate makes the successor of the app token ref, which carries its
// fields (see carry) and names it in RotatedFrom, and ends the old token
// grace seconds from now (0: at once; never later than it expires
// already). The successor lives as long as the old token was made to
// live (its expiry minus its creation, within the tenant maximum), from
// now: a rotation never grants a longer life. Both stand or neither (see
// Store.Rotate); the cache of this instance forgets the tenant's
// credentials. It returns the old token as changed, the successor and
// the successor's secret, which is never available again. Errors: Invalid
// (malformed ref, grace out of bounds), NotFound, Conflict
// (ErrRotateExpired, ErrRotated), Unavailable.
func (s *Service) Rotate(ctx context.Context, t *tenants.Tenant, ref string, grace int64, by ids.ID) (old, next *Token, plain string, err error) {
	if grace < 0 || grace > MaxGrace {
		return nil, nil, "", errs.E(errs.Invalid, "grace_seconds", "Must be between 0 and 604800 seconds.")
	}
	old, err = s.Get(ctx, t.ID, ref)
	if err != nil {
		return nil, nil, "", err
	}
	now := clock.Stored(s.Now())
	if !old.Live(now) {
		return nil, nil, "", ErrRotateExpired
	}
	id := ids.New()
	plain = s.Keys.NewToken(secret.App, t.ID, id)
	next = &Token{ID: id, Hash: secret.Hash(plain), Last: secret.Last(plain), Created: now, CreatedBy: &by, RotatedFrom: &old.ID,
		Expires: now.Add(min(max(old.Expires.Sub(old.Created), time.Second), maxLife))}
	carry(next, old)
	c := ended.Change{Expires: now.Add(time.Duration(grace) * time.Second), Now: now, By: ended.Rotation}
	if err := s.Store.Rotate(ctx, t.ID, next, c); err != nil {
		return nil, nil, "", err
	}
	s.Invalidate(t.ID)
	if c.Expires.Before(old.Expires) {
		old.Expires = c.Expires
	}
	old.EndedBy = ended.Rotation
	return old, next, plain, nil
}

// maxLife is the longest life an app token may be given.
const maxLife = time.Duration(tenants.MaxAppTokenTTL) * time.Second

// carry copies onto next, the successor of old, what a rotation keeps:
// its name, scopes, rate limit and metadata, one line per field.
func carry(next, old *Token) {
	next.Name = old.Name
	next.Scopes = old.Scopes
	next.RateLimit = old.RateLimit
	next.ExternalID = old.ExternalID
	next.Meta = old.Meta
}
