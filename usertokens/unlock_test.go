package usertokens_test

import (
	"net/http"
	"testing"

	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/testserver"
)

// TestUnlock is a reported dead end: six wrong passwords for a tenant's
// only owner locked it for lockout_duration with nothing able to end it.
// POST /users/{id}/unlock (owner, admin, support) ends the lock at
// once, and clears the window's failures so the count starts afresh; it is
// audited, and refused to members, for malformed and unknown ids.
func TestUnlock(t *testing.T) {
	f := newFlow(t, "unlock", nil)
	s, owner := f.s, f.a.OwnerID
	supID := s.NewUser(t, f.a.AppToken, f.a.OwnerToken, "sup", "support")
	sup := s.Login(t, f.a.AppToken, "sup", "sup-password")
	mem, _ := f.session(t, nil)
	unlock := func(token, id string) *testserver.Response {
		return s.Do(t, testserver.Request{Method: "POST", Path: "/api/v1/users/" + id + "/unlock", AppToken: f.a.AppToken, Token: token})
	}
	for range 6 {
		f.login(t, "owner", "wrong-password", nil)
	}
	wantError(t, f.login(t, "owner", "owner-password", nil), http.StatusTooManyRequests, locked)

	wantError(t, unlock(mem, owner), http.StatusForbidden, map[string]string{"permission": ""})
	wantError(t, unlock(sup, "nope"), http.StatusNotFound, map[string]string{"user": ""}) // a username no one has
	wantError(t, unlock(sup, ids.New().Hex()), http.StatusNotFound, map[string]string{"user": ""})
	wantError(t, f.login(t, "owner", "owner-password", nil), http.StatusTooManyRequests, locked)

	// Support unlocks the owner: no rank rule, unlocking makes no credential.
	if r := unlock(sup, owner); r.Status != http.StatusNoContent || len(r.Body) != 0 {
		t.Fatalf("unlock: got %d %s, want 204 and no body", r.Status, r.Body)
	}
	if n := f.claimCount(t, "owner"); n != 0 {
		t.Errorf("after unlock the owner holds %d lockout claims, want 0", n)
	}
	// The count starts afresh: four more failures leave the right password
	// working (the old five would have made a fifth the last).
	for range 4 {
		wantError(t, f.login(t, "owner", "wrong-password", nil), http.StatusUnauthorized, invalid)
	}
	if r := f.login(t, "owner", "owner-password", nil); r.Status != http.StatusOK {
		t.Fatalf("right password after unlock: got %d %s, want 200", r.Status, r.Body)
	}

	recs := f.auditOf(t, "user.unlock")
	if len(recs) != 1 || recs[0]["target"] != owner || recs[0]["user"] != supID || recs[0]["outcome"] != "success" {
		t.Errorf("audit of user.unlock: got %v, want one success by %s on %s", recs, supID, owner)
	}
	// Unlocking a username that is not locked is no error; an OBO token
	// with support's rights may unlock too.
	obo := s.Must(t, 201, testserver.Request{Method: "POST", Path: "/api/v1/tokens", AppToken: f.a.AppToken, Token: f.a.OwnerToken,
		JSON: map[string]any{"user": supID}}).String("token")
	if r := unlock(obo, f.mem); r.Status != http.StatusNoContent {
		t.Errorf("an OBO token for support unlocking a member: got %d %s, want 204", r.Status, r.Body)
	}
}
