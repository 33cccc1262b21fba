package console_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/latchkey/latchkey/internal/testserver"
)

// signedIn starts a Latchkey and a browser signed in to its console as the
// platform owner; it also returns the owner's API token.
func signedIn(t *testing.T) (*page, *testserver.Server, api, string) {
	t.Helper()
	p := openPage(t)
	srv := startLatchkey(t)
	a := api{t: t, base: srv.URL}
	owner := a.must(200, "POST", "/token", srv.AppToken, "", map[string]any{"username": srv.Username, "password": srv.Password})
	p.signIn(srv.URL+"/console/", "platform", srv.Username, srv.Password)
	return p, srv, a, owner["token"].(string)
}

func suffix() string { return fmt.Sprint(time.Now().UnixNano() % 1e6) }

// newTenant makes a tenant through the API; it returns its first app token.
func newTenant(a api, srv *testserver.Server, owner, slug string) string {
	a.t.Helper()
	res := a.must(201, "POST", "/tenants", srv.AppToken, owner, map[string]any{
		"slug": slug, "name": "Acme " + slug,
		"admin": map[string]any{"username": "ada", "password": "ada-password-1", "email": "ada@acme.example"},
	})
	return res["app_token"].(string)
}

// newUser makes a user through the API and returns its id.
func newUser(a api, srv *testserver.Server, owner, username, password, role string) string {
	a.t.Helper()
	u := a.must(201, "POST", "/users", srv.AppToken, owner, map[string]any{
		"username": username, "password": password, "email": username + "@example.com", "role": role})
	return u["id"].(string)
}

// exists says whether the XPath expression finds a node in the page.
func (p *page) exists(xpath string) bool {
	p.t.Helper()
	return p.eval(fmt.Sprintf(`String(!!document.evaluate(%q, document, null, 9, null).singleNodeValue)`, xpath)) == "true"
}

