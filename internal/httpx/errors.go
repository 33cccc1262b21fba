// Package httpx holds the Gin mechanics every domain shares: the one mapper
// from errors to HTTP answers, strict request binding, request ids, the access
// log, trailing-slash folding and the 404 / 405 answers.
package httpx

import (
	"context"
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
		err := c.Errors.Last().Err
		if errors.Is(c.Request.Context().Err(), context.Canceled) {
			log.Info("client closed the request", zap.String("request_id", RequestID(c)),
				zap.String("route", c.FullPath()), zap.NamedError("cause", err))
			c.AbortWithStatus(StatusClientClosed)
			return
		}
		e, ok := errs.As(err)
		if !ok || e.Code == errs.Internal {
			log.Error("internal error", zap.String("request_id", RequestID(c)),
				zap.String("route", c.FullPath()), zap.Error(err))
			e = errs.E(errs.Internal, "server", "Internal server error.")
		}
		// A store that failed is worth a line; a refusal for being busy
		// (the password hash queue full) is expected under load and shows
		// in the metrics, and a line for each would let a flood write the
		// log as fast as it sends.
		if e.Code == errs.Unavailable && !errors.Is(e, errs.ErrBusy) {
			log.Warn("unavailable", zap.String("request_id", RequestID(c)), zap.String("route", c.FullPath()),
				zap.NamedError("cause", errors.Unwrap(e)))
		}
		Abort(c, e)
	}
}

// Abort writes e as the answer and stops the handler chain. Locked and
// Unavailable answers carry Retry-After: e.RetryAfter rounded up, at least
// one second. A busy answer also closes the connection: a client that sends
// its next request the moment the 503 arrives must connect again first,
// and the connections waiting to be accepted do not take turns with the
// requests of everyone else.
func Abort(c *gin.Context, e *errs.Error) {
	status, ok := statusOf[e.Code]
	if !ok {
		status = http.StatusInternalServerError
	}
	switch e.Code {
	case errs.Unauthorized:
		c.Header("WWW-Authenticate", Realm)
	case errs.Locked, errs.Unavailable:
		// An outage has no known end: a store that does not answer is
		// asked again after a second.
		secs := int(math.Ceil(e.RetryAfter.Seconds()))
		c.Header("Retry-After", strconv.Itoa(max(secs, 1)))
		if errors.Is(e, errs.ErrBusy) {
			c.Header("Connection", "close")
		}
	}
	c.AbortWithStatusJSON(status, gin.H{"errors": e.Fields})
}

// Fail records err for the Errors middleware and stops the chain. Handle
// calls it; a handler returns its error instead.
func Fail(c *gin.Context, err error) {
	_ = c.Error(err)
	c.Abort()
}
