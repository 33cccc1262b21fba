package scopes_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/testserver"
)

const api = "/api/v1"

// fixture is a server with a catalog (orders.read, orders.write,
// reports.read) and a tenant acme.
type fixture struct {
	s     *testserver.Server
	owner string // the platform owner's login token
	acme  *testserver.Tenant
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	s := testserver.Start(t)
	f := &fixture{s: s, owner: s.OwnerToken(t)}
	for _, n := range []string{"orders.read", "orders.write", "reports.read"} {
		f.put(t, http.StatusOK, n, "Scope "+n+".")
	}
	f.acme = s.NewTenant(t, "acme")
	return f
}

func (f *fixture) put(t *testing.T, want int, name, desc string) *testserver.Response {
	t.Helper()
	return f.s.Must(t, want, testserver.Request{Method: "PUT", Path: api + "/scopes/" + name, AppToken: f.s.AppToken,
		Token: f.owner, JSON: map[string]any{"description": desc}})
}

// appToken makes an app token of acme with body and returns its string.
func (f *fixture) appToken(t *testing.T, body map[string]any) *testserver.Response {
	t.Helper()
	return f.s.Must(t, http.StatusCreated, testserver.Request{Method: "POST", Path: api + "/app_tokens", AppToken: f.acme.AppToken,
		Token: f.acme.OwnerToken, JSON: body})
}

func (f *fixture) verify(t *testing.T, query, appToken, token string) *testserver.Response {
	t.Helper()
	return f.s.Do(t, testserver.Request{Method: "GET", Path: api + "/verify" + query, AppToken: appToken, Token: token})
}

func names(r *testserver.Response) []string {
	var out []string
	for _, it := range r.JSON["items"].([]any) {
		out = append(out, it.(map[string]any)["name"].(string))
	}
	return out
}

// TestCatalog: the built-in latchkey:admin is listed first and can be
// neither redefined nor deleted; names follow the pattern and the reserved
// prefix; only platform owners change the catalog; any caller reads it.
func TestCatalog(t *testing.T) {
	f := newFixture(t)
	list := f.s.Must(t, http.StatusOK, testserver.Request{Method: "GET", Path: api + "/scopes/", AppToken: f.acme.AppToken, Token: f.acme.OwnerToken})
	if got, want := names(list), []string{"latchkey:admin", "orders.read", "orders.write", "reports.read"}; !slices.Equal(got, want) {
		t.Fatalf("catalog: got %v, want %v", got, want)
	}
	for name, field := range map[string]string{"latchkey:admin": "name", "latchkey:other": "name", "Orders": "name",
		"9lives": "name", strings.Repeat("a", 65): "name"} {
		r := f.s.Do(t, testserver.Request{Method: "PUT", Path: api + "/scopes/" + name, AppToken: f.s.AppToken, Token: f.owner,
			JSON: map[string]any{"description": "x"}})
		if r.Status != http.StatusBadRequest || r.Errors()[field] == nil {
			t.Errorf("PUT %s: got %d %s, want 400 on %s", name, r.Status, r.Body, field)
		}
	}
	r := f.s.Do(t, testserver.Request{Method: "DELETE", Path: api + "/scopes/latchkey:admin", AppToken: f.s.AppToken, Token: f.owner})
	if r.Status != http.StatusBadRequest {
		t.Errorf("DELETE latchkey:admin: got %d %s, want 400", r.Status, r.Body)
	}
	// A tenant's owner is no platform owner.
	r = f.s.Do(t, testserver.Request{Method: "PUT", Path: api + "/scopes/x.y", AppToken: f.acme.AppToken, Token: f.acme.OwnerToken,
		JSON: map[string]any{"description": "x"}})
	if r.Status != http.StatusForbidden {
		t.Errorf("PUT by a tenant owner: got %d %s, want 403", r.Status, r.Body)
	}
	// Redefining keeps created and changes the description.
	first := f.put(t, http.StatusOK, "orders.read", "Read orders.")
	if first.String("description") != "Read orders." {
		t.Errorf("PUT again: got %s", first.Body)
	}
	f.s.Must(t, http.StatusNoContent, testserver.Request{Method: "DELETE", Path: api + "/scopes/reports.read", AppToken: f.s.AppToken, Token: f.owner})
	f.s.Must(t, http.StatusNotFound, testserver.Request{Method: "DELETE", Path: api + "/scopes/reports.read", AppToken: f.s.AppToken, Token: f.owner})
}

