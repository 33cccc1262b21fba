package jobs_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/latchkey/latchkey/admin/jobs"
	"github.com/latchkey/latchkey/internal/errs"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/testserver"
	"github.com/latchkey/latchkey/usage"
)

// TestPurge builds records of every kind around the retention cutoff in two
// tenants and checks that Purge deletes exactly the tokens that expired
// (token and refresh token both) more than retention ago and the lockout
// claims whose window is over, on the embedded store.
func TestPurge(t *testing.T) {
	const retention = 30 * 24 * time.Hour
	s := testserver.Start(t)
	a := s.NewTenant(t, "purge-a")
	b := s.NewTenant(t, "purge-b")
	ctx := context.Background()

	login := func(tn *testserver.Tenant, body map[string]any) *testserver.Response {
		body["username"], body["password"] = "owner", "owner-password"
		return s.Must(t, http.StatusOK, testserver.Request{Method: "POST", Path: "/api/v1/token", AppToken: tn.AppToken, JSON: body})
	}
	logout := func(tn *testserver.Tenant, r *testserver.Response) {
		s.Must(t, http.StatusNoContent, testserver.Request{Method: "DELETE", Path: "/api/v1/token", AppToken: tn.AppToken, Token: r.String("token")})
	}
	gone, kept := map[string][]string{}, map[string][]string{} // collection → ids, of tenant a
	// At t0: a logged-out session (token and refresh token end at t0) goes;
	// a session whose token ends at t0+60s but whose refresh token lives 30
	// days stays.
	out := login(a, map[string]any{})
	logout(a, out)
	gone[testserver.TableTokens] = append(gone[testserver.TableTokens], out.String("id"))
	short := login(a, map[string]any{"seconds_until_expire": 60})
	kept[testserver.TableTokens] = append(kept[testserver.TableTokens], short.String("id"))
	// An app token that expires at t0+1s goes; the tenant's first one stays.
	exp := s.Must(t, http.StatusCreated, testserver.Request{Method: "POST", Path: "/api/v1/app_tokens", AppToken: a.AppToken,
		Token: a.OwnerToken, JSON: map[string]any{"seconds_until_expire": 1}})
	gone[testserver.TableAppTokens] = append(gone[testserver.TableAppTokens], exp.String("id"))
	// Failed logins leave claims (a slot and a failure number each) and a
	// lock, all over within 30 minutes of t0.
	for range 5 {
		s.Must(t, http.StatusUnauthorized, testserver.Request{Method: "POST", Path: "/api/v1/token", AppToken: a.AppToken,
			JSON: map[string]any{"username": "nobody", "password": "wrong-password"}})
	}
	claims := s.Count(t, a.ID, testserver.TableClaims)
	if claims != 11 {
		t.Fatalf("got %d claims after 5 failed logins, want 11 (5 slots, 5 failure numbers, a lock)", claims)
	}
	// In tenant b, a logged-out session goes too.
	outB := login(b, map[string]any{})
	logout(b, outB)

	// Two hours later, a session ends: still inside retention at the purge.
	s.Clock.Advance(2 * time.Hour)
	late := login(a, map[string]any{})
	logout(a, late)
	kept[testserver.TableTokens] = append(kept[testserver.TableTokens], late.String("id"))
	// A failed login then leaves claims that end after the cutoff: they go
	// too, since claims are not kept for retention.
	s.Must(t, http.StatusUnauthorized, testserver.Request{Method: "POST", Path: "/api/v1/token", AppToken: a.AppToken,
		JSON: map[string]any{"username": "nobody", "password": "wrong-password"}})

	s.Clock.Advance(retention - time.Hour) // the cutoff is now t0+1h
	// Claims of a window that is not over stay, whatever the retention.
	s.Must(t, http.StatusUnauthorized, testserver.Request{Method: "POST", Path: "/api/v1/token", AppToken: a.AppToken,
		JSON: map[string]any{"username": "nobody", "password": "wrong-password"}})
	tokensA := s.Count(t, a.ID, testserver.TableTokens)
	paged := *s.App.Purger
	paged.PageSize = 1 // a page per tenant: every page is visited
	rep, err := paged.Run(ctx, retention)
	if err != nil {
		t.Fatalf("Purge: %v", err)
	}
	want := jobs.Report{Tenants: 3, AppTokens: 1, Tokens: 2, Claims: 13}
	if rep != want {
		t.Errorf("got report %+v, want %+v", rep, want)
	}
	for coll, ids := range gone {
		for _, id := range ids {
			if n := present(t, s, a.ID, coll, id); n != 0 {
				t.Errorf("%s %s: still there after the purge", coll, id)
			}
		}
	}
	for coll, ids := range kept {
		for _, id := range ids {
			if n := present(t, s, a.ID, coll, id); n != 1 {
				t.Errorf("%s %s: purged, want it kept", coll, id)
			}
		}
	}
	if n := present(t, s, b.ID, testserver.TableTokens, outB.String("id")); n != 0 {
		t.Errorf("tenant b's logged-out token: still there after the purge")
	}
	if got := s.Count(t, a.ID, testserver.TableTokens); got != tokensA-1 {
		t.Errorf("tenant a tokens: got %d, want %d (one purged)", got, tokensA-1)
	}
	if got := s.Count(t, a.ID, testserver.TableClaims); got != 2 {
		t.Errorf("got %d claims after the purge, want 2 (the live window's slot and failure number)", got)
	}
	if got := s.Count(t, a.ID, testserver.TableAppTokens); got != 1 {
		t.Errorf("got %d app tokens after the purge, want 1 (the live one)", got)
	}
	// Nothing more is due: a second run deletes nothing.
	if rep, err := s.App.Purger.Run(ctx, retention); err != nil || rep != (jobs.Report{Tenants: 3}) {
		t.Errorf("second purge: got %+v, %v; want nothing deleted", rep, err)
	}
}

