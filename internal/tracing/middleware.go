package tracing

import (
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
func (t *Tracing) Middleware() gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx := t.propagator.Extract(c.Request.Context(), propagation.HeaderCarrier(c.Request.Header))
		route := c.FullPath()
		if route == "" {
			route = "(unmatched)"
		}
		method := httpx.Method(c.Request.Method)
		ctx, span := t.tracer.Start(ctx, method+" "+route, trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(semconv.HTTPRequestMethodKey.String(method), semconv.HTTPRoute(route)))
		defer span.End()
		if sc := span.SpanContext(); sc.IsValid() {
			t.propagator.Inject(ctx, propagation.HeaderCarrier(c.Writer.Header()))
			httpx.AddLogFields(c, zap.String("trace_id", sc.TraceID().String()))
		}
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
