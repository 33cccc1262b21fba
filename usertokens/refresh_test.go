package usertokens_test

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/secret"
	"github.com/latchkey/latchkey/internal/testserver"
	"github.com/latchkey/latchkey/usertokens"
)

const (
	msgBadRefresh = "Invalid or expired refresh token."
	msgReused     = "This refresh token was already used; every token of its session has been revoked."
)

func TestRefreshRotates(t *testing.T) {
	f := newFlow(t, "rot", nil)
	tok0, ref0 := f.session(t, nil)
	r := f.refresh(t, ref0)
	if r.Status != http.StatusOK {
		t.Fatalf("refresh: got status %d, want 200; body %s", r.Status, r.Body)
	}
	tok1, ref1 := r.String("token"), r.String("refresh_token")
	if tok1 == "" || tok1 == tok0 || ref1 == "" || ref1 == ref0 {
		t.Fatalf("got token %q and refresh token %q, want new ones", tok1, ref1)
	}
	if p, ok := f.s.Keys.Parse(tok1); !ok || p.Kind != secret.User || p.TenantID != f.a.ID {
		t.Errorf("token %q: got %+v, want a user token of tenant %s", tok1, p, f.a.ID)
	}
	if p, ok := f.s.Keys.Parse(ref1); !ok || p.Kind != secret.Refresh || p.TenantID != f.a.ID {
		t.Errorf("refresh token %q: got %+v, want a refresh token of tenant %s", ref1, p, f.a.ID)
	}
	user, _ := r.JSON["user"].(map[string]any)
	if user["id"] != f.mem || user["username"] != "mem" || user["role"] != "member" {
		t.Errorf("user: got %v, want mem (%s), member", user, f.mem)
	}
	now := f.s.Clock.Now()
	for key, want := range map[string]time.Time{"expires": now.Add(24 * time.Hour), "refresh_expires": now.Add(30 * 24 * time.Hour)} {
		got, err := time.Parse(time.RFC3339Nano, r.String(key))
		if err != nil || got.Sub(want).Abs() > time.Second {
			t.Errorf("%s: got %q, want %s", key, r.String(key), want.UTC().Format(time.RFC3339))
		}
	}
	if !f.works(t, tok1) {
		t.Errorf("the new token does not work")
	}
	if f.works(t, tok0) {
		t.Errorf("the replaced token still works; want it expired")
	}
	// The successor's refresh token works in turn, here sent as a form.
	r = f.s.Do(t, testserver.Request{Method: "POST", Path: "/api/v1/token/refresh/", AppToken: f.a.AppToken,
		Form: url.Values{"refresh_token": {ref1}}})
	if r.Status != http.StatusOK {
		t.Fatalf("second refresh (form): got status %d, want 200; body %s", r.Status, r.Body)
	}
	if !f.works(t, r.String("token")) || f.works(t, tok1) {
		t.Errorf("after the second refresh: want only the newest token working")
	}
	recs := f.auditOf(t, "refresh")
	if got := outcomes(recs); got["success"] != 2 || len(recs) != 2 {
		t.Errorf("refresh audit records: got %v, want 2 successes", got)
	}
	for _, rec := range recs {
		if rec["user"] != f.mem {
			t.Errorf("refresh audit user: got %v, want %s", rec["user"], f.mem)
		}
	}
}

func TestRefreshKeepsTheLoginLifetime(t *testing.T) {
	f := newFlow(t, "life", nil)
	day := int64(24 * 60 * 60)
	cases := []struct {
		name     string
		login    map[string]any
		settings map[string]any // applied after the login
		want     time.Duration
	}{
		{"default", nil, nil, 24 * time.Hour},
		{"seconds_until_expire", map[string]any{"seconds_until_expire": 120}, nil, 120 * time.Second},
		{"long", map[string]any{"long": true}, nil, 30 * 24 * time.Hour},
		{"capped by a lowered max_token_ttl", map[string]any{"long": true},
			map[string]any{"max_token_ttl": 2 * day, "user_token_ttl": day, "long_token_ttl": day, "obo_token_ttl": day},
			48 * time.Hour},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, ref := f.session(t, tc.login)
			if tc.settings != nil {
				f.settings(t, tc.settings)
			}
			r := f.refresh(t, ref)
			if r.Status != http.StatusOK {
				t.Fatalf("refresh: got status %d, want 200; body %s", r.Status, r.Body)
			}
			want := f.s.Clock.Now().Add(tc.want)
			got, err := time.Parse(time.RFC3339Nano, r.String("expires"))
			if err != nil || got.Sub(want).Abs() > time.Second {
				t.Errorf("expires: got %q, want %s", r.String("expires"), want.UTC().Format(time.RFC3339))
			}
		})
	}
}

