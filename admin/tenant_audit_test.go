package admin_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/testserver"
)

// TestTenantChangeAuditedInBoth: a platform owner's change of a tenant's
// settings is recorded in the platform's log and in the tenant's own, whose
// owners would otherwise see their sessions shrink with no record.
func TestTenantChangeAuditedInBoth(t *testing.T) {
	s := testserver.Start(t)
	owner := s.OwnerToken(t)
	acme := s.NewTenant(t, "acme")
	s.Must(t, http.StatusOK, testserver.Request{Method: "PATCH", Path: "/api/v1/tenants/acme", AppToken: s.AppToken, Token: owner,
		JSON: map[string]any{"settings": map[string]any{"user_token_ttl": 3600}}})

	records := func(app, token string) []map[string]any {
		r := s.Must(t, http.StatusOK, testserver.Request{Method: "GET", Path: "/api/v1/audit?action=tenant.update", AppToken: app, Token: token})
		var out []map[string]any
		for _, it := range r.JSON["items"].([]any) {
			out = append(out, it.(map[string]any))
		}
		return out
	}
	if got := records(s.AppToken, owner); len(got) != 1 || got[0]["target"] != acme.ID {
		t.Errorf("the platform's log: got %v, want one tenant.update of %s", got, acme.ID)
	}
	got := records(acme.AppToken, acme.OwnerToken)
	if len(got) != 1 || got[0]["target"] != acme.ID {
		t.Fatalf("the tenant's log: got %v, want one tenant.update of %s", got, acme.ID)
	}
	if d, _ := got[0]["detail"].(string); !strings.Contains(d, "platform owner "+s.Username) || !strings.Contains(d, "settings") {
		t.Errorf("the tenant's record says %q, want the platform owner and the settings", d)
	}
	if got[0]["user"] != nil {
		t.Errorf("the tenant's record names user %v, an id of another tenant", got[0]["user"])
	}
}
