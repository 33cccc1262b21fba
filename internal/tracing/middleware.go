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
		ctx := t.propagator.Extract(c.Request.Context(), propagation.HeaderCarrier(c.Request.Header))
		route := c.FullPath()
		if route == "" {
			route = "(unmatched)"
		}
		method := httpx.KnownMethod(httpx.Method(c))
		ctx, span := t.tracer.Start(ctx, method+" "+route, trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(semconv.HTTPRequestMethodKey.String(method), semconv.HTTPRoute(route)))
		defer span.End()
		t.answer(ctx, c)
		c.Request = c.Request.WithContext(ctx)
		c.Next()
		if !span.IsRecording() {
			return
		}
		status := c.Writer.Status()
		span.SetAttributes(semconv.HTTPResponseStatusCode(status), attribute.String("latchkey.request_id", httpx.RequestID(c)))
		if status >= http.StatusInternalServerError {
			span.SetStatus(codes.Error, http.StatusText(status))
		}
	}
}

// passThrough is the middleware with tracing off.
func (t *Tracing) passThrough(c *gin.Context) {
	if len(c.Request.Header["Traceparent"]) > 0 { // canonical key: no allocation
		t.answer(t.propagator.Extract(c.Request.Context(), propagation.HeaderCarrier(c.Request.Header)), c)
	}
	c.Next()
}

// answer puts the span context of ctx on the answer's traceparent and the
// access log line.
func (t *Tracing) answer(ctx context.Context, c *gin.Context) {
	sc := trace.SpanContextFromContext(ctx)
	if !sc.IsValid() {
		return
	}
	t.propagator.Inject(ctx, propagation.HeaderCarrier(c.Writer.Header()))
	httpx.AddLogFields(c, zap.String("trace_id", sc.TraceID().String()))
}
