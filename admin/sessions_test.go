package admin_test

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/testserver"
)

var hexID = regexp.MustCompile(`^[0-9a-f]{24}$`)

const badCredentials = `{"errors":{"credentials":"Invalid username or password."}}`

func TestLogin(t *testing.T) {
	s := testserver.StartWith(t, testserver.Options{Clock: zonedClock()})
	owner := s.OwnerToken(t)
	annID := s.NewUser(t, s.AppToken, owner, "ann", "member")
	disID := s.NewUser(t, s.AppToken, owner, "dis", "member")
	s.Must(t, 200, testserver.Request{Method: "PATCH", Path: "/api/v1/users/" + disID, AppToken: s.AppToken, Token: owner,
		JSON: map[string]any{"status": "disabled"}})
	now := s.Clock.Now()
	const day = 24 * time.Hour

	// session checks a login answer: its secrets, ids and times.
	session := func(lifetime time.Duration) func(t *testing.T, r *testserver.Response) {
		return func(t *testing.T, r *testserver.Response) {
			if tok := r.String("token"); !strings.HasPrefix(tok, "lku_"+s.TenantID+"_") {
				t.Errorf("token: got %q, want lku_%s_…", tok, s.TenantID)
			}
			if rt := r.String("refresh_token"); !strings.HasPrefix(rt, "lkr_"+s.TenantID+"_") {
				t.Errorf("refresh_token: got %q, want lkr_%s_…", rt, s.TenantID)
			}
			if !hexID.MatchString(r.String("id")) {
				t.Errorf("id: got %q, want 24 hex", r.String("id"))
			}
			wantTime(t, "expires", r.JSON["expires"], now.Add(lifetime))
			wantTime(t, "refresh_expires", r.JSON["refresh_expires"], now.Add(30*day))
			u := objOf(r, "user")
			if u["id"] != annID || u["username"] != "ann" || u["role"] != "member" || len(u) != 3 {
				t.Errorf("user: got %v, want {id: %s, username: ann, role: member}", u, annID)
			}
		}
	}
	login := func(body map[string]any) testserver.Request {
		return testserver.Request{Method: "POST", Path: "/api/v1/token", AppToken: s.AppToken, JSON: body}
	}
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("ann:ann-password"))
	runCoreCases(t, s, []coreCase{
		{name: "JSON", req: login(map[string]any{"username": "ann", "password": "ann-password"}), status: 200, check: session(day)},
		{name: "form", req: testserver.Request{Method: "POST", Path: "/api/v1/token/", AppToken: s.AppToken,
			Form: url.Values{"username": {"ann"}, "password": {"ann-password"}}}, status: 200, check: session(day)},
		{name: "HTTP Basic", req: testserver.Request{Method: "POST", Path: "/api/v1/token/", AppToken: s.AppToken,
			Header: map[string]string{"Authorization": basic}}, status: 200, check: session(day)},
		{name: "username in another case", req: login(map[string]any{"username": "ANN", "password": "ann-password"}), status: 200, check: session(day)},
		{name: "seconds_until_expire", req: login(map[string]any{"username": "ann", "password": "ann-password", "seconds_until_expire": 60}),
			status: 200, check: session(time.Minute)},
		{name: "seconds_until_expire in a form", req: testserver.Request{Method: "POST", Path: "/api/v1/token", AppToken: s.AppToken,
			Form: url.Values{"username": {"ann"}, "password": {"ann-password"}, "seconds_until_expire": {"7776000"}}},
			status: 200, check: session(90 * day)},
		{name: "long", req: login(map[string]any{"username": "ann", "password": "ann-password", "long": true}), status: 200, check: session(30 * day)},
		{name: "long in a form", req: testserver.Request{Method: "POST", Path: "/api/v1/token", AppToken: s.AppToken,
			Form: url.Values{"username": {"ann"}, "password": {"ann-password"}, "long": {"true"}}}, status: 200, check: session(30 * day)},
		{name: "over the maximum", req: login(map[string]any{"username": "ann", "password": "ann-password", "seconds_until_expire": 7776001}),
			status: 400, errors: map[string]string{"seconds_until_expire": "Must be at most 90 days (the tenant's maximum)."}},
		{name: "zero seconds", req: login(map[string]any{"username": "ann", "password": "ann-password", "seconds_until_expire": 0}),
			status: 400, errors: map[string]string{"seconds_until_expire": "*"}},
		{name: "long and seconds", req: login(map[string]any{"username": "ann", "password": "ann-password", "seconds_until_expire": 60, "long": true}),
			status: 400, errors: map[string]string{"long": "Give either long or seconds_until_expire, not both."}},
		{name: "missing fields", req: login(map[string]any{}), status: 400,
			errors: map[string]string{"username": "This field is required.", "password": "This field is required."}},
		{name: "missing fields in a form", req: testserver.Request{Method: "POST", Path: "/api/v1/token", AppToken: s.AppToken,
			Form: url.Values{"long": {"true"}}}, status: 400,
			errors: map[string]string{"username": "This field is required.", "password": "This field is required."}},
		{name: "missing password", req: login(map[string]any{"username": "ann"}), status: 400,
			errors: map[string]string{"password": "This field is required."}},
		{name: "unknown field", req: login(map[string]any{"username": "ann", "password": "ann-password", "remember": true}), status: 400,
			errors: map[string]string{"remember": "Unknown field."}},
		{name: "wrong type", req: login(map[string]any{"username": "ann", "password": "ann-password", "seconds_until_expire": "60"}), status: 400,
			errors: map[string]string{"seconds_until_expire": "Must be an integer."}},
		{name: "JSON sent as a form, as curl -d does", req: testserver.Request{Method: "POST", Path: "/api/v1/token", AppToken: s.AppToken,
			JSON: `{"username":"ann","password":"ann-password"}`, Header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}},
			status: 400, errors: map[string]string{"body": "The body has a field whose name is not valid. To send JSON, set the header Content-Type: application/json."},
			check: func(t *testing.T, r *testserver.Response) {
				if strings.Contains(string(r.Body), "ann-password") {
					t.Errorf("the error carries the password: %s", r.Body)
				}
			}},
		{name: "without App-Token", req: testserver.Request{Method: "POST", Path: "/api/v1/token", JSON: map[string]any{"username": "ann", "password": "ann-password"}},
			status: 401, errors: map[string]string{"App-Token": "This header is required."}},
	})

	// Wrong password, unknown user, disabled user and wrong Basic
	// credentials all get the very same answer.
	for name, req := range map[string]testserver.Request{
		"wrong password": login(map[string]any{"username": "ann", "password": "wrong-password"}),
		"unknown user":   login(map[string]any{"username": "nobody", "password": "ann-password"}),
		"disabled user":  login(map[string]any{"username": "dis", "password": "dis-password"}),
		"wrong Basic": {Method: "POST", Path: "/api/v1/token", AppToken: s.AppToken,
			Header: map[string]string{"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte("ann:nope-nope"))}},
	} {
		r := s.Do(t, req)
		if r.Status != http.StatusUnauthorized || strings.TrimSpace(string(r.Body)) != badCredentials {
			t.Errorf("%s: got %d %s, want 401 %s", name, r.Status, r.Body, badCredentials)
		}
		if r.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s: no WWW-Authenticate", name)
		}
	}
}

