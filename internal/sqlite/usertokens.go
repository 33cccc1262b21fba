package sqlite

import (
	"context"
	"time"

	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/page"
	"github.com/latchkey/latchkey/usertokens"
)

// Insert implements usertokens.Store: the unique index on parent lets one
// insert per parent succeed; the others are Conflict.
func (s tokenStore) Insert(ctx context.Context, tenantID string, t *usertokens.Token) error {
	err := s.db.inTenant(ctx, tenantID, func(ctx context.Context, f *file) error {
		_, err := f.exec(ctx, qTokenInsert, idArg(t.ID), t.Hash, t.RefreshHash, optTime(t.RefreshExpires), t.Kind,
			idArg(t.UserID), optID(t.ActorID), idArg(t.AppTokenID), optID(t.Chain), optID(t.Parent), t.Name,
			t.Created.UnixMilli(), t.Expires.UnixMilli(), optTime(t.LastUsed), t.Lifetime)
		return err
	})
	return s.db.fail("insert token", err, nil)
}

func scanToken(sc scanner, t *usertokens.Token) error {
	return sc.Scan(idCol{&t.ID}, &t.Hash, &t.RefreshHash, optTimeCol{&t.RefreshExpires}, &t.Kind,
		idCol{&t.UserID}, optIDCol{&t.ActorID}, idCol{&t.AppTokenID}, optIDCol{&t.Chain}, optIDCol{&t.Parent},
		&t.Name, timeCol{&t.Created}, timeCol{&t.Expires}, optTimeCol{&t.LastUsed}, &t.Lifetime)
}

// FindByID implements usertokens.Store.
func (s tokenStore) FindByID(ctx context.Context, tenantID string, id ids.ID) (*usertokens.Token, error) {
	var t usertokens.Token
	err := s.db.inTenant(ctx, tenantID, func(ctx context.Context, f *file) error {
		st, err := f.stmt(ctx, qTokenByID)
		if err != nil {
			return err
		}
		return scanToken(st.QueryRowContext(ctx, idArg(id)), &t)
	})
	if err != nil {
		return nil, s.db.fail("find token", err, usertokens.ErrNotFound)
	}
	return &t, nil
}

// HasChild implements usertokens.Store.
func (s tokenStore) HasChild(ctx context.Context, tenantID string, id ids.ID) (bool, error) {
	var found bool
	err := s.db.inTenant(ctx, tenantID, func(ctx context.Context, f *file) error {
		var one int
		err := f.one(ctx, qTokenHasChild, []any{idArg(id)}, &one)
		found, err = exists(err)
		return err
	})
	return found, s.db.fail("find child token", emptyIfGone(err), nil)
}

// Find implements usertokens.Store.
func (s tokenStore) Find(ctx context.Context, tenantID string, flt usertokens.Filter, now time.Time, pg page.Page) ([]usertokens.Token, string, error) {
	after, err := idCursor(pg.Cursor)
	if err != nil {
		return nil, "", err
	}
	limit := limitOf(pg)
	q, args := tokenFindSQL(flt, now.UnixMilli(), after, limit+1)
	var list []usertokens.Token
	err = s.db.inTenant(ctx, tenantID, func(ctx context.Context, f *file) error {
		rows, err := f.query(ctx, q, args...)
		if err != nil {
			return err
		}
		list, err = collect(rows, scanToken)
		return err
	})
	if err = emptyIfGone(err); err != nil {
		return nil, "", s.db.fail("list tokens", err, nil)
	}
	list, next := pageOf(list, limit, func(t *usertokens.Token) string { return t.ID.Hex() })
	return list, next, nil
}

// SetExpires implements usertokens.Store.
func (s tokenStore) SetExpires(ctx context.Context, tenantID string, id ids.ID, expires time.Time, refresh bool) error {
	q := qTokenSetExp
	if refresh {
		q = qTokenSetBoth
	}
	var n int64
	err := s.db.inTenant(ctx, tenantID, func(ctx context.Context, f *file) (err error) {
		n, err = f.exec(ctx, q, expires.UnixMilli(), idArg(id))
		return err
	})
	return s.db.changed("set token expiry", n, err, usertokens.ErrNotFound)
}

