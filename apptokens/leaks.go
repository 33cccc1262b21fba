package apptokens

import (
	"context"

	"github.com/latchkey/latchkey/internal/clock"
	"github.com/latchkey/latchkey/internal/ended"
	"github.com/latchkey/latchkey/internal/secret"
)

// ExpireLeaked expires now the app token whose string raw (parsed as tok)
// a secret scanner found in public, and reports whether it was live until
// then. A leaked token dies even when it is its tenant's last live app
// token: a platform owner can mint the tenant a new one. Errors: NotFound
// (no such token, or the string's hash differs), Unavailable.
func (s *Service) ExpireLeaked(ctx context.Context, tok secret.Token, raw string) (*Token, bool, error) {
	t, err := s.FindByRef(ctx, tok.TenantID, secret.RefOf(tok, raw))
	if err != nil {
		return nil, false, err
	}
	now := clock.Stored(s.Now())
	if !now.Before(t.Expires) {
		return t, false, nil
	}
	c := ended.Change{Expires: now, Now: now, By: ended.Leak}
	if err := s.Store.SetExpires(ctx, tok.TenantID, t.ID, c, Force); err != nil {
		return nil, false, err
	}
	t.apply(c)
	s.Invalidate(tok.TenantID)
	return t, true, nil
}