// TestDeleteHeldScope: a scope a live token holds is 409 to delete, in any
// tenant, app token or user token; once the holder has expired it goes.
func TestDeleteHeldScope(t *testing.T) {
	f := newFixture(t)
	del := func() *testserver.Response {
		return f.s.Do(t, testserver.Request{Method: "DELETE", Path: api + "/scopes/orders.write", AppToken: f.s.AppToken, Token: f.owner})
	}
	app := f.appToken(t, map[string]any{"scopes": []string{"orders.write"}})
	if r := del(); r.Status != http.StatusConflict {
		t.Fatalf("delete held by an app token: got %d %s, want 409", r.Status, r.Body)
	}
	f.s.Must(t, http.StatusOK, testserver.Request{Method: "PATCH", Path: api + "/app_tokens/" + app.String("id"), AppToken: f.acme.AppToken,
		Token: f.acme.OwnerToken, JSON: map[string]any{"seconds_until_expire": -1}})
	personal := f.s.Must(t, http.StatusCreated, testserver.Request{Method: "POST", Path: api + "/tokens", AppToken: f.acme.AppToken,
		Token: f.acme.OwnerToken, JSON: map[string]any{"scopes": []string{"orders.write"}}})
	if r := del(); r.Status != http.StatusConflict {
		t.Fatalf("delete held by a personal token: got %d %s, want 409", r.Status, r.Body)
	}
	f.s.Must(t, http.StatusNoContent, testserver.Request{Method: "DELETE", Path: api + "/tokens/" + personal.String("id"), AppToken: f.acme.AppToken,
		Token: f.acme.OwnerToken})
	if r := del(); r.Status != http.StatusNoContent {
		t.Fatalf("delete with no live holder: got %d %s, want 204", r.Status, r.Body)
	}
}

