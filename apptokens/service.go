package apptokens

import (
	"context"
	"encoding/json"
	"time"

	"github.com/latchkey/latchkey/internal/access"
	"github.com/latchkey/latchkey/internal/clock"
	"github.com/latchkey/latchkey/internal/ended"
	"github.com/latchkey/latchkey/internal/errs"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/page"
	"github.com/latchkey/latchkey/internal/ratelimit"
	"github.com/latchkey/latchkey/internal/secret"
	"github.com/latchkey/latchkey/tenants"
)

// Service manages app tokens.
type Service struct {
	Tenants *tenants.Service
	Store   Store
	// Keys tag the token strings it makes and check the ones it reads.
	Keys *secret.Keyring
	// Invalidate drops a tenant's cached credentials on this instance.
	Invalidate func(tenantID string)
	Now        func() time.Time
	// Catalog checks the scopes tokens are given.
	Catalog Catalog
}

// Catalog checks scope names against the scope catalog; package scopes'
// Service implements it.
type Catalog interface {
	// Check returns nil when every name is in the catalog. Errors:
	// Invalid on field, Unavailable.
	Check(ctx context.Context, field string, names []string) error
}

// New is the input of Create.
type New struct {
	Name string
	// Seconds until the token expires; nil takes the tenant's app_token_ttl.
	Seconds   *int64
	CreatedBy *ids.ID
	// RateLimit is the token's rate limit when SetRateLimit; otherwise it
	// takes the tenant's app_token_rate_limit.
	RateLimit    *ratelimit.Policy
	SetRateLimit bool
	// Scopes restrict the token; nil leaves it unrestricted.
	Scopes []string
	// ExternalID and Meta are its metadata (Meta a JSON object's text, ""
	// for none), checked by CheckMeta.
	ExternalID string
	Meta       string
}

// Create makes an app token for t and returns it with its secret, which is
// never available again. Errors: Invalid (seconds over the maximum, scopes
// not in the catalog), Unavailable.
func (s *Service) Create(ctx context.Context, t *tenants.Tenant, in New) (*Token, string, error) {
	seconds := t.Settings.AppTokenTTL
	if in.Seconds != nil {
		seconds = *in.Seconds
	}
	if seconds < 1 {
		return nil, "", errs.E(errs.Invalid, "seconds_until_expire", "Must be at least 1 when creating a token.")
	}
	if err := tenants.CheckSeconds(seconds, tenants.MaxAppTokenTTL); err != nil {
		return nil, "", err
	}
	scopes, err := s.checkScopes(ctx, in.Scopes)
	if err != nil {
		return nil, "", err
	}
	now := clock.Stored(s.Now())
	id := ids.New()
	plain := s.Keys.NewToken(secret.App, t.ID, id)
	limit := t.Settings.AppTokenRateLimit
	if in.SetRateLimit {
		limit = in.RateLimit
	}
	tok := &Token{ID: id, Hash: secret.Hash(plain), Name: in.Name, Created: now,
		CreatedBy: in.CreatedBy, Expires: tenants.Expiry(now, seconds), Scopes: scopes,
		ExternalID: in.ExternalID, Meta: in.Meta, Last: secret.Last(plain), RateLimit: limit}
	if err := s.Store.Insert(ctx, t.ID, tok); err != nil {
		return nil, "", err
	}
	return tok, plain, nil
}

// Get returns the app token ref (a public id or the token string) of
// tenant. Errors: Invalid (malformed ref), NotFound.
func (s *Service) Get(ctx context.Context, tenantID, ref string) (*Token, error) {
	r, err := s.Keys.ParseRef(ref, secret.App, tenantID, "token")
	if err != nil {
		return nil, err
	}
	return s.FindByRef(ctx, tenantID, r)
}

// List returns a page of the tenant's app tokens, newest first.
func (s *Service) List(ctx context.Context, tenantID string, pg page.Page) ([]Token, string, error) {
	return s.Store.Find(ctx, tenantID, pg)
}

