package sqlite

import (
	"context"
	"strings"

	"github.com/latchkey/latchkey/admin/users"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/page"
)

// Insert implements users.Store.
func (s userStore) Insert(ctx context.Context, tenantID string, u *users.User) error {
	err := s.db.inTenant(ctx, tenantID, func(ctx context.Context, f *file) error {
		_, err := f.exec(ctx, qUserInsert, idArg(u.ID), u.Username, u.UsernameKey, u.Email, strings.ToLower(u.Email),
			string(u.Role), u.Status, u.PasswordHash, u.Created.UnixMilli(), u.Updated.UnixMilli())
		return err
	})
	if isUnique(err) {
		return users.ErrUsernameTaken
	}
	return s.db.fail("insert user", err, nil)
}

func scanUser(sc scanner, u *users.User) error {
	return sc.Scan(idCol{&u.ID}, &u.Username, &u.UsernameKey, &u.Email, &u.Role, &u.Status, &u.PasswordHash,
		timeCol{&u.Created}, timeCol{&u.Updated})
}

// FindByID implements users.Store.
func (s userStore) FindByID(ctx context.Context, tenantID string, id ids.ID) (*users.User, error) {
	return s.findOne(ctx, tenantID, qUserByID, idArg(id))
}

// FindByUsername implements users.Store.
func (s userStore) FindByUsername(ctx context.Context, tenantID, username string) (*users.User, error) {
	return s.findOne(ctx, tenantID, qUserByUsername, users.UsernameKey(username))
}

func (s userStore) findOne(ctx context.Context, tenantID, q string, key any) (*users.User, error) {
	var u users.User
	err := s.db.inTenant(ctx, tenantID, func(ctx context.Context, f *file) error {
		st, err := f.stmt(ctx, q)
		if err != nil {
			return err
		}
		return scanUser(st.QueryRowContext(ctx, key), &u)
	})
	if err != nil {
		return nil, s.db.fail("find user", err, users.ErrNotFound)
	}
	return &u, nil
}

// Find implements users.Store.
func (s userStore) Find(ctx context.Context, tenantID string, flt users.Filter, pg page.Page) ([]users.User, string, error) {
	after, err := idCursor(pg.Cursor)
	if err != nil {
		return nil, "", err
	}
	limit := limitOf(pg)
	q, args := userFindSQL(flt, after, limit+1)
	var list []users.User
	err = s.db.inTenant(ctx, tenantID, func(ctx context.Context, f *file) error {
		rows, err := f.query(ctx, q, args...)
		if err != nil {
			return err
		}
		list, err = collect(rows, scanUser)
		return err
	})
	if err = emptyIfGone(err); err != nil {
		return nil, "", s.db.fail("list users", err, nil)
	}
	list, next := pageOf(list, limit, func(u *users.User) string { return u.ID.Hex() })
	return list, next, nil
}

// Replace implements users.Store.
func (s userStore) Replace(ctx context.Context, tenantID string, u *users.User) error {
	var n int64
	err := s.db.inTenant(ctx, tenantID, func(ctx context.Context, f *file) (err error) {
		n, err = f.exec(ctx, qUserReplace, u.Username, u.UsernameKey, u.Email, strings.ToLower(u.Email),
			string(u.Role), u.Status, u.PasswordHash, u.Created.UnixMilli(), u.Updated.UnixMilli(), idArg(u.ID))
		return err
	})
	if isUnique(err) {
		return users.ErrUsernameTaken
	}
	return s.db.changed("replace user", n, err, users.ErrNotFound)
}

// Delete implements users.Store.
func (s userStore) Delete(ctx context.Context, tenantID string, id ids.ID) error {
	var n int64
	err := s.db.inTenant(ctx, tenantID, func(ctx context.Context, f *file) (err error) {
		n, err = f.exec(ctx, qUserDelete, idArg(id))
		return err
	})
	return s.db.changed("delete user", n, err, users.ErrNotFound)
}
