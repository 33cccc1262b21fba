package sqlite

import (
	"context"
	"strings"

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
	after, err := idCursor(pg.Cursor)
	if err != nil {
		return nil, "", err
	}
	limit := limitOf(pg)
	q, args := userFindSQL(flt, after, limit+1)
	return pageIn(ctx, s.db, tenantID, "list users", q, args, limit, scanUser,
		func(u *users.User) string { return u.ID.Hex() })
}

// Replace implements users.Store.
func (s userStore) Replace(ctx context.Context, tenantID string, u *users.User) error {
	n, err := s.db.execIn(ctx, tenantID, qUserReplace, u.Username, u.UsernameKey, u.Email, strings.ToLower(u.Email),
		string(u.Role), u.Status, u.PasswordHash, u.Created.UnixMilli(), u.Updated.UnixMilli(), idArg(u.ID))
	if isUnique(err) {
		return users.ErrUsernameTaken
	}
	return s.db.changed("replace user", n, err, users.ErrNotFound)
}

// Delete implements users.Store.
func (s userStore) Delete(ctx context.Context, tenantID string, id ids.ID) error {
	n, err := s.db.execIn(ctx, tenantID, qUserDelete, idArg(id))
	return s.db.changed("delete user", n, err, users.ErrNotFound)
}
