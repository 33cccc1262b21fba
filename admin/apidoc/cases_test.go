package apidoc_test

import (
	"bytes"
	"context"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/admin/apidoc"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/testserver"
	"github.com/latchkey/latchkey/webhooks"
)

// big is a JSON body over the 64 KiB limit; the description accepts it
// where a "name" is allowed, the server never.
var big = `{"name":"` + strings.Repeat("a", 70<<10) + `"}`

// world is what the conformance cases act on: the platform, and a tenant
// "acme" with one user of every role, each logged in.
type world struct {
	k                          *checker
	platform                   string // the platform owner's token
	app                        string // acme's app token
	tenantID                   string
	owner, admin, support, mem string // tokens
	ownerID, adminID, memID    string
	supportID                  string
}

// TestConformance drives every operation of the description through its
// success and its failure cases on a real server, and holds every request
// and answer against the description (kin-openapi's openapi3filter). It
// fails for an answer whose status, header or field the description lacks,
// for a request the description and the server judge differently, and for
// an operation the cases never drove to a success and a failure. Every
// time in every answer must be written in RFC 3339 UTC with three
// fractional digits (checkTimes): the clock starts on a whole second and
// moves to .300 and .301, so answers hold times whose trailing zeros
// time.RFC3339Nano would drop, and then back to a whole second, so that
// every later answer would show its times without them.
func TestConformance(t *testing.T) {
	s := testserver.StartWith(t, testserver.Options{Clock: testserver.NewClock(time.Now().UTC().Truncate(time.Second))})
	k := newChecker(t, s)
	w := &world{k: k, platform: s.OwnerToken(t)}

	t.Run("meta", func(t *testing.T) { metaCases(t, w) })
	t.Run("tenants", func(t *testing.T) { tenantCases(t, w) })
	s.Clock.Advance(300 * time.Millisecond)
	t.Run("scopes", func(t *testing.T) { scopeCases(t, w) })
	s.Clock.Advance(time.Millisecond)
	t.Run("users", func(t *testing.T) { userCases(t, w) })
	s.Clock.Advance(699 * time.Millisecond)
	t.Run("sessions", func(t *testing.T) { sessionCases(t, w) })
	t.Run("app tokens", func(t *testing.T) { appTokenCases(t, w) })
	t.Run("tokens", func(t *testing.T) { tokenCases(t, w) })
	t.Run("audit", func(t *testing.T) { auditCases(t, w) })
	t.Run("usage", func(t *testing.T) { usageCases(t, w) })
	t.Run("webhooks", func(t *testing.T) { webhookCases(t, w) })
	t.Run("verify", func(t *testing.T) { verifyCases(t, w) })
	t.Run("leaks", func(t *testing.T) { leakCases(t, w) })
	t.Run("tenant deletion", func(t *testing.T) { tenantDeleteCases(t, w) })

	// Operations that cannot fail: they read no input and no store.
	cannotFail := []string{"getOpenAPI"}
	for _, op := range slices.Sorted(maps.Values(operations(k.doc))) {
		var ok, failed bool
		for status := range k.seen[op] {
			ok = ok || status < 300
			failed = failed || status >= 400
		}
		if !ok {
			t.Errorf("operation %s was never driven to a success: add its cases to admin/apidoc/cases_test.go", op)
		}
		if !failed && !slices.Contains(cannotFail, op) {
			t.Errorf("operation %s was never driven to a failure: add its cases to admin/apidoc/cases_test.go", op)
		}
	}
	if k.times.whole == 0 || k.times.tenths == 0 || k.times.other == 0 {
		t.Errorf("answers held %d times on a whole second, %d on tenths, %d others: want some of each", k.times.whole,
			k.times.tenths, k.times.other)
	}
	var pairs int
	for _, st := range k.seen {
		pairs += len(st)
	}
	t.Logf("%d operations, %d (operation, status) pairs seen; times on a whole second %d, on tenths %d, others %d",
		len(k.seen), pairs, k.times.whole, k.times.tenths, k.times.other)
}

func metaCases(t *testing.T, w *world) {
	// Public: no App-Token.
	a := w.k.Do(t, call{Method: "GET", Path: "/openapi.yaml", Want: 200})
	if !bytes.Equal(a.Body, apidoc.OpenAPI) || !strings.HasPrefix(a.Header.Get("Content-Type"), "application/yaml") {
		t.Errorf("got %q, %d bytes, want the embedded YAML document (%d bytes)", a.Header.Get("Content-Type"), len(a.Body), len(apidoc.OpenAPI))
	}
}

