package usertokens

import (
	"context"
	"time"

	"github.com/latchkey/latchkey/internal/access"
	"github.com/latchkey/latchkey/internal/clock"
	"github.com/latchkey/latchkey/internal/ended"
	"github.com/latchkey/latchkey/internal/errs"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/page"
	"github.com/latchkey/latchkey/internal/secret"
	"github.com/latchkey/latchkey/tenants"
)

// MaxNameLen bounds a token's name.
const MaxNameLen = 200

// MaxScopes bounds the scopes of a token.
const MaxScopes = 100

// New is the input of Create.
type New struct {
	// User is the 24-hex id of the user the token acts as; "" or the
	// caller's own id makes a personal token, another id an OBO token.
	User string
	// Seconds until the token expires; nil takes the tenant's obo_token_ttl.
	Seconds *int64
	Name    string
	// Scopes restrict the token; nil gives it the issuing
	// request's effective scopes when those are restricted, else none
	// (unrestricted), so a token never escapes its issuer's restriction.
	Scopes *[]string
}

// Catalog checks scope names against the scope catalog; package scopes'
// Service implements it.
type Catalog interface {
	// Check returns nil when every name is in the catalog. Errors:
	// Invalid on field, Unavailable.
	Check(ctx context.Context, field string, names []string) error
}

// ErrScopesBeyond answers a token asked for with scopes its issuing
// request does not hold.
var ErrScopesBeyond = errs.E(errs.Forbidden, "scopes", "A token can only be given scopes the request that issues it holds.")

// scopesOf returns the scopes of a new token as in asks (see New.Scopes),
// checked against the catalog and the issuing principal p.
// Errors: Invalid (unknown names), Forbidden (ErrScopesBeyond).
func (s *Service) scopesOf(ctx context.Context, p *access.Principal, in New) ([]string, error) {
	if in.Scopes == nil {
		if p.Scopes.Restricted {
			return p.Scopes.Names, nil
		}
		return nil, nil
	}
	if err := s.Catalog.Check(ctx, "scopes", *in.Scopes); err != nil {
		return nil, err
	}
	asked := access.ScopesOf(*in.Scopes)
	if !asked.Within(p.Scopes) {
		return nil, ErrScopesBeyond
	}
	return asked.Names, nil
}

var (
	errUserDisabled = errs.E(errs.Conflict, "user", "This user is disabled.")
)

// Create issues a personal token for the caller, or an OBO token for another
// user with the caller as its actor, and returns it with its secret, which
// is never available again. Neither kind has a refresh token. A request made
// with an OBO token cannot issue tokens of either kind, so nothing it makes
// escapes the cap of its issuer's role (authn's CheckMakeCredential).
// Errors: Invalid (every bad field at once), Forbidden, NotFound (field
// "user"), Conflict (user disabled).
func (s *Service) Create(ctx context.Context, p *access.Principal, in New) (*Token, string, error) {
	if err := p.CheckMakeCredential(); err != nil {
		return nil, "", err
	}
	t, err := s.Tenants.FindByID(ctx, p.TenantID)
	if err != nil {
		return nil, "", err
	}
	target, seconds, err := checkNew(t.Settings, p, in)
	if err != nil {
		return nil, "", err
	}
	scopes, err := s.scopesOf(ctx, p, in)
	if err != nil {
		return nil, "", err
	}
	tok := &Token{ID: ids.New(), Kind: Personal, UserID: p.UserID, AppTokenID: p.AppTokenID, Name: in.Name, Scopes: scopes}
	if target != p.UserID {
		if err := s.checkOBO(ctx, p, target); err != nil {
			return nil, "", err
		}
		actor := p.UserID
		tok.Kind, tok.UserID, tok.ActorID = OBO, target, &actor
	}
	now := clock.Stored(s.Now())
	plain := s.Keys.NewToken(secret.User, t.ID, tok.ID)
	tok.Hash, tok.Last, tok.Created, tok.Expires = secret.Hash(plain), secret.Last(plain), now, tenants.Expiry(now, seconds)
	if err := s.Store.Insert(ctx, t.ID, tok); err != nil {
		return nil, "", err
	}
	// A new token replaces nothing the verification cache holds, so there
	// is nothing to invalidate.
	return tok, plain, nil
}

// checkNew validates every field of in at once and returns the target user
// and the lifetime.
func checkNew(st tenants.Settings, p *access.Principal, in New) (ids.ID, int64, error) {
	bad := map[string]string{}
	target := p.UserID
	if in.User != "" {
		id, err := ids.Parse(in.User)
		if err != nil {
			bad["user"] = errs.MalformedID
		}
		target = id
	}
	seconds := st.OBOTokenTTL
	if in.Seconds != nil {
		seconds = *in.Seconds
	}
	if seconds < 1 {
		bad["seconds_until_expire"] = "Must be at least 1 when creating a token."
	} else if e, ok := errs.As(tenants.CheckSeconds(seconds, st.MaxTokenTTL)); ok {
		bad["seconds_until_expire"] = e.Fields["seconds_until_expire"]
	}
	if len(in.Name) > MaxNameLen {
		bad["name"] = "Must be at most 200 characters."
	}
	if in.Scopes != nil && len(*in.Scopes) > MaxScopes {
		bad["scopes"] = "At most 100 scopes."
	}
	return target, seconds, errs.Fields(bad)
}

