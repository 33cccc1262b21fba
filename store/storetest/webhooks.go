package storetest

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchkey/latchkey/audit"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/page"
	"github.com/latchkey/latchkey/webhooks"
)

// newWebhook stores an endpoint for events with status.
func (e *env) newWebhook(t *testing.T, tenantID, status string, events ...string) *webhooks.Webhook {
	t.Helper()
	now := e.now()
	w := &webhooks.Webhook{ID: ids.NewAt(now), URL: "https://hooks.example.com/x", Events: events, Status: status,
		Secret: "sealed", Created: now, Updated: now}
	must(t, "insert webhook", e.st.Webhooks().Insert(e.ctx, tenantID, w))
	return w
}

// An audit record's deliveries are written with it, one per enabled
// webhook whose events choose it, and come out of Due once however often
// it is asked; a disabled or unchosen webhook gets none; deleting a
// webhook deletes its deliveries; another tenant sees nothing.
func testWebhookOutbox(t *testing.T, open Opener) {
	e := newEnv(t, open)
	tid := e.tenant.ID
	ws := e.st.Webhooks()
	chosen := e.newWebhook(t, tid, webhooks.Enabled, "app_token.*")
	e.newWebhook(t, tid, webhooks.Disabled, "*.*")
	e.newWebhook(t, tid, webhooks.Enabled, "user.*")
	other := e.newTenant(t, "other")
	e.newWebhook(t, other.ID, webhooks.Enabled, "*.*")

	rec := audit.Record{Action: "app_token.create", Target: "x", Outcome: audit.Success}
	e.app.Audit.Write(e.ctx, tid, rec)
	var due []webhooks.Delivery
	for range 3 {
		var err error
		due, err = ws.Due(e.ctx, tid, e.now(), 10)
		must(t, "due", err)
		if len(due) != 1 || due[0].Webhook != chosen.ID || due[0].Type != "app_token.create" || due[0].Status != webhooks.Pending {
			t.Fatalf("got due %+v, want one pending app_token.create to %s", due, chosen.ID.Hex())
		}
	}
	if !strings.Contains(due[0].Payload, `"type":"app_token.create"`) || !strings.Contains(due[0].Payload, `"data":{`) {
		t.Errorf("payload %s", due[0].Payload)
	}
	got, _, err := e.app.Audit.Find(e.ctx, tid, audit.Filter{Action: "app_token.create"}, page.Page{Limit: 10})
	must(t, "find audit", err)
	if len(got) != 1 || got[0].ID != due[0].Event {
		t.Errorf("got audit records %+v, want the one event %s", got, due[0].Event.Hex())
	}
	if d, err := ws.Due(e.ctx, other.ID, e.now(), 10); err != nil || len(d) != 0 {
		t.Errorf("another tenant: got due %v, %v, want none", d, err)
	}
	list, _, err := ws.Deliveries(e.ctx, tid, chosen.ID, page.Page{Limit: 10})
	if err != nil || len(list) != 1 {
		t.Fatalf("deliveries: got %d, %v", len(list), err)
	}
	must(t, "delete webhook", ws.Delete(e.ctx, tid, chosen.ID))
	wantErr(t, "delivery of a deleted webhook", func() error { _, err := ws.FindDelivery(e.ctx, tid, chosen.ID, due[0].ID); return err }(),
		webhooks.ErrDeliveryNotFound)
	wantErr(t, "delete again", ws.Delete(e.ctx, tid, chosen.ID), webhooks.ErrNotFound)
}

// Twenty claims of one attempt at once: exactly one wins. The lease holds
// until it ends, then one claimant takes it over; a claim made with a
// stale count of attempts loses.
func testRaceDeliveryClaim(t *testing.T, open Opener) {
	e := newEnv(t, open)
	tid := e.tenant.ID
	ws := e.st.Webhooks()
	e.newWebhook(t, tid, webhooks.Enabled, "*")
	e.app.Audit.Write(e.ctx, tid, audit.Record{Action: "login", Outcome: audit.Success})
	due, err := ws.Due(e.ctx, tid, e.now(), 10)
	if err != nil || len(due) != 1 {
		t.Fatalf("due: %v, %v", due, err)
	}
	d := due[0]
	claim := func(n int, now time.Time) int {
		var wg sync.WaitGroup
		var mu sync.Mutex
		won := 0
		start := make(chan struct{})
		for range n {
			wg.Go(func() {
				c := d
				<-start
				ok, err := ws.Claim(e.ctx, tid, &c, now, now.Add(webhooks.Lease))
				if err != nil {
					t.Errorf("claim: %v", err)
				}
				if ok {
					mu.Lock()
					won++
					mu.Unlock()
				}
			})
		}
		close(start)
		wg.Wait()
		return won
	}
	now := e.now()
	if won := claim(20, now); won != 1 {
		t.Fatalf("20 claims at once: %d won, want 1", won)
	}
	if won := claim(1, now.Add(webhooks.Lease-time.Second)); won != 0 {
		t.Fatalf("a claim while the lease runs won")
	}
	if won := claim(5, now.Add(webhooks.Lease+time.Second)); won != 1 {
		t.Fatalf("after the lease ended: %d won, want 1", won)
	}
	// The holder settles attempt 1: a claim that read 0 attempts loses.
	later := now.Add(webhooks.Lease + 2*time.Second)
	settled := d
	settled.Attempts, settled.LastStatus, settled.NextAttempt, settled.Updated = 1, 500, &later, later
	must(t, "settle", ws.Settle(e.ctx, tid, &settled))
	if won := claim(3, later.Add(webhooks.Lease*10)); won != 0 {
		t.Fatalf("a claim with a stale count of attempts won")
	}
	d = settled
	if won := claim(3, later); won != 1 {
		t.Fatalf("attempt 2: %d won, want 1", won)
	}
}
