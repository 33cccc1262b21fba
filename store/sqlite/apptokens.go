package sqlite

import (
	"cmp"
	"context"
	"errors"
	"time"

	"github.com/latchkey/latchkey/apptokens"
	"github.com/latchkey/latchkey/internal/ended"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/page"
)

// Insert implements apptokens.Store.
func (s appTokenStore) Insert(ctx context.Context, tenantID string, t *apptokens.Token) error {
	_, err := s.db.execIn(ctx, tenantID, qAppTokenInsert, appTokenArgs(t)...)
	return s.db.fail("insert app token", err, nil)
}

// appTokenArgs are the arguments of qAppTokenInsert for t.
func appTokenArgs(t *apptokens.Token) []any {
	return []any{idArg(t.ID), t.Hash, t.Name, t.Created.UnixMilli(), optID(t.CreatedBy), t.Expires.UnixMilli(),
		optTime(t.LastUsed), string(t.EndedBy), policyLimit(t.RateLimit), policySeconds(t.RateLimit), scopesArg(t.Scopes),
		t.ExternalID, t.Meta, t.Last, optID(t.RotatedFrom)}
}

func scanAppToken(sc scanner, t *apptokens.Token) error {
	var rl policyCols
	err := sc.Scan(idCol{&t.ID}, &t.Hash, &t.Name, timeCol{&t.Created}, optIDCol{&t.CreatedBy},
		timeCol{&t.Expires}, optTimeCol{&t.LastUsed}, (*string)(&t.EndedBy), &rl.limit, &rl.seconds,
		scopesCol{&t.Scopes}, &t.ExternalID, &t.Meta, &t.Last, optIDCol{&t.RotatedFrom})
	t.RateLimit = rl.policy()
	return err
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
		tok, err := s.FindByID(ctx, tenantID, id)
		if err != nil {
			return err
		}
		if tok.Live(c.Now) {
			return apptokens.ErrInGrace
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

// Rotate implements apptokens.Store in one transaction: the old token's
// end (only if it is live) and the successor's insert, whose unique
// rotated_from refuses a second successor, stand or fall together.
func (s appTokenStore) Rotate(ctx context.Context, tenantID string, next *apptokens.Token, c ended.Change) error {
	err := s.db.rotate(ctx, tenantID, qAppTokenRotateEnd, []any{c.Expires.UnixMilli(), idArg(*next.RotatedFrom),
		c.Now.UnixMilli(), string(c.By)}, qAppTokenInsert, appTokenArgs(next), apptokens.ErrRotated)
	if errors.Is(err, errNotLive) {
		if _, err := s.FindByID(ctx, tenantID, *next.RotatedFrom); err != nil {
			return err
		}
		return apptokens.ErrRotateExpired
	}
	return s.db.fail("rotate app token", err, apptokens.ErrNotFound)
}

// errNotLive is a rotation's end that matched no live token.
var errNotLive = errors.New("not live")

// rotate runs a rotation in one transaction of tenant's file: end (the
// old token's end, which must change a row, else errNotLive) and insert
// (the successor, whose unique violation is rotated). Either both stand
// or neither.
func (db *DB) rotate(ctx context.Context, tenantID, end string, endArgs []any, insert string, insertArgs []any, rotated error) error {
	return db.writeTenant(ctx, tenantID, func(ctx context.Context, f *file) error {
		tx, err := f.db.BeginTx(keyed(ctx), nil)
		if err != nil {
			return err
		}
		defer func() { _ = tx.Rollback() }()
		res, err := tx.ExecContext(keyed(ctx), end, endArgs...)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return cmp.Or(err, errNotLive)
		}
		_, err = tx.ExecContext(keyed(ctx), insert, insertArgs...)
		if isUnique(err) {
			return rotated
		}
		if err != nil {
			return err
		}
		return tx.Commit()
	})
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
		optString(d.Meta), idArg(id), now.UnixMilli(), d.Scopes != nil,
		d.SetRateLimit, policyLimit(d.RateLimit), policySeconds(d.RateLimit))
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
