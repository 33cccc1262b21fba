package admin_test

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/latchkey/latchkey/internal/testserver"
)

// The callers of the permission matrix, in the order of matrixRow.want:
// a user of each role, and an OBO token that admin1 issued for mem (which
// acts as mem).
var callers = []string{"owner", "admin", "support", "member", "obo"}

// callerUser is the username each caller logs in as; the OBO caller is mem.
var callerUser = map[string]string{"owner": "owner1", "admin": "admin1", "support": "sup", "member": "mem", "obo": "mem"}

// permFixture is tenant acme (the one the matrix runs in, set up by its
// first owner, who is never a caller) and tenant globex, whose ids and
// tokens acme's callers try to use.
type permFixture struct {
	s   *testserver.Server
	a   *testserver.Tenant
	b   *testserver.Tenant
	ids map[string]string // acme username → id
	// globex's resources, by placeholder name.
	other map[string]string
	seq   atomic.Int64
	// tokens caches each caller's credentials until forget.
	tokens map[string]string
}

func newPermFixture(t *testing.T) *permFixture {
	t.Helper()
	s := testserver.Start(t)
	f := &permFixture{s: s, a: s.NewTenant(t, "acme"), b: s.NewTenant(t, "globex"), ids: map[string]string{}, tokens: map[string]string{}}
	for _, u := range []struct{ name, role string }{
		{"owner1", "owner"}, {"owner2", "owner"}, {"admin1", "admin"}, {"admin2", "admin"},
		{"sup", "support"}, {"mem", "member"}, {"mem2", "member"},
	} {
		f.ids[u.name] = s.NewUser(t, f.a.AppToken, f.a.OwnerToken, u.name, u.role)
	}
	b := f.b
	app := s.Must(t, 201, testserver.Request{Method: "POST", Path: "/api/v1/app_tokens", AppToken: b.AppToken, Token: b.OwnerToken, JSON: map[string]any{}})
	tok := s.Must(t, 201, testserver.Request{Method: "POST", Path: "/api/v1/tokens", AppToken: b.AppToken, Token: b.OwnerToken, JSON: map[string]any{}})
	f.other = map[string]string{"bapp": app.String("id"), "bapptext": app.String("app_token"),
		"btok": tok.String("id"), "btoktext": tok.String("token"), "bowner": b.OwnerID}
	return f
}

// token returns a user token for caller, logging in (and, for the OBO
// caller, issuing the OBO token) on first use and after forget.
func (f *permFixture) token(t *testing.T, caller string) string {
	t.Helper()
	if tok, ok := f.tokens[caller]; ok {
		return tok
	}
	tok := f.newToken(t, caller)
	f.tokens[caller] = tok
	return tok
}

// forget drops the cached credentials, after a request that may have ended
// them.
func (f *permFixture) forget() { clear(f.tokens) }

func (f *permFixture) newToken(t *testing.T, caller string) string {
	t.Helper()
	if caller == "platform" {
		return f.s.OwnerToken(t)
	}
	if caller != "obo" {
		return f.s.Login(t, f.a.AppToken, callerUser[caller], callerUser[caller]+"-password")
	}
	admin := f.s.Login(t, f.a.AppToken, "admin1", "admin1-password")
	return f.s.Must(t, 201, testserver.Request{Method: "POST", Path: "/api/v1/tokens", AppToken: f.a.AppToken, Token: admin,
		JSON: map[string]any{"user": f.ids["mem"]}}).String("token")
}

// setup makes a request as acme's first owner and requires status want.
func (f *permFixture) setup(t *testing.T, want int, method, path string, body any) *testserver.Response {
	t.Helper()
	return f.s.Must(t, want, testserver.Request{Method: method, Path: path, AppToken: f.a.AppToken, Token: f.a.OwnerToken, JSON: body})
}

var placeholder = regexp.MustCompile(`\{[a-z0-9]+\}`)

