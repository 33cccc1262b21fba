package leaks_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/secret"
	"github.com/latchkey/latchkey/internal/testserver"
	"github.com/latchkey/latchkey/leaks"
)

// TestSignedReport: a report signed by a configured scanner key expires
// every live Latchkey token it names, of two tenants in one batch (app,
// user and refresh tokens), answers true_positive for exactly those, and
// the API refuses them from then on; tokens it does not name keep working,
// and each tenant's audit log records where its token was found without
// the token itself.
func TestSignedReport(t *testing.T) {
	s := testserver.Start(t)
	old, current := newScanner(t, "old-key"), newScanner(t, "current-key")
	trust(t, s, old, current)

	acme := s.NewTenant(t, "acme")
	leakedLogin := login(t, s, acme.AppToken, "owner", "owner-password")
	leakedRefresh := login(t, s, acme.AppToken, "owner", "owner-password")
	// A spent refresh token: its successor is live, and ends with it.
	spent := login(t, s, acme.AppToken, "owner", "owner-password")
	successor := s.Must(t, http.StatusOK, testserver.Request{Method: "POST", Path: "/api/v1/token/refresh",
		AppToken: acme.AppToken, JSON: map[string]any{"refresh_token": spent.refresh}}).String("token")
	loggedOut := login(t, s, acme.AppToken, "owner", "owner-password")
	s.Must(t, http.StatusNoContent, testserver.Request{Method: "DELETE", Path: "/api/v1/token", AppToken: acme.AppToken, Token: loggedOut.token})

	globex := s.NewTenant(t, "globex")
	leakedApp := s.Must(t, http.StatusCreated, testserver.Request{Method: "POST", Path: "/api/v1/app_tokens",
		AppToken: globex.AppToken, Token: globex.OwnerToken, JSON: map[string]any{"name": "ci"}}).String("app_token")
	leakedPersonal := s.Must(t, http.StatusCreated, testserver.Request{Method: "POST", Path: "/api/v1/tokens",
		AppToken: globex.AppToken, Token: globex.OwnerToken, JSON: map[string]any{}}).String("token")

	madeUp := s.Keys.NewToken(secret.User, acme.ID, ids.New())     // right shape, no record
	noTenant := s.Keys.NewToken(secret.App, "aaaaaaaa", ids.New()) // a tenant that does not exist
	// Another installation's token: its tag does not verify here.
	foreign := secret.NewRandomKeyring().NewToken(secret.User, acme.ID, ids.New())
	entries := []string{
		leakedLogin.token, leakedRefresh.refresh, spent.refresh, loggedOut.token, leakedApp, leakedPersonal,
		"ghp_16C7e42F292c6912E7710c838347Ae178B4a", madeUp, noTenant, leakedApp, "lku_not-a-token", foreign,
	}
	want := []string{"true_positive", "true_positive", "false_positive", "false_positive", "true_positive", "true_positive",
		"false_positive", "false_positive", "false_positive", "true_positive", "false_positive", "false_positive"}

	r := signed(t, s, current, report(t, entries...))
	if got := labels(t, r); !slices.Equal(got, want) {
		t.Errorf("labels: got %v, want %v", got, want)
	}
	if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control: got %q, want no-store (the answer echoes the tokens)", cc)
	}
	if !strings.Contains(string(r.Body), `"token_raw":"`+leakedApp+`","token_type":"latchkey_token"`) {
		t.Errorf("answer %s does not echo token_raw and token_type", r.Body)
	}

	// The API refuses every token the report named, and no other.
	if works(t, s, acme.AppToken, leakedLogin.token) {
		t.Errorf("a reported user token still works")
	}
	if works(t, s, acme.AppToken, leakedRefresh.token) || refreshes(t, s, acme.AppToken, leakedRefresh.refresh) {
		t.Errorf("a reported refresh token (or its user token) still works")
	}
	if works(t, s, acme.AppToken, successor) {
		t.Errorf("the successor of a reported spent refresh token still works: its chain must end")
	}
	if works(t, s, leakedApp, globex.OwnerToken) {
		t.Errorf("a reported app token still works")
	}
	if works(t, s, globex.AppToken, leakedPersonal) {
		t.Errorf("a reported personal token still works")
	}
	if !works(t, s, acme.AppToken, acme.OwnerToken) || !works(t, s, globex.AppToken, globex.OwnerToken) {
		t.Errorf("tokens the report did not name stopped working")
	}

	// Each tenant's audit log names the records, the source and the URL,
	// never a token string; the platform's has the report.
	auditOf := func(tn *testserver.Tenant, action string) string {
		return string(s.Must(t, http.StatusOK, testserver.Request{Method: "GET", Path: "/api/v1/audit?action=" + action,
			AppToken: tn.AppToken, Token: tn.OwnerToken}).Body)
	}
	acmeLog, globexLog := auditOf(acme, "token.leak"), auditOf(globex, "app_token.leak")+auditOf(globex, "token.leak")
	for _, want := range []string{"https://github.com/octo/repo/blob/abc/config.env", "found by content",
		"signed with key current-key", "expired now", "whole refresh chain ended"} {
		if !strings.Contains(acmeLog, want) {
			t.Errorf("acme's audit lacks %q: %s", want, acmeLog)
		}
	}
	if n := strings.Count(acmeLog, `"action":"token.leak"`); n != 4 {
		t.Errorf("acme's audit has %d token.leak records, want 4 (login, refresh, spent refresh, logged out)", n)
	}
	if n := strings.Count(globexLog, `.leak"`); n != 2 {
		t.Errorf("globex's audit has %d leak records, want 2 (app token, personal token)", n)
	}
	platform := &testserver.Tenant{AppToken: s.AppToken, OwnerToken: s.OwnerToken(t)}
	platformLog := auditOf(platform, "leaks.report")
	if !strings.Contains(platformLog, "12 entries, 6 Latchkey tokens found, 4 of them live") {
		t.Errorf("platform's audit lacks the report summary: %s", platformLog)
	}
	for _, tok := range entries[:6] {
		if strings.Contains(acmeLog+globexLog+platformLog, tok) {
			t.Errorf("an audit record holds a reported token string")
		}
	}

	// A second report of the same tokens finds nothing live; the old key
	// still signs (rotation).
	if got := labels(t, signed(t, s, old, report(t, leakedLogin.token, leakedApp))); !slices.Equal(got, []string{"false_positive", "false_positive"}) {
		t.Errorf("second report: got %v, want both false_positive", got)
	}

	metrics := string(s.Must(t, http.StatusOK, testserver.Request{Method: "GET", Path: "/metrics"}).Body)
	for _, want := range []string{
		`latchkey_leaked_tokens_total{kind="app_token",label="true_positive"} 2`,
		`latchkey_leaked_tokens_total{kind="user_token",label="true_positive"} 2`,
		`latchkey_leaked_tokens_total{kind="refresh_token",label="true_positive"} 1`,
		`latchkey_leaked_tokens_total{kind="other",label="false_positive"} 5`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// TestBadSignatureExpiresNothing: a report whose signature is missing,
// malformed, made by another key, made over another body, or names a key
// the server does not know is 401 with the header at fault, and expires
// nothing.
func TestBadSignatureExpiresNothing(t *testing.T) {
	s := testserver.Start(t)
	good, stranger := newScanner(t, "good"), newScanner(t, "good")
	acme := s.NewTenant(t, "acme")
	victim := login(t, s, acme.AppToken, "owner", "owner-password")
	body := report(t, victim.token, acme.AppToken)
	other := report(t, victim.token)
	cases := []struct {
		name    string
		trusted []*scanner
		headers map[string]string
		field   string
	}{
		{"another key under a known id", []*scanner{good},
			map[string]string{leaks.KeyIDHeader: "good", leaks.SignatureHeader: stranger.sign(t, body)}, leaks.SignatureHeader},
		{"signature of another body", []*scanner{good},
			map[string]string{leaks.KeyIDHeader: "good", leaks.SignatureHeader: good.sign(t, other)}, leaks.SignatureHeader},
		{"unknown key id", []*scanner{good},
			map[string]string{leaks.KeyIDHeader: "retired", leaks.SignatureHeader: good.sign(t, body)}, leaks.KeyIDHeader},
		{"signature not base64", []*scanner{good},
			map[string]string{leaks.KeyIDHeader: "good", leaks.SignatureHeader: "not base64!"}, leaks.SignatureHeader},
		{"signature missing", []*scanner{good}, map[string]string{leaks.KeyIDHeader: "good"}, leaks.SignatureHeader},
		{"key id missing", []*scanner{good}, map[string]string{leaks.SignatureHeader: good.sign(t, body)}, leaks.KeyIDHeader},
		{"no keys configured", nil,
			map[string]string{leaks.KeyIDHeader: "good", leaks.SignatureHeader: good.sign(t, body)}, leaks.KeyIDHeader},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			trust(t, s, tc.trusted...)
			r := post(t, s, body, tc.headers)
			if r.Status != http.StatusUnauthorized {
				t.Fatalf("got status %d, want 401; body %s", r.Status, r.Body)
			}
			testserver.WantErrors(t, r, map[string]string{tc.field: "*"})
			if !works(t, s, acme.AppToken, victim.token) || !works(t, s, acme.AppToken, acme.OwnerToken) {
				t.Errorf("a rejected report expired a token")
			}
		})
	}
	// The same body, signed right, does expire them: the cases above failed
	// for their signatures alone.
	trust(t, s, good)
	if got := labels(t, signed(t, s, good, body)); !slices.Equal(got, []string{"true_positive", "true_positive"}) {
		t.Errorf("signed right: got %v, want both true_positive", got)
	}
}

