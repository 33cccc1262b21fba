package console_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// tabThrough presses Tab from the focused element, once more than there
// are things to reach in sel, and returns what in sel was never reached and
// what was focused without a visible focus ring.
func (p *page) tabThrough(sel string) (missed, unringed string) {
	p.t.Helper()
	n := p.eval(fmt.Sprintf(`(() => {
		const want = [...document.querySelectorAll(%q + ' :is(a[href], button, input, select, textarea, [tabindex="0"])')]
			.filter(e => e.getClientRects().length && !e.disabled && !e.closest('[hidden], [inert]'));
		document.querySelectorAll('[data-kb]').forEach(e => delete e.dataset.kb);
		want.forEach(e => { e.dataset.kb = 'want'; });
		return String(want.length);
	})()`, sel))
	var count int
	fmt.Sscan(n, &count)
	var bare []string
	// A date field takes a Tab per part (day, month, year, …): allow more
	// presses than controls, and stop once everything was reached.
	for i := 0; i <= 3*count+6 && p.eval(`String(!!document.querySelector('[data-kb="want"]'))`) == "true"; i++ {
		p.do(chromedp.KeyEvent(kb.Tab))
		if s := p.eval(`(() => {
			const e = document.activeElement;
			if (!e || e === document.body) return '';
			if (e.dataset.kb) e.dataset.kb = 'got';
			const cs = getComputedStyle(e);
			return cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) >= 2 ? '' : e.tagName.toLowerCase() + '#' + e.id + ' ' + (e.getAttribute('aria-label') || e.textContent.trim().slice(0, 30));
		})()`); s != "" {
			bare = append(bare, s)
		}
	}
	missed = p.eval(`[...document.querySelectorAll('[data-kb="want"]')].map(e => e.tagName.toLowerCase() + '#' + e.id + ' ' + (e.getAttribute('aria-label') || e.textContent.trim().slice(0, 30))).join('; ')`)
	return missed, strings.Join(bare, "; ")
}