// expand fills the placeholders of s for one request by caller, making
// fresh resources as it goes (vals holds what this request made already):
//
//	{app} {apptext}        a new app token: its id, its string
//	{mem2tok}              a new token of mem2 (another user for every caller)
//	{owntok}               a new token of the caller's user
//	{victim} {victimowner} a new member, a new owner
//	{uniq}                 a new unique username
//	{self}                 the caller's user id
//	{mem} {mem2} {admin2} {owner2}   fixed users
//	{bapp} {bapptext} {btok} {btoktext} {bowner}   globex's
func (f *permFixture) expand(t *testing.T, caller, s string, vals map[string]string) string {
	t.Helper()
	return placeholder.ReplaceAllStringFunc(s, func(m string) string {
		name := m[1 : len(m)-1]
		if v, ok := vals[name]; ok {
			return v
		}
		if v, ok := f.other[name]; ok {
			return v
		}
		if id, ok := f.ids[name]; ok {
			return id
		}
		switch name {
		case "app", "apptext":
			r := f.setup(t, 201, "POST", "/api/v1/app_tokens", map[string]any{})
			vals["app"], vals["apptext"] = r.String("id"), r.String("app_token")
		case "mem2tok":
			vals[name] = f.setup(t, 201, "POST", "/api/v1/tokens", map[string]any{"user": f.ids["mem2"]}).String("id")
		case "owntok":
			vals[name] = f.setup(t, 201, "POST", "/api/v1/tokens", map[string]any{"user": f.ids[callerUser[caller]]}).String("id")
		case "victim", "victimowner":
			role := map[string]string{"victim": "member", "victimowner": "owner"}[name]
			vals[name] = f.s.NewUser(t, f.a.AppToken, f.a.OwnerToken, fmt.Sprintf("victim%d", f.seq.Add(1)), role)
		case "uniq":
			vals[name] = fmt.Sprintf("user%d", f.seq.Add(1))
		case "self":
			vals[name] = f.ids[callerUser[caller]]
		default:
			t.Fatalf("unknown placeholder %s", m)
		}
		return vals[name]
	})
}

func (f *permFixture) expandBody(t *testing.T, caller string, body map[string]any, vals map[string]string) any {
	t.Helper()
	if body == nil {
		return nil
	}
	out := map[string]any{}
	for k, v := range body {
		if s, ok := v.(string); ok {
			v = f.expand(t, caller, s, vals)
		}
		out[k] = v
	}
	return out
}

// matrixRow is one request of the matrix and its status for each caller,
// in the order of callers.
type matrixRow struct {
	method, path string
	body         map[string]any
	want         [5]int
}

func w(owner, admin, support, member, obo int) [5]int {
	return [5]int{owner, admin, support, member, obo}
}

