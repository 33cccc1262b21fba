package ginverify_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/latchkey/latchkey/verify"
	"github.com/latchkey/latchkey/verify/ginverify"
	"github.com/latchkey/latchkey/verify/verifytest"
)

// Protect a Gin group; one route needs an admin.
func Example() {
	latchkey := standIn() // in production: your Latchkey's URL
	defer latchkey.Close()

	v, err := verify.New(verify.Options{URL: latchkey.URL})
	if err != nil {
		panic(err)
	}
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	api := r.Group("/api", ginverify.Middleware(v))
	api.GET("/orders", func(c *gin.Context) {
		caller, _ := ginverify.Caller(c)
		c.String(http.StatusOK, "orders of %s for %s", caller.Tenant, caller.Username)
	})
	api.DELETE("/orders/:id", ginverify.RequireRole("admin"), func(c *gin.Context) {
		c.Status(http.StatusNoContent)
	})

	show(r, "GET", "/api/orders", "lku_ann")
	show(r, "DELETE", "/api/orders/7", "lku_ann")
	show(r, "DELETE", "/api/orders/7", "lku_bob")
	show(r, "GET", "/api/orders", "lku_nobody")
	// Output:
	// 200 orders of acme for ann
	// 403 {"errors":{"role":"This needs the role admin or a stronger one; the caller's role is member."}}
	// 204
	// 401 {"errors":{"Token":"Invalid or expired token."}}
}

func show(h http.Handler, method, path, token string) {
	r := httptest.NewRequest(method, path, nil)
	r.Header.Set("App-Token", "lka_demo")
	r.Header.Set("Token", token)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	fmt.Println(strings.TrimSpace(fmt.Sprint(w.Code, " ", w.Body.String())))
}

func standIn() *verifytest.Server {
	s := verifytest.NewServer()
	acme := verify.Caller{TenantID: "k3v7x2ab", Tenant: "acme", AppTokenID: "6a1f00000000000000000001",
		Expires: time.Now().Add(time.Hour)}
	s.AddApp("lka_demo", acme)
	s.AddUser("lku_ann", verify.Caller{TenantID: acme.TenantID, Tenant: "acme", UserID: "6a1f00000000000000000002",
		Username: "ann", Role: "member", TokenID: "6a1f00000000000000000003", TokenKind: "login", Expires: acme.Expires})
	s.AddUser("lku_bob", verify.Caller{TenantID: acme.TenantID, Tenant: "acme", UserID: "6a1f00000000000000000004",
		Username: "bob", Role: "admin", TokenID: "6a1f00000000000000000005", TokenKind: "login", Expires: acme.Expires})
	return s
}

// TestClientHeadersStripped checks that the adapter, like the net/http
// middleware, removes the client's X-Latchkey-* headers.
func TestClientHeadersStripped(t *testing.T) {
	latchkey := standIn()
	defer latchkey.Close()
	v, err := verify.New(verify.Options{URL: latchkey.URL})
	if err != nil {
		t.Fatal(err)
	}
	r := gin.New()
	r.GET("/x", ginverify.Middleware(v), func(c *gin.Context) {
		c.String(http.StatusOK, "%q", c.GetHeader("X-Latchkey-Role"))
	})
	req := httptest.NewRequest("GET", "/x", nil)
	req.Header.Set("App-Token", "lka_demo")
	req.Header.Set("Token", "lku_ann")
	req.Header.Set("X-Latchkey-Role", "owner")
	w := httptest.NewRecorder()
	r.ServeHTTP(w, req)
	if w.Code != http.StatusOK || w.Body.String() != `""` {
		t.Errorf("got %d %s, want 200 without the client's header", w.Code, w.Body)
	}
}

func TestRequireRolePanicsOnUnknownRole(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic")
		}
	}()
	ginverify.RequireRole("root")
}

// TestImportsNothingInternal keeps the adapter light for its users: it
// adds Gin (and what Gin needs) to the verify module, and no other part of
// Latchkey.
func TestImportsNothingInternal(t *testing.T) {
	const pkg = "github.com/latchkey/latchkey/verify/ginverify"
	allowed := []string{"github.com/latchkey/latchkey/verify", "github.com/gin-gonic/", "github.com/", "golang.org/x/", "google.golang.org/", "go.mongodb.org/", "gopkg.in/"}
	for _, dep := range strings.Fields(goAlone(t, "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", pkg)) {
		ok := dep == pkg
		for _, a := range allowed {
			ok = ok || strings.HasPrefix(dep, a)
		}
		if !ok || strings.HasPrefix(dep, "github.com/latchkey/latchkey/") && dep != "github.com/latchkey/latchkey/verify" && dep != pkg {
			t.Errorf("%s imports %s", pkg, dep)
		}
	}
	for _, mod := range strings.Fields(goAlone(t, "list", "-m", "-f", "{{.Path}}", "all")) {
		if strings.HasPrefix(mod, "github.com/latchkey/") && mod != pkg && mod != "github.com/latchkey/latchkey/verify" {
			t.Errorf("the module requires %s", mod)
		}
	}
}

// goAlone runs the go command on this module alone (GOWORK=off: not the
// repository's workspace, which holds the server's module too).
func goAlone(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Env = append(os.Environ(), "GOWORK=off")
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if e, ok := err.(*exec.ExitError); ok {
			stderr = e.Stderr
		}
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, stderr)
	}
	return string(out)
}
