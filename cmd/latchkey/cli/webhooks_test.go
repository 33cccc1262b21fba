package cli_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchkey/latchkey/cmd/latchkey/cli"
	"github.com/latchkey/latchkey/internal/testserver"
)

// delivery is a delivery as webhooks deliveries --json prints it.
type delivery struct {
	ID, Type, Status string
	Attempts         int
	LastStatusCode   int        `json:"last_status_code"`
	NextAttempt      *time.Time `json:"next_attempt"`
}

// TestWebhookCommands: create prints the secret once; list, get (by id
// or URL), update, ping, deliveries, retry and delete, and their errors;
// completion offers the webhooks and a webhook's failed deliveries.
func TestWebhookCommands(t *testing.T) {
	s := testserver.StartWith(t, testserver.Options{WebhookHosts: []string{"127.0.0.1"}})
	acme := s.NewTenant(t, "acme")
	var status atomic.Int32
	status.Store(204)
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(int(status.Load())) }))
	t.Cleanup(rc.Close)
	url := rc.URL + "/hook"
	dispatch := func() {
		t.Helper()
		if err := s.App.Dispatcher.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	tm := newTerm(t, s)
	// A long session: the test moves the server's clock by days.
	tm.ok("owner-password\n", "login", "--url", s.URL, "--app-token", acme.AppToken, "--username", "owner", "--password-stdin", "--long")

	out := tm.ok("", "webhooks", "create", url, "--event", "app_token.*", "--event", "token.expired", "--description", "partner")
	contains(t, "webhooks create", out, "secret whsec_", "url "+url, "events app_token.*,token.expired", "status enabled",
		"shown this once and will not be shown again")
	id := strings.Fields(lineOf(out, "id "))[1]
	var made struct{ ID, Secret string }
	tm.jsonOf(&made, "", "webhooks", "create", rc.URL+"/other", "--event", "webhook.ping,user.*")
	if !strings.HasPrefix(made.Secret, "whsec_") {
		t.Errorf("webhooks create --json printed %+v, want the secret", made)
	}
	tm.fails(cli.ExitUsage, []string{`required flag(s) "event" not set`}, "", "webhooks", "create", url)
	tm.fails(cli.ExitAPI, []string{"400", "url:"}, "", "webhooks", "create", "ftp://example.test/x", "--event", "app_token.*")
	tm.fails(cli.ExitAPI, []string{"400", "events:"}, "", "webhooks", "create", url, "--event", "App Token")

	out = tm.ok("", "webhooks", "list")
	contains(t, "webhooks list", out, "ID URL EVENTS STATUS", id, made.ID)
	if line := lineOf(out, id); !strings.Contains(line, " app_token.*,token.expired ") || !strings.Contains(line, " enabled ") {
		t.Errorf("webhooks list: the row of %s is %q", id, line)
	}
	if strings.Contains(out, "whsec_") {
		t.Error("webhooks list printed a secret")
	}
	contains(t, "webhooks get", tm.ok("", "webhooks", "get", id), "url "+url, "description partner", "created by owner")
	contains(t, "webhooks get by URL", tm.ok("", "webhooks", "get", url), "id "+id)
	tm.fails(cli.ExitNotFound, []string{`no webhook has the URL "https://nowhere.test/"`}, "", "webhooks", "get", "https://nowhere.test/")
	tm.fails(cli.ExitNotFound, []string{"404"}, "", "webhooks", "get", "0123456789abcdef01234567")
	if out := tm.ok("", "__complete", "webhooks", "get", ""); !strings.Contains(out, id+"\t"+url+"\n") || !strings.Contains(out, made.ID+"\t") {
		t.Errorf("__complete webhooks get: %q, want the ids described by their URLs", out)
	}

	// Update: by URL; a URL two webhooks share asks for the id.
	contains(t, "webhooks update", tm.ok("", "webhooks", "update", rc.URL+"/other", "--url", url, "--status", "disabled"),
		"url "+url, "status disabled")
	tm.fails(cli.ExitUsage, []string{`2 webhooks have the URL "` + url + `": give one's id`}, "", "webhooks", "get", url)
	tm.fails(cli.ExitUsage, []string{"nothing to change"}, "", "webhooks", "update", made.ID)
	tm.fails(cli.ExitAPI, []string{"400", "status:"}, "", "webhooks", "update", made.ID, "--status", "paused")
	contains(t, "webhooks delete", tm.ok("", "webhooks", "delete", made.ID), "Deleted webhook "+made.ID+".")
	tm.fails(cli.ExitNotFound, []string{"404"}, "", "webhooks", "delete", made.ID)

	// ping, delivered.
	contains(t, "webhooks ping", tm.ok("", "webhooks", "ping", url), "type webhook.ping", "status pending", "attempts 0", "last status -")
	dispatch()
	out = tm.ok("", "webhooks", "deliveries", url)
	contains(t, "webhooks deliveries", out, "ID TYPE STATUS ATTEMPTS LAST STATUS NEXT ATTEMPT")
	if line := lineOf(out, "webhook.ping"); len(strings.Fields(line)) < 5 || strings.Join(strings.Fields(line)[1:5], " ") != "webhook.ping delivered 1 204" {
		t.Errorf("webhooks deliveries: the ping's row is %q, want delivered at the first attempt with 204", line)
	}

	// A failing endpoint: retried until failed, then retried by hand.
	status.Store(503)
	tm.ok("", "app-tokens", "create", "--name", "event") // an app_token.create event
	dispatch()
	var ds []delivery
	tm.jsonOf(&ds, "", "webhooks", "deliveries", id)
	if len(ds) != 2 || ds[0].Type != "app_token.create" || ds[0].Status != "pending" || ds[0].Attempts != 1 ||
		ds[0].LastStatusCode != 503 || ds[0].NextAttempt == nil {
		t.Fatalf("after a failed attempt: %+v, want the event pending after 1 attempt with 503 and a next attempt", ds)
	}
	if line := strings.Join(strings.Fields(lineOf(tm.ok("", "webhooks", "deliveries", id), ds[0].ID)), " "); !strings.Contains(line,
		" pending 1 503 "+ds[0].NextAttempt.UTC().Format(time.RFC3339)) {
		t.Errorf("webhooks deliveries: the row is %q, want pending, 1 attempt, 503 and the next attempt", line)
	}
	for i := 0; ds[0].Status == "pending"; i++ {
		if i == 40 {
			t.Fatalf("still pending after %d rounds: %+v", i, ds[0])
		}
		s.Clock.Advance(ds[0].NextAttempt.Sub(s.Clock.Now())) // the schedule's next attempt
		dispatch()
		tm.jsonOf(&ds, "", "webhooks", "deliveries", id)
	}
	if ds[0].Status != "failed" || ds[0].NextAttempt != nil {
		t.Fatalf("after the retries: %+v, want failed with no next attempt", ds[0])
	}
	if out := tm.ok("", "__complete", "webhooks", "retry", id, ""); !strings.Contains(out, ds[0].ID+"\tapp_token.create\n") || strings.Contains(out, ds[1].ID) {
		t.Errorf("__complete webhooks retry %s: %q, want the failed delivery alone", id, out)
	}
	tm.fails(cli.ExitAPI, []string{"409", "delivery:"}, "", "webhooks", "retry", id, ds[1].ID) // delivered
	status.Store(200)
	contains(t, "webhooks retry", tm.ok("", "webhooks", "retry", url, ds[0].ID), "id "+ds[0].ID, "status pending")
	tm.fails(cli.ExitAPI, []string{"409", "delivery:"}, "", "webhooks", "retry", id, ds[0].ID) // pending
	dispatch()
	tm.jsonOf(&ds, "", "webhooks", "deliveries", id, "--limit", "1")
	if len(ds) != 1 || ds[0].Status != "delivered" || ds[0].LastStatusCode != 200 {
		t.Errorf("after the retry: %+v, want one delivered with 200", ds)
	}
	tm.fails(cli.ExitNotFound, []string{"404", "delivery:"}, "", "webhooks", "retry", id, "0123456789abcdef01234567")
	tm.fails(cli.ExitUsage, []string{"want 2 argument(s): <webhook> <delivery>"}, "", "webhooks", "retry", id)

	// Support staff may not manage webhooks.
	s.NewUser(t, acme.AppToken, s.Login(t, acme.AppToken, "owner", "owner-password"), "sam", "support")
	tsup := newTerm(t, s)
	tsup.login(acme.AppToken, "sam", "sam-password")
	tsup.fails(cli.ExitAuth, []string{"403"}, "", "webhooks", "list")
	tsup.fails(cli.ExitAuth, []string{"403"}, "", "webhooks", "get", url)
}
