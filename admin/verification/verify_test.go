package verification_test

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/admin/verification"
	"github.com/latchkey/latchkey/internal/clock"
	"github.com/latchkey/latchkey/internal/testserver"
)

// verifyFixture is a tenant "acme" with an owner, two admins and a member,
// and a second tenant, on a server whose cache is on (cache.ttl 2 s).
type verifyFixture struct {
	s     *testserver.Server
	acme  *testserver.Tenant
	other *testserver.Tenant
	ids   map[string]string // username → user id
}

func newVerifyFixture(t *testing.T) *verifyFixture {
	t.Helper()
	s := testserver.StartWith(t, testserver.Options{CacheTTL: 2 * time.Second})
	f := &verifyFixture{s: s, acme: s.NewTenant(t, "acme"), other: s.NewTenant(t, "other"), ids: map[string]string{}}
	f.ids["owner"] = f.acme.OwnerID
	for name, role := range map[string]string{"admin1": "admin", "admin2": "admin", "mem": "member"} {
		f.ids[name] = s.NewUser(t, f.acme.AppToken, f.acme.OwnerToken, name, role)
	}
	return f
}

func (f *verifyFixture) login(t *testing.T, username string) string {
	t.Helper()
	return f.s.Login(t, f.acme.AppToken, username, username+"-password")
}

func (f *verifyFixture) verify(t *testing.T, path, token string) *testserver.Response {
	t.Helper()
	return f.s.Do(t, testserver.Request{Method: "GET", Path: path, AppToken: f.acme.AppToken, Token: token})
}

// identityHeaders returns the X-Latchkey-* headers of r, and fails t when
// any is repeated.
func identityHeaders(t *testing.T, r *testserver.Response) map[string]string {
	t.Helper()
	out := map[string]string{}
	for k, v := range r.Header {
		if strings.HasPrefix(k, "X-Latchkey-") {
			if len(v) != 1 {
				t.Errorf("%s: got %d values", k, len(v))
			}
			out[k] = v[0]
		}
	}
	return out
}

// TestVerifyNamesTheCaller checks the answer to a valid pair: every identity
// header, and a body with the same facts.
func TestVerifyNamesTheCaller(t *testing.T) {
	f := newVerifyFixture(t)
	login := f.s.Must(t, http.StatusOK, testserver.Request{Method: "POST", Path: "/api/v1/token", AppToken: f.acme.AppToken,
		JSON: map[string]any{"username": "mem", "password": "mem-password"}})
	tok := login.String("token")
	r := f.verify(t, "/api/v1/verify", tok)
	if r.Status != http.StatusOK {
		t.Fatalf("got %d %s, want 200", r.Status, r.Body)
	}
	want := map[string]string{
		verification.HeaderTenantID:   f.acme.ID,
		verification.HeaderTenant:     "acme",
		verification.HeaderUserID:     f.ids["mem"],
		verification.HeaderUsername:   "mem",
		verification.HeaderRole:       "member",
		verification.HeaderTokenID:    login.String("id"),
		verification.HeaderTokenKind:  "login",
		verification.HeaderAppTokenID: appTokenIDIn(t, f.s, f.acme.OwnerToken, f.acme.AppToken),
		verification.HeaderExpires:    login.String("expires"),
		verification.HeaderScopes:     "latchkey:admin", // unrestricted: the whole (empty) catalog
	}
	got := identityHeaders(t, r)
	if len(got) != len(want) {
		t.Errorf("got headers %v, want %v (no actor for a login token)", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: got %q, want %q", k, got[k], v)
		}
	}
	var body verification.Identity
	if err := json.Unmarshal(r.Body, &body); err != nil {
		t.Fatalf("body %s: %v", r.Body, err)
	}
	fromBody := map[string]string{
		verification.HeaderTenantID: body.TenantID, verification.HeaderTenant: body.Tenant, verification.HeaderUserID: body.UserID,
		verification.HeaderUsername: body.Username, verification.HeaderRole: body.Role, verification.HeaderTokenID: body.TokenID,
		verification.HeaderTokenKind: body.TokenKind, verification.HeaderAppTokenID: body.AppTokenID,
		verification.HeaderExpires: body.Expires, verification.HeaderScopes: strings.Join(body.Scopes, " "),
	}
	for k, v := range want {
		if fromBody[k] != v {
			t.Errorf("body's %s: got %q, want %q", k, fromBody[k], v)
		}
	}
	if strings.Contains(string(r.Body), "actor") {
		t.Errorf("got %s, want no actor for a login token", r.Body)
	}
	if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control: got %q, want no-store", cc)
	}
}

