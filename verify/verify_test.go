package verify_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/verify"
)

// The tests against a real Latchkey are in the server's module
// (internal/e2e), which this module does not require; these need none.

// echoCaller is the protected handler of the tests: it answers the Caller
// it was given and the X-Latchkey-* headers that reached it.
var echoCaller = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	c, ok := verify.FromContext(r.Context())
	if !ok {
		http.Error(w, "no caller", http.StatusInternalServerError)
		return
	}
	var leaked []string
	for k := range r.Header {
		if strings.HasPrefix(strings.ToLower(k), "x-latchkey-") {
			leaked = append(leaked, k)
		}
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"caller": c, "leaked": leaked})
})

type answer struct {
	Status int
	Header http.Header
	Caller *verify.Caller
	Leaked []string
	Errors map[string]string
}

func call(t *testing.T, h http.Handler, header map[string]string) answer {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/orders", strings.NewReader(`{"item": 1}`))
	for k, v := range header {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	a := answer{Status: w.Code, Header: w.Header()}
	var body struct {
		Caller *verify.Caller    `json:"caller"`
		Leaked []string          `json:"leaked"`
		Errors map[string]string `json:"errors"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatalf("got %d %q: %v", w.Code, w.Body, err)
	}
	a.Caller, a.Leaked, a.Errors = body.Caller, body.Leaked, body.Errors
	return a
}

func newVerifier(t *testing.T, o verify.Options) *verify.Verifier {
	t.Helper()
	v, err := verify.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestLatchkeyUnavailable checks that nothing passes when Latchkey cannot
// answer: unreachable, or answering what it never answers /verify with.
func TestLatchkeyUnavailable(t *testing.T) {
	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close()
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "oops", http.StatusInternalServerError)
	}))
	defer broken.Close()
	wrongPath := httptest.NewServer(http.NotFoundHandler())
	defer wrongPath.Close()
	garbled := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("{not json"))
	}))
	defer garbled.Close()
	for name, url := range map[string]string{"unreachable": gone.URL, "500": broken.URL, "404": wrongPath.URL, "garbled 200": garbled.URL} {
		h := newVerifier(t, verify.Options{URL: url}).Handler(echoCaller)
		a := call(t, h, map[string]string{"App-Token": "lka_x", "Token": "lku_y"})
		if a.Status != http.StatusServiceUnavailable || a.Errors["latchkey"] == "" || a.Header.Get("Retry-After") == "" {
			t.Errorf("%s: got %d %v %v, want 503 with Retry-After", name, a.Status, a.Errors, a.Header)
		}
	}
}

func TestNewRefusesBadOptions(t *testing.T) {
	for _, o := range []verify.Options{
		{}, {URL: "127.0.0.1:8080"}, {URL: "ftp://h"}, {URL: "http://"}, {URL: "http://h", Role: "root"},
	} {
		if _, err := verify.New(o); err == nil {
			t.Errorf("%+v: got no error", o)
		}
	}
}

// TestImportsNothingInternal keeps the module light for its users: its
// packages import the standard library and each other alone, and its
// go.mod requires no module (the Gin adapter is a module of its own,
// verify/ginverify).
func TestImportsNothingInternal(t *testing.T) {
	for _, pkg := range []string{"github.com/latchkey/latchkey/verify", "github.com/latchkey/latchkey/verify/verifytest"} {
		for _, dep := range strings.Fields(goAlone(t, "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", pkg)) {
			if dep != pkg && dep != "github.com/latchkey/latchkey/verify" {
				t.Errorf("%s imports %s", pkg, dep)
			}
		}
	}
	if mods := strings.Fields(goAlone(t, "list", "-m", "all")); !slices.Equal(mods, []string{"github.com/latchkey/latchkey/verify"}) {
		t.Errorf("go list -m all = %q, want this module alone: it requires nothing", mods)
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
