package apptokens_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/testserver"
)

// TestCacheForgetsChangedScopes runs with the verification cache on for an
// hour: once an app token's scopes are changed, the next /verify?scope=
// answers by the new scopes, narrowed or widened, not when the cache entry
// runs out. Each case first shows that the answer came from the cache.
func TestCacheForgetsChangedScopes(t *testing.T) {
	s := testserver.StartWith(t, testserver.Options{CacheTTL: time.Hour})
	platformOwner := s.OwnerToken(t)
	for _, name := range []string{"reports:read", "orders:write"} {
		s.Must(t, http.StatusOK, testserver.Request{Method: "PUT", Path: "/api/v1/scopes/" + name, AppToken: s.AppToken,
			Token: platformOwner, JSON: map[string]any{"description": "Scope " + name + "."}})
	}
	tn := s.NewTenant(t, "acme")
	const all = "latchkey:admin orders:write reports:read" // the catalog: what an unrestricted token holds

	for _, c := range []struct {
		name     string
		from, to any // the token's scopes, then the PATCH (nil: unrestricted)
		// want is /verify?scope=reports:read after the PATCH (before it,
		// the other of 200 and 403), with X-Latchkey-Scopes wantScopes.
		want       int
		wantScopes string
	}{
		{"narrowed to exclude it", []string{"reports:read"}, []string{"orders:write"}, http.StatusForbidden, "orders:write"},
		{"narrowed to none", []string{"reports:read", "orders:write"}, []string{}, http.StatusForbidden, ""},
		{"narrowed from unrestricted", nil, []string{"orders:write"}, http.StatusForbidden, "orders:write"},
		{"widened to hold it", []string{"orders:write"}, []string{"orders:write", "reports:read"}, http.StatusOK, "orders:write reports:read"},
		{"widened to unrestricted", []string{}, nil, http.StatusOK, all},
	} {
		t.Run(c.name, func(t *testing.T) {
			body := map[string]any{} // no scopes: unrestricted
			if c.from != nil {
				body["scopes"] = c.from
			}
			app := s.Must(t, http.StatusCreated, testserver.Request{Method: "POST", Path: base, AppToken: tn.AppToken, Token: tn.OwnerToken,
				JSON: body})
			verify := func(query string) *testserver.Response {
				return s.Do(t, testserver.Request{Method: "GET", Path: "/api/v1/verify" + query, AppToken: app.String("app_token"), Token: tn.OwnerToken})
			}
			before := http.StatusOK
			if c.want == http.StatusOK {
				before = http.StatusForbidden
			}
			verify("?scope=reports:read")
			hits, _ := s.App.Cache.Stats()
			if r := verify("?scope=reports:read"); r.Status != before {
				t.Fatalf("before the PATCH: got %d %s, want %d", r.Status, r.Body, before)
			}
			if after, _ := s.App.Cache.Stats(); after < hits+2 {
				t.Fatalf("before the PATCH: %d cache hits, want both credentials from the cache", after-hits)
			}

			s.Must(t, http.StatusOK, testserver.Request{Method: "PATCH", Path: base + "/" + app.String("id"), AppToken: tn.AppToken,
				Token: tn.OwnerToken, JSON: map[string]any{"scopes": c.to}})
			r := verify("?scope=reports:read")
			if r.Status != c.want {
				t.Errorf("verify?scope=reports:read: got %d %s, want %d at once", r.Status, r.Body, c.want)
			}
			if c.want == http.StatusForbidden && r.Errors()["scope"] == nil {
				t.Errorf("got %s, want the error on scope", r.Body)
			}
			if got := verify("").Header.Get("X-Latchkey-Scopes"); got != c.wantScopes {
				t.Errorf("X-Latchkey-Scopes %q, want %q", got, c.wantScopes)
			}
		})
	}
}