// SetExpiry re-dates the app token ref to seconds from now (-1 or less:
// now, which expires it), as the user caller asks. Expired is final: the
// store re-dates only a token that is still live, so a token whose expiry
// has passed (by time, by hand or by a leak report) is never brought back;
// expiring it again changes nothing. Expiring the tenant's last live app
// token needs force. An expiry records why the token ended: "user" when
// caller made the token, "support" otherwise. The cache of this instance
// forgets the tenant's credentials at once. Errors: Invalid, NotFound,
// Conflict (ErrExpired, ErrLastLive).
func (s *Service) SetExpiry(ctx context.Context, t *tenants.Tenant, ref string, seconds int64, force bool, caller ids.ID) (*Token, error) {
	if err := tenants.CheckSeconds(seconds, tenants.MaxAppTokenTTL); err != nil {
		return nil, err
	}
	tok, err := s.Get(ctx, t.ID, ref)
	if err != nil {
		return nil, err
	}
	if tok.Console() {
		return nil, ErrConsole
	}
	now := clock.Stored(s.Now())
	by := ended.Support
	if tok.CreatedBy != nil && *tok.CreatedBy == caller {
		by = ended.User
	}
	c := ended.Change{Expires: tenants.Expiry(now, seconds), Now: now, By: by}
	if err := s.Store.SetExpires(ctx, t.ID, tok.ID, c, keepLive(now, force)); err != nil {
		return nil, err
	}
	s.Invalidate(t.ID)
	tok.apply(c)
	return tok, nil
}

// Delete removes the app token ref. Deleting the tenant's last live app
// token needs force. Errors: Invalid, NotFound, Conflict (ErrLastLive).
func (s *Service) Delete(ctx context.Context, tenantID, ref string, force bool) (*Token, error) {
	tok, err := s.Get(ctx, tenantID, ref)
	if err != nil {
		return nil, err
	}
	if tok.Console() {
		return nil, ErrConsole
	}
	if err := s.Store.Delete(ctx, tenantID, tok.ID, keepLive(clock.Stored(s.Now()), force)); err != nil {
		return nil, err
	}
	s.Invalidate(tenantID)
	return tok, nil
}

// apply makes t, as read before the change c was stored, show the change.
func (t *Token) apply(c ended.Change) {
	switch {
	case !c.Ends():
		t.Expires = c.Expires
	case t.Expires.After(c.Now):
		t.Expires, t.EndedBy = c.Expires, c.By
	}
}

// keepLive is the guard of a change at now: none when forced.
func keepLive(now time.Time, force bool) KeepLive {
	if force {
		return Force
	}
	return KeepLive{At: now}
}

// FindByRef returns the app token ref names in tenant: the record of its
// id, and, when ref was made from a token string, only if the string's hash
// matches the stored one (compared in constant time). Authentication calls
// it with refs of presented strings. Errors: NotFound, Unavailable.
func (s *Service) FindByRef(ctx context.Context, tenantID string, ref secret.Ref) (*Token, error) {
	return secret.Lookup(ctx, ref, func(ctx context.Context, id ids.ID) (*Token, error) { return s.Store.FindByID(ctx, tenantID, id) },
		func(t *Token) string { return t.Hash }, ErrNotFound)
}

// ErrConsole answers a change of the console app token, which the console's
// sign-ins depend on.
var ErrConsole = errs.E(errs.Conflict, "token", "This is the tenant's built-in console app token: "+
	"the console signs in through it, so it cannot be expired, re-dated or deleted.")