// TestOwnerReport: scanners without a key report as a platform owner with
// App-Token and Token; anyone else is refused and expires nothing.
func TestOwnerReport(t *testing.T) {
	s := testserver.Start(t)
	acme := s.NewTenant(t, "acme")
	victim := login(t, s, acme.AppToken, "owner", "owner-password")
	owner := s.OwnerToken(t)
	s.NewUser(t, s.AppToken, owner, "platform-admin", "admin")
	platformAdmin := s.Login(t, s.AppToken, "platform-admin", "platform-admin-password")
	body := report(t, victim.token)

	refused := []struct {
		name    string
		headers map[string]string
		status  int
		fields  map[string]string
	}{
		{"no credentials", nil, http.StatusUnauthorized, map[string]string{"App-Token": "*", leaks.SignatureHeader: "*"}},
		{"app token alone", map[string]string{"App-Token": s.AppToken}, http.StatusUnauthorized, map[string]string{"Token": "*"}},
		{"a platform admin", map[string]string{"App-Token": s.AppToken, "Token": platformAdmin}, http.StatusForbidden,
			map[string]string{"permission": "*"}},
		{"another tenant's owner", map[string]string{"App-Token": acme.AppToken, "Token": acme.OwnerToken}, http.StatusForbidden,
			map[string]string{"permission": "*"}},
	}
	for _, tc := range refused {
		r := post(t, s, body, tc.headers)
		if r.Status != tc.status {
			t.Errorf("%s: got status %d, want %d; body %s", tc.name, r.Status, tc.status, r.Body)
			continue
		}
		testserver.WantErrors(t, r, tc.fields)
	}
	if !works(t, s, acme.AppToken, victim.token) {
		t.Fatalf("a refused report expired the token")
	}

	r := post(t, s, body, map[string]string{"App-Token": s.AppToken, "Token": owner})
	if got := labels(t, r); !slices.Equal(got, []string{"true_positive"}) {
		t.Errorf("owner's report: got %v, want [true_positive]", got)
	}
	if works(t, s, acme.AppToken, victim.token) {
		t.Errorf("a token reported by the platform owner still works")
	}
	log := string(s.Must(t, http.StatusOK, testserver.Request{Method: "GET", Path: "/api/v1/audit?action=token.leak",
		AppToken: acme.AppToken, Token: acme.OwnerToken}).Body)
	if !strings.Contains(log, "reported by platform owner admin") || strings.Contains(log, `"user":"`) {
		t.Errorf("acme's audit record should name the platform owner in its detail and carry no user of another tenant: %s", log)
	}
}

