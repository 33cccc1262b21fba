package console_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// appToken finds the app token named name in the API's list.
func appToken(a api, appToken, owner, name string) map[string]any {
	a.t.Helper()
	for _, it := range items(a.must(200, "GET", "/app_tokens?limit=500", appToken, owner, nil)) {
		if it["name"] == name {
			return it
		}
	}
	a.t.Fatalf("GET /app_tokens does not list %q", name)
	return nil
}

// jsonOf shows v as JSON, for comparing what the API answered.
func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestConsoleEditsAppTokenCredentials creates an app token with scopes
// from the catalog, a rate limit, an external id and meta fields, shows
// its details, and edits each: the API answers what the page was given.
// With LATCHKEY_SCREENSHOT_DIR set, its pictures are docs/console's
// app-token-detail*.png.
func TestConsoleEditsAppTokenCredentials(t *testing.T) {
	p, srv, a, owner := signedIn(t)
	for name, desc := range map[string]string{"orders:read": "Read orders", "orders:write": "Create and change orders", "invoices:read": "Read invoices"} {
		a.must(200, "PUT", "/scopes/"+name, srv.AppToken, owner, map[string]any{"description": desc})
	}
	dialog := "#app-token-dialog"
	scope := func(dialog, name string) string { return fmt.Sprintf(`%s input[name=scope][value=%q]`, dialog, name) }

	p.view("app-tokens")
	p.click("#app-token-new")
	p.wait("the dialog with the catalog's scopes", `document.querySelector('#app-token-dialog').open && document.querySelector('#app-token-dialog input[name=scope][value="orders:read"]')`)
	if got := p.eval(`String(document.querySelector('#at-scopes').value === 'all' && document.querySelector('#app-token-dialog .scope-choices').hidden)`); got != "true" {
		t.Errorf("a new token's scopes: want unrestricted first, with the choices hidden")
	}
	p.fill("#at-name", "billing-sync")
	p.choose("#at-scopes", "some")
	p.click(scope(dialog, "orders:read"))
	p.click(scope(dialog, "invoices:read"))
	p.choose("#at-rl", "custom")
	p.fill("#at-rl-limit", "120")
	p.fill("#at-rl-per", "2")
	p.choose(`#app-token-dialog [name="rate_limit.unit"]`, "60")
	p.fill("#at-ext", "cust_4711")
	for i, kv := range [][2]string{{"plan", "gold"}, {"region", "eu-west"}} {
		p.press("app-token-dialog", "Add a field")
		p.fill(fmt.Sprintf(`%s .meta-row:nth-child(%d) input[name=meta_key]`, dialog, i+1), kv[0])
		p.fill(fmt.Sprintf(`%s .meta-row:nth-child(%d) input[name=meta_value]`, dialog, i+1), kv[1])
	}
	p.click(dialog + " button[type=submit]")
	secret := p.secret()

	got := appToken(a, srv.AppToken, owner, "billing-sync")
	id := got["id"].(string)
	for field, want := range map[string]string{
		"scopes":      `["invoices:read","orders:read"]`,
		"rate_limit":  `{"limit":120,"seconds":120}`,
		"external_id": `"cust_4711"`,
		"meta":        `{"plan":"gold","region":"eu-west"}`,
	} {
		if g := jsonOf(got[field]); g != want {
			t.Errorf("created %s: got %s, want %s", field, g, want)
		}
	}
	a.must(200, "GET", "/token", secret, owner, nil)

	// The list shows the hint, the scopes and the limit; the name opens
	// the details.
	rowSel := fmt.Sprintf(`#app-tokens-table tr[data-id=%q]`, id)
	p.wait("the new token in the list", fmt.Sprintf(`document.querySelector(%q)`, rowSel))
	if row := p.text(rowSel); !strings.Contains(row, got["hint"].(string)) || !strings.Contains(row, "orders:read") || !strings.Contains(row, "120 per 2 min") {
		t.Errorf("the list's row lacks the hint %s, a scope or the limit: %q", got["hint"], row)
	}
	p.click(fmt.Sprintf(`a[aria-label=%q]`, "Details of app token billing-sync"))
	p.wait("the details", `!document.querySelector('#app-token-detail').hidden && document.querySelector('#atd-title').textContent.includes('billing-sync') && document.activeElement.id === 'app-token-detail'`)
	if got := p.eval(`location.hash`); got != "#/app-tokens/"+id {
		t.Errorf("address: got %q, want the token's id", got)
	}
	facts := p.text("#atd-facts")
	for _, want := range []string{id, got["hint"].(string), "orders:read", "Read orders", "invoices:read", "120 requests every 2 min", "not the tenant default, which is none", "cust_4711", "plan", "gold", "eu-west"} {
		if !strings.Contains(facts, want) {
			t.Errorf("the details %q lack %q", facts, want)
		}
	}
	p.eval(`window.scrollTo(0, 0), ''`)
	p.shot("app-token-detail")
	p.darkMode(true)
	p.shot("app-token-detail-dark")
	p.darkMode(false)

	// Edit: other scopes, no limit, one meta field fewer, a new external id.
	edit := "#app-token-edit-dialog"
	p.press("atd-actions", "Edit")
	p.wait("the edit dialog, filled in", fmt.Sprintf(`document.querySelector('%s').open && document.querySelector('#ate-scopes').value === 'some' && document.querySelector('#ate-rl').value === 'custom' && document.querySelector('#ate-rl-limit').value === '120' && document.querySelector('#ate-ext').value === 'cust_4711' && document.querySelectorAll('%s .meta-row').length === 2`, edit, edit))
	if got := p.eval(fmt.Sprintf(`[...document.querySelectorAll('%s input[name=scope]:checked')].map(c => c.value).join(' ')`, edit)); got != "invoices:read orders:read" {
		t.Errorf("the edit dialog's chosen scopes: got %q", got)
	}
	p.click(scope(edit, "invoices:read"))
	p.click(scope(edit, "orders:write"))
	p.choose("#ate-rl", "none")
	p.click(edit + ` button[aria-label="Remove field 2"]`)
	p.fill("#ate-ext", "cust_4712")
	p.click(edit + " button[type=submit]")
	p.wait("the dialog closed and the details again", `!document.querySelector('#app-token-edit-dialog').open && document.querySelector('#atd-facts').textContent.includes('cust_4712')`)
	got = a.must(200, "GET", "/app_tokens/"+id, srv.AppToken, owner, nil)
	for field, want := range map[string]string{
		"scopes": `["orders:read","orders:write"]`, "rate_limit": `null`, "external_id": `"cust_4712"`, "meta": `{"plan":"gold"}`, "name": `"billing-sync"`,
	} {
		if g := jsonOf(got[field]); g != want {
			t.Errorf("after the edit, %s: got %s, want %s", field, g, want)
		}
	}

	// Unrestricted again, and a rate limit of a day's window; a limit out
	// of range is refused beside its field first, changing nothing.
	p.press("atd-actions", "Edit")
	p.wait("the edit dialog", `document.querySelector('#app-token-edit-dialog').open`)
	p.choose("#ate-scopes", "all")
	p.choose("#ate-rl", "custom")
	p.fill("#ate-rl-limit", "2000000")
	p.click(edit + " button[type=submit]")
	p.wait("the limit refused beside its field", fmt.Sprintf(`document.querySelector('%s [data-error-for~="rate_limit.limit"]:not([hidden])')?.textContent.includes('1,000,000')`, edit))
	if g := jsonOf(a.must(200, "GET", "/app_tokens/"+id, srv.AppToken, owner, nil)["scopes"]); g != `["orders:read","orders:write"]` {
		t.Errorf("a refused edit changed the scopes to %s", g)
	}
	p.fill("#ate-rl-limit", "5000")
	p.fill("#ate-rl-per", "1")
	p.choose(edit+` [name="rate_limit.unit"]`, "86400")
	p.click(edit + " button[type=submit]")
	p.wait("the details unrestricted", `!document.querySelector('#app-token-edit-dialog').open && document.querySelector('#atd-facts').textContent.includes('Unrestricted')`)
	got = a.must(200, "GET", "/app_tokens/"+id, srv.AppToken, owner, nil)
	if got["scopes"] != nil || jsonOf(got["rate_limit"]) != `{"limit":5000,"seconds":86400}` {
		t.Errorf("after the second edit: scopes %v, rate limit %v; want null and 5000 a day", got["scopes"], jsonOf(got["rate_limit"]))
	}

	// A phone, light and dark: the details fit.
	p.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	p.wait("the details at 390 px", `!document.querySelector('#app-token-detail').hidden`)
	if got := p.overflow("body"); got != "" {
		t.Errorf("the details at 390 px: %s", got)
	}
	p.eval(`window.scrollTo(0, 0), ''`)
	p.shot("app-token-detail-phone")
	p.darkMode(true)
	p.shot("app-token-detail-phone-dark")
	p.press("atd-actions", "Edit")
	p.wait("the edit dialog on a phone", `document.querySelector('#app-token-edit-dialog').open`)
	p.press("app-token-edit-dialog", "Add a field")
	if got := p.overflow("#app-token-edit-dialog"); got != "" {
		t.Errorf("the edit dialog at 390 px: %s", got)
	}
	p.shot("app-token-edit-phone-dark")
	p.darkMode(false)
	p.click(edit + " [data-close]")
	p.clean(owner, secret)
}

