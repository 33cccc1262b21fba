package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/access"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/page"
	"github.com/latchkey/latchkey/users"
)

var usersFilterAll = users.Filter{}

func (e *env) newUser(t *testing.T, username, email string, role access.Role) *users.User {
	t.Helper()
	u, err := e.app.Users.Create(e.ctx, e.tenant.ID, users.New{Username: username, Password: "password-" + username,
		Email: email, Role: role}, nil)
	must(t, "create user "+username, err)
	return u
}

func testUsers(t *testing.T, open Opener) {
	e := newEnv(t, open)
	us := e.st.Users()
	tid := e.tenant.ID
	ann := e.newUser(t, "Ann.Lee", "ann@Example.test", access.Admin)
	bob := e.newUser(t, "bob", "Bob@other.test", access.Member)
	cat := e.newUser(t, "cat", "annex@example.test", access.Member)

	got, err := us.FindByUsername(e.ctx, tid, "ANN.LEE")
	must(t, "find by username, other case", err)
	if *got != *ann {
		t.Errorf("FindByUsername: got %+v, want %+v", got, ann)
	}
	byID, err := us.FindByID(e.ctx, tid, bob.ID)
	must(t, "find by id", err)
	if *byID != *bob {
		t.Errorf("FindByID: got %+v, want %+v", byID, bob)
	}
	_, err = us.FindByID(e.ctx, tid, ids.New())
	wantErr(t, "unknown id", err, users.ErrNotFound)
	_, err = us.FindByUsername(e.ctx, tid, "nobody")
	wantErr(t, "unknown username", err, users.ErrNotFound)

	clash := *bob
	clash.ID, clash.Username, clash.UsernameKey = ids.New(), "BOB", users.UsernameKey("BOB")
	wantErr(t, "a taken username in another case", us.Insert(e.ctx, tid, &clash), users.ErrUsernameTaken)

	for _, c := range []struct {
		name string
		f    users.Filter
		want []*users.User
	}{
		{"role", users.Filter{Role: "member"}, []*users.User{bob, cat}},
		{"username prefix, any case", users.Filter{Q: "aNN.L"}, []*users.User{ann}},
		{"email prefix, any case", users.Filter{Q: "ANNEX"}, []*users.User{cat}},
		{"username and email of one user", users.Filter{Q: "bob"}, []*users.User{bob}},
		{"usernames and emails of several", users.Filter{Q: "ann"}, []*users.User{ann, cat}},
		{"nothing", users.Filter{Q: "zz"}, nil},
		{"regexp characters are plain text", users.Filter{Q: ".*"}, nil},
	} {
		list, _, err := us.Find(e.ctx, tid, c.f, page.Page{Limit: 50})
		must(t, c.name, err)
		want := make([]string, len(c.want))
		for i, u := range c.want {
			want[i] = u.ID.Hex()
		}
		if got := idsOf(list, func(u *users.User) ids.ID { return u.ID }); !slices.Equal(got, want) {
			t.Errorf("Find %s: got %v, want %v", c.name, got, want)
		}
	}

	// Pages in id order (creation order): boss, ann, bob, cat.
	var all []string
	pg := page.Page{Limit: 3}
	for {
		list, next, err := us.Find(e.ctx, tid, users.Filter{}, pg)
		must(t, "page", err)
		all = append(all, idsOf(list, func(u *users.User) ids.ID { return u.ID })...)
		if next == "" {
			break
		}
		pg.Cursor = next
	}
	if len(all) != 4 || all[1] != ann.ID.Hex() || all[3] != cat.ID.Hex() || !slices.IsSorted(all) {
		t.Errorf("pages: got %v, want boss, ann, bob, cat in id order", all)
	}
	_, _, err = us.Find(e.ctx, tid, users.Filter{}, page.Page{Limit: 3, Cursor: "nope"})
	wantErr(t, "bad cursor", err, page.BadCursor)

	changed := *bob
	changed.Email, changed.Status, changed.Role = "new@example.test", users.Disabled, access.Support
	changed.Updated = e.now().Add(time.Second)
	must(t, "replace", us.Replace(e.ctx, tid, &changed))
	back, _ := us.FindByID(e.ctx, tid, bob.ID)
	if back == nil || *back != changed {
		t.Errorf("after Replace: got %+v, want %+v", back, changed)
	}
	if list, _, _ := us.Find(e.ctx, tid, users.Filter{Status: users.Disabled}, page.Page{Limit: 9}); len(list) != 1 || list[0].ID != bob.ID {
		t.Errorf("status filter after Replace: got %v, want bob", list)
	}
	ghost := changed
	ghost.ID = ids.New()
	wantErr(t, "replace of a missing user", us.Replace(e.ctx, tid, &ghost), users.ErrNotFound)

	must(t, "delete", us.Delete(e.ctx, tid, bob.ID))
	_, err = us.FindByUsername(e.ctx, tid, "bob")
	wantErr(t, "a deleted user", err, users.ErrNotFound)
	wantErr(t, "delete again", us.Delete(e.ctx, tid, bob.ID), users.ErrNotFound)
	// The username is free again.
	e.newUser(t, "bob", "bob2@example.test", access.Member)
}