// TestPermissionMatrix checks the permission matrix role by role: every row is sent by an
// owner, an admin, a support user, a member and an OBO token (admin1 for
// mem), each with fresh targets; credentials are renewed after every row
// that may end them (logout, expire_tokens).
func TestPermissionMatrix(t *testing.T) {
	f := newPermFixture(t)
	newUser := func(role string) map[string]any {
		return map[string]any{"username": "{uniq}", "password": "secret-password", "email": "{uniq}@acme.test", "role": role}
	}
	rows := []matrixRow{
		// App tokens: support may list, view, expire and delete, but not
		// create or extend; members (and an OBO token for one) nothing.
		{"POST", "/api/v1/app_tokens", map[string]any{"name": "ci"}, w(201, 201, 403, 403, 403)},
		{"GET", "/api/v1/app_tokens", nil, w(200, 200, 200, 403, 403)},
		{"GET", "/api/v1/app_tokens/{app}", nil, w(200, 200, 200, 403, 403)},
		{"GET", "/api/v1/app_tokens/{apptext}", nil, w(200, 200, 200, 403, 403)},
		{"PATCH", "/api/v1/app_tokens/{app}", map[string]any{"seconds_until_expire": 3600}, w(200, 200, 403, 403, 403)},
		{"PATCH", "/api/v1/app_tokens/{app}", map[string]any{"seconds_until_expire": -1}, w(200, 200, 200, 403, 403)},
		{"PATCH", "/api/v1/app_tokens/{apptext}", map[string]any{"seconds_until_expire": 0}, w(200, 200, 200, 403, 403)},
		{"DELETE", "/api/v1/app_tokens/{app}", nil, w(204, 204, 204, 403, 403)},
		{"DELETE", "/api/v1/app_tokens/{apptext}", nil, w(204, 204, 204, 403, 403)},
		{"PUT", "/api/v1/app_tokens/{app}", map[string]any{}, w(405, 405, 405, 405, 405)},

		// Users: admins manage everyone but owners; support may look.
		{"GET", "/api/v1/users", nil, w(200, 200, 200, 403, 403)},
		{"GET", "/api/v1/users/me", nil, w(200, 200, 200, 200, 200)},
		{"GET", "/api/v1/users/{self}", nil, w(200, 200, 200, 200, 200)},
		{"GET", "/api/v1/users/{mem2}", nil, w(200, 200, 200, 403, 403)},
		{"POST", "/api/v1/users", newUser("member"), w(201, 201, 403, 403, 403)},
		{"POST", "/api/v1/users", newUser("admin"), w(201, 201, 403, 403, 403)},
		{"POST", "/api/v1/users", newUser("owner"), w(201, 403, 403, 403, 403)},
		{"PATCH", "/api/v1/users/{victim}", map[string]any{"email": "new@acme.test"}, w(200, 200, 403, 403, 403)},
		{"PATCH", "/api/v1/users/{victim}", map[string]any{"role": "support"}, w(200, 200, 403, 403, 403)},
		{"PATCH", "/api/v1/users/{victim}", map[string]any{"role": "owner"}, w(200, 403, 403, 403, 403)},
		{"PATCH", "/api/v1/users/{victimowner}", map[string]any{"email": "new@acme.test"}, w(200, 403, 403, 403, 403)},
		{"PATCH", "/api/v1/users/{victimowner}", map[string]any{"status": "disabled"}, w(200, 403, 403, 403, 403)},
		{"PATCH", "/api/v1/users/{self}", map[string]any{"email": "me@acme.test"}, w(200, 200, 200, 200, 200)},
		{"DELETE", "/api/v1/users/{victim}", nil, w(204, 204, 403, 403, 403)},
		{"DELETE", "/api/v1/users/{victimowner}", nil, w(204, 403, 403, 403, 403)},

		// Personal and OBO tokens: everyone makes personal tokens but an
		// OBO token; admins issue OBO tokens for users up to admin.
		{"POST", "/api/v1/tokens", map[string]any{}, w(201, 201, 201, 201, 403)},
		{"POST", "/api/v1/tokens", map[string]any{"user": "{self}"}, w(201, 201, 201, 201, 403)},
		{"POST", "/api/v1/tokens", map[string]any{"user": "{mem2}"}, w(201, 201, 403, 403, 403)},
		{"POST", "/api/v1/tokens", map[string]any{"user": "{admin2}"}, w(201, 201, 403, 403, 403)},
		{"POST", "/api/v1/tokens", map[string]any{"user": "{owner2}"}, w(201, 403, 403, 403, 403)},

		// Any user token: support and up list, view, expire and delete;
		// admins and up extend; members only their own, and another
		// user's token does not exist for them.
		{"GET", "/api/v1/tokens", nil, w(200, 200, 200, 200, 200)},
		{"GET", "/api/v1/tokens?user={mem2}", nil, w(200, 200, 200, 200, 200)},
		{"GET", "/api/v1/tokens/{owntok}", nil, w(200, 200, 200, 200, 200)},
		{"GET", "/api/v1/tokens/{mem2tok}", nil, w(200, 200, 200, 404, 404)},
		{"PATCH", "/api/v1/tokens/{owntok}", map[string]any{"seconds_until_expire": 600}, w(200, 200, 200, 200, 200)},
		{"PATCH", "/api/v1/tokens/{owntok}", map[string]any{"seconds_until_expire": -1}, w(200, 200, 200, 200, 200)},
		{"PATCH", "/api/v1/tokens/{mem2tok}", map[string]any{"seconds_until_expire": 600}, w(200, 200, 403, 404, 404)},
		{"PATCH", "/api/v1/tokens/{mem2tok}", map[string]any{"seconds_until_expire": -1}, w(200, 200, 200, 404, 404)},
		{"DELETE", "/api/v1/tokens/{owntok}", nil, w(204, 204, 204, 204, 204)},
		{"DELETE", "/api/v1/tokens/{mem2tok}", nil, w(204, 204, 204, 404, 404)},
		{"PUT", "/api/v1/tokens/{owntok}", map[string]any{}, w(405, 405, 405, 405, 405)},
		{"POST", "/api/v1/users/{mem2}/expire_tokens", nil, w(200, 200, 200, 403, 403)},
		{"POST", "/api/v1/users/{owner2}/expire_tokens", nil, w(200, 200, 200, 403, 403)},
		{"POST", "/api/v1/users/{self}/expire_tokens", nil, w(200, 200, 200, 200, 200)},
		// Unlock: support and up, on any role (it makes no credential).
		{"POST", "/api/v1/users/{mem2}/unlock", nil, w(204, 204, 204, 403, 403)},
		{"POST", "/api/v1/users/{owner2}/unlock", nil, w(204, 204, 204, 403, 403)},
		{"POST", "/api/v1/users/{self}/unlock", nil, w(204, 204, 204, 403, 403)},

		// Own session: every role.
		{"GET", "/api/v1/token", nil, w(200, 200, 200, 200, 200)},
		{"PATCH", "/api/v1/token", map[string]any{"seconds_until_expire": 600}, w(200, 200, 200, 200, 200)},
		{"DELETE", "/api/v1/token", nil, w(204, 204, 204, 204, 204)},

		// Audit: support and up.
		{"GET", "/api/v1/audit", nil, w(200, 200, 200, 403, 403)},

		// Tenants: only owners of the platform tenant; acme's owners are not.
		{"GET", "/api/v1/tenants", nil, w(403, 403, 403, 403, 403)},
		{"GET", "/api/v1/tenants/acme", nil, w(403, 403, 403, 403, 403)},
		{"POST", "/api/v1/tenants", map[string]any{"slug": "{uniq}", "name": "x"}, w(403, 403, 403, 403, 403)},
		{"PATCH", "/api/v1/tenants/acme", map[string]any{"status": "disabled"}, w(403, 403, 403, 403, 403)},
		{"DELETE", "/api/v1/tenants/acme?confirm=acme", nil, w(403, 403, 403, 403, 403)},
	}
	for _, row := range rows {
		for i, caller := range callers {
			want := row.want[i]
			t.Run(fmt.Sprintf("%s %s %v as %s", row.method, row.path, row.body, caller), func(t *testing.T) {
				vals := map[string]string{}
				path := f.expand(t, caller, row.path, vals)
				body := f.expandBody(t, caller, row.body, vals)
				r := f.s.Do(t, testserver.Request{Method: row.method, Path: path, AppToken: f.a.AppToken,
					Token: f.token(t, caller), JSON: body})
				if strings.Contains(row.path, "expire_tokens") || row.method+" "+row.path == "DELETE /api/v1/token" {
					f.forget()
				}
				if r.Status != want {
					t.Fatalf("got status %d, want %d; body %s", r.Status, want, r.Body)
				}
				if want == http.StatusForbidden || want == http.StatusNotFound {
					if len(r.Errors()) == 0 {
						t.Errorf("a %d without an errors object: %s", want, r.Body)
					}
				}
			})
		}
	}
	// The tenant routes do work for the platform's owner.
	f.s.Must(t, 200, testserver.Request{Method: "GET", Path: "/api/v1/tenants/acme", AppToken: f.s.AppToken, Token: f.token(t, "platform")})
}

