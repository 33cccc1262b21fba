package verification_test

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/testserver"
)

// introspect posts token to /introspect as the app of appToken (in the
// App-Token header).
func introspect(t *testing.T, f *verifyFixture, appToken, token string) *testserver.Response {
	t.Helper()
	return f.s.Must(t, http.StatusOK, testserver.Request{Method: "POST", Path: "/api/v1/introspect", AppToken: appToken,
		Form: url.Values{"token": {token}, "token_type_hint": {"access_token"}}})
}

func basic(password string) map[string]string {
	return map[string]string{"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte("client:"+password))}
}

// TestIntrospectActive checks RFC 7662 answers for live tokens of the
// caller's tenant: a login token, an OBO token and an app token.
func TestIntrospectActive(t *testing.T) {
	f := newVerifyFixture(t)
	login := f.s.Must(t, http.StatusOK, testserver.Request{Method: "POST", Path: "/api/v1/token", AppToken: f.acme.AppToken,
		JSON: map[string]any{"username": "mem", "password": "mem-password"}})
	expires, _ := time.Parse(time.RFC3339Nano, login.String("expires"))
	appID := appTokenIDIn(t, f.s, login.String("token"), f.acme.AppToken)
	r := introspect(t, f, f.acme.AppToken, login.String("token"))
	want := map[string]any{"active": true, "token_type": "user_token", "kind": "login", "sub": f.ids["mem"],
		"username": "mem", "role": "member", "tenant": "acme", "tenant_id": f.acme.ID, "client_id": appID,
		"exp": float64(expires.Unix()), "jti": login.String("id")}
	for k, v := range want {
		if r.JSON[k] != v {
			t.Errorf("%s: got %v, want %v", k, r.JSON[k], v)
		}
	}
	if iat, _ := r.JSON["iat"].(float64); int64(iat) < f.s.Clock.Now().Add(-time.Minute).Unix() || int64(iat) > f.s.Clock.Now().Unix() {
		t.Errorf("iat: got %v, want about now", r.JSON["iat"])
	}
	if _, ok := r.JSON["act"]; ok {
		t.Errorf("got act %v for a login token", r.JSON["act"])
	}
	if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control: got %q, want no-store", cc)
	}

	obo := f.s.Must(t, http.StatusCreated, testserver.Request{Method: "POST", Path: "/api/v1/tokens", AppToken: f.acme.AppToken,
		Token: f.login(t, "admin1"), JSON: map[string]any{"user": f.ids["admin2"]}})
	r = introspect(t, f, f.acme.AppToken, obo.String("token"))
	act, _ := r.JSON["act"].(map[string]any)
	if r.JSON["active"] != true || r.JSON["sub"] != f.ids["admin2"] || r.JSON["kind"] != "obo" || act["sub"] != f.ids["admin1"] {
		t.Errorf("OBO: got %s", r.Body)
	}

	r = introspect(t, f, f.acme.AppToken, f.acme.AppToken)
	if r.JSON["active"] != true || r.JSON["token_type"] != "app_token" || r.JSON["client_id"] != appID ||
		r.JSON["tenant"] != "acme" || r.JSON["sub"] != nil || r.JSON["username"] != nil {
		t.Errorf("app token: got %s", r.Body)
	}
}

// TestIntrospectInactive checks that anything not valid in the caller's
// tenant is {"active": false}, and nothing more.
func TestIntrospectInactive(t *testing.T) {
	f := newVerifyFixture(t)
	mem := f.s.Must(t, http.StatusOK, testserver.Request{Method: "POST", Path: "/api/v1/token", AppToken: f.acme.AppToken,
		JSON: map[string]any{"username": "mem", "password": "mem-password"}})
	expired := f.s.Must(t, http.StatusOK, testserver.Request{Method: "POST", Path: "/api/v1/token", AppToken: f.acme.AppToken,
		JSON: map[string]any{"username": "mem", "password": "mem-password"}})
	f.s.Must(t, http.StatusOK, testserver.Request{Method: "PATCH", Path: "/api/v1/tokens/" + expired.String("id"),
		AppToken: f.acme.AppToken, Token: f.acme.OwnerToken, JSON: map[string]any{"seconds_until_expire": -1}})
	revoked := f.login(t, "admin2")
	f.s.Must(t, http.StatusNoContent, testserver.Request{Method: "DELETE", Path: "/api/v1/token", AppToken: f.acme.AppToken, Token: revoked})
	disabledUser := f.login(t, "admin1")
	f.s.Must(t, http.StatusOK, testserver.Request{Method: "PATCH", Path: "/api/v1/users/" + f.ids["admin1"],
		AppToken: f.acme.AppToken, Token: f.acme.OwnerToken, JSON: map[string]any{"status": "disabled"}})
	forged := []byte(mem.String("token"))
	forged[len(forged)-1] ^= 1
	cases := map[string]string{
		"another tenant's user token": f.other.OwnerToken,
		"another tenant's app token":  f.other.AppToken,
		"expired through the API":     expired.String("token"),
		"logged out":                  revoked,
		"user disabled":               disabledUser,
		"a refresh token":             mem.String("refresh_token"),
		"forged":                      string(forged),
		"garbage":                     "not a token at all",
		"a prefix alone":              "lku_",
	}
	for name, tok := range cases {
		r := introspect(t, f, f.acme.AppToken, tok)
		if len(r.JSON) != 1 || r.JSON["active"] != false {
			t.Errorf("%s: got %s, want {\"active\":false}", name, r.Body)
		}
	}
	// Expiry by the clock, on a token that was active a moment before.
	short := f.s.Must(t, http.StatusOK, testserver.Request{Method: "POST", Path: "/api/v1/token", AppToken: f.acme.AppToken,
		JSON: map[string]any{"username": "mem", "password": "mem-password", "seconds_until_expire": 30}}).String("token")
	if r := introspect(t, f, f.acme.AppToken, short); r.JSON["active"] != true {
		t.Fatalf("got %s, want active", r.Body)
	}
	f.s.Clock.Advance(31 * time.Second)
	if r := introspect(t, f, f.acme.AppToken, short); r.JSON["active"] != false {
		t.Errorf("after its expiry: got %s, want inactive", r.Body)
	}
}

