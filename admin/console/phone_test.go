package console_test

import (
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"
)

// overflow lists what inside sel reaches beyond the screen's width, or
// scrolls sideways, and says when the page itself is wider than the
// screen; empty when everything fits.
func (p *page) overflow(sel string) string {
	p.t.Helper()
	return p.eval(fmt.Sprintf(`(() => {
		const w = window.innerWidth, out = [];
		if (document.documentElement.scrollWidth > w) out.push('the page is ' + document.documentElement.scrollWidth + ' px wide');
		for (const el of document.querySelectorAll(%q)) {
			for (const e of [el, ...el.querySelectorAll('*')]) {
				if (!e.getClientRects().length || e.closest('.visually-hidden, thead')) continue;
				const r = e.getBoundingClientRect(), name = e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + ' ' + (e.getAttribute('aria-label') || e.textContent.trim().slice(0, 30));
				if (r.left < -0.5 || r.right > w + 0.5) out.push(name + ' spans ' + Math.round(r.left) + '..' + Math.round(r.right));
				const ox = getComputedStyle(e).overflowX;
				if ((ox === 'auto' || ox === 'scroll') && e.scrollWidth > e.clientWidth + 1) out.push(name + ' scrolls sideways');
			}
		}
		return out.slice(0, 8).join('; ');
	})()`, sel))
}

// TestConsoleOnAPhone goes through every screen and dialog at 390 px, the
// width of a common phone: nothing may need sideways scrolling, and an
// action taken there works.
func TestConsoleOnAPhone(t *testing.T) {
	p := openPage(t)
	srv := startLatchkey(t)
	a := api{t: t, base: srv.URL}
	owner := a.must(200, "POST", "/token", srv.AppToken, "", map[string]any{"username": srv.Username, "password": srv.Password})["token"].(string)
	tenantApp := newTenant(a, srv, owner, "phone-"+suffix())
	name := "pat-" + suffix()
	userID := newUser(a, srv, owner, name, "pat-password-1", "member")
	obo := a.must(201, "POST", "/tokens", srv.AppToken, owner, map[string]any{"user": userID, "name": "a rather long name for a phone screen"})
	app := a.must(201, "POST", "/app_tokens", srv.AppToken, owner, map[string]any{"name": "mobile-app-integration-token"})

	p.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	p.signIn(srv.URL+"/console/", "platform", srv.Username, srv.Password)
	fits := func(what, sel string) {
		t.Helper()
		if got := p.overflow(sel); got != "" {
			t.Errorf("%s at 390 px: %s", what, got)
		}
	}
	dialog := func(what, opener, id string) {
		t.Helper()
		p.click(opener)
		p.wait(what, fmt.Sprintf(`document.querySelector('#%s').open`, id))
		fits(what, "#"+id)
		if id == "tenant-settings-dialog" {
			p.shot("phone-tenant-settings")
		}
		p.do(chromedp.KeyEvent("\x1b"))
		p.wait(what+" to close", fmt.Sprintf(`!document.querySelector('#%s').open`, id))
	}
	for _, view := range []string{"app-tokens", "usage", "users", "tokens", "find", "audit", "tenants", "scopes"} {
		p.view(view)
		if view == "find" {
			p.findToken(obo["token"].(string))
		}
		fits("the "+view+" screen", "body")
		p.shot("phone-" + view)
	}

	// Dialogs fit as well.
	p.view("users")
	dialog("the new user dialog", "#user-new", "user-dialog")
	dialog("the password dialog", fmt.Sprintf(`button[aria-label=%q]`, "Reset the password of "+name), "password-dialog")
	p.view("tenants")
	dialog("the settings dialog", `#tenants-table tbody tr:first-child button[aria-label^="Settings"]`, "tenant-settings-dialog")
	dialog("the delete dialog", `#tenants-table button[aria-label^="Delete"]`, "tenant-delete-dialog")

	p.view("app-tokens")
	dialog("the new app token dialog", "#app-token-new", "app-token-dialog")
	dialog("the rotate dialog", fmt.Sprintf(`#app-tokens-table tr[data-id=%q] button[aria-label^="Rotate"]`, app["id"]), "rotate-dialog")
	p.view("scopes")
	dialog("the scope dialog", "#scope-new", "scope-dialog")

	// An action at the end of a row works on a phone: expire an app token.
	p.view("app-tokens")
	p.click(fmt.Sprintf(`#app-tokens-table tr[data-id=%q] button[aria-label^="Expire"]`, app["id"]))
	p.confirm()
	p.wait("the app token expired", fmt.Sprintf(`!document.querySelector('#app-tokens-table[aria-busy]') && document.querySelector('#app-tokens-table tr[data-id=%q]').classList.contains('is-expired')`, app["id"]))
	if got := a.must(200, "GET", "/app_tokens/"+app["id"].(string), srv.AppToken, owner, nil); got["expired"] != true {
		t.Errorf("the app token expired on the phone: got %v", got)
	}
	p.clean(owner, tenantApp, obo["token"].(string), app["app_token"].(string))
}
