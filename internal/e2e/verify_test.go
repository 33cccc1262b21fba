package e2e_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/testserver"
	"github.com/latchkey/latchkey/verify"
)

// latchkey is a real Latchkey (cache off, so every question it is asked
// reads the store) with a tenant "acme", its owner and a member "mem".
type latchkey struct {
	s     *testserver.Server
	acme  *testserver.Tenant
	mem   string // mem's user token
	memID string
}

func startLatchkey(t *testing.T) *latchkey {
	t.Helper()
	s := testserver.Start(t)
	l := &latchkey{s: s, acme: s.NewTenant(t, "acme")}
	l.memID = s.NewUser(t, l.acme.AppToken, l.acme.OwnerToken, "mem", "member")
	l.mem = s.Login(t, l.acme.AppToken, "mem", "mem-password")
	return l
}

// asked returns how many /verify questions Latchkey has answered 200.
func (l *latchkey) asked(t *testing.T) string {
	t.Helper()
	body := string(l.s.Must(t, http.StatusOK, testserver.Request{Method: "GET", Path: "/metrics"}).Body)
	for line := range strings.Lines(body) {
		if v, ok := strings.CutPrefix(line, `latchkey_verify_answers_total{result="ok"} `); ok {
			return strings.TrimSpace(v)
		}
	}
	return "0"
}

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

// TestAgainstLatchkey checks the middleware against a real Latchkey: the
// caller it hands on is the one /verify names, refusals carry Latchkey's
// messages, and a client's own X-Latchkey-* headers never pass.
func TestAgainstLatchkey(t *testing.T) {
	l := startLatchkey(t)
	h := newVerifier(t, verify.Options{URL: l.s.URL}).Handler(echoCaller)

	a := call(t, h, map[string]string{"App-Token": l.acme.AppToken, "Token": l.mem,
		"X-Latchkey-User-Id": "forged", "x-latchkey-role": "owner", "X-Latchkey-Anything": "x"})
	if a.Status != http.StatusOK {
		t.Fatalf("got %d %v", a.Status, a.Errors)
	}
	direct := l.s.Must(t, http.StatusOK, testserver.Request{Method: "GET", Path: "/api/v1/verify", AppToken: l.acme.AppToken, Token: l.mem})
	var want verify.Caller
	if err := json.Unmarshal(direct.Body, &want); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(*a.Caller, want) {
		t.Errorf("got caller %+v, want %+v", *a.Caller, want)
	}
	if a.Caller.Username != "mem" || a.Caller.UserID != l.memID || a.Caller.Tenant != "acme" || a.Caller.Role != "member" || a.Caller.OBO() {
		t.Errorf("got caller %+v", *a.Caller)
	}
	if len(a.Leaked) != 0 {
		t.Errorf("the client's headers %v reached the handler", a.Leaked)
	}
	// Bearer works as Token does.
	if a := call(t, h, map[string]string{"App-Token": l.acme.AppToken, "Authorization": "Bearer " + l.mem}); a.Status != http.StatusOK {
		t.Errorf("Bearer: got %d %v", a.Status, a.Errors)
	}

	for name, hd := range map[string]map[string]string{
		"a made-up token":      {"App-Token": l.acme.AppToken, "Token": "lku_made_up"},
		"no user token":        {"App-Token": l.acme.AppToken},
		"a made-up app token":  {"App-Token": "lka_x", "Token": l.mem},
		"nothing":              {},
		"the owner's app only": {"App-Token": l.acme.AppToken, "Token": l.acme.AppToken},
	} {
		a := call(t, h, hd)
		if a.Status != http.StatusUnauthorized || len(a.Errors) == 0 || a.Header.Get("WWW-Authenticate") != `Token realm="latchkey"` {
			t.Errorf("%s: got %d %v %v, want 401 with Latchkey's errors", name, a.Status, a.Errors, a.Header)
		}
	}
}

// TestRoleAndOBO checks Options.Role and RequireRole against the effective
// role Latchkey names, and an OBO caller's actor.
func TestRoleAndOBO(t *testing.T) {
	l := startLatchkey(t)
	adminOnly := newVerifier(t, verify.Options{URL: l.s.URL, Role: "admin"}).Handler(echoCaller)
	if a := call(t, adminOnly, map[string]string{"App-Token": l.acme.AppToken, "Token": l.mem}); a.Status != http.StatusForbidden || a.Errors["role"] == "" {
		t.Errorf("member behind Role admin: got %d %v, want 403", a.Status, a.Errors)
	}
	if a := call(t, adminOnly, map[string]string{"App-Token": l.acme.AppToken, "Token": l.acme.OwnerToken}); a.Status != http.StatusOK {
		t.Errorf("owner behind Role admin: got %d %v", a.Status, a.Errors)
	}
	obo := l.s.Must(t, http.StatusCreated, testserver.Request{Method: "POST", Path: "/api/v1/tokens", AppToken: l.acme.AppToken,
		Token: l.acme.OwnerToken, JSON: map[string]any{"user": l.memID}}).String("token")
	v := newVerifier(t, verify.Options{URL: l.s.URL})
	ownersOnly := v.Handler(verify.RequireRole("owner")(echoCaller))
	a := call(t, v.Handler(echoCaller), map[string]string{"App-Token": l.acme.AppToken, "Token": obo})
	if a.Status != http.StatusOK || !a.Caller.OBO() || a.Caller.ActorID != l.acme.OwnerID || a.Caller.UserID != l.memID ||
		a.Caller.Role != "member" || a.Caller.TokenKind != "obo" {
		t.Errorf("OBO: got %d %+v", a.Status, a.Caller)
	}
	if a := call(t, ownersOnly, map[string]string{"App-Token": l.acme.AppToken, "Token": obo}); a.Status != http.StatusForbidden {
		t.Errorf("OBO token of an owner acting as a member, RequireRole(owner): got %d, want 403", a.Status)
	}
}