func appTokenIDIn(t *testing.T, s *testserver.Server, tok, app string) string {
	t.Helper()
	r := s.Must(t, http.StatusOK, testserver.Request{Method: "GET", Path: "/api/v1/token", AppToken: app, Token: tok})
	return r.String("app_token_id")
}

// TestVerifyAnyMethodAnyBody checks that /verify answers every method a
// gateway may forward, with and without the trailing slash and below it
// (Envoy appends the original path), whatever the body, and accepts the
// user token in each of its headers.
func TestVerifyAnyMethodAnyBody(t *testing.T) {
	f := newVerifyFixture(t)
	tok := f.login(t, "mem")
	for _, m := range verification.VerifyMethods {
		for _, path := range []string{"/api/v1/verify", "/api/v1/verify/", "/api/v1/verify/orders/7/items"} {
			r := f.s.Do(t, testserver.Request{Method: m, Path: path, AppToken: f.acme.AppToken, Token: tok,
				JSON: `{"not": "read", "role": "owner"`})
			if r.Status != http.StatusOK || r.Header.Get(verification.HeaderUsername) != "mem" {
				t.Errorf("%s %s: got %d %s", m, path, r.Status, r.Body)
			}
		}
	}
	for _, auth := range []string{"Bearer ", "Token "} {
		r := f.s.Do(t, testserver.Request{Method: "GET", Path: "/api/v1/verify", AppToken: f.acme.AppToken,
			Header: map[string]string{"Authorization": auth + tok}})
		if r.Status != http.StatusOK || r.Header.Get(verification.HeaderUsername) != "mem" {
			t.Errorf("Authorization: %s…: got %d %s", auth, r.Status, r.Body)
		}
	}
	if r := f.s.Do(t, testserver.Request{Method: "CONNECT", Path: "/api/v1/verify", AppToken: f.acme.AppToken, Token: tok}); r.Status != http.StatusMethodNotAllowed {
		t.Errorf("CONNECT: got %d, want 405", r.Status)
	}
}

// TestVerifyRefuses checks the 401s: every credential that any other route
// refuses is refused here, with the same answer.
func TestVerifyRefuses(t *testing.T) {
	f := newVerifyFixture(t)
	mem := f.login(t, "mem")
	otherTok := f.s.Login(t, f.other.AppToken, "owner", "owner-password")
	forged := []byte(mem)
	forged[len(forged)-1] ^= 1
	cases := []struct {
		name      string
		app, tok  string
		wantField []string
	}{
		{"nothing", "", "", []string{"App-Token", "Token"}},
		{"no user token", f.acme.AppToken, "", []string{"Token"}},
		{"no app token", "", mem, []string{"App-Token"}},
		{"forged user token", f.acme.AppToken, string(forged), []string{"Token"}},
		{"garbage", f.acme.AppToken, "lku_nonsense", []string{"Token"}},
		{"another tenant's user token", f.acme.AppToken, otherTok, []string{"Token"}},
		{"another tenant's app token", f.other.AppToken, mem, []string{"Token"}},
		{"an app token as user token", f.acme.AppToken, f.acme.AppToken, []string{"Token"}},
	}
	for _, tc := range cases {
		r := f.s.Do(t, testserver.Request{Method: "GET", Path: "/api/v1/verify", AppToken: tc.app, Token: tc.tok})
		if r.Status != http.StatusUnauthorized {
			t.Errorf("%s: got %d %s, want 401", tc.name, r.Status, r.Body)
			continue
		}
		want := map[string]string{}
		for _, k := range tc.wantField {
			want[k] = ""
		}
		testserver.WantErrors(t, r, want)
		if h := identityHeaders(t, r); len(h) != 0 {
			t.Errorf("%s: a refusal names a caller: %v", tc.name, h)
		}
	}
}