// TestAppTokenScopesAndMetadata: scopes, external_id and meta at creation
// and by PATCH, checked, shown in lists with the hint, answered by /verify
// and introspection.
func TestAppTokenScopesAndMetadata(t *testing.T) {
	f := newFixture(t)
	bad := []map[string]any{
		{"scopes": []string{"nope"}},
		{"scopes": []string{"orders.read", "Bad Name"}},
		{"meta": []int{1}},
		{"meta": "text"},
		{"meta": map[string]any{"k": strings.Repeat("x", 2100)}},
		{"external_id": strings.Repeat("x", 129)},
		{"external_id": "a\u202eb"},
	}
	for _, body := range bad {
		r := f.s.Do(t, testserver.Request{Method: "POST", Path: api + "/app_tokens", AppToken: f.acme.AppToken, Token: f.acme.OwnerToken, JSON: body})
		if r.Status != http.StatusBadRequest {
			t.Errorf("POST %v: got %d %s, want 400", body, r.Status, r.Body)
		}
	}
	r := f.appToken(t, map[string]any{"name": "partner", "scopes": []string{"orders.read", "orders.read"},
		"external_id": "cust-42", "meta": map[string]any{"plan": "gold"}})
	app, id := r.String("app_token"), r.String("id")
	if got := r.JSON["scopes"]; len(got.([]any)) != 1 {
		t.Errorf("scopes: got %v, want [orders.read]", got)
	}
	if want := "lka_" + f.acme.ID + "_…" + app[len(app)-4:]; r.String("hint") != want {
		t.Errorf("hint: got %q, want %q", r.String("hint"), want)
	}
	// The list shows scopes, metadata and hint, never the secret.
	list := f.s.Must(t, http.StatusOK, testserver.Request{Method: "GET", Path: api + "/app_tokens", AppToken: f.acme.AppToken, Token: f.acme.OwnerToken})
	if strings.Contains(string(list.Body), app) || !strings.Contains(string(list.Body), `"external_id":"cust-42"`) ||
		!strings.Contains(string(list.Body), `"meta":{"plan":"gold"}`) || !strings.Contains(string(list.Body), r.String("hint")) {
		t.Errorf("list: got %s", list.Body)
	}
	// /verify with the partner's app token and the owner's login token:
	// the app token's scopes, and its metadata.
	owner := f.s.Login(t, app, "owner", "owner-password")
	v := f.verify(t, "", app, owner)
	if v.Status != http.StatusOK || v.Header.Get("X-Latchkey-Scopes") != "orders.read" ||
		v.Header.Get("X-Latchkey-External-Id") != "cust-42" || !strings.Contains(string(v.Body), `"meta":{"plan":"gold"}`) {
		t.Fatalf("verify: got %d %v %s", v.Status, v.Header, v.Body)
	}
	// Introspection lists them too.
	in := f.s.Must(t, http.StatusOK, testserver.Request{Method: "POST", Path: api + "/introspect", AppToken: app, Form: url.Values{"token": {app}}})
	if in.String("scope") != "orders.read" || in.String("external_id") != "cust-42" {
		t.Errorf("introspect: got %s", in.Body)
	}
	// PATCH: support staff may not change scopes; an admin may.
	f.s.NewUser(t, f.acme.AppToken, f.acme.OwnerToken, "sup", "support")
	sup := f.s.Login(t, f.acme.AppToken, "sup", "sup-password")
	p := f.s.Do(t, testserver.Request{Method: "PATCH", Path: api + "/app_tokens/" + id, AppToken: f.acme.AppToken, Token: sup,
		JSON: map[string]any{"scopes": nil}})
	if p.Status != http.StatusForbidden {
		t.Errorf("support PATCH scopes: got %d %s, want 403", p.Status, p.Body)
	}
	p = f.s.Do(t, testserver.Request{Method: "PATCH", Path: api + "/app_tokens/" + id, AppToken: f.acme.AppToken, Token: f.acme.OwnerToken,
		JSON: map[string]any{"scopes": []string{"unknown"}}})
	if p.Status != http.StatusBadRequest || p.Errors()["scopes"] == nil {
		t.Errorf("PATCH unknown scope: got %d %s, want 400 on scopes", p.Status, p.Body)
	}
	p = f.s.Must(t, http.StatusOK, testserver.Request{Method: "PATCH", Path: api + "/app_tokens/" + id, AppToken: f.acme.AppToken, Token: f.acme.OwnerToken,
		JSON: map[string]any{"scopes": []string{"orders.write", "orders.read"}, "meta": nil, "external_id": "cust-43"}})
	if p.JSON["meta"] != nil || p.String("external_id") != "cust-43" {
		t.Errorf("PATCH: got %s", p.Body)
	}
	// The change applies at once (this instance forgets its cache).
	if v := f.verify(t, "", app, owner); v.Header.Get("X-Latchkey-Scopes") != "orders.read orders.write" {
		t.Errorf("verify after PATCH: got %q", v.Header.Get("X-Latchkey-Scopes"))
	}
	// Unrestricted again with null.
	f.s.Must(t, http.StatusOK, testserver.Request{Method: "PATCH", Path: api + "/app_tokens/" + id, AppToken: f.acme.AppToken, Token: f.acme.OwnerToken,
		JSON: map[string]any{"scopes": nil}})
	if v := f.verify(t, "", app, owner); v.Header.Get("X-Latchkey-Scopes") != "latchkey:admin orders.read orders.write reports.read" {
		t.Errorf("verify unrestricted: got %q, want the whole catalog", v.Header.Get("X-Latchkey-Scopes"))
	}
	// An expired token cannot be changed.
	f.s.Must(t, http.StatusOK, testserver.Request{Method: "PATCH", Path: api + "/app_tokens/" + id, AppToken: f.acme.AppToken, Token: f.acme.OwnerToken,
		JSON: map[string]any{"seconds_until_expire": -1}})
	p = f.s.Do(t, testserver.Request{Method: "PATCH", Path: api + "/app_tokens/" + id, AppToken: f.acme.AppToken, Token: f.acme.OwnerToken,
		JSON: map[string]any{"name": "again"}})
	if p.Status != http.StatusConflict {
		t.Errorf("PATCH expired: got %d %s, want 409", p.Status, p.Body)
	}
}