func tenantCases(t *testing.T, w *world) {
	k, p := w.k, w.platform
	admin := map[string]any{"username": "owner", "password": "owner-password", "email": "owner@acme.test"}
	a := k.Must(t, call{Method: "POST", Path: "/tenants", App: k.s.AppToken, User: p, Want: 201,
		JSON: map[string]any{"slug": "acme", "name": "Acme", "admin": admin,
			"settings": map[string]any{"lockout_attempts": 2}}})
	w.app = a.String("app_token")
	w.tenantID = a.JSON["tenant"].(map[string]any)["id"].(string)
	w.ownerID = a.JSON["admin"].(map[string]any)["id"].(string)
	w.owner = k.s.Login(t, w.app, "owner", "owner-password")

	k.Do(t, call{Method: "POST", Path: "/tenants", App: k.s.AppToken, User: p, Want: 409,
		JSON: map[string]any{"slug": "acme", "name": "Acme again", "admin": admin}})
	k.Do(t, call{Method: "POST", Path: "/tenants", App: k.s.AppToken, User: p, Want: 400, Refused: true,
		JSON: map[string]any{"slug": "Not A Slug", "name": "", "admin": map[string]any{}}})
	k.Do(t, call{Method: "POST", Path: "/tenants", App: k.s.AppToken, User: p, Want: 400, Refused: true,
		JSON: map[string]any{"slug": "beta", "name": "Beta", "admin": admin, "ROLE": "owner"}})
	k.Do(t, call{Method: "POST", Path: "/tenants", App: w.app, User: w.owner, Want: 403,
		JSON: map[string]any{"slug": "beta", "name": "Beta", "admin": admin}})
	k.Do(t, call{Method: "POST", Path: "/tenants", App: k.s.AppToken, User: p, Want: 413, JSON: big, Refused: true})
	k.Do(t, call{Method: "POST", Path: "/tenants", App: k.s.AppToken, Want: 401, Refused: true,
		JSON: map[string]any{"slug": "beta", "name": "Beta", "admin": admin}})

	k.Do(t, call{Method: "GET", Path: "/tenants?limit=1", App: k.s.AppToken, User: p, Want: 200})
	page := k.Must(t, call{Method: "GET", Path: "/tenants?limit=1", App: k.s.AppToken, User: p, Want: 200})
	k.Do(t, call{Method: "GET", Path: "/tenants?limit=1&cursor=" + url.QueryEscape(page.String("next_cursor")),
		App: k.s.AppToken, User: p, Want: 200})
	k.Do(t, call{Method: "GET", Path: "/tenants?limit=0", App: k.s.AppToken, User: p, Want: 400, Refused: true})
	k.Do(t, call{Method: "GET", Path: "/tenants?cursor=NOT!A!SLUG", App: k.s.AppToken, User: p, Want: 400})
	k.Do(t, call{Method: "GET", Path: "/tenants", App: w.app, User: w.owner, Want: 403})

	k.Do(t, call{Method: "GET", Path: "/tenants/acme", App: k.s.AppToken, User: p, Want: 200})
	k.Do(t, call{Method: "GET", Path: "/tenants/" + w.tenantID, App: k.s.AppToken, User: p, Want: 200})
	k.Do(t, call{Method: "GET", Path: "/tenants/nobody", App: k.s.AppToken, User: p, Want: 404})
	k.Do(t, call{Method: "GET", Path: "/tenants/acme", App: w.app, User: w.owner, Want: 403})

	k.Do(t, call{Method: "PATCH", Path: "/tenants/acme", App: k.s.AppToken, User: p, Want: 200,
		JSON: map[string]any{"name": "Acme Inc.", "settings": map[string]any{"allow_signup": false}}})
	k.Do(t, call{Method: "PATCH", Path: "/tenants/platform", App: k.s.AppToken, User: p, Want: 409,
		JSON: map[string]any{"status": "disabled"}})
	k.Do(t, call{Method: "PATCH", Path: "/tenants/acme", App: k.s.AppToken, User: p, Want: 400, Refused: true,
		JSON: map[string]any{"settings": map[string]any{"lockout_attempts": 0, "bogus": 1}}})
	k.Do(t, call{Method: "PATCH", Path: "/tenants/acme", App: k.s.AppToken, User: p, Want: 400,
		JSON: map[string]any{"settings": map[string]any{"user_token_ttl": 999999999}}})
	k.Do(t, call{Method: "PATCH", Path: "/tenants/nobody", App: k.s.AppToken, User: p, Want: 404,
		JSON: map[string]any{"name": "x"}})
	k.Do(t, call{Method: "PATCH", Path: "/tenants/acme", App: w.app, User: w.owner, Want: 403,
		JSON: map[string]any{"name": "x"}})
	k.Do(t, call{Method: "PATCH", Path: "/tenants/acme", App: k.s.AppToken, User: p, Want: 413, JSON: big})

	owners := "/tenants/acme/owners"
	restored := map[string]any{"username": "second-owner", "password": "second-password", "email": "second@acme.test"}
	k.Do(t, call{Method: "POST", Path: owners, App: k.s.AppToken, User: p, Want: 201, JSON: restored})
	k.Do(t, call{Method: "POST", Path: owners, App: k.s.AppToken, User: p, Want: 409, JSON: restored})
	k.Do(t, call{Method: "POST", Path: owners, App: k.s.AppToken, User: p, Want: 400, Refused: true,
		JSON: map[string]any{"username": "x", "password": "short", "role": "member"}})
	k.Do(t, call{Method: "POST", Path: "/tenants/nowhere/owners", App: k.s.AppToken, User: p, Want: 404, JSON: restored})
	k.Do(t, call{Method: "POST", Path: owners, App: w.app, User: w.owner, Want: 403, JSON: restored})
	k.Do(t, call{Method: "POST", Path: owners, App: k.s.AppToken, User: p, Want: 413, JSON: big, Refused: true})
	k.Do(t, call{Method: "POST", Path: owners, App: k.s.AppToken, Want: 401, Refused: true, JSON: restored})
}

