package usertokens

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/latchkey/latchkey/internal/mongostore"
	"github.com/latchkey/latchkey/internal/secret"
)

// ExpireLeaked expires now the user or refresh token whose string raw
// (parsed as tok) a secret scanner found in public, and reports whether
// that string was live until then. A user token ends together with its
// refresh token. A refresh token ends its whole refresh chain: whoever
// found it may have traded it for a newer session already. Errors: NotFound
// (no such token, or the string's hash differs), Unavailable.
func (s *Service) ExpireLeaked(ctx context.Context, tok secret.Token, raw string) (*Token, bool, error) {
	db := s.Tenants.DB(tok.TenantID)
	ref := secret.RefOf(tok, raw)
	find := s.Store.FindByRef
	if tok.Kind == secret.Refresh {
		find = s.Store.FindByRefresh
	}
	t, err := find(ctx, db, ref)
	if err != nil {
		return nil, false, err
	}
	now := mongostore.Time(s.Now())
	live := now.Before(t.Expires)
	q := bson.D{{Key: "_id", Value: t.ID}}
	if tok.Kind == secret.Refresh {
		live = t.RefreshExpires != nil && now.Before(*t.RefreshExpires)
		if t.Chain != nil {
			q = bson.D{{Key: "chain", Value: *t.Chain}}
		}
	}
	_, err = s.Store.ExpireWhere(ctx, db, q, now)
	s.Invalidate(tok.TenantID)
	if err != nil {
		return nil, false, err
	}
	return t, live, nil
}
