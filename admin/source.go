package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"time"

	"github.com/latchkey/latchkey/apptokens"
	"github.com/latchkey/latchkey/internal/access"
	"github.com/latchkey/latchkey/internal/authn"
	"github.com/latchkey/latchkey/internal/secret"
	"github.com/latchkey/latchkey/tenants"
	"github.com/latchkey/latchkey/users"
	"github.com/latchkey/latchkey/usertokens"
)

// Source resolves hashed tokens for the authenticating middleware from the
// tenant registry, the app tokens, the user tokens and the users.
type Source struct {
	Tenants   *tenants.Service
	AppTokens *apptokens.Service
	Tokens    *usertokens.Service
	Users     *users.Service
}

var _ authn.Source = (*Source)(nil)

// AppCredential implements authn.Source.
func (s *Source) AppCredential(ctx context.Context, tenantID string, ref secret.Ref) (access.AppCredential, error) {
	t, err := s.Tenants.FindByID(ctx, tenantID)
	if err != nil {
		return access.AppCredential{}, err
	}
	tok, err := s.AppTokens.FindByRef(ctx, tenantID, ref)
	if err != nil {
		return access.AppCredential{}, err
	}
	return access.AppCredential{TenantID: t.ID, TenantSlug: t.Slug, TenantActive: t.Active(), Platform: t.Platform,
		TokenID: tok.ID, Created: tok.Created, Expires: tok.Expires, RateLimit: tok.RateLimit, Scopes: access.ScopesOf(tok.Scopes),
		ExternalID: tok.ExternalID, Meta: compact(tok.Meta)}, nil
}

// RateClaims records the rate limiter's claims of chunks (see
// internal/ratelimit) as claims of the tenant's database, beside the
// lockout's, which the periodic purge removes once they expire. Their ids
// start with "rate|", which no lockout claim does.
type RateClaims struct{ Claims usertokens.ClaimStore }

// Claim implements ratelimit.Claimer.
func (r RateClaims) Claim(ctx context.Context, tenantID, id string, expires time.Time) error {
	return r.Claims.InsertClaim(ctx, tenantID, usertokens.Claim{ID: id, Expires: expires})
}

// Console resolves tenantID's built-in console app token, for
// authn.Authenticator.Console. Errors: NotFound (no such tenant, or no
// console app token yet), Unavailable.
func (s *Source) Console(ctx context.Context, tenantID string) (access.AppCredential, error) {
	t, err := s.Tenants.FindByID(ctx, tenantID)
	if err != nil {
		return access.AppCredential{}, err
	}
	tok, err := s.AppTokens.Store.FindByID(ctx, tenantID, access.ConsoleApp)
	if err != nil {
		return access.AppCredential{}, err
	}
	return access.AppCredential{TenantID: t.ID, TenantSlug: t.Slug, TenantActive: t.Active(), Platform: t.Platform,
		TokenID: tok.ID, Created: tok.Created, Expires: tok.Expires}, nil
}

// UserCredential implements authn.Source.
func (s *Source) UserCredential(ctx context.Context, tenantID string, ref secret.Ref) (access.UserCredential, error) {
	tok, err := s.Tokens.FindByRef(ctx, tenantID, ref)
	if err != nil {
		return access.UserCredential{}, err
	}
	u, err := s.Users.Get(ctx, tenantID, tok.UserID)
	if err != nil {
		return access.UserCredential{}, err
	}
	cred := access.UserCredential{TokenID: tok.ID, Kind: tok.Kind, Expires: tok.Expires, UserID: u.ID,
		Username: u.Username, Role: u.Role, UserActive: u.Active(), ActorActive: true,
		Name: tok.Name, AppTokenID: tok.AppTokenID, Created: tok.Created, LastUsed: tok.LastUsed,
		Scopes: access.ScopesOf(tok.Scopes), Last: tok.Last}
	if tok.ActorID != nil {
		actor, err := s.Users.Get(ctx, tenantID, *tok.ActorID)
		if err != nil {
			return access.UserCredential{}, err
		}
		cred.ActorID, cred.ActorRole, cred.ActorActive = actor.ID, actor.Role, actor.Active()
	}
	return cred, nil
}

// compact returns meta, a JSON object's text as it was given, in the
// compact form encoding/json writes (what /verify answers with, made once
// per credential); "" stays "".
func compact(meta string) string {
	if meta == "" {
		return ""
	}
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(meta)); err != nil {
		return "" // stored checked; a record that is not JSON shows none
	}
	return b.String()
}
