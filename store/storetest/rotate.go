package storetest

import (
	"testing"
	"time"

	"github.com/latchkey/latchkey/apptokens"
	"github.com/latchkey/latchkey/internal/ended"
	"github.com/latchkey/latchkey/internal/errs"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/page"
	"github.com/latchkey/latchkey/usertokens"
)

// rotation is the change a rotation at now with grace makes.
func rotation(now time.Time, grace time.Duration) ended.Change {
	return ended.Change{Expires: now.Add(grace), Now: now, By: ended.Rotation}
}

// newAppToken inserts an app token of tenant tid that expires after ttl.
func (e *env) newAppToken(t *testing.T, tid string, ttl time.Duration) *apptokens.Token {
	t.Helper()
	tok := &apptokens.Token{ID: ids.New(), Hash: ids.New().Hex(), Name: "app", Created: e.now(), Expires: e.now().Add(ttl)}
	must(t, "insert app token", e.st.AppTokens().Insert(e.ctx, tid, tok))
	return tok
}

// successor is an unsaved successor of old.
func (e *env) successor(old *apptokens.Token) *apptokens.Token {
	return &apptokens.Token{ID: ids.New(), Hash: ids.New().Hex(), Name: old.Name, Created: e.now(),
		Expires: e.now().Add(time.Hour), RotatedFrom: &old.ID}
}

func testRotateAppTokens(t *testing.T, open Opener) {
	e := newEnv(t, open)
	as := e.st.AppTokens()
	tid := e.tenant.ID
	now := e.now()
	old := e.newAppToken(t, tid, 10*time.Hour)
	next := e.successor(old)
	must(t, "rotate", as.Rotate(e.ctx, tid, next, rotation(now, time.Hour)))
	got, err := as.FindByID(e.ctx, tid, old.ID)
	must(t, "find the old token", err)
	if !got.Expires.Equal(now.Add(time.Hour)) || got.EndedBy != ended.Rotation {
		t.Errorf("old token after rotation: expires %v, ended_by %q; want %v, rotation", got.Expires, got.EndedBy, now.Add(time.Hour))
	}
	got, err = as.FindByID(e.ctx, tid, next.ID)
	must(t, "find the successor", err)
	if got.RotatedFrom == nil || *got.RotatedFrom != old.ID || got.Name != old.Name {
		t.Errorf("successor: rotated_from %v, name %q; want %s, %q", got.RotatedFrom, got.Name, old.ID.Hex(), old.Name)
	}

	// In its grace: moved earlier, never later.
	wantErr(t, "re-date in the grace beyond its end", as.SetExpires(e.ctx, tid, old.ID, redate(now.Add(2*time.Hour), now), apptokens.Force), apptokens.ErrInGrace)
	must(t, "re-date in the grace, earlier", as.SetExpires(e.ctx, tid, old.ID, redate(now.Add(30*time.Minute), now), apptokens.Force))

	// A second successor of one token is refused and leaves nothing.
	loser := e.successor(old)
	wantErr(t, "rotate again", as.Rotate(e.ctx, tid, loser, rotation(now, 0)), apptokens.ErrRotated)
	wantErr(t, "the refused successor", findErr(e, tid, loser.ID), apptokens.ErrNotFound)
	if got, _ := as.FindByID(e.ctx, tid, old.ID); !got.Expires.Equal(now.Add(30 * time.Minute)) {
		t.Errorf("a refused rotation moved the old token's expiry to %v", got.Expires)
	}

	// The grace never makes a token live longer; 0 ends it now.
	short := e.newAppToken(t, tid, time.Minute)
	must(t, "rotate a token expiring within the grace", as.Rotate(e.ctx, tid, e.successor(short), rotation(now, time.Hour)))
	if got, _ := as.FindByID(e.ctx, tid, short.ID); !got.Expires.Equal(short.Expires) {
		t.Errorf("rotation moved an expiry later: %v, want %v", got.Expires, short.Expires)
	}
	now0 := e.newAppToken(t, tid, time.Hour)
	must(t, "rotate with grace 0", as.Rotate(e.ctx, tid, e.successor(now0), rotation(now, 0)))
	if got, _ := as.FindByID(e.ctx, tid, now0.ID); got.Live(now) || got.EndedBy != ended.Rotation {
		t.Errorf("grace 0: old token expires %v (ended_by %q), want ended at %v by rotation", got.Expires, got.EndedBy, now)
	}

	// Expired or missing tokens do not rotate, and leave no successor.
	expired := e.newAppToken(t, tid, time.Hour)
	must(t, "expire", as.SetExpires(e.ctx, tid, expired.ID, end(now, ended.User), apptokens.Force))
	for _, tc := range []struct {
		name string
		old  *apptokens.Token
		want *errs.Error
	}{
		{"an expired token", expired, apptokens.ErrRotateExpired},
		{"a missing token", &apptokens.Token{ID: ids.New()}, apptokens.ErrNotFound},
	} {
		n := e.successor(tc.old)
		wantErr(t, "rotate "+tc.name, as.Rotate(e.ctx, tid, n, rotation(now, time.Hour)), tc.want)
		wantErr(t, "successor of "+tc.name, findErr(e, tid, n.ID), apptokens.ErrNotFound)
	}
}

