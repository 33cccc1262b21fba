package admin_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/latchkey/latchkey/internal/testserver"
	"github.com/latchkey/latchkey/internal/tracing"
)

// startTraced runs a Latchkey whose spans go to an in-memory exporter, and
// whose log lines the test can read.
func startTraced(t *testing.T) (*testserver.Server, *tracetest.InMemoryExporter, *observer.ObservedLogs) {
	t.Helper()
	spans := tracetest.NewInMemoryExporter()
	core, logs := observer.New(zap.InfoLevel)
	s := testserver.StartWith(t, testserver.Options{Logger: zap.New(core), Tracing: tracing.Options{Exporter: spans, SampleRatio: 1}})
	return s, spans, logs
}

const (
	callerTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
	callerSpan  = "00f067aa0ba902b7"
)

// serverSpan returns the one server span of trace id named name.
func serverSpan(t *testing.T, spans *tracetest.InMemoryExporter, traceID, name string) tracetest.SpanStub {
	t.Helper()
	var found []tracetest.SpanStub
	for _, s := range spans.GetSpans() {
		if s.SpanContext.TraceID().String() == traceID && s.SpanKind == trace.SpanKindServer {
			found = append(found, s)
		}
	}
	if len(found) != 1 || found[0].Name != name {
		t.Fatalf("trace %s: got %d server spans %v, want one named %q", traceID, len(found), found, name)
	}
	return found[0]
}

func attr(s tracetest.SpanStub, key attribute.Key) attribute.Value {
	for _, kv := range s.Attributes {
		if kv.Key == key {
			return kv.Value
		}
	}
	return attribute.Value{}
}

// TestTracing: a request's traceparent is continued (one server span per
// request, the caller's span as its parent), the answer carries the
// server span's traceparent in the same trace, the access log line carries
// the trace id, and neither span names nor attributes hold a token string.
func TestTracing(t *testing.T) {
	s, spans, logs := startTraced(t)
	tok := s.OwnerToken(t)
	spans.Reset()

	r := s.Must(t, http.StatusOK, testserver.Request{Method: "GET", Path: "/api/v1/app_tokens/" + s.AppToken,
		AppToken: s.AppToken, Token: tok, Header: map[string]string{"traceparent": "00-" + callerTrace + "-" + callerSpan + "-01"}})
	span := serverSpan(t, spans, callerTrace, "GET /api/v1/app_tokens/:token")
	if got := span.Parent.SpanID().String(); got != callerSpan || !span.Parent.IsRemote() {
		t.Errorf("parent: got %s (remote %v), want the caller's span %s", got, span.Parent.IsRemote(), callerSpan)
	}
	if want := "00-" + callerTrace + "-" + span.SpanContext.SpanID().String() + "-01"; r.Header.Get("traceparent") != want {
		t.Errorf("answer traceparent: got %q, want %q (the server span)", r.Header.Get("traceparent"), want)
	}
	if got := attr(span, "http.route").AsString(); got != "/api/v1/app_tokens/:token" {
		t.Errorf("http.route: got %q", got)
	}
	if got := attr(span, "http.response.status_code").AsInt64(); got != 200 {
		t.Errorf("http.response.status_code: got %d, want 200", got)
	}
	if got := attr(span, "latchkey.request_id").AsString(); got != r.Header.Get("X-Request-Id") {
		t.Errorf("latchkey.request_id: got %q, want the answer's X-Request-Id %q", got, r.Header.Get("X-Request-Id"))
	}
	// Each store call is a span of its own, the child of the request's.
	var storeCalls []string
	for _, sp := range spans.GetSpans() {
		if sp.SpanContext.TraceID().String() != callerTrace || sp.SpanKind != trace.SpanKindClient {
			continue
		}
		storeCalls = append(storeCalls, sp.Name)
		if sp.Parent.SpanID() != span.SpanContext.SpanID() {
			t.Errorf("store span %q: parent %s, want the request's span %s", sp.Name, sp.Parent.SpanID(), span.SpanContext.SpanID())
		}
		if got := attr(sp, "db.system.name").AsString(); got != testserver.Engine() {
			t.Errorf("store span %q: db.system.name %q, want %q", sp.Name, got, testserver.Engine())
		}
	}
	for _, want := range []string{"store tenants.FindByID", "store apptokens.FindByID", "store usertokens.FindByID", "store users.FindByID"} {
		if !slices.Contains(storeCalls, want) {
			t.Errorf("no span %q among the request's store spans %v", want, storeCalls)
		}
	}
	for _, sp := range spans.GetSpans() {
		text := sp.Name
		for _, kv := range sp.Attributes {
			text += " " + kv.Value.Emit()
		}
		if strings.Contains(text, s.AppToken[13:]) || strings.Contains(text, tok[13:]) {
			t.Errorf("span %q holds a token string: %s", sp.Name, text)
		}
	}
	var logged bool
	for _, e := range logs.FilterMessage("request").All() {
		if e.ContextMap()["trace_id"] == callerTrace {
			logged = true
		}
	}
	if !logged {
		t.Errorf("no access log line with trace_id %s", callerTrace)
	}

	// Without a traceparent the request starts a trace of its own, and
	// says which.
	r = s.Must(t, http.StatusOK, testserver.Request{Method: "GET", Path: "/healthz"})
	tp := strings.Split(r.Header.Get("traceparent"), "-")
	if len(tp) != 4 || tp[1] == callerTrace {
		t.Fatalf("answer traceparent: got %q, want a new trace", r.Header.Get("traceparent"))
	}
	if span := serverSpan(t, spans, tp[1], "GET /healthz"); span.Parent.IsValid() {
		t.Errorf("a request without traceparent got a parent span %s", span.Parent.SpanID())
	}

	// A caller that does not sample its trace is followed: nothing is
	// recorded, the trace id still comes back.
	const unsampled = "0af7651916cd43dd8448eb211c80319c"
	r = s.Must(t, http.StatusOK, testserver.Request{Method: "GET", Path: "/healthz",
		Header: map[string]string{"traceparent": "00-" + unsampled + "-b7ad6b7169203331-00"}})
	if got := r.Header.Get("traceparent"); !strings.HasPrefix(got, "00-"+unsampled+"-") || !strings.HasSuffix(got, "-00") {
		t.Errorf("unsampled: answer traceparent %q, want trace %s, flags 00", got, unsampled)
	}
	for _, sp := range spans.GetSpans() {
		if sp.SpanContext.TraceID().String() == unsampled {
			t.Errorf("an unsampled trace was recorded: %s", sp.Name)
		}
	}
}

// TestTracingOff: with no exporter configured nothing is recorded, and a
// caller's trace context still goes through to the answer.
func TestTracingOff(t *testing.T) {
	s := testserver.Start(t)
	r := s.Must(t, http.StatusOK, testserver.Request{Method: "GET", Path: "/healthz",
		Header: map[string]string{"traceparent": "00-" + callerTrace + "-" + callerSpan + "-01"}})
	if got := r.Header.Get("traceparent"); !strings.HasPrefix(got, "00-"+callerTrace+"-") {
		t.Errorf("answer traceparent: got %q, want trace %s", got, callerTrace)
	}
	if got := s.Must(t, http.StatusOK, testserver.Request{Method: "GET", Path: "/healthz"}).Header.Get("traceparent"); got != "" {
		t.Errorf("without tracing or a caller's trace: got traceparent %q, want none", got)
	}
}