// TestEffectiveScopes: the intersection of the app token's and the user
// token's scopes; /verify?scope= requires each; a personal token's scopes
// lie within the issuing request's.
func TestEffectiveScopes(t *testing.T) {
	f := newFixture(t)
	app := f.appToken(t, map[string]any{"scopes": []string{"orders.read", "orders.write", "latchkey:admin"}}).String("app_token")
	owner := f.s.Login(t, app, "owner", "owner-password")
	if v := f.verify(t, "", app, owner); v.Header.Get("X-Latchkey-Scopes") != "latchkey:admin orders.read orders.write" {
		t.Fatalf("login token: got %q", v.Header.Get("X-Latchkey-Scopes"))
	}
	// A personal token beyond the request's scopes is 403 on scopes.
	r := f.s.Do(t, testserver.Request{Method: "POST", Path: api + "/tokens", AppToken: app, Token: owner,
		JSON: map[string]any{"scopes": []string{"reports.read"}}})
	if r.Status != http.StatusForbidden || r.Errors()["scopes"] == nil {
		t.Fatalf("personal beyond: got %d %s, want 403 on scopes", r.Status, r.Body)
	}
	r = f.s.Do(t, testserver.Request{Method: "POST", Path: api + "/tokens", AppToken: app, Token: owner,
		JSON: map[string]any{"scopes": []string{"nope"}}})
	if r.Status != http.StatusBadRequest || r.Errors()["scopes"] == nil {
		t.Fatalf("personal unknown: got %d %s, want 400 on scopes", r.Status, r.Body)
	}
	pers := f.s.Must(t, http.StatusCreated, testserver.Request{Method: "POST", Path: api + "/tokens", AppToken: app, Token: owner,
		JSON: map[string]any{"scopes": []string{"orders.read"}}})
	readOnly := pers.String("token")
	if want := "lku_" + f.acme.ID + "_…" + readOnly[len(readOnly)-4:]; pers.String("hint") != want {
		t.Errorf("hint: got %q, want %q", pers.String("hint"), want)
	}
	// With an unrestricted app token the personal token's own set counts.
	if v := f.verify(t, "", f.acme.AppToken, readOnly); v.Header.Get("X-Latchkey-Scopes") != "orders.read" {
		t.Errorf("personal with unrestricted app: got %q", v.Header.Get("X-Latchkey-Scopes"))
	}
	cur := f.s.Must(t, http.StatusOK, testserver.Request{Method: "GET", Path: api + "/token", AppToken: f.acme.AppToken, Token: readOnly})
	if got := cur.JSON["scopes"].([]any); len(got) != 1 || got[0] != "orders.read" {
		t.Errorf("GET /token scopes: got %v", got)
	}
	// ?scope= requires every one.
	for q, want := range map[string]int{"?scope=orders.read": 200, "?scope=orders.read&scope=orders.write": 403,
		"?scope=orders.write": 403, "?scope=Bad!": 400, "?scope=orders.read&role=member": 200} {
		if v := f.verify(t, q, app, readOnly); v.Status != want {
			t.Errorf("verify%s: got %d %s, want %d", q, v.Status, v.Body, want)
		}
	}
	if v := f.verify(t, "?scope=orders.write", app, readOnly); v.Errors()["scope"] == nil {
		t.Errorf("a missing scope: got %s, want the error on scope", v.Body)
	}
	// A token issued without scopes by a restricted request keeps the
	// request's restriction: it cannot escape it.
	child := f.s.Must(t, http.StatusCreated, testserver.Request{Method: "POST", Path: api + "/tokens", AppToken: f.acme.AppToken, Token: readOnly,
		JSON: map[string]any{}})
	if got := child.JSON["scopes"].([]any); len(got) != 1 || got[0] != "orders.read" {
		t.Errorf("inherited scopes: got %v, want [orders.read]", got)
	}
	// Both unrestricted: the whole catalog.
	if v := f.verify(t, "?scope=reports.read", f.acme.AppToken, f.acme.OwnerToken); v.Status != 200 ||
		v.Header.Get("X-Latchkey-Scopes") != "latchkey:admin orders.read orders.write reports.read" {
		t.Errorf("unrestricted: got %d %q", v.Status, v.Header.Get("X-Latchkey-Scopes"))
	}
	// A name not in the catalog is held by no one.
	if v := f.verify(t, "?scope=billing.read", f.acme.AppToken, f.acme.OwnerToken); v.Status != 403 {
		t.Errorf("unknown scope: got %d, want 403", v.Status)
	}
	// Introspection of the read-only token, asked with the restricted app.
	in := f.s.Must(t, http.StatusOK, testserver.Request{Method: "POST", Path: api + "/introspect", AppToken: app, Form: url.Values{"token": {readOnly}}})
	if in.String("scope") != "orders.read" {
		t.Errorf("introspect scope: got %q", in.String("scope"))
	}
}

