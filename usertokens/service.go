package usertokens

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/latchkey/latchkey/internal/access"
	"github.com/latchkey/latchkey/internal/clock"
	"github.com/latchkey/latchkey/internal/ended"
	"github.com/latchkey/latchkey/internal/errs"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/secret"
	"github.com/latchkey/latchkey/tenants"
	"github.com/latchkey/latchkey/users"
)

// Service manages user tokens.
type Service struct {
	Tenants *tenants.Service
	Users   *users.Service
	Store   Store
	Claims  ClaimStore
	// Invalidate drops a tenant's cached credentials on this instance.
	Invalidate func(tenantID string)
	Now        func() time.Time
	// DummyHash is checked against the password of unknown users, so that
	// they take as long as known ones.
	DummyHash string
	// Hashes bounds the password checks running at once (nil: no bound).
	Hashes *secret.Limiter
	// Keys tag the token strings it makes and check the ones it reads.
	Keys *secret.Keyring
	// Catalog checks the scopes personal and OBO tokens are issued with.
	Catalog Catalog

	checks atomic.Int64 // passwords checked
	// beforeRefreshInsert, when set (by tests), runs in Refresh after the
	// checks and before the successor's insert, so a test can let another
	// refresh win in between and the losing path run every time.
	beforeRefreshInsert func()
}

// PasswordChecks returns how many passwords s has checked since it was
// made: the lockout's bound is on this number.
func (s *Service) PasswordChecks() int64 { return s.checks.Load() }

// Session is a newly issued login token with its refresh token; the two
// secrets exist only here and in the response.
type Session struct {
	Token         *Token
	Secret        string
	RefreshSecret string
	User          *users.User
}

var errCredentials = errs.E(errs.Unauthorized, "credentials", "Invalid username or password.")

// LoginInput is what a login presents.
type LoginInput struct {
	Username string
	Password string
	Seconds  *int64
	Long     bool
	AppToken ids.ID
}

// LoginError is the error of a login refused for its credentials
// (Unauthorized) or for a lock on its username (Locked). It carries the
// user the username names, nil when there is none, so that the failure is
// recorded without looking the username up again; clients hear Err alone.
type LoginError struct {
	User *users.User
	Err  error
}

func (e *LoginError) Error() string { return e.Err.Error() }

// Unwrap returns Err, so errs reads its code.
func (e *LoginError) Unwrap() error { return e.Err }

// Login checks a username and password in tenant tenantID and issues a
// login token with a refresh token. Unknown users and wrong passwords get
// the same error after the same work: one username lookup and one password
// check. Errors: Invalid, Unauthorized and Locked (as a *LoginError),
// Unavailable.
func (s *Service) Login(ctx context.Context, tenantID string, in LoginInput) (*Session, error) {
	a, err := s.authenticate(ctx, tenantID, in)
	if err != nil {
		return nil, err
	}
	return s.issue(ctx, a.tenant, a.user, in.AppToken, a.ttl, nil)
}

// authenticated is what authenticate found: the tenant, its user and the
// lifetime the login's token gets.
type authenticated struct {
	tenant *tenants.Tenant
	user   *users.User
	ttl    int64
}

