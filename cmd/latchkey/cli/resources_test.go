package cli_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/cmd/latchkey/cli"
	"github.com/latchkey/latchkey/internal/testserver"
)

// contains fails t unless out has every want.
func contains(t *testing.T, what, out string, want ...string) {
	t.Helper()
	flat := strings.Join(strings.Fields(out), " ")
	for _, w := range want {
		if !strings.Contains(flat, strings.Join(strings.Fields(w), " ")) {
			t.Errorf("%s printed %q, without %q", what, out, w)
		}
	}
}

func TestTenantCommands(t *testing.T) {
	s := testserver.Start(t)
	tm := newTerm(t, s)
	tm.login(s.AppToken, s.Username, s.Password)

	var made struct {
		Tenant   struct{ ID, Slug string }
		AppToken string `json:"app_token"`
	}
	tm.jsonOf(&made, "acme-password\n", "tenants", "create", "acme", "--name", "Acme", "--owner-email", "owner@acme.test",
		"--setting", "user_token_ttl=12h", "--setting", "allow_signup=true", "--password-stdin")
	if made.Tenant.Slug != "acme" || !strings.HasPrefix(made.AppToken, "lka_") {
		t.Fatalf("tenants create printed %+v", made)
	}
	tm.fails(cli.ExitAPI, []string{"409", "slug: A tenant with this slug already exists."}, "acme-password\n",
		"tenants", "create", "acme", "--owner-email", "o@acme.test", "--password-stdin")
	tm.fails(cli.ExitUsage, []string{"--setting", "lockout_attempts"}, "acme-password\n",
		"tenants", "create", "beta", "--owner-email", "o@b.test", "--setting", "bogus=1", "--password-stdin")

	contains(t, "tenants list", tm.ok("", "tenants", "list"), "SLUG", "platform", "acme")
	contains(t, "tenants get", tm.ok("", "tenants", "get", "acme"), "settings.user_token_ttl  43200", "settings.allow_signup    true")
	tm.fails(cli.ExitNotFound, []string{"404", "tenant: No such tenant."}, "", "tenants", "get", "nobody")

	contains(t, "tenants update", tm.ok("", "tenants", "update", "acme", "--name", "Acme Inc.", "--status", "disabled"),
		"Acme Inc.", "disabled")
	tm.fails(cli.ExitAPI, []string{"409", "status: The platform tenant cannot be disabled."}, "", "tenants", "update", "platform", "--status", "disabled")
	tm.fails(cli.ExitUsage, []string{"nothing to change"}, "", "tenants", "update", "acme")

	contains(t, "tenants app-token", tm.ok("", "tenants", "app-token", "acme", "--name", "recovery", "--expires-in", "1d"),
		"app token lka_", "name recovery", "shown this once")
	tm.fails(cli.ExitNotFound, []string{"404"}, "", "tenants", "app-token", "nobody")

	tm.fails(cli.ExitAPI, []string{"400", "confirm: Must be the tenant's slug"}, "", "tenants", "delete", "acme", "--confirm", "wrong")
	contains(t, "tenants delete", tm.ok("", "tenants", "delete", "acme", "--confirm", "acme"), "Deleted tenant acme.")

	// Owners of another tenant may not manage tenants.
	other := s.NewTenant(t, "beta")
	tb := newTerm(t, s)
	tb.login(other.AppToken, "owner", "owner-password")
	tb.fails(cli.ExitAuth, []string{"403"}, "", "tenants", "list")
}