// present returns 1 when table (app tokens or user tokens) of tenant holds
// the record of id, else 0, read through the engine.
func present(t *testing.T, s *testserver.Server, tenantID, table, hex string) int64 {
	t.Helper()
	id, err := ids.Parse(hex)
	if err != nil {
		t.Fatalf("id %q: %v", hex, err)
	}
	ctx := context.Background()
	switch table {
	case testserver.TableTokens:
		_, err = s.Store.UserTokens().FindByID(ctx, tenantID, id)
	case testserver.TableAppTokens:
		_, err = s.Store.AppTokens().FindByID(ctx, tenantID, id)
	default:
		t.Fatalf("present: no lookup by id in %s", table)
	}
	switch {
	case err == nil:
		return 1
	case errs.Is(err, errs.NotFound):
		return 0
	}
	t.Fatalf("find %s %s: %v", table, hex, err)
	return 0
}

// TestPurgeUsage checks that the purge deletes usage buckets older than
// usage.Retention (90 days), whatever tokens.retention is, and keeps the
// younger ones.
func TestPurgeUsage(t *testing.T) {
	s := testserver.Start(t)
	a := s.NewTenant(t, "purge-usage")
	ctx := context.Background()
	tok := ids.New()
	t0 := s.Clock.Now().UTC().Truncate(time.Hour)
	s.App.Usage.Count(a.ID, tok, usage.OK, t0)
	s.App.Usage.Count(a.ID, tok, usage.Denied, t0.Add(2*time.Hour))
	if err := s.App.Usage.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	s.Clock.Advance(usage.Retention + time.Hour) // the cutoff falls between the two hours
	rep, err := s.App.Purger.Run(ctx, time.Hour)
	if err != nil {
		t.Fatalf("Purge: %v", err)
	}
	if rep.Usage < 1 {
		t.Errorf("got %+v, want the first hour's usage purged", rep)
	}
	hours, err := s.Store.Usage().Hours(ctx, a.ID, tok, t0, t0.Add(3*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(hours) != 1 || !hours[0].Start.Equal(t0.Add(2*time.Hour)) || hours[0].Counts != (usage.Counts{0, 1, 0}) {
		t.Fatalf("after the purge: got %+v, want only the hour younger than 90 days", hours)
	}
}
