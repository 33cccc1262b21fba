package usertokens_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/secret"
	"github.com/latchkey/latchkey/internal/testserver"
)

// forge makes a token string of kind for record id in tenant with the
// server's keyring: the right prefix, tenant, record id and keyed tag, but
// another random body, so only the comparison with the stored hash can
// refuse it.
func forge(t *testing.T, keys *secret.Keyring, kind secret.Kind, tenantID, id string) string {
	t.Helper()
	rid, err := ids.Parse(id)
	if err != nil {
		t.Fatal(err)
	}
	forged := keys.NewToken(kind, tenantID, rid)
	if tok, ok := keys.Parse(forged); !ok || tok.ID != rid {
		t.Fatalf("the forged string does not parse as naming %s", id)
	}
	return forged
}

// TestForgedUserTokenWithARealID: with the cache on, a user token string
// with a real record id, a valid tag and the wrong secret body is refused
// as a credential and as a URL ref, and leaves the real token working.
func TestForgedUserTokenWithARealID(t *testing.T) {
	f := newTokFixture(t, testserver.Options{CacheTTL: time.Minute})
	plain, id := f.personal(t, "mem")
	use := func(token string) int {
		return f.s.Do(t, testserver.Request{Method: "GET", Path: "/api/v1/token", AppToken: f.a.AppToken, Token: token}).Status
	}
	if got := use(plain); got != http.StatusOK { // the real one, now cached
		t.Fatalf("the real token: got %d, want 200", got)
	}
	forged := forge(t, f.s.Keys, secret.User, f.a.ID, id)
	if got := use(forged); got != http.StatusUnauthorized {
		t.Errorf("forged user token as a credential: got %d, want 401", got)
	}
	if r := f.do(t, "owner", "GET", "/api/v1/tokens/"+forged, nil); r.Status != http.StatusNotFound {
		t.Errorf("GET /tokens/{forged}: got %d, want 404; body %s", r.Status, r.Body)
	}
	if r := f.do(t, "owner", "PATCH", "/api/v1/tokens/"+forged, map[string]any{"seconds_until_expire": -1}); r.Status != http.StatusNotFound {
		t.Errorf("PATCH /tokens/{forged}: got %d, want 404; body %s", r.Status, r.Body)
	}
	if got := use(plain); got != http.StatusOK {
		t.Errorf("the real token after the forgeries: got %d, want 200", got)
	}
}

// TestForgedRefreshTokenWithARealID: with the cache on, a refresh token
// string naming a real login token, validly tagged, with the wrong secret
// body, is refused and spends nothing: the real refresh token still
// trades afterwards.
func TestForgedRefreshTokenWithARealID(t *testing.T) {
	f := newTokFixture(t, testserver.Options{CacheTTL: time.Minute})
	login := f.s.Must(t, http.StatusOK, testserver.Request{Method: "POST", Path: "/api/v1/token", AppToken: f.a.AppToken,
		JSON: map[string]any{"username": "mem2", "password": "mem2-password"}})
	refresh := func(token string) *testserver.Response {
		return f.s.Do(t, testserver.Request{Method: "POST", Path: "/api/v1/token/refresh", AppToken: f.a.AppToken,
			JSON: map[string]any{"refresh_token": token}})
	}
	forged := forge(t, f.s.Keys, secret.Refresh, f.a.ID, login.String("id"))
	if r := refresh(forged); r.Status != http.StatusUnauthorized {
		t.Fatalf("forged refresh token: got %d, want 401; body %s", r.Status, r.Body)
	}
	if r := refresh(login.String("refresh_token")); r.Status != http.StatusOK {
		t.Errorf("the real refresh token after the forgery: got %d, want 200; body %s", r.Status, r.Body)
	}
}

