package admin_test

import (
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/testserver"
)

func newTenantBody(slug string) map[string]any {
	return map[string]any{"slug": slug, "name": "Tenant " + slug,
		"admin": map[string]any{"username": "boss", "password": "boss-password", "email": "boss@example.test"}}
}

func TestTenantsCreate(t *testing.T) {
	s := testserver.StartWith(t, testserver.Options{Clock: zonedClock()})
	owner := s.OwnerToken(t)
	create := func(token string, body any) testserver.Request {
		return testserver.Request{Method: "POST", Path: "/api/v1/tenants", AppToken: s.AppToken, Token: token, JSON: body}
	}
	var created struct{ id, appToken, adminID string }
	cases := []coreCase{
		{name: "create", req: create(owner, newTenantBody("acme")), status: 201, check: func(t *testing.T, r *testserver.Response) {
			tn, adm := objOf(r, "tenant"), objOf(r, "admin")
			created.id, _ = tn["id"].(string)
			created.adminID, _ = adm["id"].(string)
			created.appToken = r.String("app_token")
			if len(created.id) != 8 || tn["slug"] != "acme" || tn["name"] != "Tenant acme" || tn["status"] != "active" {
				t.Errorf("tenant: got %v", tn)
			}
			if !hexID.MatchString(created.adminID) || adm["username"] != "boss" || len(adm) != 2 {
				t.Errorf("admin: got %v, want {id, username: boss}", adm)
			}
			if !strings.HasPrefix(created.appToken, "lka_"+created.id+"_") {
				t.Errorf("app_token: got %q, want lka_%s_…", created.appToken, created.id)
			}
			st, _ := tn["settings"].(map[string]any)
			for k, want := range map[string]float64{"app_token_ttl": 200 * 365 * 86400, "user_token_ttl": 86400, "long_token_ttl": 30 * 86400,
				"obo_token_ttl": 86400, "refresh_token_ttl": 30 * 86400, "max_token_ttl": 90 * 86400, "lockout_attempts": 5,
				"lockout_window": 900, "lockout_duration": 900} {
				if st[k] != want {
					t.Errorf("settings.%s: got %v, want %v", k, st[k], want)
				}
			}
			if st["allow_signup"] != false {
				t.Errorf("settings.allow_signup: got %v, want false", st["allow_signup"])
			}
			wantTime(t, "created", tn["created"], s.Clock.Now())
			if !s.DatabaseExists(t, created.id) {
				t.Errorf("no database of tenant %s", created.id)
			}
		}},
		{name: "duplicate slug", req: create(owner, newTenantBody("acme")), status: 409,
			errors: map[string]string{"slug": "A tenant with this slug already exists."}},
		{name: "the platform's slug", req: create(owner, newTenantBody("platform")), status: 409, errors: map[string]string{"slug": "*"}},
		{name: "every field missing", req: create(owner, map[string]any{}), status: 400,
			errors: map[string]string{"slug": "*", "name": "*", "admin.username": "*", "admin.password": "*", "admin.email": "*"}},
		{name: "bad settings", req: create(owner, map[string]any{"slug": "setty", "name": "S", "settings": map[string]any{"user_token_ttl": 0, "lockout_attempts": 1000},
			"admin": map[string]any{"username": "boss", "password": "boss-password", "email": "b@example.test"}}), status: 400,
			errors: map[string]string{"settings.user_token_ttl": "*", "settings.lockout_attempts": "*"}},
		{name: "unknown field", req: create(owner, map[string]any{"slug": "x1", "name": "x", "owner": "me"}), status: 400, errors: map[string]string{"owner": "Unknown field."}},
		{name: "wrong type in admin", req: create(owner, map[string]any{"slug": "x1", "name": "x", "admin": map[string]any{"username": 7}}), status: 400,
			errors: map[string]string{"admin.username": "Must be a string."}},
		{name: "settings apply", req: create(owner, map[string]any{"slug": "longer", "name": "L", "settings": map[string]any{"long_token_ttl": 3600, "allow_signup": true},
			"admin": map[string]any{"username": "boss", "password": "boss-password", "email": "b@example.test"}}), status: 201,
			check: func(t *testing.T, r *testserver.Response) {
				st, _ := objOf(r, "tenant")["settings"].(map[string]any)
				if st["long_token_ttl"] != float64(3600) || st["allow_signup"] != true {
					t.Errorf("settings: got %v", st)
				}
			}},
	}
	for slug, ok := range map[string]bool{"ab": true, "a-b-c": true, "a1": true, "z" + strings.Repeat("9", 38): true,
		"a": false, "1abc": false, "Abc": false, "a_b": false, "a.b": false, "-ab": false, "z" + strings.Repeat("9", 39): false, "ab c": false} {
		tc := coreCase{name: "slug " + slug, req: create(owner, newTenantBody(slug)), status: 201}
		if !ok {
			tc.status, tc.errors = 400, map[string]string{"slug": "*"}
		}
		cases = append(cases, tc)
	}
	runCoreCases(t, s, cases)

	// The new tenant works: its owner logs in with its app token.
	tok := s.Login(t, created.appToken, "boss", "boss-password")
	me := s.Must(t, 200, testserver.Request{Method: "GET", Path: "/api/v1/users/me", AppToken: created.appToken, Token: tok})
	if me.String("id") != created.adminID || me.String("role") != "owner" {
		t.Errorf("got %s, want the new owner", me.Body)
	}
}