// TestVerifyRevocation checks that changes made through the API are
// refused by /verify from the next request on (this instance), although
// the cache is on: an expired token, a disabled user, a disabled tenant.
func TestVerifyRevocation(t *testing.T) {
	f := newVerifyFixture(t)
	owner := f.acme.OwnerToken
	expireMe := f.s.Must(t, http.StatusOK, testserver.Request{Method: "POST", Path: "/api/v1/token", AppToken: f.acme.AppToken,
		JSON: map[string]any{"username": "mem", "password": "mem-password"}})
	admin1 := f.login(t, "admin1")
	steps := []struct {
		name  string
		tok   string
		act   testserver.Request
		check string // what stops working
	}{
		{"expired through the API", expireMe.String("token"), testserver.Request{Method: "PATCH",
			Path: "/api/v1/tokens/" + expireMe.String("id"), JSON: map[string]any{"seconds_until_expire": -1}}, "token"},
		{"user disabled", admin1, testserver.Request{Method: "PATCH", Path: "/api/v1/users/" + f.ids["admin1"],
			JSON: map[string]any{"status": "disabled"}}, "user"},
	}
	for _, st := range steps {
		f.s.Must(t, http.StatusOK, testserver.Request{Method: "GET", Path: "/api/v1/verify", AppToken: f.acme.AppToken, Token: st.tok})
		st.act.AppToken, st.act.Token = f.acme.AppToken, owner
		f.s.Must(t, http.StatusOK, st.act)
		if r := f.verify(t, "/api/v1/verify", st.tok); r.Status != http.StatusUnauthorized {
			t.Errorf("%s: got %d, want 401 at once", st.name, r.Status)
		}
	}
	// A disabled tenant: even ?user=optional is refused.
	mem := f.login(t, "mem")
	f.s.Must(t, http.StatusOK, testserver.Request{Method: "GET", Path: "/api/v1/verify?user=optional", AppToken: f.acme.AppToken})
	f.s.Must(t, http.StatusOK, testserver.Request{Method: "PATCH", Path: "/api/v1/tenants/acme", AppToken: f.s.AppToken,
		Token: f.s.OwnerToken(t), JSON: map[string]any{"status": "disabled"}})
	for _, path := range []string{"/api/v1/verify", "/api/v1/verify?user=optional"} {
		if r := f.verify(t, path, mem); r.Status != http.StatusUnauthorized {
			t.Errorf("disabled tenant, %s: got %d, want 401", path, r.Status)
		}
	}
}

// TestVerifyExpiresWithTheClock checks that a cached answer still ends at
// the token's own expiry.
func TestVerifyExpiresWithTheClock(t *testing.T) {
	f := newVerifyFixture(t)
	r := f.s.Must(t, http.StatusOK, testserver.Request{Method: "POST", Path: "/api/v1/token", AppToken: f.acme.AppToken,
		JSON: map[string]any{"username": "mem", "password": "mem-password", "seconds_until_expire": 60}})
	tok := r.String("token")
	f.s.Must(t, http.StatusOK, testserver.Request{Method: "GET", Path: "/api/v1/verify", AppToken: f.acme.AppToken, Token: tok})
	f.s.Clock.Advance(61 * time.Second)
	if got := f.verify(t, "/api/v1/verify", tok).Status; got != http.StatusUnauthorized {
		t.Errorf("after its expiry: got %d, want 401", got)
	}
}