// TestOBOCappedByIssuer checks that an OBO token never has more rights than
// the admin who issued it, even when its user is promoted later or the
// issuer is demoted.
func TestOBOCappedByIssuer(t *testing.T) {
	f := newPermFixture(t)
	admin := f.token(t, "admin")
	// admin1 may issue for admin2 (users up to admin).
	obo := f.s.Must(t, 201, testserver.Request{Method: "POST", Path: "/api/v1/tokens", AppToken: f.a.AppToken, Token: admin,
		JSON: map[string]any{"user": f.ids["admin2"]}}).String("token")
	as := func(tok string) func(method, path string, body any) int {
		return func(method, path string, body any) int {
			return f.s.Do(t, testserver.Request{Method: method, Path: path, AppToken: f.a.AppToken, Token: tok, JSON: body}).Status
		}
	}(obo)
	newOwner := func() map[string]any {
		n := fmt.Sprintf("newowner%d", f.seq.Add(1))
		return map[string]any{"username": n, "password": "secret-password", "email": n + "@acme.test", "role": "owner"}
	}
	toOwner := map[string]any{"role": "owner"}
	// Acting as admin2, an admin: admin rights, but it makes no credential
	// (TestOBOMakesNoCredential has the rest).
	steps := []struct {
		name         string
		method, path string
		body         any
		want         int
	}{
		{"acts as its user", "GET", "/api/v1/users/me", nil, 200},
		{"an admin's rights: change a member's role", "PATCH", "/api/v1/users/" + f.ids["mem2"], map[string]any{"role": "support"}, 200},
		{"cannot issue OBO tokens", "POST", "/api/v1/tokens", map[string]any{"user": f.ids["mem"]}, 403},
		{"cannot make a personal token either", "POST", "/api/v1/tokens", map[string]any{}, 403},
		{"no owner rights", "PATCH", "/api/v1/users/" + f.ids["mem2"], toOwner, 403},
	}
	for _, st := range steps {
		if got := as(st.method, st.path, st.body); got != st.want {
			t.Errorf("%s: %s %s: got %d, want %d", st.name, st.method, st.path, got, st.want)
		}
	}

	// admin2 becomes an owner: its own login may now create owners, the
	// OBO token stays capped at its issuer's admin role.
	f.setup(t, 200, "PATCH", "/api/v1/users/"+f.ids["admin2"], map[string]any{"role": "owner"})
	own := f.s.Login(t, f.a.AppToken, "admin2", "admin2-password")
	f.s.Must(t, 201, testserver.Request{Method: "POST", Path: "/api/v1/users", AppToken: f.a.AppToken, Token: own, JSON: newOwner()})
	if got := as("PATCH", "/api/v1/users/"+f.ids["mem2"], toOwner); got != 403 {
		t.Errorf("after its user became an owner, the OBO token made an owner: got %d, want 403", got)
	}
	if got := as("PATCH", "/api/v1/users/"+f.ids["owner2"], map[string]any{"email": "x@acme.test"}); got != 403 {
		t.Errorf("after its user became an owner, the OBO token changed an owner: got %d, want 403", got)
	}

	// admin1 is demoted to member: the OBO token falls to member rights.
	f.setup(t, 200, "PATCH", "/api/v1/users/"+f.ids["admin1"], map[string]any{"role": "member"})
	for _, st := range []struct {
		method, path string
		want         int
	}{
		{"GET", "/api/v1/users", 403},
		{"GET", "/api/v1/audit", 403},
		{"GET", "/api/v1/app_tokens", 403},
		{"GET", "/api/v1/users/me", 200},
	} {
		if got := as(st.method, st.path, nil); got != st.want {
			t.Errorf("issuer demoted to member: %s %s: got %d, want %d", st.method, st.path, got, st.want)
		}
	}

	// admin1 is disabled: the OBO token stops, and re-enabling admin1 does
	// not bring it back: it was expired for good.
	f.setup(t, 200, "PATCH", "/api/v1/users/"+f.ids["admin1"], map[string]any{"status": "disabled"})
	if got := as("GET", "/api/v1/users/me", nil); got != 401 {
		t.Errorf("issuer disabled: got %d, want 401", got)
	}
	f.setup(t, 200, "PATCH", "/api/v1/users/"+f.ids["admin1"], map[string]any{"status": "active"})
	if got := as("GET", "/api/v1/users/me", nil); got != 401 {
		t.Errorf("issuer enabled again: got %d, want 401 (the OBO token stays expired)", got)
	}
}