// TestConsoleRotatesTokens rotates an app token and a personal token:
// the grace asked is the one the API applies, the new secret is shown
// once, and old and new both work during the grace.
func TestConsoleRotatesTokens(t *testing.T) {
	p, srv, a, owner := signedIn(t)
	old := a.must(201, "POST", "/app_tokens", srv.AppToken, owner, map[string]any{"name": "partner", "external_id": "p-1"})
	oldID, oldSecret := old["id"].(string), old["app_token"].(string)

	p.view("app-tokens")
	p.click(`button[aria-label="Rotate app token partner"]`)
	p.wait("the rotate dialog", `document.querySelector('#rotate-dialog').open && document.activeElement.id === 'rot-grace'`)
	p.choose("#rot-grace", "3600")
	if got := p.text("#rot-hint"); !strings.Contains(got, "in 1 h") {
		t.Errorf("the grace in words: got %q", got)
	}
	p.shot("app-token-rotate")
	p.click("#rotate-dialog button[type=submit]")
	p.wait("the new secret", `document.querySelector('#secret-dialog').open && document.querySelector('#secret-value').value`)
	if got := p.text("#secret-note"); !strings.Contains(got, "The old secret keeps working until") || !strings.Contains(got, "(in 1 h)") && !strings.Contains(got, "(in 60 min)") {
		t.Errorf("the note says when the old secret stops: got %q", got)
	}
	newSecret := p.secret()
	if newSecret == oldSecret || !tokenPattern.MatchString(newSecret) {
		t.Fatalf("the rotation showed %q", newSecret)
	}
	// Shown once: nowhere in the page once its dialog closed.
	if p.eval(fmt.Sprintf(`String(document.documentElement.outerHTML.includes(%q) || [...document.querySelectorAll('input')].some(i => i.value === %q))`, newSecret, newSecret)) != "false" {
		t.Error("the new secret is still in the page")
	}

	// The API: the old token ends an hour from now; both work until then.
	was := a.must(200, "GET", "/app_tokens/"+oldID, srv.AppToken, owner, nil)
	ends, _ := time.Parse(time.RFC3339, fmt.Sprint(was["expires"]))
	if d := ends.Sub(srv.Clock.Now()); d < 59*time.Minute || d > time.Hour {
		t.Errorf("the old app token ends %v from now, want the hour asked for", d)
	}
	a.must(200, "GET", "/token", newSecret, owner, nil)
	a.must(200, "GET", "/token", oldSecret, owner, nil)
	var successor map[string]any
	for _, it := range items(a.must(200, "GET", "/app_tokens?limit=500", srv.AppToken, owner, nil)) {
		if it["rotated_from"] == oldID {
			successor = it
		}
	}
	if successor == nil || successor["name"] != "partner" || successor["external_id"] != "p-1" || successor["hint"] != "lka_"+newSecret[4:13]+"…"+newSecret[len(newSecret)-4:] {
		t.Errorf("the successor: got %v, want partner rotated from %s, hinting at the new secret", successor, oldID)
	}
	// The list marks the old one rotated, with no second Rotate.
	p.wait("the old token marked rotated", fmt.Sprintf(`document.querySelector('#app-tokens-table tr[data-id=%q]')?.textContent.includes('Rotated') && !document.querySelector('#app-tokens-table[aria-busy]')`, oldID))
	if p.exists(fmt.Sprintf(`//tr[@data-id=%q]//button[normalize-space()="Rotate"]`, oldID)) {
		t.Error("a rotated app token offers Rotate again")
	}

	// A personal token on the account screen, with a grace in seconds.
	mine := a.must(201, "POST", "/tokens", srv.AppToken, owner, map[string]any{"name": "laptop", "seconds_until_expire": 86400})
	p.view("account")
	p.click(`button[aria-label="Rotate personal token laptop"]`)
	p.wait("the rotate dialog", `document.querySelector('#rotate-dialog').open`)
	p.choose("#rot-grace", "custom")
	p.fill("#rot-seconds", "120")
	p.click("#rotate-dialog button[type=submit]")
	p.wait("the new secret", `document.querySelector('#secret-dialog').open && document.querySelector('#secret-value').value`)
	if got := p.text("#secret-note"); !strings.Contains(got, "in 2 min") {
		t.Errorf("the note says when the old secret stops: got %q", got)
	}
	newPersonal := p.secret()
	was = a.must(200, "GET", "/tokens/"+mine["id"].(string), srv.AppToken, owner, nil)
	ends, _ = time.Parse(time.RFC3339, fmt.Sprint(was["expires"]))
	if d := ends.Sub(srv.Clock.Now()); d < 119*time.Second || d > 120*time.Second {
		t.Errorf("the old personal token ends %v from now, want the 120 s asked for", d)
	}
	cur := a.must(200, "GET", "/token", srv.AppToken, newPersonal, nil)
	a.must(200, "GET", "/token", srv.AppToken, mine["token"].(string), nil)
	if cur["kind"] != "personal" || cur["id"] == mine["id"] {
		t.Errorf("the new personal token: got %v", cur)
	}
	p.wait("both personal tokens listed", `document.querySelectorAll('#personal-table tbody tr[data-id]').length === 2`)

	// Grace 0: the old one stops at once.
	last := a.must(201, "POST", "/app_tokens", srv.AppToken, owner, map[string]any{"name": "short-lived"})
	p.view("app-tokens")
	p.click(`button[aria-label="Rotate app token short-lived"]`)
	p.wait("the rotate dialog", `document.querySelector('#rotate-dialog').open`)
	p.choose("#rot-grace", "0")
	p.click("#rotate-dialog button[type=submit]")
	p.wait("the new secret", `document.querySelector('#secret-dialog').open && document.querySelector('#secret-value').value`)
	if got := p.text("#secret-note"); !strings.Contains(got, "has stopped working") {
		t.Errorf("the note after a rotation without grace: got %q", got)
	}
	lastNew := p.secret()
	a.must(401, "GET", "/token", last["app_token"].(string), owner, nil)
	a.must(200, "GET", "/token", lastNew, owner, nil)
	p.clean(owner, oldSecret, newSecret, mine["token"].(string), newPersonal, last["app_token"].(string), lastNew)
}

