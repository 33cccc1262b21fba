package storetest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/latchkey/latchkey/apptokens"
	"github.com/latchkey/latchkey/internal/access"
	"github.com/latchkey/latchkey/internal/ended"
	"github.com/latchkey/latchkey/internal/errs"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/page"
	"github.com/latchkey/latchkey/tenants"
	"github.com/latchkey/latchkey/users"
	"github.com/latchkey/latchkey/usertokens"
)

// A token, id or user of one tenant reads and changes nothing in another.
func testIsolation(t *testing.T, open Opener) {
	e := newEnv(t, open)
	other := e.newTenant(t, "other")
	ctx := e.ctx
	tok := e.newToken(t, usertokens.Personal, ids.New(), time.Hour, nil)
	boss, err := e.st.Users().FindByUsername(ctx, e.tenant.ID, "boss")
	must(t, "boss", err)
	_, err = e.st.UserTokens().FindByID(ctx, other.ID, tok.ID)
	wantErr(t, "a token read in another tenant", err, usertokens.ErrNotFound)
	_, err = e.st.Users().FindByID(ctx, other.ID, boss.ID)
	wantErr(t, "a user read in another tenant", err, users.ErrNotFound)
	wantErr(t, "a token expired in another tenant", e.st.UserTokens().SetExpires(ctx, other.ID, tok.ID, end(e.now(), ended.Support)), usertokens.ErrNotFound)
	wantErr(t, "a user deleted in another tenant", e.st.Users().Delete(ctx, other.ID, boss.ID), users.ErrNotFound)
	if n, err := e.st.UserTokens().Expire(ctx, other.ID, usertokens.Selector{User: &tok.UserID}, e.now(), ended.Support); n != 0 || err != nil {
		t.Errorf("bulk expiry in another tenant: got %d, %v", n, err)
	}
	if got, _ := e.st.UserTokens().FindByID(ctx, e.tenant.ID, tok.ID); got == nil || !got.Live(e.now()) {
		t.Errorf("the token was touched from another tenant")
	}
	// Both tenants have an owner called boss: one username per tenant.
	if b2, err := e.st.Users().FindByUsername(ctx, other.ID, "boss"); err != nil || b2.ID == boss.ID {
		t.Errorf("the other tenant's boss: %v, %v", b2, err)
	}
}

// The retention purge deletes what expired before the cutoff, in one tenant.
func testPurge(t *testing.T, open Opener) {
	e := newEnv(t, open)
	now := e.now()
	ann := ids.New()
	gone := e.newToken(t, usertokens.Personal, ann, -2*time.Hour, nil)
	refreshAt := now.Add(time.Hour)
	keptByRefresh := e.newToken(t, usertokens.Login, ann, -2*time.Hour, func(tok *usertokens.Token) { tok.RefreshExpires = &refreshAt })
	recent := e.newToken(t, usertokens.Personal, ann, -time.Minute, nil)
	n, err := e.st.UserTokens().PurgeExpired(e.ctx, e.tenant.ID, now.Add(-time.Hour))
	must(t, "purge", err)
	if n != 1 {
		t.Errorf("purged %d tokens, want 1", n)
	}
	if _, err := e.st.UserTokens().FindByID(e.ctx, e.tenant.ID, gone.ID); !errs.Is(err, errs.NotFound) {
		t.Errorf("the expired token was kept: %v", err)
	}
	for _, tok := range []*usertokens.Token{keptByRefresh, recent} {
		if _, err := e.st.UserTokens().FindByID(e.ctx, e.tenant.ID, tok.ID); err != nil {
			t.Errorf("token %s was purged: %v", tok.ID, err)
		}
	}
}

