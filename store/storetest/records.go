package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/latchkey/latchkey/apptokens"
	"github.com/latchkey/latchkey/audit"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/lastused"
	"github.com/latchkey/latchkey/internal/page"
	"github.com/latchkey/latchkey/usertokens"
)

func testClaims(t *testing.T, open Opener) {
	e := newEnv(t, open)
	cs := e.st.Claims()
	tid := e.tenant.ID
	now := e.now()
	c := usertokens.Claim{ID: "u|1|0", Expires: now.Add(time.Minute)}
	must(t, "insert", cs.InsertClaim(e.ctx, tid, c))
	wantCode(t, "a taken claim", cs.InsertClaim(e.ctx, tid, c), "conflict")
	got, err := cs.FindClaim(e.ctx, tid, c.ID)
	must(t, "find", err)
	if got == nil || got.ID != c.ID || !got.Expires.Equal(c.Expires) || got.Until != nil {
		t.Errorf("FindClaim: got %+v, want %+v", got, c)
	}
	if none, err := cs.FindClaim(e.ctx, tid, "nobody"); none != nil || err != nil {
		t.Errorf("FindClaim of nothing: got %+v, %v; want nil, nil", none, err)
	}
	until := now.Add(time.Hour)
	lock := usertokens.Claim{ID: c.ID, Expires: now.Add(2 * time.Hour), Until: &until}
	stale := usertokens.Claim{ID: c.ID, Expires: now.Add(time.Second)}
	must(t, "replace stale", cs.ReplaceClaim(e.ctx, tid, &stale, lock))
	if got, _ := cs.FindClaim(e.ctx, tid, c.ID); got.Until != nil {
		t.Errorf("ReplaceClaim over a changed claim wrote it: %+v", got)
	}
	must(t, "replace", cs.ReplaceClaim(e.ctx, tid, &c, lock))
	if got, _ := cs.FindClaim(e.ctx, tid, c.ID); got.Until == nil || !got.Until.Equal(until) || !got.Expires.Equal(lock.Expires) {
		t.Errorf("after ReplaceClaim: got %+v, want %+v", got, lock)
	}
	must(t, "insert another", cs.InsertClaim(e.ctx, tid, usertokens.Claim{ID: "u|1|1", Expires: now.Add(-time.Second)}))
	n, err := cs.PurgeClaims(e.ctx, tid, now)
	must(t, "purge", err)
	if n != 1 {
		t.Errorf("purged %d claims, want 1", n)
	}
	must(t, "delete", cs.DeleteClaim(e.ctx, tid, c.ID))
	must(t, "delete again", cs.DeleteClaim(e.ctx, tid, c.ID))
	if got, _ := cs.FindClaim(e.ctx, tid, c.ID); got != nil {
		t.Errorf("a deleted claim is still there: %+v", got)
	}
	testDeleteClaims(t, e)
}

// testDeleteClaims: DeleteClaims removes exactly the claims whose id
// starts with the prefix (what unlocking a username clears), in its tenant
// only.
func testDeleteClaims(t *testing.T, e *env) {
	cs := e.st.Claims()
	tid := e.tenant.ID
	other := e.newTenant(t, "claims-other")
	later := e.now().Add(time.Hour)
	gone := []string{"fail|a|1|0", "fail|a|1|4", "fail|a|2|0", "fail|a|"}
	kept := []string{"fail|a", "fail|ab|1|0", "fail|a}", "fail|`a|1|0", "a|1|0", "lock|a", "fail|"}
	for _, id := range append(slices.Clone(gone), kept...) {
		must(t, "insert "+id, cs.InsertClaim(e.ctx, tid, usertokens.Claim{ID: id, Expires: later}))
	}
	must(t, "insert in another tenant", cs.InsertClaim(e.ctx, other.ID, usertokens.Claim{ID: "fail|a|1|0", Expires: later}))
	n, err := cs.DeleteClaims(e.ctx, tid, "fail|a|")
	must(t, "delete by prefix", err)
	if n != int64(len(gone)) {
		t.Errorf("DeleteClaims: got %d, want %d", n, len(gone))
	}
	for _, id := range gone {
		if got, _ := cs.FindClaim(e.ctx, tid, id); got != nil {
			t.Errorf("claim %q is still there", id)
		}
	}
	for _, id := range kept {
		if got, _ := cs.FindClaim(e.ctx, tid, id); got == nil {
			t.Errorf("claim %q was deleted; it does not start with the prefix", id)
		}
	}
	if got, _ := cs.FindClaim(e.ctx, other.ID, "fail|a|1|0"); got == nil {
		t.Error("DeleteClaims reached another tenant")
	}
	if n, err := cs.DeleteClaims(e.ctx, tid, "fail|a|"); err != nil || n != 0 {
		t.Errorf("DeleteClaims of nothing: got %d, %v; want 0, nil", n, err)
	}
}

