package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/latchkey/latchkey/apptokens"
	"github.com/latchkey/latchkey/internal/ended"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/page"
	"github.com/latchkey/latchkey/usertokens"
)

func testAppTokens(t *testing.T, open Opener) {
	e := newEnv(t, open)
	as := e.st.AppTokens()
	tid := e.tenant.ID
	now := e.now()
	first, _, err := as.Find(e.ctx, tid, page.Page{Limit: 10})
	must(t, "list", err)
	if len(first) != 1 {
		t.Fatalf("a new tenant has %d app tokens, want 1", len(first))
	}
	initial := first[0]
	by := ids.New()
	var made []*apptokens.Token
	for i := range 4 {
		tok := &apptokens.Token{ID: ids.New(), Hash: "hash" + string(rune('a'+i)), Name: "t", Created: now,
			Expires: now.Add(time.Duration(i+1) * time.Hour)}
		if i == 0 {
			tok.CreatedBy = &by
		}
		must(t, "insert", as.Insert(e.ctx, tid, tok))
		made = append(made, tok)
	}
	got, err := as.FindByID(e.ctx, tid, made[0].ID)
	must(t, "find", err)
	if got.Hash != made[0].Hash || got.CreatedBy == nil || *got.CreatedBy != by || !got.Expires.Equal(made[0].Expires) || got.LastUsed != nil {
		t.Errorf("FindByID: got %+v, want %+v", got, made[0])
	}
	_, err = as.FindByID(e.ctx, tid, ids.New())
	wantErr(t, "unknown id", err, apptokens.ErrNotFound)
	wantCode(t, "a taken id", as.Insert(e.ctx, tid, made[1]), "conflict")

	// Newest first, in pages of two.
	var all []string
	pg := page.Page{Limit: 2}
	for {
		list, next, err := as.Find(e.ctx, tid, pg)
		must(t, "page", err)
		all = append(all, idsOf(list, func(t *apptokens.Token) ids.ID { return t.ID })...)
		if next == "" {
			break
		}
		pg.Cursor = next
	}
	want := []string{made[3].ID.Hex(), made[2].ID.Hex(), made[1].ID.Hex(), made[0].ID.Hex(), initial.ID.Hex()}
	if !slices.Equal(all, want) {
		t.Errorf("pages: got %v, want %v", all, want)
	}

	// KeepLive: while the initial token is live, the others may go.
	keep := apptokens.KeepLive{At: now}
	for _, tok := range made {
		must(t, "expire with a live sibling", as.SetExpires(e.ctx, tid, tok.ID, end(now, ended.Support), keep))
	}
	// Now the initial token is the last live one: neither expiring nor
	// deleting it passes the guard, and it is left as it was.
	wantErr(t, "expire the last live token", as.SetExpires(e.ctx, tid, initial.ID, end(now, ended.Support), keep), apptokens.ErrLastLive)
	wantErr(t, "delete the last live token", as.Delete(e.ctx, tid, initial.ID, keep), apptokens.ErrLastLive)
	got, err = as.FindByID(e.ctx, tid, initial.ID)
	must(t, "find the last live token", err)
	if !got.Expires.Equal(initial.Expires) {
		t.Errorf("a refused change moved the expiry from %v to %v", initial.Expires, got.Expires)
	}
	// Re-dating it into the future keeps it live; an expired token goes
	// whatever the others are; a missing one is not found.
	must(t, "re-date the last live token", as.SetExpires(e.ctx, tid, initial.ID, redate(now.Add(time.Hour), now), keep))
	must(t, "delete an expired token", as.Delete(e.ctx, tid, made[3].ID, keep))
	wantErr(t, "guarded delete of a missing token", as.Delete(e.ctx, tid, ids.New(), keep), apptokens.ErrNotFound)
	wantErr(t, "guarded expiry of a missing token", as.SetExpires(e.ctx, tid, ids.New(), end(now, ended.Support), keep), apptokens.ErrNotFound)
	// Force refuses nothing.
	must(t, "force the expiry of the last live token", as.SetExpires(e.ctx, tid, initial.ID, end(now, ended.Support), apptokens.Force))
	wantErr(t, "set expiry of a missing token", as.SetExpires(e.ctx, tid, ids.New(), end(now, ended.Support), apptokens.Force), apptokens.ErrNotFound)
	must(t, "delete", as.Delete(e.ctx, tid, made[0].ID, apptokens.Force))
	wantErr(t, "delete again", as.Delete(e.ctx, tid, made[0].ID, apptokens.Force), apptokens.ErrNotFound)

	// Purge: expired before the cutoff goes, the rest stays.
	must(t, "re-date", as.SetExpires(e.ctx, tid, made[1].ID, end(now.Add(-2*time.Hour), ended.Support), apptokens.Force))
	n, err := as.PurgeExpired(e.ctx, tid, now.Add(-time.Hour))
	must(t, "purge", err)
	if n != 1 {
		t.Errorf("purged %d, want 1", n)
	}
	if _, err := as.FindByID(e.ctx, tid, made[2].ID); err != nil {
		t.Errorf("a token expired after the cutoff was purged: %v", err)
	}
}