// Console returns tenant t's built-in console app token (access.ConsoleApp),
// making it when the tenant has none yet (a tenant made before consoles
// signed in by tenant, or whose console has never been used). Its secret is
// random and thrown away at once: no string of it exists, and the stored
// hash matches nothing. It never expires in practice (the longest app token
// lifetime). Two first sign-ins at once both insert; the store keeps one
// (the id is unique) and the loser reads it. Errors: Unavailable.
func (s *Service) Console(ctx context.Context, t *tenants.Tenant) (*Token, error) {
	tok, err := s.Store.FindByID(ctx, t.ID, access.ConsoleApp)
	if !errs.Is(err, errs.NotFound) {
		return tok, err
	}
	now := clock.Stored(s.Now())
	tok = &Token{ID: access.ConsoleApp, Hash: secret.Hash(s.Keys.NewToken(secret.App, t.ID, ids.New())), Name: "Console",
		Created: now, Expires: tenants.Expiry(now, tenants.MaxAppTokenTTL)}
	if err := s.Store.Insert(ctx, t.ID, tok); errs.Is(err, errs.Conflict) {
		return s.Store.FindByID(ctx, t.ID, access.ConsoleApp)
	} else if err != nil {
		return nil, err
	}
	return tok, nil
}

// ErrChosenSecret answers a request that tries to name its own token string.
var ErrChosenSecret = secret.Chosen("app_token")

// checkScopes returns names sorted and without repeats, nil (unrestricted)
// for nil, after checking them against the catalog. Errors: Invalid on
// "scopes", Unavailable.
func (s *Service) checkScopes(ctx context.Context, names []string) ([]string, error) {
	if names == nil {
		return nil, nil
	}
	if len(names) > MaxScopes {
		return nil, errs.E(errs.Invalid, "scopes", "At most 100 scopes.")
	}
	if err := s.Catalog.Check(ctx, "scopes", names); err != nil {
		return nil, err
	}
	return access.ScopesOf(names).Names, nil
}

// MaxScopes bounds the scopes of a token.
const MaxScopes = 100

// MaxMeta is the largest meta object, in bytes of its JSON text.
const MaxMeta = 2048

// CheckMeta returns nil when raw, the JSON text of a meta field, is an
// object of at most MaxMeta bytes. Errors: Invalid on "meta".
func CheckMeta(raw []byte) error {
	if len(raw) > MaxMeta {
		return errs.E(errs.Invalid, "meta", "Must be a JSON object of at most 2048 bytes.")
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
		return errs.E(errs.Invalid, "meta", "Must be a JSON object of at most 2048 bytes.")
	}
	return nil
}

// Details is a change of an app token's name, scopes, metadata and rate
// limit; nil fields stay as they are.
type Details struct {
	Name *string
	// Scopes: nil keeps them; a pointer to nil makes the token
	// unrestricted.
	Scopes     *[]string
	ExternalID *string
	Meta       *string
	// RateLimit is the token's new rate limit (nil: none) when
	// SetRateLimit; otherwise the limit stays as it is.
	RateLimit    *ratelimit.Policy
	SetRateLimit bool
}

// Describes reports whether d changes the token's name, scopes or metadata.
func (d Details) Describes() bool {
	return d.Name != nil || d.Scopes != nil || d.ExternalID != nil || d.Meta != nil
}

// Any reports whether d changes anything.
func (d Details) Any() bool { return d.Describes() || d.SetRateLimit }

// Change applies d to the app token ref of tenant in one write, if the
// token is live: an expired token never works again, and its record stays
// as it ended. The cache of this instance forgets the tenant's credentials
// at once (scopes and the limit decide what the token may do), other
// instances within cache.ttl. Errors: Invalid (scopes not in the
// catalog), NotFound, Conflict (ErrExpiredChange), Unavailable.
func (s *Service) Change(ctx context.Context, tenantID, ref string, d Details) (*Token, error) {
	tok, err := s.Get(ctx, tenantID, ref)
	if err != nil {
		return nil, err
	}
	if d.Scopes != nil {
		scopes, err := s.checkScopes(ctx, *d.Scopes)
		if err != nil {
			return nil, err
		}
		d.Scopes = &scopes
	}
	if err := s.Store.Change(ctx, tenantID, tok.ID, d, clock.Stored(s.Now())); err != nil {
		return nil, err
	}
	s.Invalidate(tenantID)
	return s.Store.FindByID(ctx, tenantID, tok.ID)
}