func TestCurrentToken(t *testing.T) {
	s := testserver.StartWith(t, testserver.Options{Clock: zonedClock()})
	annID := s.NewUser(t, s.AppToken, s.OwnerToken(t), "ann", "member")
	r := s.Must(t, 200, testserver.Request{Method: "POST", Path: "/api/v1/token", AppToken: s.AppToken,
		JSON: map[string]any{"username": "ann", "password": "ann-password"}})
	tok, id := r.String("token"), r.String("id")
	created := s.Clock.Now()
	s.Clock.Advance(time.Minute)
	get := testserver.Request{Method: "GET", Path: "/api/v1/token", AppToken: s.AppToken, Token: tok}
	patch := func(body any) testserver.Request {
		return testserver.Request{Method: "PATCH", Path: "/api/v1/token/", AppToken: s.AppToken, Token: tok, JSON: body}
	}
	runCoreCases(t, s, []coreCase{
		{name: "GET", req: get, status: 200, check: func(t *testing.T, r *testserver.Response) {
			if r.String("id") != id || r.String("kind") != "login" || r.String("user") != annID {
				t.Errorf("got %s, want id %s, kind login, user %s", r.Body, id, annID)
			}
			if !hexID.MatchString(r.String("app_token_id")) {
				t.Errorf("app_token_id: got %q", r.String("app_token_id"))
			}
			for _, k := range []string{"actor", "last_used"} {
				if v, ok := r.JSON[k]; !ok || v != nil {
					t.Errorf("%s: got %v (present %v), want null", k, v, ok)
				}
			}
			wantTime(t, "created", r.JSON["created"], created)
			wantTime(t, "expires", r.JSON["expires"], created.Add(24*time.Hour))
			if strings.Contains(string(r.Body), tok) || strings.Contains(string(r.Body), "hash") {
				t.Errorf("the answer carries the secret or its hash: %s", r.Body)
			}
		}},
		{name: "GET with a trailing slash", req: testserver.Request{Method: "GET", Path: "/api/v1/token/", AppToken: s.AppToken, Token: tok}, status: 200},
		{name: "PATCH", req: patch(map[string]any{"seconds_until_expire": 3600}), status: 200, check: func(t *testing.T, r *testserver.Response) {
			wantTime(t, "expires", r.JSON["expires"], s.Clock.Now().Add(time.Hour))
			if r.String("id") != id {
				t.Errorf("id: got %q, want %q", r.String("id"), id)
			}
		}},
		{name: "GET shows the new expiry", req: get, status: 200, check: func(t *testing.T, r *testserver.Response) {
			wantTime(t, "expires", r.JSON["expires"], s.Clock.Now().Add(time.Hour))
		}},
		{name: "PATCH to the maximum", req: patch(map[string]any{"seconds_until_expire": 7776000}), status: 200},
		{name: "PATCH over the maximum", req: patch(map[string]any{"seconds_until_expire": 7776001}), status: 400,
			errors: map[string]string{"seconds_until_expire": "Must be at most 90 days (the tenant's maximum)."}},
		{name: "PATCH without seconds", req: patch(map[string]any{}), status: 400,
			errors: map[string]string{"seconds_until_expire": "This field is required."}},
		{name: "PATCH with a string", req: patch(map[string]any{"seconds_until_expire": "3600"}), status: 400,
			errors: map[string]string{"seconds_until_expire": "Must be an integer."}},
		{name: "PATCH with an unknown field", req: patch(map[string]any{"seconds_until_expire": 60, "user": "x"}), status: 400,
			errors: map[string]string{"user": "Unknown field."}},
		{name: "PATCH without a token", req: testserver.Request{Method: "PATCH", Path: "/api/v1/token", AppToken: s.AppToken,
			JSON: map[string]any{"seconds_until_expire": 60}}, status: 401, errors: map[string]string{"Token": "This header is required."}},
	})
}