// newToken inserts a user token of user expiring in ttl.
func (e *env) newToken(t *testing.T, kind string, user ids.ID, ttl time.Duration, mod func(*usertokens.Token)) *usertokens.Token {
	t.Helper()
	now := e.now()
	tok := &usertokens.Token{ID: ids.New(), Hash: "h" + ids.New().Hex(), Kind: kind, UserID: user, AppTokenID: ids.New(),
		Created: now, Expires: now.Add(ttl)}
	if mod != nil {
		mod(tok)
	}
	must(t, "insert token", e.st.UserTokens().Insert(e.ctx, e.tenant.ID, tok))
	return tok
}

func testUserTokens(t *testing.T, open Opener) {
	e := newEnv(t, open)
	ts := e.st.UserTokens()
	tid := e.tenant.ID
	now := e.now()
	ann, bob := ids.New(), ids.New()
	refreshAt := now.Add(30 * 24 * time.Hour)
	login := e.newToken(t, usertokens.Login, ann, time.Hour, func(tok *usertokens.Token) {
		tok.RefreshHash, tok.RefreshExpires, tok.Lifetime, tok.Name = "rh", &refreshAt, 3600, "phone"
		tok.Chain = &tok.ID
	})
	obo := e.newToken(t, usertokens.OBO, bob, time.Hour, func(tok *usertokens.Token) { tok.ActorID = &ann })
	old := e.newToken(t, usertokens.Personal, ann, -time.Minute, nil)

	got, err := ts.FindByID(e.ctx, tid, login.ID)
	must(t, "find", err)
	if got.Hash != login.Hash || got.RefreshHash != "rh" || got.RefreshExpires == nil || !got.RefreshExpires.Equal(refreshAt) ||
		got.Chain == nil || *got.Chain != login.ID || got.Parent != nil || got.Lifetime != 3600 || got.Name != "phone" ||
		got.Kind != usertokens.Login || got.UserID != ann || got.AppTokenID != login.AppTokenID || !got.Created.Equal(now) {
		t.Errorf("FindByID: got %+v, want %+v", got, login)
	}
	if o, _ := ts.FindByID(e.ctx, tid, obo.ID); o == nil || o.ActorID == nil || *o.ActorID != ann || o.RefreshExpires != nil {
		t.Errorf("OBO token read back as %+v", o)
	}
	_, err = ts.FindByID(e.ctx, tid, ids.New())
	wantErr(t, "unknown id", err, usertokens.ErrNotFound)

	// A parent has at most one child.
	if has, err := ts.HasChild(e.ctx, tid, login.ID); err != nil || has {
		t.Errorf("HasChild before a refresh: got %v, %v", has, err)
	}
	child := e.newToken(t, usertokens.Login, ann, time.Hour, func(tok *usertokens.Token) { tok.Parent, tok.Chain = &login.ID, &login.ID })
	if has, err := ts.HasChild(e.ctx, tid, login.ID); err != nil || !has {
		t.Errorf("HasChild after a refresh: got %v, %v", has, err)
	}
	second := &usertokens.Token{ID: ids.New(), Hash: "x", Kind: usertokens.Login, UserID: ann, Parent: &login.ID, Chain: &login.ID,
		Created: now, Expires: now.Add(time.Hour)}
	wantCode(t, "a second child of one parent", ts.Insert(e.ctx, tid, second), "conflict")
	if _, err := ts.FindByID(e.ctx, tid, second.ID); err == nil {
		t.Errorf("the refused second child was stored")
	}

	list := func(f usertokens.Filter) []string {
		t.Helper()
		var out []string
		pg := page.Page{Limit: 1}
		for {
			items, next, err := ts.Find(e.ctx, tid, f, now, pg)
			must(t, "find", err)
			out = append(out, idsOf(items, func(t *usertokens.Token) ids.ID { return t.ID })...)
			if next == "" {
				return out
			}
			pg.Cursor = next
		}
	}
	hex := func(toks ...*usertokens.Token) []string {
		out := make([]string, len(toks))
		for i, tok := range toks {
			out[i] = tok.ID.Hex()
		}
		return out
	}
	for _, c := range []struct {
		name string
		f    usertokens.Filter
		want []string
	}{
		{"all, newest first", usertokens.Filter{}, hex(child, old, obo, login)},
		{"user", usertokens.Filter{User: &ann}, hex(child, old, login)},
		{"kind", usertokens.Filter{Kind: usertokens.OBO}, hex(obo)},
		{"active", usertokens.Filter{Active: ptr(true)}, hex(child, obo, login)},
		{"expired", usertokens.Filter{Active: ptr(false)}, hex(old)},
		{"user and kind and active", usertokens.Filter{User: &ann, Kind: usertokens.Login, Active: ptr(true)}, hex(child, login)},
	} {
		if got := list(c.f); !slices.Equal(got, c.want) {
			t.Errorf("Find %s: got %v, want %v", c.name, got, c.want)
		}
	}
	_, _, err = ts.Find(e.ctx, tid, usertokens.Filter{}, now, page.Page{Limit: 1, Cursor: "x"})
	wantErr(t, "bad cursor", err, page.BadCursor)

	// SetExpires, with and without the refresh token.
	later := now.Add(2 * time.Hour)
	must(t, "set expires", ts.SetExpires(e.ctx, tid, login.ID, redate(later, now)))
	if got, _ := ts.FindByID(e.ctx, tid, login.ID); !got.Expires.Equal(later) || !got.RefreshExpires.Equal(refreshAt) {
		t.Errorf("SetExpires without refresh: got %v / %v", got.Expires, got.RefreshExpires)
	}
	must(t, "set expires with refresh", ts.SetExpires(e.ctx, tid, login.ID, end(now, ended.User)))
	if got, _ := ts.FindByID(e.ctx, tid, login.ID); !got.Expires.Equal(now) || !got.RefreshExpires.Equal(now) {
		t.Errorf("SetExpires with refresh: got %v / %v", got.Expires, got.RefreshExpires)
	}
	wantErr(t, "set expires of a missing token", ts.SetExpires(e.ctx, tid, ids.New(), redate(later, now)), usertokens.ErrNotFound)

	// An end only moves expiry back.
	must(t, "end at, later", ts.SetExpires(e.ctx, tid, child.ID, end(now.Add(5*time.Hour), ended.Leak)))
	if got, _ := ts.FindByID(e.ctx, tid, child.ID); !got.Expires.Equal(child.Expires) {
		t.Errorf("an end later moved expiry to %v, want %v kept", got.Expires, child.Expires)
	}
	must(t, "end at, earlier", ts.SetExpires(e.ctx, tid, child.ID, end(now, ended.Leak)))
	if got, _ := ts.FindByID(e.ctx, tid, child.ID); !got.Expires.Equal(now) {
		t.Errorf("an end earlier: got %v, want %v", got.Expires, now)
	}
	wantErr(t, "end a missing token", ts.SetExpires(e.ctx, tid, ids.New(), end(now, ended.Leak)), usertokens.ErrNotFound)

	must(t, "delete", ts.Delete(e.ctx, tid, obo.ID))
	wantErr(t, "delete again", ts.Delete(e.ctx, tid, obo.ID), usertokens.ErrNotFound)
}