// 20 concurrent refreshes of one refresh token: exactly one wins; the others
// are reuse, which revokes the whole chain, the winner's new token included.
func testRaceRefresh(t *testing.T, open Opener) {
	e := newEnv(t, open)
	app := firstAppToken(t, e)
	sess, err := e.app.Tokens.Login(e.ctx, e.tenant.ID, usertokens.LoginInput{Username: "boss", Password: "boss-password", AppToken: app})
	must(t, "login", err)
	const n = 20
	var (
		wg         sync.WaitGroup
		mu         sync.Mutex
		winners    []*usertokens.Session
		reused     int
		unexpected []error
	)
	start := make(chan struct{})
	for range n {
		wg.Go(func() {
			<-start
			s, _, err := e.app.Tokens.Refresh(e.ctx, e.tenant, usertokens.RefreshInput{RefreshToken: sess.RefreshSecret, AppToken: app})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				winners = append(winners, s)
			case errs.Is(err, errs.Unauthorized):
				reused++
			default:
				unexpected = append(unexpected, err)
			}
		})
	}
	close(start)
	wg.Wait()
	if len(winners) != 1 || reused != n-1 || len(unexpected) > 0 {
		t.Fatalf("got %d winners, %d reuse answers, errors %v; want 1 and %d", len(winners), reused, unexpected, n-1)
	}
	now := e.now()
	for _, id := range []ids.ID{sess.Token.ID, winners[0].Token.ID} {
		tok, err := e.st.UserTokens().FindByID(e.ctx, e.tenant.ID, id)
		must(t, "find", err)
		if tok.Live(now) || tok.RefreshExpires != nil && tok.RefreshExpires.After(now) {
			t.Errorf("token %s of the reused chain still lives (expires %v, refresh %v)", id, tok.Expires, tok.RefreshExpires)
		}
	}
}

func firstAppToken(t *testing.T, e *env) ids.ID {
	t.Helper()
	list, _, err := e.st.AppTokens().Find(e.ctx, e.tenant.ID, page.Page{Limit: 1})
	must(t, "app tokens", err)
	if len(list) != 1 {
		t.Fatalf("the tenant has no app token")
	}
	return list[0].ID
}

// 20 parallel wrong passwords get at most lockout_attempts password checks.
func testRaceLockout(t *testing.T, open Opener) {
	e := newEnv(t, open)
	app := firstAppToken(t, e)
	before := e.app.Tokens.PasswordChecks()
	var wg sync.WaitGroup
	start := make(chan struct{})
	var mu sync.Mutex
	codes := map[errs.Code]int{}
	for range 20 {
		wg.Go(func() {
			<-start
			_, err := e.app.Tokens.Login(e.ctx, e.tenant.ID, usertokens.LoginInput{Username: "boss", Password: "wrong-password", AppToken: app})
			e, _ := errs.As(err)
			mu.Lock()
			defer mu.Unlock()
			if e == nil {
				codes["none"]++
				return
			}
			codes[e.Code]++
		})
	}
	close(start)
	wg.Wait()
	checks := e.app.Tokens.PasswordChecks() - before
	if limit := int64(e.tenant.Settings.LockoutAttempts); checks > limit || checks < 1 {
		t.Errorf("got %d password checks for 20 parallel wrong passwords, want 1 to %d", checks, limit)
	}
	if codes[errs.Unauthorized]+codes[errs.Locked] != 20 {
		t.Errorf("got answers %v, want only unauthorized and locked", codes)
	}
	// The right password is refused too now.
	_, err := e.app.Tokens.Login(e.ctx, e.tenant.ID, usertokens.LoginInput{Username: "boss", Password: "boss-password", AppToken: app})
	wantCode(t, "the right password after the flood", err, errs.Locked)
}

// 20 concurrent creations of one username: one user, 19 conflicts.
func testRaceUsername(t *testing.T, open Opener) {
	e := newEnv(t, open)
	results := race(20, func(i int) error {
		_, err := e.app.Users.Create(e.ctx, e.tenant.ID, users.New{Username: "Twin", Password: "twin-password",
			Email: "twin@example.test", Role: access.Member}, nil)
		return err
	})
	if results[""] != 1 || results[errs.Conflict] != 19 {
		t.Errorf("got %v, want 1 success and 19 conflicts", results)
	}
	list, _, err := e.st.Users().Find(e.ctx, e.tenant.ID, users.Filter{Q: "twin"}, page.Page{Limit: 50})
	must(t, "list", err)
	if len(list) != 1 {
		t.Errorf("got %d users named twin, want 1", len(list))
	}
}

