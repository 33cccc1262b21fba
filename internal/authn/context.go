package authn

import (
	"github.com/gin-gonic/gin"

	"github.com/latchkey/latchkey/internal/httpx"

	"github.com/latchkey/latchkey/internal/access"
)

// PrincipalKey is the Gin context key of the request's *access.Principal.
const PrincipalKey = "authn.principal"

// identifiedKey is the Gin context key of the principal of a request whose
// App-Token was verified but which was refused all the same (its user
// token): the request still counts as the app token's (usage).
const identifiedKey = "authn.identified"

// Identified returns the principal of the request's verified App-Token, or
// nil when there is none (no authentication, or the App-Token itself was
// refused). Unlike From, it also answers for a request refused after its
// App-Token was verified, and never panics.
func Identified(c *gin.Context) *access.Principal {
	v, ok := c.Get(PrincipalKey)
	if !ok {
		if v, ok = c.Get(identifiedKey); !ok {
			return nil
		}
	}
	p, _ := v.(*access.Principal)
	return p
}

// From returns the request's principal. It panics on a route that the
// middleware does not guard, which is a programming error.
func From(c *gin.Context) *access.Principal {
	return c.MustGet(PrincipalKey).(*access.Principal)
}

// Require is middleware that answers 403 unless the principal may do a.
func Require(a access.Action) gin.HandlerFunc {
	return httpx.Handle(func(c *gin.Context) error {
		if err := From(c).Check(a); err != nil {
			return err
		}
		c.Next()
		return nil
	})
}

// MakesCredential is middleware for a route that makes a credential: it
// answers 403 to a request made with an on-behalf-of token
// (Principal.CheckMakeCredential). Mounted before the route's Require, so
// the answer names the reason whatever role the token has.
func MakesCredential() gin.HandlerFunc {
	return httpx.Handle(func(c *gin.Context) error {
		if err := From(c).CheckMakeCredential(); err != nil {
			return err
		}
		c.Next()
		return nil
	})
}

// AdminScope is middleware for the routes of Latchkey's own management
// API: it answers 403 on "scope" to a request whose effective scopes lack
// latchkey:admin, unless the route is one of its own session
// (access.SessionRoute). Mounted once, on every route that authenticates
// a user; /verify and /introspect are not behind it.
func AdminScope() gin.HandlerFunc {
	return httpx.Handle(func(c *gin.Context) error {
		p := From(c)
		if !p.Admin() && !access.SessionRoute(c.FullPath()) {
			return access.ErrAdminScope
		}
		c.Next()
		return nil
	})
}