func testExpire(t *testing.T, open Opener) {
	e := newEnv(t, open)
	ts := e.st.UserTokens()
	tid := e.tenant.ID
	now := e.now()
	ann, bob, admin := ids.New(), ids.New(), ids.New()
	refreshAt := now.Add(time.Hour)
	a1 := e.newToken(t, usertokens.Login, ann, time.Hour, func(tok *usertokens.Token) { tok.Chain = &tok.ID })
	a2 := e.newToken(t, usertokens.Personal, ann, time.Hour, nil)
	// Its token expired, its refresh token lives: still counted, and ended.
	a3 := e.newToken(t, usertokens.Login, ann, -time.Minute, func(tok *usertokens.Token) {
		tok.RefreshHash, tok.RefreshExpires, tok.Chain = "r", &refreshAt, &a1.ID
	})
	dead := e.newToken(t, usertokens.Personal, ann, -time.Hour, nil)
	b1 := e.newToken(t, usertokens.OBO, bob, time.Hour, func(tok *usertokens.Token) { tok.ActorID = &admin })
	b2 := e.newToken(t, usertokens.OBO, bob, time.Hour, func(tok *usertokens.Token) { tok.ActorID = &ann })

	n, err := ts.Expire(e.ctx, tid, usertokens.Selector{User: &ann, Keep: a2.ID}, now, ended.Support)
	must(t, "expire user", err)
	if n != 2 {
		t.Errorf("expire ann except a2: got %d, want 2 (a1, a3)", n)
	}
	for _, c := range []struct {
		tok  *usertokens.Token
		live bool
	}{{a1, false}, {a2, true}, {a3, false}, {dead, false}, {b1, true}, {b2, true}} {
		got, err := ts.FindByID(e.ctx, tid, c.tok.ID)
		must(t, "find", err)
		if got.Live(now) != c.live {
			t.Errorf("token %s: live %v, want %v", c.tok.ID, got.Live(now), c.live)
		}
		if got.Expires.After(c.tok.Expires) {
			t.Errorf("token %s: expiry moved later, %v → %v", c.tok.ID, c.tok.Expires, got.Expires)
		}
		if got.RefreshExpires != nil && !c.live && got.RefreshExpires.After(now) {
			t.Errorf("token %s: refresh token still lives until %v", c.tok.ID, got.RefreshExpires)
		}
	}
	if got, _ := ts.FindByID(e.ctx, tid, dead.ID); !got.Expires.Equal(dead.Expires) {
		t.Errorf("an already expired token was re-dated from %v to %v", dead.Expires, got.Expires)
	}
	if n, _ := ts.Expire(e.ctx, tid, usertokens.Selector{User: &ann, Keep: a2.ID}, now, ended.Support); n != 0 {
		t.Errorf("expiring again: got %d, want 0", n)
	}
	if n, _ := ts.Expire(e.ctx, tid, usertokens.Selector{Actor: &admin}, now, ended.Support); n != 1 {
		t.Errorf("expire by actor: got %d, want 1", n)
	}
	if got, _ := ts.FindByID(e.ctx, tid, b2.ID); !got.Live(now) {
		t.Errorf("another actor's OBO token was expired")
	}
	e.clock.Advance(time.Second)
	c1 := e.newToken(t, usertokens.Login, bob, time.Hour, func(tok *usertokens.Token) { tok.Chain = &tok.ID })
	c2 := e.newToken(t, usertokens.Login, bob, time.Hour, func(tok *usertokens.Token) { tok.Chain, tok.Parent = &c1.ID, &c1.ID })
	if n, _ := ts.Expire(e.ctx, tid, usertokens.Selector{Chain: &c1.ID}, e.now(), ended.Support); n != 2 {
		t.Errorf("expire chain: got %d, want 2", n)
	}
	if got, _ := ts.FindByID(e.ctx, tid, c2.ID); got.Live(e.now()) {
		t.Errorf("a chain's token lives on")
	}
	if got, _ := ts.FindByID(e.ctx, tid, b2.ID); !got.Live(e.now()) {
		t.Errorf("expiring a chain ended a token outside it")
	}
}