// ExpireAt implements usertokens.Store.
func (s tokenStore) ExpireAt(ctx context.Context, tenantID string, id ids.ID, t time.Time) error {
	err := s.db.inTenant(ctx, tenantID, func(ctx context.Context, f *file) error {
		_, err := f.exec(ctx, qTokenExpireAt, t.UnixMilli(), idArg(id))
		return err
	})
	return s.db.fail("expire token", emptyIfGone(err), nil)
}

// Expire implements usertokens.Store: one UPDATE on the selector's index.
// Expiring only ever moves times back (min), so a concurrent run cannot
// undo it.
func (s tokenStore) Expire(ctx context.Context, tenantID string, sel usertokens.Selector, now time.Time) (int64, error) {
	var q string
	args := []any{now.UnixMilli()}
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
	var n int64
	err := s.db.inTenant(ctx, tenantID, func(ctx context.Context, f *file) (err error) {
		n, err = f.exec(ctx, q, args...)
		return err
	})
	return n, s.db.fail("expire tokens", emptyIfGone(err), nil)
}

// Delete implements usertokens.Store.
func (s tokenStore) Delete(ctx context.Context, tenantID string, id ids.ID) error {
	var n int64
	err := s.db.inTenant(ctx, tenantID, func(ctx context.Context, f *file) (err error) {
		n, err = f.exec(ctx, qTokenDelete, idArg(id))
		return err
	})
	return s.db.changed("delete token", n, err, usertokens.ErrNotFound)
}

// PurgeExpired implements usertokens.Store.
func (s tokenStore) PurgeExpired(ctx context.Context, tenantID string, cutoff time.Time) (int64, error) {
	return s.db.purge(ctx, tenantID, "purge tokens", qTokenPurge, cutoff)
}

// InsertClaim implements usertokens.ClaimStore: the primary key decides.
func (s claimStore) InsertClaim(ctx context.Context, tenantID string, c usertokens.Claim) error {
	err := s.db.inTenant(ctx, tenantID, func(ctx context.Context, f *file) error {
		_, err := f.exec(ctx, qClaimInsert, c.ID, c.Expires.UnixMilli(), optTime(c.Until))
		return err
	})
	return s.db.fail("insert claim", err, nil)
}

// FindClaim implements usertokens.ClaimStore.
func (s claimStore) FindClaim(ctx context.Context, tenantID, id string) (*usertokens.Claim, error) {
	var c usertokens.Claim
	var found bool
	err := s.db.inTenant(ctx, tenantID, func(ctx context.Context, f *file) error {
		err := f.one(ctx, qClaimByID, []any{id}, &c.ID, timeCol{&c.Expires}, optTimeCol{&c.Until})
		found, err = exists(err)
		return err
	})
	if err = emptyIfGone(err); err != nil || !found {
		return nil, s.db.fail("find claim", err, nil)
	}
	return &c, nil
}

// ReplaceClaim implements usertokens.ClaimStore: one conditional UPDATE.
func (s claimStore) ReplaceClaim(ctx context.Context, tenantID string, old *usertokens.Claim, c usertokens.Claim) error {
	err := s.db.inTenant(ctx, tenantID, func(ctx context.Context, f *file) error {
		_, err := f.exec(ctx, qClaimReplace, c.Expires.UnixMilli(), optTime(c.Until), old.ID, old.Expires.UnixMilli())
		return err
	})
	return s.db.fail("replace claim", emptyIfGone(err), nil)
}

// DeleteClaim implements usertokens.ClaimStore.
func (s claimStore) DeleteClaim(ctx context.Context, tenantID, id string) error {
	err := s.db.inTenant(ctx, tenantID, func(ctx context.Context, f *file) error {
		_, err := f.exec(ctx, qClaimDelete, id)
		return err
	})
	return s.db.fail("delete claim", emptyIfGone(err), nil)
}

// PurgeClaims implements usertokens.ClaimStore.
func (s claimStore) PurgeClaims(ctx context.Context, tenantID string, now time.Time) (int64, error) {
	return s.db.purge(ctx, tenantID, "purge claims", qClaimPurge, now)
}
