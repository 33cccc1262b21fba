package usertokens_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/secret"
	"github.com/latchkey/latchkey/internal/testserver"
	"github.com/latchkey/latchkey/usertokens"
)

var (
	locked  = map[string]string{"credentials": "Too many failed logins. Try again later."}
	invalid = map[string]string{"credentials": "Invalid username or password."}
)

// retryAfter returns r's Retry-After in seconds, or -1.
func retryAfter(r *testserver.Response) int {
	n, err := strconv.Atoi(r.Header.Get("Retry-After"))
	if err != nil {
		return -1
	}
	return n
}

// TestLockoutParallel sends 20 wrong passwords at once for a username that
// exists and for one that does not: both get exactly lockout_attempts (5)
// password checks, the same answers, and are then locked for
// lockout_duration, even for the right password.
func TestLockoutParallel(t *testing.T) {
	for _, username := range []string{"mem", "ghost"} {
		t.Run(username, func(t *testing.T) {
			f := newFlow(t, "lock", nil)
			svc := f.s.App.Tokens
			before := usertokens.PasswordChecks(svc)
			rs := parallel(20, func(int) *testserver.Response { return f.login(t, username, "wrong-password", nil) })
			if got := usertokens.PasswordChecks(svc) - before; got != 5 {
				t.Errorf("got %d password checks, want 5", got)
			}
			if got := statuses(rs); got[http.StatusUnauthorized] != 5 || got[http.StatusTooManyRequests] != 15 {
				t.Fatalf("got statuses %v, want five 401 and fifteen 429", got)
			}
			for _, r := range rs {
				if r.Status == http.StatusUnauthorized {
					wantError(t, r, http.StatusUnauthorized, invalid)
					continue
				}
				wantError(t, r, http.StatusTooManyRequests, locked)
				if n := retryAfter(r); n < 1 || n > 900 {
					t.Errorf("Retry-After: got %q, want 1 to 900 seconds", r.Header.Get("Retry-After"))
				}
			}
			password := username + "-password" // ghost has none; mem's is right
			r := f.login(t, username, password, nil)
			wantError(t, r, http.StatusTooManyRequests, locked)
			if got := r.Header.Get("Retry-After"); got != "900" {
				t.Errorf("Retry-After with the lock fresh: got %q, want 900 (lockout_duration)", got)
			}
			if got := usertokens.PasswordChecks(svc) - before; got != 5 {
				t.Errorf("a locked login checked a password: got %d checks, want 5", got)
			}
			if r := f.login(t, "mem2", "mem2-password", nil); r.Status != http.StatusOK {
				t.Errorf("another user: got status %d, want 200; the lock is per username", r.Status)
			}
			f.s.Clock.Advance(899 * time.Second)
			r = f.login(t, username, password, nil)
			wantError(t, r, http.StatusTooManyRequests, locked)
			if got := r.Header.Get("Retry-After"); got != "1" {
				t.Errorf("Retry-After a second before the end: got %q, want 1", got)
			}
			f.s.Clock.Advance(time.Second)
			want := http.StatusOK
			if username == "ghost" {
				want = http.StatusUnauthorized
			}
			if r := f.login(t, username, password, nil); r.Status != want {
				t.Errorf("after lockout_duration: got status %d, want %d; body %s", r.Status, want, r.Body)
			}
			recs := f.auditOf(t, "login")
			n := map[string]int{}
			for _, rec := range recs {
				// A known user is recorded by name; an unknown name is not
				// recorded at all (it may be a mistyped password).
				if rec["username"] == username || username == "ghost" && rec["detail"] == "unknown username" {
					n[rec["outcome"].(string)]++
				}
			}
			wantFailures := 5
			if username == "ghost" {
				wantFailures++ // the last login, unlocked, still has no such user
			}
			if n["failure"] != wantFailures || n["denied"] != 17 {
				t.Errorf("login audit for %s: got %v, want %d failures and 17 denied", username, n, wantFailures)
			}
		})
	}
}

