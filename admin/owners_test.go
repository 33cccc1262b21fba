package admin_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/testserver"
	"github.com/latchkey/latchkey/store"
	"github.com/latchkey/latchkey/tenants"
	"github.com/latchkey/latchkey/users"
)

// TestTenantActiveNeedsAnOwner: PATCH {"status": "active"} on a tenant
// without an active owner (a disabled one, or one a crash left "creating")
// is 409, so no tenant becomes active that nobody can manage.
func TestTenantActiveNeedsAnOwner(t *testing.T) {
	s := testserver.Start(t)
	owner := s.OwnerToken(t)
	creating := halfMade(t, s, "creating", 0, "token")
	disabled := halfMade(t, s, "disabled", 0, "token")
	disabled.Status = tenants.Disabled
	if err := s.Store.Tenants().Replace(context.Background(), disabled); err != nil {
		t.Fatal(err)
	}
	s.NewTenant(t, "acme")
	patch := func(ref string, body map[string]any) testserver.Request {
		return testserver.Request{Method: "PATCH", Path: "/api/v1/tenants/" + ref, AppToken: s.AppToken, Token: owner, JSON: body}
	}
	active := map[string]any{"status": "active"}
	noOwner := map[string]string{"status": tenants.ErrNoOwner.Fields["status"]}
	runCoreCases(t, s, []coreCase{
		{name: "creating, no owner", req: patch("creating", active), status: 409, errors: noOwner},
		{name: "disabled, no owner", req: patch(disabled.ID, active), status: 409, errors: noOwner},
		{name: "still disabled", req: patch("disabled", map[string]any{"name": "Renamed"}), status: 200,
			check: func(t *testing.T, r *testserver.Response) {
				if r.String("status") != tenants.Disabled {
					t.Errorf("got %s, want it still disabled", r.Body)
				}
			}},
		{name: "still creating", req: testserver.Request{Method: "GET", Path: "/api/v1/tenants/" + creating.ID, AppToken: s.AppToken, Token: owner},
			status: 200, check: func(t *testing.T, r *testserver.Response) {
				if r.String("status") != tenants.Creating {
					t.Errorf("got %s, want it still creating", r.Body)
				}
			}},
		{name: "a tenant with an owner", req: patch("acme", active), status: 200},
		{name: "disable it", req: patch("acme", map[string]any{"status": "disabled"}), status: 200},
		{name: "and enable it again", req: patch("acme", active), status: 200},
	})
}

// auditActions returns the actions of the audit log of the tenant of
// appToken, read by token, with the detail of each.
func auditActions(t *testing.T, s *testserver.Server, appToken, token string) map[string]string {
	t.Helper()
	r := s.Must(t, 200, testserver.Request{Method: "GET", Path: "/api/v1/audit?limit=500", AppToken: appToken, Token: token})
	out := map[string]string{}
	items, _ := r.JSON["items"].([]any)
	for _, it := range items {
		rec, _ := it.(map[string]any)
		action, _ := rec["action"].(string)
		detail, _ := rec["detail"].(string)
		out[action] = detail
	}
	return out
}

// TestRestoreOwner: a platform owner gives a tenant that has lost its
// owners a new one (POST /tenants/{id or slug}/owners), audited in both
// tenants; then the tenant can be made active and its new owner works.
// Nobody else may, an OBO token of a platform owner neither (it makes a
// credential).
func TestRestoreOwner(t *testing.T) {
	s := testserver.Start(t)
	owner := s.OwnerToken(t)
	lost := halfMade(t, s, "lost", 0, "database")
	lost.Status = tenants.Disabled
	if err := s.Store.Tenants().Replace(context.Background(), lost); err != nil {
		t.Fatal(err)
	}
	halfMade(t, s, "unfinished", 0, "database")
	acme := s.NewTenant(t, "acme")
	deputy := s.NewUser(t, s.AppToken, owner, "deputy", "owner")
	obo := s.Must(t, 201, testserver.Request{Method: "POST", Path: "/api/v1/tokens", AppToken: s.AppToken, Token: owner,
		JSON: map[string]any{"user": deputy}}).String("token")
	restore := func(ref, token string, body map[string]any) testserver.Request {
		return testserver.Request{Method: "POST", Path: "/api/v1/tenants/" + ref + "/owners", AppToken: s.AppToken, Token: token, JSON: body}
	}
	body := map[string]any{"username": "rescuer", "password": "rescuer-password", "email": "rescuer@lost.test"}
	runCoreCases(t, s, []coreCase{
		{name: "an OBO token", req: restore("lost", obo, body), status: 403,
			errors: map[string]string{"token": "An on-behalf-of token cannot do this."}},
		{name: "another tenant's owner", req: testserver.Request{Method: "POST", Path: "/api/v1/tenants/lost/owners",
			AppToken: acme.AppToken, Token: acme.OwnerToken, JSON: body}, status: 403},
		{name: "a tenant still being created", req: restore("unfinished", owner, body), status: 409,
			errors: map[string]string{"tenant": "The tenant is still being created."}},
		{name: "unknown tenant", req: restore("nowhere", owner, body), status: 404},
		{name: "bad fields", req: restore("lost", owner, map[string]any{"username": "x", "password": "short", "email": "no"}), status: 400,
			errors: map[string]string{"username": "*", "password": "*", "email": "*"}},
		{name: "restore", req: restore("lost", owner, body), status: 201, check: func(t *testing.T, r *testserver.Response) {
			if r.String("username") != "rescuer" || r.String("role") != "owner" || r.String("status") != "active" || !hexID.MatchString(r.String("id")) {
				t.Errorf("got %s, want the active owner rescuer", r.Body)
			}
		}},
		{name: "the username is taken now", req: restore(lost.ID, owner, body), status: 409, errors: map[string]string{"username": "*"}},
		{name: "the tenant can be made active", req: testserver.Request{Method: "PATCH", Path: "/api/v1/tenants/lost", AppToken: s.AppToken,
			Token: owner, JSON: map[string]any{"status": "active"}}, status: 200},
	})
	app := s.Must(t, 201, testserver.Request{Method: "POST", Path: "/api/v1/tenants/lost/app_tokens", AppToken: s.AppToken, Token: owner,
		JSON: map[string]any{"name": "recovery"}}).String("app_token")
	rescuer := s.Login(t, app, "rescuer", "rescuer-password")
	if got := auditActions(t, s, app, rescuer)["user.create"]; got != "owner restored by the platform owner admin" {
		t.Errorf("the tenant's audit log: user.create detail %q, want the platform owner named", got)
	}
	if _, ok := auditActions(t, s, s.AppToken, owner)["tenant.owner.create"]; !ok {
		t.Errorf("the platform's audit log has no tenant.owner.create")
	}
}

