package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/configs"
	"github.com/latchkey/latchkey/internal/clock"
	"github.com/latchkey/latchkey/internal/errs"
	"github.com/latchkey/latchkey/internal/secret"
	"github.com/latchkey/latchkey/tenants"
)

// TestServeRemovesHalfMadeTenants: a tenant that kill -9 during POST
// /tenants left "creating", without an owner (written here through the
// store interfaces, as the crash leaves it), is removed when serve starts,
// which says so in its log; its slug is free again.
func TestServeRemovesHalfMadeTenants(t *testing.T) {
	dir := t.TempDir()
	if code, _, errOut := runCmd(t, storeEnv(dir, "LATCHKEY_ADMIN_PASSWORD=owner-password"), "init"); code != 0 {
		t.Fatalf("init: exit %d, %s", code, errOut)
	}
	cfg := configs.Default().Store
	cfg.DataDir = dir
	ctx := context.Background()
	st, err := openStore(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	made := clock.Stored(time.Now().Add(-5 * time.Minute))
	tn := &tenants.Tenant{ID: secret.NewTenantID(), Slug: "halfway", Name: "Halfway", Status: tenants.Creating,
		Settings: tenants.DefaultSettings(), Created: made, Updated: made}
	if err := st.Tenants().Insert(ctx, tn); err != nil {
		t.Fatal(err)
	}
	if err := st.Tenants().CreateDatabase(ctx, tn.ID); err != nil {
		t.Fatal(err)
	}
	st.Close()

	sctx, cancel := context.WithCancel(ctx)
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() { done <- run(sctx, []string{"serve"}, storeEnv(dir), &stdout, &stderr) }()
	waitFor(t, &stdout, "Latchkey is serving on", done)
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("serve: exit %d, %s", code, stderr.String())
	}
	if log := stderr.String(); !strings.Contains(log, "half-made tenant removed") || !strings.Contains(log, `"slug":"halfway"`) {
		t.Errorf("the log does not report the removal: %s", log)
	}
	st, err = openStore(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Tenants().FindBySlug(ctx, "halfway"); !errs.Is(err, errs.NotFound) {
		t.Errorf("after serve started: got %v, want the half-made tenant removed", err)
	}
}
