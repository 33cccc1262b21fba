package usertokens

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"github.com/latchkey/latchkey/internal/access"
	"github.com/latchkey/latchkey/internal/clock"
	"github.com/latchkey/latchkey/internal/errs"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/secret"
	"github.com/latchkey/latchkey/tenants"
	"github.com/latchkey/latchkey/users"
)

// The lockout counts failed logins per username in fixed windows
// of lockout_window seconds: buckets of Unix time, where a window starts
// afresh when a lock ends inside it. In a window, with N = lockout_attempts:
//
//   - Before a password is checked, the login inserts a slot claim
//     {_id: "<user>|<window start>|<i>"}, trying i = 0 … N-1. The unique _id
//     gives each slot to one login, so at most N passwords are checked per
//     window however many logins race. No free slot: 429.
//   - A successful login deletes its slot; a failed one keeps it, and then
//     inserts {_id: "fail|<user>|<window start>|<j>"} for the lowest free
//     j: the failure that gets j = N-1 is the N-th, and it writes the lock
//     {_id: "lock|<user>", until: now + lockout_duration}.
//   - A login reads the lock first, so the lock outlasts its window and
//     refuses the right password too.
//
// Every read and write names a single id, so each lockout step is one
// indexed read or write on every engine. <user> is the SHA-256 of the lowercased username, known or not, so
// unknown usernames count the same way and no attempted username (at times
// a password typed into the wrong field) is stored.

const msgLocked = "Too many failed logins. Try again later."

// attempt is a claimed slot: the right to check one password.
type attempt struct {
	tenantID string
	id       string // the slot claimed
	user     string
	window   string // "<user>|<window start>"
	n        int    // lockout_attempts
	end      time.Time
	duration time.Duration // lockout_duration
	width    int64         // lockout_window, in seconds
}

// checkPassword checks password against hash under the lockout of
// username. It first claims one of the window's slots (Locked when the
// username is locked or no slot is free); afterwards it frees the slot when
// the login succeeds (usable, and the password matches) and keeps it as a
// failure otherwise, locking the username at the window's last failure.
// The caller holds one of the hash slots (password.max_concurrent).
// Errors: Locked, Unavailable, Internal (a malformed hash).
func (s *Service) checkPassword(ctx context.Context, t *tenants.Tenant, username, hash, password string, usable bool) (bool, error) {
	a, err := s.claimAttempt(ctx, t, username)
	if err != nil {
		return false, err
	}
	s.checks.Add(1)
	ok, err := secret.CheckPassword(hash, password)
	// The bookkeeping must happen even when the client has gone away, or
	// cancelling requests would dodge the lock.
	ctx = context.WithoutCancel(ctx)
	if err != nil || (ok && usable) {
		_ = s.Claims.DeleteClaim(ctx, a.tenantID, a.id) // a slot left behind only lasts its window
		return ok, err
	}
	return false, s.failAttempt(ctx, a)
}

// claimAttempt claims a slot of username's current window.
func (s *Service) claimAttempt(ctx context.Context, t *tenants.Tenant, username string) (*attempt, error) {
	st := t.Settings
	now := clock.Stored(s.Now())
	user := claimUser(username)
	lock, err := s.Claims.FindClaim(ctx, t.ID, lockID(user))
	if err != nil {
		return nil, err
	}
	if lock != nil && lock.Until != nil && now.Before(*lock.Until) {
		return nil, errs.Lock("credentials", msgLocked, lock.Until.Sub(now))
	}
	start, end := window(now, st.LockoutWindow, lock)
	a := &attempt{tenantID: t.ID, user: user, window: user + "|" + strconv.FormatInt(start.UnixMilli(), 10),
		n: max(st.LockoutAttempts, 1), end: end, duration: time.Duration(st.LockoutDuration) * time.Second,
		width: st.LockoutWindow}
	for i := range a.n {
		id := a.window + "|" + strconv.Itoa(i)
		err := s.Claims.InsertClaim(ctx, t.ID, Claim{ID: id, Expires: end})
		if err == nil {
			a.id = id
			return a, nil
		}
		if !errs.Is(err, errs.Conflict) {
			return nil, err
		}
	}
	return nil, s.full(ctx, a, now)
}

// full answers a login that found every slot taken. When the window has
// had all its failures the username is locked (the lock is written here
// too, in case the last failure did not get to it); otherwise the slots
// belong to logins still checking, and a retry in a second may find one.
func (s *Service) full(ctx context.Context, a *attempt, now time.Time) error {
	last, err := s.Claims.FindClaim(ctx, a.tenantID, failID(a.window, a.n-1))
	if err != nil {
		return err
	}
	if last == nil {
		return errs.Lock("credentials", msgLocked, time.Second)
	}
	until, err := s.lock(ctx, a, now)
	if err != nil {
		return err
	}
	return errs.Lock("credentials", msgLocked, until.Sub(now))
}

// failAttempt keeps a's slot as a failure, counts the failure by claiming
// the window's next failure number, and locks the username at the last.
func (s *Service) failAttempt(ctx context.Context, a *attempt) error {
	for j := range a.n {
		err := s.Claims.InsertClaim(ctx, a.tenantID, Claim{ID: failID(a.window, j), Expires: a.end})
		if errs.Is(err, errs.Conflict) {
			continue
		}
		if err != nil || j < a.n-1 {
			return err
		}
		_, err = s.lock(ctx, a, clock.Stored(s.Now()))
		return err
	}
	return nil
}

