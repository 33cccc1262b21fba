package admin_test

import (
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/testserver"
)

func TestUsersUpdate(t *testing.T) {
	s := testserver.StartWith(t, testserver.Options{Clock: zonedClock()})
	owner := s.OwnerToken(t)
	ownerID := s.Must(t, 200, testserver.Request{Method: "GET", Path: "/api/v1/users/me", AppToken: s.AppToken, Token: owner}).String("id")
	s.NewUser(t, s.AppToken, owner, "adm", "admin")
	adm := s.Login(t, s.AppToken, "adm", "adm-password")
	memID := s.NewUser(t, s.AppToken, owner, "mem", "member")
	mem := s.Login(t, s.AppToken, "mem", "mem-password")
	otherID := s.NewUser(t, s.AppToken, owner, "other", "member")
	patch := func(token, id string, body any) testserver.Request {
		return testserver.Request{Method: "PATCH", Path: "/api/v1/users/" + id, AppToken: s.AppToken, Token: token, JSON: body}
	}
	runCoreCases(t, s, []coreCase{
		{name: "email", req: patch(adm, memID, map[string]any{"email": "new@example.test"}), status: 200, check: func(t *testing.T, r *testserver.Response) {
			if r.String("email") != "new@example.test" || r.String("id") != memID {
				t.Errorf("got %s", r.Body)
			}
			wantUTC(t, "updated", r.JSON["updated"])
		}},
		{name: "role", req: patch(adm, memID, map[string]any{"role": "support"}), status: 200, check: func(t *testing.T, r *testserver.Response) {
			if r.String("role") != "support" {
				t.Errorf("got %s, want role support", r.Body)
			}
		}},
		{name: "the new role holds on the next request", req: testserver.Request{Method: "GET", Path: "/api/v1/users", AppToken: s.AppToken, Token: mem}, status: 200},
		{name: "back to member", req: patch(adm, memID, map[string]any{"role": "member"}), status: 200},
		{name: "every bad field at once", req: patch(adm, memID, map[string]any{"email": "x", "role": "root", "status": "gone", "password": "short"}), status: 400,
			errors: map[string]string{"email": "*", "role": "*", "status": "*", "password": "*"}},
		{name: "unknown field", req: patch(adm, memID, map[string]any{"username": "renamed"}), status: 400, errors: map[string]string{"username": "Unknown field."}},
		{name: "an admin cannot make owners", req: patch(adm, memID, map[string]any{"role": "owner"}), status: 403, errors: map[string]string{"role": "*"}},
		{name: "an admin cannot change owners", req: patch(adm, ownerID, map[string]any{"email": "x@example.test"}), status: 403, errors: map[string]string{"user": "*"}},
		{name: "nobody changes their own role", req: patch(owner, ownerID, map[string]any{"role": "member"}), status: 409, errors: map[string]string{"user": "*"}},
		{name: "me is no alias in a path (a username there)", req: patch(adm, "me", map[string]any{"status": "disabled"}), status: 404,
			errors: map[string]string{"user": "No such user."}},
		{name: "a member changes its own email", req: patch(mem, memID, map[string]any{"email": "mine@example.test"}), status: 200},
		{name: "a member cannot change others", req: patch(mem, otherID, map[string]any{"email": "x@example.test"}), status: 403, errors: map[string]string{"permission": "*"}},
		{name: "malformed id", req: patch(adm, strings.Repeat("n", 255), map[string]any{"email": "x@example.test"}), status: 400,
			errors: map[string]string{"id": "One or more IDs are not formatted correctly."}},
		{name: "unknown id", req: patch(adm, "0123456789abcdef01234567", map[string]any{"email": "x@example.test"}), status: 404,
			errors: map[string]string{"user": "No such user."}},
	})
}

// liveTokens logs username in n times.
func liveTokens(t *testing.T, s *testserver.Server, username string, n int) []string {
	t.Helper()
	out := make([]string, n)
	for i := range out {
		out[i] = s.Login(t, s.AppToken, username, username+"-password")
	}
	return out
}

func wantTokens(t *testing.T, s *testserver.Server, status int, tokens ...string) {
	t.Helper()
	for i, tok := range tokens {
		r := s.Do(t, testserver.Request{Method: "GET", Path: "/api/v1/users/me", AppToken: s.AppToken, Token: tok})
		if r.Status != status {
			t.Errorf("token %d: got %d, want %d; %s", i, r.Status, status, r.Body)
		}
	}
}