func TestUserCommands(t *testing.T) {
	s := testserver.Start(t)
	acme := s.NewTenant(t, "acme")
	tm := newTerm(t, s)
	tm.login(acme.AppToken, "owner", "owner-password")

	var mel struct{ ID string }
	tm.jsonOf(&mel, "mel-password\n", "users", "create", "mel", "--email", "mel@acme.test", "--role", "member", "--password-stdin")
	tm.fails(cli.ExitAPI, []string{"400", "email: Enter a valid email address.", "password: Must be at least 8 characters.",
		"role: Must be one of"}, "short\n", "users", "create", "max", "--email", "nope", "--role", "king", "--password-stdin")

	contains(t, "users list", tm.ok("", "users", "list", "--role", "member"), "USERNAME", "mel")
	tm.fails(cli.ExitAPI, []string{"role: Must be one of: owner, admin, support, member."}, "", "users", "list", "--role", "king")
	contains(t, "users get", tm.ok("", "users", "get", mel.ID), "mel@acme.test", "member")
	tm.fails(cli.ExitNotFound, []string{"user: No such user."}, "", "users", "get", "0123456789abcdef01234567")
	contains(t, "users get by username", tm.ok("", "users", "get", "mel"), mel.ID, "mel@acme.test")
	tm.fails(cli.ExitNotFound, []string{"user: No such user."}, "", "users", "get", "nobody")
	contains(t, "users me", tm.ok("", "users", "me"), "owner")

	tm.env = []string{cli.EnvPassword + "=mel-new-password"}
	contains(t, "users update", tm.ok("", "users", "update", mel.ID, "--email", "mel@new.test", "--role", "support", "--password"),
		"mel@new.test", "support")
	tm.env = nil
	tm.fails(cli.ExitAPI, []string{"409", "user: You cannot change your own role or status."}, "", "users", "update", acme.OwnerID, "--role", "member")
	// One's own password needs the current one.
	tm.env = []string{cli.EnvPassword + "=owner-new-password", cli.EnvCurrentPassword + "=not-the-password"}
	tm.fails(cli.ExitAuth, []string{"403", "current_password: This is not your current password."}, "", "users", "update", acme.OwnerID, "--password")
	tm.env = []string{cli.EnvPassword + "=owner-new-password", cli.EnvCurrentPassword + "=owner-password"}
	tm.ok("", "users", "update", acme.OwnerID, "--password")
	tm.env = nil

	// mel logs in (with the new password) on a terminal of her own.
	tmel := newTerm(t, s)
	tmel.login(acme.AppToken, "mel", "mel-new-password")
	tm.fails(cli.ExitAPI, []string{"409", "user: You cannot delete yourself."}, "", "users", "delete", acme.OwnerID)
	out := tm.ok("", "users", "expire-tokens", mel.ID)
	contains(t, "users expire-tokens", out, "Expired 1 token(s) of user "+mel.ID)
	tmel.fails(cli.ExitAuth, []string{"401", "Token: Invalid or expired token."}, "", "users", "me")
	tm.fails(cli.ExitNotFound, []string{"user: No such user."}, "", "users", "expire-tokens", "0123456789abcdef01234567")
	contains(t, "users unlock", tm.ok("", "users", "unlock", mel.ID), "Unlocked user "+mel.ID+".")
	tm.fails(cli.ExitNotFound, []string{"user: No such user."}, "", "users", "unlock", "0123456789abcdef01234567")

	contains(t, "users delete", tm.ok("", "users", "delete", mel.ID), "Deleted user "+mel.ID+".")
	tm.fails(cli.ExitNotFound, []string{"user: No such user."}, "", "users", "delete", mel.ID)
}

