package admin_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/latchkey/latchkey/apptokens"
	"github.com/latchkey/latchkey/internal/access"
	"github.com/latchkey/latchkey/internal/clock"
	"github.com/latchkey/latchkey/internal/errs"
	"github.com/latchkey/latchkey/internal/secret"
	"github.com/latchkey/latchkey/internal/testserver"
	"github.com/latchkey/latchkey/tenants"
	"github.com/latchkey/latchkey/users"
)

// halfMade writes tenant slug into s's store as a crash during POST
// /tenants leaves it: "creating", made age ago, and then as much of its
// provisioning as stage says ("" none, "database", "owner": database and
// owner, "done": owner and first app token, "token": an app token and no
// owner).
func halfMade(t *testing.T, s *testserver.Server, slug string, age time.Duration, stage string) *tenants.Tenant {
	t.Helper()
	ctx := context.Background()
	now := clock.Stored(s.Clock.Now().Add(-age))
	tn := &tenants.Tenant{ID: secret.NewTenantID(), Slug: slug, Name: slug, Status: tenants.Creating,
		Settings: tenants.DefaultSettings(), Created: now, Updated: now}
	if err := s.Store.Tenants().Insert(ctx, tn); err != nil {
		t.Fatalf("insert %s: %v", slug, err)
	}
	owner := tenants.Owner{Username: "boss", Password: "boss-password", Email: "boss@example.test"}
	var err error
	switch stage {
	case "database":
		err = s.Store.Tenants().CreateDatabase(ctx, tn.ID)
	case "owner":
		if err = s.Store.Tenants().CreateDatabase(ctx, tn.ID); err == nil {
			_, err = s.App.Users.Create(ctx, tn.ID, users.New{Username: owner.Username, Password: owner.Password, Email: owner.Email, Role: access.Owner}, nil)
		}
	case "done":
		_, err = s.App.Tenants.Provisioner.Provision(ctx, tn, owner)
	case "token":
		if err = s.Store.Tenants().CreateDatabase(ctx, tn.ID); err == nil {
			_, _, err = s.App.AppTokens.Create(ctx, tn, apptokens.New{Name: "initial"})
		}
	}
	if err != nil {
		t.Fatalf("provision %s up to %q: %v", slug, stage, err)
	}
	return tn
}

// TestHalfMadeTenants: at start (serve calls FinishHalfMade) every tenant
// a crash left "creating" is finished when its owner and first app token
// were made and removed otherwise, each reported in the log; one younger
// than a minute (perhaps being made by another instance) is left alone
// until it is that old: a crash mid-creation leaves nothing usable.
func TestHalfMadeTenants(t *testing.T) {
	core, logs := observer.New(zapcore.WarnLevel)
	s := testserver.StartWith(t, testserver.Options{Logger: zap.New(core)})
	ctx := context.Background()
	old := 2 * time.Minute
	done := halfMade(t, s, "done", old, "done")
	gone := map[string]*tenants.Tenant{
		"bare":     halfMade(t, s, "bare", old, ""),
		"database": halfMade(t, s, "database", old, "database"),
		"owner":    halfMade(t, s, "owner", old, "owner"),
		"token":    halfMade(t, s, "token", old, "token"),
	}
	young := halfMade(t, s, "young", 10*time.Second, "owner")

	if err := s.App.FinishHalfMade(ctx); err != nil {
		t.Fatalf("FinishHalfMade: %v", err)
	}
	if got, err := s.Store.Tenants().FindByID(ctx, done.ID); err != nil || got.Status != tenants.Active {
		t.Errorf("the tenant with its owner and app token: got %+v, %v; want it active", got, err)
	}
	for slug, tn := range gone {
		if _, err := s.Store.Tenants().FindByID(ctx, tn.ID); !errs.Is(err, errs.NotFound) {
			t.Errorf("%s: got %v, want it removed", slug, err)
		}
		if s.DatabaseExists(t, tn.ID) {
			t.Errorf("%s: its database is still there", slug)
		}
	}
	if got, err := s.Store.Tenants().FindByID(ctx, young.ID); err != nil || got.Status != tenants.Creating {
		t.Errorf("the young tenant: got %+v, %v; want it left creating", got, err)
	}
	reported := map[string]string{}
	for _, e := range logs.All() {
		if slug, ok := e.ContextMap()["slug"].(string); ok && strings.HasPrefix(e.Message, "half-made tenant") {
			reported[slug] = e.Message
		}
	}
	if len(reported) != 5 || !strings.Contains(reported["done"], "finished") || !strings.Contains(reported["bare"], "removed") {
		t.Errorf("log: got %v, want the one finished and the four removed", reported)
	}
	// The slug of a removed tenant is free again.
	s.NewTenant(t, "bare")

	s.Clock.Advance(time.Minute)
	if err := s.App.FinishHalfMade(ctx); err != nil {
		t.Fatalf("FinishHalfMade a minute later: %v", err)
	}
	if _, err := s.Store.Tenants().FindByID(ctx, young.ID); !errs.Is(err, errs.NotFound) {
		t.Errorf("the young tenant a minute later: got %v, want it removed (it has no app token)", err)
	}
}
