package usertokens

import (
	"context"

	"github.com/latchkey/latchkey/internal/clock"
	"github.com/latchkey/latchkey/internal/ended"
	"github.com/latchkey/latchkey/internal/errs"
	"github.com/latchkey/latchkey/internal/secret"
)

// ExpireLeaked expires now the user or refresh token whose string raw
// (parsed as tok) a secret scanner found in public, and reports whether
// that string was live until then. A user token ends together with its
// refresh token. A refresh token ends its whole refresh chain: whoever
// found it may have traded it for a newer session already. Errors: NotFound
// (no such token, or the string's hash differs), Unavailable.
func (s *Service) ExpireLeaked(ctx context.Context, tok secret.Token, raw string) (*Token, bool, error) {
	ref := secret.RefOf(tok, raw)
	find := s.FindByRef
	if tok.Kind == secret.Refresh {
		find = s.findByRefresh
	}
	t, err := find(ctx, tok.TenantID, ref)
	if err != nil {
		return nil, false, err
	}
	now := clock.Stored(s.Now())
	live := now.Before(t.Expires)
	if tok.Kind == secret.Refresh {
		live = t.RefreshExpires != nil && now.Before(*t.RefreshExpires)
	}
	if tok.Kind == secret.Refresh && t.Chain != nil { // every login token has a chain
		_, err = s.expire(ctx, tok.TenantID, Selector{Chain: t.Chain}, ended.Leak)
	} else {
		err = s.Store.SetExpires(ctx, tok.TenantID, t.ID, ended.Change{Expires: now, Now: now, By: ended.Leak})
		if errs.Is(err, errs.NotFound) {
			err = nil // deleted meanwhile: nothing left to expire
		}
		s.Invalidate(tok.TenantID)
	}
	if err != nil {
		return nil, false, err
	}
	return t, live, nil
}