// TestConsoleScopeCatalog adds, edits and deletes scopes as a platform
// owner, and hides the catalog screen from a tenant's owner, whose app
// token dialog still offers the catalog's scopes.
func TestConsoleScopeCatalog(t *testing.T) {
	p, srv, a, owner := signedIn(t)
	scopes := func() map[string]any {
		out := map[string]any{}
		for _, s := range items(a.must(200, "GET", "/scopes?limit=500", srv.AppToken, owner, nil)) {
			out[s["name"].(string)] = s["description"]
		}
		return out
	}
	rowSel := `#scopes-table tr[data-name="reports:read"]`

	p.view("scopes")
	if p.exists(`//tr[@data-name="latchkey:admin"]//button`) {
		t.Error("the built-in latchkey:admin offers actions")
	}
	p.click("#scope-new")
	p.wait("the scope dialog", `document.querySelector('#scope-dialog').open && document.activeElement.id === 'sc-name'`)
	p.fill("#sc-name", "Reports")
	p.click("#scope-save")
	p.wait("the bad name refused beside its field", `!document.querySelector('#scope-dialog [data-error-for~="name"]').hidden`)
	p.fill("#sc-name", "latchkey:reports")
	p.click("#scope-save")
	p.wait("the reserved name refused by the API", `document.querySelector('#scope-dialog [data-error-for~="name"]').textContent.includes('latchkey:')`)
	p.fill("#sc-name", "reports:read")
	p.fill("#sc-description", "Read reports")
	p.click("#scope-save")
	p.wait("the new scope listed", fmt.Sprintf(`!document.querySelector('#scope-dialog').open && document.querySelector(%q)`, rowSel))
	if got := scopes()["reports:read"]; got != "Read reports" {
		t.Errorf("the new scope's description: got %v", got)
	}
	p.shot("scopes")

	// Adding a name that exists is refused: it would overwrite.
	p.click("#scope-new")
	p.fill("#sc-name", "reports:read")
	p.click("#scope-save")
	p.wait("the existing name refused", `document.querySelector('#scope-dialog [data-error-for~="name"]').textContent.includes('exists')`)
	p.click("#scope-dialog [data-close]")

	p.click(`button[aria-label="Edit the description of scope reports:read"]`)
	p.wait("the edit dialog", `document.querySelector('#scope-dialog').open && document.querySelector('#sc-name').readOnly && document.querySelector('#sc-description').value === 'Read reports'`)
	p.fill("#sc-description", "Read every report of the tenant")
	p.click("#scope-save")
	p.wait("the new description listed", fmt.Sprintf(`document.querySelector(%q).textContent.includes('every report')`, rowSel))
	if got := scopes()["reports:read"]; got != "Read every report of the tenant" {
		t.Errorf("the edited description: got %v", got)
	}

	// Held by a live token, it stays: the API's 409 is shown.
	holder := a.must(201, "POST", "/app_tokens", srv.AppToken, owner, map[string]any{"name": "reporter", "scopes": []string{"reports:read"}})
	p.click(`button[aria-label="Delete scope reports:read"]`)
	p.confirm()
	p.wait("the refusal", `!document.querySelector('#view-scopes [data-view-error]').hidden`)
	if _, ok := scopes()["reports:read"]; !ok {
		t.Fatal("a held scope was deleted")
	}
	a.must(200, "PATCH", "/app_tokens/"+holder["id"].(string), srv.AppToken, owner, map[string]any{"seconds_until_expire": -1})

	// Cancel keeps it; confirming deletes it.
	p.click(`button[aria-label="Delete scope reports:read"]`)
	p.wait("the confirmation", `document.querySelector('#confirm-dialog').open`)
	p.click("#confirm-cancel")
	p.wait("the confirmation to close", `!document.querySelector('#confirm-dialog').open`)
	if _, ok := scopes()["reports:read"]; !ok {
		t.Fatal("Cancel deleted the scope")
	}
	p.click(`button[aria-label="Delete scope reports:read"]`)
	p.wait("the confirmation", `document.querySelector('#confirm-dialog').open`)
	// Pressed in the page, not at coordinates: the refusal shown above the
	// table moved it.
	p.eval(`document.querySelector('#confirm-ok').click(), ''`)
	p.wait("the scope gone from the list", fmt.Sprintf(`!document.querySelector(%q) && !document.querySelector('#scopes-table[aria-busy]')`, rowSel))
	if _, ok := scopes()["reports:read"]; ok {
		t.Error("the scope is still in the catalog")
	}

	// A tenant's owner: no catalog screen, not even by its address, but
	// the catalog's scopes in the app token dialog.
	a.must(200, "PUT", "/scopes/orders:read", srv.AppToken, owner, map[string]any{"description": "Read orders"})
	slug := "acme-" + suffix()
	tenantApp := newTenant(a, srv, owner, slug)
	p.click("#sign-out")
	p.wait("signed out", `!document.querySelector('#view-sign-in').hidden`)
	p.signIn(srv.URL+"/console/#/scopes", slug, "ada", "ada-password-1")
	if got := p.eval(`String(document.querySelector('#nav li[data-view="scopes"]').hidden)`); got != "true" {
		t.Error("a tenant's owner sees the Scopes screen in the navigation")
	}
	if got := p.eval(`location.hash`); got == "#/scopes" || p.eval(`String(document.querySelector('#view-scopes').hidden)`) != "true" {
		t.Errorf("a tenant's owner reached the catalog screen at %s", got)
	}
	p.view("app-tokens")
	p.click("#app-token-new")
	p.wait("the catalog's scopes offered", `document.querySelector('#app-token-dialog').open && document.querySelector('#app-token-dialog input[name=scope][value="orders:read"]')`)
	p.click("#app-token-dialog [data-close]")
	p.clean(owner, tenantApp, "ada-password-1")
}