func TestTenantsOnlyPlatformOwners(t *testing.T) {
	s := testserver.Start(t)
	owner := s.OwnerToken(t)
	a := s.NewTenant(t, "acme")
	s.NewUser(t, s.AppToken, owner, "padmin", "admin")
	padmin := s.Login(t, s.AppToken, "padmin", "padmin-password")
	for name, req := range map[string]testserver.Request{
		"another tenant's owner lists": {Method: "GET", Path: "/api/v1/tenants", AppToken: a.AppToken, Token: a.OwnerToken},
		"another tenant's owner creates": {Method: "POST", Path: "/api/v1/tenants", AppToken: a.AppToken, Token: a.OwnerToken,
			JSON: newTenantBody("sneaky")},
		"another tenant's owner disables": {Method: "PATCH", Path: "/api/v1/tenants/acme", AppToken: a.AppToken, Token: a.OwnerToken,
			JSON: map[string]any{"status": "disabled"}},
		"a platform admin lists":   {Method: "GET", Path: "/api/v1/tenants", AppToken: s.AppToken, Token: padmin},
		"a platform admin gets":    {Method: "GET", Path: "/api/v1/tenants/acme", AppToken: s.AppToken, Token: padmin},
		"a platform admin deletes": {Method: "DELETE", Path: "/api/v1/tenants/acme?confirm=acme", AppToken: s.AppToken, Token: padmin},
	} {
		r := s.Do(t, req)
		if r.Status != 403 {
			t.Errorf("%s: got %d, want 403; %s", name, r.Status, r.Body)
			continue
		}
		testserver.WantErrors(t, r, map[string]string{"permission": "*"})
	}
	// Nothing changed.
	r := s.Must(t, 200, testserver.Request{Method: "GET", Path: "/api/v1/tenants/acme", AppToken: s.AppToken, Token: owner})
	if r.String("status") != "active" {
		t.Errorf("got %s, want acme still active", r.Body)
	}
	s.Must(t, 404, testserver.Request{Method: "GET", Path: "/api/v1/tenants/sneaky", AppToken: s.AppToken, Token: owner})
}

func TestTenantsReadAndUpdate(t *testing.T) {
	s := testserver.StartWith(t, testserver.Options{Clock: zonedClock()})
	owner := s.OwnerToken(t)
	a := s.NewTenant(t, "acme")
	s.NewTenant(t, "globex")
	req := func(method, path string, body any) testserver.Request {
		return testserver.Request{Method: method, Path: "/api/v1/tenants" + path, AppToken: s.AppToken, Token: owner, JSON: body}
	}
	slugs := func(want ...string) func(t *testing.T, r *testserver.Response) {
		return func(t *testing.T, r *testserver.Response) {
			var got []string
			for _, it := range itemsOf(t, r) {
				got = append(got, it["slug"].(string))
			}
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("got %v, want %v", got, want)
			}
		}
	}
	runCoreCases(t, s, []coreCase{
		{name: "list", req: req("GET", "/", nil), status: 200, check: slugs("acme", "globex", "platform")},
		{name: "list a page", req: req("GET", "?limit=2", nil), status: 200, check: func(t *testing.T, r *testserver.Response) {
			slugs("acme", "globex")(t, r)
			if r.JSON["next_cursor"] != "globex" {
				t.Errorf("next_cursor: got %v, want globex", r.JSON["next_cursor"])
			}
		}},
		{name: "list the next page", req: req("GET", "?limit=2&cursor=globex", nil), status: 200, check: slugs("platform")},
		{name: "get by slug", req: req("GET", "/acme", nil), status: 200, check: func(t *testing.T, r *testserver.Response) {
			if r.String("id") != a.ID || r.String("slug") != "acme" {
				t.Errorf("got %s", r.Body)
			}
			wantUTC(t, "created", r.JSON["created"])
			wantUTC(t, "updated", r.JSON["updated"])
		}},
		{name: "get by id", req: req("GET", "/"+a.ID+"/", nil), status: 200, check: func(t *testing.T, r *testserver.Response) {
			if r.String("slug") != "acme" {
				t.Errorf("got %s", r.Body)
			}
		}},
		{name: "get unknown", req: req("GET", "/nosuch", nil), status: 404, errors: map[string]string{"tenant": "No such tenant."}},
		{name: "get nonsense", req: req("GET", "/NO_SUCH!", nil), status: 404, errors: map[string]string{"tenant": "No such tenant."}},
		{name: "rename", req: req("PATCH", "/acme", map[string]any{"name": "Acme Inc."}), status: 200, check: func(t *testing.T, r *testserver.Response) {
			if r.String("name") != "Acme Inc." || r.String("slug") != "acme" {
				t.Errorf("got %s", r.Body)
			}
			wantTime(t, "updated", r.JSON["updated"], s.Clock.Now())
		}},
		{name: "settings", req: req("PATCH", "/acme", map[string]any{"settings": map[string]any{"max_token_ttl": 3600}}), status: 400,
			errors: map[string]string{"settings.user_token_ttl": "*", "settings.long_token_ttl": "*", "settings.obo_token_ttl": "*"}},
		{name: "every bad field", req: req("PATCH", "/acme", map[string]any{"name": "", "status": "gone"}), status: 400,
			errors: map[string]string{"name": "*", "status": "Must be one of: active, disabled."}},
		{name: "slug cannot change", req: req("PATCH", "/acme", map[string]any{"slug": "acme2"}), status: 400, errors: map[string]string{"slug": "Unknown field."}},
		{name: "patch unknown", req: req("PATCH", "/nosuch", map[string]any{"name": "x"}), status: 404, errors: map[string]string{"tenant": "*"}},
		{name: "the platform cannot be disabled", req: req("PATCH", "/platform", map[string]any{"status": "disabled"}), status: 409,
			errors: map[string]string{"status": "The platform tenant cannot be disabled."}},
		{name: "the platform still works", req: testserver.Request{Method: "GET", Path: "/api/v1/users/me", AppToken: s.AppToken, Token: owner}, status: 200},
	})
}