func userCases(t *testing.T, w *world) {
	k, o := w.k, w.owner
	newUser := func(name, role string) map[string]any {
		return map[string]any{"username": name, "password": name + "-password", "email": name + "@acme.test", "role": role}
	}
	w.adminID = k.Must(t, call{Method: "POST", Path: "/users", App: w.app, User: o, Want: 201, JSON: newUser("adam", "admin")}).String("id")
	w.supportID = k.Must(t, call{Method: "POST", Path: "/users", App: w.app, User: o, Want: 201, JSON: newUser("sue", "support")}).String("id")
	w.memID = k.Must(t, call{Method: "POST", Path: "/users", App: w.app, User: o, Want: 201, JSON: newUser("mel", "member")}).String("id")
	w.admin = k.s.Login(t, w.app, "adam", "adam-password")
	w.support = k.s.Login(t, w.app, "sue", "sue-password")
	w.mem = k.s.Login(t, w.app, "mel", "mel-password")

	k.Do(t, call{Method: "POST", Path: "/users", App: w.app, User: o, Want: 409, JSON: newUser("ADAM", "member")})
	k.Do(t, call{Method: "POST", Path: "/users", App: w.app, User: o, Want: 400, Refused: true,
		JSON: map[string]any{"username": "x", "password": "short", "email": "nope", "role": "king"}})
	k.Do(t, call{Method: "POST", Path: "/users", App: w.app, User: o, Want: 400, JSON: map[string]any{
		"username": "valid-name", "password": "long-enough", "email": "not an email", "role": "member"}})
	k.Do(t, call{Method: "POST", Path: "/users", App: w.app, User: w.admin, Want: 403, JSON: newUser("olga", "owner")})
	k.Do(t, call{Method: "POST", Path: "/users", App: w.app, User: w.mem, Want: 403, JSON: newUser("max", "member")})
	k.Do(t, call{Method: "POST", Path: "/users", App: w.app, User: o, Want: 413, JSON: big, Refused: true})

	k.Do(t, call{Method: "GET", Path: "/users?role=member&status=active&q=me&limit=10", App: w.app, User: o, Want: 200})
	k.Do(t, call{Method: "GET", Path: "/users?role=king", App: w.app, User: o, Want: 400, Refused: true})
	k.Do(t, call{Method: "GET", Path: "/users?cursor=zzz", App: w.app, User: o, Want: 400})
	k.Do(t, call{Method: "GET", Path: "/users", App: w.app, User: w.mem, Want: 403})

	k.Do(t, call{Method: "GET", Path: "/users/me", App: w.app, User: w.mem, Want: 200})
	k.Do(t, call{Method: "GET", Path: "/users/me", App: w.app, Want: 401, Refused: true})
	k.Do(t, call{Method: "GET", Path: "/users/me", App: w.app, User: "lku_nottoken", Want: 401})
	k.Do(t, call{Method: "GET", Path: "/users/me", App: w.app, Header: map[string]string{"Authorization": "Bearer " + w.mem}, Want: 200})

	k.Do(t, call{Method: "GET", Path: "/users/" + w.memID, App: w.app, User: w.support, Want: 200})
	k.Do(t, call{Method: "GET", Path: "/users/" + w.memID, App: w.app, User: w.mem, Want: 200})
	k.Do(t, call{Method: "GET", Path: "/users/" + w.adminID, App: w.app, User: w.mem, Want: 403})
	k.Do(t, call{Method: "GET", Path: "/users/0123456789abcdef01234567", App: w.app, User: o, Want: 404})
	k.Do(t, call{Method: "GET", Path: "/users/" + strings.Repeat("n", 255), App: w.app, User: o, Want: 400, Refused: true})
	k.Do(t, call{Method: "GET", Path: "/users/nope", App: w.app, User: o, Want: 404})

	k.Do(t, call{Method: "PATCH", Path: "/users/" + w.memID, App: w.app, User: o, Want: 200, JSON: map[string]any{"email": "mel@new.test"}})
	k.Do(t, call{Method: "PATCH", Path: "/users/" + w.memID, App: w.app, User: w.mem, Want: 200, JSON: map[string]any{"email": "mel@acme.test"}})
	k.Do(t, call{Method: "PATCH", Path: "/users/" + w.ownerID, App: w.app, User: o, Want: 409, JSON: map[string]any{"role": "member"}})
	k.Do(t, call{Method: "PATCH", Path: "/users/" + w.ownerID, App: w.app, User: w.admin, Want: 403, JSON: map[string]any{"email": "x@y.z"}})
	k.Do(t, call{Method: "PATCH", Path: "/users/0123456789abcdef01234567", App: w.app, User: o, Want: 404, JSON: map[string]any{"email": "x@y.z"}})
	k.Do(t, call{Method: "PATCH", Path: "/users/" + w.memID, App: w.app, User: o, Want: 400, Refused: true, JSON: map[string]any{"status": "asleep"}})
	k.Do(t, call{Method: "PATCH", Path: "/users/" + w.memID, App: w.app, User: o, Want: 400, Refused: true, JSON: map[string]any{"email": 5}})
	k.Do(t, call{Method: "PATCH", Path: "/users/" + w.memID, App: w.app, User: o, Want: 413, Refused: true, JSON: big})
	// A user's own password: current_password missing, wrong, right; two
	// wrong ones lock the username (acme's lockout_attempts is 2).
	pat := k.Must(t, call{Method: "POST", Path: "/users", App: w.app, User: o, Want: 201, JSON: newUser("pat", "member")}).String("id")
	patTok := k.s.Login(t, w.app, "pat", "pat-password")
	own := func(want int, current any) {
		body := map[string]any{"password": "pat-new-password"}
		if current != nil {
			body["current_password"] = current
		}
		k.Do(t, call{Method: "PATCH", Path: "/users/" + pat, App: w.app, User: patTok, Want: want, JSON: body})
	}
	own(400, nil)
	own(403, "not-pats-password")
	own(200, "pat-password")
	own(403, "not-pats-password")
	own(429, "pat-new-password")
	// Support ends pat's lockout; members may not.
	k.Do(t, call{Method: "POST", Path: "/users/" + pat + "/unlock", App: w.app, User: w.mem, Want: 403})
	k.Do(t, call{Method: "POST", Path: "/users/" + strings.Repeat("n", 255) + "/unlock", App: w.app, User: w.support, Want: 400, Refused: true})
	k.Do(t, call{Method: "POST", Path: "/users/0123456789abcdef01234567/unlock", App: w.app, User: w.support, Want: 404})
	k.Do(t, call{Method: "POST", Path: "/users/" + pat + "/unlock", App: w.app, User: w.support, Want: 204})
	k.s.Login(t, w.app, "pat", "pat-new-password")

	gone := k.Must(t, call{Method: "POST", Path: "/users", App: w.app, User: o, Want: 201, JSON: newUser("gone", "member")}).String("id")
	k.Do(t, call{Method: "DELETE", Path: "/users/" + gone, App: w.app, User: w.support, Want: 403})
	k.Do(t, call{Method: "DELETE", Path: "/users/" + gone, App: w.app, User: o, Want: 204})
	k.Do(t, call{Method: "DELETE", Path: "/users/" + gone, App: w.app, User: o, Want: 404})
	k.Do(t, call{Method: "DELETE", Path: "/users/" + w.ownerID, App: w.app, User: o, Want: 409})
	k.Do(t, call{Method: "DELETE", Path: "/users/" + strings.Repeat("x", 255), App: w.app, User: o, Want: 400, Refused: true})
	k.Do(t, call{Method: "DELETE", Path: "/users/nobody-at-all", App: w.app, User: o, Want: 404})
}

