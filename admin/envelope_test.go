package admin_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/secret"
	"github.com/latchkey/latchkey/internal/testserver"
	"github.com/latchkey/latchkey/store/mongo/mongotest"
)

// noRedirect sends a request without following redirects.
func noRedirect(t *testing.T, s *testserver.Server, method, path string, header map[string]string, body string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res
}

func TestTrailingSlashWithoutRedirect(t *testing.T) {
	s := testserver.Start(t)
	tok := s.OwnerToken(t)
	auth := map[string]string{"App-Token": s.AppToken, "Token": tok}
	login := url.Values{"username": {s.Username}, "password": {s.Password}}.Encode()
	cases := []struct {
		method, path string
		header       map[string]string
		body         string
		status       int
	}{
		{"POST", "/api/v1/token", map[string]string{"App-Token": s.AppToken, "Content-Type": "application/x-www-form-urlencoded"}, login, 200},
		{"POST", "/api/v1/token/", map[string]string{"App-Token": s.AppToken, "Content-Type": "application/x-www-form-urlencoded"}, login, 200},
		{"GET", "/api/v1/token", auth, "", 200},
		{"GET", "/api/v1/token/", auth, "", 200},
		{"GET", "/api/v1/users", auth, "", 200},
		{"GET", "/api/v1/users/", auth, "", 200},
		{"GET", "/api/v1/users/me/", auth, "", 200},
		{"GET", "/api/v1/tenants/platform/", auth, "", 200},
		{"GET", "/api/v1/app_tokens/", auth, "", 200},
		{"GET", "/healthz/", nil, "", 200},
		{"GET", "/readyz/", nil, "", 200},
		{"GET", "/api/v1/nope/", auth, "", 404},
		{"GET", "/api/v1//users", auth, "", 404},
	}
	for _, tc := range cases {
		res := noRedirect(t, s, tc.method, tc.path, tc.header, tc.body)
		if res.StatusCode >= 300 && res.StatusCode < 400 {
			t.Errorf("%s %s: got a redirect %d to %q", tc.method, tc.path, res.StatusCode, res.Header.Get("Location"))
		} else if res.StatusCode != tc.status {
			t.Errorf("%s %s: got %d, want %d", tc.method, tc.path, res.StatusCode, tc.status)
		}
	}
}

func TestErrorEnvelope(t *testing.T) {
	s := testserver.Start(t)
	tok := s.OwnerToken(t)
	appID := itemsOf(t, s.Must(t, 200, testserver.Request{Method: "GET", Path: "/api/v1/app_tokens", AppToken: s.AppToken, Token: tok}))[0]["id"].(string)
	req := func(method, path string, body any) testserver.Request {
		return testserver.Request{Method: method, Path: path, AppToken: s.AppToken, Token: tok, JSON: body}
	}
	allow := func(want ...string) func(t *testing.T, r *testserver.Response) {
		return func(t *testing.T, r *testserver.Response) {
			got := r.Header.Get("Allow")
			for _, m := range want {
				if !strings.Contains(got, m) {
					t.Errorf("Allow: got %q, want it to name %s", got, m)
				}
			}
			if strings.Contains(got, "PUT") {
				t.Errorf("Allow: got %q, which names PUT", got)
			}
		}
	}
	const malformed = "One or more IDs are not formatted correctly."
	big := `{"username":"` + strings.Repeat("a", 70000) + `"}`
	runCoreCases(t, s, []coreCase{
		{name: "unknown route", req: req("GET", "/api/v1/nope", nil), status: 404, errors: map[string]string{"path": "No such endpoint."}},
		{name: "unknown route without credentials", req: testserver.Request{Method: "GET", Path: "/nope/nope"}, status: 404,
			errors: map[string]string{"path": "No such endpoint."}},
		{name: "PUT on an app token", req: req("PUT", "/api/v1/app_tokens/"+appID, map[string]any{}), status: 405,
			errors: map[string]string{"method": "Method PUT is not allowed here; allowed: GET, PATCH, DELETE, HEAD."}, check: allow("GET", "PATCH", "DELETE")},
		{name: "PUT on an app token with a trailing slash", req: req("PUT", "/api/v1/app_tokens/"+appID+"/", map[string]any{}), status: 405,
			errors: map[string]string{"method": "*"}, check: allow("GET", "PATCH", "DELETE")},
		{name: "PUT without credentials", req: testserver.Request{Method: "PUT", Path: "/api/v1/app_tokens/" + appID}, status: 405,
			check: allow("GET")},
		{name: "PUT on the session", req: req("PUT", "/api/v1/token", nil), status: 405, check: allow("GET", "POST", "PATCH", "DELETE")},
		{name: "DELETE on healthz", req: testserver.Request{Method: "DELETE", Path: "/healthz"}, status: 405, check: allow("GET")},
		// A user path takes an id or a username: what is neither an id nor
		// any user's username is 404, what cannot be a username is 400.
		{name: "unknown username", req: req("GET", "/api/v1/users/zzz", nil), status: 404, errors: map[string]string{"user": "*"}},
		{name: "unknown username in PATCH", req: req("PATCH", "/api/v1/users/123", map[string]any{"email": "a@example.test"}), status: 404,
			errors: map[string]string{"user": "*"}},
		{name: "malformed user id in DELETE", req: req("DELETE", "/api/v1/users/"+strings.Repeat("g", 255), nil), status: 400,
			errors: map[string]string{"id": malformed}},
		{name: "malformed app token id", req: req("GET", "/api/v1/app_tokens/not-an-id", nil), status: 400, errors: map[string]string{"token": malformed}},
		{name: "a token-shaped but broken app token", req: req("GET", "/api/v1/app_tokens/lka_broken", nil), status: 404, errors: map[string]string{"token": "*"}},
		{name: "413", req: req("POST", "/api/v1/users", big), status: 413, errors: map[string]string{"body": "The body must be at most 65536 bytes."}},
		{name: "413 for a login form", req: testserver.Request{Method: "POST", Path: "/api/v1/token", AppToken: s.AppToken,
			Form: url.Values{"username": {strings.Repeat("a", 70000)}, "password": {"x"}}}, status: 413,
			errors: map[string]string{"body": "*"}},
		{name: "object for a string", req: req("POST", "/api/v1/users", map[string]any{"username": map[string]any{"$ne": ""}, "password": "p", "email": "e", "role": "member"}),
			status: 400, errors: map[string]string{"username": "Must be a string."}},
		{name: "string for an integer", req: req("PATCH", "/api/v1/token", map[string]any{"seconds_until_expire": "60"}), status: 400,
			errors: map[string]string{"seconds_until_expire": "Must be an integer."}},
		{name: "not JSON", req: req("PATCH", "/api/v1/token", "seconds=60"), status: 400, errors: map[string]string{"body": "The body is not valid JSON."}},
		{name: "two JSON objects", req: req("PATCH", "/api/v1/token", `{"seconds_until_expire":60}{}`), status: 400, errors: map[string]string{"body": "*"}},
		{name: "a JSON list", req: req("POST", "/api/v1/users", `[{"username":"x"}]`), status: 400, errors: map[string]string{"body": "*"}},
		{name: "an operator for a user", req: req("POST", "/api/v1/token", map[string]any{"username": map[string]any{"$gt": ""}, "password": "x"}),
			status: 400, errors: map[string]string{"username": "Must be a string."}},
	})
}