func TestTenantsDelete(t *testing.T) {
	s := testserver.Start(t)
	owner := s.OwnerToken(t)
	a := s.NewTenant(t, "acme")
	g := s.NewTenant(t, "globex")
	del := func(ref, query string) testserver.Request {
		return testserver.Request{Method: "DELETE", Path: "/api/v1/tenants/" + ref + query, AppToken: s.AppToken, Token: owner}
	}
	runCoreCases(t, s, []coreCase{
		{name: "without confirm", req: del("acme", ""), status: 400, errors: map[string]string{"confirm": "*"}},
		{name: "with the wrong confirm", req: del("acme", "?confirm=globex"), status: 400, errors: map[string]string{"confirm": "*"}},
		{name: "with the id as confirm", req: del("acme", "?confirm="+a.ID), status: 400, errors: map[string]string{"confirm": "*"}},
		{name: "still there", req: testserver.Request{Method: "GET", Path: "/api/v1/users/me", AppToken: a.AppToken, Token: a.OwnerToken}, status: 200},
		{name: "the platform", req: del("platform", "?confirm=platform"), status: 409, errors: map[string]string{"tenant": "The platform tenant cannot be deleted."}},
		{name: "unknown", req: del("nosuch", "?confirm=nosuch"), status: 404, errors: map[string]string{"tenant": "*"}},
		{name: "by slug", req: del("acme", "?confirm=acme"), status: 204},
		{name: "again", req: del("acme", "?confirm=acme"), status: 404},
		{name: "its tokens stop", req: testserver.Request{Method: "GET", Path: "/api/v1/users/me", AppToken: a.AppToken, Token: a.OwnerToken}, status: 401,
			errors: map[string]string{"App-Token": "Invalid or expired app token."}},
		{name: "its login stops", req: testserver.Request{Method: "POST", Path: "/api/v1/token", AppToken: a.AppToken,
			JSON: map[string]any{"username": "owner", "password": "owner-password"}}, status: 401},
		{name: "gone from the list", req: testserver.Request{Method: "GET", Path: "/api/v1/tenants/acme", AppToken: s.AppToken, Token: owner}, status: 404},
		{name: "by id", req: del(g.ID, "?confirm=globex"), status: 204},
		{name: "the platform still works", req: testserver.Request{Method: "GET", Path: "/api/v1/users/me", AppToken: s.AppToken, Token: owner}, status: 200},
	})
	for _, id := range []string{a.ID, g.ID} {
		if s.DatabaseExists(t, id) {
			t.Errorf("the database of tenant %s is still there", id)
		}
	}
	if !s.DatabaseExists(t, s.TenantID) {
		t.Errorf("the platform's database is gone")
	}
	// The slug can be used again, for a new, empty tenant.
	n := s.NewTenant(t, "acme")
	if n.ID == a.ID {
		t.Errorf("the new acme has the old id %s", a.ID)
	}
	s.Must(t, 401, testserver.Request{Method: "GET", Path: "/api/v1/users/me", AppToken: a.AppToken, Token: a.OwnerToken})
}