// barrier holds its first n callers until all n have come (or 5 s have
// passed); unarmed, it holds nobody.
type barrier struct {
	mu  sync.Mutex
	n   int
	all chan struct{}
}

func (b *barrier) arm(n int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.n, b.all = n, make(chan struct{})
}

func (b *barrier) wait() {
	b.mu.Lock()
	if b.n == 0 {
		b.mu.Unlock()
		return
	}
	b.n--
	all := b.all
	if b.n == 0 {
		close(all)
	}
	b.mu.Unlock()
	select {
	case <-all:
	case <-time.After(5 * time.Second):
	}
}

// gatedStore is a store whose user changes (Replace, Delete) wait at a
// barrier: armed, the requests that make them reach the store together,
// each past its authentication and its service's checks.
type gatedStore struct {
	store.Store
	gate *barrier
}

func (g gatedStore) Users() users.Store { return gatedUsers{g.Store.Users(), g.gate} }

type gatedUsers struct {
	users.Store
	gate *barrier
}

func (g gatedUsers) Replace(ctx context.Context, tenantID string, u *users.User) error {
	g.gate.wait()
	return g.Store.Replace(ctx, tenantID, u)
}

func (g gatedUsers) Delete(ctx context.Context, tenantID string, id ids.ID) error {
	g.gate.wait()
	return g.Store.Delete(ctx, tenantID, id)
}

// TestOwnersRemovingEachOther: two owners of a tenant delete (or disable,
// or demote) each other over HTTP, round after round, their store calls
// held until both have come, so the race is run every round and not by
// luck: one removal succeeds, the other is 409 (the store keeps the last
// active owner), and the tenant keeps exactly one active owner.
func TestOwnersRemovingEachOther(t *testing.T) {
	gate := &barrier{}
	s := testserver.StartWith(t, testserver.Options{Store: gatedStore{testserver.OpenStore(t), gate}})
	boot, err := s.App.Initialize(context.Background(), "platform-password")
	if err != nil {
		t.Fatal(err)
	}
	s.AppToken, s.Username, s.Password, s.TenantID = boot.AppToken, boot.Admin.Username, boot.Admin.Password, boot.Tenant.ID
	a := s.NewTenant(t, "acme")
	type owner struct{ id, name, token string }
	first := owner{a.OwnerID, "owner", a.OwnerToken}
	for round := range 6 {
		name := fmt.Sprintf("second-%d", round)
		second := owner{s.NewUser(t, a.AppToken, first.token, name, "owner"), name, ""}
		second.token = s.Login(t, a.AppToken, name, name+"-password")
		remove := func(by, target owner) testserver.Request {
			req := testserver.Request{Method: "DELETE", Path: "/api/v1/users/" + target.id, AppToken: a.AppToken, Token: by.token}
			switch round % 3 {
			case 1:
				req.Method, req.JSON = "PATCH", map[string]any{"status": "disabled"}
			case 2:
				req.Method, req.JSON = "PATCH", map[string]any{"role": "admin"}
			}
			return req
		}
		pair := [2]owner{first, second}
		var codes [2]int
		var wg sync.WaitGroup
		gate.arm(2)
		for i := range pair {
			wg.Go(func() { codes[i] = s.Do(t, remove(pair[i], pair[1-i])).Status })
		}
		wg.Wait()
		won := 0
		for i, c := range codes {
			switch c {
			case 200, 204:
				won++
				first = pair[i]
			case 409:
			default:
				t.Errorf("round %d: %s got %d, want a success or 409", round, pair[i].name, c)
			}
		}
		if won != 1 {
			t.Fatalf("round %d: answers %v, want one success and one 409", round, codes)
		}
		r := s.Must(t, 200, testserver.Request{Method: "GET", Path: "/api/v1/users?role=owner&status=active", AppToken: a.AppToken, Token: first.token})
		if items, _ := r.JSON["items"].([]any); len(items) != 1 {
			t.Fatalf("round %d: %d active owners, want 1: %s", round, len(items), r.Body)
		}
	}
}