// TestLockoutSuccessFreesItsSlot: only failures hold slots, so successful
// logins never count towards the lockout; a disabled user's login fails.
func TestLockoutSuccessFreesItsSlot(t *testing.T) {
	f := newFlow(t, "frees", map[string]any{"lockout_attempts": 3})
	for range 2 {
		wantError(t, f.login(t, "MEM", "wrong-password", nil), http.StatusUnauthorized, invalid)
	}
	claims := f.claimCount(t, "mem")
	for i := range 4 {
		if r := f.login(t, "mem", "mem-password", nil); r.Status != http.StatusOK {
			t.Fatalf("success %d after 2 failures of 3: got status %d, want 200; body %s", i+1, r.Status, r.Body)
		}
	}
	if got := f.claimCount(t, "mem"); got != claims {
		t.Errorf("got %d claims after 4 successful logins, want %d as before them", got, claims)
	}
	// The third failure (usernames are case-insensitive) fills the window.
	wantError(t, f.login(t, "Mem", "wrong-password", nil), http.StatusUnauthorized, invalid)
	wantError(t, f.login(t, "mem", "mem-password", nil), http.StatusTooManyRequests, locked)

	// A disabled user's right password is a failure like any other.
	id := f.s.NewUser(t, f.a.AppToken, f.a.OwnerToken, "off", "member")
	f.s.Must(t, http.StatusOK, testserver.Request{Method: "PATCH", Path: "/api/v1/users/" + id, AppToken: f.a.AppToken,
		Token: f.a.OwnerToken, JSON: map[string]any{"status": "disabled"}})
	for range 3 {
		wantError(t, f.login(t, "off", "off-password", nil), http.StatusUnauthorized, invalid)
	}
	wantError(t, f.login(t, "off", "off-password", nil), http.StatusTooManyRequests, locked)
}

// TestLockoutWindows walks the fixed-bucket windows: failures in different
// windows do not add up, a lock outlasts its window when lockout_duration
// is longer, and ends with lockout_duration when it is shorter.
func TestLockoutWindows(t *testing.T) {
	type step struct {
		advance time.Duration
		right   bool // the right password, else a wrong one
		want    int
	}
	fail := func(want int) step { return step{want: want} }
	right := func(advance time.Duration, want int) step { return step{advance: advance, right: true, want: want} }
	const ok, no, lock = http.StatusOK, http.StatusUnauthorized, http.StatusTooManyRequests
	cases := []struct {
		name     string
		settings map[string]any
		steps    []step
	}{
		{"failures in two windows do not add up",
			map[string]any{"lockout_attempts": 3, "lockout_window": 60, "lockout_duration": 600},
			[]step{fail(no), fail(no), {advance: 61 * time.Second, want: no}, fail(no), right(0, ok)}},
		{"a long lock outlasts its window",
			map[string]any{"lockout_attempts": 2, "lockout_window": 60, "lockout_duration": 600},
			[]step{fail(no), fail(no), right(0, lock), right(61*time.Second, lock), right(538*time.Second, lock),
				right(time.Second, ok)}},
		{"a short lock ends inside its window and the count starts again",
			map[string]any{"lockout_attempts": 2, "lockout_window": 900, "lockout_duration": 60},
			[]step{fail(no), fail(no), right(59*time.Second, lock), right(time.Second, ok),
				fail(no), fail(no), right(0, lock), right(60*time.Second, ok)}},
	}
	s := testserver.Start(t)
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFlowOn(t, s, "win"+strconv.Itoa(i), tc.settings)
			for j, st := range tc.steps {
				s.Clock.Advance(st.advance)
				password := "wrong-password"
				if st.right {
					password = "mem-password"
				}
				if r := f.login(t, "mem", password, nil); r.Status != st.want {
					t.Fatalf("step %d: got status %d, want %d; body %s", j, r.Status, st.want, r.Body)
				}
			}
		})
	}
}

