package httpx_test

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"go.uber.org/zap"

	"github.com/latchkey/latchkey/internal/errs"
	"github.com/latchkey/latchkey/internal/httpx"
)

// An error answer to a request whose body was not read says
// Connection: close; one to a request whose body was read, a success, and
// an answer to a request without a body keep the connection.
func TestDropUnreadBody(t *testing.T) {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.Use(httpx.DropUnreadBody, httpx.Errors(zap.NewNop()))
	refuse := httpx.Handle(func(*gin.Context) error { return errs.E(errs.Unauthorized, "token", "No token.") })
	r.POST("/refuse", refuse)
	r.GET("/refuse", refuse)
	r.POST("/read-then-refuse", httpx.Handle(func(c *gin.Context) error {
		_, _ = io.ReadAll(c.Request.Body)
		return errs.E(errs.Conflict, "name", "Taken.")
	}))
	r.POST("/ignore", func(c *gin.Context) { c.Status(204) })
	for _, tc := range []struct {
		method, path, body string
		status             int
		close              bool
	}{
		{"POST", "/refuse", "{}", 401, true},
		{"GET", "/refuse", "", 401, false},
		{"POST", "/read-then-refuse", "{}", 409, false},
		{"POST", "/ignore", "{}", 204, false},
		{"POST", "/nowhere", "{}", 404, true},
	} {
		req := httptest.NewRequest(tc.method, tc.path, strings.NewReader(tc.body))
		if tc.body == "" {
			req = httptest.NewRequest(tc.method, tc.path, nil)
		}
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		if got := w.Header().Get("Connection") == "close"; w.Code != tc.status || got != tc.close {
			t.Errorf("%s %s: got %d, Connection: close %v; want %d, %v", tc.method, tc.path, w.Code, got, tc.status, tc.close)
		}
	}
}
