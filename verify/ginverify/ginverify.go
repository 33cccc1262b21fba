// Package ginverify adapts the verify middleware to Gin: the same
// verification, cache and answers, with the Caller in the request's
// context (verify.FromContext) and in the Gin context (Caller).
//
//	v, err := verify.New(verify.Options{URL: "http://127.0.0.1:8080"})
//	if err != nil {
//		log.Fatal(err)
//	}
//	r := gin.New()
//	api := r.Group("/api", ginverify.Middleware(v))
//	api.GET("/orders", func(c *gin.Context) {
//		caller, _ := ginverify.Caller(c)
//		c.JSON(http.StatusOK, gin.H{"user": caller.Username, "tenant": caller.Tenant})
//	})
//	api.DELETE("/orders/:id", ginverify.RequireRole("admin"), deleteOrder)
package ginverify

import (
	"github.com/gin-gonic/gin"

	"github.com/latchkey/latchkey/verify"
)

// Middleware verifies each request with v, answers refused ones itself and
// aborts, and otherwise puts the Caller in both contexts.
func Middleware(v *verify.Verifier) gin.HandlerFunc {
	return func(c *gin.Context) {
		caller, err := v.Verify(c.Request)
		if err != nil {
			verify.WriteError(c.Writer, err)
			c.Abort()
			return
		}
		c.Request = c.Request.WithContext(verify.NewContext(c.Request.Context(), caller))
		c.Next()
	}
}

// Caller returns the caller that Middleware verified.
func Caller(c *gin.Context) (*verify.Caller, bool) {
	return verify.FromContext(c.Request.Context())
}

// RequireRole answers 403 unless the caller's effective role is at least
// role (behind Middleware). It panics on an unknown role.
func RequireRole(role string) gin.HandlerFunc {
	if !verify.ValidRole(role) {
		panic("ginverify: unknown role " + role + " (want owner, admin, support or member)")
	}
	return func(c *gin.Context) {
		if err := verify.CheckRole(c.Request.Context(), role); err != nil {
			verify.WriteError(c.Writer, err)
			c.Abort()
			return
		}
		c.Next()
	}
}