func TestAppTokenCommands(t *testing.T) {
	s := testserver.Start(t)
	acme := s.NewTenant(t, "acme")
	tm := newTerm(t, s)
	tm.login(acme.AppToken, "owner", "owner-password")

	var made struct{ ID, AppToken string }
	tm.jsonOf(&made, "", "app-tokens", "create", "--name", "ci", "--expires-in", "30d")
	made.AppToken = strings.TrimSpace(strings.Split(strings.Split(tm.ok("", "app-tokens", "create", "--name", "leaky"), "app token")[1], "\n")[0])
	if !strings.HasPrefix(made.AppToken, "lka_") {
		t.Fatalf("app-tokens create printed no secret: %q", made.AppToken)
	}
	tm.fails(cli.ExitAPI, []string{"seconds_until_expire"}, "", "app-tokens", "create", "--expires-in", "300000d")

	contains(t, "app-tokens list", tm.ok("", "app-tokens", "list"), "NAME", "ci", "leaky")
	contains(t, "app-tokens get", tm.ok("", "app-tokens", "get", made.ID), "ci")
	contains(t, "app-tokens get by name", tm.ok("", "app-tokens", "get", "ci"), made.ID)
	var twin1, twin2 struct{ ID string }
	tm.jsonOf(&twin1, "", "app-tokens", "create", "--name", "twin")
	tm.jsonOf(&twin2, "", "app-tokens", "create", "--name", "twin")
	tm.fails(cli.ExitUsage, []string{`2 app tokens are named "twin": give one's id`}, "", "app-tokens", "get", "twin")
	tm.ok("", "app-tokens", "expire", twin1.ID)
	contains(t, "app-tokens get of a name one live token has", tm.ok("", "app-tokens", "get", "twin"), twin2.ID)
	tm.ok("", "app-tokens", "delete", twin1.ID)
	tm.ok("", "app-tokens", "delete", "twin")
	tm.fails(cli.ExitNotFound, []string{"token: No such app token."}, "", "app-tokens", "get", "0123456789abcdef01234567")
	contains(t, "app-tokens extend", tm.ok("", "app-tokens", "extend", made.ID, "--expires-in", "1h"), "expired    no")
	tm.fails(cli.ExitUsage, []string{`required flag(s) "expires-in" not set`}, "", "app-tokens", "extend", made.ID)

	// A leaked app token string expires by itself.
	contains(t, "app-tokens expire", tm.ok("", "app-tokens", "expire", made.AppToken), "expired    yes")
	tm.fails(cli.ExitNotFound, []string{"token: No such token."}, "", "app-tokens", "expire", s.AppToken)

	contains(t, "app-tokens delete", tm.ok("", "app-tokens", "delete", made.ID), "Deleted app token")
	tm.fails(cli.ExitNotFound, []string{"404"}, "", "app-tokens", "delete", made.ID)

	// Only the tenant's first token is live now: removing it needs --force.
	tm.fails(cli.ExitAPI, []string{"409", "last live app token"}, "", "app-tokens", "delete", acme.AppToken)
	tm.fails(cli.ExitAPI, []string{"409", "last live app token"}, "", "app-tokens", "expire", acme.AppToken)

	tmem := newTerm(t, s)
	s.NewUser(t, acme.AppToken, acme.OwnerToken, "mel", "member")
	tmem.login(acme.AppToken, "mel", "mel-password")
	tmem.fails(cli.ExitAuth, []string{"403"}, "", "app-tokens", "list")

	contains(t, "app-tokens expire --force", tm.ok("", "app-tokens", "expire", acme.AppToken, "--force"), "expired    yes")
}

