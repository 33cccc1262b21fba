package usertokens

import (
	"context"

	"github.com/latchkey/latchkey/internal/clock"
	"github.com/latchkey/latchkey/internal/ended"
	"github.com/latchkey/latchkey/internal/errs"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/secret"
	"github.com/latchkey/latchkey/tenants"
)

var (
	errBadRefresh    = errs.E(errs.Unauthorized, "refresh_token", "Invalid or expired refresh token.")
	errRefreshReused = errs.E(errs.Unauthorized, "refresh_token",
		"This refresh token was already used; every token of its session has been revoked.")
)

// RefreshInput is what a refresh presents.
type RefreshInput struct {
	RefreshToken string
	AppToken     ids.ID
}

// Refresh trades a login token's refresh token for a new login token with
// a new refresh token, in the same refresh chain, and returns the new
// session together with the token whose refresh token was presented (nil
// when none matched; for the audit log).
//
// The successor is inserted with parent = the presented token, under a
// unique index: of any number of concurrent refreshes exactly one insert
// succeeds, and that insert is what spends the refresh token. A refresh
// token that is spent already (its token has a child, or the insert meets
// the unique index) is reuse: every token of the chain expires now, the new
// one included, and the answer is errRefreshReused.
//
// The new token lives as long as the login asked for (its Lifetime: the
// login's seconds_until_expire, long lifetime or the tenant's
// user_token_ttl), capped by the tenant's current max_token_ttl. The
// replaced token and its refresh token expire now (reason "rotation").
//
// Errors: Unauthorized (field refresh_token), Unavailable.
func (s *Service) Refresh(ctx context.Context, t *tenants.Tenant, in RefreshInput) (*Session, *Token, error) {
	rt, ok := s.Keys.Parse(in.RefreshToken)
	if !ok || rt.Kind != secret.Refresh || rt.TenantID != t.ID {
		return nil, nil, errBadRefresh
	}
	parent, err := s.findByRefresh(ctx, t.ID, secret.RefOf(rt, in.RefreshToken))
	if errs.Is(err, errs.NotFound) {
		return nil, nil, errBadRefresh
	}
	if err != nil {
		return nil, nil, err
	}
	if parent.Chain == nil { // every login token has one; guard older documents
		parent.Chain = &parent.ID
	}
	spent, err := s.Store.HasChild(ctx, t.ID, parent.ID)
	if err != nil {
		return nil, parent, err
	}
	if spent {
		return nil, parent, s.revokeChain(ctx, t, parent)
	}
	now := clock.Stored(s.Now())
	if parent.RefreshExpires == nil || !now.Before(*parent.RefreshExpires) {
		return nil, parent, errBadRefresh
	}
	acct, err := s.Users.Get(ctx, t.ID, parent.UserID)
	if errs.Is(err, errs.NotFound) || err == nil && !acct.Active() {
		return nil, parent, errBadRefresh
	}
	if err != nil {
		return nil, parent, err
	}
	if s.beforeRefreshInsert != nil {
		s.beforeRefreshInsert()
	}
	sess, err := s.issue(ctx, t, acct, in.AppToken, refreshTTL(t.Settings, parent), parent)
	if errs.Is(err, errs.Conflict) {
		return nil, parent, s.revokeChain(ctx, t, parent)
	}
	if err != nil {
		return nil, parent, err
	}
	// The refresh token is spent: from here on the client must get its new
	// session, or the next try would count as reuse. Expiring the replaced
	// token is a clean-up that may fail without harm.
	_ = s.Store.SetExpires(context.WithoutCancel(ctx), t.ID, parent.ID, ended.Change{Expires: now, Now: now, By: ended.Rotation})
	s.Invalidate(t.ID)
	return sess, parent, nil
}

// refreshTTL is the lifetime of parent's successor.
func refreshTTL(st tenants.Settings, parent *Token) int64 {
	ttl := parent.Lifetime
	if ttl < 1 {
		ttl = st.UserTokenTTL
	}
	return min(ttl, st.MaxTokenTTL)
}

// revokeChain expires every token of parent's refresh chain now (reason
// "leak": a spent refresh token presented again has leaked) and returns
// errRefreshReused, or the store's error.
func (s *Service) revokeChain(ctx context.Context, t *tenants.Tenant, parent *Token) error {
	_, err := s.expire(context.WithoutCancel(ctx), t.ID, Selector{Chain: parent.Chain}, ended.Leak)
	if err != nil {
		return err
	}
	return errRefreshReused
}