func sessionCases(t *testing.T, w *world) {
	k := w.k
	console := k.Must(t, call{Method: "POST", Path: "/console/login", Want: 200, JSON: map[string]any{"tenant": "acme", "username": "mel", "password": "mel-password"}}).String("token")
	k.Do(t, call{Method: "GET", Path: "/token", App: "console", User: console, Want: 200})
	k.Do(t, call{Method: "GET", Path: "/app_tokens/000000000000000000000001", App: w.app, User: w.owner, Want: 200})
	k.Do(t, call{Method: "DELETE", Path: "/app_tokens/000000000000000000000001", App: w.app, User: w.owner, Want: 409})
	k.Do(t, call{Method: "POST", Path: "/console/login", Want: 401, JSON: map[string]any{"tenant": "nope", "username": "mel", "password": "mel-password"}})
	k.Do(t, call{Method: "POST", Path: "/console/login", Want: 400, Refused: true, JSON: map[string]any{"username": "mel", "password": "mel-password"}})
	k.Do(t, call{Method: "POST", Path: "/console/login", Want: 400, Refused: true, JSON: map[string]any{"tenant": "acme", "username": "mel", "password": "mel-password", "app_token": "x"}})
	k.Do(t, call{Method: "POST", Path: "/token", App: w.app, Want: 200, JSON: map[string]any{"username": "mel", "password": "mel-password", "long": true}})
	k.Do(t, call{Method: "POST", Path: "/token", App: w.app, Want: 200, Form: url.Values{"username": {"mel"}, "password": {"mel-password"}, "seconds_until_expire": {"600"}}})
	login := k.Must(t, call{Method: "POST", Path: "/token", App: w.app, Want: 200, Basic: []string{"mel", "mel-password"}})
	k.Do(t, call{Method: "POST", Path: "/token", App: w.app, Want: 401, JSON: map[string]any{"username": "mel", "password": "wrong-password"}})
	k.Do(t, call{Method: "POST", Path: "/token", App: w.app, Want: 400, JSON: map[string]any{}})
	k.Do(t, call{Method: "POST", Path: "/token", App: w.app, Want: 400, JSON: map[string]any{"username": "mel", "password": "mel-password", "long": true, "seconds_until_expire": 60}})
	k.Do(t, call{Method: "POST", Path: "/token", App: w.app, Want: 400, Refused: true, JSON: map[string]any{"username": "mel", "password": "mel-password", "seconds_until_expire": 0}})
	k.Do(t, call{Method: "POST", Path: "/token", App: w.app, Want: 400, Refused: true, JSON: map[string]any{"username": "mel", "password": "mel-password", "remember": true}})
	k.Do(t, call{Method: "POST", Path: "/token", App: w.app, Want: 400, Refused: true, JSON: `{"username": ["mel"]}`})
	k.Do(t, call{Method: "POST", Path: "/token", Want: 401, Refused: true, JSON: map[string]any{"username": "mel", "password": "mel-password"}})
	k.Do(t, call{Method: "POST", Path: "/token", App: "lka_forged", Want: 401, JSON: map[string]any{"username": "mel", "password": "mel-password"}})
	k.Do(t, call{Method: "POST", Path: "/token", App: w.app, Want: 413, JSON: `{"username":"` + strings.Repeat("a", 70<<10) + `"}`})
	// acme locks a username after 2 failures (its lockout_attempts).
	k.Do(t, call{Method: "POST", Path: "/token", App: w.app, Want: 401, JSON: map[string]any{"username": "sue", "password": "wrong-password"}})
	k.Do(t, call{Method: "POST", Path: "/token", App: w.app, Want: 401, JSON: map[string]any{"username": "sue", "password": "wrong-password"}})
	k.Do(t, call{Method: "POST", Path: "/token", App: w.app, Want: 429, JSON: map[string]any{"username": "sue", "password": "sue-password"}})

	tok := login.String("token")
	k.Do(t, call{Method: "GET", Path: "/token", App: w.app, User: tok, Want: 200})
	k.Do(t, call{Method: "GET", Path: "/token", App: w.app, Want: 401, Refused: true})
	k.Do(t, call{Method: "GET", Path: "/token", App: k.s.AppToken, User: tok, Want: 401})
	k.Do(t, call{Method: "PATCH", Path: "/token", App: w.app, User: tok, Want: 200, JSON: map[string]any{"seconds_until_expire": 3600}})
	k.Do(t, call{Method: "PATCH", Path: "/token", App: w.app, User: tok, Want: 400, JSON: map[string]any{"seconds_until_expire": 99999999999}})
	k.Do(t, call{Method: "PATCH", Path: "/token", App: w.app, User: tok, Want: 400, Refused: true, JSON: map[string]any{}})
	k.Do(t, call{Method: "PATCH", Path: "/token", App: w.app, User: tok, Want: 400, Refused: true, JSON: map[string]any{"seconds_until_expire": "soon"}})
	k.Do(t, call{Method: "PATCH", Path: "/token", App: w.app, User: tok, Want: 413, Refused: true, JSON: big})
	k.Do(t, call{Method: "PATCH", Path: "/token", App: w.app, User: tok, Want: 415, Refused: true, Form: url.Values{"seconds_until_expire": {"60"}}})

	refresh := login.String("refresh_token")
	next := k.Must(t, call{Method: "POST", Path: "/token/refresh", App: w.app, Want: 200, JSON: map[string]any{"refresh_token": refresh}})
	k.Do(t, call{Method: "POST", Path: "/token/refresh", App: w.app, Want: 200, Form: url.Values{"refresh_token": {next.String("refresh_token")}}})
	k.Do(t, call{Method: "POST", Path: "/token/refresh", App: w.app, Want: 401, JSON: map[string]any{"refresh_token": refresh}})
	k.Do(t, call{Method: "POST", Path: "/token/refresh", App: w.app, Want: 401, JSON: map[string]any{"refresh_token": "lkr_made_up"}})
	k.Do(t, call{Method: "POST", Path: "/token/refresh", App: w.app, Want: 400, Refused: true, JSON: map[string]any{}})
	k.Do(t, call{Method: "POST", Path: "/token/refresh", Want: 401, Refused: true, JSON: map[string]any{"refresh_token": refresh}})
	k.Do(t, call{Method: "POST", Path: "/token/refresh", App: w.app, Want: 413, JSON: `{"refresh_token":"` + strings.Repeat("a", 70<<10) + `"}`})

	out := k.Must(t, call{Method: "POST", Path: "/token", App: w.app, Want: 200, JSON: map[string]any{"username": "mel", "password": "mel-password"}}).String("token")
	k.Do(t, call{Method: "DELETE", Path: "/token", App: w.app, User: out, Want: 204})
	k.Do(t, call{Method: "DELETE", Path: "/token", App: w.app, User: out, Want: 401})

	signup := map[string]any{"username": "newbie", "password1": "newbie-password", "password2": "newbie-password",
		"email": "newbie@acme.test", "accept_tos": true}
	k.Do(t, call{Method: "POST", Path: "/signup", App: w.app, Want: 403, JSON: signup})
	k.Must(t, call{Method: "PATCH", Path: "/tenants/acme", App: k.s.AppToken, User: w.platform, Want: 200,
		JSON: map[string]any{"settings": map[string]any{"allow_signup": true}}})
	k.Do(t, call{Method: "POST", Path: "/signup", App: w.app, Want: 201, JSON: signup})
	k.Do(t, call{Method: "POST", Path: "/signup", App: w.app, Want: 201, Form: url.Values{"username": {"newbie2"},
		"password1": {"newbie-password"}, "password2": {"newbie-password"}, "email": {"n2@acme.test"}, "accept_tos": {"on"}}, Refused: true})
	k.Do(t, call{Method: "POST", Path: "/signup", App: w.app, Want: 400, JSON: map[string]any{"username": "newbie",
		"password1": "one-password", "password2": "another-password", "email": "nope", "accept_tos": false}})
	k.Do(t, call{Method: "POST", Path: "/signup", App: w.app, Want: 400, Refused: true, JSON: map[string]any{"username": "x"}})
	k.Do(t, call{Method: "POST", Path: "/signup", Want: 401, Refused: true, JSON: signup})
	k.Do(t, call{Method: "POST", Path: "/signup", App: w.app, Want: 413, Refused: true, JSON: big})
}

