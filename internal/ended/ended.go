// Package ended names why a token stopped working (its ended_by)
// and describes a change of a token's expiry: a re-dating, which only a
// live token accepts, or an end, which never brings a token back.
package ended

import "time"

// By is why a token ended. A record keeps the reason it was ended with by
// hand or by a rule; a token that simply ran out keeps none and is shown as
// Time (see Shown).
type By string

// The reasons. Tenant is part of the contract but nothing ends a token
// with it yet: a disabled tenant suspends its tokens rather than ending
// them.
const (
	// Time: the token ran out. Never stored; derived on read.
	Time By = "time"
	// User: the token's own user ended it (or, for an app token, the user
	// who created it): logout, PATCH with seconds_until_expire -1 or less,
	// expiring one's own tokens, changing one's own password.
	User By = "user"
	// Support: someone else ended it: support or an admin on another
	// user's token or on an app token made by someone else, a bulk expiry,
	// a user disabled, deleted or given a new password by an admin.
	Support By = "support"
	// Leak: a leak report named it, or the reuse of a spent refresh token
	// (a sign that it leaked) revoked its refresh chain.
	Leak By = "leak"
	// Rotation: a successor replaced it (app token and personal token
	// rotation). It is the one reason stored ahead of time: a
	// rotation stores it with the end of the grace as the expiry, so a
	// live token with a stored reason is in its grace, and Shown shows
	// the reason only once that has passed.
	Rotation By = "rotation"
	// Issuer: the admin that issued it (an OBO token) was disabled or
	// deleted.
	Issuer By = "issuer"
	// Tenant: its tenant ended it.
	Tenant By = "tenant"
)

// Shown returns the ended_by an answer shows for a token with the stored
// reason stored that expires at expires: nil while the token is live at
// now, the stored reason once it has ended, and Time for an ended token
// that stores none (it ran out, or it ended before records kept a reason).
func Shown(stored By, expires, now time.Time) *By {
	if now.Before(expires) {
		return nil
	}
	if stored == "" {
		stored = Time
	}
	return &stored
}

// Change is a change of a token's expiry made at Now, to Expires.
//
// A change whose Expires is after Now re-dates the token: the store applies
// it only to a token live at Now, in one atomic step, so a token whose
// expiry has passed (by time or by an end) never comes back, even when an
// end and a re-dating race. Otherwise the change ends the token: its expiry
// becomes the earlier of its own and Expires (never later), and By is
// stored as the reason if the token was live at Now; a token that had ended
// already keeps its expiry and its first reason.
type Change struct {
	Expires time.Time
	Now     time.Time
	By      By
}

// Ends reports whether c ends the token rather than re-dating it.
func (c Change) Ends() bool { return !c.Expires.After(c.Now) }
