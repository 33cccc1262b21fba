package sqlite

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/latchkey/latchkey/audit"
	"github.com/latchkey/latchkey/internal/clock"
	"github.com/latchkey/latchkey/internal/ended"
	"github.com/latchkey/latchkey/internal/errs"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/lastused"
	"github.com/latchkey/latchkey/internal/page"
	"github.com/latchkey/latchkey/tenants"
	"github.com/latchkey/latchkey/users"
	"github.com/latchkey/latchkey/usertokens"
)

// These tests check what is particular to this engine's SQL: NULLs, the
// millisecond times, the conditions of each statement. The behaviour both
// engines share is store/storetest's.

func TestTenantRoundTripAndPages(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t, t.TempDir())
	var made []*tenants.Tenant
	for range 5 {
		made = append(made, mustTenant(t, db))
	}
	made[0].Platform, made[0].Settings.AllowSignup, made[0].Status = true, true, tenants.Disabled
	if err := db.Tenants().Replace(ctx, made[0]); err != nil {
		t.Fatal(err)
	}
	got, err := db.Tenants().FindByID(ctx, made[0].ID)
	if err != nil || *got != *made[0] {
		t.Fatalf("round trip: got %+v, %v; want %+v", got, err, made[0])
	}
	missing := *made[0]
	missing.ID = "nosuchtenant"
	if err := db.Tenants().Replace(ctx, &missing); !errors.Is(err, tenants.ErrNotFound) {
		t.Errorf("replace missing: %v", err)
	}
	if _, _, err := db.Tenants().Find(ctx, page.Page{Limit: 2, Cursor: "Not A Slug"}); !errors.Is(err, page.BadCursor) {
		t.Errorf("bad cursor: %v", err)
	}
	var slugs []string
	for _, tn := range allPages(t, 2, func(pg page.Page) ([]tenants.Tenant, string, error) { return db.Tenants().Find(ctx, pg) }) {
		slugs = append(slugs, tn.Slug)
	}
	if len(slugs) != 5 || !sortedStrings(slugs) {
		t.Errorf("pages of tenants: %v, want 5 slugs in order", slugs)
	}
}

// allPages reads a whole list, limit items a page, following the cursors.
func allPages[T any](t *testing.T, limit int, find func(page.Page) ([]T, string, error)) []T {
	t.Helper()
	var all []T
	pg := page.Page{Limit: limit}
	for {
		list, next, err := find(pg)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, list...)
		if next == "" {
			return all
		}
		pg.Cursor = next
	}
}

func sortedStrings(s []string) bool {
	for i := 1; i < len(s); i++ {
		if s[i-1] >= s[i] {
			return false
		}
	}
	return true
}

func TestUserFilters(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t, t.TempDir())
	tn := mustTenant(t, db).ID
	now := clock.Stored(time.Now())
	for i, name := range []string{"Alice", "albert", "bob", "carol", "Alfred"} {
		u := newUser(name, now)
		if i == 2 {
			u.Email = "ALbus@example.com"
		}
		if i == 3 {
			u.Role, u.Status = "admin", users.Disabled
		}
		if err := db.Users().Insert(ctx, tn, u); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Users().Insert(ctx, tn, newUser("ALICE", now)); !errors.Is(err, users.ErrUsernameTaken) {
		t.Errorf("username taken, other case: %v", err)
	}
	got, err := db.Users().FindByUsername(ctx, tn, "aLiCe")
	if err != nil || got.Username != "Alice" || got.Email != "Alice@Example.com" || !got.Created.Equal(now) {
		t.Fatalf("FindByUsername: %+v, %v", got, err)
	}
	for _, c := range []struct {
		f    users.Filter
		want []string
	}{
		{users.Filter{}, []string{"Alice", "albert", "bob", "carol", "Alfred"}},
		{users.Filter{Q: "AL"}, []string{"Alice", "albert", "bob", "Alfred"}}, // bob by his email
		{users.Filter{Q: "alf"}, []string{"Alfred"}},
		{users.Filter{Q: "al", Role: "member"}, []string{"Alice", "albert", "bob", "Alfred"}},
		{users.Filter{Role: "admin"}, []string{"carol"}},
		{users.Filter{Status: users.Disabled, Role: "admin"}, []string{"carol"}},
		{users.Filter{Status: users.Active, Q: "c"}, nil},
	} {
		var names []string
		for _, u := range allPages(t, 2, func(pg page.Page) ([]users.User, string, error) { return db.Users().Find(ctx, tn, c.f, pg) }) {
			names = append(names, u.Username)
		}
		if fmt.Sprint(names) != fmt.Sprint(c.want) {
			t.Errorf("Find(%+v): got %v, want %v (in id order)", c.f, names, c.want)
		}
	}
	got.UsernameKey = "bob"
	if err := db.Users().Replace(ctx, tn, got); !errors.Is(err, users.ErrUsernameTaken) {
		t.Errorf("replace onto a taken username: %v", err)
	}
}