func TestRefreshReuseRevokesTheChain(t *testing.T) {
	f := newFlow(t, "reuse", nil)
	tok0, ref0 := f.session(t, nil)
	other, _ := f.session(t, nil) // another session of the same user: another chain
	r1 := f.refresh(t, ref0)
	r2 := f.refresh(t, r1.String("refresh_token"))
	if r1.Status != http.StatusOK || r2.Status != http.StatusOK {
		t.Fatalf("refreshes: got %d and %d, want 200", r1.Status, r2.Status)
	}
	tok2, ref2 := r2.String("token"), r2.String("refresh_token")

	// A thief replays the first refresh token.
	wantError(t, f.refresh(t, ref0), http.StatusUnauthorized, map[string]string{"refresh_token": msgReused})

	for name, tok := range map[string]string{"first": tok0, "second": r1.String("token"), "newest": tok2} {
		if f.works(t, tok) {
			t.Errorf("the %s token of the chain still works after reuse", name)
		}
	}
	wantError(t, f.refresh(t, ref2), http.StatusUnauthorized, map[string]string{"refresh_token": msgBadRefresh})
	if !f.works(t, other) {
		t.Errorf("another session of the same user stopped working; reuse must revoke only its chain")
	}
	recs := f.auditOf(t, "refresh.reuse")
	if len(recs) != 1 || recs[0]["outcome"] != "denied" || recs[0]["user"] != f.mem {
		t.Fatalf("refresh.reuse audit: got %v, want one denied record for %s", recs, f.mem)
	}
	all := f.s.Must(t, http.StatusOK, testserver.Request{Method: "GET", Path: "/api/v1/audit?limit=500",
		AppToken: f.a.AppToken, Token: f.a.OwnerToken})
	for _, s := range []string{ref0, ref2, tok0, tok2} {
		if strings.Contains(string(all.Body), s) {
			t.Errorf("the audit log contains a secret")
		}
	}
}

// TestRefreshConcurrent presents one refresh token 8 times at once. The rule:
// the refresh token is spent once (exactly one 200), and every other
// presentation is of a spent refresh token, which revokes the whole chain:
// so the 7 others answer 401 as reuse, and afterwards no token of the chain
// works, the winner's new one included.
func TestRefreshConcurrent(t *testing.T) {
	f := newFlow(t, "race", nil)
	for round := range 3 {
		tok0, ref0 := f.session(t, nil)
		rs := parallel(8, func(int) *testserver.Response { return f.refresh(t, ref0) })
		if got := statuses(rs); got[http.StatusOK] != 1 || got[http.StatusUnauthorized] != 7 {
			t.Fatalf("round %d: got statuses %v, want one 200 and seven 401", round, got)
		}
		var winner *testserver.Response
		for _, r := range rs {
			if r.Status == http.StatusOK {
				winner = r
				continue
			}
			wantError(t, r, http.StatusUnauthorized, map[string]string{"refresh_token": msgReused})
		}
		for name, tok := range map[string]string{"original": tok0, "winner's": winner.String("token")} {
			if f.works(t, tok) {
				t.Errorf("round %d: the %s token works; want the chain revoked", round, name)
			}
		}
		wantError(t, f.refresh(t, winner.String("refresh_token")), http.StatusUnauthorized,
			map[string]string{"refresh_token": msgBadRefresh})
	}
	if got := outcomes(f.auditOf(t, "refresh")); got["success"] != 3 || got["failure"] != 3 || len(got) != 2 {
		t.Errorf("refresh audit: got %v, want 3 successes (the winners) and 3 failures (their revoked refresh tokens)", got)
	}
	if got := outcomes(f.auditOf(t, "refresh.reuse")); got["denied"] != 3*7 || len(got) != 1 {
		t.Errorf("refresh.reuse audit: got %v, want %d denied", got, 3*7)
	}
}