func appTokenCases(t *testing.T, w *world) {
	k, o := w.k, w.owner
	created := k.Must(t, call{Method: "POST", Path: "/app_tokens", App: w.app, User: o, Want: 201,
		JSON: map[string]any{"name": "ci", "seconds_until_expire": 86400}})
	id, secret := created.String("id"), created.String("app_token")
	k.Do(t, call{Method: "POST", Path: "/app_tokens", App: w.app, User: w.admin, Want: 201, JSON: map[string]any{}})
	k.Do(t, call{Method: "POST", Path: "/app_tokens", App: w.app, User: w.admin, Want: 400, Refused: true}) // an empty body, where {} means the defaults
	k.Do(t, call{Method: "POST", Path: "/app_tokens", App: w.app, User: o, Want: 400, Refused: true, JSON: map[string]any{"app_token": "lka_mine"}})
	k.Do(t, call{Method: "POST", Path: "/app_tokens", App: w.app, User: o, Want: 400, Refused: true, JSON: map[string]any{"seconds_until_expire": 0}})
	k.Do(t, call{Method: "POST", Path: "/app_tokens", App: w.app, User: o, Want: 400, Refused: true, JSON: map[string]any{"seconds_until_expire": 9999999999}})
	k.Do(t, call{Method: "POST", Path: "/app_tokens", App: w.app, User: w.support, Want: 403, JSON: map[string]any{}})
	k.Do(t, call{Method: "POST", Path: "/app_tokens", App: w.app, Want: 401, Refused: true})
	k.Do(t, call{Method: "POST", Path: "/app_tokens", App: w.app, User: o, Want: 413, JSON: big})

	k.Do(t, call{Method: "GET", Path: "/app_tokens?limit=1", App: w.app, User: w.support, Want: 200})
	k.Do(t, call{Method: "GET", Path: "/app_tokens?limit=501", App: w.app, User: o, Want: 400, Refused: true})
	k.Do(t, call{Method: "GET", Path: "/app_tokens?cursor=garbage", App: w.app, User: o, Want: 400})
	k.Do(t, call{Method: "GET", Path: "/app_tokens", App: w.app, User: w.mem, Want: 403})

	k.Do(t, call{Method: "GET", Path: "/app_tokens/" + id, App: w.app, User: o, Want: 200})
	k.Do(t, call{Method: "GET", Path: "/app_tokens/" + secret, App: w.app, User: w.support, Want: 200})
	k.Do(t, call{Method: "GET", Path: "/app_tokens/0123456789abcdef01234567", App: w.app, User: o, Want: 404})
	k.Do(t, call{Method: "GET", Path: "/app_tokens/" + k.s.AppToken, App: w.app, User: o, Want: 404})
	k.Do(t, call{Method: "GET", Path: "/app_tokens/nope", App: w.app, User: o, Want: 400})
	k.Do(t, call{Method: "GET", Path: "/app_tokens/" + id, App: w.app, User: w.mem, Want: 403})

	k.Do(t, call{Method: "PATCH", Path: "/app_tokens/" + id, App: w.app, User: o, Want: 200, JSON: map[string]any{"seconds_until_expire": 3600}})
	k.Do(t, call{Method: "PATCH", Path: "/app_tokens/" + id, App: w.app, User: w.support, Want: 403, JSON: map[string]any{"seconds_until_expire": 3600}})
	k.Do(t, call{Method: "PATCH", Path: "/app_tokens/" + id, App: w.app, User: o, Want: 200, JSON: map[string]any{"name": "x", "external_id": "c-1", "meta": map[string]any{"k": "v"}}})
	k.Do(t, call{Method: "PATCH", Path: "/app_tokens/" + id, App: w.app, User: o, Want: 400, Refused: true, JSON: map[string]any{"owner": "x"}})
	k.Do(t, call{Method: "PATCH", Path: "/app_tokens/" + id, App: w.app, User: o, Want: 400, JSON: map[string]any{"scopes": []string{"no.such"}}})
	k.Do(t, call{Method: "PATCH", Path: "/app_tokens/0123456789abcdef01234567", App: w.app, User: o, Want: 404, JSON: map[string]any{"seconds_until_expire": -1}})
	k.Do(t, call{Method: "PATCH", Path: "/app_tokens/" + id, App: w.app, User: o, Want: 413, JSON: big})
	k.Do(t, call{Method: "PATCH", Path: "/app_tokens/" + id, App: w.app, User: w.support, Want: 200, JSON: map[string]any{"seconds_until_expire": -1}})
	k.Do(t, call{Method: "PATCH", Path: "/app_tokens/" + id, App: w.app, User: o, Want: 409, JSON: map[string]any{"seconds_until_expire": 3600}})

	rot := k.Must(t, call{Method: "POST", Path: "/app_tokens", App: w.app, User: o, Want: 201, JSON: map[string]any{"name": "rotated"}}).String("id")
	k.Do(t, call{Method: "POST", Path: "/app_tokens/" + rot + "/rotate", App: w.app, User: w.support, Want: 403, JSON: map[string]any{}})
	k.Do(t, call{Method: "POST", Path: "/app_tokens/" + rot + "/rotate", App: w.app, User: o, Want: 400, Refused: true, JSON: map[string]any{"grace_seconds": 604801}})
	k.Do(t, call{Method: "POST", Path: "/app_tokens/" + rot + "/rotate", App: w.app, User: o, Want: 400, Refused: true})
	k.Do(t, call{Method: "POST", Path: "/app_tokens/" + rot + "/rotate", App: w.app, User: o, Want: 413, Refused: true, JSON: big})
	k.Do(t, call{Method: "POST", Path: "/app_tokens/" + rot + "/rotate", App: w.app, Want: 401, Refused: true, JSON: map[string]any{}})
	k.Do(t, call{Method: "POST", Path: "/app_tokens/0123456789abcdef01234567/rotate", App: w.app, User: o, Want: 404, JSON: map[string]any{}})
	k.Do(t, call{Method: "POST", Path: "/app_tokens/" + rot + "/rotate", App: w.app, User: o, Want: 201, JSON: map[string]any{"grace_seconds": 60}})
	k.Do(t, call{Method: "POST", Path: "/app_tokens/" + rot + "/rotate", App: w.app, User: o, Want: 409, JSON: map[string]any{}})

	k.Do(t, call{Method: "DELETE", Path: "/app_tokens/" + id, App: w.app, User: w.mem, Want: 403})
	k.Do(t, call{Method: "DELETE", Path: "/app_tokens/" + id, App: w.app, User: w.support, Want: 204})
	k.Do(t, call{Method: "DELETE", Path: "/app_tokens/" + id, App: w.app, User: o, Want: 404})
	k.Do(t, call{Method: "DELETE", Path: "/app_tokens/nope", App: w.app, User: o, Want: 400})

	// A tenant's last live app token: 409 unless an owner forces it; then
	// the platform mints the tenant a new one.
	solo := k.Must(t, call{Method: "POST", Path: "/tenants", App: k.s.AppToken, User: w.platform, Want: 201,
		JSON: map[string]any{"slug": "solo", "name": "Solo", "admin": map[string]any{
			"username": "owner", "password": "owner-password", "email": "owner@solo.test"}}}).String("app_token")
	soloOwner := k.s.Login(t, solo, "owner", "owner-password")
	k.Do(t, call{Method: "PATCH", Path: "/app_tokens/" + solo, App: solo, User: soloOwner, Want: 409, JSON: map[string]any{"seconds_until_expire": -1}})
	k.Do(t, call{Method: "DELETE", Path: "/app_tokens/" + solo, App: solo, User: soloOwner, Want: 409})
	k.Do(t, call{Method: "DELETE", Path: "/app_tokens/" + solo + "?force=maybe", App: solo, User: soloOwner, Want: 400, Refused: true})
	k.Do(t, call{Method: "DELETE", Path: "/app_tokens/" + solo + "?force=true", App: solo, User: soloOwner, Want: 204})
	mint := "/tenants/solo/app_tokens"
	k.Do(t, call{Method: "POST", Path: mint, App: k.s.AppToken, User: w.platform, Want: 201, JSON: map[string]any{"name": "recovery"}})
	k.Do(t, call{Method: "POST", Path: mint, App: k.s.AppToken, User: w.platform, Want: 400, Refused: true, JSON: map[string]any{"app_token": "lka_mine"}})
	k.Do(t, call{Method: "POST", Path: mint, App: k.s.AppToken, User: w.platform, Want: 413, JSON: big})
	k.Do(t, call{Method: "POST", Path: "/tenants/nowhere/app_tokens", App: k.s.AppToken, User: w.platform, Want: 404, JSON: map[string]any{}})
	k.Do(t, call{Method: "POST", Path: mint, App: w.app, User: o, Want: 403, JSON: map[string]any{}})
	k.Do(t, call{Method: "POST", Path: mint, App: k.s.AppToken, Want: 401, Refused: true})
}