func TestUserTokenStatements(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t, t.TempDir())
	tn := mustTenant(t, db).ID
	s := db.UserTokens()
	now := clock.Stored(time.Now())
	user, other := ids.New(), ids.New()
	mk := func(kind string, uid ids.ID, refresh bool) *usertokens.Token {
		tok := &usertokens.Token{ID: ids.New(), Hash: "h", Kind: kind, UserID: uid, AppTokenID: ids.New(),
			Created: now, Expires: now.Add(time.Hour), Lifetime: 3600}
		if refresh {
			re := now.Add(2 * time.Hour)
			tok.RefreshHash, tok.RefreshExpires, tok.Chain = "r", &re, &tok.ID
		}
		if err := s.Insert(ctx, tn, tok); err != nil {
			t.Fatal(err)
		}
		return tok
	}
	login, personal, theirs := mk("login", user, true), mk("personal", user, false), mk("login", other, true)
	got, err := s.FindByID(ctx, tn, login.ID)
	if err != nil || got.RefreshExpires == nil || !got.RefreshExpires.Equal(*login.RefreshExpires) ||
		*got.Chain != login.ID || got.Parent != nil || got.ActorID != nil || got.LastUsed != nil {
		t.Fatalf("login token round trip: %+v, %v", got, err)
	}

	// Twenty refreshes of one token: one child.
	var wins, conflicts int
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			child := &usertokens.Token{ID: ids.New(), Hash: "h", Kind: "login", UserID: user, AppTokenID: ids.New(),
				Chain: &login.ID, Parent: &login.ID, Created: now, Expires: now.Add(time.Hour)}
			err := s.Insert(ctx, tn, child)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				wins++
			case errs.Is(err, errs.Conflict):
				conflicts++
			default:
				t.Errorf("refresh insert: %v", err)
			}
		})
	}
	wg.Wait()
	if wins != 1 || conflicts != 19 {
		t.Fatalf("20 inserts with one parent: %d won, %d conflicts; want 1 and 19", wins, conflicts)
	}
	if spent, err := s.HasChild(ctx, tn, login.ID); err != nil || !spent {
		t.Errorf("HasChild of the spent token: %v, %v", spent, err)
	}
	if spent, err := s.HasChild(ctx, tn, personal.ID); err != nil || spent {
		t.Errorf("HasChild of an unspent token: %v, %v", spent, err)
	}

	// Filters.
	list, _, err := s.Find(ctx, tn, usertokens.Filter{User: &user, Kind: "login"}, now, pageOfTen)
	if err != nil || len(list) != 2 || list[0].Parent == nil {
		t.Errorf("user's login tokens, newest first: %d, %v", len(list), err)
	}
	list, _, _ = s.Find(ctx, tn, usertokens.Filter{Active: new(false)}, now.Add(90*time.Minute), pageOfTen)
	if len(list) != 4 {
		t.Errorf("expired at +90m: %d tokens, want 4", len(list))
	}

	// An end only moves times back; a token without a refresh token
	// keeps none.
	later2 := now.Add(2 * time.Hour)
	if err := s.SetExpires(ctx, tn, personal.ID, ended.Change{Expires: later2, Now: later2, By: ended.Support}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetExpires(ctx, tn, ids.New(), ended.Change{Expires: now, Now: now, By: ended.Support}); !errs.Is(err, errs.NotFound) {
		t.Errorf("an end of a missing token: got %v, want NotFound", err)
	}
	if got, _ := s.FindByID(ctx, tn, personal.ID); !got.Expires.Equal(personal.Expires) || got.RefreshExpires != nil {
		t.Errorf("an end later: %+v", got)
	}

	// Expire: the user's live tokens except the kept one, counted.
	n, err := s.Expire(ctx, tn, usertokens.Selector{User: &user, Keep: personal.ID}, now, ended.Support)
	if err != nil || n != 2 {
		t.Errorf("Expire user's tokens but one: %d, %v; want 2", n, err)
	}
	if n, _ := s.Expire(ctx, tn, usertokens.Selector{User: &user, Keep: personal.ID}, now, ended.Support); n != 0 {
		t.Errorf("Expire again: %d, want 0", n)
	}
	if got, _ := s.FindByID(ctx, tn, login.ID); !got.Expires.Equal(now) || !got.RefreshExpires.Equal(now) {
		t.Errorf("expired login token: expires %v, refresh %v; want both %v", got.Expires, got.RefreshExpires, now)
	}
	if n, _ := s.Expire(ctx, tn, usertokens.Selector{Chain: theirs.Chain}, now, ended.Leak); n != 1 {
		t.Errorf("Expire chain: %d, want 1", n)
	}

	if err := s.SetExpires(ctx, tn, personal.ID, ended.Change{Expires: now.Add(time.Minute), Now: now}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetExpires(ctx, tn, ids.New(), ended.Change{Expires: now, Now: now, By: ended.User}); !errors.Is(err, usertokens.ErrNotFound) {
		t.Errorf("SetExpires of a missing token: %v", err)
	}
	// Purge: the personal token expires at +1m; the others expired at now.
	if n, err := s.PurgeExpired(ctx, tn, now.Add(time.Second)); err != nil || n != 3 {
		t.Errorf("purge at +1s: %d, %v; want 3", n, err)
	}
	if n, _ := s.PurgeExpired(ctx, tn, now.Add(2*time.Minute)); n != 1 {
		t.Errorf("purge at +2m: %d, want 1", n)
	}
}

func TestClaimStatements(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t, t.TempDir())
	tn := mustTenant(t, db).ID
	s := db.Claims()
	now := clock.Stored(time.Now())
	c := usertokens.Claim{ID: "lock|u", Expires: now.Add(time.Minute)}
	if err := s.InsertClaim(ctx, tn, c); err != nil {
		t.Fatal(err)
	}
	if err := s.InsertClaim(ctx, tn, c); !errs.Is(err, errs.Conflict) {
		t.Errorf("claim taken: %v", err)
	}
	if got, err := s.FindClaim(ctx, tn, "nothing"); got != nil || err != nil {
		t.Errorf("missing claim: %v, %v", got, err)
	}
	old, _ := s.FindClaim(ctx, tn, c.ID)
	until := now.Add(time.Hour)
	if err := s.ReplaceClaim(ctx, tn, old, usertokens.Claim{ID: c.ID, Expires: until, Until: &until}); err != nil {
		t.Fatal(err)
	}
	if err := s.ReplaceClaim(ctx, tn, old, usertokens.Claim{ID: c.ID, Expires: now}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.FindClaim(ctx, tn, c.ID); got == nil || got.Until == nil || !got.Until.Equal(until) {
		t.Errorf("replace of a changed claim changed it: %+v", got)
	}
	if err := s.DeleteClaim(ctx, tn, "nothing"); err != nil {
		t.Errorf("delete missing claim: %v", err)
	}
	if n, err := s.PurgeClaims(ctx, tn, until.Add(time.Millisecond)); err != nil || n != 1 {
		t.Errorf("purge: %d, %v", n, err)
	}
}

func TestAuditFilters(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t, t.TempDir())
	tn := mustTenant(t, db).ID
	alice, bob := ids.New(), ids.New()
	base := clock.Stored(time.Now().Add(-time.Hour))
	var all []ids.ID
	add := func(sec int, action string, user, actor *ids.ID) {
		at := base.Add(time.Duration(sec) * time.Second)
		r := &audit.Record{ID: ids.NewAt(at), At: at, Action: action, User: user, Actor: actor, IP: "127.0.0.1"}
		if err := db.Audit().Insert(ctx, tn, r); err != nil {
			t.Fatal(err)
		}
		all = append(all, r.ID)
	}
	add(0, "login", &alice, nil)
	add(1, "user.update", &bob, &alice)
	add(2, "login", &alice, &alice) // user and actor: listed once
	add(3, "login", &bob, nil)
	add(4, "token.expire", nil, &alice)
	add(5, "tenant.update", nil, nil)
	since := base.Add(2 * time.Second)
	for _, c := range []struct {
		f    audit.Filter
		want []int
	}{
		{audit.Filter{}, []int{5, 4, 3, 2, 1, 0}},
		{audit.Filter{User: &alice}, []int{4, 2, 1, 0}},
		{audit.Filter{User: &alice, Action: "login"}, []int{2, 0}},
		{audit.Filter{User: &alice, Since: &since}, []int{4, 2}},
		{audit.Filter{Action: "login", Since: &since}, []int{3, 2}},
		{audit.Filter{User: &bob}, []int{3, 1}},
	} {
		for _, limit := range []int{1, 3, 10} {
			var got []int
			for _, r := range allPages(t, limit, func(pg page.Page) ([]audit.Record, string, error) { return db.Audit().Find(ctx, tn, c.f, pg) }) {
				got = append(got, slices.Index(all, r.ID))
			}
			if fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Errorf("Find(%+v) in pages of %d: got %v, want %v", c.f, limit, got, c.want)
			}
		}
	}
}

