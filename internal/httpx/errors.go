// Package httpx holds the Gin mechanics every domain shares: the one mapper
// from errors to HTTP answers, strict request binding, request ids, the access
// log, trailing-slash folding and the 404 / 405 answers.
package httpx

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"
	"go.uber.org/zap"

	"github.com/latchkey/latchkey/internal/errs"
)

// Realm is sent in WWW-Authenticate with every 401.
const Realm = `Token realm="latchkey"`

var statusOf = map[errs.Code]int{
	errs.Invalid:      http.StatusBadRequest,
	errs.Unauthorized: http.StatusUnauthorized,
	errs.Forbidden:    http.StatusForbidden,
	errs.NotFound:     http.StatusNotFound,
	errs.Conflict:     http.StatusConflict,
	errs.Locked:       http.StatusTooManyRequests,
	errs.TooLarge:     http.StatusRequestEntityTooLarge,
	errs.Unsupported:  http.StatusUnsupportedMediaType,
	errs.Unavailable:  http.StatusServiceUnavailable,
	errs.Internal:     http.StatusInternalServerError,
}

// StatusClientClosed is the status recorded (in the access log and the
// metrics) for a request whose client hung up before it was answered; no
// answer reaches the client. It is nginx's 499.
const StatusClientClosed = 499

// Handle adapts a handler that returns an error to Gin. Every handler is
// written this way: a non-nil error is recorded for the Errors middleware,
// which answers it, and the chain stops.
func Handle(h func(*gin.Context) error) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := h(c); err != nil {
			Fail(c, err)
		}
	}
}

// Errors is the middleware that turns the last error a handler recorded with
// c.Error into the {"errors": {...}} answer. It is the only place errors
// become HTTP. Internal errors are logged here, once, and never shown; a
// store that is unavailable is a 503 with Retry-After, logged as a warning
// (a refusal for being busy is a 503 with Retry-After, not logged);
// a request whose client hung up (its context canceled) is logged as such
// and recorded as StatusClientClosed, never as a 500.
func Errors(log *zap.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Next()
		if len(c.Errors) == 0 || c.Writer.Written() {
			return
		}
		e := ErrorOf(log, c.Request.Context(), c.Errors.Last().Err, RequestID(c), c.FullPath())
		if e == nil {
			c.AbortWithStatus(StatusClientClosed)
			return
		}
		Abort(c, e)
	}
}

// ErrorOf is the answer Errors gives to err, returned by a handler of
// route for the request of ctx and requestID, with Errors' logging: nil
// when the client hung up (ctx canceled; the request is recorded as
// StatusClientClosed), else the error to answer, internal errors (logged)
// replaced by a bare "Internal server error.".
func ErrorOf(log *zap.Logger, ctx context.Context, err error, requestID, route string) *errs.Error {
	if errors.Is(ctx.Err(), context.Canceled) {
		log.Info("client closed the request", zap.String("request_id", requestID),
			zap.String("route", route), zap.NamedError("cause", err))
		return nil
	}
	e, ok := errs.As(err)
	if !ok || e.Code == errs.Internal {
		log.Error("internal error", zap.String("request_id", requestID),
			zap.String("route", route), zap.Error(err))
		e = errs.E(errs.Internal, "server", "Internal server error.")
	}
	// A store that failed is worth a line; a refusal for being busy
	// (the password hash queue full) is expected under load and shows
	// in the metrics, and a line for each would let a flood write the
	// log as fast as it sends.
	if e.Code == errs.Unavailable && !errors.Is(e, errs.ErrBusy) {
		log.Warn("unavailable", zap.String("request_id", requestID), zap.String("route", route),
			zap.NamedError("cause", errors.Unwrap(e)))
	}
	return e
}

// Abort writes e as the answer and stops the handler chain. Locked and
// Unavailable answers carry Retry-After: e.RetryAfter rounded up, at least
// one second. A busy answer also closes the connection: a client that sends
// its next request the moment the 503 arrives must connect again first,
// and the connections waiting to be accepted do not take turns with the
// requests of everyone else.
func Abort(c *gin.Context, e *errs.Error) {
	c.AbortWithStatusJSON(errorHeaders(c.Writer.Header(), e), gin.H{"errors": e.Fields})
}

// WriteError writes e as the answer on w, byte for byte as Abort does, and
// returns its status: for handlers served without Gin (admin's lean path).
func WriteError(w http.ResponseWriter, e *errs.Error) int {
	h := w.Header()
	status := errorHeaders(h, e)
	body, err := json.Marshal(map[string]map[string]string{"errors": e.Fields})
	if err != nil { // a map of strings always marshals
		body = []byte(`{"errors":{}}`)
	}
	if len(h["Content-Type"]) == 0 {
		h["Content-Type"] = jsonContentType
	}
	w.WriteHeader(status)
	_, _ = w.Write(body) // a client gone is no error of ours
	return status
}

// jsonContentType is the Content-Type of JSON answers, as Gin writes it.
var jsonContentType = []string{"application/json; charset=utf-8"}

// errorHeaders sets the header fields of e's answer on h (WWW-Authenticate,
// Retry-After, Connection) and returns its status.
func errorHeaders(h http.Header, e *errs.Error) int {
	status, ok := statusOf[e.Code]
	if !ok {
		status = http.StatusInternalServerError
	}
	switch e.Code {
	case errs.Unauthorized:
		h.Set("WWW-Authenticate", Realm)
	case errs.Locked, errs.Unavailable:
		// An outage has no known end: a store that does not answer is
		// asked again after a second.
		secs := int(math.Ceil(e.RetryAfter.Seconds()))
		h.Set("Retry-After", strconv.Itoa(max(secs, 1)))
		if errors.Is(e, errs.ErrBusy) {
			h.Set("Connection", "close")
		}
	}
	return status
}

// Fail records err for the Errors middleware and stops the chain. Handle
// calls it; a handler returns its error instead.
func Fail(c *gin.Context, err error) {
	_ = c.Error(err)
	c.Abort()
}
