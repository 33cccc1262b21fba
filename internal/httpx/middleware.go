package httpx

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

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
		id := SetRequestID(c.Request.Header, c.Writer.Header())
		c.Set(requestIDKey, id)
		c.Next()
	}
}

// SetRequestID returns the id of a request with headers req, the
// well-formed X-Request-Id it carries or a new one, and sets it on the
// answer's headers.
func SetRequestID(req, answer http.Header) string {
	id := req.Get(requestIDHeader)
	if !validRequestID.MatchString(id) {
		var b [12]byte
		_, _ = rand.Read(b[:])
		id = hex.EncodeToString(b[:])
	}
	answer.Set(requestIDHeader, id)
	return id
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
		WriteAccessLine(ce, RequestID(c), Method(c), route, c.Writer.Status(), time.Since(start), c.ClientIP(), ids)
	}
}

// WriteAccessLine writes the access log line of one request to ce (the
// "request" entry at info level): its id, the method the client sent, the
// route pattern, the status, the latency, the client's ip and then ids,
// in that order. AccessLog and the lean path (admin) both write with it.
func WriteAccessLine(ce *zapcore.CheckedEntry, requestID, method, route string, status int, latency time.Duration,
	ip string, ids []zap.Field) {
	fields := make([]zap.Field, 0, 6+len(ids)) // one allocation per line
	fields = append(fields,
		zap.String("request_id", requestID),
		zap.String("method", method),
		zap.String("route", route),
		zap.Int("status", status),
		zap.Duration("latency", latency),
		zap.String("ip", ip),
	)
	ce.Write(append(fields, ids...)...)
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

// NoMethod answers a known path with an unsupported method with 405, the
// allowed methods in the Allow header and in the message. Gin has set the
// header; HEAD is added wherever GET is allowed (Head serves it).
func NoMethod(c *gin.Context) {
	h := c.Writer.Header()
	allow := h.Get("Allow")
	if slices.Contains(strings.Split(allow, ", "), http.MethodGet) {
		allow += ", " + http.MethodHead
		h.Set("Allow", allow)
	}
	c.AbortWithStatusJSON(http.StatusMethodNotAllowed, gin.H{"errors": gin.H{
		"method": "Method " + Method(c) + " is not allowed here; allowed: " + allow + "."}})
}

// MaxHeaderBytes bounds a request's headers in all (16 KiB); larger
// ones are answered 431 by HeaderLimit. The server's own read limit
// (http.Server.MaxHeaderBytes, ServerMaxHeaderBytes) is higher: up to it the
// answer is this JSON one, beyond it net/http answers 431 and closes the
// connection without reading further.
const MaxHeaderBytes = 16 << 10

// ServerMaxHeaderBytes is http.Server.MaxHeaderBytes (64 KiB).
const ServerMaxHeaderBytes = 64 << 10

// HeaderLimit answers 431 to a request whose headers (names, values and
// their separators, Host included) add up to more than max bytes.
func HeaderLimit(max int) gin.HandlerFunc {
	return func(c *gin.Context) {
		if HeaderBytes(c.Request) > max {
			c.AbortWithStatusJSON(http.StatusRequestHeaderFieldsTooLarge, gin.H{"errors": gin.H{
				"headers": fmt.Sprintf("The request headers must be at most %d bytes in all.", max)}})
			return
		}
		c.Next()
	}
}

// ValidUTF8 answers 400 to a request whose path or query string is not
// valid UTF-8 once decoded, or whose query string cannot be decoded, naming
// both at once.
func ValidUTF8() gin.HandlerFunc {
	return func(c *gin.Context) {
		if c.Request.URL.RawQuery == "" && utf8.ValidString(c.Request.URL.Path) {
			c.Next() // the usual case (a gateway's /verify): nothing to decode
			return
		}
		if e := CheckUTF8(c.Request.URL); e != nil {
			Abort(c, e)
			return
		}
		c.Next()
	}
}

// CheckUTF8 is ValidUTF8's check of u: an Invalid error naming the path,
// the query or both, or nil.
func CheckUTF8(u *url.URL) *errs.Error {
	bad := map[string]string{}
	if !utf8.ValidString(u.Path) {
		bad["path"] = "The path is not valid UTF-8."
	}
	if q, err := url.ParseQuery(u.RawQuery); err != nil {
		bad["query"] = "The query string could not be read."
	} else if !validValues(q) {
		bad["query"] = "The query string is not valid UTF-8."
	}
	if len(bad) > 0 {
		return &errs.Error{Code: errs.Invalid, Fields: bad}
	}
	return nil
}

// HeaderBytes is the size of r's headers in all: names, values and their
// separators, Host included.
func HeaderBytes(r *http.Request) int {
	n := len("Host: \r\n") + len(r.Host)
	for k, vs := range r.Header {
		for _, v := range vs {
			n += len(k) + len(": \r\n") + len(v)
		}
	}
	return n
}

func validValues(q url.Values) bool {
	for k, vs := range q {
		if !utf8.ValidString(k) {
			return false
		}
		for _, v := range vs {
			if !utf8.ValidString(v) {
				return false
			}
		}
	}
	return true
}

// NoSniff sets X-Content-Type-Options: nosniff on every answer, so no
// browser reads an answer as another type than it says.
func NoSniff(c *gin.Context) {
	SetNoSniff(c.Writer.Header())
	c.Next()
}

// SetNoSniff sets X-Content-Type-Options: nosniff on h (NoSniff).
func SetNoSniff(h http.Header) { h["X-Content-Type-Options"] = nosniff }

// NoStore sets Cache-Control: no-store, so no browser or proxy keeps a copy
// of the answer. The API group uses it: its answers carry secrets (login,
// refresh, signup, token, app token and tenant creation) or what only the
// caller may see.
func NoStore(c *gin.Context) {
	SetNoStore(c.Writer.Header())
	c.Next()
}

// SetNoStore sets Cache-Control: no-store on h (NoStore).
func SetNoStore(h http.Header) { h["Cache-Control"] = noStore }

// Header values every answer shares, set with canonical keys: no
// allocation per request. Nothing writes into a header value's slice in
// place (an Add appends to a copy: the capacity is 1).
var (
	nosniff = []string{"nosniff"}
	noStore = []string{"no-store"}
)

type headKey struct{}

// Head serves HEAD wherever GET is served: the request reaches h as a GET,
// and net/http, which still sees the HEAD it read, sends the headers
// (Content-Length included) without the body. Method returns the method
// the client sent.
func Head(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodHead {
			r = r.WithContext(context.WithValue(r.Context(), headKey{}, true))
			r.Method = http.MethodGet
		}
		h.ServeHTTP(w, r)
	})
}

// Method returns the method the client sent: HEAD for a request that Head
// passed on as a GET.
func Method(c *gin.Context) string {
	if head, _ := c.Request.Context().Value(headKey{}).(bool); head {
		return http.MethodHead
	}
	return c.Request.Method
}

// KnownMethod returns m when it is a standard method and "OTHER" otherwise,
// so that metric labels and span names keep few values: a client can send
// any method name.
func KnownMethod(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions:
		return m
	}
	return "OTHER"
}