// 10 concurrent creations of one slug: one tenant, 9 conflicts.
func testRaceSlug(t *testing.T, open Opener) {
	e := newEnv(t, open)
	results := race(10, func(i int) error {
		_, _, err := e.app.Tenants.Create(e.ctx, tenants.NewTenant{Slug: "contested", Name: "Contested"},
			tenants.Owner{Username: "boss", Password: "boss-password", Email: "boss@example.test"})
		return err
	})
	if results[""] != 1 || results[errs.Conflict] != 9 {
		t.Errorf("got %v, want 1 success and 9 conflicts", results)
	}
	tn, err := e.st.Tenants().FindBySlug(e.ctx, "contested")
	must(t, "find", err)
	if tn.Status != tenants.Active {
		t.Errorf("the winner is %s, want active", tn.Status)
	}
	if _, err := e.st.Users().FindByUsername(e.ctx, tn.ID, "boss"); err != nil {
		t.Errorf("the winner has no owner: %v", err)
	}
	if live := liveAppTokens(t, e, tn.ID); live != 1 {
		t.Errorf("the winner has %d live app tokens, want 1", live)
	}
}

// testRaceLastAppToken removes ten live app tokens of one tenant at once,
// half by deleting, half by expiring, each guarded by KeepLive: whatever
// the order, at least one stays live.
func testRaceLastAppToken(t *testing.T, open Opener) {
	e := newEnv(t, open)
	as := e.st.AppTokens()
	tid := e.tenant.ID
	now := e.now()
	list, _, err := as.Find(e.ctx, tid, page.Page{Limit: 10})
	must(t, "list", err)
	for range 9 {
		tok := &apptokens.Token{ID: ids.New(), Hash: ids.New().Hex(), Created: now, Expires: now.Add(time.Hour)}
		must(t, "insert", as.Insert(e.ctx, tid, tok))
		list = append(list, *tok)
	}
	keep := apptokens.KeepLive{At: now}
	got := race(len(list), func(i int) error {
		if i%2 == 0 {
			return as.Delete(e.ctx, tid, list[i].ID, keep)
		}
		return as.SetExpires(e.ctx, tid, list[i].ID, end(now, ended.Support), keep)
	})
	if got[""]+got[errs.Conflict] != len(list) {
		t.Fatalf("outcomes %v, want only successes and conflicts", got)
	}
	if live := liveAppTokens(t, e, tid); live < 1 || live != got[errs.Conflict] {
		t.Errorf("%d live app tokens after %v, want as many as refused removals and at least 1", live, got)
	}
}

// liveAppTokens counts the app tokens of tenant tid live at e.now().
func liveAppTokens(t *testing.T, e *env, tid string) int {
	t.Helper()
	list, _, err := e.st.AppTokens().Find(e.ctx, tid, page.Page{Limit: 100})
	must(t, "list app tokens", err)
	n := 0
	for _, tok := range list {
		if tok.Expires.After(e.now()) {
			n++
		}
	}
	return n
}

// race runs f n times at once and counts the outcomes by error code ("" for
// success, "other" for an error without a code).
func race(n int, f func(i int) error) map[errs.Code]int {
	var (
		wg  sync.WaitGroup
		mu  sync.Mutex
		out = map[errs.Code]int{}
	)
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			err := f(i)
			var code errs.Code
			if err != nil {
				code = "other"
				var e *errs.Error
				if errors.As(err, &e) {
					code = e.Code
				}
			}
			mu.Lock()
			out[code]++
			mu.Unlock()
		})
	}
	close(start)
	wg.Wait()
	return out
}
