package console_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/gin-gonic/gin"

	"github.com/latchkey/latchkey/admin/console"
	"github.com/latchkey/latchkey/internal/testserver"
)

func TestMain(m *testing.M) { testserver.Main(m) }

// startLatchkey runs a whole Latchkey on the embedded store. Where its
// router does not serve the console, the console is put in front of it on
// the same origin, as the router would mount it.
func startLatchkey(t *testing.T, o ...testserver.Options) *testserver.Server {
	t.Helper()
	srv := testserver.StartWith(t, append(o, testserver.Options{})[0])
	if res, err := http.Get(srv.URL + "/console/"); err == nil {
		res.Body.Close()
		if res.StatusCode == http.StatusOK {
			return srv
		}
	}
	t.Log("the router does not serve /console/ yet: the test mounts console.Register beside it")
	gin.SetMode(gin.TestMode)
	r := gin.New()
	console.Register(r)
	mux := http.NewServeMux()
	mux.Handle("/console", r)
	mux.Handle("/console/", r)
	mux.Handle("/", srv.App.Handler)
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)
	front := *srv
	front.URL = hs.URL
	return &front
}

func TestConsoleInChromium(t *testing.T) {
	p := openPage(t)
	srv := startLatchkey(t)
	a := api{t: t, base: srv.URL}
	owner := a.must(200, "POST", "/token", srv.AppToken, "", map[string]any{"username": srv.Username, "password": srv.Password})
	ownerToken, _ := owner["token"].(string)
	suffix := fmt.Sprint(time.Now().UnixNano() % 1e6)

	// Sign in: a wrong password is refused on the form, the right one opens
	// the first screen, and the header names who is signed in.
	p.do(chromedp.Navigate(srv.URL + "/console/"))
	p.wait("the sign-in form", `!document.querySelector('#view-sign-in').hidden`)
	p.fill("#si-tenant", "platform")
	p.fill("#si-username", srv.Username)
	p.fill("#si-password", "not-the-password")
	p.click(`#sign-in-form button[type=submit]`)
	p.wait("the sign-in error", `!document.querySelector('#sign-in-form [data-form-error]').hidden`)
	p.fill("#si-password", srv.Password)
	p.click(`#sign-in-form button[type=submit]`)
	p.wait("the app tokens screen", `!document.querySelector('#view-app-tokens').hidden && document.querySelectorAll('#app-tokens-table tbody tr[data-id]').length > 0`)
	if who := p.text("#who"); !strings.Contains(who, srv.Username) || !strings.Contains(who, "owner") {
		t.Errorf("header: got %q, want the username %q and the role owner", who, srv.Username)
	}

	// Escape closes a dialog.
	p.click("#app-token-new")
	p.wait("the new app token dialog", `document.querySelector('#app-token-dialog').open`)
	p.do(chromedp.KeyEvent(kb.Escape))
	p.wait("Escape to close the dialog", `!document.querySelector('#app-token-dialog').open`)

	// Create an app token: its secret is shown once and works with the API.
	name := "console-e2e-" + suffix
	p.click("#app-token-new")
	p.fill("#at-name", name)
	p.choose("#at-lifetime", "7776000")
	p.click(`#app-token-dialog button[type=submit]`)
	appSecret := p.secret()
	p.wait("the new app token in the list", fmt.Sprintf(`[...document.querySelectorAll('#app-tokens-table tbody th')].some(th => th.textContent.includes(%q))`, name))
	if got := a.must(200, "GET", "/token", appSecret, ownerToken, nil); got["id"] == nil {
		t.Errorf("GET /token with the new app token: no id in %v", got)
	}
	found := false
	for _, it := range items(a.must(200, "GET", "/app_tokens?limit=500", srv.AppToken, ownerToken, nil)) {
		if it["name"] == name {
			found = true
			exp, _ := time.Parse(time.RFC3339, fmt.Sprint(it["expires"]))
			if d := time.Until(exp); d < 89*24*time.Hour || d > 91*24*time.Hour {
				t.Errorf("app token %s expires in %v, want about 90 days", name, d)
			}
		}
	}
	if !found {
		t.Errorf("GET /app_tokens does not list %q", name)
	}
	p.shot("app-tokens")

	// Users: a taken username is reported beside the field; then a new user.
	username := "casey-" + suffix
	p.view("users")
	p.click("#user-new")
	p.fill("#ud-username", srv.Username)
	p.fill("#ud-email", "casey@example.com")
	p.fill("#ud-password", "casey-password-1")
	p.choose("#ud-role", "member")
	p.click(`#user-dialog button[type=submit]`)
	p.wait("the username error beside its field", `!document.querySelector('#user-dialog [data-error-for~="username"]').hidden`)
	p.fill("#ud-username", username)
	p.click(`#user-dialog button[type=submit]`)
	p.wait("the new user in the list", fmt.Sprintf(`!document.querySelector('#user-dialog').open && [...document.querySelectorAll('#users-table tbody th')].some(th => th.textContent.includes(%q))`, username))
	var userID string
	for _, u := range items(a.must(200, "GET", "/users?q="+username, srv.AppToken, ownerToken, nil)) {
		if u["username"] == username {
			userID, _ = u["id"].(string)
		}
	}
	if userID == "" {
		t.Fatalf("GET /users?q=%s does not list the user made on the page", username)
	}
	p.fill("#uf-q", "casey")
	p.click(`#users-filter button[type=submit]`)
	p.wait("the search", fmt.Sprintf(`[...document.querySelectorAll('#users-table tbody tr')].length === [...document.querySelectorAll('#users-table tbody th')].filter(th => th.textContent.includes('casey')).length`))
	p.fill("#uf-q", "")
	p.click(`#users-filter button[type=submit]`)
	p.wait("the full list", fmt.Sprintf(`[...document.querySelectorAll('#users-table tbody th')].some(th => th.textContent.includes(%q))`, srv.Username))
	p.shot("users")

	// Tokens: issue an OBO token for the new user; the API takes it as that user.
	p.view("tokens")
	p.click("#obo-new")
	p.wait("the user picker", fmt.Sprintf(`document.querySelector('#obo-user option[value=%q]')`, userID))
	p.choose("#obo-user", userID)
	p.fill("#obo-name", "ticket 4711")
	p.click(`#obo-dialog button[type=submit]`)
	obo := p.secret()
	cur := a.must(200, "GET", "/token", srv.AppToken, obo, nil)
	if cur["kind"] != "obo" || fmt.Sprint(cur["user"]) != userID {
		t.Errorf("GET /token with the OBO token: got kind %v user %v, want obo for %s", cur["kind"], cur["user"], userID)
	}
	p.wait("the OBO token in the list", fmt.Sprintf(`document.querySelector('#tokens-table tr[data-id=%q]')`, cur["id"]))
	p.choose("#tf-kind", "obo")
	p.wait("only OBO tokens listed", `!document.querySelector('#tokens-table[aria-busy]') && [...document.querySelectorAll('#tokens-table tbody tr')].every(tr => tr.textContent.includes('On behalf of'))`)
	p.choose("#tf-kind", "")
	p.wait("every kind listed", `[...document.querySelectorAll('#tokens-table tbody tr')].some(tr => tr.textContent.includes('Login'))`)
	p.shot("tokens")

	// Find token: a pasted OBO token string is found, shown and expired;
	// the API refuses it from then on.
	p.view("find")
	p.findToken(obo)
	if got := p.text("#find-result-title"); !strings.Contains(got, "On behalf of") || !strings.Contains(got, username) {
		t.Errorf("found OBO token: got title %q, want an on-behalf-of token of %s", got, username)
	}
	p.press("#find-actions", "Expire now")
	p.confirm()
	p.wait("the token shown expired", `document.querySelector('#find-state').textContent.includes('Expired')`)
	a.must(401, "GET", "/token", srv.AppToken, obo, nil)

	// The audit log: newest first, filtered by action.
	p.view("audit")
	if n := p.eval(`String(document.querySelectorAll('#audit-table tbody tr:not(.empty)').length)`); n == "0" {
		t.Fatal("the audit log shows no records")
	}
	p.shot("audit")
	action := p.eval(`document.querySelector('#audit-table tbody th').textContent.trim()`)
	p.fill("#af-action", action)
	p.click(`#audit-filter button[type=submit]`)
	p.wait("the filtered audit log", fmt.Sprintf(`!document.querySelector('#audit-table[aria-busy]') && [...document.querySelectorAll('#audit-table tbody th')].every(th => th.textContent.trim() === %q)`, action))

	// Tenants: create one (its first app token shown once), then disable it.
	slug := "acme-" + suffix
	p.view("tenants")
	p.click("#tenant-new")
	p.fill("#tn-slug", "platform")
	p.fill("#tn-name", "Acme "+suffix)
	p.fill("#tn-admin-username", "ada")
	p.fill("#tn-admin-email", "ada@acme.example")
	p.fill("#tn-admin-password", "ada-password-1")
	p.click(`#tenant-dialog button[type=submit]`)
	p.wait("the taken slug reported beside its field", `!document.querySelector('#tenant-dialog [data-error-for~="slug"]').hidden`)
	p.fill("#tn-slug", slug)
	p.click(`#tenant-dialog button[type=submit]`)
	tenantSecret := p.secret()
	a.must(200, "POST", "/token", tenantSecret, "", map[string]any{"username": "ada", "password": "ada-password-1"})
	row := fmt.Sprintf(`//tr[.//code[text()=%q]]`, slug)
	p.wait("the tenant in the list", fmt.Sprintf(`document.evaluate('%s', document, null, 9, null).singleNodeValue`, row))
	p.shot("tenants")
	p.do(chromedp.Click(row + `//button[normalize-space()="Disable"]`))
	p.wait("the confirmation", `document.querySelector('#confirm-dialog').open`)
	p.click("#confirm-ok")
	p.wait("the disabled tenant", fmt.Sprintf(`document.evaluate('%s//button[normalize-space()="Enable"]', document, null, 9, null).singleNodeValue`, row))
	if got := a.must(200, "GET", "/tenants/"+slug, srv.AppToken, ownerToken, nil); got["status"] != "disabled" {
		t.Errorf("tenant %s: got status %v, want disabled", slug, got["status"])
	}

	// The session ending elsewhere sends the console back to sign-in.
	session := p.eval(`JSON.parse(sessionStorage.getItem('latchkey.console.session')).token`)
	a.must(204, "DELETE", "/token", srv.AppToken, session, nil)
	p.click(`#nav a[href="#/app-tokens"]`)
	p.wait("the session expired message", `!document.querySelector('#view-sign-in').hidden && document.querySelector('#sign-in-message').textContent.includes('Your session has expired. Please sign in again.')`)

	// Signing out ends the session in the API too.
	p.fill("#si-password", srv.Password)
	p.click(`#sign-in-form button[type=submit]`)
	p.wait("signed in again", `!document.querySelector('#topbar').hidden`)
	session = p.eval(`JSON.parse(sessionStorage.getItem('latchkey.console.session')).token`)
	p.click("#sign-out")
	p.wait("signed out", `!document.querySelector('#view-sign-in').hidden && !sessionStorage.getItem('latchkey.console.session')`)
	a.must(401, "GET", "/token", srv.AppToken, session, nil)

	if probs := p.problems(); len(probs) > 0 {
		t.Errorf("the page logged errors:\n%s", strings.Join(probs, "\n"))
	}
	t.Logf("screenshots in %s", p.shots)
}

