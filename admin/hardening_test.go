package admin_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/secret"
	"github.com/latchkey/latchkey/internal/testserver"
	"github.com/latchkey/latchkey/internal/text"
)

// raw sends a request with header as given (names may repeat, which the
// testserver helpers cannot send) and returns the status, headers and body.
func raw(t *testing.T, s *testserver.Server, method, path string, header http.Header, body string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, b
}

func errorsIn(t *testing.T, body []byte) map[string]string {
	t.Helper()
	var env struct {
		Errors map[string]string `json:"errors"`
	}
	if err := json.Unmarshal(body, &env); err != nil || env.Errors == nil {
		t.Fatalf("body %s is not the errors shape: %v", body, err)
	}
	return env.Errors
}

// TestStrictJSONAtTheServer: {"ROLE":"owner"} does not make an owner (JSON
// names match exactly), a repeated field is refused instead of the last
// one winning, and bodies that are not an object or not UTF-8 are 400.
func TestStrictJSONAtTheServer(t *testing.T) {
	s := testserver.Start(t)
	owner := s.OwnerToken(t)
	adm := s.NewUser(t, s.AppToken, owner, "adm", "admin")
	_ = adm
	admTok := s.Login(t, s.AppToken, "adm", "adm-password")
	user := func(extra string) string {
		return `{"username":"eve","password":"eve-password","email":"eve@example.test","role":"member"` + extra + `}`
	}
	cases := []struct {
		name   string
		body   string
		errors map[string]string
	}{
		{"a field in capitals", user(`,"ROLE":"owner"`), map[string]string{"ROLE": "Unknown field."}},
		{"a repeated field", user(`,"role":"owner"`), map[string]string{"role": "Give this field once."}},
		{"null", `null`, map[string]string{"body": "The body must be a JSON object."}},
		{"a list", `[` + user("") + `]`, map[string]string{"body": "The body must be a JSON object."}},
		{"invalid UTF-8", strings.Replace(user(""), "eve@", "ev\xffe@", 1), map[string]string{"body": "The body is not valid UTF-8."}},
		{"a lone surrogate", strings.Replace(user(""), "eve@", `ev\udfffe@`, 1), map[string]string{"body": "The body is not valid UTF-8."}},
	}
	for _, tc := range cases {
		r := s.Do(t, testserver.Request{Method: "POST", Path: "/api/v1/users", AppToken: s.AppToken, Token: admTok, JSON: tc.body})
		if r.Status != http.StatusBadRequest {
			t.Errorf("%s: got %d %s, want 400", tc.name, r.Status, r.Body)
			continue
		}
		testserver.WantErrors(t, r, tc.errors)
	}
	list := s.Must(t, 200, testserver.Request{Method: "GET", Path: "/api/v1/users?q=eve", AppToken: s.AppToken, Token: owner})
	if items, _ := list.JSON["items"].([]any); len(items) != 0 {
		t.Errorf("a refused request made a user: %s", list.Body)
	}
}

// TestInvalidUTF8InPathAndQuery: GET /users/?q=%ff%fe answered 500 before.
func TestInvalidUTF8InPathAndQuery(t *testing.T) {
	s := testserver.Start(t)
	owner := s.OwnerToken(t)
	for path, want := range map[string]map[string]string{
		"/api/v1/users/?q=%ff%fe":          {"query": "The query string is not valid UTF-8."},
		"/api/v1/tokens/%ff%fe":            {"path": "The path is not valid UTF-8."},
		"/api/v1/audit?action=%zz":         {"query": "The query string could not be read."},
		"/api/v1/tokens?kind=login&KIND=x": {"KIND": "Unknown parameter."},
	} {
		r := s.Do(t, testserver.Request{Method: "GET", Path: path, AppToken: s.AppToken, Token: owner})
		if r.Status != http.StatusBadRequest {
			t.Errorf("%s: got %d %s, want 400", path, r.Status, r.Body)
			continue
		}
		testserver.WantErrors(t, r, want)
	}
}

