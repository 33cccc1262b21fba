package console_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
)

// chromium finds the browser, or skips: CI sets LATCHKEY_REQUIRE_CHROMIUM=1
// to make a missing browser a failure.
func chromium(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"/usr/bin/chromium", "chromium", "chromium-browser"} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	if os.Getenv("LATCHKEY_REQUIRE_CHROMIUM") == "1" {
		t.Fatal("chromium not installed (LATCHKEY_REQUIRE_CHROMIUM=1): apt-get install chromium")
	}
	t.Skip("chromium not installed: apt-get install chromium")
	return ""
}

// page drives one tab of a headless Chromium and records its console.
type page struct {
	t       *testing.T
	ctx     context.Context
	shots   string
	mu      sync.Mutex
	console []chromedp.ConsoleMessage
}

func openPage(t *testing.T) *page {
	t.Helper()
	exe := chromium(t)
	// Each test has its own browser and its own Latchkey: they run side by
	// side, most of their time being spent waiting for the page.
	t.Parallel()
	shots := os.Getenv("LATCHKEY_SCREENSHOT_DIR")
	if shots == "" {
		shots = t.TempDir()
	}
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox, // tests run as root in a container
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 860),
	)
	ctx, cancelTab := chromedp.NewContext(alloc)
	ctx, cancelTime := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelTime(); cancelTab(); cancelAlloc() })
	p := &page{t: t, ctx: ctx, shots: shots}
	if err := chromedp.Do(ctx); err != nil { // start the browser
		t.Fatalf("starting chromium: %v", err)
	}
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			p.mu.Lock()
			p.console = append(p.console, m)
			p.mu.Unlock()
		}
	}()
	return p
}

// fail saves a screenshot and the page's visible alerts, then stops the test.
func (p *page) fail(format string, args ...any) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
	defer cancel()
	if buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
		_ = os.WriteFile(filepath.Join(p.shots, "failure.png"), buf, 0o644)
	}
	alerts, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`[...document.querySelectorAll('.alert:not([hidden]), .field-error:not([hidden]), #status')].filter(e => e.getClientRects().length).map(e => e.textContent.trim()).filter(Boolean).join(' | ')`))
	p.t.Fatalf(format+"\n(visible messages: %s; screenshot: %s)", append(args, alerts, filepath.Join(p.shots, "failure.png"))...)
}

func (p *page) do(steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 15*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		p.fail("browser: %v", err)
	}
}

func (p *page) eval(expr string) string {
	p.t.Helper()
	s, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](expr))
	if err != nil {
		p.fail("evaluating %s: %v", expr, err)
	}
	return s
}

// wait polls a JavaScript condition from Go: the page's CSP forbids the
// `new Function` that chromedp.Poll would run inside it.
func (p *page) wait(what, cond string) {
	p.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		ok, err := chromedp.Run(p.ctx, chromedp.Evaluate[bool](`!!(`+cond+`)`))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			p.fail("timed out waiting for %s (%s): %v", what, cond, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (p *page) text(sel string) string {
	p.t.Helper()
	return p.eval(fmt.Sprintf(`(document.querySelector(%q)?.textContent || '').trim()`, sel))
}

// click clicks the element sel names. A node the page replaced between
// finding it and clicking it (a list re-rendered by an answer that came in
// meanwhile: "Could not find node with given id") is looked up again, at
// most three times, so the click goes to what sel names once the page has
// settled rather than failing on when an answer arrived.
func (p *page) click(sel string) {
	p.t.Helper()
	for attempt := 1; ; attempt++ {
		ctx, cancel := context.WithTimeout(p.ctx, 15*time.Second)
		err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(sel)))
		cancel()
		if err == nil {
			return
		}
		if attempt == 3 || !strings.Contains(err.Error(), "Could not find node with given id") {
			p.fail("browser: clicking %s: %v", sel, err)
		}
	}
}

func (p *page) fill(sel, value string) {
	p.t.Helper()
	// chromedp.Clear resets only the value attribute, not what was typed.
	p.eval(fmt.Sprintf(`document.querySelector(%q).value = '', ''`, sel))
	if value != "" {
		p.do(chromedp.SendKeys(chromedp.CSS(sel), value))
	}
}

