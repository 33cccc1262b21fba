package console_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/latchkey/latchkey/internal/testserver"
	"github.com/latchkey/latchkey/webhooks"
)

// hookReceiver is a webhook endpoint on 127.0.0.1: it answers status and
// records each request with whether its signature checks out with secret.
type hookReceiver struct {
	srv    *httptest.Server
	status atomic.Int32
	secret atomic.Value
	mu     sync.Mutex
	got    []hookRequest
}

type hookRequest struct {
	ID, Body string
	Signed   bool
}

func newHookReceiver(t *testing.T) *hookReceiver {
	rc := &hookReceiver{}
	rc.status.Store(http.StatusNoContent)
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		ts, _ := strconv.ParseInt(r.Header.Get("webhook-timestamp"), 10, 64)
		secret, _ := rc.secret.Load().(string)
		want, err := webhooks.Sign(secret, r.Header.Get("webhook-id"), time.Unix(ts, 0), body)
		rc.mu.Lock()
		rc.got = append(rc.got, hookRequest{ID: r.Header.Get("webhook-id"), Body: string(body),
			Signed: err == nil && secret != "" && r.Header.Get("webhook-signature") == want})
		rc.mu.Unlock()
		w.WriteHeader(int(rc.status.Load()))
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

// requests returns what rc got with webhook-id id.
func (rc *hookReceiver) requests(id string) []hookRequest {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var out []hookRequest
	for _, r := range rc.got {
		if r.ID == id {
			out = append(out, r)
		}
	}
	return out
}

// deliveryRow waits until the deliveries table shows delivery id with
// status (delivered, pending or failed), pressing Refresh meanwhile.
func (p *page) deliveryRow(id, status string) {
	p.t.Helper()
	p.click("#webhook-refresh")
	p.wait("delivery "+id+" "+status, fmt.Sprintf(`document.querySelector('#deliveries-table tr[data-id=%q][data-status=%q]') && !document.querySelector('#deliveries-table[aria-busy]')`, id, status))
}

// cells returns the texts of a table row's cells, by column name.
func (p *page) cells(table, id string) map[string]string {
	p.t.Helper()
	raw := p.eval(fmt.Sprintf(`JSON.stringify(Object.fromEntries([...document.querySelectorAll('#%s tr[data-id=%q] > [data-label]')].map(c => [c.dataset.label, c.textContent.trim()])))`, table, id))
	out := map[string]string{}
	if err := json.Unmarshal([]byte(raw), &out); err != nil {
		p.fail("row %s of %s: %v", id, table, err)
	}
	return out
}

// TestConsoleWebhooks makes a webhook on the page (its secret shown once
// signs what the receiver gets), sees an event delivered, a failed
// delivery retried, a test ping, disabling and deleting; at 390 px and in
// dark mode. With LATCHKEY_SCREENSHOT_DIR set, its pictures are
// docs/console's webhook*.png.
func TestConsoleWebhooks(t *testing.T) {
	p := openPage(t)
	srv := startLatchkey(t, testserver.Options{WebhookHosts: []string{"127.0.0.1"}})
	a := api{t: t, base: srv.URL}
	// Sessions that outlast the retry schedule's 29 hours on the test clock.
	owner := a.must(200, "POST", "/token", srv.AppToken, "", map[string]any{"username": srv.Username, "password": srv.Password, "long": true})["token"].(string)
	a.must(200, "PATCH", "/tenants/"+srv.TenantID, srv.AppToken, owner, map[string]any{"settings": map[string]any{"user_token_ttl": 7 * 86400}})
	rc := newHookReceiver(t)
	ctx := context.Background()
	dispatch := func() {
		t.Helper()
		if err := srv.App.Dispatcher.Run(ctx); err != nil {
			t.Fatalf("delivery pass: %v", err)
		}
	}
	deliveries := func(id string) []map[string]any {
		return items(a.must(200, "GET", "/webhooks/"+id+"/deliveries", srv.AppToken, owner, nil))
	}

	p.signIn(srv.URL+"/console/", "platform", srv.Username, srv.Password)
	p.view("webhooks")
	if got := p.text("#webhooks-table tbody"); got != "No webhooks yet." {
		t.Errorf("an empty list: got %q", got)
	}

	// Create: no event chosen and a bad pattern are refused beside the
	// field; an http URL to a host not allowed is refused by the API.
	p.click("#webhook-new")
	p.wait("the new webhook dialog", `document.querySelector('#webhook-dialog').open`)
	p.fill("#wh-url", rc.srv.URL+"/hook")
	p.click(`#webhook-dialog button[type=submit]`)
	p.wait("no event chosen", `document.querySelector('#webhook-dialog [data-error-for~="events"]').textContent.includes('at least one event')`)
	p.fill("#wh-event", "App Token")
	p.click("#wh-event-add")
	p.wait("the bad pattern refused", `document.querySelector('#webhook-dialog [data-error-for~="events"]').textContent.includes('"App Token"')`)
	p.fill("#wh-event", "app_token.*")
	p.click("#wh-event-add")
	p.fill("#wh-event", "user.unlock")
	p.do(chromedp.KeyEvent("\r")) // Enter adds the pattern, it does not submit
	p.fill("#wh-event", "token.expiry")
	p.click("#wh-event-add")
	p.click(`#wh-events button[aria-label="Remove token.expiry"]`)
	if got := p.eval(`[...document.querySelectorAll('#wh-events code')].map(c => c.textContent).join(' ')`); got != "app_token.* user.unlock" {
		t.Errorf("chosen events: got %q, want app_token.* user.unlock", got)
	}
	p.fill("#wh-description", "console test receiver")
	p.fill("#wh-url", "http://192.0.2.1/hook")
	p.click(`#webhook-dialog button[type=submit]`)
	p.wait("the URL refused beside its field", `!document.querySelector('#webhook-dialog [data-error-for~="url"]').hidden && document.querySelector('#webhook-dialog').open`)
	p.fill("#wh-url", rc.srv.URL+"/hook")
	p.click(`#webhook-dialog button[type=submit]`)
	secret := p.secret()
	if !strings.HasPrefix(secret, "whsec_") {
		t.Fatalf("the secret shown: got %q…, want whsec_…", secret[:min(len(secret), 6)])
	}
	rc.secret.Store(secret)
	list := items(a.must(200, "GET", "/webhooks", srv.AppToken, owner, nil))
	if len(list) != 1 || list[0]["url"] != rc.srv.URL+"/hook" || fmt.Sprint(list[0]["events"]) != "[app_token.* user.unlock]" || list[0]["description"] != "console test receiver" {
		t.Fatalf("GET /webhooks after creating on the page: %v", list)
	}
	hookID := list[0]["id"].(string)
	p.wait("the webhook in the list", fmt.Sprintf(`document.querySelector('#webhooks-table tr[data-id=%q]') && !document.querySelector('#webhooks-table[aria-busy]')`, hookID))
	// Shown once: not on the page any more, in no answer.
	if p.eval(fmt.Sprintf(`String(document.documentElement.outerHTML.includes(%q) || [...document.querySelectorAll('input')].some(i => i.value.includes('whsec_')))`, secret)) != "false" {
		t.Error("the page still holds the secret after its dialog closed")
	}
	if got := a.must(200, "GET", "/webhooks/"+hookID, srv.AppToken, owner, nil); got["secret"] != nil {
		t.Error("GET /webhooks/{id} shows the secret")
	}
	row := p.cells("webhooks-table", hookID)
	if row["Events"] != "app_token.*user.unlock" || !strings.Contains(row["Status"], "Enabled") {
		t.Errorf("the webhook's row: %v", row)
	}
	p.shot("webhooks")

	// An event: an app token made through the API is delivered, signed
	// with the secret the page showed.
	app := a.must(201, "POST", "/app_tokens", srv.AppToken, owner, map[string]any{"name": "hooked"})
	dispatch()
	ds := deliveries(hookID)
	if len(ds) != 1 || ds[0]["type"] != "app_token.create" || ds[0]["status"] != "delivered" {
		t.Fatalf("deliveries after an app token was made: %v", ds)
	}
	first := ds[0]["id"].(string)
	if got := rc.requests(first); len(got) != 1 || !got[0].Signed || !strings.Contains(got[0].Body, app["id"].(string)) {
		t.Errorf("the receiver got %+v, want one signed app_token.create of %s", got, app["id"])
	}
	p.click(fmt.Sprintf(`button[aria-label="Deliveries of webhook %s/hook"]`, rc.srv.URL))
	p.wait("the deliveries screen", `location.hash.startsWith('#/webhooks/') && !document.querySelector('#webhook-deliveries').hidden && document.querySelector('#webhook-facts dd')`)
	p.deliveryRow(first, "delivered")
	if got := p.cells("deliveries-table", first); !strings.HasPrefix(got["Event"], "app_token.create") || got["Status"] != "Delivered" ||
		got["Attempts"] != "1" || got["Last status"] != "204" || got["Next attempt"] != "—" {
		t.Errorf("the delivered row: %v", got)
	}

	// A test ping, queued from the page and delivered.
	p.click("#webhook-ping")
	p.wait("the ping in the list", `document.querySelector('#deliveries-table tbody tr:first-child code')?.textContent === 'webhook.ping'`)
	dispatch()
	ping := deliveries(hookID)[0]
	if ping["type"] != "webhook.ping" || ping["status"] != "delivered" {
		t.Fatalf("the ping: %v", ping)
	}
	p.deliveryRow(ping["id"].(string), "delivered")
	if got := rc.requests(ping["id"].(string)); len(got) != 1 || !got[0].Signed || !strings.Contains(got[0].Body, `"webhook.ping"`) {
		t.Errorf("the receiver got %+v, want one signed webhook.ping", got)
	}

	// A receiver that fails: the attempt's answer and the next attempt.
	rc.status.Store(http.StatusInternalServerError)
	a.must(201, "POST", "/app_tokens", srv.AppToken, owner, map[string]any{"name": "refused"})
	dispatch()
	failing := deliveries(hookID)[0]["id"].(string)
	p.deliveryRow(failing, "pending")
	if got := p.cells("deliveries-table", failing); got["Attempts"] != "1" || got["Last status"] != "500" || !strings.Contains(got["Status"], "The endpoint answered 500.") || got["Next attempt"] == "—" {
		t.Errorf("the pending row after one failed attempt: %v", got)
	}
	if got := p.text("#webhook-facts"); !strings.Contains(got, "Failing since") || !strings.Contains(got, "console test receiver") {
		t.Errorf("the webhook's facts: %q, want its description and Failing since", got)
	}

	// Pictures of the deliveries: desktop and phone, light and dark.
	stillShot := func(name string) {
		p.deliveryRow(failing, "pending")
		p.shot(name)
	}
	stillShot("webhook-deliveries")
	p.darkMode(true)
	stillShot("webhook-deliveries-dark")
	p.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	p.deliveryRow(failing, "pending")
	if got := p.overflow("body"); got != "" {
		t.Errorf("the deliveries at 390 px: %s", got)
	}
	stillShot("webhook-deliveries-phone-dark")
	p.darkMode(false)
	stillShot("webhook-deliveries-phone")
	p.do(chromedp.EmulateViewport(1280, 860))

	// 12 attempts along the schedule, then failed; Retry sends it once
	// more, and it arrives.
	for n := 1; n < webhooks.MaxAttempts; n++ {
		srv.Clock.Advance(webhooks.Backoff(n) + time.Second)
		dispatch()
	}
	if d := deliveries(hookID)[0]; d["status"] != "failed" || d["attempts"] != float64(webhooks.MaxAttempts) {
		t.Fatalf("after %d failed attempts: %v", webhooks.MaxAttempts, d)
	}
	p.deliveryRow(failing, "failed")
	rc.status.Store(http.StatusOK)
	p.click(fmt.Sprintf(`#deliveries-table tr[data-id=%q] button[aria-label^="Retry"]`, failing))
	p.wait("the retried delivery pending", fmt.Sprintf(`document.querySelector('#deliveries-table tr[data-id=%q][data-status="pending"]')`, failing))
	dispatch()
	p.deliveryRow(failing, "delivered")
	if got := p.cells("deliveries-table", failing); got["Attempts"] != "13" || got["Last status"] != "200" {
		t.Errorf("the retried row: %v", got)
	}
	if got := rc.requests(failing); len(got) != webhooks.MaxAttempts+1 || !got[len(got)-1].Signed {
		t.Errorf("the receiver got %d attempts of the retried delivery, want %d, the last signed", len(got), webhooks.MaxAttempts+1)
	}
	p.wait("no Retry on a delivered row", fmt.Sprintf(`!document.querySelector('#deliveries-table tr[data-id=%q] button')`, failing))
	if got := p.text("#webhook-facts"); strings.Contains(got, "Failing since") {
		t.Errorf("the webhook's facts after a success: %q, want no Failing since", got)
	}

	// Disable and enable from the deliveries screen.
	p.click("#webhook-toggle")
	p.confirm()
	p.wait("the webhook disabled", `document.querySelector('#webhook-toggle').textContent === 'Enable'`)
	if got := a.must(200, "GET", "/webhooks/"+hookID, srv.AppToken, owner, nil); got["status"] != "disabled" {
		t.Errorf("after Disable: status %v", got["status"])
	}
	p.click("#webhook-toggle")
	p.wait("the webhook enabled", `document.querySelector('#webhook-toggle').textContent === 'Disable'`)
	if got := a.must(200, "GET", "/webhooks/"+hookID, srv.AppToken, owner, nil); got["status"] != "enabled" {
		t.Errorf("after Enable: status %v", got["status"])
	}

	// The list and the new webhook dialog fit a phone too.
	p.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	p.view("webhooks")
	if got := p.overflow("body"); got != "" {
		t.Errorf("the webhooks list at 390 px: %s", got)
	}
	p.click("#webhook-new")
	p.wait("the dialog on a phone", `document.querySelector('#webhook-dialog').open`)
	p.fill("#wh-event", "app_token.*")
	p.click("#wh-event-add")
	if got := p.overflow("#webhook-dialog"); got != "" {
		t.Errorf("the new webhook dialog at 390 px: %s", got)
	}
	p.do(chromedp.KeyEvent("\x1b"))
	p.wait("the dialog to close", `!document.querySelector('#webhook-dialog').open`)
	p.do(chromedp.EmulateViewport(1280, 860))

	// Delete, confirmed.
	p.click(fmt.Sprintf(`#webhooks-table tr[data-id=%q] button[aria-label^="Delete"]`, hookID))
	p.confirm()
	p.wait("the webhook gone", fmt.Sprintf(`!document.querySelector('#webhooks-table tr[data-id=%q]') && !document.querySelector('#webhooks-table[aria-busy]')`, hookID))
	a.must(404, "GET", "/webhooks/"+hookID, srv.AppToken, owner, nil)
	p.clean(owner, secret, app["app_token"].(string))
	if dir := os.Getenv("LATCHKEY_SCREENSHOT_DIR"); dir != "" {
		t.Logf("screenshots in %s", dir)
	}
}

// TestConsoleWebhooksFollowTheRole: admins see the webhooks screen;
// support and members see neither its link nor the screen at its address.
func TestConsoleWebhooksFollowTheRole(t *testing.T) {
	p := openPage(t)
	srv := startLatchkey(t)
	a := api{t: t, base: srv.URL}
	owner := a.must(200, "POST", "/token", srv.AppToken, "", map[string]any{"username": srv.Username, "password": srv.Password})["token"].(string)
	a.must(201, "POST", "/webhooks", srv.AppToken, owner, map[string]any{"url": "https://hooks.example.com/latchkey", "events": []string{"*"}})
	for _, role := range []string{"admin", "support", "member"} {
		t.Run(role, func(t *testing.T) {
			p.t = t
			name := role + "-" + suffix()
			newUser(a, srv, owner, name, name+"-password", role)
			p.signIn(srv.URL+"/console/#/webhooks", "platform", name, name+"-password")
			link := p.eval(`String(!document.querySelector('#nav li[data-view="webhooks"]').hidden)`)
			screen := p.eval(`String(!document.querySelector('#view-webhooks').hidden)`)
			if role == "admin" {
				if link != "true" || screen != "true" {
					t.Errorf("admin: link shown %s, screen shown %s; want both", link, screen)
				}
				p.wait("the webhook listed", `document.querySelector('#webhooks-table tbody tr[data-id]')`)
			} else {
				if link != "false" || screen != "false" {
					t.Errorf("%s: link shown %s, screen shown %s; want neither", role, link, screen)
				}
				if got := p.eval(`location.hash`); got == "#/webhooks" {
					t.Errorf("%s: the address stays at #/webhooks", role)
				}
			}
			p.click("#sign-out")
			p.wait("signed out", `!document.querySelector('#view-sign-in').hidden`)
		})
	}
	p.t = t
	p.clean(owner)
}
