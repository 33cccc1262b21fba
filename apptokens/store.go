package apptokens

import (
	"context"
	"time"

	"github.com/latchkey/latchkey/internal/ended"
	"github.com/latchkey/latchkey/internal/errs"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/page"
)

// Store keeps the app tokens of every tenant database. The engines
// (store/sqlite, store/mongo) implement it; every call names the
// tenant.
type Store interface {
	// Insert adds t. Errors: Conflict (id taken), Unavailable.
	Insert(ctx context.Context, tenantID string, t *Token) error
	// FindByID returns token id. Errors: NotFound (ErrNotFound), Unavailable.
	FindByID(ctx context.Context, tenantID string, id ids.ID) (*Token, error)
	// Find returns a page of tokens, newest first, after the cursor (an
	// id), and the next page's cursor ("" on the last). Errors: Invalid
	// (page.BadCursor), Unavailable.
	Find(ctx context.Context, tenantID string, pg page.Page) ([]Token, string, error)
	// SetExpires changes token id's expiry as c says (see ended.Change):
	// it re-dates only a token live at c.Now, in one atomic step, and an
	// end never moves an expiry later. KeepLive guards ends; a re-dating
	// keeps the token live. A re-dating of a token a rotation ends (live,
	// with a stored reason) may not move its expiry later. Errors:
	// NotFound, Conflict (ErrExpired: a re-dating of a token that is not
	// live; ErrInGrace; ErrLastLive, see KeepLive), Unavailable.
	SetExpires(ctx context.Context, tenantID string, id ids.ID, c ended.Change, keep KeepLive) error
	// Change applies d to token id if it is live at now, in one write.
	// Errors: NotFound, Conflict (ErrExpiredChange), Unavailable.
	Change(ctx context.Context, tenantID string, id ids.ID, d Details, now time.Time) error
	// Rotate stores next, the successor of the token next.RotatedFrom
	// names, and ends that token ahead of time as c says (c.Expires may be
	// after c.Now: the end of the grace): its expiry becomes the earlier
	// of its own and c.Expires, and c.By is stored as its reason (shown
	// once it has passed, see ended.Shown). Only a token live at c.Now
	// rotates, and only once: a second successor of one token is refused
	// under the unique key of rotated_from, so of concurrent rotations of
	// one token exactly one succeeds. The successor is live, so no
	// KeepLive applies. Errors: NotFound, Conflict (ErrRotateExpired,
	// ErrRotated), Unavailable.
	Rotate(ctx context.Context, tenantID string, next *Token, c ended.Change) error
	// Delete removes token id. Errors: NotFound, Conflict (ErrLastLive, see
	// KeepLive), Unavailable.
	Delete(ctx context.Context, tenantID string, id ids.ID, keep KeepLive) error
	// PurgeExpired deletes the tokens that expired before cutoff and
	// returns how many. Errors: Unavailable.
	PurgeExpired(ctx context.Context, tenantID string, cutoff time.Time) (int64, error)
}

// KeepLive guards a tenant against losing its last live app token, with
// which it would lock itself out. Given to SetExpires or Delete,
// a KeepLive with At set makes the store refuse, with ErrLastLive, a change
// after which the tenant would have no app token live at At: the change of
// a token live at At that is neither re-dated past At nor has a live
// sibling. The store decides it for concurrent callers too, so two requests
// that each remove one of the last two tokens never both succeed. Force
// (the zero KeepLive) refuses nothing.
type KeepLive struct{ At time.Time }

// Force lets SetExpires and Delete remove a tenant's last live app token.
var Force = KeepLive{}

// Guards reports whether k refuses anything.
func (k KeepLive) Guards() bool { return !k.At.IsZero() }

// ErrLastLive is the engines' answer to a change KeepLive refuses.
var ErrLastLive = errs.E(errs.Conflict, "token", "This is the tenant's last live app token: without it "+
	"the tenant is locked out. Create another first, or, as an owner, add ?force=true.")

// ErrExpired is the engines' answer to a re-dating of an app token whose
// expiry has passed: expired is final.
var ErrExpired = errs.E(errs.Conflict, "seconds_until_expire", "This app token has expired and never works again; "+
	"its expiry cannot be changed. Create a new app token instead.")

// ErrExpiredChange is the engines' answer to a change of an app token
// whose expiry has passed.
var ErrExpiredChange = errs.E(errs.Conflict, "token", "This app token has expired and never works again; "+
	"it cannot be changed. Create a new app token instead.")

// ErrInGrace is the engines' answer to a re-dating, beyond the end of its
// grace, of an app token a rotation ends (see Store.Rotate): the grace may
// be shortened, never lengthened.
var ErrInGrace = errs.E(errs.Conflict, "seconds_until_expire", "This app token was rotated and ends when its grace "+
	"period ends; its expiry cannot be moved later. Use its successor.")

// ErrRotateExpired is the engines' answer to a rotation of an app token
// whose expiry has passed.
var ErrRotateExpired = errs.E(errs.Conflict, "token", "This app token has expired and cannot be rotated. "+
	"Create a new app token instead.")

// ErrRotated is the engines' answer to a rotation of an app token that
// has a successor already.
var ErrRotated = errs.E(errs.Conflict, "token", "This app token was rotated already: its successor is the "+
	"token whose rotated_from names it. Rotate the successor, or expire this one if it is still live.")

// ErrNotFound is the engines' answer for a missing app token.
var ErrNotFound = errs.E(errs.NotFound, "token", "No such app token.")