func tokenCases(t *testing.T, w *world) {
	k, o := w.k, w.owner
	personal := k.Must(t, call{Method: "POST", Path: "/tokens", App: w.app, User: w.mem, Want: 201, JSON: map[string]any{"name": "laptop"}})
	obo := k.Must(t, call{Method: "POST", Path: "/tokens", App: w.app, User: w.admin, Want: 201,
		JSON: map[string]any{"user": w.memID, "seconds_until_expire": 3600}})
	k.Do(t, call{Method: "POST", Path: "/tokens", App: w.app, User: obo.String("token"), Want: 403, JSON: map[string]any{}})
	k.Do(t, call{Method: "POST", Path: "/tokens", App: w.app, User: w.mem, Want: 403, JSON: map[string]any{"user": w.supportID}})
	k.Do(t, call{Method: "POST", Path: "/tokens", App: w.app, User: w.admin, Want: 403, JSON: map[string]any{"user": w.ownerID}})
	k.Do(t, call{Method: "POST", Path: "/tokens", App: w.app, User: o, Want: 404, JSON: map[string]any{"user": "0123456789abcdef01234567"}})
	k.Do(t, call{Method: "POST", Path: "/tokens", App: w.app, User: o, Want: 400, Refused: true, JSON: map[string]any{"user": "mel"}})
	k.Do(t, call{Method: "POST", Path: "/tokens", App: w.app, User: o, Want: 400, Refused: true, JSON: map[string]any{"token": "lku_mine"}})
	k.Do(t, call{Method: "POST", Path: "/tokens", App: w.app, User: o, Want: 400, JSON: map[string]any{"seconds_until_expire": 999999999}})
	k.Do(t, call{Method: "POST", Path: "/tokens", App: w.app, User: o, Want: 413, JSON: big})
	off := k.Must(t, call{Method: "POST", Path: "/users", App: w.app, User: o, Want: 201, JSON: map[string]any{
		"username": "offline", "password": "offline-password", "email": "off@acme.test", "role": "member"}}).String("id")
	k.Must(t, call{Method: "PATCH", Path: "/users/" + off, App: w.app, User: o, Want: 200, JSON: map[string]any{"status": "disabled"}})
	k.Do(t, call{Method: "POST", Path: "/tokens", App: w.app, User: o, Want: 409, JSON: map[string]any{"user": off}})

	k.Do(t, call{Method: "GET", Path: "/tokens?user=" + w.memID + "&kind=obo&active=true&limit=5", App: w.app, User: w.support, Want: 200})
	k.Do(t, call{Method: "GET", Path: "/tokens", App: w.app, User: w.mem, Want: 200})
	k.Do(t, call{Method: "GET", Path: "/tokens?kind=bogus&active=maybe&user=mel", App: w.app, User: o, Want: 400, Refused: true})
	k.Do(t, call{Method: "GET", Path: "/tokens?cursor=garbage", App: w.app, User: o, Want: 400})
	k.Do(t, call{Method: "GET", Path: "/tokens", App: w.app, User: "lku_nope", Want: 401})

	leaked := personal.String("token")
	k.Do(t, call{Method: "GET", Path: "/tokens/" + personal.String("id"), App: w.app, User: w.mem, Want: 200})
	k.Do(t, call{Method: "GET", Path: "/tokens/" + leaked, App: w.app, User: w.support, Want: 200})
	k.Do(t, call{Method: "GET", Path: "/tokens/" + obo.String("id"), App: w.app, User: w.support, Want: 200})
	k.Do(t, call{Method: "GET", Path: "/tokens/0123456789abcdef01234567", App: w.app, User: o, Want: 404})
	k.Do(t, call{Method: "GET", Path: "/tokens/nope", App: w.app, User: o, Want: 400})

	k.Do(t, call{Method: "PATCH", Path: "/tokens/" + leaked, App: w.app, User: w.support, Want: 403, JSON: map[string]any{"seconds_until_expire": 60}})
	k.Do(t, call{Method: "PATCH", Path: "/tokens/" + leaked, App: w.app, User: w.support, Want: 200, JSON: map[string]any{"seconds_until_expire": -1}})
	k.Do(t, call{Method: "PATCH", Path: "/tokens/" + personal.String("id"), App: w.app, User: o, Want: 409, JSON: map[string]any{"seconds_until_expire": 60}})
	k.Do(t, call{Method: "PATCH", Path: "/tokens/" + obo.String("id"), App: w.app, User: o, Want: 400, JSON: map[string]any{"seconds_until_expire": 999999999}})
	k.Do(t, call{Method: "PATCH", Path: "/tokens/0123456789abcdef01234567", App: w.app, User: o, Want: 404, JSON: map[string]any{"seconds_until_expire": -1}})
	k.Do(t, call{Method: "PATCH", Path: "/tokens/" + obo.String("id"), App: w.app, User: o, Want: 413, Refused: true, JSON: big})

	own := k.Must(t, call{Method: "POST", Path: "/tokens", App: w.app, User: w.mem, Want: 201, JSON: map[string]any{"name": "laptop"}}).String("id")
	k.Do(t, call{Method: "POST", Path: "/tokens/" + own + "/rotate", App: w.app, User: o, Want: 403, JSON: map[string]any{}})
	k.Do(t, call{Method: "POST", Path: "/tokens/" + own + "/rotate", App: w.app, User: w.mem, Want: 400, Refused: true, JSON: map[string]any{"grace_seconds": -1}})
	k.Do(t, call{Method: "POST", Path: "/tokens/" + own + "/rotate", App: w.app, User: w.mem, Want: 413, Refused: true, JSON: big})
	k.Do(t, call{Method: "POST", Path: "/tokens/" + own + "/rotate", App: w.app, Want: 401, Refused: true, JSON: map[string]any{}})
	k.Do(t, call{Method: "POST", Path: "/tokens/0123456789abcdef01234567/rotate", App: w.app, User: w.mem, Want: 404, JSON: map[string]any{}})
	k.Do(t, call{Method: "POST", Path: "/tokens/" + obo.String("id") + "/rotate", App: w.app, User: w.mem, Want: 409, JSON: map[string]any{}})
	k.Do(t, call{Method: "POST", Path: "/tokens/" + own + "/rotate", App: w.app, User: w.mem, Want: 201, JSON: map[string]any{"grace_seconds": 0}})

	k.Do(t, call{Method: "DELETE", Path: "/tokens/" + obo.String("id"), App: w.app, User: w.mem, Want: 204})
	k.Do(t, call{Method: "DELETE", Path: "/tokens/" + obo.String("id"), App: w.app, User: o, Want: 404})
	mine := k.Must(t, call{Method: "POST", Path: "/tokens", App: w.app, User: o, Want: 201, JSON: map[string]any{}}).String("id")
	k.Do(t, call{Method: "DELETE", Path: "/tokens/" + mine, App: w.app, User: w.mem, Want: 404})
	k.Do(t, call{Method: "DELETE", Path: "/tokens/" + mine, App: w.app, User: o, Want: 204})
	k.Do(t, call{Method: "DELETE", Path: "/tokens/nope", App: w.app, User: o, Want: 400})

	k.Do(t, call{Method: "POST", Path: "/users/" + w.ownerID + "/expire_tokens", App: w.app, User: w.mem, Want: 403})
	k.Do(t, call{Method: "POST", Path: "/users/0123456789abcdef01234567/expire_tokens", App: w.app, User: o, Want: 404})
	k.Do(t, call{Method: "POST", Path: "/users/" + strings.Repeat("n", 255) + "/expire_tokens", App: w.app, User: o, Want: 400, Refused: true})
	k.Do(t, call{Method: "POST", Path: "/users/nobody-at-all/expire_tokens", App: w.app, User: o, Want: 404})
	a := k.Must(t, call{Method: "POST", Path: "/users/" + w.memID + "/expire_tokens", App: w.app, User: w.support, Want: 200})
	if n, _ := a.JSON["expired"].(float64); n < 1 {
		t.Errorf("expire_tokens expired %v tokens, want at least mel's login", a.JSON["expired"])
	}
	k.Do(t, call{Method: "GET", Path: "/token", App: w.app, User: w.mem, Want: 401})
}

