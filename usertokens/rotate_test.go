package usertokens_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/testserver"
)

// works reports whether the user token plain is accepted.
func (f *tokFixture) works(t *testing.T, plain string) bool {
	t.Helper()
	return f.s.Do(t, testserver.Request{Method: "GET", Path: "/api/v1/token", AppToken: f.a.AppToken, Token: plain}).Status == http.StatusOK
}

// TestRotatePersonal: a personal token rotates into a personal token of
// the same user, name and lifetime naming it; both work during the grace,
// which may be shortened but not lengthened; after it the old one is
// refused with ended_by rotation; the audit log has both ids.
func TestRotatePersonal(t *testing.T) {
	f := newTokFixture(t, testserver.Options{CacheTTL: time.Hour})
	r := f.must(t, http.StatusCreated, "mem", "POST", "/api/v1/tokens", map[string]any{"name": "laptop", "seconds_until_expire": 7200})
	oldID, oldPlain := r.String("id"), r.String("token")
	if !f.works(t, oldPlain) { // cached from here on
		t.Fatal("the new personal token does not work")
	}
	rot := f.do(t, "mem", "POST", "/api/v1/tokens/"+oldPlain+"/rotate", map[string]any{"grace_seconds": 600})
	if rot.Status != http.StatusCreated {
		t.Fatalf("rotate: got %d %s", rot.Status, rot.Body)
	}
	newID, newPlain := rot.String("id"), rot.String("token")
	if rot.String("kind") != "personal" || rot.String("name") != "laptop" || rot.String("user") != f.ids["mem"] ||
		rot.JSON["rotated_from"] != oldID || !tokExpiresOf(t, rot).Equal(f.at(2*time.Hour)) || newID == oldID {
		t.Errorf("successor: got %s, want a personal token of mem named laptop, 2 h, rotated_from %s", rot.Body, oldID)
	}
	if cc := rot.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q, want no-store", cc)
	}
	if !f.works(t, oldPlain) || !f.works(t, newPlain) {
		t.Fatal("during the grace both tokens must work")
	}
	old := f.must(t, http.StatusOK, "mem", "GET", "/api/v1/tokens/"+oldID, nil)
	if !tokExpiresOf(t, old).Equal(f.at(10*time.Minute)) || old.JSON["ended_by"] != nil {
		t.Errorf("old token in its grace: got %s", old.Body)
	}
	testserver.WantErrors(t, f.do(t, "mem", "PATCH", "/api/v1/tokens/"+oldID, map[string]any{"seconds_until_expire": 3600}),
		map[string]string{"seconds_until_expire": "*"})
	f.must(t, http.StatusOK, "mem", "PATCH", "/api/v1/tokens/"+oldID, map[string]any{"seconds_until_expire": 60})
	f.s.Clock.Advance(2 * time.Minute)
	if f.works(t, oldPlain) {
		t.Error("the old token works after its grace")
	}
	if !f.works(t, newPlain) {
		t.Error("the successor stopped working")
	}
	if old := f.must(t, http.StatusOK, "mem", "GET", "/api/v1/tokens/"+oldID, nil); old.JSON["ended_by"] != "rotation" {
		t.Errorf("old token after its grace: ended_by %v, want rotation", old.JSON["ended_by"])
	}
	testserver.WantErrors(t, f.do(t, "mem", "POST", "/api/v1/tokens/"+oldID+"/rotate", map[string]any{}), map[string]string{"token": "*"})

	audit := f.must(t, http.StatusOK, "owner", "GET", "/api/v1/audit?action=token.rotate", nil)
	items := audit.JSON["items"].([]any)
	if len(items) != 1 || items[0].(map[string]any)["target"] != oldID || !bodyHas(audit.Body, newID) || bodyHas(audit.Body, newPlain) {
		t.Errorf("audit token.rotate: got %s, want one record on %s naming %s", audit.Body, oldID, newID)
	}

	// Grace 0 ends the old token at once (the cache forgets it).
	rot = f.do(t, "mem", "POST", "/api/v1/tokens/"+newID+"/rotate", map[string]any{"grace_seconds": 0})
	if rot.Status != http.StatusCreated || f.works(t, newPlain) || !f.works(t, rot.String("token")) {
		t.Errorf("grace 0: got %d %s; the old token must stop at once, its successor work", rot.Status, rot.Body)
	}
}

// TestRotatePersonalRefused: only the token's own user rotates, only personal
// tokens, never with an OBO token, and bad input changes nothing.
func TestRotatePersonalRefused(t *testing.T) {
	f := newTokFixture(t, testserver.Options{})
	_, memID := f.personal(t, "mem")
	login := f.must(t, http.StatusOK, "mem", "GET", "/api/v1/token", nil).String("id")
	oboID := f.must(t, http.StatusOK, "obo", "GET", "/api/v1/token", nil).String("id")
	rotate := func(who, ref string, body any) *testserver.Response {
		return f.do(t, who, "POST", "/api/v1/tokens/"+ref+"/rotate", body)
	}
	for _, tc := range []struct {
		name, who, ref string
		body           any
		want           int
		field          string
	}{
		{"a login token", "mem", login, map[string]any{}, 409, "token"},
		{"an OBO token, by its issuer", "admin1", oboID, map[string]any{}, 403, "token"},
		{"another user's personal token, by the owner", "owner", memID, map[string]any{}, 403, "token"},
		{"another user's personal token, by a member", "mem2", memID, map[string]any{}, 404, "token"},
		{"with an OBO token", "obo", memID, map[string]any{}, 403, "token"},
		{"grace below 0", "mem", memID, map[string]any{"grace_seconds": -1}, 400, "grace_seconds"},
		{"grace over a week", "mem", memID, map[string]any{"grace_seconds": 604801}, 400, "grace_seconds"},
		{"no body", "mem", memID, nil, 400, "body"},
		{"malformed id", "mem", "nope", map[string]any{}, 400, "token"},
		{"missing token", "mem", "6b02a6e5ca87368ce209254d", map[string]any{}, 404, "token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := rotate(tc.who, tc.ref, tc.body)
			if r.Status != tc.want {
				t.Fatalf("got %d %s, want %d", r.Status, r.Body, tc.want)
			}
			testserver.WantErrors(t, r, map[string]string{tc.field: "*"})
		})
	}
	if n := f.s.Count(t, f.a.ID, "tokens"); n != 9 { // 7 logins, the OBO token, mem's personal token
		t.Errorf("%d user tokens after refused rotations, want 9", n)
	}
	r := rotate("mem", memID, map[string]any{"grace_seconds": 604800})
	if r.Status != http.StatusCreated {
		t.Fatalf("rotate with the longest grace: got %d %s", r.Status, r.Body)
	}
}
