package admin_test

import (
	"context"
	"testing"

	"github.com/latchkey/latchkey/internal/testserver"
	"github.com/latchkey/latchkey/tenants"
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
