// Package tracing is Latchkey's OpenTelemetry tracing: one span per HTTP
// request, continuing the caller's trace from its W3C traceparent header and
// answering with a traceparent of its own, exported over OTLP/HTTP when an
// endpoint is configured. Spans carry route patterns and public ids, never a
// path as sent (it may hold a pasted token string) or a secret.
package tracing

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// Options configure tracing.
type Options struct {
	// Endpoint is the OTLP/HTTP collector's URL (tracing.otlp_endpoint),
	// e.g. "http://otel-collector:4318"; spans go to its /v1/traces unless
	// the URL names another path. "" exports nothing.
	Endpoint string
	// SampleRatio is the share of new traces recorded (tracing.sample_ratio);
	// a request whose caller sampled its trace is always recorded.
	SampleRatio float64
	// Exporter, when set, receives every span as it ends, instead of an
	// OTLP endpoint receiving them in batches (tests pass an in-memory
	// exporter).
	Exporter sdktrace.SpanExporter
	// Version is the service.version of the spans.
	Version string
}

// Tracing is one App's tracer.
type Tracing struct {
	provider   trace.TracerProvider
	tracer     trace.Tracer
	sdk        *sdktrace.TracerProvider // nil when nothing is exported
	propagator propagation.TextMapPropagator
}

// Name is the instrumentation scope of Latchkey's spans.
const Name = "github.com/latchkey/latchkey"

// New returns the tracing o describes. Without an endpoint or exporter it
// records nothing, but still carries a caller's trace context through.
func New(o Options) (*Tracing, error) {
	t := &Tracing{propagator: propagation.TraceContext{}, provider: noop.NewTracerProvider()}
	var export sdktrace.TracerProviderOption
	switch {
	case o.Exporter != nil:
		export = sdktrace.WithSyncer(o.Exporter)
	case o.Endpoint != "":
		exp, err := otlpExporter(o.Endpoint)
		if err != nil {
			return nil, err
		}
		export = sdktrace.WithBatcher(exp)
	}
	if export != nil {
		if o.SampleRatio < 0 || o.SampleRatio > 1 {
			return nil, fmt.Errorf("tracing: sample ratio %v is not between 0 and 1", o.SampleRatio)
		}
		res := resource.NewWithAttributes(semconv.SchemaURL, semconv.ServiceName("latchkey"), semconv.ServiceVersion(o.Version))
		t.sdk = sdktrace.NewTracerProvider(export, sdktrace.WithResource(res),
			sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(o.SampleRatio))))
		t.provider = t.sdk
	}
	t.tracer = t.provider.Tracer(Name)
	return t, nil
}

// otlpExporter returns an OTLP/HTTP exporter to endpoint. It connects
// lazily: a collector that is down loses spans, never requests.
func otlpExporter(endpoint string) (sdktrace.SpanExporter, error) {
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("tracing: the OTLP endpoint must be an http:// or https:// URL")
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = "/v1/traces"
	}
	return otlptracehttp.New(context.Background(), otlptracehttp.WithEndpointURL(u.String()))
}

// Tracer returns the tracer spans are made with.
func (t *Tracing) Tracer() trace.Tracer { return t.tracer }

// Enabled reports whether spans are recorded and exported.
func (t *Tracing) Enabled() bool { return t.sdk != nil }

// Shutdown exports the spans still buffered and stops the exporter.
func (t *Tracing) Shutdown(ctx context.Context) error {
	if t.sdk == nil {
		return nil
	}
	return t.sdk.Shutdown(ctx)
}