// findErr is the error of finding app token id.
func findErr(e *env, tid string, id ids.ID) error {
	_, err := e.st.AppTokens().FindByID(e.ctx, tid, id)
	return err
}

// testRaceRotate rotates one app token ten times at once: exactly one
// successor is made, the others are refused with ErrRotated (the losing
// path runs nine times whatever the timing) and leave nothing behind.
func testRaceRotate(t *testing.T, open Opener) {
	e := newEnv(t, open)
	as := e.st.AppTokens()
	tid := e.tenant.ID
	old := e.newAppToken(t, tid, 10*time.Hour)
	const n = 10
	next := make([]*apptokens.Token, n)
	for i := range next {
		next[i] = e.successor(old)
	}
	got := race(n, func(i int) error { return as.Rotate(e.ctx, tid, next[i], rotation(e.now(), time.Hour)) })
	if got[""] != 1 || got[errs.Conflict] != n-1 {
		t.Fatalf("outcomes %v, want 1 success and %d conflicts", got, n-1)
	}
	list, _, err := as.Find(e.ctx, tid, page.Page{Limit: 100})
	must(t, "list", err)
	successors := 0
	for _, tok := range list {
		if tok.RotatedFrom != nil && *tok.RotatedFrom == old.ID {
			successors++
		}
	}
	if successors != 1 {
		t.Errorf("%d successors of one token, want 1", successors)
	}
}

// userSuccessor is an unsaved personal successor of old.
func (e *env) userSuccessor(old *usertokens.Token) *usertokens.Token {
	return &usertokens.Token{ID: ids.New(), Hash: "h" + ids.New().Hex(), Kind: usertokens.Personal, UserID: old.UserID,
		AppTokenID: old.AppTokenID, Name: old.Name, Created: e.now(), Expires: e.now().Add(time.Hour), RotatedFrom: &old.ID}
}

// testRotateUserTokens: a personal token rotates once, its end stored
// ahead of time; in its grace it moves only earlier; expired and missing
// tokens do not rotate; concurrent rotations make one successor.
func testRotateUserTokens(t *testing.T, open Opener) {
	e := newEnv(t, open)
	ts := e.st.UserTokens()
	tid := e.tenant.ID
	now := e.now()
	ann := ids.New()
	old := e.newToken(t, usertokens.Personal, ann, 10*time.Hour, func(tok *usertokens.Token) { tok.Name = "laptop" })
	next := e.userSuccessor(old)
	must(t, "rotate", ts.Rotate(e.ctx, tid, next, rotation(now, time.Hour)))
	got, err := ts.FindByID(e.ctx, tid, old.ID)
	must(t, "find the old token", err)
	if !got.Expires.Equal(now.Add(time.Hour)) || got.EndedBy != ended.Rotation {
		t.Errorf("old token after rotation: expires %v, ended_by %q", got.Expires, got.EndedBy)
	}
	if got, err := ts.FindByID(e.ctx, tid, next.ID); err != nil || got.RotatedFrom == nil || *got.RotatedFrom != old.ID || got.Name != "laptop" {
		t.Errorf("successor: got %+v, %v", got, err)
	}
	wantErr(t, "re-date in the grace beyond its end", ts.SetExpires(e.ctx, tid, old.ID, redate(now.Add(2*time.Hour), now)), usertokens.ErrInGrace)
	must(t, "re-date in the grace, earlier", ts.SetExpires(e.ctx, tid, old.ID, redate(now.Add(time.Minute), now)))

	losers := make([]*usertokens.Token, 10)
	for i := range losers {
		losers[i] = e.userSuccessor(old)
	}
	outcomes := race(len(losers), func(i int) error { return ts.Rotate(e.ctx, tid, losers[i], rotation(now, 0)) })
	if outcomes[errs.Conflict] != len(losers) {
		t.Errorf("rotations of a rotated token: outcomes %v, want only conflicts", outcomes)
	}
	for _, l := range losers {
		if _, err := ts.FindByID(e.ctx, tid, l.ID); !errs.Is(err, errs.NotFound) {
			t.Errorf("a refused successor was stored: %v", err)
		}
	}

	fresh := e.newToken(t, usertokens.Personal, ann, 10*time.Hour, nil)
	racers := make([]*usertokens.Token, 10)
	for i := range racers {
		racers[i] = e.userSuccessor(fresh)
	}
	outcomes = race(len(racers), func(i int) error { return ts.Rotate(e.ctx, tid, racers[i], rotation(now, time.Hour)) })
	if outcomes[""] != 1 || outcomes[errs.Conflict] != len(racers)-1 {
		t.Errorf("concurrent rotations: outcomes %v, want 1 success and %d conflicts", outcomes, len(racers)-1)
	}

	expired := e.newToken(t, usertokens.Personal, ann, -time.Minute, nil)
	n := e.userSuccessor(expired)
	wantErr(t, "rotate an expired token", ts.Rotate(e.ctx, tid, n, rotation(now, time.Hour)), usertokens.ErrRotateExpired)
	_, err = ts.FindByID(e.ctx, tid, n.ID)
	wantErr(t, "the successor of an expired token", err, usertokens.ErrNotFound)
	wantErr(t, "rotate a missing token", ts.Rotate(e.ctx, tid, e.userSuccessor(&usertokens.Token{ID: ids.New()}), rotation(now, time.Hour)), usertokens.ErrNotFound)
}