// TestConsoleIsAccessible checks the basics on every screen: each control
// has a label and each button a name, the keyboard reaches every control
// with a visible focus ring, and a dialog opened from the keyboard keeps
// the focus and gives it back.
func TestConsoleIsAccessible(t *testing.T) {
	p, srv, a, owner := signedIn(t)
	newTenant(a, srv, owner, "keys-"+suffix())
	newUser(a, srv, owner, "kim-"+suffix(), "kim-password-1", "admin")
	hook := a.must(201, "POST", "/webhooks", srv.AppToken, owner, map[string]any{"url": "https://hooks.example.com/latchkey", "events": []string{"app_token.*"}})["id"].(string)
	a.must(202, "POST", "/webhooks/"+hook+"/test", srv.AppToken, owner, nil)

	for _, view := range []string{"app-tokens", "users", "tokens", "find", "audit", "webhooks", "tenants", "scopes"} {
		p.view(view)
		if view == "find" {
			p.findToken(p.eval(`document.querySelector('#app-tokens-table tbody tr')?.dataset.id || ''`))
			p.eval(`document.querySelector('#find-title').focus(), ''`)
		}
		missed, bare := p.tabThrough("#view-" + view)
		if missed != "" {
			t.Errorf("%s: the keyboard never reaches %s", view, missed)
		}
		if bare != "" {
			t.Errorf("%s: focused without a visible focus ring: %s", view, bare)
		}
	}

	// A webhook's deliveries, and the new webhook dialog with a chosen event.
	p.do(chromedp.Navigate(srv.URL + "/console/#/webhooks/" + hook))
	p.wait("the deliveries", `document.querySelector('#deliveries-table tbody tr[data-id]') && !document.querySelector('#view-webhooks [aria-busy]')`)
	p.eval(`document.querySelector('#webhooks-title').focus(), ''`)
	if missed, bare := p.tabThrough("#view-webhooks"); missed != "" || bare != "" {
		t.Errorf("webhook deliveries: never reached %q; no focus ring on %q", missed, bare)
	}
	p.view("webhooks")
	p.eval(`document.querySelector('#webhook-new').focus(), ''`)
	p.do(chromedp.KeyEvent("\r"))
	p.wait("the new webhook dialog, focused", `document.querySelector('#webhook-dialog').open && document.activeElement.id === 'wh-url'`)
	p.fill("#wh-event", "user.*")
	p.do(chromedp.KeyEvent("\r"))
	p.wait("the event chosen", `document.querySelector('#wh-events button[aria-label="Remove user.*"]')`)
	p.eval(`document.querySelector('#wh-url').focus(), ''`)
	if missed, bare := p.tabThrough("#webhook-dialog"); missed != "" || bare != "" {
		t.Errorf("new webhook dialog: never reached %q; no focus ring on %q", missed, bare)
	}
	p.do(chromedp.KeyEvent(kb.Escape))
	p.wait("the focus back on New webhook", `!document.querySelector('#webhook-dialog').open && document.activeElement.id === 'webhook-new'`)

	// An app token's details, and the edit dialog its fields are built in.
	{
		p.view("app-tokens")
		p.click(`#app-tokens-table tbody tr:not([data-id="000000000000000000000001"]) th a`)
		p.wait("the details, focused", `!document.querySelector('#app-token-detail').hidden && document.activeElement.id === 'app-token-detail'`)
		missed, bare := p.tabThrough("#app-token-detail")
		if missed != "" || bare != "" {
			t.Errorf("app token details: never reached %q; no focus ring on %q", missed, bare)
		}
		p.eval(`document.querySelector('#atd-actions button[aria-label^="Edit"]').focus(), ''`)
		p.do(chromedp.KeyEvent("\r"))
		p.wait("the edit dialog, focused", `document.querySelector('#app-token-edit-dialog').open && document.activeElement.id === 'ate-name'`)
		p.choose("#ate-scopes", "some")
		p.choose("#ate-rl", "custom")
		p.press("app-token-edit-dialog", "Add a field")
		missed, bare = p.tabThrough("#app-token-edit-dialog")
		if missed != "" || bare != "" {
			t.Errorf("app token edit dialog: never reached %q; no focus ring on %q", missed, bare)
		}
		p.do(chromedp.KeyEvent(kb.Escape))
		p.wait("the focus back on Edit", `!document.querySelector('#app-token-edit-dialog').open && document.activeElement.getAttribute('aria-label')?.startsWith('Edit app token')`)
	}

	// Labels and names, in every screen and dialog of the page.
	if got := p.eval(`[...document.querySelectorAll('input, select, textarea')].filter(c => c.type !== 'hidden' && !c.labels.length && !c.getAttribute('aria-label') && !c.getAttribute('aria-labelledby')).map(c => c.id || c.name).join(' ')`); got != "" {
		t.Errorf("controls without a label: %s", got)
	}
	if got := p.eval(`[...document.querySelectorAll('button')].filter(b => !b.textContent.trim() && !b.getAttribute('aria-label')).map(b => b.id || b.outerHTML.slice(0, 60)).join(' ')`); got != "" {
		t.Errorf("buttons without a name: %s", got)
	}
	if got := p.eval(`[...document.querySelectorAll('dialog, section.view')].filter(d => !d.getAttribute('aria-labelledby') || !document.getElementById(d.getAttribute('aria-labelledby'))).map(d => d.id).join(' ')`); got != "" {
		t.Errorf("dialogs and screens without a title: %s", got)
	}

	// A dialog opened with Enter takes the focus, keeps Tab inside, and
	// gives the focus back to its button on Escape.
	p.view("tenants")
	p.eval(`document.querySelector('#tenants-table button[aria-label^="Settings"]').focus(), ''`)
	opener := p.eval(`document.activeElement.getAttribute('aria-label')`)
	p.do(chromedp.KeyEvent("\r"))
	p.wait("the settings dialog, focused", `document.querySelector('#tenant-settings-dialog').open && document.querySelector('#tenant-settings-dialog').contains(document.activeElement)`)
	missed, bare := p.tabThrough("#tenant-settings-dialog")
	if missed != "" || bare != "" {
		t.Errorf("settings dialog: never reached %q; no focus ring on %q", missed, bare)
	}
	if p.eval(`String(document.querySelector('#tenant-settings-dialog').contains(document.activeElement))`) != "true" {
		t.Errorf("Tab left the open dialog for %s", p.eval(`document.activeElement.outerHTML.slice(0, 80)`))
	}
	p.do(chromedp.KeyEvent(kb.Escape))
	p.wait("the focus back on the Settings button", fmt.Sprintf(`!document.querySelector('#tenant-settings-dialog').open && document.activeElement.getAttribute('aria-label') === %q`, opener))
	p.clean()
}