// TestConsoleFollowsTheRole signs in as support and as member: the console
// offers only what the permission matrix lets each role do.
func TestConsoleFollowsTheRole(t *testing.T) {
	p := openPage(t)
	srv := startLatchkey(t)
	a := api{t: t, base: srv.URL}
	owner := a.must(200, "POST", "/token", srv.AppToken, "", map[string]any{"username": srv.Username, "password": srv.Password})
	ownerToken, _ := owner["token"].(string)

	visible := func(sel string) bool {
		// Hidden by role, not because its screen is not the current one.
		return p.eval(fmt.Sprintf(`String(!document.querySelector(%q).closest('[hidden]:not(.view)'))`, sel)) == "true"
	}
	buttons := func(view string) string {
		return p.eval(fmt.Sprintf(`[...new Set([...document.querySelectorAll('#view-%s tbody button')].map(b => b.textContent))].sort().join(', ')`, view))
	}
	for _, tc := range []struct {
		role, nav     string
		shown, hidden []string
	}{
		{role: "support", nav: "app-tokens usage users tokens find audit account",
			shown:  []string{`#view-tokens .lede [data-can="viewAnyToken"]`, "#audit-export"},
			hidden: []string{"#app-token-new", "#user-new", "#obo-new"}},
		{role: "member", nav: "tokens account",
			hidden: []string{`#view-tokens .lede [data-can="viewAnyToken"]`, "#obo-new", `#tokens-filter [name="user"]`}},
	} {
		t.Run(tc.role, func(t *testing.T) {
			p.t = t
			name := tc.role + "-" + fmt.Sprint(time.Now().UnixNano()%1e6)
			a.must(201, "POST", "/users", srv.AppToken, ownerToken, map[string]any{
				"username": name, "password": name + "-password", "email": name + "@example.com", "role": tc.role})
			p.signIn(srv.URL+"/console/#/app-tokens", "platform", name, name+"-password")
			p.wait("the first screen loaded", `document.querySelector('.view:not([hidden]) tbody tr')`)
			if got := p.eval(`[...document.querySelectorAll('#nav li:not([hidden]) a')].map(a => a.getAttribute('href').slice(2)).join(' ')`); got != tc.nav {
				t.Errorf("screens: got %q, want %q", got, tc.nav)
			}
			for _, sel := range tc.shown {
				if !visible(sel) {
					t.Errorf("%s is hidden from %s", sel, tc.role)
				}
			}
			for _, sel := range tc.hidden {
				if visible(sel) {
					t.Errorf("%s is offered to %s", sel, tc.role)
				}
			}
			if tc.role == "support" {
				// The app tokens screen (asked for in the URL) came first.
				if got := buttons("app-tokens"); got != "Delete, Expire" {
					t.Errorf("support's app token actions: got %q, want Delete, Expire", got)
				}
				p.view("users")
				if got := buttons("users"); got != "Expire tokens, Unlock" {
					t.Errorf("support's user actions: got %q, want Expire tokens, Unlock", got)
				}
			} else {
				if got := p.eval(`document.querySelector('#view-tokens [data-view-error]').textContent`); got != "" {
					t.Errorf("member's tokens screen: %s", got)
				}
				if n := p.eval(`String(document.querySelectorAll('#tokens-table tbody tr[data-id]').length)`); n != "1" {
					t.Errorf("member sees %s tokens, want only their own session", n)
				}
			}
			p.click("#sign-out")
			p.wait("signed out", `!document.querySelector('#view-sign-in').hidden`)
		})
	}
	p.t = t
	if probs := p.problems(); len(probs) > 0 {
		t.Errorf("the page logged errors:\n%s", strings.Join(probs, "\n"))
	}
}
