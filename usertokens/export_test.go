package usertokens

import (
	"context"
	"strconv"

	"github.com/latchkey/latchkey/internal/clock"
)

// PasswordChecks returns how many passwords s has checked.
func PasswordChecks(s *Service) int64 { return s.PasswordChecks() }

// HeldClaims counts the lockout claims (slots, failures and the lock)
// username holds in tenant's current window, each read by its id.
func HeldClaims(ctx context.Context, s *Service, tenantID, username string) (int, error) {
	t, err := s.Tenants.FindByID(ctx, tenantID)
	if err != nil {
		return 0, err
	}
	user := claimUser(username)
	lock, err := s.Claims.FindClaim(ctx, tenantID, lockID(user))
	if err != nil {
		return 0, err
	}
	n := 0
	if lock != nil {
		n++
	}
	start, _ := window(clock.Stored(s.Now()), t.Settings.LockoutWindow, lock)
	w := user + "|" + strconv.FormatInt(start.UnixMilli(), 10)
	for i := range t.Settings.LockoutAttempts {
		for _, id := range []string{w + "|" + strconv.Itoa(i), failID(w, i)} {
			c, err := s.Claims.FindClaim(ctx, tenantID, id)
			if err != nil {
				return 0, err
			}
			if c != nil {
				n++
			}
		}
	}
	return n, nil
}

// LockOf returns username's lock in tenant, or nil.
func LockOf(ctx context.Context, s *Service, tenantID, username string) (*Claim, error) {
	return s.Claims.FindClaim(ctx, tenantID, lockID(claimUser(username)))
}

// DropLock deletes username's lock in tenant, as if the instance that was
// to write it had died.
func DropLock(ctx context.Context, s *Service, tenantID, username string) error {
	return s.Claims.DeleteClaim(ctx, tenantID, lockID(claimUser(username)))
}

// BeforeRefreshInsert makes f run in every Refresh of s between its checks
// and the successor's insert.
func BeforeRefreshInsert(s *Service, f func()) { s.beforeRefreshInsert = f }