func TestConsoleEditsTenantSettings(t *testing.T) {
	p, srv, a, owner := signedIn(t)
	slug := "acme-" + suffix()
	acmeApp := newTenant(a, srv, owner, slug)
	row := fmt.Sprintf(`//tr[.//code[text()=%q]]`, slug)
	submit := `#tenant-settings-dialog button[type=submit]`

	p.view("tenants")
	p.do(chromedp.Click(row + `//button[normalize-space()="Settings"]`))
	p.wait("the settings dialog", fmt.Sprintf(`document.querySelector('#tenant-settings-dialog').open && document.querySelector('#ts-name').value === %q`, "Acme "+slug))
	// Each duration is shown in the largest unit that divides it.
	shown := `['user_token_ttl', 'lockout_window', 'app_token_ttl', 'max_token_ttl'].map(k => document.querySelector('#ts-' + k).value + ' ' + document.querySelector('[name="settings.' + k + '.unit"]').selectedOptions[0].text).join(', ')`
	if got, want := p.eval(shown), "1 days, 15 minutes, 200 years, 90 days"; got != want {
		t.Errorf("durations shown: got %q, want %q", got, want)
	}
	p.shot("tenant-settings")

	// A sign-in lifetime beyond the longest user token is refused beside
	// its field, and nothing changes.
	p.fill("#ts-name", "Acme Renamed")
	p.click("#ts-allow_signup")
	p.fill("#ts-max_token_ttl", "30")
	p.fill("#ts-user_token_ttl", "60")
	p.fill("#ts-lockout_attempts", "3")
	p.fill("#ts-lockout_window", "10")
	p.fill("#ts-lockout_duration", "1")
	p.choose(`[name="settings.lockout_duration.unit"]`, "3600")
	p.click(submit)
	p.wait("the error beside the sign-in lifetime", `!document.querySelector('#tenant-settings-dialog [data-error-for="settings.user_token_ttl"]').hidden && document.activeElement.id === 'ts-user_token_ttl'`)
	if got := p.text(`#tenant-settings-dialog [data-error-for="settings.user_token_ttl"]`); !strings.Contains(got, "2592000 seconds (30 days)") {
		t.Errorf("the error says the bound in seconds only: %q", got)
	}
	if got := a.must(200, "GET", "/tenants/"+slug, srv.AppToken, owner, nil); got["name"] != "Acme "+slug {
		t.Errorf("a refused change changed the tenant: %v", got)
	}

	p.fill("#ts-user_token_ttl", "2")
	p.choose(`[name="settings.user_token_ttl.unit"]`, "3600")
	if got := p.text(`[data-words="user_token_ttl"]`); got != "Now: 2 h." {
		t.Errorf("the sign-in lifetime in words: got %q, want Now: 2 h.", got)
	}
	p.click(submit)
	p.wait("the dialog to close", `!document.querySelector('#tenant-settings-dialog').open`)

	got := a.must(200, "GET", "/tenants/"+slug, srv.AppToken, owner, nil)
	if got["name"] != "Acme Renamed" {
		t.Errorf("name: got %v, want Acme Renamed", got["name"])
	}
	settings, _ := got["settings"].(map[string]any)
	for key, want := range map[string]any{
		"allow_signup": true, "max_token_ttl": 30 * 86400.0, "user_token_ttl": 7200.0,
		"lockout_attempts": 3.0, "lockout_window": 600.0, "lockout_duration": 3600.0,
		// Untouched settings keep their values.
		"app_token_ttl": 200 * 365 * 86400.0, "long_token_ttl": 30 * 86400.0, "obo_token_ttl": 86400.0, "refresh_token_ttl": 30 * 86400.0,
	} {
		if settings[key] != want {
			t.Errorf("settings.%s: got %v, want %v", key, settings[key], want)
		}
	}
	// The settings hold: the tenant now takes sign-ups, and gives a
	// sign-in two hours.
	res := a.must(201, "POST", "/signup", acmeApp, "", map[string]any{
		"username": "sam", "password1": "sam-password-1", "password2": "sam-password-1", "email": "sam@acme.example", "accept_tos": true})
	exp, _ := time.Parse(time.RFC3339, fmt.Sprint(res["expires"]))
	if d := exp.Sub(srv.Clock.Now()); d <= 2*time.Hour-time.Second || d > 2*time.Hour {
		t.Errorf("a sign-up's token expires %v after now, want 2h", d)
	}

	// Opened again, the dialog shows what was saved.
	p.do(chromedp.Click(row + `//button[normalize-space()="Settings"]`))
	p.wait("the settings dialog again", `document.querySelector('#tenant-settings-dialog').open && document.querySelector('#ts-name').value === 'Acme Renamed'`)
	if got, want := p.eval(shown), "2 hours, 10 minutes, 200 years, 30 days"; got != want {
		t.Errorf("durations shown after saving: got %q, want %q", got, want)
	}
	p.click(`#tenant-settings-dialog [data-close]`)
	p.clean(acmeApp, "ada-password-1")
}