// TestHeaderLimits: over 16 KiB of headers in all is 431 in the errors
// shape; the same size split over many headers too.
func TestHeaderLimits(t *testing.T) {
	s := testserver.Start(t)
	big := http.Header{"App-Token": {s.AppToken}, "X-Padding": {strings.Repeat("p", 17<<10)}}
	status, header, body := raw(t, s, "GET", "/api/v1/users/me", big, "")
	if status != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("got %d %s, want 431", status, body)
	}
	if got := errorsIn(t, body); got["headers"] == "" || len(got) != 1 {
		t.Errorf("got errors %v, want one on headers", got)
	}
	if header.Get("X-Content-Type-Options") != "nosniff" || !strings.HasPrefix(header.Get("Content-Type"), "application/json") {
		t.Errorf("got headers %v, want JSON with nosniff", header)
	}
	many := http.Header{}
	for i := range 20 {
		many.Set("X-Pad-"+string(rune('a'+i)), strings.Repeat("p", 900))
	}
	if status, _, body := raw(t, s, "GET", "/healthz", many, ""); status != 431 {
		t.Errorf("20 headers of 900 bytes: got %d %s, want 431", status, body)
	}
	if status, _, _ := raw(t, s, "GET", "/healthz", http.Header{"X-Padding": {strings.Repeat("p", 15<<10)}}, ""); status != 200 {
		t.Errorf("15 KiB of headers: got %d, want 200", status)
	}
}