// Disabling, deleting or re-passwording a user ends its tokens at once;
// with the verification cache on too.
func TestUserChangesEndTokens(t *testing.T) {
	s := testserver.StartWith(t, testserver.Options{CacheTTL: time.Minute})
	owner := s.OwnerToken(t)
	patch := func(id string, body any) testserver.Request {
		return testserver.Request{Method: "PATCH", Path: "/api/v1/users/" + id, AppToken: s.AppToken, Token: owner, JSON: body}
	}
	login := func(username, password string) *testserver.Response {
		return s.Do(t, testserver.Request{Method: "POST", Path: "/api/v1/token", AppToken: s.AppToken,
			JSON: map[string]any{"username": username, "password": password}})
	}
	bystander := s.Login(t, s.AppToken, s.Username, s.Password)

	t.Run("disable", func(t *testing.T) {
		id := s.NewUser(t, s.AppToken, owner, "dis", "member")
		toks := liveTokens(t, s, "dis", 2)
		wantTokens(t, s, 200, toks...)
		s.Must(t, 200, patch(id, map[string]any{"status": "disabled"}))
		wantTokens(t, s, 401, toks...)
		if r := login("dis", "dis-password"); r.Status != 401 {
			t.Errorf("login while disabled: got %d, want 401", r.Status)
		}
		// Enabling again does not bring the old tokens back.
		s.Must(t, 200, patch(id, map[string]any{"status": "active"}))
		wantTokens(t, s, 401, toks...)
		if r := login("dis", "dis-password"); r.Status != 200 {
			t.Errorf("login after enabling: got %d, want 200", r.Status)
		}
	})
	t.Run("delete", func(t *testing.T) {
		id := s.NewUser(t, s.AppToken, owner, "del", "member")
		toks := liveTokens(t, s, "del", 2)
		wantTokens(t, s, 200, toks...)
		s.Must(t, 204, testserver.Request{Method: "DELETE", Path: "/api/v1/users/" + id, AppToken: s.AppToken, Token: owner})
		wantTokens(t, s, 401, toks...)
		testserver.WantErrors(t, s.Must(t, 404, testserver.Request{Method: "GET", Path: "/api/v1/users/" + id, AppToken: s.AppToken, Token: owner}),
			map[string]string{"user": "No such user."})
		s.Must(t, 404, testserver.Request{Method: "DELETE", Path: "/api/v1/users/" + id, AppToken: s.AppToken, Token: owner})
		if r := login("del", "del-password"); r.Status != 401 {
			t.Errorf("login after delete: got %d, want 401", r.Status)
		}
		// The username is free again.
		s.NewUser(t, s.AppToken, owner, "del", "member")
	})
	t.Run("password set by an admin", func(t *testing.T) {
		id := s.NewUser(t, s.AppToken, owner, "pwd", "member")
		toks := liveTokens(t, s, "pwd", 2)
		s.Must(t, 200, patch(id, map[string]any{"password": "brand-new-password"}))
		wantTokens(t, s, 401, toks...)
		if r := login("pwd", "pwd-password"); r.Status != 401 {
			t.Errorf("old password: got %d, want 401", r.Status)
		}
		if r := login("pwd", "brand-new-password"); r.Status != 200 {
			t.Errorf("new password: got %d, want 200", r.Status)
		}
	})
	t.Run("own password keeps the current token only", func(t *testing.T) {
		id := s.NewUser(t, s.AppToken, owner, "self", "member")
		toks := liveTokens(t, s, "self", 3)
		s.Must(t, 200, testserver.Request{Method: "PATCH", Path: "/api/v1/users/" + id, AppToken: s.AppToken, Token: toks[0],
			JSON: map[string]any{"password": "my-own-new-password", "current_password": "self-password"}})
		wantTokens(t, s, 200, toks[0])
		wantTokens(t, s, 401, toks[1:]...)
		if r := login("self", "my-own-new-password"); r.Status != 200 {
			t.Errorf("new password: got %d, want 200", r.Status)
		}
	})
	t.Run("email change keeps tokens", func(t *testing.T) {
		id := s.NewUser(t, s.AppToken, owner, "mail", "member")
		toks := liveTokens(t, s, "mail", 1)
		s.Must(t, 200, patch(id, map[string]any{"email": "other@example.test"}))
		wantTokens(t, s, 200, toks...)
	})
	t.Run("other users are untouched", func(t *testing.T) {
		wantTokens(t, s, 200, owner, bystander)
	})
}

