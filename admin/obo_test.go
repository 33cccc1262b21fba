package admin_test

import (
	"net/http"
	"testing"

	"github.com/latchkey/latchkey/internal/testserver"
)

// oboRefusal is the answer to an on-behalf-of token that would make a
// credential.
var oboRefusal = map[string]string{"token": "An on-behalf-of token cannot do this."}

// TestOBOMakesNoCredential replays a reported escalation: an OBO token set
// its user's password (and so got a 30-day login that outlived its issuer,
// stretched to 90 days), and made app tokens, users, tokens and, on the
// platform tenant, a tenant, all of which outlived the issuer. Each is now
// 403 on "token", with or without the role the action needs, and nothing
// is made or changed; what makes no credential still works.
func TestOBOMakesNoCredential(t *testing.T) {
	f := newPermFixture(t)
	s, acme := f.s, f.a
	admin := f.token(t, "admin")
	issue := func(appToken, issuer, user string) string {
		return s.Must(t, 201, testserver.Request{Method: "POST", Path: "/api/v1/tokens", AppToken: appToken, Token: issuer,
			JSON: map[string]any{"user": user}}).String("token")
	}
	forMem := issue(acme.AppToken, admin, f.ids["mem"])      // capped at member
	forAdmin := issue(acme.AppToken, admin, f.ids["admin2"]) // an admin's rights
	platformOwner2 := s.NewUser(t, s.AppToken, s.OwnerToken(t), "owner2", "owner")
	forPlatformOwner := issue(s.AppToken, s.OwnerToken(t), platformOwner2)
	// Signup is open in acme, so a refused signup is the OBO rule's doing.
	s.Must(t, 200, testserver.Request{Method: "PATCH", Path: "/api/v1/tenants/acme", AppToken: s.AppToken, Token: s.OwnerToken(t),
		JSON: map[string]any{"settings": map[string]any{"allow_signup": true}}})

	counts := func() map[string]int64 {
		return map[string]int64{
			"acme users": s.Count(t, acme.ID, testserver.TableUsers), "acme app tokens": s.Count(t, acme.ID, testserver.TableAppTokens),
			"acme tokens": s.Count(t, acme.ID, testserver.TableTokens), "platform app tokens": s.Count(t, s.TenantID, testserver.TableAppTokens),
			"tenants": int64(len(s.Must(t, 200, testserver.Request{Method: "GET", Path: "/api/v1/tenants", AppToken: s.AppToken,
				Token: s.OwnerToken(t)}).JSON["items"].([]any))),
		}
	}
	before := counts()
	newMember := map[string]any{"username": "made-by-obo", "password": "secret-password", "email": "m@acme.test", "role": "member"}
	newTenant := map[string]any{"slug": "obo-made", "name": "x",
		"admin": map[string]any{"username": "boss", "password": "secret-password", "email": "boss@obo.test"}}
	for _, c := range []struct {
		name, token, appToken, method, path string
		body                                any
	}{
		{"the reported escalation: its user's password", forMem, acme.AppToken, "PATCH", "/api/v1/users/" + f.ids["mem"],
			map[string]any{"password": "taken-over-password", "current_password": "mem-password"}},
		{"its user's password without current_password", forMem, acme.AppToken, "PATCH", "/api/v1/users/" + f.ids["mem"],
			map[string]any{"password": "taken-over-password"}},
		{"its own user's password, as an admin", forAdmin, acme.AppToken, "PATCH", "/api/v1/users/" + f.ids["admin2"],
			map[string]any{"password": "taken-over-password", "current_password": "admin2-password"}},
		{"another user's password, as an admin", forAdmin, acme.AppToken, "PATCH", "/api/v1/users/" + f.ids["mem"],
			map[string]any{"password": "taken-over-password"}},
		{"an app token", forAdmin, acme.AppToken, "POST", "/api/v1/app_tokens", map[string]any{}},
		{"an app token, capped at member", forMem, acme.AppToken, "POST", "/api/v1/app_tokens", map[string]any{}},
		{"a user", forAdmin, acme.AppToken, "POST", "/api/v1/users", newMember},
		{"a user, capped at member", forMem, acme.AppToken, "POST", "/api/v1/users", newMember},
		{"a personal token", forAdmin, acme.AppToken, "POST", "/api/v1/tokens", map[string]any{}},
		{"a personal token, capped at member", forMem, acme.AppToken, "POST", "/api/v1/tokens", map[string]any{}},
		{"its own token, named by id", forAdmin, acme.AppToken, "POST", "/api/v1/tokens", map[string]any{"user": f.ids["admin2"]}},
		{"an OBO token", forAdmin, acme.AppToken, "POST", "/api/v1/tokens", map[string]any{"user": f.ids["mem"]}},
		{"a signup", forMem, acme.AppToken, "POST", "/api/v1/signup", map[string]any{"username": "signed-up",
			"password1": "secret-password", "password2": "secret-password", "email": "s@acme.test", "accept_tos": true}},
		{"a tenant", forPlatformOwner, s.AppToken, "POST", "/api/v1/tenants", newTenant},
		{"a tenant's app token", forPlatformOwner, s.AppToken, "POST", "/api/v1/tenants/acme/app_tokens", map[string]any{}},
		{"the platform's own app token", forPlatformOwner, s.AppToken, "POST", "/api/v1/app_tokens", map[string]any{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := s.Do(t, testserver.Request{Method: c.method, Path: c.path, AppToken: c.appToken, Token: c.token, JSON: c.body})
			if r.Status != http.StatusForbidden {
				t.Fatalf("got status %d, want 403; body %s", r.Status, r.Body)
			}
			testserver.WantErrors(t, r, oboRefusal)
		})
	}
	if got := counts(); len(got) != len(before) || got["acme users"] != before["acme users"] ||
		got["acme app tokens"] != before["acme app tokens"] || got["acme tokens"] != before["acme tokens"] ||
		got["platform app tokens"] != before["platform app tokens"] || got["tenants"] != before["tenants"] {
		t.Errorf("the refusals made something: before %v, after %v", before, got)
	}
	// No password changed: the old ones log in, the attempted one does not.
	for _, u := range []string{"mem", "admin2"} {
		s.Login(t, acme.AppToken, u, u+"-password")
		r := s.Do(t, testserver.Request{Method: "POST", Path: "/api/v1/token", AppToken: acme.AppToken,
			JSON: map[string]any{"username": u, "password": "taken-over-password"}})
		if r.Status != http.StatusUnauthorized {
			t.Errorf("%s with the password an OBO token tried to set: got %d, want 401", u, r.Status)
		}
	}

	// What makes no credential still works, within the issuer's cap.
	for _, c := range []struct {
		token, method, path string
		body                any
		want                int
	}{
		{forMem, "PATCH", "/api/v1/users/" + f.ids["mem"], map[string]any{"email": "mem@acme.test"}, 200},
		{forAdmin, "PATCH", "/api/v1/users/" + f.ids["mem2"], map[string]any{"role": "support"}, 200},
		{forAdmin, "GET", "/api/v1/app_tokens", nil, 200},
		{forPlatformOwner, "GET", "/api/v1/tenants", nil, 200},
	} {
		app := acme.AppToken
		if c.token == forPlatformOwner {
			app = s.AppToken
		}
		if r := s.Do(t, testserver.Request{Method: c.method, Path: c.path, AppToken: app, Token: c.token, JSON: c.body}); r.Status != c.want {
			t.Errorf("%s %s with an OBO token: got %d, want %d; %s", c.method, c.path, r.Status, c.want, r.Body)
		}
	}
	// Signup without the OBO token is what the tenant allows anyone.
	s.Must(t, 201, testserver.Request{Method: "POST", Path: "/api/v1/signup", AppToken: acme.AppToken,
		JSON: map[string]any{"username": "signed-up", "password1": "secret-password", "password2": "secret-password",
			"email": "s@acme.test", "accept_tos": true}})
}