func TestConsoleDeletesTenantAfterTypingItsSlug(t *testing.T) {
	p, srv, a, owner := signedIn(t)
	slug := "doomed-" + suffix()
	acmeApp := newTenant(a, srv, owner, slug)
	row := fmt.Sprintf(`//tr[.//code[text()=%q]]`, slug)

	p.view("tenants")
	if p.exists(`//tr[.//code[text()="platform"]]//button[normalize-space()="Delete"]`) {
		t.Error("the platform tenant offers Delete")
	}
	p.do(chromedp.Click(row + `//button[normalize-space()="Delete"]`))
	p.wait("the delete dialog", `document.querySelector('#tenant-delete-dialog').open`)
	disabled := func() bool { return p.eval(`String(document.querySelector('#tdel-ok').disabled)`) == "true" }
	if !disabled() {
		t.Error("Delete is offered before the slug is typed")
	}
	p.fill("#tdel-confirm", slug[:len(slug)-1])
	if !disabled() {
		t.Error("Delete is offered for a slug typed in part")
	}
	p.do(chromedp.KeyEvent("\r")) // Enter cannot get around the disabled button.
	a.must(200, "GET", "/tenants/"+slug, srv.AppToken, owner, nil)
	p.fill("#tdel-confirm", slug)
	if disabled() {
		t.Error("Delete stays off with the slug typed")
	}
	p.shot("tenant-delete")
	p.click("#tdel-ok")
	p.wait("the tenant gone from the list", fmt.Sprintf(`!document.querySelector('#tenant-delete-dialog').open && !document.evaluate('%s', document, null, 9, null).singleNodeValue`, row))

	a.must(404, "GET", "/tenants/"+slug, srv.AppToken, owner, nil)
	a.must(401, "POST", "/token", acmeApp, "", map[string]any{"username": "ada", "password": "ada-password-1"})
	p.clean(acmeApp, "ada-password-1")
}

func TestConsoleResetsPasswordsAndDeletesUsers(t *testing.T) {
	p, srv, a, owner := signedIn(t)
	name := "casey-" + suffix()
	id := newUser(a, srv, owner, name, "old-password-1", "member")
	login := func(password string, want int) string {
		res := a.must(want, "POST", "/token", srv.AppToken, "", map[string]any{"username": name, "password": password})
		s, _ := res["token"].(string)
		return s
	}
	before := login("old-password-1", 200)

	p.view("users")
	p.click(fmt.Sprintf(`button[aria-label=%q]`, "Reset the password of "+name))
	p.wait("the password dialog", `document.querySelector('#password-dialog').open && document.activeElement.id === 'pw-password'`)
	p.fill("#pw-password", "short")
	p.click(`#password-dialog button[type=submit]`)
	p.wait("the too-short password refused beside the field", `!document.querySelector('#password-dialog [data-error-for="password"]').hidden`)
	p.click("#pw-generate")
	password := p.eval(`document.querySelector('#pw-password').value`)
	if len(password) != 20 || p.eval(`document.querySelector('#pw-password').type`) != "text" {
		t.Errorf("generated password: got %q shown as %s, want 20 characters shown as text", password, p.eval(`document.querySelector('#pw-password').type`))
	}
	p.shot("user-password")
	p.click(`#password-dialog button[type=submit]`)
	p.wait("the dialog to close and forget the password", `!document.querySelector('#password-dialog').open && !document.querySelector('#pw-password').value`)

	login("old-password-1", 401)
	a.must(401, "GET", "/token", srv.AppToken, before, nil)
	after := login(password, 200)

	// Deleting asks first; then the user and its tokens are gone.
	p.click(fmt.Sprintf(`button[aria-label=%q]`, "Delete "+name))
	p.wait("the confirmation", `document.querySelector('#confirm-dialog').open`)
	if got := p.text("#confirm-title"); got != "Delete "+name+"?" {
		t.Errorf("confirmation: got %q", got)
	}
	p.click("#confirm-cancel")
	p.wait("the confirmation to close", `!document.querySelector('#confirm-dialog').open`)
	a.must(200, "GET", "/users/"+id, srv.AppToken, owner, nil)
	p.click(fmt.Sprintf(`button[aria-label=%q]`, "Delete "+name))
	p.confirm()
	p.wait("the user gone from the list", fmt.Sprintf(`!document.querySelector('#users-table tr[data-id=%q]') && !document.querySelector('#users-table[aria-busy]')`, id))
	a.must(404, "GET", "/users/"+id, srv.AppToken, owner, nil)
	a.must(401, "GET", "/token", srv.AppToken, after, nil)
	login(password, 401)
	p.clean(before, after, password, "old-password-1")
}