func (p *page) choose(sel, value string) {
	p.t.Helper()
	p.do(chromedp.SetValue(chromedp.CSS(sel), value))
	p.eval(fmt.Sprintf(`document.querySelector(%q).dispatchEvent(new Event('change', {bubbles: true})), ''`, sel))
}

// view goes to a screen by its link in the main navigation and waits until
// its heading has the focus and its table is loaded.
func (p *page) view(id string) {
	p.t.Helper()
	if p.eval(fmt.Sprintf(`String(location.hash === '#/%s' && !document.querySelector('#view-%s').hidden)`, id, id)) == "true" {
		// Already there: a click would change nothing.
		p.eval(fmt.Sprintf(`document.querySelector('#view-%s h1').focus(), ''`, id))
	} else {
		p.click(fmt.Sprintf(`#nav a[href="#/%s"]`, id))
	}
	p.wait(id+" heading focused", fmt.Sprintf(`document.activeElement && document.activeElement.matches('#view-%s h1') && !document.querySelector('#view-%s').hidden`, id, id))
	p.wait(id+" loaded", fmt.Sprintf(`(!document.querySelector('#view-%s tbody') || document.querySelectorAll('#view-%s tbody tr').length > 0) && !document.querySelector('#view-%s [aria-busy]')`, id, id, id))
}

// findToken looks a token up on the Find token screen and waits for it.
func (p *page) findToken(q string) {
	p.t.Helper()
	p.fill("#find-query", q)
	p.click(`#find-form button[type=submit]`)
	p.wait("the found token", `!document.querySelector('#find-result').hidden && !document.querySelector('#find-form[aria-busy]')`)
}

// press clicks the button whose text is text inside the element sel.
func (p *page) press(sel, text string) {
	p.t.Helper()
	p.do(chromedp.Click(fmt.Sprintf(`//*[@id=%q]//button[normalize-space()=%q]`, strings.TrimPrefix(sel, "#"), text)))
}

// confirm waits for the confirmation dialog and answers yes.
func (p *page) confirm() {
	p.t.Helper()
	p.wait("the confirmation", `document.querySelector('#confirm-dialog').open`)
	p.click("#confirm-ok")
	p.wait("the confirmation to close", `!document.querySelector('#confirm-dialog').open`)
}

func (p *page) shot(name string) string {
	p.t.Helper()
	// A clean picture: no focus ring, no status toast over the table.
	p.eval(`document.activeElement && document.activeElement.blur(), document.querySelector('#status').className = 'toast', ''`)
	p.wait("the toast to fade out", `getComputedStyle(document.querySelector('#status')).opacity === '0'`)
	buf, err := chromedp.Run(p.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		p.fail("screenshot %s: %v", name, err)
	}
	path := filepath.Join(p.shots, name+".png")
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		p.t.Fatal(err)
	}
	return path
}

// secret waits for the shown-once dialog, reads the secret and closes it.
func (p *page) secret() string {
	p.t.Helper()
	p.wait("the secret dialog", `document.querySelector('#secret-dialog').open && document.querySelector('#secret-value').value`)
	if !strings.Contains(p.text("#secret-warning"), "will not be shown again") {
		p.fail("secret dialog lacks its warning: %q", p.text("#secret-warning"))
	}
	s := p.eval(`document.querySelector('#secret-value').value`)
	p.click("#secret-copy")
	p.wait("copy feedback", `document.querySelector('#secret-copy-status').textContent`)
	p.click("#secret-done")
	p.wait("the secret dialog to close", `!document.querySelector('#secret-dialog').open && !document.querySelector('#secret-value').value`)
	return s
}

// problems lists uncaught exceptions and CSP violations seen in the page.
func (p *page) problems() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, m := range p.console {
		csp := strings.Contains(m.Text, "Content Security Policy") || strings.Contains(m.Text, "Refused to")
		if m.IsException() || csp || (m.Type == chromedp.ConsoleError && m.Source != "network") {
			out = append(out, m.String())
		}
	}
	return out
}

// api calls the Latchkey API from Go, as any client would.
type api struct {
	t    *testing.T
	base string
}

