package access

import (
	"regexp"
	"slices"
	"strings"

	"github.com/latchkey/latchkey/internal/errs"
)

// AdminScope is the built-in scope of Latchkey's own management API: a request whose effective scopes lack it may use only its own
// session, /verify and /introspect.
const AdminScope = "latchkey:admin"

// ReservedPrefix starts the scope names Latchkey keeps for itself.
const ReservedPrefix = "latchkey:"

var scopeName = regexp.MustCompile(`^[a-z][a-z0-9._:-]{0,63}$`)

// ValidScopeName reports whether name has the form of a scope name.
func ValidScopeName(name string) bool { return scopeName.MatchString(name) }

// Scopes is a set of scope names. The zero value is unrestricted: the
// set of a token made without scopes (every token made before scopes
// existed reads so), which takes no part in an intersection. A restricted
// set holds Names, sorted and without repeats, and Text, the names joined
// by spaces, made once (ScopesOf) so that an answer that lists them does
// not join them again.
type Scopes struct {
	Restricted bool
	Names      []string
	Text       string
}

// ScopesOf returns the set of names: unrestricted when names is nil, else
// restricted to the names (sorted, repeats dropped).
func ScopesOf(names []string) Scopes {
	if names == nil {
		return Scopes{}
	}
	sorted := slices.Clone(names)
	slices.Sort(sorted)
	sorted = slices.Compact(sorted)
	return Scopes{Restricted: true, Names: sorted, Text: strings.Join(sorted, " ")}
}

// Has reports whether s holds name: an unrestricted set holds every name.
func (s Scopes) Has(name string) bool {
	if !s.Restricted {
		return true
	}
	_, ok := slices.BinarySearch(s.Names, name)
	return ok
}

// Within reports whether every name of o is in s.
func (s Scopes) Within(o Scopes) bool {
	if !o.Restricted {
		return true
	}
	if !s.Restricted {
		return false
	}
	for _, n := range s.Names {
		if !o.Has(n) {
			return false
		}
	}
	return true
}

// Effective returns the intersection of an app token's and a user token's
// sets: an unrestricted set takes no part, so the result is
// unrestricted only when both are. When one is unrestricted the other is
// returned as it is (its Text made once with the credential).
func Effective(app, user Scopes) Scopes {
	switch {
	case !app.Restricted:
		return user
	case !user.Restricted:
		return app
	}
	var both []string
	for _, n := range app.Names {
		if user.Has(n) {
			both = append(both, n)
		}
	}
	if both == nil {
		both = []string{}
	}
	return ScopesOf(both)
}

// Listed returns s as answers list it: an unrestricted set is the whole
// catalog (which always holds AdminScope), a restricted one itself.
func (s Scopes) Listed(catalog Scopes) Scopes {
	if s.Restricted {
		return s
	}
	return catalog
}

// ErrAdminScope answers a request whose effective scopes lack AdminScope
// on a route of Latchkey's own management API.
var ErrAdminScope = errs.E(errs.Forbidden, "scope", "This token lacks the scope "+AdminScope+".")

// Admin reports whether p may manage Latchkey: its effective scopes hold
// AdminScope.
func (p *Principal) Admin() bool { return p.Scopes.Has(AdminScope) }

// CheckAdmin returns ErrAdminScope unless p's effective scopes hold
// AdminScope.
func (p *Principal) CheckAdmin() error {
	if p.Admin() {
		return nil
	}
	return ErrAdminScope
}

// SessionRoute reports whether a route (its pattern below /api/v1, as the
// router names it) belongs to a request's own session, which a request
// without AdminScope may use: /token and below, /users/me and
// /tokens (on which it acts as a member: only its own tokens, since Can
// allows no role action without AdminScope), and GET /scopes (the catalog,
// for any caller; changing it needs ManageTenants). /verify and /introspect are
// not behind the guard at all.
func SessionRoute(pattern string) bool {
	switch strings.TrimPrefix(pattern, "/api/v1") {
	case "/token", "/token/refresh", "/users/me", "/tokens", "/tokens/:token", "/scopes":
		return true
	}
	return false
}