func TestConsoleFindsTokens(t *testing.T) {
	p, srv, a, owner := signedIn(t)
	name := "dana-" + suffix()
	userID := newUser(a, srv, owner, name, "dana-password-1", "member")
	obo := a.must(201, "POST", "/tokens", srv.AppToken, owner, map[string]any{"user": userID, "name": "ticket 81"})
	oboSecret := obo["token"].(string)
	app := a.must(201, "POST", "/app_tokens", srv.AppToken, owner, map[string]any{"name": "billing-sync"})
	appSecret := app["app_token"].(string)
	login := a.must(200, "POST", "/token", srv.AppToken, "", map[string]any{"username": name, "password": "dana-password-1"})
	loginSecret := login["token"].(string)

	p.view("find")
	// By its public id, as lists and the audit log show it.
	p.findToken(obo["id"].(string))
	p.shot("find-token")
	// By the leaked string: found, shown with names, expired.
	p.findToken(oboSecret)
	if got := p.text("#find-result-title"); got != "On behalf of token of "+name {
		t.Errorf("title: got %q", got)
	}
	facts := p.text("#find-facts")
	for _, want := range []string{obo["id"].(string), name, srv.Username, "ticket 81", "Made through app token"} {
		if !strings.Contains(facts, want) {
			t.Errorf("facts %q lack %q", facts, want)
		}
	}
	if got := p.text("#find-state"); got != "Active" {
		t.Errorf("state: got %q, want Active", got)
	}
	if got := p.eval(`location.hash`); got != "#/find/"+obo["id"].(string) {
		t.Errorf("address: got %q, want the token's public id", got)
	}
	p.press("#find-actions", "Expire now")
	p.confirm()
	p.wait("the token shown expired", `document.querySelector('#find-state').textContent.includes('Expired') && !document.querySelector('#find-actions').textContent.includes('Expire now')`)
	a.must(401, "GET", "/token", srv.AppToken, oboSecret, nil)

	// A leaked app token string.
	p.findToken(appSecret)
	if got := p.text("#find-result-title"); got != "App token “billing-sync”" {
		t.Errorf("title: got %q", got)
	}
	p.press("#find-actions", "Expire now")
	p.confirm()
	p.wait("the app token shown expired", `document.querySelector('#find-state').textContent.includes('Expired')`)
	a.must(401, "GET", "/token", appSecret, owner, nil)

	// A token by its public id; deleted from here.
	p.findToken(login["id"].(string))
	if got := p.text("#find-result-title"); got != "Login token of "+name {
		t.Errorf("title: got %q", got)
	}
	p.press("#find-actions", "Delete")
	p.confirm()
	p.wait("the deleted token no longer shown", `document.querySelector('#find-result').hidden && location.hash === '#/find'`)
	a.must(401, "GET", "/token", srv.AppToken, loginSecret, nil)
	a.must(404, "GET", "/tokens/"+login["id"].(string), srv.AppToken, owner, nil)

	// An address naming a token's id shows it.
	p.do(chromedp.Navigate(srv.URL + "/console/#/find/" + app["id"].(string)))
	p.wait("the app token found from the address", `!document.querySelector('#find-result').hidden && document.querySelector('#find-result-title').textContent.includes('billing-sync')`)

	// Strings that find nothing say why, beside the field.
	for _, tc := range []struct{ q, want string }{
		{"lku_" + strings.Repeat("a", 8) + "_" + strings.Repeat("b", 77), "No user token or app token of this tenant matches"},
		{"hello", "neither a Latchkey token string nor a token id"},
		{"lkr_" + strings.Repeat("a", 8) + "_" + strings.Repeat("b", 77), "refresh token"},
	} {
		p.fill("#find-query", tc.q)
		p.click(`#find-form button[type=submit]`)
		p.wait("the reason beside the field", fmt.Sprintf(`document.querySelector('#find-form [data-error-for~="token"]').textContent.includes(%q)`, tc.want))
	}
	p.clean(oboSecret, appSecret, loginSecret)
}