// TestVerifyRole checks ?role=: the effective role, capped for an OBO token
// by its issuer's role, must be at least the one asked for.
func TestVerifyRole(t *testing.T) {
	f := newVerifyFixture(t)
	mem, owner := f.login(t, "mem"), f.acme.OwnerToken
	for _, tc := range []struct {
		tok, role string
		want      int
	}{
		{mem, "member", 200}, {mem, "support", 403}, {mem, "owner", 403},
		{owner, "owner", 200}, {owner, "admin", 200}, {owner, "member", 200},
	} {
		r := f.verify(t, "/api/v1/verify?role="+tc.role, tc.tok)
		if r.Status != tc.want {
			t.Errorf("role=%s: got %d %s, want %d", tc.role, r.Status, r.Body, tc.want)
		}
		if r.Status == http.StatusForbidden {
			testserver.WantErrors(t, r, map[string]string{"role": ""})
		}
	}
	// admin1 issues an OBO token for admin2: it acts as admin2, an admin,
	// with admin1 as its actor; when admin1 is demoted to support, so is
	// the token.
	obo := f.s.Must(t, http.StatusCreated, testserver.Request{Method: "POST", Path: "/api/v1/tokens", AppToken: f.acme.AppToken,
		Token: f.login(t, "admin1"), JSON: map[string]any{"user": f.ids["admin2"]}})
	r := f.verify(t, "/api/v1/verify?role=admin", obo.String("token"))
	if r.Status != http.StatusOK || r.Header.Get(verification.HeaderUserID) != f.ids["admin2"] ||
		r.Header.Get(verification.HeaderActorID) != f.ids["admin1"] || r.Header.Get(verification.HeaderTokenKind) != "obo" ||
		r.Header.Get(verification.HeaderRole) != "admin" {
		t.Fatalf("OBO: got %d %v", r.Status, identityHeaders(t, r))
	}
	if !strings.Contains(string(r.Body), `"actor_id":"`+f.ids["admin1"]+`"`) {
		t.Errorf("OBO body: got %s, want the actor", r.Body)
	}
	f.s.Must(t, http.StatusOK, testserver.Request{Method: "PATCH", Path: "/api/v1/users/" + f.ids["admin1"],
		AppToken: f.acme.AppToken, Token: owner, JSON: map[string]any{"role": "support"}})
	r = f.verify(t, "/api/v1/verify?role=admin", obo.String("token"))
	if r.Status != http.StatusForbidden {
		t.Errorf("OBO after its actor's demotion, role=admin: got %d, want 403", r.Status)
	}
	if got := f.verify(t, "/api/v1/verify", obo.String("token")).Header.Get(verification.HeaderRole); got != "support" {
		t.Errorf("OBO after its actor's demotion: got role %q, want support", got)
	}
}

// TestVerifyUserOptional checks ?user=optional: an App-Token alone names
// the tenant and the app token; a user token, when sent, is still checked.
func TestVerifyUserOptional(t *testing.T) {
	f := newVerifyFixture(t)
	r := f.s.Must(t, http.StatusOK, testserver.Request{Method: "GET", Path: "/api/v1/verify?user=optional", AppToken: f.acme.AppToken})
	got := identityHeaders(t, r)
	app := f.s.Must(t, http.StatusOK, testserver.Request{Method: "GET", Path: "/api/v1/app_tokens/" + got[verification.HeaderAppTokenID],
		AppToken: f.acme.AppToken, Token: f.acme.OwnerToken})
	want := map[string]string{verification.HeaderTenantID: f.acme.ID, verification.HeaderTenant: "acme",
		verification.HeaderAppTokenID: app.String("id"), verification.HeaderExpires: app.String("expires"),
		verification.HeaderScopes: "latchkey:admin"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: got %q, want %q (the app token's)", k, got[k], v)
		}
		delete(got, k)
	}
	if len(got) != 0 {
		t.Errorf("got user headers %v without a user token", got)
	}
	var body map[string]any
	_ = json.Unmarshal(r.Body, &body)
	if len(body) != 5 || body["tenant"] != "acme" || body["scopes"] == nil {
		t.Errorf("got body %s, want the tenant, the app token, its expiry and scopes", r.Body)
	}
	if r := f.verify(t, "/api/v1/verify?user=optional", "lku_nonsense"); r.Status != http.StatusUnauthorized {
		t.Errorf("with a bad user token: got %d, want 401", r.Status)
	}
	if r := f.verify(t, "/api/v1/verify?user=optional", f.login(t, "mem")); r.Header.Get(verification.HeaderUsername) != "mem" {
		t.Errorf("with a user token: got %d %v", r.Status, identityHeaders(t, r))
	}
	if r := f.verify(t, "/api/v1/verify?user=optional&role=member", ""); r.Status != http.StatusUnauthorized {
		t.Errorf("with a role and no user token: got %d, want 401", r.Status)
	} else {
		testserver.WantErrors(t, r, map[string]string{"Token": ""})
	}
	for _, app := range []string{"", f.other.AppToken + "x"} {
		if r := f.s.Do(t, testserver.Request{Method: "GET", Path: "/api/v1/verify?user=optional", AppToken: app}); r.Status != http.StatusUnauthorized {
			t.Errorf("App-Token %q: got %d, want 401", app, r.Status)
		}
	}
}