// TestIntrospectClientAuth checks how the caller authenticates: App-Token,
// or HTTP Basic with the app token as password (RFC 7662 clients).
func TestIntrospectClientAuth(t *testing.T) {
	f := newVerifyFixture(t)
	tok := f.login(t, "mem")
	form := url.Values{"token": {tok}}
	r := f.s.Must(t, http.StatusOK, testserver.Request{Method: "POST", Path: "/api/v1/introspect/", Form: form,
		Header: basic(f.acme.AppToken)})
	if r.JSON["active"] != true {
		t.Errorf("Basic: got %s, want active", r.Body)
	}
	// The same app token twice is fine; two different ones are not.
	f.s.Must(t, http.StatusOK, testserver.Request{Method: "POST", Path: "/api/v1/introspect", Form: form,
		AppToken: f.acme.AppToken, Header: basic(f.acme.AppToken)})
	r = f.s.Do(t, testserver.Request{Method: "POST", Path: "/api/v1/introspect", Form: form,
		AppToken: f.acme.AppToken, Header: basic(f.other.AppToken)})
	if r.Status != http.StatusBadRequest {
		t.Errorf("App-Token and Basic disagree: got %d, want 400", r.Status)
	}
	testserver.WantErrors(t, r, map[string]string{"App-Token": ""})

	for name, req := range map[string]testserver.Request{
		"no credentials":         {},
		"a user token as caller": {AppToken: tok},
		"a bad Basic password":   {Header: basic("lka_nonsense")},
		"a user token in Basic":  {Header: basic(tok)},
	} {
		req.Method, req.Path, req.Form = "POST", "/api/v1/introspect", form
		r := f.s.Do(t, req)
		if r.Status != http.StatusUnauthorized {
			t.Errorf("%s: got %d %s, want 401", name, r.Status, r.Body)
			continue
		}
		testserver.WantErrors(t, r, map[string]string{"App-Token": ""})
	}
	// The caller's tenant disabled: the caller itself is refused.
	f.s.Must(t, http.StatusOK, testserver.Request{Method: "PATCH", Path: "/api/v1/tenants/acme", AppToken: f.s.AppToken,
		Token: f.s.OwnerToken(t), JSON: map[string]any{"status": "disabled"}})
	if r := f.s.Do(t, testserver.Request{Method: "POST", Path: "/api/v1/introspect", Form: form, AppToken: f.acme.AppToken}); r.Status != http.StatusUnauthorized {
		t.Errorf("disabled tenant: got %d, want 401", r.Status)
	}
}

func TestIntrospectBadRequest(t *testing.T) {
	f := newVerifyFixture(t)
	for name, tc := range map[string]struct {
		form url.Values
		want map[string]string
	}{
		"no token":      {url.Values{}, map[string]string{"token": "This field is required."}},
		"empty token":   {url.Values{"token": {""}}, map[string]string{"token": "This field is required."}},
		"token twice":   {url.Values{"token": {"a", "b"}}, map[string]string{"token": "Give this field once."}},
		"unknown field": {url.Values{"token": {"a"}, "scope": {"x"}}, map[string]string{"scope": "Unknown field."}},
	} {
		r := f.s.Do(t, testserver.Request{Method: "POST", Path: "/api/v1/introspect", AppToken: f.acme.AppToken, Form: tc.form})
		if r.Status != http.StatusBadRequest {
			t.Errorf("%s: got %d %s, want 400", name, r.Status, r.Body)
			continue
		}
		testserver.WantErrors(t, r, tc.want)
	}
	if r := f.s.Do(t, testserver.Request{Method: "GET", Path: "/api/v1/introspect", AppToken: f.acme.AppToken}); r.Status != http.StatusMethodNotAllowed {
		t.Errorf("GET: got %d, want 405", r.Status)
	}
}
