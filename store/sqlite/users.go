package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/latchkey/latchkey/internal/access"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/page"
	"github.com/latchkey/latchkey/users"
)

// Insert implements users.Store.
func (s userStore) Insert(ctx context.Context, tenantID string, u *users.User) error {
	_, err := s.db.execIn(ctx, tenantID, qUserInsert, idArg(u.ID), u.Username, u.UsernameKey, u.Email,
		strings.ToLower(u.Email), string(u.Role), u.Status, u.PasswordHash, u.Created.UnixMilli(), u.Updated.UnixMilli())
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
	return findIn(ctx, s.db, tenantID, "find user", qUserByID, idArg(id), scanUser, users.ErrNotFound)
}

// FindByUsername implements users.Store.
func (s userStore) FindByUsername(ctx context.Context, tenantID, username string) (*users.User, error) {
	return findIn(ctx, s.db, tenantID, "find user", qUserByUsername, users.UsernameKey(username), scanUser, users.ErrNotFound)
}

// Find implements users.Store.
func (s userStore) Find(ctx context.Context, tenantID string, flt users.Filter, pg page.Page) ([]users.User, string, error) {
	after, err := pg.AfterID()
	if err != nil {
		return nil, "", err
	}
	limit := pg.Size()
	q, args := userFindSQL(flt, after, limit+1)
	return pageIn(ctx, s.db, tenantID, "list users", q, args, limit, scanUser,
		func(u *users.User) string { return u.ID.Hex() })
}

// Replace implements users.Store. A change that leaves u an active owner
// removes no owner and needs no guard.
func (s userStore) Replace(ctx context.Context, tenantID string, u *users.User) error {
	args := []any{u.Username, u.UsernameKey, u.Email, strings.ToLower(u.Email),
		string(u.Role), u.Status, u.PasswordHash, u.Created.UnixMilli(), u.Updated.UnixMilli(), idArg(u.ID)}
	var err error
	if u.ActiveOwner() {
		var n int64
		if n, err = s.db.execIn(ctx, tenantID, qUserReplace, args...); err == nil && n == 0 {
			return users.ErrNotFound
		}
	} else {
		err = s.keepOwner(ctx, tenantID, u.ID, qUserReplace, args...)
	}
	if isUnique(err) {
		return users.ErrUsernameTaken
	}
	return s.db.fail("replace user", err, users.ErrNotFound)
}

// Delete implements users.Store.
func (s userStore) Delete(ctx context.Context, tenantID string, id ids.ID) error {
	return s.db.fail("delete user", s.keepOwner(ctx, tenantID, id, qUserDelete, idArg(id)), users.ErrNotFound)
}

// keepOwner runs q, a change of user id that may remove it as an active
// owner, in one transaction that first refuses it with users.ErrLastOwner
// when id is an active owner and no other user is. Transactions begin
// IMMEDIATE (see dsn): each takes the file's write lock before it reads, so
// concurrent changes run one after another and each counts the owners the
// previous one left. Errors: sql.ErrNoRows (no user id), ErrLastOwner, and
// the driver's.
func (s userStore) keepOwner(ctx context.Context, tenantID string, id ids.ID, q string, args ...any) error {
	return s.db.inTenant(ctx, tenantID, func(ctx context.Context, f *file) error {
		tx, err := f.db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer func() { _ = tx.Rollback() }()
		owner := []any{string(access.Owner), users.Active, idArg(id)}
		var isOwner bool
		if err := tx.QueryRowContext(ctx, qUserIsOwner, owner...).Scan(&isOwner); err != nil {
			return err
		}
		if isOwner {
			var one int
			switch err := tx.QueryRowContext(ctx, qUserOtherOwner, owner...).Scan(&one); {
			case errors.Is(err, sql.ErrNoRows):
				return users.ErrLastOwner
			case err != nil:
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return err
		}
		return tx.Commit()
	})
}
