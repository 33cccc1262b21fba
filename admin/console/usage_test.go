package console_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/usage"
)

// darkMode makes the page see prefers-color-scheme: dark (or light).
func (p *page) darkMode(dark bool) {
	p.t.Helper()
	v := "light"
	if dark {
		v = "dark"
	}
	if _, err := chromedp.Call(p.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: v}}}); err != nil {
		p.fail("emulating %s mode: %v", v, err)
	}
}

// TestConsoleUsage draws the usage screen from counts made over the last
// days: the busiest app tokens ranked, a chart per app token that sums
// what the API answers, a period by day, dark mode and a phone's width.
// With LATCHKEY_SCREENSHOT_DIR set, its pictures are docs/console's
// usage*.png.
func TestConsoleUsage(t *testing.T) {
	p := openPage(t)
	srv := startLatchkey(t)
	a := api{t: t, base: srv.URL}
	owner := a.must(200, "POST", "/token", srv.AppToken, "", map[string]any{"username": srv.Username, "password": srv.Password})["token"].(string)
	partner := a.must(201, "POST", "/app_tokens", srv.AppToken, owner, map[string]any{"name": "partner-api"})
	batch := a.must(201, "POST", "/app_tokens", srv.AppToken, owner, map[string]any{"name": "nightly-batch"})

	// Counts of the last 30 hours and 5 days, through the counter the
	// authenticating middleware uses, then written by a flush.
	now := srv.Clock.Now()
	count := func(idHex string, o usage.Outcome, at time.Time, n int) {
		id, err := ids.Parse(idHex)
		if err != nil {
			t.Fatal(err)
		}
		for range n {
			srv.App.Usage.Count(srv.TenantID, id, o, at)
		}
	}
	var want24 int
	for h := range 30 {
		at := now.Add(-time.Duration(h) * time.Hour)
		ok, denied := 40+25*((h+3)%7)+h, (h*7)%5
		count(partner["id"].(string), usage.OK, at, ok)
		count(partner["id"].(string), usage.Denied, at, denied)
		if h < 24 {
			want24 += ok + denied
		}
	}
	for d := range 5 {
		count(batch["id"].(string), usage.OK, now.Add(-time.Duration(d)*24*time.Hour), 300)
	}
	count(batch["id"].(string), usage.RateLimited, now, 20)
	if err := srv.App.Usage.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}

	p.signIn(srv.URL+"/console/", "platform", srv.Username, srv.Password)
	p.view("usage")
	p.wait("the chart", `document.querySelector('#usage-chart figure.chart')`)
	// The busiest first: the partner's ~2,000 requests over the batch's 320.
	first := p.eval(`document.querySelector('#usage-top li:first-child .usage-name').textContent`)
	if first != "partner-api" {
		t.Errorf("the busiest app token: got %q, want partner-api", first)
	}
	if got := p.eval(`document.querySelector('#usage-chart-title').textContent`); got != "Requests of partner-api" {
		t.Errorf("the chart shows %q, want the busiest app token's", got)
	}
	// The chart sums the series the API answers for the same range (the
	// browser asked for the last 24 hours, from the hour holding since).
	total, _ := strconv.Atoi(p.eval(`document.querySelector('#usage-chart figure').dataset.total`))
	if total < want24 || total > want24+300 {
		t.Errorf("the chart's total: got %d, want the last 24 hours' %d (plus at most the hour before)", total, want24)
	}
	if n := p.eval(`String(document.querySelectorAll('#usage-chart svg.chart-svg g').length)`); n != "25" {
		t.Errorf("got %s columns, want 25 hours", n)
	}
	p.shot("usage")

	// Another app token: its button in the ranking.
	p.click(fmt.Sprintf(`#usage-top button[data-id=%q]`, batch["id"]))
	p.wait("the batch's chart", `document.querySelector('#usage-chart-title').textContent === 'Requests of nightly-batch' && !document.querySelector('#view-usage [aria-busy]')`)
	// Now and 24 hours ago (the hour holding since counts whole).
	if got := p.eval(`document.querySelector('#usage-chart figure').dataset.total`); got != "620" {
		t.Errorf("the batch's last 24 hours: got %s requests, want 620", got)
	}
	// By day over 30 days: 5 days of 300 and the 20 refused now.
	p.choose("#usage-period", "30d")
	p.wait("the daily chart", `document.querySelectorAll('#usage-chart svg.chart-svg g').length >= 30 && !document.querySelector('#view-usage [aria-busy]')`)
	if got := p.eval(`document.querySelector('#usage-chart figure').dataset.total`); got != "1520" {
		t.Errorf("the batch's last 30 days: got %s requests, want 1520", got)
	}
	p.choose("#usage-period", "7d")
	p.wait("the week's ranking", `!document.querySelector('#view-usage [aria-busy]')`)
	p.click(fmt.Sprintf(`#usage-top button[data-id=%q]`, partner["id"]))
	p.wait("the partner's week", `document.querySelector('#usage-chart-title').textContent === 'Requests of partner-api' && document.querySelectorAll('#usage-chart svg.chart-svg g').length > 100 && !document.querySelector('#view-usage [aria-busy]')`)
	p.shot("usage-week")

	// Dark mode: the same chart in the dark palette.
	light := p.eval(`getComputedStyle(document.querySelector('#usage-chart rect.u-ok')).fill`)
	p.darkMode(true)
	dark := p.eval(`getComputedStyle(document.querySelector('#usage-chart rect.u-ok')).fill`)
	if light == dark {
		t.Errorf("the bars keep their colour %s in dark mode", light)
	}
	if bg := p.eval(`getComputedStyle(document.body).backgroundColor`); bg != "rgb(17, 20, 24)" {
		t.Errorf("dark mode: got the page's background %s", bg)
	}
	p.shot("usage-dark")

	// A phone: nothing reaches beyond 390 px.
	p.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	p.view("usage")
	p.wait("the chart on a phone", `document.querySelector('#usage-chart figure.chart') && !document.querySelector('#view-usage [aria-busy]')`)
	if got := p.overflow("body"); got != "" {
		t.Errorf("the usage screen at 390 px: %s", got)
	}
	p.shot("usage-phone-dark")
	p.darkMode(false)
	p.shot("usage-phone")
	p.clean(owner, partner["app_token"].(string), batch["app_token"].(string))
	if dir := os.Getenv("LATCHKEY_SCREENSHOT_DIR"); dir != "" {
		t.Logf("screenshots in %s", filepath.Join(dir, "usage*.png"))
	}
}
