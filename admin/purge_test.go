package admin_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/latchkey/latchkey/admin"
	"github.com/latchkey/latchkey/apptokens"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/testserver"
	"github.com/latchkey/latchkey/tenants"
	"github.com/latchkey/latchkey/usertokens"
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
	db := func(tn *testserver.Tenant) *mongoDB { return &mongoDB{s, tn.ID} }

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
	gone[usertokens.Collection] = append(gone[usertokens.Collection], out.String("id"))
	short := login(a, map[string]any{"seconds_until_expire": 60})
	kept[usertokens.Collection] = append(kept[usertokens.Collection], short.String("id"))
	// An app token that expires at t0+1s goes; the tenant's first one stays.
	exp := s.Must(t, http.StatusCreated, testserver.Request{Method: "POST", Path: "/api/v1/app_tokens", AppToken: a.AppToken,
		Token: a.OwnerToken, JSON: map[string]any{"seconds_until_expire": 1}})
	gone[apptokens.Collection] = append(gone[apptokens.Collection], exp.String("id"))
	// Failed logins leave claims (a slot and a failure number each) and a
	// lock, all over within 30 minutes of t0.
	for range 5 {
		s.Must(t, http.StatusUnauthorized, testserver.Request{Method: "POST", Path: "/api/v1/token", AppToken: a.AppToken,
			JSON: map[string]any{"username": "nobody", "password": "wrong-password"}})
	}
	claims := db(a).count(t, usertokens.Claims, bson.D{})
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
	kept[usertokens.Collection] = append(kept[usertokens.Collection], late.String("id"))
	// A failed login then leaves claims that end after the cutoff: they go
	// too, since claims are not kept for retention.
	s.Must(t, http.StatusUnauthorized, testserver.Request{Method: "POST", Path: "/api/v1/token", AppToken: a.AppToken,
		JSON: map[string]any{"username": "nobody", "password": "wrong-password"}})

	s.Clock.Advance(retention - time.Hour) // the cutoff is now t0+1h
	// Claims of a window that is not over stay, whatever the retention.
	s.Must(t, http.StatusUnauthorized, testserver.Request{Method: "POST", Path: "/api/v1/token", AppToken: a.AppToken,
		JSON: map[string]any{"username": "nobody", "password": "wrong-password"}})
	tokensA := db(a).count(t, usertokens.Collection, bson.D{})
	rep, err := admin.PurgePaged(s.App, ctx, retention, 1) // a page per tenant: every page is visited
	if err != nil {
		t.Fatalf("Purge: %v", err)
	}
	want := admin.PurgeReport{Tenants: 3, AppTokens: 1, Tokens: 2, Claims: 13}
	if rep != want {
		t.Errorf("got report %+v, want %+v", rep, want)
	}
	for coll, ids := range gone {
		for _, id := range ids {
			if n := db(a).count(t, coll, byID(t, id)); n != 0 {
				t.Errorf("%s %s: still there after the purge", coll, id)
			}
		}
	}
	for coll, ids := range kept {
		for _, id := range ids {
			if n := db(a).count(t, coll, byID(t, id)); n != 1 {
				t.Errorf("%s %s: purged, want it kept", coll, id)
			}
		}
	}
	if n := db(b).count(t, usertokens.Collection, byID(t, outB.String("id"))); n != 0 {
		t.Errorf("tenant b's logged-out token: still there after the purge")
	}
	if got := db(a).count(t, usertokens.Collection, bson.D{}); got != tokensA-1 {
		t.Errorf("tenant a tokens: got %d, want %d (one purged)", got, tokensA-1)
	}
	if got := db(a).count(t, usertokens.Claims, bson.D{}); got != 2 {
		t.Errorf("got %d claims after the purge, want 2 (the live window's slot and failure number)", got)
	}
	if got := db(a).count(t, apptokens.Collection, bson.D{}); got != 1 {
		t.Errorf("got %d app tokens after the purge, want 1 (the live one)", got)
	}
	// Nothing more is due: a second run deletes nothing.
	if rep, err := s.App.Purge(ctx, retention); err != nil || rep != (admin.PurgeReport{Tenants: 3}) {
		t.Errorf("second purge: got %+v, %v; want nothing deleted", rep, err)
	}
}

type mongoDB struct {
	s      *testserver.Server
	tenant string
}

func (m *mongoDB) count(t *testing.T, coll string, q bson.D) int64 {
	t.Helper()
	n, err := m.s.Store.Client.Database(tenants.DatabaseName(m.tenant)).Collection(coll).CountDocuments(context.Background(), q)
	if err != nil {
		t.Fatalf("count %s: %v", coll, err)
	}
	return n
}

func byID(t *testing.T, hex string) bson.D {
	t.Helper()
	id, err := ids.Parse(hex)
	if err != nil {
		t.Fatalf("id %q: %v", hex, err)
	}
	return bson.D{{Key: "_id", Value: id}}
}