// TestExpiredIsFinal: a user token whose expiry has passed, by hand or by
// time, is never re-dated (409 on seconds_until_expire), through
// PATCH /tokens/{token} as through PATCH /token/, and stays refused.
func TestExpiredIsFinal(t *testing.T) {
	f := newTokFixture(t, testserver.Options{})
	patch := func(who, ref string, seconds int64) *testserver.Response {
		return f.do(t, who, "PATCH", "/api/v1/tokens/"+ref, map[string]any{"seconds_until_expire": seconds})
	}
	refused := func(what string, r *testserver.Response) {
		t.Helper()
		if r.Status != http.StatusConflict {
			t.Errorf("%s: got %d %s, want 409", what, r.Status, r.Body)
			return
		}
		testserver.WantErrors(t, r, map[string]string{"seconds_until_expire": "*"})
	}
	works := func(plain string) bool {
		return f.s.Do(t, testserver.Request{Method: "GET", Path: "/api/v1/token", AppToken: f.a.AppToken, Token: plain}).Status == http.StatusOK
	}

	bySupport, bySupportID := f.personal(t, "mem")
	f.must(t, http.StatusOK, "sup", "PATCH", "/api/v1/tokens/"+bySupport, map[string]any{"seconds_until_expire": -1})
	refused("owner re-dates a token support expired", patch("owner", bySupportID, 3600))
	refused("its user re-dates it", patch("mem", bySupportID, 60))
	if works(bySupport) {
		t.Errorf("a token support expired works again")
	}
	r := f.must(t, http.StatusOK, "owner", "GET", "/api/v1/tokens/"+bySupportID, nil)
	if r.JSON["ended_by"] != "support" || r.JSON["expired"] != true {
		t.Errorf("the token support expired: %s, want expired, ended_by support", r.Body)
	}

	f.s.Must(t, http.StatusCreated, testserver.Request{Method: "POST", Path: "/api/v1/tokens", AppToken: f.a.AppToken,
		Token: f.tokens["mem"], JSON: map[string]any{"seconds_until_expire": 60}})
	short := f.must(t, http.StatusOK, "mem", "GET", "/api/v1/tokens?kind=personal&active=true&limit=1", nil).JSON["items"].([]any)[0].(map[string]any)
	f.s.Clock.Advance(2 * time.Minute)
	refused("re-date a token that ran out", patch("mem", short["id"].(string), 3600))
	if r := f.must(t, http.StatusOK, "mem", "GET", "/api/v1/tokens/"+short["id"].(string), nil); r.JSON["ended_by"] != "time" {
		t.Errorf("a token that ran out: ended_by %v, want time", r.JSON["ended_by"])
	}
}

// TestExtendCurrentAfterExpiryElsewhere: a token that another instance
// expired may still authenticate here within cache.ttl, but extending it
// with PATCH /token/ is refused by the store (409), and it stays expired on
// every instance.
func TestExtendCurrentAfterExpiryElsewhere(t *testing.T) {
	f := newTokFixture(t, testserver.Options{CacheTTL: time.Minute})
	other := testserver.StartWith(t, testserver.Options{Store: f.s.Store, Clock: f.s.Clock})
	plain, id := f.personal(t, "mem")
	get := testserver.Request{Method: "GET", Path: "/api/v1/token", AppToken: f.a.AppToken, Token: plain}
	f.s.Must(t, http.StatusOK, get) // cached here
	other.Must(t, http.StatusOK, testserver.Request{Method: "PATCH", Path: "/api/v1/tokens/" + id, AppToken: f.a.AppToken,
		Token: f.tokens["sup"], JSON: map[string]any{"seconds_until_expire": -1}})
	r := f.s.Do(t, testserver.Request{Method: "PATCH", Path: "/api/v1/token", AppToken: f.a.AppToken, Token: plain,
		JSON: map[string]any{"seconds_until_expire": 3600}})
	if r.Status != http.StatusConflict {
		t.Errorf("PATCH /token/ of a token expired on another instance: got %d %s, want 409", r.Status, r.Body)
	} else {
		testserver.WantErrors(t, r, map[string]string{"seconds_until_expire": "*"})
	}
	if r := other.Do(t, get); r.Status != http.StatusUnauthorized {
		t.Errorf("the token on the instance that expired it: got %d, want 401", r.Status)
	}
}

