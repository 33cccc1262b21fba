package webhooks_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/clock"
	"github.com/latchkey/latchkey/internal/testserver"
	"github.com/latchkey/latchkey/webhooks"
)

// The API: create answers the secret once, bad input is refused with a
// field error and changes nothing, and an event reaches the endpoint
// signed, without any secret in it, its times written as in every answer.
func TestWebhookAPI(t *testing.T) {
	// On a whole second: time.RFC3339Nano would write the event's times
	// without their fractional digits.
	s := testserver.StartWith(t, testserver.Options{WebhookHosts: []string{"127.0.0.1"},
		Clock: testserver.NewClock(time.Now().UTC().Truncate(time.Second))})
	owner := s.OwnerToken(t)
	rc := newReceiver(t)
	req := func(method, path string, body any) testserver.Request {
		return testserver.Request{Method: method, Path: path, AppToken: s.AppToken, Token: owner, JSON: body}
	}
	for _, c := range []struct {
		name  string
		body  any
		field string
	}{
		{"http to a host not allowed", map[string]any{"url": "http://example.com/h", "events": []string{"*"}}, "url"},
		{"a private address", map[string]any{"url": "https://10.1.2.3/h", "events": []string{"*"}}, "url"},
		{"the metadata address", map[string]any{"url": "https://169.254.169.254/h", "events": []string{"*"}}, "url"},
		{"loopback not allowed", map[string]any{"url": "https://[::1]/h", "events": []string{"*"}}, "url"},
		{"credentials in the URL", map[string]any{"url": "https://a:b@example.com/h", "events": []string{"*"}}, "url"},
		{"not a URL", map[string]any{"url": "example.com", "events": []string{"*"}}, "url"},
		{"no events", map[string]any{"url": "https://example.com/h", "events": []string{}}, "events"},
		{"a bad pattern", map[string]any{"url": "https://example.com/h", "events": []string{"app_token.**x"}}, "events"},
		{"an unknown field", map[string]any{"url": "https://example.com/h", "events": []string{"*"}, "secret": "mine"}, "secret"},
	} {
		r := s.Must(t, 400, req("POST", base, c.body))
		if _, ok := r.Errors()[c.field]; !ok {
			t.Errorf("%s: got errors %v, want one on %q", c.name, r.Errors(), c.field)
		}
	}
	if n := s.Count(t, s.TenantID, "webhooks"); n != 0 {
		t.Fatalf("refused creates left %d webhooks", n)
	}

	id := hook(t, s, owner, rc, "app_token.*")
	secret, _ := rc.secret.Load().(string)
	if !strings.HasPrefix(secret, "whsec_") {
		t.Fatalf("got secret %q, want whsec_…", secret)
	}
	got := s.Must(t, 200, req("GET", base+"/"+id, nil))
	if strings.Contains(string(got.Body), strings.TrimPrefix(secret, "whsec_")) || strings.Contains(string(got.Body), `"secret"`) {
		t.Errorf("GET shows the secret: %s", got.Body)
	}
	list := s.Must(t, 200, req("GET", base, nil))
	if strings.Contains(string(list.Body), `"secret"`) {
		t.Errorf("the list shows a secret: %s", list.Body)
	}
	s.Must(t, 400, req("PATCH", base+"/"+id, map[string]any{}))
	s.Must(t, 400, req("PATCH", base+"/"+id, map[string]any{"status": "paused"}))
	s.Must(t, 200, req("PATCH", base+"/"+id, map[string]any{"description": "renamed"}))

	tok := s.Must(t, 201, testserver.Request{Method: "POST", Path: "/api/v1/app_tokens", AppToken: s.AppToken, Token: owner,
		JSON: map[string]any{"name": "partner"}}).String("app_token")
	run(t, s)
	evs := rc.ofType("app_token.create")
	if len(evs) != 1 {
		t.Fatalf("got %d app_token.create deliveries, want 1 (all: %v)", len(evs), rc.received())
	}
	if !evs[0].Signed {
		t.Error("the delivery's signature does not verify")
	}
	if strings.Contains(evs[0].Body, tok) {
		t.Error("the payload holds the token string")
	}
	for _, key := range []string{`"type":"app_token.create"`, `"timestamp":`, `"data":{`} {
		if !strings.Contains(evs[0].Body, key) {
			t.Errorf("payload %s lacks %s", evs[0].Body, key)
		}
	}
	var ev struct {
		Timestamp string `json:"timestamp"`
		Data      struct {
			At string `json:"at"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(evs[0].Body), &ev); err != nil || ev.Timestamp != clock.Format(s.Clock.Now()) ||
		ev.Data.At != ev.Timestamp {
		t.Errorf("payload times: got timestamp %q and at %q (%v), want both %s", ev.Timestamp, ev.Data.At, err,
			clock.Format(s.Clock.Now()))
	}
	if n := len(rc.ofType("webhook.update")); n != 0 {
		t.Errorf("got %d webhook.update events, which app_token.* does not choose", n)
	}
	ds := deliveries(t, s, owner, id)
	if len(ds) != 1 || ds[0]["status"] != webhooks.Delivered || ds[0]["attempts"] != float64(1) || ds[0]["last_status_code"] != float64(200) {
		t.Errorf("got deliveries %v, want one delivered in 1 attempt with 200", ds)
	}

	// A test ping, and a second run sends nothing again.
	s.Must(t, 202, req("POST", base+"/"+id+"/test", nil))
	run(t, s)
	run(t, s)
	if n := len(rc.ofType(webhooks.PingType)); n != 1 {
		t.Errorf("got %d pings, want 1", n)
	}
	if n := len(rc.ofType("app_token.create")); n != 1 {
		t.Errorf("got %d app_token.create after more runs, want 1", n)
	}
	s.Must(t, 204, req("DELETE", base+"/"+id, nil))
	s.Must(t, 404, req("GET", base+"/"+id, nil))
	s.Must(t, 404, req("GET", base+"/"+id+"/deliveries", nil))
}

// Members and support may not manage webhooks.
func TestWebhookPermissions(t *testing.T) {
	s := testserver.Start(t)
	owner := s.OwnerToken(t)
	for _, role := range []string{"support", "member"} {
		s.NewUser(t, s.AppToken, owner, "u-"+role, role)
		tok := s.Login(t, s.AppToken, "u-"+role, "u-"+role+"-password")
		s.Must(t, 403, testserver.Request{Method: "GET", Path: base, AppToken: s.AppToken, Token: tok})
		s.Must(t, 403, testserver.Request{Method: "POST", Path: base, AppToken: s.AppToken, Token: tok,
			JSON: map[string]any{"url": "https://example.com/h", "events": []string{"*"}}})
	}
	s.NewUser(t, s.AppToken, owner, "u-admin", "admin")
	admin := s.Login(t, s.AppToken, "u-admin", "u-admin-password")
	s.Must(t, 200, testserver.Request{Method: "GET", Path: base, AppToken: s.AppToken, Token: admin})
}

// A failing endpoint is tried on the documented schedule for more than
// 24 hours, then the delivery is failed; a manual retry sends it again.
func TestRetriesThenFailed(t *testing.T) {
	s := testserver.StartWith(t, testserver.Options{WebhookHosts: []string{"127.0.0.1"}})
	owner := s.OwnerToken(t)
	rc := newReceiver(t)
	rc.status.Store(503)
	id := hook(t, s, owner, rc, webhooks.PingType)
	d := s.Must(t, 202, testserver.Request{Method: "POST", Path: base + "/" + id + "/test", AppToken: s.AppToken, Token: owner}).String("id")
	var waited time.Duration
	for n := 1; n <= webhooks.MaxAttempts; n++ {
		run(t, s)
		run(t, s) // nothing more is due
		if got := len(rc.received()); got != n {
			t.Fatalf("after %v: got %d attempts, want %d", waited, got, n)
		}
		if n < webhooks.MaxAttempts {
			s.Clock.Advance(webhooks.Backoff(n) - time.Second)
			run(t, s)
			if got := len(rc.received()); got != n {
				t.Fatalf("attempt %d came before its backoff", n+1)
			}
			s.Clock.Advance(time.Second)
			waited += webhooks.Backoff(n)
		}
	}
	owner = s.OwnerToken(t) // the clock moved past the login's lifetime
	if waited < 24*time.Hour {
		t.Errorf("retried for %v, want at least 24h", waited)
	}
	ds := deliveries(t, s, owner, id)
	if ds[0]["status"] != webhooks.Failed || ds[0]["last_status_code"] != float64(503) || ds[0]["next_attempt"] != nil {
		t.Fatalf("got %v, want failed with 503 and no next attempt", ds[0])
	}
	s.Clock.Advance(48 * time.Hour)
	owner = s.OwnerToken(t)
	run(t, s)
	if got := len(rc.received()); got != webhooks.MaxAttempts {
		t.Fatalf("a failed delivery was tried again: %d attempts", got)
	}
	rc.status.Store(204)
	s.Must(t, 202, testserver.Request{Method: "POST", Path: base + "/" + id + "/deliveries/" + d + "/retry", AppToken: s.AppToken, Token: owner})
	s.Must(t, 409, testserver.Request{Method: "POST", Path: base + "/" + id + "/deliveries/" + d + "/retry", AppToken: s.AppToken, Token: owner})
	run(t, s)
	if ds := deliveries(t, s, owner, id); ds[0]["status"] != webhooks.Delivered {
		t.Fatalf("after the retry got %v, want delivered", ds[0])
	}
	s.Must(t, 404, testserver.Request{Method: "POST", Path: base + "/" + id + "/deliveries/" + id + "/retry", AppToken: s.AppToken, Token: owner})
}

// An endpoint whose every attempt failed for 3 days is disabled, with an
// audit record, which is an event other endpoints hear of.
func TestDisabledAfterThreeDays(t *testing.T) {
	s := testserver.StartWith(t, testserver.Options{WebhookHosts: []string{"127.0.0.1"}})
	owner := s.OwnerToken(t)
	bad, watcher := newReceiver(t), newReceiver(t)
	bad.status.Store(500)
	id := hook(t, s, owner, bad, webhooks.PingType)
	hook(t, s, owner, watcher, "webhook.disabled")
	for h := 0; h <= 72; h += 12 {
		owner = s.OwnerToken(t) // the clock moved past the login's lifetime
		s.Must(t, 202, testserver.Request{Method: "POST", Path: base + "/" + id + "/test", AppToken: s.AppToken, Token: owner})
		run(t, s)
		status := s.Must(t, 200, testserver.Request{Method: "GET", Path: base + "/" + id, AppToken: s.AppToken, Token: owner}).String("status")
		if want := map[bool]string{true: webhooks.Disabled, false: webhooks.Enabled}[h >= 72]; status != want {
			t.Fatalf("after %dh of failures: status %s, want %s", h, status, want)
		}
		s.Clock.Advance(12 * time.Hour)
	}
	run(t, s)
	if n := len(watcher.ofType("webhook.disabled")); n != 1 {
		t.Errorf("got %d webhook.disabled events, want 1", n)
	}
	recs := s.Must(t, 200, testserver.Request{Method: "GET", Path: "/api/v1/audit?action=webhook.disabled", AppToken: s.AppToken, Token: owner})
	if !strings.Contains(string(recs.Body), id) {
		t.Errorf("no webhook.disabled audit record for %s: %s", id, recs.Body)
	}
	// Re-enabling starts afresh.
	s.Must(t, 200, testserver.Request{Method: "PATCH", Path: base + "/" + id, AppToken: s.AppToken, Token: owner, JSON: map[string]any{"status": "enabled"}})
}
