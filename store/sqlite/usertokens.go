package sqlite

import (
	"context"
	"errors"
	"time"

	"github.com/latchkey/latchkey/internal/ended"
	"github.com/latchkey/latchkey/internal/errs"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/page"
	"github.com/latchkey/latchkey/usertokens"
)

// Insert implements usertokens.Store: the unique index on parent lets one
// insert per parent succeed; the others are Conflict.
func (s tokenStore) Insert(ctx context.Context, tenantID string, t *usertokens.Token) error {
	_, err := s.db.execIn(ctx, tenantID, qTokenInsert, tokenArgs(t)...)
	return s.db.fail("insert token", err, nil)
}

// tokenArgs are the arguments of qTokenInsert for t.
func tokenArgs(t *usertokens.Token) []any {
	return []any{idArg(t.ID), t.Hash, t.RefreshHash, optTime(t.RefreshExpires), t.Kind, idArg(t.UserID), optID(t.ActorID),
		idArg(t.AppTokenID), optID(t.Chain), optID(t.Parent), t.Name, t.Created.UnixMilli(), t.Expires.UnixMilli(),
		optTime(t.LastUsed), t.Lifetime, string(t.EndedBy), scopesArg(t.Scopes), t.Last, optID(t.RotatedFrom)}
}

func scanToken(sc scanner, t *usertokens.Token) error {
	return sc.Scan(idCol{&t.ID}, &t.Hash, &t.RefreshHash, optTimeCol{&t.RefreshExpires}, &t.Kind,
		idCol{&t.UserID}, optIDCol{&t.ActorID}, idCol{&t.AppTokenID}, optIDCol{&t.Chain}, optIDCol{&t.Parent},
		&t.Name, timeCol{&t.Created}, timeCol{&t.Expires}, optTimeCol{&t.LastUsed}, &t.Lifetime, (*string)(&t.EndedBy),
		scopesCol{&t.Scopes}, &t.Last, optIDCol{&t.RotatedFrom})
}

// FindByID implements usertokens.Store.
func (s tokenStore) FindByID(ctx context.Context, tenantID string, id ids.ID) (*usertokens.Token, error) {
	return findIn(ctx, s.db, tenantID, "find token", qTokenByID, idArg(id), scanToken, usertokens.ErrNotFound)
}

// HasChild implements usertokens.Store.
func (s tokenStore) HasChild(ctx context.Context, tenantID string, id ids.ID) (bool, error) {
	return s.db.existsIn(ctx, tenantID, "find child token", qTokenHasChild, idArg(id))
}

// Find implements usertokens.Store.
func (s tokenStore) Find(ctx context.Context, tenantID string, flt usertokens.Filter, now time.Time, pg page.Page) ([]usertokens.Token, string, error) {
	after, err := pg.AfterID()
	if err != nil {
		return nil, "", err
	}
	limit := pg.Size()
	q, args := tokenFindSQL(flt, now.UnixMilli(), after, limit+1)
	return pageIn(ctx, s.db, tenantID, "list tokens", q, args, limit, scanToken,
		func(t *usertokens.Token) string { return t.ID.Hex() })
}

// SetExpires implements usertokens.Store: a re-dating is one UPDATE that
// applies only to a live token, an end one UPDATE that only moves times
// back.
func (s tokenStore) SetExpires(ctx context.Context, tenantID string, id ids.ID, c ended.Change) error {
	if c.Ends() {
		n, err := s.db.execIn(ctx, tenantID, qTokenEnd, c.Expires.UnixMilli(), string(c.By), idArg(id))
		return s.db.changed("end token", n, err, usertokens.ErrNotFound)
	}
	n, err := s.db.execIn(ctx, tenantID, qTokenRedate, c.Expires.UnixMilli(), idArg(id), c.Now.UnixMilli())
	if err != nil || n > 0 {
		return s.db.changed("re-date token", n, err, usertokens.ErrNotFound)
	}
	tok, err := s.FindByID(ctx, tenantID, id)
	if err != nil {
		return err
	}
	if tok.Live(c.Now) {
		return usertokens.ErrInGrace
	}
	return usertokens.ErrExpired
}