// TestTwoCredentialsForOneSlot at the server: never "first one wins".
func TestTwoCredentialsForOneSlot(t *testing.T) {
	s := testserver.Start(t)
	tok := s.OwnerToken(t)
	other := s.OwnerToken(t)
	cases := map[string]struct {
		h     http.Header
		field string
	}{
		"two Token headers":        {http.Header{"App-Token": {s.AppToken}, "Token": {tok, other}}, "Token"},
		"Token and Authorization":  {http.Header{"App-Token": {s.AppToken}, "Token": {tok}, "Authorization": {"Bearer " + other}}, "Token"},
		"two App-Token headers":    {http.Header{"App-Token": {s.AppToken, "lka_other"}, "Token": {tok}}, "App-Token"},
		"Bearer and Token schemes": {http.Header{"App-Token": {s.AppToken}, "Authorization": {"Token " + tok, "Bearer " + other}}, "Token"},
	}
	for name, tc := range cases {
		status, _, body := raw(t, s, "GET", "/api/v1/users/me", tc.h, "")
		if status != http.StatusBadRequest || errorsIn(t, body)[tc.field] == "" {
			t.Errorf("%s: got %d %s, want 400 on %s", name, status, body, tc.field)
		}
	}
	if status, _, body := raw(t, s, "GET", "/api/v1/users/me",
		http.Header{"App-Token": {s.AppToken}, "Token": {tok}, "Authorization": {"Bearer " + tok}}, ""); status != 200 {
		t.Errorf("the same token in Token and Authorization: got %d %s, want 200", status, body)
	}
	// Login: credentials in the body and other ones as HTTP Basic.
	req, _ := http.NewRequest("POST", s.URL+"/api/v1/token", strings.NewReader(url.Values{"username": {s.Username}, "password": {s.Password}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("App-Token", s.AppToken)
	req.SetBasicAuth("someone", "else")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 400 || errorsIn(t, body)["credentials"] == "" {
		t.Errorf("login with two sets of credentials: got %d %s, want 400 on credentials", res.StatusCode, body)
	}
}

// TestForgedTokensReachNoStore: a token string with the right prefix,
// tenant id, length and checksum that this installation did not make is
// refused before the verification cache or the store is asked. With the
// cache off every lookup is a miss, so misses count store reads.
func TestForgedTokensReachNoStore(t *testing.T) {
	s := testserver.Start(t)
	real := s.OwnerToken(t)
	other, err := secret.NewKeyring(1, map[secret.KeyID][]byte{1: secret.NewKey()})
	if err != nil {
		t.Fatal(err)
	}
	forgedApp := other.NewToken(secret.App, s.TenantID, ids.New())
	forgedUser := other.NewToken(secret.User, s.TenantID, ids.New())
	for _, tc := range []struct {
		name      string
		app, user string
		reads     uint64
	}{
		{"forged app token", forgedApp, real, 0},
		{"forged user token", s.AppToken, forgedUser, 1}, // the real app token's read only
	} {
		_, before := s.App.Cache.Stats()
		r := s.Do(t, testserver.Request{Method: "GET", Path: "/api/v1/users/me", AppToken: tc.app, Token: tc.user})
		_, after := s.App.Cache.Stats()
		if r.Status != http.StatusUnauthorized {
			t.Errorf("%s: got %d %s, want 401", tc.name, r.Status, r.Body)
		}
		if after-before != tc.reads {
			t.Errorf("%s: got %d store reads, want %d", tc.name, after-before, tc.reads)
		}
	}
}

// TestSecretAnswersAreNotStored: every answer that carries a secret has
// Cache-Control: no-store, and every answer X-Content-Type-Options: nosniff.
func TestSecretAnswersAreNotStored(t *testing.T) {
	s := testserver.Start(t)
	owner := s.OwnerToken(t)
	login := s.Must(t, 200, testserver.Request{Method: "POST", Path: "/api/v1/token", AppToken: s.AppToken,
		JSON: map[string]any{"username": s.Username, "password": s.Password}})
	answers := map[string]*testserver.Response{
		"login": login,
		"refresh": s.Must(t, 200, testserver.Request{Method: "POST", Path: "/api/v1/token/refresh", AppToken: s.AppToken,
			JSON: map[string]any{"refresh_token": login.String("refresh_token")}}),
		"token creation": s.Must(t, 201, testserver.Request{Method: "POST", Path: "/api/v1/tokens", AppToken: s.AppToken, Token: owner,
			JSON: map[string]any{}}),
		"app token creation": s.Must(t, 201, testserver.Request{Method: "POST", Path: "/api/v1/app_tokens", AppToken: s.AppToken, Token: owner,
			JSON: map[string]any{"name": "ci"}}),
		"tenant creation": s.Must(t, 201, testserver.Request{Method: "POST", Path: "/api/v1/tenants", AppToken: s.AppToken, Token: owner,
			JSON: map[string]any{"slug": "acme", "name": "Acme", "settings": map[string]any{"allow_signup": true},
				"admin": map[string]any{"username": "boss", "password": "boss-password", "email": "boss@acme.test"}}}),
	}
	acme := answers["tenant creation"].String("app_token")
	answers["signup"] = s.Must(t, 201, testserver.Request{Method: "POST", Path: "/api/v1/signup", AppToken: acme,
		JSON: map[string]any{"username": "newbie", "password1": "newbie-password", "password2": "newbie-password",
			"email": "newbie@acme.test", "accept_tos": true}})
	for name, r := range answers {
		if got := r.Header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("%s: got Cache-Control %q, want no-store", name, got)
		}
		if got := r.Header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("%s: got X-Content-Type-Options %q, want nosniff", name, got)
		}
	}
	for _, path := range []string{"/healthz", "/readyz", "/metrics", "/console/", "/nowhere", "/api/v1/openapi.yaml"} {
		r := s.Do(t, testserver.Request{Method: "GET", Path: path, AppToken: s.AppToken})
		if got := r.Header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("GET %s: got X-Content-Type-Options %q, want nosniff", path, got)
		}
	}
}