func TestTokenExpiresWithTheClock(t *testing.T) {
	s := testserver.Start(t)
	s.NewUser(t, s.AppToken, s.OwnerToken(t), "ann", "member")
	r := s.Must(t, 200, testserver.Request{Method: "POST", Path: "/api/v1/token", AppToken: s.AppToken,
		JSON: map[string]any{"username": "ann", "password": "ann-password", "seconds_until_expire": 60}})
	get := testserver.Request{Method: "GET", Path: "/api/v1/token", AppToken: s.AppToken, Token: r.String("token")}
	s.Clock.Advance(59 * time.Second)
	s.Must(t, 200, get)
	s.Clock.Advance(time.Second)
	testserver.WantErrors(t, s.Must(t, 401, get), map[string]string{"Token": "Invalid or expired token."})

	// Extending before the end moves it.
	r = s.Must(t, 200, testserver.Request{Method: "POST", Path: "/api/v1/token", AppToken: s.AppToken,
		JSON: map[string]any{"username": "ann", "password": "ann-password", "seconds_until_expire": 60}})
	get.Token = r.String("token")
	s.Clock.Advance(50 * time.Second)
	s.Must(t, 200, testserver.Request{Method: "PATCH", Path: "/api/v1/token", AppToken: s.AppToken, Token: get.Token,
		JSON: map[string]any{"seconds_until_expire": 600}})
	s.Clock.Advance(599 * time.Second)
	s.Must(t, 200, get)
	s.Clock.Advance(time.Second)
	s.Must(t, 401, get)
	// An expired token cannot extend itself.
	s.Must(t, 401, testserver.Request{Method: "PATCH", Path: "/api/v1/token", AppToken: s.AppToken, Token: get.Token,
		JSON: map[string]any{"seconds_until_expire": 600}})
}

func TestPatchMinusOneExpiresAtOnce(t *testing.T) {
	for _, seconds := range []int{-1, -100} {
		s := testserver.Start(t)
		tok := s.OwnerToken(t)
		r := s.Must(t, 200, testserver.Request{Method: "PATCH", Path: "/api/v1/token", AppToken: s.AppToken, Token: tok,
			JSON: map[string]any{"seconds_until_expire": seconds}})
		wantTime(t, "expires", r.JSON["expires"], s.Clock.Now())
		if r.JSON["expired"] != true {
			t.Errorf("%d: expired: got %v, want true", seconds, r.JSON["expired"])
		}
		s.Must(t, 401, testserver.Request{Method: "GET", Path: "/api/v1/token", AppToken: s.AppToken, Token: tok})
	}
}

func TestLogout(t *testing.T) {
	// With the verification cache on, logout still works from the next
	// request on.
	s := testserver.StartWith(t, testserver.Options{CacheTTL: time.Minute})
	first, second := s.OwnerToken(t), s.OwnerToken(t)
	for _, tok := range []string{first, second} {
		s.Must(t, 200, testserver.Request{Method: "GET", Path: "/api/v1/users/me", AppToken: s.AppToken, Token: tok})
	}
	r := s.Must(t, 204, testserver.Request{Method: "DELETE", Path: "/api/v1/token/", AppToken: s.AppToken, Token: first})
	if len(r.Body) != 0 {
		t.Errorf("got body %q, want none", r.Body)
	}
	for _, path := range []string{"/api/v1/token", "/api/v1/users/me"} {
		testserver.WantErrors(t, s.Must(t, 401, testserver.Request{Method: "GET", Path: path, AppToken: s.AppToken, Token: first}),
			map[string]string{"Token": "Invalid or expired token."})
	}
	s.Must(t, 401, testserver.Request{Method: "DELETE", Path: "/api/v1/token", AppToken: s.AppToken, Token: first})
	// The user's other session is untouched.
	s.Must(t, 200, testserver.Request{Method: "GET", Path: "/api/v1/token", AppToken: s.AppToken, Token: second})
}