// TestConsoleTypesScopesWithoutTheCatalog makes the catalog unreadable to
// the page: the dialog then takes scope names as text.
func TestConsoleTypesScopesWithoutTheCatalog(t *testing.T) {
	p, srv, a, owner := signedIn(t)
	a.must(200, "PUT", "/scopes/orders:read", srv.AppToken, owner, map[string]any{"description": "Read orders"})
	// The page's fetch answers 503 for the catalog, as an unreachable
	// store would.
	p.eval(`(() => { const f = window.fetch; window.fetch = (u, i) => String(u).startsWith('/api/v1/scopes') ? Promise.resolve(new Response('{"errors":{"store":"Unavailable."}}', {status: 503})) : f(u, i); return ''; })()`)
	p.view("app-tokens")
	p.click("#app-token-new")
	p.wait("the scope names as text", `document.querySelector('#app-token-dialog').open && document.querySelector('#at-scopes-text')`)
	p.fill("#at-name", "typed")
	p.choose("#at-scopes", "some")
	p.fill("#at-scopes-text", "orders:read nope:unknown")
	p.click("#app-token-dialog button[type=submit]")
	p.wait("the unknown name refused", `!document.querySelector('#app-token-dialog [data-error-for~="scopes"]').hidden`)
	p.fill("#at-scopes-text", "orders:read")
	p.click("#app-token-dialog button[type=submit]")
	secret := p.secret()
	if got := appToken(a, srv.AppToken, owner, "typed")["scopes"]; !reflect.DeepEqual(got, []any{"orders:read"}) {
		t.Errorf("typed scopes: got %v", got)
	}
	p.clean(owner, secret)
}
