package e2e_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/latchkey/latchkey/client"
	"github.com/latchkey/latchkey/client/api"
	"github.com/latchkey/latchkey/internal/testserver"
)

func newClient(t *testing.T, s *testserver.Server, creds client.Credentials) *client.Client {
	t.Helper()
	c, err := client.New(s.URL, creds)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestLoginSendsTheTokenFromThenOn(t *testing.T) {
	s := testserver.Start(t)
	c := newClient(t, s, client.Credentials{AppToken: s.AppToken})
	ctx := context.Background()
	sess, err := c.Login(ctx, s.Username, s.Password)
	if err != nil {
		t.Fatalf("Login: %v", err)
	}
	if c.Credentials().Token != sess.Token || sess.User.Role != api.RoleOwner {
		t.Errorf("got credentials %+v after a login as %+v", c.Credentials(), sess.User)
	}
	me, err := c.GetMeWithResponse(ctx)
	if err != nil {
		t.Fatalf("GetMe: %v", err)
	}
	if me.JSON200.Username != s.Username {
		t.Errorf("got me %q, want %q", me.JSON200.Username, s.Username)
	}
	// A client made with a token it was given works alike.
	other := newClient(t, s, client.Credentials{AppToken: s.AppToken, Token: sess.Token})
	if _, err := other.GetCurrentTokenWithResponse(ctx); err != nil {
		t.Errorf("GetCurrentToken with a given token: %v", err)
	}
}

func TestErrorsAreValues(t *testing.T) {
	s := testserver.Start(t)
	ctx := context.Background()
	c := newClient(t, s, client.Credentials{AppToken: s.AppToken})

	_, err := c.Login(ctx, s.Username, "wrong-password")
	var e *client.Error
	if !errors.As(err, &e) || e.Status != http.StatusUnauthorized || e.Fields["credentials"] == "" || e.RequestID == "" {
		t.Fatalf("wrong password: got %#v, want a 401 *Error on credentials with a request id", err)
	}
	if _, err := c.Login(ctx, s.Username, s.Password); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetUserWithResponse(ctx, "0123456789abcdef01234567")
	if !errors.As(err, &e) || e.Status != http.StatusNotFound || e.Fields["user"] != "No such user." {
		t.Errorf("unknown user: got %v, want 404 on user", err)
	}
	name := "x"
	_, err = c.CreateUserWithResponse(ctx, api.NewUserRequest{Username: name, Password: "short", Email: "no", Role: "king"})
	if !errors.As(err, &e) || e.Status != http.StatusBadRequest || len(e.Fields) != 4 {
		t.Errorf("bad user: got %v, want 400 with 4 fields", err)
	}
	if want := "latchkey: 400 Bad Request; email: "; err == nil || len(err.Error()) < len(want) || err.Error()[:len(want)] != want {
		t.Errorf("got message %q, want it to start %q (fields in order)", err, want)
	}
	c.SetToken("")
	_, err = c.GetMeWithResponse(ctx)
	if !errors.As(err, &e) || e.Status != http.StatusUnauthorized || e.Fields["Token"] == "" {
		t.Errorf("no token: got %v, want 401 on Token", err)
	}
}

func TestPagesAreFollowed(t *testing.T) {
	s := testserver.Start(t)
	ctx := context.Background()
	c := newClient(t, s, client.Credentials{AppToken: s.AppToken})
	if _, err := c.Login(ctx, s.Username, s.Password); err != nil {
		t.Fatal(err)
	}
	for i := range 6 {
		name := fmt.Sprintf("user%d", i)
		if _, err := c.CreateUserWithResponse(ctx, api.NewUserRequest{Username: name, Password: name + "-password",
			Email: name + "@example.test", Role: api.RoleMember}); err != nil {
			t.Fatal(err)
		}
	}
	limit := 2
	users, err := client.Collect(c.Users(ctx, &api.ListUsersParams{Limit: &limit}))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, u := range users {
		seen[u.Id] = true
	}
	if len(users) != 7 || len(seen) != 7 {
		t.Errorf("got %d users (%d distinct) in pages of 2, want 7", len(users), len(seen))
	}
	role := api.RoleMember
	members, err := client.Collect(c.Users(ctx, &api.ListUsersParams{Role: &role, Limit: &limit}))
	if err != nil || len(members) != 6 {
		t.Errorf("members: got %d, %v, want 6", len(members), err)
	}
	n := 0
	for range c.Users(ctx, &api.ListUsersParams{Limit: &limit}) {
		if n++; n == 3 {
			break // stopping early must not panic or fetch on
		}
	}
	bad := 0
	_, err = client.Collect(c.Users(ctx, &api.ListUsersParams{Limit: &bad}))
	var e *client.Error
	if !errors.As(err, &e) || e.Fields["limit"] == "" {
		t.Errorf("limit 0: got %v, want a 400 on limit", err)
	}
	for name, seq := range map[string]func() error{
		"tokens":     func() error { _, err := client.Collect(c.Tokens(ctx, nil)); return err },
		"app tokens": func() error { _, err := client.Collect(c.AppTokens(ctx, nil)); return err },
		"audit":      func() error { _, err := client.Collect(c.Audit(ctx, nil)); return err },
		"tenants":    func() error { _, err := client.Collect(c.Tenants(ctx, nil)); return err },
	} {
		if err := seq(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}
