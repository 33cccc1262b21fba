package admin

import (
	"context"
	"net/http"
	"time"

	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"

	"github.com/latchkey/latchkey/admin/verification"
	"github.com/latchkey/latchkey/internal/access"
	"github.com/latchkey/latchkey/internal/authn"
	"github.com/latchkey/latchkey/internal/errs"
	"github.com/latchkey/latchkey/internal/httpx"
	"github.com/latchkey/latchkey/internal/metrics"
	"github.com/latchkey/latchkey/internal/tracing"
	"github.com/latchkey/latchkey/usertokens"
)

// lean serves the hottest routes, GET and HEAD of /api/v1/verify (a
// gateway asks it for every request it lets through) and of /api/v1/token
// (an app's "who am I"), in front of the Gin engine: a plain http.Handler
// that does what those routes need and nothing else. Everything else, and
// every request of those routes it does not take (another method, a bad
// query or any query of /token, a body, headers over
// httpx.MaxHeaderBytes), goes to next, the Gin engine, untouched.
//
// It keeps every guarantee of the Gin path by calling the same code: the
// request id (httpx.SetRequestID), the span (tracing.Begin) or the caller's
// traceparent handed on (tracing.PassOn), nosniff and no-store, the
// verification (authn.Authenticator.CheckRequest: the same rules, cache,
// last_used, rate limit and outcome metrics), the route's answer
// (verification.Handler.Answer, usertokens.Handler.CurrentJSON), the
// error answers (httpx.ErrorOf, httpx.WriteError), the usage counts, the
// request metrics, the access log line (httpx.WriteAccessLine, the client
// ip as Gin finds it) and the panic guard's answer. lean_test.go sends
// every outcome to both paths and compares the answers.
type lean struct {
	app    *App
	next   http.Handler
	verify *verification.Handler
	tokens *usertokens.Handler
	ips    *httpx.ClientIPs
}

// The routes the lean path serves: their patterns, as Gin names them.
const (
	leanVerify = metrics.VerifyRoute
	leanToken  = "/api/v1/token"
)

// route returns the route pattern of r and, for /verify, what its query
// asks, when the lean path serves r.
func (l *lean) route(r *http.Request) (string, verification.Query, bool) {
	var q verification.Query
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return "", q, false
	}
	var route string
	switch r.URL.Path {
	case leanVerify, leanVerify + "/":
		route = leanVerify
	case leanToken, leanToken + "/":
		route = leanToken
	default:
		return "", q, false
	}
	// A body (httpx.DropUnreadBody), headers over the limit (a 431), a
	// path that holds more than the route's own bytes, and a query that
	// is bad or not /verify's are left to Gin, which answers them before
	// anything is verified or counted.
	if r.URL.RawPath != "" || (r.Body != nil && r.Body != http.NoBody && r.ContentLength != 0) ||
		httpx.HeaderBytes(r) > httpx.MaxHeaderBytes {
		return "", q, false
	}
	if r.URL.RawQuery == "" {
		q.Need = authn.UserRequired
		return route, q, true
	}
	if route != leanVerify || httpx.CheckUTF8(r.URL) != nil {
		return "", q, false
	}
	q, err := verification.ParseQuery(r.URL.RawQuery)
	return route, q, err == nil
}

func (l *lean) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	route, q, ok := l.route(r)
	if !ok {
		l.next.ServeHTTP(w, r)
		return
	}
	start := time.Now()
	h := w.Header()
	reqID := httpx.SetRequestID(r.Header, h)
	var buf [5]zap.Field // the trace id and the credentials' ids: no allocation
	ids := buf[:0]
	ctx := r.Context()
	var span trace.Span
	if l.app.Tracing.Enabled() {
		var traceID string
		ctx, span, traceID = l.app.Tracing.Begin(ctx, r.Header, r.Method, route, h)
		defer span.End()
		if traceID != "" {
			ids = append(ids, zap.String("trace_id", traceID))
		}
	} else if traceID := l.app.Tracing.PassOn(r.Header, h); traceID != "" {
		ids = append(ids, zap.String("trace_id", traceID))
	}
	httpx.SetNoSniff(h)
	httpx.SetNoStore(h)
	status := l.serve(ctx, w, r, route, q, reqID, &ids)
	took := time.Since(start)
	l.app.Metrics.Observe(r.Method, route, status, took)
	if ce := l.app.accessLog.Check(zap.InfoLevel, "request"); ce != nil {
		httpx.WriteAccessLine(ce, reqID, r.Method, route, status, took, l.ips.Of(r), ids)
	}
	if span != nil {
		tracing.Finish(span, status, reqID)
	}
}

// serve answers the request and returns its status; a panic is answered
// as the Gin path's panic guard answers it (App.recover).
func (l *lean) serve(ctx context.Context, w http.ResponseWriter, r *http.Request, route string, q verification.Query,
	reqID string, ids *[]zap.Field) (status int) {
	defer func() {
		if v := recover(); v != nil {
			l.app.log.Error("panic", zap.String("request_id", reqID), zap.Any("panic", v), zap.Stack("stack"))
			status = httpx.WriteError(w, errs.E(errs.Internal, "server", "Internal server error."))
		}
	}()
	v, err := l.app.Auth.CheckRequest(ctx, r.Header, w.Header(), q.Need)
	if v.Principal != nil {
		*ids = authn.AppendLogFields(*ids, v.Principal)
	}
	if err == nil {
		status, err = l.answer(ctx, w, r, route, q, v.Principal)
	}
	if err != nil {
		e := httpx.ErrorOf(l.app.log, ctx, err, reqID, route)
		if e == nil {
			status = httpx.StatusClientClosed
			w.WriteHeader(status)
		} else {
			status = httpx.WriteError(w, e)
		}
	}
	l.app.Usage.CountAnswer(v, status)
	return status
}

// answer is the route's own answer for p.
func (l *lean) answer(ctx context.Context, w http.ResponseWriter, r *http.Request, route string, q verification.Query,
	p *access.Principal) (int, error) {
	if route == leanVerify {
		return l.verify.Answer(ctx, w, r.Header, p, q.Role, q.Scopes)
	}
	// GET /token is the caller's own session (access.SessionRoute), which
	// authn.AdminScope lets through without latchkey:admin: no guard here.
	body, err := l.tokens.CurrentJSON(ctx, p)
	if err != nil {
		return 0, err
	}
	w.Header()["Content-Type"] = jsonContentType
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body) // a client gone is no error of ours
	return http.StatusOK, nil
}

// jsonContentType is the Content-Type of JSON answers, as Gin writes it.
var jsonContentType = []string{"application/json; charset=utf-8"}
