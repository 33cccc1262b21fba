package httpx_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/latchkey/latchkey/internal/errs"
	"github.com/latchkey/latchkey/internal/httpx"
	"github.com/latchkey/latchkey/internal/page"
)

func do(h http.Handler, method, path string, header map[string]string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

func errorsOf(t *testing.T, w *httptest.ResponseRecorder) map[string]string {
	t.Helper()
	var env struct {
		Errors map[string]string `json:"errors"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &env); err != nil {
		t.Fatalf("body %q is not the error envelope: %v", w.Body, err)
	}
	return env.Errors
}

func TestFoldSlash(t *testing.T) {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.RedirectTrailingSlash = false
	r.RedirectFixedPath = false
	r.NoRoute(httpx.NoRoute)
	r.GET("/api/v1/token", func(c *gin.Context) { c.String(200, "token %s", c.Request.URL.Path) })
	r.GET("/", func(c *gin.Context) { c.String(200, "root") })
	r.GET("/console/*file", func(c *gin.Context) { c.String(200, "console %s", c.Param("file")) })
	h := httpx.FoldSlash(r, "/console/")
	cases := []struct {
		path   string
		status int
		body   string
	}{
		{"/api/v1/token", 200, "token /api/v1/token"},
		{"/api/v1/token/", 200, "token /api/v1/token"},
		{"/api/v1/token//", 200, "token /api/v1/token"},
		{"/", 200, "root"},
		{"/console/", 200, "console /"},
		{"/console/app/", 200, "console /app/"},
		{"/api/v1/nope/", 404, ""},
	}
	for _, tc := range cases {
		w := do(h, "GET", tc.path, nil)
		if w.Code != tc.status {
			t.Errorf("GET %s: got status %d, want %d", tc.path, w.Code, tc.status)
			continue
		}
		if tc.body != "" && w.Body.String() != tc.body {
			t.Errorf("GET %s: got %q, want %q", tc.path, w.Body, tc.body)
		}
		if loc := w.Header().Get("Location"); loc != "" {
			t.Errorf("GET %s: got a redirect to %s", tc.path, loc)
		}
	}
}

func TestRequestID(t *testing.T) {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.Use(httpx.AssignRequestID())
	r.GET("/", func(c *gin.Context) { c.String(200, httpx.RequestID(c)) })
	generated := regexp.MustCompile(`^[0-9a-f]{24}$`)
	cases := []struct {
		name string
		in   string
		echo bool
	}{
		{"none", "", false},
		{"valid", "req-42.a:b_C", true},
		{"128 characters", strings.Repeat("a", 128), true},
		{"129 characters", strings.Repeat("a", 129), false},
		{"space", "bad id", false},
		{"newline escape", "a\\nb", false},
		{"quote", `a"b`, false},
	}
	seen := map[string]bool{}
	for _, tc := range cases {
		w := do(r, "GET", "/", map[string]string{"X-Request-Id": tc.in})
		got := w.Header().Get("X-Request-Id")
		if got != w.Body.String() {
			t.Errorf("%s: header %q and RequestID %q differ", tc.name, got, w.Body)
		}
		switch {
		case tc.echo && got != tc.in:
			t.Errorf("%s: got %q, want the incoming %q echoed", tc.name, got, tc.in)
		case !tc.echo && !generated.MatchString(got):
			t.Errorf("%s: got %q, want a new 24-hex id", tc.name, got)
		case !tc.echo && seen[got]:
			t.Errorf("%s: got %q again", tc.name, got)
		}
		seen[got] = true
	}
}

func TestErrorsMapsCodesToStatuses(t *testing.T) {
	gin.SetMode(gin.ReleaseMode)
	core, logs := observer.New(zap.DebugLevel)
	r := gin.New()
	r.Use(httpx.Errors(zap.New(core)))
	errsByPath := map[string]error{
		"/invalid":        errs.Fields(map[string]string{"a": "A.", "b": "B."}),
		"/unauthorized":   errs.E(errs.Unauthorized, "Token", "Invalid."),
		"/forbidden":      errs.E(errs.Forbidden, "permission", "No."),
		"/not_found":      fmt.Errorf("wrapped: %w", errs.E(errs.NotFound, "user", "No such user.")),
		"/conflict":       errs.E(errs.Conflict, "slug", "Taken."),
		"/locked":         errs.Lock("credentials", "Locked.", 1500*time.Millisecond),
		"/locked_short":   errs.Lock("credentials", "Locked.", time.Millisecond),
		"/too_large":      errs.E(errs.TooLarge, "body", "Too large."),
		"/unavailable":    &errs.Error{Code: errs.Unavailable, Fields: map[string]string{"store": "Down."}, Cause: errors.New("dial tcp")},
		"/internal":       errors.New("secret detail: lka_xyz"),
		"/coded_internal": &errs.Error{Code: errs.Internal, Fields: map[string]string{"db": "detail"}},
	}
	for path, err := range errsByPath {
		r.GET(path, func(c *gin.Context) { httpx.Fail(c, err) })
	}
	cases := []struct {
		path   string
		status int
		errors map[string]string
		header map[string]string
	}{
		{"/invalid", 400, map[string]string{"a": "A.", "b": "B."}, nil},
		{"/unauthorized", 401, map[string]string{"Token": "Invalid."}, map[string]string{"WWW-Authenticate": httpx.Realm}},
		{"/forbidden", 403, map[string]string{"permission": "No."}, nil},
		{"/not_found", 404, map[string]string{"user": "No such user."}, nil},
		{"/conflict", 409, map[string]string{"slug": "Taken."}, nil},
		{"/locked", 429, map[string]string{"credentials": "Locked."}, map[string]string{"Retry-After": "2"}},
		{"/locked_short", 429, map[string]string{"credentials": "Locked."}, map[string]string{"Retry-After": "1"}},
		{"/too_large", 413, map[string]string{"body": "Too large."}, nil},
		{"/unavailable", 503, map[string]string{"store": "Down."}, map[string]string{"Retry-After": "1"}},
		{"/internal", 500, map[string]string{"server": "Internal server error."}, nil},
		{"/coded_internal", 500, map[string]string{"server": "Internal server error."}, nil},
	}
	for _, tc := range cases {
		w := do(r, "GET", tc.path, nil)
		if w.Code != tc.status {
			t.Errorf("%s: got status %d, want %d", tc.path, w.Code, tc.status)
		}
		if got := errorsOf(t, w); !reflect.DeepEqual(got, tc.errors) {
			t.Errorf("%s: got errors %v, want %v", tc.path, got, tc.errors)
		}
		for k, v := range tc.header {
			if got := w.Header().Get(k); got != v {
				t.Errorf("%s: got %s %q, want %q", tc.path, k, got, v)
			}
		}
		if tc.status != 401 && w.Header().Get("WWW-Authenticate") != "" {
			t.Errorf("%s: got WWW-Authenticate on a %d", tc.path, tc.status)
		}
	}
	if n := logs.FilterMessage("internal error").Len(); n != 2 {
		t.Errorf("got %d internal error log lines, want 2 (one per internal error)", n)
	}
}

func TestNoRouteAndNoMethod(t *testing.T) {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.HandleMethodNotAllowed = true
	r.NoRoute(httpx.NoRoute)
	r.NoMethod(httpx.NoMethod)
	r.GET("/thing", func(c *gin.Context) { c.Status(200) })
	r.DELETE("/thing", func(c *gin.Context) { c.Status(204) })

	w := do(r, "GET", "/nope", nil)
	if w.Code != 404 || !reflect.DeepEqual(errorsOf(t, w), map[string]string{"path": "No such endpoint."}) {
		t.Errorf("GET /nope: got %d %s, want 404 path: No such endpoint.", w.Code, w.Body)
	}
	w = do(r, "PUT", "/thing", nil)
	if w.Code != 405 || !reflect.DeepEqual(errorsOf(t, w), map[string]string{"method": "Method PUT is not allowed here; allowed: GET, DELETE, HEAD."}) {
		t.Errorf("PUT /thing: got %d %s, want 405 naming PUT and the allowed methods", w.Code, w.Body)
	}
	if got := w.Header().Get("Allow"); !strings.Contains(got, "GET") || !strings.Contains(got, "DELETE") {
		t.Errorf("PUT /thing: got Allow %q, want GET and DELETE", got)
	}
}

// TestPageQuery: ?limit= and ?cursor= as every list binds them (a list's
// query type embeds PageQuery).
func TestPageQuery(t *testing.T) {
	cases := []struct {
		query  string
		limit  int
		cursor string
		bad    bool
	}{
		{"", 50, "", false},
		{"limit=1", 1, "", false},
		{"limit=500&cursor=abc", 500, "abc", false},
		{"limit=0", 0, "", true},
		{"limit=501", 0, "", true},
		{"limit=-1", 0, "", true},
		{"limit=ten", 0, "", true},
	}
	for _, tc := range cases {
		c, _ := gin.CreateTestContext(httptest.NewRecorder())
		c.Request = httptest.NewRequest("GET", "/?"+tc.query, nil)
		var q httpx.PageQuery
		err := httpx.BindQuery(c, &q)
		p := q.Page()
		if tc.bad {
			if e, ok := errs.As(err); !ok || e.Code != errs.Invalid || e.Fields["limit"] == "" {
				t.Errorf("%q: got %v, want invalid limit", tc.query, err)
			}
			continue
		}
		if err != nil || p.Limit != tc.limit || p.Cursor != tc.cursor {
			t.Errorf("%q: got %+v, %v, want limit %d cursor %q", tc.query, p, err, tc.limit, tc.cursor)
		}
	}
}

func TestNewList(t *testing.T) {
	b, _ := json.Marshal(page.NewList[int](nil, ""))
	if got, want := string(b), `{"items":[],"next_cursor":null}`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	b, _ = json.Marshal(page.NewList([]int{1}, "c1"))
	if got, want := string(b), `{"items":[1],"next_cursor":"c1"}`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestAccessLogNamesTheRouteNotThePath(t *testing.T) {
	gin.SetMode(gin.ReleaseMode)
	core, logs := observer.New(zap.InfoLevel)
	r := gin.New()
	r.Use(httpx.AssignRequestID(), httpx.AccessLog(zap.New(core)))
	r.NoRoute(httpx.NoRoute)
	r.GET("/tokens/:token", func(c *gin.Context) {
		httpx.AddLogFields(c, zap.String("tenant", "abcdefgh"))
		c.Status(204)
	})
	const leaked = "lku_abcdefgh_secretsecretsecret"
	do(r, "GET", "/tokens/"+leaked, map[string]string{"X-Request-Id": "rid-1"})
	do(r, "GET", "/nowhere/"+leaked, nil)
	entries := logs.All()
	if len(entries) != 2 {
		t.Fatalf("got %d log lines, want 2", len(entries))
	}
	first := entries[0].ContextMap()
	for k, want := range map[string]any{"route": "/tokens/:token", "status": int64(204), "method": "GET", "request_id": "rid-1", "tenant": "abcdefgh"} {
		if first[k] != want {
			t.Errorf("got %s %v, want %v", k, first[k], want)
		}
	}
	if got := entries[1].ContextMap()["route"]; got != "(unmatched)" {
		t.Errorf("unmatched path: got route %v, want (unmatched)", got)
	}
	for _, e := range entries {
		if s := fmt.Sprint(e.ContextMap()); strings.Contains(s, "secretsecret") {
			t.Errorf("the log line carries the path's token: %s", s)
		}
	}
}
