package sqlite

import (
	"context"
	"testing"
	"time"

	"github.com/latchkey/latchkey/audit"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/page"
	"github.com/latchkey/latchkey/webhooks"
)

// An audit record and its deliveries are one transaction: when a delivery
// cannot be written, the record is not written either (and the store
// answers the failure), so no event is recorded without its delivery.
func TestAuditAndOutboxOneTransaction(t *testing.T) {
	db := mustOpen(t, t.TempDir())
	tn := mustTenant(t, db)
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)
	w := &webhooks.Webhook{ID: ids.NewAt(now), URL: "https://hooks.example.com/x", Events: []string{"*"}, Status: webhooks.Enabled,
		Secret: "sealed", Created: now, Updated: now}
	if err := db.Webhooks().Insert(ctx, tn.ID, w); err != nil {
		t.Fatal(err)
	}
	// A trigger makes every delivery insert fail.
	err := db.writeTenant(ctx, tn.ID, func(ctx context.Context, f *file) error {
		_, err := f.db.ExecContext(ctx, `CREATE TRIGGER no_deliveries BEFORE INSERT ON deliveries BEGIN SELECT RAISE(ABORT, 'refused'); END`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Audit().Insert(ctx, tn.ID, &audit.Record{At: now, Action: "login", Outcome: audit.Success}); err == nil {
		t.Fatal("the insert succeeded though its delivery could not be written")
	}
	recs, _, err := db.Audit().Find(ctx, tn.ID, audit.Filter{}, page.Page{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 0 {
		t.Errorf("got %d audit records written without their delivery, want 0", len(recs))
	}
}
