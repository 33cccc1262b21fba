package console_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/testserver"
)

// auditIDs reads every page of GET /audit?query through the API: the ids,
// newest first.
func auditIDs(a api, appToken, token, query string) []string {
	a.t.Helper()
	var out []string
	cursor := ""
	for {
		body := a.must(200, "GET", "/audit?limit=500&"+query+"&cursor="+url.QueryEscape(cursor), appToken, token, nil)
		for _, r := range items(body) {
			out = append(out, fmt.Sprint(r["id"]))
		}
		next, _ := body["next_cursor"].(string)
		if next == "" {
			return out
		}
		cursor = next
	}
}

// auditRows lists the text of each cell of the audit table, row by row.
func (p *page) auditRows() [][]string {
	p.t.Helper()
	var rows [][]string
	raw := p.eval(`JSON.stringify([...document.querySelectorAll('#audit-table tbody tr:not(.empty)')].map(tr => [...tr.children].map(c => c.textContent.trim())))`)
	if err := json.Unmarshal([]byte(raw), &rows); err != nil {
		p.fail("reading the audit table: %v", err)
	}
	return rows
}

func (p *page) filterAudit(action string) {
	p.t.Helper()
	p.fill("#af-action", action)
	p.click(`#audit-filter button[type=submit]`)
	p.wait("the filtered audit log", fmt.Sprintf(`!document.querySelector('#audit-table[aria-busy]') && !document.querySelector('#audit-filter[aria-busy]') && [...document.querySelectorAll('#audit-table tbody tr')].every(tr => tr.classList.contains('empty') || tr.querySelector('th').textContent.trim() === %q || %q === '')`, action, action))
}

