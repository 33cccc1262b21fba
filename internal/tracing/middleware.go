package tracing

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"

	"github.com/latchkey/latchkey/internal/httpx"
)

// Middleware makes one server span per request, named by its method and
// route pattern, as the child of the traceparent the request carries, if
// any. The answer carries the span's traceparent (with a caller's trace id
// when there was one), and the access log line its trace id. Later handlers
// (and the store calls they make) find the span in the request's context.
//
// With tracing off it records nothing and only hands a caller's trace
// context on to the answer and the log line; a request without one costs
// a header lookup.
func (t *Tracing) Middleware() gin.HandlerFunc {
	if t.sdk == nil {
		return t.passThrough
	}
	return func(c *gin.Context) {
		route := c.FullPath()
		if route == "" {
			route = "(unmatched)"
		}
		ctx, span, traceID := t.Begin(c.Request.Context(), c.Request.Header, httpx.Method(c), route, c.Writer.Header())
		defer span.End()
		if traceID != "" {
			httpx.AddLogFields(c, zap.String("trace_id", traceID))
		}
		c.Request = c.Request.WithContext(ctx)
		c.Next()
		Finish(span, c.Writer.Status(), httpx.RequestID(c))
	}
}

// passThrough is the middleware with tracing off.
func (t *Tracing) passThrough(c *gin.Context) {
	if traceID := t.PassOn(c.Request.Header, c.Writer.Header()); traceID != "" {
		httpx.AddLogFields(c, zap.String("trace_id", traceID))
	}
	c.Next()
}

// Begin starts the server span of a request with headers req, made with
// method (as the client sent it) to route (its pattern), as the child of
// the traceparent req carries, if any, and puts the span's traceparent on
// the answer's headers. It returns ctx with the span, the span and its
// trace id for the access log line ("" when the span context is invalid).
// The caller ends the span (after Finish). Tracing must be Enabled;
// otherwise PassOn is what a request needs. The Gin middleware and
// admin's lean path both trace with it, so a request has the same span
// whichever serves it.
func (t *Tracing) Begin(ctx context.Context, req http.Header, method, route string, answer http.Header) (context.Context, trace.Span, string) {
	ctx = t.propagator.Extract(ctx, propagation.HeaderCarrier(req))
	method = httpx.KnownMethod(method)
	ctx, span := t.tracer.Start(ctx, method+" "+route, trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(semconv.HTTPRequestMethodKey.String(method), semconv.HTTPRoute(route)))
	return ctx, span, t.answer(ctx, answer)
}

// Finish records the answer's status and the request's id on span, once
// the request is answered (a 5xx marks it an error); the caller then ends
// it.
func Finish(span trace.Span, status int, requestID string) {
	if !span.IsRecording() {
		return
	}
	span.SetAttributes(semconv.HTTPResponseStatusCode(status), attribute.String("latchkey.request_id", requestID))
	if status >= http.StatusInternalServerError {
		span.SetStatus(codes.Error, http.StatusText(status))
	}
}

// PassOn is what a request needs with tracing off: a caller's trace
// context, if req carries one, is put on the answer's headers; it returns
// its trace id for the access log line, or "". A request without one
// costs a header lookup.
func (t *Tracing) PassOn(req, answer http.Header) string {
	if len(req["Traceparent"]) == 0 { // canonical key: no allocation
		return ""
	}
	return t.answer(t.propagator.Extract(context.Background(), propagation.HeaderCarrier(req)), answer)
}

// answer puts the span context of ctx on the answer's traceparent and
// returns its trace id ("" when there is none).
func (t *Tracing) answer(ctx context.Context, answer http.Header) string {
	sc := trace.SpanContextFromContext(ctx)
	if !sc.IsValid() {
		return ""
	}
	t.propagator.Inject(ctx, propagation.HeaderCarrier(answer))
	return sc.TraceID().String()
}