// TestHeadWhereverGet: every GET route answers HEAD with GET's status and
// headers and no body; a route without GET answers HEAD with 405.
func TestHeadWhereverGet(t *testing.T) {
	s := testserver.Start(t)
	owner := s.OwnerToken(t)
	auth := http.Header{"App-Token": {s.AppToken}, "Token": {owner}}
	param := regexp.MustCompile(`:[a-z_]+|\*[a-z_]+`)
	n := 0
	for _, r := range s.App.Routes() {
		if r.Method != "GET" {
			continue
		}
		path := param.ReplaceAllString(r.Path, "platform")
		getStatus, getHeader, getBody := raw(t, s, "GET", path, auth, "")
		headStatus, headHeader, headBody := raw(t, s, "HEAD", path, auth, "")
		if headStatus != getStatus || len(headBody) != 0 {
			t.Errorf("HEAD %s: got %d with %d body bytes, want GET's %d and none", path, headStatus, len(headBody), getStatus)
		}
		if ct := headHeader.Get("Content-Type"); ct != getHeader.Get("Content-Type") {
			t.Errorf("HEAD %s: got Content-Type %q, want GET's %q", path, ct, getHeader.Get("Content-Type"))
		}
		if cl := headHeader.Get("Content-Length"); getHeader.Get("Content-Length") != "" && cl == "" && len(getBody) > 0 {
			t.Errorf("HEAD %s: no Content-Length, GET has %s", path, getHeader.Get("Content-Length"))
		}
		n++
	}
	if n < 10 {
		t.Fatalf("checked %d GET routes, want them all", n)
	}
	status, header, _ := raw(t, s, "HEAD", "/api/v1/token/refresh", http.Header{"App-Token": {s.AppToken}}, "")
	if status != 405 || header.Get("Allow") != "POST" {
		t.Errorf("HEAD on a POST route: got %d Allow %q, want 405 Allow POST", status, header.Get("Allow"))
	}
	status, header, _ = raw(t, s, "PUT", "/api/v1/tokens/x", auth, "")
	if allow := header.Get("Allow"); status != 405 || !strings.Contains(allow, "GET") || !strings.Contains(allow, "HEAD") {
		t.Errorf("PUT /tokens/x: got %d Allow %q, want 405 with GET and HEAD", status, allow)
	}
}

// TestNoPasswordHashInAnswers: no answer about a user carries its password
// hash (or any password).
func TestNoPasswordHashInAnswers(t *testing.T) {
	s := testserver.Start(t)
	owner := s.OwnerToken(t)
	create := s.Must(t, 201, testserver.Request{Method: "POST", Path: "/api/v1/users", AppToken: s.AppToken, Token: owner,
		JSON: map[string]any{"username": "carol", "password": "carol-password", "email": "carol@example.test", "role": "member"}})
	id := create.String("id")
	answers := map[string]*testserver.Response{
		"POST /users":     create,
		"GET /users/{id}": s.Must(t, 200, testserver.Request{Method: "GET", Path: "/api/v1/users/" + id, AppToken: s.AppToken, Token: owner}),
		"GET /users/me":   s.Must(t, 200, testserver.Request{Method: "GET", Path: "/api/v1/users/me", AppToken: s.AppToken, Token: owner}),
		"GET /users":      s.Must(t, 200, testserver.Request{Method: "GET", Path: "/api/v1/users", AppToken: s.AppToken, Token: owner}),
		"PATCH /users/{id}": s.Must(t, 200, testserver.Request{Method: "PATCH", Path: "/api/v1/users/" + id, AppToken: s.AppToken, Token: owner,
			JSON: map[string]any{"password": "carol-password-2"}}),
	}
	for name, r := range answers {
		body := string(r.Body)
		for _, secretish := range []string{"password", "hash", "$argon2", "carol-password"} {
			if strings.Contains(body, secretish) {
				t.Errorf("%s: the answer contains %q: %s", name, secretish, body)
			}
		}
	}
}

