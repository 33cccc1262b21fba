package storetest

import (
	"testing"
	"time"

	"github.com/latchkey/latchkey/apptokens"
	"github.com/latchkey/latchkey/internal/ended"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/usertokens"
)

// testExpiredIsFinal: the store re-dates only a live token
// ("expired is final"), whatever ended it; an end never moves an expiry
// later and keeps the first reason; ended_by reads back as written, and a
// record that never had one (an older record) reads as empty.
func testExpiredIsFinal(t *testing.T, open Opener) {
	e := newEnv(t, open)
	as, ts := e.st.AppTokens(), e.st.UserTokens()
	tid := e.tenant.ID
	now := e.now()

	app := func(ttl time.Duration, by ended.By) *apptokens.Token {
		t.Helper()
		tok := &apptokens.Token{ID: ids.New(), Hash: ids.New().Hex(), Created: now, Expires: now.Add(ttl), EndedBy: by}
		must(t, "insert app token", as.Insert(e.ctx, tid, tok))
		return tok
	}
	wantApp := func(what string, id ids.ID, expires time.Time, by ended.By) {
		t.Helper()
		got, err := as.FindByID(e.ctx, tid, id)
		must(t, what, err)
		if !got.Expires.Equal(expires) || got.EndedBy != by {
			t.Errorf("%s: expires %v, ended_by %q; want %v, %q", what, got.Expires, got.EndedBy, expires, by)
		}
	}

	// Ended by hand: never re-dated, not even a second later; a second end
	// changes nothing and keeps the first reason.
	leaked := app(time.Hour, "")
	must(t, "end by a leak report", as.SetExpires(e.ctx, tid, leaked.ID, end(now, ended.Leak), apptokens.Force))
	wantApp("after the leak report", leaked.ID, now, ended.Leak)
	wantErr(t, "re-date a leaked app token", as.SetExpires(e.ctx, tid, leaked.ID, redate(now.Add(24*time.Hour), now), apptokens.Force), apptokens.ErrExpired)
	wantErr(t, "re-date it a second later", as.SetExpires(e.ctx, tid, leaked.ID, redate(now.Add(time.Hour), now.Add(time.Second)), apptokens.Force), apptokens.ErrExpired)
	must(t, "end it again", as.SetExpires(e.ctx, tid, leaked.ID, end(now.Add(time.Minute), ended.Support), apptokens.KeepLive{At: now.Add(time.Minute)}))
	wantApp("after the refusals and a second end", leaked.ID, now, ended.Leak)

	// Ran out: refused all the same, and an end moves nothing and names no
	// reason (it reads as "time").
	ranOut := app(-time.Minute, "")
	wantErr(t, "re-date an app token that ran out", as.SetExpires(e.ctx, tid, ranOut.ID, redate(now.Add(time.Hour), now), apptokens.Force), apptokens.ErrExpired)
	must(t, "end an app token that ran out", as.SetExpires(e.ctx, tid, ranOut.ID, end(now, ended.User), apptokens.Force))
	wantApp("an app token that ran out", ranOut.ID, now.Add(-time.Minute), "")

	// Live: re-dated both ways; it ran out once the clock passes its expiry.
	live := app(time.Hour, "")
	must(t, "re-date a live app token", as.SetExpires(e.ctx, tid, live.ID, redate(now.Add(2*time.Hour), now), apptokens.Force))
	must(t, "shorten a live app token", as.SetExpires(e.ctx, tid, live.ID, redate(now.Add(time.Minute), now), apptokens.Force))
	wantApp("a re-dated app token", live.ID, now.Add(time.Minute), "")
	wantErr(t, "re-date it after it ran out", as.SetExpires(e.ctx, tid, live.ID, redate(now.Add(time.Hour), now.Add(time.Minute)), apptokens.Force), apptokens.ErrExpired)
	wantErr(t, "re-date a missing app token", as.SetExpires(e.ctx, tid, ids.New(), redate(now.Add(time.Hour), now), apptokens.Force), apptokens.ErrNotFound)
	// A reason written with the record (a copied store) reads back.
	copied := app(-time.Hour, ended.Issuer)
	wantApp("a copied app token", copied.ID, now.Add(-time.Hour), ended.Issuer)

	// User tokens: the same, and an end also ends the refresh token.
	user := ids.New()
	refreshAt := now.Add(24 * time.Hour)
	wantUser := func(what string, id ids.ID, expires time.Time, by ended.By) *usertokens.Token {
		t.Helper()
		got, err := ts.FindByID(e.ctx, tid, id)
		must(t, what, err)
		if !got.Expires.Equal(expires) || got.EndedBy != by {
			t.Errorf("%s: expires %v, ended_by %q; want %v, %q", what, got.Expires, got.EndedBy, expires, by)
		}
		return got
	}
	login := e.newToken(t, usertokens.Login, user, time.Hour, func(tok *usertokens.Token) {
		tok.RefreshHash, tok.RefreshExpires, tok.Chain = "rh", &refreshAt, &tok.ID
	})
	must(t, "log out", ts.SetExpires(e.ctx, tid, login.ID, end(now, ended.User)))
	if got := wantUser("after logout", login.ID, now, ended.User); got.RefreshExpires == nil || !got.RefreshExpires.Equal(now) {
		t.Errorf("after logout the refresh token expires at %v, want %v", got.RefreshExpires, now)
	}
	wantErr(t, "re-date a logged-out token", ts.SetExpires(e.ctx, tid, login.ID, redate(now.Add(time.Hour), now)), usertokens.ErrExpired)
	must(t, "leak it after logout", ts.SetExpires(e.ctx, tid, login.ID, end(now, ended.Leak)))
	wantUser("a logged-out token reported leaked", login.ID, now, ended.User)

	// Ran out, its refresh token live: an end ends the refresh token but
	// names no reason for the token, and moves its expiry nowhere.
	stale := e.newToken(t, usertokens.Login, user, -time.Minute, func(tok *usertokens.Token) {
		tok.RefreshHash, tok.RefreshExpires, tok.Chain = "rh2", &refreshAt, &tok.ID
	})
	wantErr(t, "re-date a user token that ran out", ts.SetExpires(e.ctx, tid, stale.ID, redate(now.Add(time.Hour), now)), usertokens.ErrExpired)
	must(t, "end a user token that ran out", ts.SetExpires(e.ctx, tid, stale.ID, end(now, ended.Support)))
	if got := wantUser("a user token that ran out", stale.ID, now.Add(-time.Minute), ""); !got.RefreshExpires.Equal(now) {
		t.Errorf("its refresh token expires at %v, want %v", got.RefreshExpires, now)
	}

	// A bulk expiry names its reason on the live tokens only.
	obo := e.newToken(t, usertokens.OBO, user, time.Hour, nil)
	personal := e.newToken(t, usertokens.Personal, user, time.Hour, nil)
	if _, err := ts.Expire(e.ctx, tid, usertokens.Selector{User: &user}, now, ended.Support); err != nil {
		t.Fatalf("bulk expiry: %v", err)
	}
	wantUser("an OBO token after a bulk expiry", obo.ID, now, ended.Support)
	wantUser("a logged-out token after a bulk expiry", login.ID, now, ended.User)
	wantErr(t, "re-date a bulk-expired token", ts.SetExpires(e.ctx, tid, personal.ID, redate(now.Add(time.Hour), now)), usertokens.ErrExpired)
	wantErr(t, "re-date a missing user token", ts.SetExpires(e.ctx, tid, ids.New(), redate(now.Add(time.Hour), now)), usertokens.ErrNotFound)

	fresh := e.newToken(t, usertokens.Personal, user, time.Hour, nil)
	must(t, "re-date a live user token", ts.SetExpires(e.ctx, tid, fresh.ID, redate(now.Add(2*time.Hour), now)))
	wantUser("a re-dated user token", fresh.ID, now.Add(2*time.Hour), "")
}
