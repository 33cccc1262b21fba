package apptokens_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/testserver"
)

// TestExpiredIsFinal: an app token whose expiry has passed, by hand or by
// time, is never re-dated (409 on seconds_until_expire) and stays refused;
// its ended_by says why it ended (null while it lives), in single answers
// and in the list. Expiring it again changes nothing.
func TestExpiredIsFinal(t *testing.T) {
	s := testserver.Start(t)
	tn := s.NewTenant(t, "acme")
	s.NewUser(t, tn.AppToken, tn.OwnerToken, "sup", "support")
	sup := s.Login(t, tn.AppToken, "sup", "sup-password")
	create := func(body map[string]any) (id, plain string) {
		r := s.Must(t, http.StatusCreated, testserver.Request{Method: "POST", Path: base, AppToken: tn.AppToken, Token: tn.OwnerToken, JSON: body})
		if r.JSON["ended_by"] != nil {
			t.Errorf("a new app token has ended_by %v, want null", r.JSON["ended_by"])
		}
		return r.String("id"), r.String("app_token")
	}
	patch := func(token, id string, seconds int64) *testserver.Response {
		return s.Do(t, testserver.Request{Method: "PATCH", Path: base + "/" + id, AppToken: tn.AppToken, Token: token,
			JSON: map[string]any{"seconds_until_expire": seconds}})
	}
	get := func(id string) *testserver.Response {
		return s.Must(t, http.StatusOK, testserver.Request{Method: "GET", Path: base + "/" + id, AppToken: tn.AppToken, Token: tn.OwnerToken})
	}
	works := func(plain string) bool {
		return s.Do(t, testserver.Request{Method: "GET", Path: "/api/v1/token", AppToken: plain, Token: tn.OwnerToken}).Status == http.StatusOK
	}

	byOwner, byOwnerPlain := create(map[string]any{"name": "ended by its maker"})
	bySupport, bySupportPlain := create(map[string]any{"name": "ended by support"})
	short, shortPlain := create(map[string]any{"name": "runs out", "seconds_until_expire": 60})
	if r := get(byOwner); r.JSON["ended_by"] != nil {
		t.Errorf("a live app token: ended_by %v, want null", r.JSON["ended_by"])
	}
	if r := patch(tn.OwnerToken, byOwner, -1); r.Status != http.StatusOK || r.JSON["ended_by"] != "user" {
		t.Fatalf("its maker expires it: got %d %s, want 200 with ended_by user", r.Status, r.Body)
	}
	if r := patch(sup, bySupport, -1); r.Status != http.StatusOK || r.JSON["ended_by"] != "support" {
		t.Fatalf("support expires it: got %d %s, want 200 with ended_by support", r.Status, r.Body)
	}
	s.Clock.Advance(2 * time.Minute)

	for _, c := range []struct {
		name, id, plain, endedBy string
	}{
		{"expired by its maker", byOwner, byOwnerPlain, "user"},
		{"expired by support", bySupport, bySupportPlain, "support"},
		{"ran out", short, shortPlain, "time"},
	} {
		before := get(c.id)
		for _, seconds := range []int64{86400, 1} {
			r := patch(tn.OwnerToken, c.id, seconds)
			if r.Status != http.StatusConflict {
				t.Errorf("%s, re-dated by %d s: got %d %s, want 409", c.name, seconds, r.Status, r.Body)
				continue
			}
			testserver.WantErrors(t, r, map[string]string{"seconds_until_expire": "*"})
		}
		if works(c.plain) {
			t.Errorf("%s: the app token works again", c.name)
		}
		// Expiring it again is no change: same expiry, same reason.
		again := patch(tn.OwnerToken, c.id, -1)
		after := get(c.id)
		if again.Status != http.StatusOK || after.JSON["expires"] != before.JSON["expires"] || after.JSON["ended_by"] != c.endedBy ||
			after.JSON["expired"] != true || again.JSON["ended_by"] != c.endedBy {
			t.Errorf("%s, expired again: got %d %s, then %s; want 200 and expires %v, ended_by %s",
				c.name, again.Status, again.Body, after.Body, before.JSON["expires"], c.endedBy)
		}
	}

	list := s.Must(t, http.StatusOK, testserver.Request{Method: "GET", Path: base, AppToken: tn.AppToken, Token: tn.OwnerToken})
	want := map[string]any{byOwner: "user", bySupport: "support", short: "time"}
	for _, it := range list.JSON["items"].([]any) {
		item := it.(map[string]any)
		by, listed := item["ended_by"]
		if !listed {
			t.Errorf("list item %v has no ended_by", item["id"])
		}
		if w, ok := want[item["id"].(string)]; ok && by != w || !ok && by != nil {
			t.Errorf("list item %v: ended_by %v, want %v", item["id"], by, w)
		}
	}
}

// TestCacheForgetsEndedAppTokens runs with the verification cache on for a
// minute: an app token that was used (and so cached) and then expired or
// deleted is refused from the next request on, not when the cache entry
// runs out.
func TestCacheForgetsEndedAppTokens(t *testing.T) {
	s := testserver.StartWith(t, testserver.Options{CacheTTL: time.Minute})
	owner := s.OwnerToken(t)
	for _, c := range []struct {
		name, method string
		body         any
		want         int
	}{
		{"expired", "PATCH", map[string]any{"seconds_until_expire": -1}, http.StatusOK},
		{"deleted", "DELETE", nil, http.StatusNoContent},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := s.Must(t, http.StatusCreated, testserver.Request{Method: "POST", Path: base, AppToken: s.AppToken, Token: owner, JSON: map[string]any{}})
			use := testserver.Request{Method: "GET", Path: "/api/v1/token", AppToken: r.String("app_token"), Token: owner}
			s.Must(t, http.StatusOK, use)
			s.Must(t, http.StatusOK, use) // from the cache
			s.Must(t, c.want, testserver.Request{Method: c.method, Path: base + "/" + r.String("id"), AppToken: s.AppToken, Token: owner, JSON: c.body})
			if got := s.Do(t, use); got.Status != http.StatusUnauthorized {
				t.Errorf("the next request with the %s app token: got %d, want 401", c.name, got.Status)
			}
		})
	}
}