// TestNamesAndEmailsRefuseUnsafeCharacters: token, app token and tenant
// names, usernames and email addresses follow package text's rule: no
// control, format (bidirectional, zero-width, tag), separator, private-use
// or unassigned character. An email holding ESC reached an owner's
// terminal through "latchkey users list".
func TestNamesAndEmailsRefuseUnsafeCharacters(t *testing.T) {
	s := testserver.Start(t)
	owner := s.OwnerToken(t)
	const msg = text.Message
	tenant := func(name, username, email string) map[string]any {
		return map[string]any{"slug": "bidi", "name": name,
			"admin": map[string]any{"username": username, "password": "boss-password", "email": email}}
	}
	user := func(email string) map[string]any {
		return map[string]any{"username": "eve", "password": "eve-password", "email": email, "role": "member"}
	}
	carol := s.NewUser(t, s.AppToken, owner, "carol", "member")
	cases := []struct {
		name, method, path string
		body               map[string]any
		errors             map[string]string
	}{
		{"token name", "POST", "/api/v1/tokens", map[string]any{"name": "ci\u202egnp.exe"}, map[string]string{"name": msg}},
		{"token name, zero width space", "POST", "/api/v1/tokens", map[string]any{"name": "ad\u200bmin"}, map[string]string{"name": msg}},
		{"app token name", "POST", "/api/v1/app_tokens", map[string]any{"name": "line\nbreak"}, map[string]string{"name": msg}},
		{"app token name, byte order mark", "POST", "/api/v1/app_tokens", map[string]any{"name": "\ufeffdeploy"}, map[string]string{"name": msg}},
		{"app token name, line separator", "POST", "/api/v1/app_tokens", map[string]any{"name": "a\u2028b"}, map[string]string{"name": msg}},
		{"tenant name", "POST", "/api/v1/tenants", tenant("Ac\u2066me", "boss", "boss@bidi.test"), map[string]string{"name": msg}},
		{"tenant name, tag characters", "POST", "/api/v1/tenants", tenant("Acme\U000e0001\U000e0041", "boss", "boss@bidi.test"), map[string]string{"name": msg}},
		{"tenant owner", "POST", "/api/v1/tenants", tenant("Acme", "bo\u0000ss", "boss@bidi.test"), map[string]string{"admin.username": msg}},
		{"tenant owner, zero width space", "POST", "/api/v1/tenants", tenant("Acme", "bo\u200bss", "boss@bidi.test"), map[string]string{"admin.username": msg}},
		{"tenant owner's email", "POST", "/api/v1/tenants", tenant("Acme", "boss", "boss\x1b]0;owned\a@bidi.test"), map[string]string{"admin.email": msg}},
		{"tenant rename", "PATCH", "/api/v1/tenants/platform", map[string]any{"name": "Plat\u200fform"}, map[string]string{"name": msg}},
		{"email, ESC and BEL", "POST", "/api/v1/users", user("eve\x1b[2J\a@example.test"), map[string]string{"email": msg}},
		{"email, right-to-left override", "POST", "/api/v1/users", user("eve\u202emoc.live@example.test"), map[string]string{"email": msg}},
		{"email, zero width space", "POST", "/api/v1/users", user("e\u200bve@example.test"), map[string]string{"email": msg}},
		{"email, unassigned", "POST", "/api/v1/users", user("eve\u0378@example.test"), map[string]string{"email": msg}},
		{"email changed", "PATCH", "/api/v1/users/" + carol, map[string]any{"email": "carol\x1b[31m@example.test"}, map[string]string{"email": msg}},
	}
	for _, tc := range cases {
		r := s.Do(t, testserver.Request{Method: tc.method, Path: tc.path, AppToken: s.AppToken, Token: owner, JSON: tc.body})
		if r.Status != http.StatusBadRequest {
			t.Errorf("%s: got %d %s, want 400", tc.name, r.Status, r.Body)
			continue
		}
		testserver.WantErrors(t, r, tc.errors)
	}
	// Letters of any script, right-to-left ones included, are fine.
	s.Must(t, 201, testserver.Request{Method: "POST", Path: "/api/v1/tokens", AppToken: s.AppToken, Token: owner,
		JSON: map[string]any{"name": "نشر — déploiement"}})
	s.Must(t, 200, testserver.Request{Method: "PATCH", Path: "/api/v1/users/" + carol, AppToken: s.AppToken, Token: owner,
		JSON: map[string]any{"email": "carol@example.test"}})
}

