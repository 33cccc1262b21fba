package verify

import (
	"context"
	"net/http"
	"time"
)

// Caller is who sent a request, as Latchkey verified it: the fields of
// /api/v1/verify's answer. The user's fields are empty when Options.UserOptional
// let a request with an App-Token alone through.
type Caller struct {
	TenantID   string `json:"tenant_id"`
	Tenant     string `json:"tenant"` // the tenant's slug
	AppTokenID string `json:"app_token_id"`
	UserID     string `json:"user_id,omitempty"`
	Username   string `json:"username,omitempty"`
	// Role is the effective role: for an on-behalf-of token, the weaker of
	// its user's role and its issuing admin's.
	Role      string `json:"role,omitempty"`
	ActorID   string `json:"actor_id,omitempty"` // the admin who issued an OBO token, else ""
	TokenID   string `json:"token_id,omitempty"`
	TokenKind string `json:"token_kind,omitempty"` // login, personal or obo
	// Expires is the user token's expiry (the app token's without a user
	// token).
	Expires time.Time `json:"expires"`
	// Scopes are the request's effective scopes, sorted: what both its app
	// token and its user token allow (the whole catalog when neither
	// restricts them).
	Scopes []string `json:"scopes"`
	// ExternalID is the app token's external_id, "" when it has none.
	ExternalID string `json:"external_id,omitempty"`
}

// HasScope reports whether the request's effective scopes hold name.
func (c *Caller) HasScope(name string) bool {
	for _, s := range c.Scopes {
		if s == name {
			return true
		}
	}
	return false
}

// RequireScopes returns a 403 *Error (on "scope") unless the caller holds
// every one of names.
func (c *Caller) RequireScopes(names ...string) error {
	for _, n := range names {
		if !c.HasScope(n) {
			return &Error{Status: http.StatusForbidden, Fields: map[string]string{
				"scope": "This needs the scope " + n + ", which the request does not hold."}}
		}
	}
	return nil
}

// RequireScopes is middleware for routes that need scopes: behind
// Handler, it answers 403 unless the caller's effective scopes hold every
// one of names. The scopes come with the answer the Verifier
// cached, so it asks Latchkey nothing more.
func RequireScopes(names ...string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, ok := FromContext(r.Context())
			if !ok {
				WriteError(w, errNotBehind)
				return
			}
			if err := c.RequireScopes(names...); err != nil {
				WriteError(w, err)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// HasUser reports whether the request carried a user token.
func (c *Caller) HasUser() bool { return c.UserID != "" }

// OBO reports whether the request was made with an on-behalf-of token.
func (c *Caller) OBO() bool { return c.ActorID != "" }

// rank orders the roles; 0 is no role.
var rank = map[string]int{"owner": 4, "admin": 3, "support": 2, "member": 1}

// AtLeast reports whether the caller's effective role is role or a
// stronger one; a caller without a user has no role.
func (c *Caller) AtLeast(role string) bool {
	have := rank[c.Role]
	return have > 0 && have >= rank[role]
}

type contextKey struct{}

// NewContext returns ctx carrying c.
func NewContext(ctx context.Context, c *Caller) context.Context {
	return context.WithValue(ctx, contextKey{}, c)
}

// FromContext returns the Caller that the middleware put in ctx.
func FromContext(ctx context.Context) (*Caller, bool) {
	c, ok := ctx.Value(contextKey{}).(*Caller)
	return c, ok
}

// Require returns a 403 *Error unless the caller's effective role is at
// least role.
func (c *Caller) Require(role string) error {
	if c.AtLeast(role) {
		return nil
	}
	return forbidden(role, c)
}

// errNotBehind is what RequireRole answers on a route the middleware does
// not guard: a programming error, so a 500.
var errNotBehind = &Error{Status: http.StatusInternalServerError, Fields: map[string]string{
	"server": "This route checks a role without the verify middleware in front of it."}}

// RequireRole is middleware for routes that need a stronger role than the
// Verifier's Options.Role: behind Handler, it answers 403 unless the
// caller's effective role is at least role. It panics on a role that is
// not one of owner, admin, support, member (a programming error).
func RequireRole(role string) func(http.Handler) http.Handler {
	mustBeRole(role)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, ok := FromContext(r.Context())
			if !ok {
				WriteError(w, errNotBehind)
				return
			}
			if err := c.Require(role); err != nil {
				WriteError(w, err)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// CheckRole is RequireRole for adapters: the error to answer for the
// caller in ctx, or nil. It panics on an unknown role.
func CheckRole(ctx context.Context, role string) error {
	mustBeRole(role)
	c, ok := FromContext(ctx)
	if !ok {
		return errNotBehind
	}
	return c.Require(role)
}

// ValidRole reports whether role is one of owner, admin, support, member.
func ValidRole(role string) bool { return rank[role] > 0 }

func mustBeRole(role string) {
	if !ValidRole(role) {
		panic("verify: unknown role " + role + " (want owner, admin, support or member)")
	}
}