func TestVerifyBadQuery(t *testing.T) {
	f := newVerifyFixture(t)
	r := f.verify(t, "/api/v1/verify?role=root&user=sometimes", f.login(t, "mem"))
	if r.Status != http.StatusBadRequest {
		t.Fatalf("got %d, want 400", r.Status)
	}
	testserver.WantErrors(t, r, map[string]string{"role": "Must be one of: owner, admin, support, member.",
		"user": "Must be one of: required, optional."})
}

// TestVerifyRecordsLastUsed checks that /verify keeps last_used like every
// route: in the batch, for the user token and the app token.
func TestVerifyRecordsLastUsed(t *testing.T) {
	f := newVerifyFixture(t)
	login := f.s.Must(t, http.StatusOK, testserver.Request{Method: "POST", Path: "/api/v1/token", AppToken: f.acme.AppToken,
		JSON: map[string]any{"username": "mem", "password": "mem-password"}})
	if err := f.s.App.LastUsed.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	f.s.Clock.Advance(time.Minute)
	f.s.Must(t, http.StatusOK, testserver.Request{Method: "GET", Path: "/api/v1/verify", AppToken: f.acme.AppToken, Token: login.String("token")})
	used := f.s.Clock.Now().UTC().Truncate(time.Millisecond)
	if err := f.s.App.LastUsed.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	r := f.s.Must(t, http.StatusOK, testserver.Request{Method: "GET", Path: "/api/v1/tokens/" + login.String("id"),
		AppToken: f.acme.AppToken, Token: f.acme.OwnerToken})
	if lu := r.String("last_used"); lu != clock.Format(used) {
		t.Errorf("user token: got last_used %q, want %s", lu, clock.Format(used))
	}
}

