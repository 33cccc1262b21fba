package httpx_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/latchkey/latchkey/internal/errs"
	"github.com/latchkey/latchkey/internal/httpx"
)

// strictEngine is the router's middleware order around one GET and one
// POST route.
func strictEngine(log *zap.Logger, h gin.HandlerFunc) *gin.Engine {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.HandleMethodNotAllowed = true
	r.Use(httpx.AssignRequestID(), httpx.NoSniff, httpx.Errors(log), httpx.HeaderLimit(httpx.MaxHeaderBytes), httpx.ValidUTF8())
	r.NoRoute(httpx.NoRoute)
	r.NoMethod(httpx.NoMethod)
	r.GET("/things/:id", h)
	r.POST("/post", h)
	return r
}

func ok(c *gin.Context) { c.JSON(200, gin.H{"id": c.Param("id"), "q": c.Query("q")}) }

func TestHeaderLimit(t *testing.T) {
	r := strictEngine(zap.NewNop(), ok)
	// A request's other headers (Host and the test's) stay well under 1 KiB.
	for _, tc := range []struct {
		size   int
		status int
	}{{httpx.MaxHeaderBytes - 1024, 200}, {httpx.MaxHeaderBytes + 1, 431}} {
		w := do(r, "GET", "/things/1", map[string]string{"X-Big": strings.Repeat("a", tc.size)})
		if w.Code != tc.status {
			t.Fatalf("%d bytes of header: got %d, want %d", tc.size, w.Code, tc.status)
		}
		if tc.status == 431 {
			if got := errorsOf(t, w); got["headers"] != "The request headers must be at most 16384 bytes in all." || len(got) != 1 {
				t.Errorf("got errors %v, want headers", got)
			}
		}
	}
	// Many small headers count as much as one large one.
	req := httptest.NewRequest("GET", "/things/1", nil)
	for i := range 400 {
		req.Header.Add(fmt.Sprintf("X-H%d", i), strings.Repeat("b", 40))
	}
	w := httptest.NewRecorder()
	r.ServeHTTP(w, req)
	if w.Code != 431 {
		t.Errorf("400 headers of 40 bytes: got %d, want 431", w.Code)
	}
	if w.Header().Get("X-Content-Type-Options") != "nosniff" {
		t.Error("the 431 answer has no X-Content-Type-Options: nosniff")
	}
}

func TestValidUTF8(t *testing.T) {
	r := strictEngine(zap.NewNop(), ok)
	cases := []struct {
		path   string
		status int
		errors map[string]string
	}{
		{"/things/caf%C3%A9?q=%C3%A9t%C3%A9", 200, nil},
		{"/things/%ff%fe", 400, map[string]string{"path": "The path is not valid UTF-8."}},
		{"/things/1?q=%ff%fe", 400, map[string]string{"query": "The query string is not valid UTF-8."}},
		{"/things/1?%ff=1", 400, map[string]string{"query": "The query string is not valid UTF-8."}},
		{"/things/1?q=%zz", 400, map[string]string{"query": "The query string could not be read."}},
		{"/things/%ff?q=%ff", 400, map[string]string{"path": "The path is not valid UTF-8.", "query": "The query string is not valid UTF-8."}},
		{"/nowhere/%ff", 400, map[string]string{"path": "The path is not valid UTF-8."}},
	}
	for _, tc := range cases {
		w := do(r, "GET", tc.path, nil)
		if w.Code != tc.status {
			t.Errorf("%s: got %d, want %d: %s", tc.path, w.Code, tc.status, w.Body)
			continue
		}
		if tc.errors != nil {
			if got := errorsOf(t, w); !sameErrors(got, tc.errors) {
				t.Errorf("%s: got errors %v, want %v", tc.path, got, tc.errors)
			}
		}
	}
}

type queryBody struct {
	httpx.PageQuery
	User   string `json:"user" validate:"omitempty,mongodb"`
	Active *bool  `json:"active"`
	Since  string `json:"since" validate:"omitempty,rfc3339"`
}

func TestBindQuery(t *testing.T) {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.Use(httpx.Errors(zap.NewNop()))
	r.GET("/q", httpx.Handle(func(c *gin.Context) error {
		var q queryBody
		if err := httpx.BindQuery(c, &q); err != nil {
			return err
		}
		c.JSON(200, gin.H{"limit": q.Page().Limit, "cursor": q.Page().Cursor, "active": q.Active})
		return nil
	}))
	if w := do(r, "GET", "/q?limit=5&cursor=c&active=true&since=2026-01-02T15:04:05Z", nil); w.Code != 200 ||
		w.Body.String() != `{"active":true,"cursor":"c","limit":5}` {
		t.Errorf("got %d %s", w.Code, w.Body)
	}
	if w := do(r, "GET", "/q", nil); w.Code != 200 || w.Body.String() != `{"active":null,"cursor":"","limit":50}` {
		t.Errorf("no parameters: got %d %s, want the default page", w.Code, w.Body)
	}
	w := do(r, "GET", "/q?limit=501&user=xyz&active=maybe&since=yesterday&usr=1&cursor=a&cursor=b&LIMIT=1", nil)
	want := map[string]string{"limit": "Must be an integer from 1 to 500.", "user": errs.MalformedID, "active": "Must be true or false.",
		"since": "Must be an RFC 3339 time, such as 2026-01-02T15:04:05Z.", "usr": "Unknown parameter.",
		"cursor": "Give this field once.", "LIMIT": "Unknown parameter."}
	if got := errorsOf(t, w); w.Code != 400 || !sameErrors(got, want) {
		t.Errorf("got %d %v, want 400 %v", w.Code, got, want)
	}
	if w := do(r, "GET", "/q?limit=0", nil); w.Code != 400 || errorsOf(t, w)["limit"] != "Must be an integer from 1 to 500." {
		t.Errorf("limit=0: got %d %s", w.Code, w.Body)
	}
}

