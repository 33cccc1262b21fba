package usertokens_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/latchkey/latchkey/internal/testserver"
	"github.com/latchkey/latchkey/usertokens"
)

// flow is a tenant for the login-side tests (refresh, lockout, signup):
// its owner and two members, "mem" and "mem2" (passwords "<name>-password").
type flow struct {
	s   *testserver.Server
	a   *testserver.Tenant
	mem string // mem's user id
}

func newFlow(t *testing.T, slug string, settings map[string]any) *flow {
	t.Helper()
	return newFlowOn(t, testserver.Start(t), slug, settings)
}

func newFlowOn(t *testing.T, s *testserver.Server, slug string, settings map[string]any) *flow {
	t.Helper()
	f := &flow{s: s, a: s.NewTenant(t, slug)}
	f.mem = s.NewUser(t, f.a.AppToken, f.a.OwnerToken, "mem", "member")
	s.NewUser(t, f.a.AppToken, f.a.OwnerToken, "mem2", "member")
	if settings != nil {
		f.settings(t, settings)
	}
	return f
}

// settings changes the tenant's settings as the platform owner.
func (f *flow) settings(t *testing.T, settings map[string]any) {
	t.Helper()
	f.s.Must(t, http.StatusOK, testserver.Request{Method: "PATCH", Path: "/api/v1/tenants/" + f.a.ID,
		AppToken: f.s.AppToken, Token: f.s.OwnerToken(t), JSON: map[string]any{"settings": settings}})
}

// login tries username and password.
func (f *flow) login(t *testing.T, username, password string, extra map[string]any) *testserver.Response {
	t.Helper()
	body := map[string]any{"username": username, "password": password}
	for k, v := range extra {
		body[k] = v
	}
	return f.s.Do(t, testserver.Request{Method: "POST", Path: "/api/v1/token", AppToken: f.a.AppToken, JSON: body})
}

// session logs mem in and returns its token and refresh token.
func (f *flow) session(t *testing.T, extra map[string]any) (token, refresh string) {
	t.Helper()
	r := f.login(t, "mem", "mem-password", extra)
	if r.Status != http.StatusOK {
		t.Fatalf("login: got status %d, want 200; body %s", r.Status, r.Body)
	}
	return r.String("token"), r.String("refresh_token")
}

// refresh presents a refresh token as JSON.
func (f *flow) refresh(t *testing.T, refresh string) *testserver.Response {
	t.Helper()
	return f.s.Do(t, testserver.Request{Method: "POST", Path: "/api/v1/token/refresh", AppToken: f.a.AppToken,
		JSON: map[string]any{"refresh_token": refresh}})
}

// works reports whether a user token is accepted.
func (f *flow) works(t *testing.T, token string) bool {
	t.Helper()
	r := f.s.Do(t, testserver.Request{Method: "GET", Path: "/api/v1/token", AppToken: f.a.AppToken, Token: token})
	if r.Status != http.StatusOK && r.Status != http.StatusUnauthorized {
		t.Fatalf("GET /token: got status %d, want 200 or 401; body %s", r.Status, r.Body)
	}
	return r.Status == http.StatusOK
}

// auditOf returns the tenant's audit records of action, newest first.
func (f *flow) auditOf(t *testing.T, action string) []map[string]any {
	t.Helper()
	r := f.s.Must(t, http.StatusOK, testserver.Request{Method: "GET", Path: "/api/v1/audit?limit=500&action=" + action,
		AppToken: f.a.AppToken, Token: f.a.OwnerToken})
	var out []map[string]any
	items, _ := r.JSON["items"].([]any)
	for _, it := range items {
		out = append(out, it.(map[string]any))
	}
	return out
}

// outcomes counts audit records by outcome.
func outcomes(recs []map[string]any) map[string]int {
	n := map[string]int{}
	for _, r := range recs {
		n[r["outcome"].(string)]++
	}
	return n
}

// claimCount returns how many lockout claims username holds in the
// current window (slots, failures and its lock).
func (f *flow) claimCount(t *testing.T, username string) int {
	t.Helper()
	n, err := usertokens.HeldClaims(context.Background(), f.s.App.Tokens, f.a.ID, username)
	if err != nil {
		t.Fatalf("count claims: %v", err)
	}
	return n
}

// wantError fails unless r has status and exactly the error fields of
// want, each with its message ("" matches any message).
func wantError(t *testing.T, r *testserver.Response, status int, want map[string]string) {
	t.Helper()
	if r.Status != status {
		t.Errorf("got status %d, want %d; body %s", r.Status, status, r.Body)
		return
	}
	testserver.WantErrors(t, r, want)
}

// parallel runs n copies of do at once and returns their answers.
func parallel(n int, do func(i int) *testserver.Response) []*testserver.Response {
	out := make([]*testserver.Response, n)
	start := make(chan struct{})
	done := make(chan struct{})
	for i := range n {
		go func() {
			defer func() { done <- struct{}{} }()
			<-start
			out[i] = do(i)
		}()
	}
	close(start)
	for range n {
		<-done
	}
	return out
}

// statuses counts answers by status (0 for a request that never answered).
func statuses(rs []*testserver.Response) map[int]int {
	n := map[int]int{}
	for _, r := range rs {
		if r == nil {
			n[0]++
			continue
		}
		n[r.Status]++
	}
	return n
}