// authenticate finds the tenant and its active user whose username and
// password in names, and the lifetime in asks for. It holds one of the hash slots
// (password.max_concurrent) from before any store read to the end of the
// check, so a login flood beyond the queue is answered Unavailable at once,
// costing neither reads nor memory. Errors: Invalid (a lifetime the tenant
// does not allow), Unauthorized and Locked (as a *LoginError), Unavailable.
func (s *Service) authenticate(ctx context.Context, tenantID string, in LoginInput) (*authenticated, error) {
	release, err := s.Hashes.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	t, err := s.Tenants.FindByID(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	ttl, err := loginTTL(t.Settings, in.Seconds, in.Long)
	if err != nil {
		return nil, err
	}
	acct, err := s.Users.FindByUsername(ctx, t.ID, in.Username)
	if err != nil && !errs.Is(err, errs.NotFound) {
		return nil, err
	}
	hash := s.DummyHash
	if acct != nil {
		hash = acct.PasswordHash
	}
	ok, err := s.checkPassword(ctx, t, in.Username, hash, in.Password, acct != nil && acct.Active())
	if errs.Is(err, errs.Locked) {
		return nil, &LoginError{User: acct, Err: err}
	}
	if err != nil {
		return nil, err
	}
	if !ok || acct == nil || !acct.Active() {
		return nil, &LoginError{User: acct, Err: errCredentials}
	}
	return &authenticated{tenant: t, user: acct, ttl: ttl}, nil
}

func loginTTL(st tenants.Settings, seconds *int64, long bool) (int64, error) {
	switch {
	case seconds != nil && long:
		return 0, errs.E(errs.Invalid, "long", "Give either long or seconds_until_expire, not both.")
	case seconds != nil && *seconds < 1:
		return 0, errs.E(errs.Invalid, "seconds_until_expire", "Must be at least 1 when logging in.")
	case seconds != nil:
		return *seconds, tenants.CheckSeconds(*seconds, st.MaxTokenTTL)
	case long:
		return st.LongTokenTTL, nil
	default:
		return st.UserTokenTTL, nil
	}
}

// issue inserts a login token with a refresh token for acct. parent, when
// set, is the token whose refresh token this spends: the unique index on
// parent lets exactly one such insert succeed.
func (s *Service) issue(ctx context.Context, t *tenants.Tenant, acct *users.User, appToken ids.ID, ttl int64, parent *Token) (*Session, error) {
	now := clock.Stored(s.Now())
	id := ids.New()
	plain := s.Keys.NewToken(secret.User, t.ID, id)
	refresh := s.Keys.NewToken(secret.Refresh, t.ID, id) // names the same record
	refreshExpires := tenants.Expiry(now, t.Settings.RefreshTokenTTL)
	tok := &Token{ID: id, Hash: secret.Hash(plain), RefreshHash: secret.Hash(refresh),
		RefreshExpires: &refreshExpires, Kind: Login, UserID: acct.ID, AppTokenID: appToken,
		Created: now, Expires: tenants.Expiry(now, ttl), Lifetime: ttl, Last: secret.Last(plain)}
	tok.Chain = &tok.ID
	if parent != nil {
		tok.Chain, tok.Parent = parent.Chain, &parent.ID
	}
	if err := s.Store.Insert(ctx, t.ID, tok); err != nil {
		return nil, err
	}
	return &Session{Token: tok, Secret: plain, RefreshSecret: refresh, User: acct}, nil
}

// Current returns the token the principal authenticated with, as the
// middleware verified it: no store read, so the most frequent call costs no
// more than the verification (the record is at most cache.ttl old, like
// every verification). Errors: NotFound (a principal without a verified
// token that was deleted since).
func (s *Service) Current(ctx context.Context, p *access.Principal) (*Token, error) {
	c := p.Token
	if c.TokenID != p.TokenID || c.TokenID.IsZero() {
		return s.Store.FindByID(ctx, p.TenantID, p.TokenID)
	}
	t := &Token{ID: c.TokenID, Kind: c.Kind, UserID: c.UserID, AppTokenID: c.AppTokenID, Name: c.Name,
		Created: c.Created, Expires: c.Expires, LastUsed: c.LastUsed, Scopes: c.Scopes.Names, Last: c.Last}
	if !c.ActorID.IsZero() {
		actor := c.ActorID
		t.ActorID = &actor
	}
	return t, nil
}

// ExtendCurrent re-dates the principal's own token to seconds from now,
// within the tenant's max_token_ttl (-1 or less expires it, with its
// refresh token, as the user's own doing). The store re-dates only a token
// that is still live: one that another instance expired meanwhile (within
// cache.ttl it may still authenticate here) stays expired.
// Errors: Invalid, NotFound, Conflict (ErrExpired).
func (s *Service) ExtendCurrent(ctx context.Context, p *access.Principal, seconds int64) (*Token, error) {
	t, err := s.Tenants.FindByID(ctx, p.TenantID)
	if err != nil {
		return nil, err
	}
	if err := tenants.CheckSeconds(seconds, t.Settings.MaxTokenTTL); err != nil {
		return nil, err
	}
	tok, err := s.Current(ctx, p)
	if err != nil {
		return nil, err
	}
	now := clock.Stored(s.Now())
	c := ended.Change{Expires: tenants.Expiry(now, seconds), Now: now, By: ended.User}
	if err := checkOBOExtension(p, tok.Expires, c.Expires); err != nil {
		return nil, err
	}
	if err := s.Store.SetExpires(ctx, p.TenantID, tok.ID, c); err != nil {
		return nil, err
	}
	s.Invalidate(p.TenantID)
	tok.apply(c)
	return tok, nil
}

// Logout expires the principal's token and its refresh token now.
// Errors: NotFound.
func (s *Service) Logout(ctx context.Context, p *access.Principal) error {
	now := clock.Stored(s.Now())
	if err := s.Store.SetExpires(ctx, p.TenantID, p.TokenID, ended.Change{Expires: now, Now: now, By: ended.User}); err != nil {
		return err
	}
	s.Invalidate(p.TenantID)
	return nil
}

// ExpireUser expires every live token of user in tenant, except keep (zero
// for none), records by as the reason, and returns how many it expired.
// It implements users.Tokens. Errors: Unavailable.
func (s *Service) ExpireUser(ctx context.Context, tenantID string, user, keep ids.ID, by ended.By) (int64, error) {
	return s.expire(ctx, tenantID, Selector{User: &user, Keep: keep}, by)
}

// ExpireIssuedBy expires every live OBO token user issued, for good: a
// disabled or deleted admin's OBO tokens do not come back when it returns.
// Their reason is "issuer". It implements users.Tokens. Errors: Unavailable.
func (s *Service) ExpireIssuedBy(ctx context.Context, tenantID string, user ids.ID) (int64, error) {
	return s.expire(ctx, tenantID, Selector{Actor: &user}, ended.Issuer)
}

// expire expires the tokens sel selects now, for the reason by, and
// forgets the tenant's cached credentials on this instance.
func (s *Service) expire(ctx context.Context, tenantID string, sel Selector, by ended.By) (int64, error) {
	n, err := s.Store.Expire(ctx, tenantID, sel, clock.Stored(s.Now()), by)
	s.Invalidate(tenantID)
	return n, err
}

// apply makes t, as read before the change c was stored, show the change.
func (t *Token) apply(c ended.Change) {
	if !c.Ends() {
		t.Expires = c.Expires
		return
	}
	if t.Expires.After(c.Now) {
		t.Expires, t.EndedBy = c.Expires, c.By
	}
	if t.RefreshExpires != nil && t.RefreshExpires.After(c.Expires) {
		at := c.Expires
		t.RefreshExpires = &at
	}
}

// FindByRef returns the user token ref names in tenant: the record of its
// id, and, when ref was made from a token string, only if the string's hash
// matches the stored one (compared in constant time). Authentication calls
// it with refs of presented strings. Errors: NotFound, Unavailable.
func (s *Service) FindByRef(ctx context.Context, tenantID string, ref secret.Ref) (*Token, error) {
	return secret.Lookup(ctx, ref, s.finder(tenantID), func(t *Token) string { return t.Hash }, ErrNotFound)
}

// findByRefresh returns the token whose refresh token ref names, or
// NotFound.
func (s *Service) findByRefresh(ctx context.Context, tenantID string, ref secret.Ref) (*Token, error) {
	return secret.Lookup(ctx, ref, s.finder(tenantID), func(t *Token) string { return t.RefreshHash }, ErrNotFound)
}

// finder reads tokens of tenantID by id.
func (s *Service) finder(tenantID string) func(context.Context, ids.ID) (*Token, error) {
	return func(ctx context.Context, id ids.ID) (*Token, error) { return s.Store.FindByID(ctx, tenantID, id) }
}