func TestLastUsedKeepsTheLatest(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t, t.TempDir())
	tn := mustTenant(t, db).ID
	now := clock.Stored(time.Now())
	tok := newAppToken(now)
	if err := db.AppTokens().Insert(ctx, tn, tok); err != nil {
		t.Fatal(err)
	}
	later, earlier := now.Add(time.Minute), now.Add(time.Second)
	many := []lastused.Use{{ID: tok.ID, At: later}, {ID: ids.New(), At: later}} // the second is missing
	for range lastUsedBatch {
		many = append(many, lastused.Use{ID: ids.New(), At: later})
	}
	if err := db.LastUsed().Write(ctx, tn, "app_tokens", many); err != nil {
		t.Fatal(err)
	}
	if err := db.LastUsed().Write(ctx, tn, "app_tokens", []lastused.Use{{ID: tok.ID, At: earlier}}); err != nil {
		t.Fatal(err)
	}
	got, _ := db.AppTokens().FindByID(ctx, tn, tok.ID)
	if got.LastUsed == nil || !got.LastUsed.Equal(later) {
		t.Errorf("last_used %v, want the later %v", got.LastUsed, later)
	}
	if err := db.LastUsed().Write(ctx, tn, "nonsense", many); err == nil {
		t.Error("a flush to an unknown collection succeeded")
	}
}