func testAudit(t *testing.T, open Opener) {
	e := newEnv(t, open)
	log := e.app.Audit
	tid := e.tenant.ID
	ann, bob := ids.New(), ids.New()
	var recs []audit.Record
	write := func(action string, user, actor *ids.ID) {
		r := audit.Record{Action: action, User: user, Actor: actor, Target: "t", IP: "127.0.0.1", RequestID: "r", Outcome: audit.Success}
		log.Write(e.ctx, tid, r)
		recs = append(recs, r)
		e.clock.Advance(time.Second)
	}
	write("login", &ann, nil)
	write("login", &bob, nil)
	write("token.create", &bob, &ann) // ann acting for bob
	mid := e.now()
	write("logout", &ann, nil)
	write("login", nil, nil)

	find := func(f audit.Filter) []audit.Record {
		t.Helper()
		var out []audit.Record
		pg := page.Page{Limit: 2}
		for {
			items, next, err := log.Find(e.ctx, tid, f, pg)
			must(t, "find", err)
			out = append(out, items...)
			if next == "" {
				return out
			}
			pg.Cursor = next
		}
	}
	actions := func(rs []audit.Record) []string {
		var out []string
		for _, r := range rs {
			out = append(out, r.Action)
		}
		return out
	}
	all := find(audit.Filter{})
	// The tenant's own creation wrote nothing here; these five, newest first.
	if got, want := actions(all), []string{"login", "logout", "token.create", "login", "login"}; !slices.Equal(got, want) {
		t.Fatalf("all: got %v, want %v", got, want)
	}
	if r := all[2]; r.User == nil || *r.User != bob || r.Actor == nil || *r.Actor != ann || r.IP != "127.0.0.1" ||
		r.Outcome != audit.Success || !r.At.Equal(mid.Add(-time.Second)) || r.ID.IsZero() {
		t.Errorf("record read back as %+v", r)
	}
	for _, c := range []struct {
		name string
		f    audit.Filter
		want []string
	}{
		{"action", audit.Filter{Action: "login"}, []string{"login", "login", "login"}},
		{"user or actor", audit.Filter{User: &ann}, []string{"logout", "token.create", "login"}},
		{"since", audit.Filter{Since: &mid}, []string{"login", "logout"}},
		{"action and user and since", audit.Filter{Action: "logout", User: &ann, Since: &mid}, []string{"logout"}},
		{"nothing", audit.Filter{Action: "tenant.delete"}, nil},
	} {
		if got := actions(find(c.f)); !slices.Equal(got, c.want) {
			t.Errorf("Find %s: got %v, want %v", c.name, got, c.want)
		}
	}
	_, _, err := log.Find(e.ctx, tid, audit.Filter{}, page.Page{Limit: 2, Cursor: "bad"})
	wantErr(t, "bad cursor", err, page.BadCursor)
}

func testLastUsed(t *testing.T, open Opener) {
	e := newEnv(t, open)
	tid := e.tenant.ID
	now := e.now()
	tok := e.newToken(t, usertokens.Personal, ids.New(), time.Hour, nil)
	used := e.newToken(t, usertokens.Personal, ids.New(), time.Hour, nil)
	app := &apptokens.Token{ID: ids.New(), Hash: "h", Created: now, Expires: now.Add(time.Hour)}
	must(t, "insert app token", e.st.AppTokens().Insert(e.ctx, tid, app))
	w := e.st.LastUsed()
	must(t, "first write", w.Write(e.ctx, tid, "tokens", []lastused.Use{{ID: used.ID, At: now}}))
	must(t, "write", w.Write(e.ctx, tid, "tokens", []lastused.Use{
		{ID: tok.ID, At: now.Add(time.Minute)},
		{ID: used.ID, At: now.Add(-time.Minute)}, // an older use (a slow instance): kept back
		{ID: ids.New(), At: now},                 // a token deleted meanwhile: skipped
	}))
	must(t, "write app token", w.Write(e.ctx, tid, "app_tokens", []lastused.Use{{ID: app.ID, At: now.Add(time.Hour)}}))
	for _, c := range []struct {
		id   ids.ID
		want time.Time
	}{{tok.ID, now.Add(time.Minute)}, {used.ID, now}} {
		got, err := e.st.UserTokens().FindByID(e.ctx, tid, c.id)
		must(t, "find", err)
		if got.LastUsed == nil || !got.LastUsed.Equal(c.want) {
			t.Errorf("token %s: last_used %v, want %v", c.id, got.LastUsed, c.want)
		}
	}
	if got, _ := e.st.AppTokens().FindByID(e.ctx, tid, app.ID); got.LastUsed == nil || !got.LastUsed.Equal(now.Add(time.Hour)) {
		t.Errorf("app token last_used: got %v", got.LastUsed)
	}
	list, _, _ := e.st.UserTokens().Find(e.ctx, tid, usertokens.Filter{}, now, page.Page{Limit: 10})
	if len(list) != 2 {
		t.Errorf("got %d tokens after the writes, want 2: a write must not insert", len(list))
	}
	// A tenant deleted meanwhile has nothing left to update, and is no error.
	other := e.newTenant(t, "gone")
	must(t, "delete tenant", e.st.Tenants().Delete(e.ctx, other.ID))
	must(t, "write to a deleted tenant", w.Write(e.ctx, other.ID, "tokens", []lastused.Use{{ID: ids.New(), At: now}}))
}