func TestUserOptional(t *testing.T) {
	l := startLatchkey(t)
	h := newVerifier(t, verify.Options{URL: l.s.URL, UserOptional: true}).Handler(echoCaller)
	a := call(t, h, map[string]string{"App-Token": l.acme.AppToken})
	if a.Status != http.StatusOK || a.Caller.HasUser() || a.Caller.Tenant != "acme" || a.Caller.AppTokenID == "" {
		t.Errorf("App-Token alone: got %d %+v", a.Status, a.Caller)
	}
	if a := call(t, h, map[string]string{"App-Token": l.acme.AppToken, "Token": "lku_made_up"}); a.Status != http.StatusUnauthorized {
		t.Errorf("with a made-up user token: got %d, want 401", a.Status)
	}
	if a := call(t, h, map[string]string{}); a.Status != http.StatusUnauthorized || len(a.Errors) != 1 {
		t.Errorf("nothing: got %d %v, want 401 naming App-Token only", a.Status, a.Errors)
	}
}

// TestCacheBoundsRevocation checks the cache: a repeated request is not
// asked again within the TTL, and a token expired through Latchkey's API
// stops passing once the TTL has run.
func TestCacheBoundsRevocation(t *testing.T) {
	l := startLatchkey(t)
	const ttl = 2 * time.Second
	clk := testserver.NewClock(time.Now())
	v := newVerifier(t, verify.Options{URL: l.s.URL, TTL: ttl, Now: clk.Now})
	h := v.Handler(echoCaller)
	login := l.s.Must(t, http.StatusOK, testserver.Request{Method: "POST", Path: "/api/v1/token", AppToken: l.acme.AppToken,
		JSON: map[string]any{"username": "mem", "password": "mem-password"}})
	creds := map[string]string{"App-Token": l.acme.AppToken, "Token": login.String("token")}

	before := l.asked(t)
	if a := call(t, h, creds); a.Status != http.StatusOK {
		t.Fatalf("got %d %v", a.Status, a.Errors)
	}
	asked := l.asked(t)
	if asked == before {
		t.Fatal("Latchkey was not asked")
	}
	l.s.Must(t, http.StatusOK, testserver.Request{Method: "PATCH", Path: "/api/v1/tokens/" + login.String("id"),
		AppToken: l.acme.AppToken, Token: l.acme.OwnerToken, JSON: map[string]any{"seconds_until_expire": -1}})
	clk.Advance(ttl - time.Millisecond)
	if a := call(t, h, creds); a.Status != http.StatusOK {
		t.Errorf("within the TTL: got %d, want the cached 200", a.Status)
	}
	if got := l.asked(t); got != asked {
		t.Errorf("within the TTL Latchkey was asked again (%s → %s)", asked, got)
	}
	clk.Advance(time.Millisecond)
	if a := call(t, h, creds); a.Status != http.StatusUnauthorized {
		t.Errorf("at the TTL: got %d, want 401", a.Status)
	}
}

// TestRequireScopes checks RequireScopes against the effective scopes a
// real Latchkey names: a partner's read-only app token passes a read
// route and is refused a write route, 403 on scope.
func TestRequireScopes(t *testing.T) {
	l := startLatchkey(t)
	platform := l.s.OwnerToken(t)
	for _, n := range []string{"orders.read", "orders.write"} {
		l.s.Must(t, http.StatusOK, testserver.Request{Method: "PUT", Path: "/api/v1/scopes/" + n, AppToken: l.s.AppToken, Token: platform,
			JSON: map[string]any{"description": n}})
	}
	partner := l.s.Must(t, http.StatusCreated, testserver.Request{Method: "POST", Path: "/api/v1/app_tokens", AppToken: l.acme.AppToken,
		Token: l.acme.OwnerToken, JSON: map[string]any{"scopes": []string{"orders.read"}, "external_id": "p-1"}}).String("app_token")
	v := newVerifier(t, verify.Options{URL: l.s.URL})
	read := v.Handler(verify.RequireScopes("orders.read")(echoCaller))
	write := v.Handler(verify.RequireScopes("orders.read", "orders.write")(echoCaller))
	hdr := map[string]string{"App-Token": partner, "Token": l.mem}
	if a := call(t, read, hdr); a.Status != http.StatusOK || !a.Caller.HasScope("orders.read") || a.Caller.ExternalID != "p-1" {
		t.Errorf("read with a read-only token: got %d %+v", a.Status, a.Caller)
	}
	if a := call(t, write, hdr); a.Status != http.StatusForbidden || a.Errors["scope"] == "" {
		t.Errorf("write with a read-only token: got %d %v, want 403 on scope", a.Status, a.Errors)
	}
	if a := call(t, write, map[string]string{"App-Token": l.acme.AppToken, "Token": l.mem}); a.Status != http.StatusOK {
		t.Errorf("write unrestricted: got %d %v", a.Status, a.Errors)
	}
}