// TestReportInput: malformed and oversized reports are refused whole with
// the field at fault, and expire nothing.
func TestReportInput(t *testing.T) {
	s := testserver.Start(t)
	sc := newScanner(t, "k")
	trust(t, s, sc)
	acme := s.NewTenant(t, "acme")
	victim := login(t, s, acme.AppToken, "owner", "owner-password")

	tooMany := make([]string, leaks.MaxEntries+1)
	for i := range tooMany {
		tooMany[i] = victim.token
	}
	big := []byte(`[{"token":"` + victim.token + `","url":"` + strings.Repeat("x", leaks.MaxBody) + `"}]`)
	cases := []struct {
		name   string
		body   string
		status int
		fields map[string]string
	}{
		{"too many entries", string(report(t, tooMany...)), http.StatusRequestEntityTooLarge, map[string]string{"body": "*"}},
		{"body too large", string(big), http.StatusRequestEntityTooLarge, map[string]string{"body": "*"}},
		{"an object", `{"token":"` + victim.token + `"}`, http.StatusBadRequest, map[string]string{"body": "*"}},
		{"not JSON", `[{"token":`, http.StatusBadRequest, map[string]string{"body": "*"}},
		{"empty", ``, http.StatusBadRequest, map[string]string{"body": "*"}},
		{"invalid UTF-8", "[{\"token\":\"" + victim.token + "\",\"url\":\"\xff\"}]", http.StatusBadRequest, map[string]string{"body": "*"}},
		{"a name twice", `[{"token":"lku_decoy","token":"` + victim.token + `"}]`, http.StatusBadRequest,
			map[string]string{"[0].token": "Give this field once."}},
		{"a name twice in an ignored field", `[{"token":"` + victim.token + `","extra":{"a":1,"a":2}}]`, http.StatusBadRequest,
			map[string]string{"[0].extra.a": "Give this field once."}},
		{"lone surrogate", `[{"token":"` + victim.token + `","url":"\ud800"}]`, http.StatusBadRequest,
			map[string]string{"body": "The body is not valid UTF-8."}},
		{"trailing data", `[{"token":"` + victim.token + `"}] []`, http.StatusBadRequest, map[string]string{"body": "*"}},
		{"bad entries", `[{"token":"` + victim.token + `"}, 7, {"token": 12}, {"type":"x"}, {"token":"a","url":` +
			`"` + strings.Repeat("u", 4097) + `","source":["x"]}]`, http.StatusBadRequest,
			map[string]string{"[1]": "*", "[2].token": "Must be a string.", "[3].token": "This field is required.",
				"[4].url": "Must be at most 4096 characters.", "[4].source": "Must be a string."}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := signed(t, s, sc, []byte(tc.body))
			if r.Status != tc.status {
				t.Fatalf("got status %d, want %d; body %.300s", r.Status, tc.status, r.Body)
			}
			testserver.WantErrors(t, r, tc.fields)
			if !works(t, s, acme.AppToken, victim.token) {
				t.Fatalf("a refused report expired the token")
			}
		})
	}
	// An empty report and extra fields are fine.
	if got := labels(t, signed(t, s, sc, []byte(`[]`))); len(got) != 0 {
		t.Errorf("empty report: got %v, want []", got)
	}
	extra := []byte(`[{"token":"` + victim.token + `","type":"latchkey_user_token","url":"u","source":"commit","commit":"abc"}]`)
	if got := labels(t, signed(t, s, sc, extra)); !slices.Equal(got, []string{"true_positive"}) {
		t.Errorf("entry with an extra field: got %v, want [true_positive]", got)
	}
}