// TestAdminScopeGuard: without latchkey:admin a request uses only its own
// session, /verify and /introspect; the rest is 403 on scope.
func TestAdminScopeGuard(t *testing.T) {
	f := newFixture(t)
	app := f.appToken(t, map[string]any{"scopes": []string{"orders.read"}}).String("app_token")
	owner := f.s.Login(t, app, "owner", "owner-password")
	allowed := []testserver.Request{
		{Method: "GET", Path: api + "/token"},
		{Method: "PATCH", Path: api + "/token", JSON: map[string]any{"seconds_until_expire": 600}},
		{Method: "GET", Path: api + "/users/me"},
		{Method: "GET", Path: api + "/tokens"},
		{Method: "POST", Path: api + "/tokens", JSON: map[string]any{}},
		{Method: "GET", Path: api + "/scopes"},
		{Method: "GET", Path: api + "/verify"},
	}
	for _, req := range allowed {
		req.AppToken, req.Token = app, owner
		if r := f.s.Do(t, req); r.Status >= 300 {
			t.Errorf("%s %s: got %d %s, want it allowed", req.Method, req.Path, r.Status, r.Body)
		}
	}
	refused := []testserver.Request{
		{Method: "GET", Path: api + "/users"},
		{Method: "GET", Path: api + "/users/owner"},
		{Method: "GET", Path: api + "/app_tokens"},
		{Method: "POST", Path: api + "/app_tokens", JSON: map[string]any{}},
		{Method: "GET", Path: api + "/audit"},
		{Method: "POST", Path: api + "/users/owner/expire_tokens"},
	}
	for _, req := range refused {
		req.AppToken, req.Token = app, owner
		r := f.s.Do(t, req)
		if r.Status != http.StatusForbidden {
			t.Errorf("%s %s: got %d %s, want 403", req.Method, req.Path, r.Status, r.Body)
			continue
		}
		testserver.WantErrors(t, r, map[string]string{"scope": "This token lacks the scope latchkey:admin."})
	}
	// Issuing an OBO token is a management action too.
	mem := f.s.NewUser(t, f.acme.AppToken, f.acme.OwnerToken, "mem", "member")
	r := f.s.Do(t, testserver.Request{Method: "POST", Path: api + "/tokens", AppToken: app, Token: owner, JSON: map[string]any{"user": mem}})
	if r.Status != http.StatusForbidden {
		t.Errorf("OBO without latchkey:admin: got %d %s, want 403", r.Status, r.Body)
	}
	// Another user's token, seen through /tokens, acts as a member's.
	other := f.s.Login(t, f.acme.AppToken, "mem", "mem-password")
	otherID := f.s.Must(t, http.StatusOK, testserver.Request{Method: "GET", Path: api + "/token", AppToken: f.acme.AppToken, Token: other}).String("id")
	if r := f.s.Do(t, testserver.Request{Method: "DELETE", Path: api + "/tokens/" + otherID, AppToken: app, Token: owner}); r.Status < 400 {
		t.Errorf("delete another user's token without latchkey:admin: got %d", r.Status)
	}
}