// HEAD is answered wherever GET is, with GET's headers and no body; a path
// without GET answers HEAD with 405, and Allow names HEAD beside GET.
func TestHead(t *testing.T) {
	core, logs := observer.New(zap.InfoLevel)
	r := strictEngine(zap.NewNop(), ok)
	r.Use() // the access log must see the method the client sent
	logged := gin.New()
	logged.Use(httpx.AccessLog(zap.New(core)))
	logged.HandleMethodNotAllowed = true
	logged.NoMethod(httpx.NoMethod)
	logged.GET("/things/:id", ok)
	logged.DELETE("/things/:id", ok)
	for _, h := range []http.Handler{r, logged} {
		srv := httptest.NewServer(httpx.Head(h))
		res, err := http.Head(srv.URL + "/things/7?q=x")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || len(body) != 0 || res.ContentLength != int64(len(`{"id":"7","q":"x"}`)) {
			t.Errorf("HEAD: got %d, %d body bytes, Content-Length %d; want 200, none, GET's length", res.StatusCode, len(body), res.ContentLength)
		}
		srv.Close()
	}
	if e := logs.All(); len(e) != 1 || e[0].ContextMap()["method"] != "HEAD" {
		t.Errorf("got access log %v, want one line with method HEAD", e)
	}
	srv := httptest.NewServer(httpx.Head(r))
	defer srv.Close()
	res, err := http.Head(srv.URL + "/post")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 405 || res.Header.Get("Allow") != "POST" {
		t.Errorf("HEAD on a POST route: got %d Allow %q, want 405 Allow POST", res.StatusCode, res.Header.Get("Allow"))
	}
	w := do(httpx.Head(logged), "PUT", "/things/1", nil)
	if got := w.Header().Get("Allow"); got != "GET, DELETE, HEAD" {
		t.Errorf("PUT: got Allow %q, want GET, DELETE, HEAD", got)
	}
}

// TestErrorsRetryAfterOnUnavailable: both kinds of 503 carry Retry-After;
// a store that failed is logged and keeps the connection, a busy refusal is
// not logged (a flood would write the log as fast as it sends) and closes
// the connection.
func TestErrorsRetryAfterOnUnavailable(t *testing.T) {
	gin.SetMode(gin.ReleaseMode)
	core, logs := observer.New(zap.InfoLevel)
	r := gin.New()
	r.Use(httpx.Errors(zap.New(core)))
	r.GET("/down", httpx.Handle(func(*gin.Context) error {
		return &errs.Error{Code: errs.Unavailable, Fields: map[string]string{"store": "Down."}, Cause: errors.New("dial tcp")}
	}))
	r.GET("/busy", httpx.Handle(func(*gin.Context) error {
		return errs.Busy("server", "Busy.", 2500*time.Millisecond)
	}))
	for _, tc := range []struct{ path, retry, connection string }{{"/down", "1", ""}, {"/busy", "3", "close"}} {
		w := do(r, "GET", tc.path, nil)
		if w.Code != 503 || w.Header().Get("Retry-After") != tc.retry || w.Header().Get("Connection") != tc.connection {
			t.Errorf("%s: got %d Retry-After %q Connection %q, want 503, %s and %q", tc.path, w.Code,
				w.Header().Get("Retry-After"), w.Header().Get("Connection"), tc.retry, tc.connection)
		}
	}
	if n := logs.FilterMessage("unavailable").Len(); n != 1 {
		t.Errorf("got %d unavailable log lines, want 1 (the store's)", n)
	}
}

// A request whose client hung up is logged as such at info level and
// recorded as 499, whatever error its canceled context caused; the same
// error on a live request is a 500.
func TestErrorsClientClosed(t *testing.T) {
	gin.SetMode(gin.ReleaseMode)
	core, logs := observer.New(zap.InfoLevel)
	r := gin.New()
	var status int
	r.Use(func(c *gin.Context) { c.Next(); status = c.Writer.Status() }, httpx.Errors(zap.New(core)))
	r.GET("/slow", httpx.Handle(func(c *gin.Context) error {
		<-c.Request.Context().Done()
		return fmt.Errorf("store: %w", c.Request.Context().Err())
	}))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req := httptest.NewRequest("GET", "/slow", nil).WithContext(ctx)
	r.ServeHTTP(httptest.NewRecorder(), req)
	if status != httpx.StatusClientClosed {
		t.Errorf("got status %d, want %d", status, httpx.StatusClientClosed)
	}
	if logs.FilterMessage("client closed the request").Len() != 1 || logs.FilterLevelExact(zap.ErrorLevel).Len() != 0 {
		t.Errorf("got logs %v, want one info line and no error", logs.All())
	}
}