func auditCases(t *testing.T, w *world) {
	k := w.k
	k.Do(t, call{Method: "GET", Path: "/audit?action=login&user=" + w.memID + "&since=2020-01-02T15:04:05Z&limit=3", App: w.app, User: w.support, Want: 200})
	a := k.Must(t, call{Method: "GET", Path: "/audit?limit=2", App: w.app, User: w.owner, Want: 200})
	k.Do(t, call{Method: "GET", Path: "/audit?limit=2&cursor=" + url.QueryEscape(a.String("next_cursor")), App: w.app, User: w.owner, Want: 200})
	k.Do(t, call{Method: "GET", Path: "/audit?since=yesterday", App: w.app, User: w.owner, Want: 400, Refused: true})
	k.Do(t, call{Method: "GET", Path: "/audit?user=mel", App: w.app, User: w.owner, Want: 400, Refused: true})
	k.Do(t, call{Method: "GET", Path: "/audit", App: w.app, User: w.admin, Want: 200})
	mem := k.s.Login(t, w.app, "newbie", "newbie-password")
	k.Do(t, call{Method: "GET", Path: "/audit", App: w.app, User: mem, Want: 403})
}

func usageCases(t *testing.T, w *world) {
	k := w.k
	if err := k.s.App.Usage.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	list := k.Must(t, call{Method: "GET", Path: "/app_tokens?limit=1", App: w.app, User: w.owner, Want: 200})
	id := list.JSON["items"].([]any)[0].(map[string]any)["id"].(string)
	series := "/app_tokens/" + id + "/usage"
	mem := k.s.Login(t, w.app, "newbie", "newbie-password")
	k.Do(t, call{Method: "GET", Path: series, App: w.app, User: w.support, Want: 200})
	k.Do(t, call{Method: "GET", Path: series + "?since=2020-01-02T00:00:00Z&until=2020-01-04T00:00:00Z&granularity=day",
		App: w.app, User: w.owner, Want: 200})
	k.Do(t, call{Method: "GET", Path: series + "?since=2020-01-02T00:00:00Z&until=2020-01-01T00:00:00Z", App: w.app, User: w.owner, Want: 400})
	k.Do(t, call{Method: "GET", Path: series + "?granularity=week", App: w.app, User: w.owner, Want: 400, Refused: true})
	k.Do(t, call{Method: "GET", Path: "/app_tokens/6b02a6e5ca87368ce209254d/usage", App: w.app, User: w.owner, Want: 404})
	k.Do(t, call{Method: "GET", Path: series, App: w.app, User: mem, Want: 403})
	k.Do(t, call{Method: "GET", Path: series, App: w.app, Want: 401, Refused: true})
	k.Do(t, call{Method: "GET", Path: "/usage?limit=5", App: w.app, User: w.admin, Want: 200})
	k.Do(t, call{Method: "GET", Path: "/usage?since=2020-01-02T00:00:00Z&until=2020-06-01T00:00:00Z", App: w.app, User: w.owner, Want: 400})
	k.Do(t, call{Method: "GET", Path: "/usage?limit=0", App: w.app, User: w.owner, Want: 400, Refused: true})
	k.Do(t, call{Method: "GET", Path: "/usage", App: w.app, User: mem, Want: 403})
}

func tenantDeleteCases(t *testing.T, w *world) {
	k, p := w.k, w.platform
	k.Do(t, call{Method: "DELETE", Path: "/tenants/acme?confirm=wrong", App: k.s.AppToken, User: p, Want: 400})
	k.Do(t, call{Method: "DELETE", Path: "/tenants/acme", App: k.s.AppToken, User: p, Want: 400, Refused: true})
	k.Do(t, call{Method: "DELETE", Path: "/tenants/platform?confirm=platform", App: k.s.AppToken, User: p, Want: 409})
	k.Do(t, call{Method: "DELETE", Path: "/tenants/acme?confirm=acme", App: w.app, User: w.owner, Want: 403})
	k.Do(t, call{Method: "DELETE", Path: "/tenants/acme?confirm=acme", App: k.s.AppToken, User: p, Want: 204})
	k.Do(t, call{Method: "DELETE", Path: "/tenants/acme?confirm=acme", App: k.s.AppToken, User: p, Want: 404})
	if got := k.s.Do(t, testserver.Request{Method: "GET", Path: "/api/v1/token", AppToken: w.app, Token: w.owner}).Status; got != http.StatusUnauthorized {
		t.Errorf("a deleted tenant's token: got %d, want 401", got)
	}
}

func scopeCases(t *testing.T, w *world) {
	k, p, pa := w.k, w.platform, w.k.s.AppToken
	k.Do(t, call{Method: "PUT", Path: "/scopes/orders.read", App: pa, User: p, Want: 200, JSON: map[string]any{"description": "Read orders."}})
	k.Do(t, call{Method: "PUT", Path: "/scopes/orders.read", App: pa, User: p, Want: 400, Refused: true, JSON: map[string]any{"owner": "x"}})
	k.Do(t, call{Method: "PUT", Path: "/scopes/latchkey:x", App: pa, User: p, Want: 400, JSON: map[string]any{"description": ""}})
	k.Do(t, call{Method: "PUT", Path: "/scopes/orders.read", App: pa, User: p, Want: 413, Refused: true, JSON: big})
	k.Do(t, call{Method: "PUT", Path: "/scopes/orders.read", App: w.app, User: w.owner, Want: 403, JSON: map[string]any{}})
	k.Do(t, call{Method: "PUT", Path: "/scopes/orders.read", App: pa, Want: 401, Refused: true, JSON: map[string]any{}})
	k.Do(t, call{Method: "GET", Path: "/scopes", App: pa, User: p, Want: 200})
	k.Do(t, call{Method: "GET", Path: "/scopes?limit=0", App: pa, User: p, Want: 400, Refused: true})
	k.Do(t, call{Method: "GET", Path: "/scopes", App: w.app, Want: 401, Refused: true})
	k.Do(t, call{Method: "GET", Path: "/verify?scope=orders.read&scope=latchkey:admin", App: pa, User: p, Want: 200})
	k.Do(t, call{Method: "GET", Path: "/verify?scope=billing", App: pa, User: p, Want: 403})
	k.Do(t, call{Method: "DELETE", Path: "/scopes/orders.read", App: w.app, User: w.owner, Want: 403})
	k.Do(t, call{Method: "DELETE", Path: "/scopes/orders.read", App: pa, User: p, Want: 204})
	k.Do(t, call{Method: "DELETE", Path: "/scopes/orders.read", App: pa, User: p, Want: 404})
	k.Do(t, call{Method: "DELETE", Path: "/scopes/latchkey:admin", App: pa, User: p, Want: 400})
	k.Do(t, call{Method: "DELETE", Path: "/scopes/orders.read", App: pa, Want: 401, Refused: true})
}