// TestEmptyBodiesAndEmptyPatches: where a JSON object is expected, an empty
// body is 400 on body on every route (a client that meant "all defaults"
// sends {}, which POST /app_tokens and POST /tokens still accept), and a
// PATCH that names nothing to change is 400. Login keeps taking HTTP Basic
// credentials without a body.
func TestEmptyBodiesAndEmptyPatches(t *testing.T) {
	s := testserver.Start(t)
	owner := s.OwnerToken(t)
	carol := s.NewUser(t, s.AppToken, owner, "carol", "member")
	app := s.Must(t, 201, testserver.Request{Method: "POST", Path: "/api/v1/app_tokens", AppToken: s.AppToken, Token: owner, JSON: map[string]any{}}).String("id")
	tok := s.Must(t, 201, testserver.Request{Method: "POST", Path: "/api/v1/tokens", AppToken: s.AppToken, Token: owner, JSON: map[string]any{}}).String("id")
	const empty = "The body is empty: send a JSON object ({} where every field is optional)."
	required := map[string]string{"seconds_until_expire": "This field is required."}
	cases := []struct {
		method, path string
		body         any // "" is zero bytes with Content-Type: application/json; nil has neither
		errors       map[string]string
	}{
		{"POST", "/api/v1/app_tokens", "", map[string]string{"body": empty}},
		{"POST", "/api/v1/app_tokens/", nil, map[string]string{"body": empty}},
		{"POST", "/api/v1/tokens", "", map[string]string{"body": empty}},
		{"POST", "/api/v1/tokens", " \n", map[string]string{"body": empty}},
		{"POST", "/api/v1/users", "", map[string]string{"body": empty}},
		{"POST", "/api/v1/tenants/platform/app_tokens", "", map[string]string{"body": empty}},
		{"PATCH", "/api/v1/users/" + carol, "", map[string]string{"body": empty}},
		{"PATCH", "/api/v1/users/" + carol, nil, map[string]string{"body": empty}},
		{"PATCH", "/api/v1/users/" + carol, map[string]any{}, map[string]string{"body": "Nothing to change: give at least one of email, role, status, password."}},
		{"PATCH", "/api/v1/users/" + carol, `{"email":null}`, map[string]string{"body": "Nothing to change: give at least one of email, role, status, password."}},
		{"PATCH", "/api/v1/tenants/platform", "", map[string]string{"body": empty}},
		{"PATCH", "/api/v1/tenants/platform", map[string]any{}, map[string]string{"body": "Nothing to change: give at least one of name, status, settings."}},
		{"PATCH", "/api/v1/app_tokens/" + app, "", map[string]string{"body": empty}},
		{"PATCH", "/api/v1/app_tokens/" + app, map[string]any{}, map[string]string{"body": "Nothing to change: give at least one of seconds_until_expire, name, scopes, external_id, meta, rate_limit."}},
		{"PATCH", "/api/v1/tokens/" + tok, "", map[string]string{"body": empty}},
		{"PATCH", "/api/v1/tokens/" + tok, map[string]any{}, required},
		{"PATCH", "/api/v1/token", "", map[string]string{"body": empty}},
		{"PATCH", "/api/v1/token", map[string]any{}, required},
	}
	for _, tc := range cases {
		r := s.Do(t, testserver.Request{Method: tc.method, Path: tc.path, AppToken: s.AppToken, Token: owner, JSON: tc.body})
		if r.Status != http.StatusBadRequest {
			t.Errorf("%s %s with %#v: got %d %s, want 400", tc.method, tc.path, tc.body, r.Status, r.Body)
			continue
		}
		testserver.WantErrors(t, r, tc.errors)
	}
	// Nothing was changed or made by the refused requests.
	r := s.Must(t, 200, testserver.Request{Method: "GET", Path: "/api/v1/users/" + carol, AppToken: s.AppToken, Token: owner})
	if r.String("email") != "carol@example.test" || r.String("updated") != r.String("created") {
		t.Errorf("carol after refused patches: %s", r.Body)
	}
	// HTTP Basic credentials come without a body.
	hr := s.NewRequest(t, testserver.Request{Method: "POST", Path: "/api/v1/token", AppToken: s.AppToken})
	hr.SetBasicAuth(s.Username, s.Password)
	if r := testserver.Send(t, hr); r.Status != http.StatusOK {
		t.Errorf("login with HTTP Basic and no body: got %d %s, want 200", r.Status, r.Body)
	}
}