func TestTokenCommands(t *testing.T) {
	s := testserver.Start(t)
	acme := s.NewTenant(t, "acme")
	melID := s.NewUser(t, acme.AppToken, acme.OwnerToken, "mel", "member")
	tm := newTerm(t, s)
	tm.login(acme.AppToken, "owner", "owner-password")

	var obo struct{ ID, Token, Kind, Actor string }
	tm.jsonOf(&obo, "", "tokens", "create", "--user", melID, "--name", "support case", "--expires-in", "2h")
	if obo.Kind != "obo" || obo.Actor != acme.OwnerID || !strings.HasPrefix(obo.Token, "lku_") {
		t.Fatalf("tokens create --user printed %+v", obo)
	}
	var byName struct{ Kind, User string }
	tm.jsonOf(&byName, "", "tokens", "create", "--user", "mel", "--name", "by name", "--expires-in", "1h")
	if byName.Kind != "obo" || byName.User != melID {
		t.Fatalf("tokens create --user mel printed %+v, want an OBO token of %s", byName, melID)
	}
	contains(t, "tokens create --user mel", tm.ok("", "tokens", "create", "--user", "mel", "--expires-in", "1h"), "user     mel", "actor    owner")
	contains(t, "tokens create", tm.ok("", "tokens", "create"), "personal", "shown this once")
	tm.fails(cli.ExitNotFound, []string{"user: No such user."}, "", "tokens", "create", "--user", "0123456789abcdef01234567")
	tm.fails(cli.ExitNotFound, []string{"user: No such user."}, "", "tokens", "create", "--user", "nobody")

	contains(t, "tokens list", tm.ok("", "tokens", "list", "--user", melID, "--kind", "obo", "--active"), obo.ID, "obo")
	tm.fails(cli.ExitAPI, []string{"kind: Must be one of: login, personal, obo."}, "", "tokens", "list", "--kind", "bogus")
	tm.fails(cli.ExitUsage, []string{"--active"}, "", "tokens", "list", "--active=maybe")
	if out := tm.ok("", "tokens", "list", "--active=false"); strings.Contains(out, obo.ID) {
		t.Errorf("tokens list --active=false lists the live token %s:\n%s", obo.ID, out)
	}

	// Names where ids were: the user by username, the token by its name,
	// and usernames (not ids) in the USER and ACTOR columns.
	out := tm.ok("", "tokens", "list", "--user", "mel", "--kind", "obo")
	contains(t, "tokens list --user mel", out, obo.ID)
	if line := lineOf(out, obo.ID); !strings.Contains(line, " mel ") || !strings.Contains(line, " owner ") || strings.Contains(line, melID) {
		t.Errorf("tokens list: the row of the obo token is %q, want the usernames mel and owner, not ids", line)
	}
	contains(t, "tokens get by name", tm.ok("", "tokens", "get", "support case"), obo.ID, "user       mel", "actor      owner")

	// Support staff hold only the leaked string: it finds and expires the token.
	contains(t, "tokens get", tm.ok("", "tokens", "get", obo.Token), obo.ID, "support case")
	tm.fails(cli.ExitNotFound, []string{"token: No such token."}, "", "tokens", "get", "0123456789abcdef01234567")
	contains(t, "tokens extend", tm.ok("", "tokens", "extend", obo.ID, "--expires-in", "3h"), "expired    no")
	contains(t, "tokens expire", tm.ok("", "tokens", "expire", obo.Token), "expired    yes")
	tm.fails(cli.ExitAPI, []string{"409", "seconds_until_expire: This token has expired"}, "", "tokens", "extend", obo.ID, "--expires-in", "1h")
	tm.fails(cli.ExitNotFound, []string{"token: No such token."}, "", "tokens", "expire", "0123456789abcdef01234567")

	contains(t, "tokens delete", tm.ok("", "tokens", "delete", obo.ID), "Deleted token "+obo.ID+".")
	tm.fails(cli.ExitNotFound, []string{"token: No such token."}, "", "tokens", "delete", obo.ID)
}

// lineOf returns the first line of out that contains s.
func lineOf(out, s string) string {
	for line := range strings.Lines(out) {
		if strings.Contains(line, s) {
			return line
		}
	}
	return ""
}

func TestAuditCommand(t *testing.T) {
	s := testserver.Start(t)
	acme := s.NewTenant(t, "acme")
	s.NewUser(t, acme.AppToken, acme.OwnerToken, "mel", "member")
	tm := newTerm(t, s)
	tm.login(acme.AppToken, "owner", "owner-password")

	contains(t, "audit", tm.ok("", "audit", "--action", "user.create", "--since", "1h"), "ACTION", "user.create", "success")
	var recs []map[string]any
	tm.jsonOf(&recs, "", "audit", "--limit", "2")
	if len(recs) != 2 {
		t.Errorf("audit --limit 2 printed %d records", len(recs))
	}
	tm.fails(cli.ExitUsage, []string{`"yesterday"`}, "", "audit", "--since", "yesterday")
	tmem := newTerm(t, s)
	tmem.login(acme.AppToken, "mel", "mel-password")
	tmem.fails(cli.ExitAuth, []string{"403"}, "", "audit")
	r := tmem.run("", "audit", "--json")
	var e struct {
		Status int
		Errors map[string]string
	}
	if err := json.Unmarshal([]byte(r.err), &e); err != nil || e.Status != 403 || e.Errors["permission"] == "" {
		t.Errorf("audit --json as a member: stderr %q, want {\"status\": 403, \"errors\": {\"permission\": …}}", r.err)
	}
}