func TestRefreshRefuses(t *testing.T) {
	s := testserver.Start(t)
	f := newFlowOn(t, s, "refuse", map[string]any{"refresh_token_ttl": 60})
	g := newFlowOn(t, s, "other", nil)
	bad := map[string]string{"refresh_token": msgBadRefresh}
	cases := []struct {
		name   string
		req    func(t *testing.T) testserver.Request
		status int
		fields map[string]string
	}{
		{"garbage", func(t *testing.T) testserver.Request { return f.refreshReq("nope") }, 401, bad},
		{"made-up string of the right form", func(t *testing.T) testserver.Request {
			return f.refreshReq(f.s.Keys.NewToken(secret.Refresh, f.a.ID, ids.New()))
		}, 401, bad},
		{"a user token", func(t *testing.T) testserver.Request {
			tok, _ := f.session(t, nil)
			return f.refreshReq(tok)
		}, 401, bad},
		{"another tenant's refresh token", func(t *testing.T) testserver.Request {
			_, ref := g.session(t, nil)
			return f.refreshReq(ref)
		}, 401, bad},
		{"expired", func(t *testing.T) testserver.Request {
			_, ref := f.session(t, nil)
			f.s.Clock.Advance(61 * time.Second)
			return f.refreshReq(ref)
		}, 401, bad},
		{"logged out", func(t *testing.T) testserver.Request {
			tok, ref := f.session(t, nil)
			f.s.Must(t, http.StatusNoContent, testserver.Request{Method: "DELETE", Path: "/api/v1/token", AppToken: f.a.AppToken, Token: tok})
			return f.refreshReq(ref)
		}, 401, bad},
		{"user disabled", func(t *testing.T) testserver.Request {
			id := f.s.NewUser(t, f.a.AppToken, f.a.OwnerToken, "gone", "member")
			r := f.s.Must(t, http.StatusOK, testserver.Request{Method: "POST", Path: "/api/v1/token", AppToken: f.a.AppToken,
				JSON: map[string]any{"username": "gone", "password": "gone-password"}})
			f.s.Must(t, http.StatusOK, testserver.Request{Method: "PATCH", Path: "/api/v1/users/" + id, AppToken: f.a.AppToken,
				Token: f.a.OwnerToken, JSON: map[string]any{"status": "disabled"}})
			return f.refreshReq(r.String("refresh_token"))
		}, 401, bad},
		{"missing", func(t *testing.T) testserver.Request {
			return testserver.Request{Method: "POST", Path: "/api/v1/token/refresh", AppToken: f.a.AppToken, JSON: map[string]any{}}
		}, 400, map[string]string{"refresh_token": "This field is required."}},
		{"wrong type", func(t *testing.T) testserver.Request {
			return testserver.Request{Method: "POST", Path: "/api/v1/token/refresh", AppToken: f.a.AppToken,
				JSON: map[string]any{"refresh_token": map[string]any{"x": 1}}}
		}, 400, map[string]string{"refresh_token": "Must be a string."}},
		{"unknown field", func(t *testing.T) testserver.Request {
			return testserver.Request{Method: "POST", Path: "/api/v1/token/refresh", AppToken: f.a.AppToken,
				JSON: map[string]any{"refresh_token": "x", "token": "y"}}
		}, 400, map[string]string{"token": "Unknown field."}},
		{"no App-Token", func(t *testing.T) testserver.Request {
			_, ref := f.session(t, nil)
			r := f.refreshReq(ref)
			r.AppToken = ""
			return r
		}, 401, map[string]string{"App-Token": ""}},
		{"the other tenant's App-Token", func(t *testing.T) testserver.Request {
			_, ref := f.session(t, nil)
			r := f.refreshReq(ref)
			r.AppToken = g.a.AppToken
			return r
		}, 401, bad},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, f.s.Do(t, tc.req(t)), tc.status, tc.fields)
		})
	}
	if got := outcomes(f.auditOf(t, "refresh")); got["failure"] != 7 || len(got) != 1 {
		t.Errorf("refresh audit: got %v, want the 7 refused refresh tokens of this tenant as failures", got)
	}
}

func (f *flow) refreshReq(refresh string) testserver.Request {
	return testserver.Request{Method: "POST", Path: "/api/v1/token/refresh", AppToken: f.a.AppToken,
		JSON: map[string]any{"refresh_token": refresh}}
}

// TestRefreshLosesTheInsert runs the losing path of a refresh race every
// time, not by timing luck: refresh A passes every check (its refresh token
// is not spent yet) and is held just before its insert; refresh B of the
// same refresh token runs to the end and wins; then A's insert meets the
// unique parent, which is reuse: A is answered 401, and the whole chain,
// B's new token included, is revoked.
func TestRefreshLosesTheInsert(t *testing.T) {
	f := newFlow(t, "lose", nil)
	tok0, ref0 := f.session(t, nil)
	held, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	usertokens.BeforeRefreshInsert(f.s.App.Tokens, func() {
		first := false
		once.Do(func() { first = true })
		if first {
			close(held)
			<-release
		}
	})
	a := make(chan *testserver.Response, 1)
	go func() { a <- f.refresh(t, ref0) }()
	<-held
	b := f.refresh(t, ref0)
	if b.Status != http.StatusOK {
		t.Fatalf("refresh B: got %d %s, want 200 (it overtook A)", b.Status, b.Body)
	}
	close(release)
	wantError(t, <-a, http.StatusUnauthorized, map[string]string{"refresh_token": msgReused})
	for name, tok := range map[string]string{"original": tok0, "winner's": b.String("token")} {
		if f.works(t, tok) {
			t.Errorf("the %s token works after A lost the insert; want the chain revoked", name)
		}
	}
}
