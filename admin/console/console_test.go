package console_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/latchkey/latchkey/admin/console"
)

func newRouter() *gin.Engine {
	gin.SetMode(gin.TestMode)
	r := gin.New()
	console.Register(r)
	return r
}

func fetch(t *testing.T, h http.Handler, method, path string) (*http.Response, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	res := rec.Result()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, string(body)
}

func TestServesIndexWithSecurityHeaders(t *testing.T) {
	r := newRouter()
	for _, path := range []string{"/console/", "/console", "/console/index.html"} {
		t.Run(path, func(t *testing.T) {
			res, body := fetch(t, r, http.MethodGet, path)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("GET %s: got status %d, want 200", path, res.StatusCode)
			}
			if got := res.Header.Get("Content-Type"); !strings.HasPrefix(got, "text/html") {
				t.Errorf("Content-Type: got %q, want text/html", got)
			}
			want := map[string]string{
				"Content-Security-Policy": console.ContentSecurityPolicy,
				"X-Content-Type-Options":  "nosniff",
				"Referrer-Policy":         "no-referrer",
				"Cache-Control":           "no-store",
			}
			for k, v := range want {
				if got := res.Header.Get(k); got != v {
					t.Errorf("%s: got %q, want %q", k, got, v)
				}
			}
			if !strings.Contains(body, `<script type="module" src="/console/app.js">`) {
				t.Errorf("index.html does not load /console/app.js")
			}
		})
	}
}

func TestCSPIsStrict(t *testing.T) {
	csp := console.ContentSecurityPolicy
	for _, d := range []string{"default-src 'none'", "script-src 'self'", "style-src 'self'",
		"img-src 'self' data:", "connect-src 'self'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, d) {
			t.Errorf("CSP %q lacks %q", csp, d)
		}
	}
	for _, bad := range []string{"unsafe-inline", "unsafe-eval", "http:", "https:", "*"} {
		if strings.Contains(csp, bad) {
			t.Errorf("CSP %q allows %q", csp, bad)
		}
	}
}

func TestServesAssetsWithTheirTypes(t *testing.T) {
	r := newRouter()
	for path, want := range map[string]string{
		"/console/app.js":      "text/javascript",
		"/console/api.js":      "text/javascript",
		"/console/app.css":     "text/css",
		"/console/favicon.svg": "image/svg+xml",
	} {
		res, body := fetch(t, r, http.MethodGet, path)
		if res.StatusCode != http.StatusOK {
			t.Errorf("GET %s: got status %d, want 200", path, res.StatusCode)
			continue
		}
		if got := res.Header.Get("Content-Type"); !strings.HasPrefix(got, want) {
			t.Errorf("GET %s: Content-Type got %q, want %s", path, got, want)
		}
		if res.Header.Get("Content-Security-Policy") == "" || res.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s: security headers missing", path)
		}
		if body == "" {
			t.Errorf("GET %s: empty body", path)
		}
	}
	res, _ := fetch(t, r, http.MethodHead, "/console/app.js")
	if res.StatusCode != http.StatusOK {
		t.Errorf("HEAD /console/app.js: got status %d, want 200", res.StatusCode)
	}
}

func TestRevalidatesAssetsByETag(t *testing.T) {
	r := newRouter()
	res, _ := fetch(t, r, http.MethodGet, "/console/app.css")
	etag := res.Header.Get("ETag")
	if etag == "" {
		t.Fatal("GET /console/app.css: no ETag")
	}
	req := httptest.NewRequest(http.MethodGet, "/console/app.css", nil)
	req.Header.Set("If-None-Match", etag)
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, req)
	if rec.Code != http.StatusNotModified {
		t.Errorf("GET with If-None-Match: got status %d, want 304", rec.Code)
	}
}

func TestUnknownAssetIs404(t *testing.T) {
	r := newRouter()
	for _, path := range []string{"/console/nope.js", "/console/static/app.js", "/console/../console.go", "/console/app.js/x"} {
		res, body := fetch(t, r, http.MethodGet, path)
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: got status %d, want 404", path, res.StatusCode)
		}
		if !strings.Contains(body, `"errors"`) {
			t.Errorf("GET %s: body %q is not an errors object", path, body)
		}
	}
}

// TestIndexLoadsNothingExternal checks what the CSP would otherwise refuse at
// run time: no CDN, no inline script or style.
func TestIndexLoadsNothingExternal(t *testing.T) {
	_, body := fetch(t, newRouter(), http.MethodGet, "/console/")
	if m := regexp.MustCompile(`(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}`).FindString(body); m != "" {
		t.Errorf("index.html references an external URL: %q", m)
	}
	for _, m := range regexp.MustCompile(`(?is)<script\b([^>]*)>(.*?)</script>`).FindAllStringSubmatch(body, -1) {
		if !strings.Contains(m[1], "src=") || strings.TrimSpace(m[2]) != "" {
			t.Errorf("index.html has an inline script: %q", m[0])
		}
	}
	for _, pat := range []string{`(?i)\sstyle\s*=`, `(?i)<style\b`, `(?i)\son[a-z]+\s*=`, `(?i)javascript:`} {
		if m := regexp.MustCompile(pat).FindString(body); m != "" {
			t.Errorf("index.html has inline style or script: %q", m)
		}
	}
}

// TestScriptsAvoidEval keeps the CSP's promise in the scripts themselves.
func TestScriptsAvoidEval(t *testing.T) {
	r := newRouter()
	for _, name := range []string{"app.js", "api.js", "ui.js", "state.js", "apptokens.js", "users.js", "tokens.js", "find.js", "audit.js", "csv.js", "tenants.js", "account.js"} {
		res, body := fetch(t, r, http.MethodGet, "/console/"+name)
		if res.StatusCode != http.StatusOK {
			t.Errorf("GET /console/%s: got status %d, want 200", name, res.StatusCode)
			continue
		}
		for _, pat := range []string{`\beval\(`, `new Function\(`, `\.innerHTML\s*=`, `insertAdjacentHTML`, `https?://`, `\.style\.`, `setAttribute\('style'`} {
			if m := regexp.MustCompile(pat).FindString(body); m != "" {
				t.Errorf("%s uses %q", name, m)
			}
		}
	}
}

// TestTenantAddressServesThePage: /console/<slug> and /console/<slug>/
// answer the page (which signs in to that tenant), with the console's
// headers; anything else that is not a file stays 404.
func TestTenantAddressServesThePage(t *testing.T) {
	r := newRouter()
	_, index := fetch(t, r, http.MethodGet, "/console/")
	for _, path := range []string{"/console/acme", "/console/acme/", "/console/a-2"} {
		res, body := fetch(t, r, http.MethodGet, path)
		if res.StatusCode != http.StatusOK || body != index {
			t.Errorf("GET %s: got status %d, want 200 and the page", path, res.StatusCode)
		}
		if res.Header.Get("Content-Security-Policy") != console.ContentSecurityPolicy || res.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("GET %s: got headers %v, want the page's", path, res.Header)
		}
	}
	for _, path := range []string{"/console/Acme/", "/console/acme/x", "/console/acme//", "/console/a"} {
		if res, _ := fetch(t, r, http.MethodGet, path); res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: got status %d, want 404", path, res.StatusCode)
		}
	}
}