// TestVerifyMetrics checks that /metrics counts /verify answers by result
// and introspections by whether the token was active.
func TestVerifyMetrics(t *testing.T) {
	f := newVerifyFixture(t)
	mem := f.login(t, "mem")
	f.verify(t, "/api/v1/verify", mem)
	f.verify(t, "/api/v1/verify/", mem)
	f.verify(t, "/api/v1/verify", "lku_nonsense")
	f.verify(t, "/api/v1/verify?role=admin", mem)
	introspect(t, f, f.acme.AppToken, mem)
	introspect(t, f, f.acme.AppToken, f.other.OwnerToken)
	body := string(f.s.Must(t, http.StatusOK, testserver.Request{Method: "GET", Path: "/metrics"}).Body)
	for _, want := range []string{
		`latchkey_verify_answers_total{result="ok"} 2`,
		`latchkey_verify_answers_total{result="unauthorized"} 1`,
		`latchkey_verify_answers_total{result="forbidden"} 1`,
		`latchkey_introspections_total{active="true"} 1`,
		`latchkey_introspections_total{active="false"} 1`,
	} {
		if !strings.Contains(body, want+"\n") {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// TestIdentityAppendJSON keeps /verify's hand-written body byte for byte
// equal to encoding/json, with every field set and with the optional ones
// empty; a field added to Identity without AppendJSON learning it fails here.
func TestIdentityAppendJSON(t *testing.T) {
	full := verification.Identity{TenantID: "k3v7x2ab", Tenant: "acme", AppTokenID: "65f0c0ffee0000000000aaaa",
		UserID: "65f0c0ffee0000000000bbbb", Username: `ann "<b>&\ é` + "\x01\xff", Role: "admin",
		ActorID: "65f0c0ffee0000000000cccc", TokenID: "65f0c0ffee0000000000dddd", TokenKind: "obo",
		Expires: "2026-01-02T03:04:05.600Z", Scopes: []string{"a.read", "b"}, ScopesText: "a.read b",
		ExternalID: `cust "42"`, Meta: json.RawMessage(`{"plan":"gold","n":[1,2]}`)}
	rv := reflect.ValueOf(full)
	for i := range rv.NumField() {
		if rv.Field(i).IsZero() {
			t.Fatalf("the fixture leaves Identity.%s empty: set it, and teach AppendJSON the field", rv.Type().Field(i).Name)
		}
	}
	appOnly := verification.Identity{TenantID: "k3v7x2ab", Tenant: "acme", AppTokenID: "65f0c0ffee0000000000aaaa",
		Expires: "2023-11-14T22:13:20.000Z"}
	for name, id := range map[string]verification.Identity{"full": full, "app only": appOnly} {
		want, err := json.Marshal(id)
		if err != nil {
			t.Fatal(err)
		}
		if got := id.AppendJSON(nil); string(got) != string(want) {
			t.Errorf("%s:\n got %s\nwant %s", name, got, want)
		}
	}
}

// TestVerifyPreferMinimal checks Prefer: return=minimal (RFC 7240), which
// the gateway configurations send: 204 with the same headers and no body,
// so gateways that do not read a body keep their connection. Refusals keep
// theirs.
func TestVerifyPreferMinimal(t *testing.T) {
	f := newVerifyFixture(t)
	mem := f.login(t, "mem")
	full := f.verify(t, "/api/v1/verify", mem)
	for _, prefer := range []string{"return=minimal", "respond-async, RETURN = minimal; x=1", "return=minimal,wait=5"} {
		r := f.s.Do(t, testserver.Request{Method: "GET", Path: "/api/v1/verify", AppToken: f.acme.AppToken, Token: mem,
			Header: map[string]string{"Prefer": prefer}})
		if r.Status != http.StatusNoContent || len(r.Body) != 0 || r.Header.Get("Preference-Applied") != "return=minimal" {
			t.Errorf("Prefer %q: got %d, %d bytes, Preference-Applied %q", prefer, r.Status, len(r.Body), r.Header.Get("Preference-Applied"))
		}
		if g, w := identityHeaders(t, r), identityHeaders(t, full); !maps.Equal(g, w) {
			t.Errorf("Prefer %q: got headers %v, want %v", prefer, g, w)
		}
	}
	r := f.s.Do(t, testserver.Request{Method: "GET", Path: "/api/v1/verify", AppToken: f.acme.AppToken,
		Token: "lku_nonsense", Header: map[string]string{"Prefer": "return=minimal"}})
	if r.Status != http.StatusUnauthorized {
		t.Fatalf("got %d, want 401", r.Status)
	}
	testserver.WantErrors(t, r, map[string]string{"Token": ""})
	if r := f.s.Do(t, testserver.Request{Method: "GET", Path: "/api/v1/verify", AppToken: f.acme.AppToken, Token: mem,
		Header: map[string]string{"Prefer": "return=representation"}}); len(r.Body) == 0 {
		t.Error("Prefer: return=representation: got no body")
	}
}
