// Package access holds the rules of who may do what, with no HTTP in them:
// roles and their order, the Principal a request acts as (with the
// credentials it was verified from), the permission matrix and the
// rank rules. internal/authn makes a Principal from a request; the domains'
// services check it.
package access

import (
	"github.com/latchkey/latchkey/internal/ids"
)

// Role is a user's role in its tenant.
type Role string

// The roles, strongest first.
const (
	Owner   Role = "owner"
	Admin   Role = "admin"
	Support Role = "support"
	Member  Role = "member"
)

var rank = map[Role]int{Owner: 4, Admin: 3, Support: 2, Member: 1}

// Valid reports whether r is one of the four roles.
func (r Role) Valid() bool { return rank[r] > 0 }

// AtLeast reports whether r is o or stronger.
func (r Role) AtLeast(o Role) bool { return rank[r] >= rank[o] }

// Weaker returns the weaker of r and o.
func Weaker(r, o Role) Role {
	if rank[o] < rank[r] {
		return o
	}
	return r
}

// Principal is who is calling: the tenant and app token of the App-Token
// header and, on routes that need one, the user token and its user.
type Principal struct {
	TenantID   string
	Platform   bool // the tenant is the platform tenant
	AppTokenID ids.ID

	TokenID   ids.ID // zero on routes without a user token
	TokenKind string
	UserID    ids.ID
	Username  string
	// Role is the effective role: for an OBO token, the weaker of the user's
	// and the issuing actor's roles.
	Role    Role
	ActorID ids.ID // the issuing admin of an OBO token, else zero
	// App and Token are the app token and the user token as this request
	// verified them: read from the store at most cache.ttl ago (last_used is
	// also written in batches).
	App   AppCredential
	Token UserCredential
	// Scopes are the request's effective scopes: the intersection of the
	// app token's and the user token's (Effective). The zero value, both
	// unrestricted, holds every scope.
	Scopes Scopes
}

// OBO reports whether the request is made with an on-behalf-of token.
func (p *Principal) OBO() bool { return !p.ActorID.IsZero() }
