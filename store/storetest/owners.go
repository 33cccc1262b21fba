package storetest

import (
	"fmt"
	"testing"

	"github.com/latchkey/latchkey/internal/access"
	"github.com/latchkey/latchkey/internal/errs"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/page"
	"github.com/latchkey/latchkey/users"
)

// testOwners: Replace and Delete refuse, with ErrLastOwner, to remove,
// disable or demote the tenant's last active owner, and allow it while
// another active owner remains.
func testOwners(t *testing.T, open Opener) {
	e := newEnv(t, open)
	us := e.st.Users()
	tid := e.tenant.ID
	boss, err := us.FindByUsername(e.ctx, tid, "boss")
	must(t, "find boss", err)
	removals := map[string]func(u users.User) error{
		"delete":  func(u users.User) error { return us.Delete(e.ctx, tid, u.ID) },
		"disable": func(u users.User) error { u.Status = users.Disabled; return us.Replace(e.ctx, tid, &u) },
		"demote":  func(u users.User) error { u.Role = access.Admin; return us.Replace(e.ctx, tid, &u) },
	}
	// A disabled owner is no active owner: boss is still the last one.
	idle := e.newUser(t, "idle", "idle@example.test", access.Owner)
	idle.Status = users.Disabled
	must(t, "disable the second owner", us.Replace(e.ctx, tid, idle))
	for name, remove := range removals {
		wantErr(t, name+" the last active owner", remove(*boss), users.ErrLastOwner)
	}
	if n := activeOwners(t, e, tid); n != 1 {
		t.Fatalf("%d active owners after refused removals, want 1", n)
	}
	// Other changes of the last owner stand.
	renamed := *boss
	renamed.Email = "new-boss@example.test"
	must(t, "change the last owner's email", us.Replace(e.ctx, tid, &renamed))

	for name, remove := range removals {
		other := e.newUser(t, "co-"+name, name+"@example.test", access.Owner)
		must(t, name+" an owner while another is active", remove(*other))
	}
	wantErr(t, "delete a missing user", us.Delete(e.ctx, tid, ids.New()), users.ErrNotFound)
	// Making the disabled owner active again lets boss go.
	idle.Status = users.Active
	must(t, "enable the second owner", us.Replace(e.ctx, tid, idle))
	must(t, "delete boss", us.Delete(e.ctx, tid, boss.ID))
	wantErr(t, "delete the new last owner", us.Delete(e.ctx, tid, idle.ID), users.ErrLastOwner)
}

// testRaceLastOwner: n active owners each remove another at the same moment
// (deleting, disabling or demoting it), released together, in several
// rounds. Whatever the order, exactly one active owner remains: n-1
// removals succeed and one, every round, gets ErrLastOwner.
func testRaceLastOwner(t *testing.T, open Opener) {
	const n, rounds = 6, 4
	e := newEnv(t, open)
	us := e.st.Users()
	tid := e.tenant.ID
	for round := range rounds {
		list, _, err := us.Find(e.ctx, tid, users.Filter{}, page.Page{Limit: 100})
		must(t, "list", err)
		var owners []users.User
		for _, u := range list {
			if u.ActiveOwner() {
				owners = append(owners, u)
			}
		}
		for i := len(owners); i < n; i++ {
			u := e.newUser(t, fmt.Sprintf("owner-%d-%d", round, i), fmt.Sprintf("o%d.%d@example.test", round, i), access.Owner)
			owners = append(owners, *u)
		}
		remove := func(i int) error {
			u := owners[i]
			switch i % 3 {
			case 0:
				return us.Delete(e.ctx, tid, u.ID)
			case 1:
				u.Status = users.Disabled
			default:
				u.Role = access.Member
			}
			return us.Replace(e.ctx, tid, &u)
		}
		got := race(n, func(i int) error {
			// On a loaded machine a change can outwait the engine's lock
			// (MongoDB: 10 s) and answer Unavailable, which changes
			// nothing; a client retries it after Retry-After, and so does
			// this test, so every round still decides all n removals.
			for try := 0; ; try++ {
				err := remove(i)
				if !errs.Is(err, errs.Unavailable) || try == 4 {
					return err
				}
			}
		})
		if got[""] != n-1 || got[errs.Conflict] != 1 {
			t.Errorf("round %d: outcomes %v, want %d successes and 1 conflict", round, got, n-1)
		}
		if live := activeOwners(t, e, tid); live != 1 {
			t.Fatalf("round %d: %d active owners after %v, want 1", round, live, got)
		}
	}
}

// activeOwners counts the active owners of tenant tid.
func activeOwners(t *testing.T, e *env, tid string) int {
	t.Helper()
	list, _, err := e.st.Users().Find(e.ctx, tid, users.Filter{Role: string(access.Owner), Status: users.Active}, page.Page{Limit: 100})
	must(t, "list active owners", err)
	return len(list)
}
