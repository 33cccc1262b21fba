package sqlite

import (
	"context"
	"time"

	"github.com/latchkey/latchkey/apptokens"
	"github.com/latchkey/latchkey/internal/ended"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/page"
	"github.com/latchkey/latchkey/internal/ratelimit"
)

// Insert implements apptokens.Store.
func (s appTokenStore) Insert(ctx context.Context, tenantID string, t *apptokens.Token) error {
	_, err := s.db.execIn(ctx, tenantID, qAppTokenInsert, idArg(t.ID), t.Hash, t.Name, t.Created.UnixMilli(),
		optID(t.CreatedBy), t.Expires.UnixMilli(), optTime(t.LastUsed), string(t.EndedBy),
		policyLimit(t.RateLimit), policySeconds(t.RateLimit), scopesArg(t.Scopes), t.ExternalID, t.Meta, t.Last)
	return s.db.fail("insert app token", err, nil)
}

func scanAppToken(sc scanner, t *apptokens.Token) error {
	var rl policyCols
	err := sc.Scan(idCol{&t.ID}, &t.Hash, &t.Name, timeCol{&t.Created}, optIDCol{&t.CreatedBy},
		timeCol{&t.Expires}, optTimeCol{&t.LastUsed}, (*string)(&t.EndedBy), &rl.limit, &rl.seconds,
		scopesCol{&t.Scopes}, &t.ExternalID, &t.Meta, &t.Last)
	t.RateLimit = rl.policy()
	return err
}

// SetRateLimit implements apptokens.Store: one UPDATE that applies only to
// a live token.
func (s appTokenStore) SetRateLimit(ctx context.Context, tenantID string, id ids.ID, p *ratelimit.Policy, now time.Time) error {
	n, err := s.db.execIn(ctx, tenantID, qAppTokenRateLimit, policyLimit(p), policySeconds(p), idArg(id), now.UnixMilli())
	if err != nil || n > 0 {
		return s.db.changed("set app token rate limit", n, err, apptokens.ErrNotFound)
	}
	if _, err := s.FindByID(ctx, tenantID, id); err != nil {
		return err
	}
	return apptokens.ErrExpiredChange
}

// FindByID implements apptokens.Store.
func (s appTokenStore) FindByID(ctx context.Context, tenantID string, id ids.ID) (*apptokens.Token, error) {
	return findIn(ctx, s.db, tenantID, "find app token", qAppTokenByID, idArg(id), scanAppToken, apptokens.ErrNotFound)
}

// Find implements apptokens.Store.
func (s appTokenStore) Find(ctx context.Context, tenantID string, pg page.Page) ([]apptokens.Token, string, error) {
	after, err := pg.AfterID()
	if err != nil {
		return nil, "", err
	}
	limit := pg.Size()
	q, args := qAppTokenFirst, []any{limit + 1}
	if after != nil {
		q, args = qAppTokenAfter, []any{idArg(*after), limit + 1}
	}
	return pageIn(ctx, s.db, tenantID, "list app tokens", q, args, limit, scanAppToken,
		func(t *apptokens.Token) string { return t.ID.Hex() })
}

// SetExpires implements apptokens.Store: a re-dating is one UPDATE that
// applies only to a live token; an end is one UPDATE that, when guarded,
// also checks that another token stays live.
func (s appTokenStore) SetExpires(ctx context.Context, tenantID string, id ids.ID, c ended.Change, keep apptokens.KeepLive) error {
	if !c.Ends() {
		n, err := s.db.execIn(ctx, tenantID, qAppTokenRedate, c.Expires.UnixMilli(), idArg(id), c.Now.UnixMilli())
		if err != nil || n > 0 {
			return s.db.changed("re-date app token", n, err, apptokens.ErrNotFound)
		}
		if _, err := s.FindByID(ctx, tenantID, id); err != nil {
			return err
		}
		return apptokens.ErrExpired
	}
	q, args := qAppTokenEnd, []any{c.Expires.UnixMilli(), idArg(id), c.Now.UnixMilli(), string(c.By)}
	if keep.Guards() {
		q, args = qAppTokenEndKeep, append(args, keep.At.UnixMilli())
	}
	n, err := s.db.execIn(ctx, tenantID, q, args...)
	return s.guarded(ctx, tenantID, "end app token", id, keep, n, err)
}

// Delete implements apptokens.Store.
func (s appTokenStore) Delete(ctx context.Context, tenantID string, id ids.ID, keep apptokens.KeepLive) error {
	q, args := qAppTokenDelete, []any{idArg(id)}
	if keep.Guards() {
		q, args = qAppTokenDeleteKeep, append(args, keep.At.UnixMilli())
	}
	n, err := s.db.execIn(ctx, tenantID, q, args...)
	return s.guarded(ctx, tenantID, "delete app token", id, keep, n, err)
}

// guarded answers a change of token id that changed n rows: when a guarded
// change changed nothing, either the token is missing (NotFound) or keep
// refused it (ErrLastLive).
func (s appTokenStore) guarded(ctx context.Context, tenantID, op string, id ids.ID, keep apptokens.KeepLive, n int64, err error) error {
	if err != nil || n > 0 || !keep.Guards() {
		return s.db.changed(op, n, err, apptokens.ErrNotFound)
	}
	if _, err := s.FindByID(ctx, tenantID, id); err != nil {
		return err
	}
	return apptokens.ErrLastLive
}

// PurgeExpired implements apptokens.Store.
func (s appTokenStore) PurgeExpired(ctx context.Context, tenantID string, cutoff time.Time) (int64, error) {
	return s.db.purge(ctx, tenantID, "purge app tokens", qAppTokenPurge, cutoff)
}

// Change implements apptokens.Store: one UPDATE of a live token.
func (s appTokenStore) Change(ctx context.Context, tenantID string, id ids.ID, d apptokens.Details, now time.Time) error {
	var scopes any
	if d.Scopes != nil {
		scopes = scopesArg(*d.Scopes)
	}
	n, err := s.db.execIn(ctx, tenantID, qAppTokenChange, optString(d.Name), scopes, optString(d.ExternalID),
		optString(d.Meta), idArg(id), now.UnixMilli(), d.Scopes != nil)
	if err != nil || n > 0 {
		return s.db.changed("change app token", n, err, apptokens.ErrNotFound)
	}
	if _, err := s.FindByID(ctx, tenantID, id); err != nil {
		return err
	}
	return apptokens.ErrExpiredChange
}

// optString is s, or NULL when nil.
func optString(s *string) any {
	if s == nil {
		return nil
	}
	return *s
}