// TestAppTokenRateLimitCommands: app-tokens create --rate-limit and
// app-tokens update --rate-limit …|none, shown in get and list.
func TestAppTokenRateLimitCommands(t *testing.T) {
	s := testserver.Start(t)
	acme := s.NewTenant(t, "acme")
	tm := newTerm(t, s)
	tm.login(acme.AppToken, "owner", "owner-password")

	var made struct {
		ID        string
		RateLimit *struct{ Limit, Seconds int64 } `json:"rate_limit"`
	}
	tm.jsonOf(&made, "", "app-tokens", "create", "--name", "partner", "--rate-limit", "100/60s")
	if made.RateLimit == nil || made.RateLimit.Limit != 100 || made.RateLimit.Seconds != 60 {
		t.Fatalf("created with rate_limit %+v, want 100/60", made.RateLimit)
	}
	contains(t, "app-tokens get", tm.ok("", "app-tokens", "get", made.ID), "rate limit", "100/60s")
	contains(t, "app-tokens update", tm.ok("", "app-tokens", "update", made.ID, "--rate-limit", "5000/1h"), "5000/3600s")
	contains(t, "app-tokens list", tm.ok("", "app-tokens", "list"), "RATE LIMIT", "5000/3600s")
	contains(t, "app-tokens update none", tm.ok("", "app-tokens", "update", made.ID, "--rate-limit", "none"), "rate limit", "none")
	tm.fails(cli.ExitUsage, []string{"--rate-limit"}, "", "app-tokens", "update", made.ID, "--rate-limit", "lots")
	tm.fails(cli.ExitAPI, []string{"rate_limit.limit"}, "", "app-tokens", "update", made.ID, "--rate-limit", "0/60s")
	tm.fails(cli.ExitUsage, []string{"nothing to change"}, "", "app-tokens", "update", made.ID)
	// none at creation overrides the tenant's default.
	tm.jsonOf(&made, "", "app-tokens", "create", "--rate-limit", "none")
	if made.RateLimit != nil {
		t.Errorf("--rate-limit none: %+v", made.RateLimit)
	}
}

func TestAppTokenUsageCommand(t *testing.T) {
	s := testserver.Start(t)
	acme := s.NewTenant(t, "acme")
	tm := newTerm(t, s)
	tm.login(acme.AppToken, "owner", "owner-password")

	var made struct {
		ID       string `json:"id"`
		AppToken string `json:"app_token"`
	}
	tm.jsonOf(&made, "", "app-tokens", "create", "--name", "partner")
	for _, tok := range []string{acme.OwnerToken, acme.OwnerToken, "lku_bad"} {
		s.Do(t, testserver.Request{Method: "GET", Path: "/api/v1/token", AppToken: made.AppToken, Token: tok})
	}
	if err := s.App.Usage.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{"partner", made.ID} {
		out := tm.ok("", "app-tokens", "usage", ref)
		contains(t, "app-tokens usage", out, "START", "RATE LIMITED")
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if got := strings.Fields(lines[len(lines)-1]); !slices.Equal(got, []string{"total", "2", "1", "0"}) {
			t.Fatalf("app-tokens usage %s: got the last line %q, want the totals 2 ok and 1 denied", ref, got)
		}
		if n := len(lines); n != 27 { // the header, 25 hours, the total
			t.Errorf("got %d lines, want 27: %s", n, out)
		}
	}
	out := tm.ok("", "app-tokens", "usage", "partner", "--since", "48h", "--granularity", "day")
	if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) < 4 || len(lines) > 5 {
		t.Errorf("two days back by day: got %s", out)
	}
	var js struct {
		Series []map[string]any `json:"series"`
	}
	tm.jsonOf(&js, "", "app-tokens", "usage", made.ID, "--since", time.Now().Add(-2*time.Hour).UTC().Format(time.RFC3339))
	if len(js.Series) != 3 {
		t.Errorf("--json since 2h ago: got %v", js)
	}
	tm.fails(cli.ExitUsage, []string{"--granularity"}, "", "app-tokens", "usage", "partner", "--granularity", "week")
	tm.fails(cli.ExitUsage, []string{"--since"}, "", "app-tokens", "usage", "partner", "--since", "yesterday")
	tm.fails(cli.ExitNotFound, []string{`no app token is named "nobody"`}, "", "app-tokens", "usage", "nobody")
	tm.fails(cli.ExitAPI, []string{"400", "since"}, "", "app-tokens", "usage", "partner", "--since", "100d")
	tm.fails(cli.ExitNotFound, []string{"404"}, "", "app-tokens", "usage", "0123456789abcdef01234567")
	tm.jsonOf(&made, "", "app-tokens", "create", "--name", "partner")
	tm.fails(cli.ExitUsage, []string{`2 app tokens are named "partner"`}, "", "app-tokens", "usage", "partner")
}