// TestLockoutSurvivesRestart: the lock lives in the store, so a new
// instance on the same store still refuses the locked username.
func TestLockoutSurvivesRestart(t *testing.T) {
	f := newFlow(t, "restart", nil)
	for range 5 {
		wantError(t, f.login(t, "mem", "wrong-password", nil), http.StatusUnauthorized, invalid)
	}
	s2 := testserver.StartWith(t, testserver.Options{Store: f.s.Store, Clock: f.s.Clock})
	login2 := func() *testserver.Response {
		return s2.Do(t, testserver.Request{Method: "POST", Path: "/api/v1/token", AppToken: f.a.AppToken,
			JSON: map[string]any{"username": "mem", "password": "mem-password"}})
	}
	r := login2()
	wantError(t, r, http.StatusTooManyRequests, locked)
	if got := r.Header.Get("Retry-After"); got != "900" {
		t.Errorf("Retry-After on the new instance: got %q, want 900", got)
	}
	if got := usertokens.PasswordChecks(s2.App.Tokens); got != 0 {
		t.Errorf("the new instance checked %d passwords, want 0", got)
	}
	f.s.Clock.Advance(15*time.Minute + time.Second)
	if r := login2(); r.Status != http.StatusOK {
		t.Errorf("after lockout_duration on the new instance: got status %d, want 200; body %s", r.Status, r.Body)
	}
}

// TestLockoutRebuildsALostLock: if the lock document is lost (the last
// failure's instance died before writing it), the window's failures are
// still all there, and the next login writes the lock.
func TestLockoutRebuildsALostLock(t *testing.T) {
	f := newFlow(t, "lost", nil)
	for range 5 {
		wantError(t, f.login(t, "mem", "wrong-password", nil), http.StatusUnauthorized, invalid)
	}
	ctx := context.Background()
	if lock, err := usertokens.LockOf(ctx, f.s.App.Tokens, f.a.ID, "mem"); err != nil || lock == nil {
		t.Fatalf("before: got lock %v (%v), want one", lock, err)
	}
	if err := usertokens.DropLock(ctx, f.s.App.Tokens, f.a.ID, "mem"); err != nil {
		t.Fatalf("delete the lock: %v", err)
	}
	r := f.login(t, "mem", "mem-password", nil)
	wantError(t, r, http.StatusTooManyRequests, locked)
	if got := r.Header.Get("Retry-After"); got != "900" {
		t.Errorf("Retry-After: got %q, want 900 (a whole lock)", got)
	}
	if lock, err := usertokens.LockOf(ctx, f.s.App.Tokens, f.a.ID, "mem"); err != nil || lock == nil {
		t.Errorf("got lock %v (%v), want it rebuilt", lock, err)
	}
}

// With every password-hash slot and the queue taken, a login is answered
// 503 with Retry-After at once, before it claims anything of the lockout,
// and a later login goes through: a flood of logins holds bounded memory
// and costs nobody a lockout slot (bounded memory).
func TestLoginBeyondTheHashQueue(t *testing.T) {
	hashes := secret.NewLimiter(1, 0, time.Second)
	f := newFlowOn(t, testserver.StartWith(t, testserver.Options{Hashes: hashes}), "busy", nil)
	release, err := hashes.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	checks := usertokens.PasswordChecks(f.s.App.Tokens)
	before := storeCalls(t, f.s)
	r := f.login(t, "mem", "mem-password", nil)
	if r.Status != http.StatusServiceUnavailable || r.Header.Get("Retry-After") != "1" {
		t.Errorf("with the slot taken: got %d, Retry-After %q; want 503 and 1", r.Status, r.Header.Get("Retry-After"))
	}
	// Refused before any store read of the login itself: only the reads
	// that authenticate the App-Token (the cache is off) happen.
	authenticating := map[string]float64{`operation="apptokens.FindByID"`: 1, `operation="tenants.FindByID"`: 1}
	for op, n := range storeCalls(t, f.s) {
		if _, name, _ := strings.Cut(op, ","); n-before[op] != authenticating[name] {
			t.Errorf("the refused login called %s %v times, want %v", op, n-before[op], authenticating[name])
		}
	}
	if n := f.claimCount(t, "mem"); n != 0 {
		t.Errorf("the refused login holds %d lockout claims, want 0", n)
	}
	if got := usertokens.PasswordChecks(f.s.App.Tokens) - checks; got != 0 {
		t.Errorf("the refused login checked %d passwords, want 0", got)
	}
	release()
	if r := f.login(t, "mem", "mem-password", nil); r.Status != http.StatusOK {
		t.Errorf("after the slot was given back: got %d %s, want 200", r.Status, r.Body)
	}
}
