package users

import (
	"context"

	"github.com/latchkey/latchkey/internal/errs"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/page"
)

// Store keeps the users of every tenant database. The engines
// (store/sqlite, store/mongo) implement it; every call names the
// tenant.
type Store interface {
	// Insert adds u. Errors: Conflict (ErrUsernameTaken: the username,
	// compared by UsernameKey, has an owner), Unavailable.
	Insert(ctx context.Context, tenantID string, u *User) error
	// FindByID returns user id. Errors: NotFound (ErrNotFound), Unavailable.
	FindByID(ctx context.Context, tenantID string, id ids.ID) (*User, error)
	// FindByUsername returns the user of username, compared by
	// UsernameKey. Errors: NotFound, Unavailable.
	FindByUsername(ctx context.Context, tenantID, username string) (*User, error)
	// Find returns a page of users matching f, ordered by id, after the
	// cursor (an id), and the next page's cursor ("" on the last).
	// Errors: Invalid (page.BadCursor), Unavailable.
	Find(ctx context.Context, tenantID string, f Filter, pg page.Page) ([]User, string, error)
	// Replace writes u over the stored user of the same id. It keeps the
	// tenant's last active owner (see Delete).
	// Errors: NotFound, Conflict (ErrUsernameTaken, ErrLastOwner),
	// Unavailable.
	Replace(ctx context.Context, tenantID string, u *User) error
	// Delete removes user id.
	//
	// Replace and Delete refuse, with ErrLastOwner, a change after which
	// the tenant would have no active owner: the change of a stored active
	// owner that removes it, disables it or demotes it while no other user
	// is an active owner. The store decides it for concurrent
	// callers too, so of two owners removing each other at once one stays.
	// Errors: NotFound, Conflict (ErrLastOwner), Unavailable.
	Delete(ctx context.Context, tenantID string, id ids.ID) error
}

// Filter selects users; Q matches the start of a username
// (case-insensitively) or of an email address.
type Filter struct {
	Role, Status, Q string
}

// Errors the engines return.
var (
	ErrNotFound      = errs.E(errs.NotFound, "user", "No such user.")
	ErrUsernameTaken = errs.E(errs.Conflict, "username", "A user with that username already exists.")
	ErrLastOwner     = errs.E(errs.Conflict, "user", "This is the tenant's last active owner: a tenant "+
		"always keeps one. Make another user an owner first.")
)