// TestOwnPasswordNeedsCurrentPassword: a user changing its own password
// proves it knows the current one (missing: 400, wrong: 403, both on
// current_password, and nothing changes), and wrong ones count as failed
// logins of its username, so a stolen session guesses no faster than a
// login could; an admin resetting another user's password needs none.
func TestOwnPasswordNeedsCurrentPassword(t *testing.T) {
	s := testserver.Start(t)
	owner := s.OwnerToken(t)
	id := s.NewUser(t, s.AppToken, owner, "pat", "member")
	toks := liveTokens(t, s, "pat", 2)
	patch := func(body map[string]any) testserver.Request {
		return testserver.Request{Method: "PATCH", Path: "/api/v1/users/" + id, AppToken: s.AppToken, Token: toks[0], JSON: body}
	}
	login := func(password string) int {
		return s.Do(t, testserver.Request{Method: "POST", Path: "/api/v1/token", AppToken: s.AppToken,
			JSON: map[string]any{"username": "pat", "password": password}}).Status
	}
	runCoreCases(t, s, []coreCase{
		{name: "missing", req: patch(map[string]any{"password": "pat-new-password"}), status: 400,
			errors: map[string]string{"current_password": "Required to change your own password."}},
		{name: "missing, with every other bad field", req: patch(map[string]any{"password": "short", "email": "x"}), status: 400,
			errors: map[string]string{"current_password": "*", "password": "*", "email": "*"}},
		{name: "wrong", req: patch(map[string]any{"password": "pat-new-password", "current_password": "not-pats-password"}), status: 403,
			errors: map[string]string{"current_password": "This is not your current password."}},
		{name: "an email change needs none", req: patch(map[string]any{"email": "pat@example.test"}), status: 200},
	})
	wantTokens(t, s, 200, toks...)
	if got := login("pat-new-password"); got != 401 {
		t.Errorf("a refused change set the password: login got %d, want 401", got)
	}
	// One wrong current password and one wrong login above; three more
	// wrong ones make five failures: the username is locked, for logins
	// and for password changes alike, even with the right password.
	for range 3 {
		s.Must(t, 403, patch(map[string]any{"password": "pat-new-password", "current_password": "not-pats-password"}))
	}
	if got := login("pat-password"); got != 429 {
		t.Errorf("login after five failures, two of them logins: got %d, want 429", got)
	}
	r := s.Must(t, 429, patch(map[string]any{"password": "pat-new-password", "current_password": "pat-password"}))
	testserver.WantErrors(t, r, map[string]string{"current_password": "Too many failed logins. Try again later."})
	if r.Header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	// An admin resets it without the current one.
	s.Must(t, 200, testserver.Request{Method: "PATCH", Path: "/api/v1/users/" + id, AppToken: s.AppToken, Token: owner,
		JSON: map[string]any{"password": "reset-by-owner"}})
	wantTokens(t, s, 401, toks...)
}

func TestUsersDelete(t *testing.T) {
	s := testserver.Start(t)
	owner := s.OwnerToken(t)
	ownerID := s.Must(t, 200, testserver.Request{Method: "GET", Path: "/api/v1/users/me", AppToken: s.AppToken, Token: owner}).String("id")
	s.NewUser(t, s.AppToken, owner, "adm", "admin")
	adm := s.Login(t, s.AppToken, "adm", "adm-password")
	supID := s.NewUser(t, s.AppToken, owner, "sup", "support")
	sup := s.Login(t, s.AppToken, "sup", "sup-password")
	memID := s.NewUser(t, s.AppToken, owner, "mem", "member")
	del := func(token, id string) testserver.Request {
		return testserver.Request{Method: "DELETE", Path: "/api/v1/users/" + id, AppToken: s.AppToken, Token: token}
	}
	runCoreCases(t, s, []coreCase{
		{name: "support may not delete", req: del(sup, memID), status: 403, errors: map[string]string{"permission": "*"}},
		{name: "an admin may not delete owners", req: del(adm, ownerID), status: 403, errors: map[string]string{"user": "*"}},
		{name: "nobody deletes themselves", req: del(owner, ownerID), status: 409, errors: map[string]string{"user": "You cannot delete yourself."}},
		{name: "malformed id", req: del(adm, strings.Repeat("x", 255)), status: 400, errors: map[string]string{"id": "One or more IDs are not formatted correctly."}},
		{name: "unknown id", req: del(adm, "0123456789abcdef01234567"), status: 404, errors: map[string]string{"user": "No such user."}},
		{name: "an admin deletes support", req: del(adm, supID+"/"), status: 204, check: func(t *testing.T, r *testserver.Response) {
			if len(r.Body) != 0 {
				t.Errorf("got body %q, want none", r.Body)
			}
		}},
		{name: "the deleted user's token stops", req: testserver.Request{Method: "GET", Path: "/api/v1/token", AppToken: s.AppToken, Token: sup},
			status: 401, errors: map[string]string{"Token": "Invalid or expired token."}},
	})
}

// TestMemberCannotProbeUserIDs: a member changing another user gets the same
// 403 whether the id exists or not, so the answer does not tell which ids exist.
func TestMemberCannotProbeUserIDs(t *testing.T) {
	s := testserver.Start(t)
	owner := s.OwnerToken(t)
	other := s.NewUser(t, s.AppToken, owner, "olga", "member")
	s.NewUser(t, s.AppToken, owner, "mike", "member")
	member := s.Login(t, s.AppToken, "mike", "mike-password")
	for _, id := range []string{other, "6b02a6e5ca87368ce209254d"} {
		r := s.Do(t, testserver.Request{Method: "PATCH", Path: "/api/v1/users/" + id, AppToken: s.AppToken, Token: member,
			JSON: map[string]any{"email": "x@example.test"}})
		if r.Status != 403 || r.Errors()["permission"] == nil {
			t.Errorf("PATCH user %s as member: got %d %s, want 403 on permission", id, r.Status, r.Body)
		}
	}
}
