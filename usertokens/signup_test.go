package usertokens_test

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/latchkey/latchkey/internal/testserver"
)

const msgRequired = "This field is required."

func TestSignupOffByDefault(t *testing.T) {
	f := newFlow(t, "closed", nil)
	for name, req := range map[string]testserver.Request{
		"valid body": {JSON: map[string]any{"username": "newbie", "password1": "newbie-password",
			"password2": "newbie-password", "email": "newbie@example.test", "accept_tos": true}},
		"empty body":     {},
		"malformed body": {JSON: "{"}, // nothing about the form is revealed where signup is off
	} {
		t.Run(name, func(t *testing.T) {
			req.Method, req.Path, req.AppToken = "POST", "/api/v1/signup", f.a.AppToken
			wantError(t, f.s.Do(t, req), http.StatusForbidden, map[string]string{"signup": "Signup is not enabled for this tenant."})
		})
	}
	if r := f.login(t, "newbie", "newbie-password", nil); r.Status != http.StatusUnauthorized {
		t.Errorf("login as the refused newbie: got status %d, want 401", r.Status)
	}
}

func TestSignup(t *testing.T) {
	f := newFlow(t, "open", map[string]any{"allow_signup": true})
	good := func(username string) map[string]any {
		return map[string]any{"username": username, "password1": "s3cret-pass", "password2": "s3cret-pass",
			"email": username + "@example.test", "accept_tos": true}
	}
	with := func(m map[string]any, k string, v any) map[string]any {
		m[k] = v
		if v == nil {
			delete(m, k)
		}
		return m
	}
	cases := []struct {
		name   string
		json   any
		form   url.Values
		status int
		fields map[string]string // on 400
	}{
		{name: "json", json: good("alice"), status: 201},
		{name: "form", form: url.Values{"username": {"bob"}, "password1": {"s3cret-pass"}, "password2": {"s3cret-pass"},
			"email": {"bob@example.test"}, "accept_tos": {"on"}}, status: 201},
		{name: "empty", json: map[string]any{}, status: 400, fields: map[string]string{"username": msgRequired,
			"password1": msgRequired, "password2": msgRequired, "email": msgRequired, "accept_tos": msgRequired}},
		{name: "empty form", form: url.Values{"username": {""}}, status: 400, fields: map[string]string{"username": msgRequired,
			"password1": msgRequired, "password2": msgRequired, "email": msgRequired, "accept_tos": msgRequired}},
		{name: "everything wrong at once",
			json: map[string]any{"username": "OWNER", "password1": "s3cret-pass", "password2": "other-pass",
				"email": "not-an-email", "accept_tos": false},
			status: 400, fields: map[string]string{"username": "A user with that username already exists.",
				"password2": "The two passwords differ.", "email": "Enter a valid email address.",
				"accept_tos": "You must accept the terms of service."}},
		{name: "short password", json: with(with(good("carol"), "password1", "short"), "password2", "short"),
			status: 400, fields: map[string]string{"password1": "Must be at least 8 characters."}},
		{name: "malformed username", json: good("a!"), status: 400, fields: map[string]string{"username": ""}},
		{name: "username taken (case-insensitive)", json: good("Mem"), status: 400,
			fields: map[string]string{"username": "A user with that username already exists."}},
		{name: "a role cannot be chosen", json: with(good("dave"), "role", "owner"), status: 400,
			fields: map[string]string{"role": "Unknown field."}},
		{name: "accept_tos of the wrong type", json: with(good("erin"), "accept_tos", "yes"), status: 400,
			fields: map[string]string{"accept_tos": "Must be true or false."}},
		{name: "accept_tos missing", json: with(good("frank"), "accept_tos", nil), status: 400,
			fields: map[string]string{"accept_tos": msgRequired}},
		{name: "not JSON", json: "{", status: 400, fields: map[string]string{"body": ""}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := f.s.Do(t, testserver.Request{Method: "POST", Path: "/api/v1/signup/", AppToken: f.a.AppToken, JSON: tc.json, Form: tc.form})
			if tc.status != http.StatusCreated {
				wantError(t, r, tc.status, tc.fields)
				return
			}
			if r.Status != http.StatusCreated {
				t.Fatalf("got status %d, want 201; body %s", r.Status, r.Body)
			}
			user, _ := r.JSON["user"].(map[string]any)
			username, _ := user["username"].(string)
			if user["role"] != "member" || user["id"] == "" || username == "" {
				t.Errorf("user: got %v, want a new member", user)
			}
			for _, key := range []string{"token", "id", "expires", "refresh_token", "refresh_expires"} {
				if r.String(key) == "" {
					t.Errorf("answer has no %s; body %s", key, r.Body)
				}
			}
			me := f.s.Must(t, http.StatusOK, testserver.Request{Method: "GET", Path: "/api/v1/users/me", AppToken: f.a.AppToken, Token: r.String("token")})
			if me.String("id") != user["id"] || me.String("role") != "member" || me.String("email") != username+"@example.test" {
				t.Errorf("users/me: got %s, want the new member", me.Body)
			}
			if got := f.refresh(t, r.String("refresh_token")); got.Status != http.StatusOK {
				t.Errorf("refresh of the signup's refresh token: got status %d, want 200", got.Status)
			}
			if got := f.login(t, username, "s3cret-pass", nil); got.Status != http.StatusOK {
				t.Errorf("login as the new member: got status %d, want 200", got.Status)
			}
		})
	}
	recs := f.auditOf(t, "signup")
	if len(recs) != 2 {
		t.Fatalf("signup audit: got %d records, want 2 (alice, bob)", len(recs))
	}
	for _, rec := range recs {
		if rec["outcome"] != "success" || rec["user"] == nil || rec["user"] != rec["target"] {
			t.Errorf("signup audit record: got %v, want a success naming the new user", rec)
		}
	}
}

// TestSignupRace: the unique username index lets one of 8 racing signups
// of one username win; the others get the taken-username error.
func TestSignupRace(t *testing.T) {
	f := newFlow(t, "rush", map[string]any{"allow_signup": true})
	rs := parallel(8, func(i int) *testserver.Response {
		return f.s.Do(t, testserver.Request{Method: "POST", Path: "/api/v1/signup", AppToken: f.a.AppToken,
			JSON: map[string]any{"username": "Racer", "password1": "racer-password", "password2": "racer-password",
				"email": fmt.Sprintf("racer%d@example.test", i), "accept_tos": true}})
	})
	if got := statuses(rs); got[http.StatusCreated] != 1 || got[http.StatusBadRequest] != 7 {
		t.Fatalf("got statuses %v, want one 201 and seven 400", got)
	}
	for _, r := range rs {
		if r.Status == http.StatusBadRequest {
			wantError(t, r, http.StatusBadRequest, map[string]string{"username": "A user with that username already exists."})
		}
	}
	list := f.s.Must(t, http.StatusOK, testserver.Request{Method: "GET", Path: "/api/v1/users?q=racer", AppToken: f.a.AppToken, Token: f.a.OwnerToken})
	if items, _ := list.JSON["items"].([]any); len(items) != 1 {
		t.Errorf("got %d users named racer, want 1", len(items))
	}
}