// checkOBO decides whether p may issue an OBO token for user target: p needs
// IssueOBO, target must exist in p's tenant, be active and have a role no
// stronger than p's (authn's rank rules).
func (s *Service) checkOBO(ctx context.Context, p *access.Principal, target ids.ID) error {
	// Before the lookup: a 404 would tell a caller without the right which
	// ids exist.
	if err := p.Check(access.IssueOBO); err != nil {
		return err
	}
	acct, err := s.Users.Get(ctx, p.TenantID, target)
	if err != nil {
		return err
	}
	if err := p.CheckIssueOBO(acct.Role); err != nil {
		return err
	}
	if !acct.Active() {
		return errUserDisabled
	}
	return nil
}

// Filter selects user tokens in List; zero fields select everything.
type Filter struct {
	User *ids.ID
	Kind string
	// Active, when set, selects live (true) or expired (false) tokens.
	Active *bool
}

// List returns a page of the tenant's user tokens matching f, newest first,
// and the cursor of the next page. Callers who may not view every token
// (members) see only their own, whatever f says. Errors: Invalid (cursor).
func (s *Service) List(ctx context.Context, p *access.Principal, f Filter, pg page.Page) ([]Token, string, error) {
	if !p.Can(access.ViewAnyToken) {
		if f.User != nil && *f.User != p.UserID {
			return nil, "", nil
		}
		self := p.UserID
		f.User = &self
	}
	return s.Store.Find(ctx, p.TenantID, f, clock.Stored(s.Now()), pg)
}

// Get returns the token ref (its public id or its token string) as p may
// see it: a caller who may not view every token gets NotFound for tokens of
// other users, so their existence does not leak. Errors: Invalid (malformed
// ref), NotFound.
func (s *Service) Get(ctx context.Context, p *access.Principal, ref string) (*Token, error) {
	r, err := s.Keys.ParseRef(ref, secret.User, p.TenantID, "token")
	if err != nil {
		return nil, err
	}
	tok, err := s.FindByRef(ctx, p.TenantID, r)
	if err != nil {
		return nil, err
	}
	if tok.UserID != p.UserID && !p.Can(access.ViewAnyToken) {
		return nil, ErrNotFound
	}
	return tok, nil
}

// SetExpiry re-dates the token ref to seconds from now, within the tenant's
// max_token_ttl; -1 or less (or 0) expires it, together with its refresh
// token. Anyone may re-date their own tokens; other users' tokens need
// ExpireAnyToken to expire and ExtendAnyToken to extend. Expired is final:
// the store re-dates only a token that is still live, so a leaked token
// that support expired stays dead, and expiring it again changes nothing
// (its refresh token aside). An expiry records why the token ended: "user"
// on one's own token, "support" on another's.
// Errors: Invalid, Forbidden, NotFound, Conflict (ErrExpired).
func (s *Service) SetExpiry(ctx context.Context, p *access.Principal, ref string, seconds int64) (*Token, error) {
	t, err := s.Tenants.FindByID(ctx, p.TenantID)
	if err != nil {
		return nil, err
	}
	if err := tenants.CheckSeconds(seconds, t.Settings.MaxTokenTTL); err != nil {
		return nil, err
	}
	tok, err := s.Get(ctx, p, ref)
	if err != nil {
		return nil, err
	}
	extend := seconds > 0
	by := ended.User
	if tok.UserID != p.UserID {
		if extend && !p.Can(access.ExtendAnyToken) {
			if !p.Can(access.ExpireAnyToken) {
				return nil, p.Check(access.ExtendAnyToken)
			}
			return nil, errs.E(errs.Forbidden, "seconds_until_expire", "Your role ("+string(p.Role)+
				") may only expire other users' tokens (seconds_until_expire -1 or less).")
		}
		if err := p.Check(access.ExpireAnyToken); err != nil {
			return nil, err
		}
		by = ended.Support
	}
	now := clock.Stored(s.Now())
	c := ended.Change{Expires: tenants.Expiry(now, seconds), Now: now, By: by}
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

var errOBOExtends = errs.E(errs.Forbidden, "seconds_until_expire",
	"A request made with an on-behalf-of token cannot move any expiry later; it may only shorten or expire.")

// checkOBOExtension refuses a request made with an OBO token that would
// move an expiry from old to later: an OBO token lives at most as long as
// its issuer gave it, and cannot lengthen itself or another token.
func checkOBOExtension(p *access.Principal, old, expires time.Time) error {
	if p.OBO() && expires.After(old) {
		return errOBOExtends
	}
	return nil
}

// Delete removes the token ref (and its refresh token). Anyone may delete
// their own tokens; other users' tokens need ExpireAnyToken.
// Errors: Invalid, Forbidden, NotFound.
func (s *Service) Delete(ctx context.Context, p *access.Principal, ref string) (*Token, error) {
	tok, err := s.Get(ctx, p, ref)
	if err != nil {
		return nil, err
	}
	if tok.UserID != p.UserID {
		if err := p.Check(access.ExpireAnyToken); err != nil {
			return nil, err
		}
	}
	if err := s.Store.Delete(ctx, p.TenantID, tok.ID); err != nil {
		return nil, err
	}
	s.Invalidate(p.TenantID)
	return tok, nil
}

// ExpireUserTokens expires every live token of user now, including the one
// p uses when user is p's own, and returns how many it expired. Users may
// do it to themselves; for others it needs ExpireAnyToken.
// Errors: Forbidden, NotFound (field "user").
func (s *Service) ExpireUserTokens(ctx context.Context, p *access.Principal, user ids.ID) (int64, error) {
	if user != p.UserID {
		if err := p.Check(access.ExpireAnyToken); err != nil {
			return 0, err
		}
		if _, err := s.Users.Get(ctx, p.TenantID, user); err != nil {
			return 0, err
		}
	}
	by := ended.Support
	if user == p.UserID {
		by = ended.User
	}
	return s.ExpireUser(ctx, p.TenantID, user, ids.ID{}, by)
}
