package admin_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/testserver"
)

func TestUsersCreateAndGet(t *testing.T) {
	s := testserver.StartWith(t, testserver.Options{Clock: zonedClock()})
	owner := s.OwnerToken(t)
	adminID := s.NewUser(t, s.AppToken, owner, "adm", "admin")
	adm := s.Login(t, s.AppToken, "adm", "adm-password")
	memberID := s.NewUser(t, s.AppToken, owner, "mem", "member")
	mem := s.Login(t, s.AppToken, "mem", "mem-password")
	create := func(token string, body any) testserver.Request {
		return testserver.Request{Method: "POST", Path: "/api/v1/users", AppToken: s.AppToken, Token: token, JSON: body}
	}
	get := func(token, id string) testserver.Request {
		return testserver.Request{Method: "GET", Path: "/api/v1/users/" + id, AppToken: s.AppToken, Token: token}
	}
	var bobID string
	runCoreCases(t, s, []coreCase{
		{name: "create", req: create(owner, map[string]any{"username": "Bob", "password": "bob-password", "email": "bob@example.test", "role": "support"}),
			status: 201, check: func(t *testing.T, r *testserver.Response) {
				bobID = r.String("id")
				if !hexID.MatchString(bobID) || r.String("username") != "Bob" || r.String("email") != "bob@example.test" ||
					r.String("role") != "support" || r.String("status") != "active" {
					t.Errorf("got %s", r.Body)
				}
				wantTime(t, "created", r.JSON["created"], s.Clock.Now())
				wantTime(t, "updated", r.JSON["updated"], s.Clock.Now())
				if strings.Contains(strings.ToLower(string(r.Body)), "password") || strings.Contains(string(r.Body), "argon2") {
					t.Errorf("the answer carries the password or its hash: %s", r.Body)
				}
			}},
		{name: "the new user logs in", req: testserver.Request{Method: "POST", Path: "/api/v1/token", AppToken: s.AppToken,
			JSON: map[string]any{"username": "bob", "password": "bob-password"}}, status: 200},
		{name: "username taken in another case", req: create(owner, map[string]any{"username": "BOB", "password": "bob-password", "email": "b2@example.test", "role": "member"}),
			status: 409, errors: map[string]string{"username": "A user with that username already exists."}},
		{name: "every field missing", req: create(owner, map[string]any{}), status: 400,
			errors: map[string]string{"username": "This field is required.", "password": "This field is required.", "email": "This field is required.", "role": "*"}},
		{name: "every field wrong", req: create(owner, map[string]any{"username": "x", "password": "short", "email": "nope", "role": "root"}), status: 400,
			errors: map[string]string{"username": "*", "password": "Must be at least 8 characters.", "email": "Enter a valid email address.", "role": "Must be one of: owner, admin, support, member."}},
		{name: "unknown field", req: create(owner, map[string]any{"username": "carl", "password": "carl-password", "email": "c@example.test", "role": "member", "admin": true}),
			status: 400, errors: map[string]string{"admin": "Unknown field."}},
		{name: "wrong type", req: create(owner, map[string]any{"username": []string{"carl"}, "password": "carl-password", "email": "c@example.test", "role": "member"}),
			status: 400, errors: map[string]string{"username": "Must be a string."}},
		{name: "an admin cannot create owners", req: create(adm, map[string]any{"username": "own2", "password": "own2-password", "email": "o@example.test", "role": "owner"}),
			status: 403, errors: map[string]string{"role": "Your role (admin) may not give a user the role owner, which is above it."}},
		{name: "an admin creates admins", req: create(adm, map[string]any{"username": "adm2", "password": "adm2-password", "email": "a2@example.test", "role": "admin"}),
			status: 201},
		{name: "a member cannot create users", req: create(mem, map[string]any{"username": "m2", "password": "m2-password", "email": "m2@example.test", "role": "member"}),
			status: 403, errors: map[string]string{"permission": "*"}},
		{name: "get", req: get(adm, memberID), status: 200, check: func(t *testing.T, r *testserver.Response) {
			if r.String("id") != memberID || r.String("username") != "mem" || r.String("role") != "member" {
				t.Errorf("got %s", r.Body)
			}
			wantUTC(t, "created", r.JSON["created"])
		}},
		{name: "get with a trailing slash", req: get(adm, memberID+"/"), status: 200},
		{name: "get a malformed id", req: get(adm, strings.Repeat("1", 255)), status: 400, errors: map[string]string{"id": "One or more IDs are not formatted correctly."}},
		{name: "get an unknown id", req: get(adm, "0123456789abcdef01234567"), status: 404, errors: map[string]string{"user": "No such user."}},
		{name: "a member gets itself", req: get(mem, memberID), status: 200},
		{name: "a member cannot get others", req: get(mem, adminID), status: 403, errors: map[string]string{"permission": "*"}},
		{name: "me", req: get(mem, "me"), status: 200, check: func(t *testing.T, r *testserver.Response) {
			if r.String("id") != memberID || r.String("username") != "mem" {
				t.Errorf("got %s, want mem", r.Body)
			}
		}},
		{name: "me with a trailing slash", req: get(adm, "me/"), status: 200, check: func(t *testing.T, r *testserver.Response) {
			if r.String("id") != adminID {
				t.Errorf("got %s, want adm", r.Body)
			}
		}},
	})
}

