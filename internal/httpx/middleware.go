package httpx

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"go.uber.org/zap"

	"github.com/latchkey/latchkey/internal/errs"
)

const (
	requestIDHeader = "X-Request-Id"
	requestIDKey    = "httpx.request_id"
	logFieldsKey    = "httpx.log_fields"
)

var validRequestID = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)

// AssignRequestID gives every request an id, echoing a well-formed incoming
// X-Request-Id and making a new one otherwise, and sets it on the response.
func AssignRequestID() gin.HandlerFunc {
	return func(c *gin.Context) {
		id := c.GetHeader(requestIDHeader)
		if !validRequestID.MatchString(id) {
			var b [12]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		c.Set(requestIDKey, id)
		c.Header(requestIDHeader, id)
		c.Next()
	}
}

// RequestID returns the request's id.
func RequestID(c *gin.Context) string { return c.GetString(requestIDKey) }

// AddLogFields attaches fields to the request's access log line. Only ids go
// here, never a secret.
func AddLogFields(c *gin.Context, fields ...zap.Field) {
	prev, _ := c.Get(logFieldsKey)
	list, _ := prev.([]zap.Field)
	c.Set(logFieldsKey, append(list, fields...))
}

// AccessLog writes one line per request: request id, method, route (the
// route pattern, never the raw path, which may hold a pasted token string),
// status, latency, client ip and whatever AddLogFields attached (tenant,
// token public id, user id).
func AccessLog(log *zap.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		route := c.FullPath()
		if route == "" {
			route = "(unmatched)"
		}
		ce := log.Check(zap.InfoLevel, "request")
		if ce == nil {
			return // below the configured level: build nothing
		}
		extra, _ := c.Get(logFieldsKey)
		ids, _ := extra.([]zap.Field)
		fields := make([]zap.Field, 0, 6+len(ids)) // one allocation per line
		fields = append(fields,
			zap.String("request_id", RequestID(c)),
			zap.String("method", c.Request.Method),
			zap.String("route", route),
			zap.Int("status", c.Writer.Status()),
			zap.Duration("latency", time.Since(start)),
			zap.String("ip", c.ClientIP()),
		)
		ce.Write(append(fields, ids...)...)
	}
}

// FoldSlash serves every path with and without its trailing slash alike,
// without redirecting, by removing the slash before routing. Paths under
// keep (the console's static files) are left as they are.
func FoldSlash(h http.Handler, keep string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		if len(p) > 1 && strings.HasSuffix(p, "/") && !strings.HasPrefix(p, keep) {
			r.URL.Path = strings.TrimRight(p, "/")
			if r.URL.Path == "" {
				r.URL.Path = "/"
			}
			r.URL.RawPath = ""
		}
		h.ServeHTTP(w, r)
	})
}

// NoRoute answers unknown paths with a JSON 404.
func NoRoute(c *gin.Context) {
	Abort(c, errs.E(errs.NotFound, "path", "No such endpoint."))
}

// NoMethod answers a known path with an unsupported method with 405; Gin has
// already set the Allow header.
func NoMethod(c *gin.Context) {
	c.AbortWithStatusJSON(http.StatusMethodNotAllowed, gin.H{"errors": gin.H{"method": "Method " + c.Request.Method + " is not allowed here."}})
}