func TestRequestIDs(t *testing.T) {
	s := testserver.Start(t)
	generated := regexp.MustCompile(`^[0-9a-f]{24}$`)
	for _, req := range []testserver.Request{
		{Method: "GET", Path: "/healthz"},
		{Method: "GET", Path: "/api/v1/users/me"},
		{Method: "GET", Path: "/api/v1/nope"},
		{Method: "POST", Path: "/api/v1/token", AppToken: s.AppToken, JSON: map[string]any{"username": s.Username, "password": s.Password}},
	} {
		r := s.Do(t, req)
		if id := r.Header.Get("X-Request-Id"); !generated.MatchString(id) {
			t.Errorf("%s %s: got X-Request-Id %q, want a new one", req.Method, req.Path, id)
		}
		req.Header = map[string]string{"X-Request-Id": "trace-7f3a.b:1_X"}
		if got := s.Do(t, req).Header.Get("X-Request-Id"); got != "trace-7f3a.b:1_X" {
			t.Errorf("%s %s: got X-Request-Id %q, want the incoming one echoed", req.Method, req.Path, got)
		}
		req.Header = map[string]string{"X-Request-Id": "<script>"}
		if got := s.Do(t, req).Header.Get("X-Request-Id"); !generated.MatchString(got) {
			t.Errorf("%s %s: got X-Request-Id %q for a bad incoming one, want a new one", req.Method, req.Path, got)
		}
	}
}

func TestHealth(t *testing.T) {
	s := testserver.Start(t)
	runCoreCases(t, s, []coreCase{
		{name: "healthz", req: testserver.Request{Method: "GET", Path: "/healthz"}, status: 200, check: func(t *testing.T, r *testserver.Response) {
			if r.String("status") != "ok" {
				t.Errorf("got %s", r.Body)
			}
		}},
		{name: "readyz", req: testserver.Request{Method: "GET", Path: "/readyz"}, status: 200, check: func(t *testing.T, r *testserver.Response) {
			if r.String("status") != "ready" {
				t.Errorf("got %s", r.Body)
			}
		}},
	})
}

// With the store gone, /healthz still answers, /readyz and every request
// that needs the store answer 503 quickly, never 500.
func TestStoreUnavailable(t *testing.T) {
	s := testserver.StartWith(t, testserver.Options{Store: mongotest.Unreachable(t), Keys: secret.NewRandomKeyring()})
	app := s.Keys.NewToken(secret.App, "abcdefgh", ids.New())
	unavailable := map[string]string{"store": "The store is unavailable. Try again shortly."}
	runCoreCases(t, s, []coreCase{
		{name: "healthz", req: testserver.Request{Method: "GET", Path: "/healthz"}, status: 200},
		{name: "readyz", req: testserver.Request{Method: "GET", Path: "/readyz"}, status: 503, errors: map[string]string{"store": "The store does not answer."}},
		{name: "login", req: testserver.Request{Method: "POST", Path: "/api/v1/token", AppToken: app,
			JSON: map[string]any{"username": "a", "password": "b"}}, status: 503, errors: unavailable},
		{name: "an authenticated call", req: testserver.Request{Method: "GET", Path: "/api/v1/users/me", AppToken: app,
			Token: s.Keys.NewToken(secret.User, "abcdefgh", ids.New())}, status: 503, errors: unavailable},
		{name: "bad input still answers without the store", req: testserver.Request{Method: "GET", Path: "/api/v1/users/me", AppToken: "nonsense"},
			status: 401},
	})
	start := time.Now()
	s.Do(t, testserver.Request{Method: "GET", Path: "/api/v1/users/me", AppToken: app})
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("a 503 took %s, want it quick", d)
	}
}
