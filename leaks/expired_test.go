package leaks_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/latchkey/latchkey/internal/testserver"
)

// TestLeakedTokensStayExpired is a reported hole: an app token expired by
// a leak report came back to life with PATCH seconds_until_expire. Leaked
// app and user tokens are never re-dated (409), stay refused, and show
// ended_by "leak".
func TestLeakedTokensStayExpired(t *testing.T) {
	s := testserver.Start(t)
	acme := s.NewTenant(t, "acme")
	owner := s.OwnerToken(t)
	app := s.Must(t, http.StatusCreated, testserver.Request{Method: "POST", Path: "/api/v1/app_tokens", AppToken: acme.AppToken,
		Token: acme.OwnerToken, JSON: map[string]any{"name": "leaky"}})
	user := s.Must(t, http.StatusCreated, testserver.Request{Method: "POST", Path: "/api/v1/tokens", AppToken: acme.AppToken,
		Token: acme.OwnerToken, JSON: map[string]any{}})
	r := post(t, s, report(t, app.String("app_token"), user.String("token")), map[string]string{"App-Token": s.AppToken, "Token": owner})
	if got := labels(t, r); !slices.Equal(got, []string{"true_positive", "true_positive"}) {
		t.Fatalf("report: got %v, want both true_positive", got)
	}
	for _, c := range []struct{ path, plain string }{
		{"/api/v1/app_tokens/" + app.String("id"), app.String("app_token")},
		{"/api/v1/tokens/" + user.String("id"), user.String("token")},
	} {
		r := s.Do(t, testserver.Request{Method: "PATCH", Path: c.path, AppToken: acme.AppToken, Token: acme.OwnerToken,
			JSON: map[string]any{"seconds_until_expire": 86400}})
		if r.Status != http.StatusConflict {
			t.Errorf("PATCH %s after the leak report: got %d %s, want 409", c.path, r.Status, r.Body)
		} else {
			testserver.WantErrors(t, r, map[string]string{"seconds_until_expire": "*"})
		}
		g := s.Must(t, http.StatusOK, testserver.Request{Method: "GET", Path: c.path, AppToken: acme.AppToken, Token: acme.OwnerToken})
		if g.JSON["expired"] != true || g.JSON["ended_by"] != "leak" {
			t.Errorf("GET %s: %s, want expired with ended_by leak", c.path, g.Body)
		}
	}
	if works(t, s, app.String("app_token"), acme.OwnerToken) || works(t, s, acme.AppToken, user.String("token")) {
		t.Errorf("a leaked token works again")
	}
}