// webhookCases drive the webhook API through its successes and refusals;
// the URL is a public name, never dialled (no delivery job runs here).
func webhookCases(t *testing.T, w *world) {
	k := w.k
	mem := k.s.Login(t, w.app, "newbie", "newbie-password")
	body := map[string]any{"url": "https://hooks.example.com/in", "events": []string{"app_token.*", "token.expired"}, "description": "ci"}
	c := k.Must(t, call{Method: "POST", Path: "/webhooks", App: w.app, User: w.owner, JSON: body, Want: 201})
	id := c.String("id")
	k.Do(t, call{Method: "POST", Path: "/webhooks", App: w.app, User: w.owner, Want: 400, Refused: true,
		JSON: map[string]any{"url": "https://hooks.example.com/in", "events": []string{"*"}, "secret": "mine"}})
	k.Do(t, call{Method: "POST", Path: "/webhooks", App: w.app, User: w.owner, Want: 400,
		JSON: map[string]any{"url": "http://hooks.example.com/in", "events": []string{"*"}}})
	k.Do(t, call{Method: "POST", Path: "/webhooks", App: w.app, User: w.support, JSON: body, Want: 403})
	k.Do(t, call{Method: "POST", Path: "/webhooks", App: w.app, User: w.owner, JSON: big, Want: 413, Refused: true})
	k.Do(t, call{Method: "GET", Path: "/webhooks?limit=1", App: w.app, User: w.admin, Want: 200})
	k.Do(t, call{Method: "GET", Path: "/webhooks?limit=0", App: w.app, User: w.admin, Want: 400, Refused: true})
	k.Do(t, call{Method: "GET", Path: "/webhooks", App: w.app, User: mem, Want: 403})
	k.Do(t, call{Method: "GET", Path: "/webhooks/" + id, App: w.app, User: w.owner, Want: 200})
	k.Do(t, call{Method: "GET", Path: "/webhooks/nope", App: w.app, User: w.owner, Want: 400, Refused: true})
	k.Do(t, call{Method: "GET", Path: "/webhooks/" + w.ownerID, App: w.app, User: w.owner, Want: 404})
	k.Do(t, call{Method: "PATCH", Path: "/webhooks/" + id, App: w.app, User: w.owner, JSON: map[string]any{"status": "disabled"}, Want: 200})
	k.Do(t, call{Method: "PATCH", Path: "/webhooks/" + id, App: w.app, User: w.owner, JSON: map[string]any{"status": "paused"}, Want: 400, Refused: true})
	k.Do(t, call{Method: "PATCH", Path: "/webhooks/" + w.ownerID, App: w.app, User: w.owner, JSON: map[string]any{"description": "x"}, Want: 404})
	k.Do(t, call{Method: "PATCH", Path: "/webhooks/" + id, App: w.app, User: w.owner, JSON: big, Want: 413, Refused: true})
	k.Do(t, call{Method: "PATCH", Path: "/webhooks/" + id, App: w.app, User: w.support, JSON: map[string]any{"description": "x"}, Want: 403})
	p := k.Must(t, call{Method: "POST", Path: "/webhooks/" + id + "/test", App: w.app, User: w.owner, Want: 202})
	k.Do(t, call{Method: "POST", Path: "/webhooks/" + w.ownerID + "/test", App: w.app, User: w.owner, Want: 404})
	k.Do(t, call{Method: "POST", Path: "/webhooks/x/test", App: w.app, User: w.owner, Want: 400, Refused: true})
	k.Do(t, call{Method: "POST", Path: "/webhooks/" + id + "/test", App: w.app, User: mem, Want: 403})
	k.Do(t, call{Method: "GET", Path: "/webhooks/" + id + "/deliveries?limit=5", App: w.app, User: w.owner, Want: 200})
	k.Do(t, call{Method: "GET", Path: "/webhooks/" + w.ownerID + "/deliveries", App: w.app, User: w.owner, Want: 404})
	k.Do(t, call{Method: "GET", Path: "/webhooks/" + id + "/deliveries?limit=x", App: w.app, User: w.owner, Want: 400, Refused: true})
	k.Do(t, call{Method: "GET", Path: "/webhooks/" + id + "/deliveries", App: w.app, User: w.support, Want: 403})
	retry := "/webhooks/" + id + "/deliveries/" + p.String("id") + "/retry"
	k.Do(t, call{Method: "POST", Path: retry, App: w.app, User: w.owner, Want: 409})
	k.Do(t, call{Method: "POST", Path: "/webhooks/" + id + "/deliveries/" + id + "/retry", App: w.app, User: w.owner, Want: 404})
	k.Do(t, call{Method: "POST", Path: "/webhooks/" + id + "/deliveries/x/retry", App: w.app, User: w.owner, Want: 400, Refused: true})
	k.Do(t, call{Method: "POST", Path: retry, App: w.app, User: mem, Want: 403})
	// A failed delivery is retried: fail the ping through the store.
	d, err := k.s.Store.Webhooks().FindDelivery(context.Background(), w.tenantID, mustID(t, id), mustID(t, p.String("id")))
	if err != nil {
		t.Fatal(err)
	}
	d.Status, d.NextAttempt = webhooks.Failed, nil
	if err := k.s.Store.Webhooks().Settle(context.Background(), w.tenantID, d); err != nil {
		t.Fatal(err)
	}
	k.Do(t, call{Method: "POST", Path: retry, App: w.app, User: w.owner, Want: 202})
	k.Do(t, call{Method: "DELETE", Path: "/webhooks/" + id, App: w.app, User: w.support, Want: 403})
	k.Do(t, call{Method: "DELETE", Path: "/webhooks/" + id, App: w.app, User: w.owner, Want: 204})
	k.Do(t, call{Method: "DELETE", Path: "/webhooks/" + id, App: w.app, User: w.owner, Want: 404})
	k.Do(t, call{Method: "DELETE", Path: "/webhooks/x", App: w.app, User: w.owner, Want: 400, Refused: true})
}

func mustID(t *testing.T, s string) ids.ID {
	t.Helper()
	id, err := ids.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}