// TestEndedBy: each way a user token ends is recorded and shown, in single
// answers and in the list; a live token shows null.
func TestEndedBy(t *testing.T) {
	f := newTokFixture(t, testserver.Options{})
	endedBy := func(ref string) any {
		t.Helper()
		return f.must(t, http.StatusOK, "owner", "GET", "/api/v1/tokens/"+ref, nil).JSON["ended_by"]
	}
	loginAs := func(name string) *testserver.Response {
		return f.s.Must(t, http.StatusOK, testserver.Request{Method: "POST", Path: "/api/v1/token", AppToken: f.a.AppToken,
			JSON: map[string]any{"username": name, "password": name + "-password"}})
	}
	refresh := func(token string) *testserver.Response {
		return f.s.Do(t, testserver.Request{Method: "POST", Path: "/api/v1/token/refresh", AppToken: f.a.AppToken,
			JSON: map[string]any{"refresh_token": token}})
	}
	want := map[string]string{} // token id → ended_by

	_, live := f.personal(t, "mem")
	if got := endedBy(live); got != nil {
		t.Errorf("a live token: ended_by %v, want null", got)
	}
	_, own := f.personal(t, "mem")
	f.must(t, http.StatusOK, "mem", "PATCH", "/api/v1/tokens/"+own, map[string]any{"seconds_until_expire": -1})
	want[own] = "user"
	_, other := f.personal(t, "mem")
	f.must(t, http.StatusOK, "sup", "PATCH", "/api/v1/tokens/"+other, map[string]any{"seconds_until_expire": -1})
	want[other] = "support"

	// A refresh ends the login token it replaces; reusing its refresh
	// token revokes the chain as leaked.
	first := loginAs("mem2")
	second := refresh(first.String("refresh_token"))
	if second.Status != http.StatusOK {
		t.Fatalf("refresh: got %d %s", second.Status, second.Body)
	}
	want[first.String("id")] = "rotation"
	if r := refresh(first.String("refresh_token")); r.Status != http.StatusUnauthorized {
		t.Fatalf("refresh reuse: got %d, want 401", r.Status)
	}
	want[second.String("id")] = "leak"
	// Logout.
	out := loginAs("mem2")
	f.s.Must(t, http.StatusNoContent, testserver.Request{Method: "DELETE", Path: "/api/v1/token", AppToken: f.a.AppToken, Token: out.String("token")})
	want[out.String("id")] = "user"
	// Disabling an admin ends its own tokens (by another: support) and the
	// OBO tokens it issued (issuer).
	oboID := f.must(t, http.StatusOK, "owner", "GET", "/api/v1/tokens/"+f.tokens["obo"], nil).String("id")
	adminToken := f.must(t, http.StatusOK, "admin1", "GET", "/api/v1/token", nil).String("id")
	f.must(t, http.StatusOK, "owner", "PATCH", "/api/v1/users/"+f.ids["admin1"], map[string]any{"status": "disabled"})
	want[oboID], want[adminToken] = "issuer", "support"
	// Expiring one's own tokens.
	_, mine := f.personal(t, "sup")
	f.must(t, http.StatusOK, "sup", "POST", "/api/v1/users/"+f.ids["sup"]+"/expire_tokens", nil)
	want[mine] = "user"

	for id, by := range want {
		if got := endedBy(id); got != by {
			t.Errorf("token %s: ended_by %v, want %s", id, got, by)
		}
	}
	list := f.must(t, http.StatusOK, "owner", "GET", "/api/v1/tokens?limit=500", nil)
	for _, it := range list.JSON["items"].([]any) {
		item := it.(map[string]any)
		if by, ok := want[item["id"].(string)]; ok && item["ended_by"] != by {
			t.Errorf("list item %v: ended_by %v, want %s", item["id"], item["ended_by"], by)
		}
		if _, ok := item["ended_by"]; !ok {
			t.Errorf("list item %v has no ended_by", item["id"])
		}
	}
}