func (a api) call(method, path, appToken, token string, body any) (int, map[string]any) {
	a.t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, err := http.NewRequest(method, a.base+"/api/v1"+path, rd)
	if err != nil {
		a.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if appToken != "" {
		req.Header.Set("App-Token", appToken)
	}
	if token != "" {
		req.Header.Set("Token", token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	out := map[string]any{}
	_ = json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out
}

func (a api) must(want int, method, path, appToken, token string, body any) map[string]any {
	a.t.Helper()
	got, out := a.call(method, path, appToken, token, body)
	if got != want {
		a.t.Fatalf("%s %s: got status %d, want %d (%v)", method, path, got, want, out)
	}
	return out
}

func items(body map[string]any) []map[string]any {
	raw, _ := body["items"].([]any)
	out := make([]map[string]any, 0, len(raw))
	for _, r := range raw {
		if m, ok := r.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// signIn opens the console at url, signs in to tenant (a slug) on its
// form and waits for the first screen.
func (p *page) signIn(url, tenant, username, password string) {
	p.t.Helper()
	p.do(chromedp.Navigate(url))
	p.wait("the sign-in form", `!document.querySelector('#view-sign-in').hidden`)
	p.fill("#si-tenant", tenant)
	p.fill("#si-username", username)
	p.fill("#si-password", password)
	p.click(`#sign-in-form button[type=submit]`)
	p.wait("signed in", `!document.querySelector('#topbar').hidden && document.querySelector('.view:not([hidden]) h1')`)
}

// tokenPattern matches any Latchkey token string.
var tokenPattern = regexp.MustCompile(`lk[aur]_[a-z0-9]{8}_[a-z0-9]{20,}`)

// noSecrets checks that no secret went where the console must not keep
// it: the browser's console, the address bar, localStorage (which may hold
// only the remembered tenant slug) and sessionStorage (only the session).
func (p *page) noSecrets(secrets ...string) {
	p.t.Helper()
	p.mu.Lock()
	var logged []string
	for _, m := range p.console {
		logged = append(logged, m.String())
	}
	p.mu.Unlock()
	logged = append(logged, p.eval(`location.href`))
	// The messages name where a secret was, not the secret.
	redact := func(text string) string {
		for _, s := range secrets {
			if s != "" {
				text = strings.ReplaceAll(text, s, "<secret>")
			}
		}
		return tokenPattern.ReplaceAllStringFunc(text, func(m string) string { return m[:4] + "…" })
	}
	for _, text := range logged {
		if tokenPattern.MatchString(text) {
			p.t.Errorf("a token string reached the browser console or the address: %q", redact(text))
		}
		for _, s := range secrets {
			if s != "" && strings.Contains(text, s) {
				p.t.Errorf("a secret reached the browser console or the address: %q", redact(text))
			}
		}
	}
	if keys := p.eval(`Object.keys(localStorage).filter(k => k !== 'latchkey.console.tenant').join(' ')`); keys != "" {
		p.t.Errorf("localStorage holds %q, want at most the remembered tenant", keys)
	}
	if keys := p.eval(`Object.keys(sessionStorage).filter(k => k !== 'latchkey.console.session').join(' ')`); keys != "" {
		p.t.Errorf("sessionStorage holds %q, want only the session", keys)
	}
	stored := p.eval(`Object.values(localStorage).join(' ')`)
	for _, s := range secrets {
		if s != "" && strings.Contains(stored, s) {
			p.t.Errorf("localStorage holds a secret")
		}
	}
	if strings.Contains(stored, "lku_") || strings.Contains(stored, "lkr_") {
		p.t.Errorf("localStorage holds a user or refresh token")
	}
}

// clean fails the test on page errors and secrets that leaked (noSecrets).
func (p *page) clean(secrets ...string) {
	p.t.Helper()
	if probs := p.problems(); len(probs) > 0 {
		p.t.Errorf("the page logged errors:\n%s", strings.Join(probs, "\n"))
	}
	p.noSecrets(secrets...)
}

// downloads makes the browser save downloads into a new directory.
func (p *page) downloads() string {
	p.t.Helper()
	dir := p.t.TempDir()
	_, err := chromedp.CallBrowser(p.ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir})
	if err != nil {
		p.fail("allowing downloads: %v", err)
	}
	return dir
}

// downloaded waits for one finished file in dir and returns its name and
// content.
func (p *page) downloaded(dir string) (string, []byte) {
	p.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if !strings.HasSuffix(e.Name(), ".crdownload") {
				b, err := os.ReadFile(filepath.Join(dir, e.Name()))
				if err == nil && len(b) > 0 {
					return e.Name(), b
				}
			}
		}
		if time.Now().After(deadline) {
			p.fail("timed out waiting for a download in %s", dir)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