func TestConsoleAuditLog(t *testing.T) {
	p := openPage(t)
	// The server's clock starts two hours ago, so the history ends now.
	srv := startLatchkey(t, testserver.Options{Clock: testserver.NewClock(time.Now().Add(-2 * time.Hour))})
	a := api{t: t, base: srv.URL}
	owner := a.must(200, "POST", "/token", srv.AppToken, "", map[string]any{"username": srv.Username, "password": srv.Password})["token"].(string)
	id := regexp.MustCompile(`\b[0-9a-f]{24}\b`)

	// Two hours of history: first a user made and one made and deleted.
	dana := "dana-" + suffix()
	danaID := newUser(a, srv, owner, dana, "dana-password-1", "member")
	erinID := newUser(a, srv, owner, "erin-"+suffix(), "erin-password-1", "member")
	a.must(204, "DELETE", "/users/"+erinID, srv.AppToken, owner, nil)
	srv.Clock.Advance(2 * time.Hour)
	since := srv.Clock.Now().Add(-time.Hour).UTC()
	// Then an app token, an OBO token for dana, and more failed sign-ins
	// than one page of the API holds.
	app := a.must(201, "POST", "/app_tokens", srv.AppToken, owner, map[string]any{"name": "billing-sync"})
	obo := a.must(201, "POST", "/tokens", srv.AppToken, owner, map[string]any{"user": danaID})
	for i := 0; i < 510; i++ {
		a.call("POST", "/token", srv.AppToken, "", map[string]any{"username": "nobody", "password": "wrong-password"})
	}

	p.signIn(srv.URL+"/console/#/audit", "platform", srv.Username, srv.Password)
	p.wait("the audit log", `!document.querySelector('#view-audit').hidden && document.querySelector('#audit-table tbody tr') && !document.querySelector('#audit-table[aria-busy]')`)

	// Names instead of ids: who acted, whom and what it was done to.
	p.filterAudit("user.create")
	rows := p.auditRows()
	if len(rows) != 2 {
		t.Fatalf("user.create records: got %d rows, want 2: %v", len(rows), rows)
	}
	owned := func(cell string) bool { return cell == srv.Username+" (you)" }
	if !owned(rows[0][3]) || !strings.HasPrefix(rows[0][5], "deleted user") || rows[1][5] != dana {
		t.Errorf("user.create rows: got %v, want user %s, targets a deleted user and %s", rows, srv.Username, dana)
	}
	p.filterAudit("token.create")
	rows = p.auditRows()
	if len(rows) != 1 || !owned(rows[0][3]) || !strings.Contains(rows[0][5], "obo token for user "+dana) || id.MatchString(rows[0][3]+rows[0][5]) {
		t.Errorf("token.create row: got %v, want the owner's name and %s, no bare ids", rows, dana)
	}
	if got := p.eval(`document.querySelector('#audit-table tbody a').getAttribute('href')`); got != "#/find/"+obo["id"].(string) {
		t.Errorf("the OBO token's id links to %q, want its Find token address", got)
	}
	p.filterAudit("app_token.create")
	if rows = p.auditRows(); len(rows) != 1 || rows[0][5] != "billing-sync" {
		t.Errorf("app_token.create row: got %v, want the token's name", rows)
	}

	// Since: only what happened after the time given (the browser's local
	// time in the field).
	p.eval(fmt.Sprintf(`(() => { const d = new Date(%q), el = document.querySelector('#af-since'); el.value = new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 19); return ''; })()`, since.Format(time.RFC3339)))
	p.filterAudit("user.create")
	if rows = p.auditRows(); len(rows) != 0 {
		t.Errorf("user.create since %s: got %v, want none", since, rows)
	}
	p.filterAudit("")
	early := p.eval(fmt.Sprintf(`String([...document.querySelectorAll('#audit-table tbody time')].filter(t => new Date(t.getAttribute('datetime')) < new Date(%q)).length)`, since.Format(time.RFC3339)))
	if early != "0" {
		t.Errorf("%s records before %s listed", early, since)
	}
	// The picture: since the time, by the owner.
	p.choose("#af-user", p.eval(`document.querySelector('#af-user option[value]:not([value=""])').value`))
	p.wait("the owner's records", `!document.querySelector('#audit-table[aria-busy]') && document.querySelectorAll('#audit-table tbody tr').length < 10`)
	p.shot("audit-since")
	p.choose("#af-user", "")
	p.wait("everyone's records", `!document.querySelector('#audit-table[aria-busy]') && document.querySelectorAll('#audit-table tbody tr').length > 10`)

	// CSV: every page the filters select, with names.
	want := auditIDs(a, srv.AppToken, owner, "since="+url.QueryEscape(since.Format(time.RFC3339)))
	if len(want) <= 500 {
		t.Fatalf("the API has %d records since %s, want more than one page", len(want), since)
	}
	dir := p.downloads()
	p.click("#audit-export")
	name, body := p.downloaded(dir)
	if !regexp.MustCompile(`^latchkey-audit-\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d\.csv$`).MatchString(name) {
		t.Errorf("file name: got %q", name)
	}
	records := readCSV(t, body)
	if got := strings.Join(records[0], ","); got != "id,at,action,outcome,user_id,user,actor_id,actor,target,target_name,detail,ip,request_id" {
		t.Errorf("CSV header: got %q", got)
	}
	var got []string
	byAction := map[string][]string{}
	for _, r := range records[1:] {
		got = append(got, r[0])
		byAction[r[2]] = r
		if at, err := time.Parse(time.RFC3339, r[1]); err != nil || at.Before(since) {
			t.Errorf("CSV record at %q, want a time since %s", r[1], since)
		}
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("CSV has %d records, the API %d since %s (or in another order)", len(got), len(want), since)
	}
	if r := byAction["token.create"]; r == nil || r[5] != srv.Username || r[10] != "obo token for user "+dana {
		t.Errorf("CSV token.create: got %q, want the owner's name and %s in the detail", r, dana)
	}
	if r := byAction["app_token.create"]; r == nil || r[8] != app["id"] || r[9] != "billing-sync" {
		t.Errorf("CSV app_token.create: got %q, want its id and name", r)
	}
	if got := p.text("#audit-export-status"); !strings.HasPrefix(got, fmt.Sprintf("%d records exported", len(want))) {
		t.Errorf("export status: got %q", got)
	}

	// An export stops at its bound and says so.
	dir = p.downloads()
	p.eval(`document.querySelector('#audit-export').dataset.max = '120', ''`)
	p.click("#audit-export")
	_, body = p.downloaded(dir)
	if records = readCSV(t, body); len(records) != 121 || records[1][0] != want[0] || records[120][0] != want[119] {
		t.Errorf("bounded export: got %d rows, want the newest 120 records and the header", len(records))
	}
	if got := p.text("#audit-export-status"); !strings.Contains(got, "more than 120") {
		t.Errorf("bounded export status: got %q, want it to say more records were selected", got)
	}
	p.clean(owner, obo["token"].(string), app["app_token"].(string))
}

// readCSV parses a CSV export, which starts with a byte-order mark.
func readCSV(t *testing.T, body []byte) [][]string {
	t.Helper()
	if !bytes.HasPrefix(body, []byte("\uFEFF")) {
		t.Errorf("the CSV does not start with a byte-order mark")
	}
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(body, []byte("\uFEFF"))))
	records, err := r.ReadAll()
	if err != nil {
		t.Fatalf("reading the CSV: %v", err)
	}
	return records
}