// Rotate implements usertokens.Store in one transaction, as
// appTokenStore.Rotate.
func (s tokenStore) Rotate(ctx context.Context, tenantID string, next *usertokens.Token, c ended.Change) error {
	old := *next.RotatedFrom
	err := s.db.rotate(ctx, tenantID, qTokenRotateEnd, []any{c.Expires.UnixMilli(), idArg(old), c.Now.UnixMilli(), string(c.By)},
		qTokenInsert, tokenArgs(next), usertokens.ErrRotated)
	if errors.Is(err, errNotLive) {
		if _, err := s.FindByID(ctx, tenantID, old); err != nil {
			return err
		}
		return usertokens.ErrRotateExpired
	}
	return s.db.fail("rotate token", err, usertokens.ErrNotFound)
}

// Expire implements usertokens.Store: one UPDATE on the selector's index.
// Expiring only ever moves times back (min), so a concurrent run cannot
// undo it.
func (s tokenStore) Expire(ctx context.Context, tenantID string, sel usertokens.Selector, now time.Time, by ended.By) (int64, error) {
	var q string
	args := []any{now.UnixMilli(), string(by)}
	switch {
	case sel.User != nil:
		q = qTokenExpUser
		args = append(args, idArg(*sel.User), idArg(sel.Keep))
	case sel.Chain != nil:
		q = qTokenExpChain
		args = append(args, idArg(*sel.Chain))
	case sel.Actor != nil:
		q = qTokenExpActor
		args = append(args, idArg(*sel.Actor))
	default:
		return 0, nil
	}
	n, err := s.db.execIn(ctx, tenantID, q, args...)
	return n, s.db.fail("expire tokens", emptyIfGone(err), nil)
}

// Delete implements usertokens.Store.
func (s tokenStore) Delete(ctx context.Context, tenantID string, id ids.ID) error {
	n, err := s.db.execIn(ctx, tenantID, qTokenDelete, idArg(id))
	return s.db.changed("delete token", n, err, usertokens.ErrNotFound)
}

// PurgeExpired implements usertokens.Store.
func (s tokenStore) PurgeExpired(ctx context.Context, tenantID string, cutoff time.Time) (int64, error) {
	return s.db.purge(ctx, tenantID, "purge tokens", qTokenPurge, cutoff)
}

// InsertClaim implements usertokens.ClaimStore: the primary key decides.
func (s claimStore) InsertClaim(ctx context.Context, tenantID string, c usertokens.Claim) error {
	_, err := s.db.execIn(ctx, tenantID, qClaimInsert, c.ID, c.Expires.UnixMilli(), optTime(c.Until))
	return s.db.fail("insert claim", err, nil)
}

func scanClaim(sc scanner, c *usertokens.Claim) error {
	return sc.Scan(&c.ID, timeCol{&c.Expires}, optTimeCol{&c.Until})
}

// FindClaim implements usertokens.ClaimStore.
func (s claimStore) FindClaim(ctx context.Context, tenantID, id string) (*usertokens.Claim, error) {
	c, err := findIn(ctx, s.db, tenantID, "find claim", qClaimByID, id, scanClaim, nil)
	if errs.Is(err, errs.NotFound) {
		return nil, nil
	}
	return c, err
}

// ReplaceClaim implements usertokens.ClaimStore: one conditional UPDATE.
func (s claimStore) ReplaceClaim(ctx context.Context, tenantID string, old *usertokens.Claim, c usertokens.Claim) error {
	_, err := s.db.execIn(ctx, tenantID, qClaimReplace, c.Expires.UnixMilli(), optTime(c.Until), old.ID, old.Expires.UnixMilli())
	return s.db.fail("replace claim", emptyIfGone(err), nil)
}

// DeleteClaim implements usertokens.ClaimStore.
func (s claimStore) DeleteClaim(ctx context.Context, tenantID, id string) error {
	_, err := s.db.execIn(ctx, tenantID, qClaimDelete, id)
	return s.db.fail("delete claim", emptyIfGone(err), nil)
}

// DeleteClaims implements usertokens.ClaimStore: one range of the primary
// key.
func (s claimStore) DeleteClaims(ctx context.Context, tenantID, prefix string) (int64, error) {
	n, err := s.db.execIn(ctx, tenantID, qClaimDeleteRange, prefix, prefixEnd(prefix))
	return n, s.db.fail("delete claims", err, nil)
}

// PurgeClaims implements usertokens.ClaimStore.
func (s claimStore) PurgeClaims(ctx context.Context, tenantID string, now time.Time) (int64, error) {
	return s.db.purge(ctx, tenantID, "purge claims", qClaimPurge, now)
}
