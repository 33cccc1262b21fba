package sqlite

import (
	"context"
	"time"

	"github.com/latchkey/latchkey/apptokens"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/page"
)

// Insert implements apptokens.Store.
func (s appTokenStore) Insert(ctx context.Context, tenantID string, t *apptokens.Token) error {
	err := s.db.inTenant(ctx, tenantID, func(ctx context.Context, f *file) error {
		_, err := f.exec(ctx, qAppTokenInsert, idArg(t.ID), t.Hash, t.Name, t.Created.UnixMilli(), optID(t.CreatedBy),
			t.Expires.UnixMilli(), optTime(t.LastUsed))
		return err
	})
	return s.db.fail("insert app token", err, nil)
}

func scanAppToken(sc scanner, t *apptokens.Token) error {
	return sc.Scan(idCol{&t.ID}, &t.Hash, &t.Name, timeCol{&t.Created}, optIDCol{&t.CreatedBy},
		timeCol{&t.Expires}, optTimeCol{&t.LastUsed})
}

// FindByID implements apptokens.Store.
func (s appTokenStore) FindByID(ctx context.Context, tenantID string, id ids.ID) (*apptokens.Token, error) {
	var t apptokens.Token
	err := s.db.inTenant(ctx, tenantID, func(ctx context.Context, f *file) error {
		st, err := f.stmt(ctx, qAppTokenByID)
		if err != nil {
			return err
		}
		return scanAppToken(st.QueryRowContext(ctx, idArg(id)), &t)
	})
	if err != nil {
		return nil, s.db.fail("find app token", err, apptokens.ErrNotFound)
	}
	return &t, nil
}

// Find implements apptokens.Store.
func (s appTokenStore) Find(ctx context.Context, tenantID string, pg page.Page) ([]apptokens.Token, string, error) {
	after, err := idCursor(pg.Cursor)
	if err != nil {
		return nil, "", err
	}
	limit := limitOf(pg)
	q, args := qAppTokenFirst, []any{limit + 1}
	if after != nil {
		q, args = qAppTokenAfter, []any{idArg(*after), limit + 1}
	}
	var list []apptokens.Token
	err = s.db.inTenant(ctx, tenantID, func(ctx context.Context, f *file) error {
		rows, err := f.query(ctx, q, args...)
		if err != nil {
			return err
		}
		list, err = collect(rows, scanAppToken)
		return err
	})
	if err = emptyIfGone(err); err != nil {
		return nil, "", s.db.fail("list app tokens", err, nil)
	}
	list, next := pageOf(list, limit, func(t *apptokens.Token) string { return t.ID.Hex() })
	return list, next, nil
}

// LiveExcept implements apptokens.Store.
func (s appTokenStore) LiveExcept(ctx context.Context, tenantID string, except ids.ID, now time.Time) (bool, error) {
	var found bool
	err := s.db.inTenant(ctx, tenantID, func(ctx context.Context, f *file) error {
		var one int
		err := f.one(ctx, qAppTokenLiveExcept, []any{now.UnixMilli(), idArg(except)}, &one)
		found, err = exists(err)
		return err
	})
	return found, s.db.fail("find live app token", emptyIfGone(err), nil)
}

// SetExpires implements apptokens.Store.
func (s appTokenStore) SetExpires(ctx context.Context, tenantID string, id ids.ID, expires time.Time) error {
	var n int64
	err := s.db.inTenant(ctx, tenantID, func(ctx context.Context, f *file) (err error) {
		n, err = f.exec(ctx, qAppTokenSetExpires, expires.UnixMilli(), idArg(id))
		return err
	})
	return s.db.changed("set app token expiry", n, err, apptokens.ErrNotFound)
}

// Delete implements apptokens.Store.
func (s appTokenStore) Delete(ctx context.Context, tenantID string, id ids.ID) error {
	var n int64
	err := s.db.inTenant(ctx, tenantID, func(ctx context.Context, f *file) (err error) {
		n, err = f.exec(ctx, qAppTokenDelete, idArg(id))
		return err
	})
	return s.db.changed("delete app token", n, err, apptokens.ErrNotFound)
}

// PurgeExpired implements apptokens.Store.
func (s appTokenStore) PurgeExpired(ctx context.Context, tenantID string, cutoff time.Time) (int64, error) {
	return s.db.purge(ctx, tenantID, "purge app tokens", qAppTokenPurge, cutoff)
}