func TestUsersList(t *testing.T) {
	s := testserver.Start(t)
	owner := s.OwnerToken(t)
	for i, role := range []string{"admin", "support", "member", "member", "member"} {
		s.NewUser(t, s.AppToken, owner, fmt.Sprintf("user%d", i), role)
	}
	s.NewUser(t, s.AppToken, owner, "zed", "member")
	offID := s.NewUser(t, s.AppToken, owner, "off", "member")
	s.Must(t, 200, testserver.Request{Method: "PATCH", Path: "/api/v1/users/" + offID, AppToken: s.AppToken, Token: owner,
		JSON: map[string]any{"status": "disabled"}})
	mem := s.Login(t, s.AppToken, "user2", "user2-password")
	sup := s.Login(t, s.AppToken, "user1", "user1-password")
	list := func(token, query string) testserver.Request {
		return testserver.Request{Method: "GET", Path: "/api/v1/users" + query, AppToken: s.AppToken, Token: token}
	}
	names := func(want ...string) func(t *testing.T, r *testserver.Response) {
		return func(t *testing.T, r *testserver.Response) {
			var got []string
			for _, u := range itemsOf(t, r) {
				got = append(got, u["username"].(string))
			}
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("got %v, want %v", got, want)
			}
		}
	}
	runCoreCases(t, s, []coreCase{
		{name: "all", req: list(owner, ""), status: 200, check: names("admin", "user0", "user1", "user2", "user3", "user4", "zed", "off")},
		{name: "support may list", req: list(sup, "/"), status: 200},
		{name: "by role", req: list(owner, "?role=member"), status: 200, check: names("user2", "user3", "user4", "zed", "off")},
		{name: "by status", req: list(owner, "?status=disabled"), status: 200, check: names("off")},
		{name: "by role and status", req: list(owner, "?role=member&status=active"), status: 200, check: names("user2", "user3", "user4", "zed")},
		{name: "by username prefix, any case", req: list(owner, "?q=USER"), status: 200, check: names("user0", "user1", "user2", "user3", "user4")},
		{name: "by email prefix", req: list(owner, "?q=zed@"), status: 200, check: names("zed")},
		{name: "q is not a pattern", req: list(owner, "?q=.*"), status: 200, check: names()},
		{name: "no match", req: list(owner, "?q=nobody"), status: 200, check: func(t *testing.T, r *testserver.Response) {
			if string(r.Body) != `{"items":[],"next_cursor":null}` {
				t.Errorf("got %s, want an empty list", r.Body)
			}
		}},
		{name: "bad filters", req: list(owner, "?role=root&status=gone"), status: 400,
			errors: map[string]string{"role": "*", "status": "Must be one of: active, disabled."}},
		{name: "limit 0", req: list(owner, "?limit=0"), status: 400, errors: map[string]string{"limit": "Must be an integer from 1 to 500."}},
		{name: "limit 501", req: list(owner, "?limit=501"), status: 400, errors: map[string]string{"limit": "*"}},
		{name: "bad cursor", req: list(owner, "?cursor=zzz"), status: 400, errors: map[string]string{"cursor": "This cursor is not valid."}},
		{name: "a member may not list", req: list(mem, ""), status: 403, errors: map[string]string{"permission": "*"}},
	})

	// Pages of 3 walk the whole list once.
	var got []string
	cursor := ""
	for page := 0; ; page++ {
		if page > 5 {
			t.Fatal("the cursor never ends")
		}
		q := "?limit=3&role=member"
		if cursor != "" {
			q += "&cursor=" + cursor
		}
		r := s.Must(t, 200, list(owner, q))
		its := itemsOf(t, r)
		if len(its) > 3 {
			t.Fatalf("got %d items, want at most 3", len(its))
		}
		for _, u := range its {
			got = append(got, u["username"].(string))
		}
		next, _ := r.JSON["next_cursor"].(string)
		if next == "" {
			if r.JSON["next_cursor"] != nil {
				t.Errorf("next_cursor: got %v, want null on the last page", r.JSON["next_cursor"])
			}
			break
		}
		cursor = next
	}
	if want := "user2,user3,user4,zed,off"; strings.Join(got, ",") != want {
		t.Errorf("paged: got %v, want %s", got, want)
	}
}
