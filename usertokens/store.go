package usertokens

import (
	"context"
	"time"

	"github.com/latchkey/latchkey/internal/ended"
	"github.com/latchkey/latchkey/internal/errs"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/page"
)

// Store keeps the user tokens of every tenant database. The engines
// (store/sqlite, store/mongo) implement it; every call names the
// tenant.
type Store interface {
	// Insert adds t. When t.Parent is set and another token has that
	// parent already (its refresh token was spent), nothing is inserted
	// and the error is Conflict: exactly one of any number of concurrent
	// inserts with one parent succeeds. Errors: Conflict, Unavailable.
	Insert(ctx context.Context, tenantID string, t *Token) error
	// FindByID returns token id. Errors: NotFound (ErrNotFound), Unavailable.
	FindByID(ctx context.Context, tenantID string, id ids.ID) (*Token, error)
	// HasChild reports whether a token has parent id (id's refresh token
	// was spent). Errors: Unavailable.
	HasChild(ctx context.Context, tenantID string, id ids.ID) (bool, error)
	// Find returns a page of the tokens matching f (Active judged at now),
	// newest first, after the cursor (an id), and the next page's cursor
	// ("" on the last). Errors: Invalid (page.BadCursor), Unavailable.
	Find(ctx context.Context, tenantID string, f Filter, now time.Time, pg page.Page) ([]Token, string, error)
	// SetExpires changes token id's expiry as c says (see ended.Change):
	// it re-dates only a token live at c.Now, in one atomic step, leaving
	// its refresh token as it is; an end never moves an expiry later and
	// ends the refresh token too. A re-dating of a token a rotation ends
	// (live, with a stored reason) may not move its expiry later. Errors:
	// NotFound, Conflict (ErrExpired: a re-dating of a token that is not
	// live; ErrInGrace), Unavailable.
	SetExpires(ctx context.Context, tenantID string, id ids.ID, c ended.Change) error
	// Rotate stores next, the successor of the personal token
	// next.RotatedFrom names, and ends that token ahead of time as c says,
	// as apptokens.Store's Rotate does: only a live token rotates, and
	// only once (the unique key of rotated_from). Errors: NotFound,
	// Conflict (ErrRotateExpired, ErrRotated), Unavailable.
	Rotate(ctx context.Context, tenantID string, next *Token, c ended.Change) error
	// Expire makes every token that sel selects, and whose token or
	// refresh token is still live at now, expire at now (never later than
	// it did), recording by as the reason of those whose token was live,
	// and returns how many it changed. Errors: Unavailable.
	Expire(ctx context.Context, tenantID string, sel Selector, now time.Time, by ended.By) (int64, error)
	// Delete removes token id. Errors: NotFound, Unavailable.
	Delete(ctx context.Context, tenantID string, id ids.ID) error
	// PurgeExpired deletes the tokens whose token and refresh token (if
	// any) both expired before cutoff, and returns how many.
	// Errors: Unavailable.
	PurgeExpired(ctx context.Context, tenantID string, cutoff time.Time) (int64, error)
}

// Selector names a set of tokens for Store.Expire; exactly one of User,
// Chain and Actor is set.
type Selector struct {
	// User selects the tokens acting as this user, except the token Keep
	// (zero for none).
	User *ids.ID
	Keep ids.ID
	// Chain selects the tokens of one refresh chain.
	Chain *ids.ID
	// Actor selects the OBO tokens this user issued.
	Actor *ids.ID
}

// ClaimStore keeps the lockout claims of every tenant database: each a
// record under a unique id, so concurrent logins settle who may check a
// password by insert, never by a counter (see lockout.go).
type ClaimStore interface {
	// InsertClaim adds c. Errors: Conflict (the id is taken), Unavailable.
	InsertClaim(ctx context.Context, tenantID string, c Claim) error
	// FindClaim returns claim id, or nil when there is none.
	// Errors: Unavailable.
	FindClaim(ctx context.Context, tenantID, id string) (*Claim, error)
	// ReplaceClaim writes c over old, if old is still stored unchanged
	// (same id and expiry); otherwise it changes nothing.
	// Errors: Unavailable.
	ReplaceClaim(ctx context.Context, tenantID string, old *Claim, c Claim) error
	// DeleteClaim removes claim id; a missing claim is no error.
	// Errors: Unavailable.
	DeleteClaim(ctx context.Context, tenantID, id string) error
	// DeleteClaims removes every claim whose id starts with prefix (a
	// non-empty ASCII string whose last byte is below 0x7f), a range of the
	// id index, and returns how many. Errors: Unavailable.
	DeleteClaims(ctx context.Context, tenantID, prefix string) (int64, error)
	// PurgeClaims deletes the claims that stopped mattering before now and
	// returns how many. Errors: Unavailable.
	PurgeClaims(ctx context.Context, tenantID string, now time.Time) (int64, error)
}

// Claim is a lockout slot, a failure or, with Until, a lock. Expires is
// when it stops mattering, for the purge.
type Claim struct {
	ID      string     `bson:"_id"`
	Expires time.Time  `bson:"expires"`
	Until   *time.Time `bson:"until,omitempty"`
}

// ErrExpired is the engines' answer to a re-dating of a user token whose
// expiry has passed: expired is final.
var ErrExpired = errs.E(errs.Conflict, "seconds_until_expire",
	"This token has expired and never works again; its expiry cannot be changed. Issue a new one.")

// ErrInGrace is the engines' answer to a re-dating, beyond the end of its
// grace, of a token a rotation ends: the grace may be shortened, never
// lengthened.
var ErrInGrace = errs.E(errs.Conflict, "seconds_until_expire", "This token was rotated and ends when its grace "+
	"period ends; its expiry cannot be moved later. Use its successor.")

// ErrRotateExpired is the engines' answer to a rotation of a token whose
// expiry has passed.
var ErrRotateExpired = errs.E(errs.Conflict, "token", "This token has expired and cannot be rotated. Issue a new one.")

// ErrRotated is the engines' answer to a rotation of a token that has a
// successor already.
var ErrRotated = errs.E(errs.Conflict, "token", "This token was rotated already: its successor is the token "+
	"whose rotated_from names it. Rotate the successor, or expire this one if it is still live.")

// ErrNotFound is the engines' answer for a missing user token.
var ErrNotFound = errs.E(errs.NotFound, "token", "No such token.")
