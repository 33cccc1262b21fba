package webhooks_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/testserver"
	"github.com/latchkey/latchkey/webhooks"
)

// barrierStore holds each Due answer until n callers have theirs, so two
// instances read the same due deliveries and race for each claim: the
// losing path runs for every delivery.
type barrierStore struct {
	webhooks.Store
	wg *sync.WaitGroup
}

func (b barrierStore) Due(ctx context.Context, tenantID string, now time.Time, limit int) ([]webhooks.Delivery, error) {
	list, err := b.Store.Due(ctx, tenantID, now, limit)
	b.wg.Done()
	b.wg.Wait()
	return list, err
}

// Two instances on one store, both sending the same due deliveries at
// once: each delivery reaches the endpoint once.
func TestTwoInstancesSendOnce(t *testing.T) {
	s1 := testserver.StartWith(t, testserver.Options{WebhookHosts: []string{"127.0.0.1"}})
	s2 := testserver.StartWith(t, testserver.Options{Store: s1.Store, Clock: s1.Clock, WebhookHosts: []string{"127.0.0.1"}})
	owner := s1.OwnerToken(t)
	rc := newReceiver(t)
	id := hook(t, s1, owner, rc, webhooks.PingType)
	const events = 20
	for range events {
		s1.Must(t, 202, testserver.Request{Method: "POST", Path: base + "/" + id + "/test", AppToken: s1.AppToken, Token: owner})
	}
	var wg sync.WaitGroup
	wg.Add(2)
	var errs [2]error
	var run sync.WaitGroup
	for i, s := range []*testserver.Server{s1, s2} {
		svc := *s.App.Webhooks
		svc.Store = barrierStore{Store: svc.Store, wg: &wg}
		d := *s.App.Dispatcher
		d.Service = &svc
		run.Go(func() { errs[i] = d.Run(context.Background()) })
	}
	run.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]int{}
	for _, r := range rc.received() {
		seen[r.ID]++
		if !r.Signed {
			t.Errorf("delivery %s: the signature does not verify", r.ID)
		}
	}
	if len(seen) != events {
		t.Errorf("got %d distinct deliveries, want %d", len(seen), events)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("delivery %s sent %d times", id, n)
		}
	}
}

// An instance that stops right after the audit write, before any
// delivery, loses nothing: the next instance on the store sends it.
func TestNothingLostAcrossRestart(t *testing.T) {
	s1 := testserver.StartWith(t, testserver.Options{WebhookHosts: []string{"127.0.0.1"}})
	owner := s1.OwnerToken(t)
	rc := newReceiver(t)
	hook(t, s1, owner, rc, "app_token.create")
	s1.Must(t, 201, testserver.Request{Method: "POST", Path: "/api/v1/app_tokens", AppToken: s1.AppToken, Token: owner,
		JSON: map[string]any{"name": "partner"}})
	s1.App.Close()
	s2 := testserver.StartWith(t, testserver.Options{Store: s1.Store, Clock: s1.Clock, WebhookHosts: []string{"127.0.0.1"}})
	run(t, s2)
	if got := rc.ofType("app_token.create"); len(got) != 1 || !got[0].Signed {
		t.Fatalf("after the restart got %v, want the one signed app_token.create", got)
	}
}