// lock locks a's username for lockout_duration from now, unless a lock
// that ends later is there already, and returns when the lock ends. The
// lock document is kept to the end of the window its end falls in, since
// until then it also marks where the next window starts. Replacing an old
// lock is an update, but no race depends on it: racing lockers all write
// about now + lockout_duration.
func (s *Service) lock(ctx context.Context, a *attempt, now time.Time) (time.Time, error) {
	until := now.Add(a.duration)
	_, keep := window(until, a.width, nil)
	c := Claim{ID: lockID(a.user), Expires: keep, Until: &until}
	for range 3 {
		err := s.Claims.InsertClaim(ctx, a.tenantID, c)
		if !errs.Is(err, errs.Conflict) {
			return until, err
		}
		old, err := s.Claims.FindClaim(ctx, a.tenantID, c.ID)
		switch {
		case err != nil:
			return until, err
		case old == nil: // deleted meanwhile: insert again
			continue
		case old.Until != nil && old.Until.After(now):
			return *old.Until, nil
		}
		if err := s.Claims.ReplaceClaim(ctx, a.tenantID, old, c); err != nil {
			return until, err
		}
		return until, nil
	}
	return until, nil
}

// EndLockout ends username's lockout in tenant t at once, for an operator
// recovering an account: the lock is written as ended now, which also
// starts a fresh window (see window), so neither the lock nor the failures
// counted so far refuse the next login. Errors: Unavailable.
func (s *Service) EndLockout(ctx context.Context, t *tenants.Tenant, username string) error {
	now := clock.Stored(s.Now())
	_, keep := window(now, t.Settings.LockoutWindow, nil)
	c := Claim{ID: lockID(claimUser(username)), Expires: keep, Until: &now}
	err := s.Claims.InsertClaim(ctx, t.ID, c)
	if !errs.Is(err, errs.Conflict) {
		return err
	}
	old, err := s.Claims.FindClaim(ctx, t.ID, c.ID)
	if err != nil || old == nil {
		return err
	}
	return s.Claims.ReplaceClaim(ctx, t.ID, old, c)
}

func lockID(user string) string          { return "lock|" + user }
func failID(window string, j int) string { return "fail|" + window + "|" + strconv.Itoa(j) }

// window returns the fixed window of width seconds that now falls in: a
// bucket of Unix time, which starts later if a lock ended inside it (a lock
// that ends starts a fresh count).
func window(now time.Time, width int64, lock *Claim) (start, end time.Time) {
	width = max(width, 1)
	start = time.Unix(now.Unix()/width*width, 0).UTC()
	end = start.Add(time.Duration(width) * time.Second)
	if lock != nil && lock.Until != nil && lock.Until.After(start) && !lock.Until.After(now) {
		start = *lock.Until
	}
	return start, end
}

// claimUser is the key of username in claim ids: the hex SHA-256 of its
// lowercased form (usernames are case-insensitive).
func claimUser(username string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(username)))
	return hex.EncodeToString(sum[:])
}

// CheckCurrentPassword implements users.Passwords: it checks password
// against u's as a login would, in a hash slot and under the lockout of u's
// username, so a wrong current password counts as a failed login and a
// locked username is refused without a check. Errors: Locked (on the field
// "current_password"), Unavailable.
func (s *Service) CheckCurrentPassword(ctx context.Context, tenantID string, u *users.User, password string) (bool, error) {
	release, err := s.Hashes.Acquire(ctx)
	if err != nil {
		return false, err
	}
	defer release()
	t, err := s.Tenants.FindByID(ctx, tenantID)
	if err != nil {
		return false, err
	}
	ok, err := s.checkPassword(ctx, t, u.Username, u.PasswordHash, password, true)
	if e, isErr := errs.As(err); isErr && e.Code == errs.Locked {
		return false, errs.Lock("current_password", msgLocked, e.RetryAfter)
	}
	return ok, err
}

// Unlock ends the lockout of user id's username at once: its lock, and the
// slots and failures of every window, so the next login with the right
// password succeeds and the count starts afresh. Unlocking a username that
// is not locked changes nothing. p needs UnlockUsers (checked before the
// lookup, so a 404 tells nobody without the right which ids exist); it
// makes no credential, so an OBO token may, within its role. Returns the
// user. Errors: Forbidden, NotFound (field "user"), Unavailable.
func (s *Service) Unlock(ctx context.Context, p *access.Principal, id ids.ID) (*users.User, error) {
	if err := p.Check(access.UnlockUsers); err != nil {
		return nil, err
	}
	u, err := s.Users.Get(ctx, p.TenantID, id)
	if err != nil {
		return nil, err
	}
	user := claimUser(u.Username)
	// The lock goes last: while it stands no login claims a slot, so none
	// is counted against the window being cleared.
	for _, prefix := range []string{"fail|" + user + "|", user + "|"} {
		if _, err := s.Claims.DeleteClaims(ctx, p.TenantID, prefix); err != nil {
			return nil, err
		}
	}
	return u, s.Claims.DeleteClaim(ctx, p.TenantID, lockID(user))
}
