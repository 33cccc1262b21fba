package usertokens

import (
	"context"
	"time"

	"github.com/latchkey/latchkey/internal/access"
	"github.com/latchkey/latchkey/internal/clock"
	"github.com/latchkey/latchkey/internal/ended"
	"github.com/latchkey/latchkey/internal/errs"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/secret"
)

// Grace bounds of a rotation, as for app tokens.
const (
	DefaultGrace = 86400
	MaxGrace     = 604800
)

var (
	errRotateKind = errs.E(errs.Conflict, "token", "Only personal tokens rotate; log in again, or issue a new token.")
	errRotateUser = errs.E(errs.Forbidden, "token", "Only the token's own user may rotate a personal token.")
)

// Rotate makes the successor of the personal token ref: a personal token
// of the same user, made through p's app token, that carries the old
// token's fields (see carry), lives as long as the old one was made to
// live (within the tenant's max_token_ttl) and names it in RotatedFrom.
// The old token ends grace seconds from now (0: at once; never later than
// it expires already). Only the token's own user may rotate it: a
// rotation mints a credential for that user, which nobody else may hold;
// and a request made with an OBO token makes no credential. Both stand or
// neither (see Store.Rotate). It returns the old token as changed, the
// successor and its secret, which is never available again. Errors:
// Invalid (malformed ref, grace out of bounds), Forbidden, NotFound,
// Conflict (not personal, ErrRotateExpired, ErrRotated), Unavailable.
func (s *Service) Rotate(ctx context.Context, p *access.Principal, ref string, grace int64) (old, next *Token, plain string, err error) {
	if err := p.CheckMakeCredential(); err != nil {
		return nil, nil, "", err
	}
	if grace < 0 || grace > MaxGrace {
		return nil, nil, "", errs.E(errs.Invalid, "grace_seconds", "Must be between 0 and 604800 seconds.")
	}
	t, err := s.Tenants.FindByID(ctx, p.TenantID)
	if err != nil {
		return nil, nil, "", err
	}
	old, err = s.Get(ctx, p, ref)
	if err != nil {
		return nil, nil, "", err
	}
	if old.UserID != p.UserID {
		return nil, nil, "", errRotateUser
	}
	if old.Kind != Personal {
		return nil, nil, "", errRotateKind
	}
	now := clock.Stored(s.Now())
	if !old.Live(now) {
		return nil, nil, "", ErrRotateExpired
	}
	life := min(max(old.Expires.Sub(old.Created), time.Second), time.Duration(t.Settings.MaxTokenTTL)*time.Second)
	id := ids.New()
	plain = s.Keys.NewToken(secret.User, t.ID, id)
	next = &Token{ID: id, Hash: secret.Hash(plain), Last: secret.Last(plain), Kind: Personal, UserID: p.UserID, AppTokenID: p.AppTokenID,
		Created: now, Expires: now.Add(life), RotatedFrom: &old.ID}
	carry(next, old)
	c := ended.Change{Expires: now.Add(time.Duration(grace) * time.Second), Now: now, By: ended.Rotation}
	if err := s.Store.Rotate(ctx, t.ID, next, c); err != nil {
		return nil, nil, "", err
	}
	s.Invalidate(p.TenantID)
	if c.Expires.Before(old.Expires) {
		old.Expires = c.Expires
	}
	old.EndedBy = ended.Rotation
	return old, next, plain, nil
}

// carry copies onto next, the successor of old, what a rotation keeps:
// one line per field (the scopes join here).
func carry(next, old *Token) {
	next.Name = old.Name
	next.Scopes = old.Scopes
}