// TestTenantIsolation uses globex's ids and tokens from acme: ids are 404,
// credentials 401, and globex's resources survive every attempt.
func TestTenantIsolation(t *testing.T) {
	f := newPermFixture(t)
	rows := []struct {
		method, path string
		body         map[string]any
		want         int
		field        string
	}{
		{"GET", "/api/v1/tokens/{btok}", nil, 404, "token"},
		{"GET", "/api/v1/tokens/{btoktext}", nil, 404, "token"},
		{"PATCH", "/api/v1/tokens/{btok}", map[string]any{"seconds_until_expire": -1}, 404, "token"},
		{"PATCH", "/api/v1/tokens/{btoktext}", map[string]any{"seconds_until_expire": -1}, 404, "token"},
		{"DELETE", "/api/v1/tokens/{btok}", nil, 404, "token"},
		{"DELETE", "/api/v1/tokens/{btoktext}", nil, 404, "token"},
		{"GET", "/api/v1/app_tokens/{bapp}", nil, 404, "token"},
		{"GET", "/api/v1/app_tokens/{bapptext}", nil, 404, "token"},
		{"PATCH", "/api/v1/app_tokens/{bapp}", map[string]any{"seconds_until_expire": -1}, 404, "token"},
		{"PATCH", "/api/v1/app_tokens/{bapptext}", map[string]any{"seconds_until_expire": -1}, 404, "token"},
		{"DELETE", "/api/v1/app_tokens/{bapp}", nil, 404, "token"},
		{"DELETE", "/api/v1/app_tokens/{bapptext}", nil, 404, "token"},
		{"GET", "/api/v1/users/{bowner}", nil, 404, "user"},
		{"PATCH", "/api/v1/users/{bowner}", map[string]any{"status": "disabled"}, 404, "user"},
		{"DELETE", "/api/v1/users/{bowner}", nil, 404, "user"},
		{"POST", "/api/v1/users/{bowner}/expire_tokens", nil, 404, "user"},
		{"POST", "/api/v1/tokens", map[string]any{"user": "{bowner}"}, 404, "user"},
	}
	for _, row := range rows {
		t.Run(row.method+" "+row.path, func(t *testing.T) {
			path := f.expand(t, "owner", row.path, map[string]string{})
			body := f.expandBody(t, "owner", row.body, map[string]string{})
			r := f.s.Do(t, testserver.Request{Method: row.method, Path: path, AppToken: f.a.AppToken, Token: f.token(t, "owner"), JSON: body})
			if r.Status != row.want {
				t.Fatalf("got status %d, want %d; body %s", r.Status, row.want, r.Body)
			}
			if _, ok := r.Errors()[row.field]; !ok || len(r.Errors()) != 1 {
				t.Errorf("errors: got %v, want only %q", r.Errors(), row.field)
			}
		})
	}

	// Credentials of one tenant never authenticate in another.
	creds := []struct {
		name            string
		appToken, token string
	}{
		{"acme's token with globex's app token", f.b.AppToken, f.token(t, "owner")},
		{"globex's token with acme's app token", f.a.AppToken, f.other["btoktext"]},
		{"globex's app token as a user token", f.a.AppToken, f.other["bapptext"]},
	}
	for _, c := range creds {
		r := f.s.Do(t, testserver.Request{Method: "GET", Path: "/api/v1/users/me", AppToken: c.appToken, Token: c.token})
		if r.Status != http.StatusUnauthorized {
			t.Errorf("%s: got %d, want 401", c.name, r.Status)
		}
		if r.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s: a 401 without WWW-Authenticate", c.name)
		}
	}

	// globex is untouched: its token and app token still work, its owner
	// is still active.
	r := f.s.Must(t, 200, testserver.Request{Method: "GET", Path: "/api/v1/users/" + f.b.OwnerID, AppToken: f.other["bapptext"], Token: f.other["btoktext"]})
	if got := r.String("status"); got != "active" {
		t.Errorf("globex's owner: got status %q, want active", got)
	}
	if strings.Contains(string(r.Body), "acme") {
		t.Errorf("globex's answer mentions acme: %s", r.Body)
	}
}
