package cli_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/cmd/latchkey/cli"
	"github.com/latchkey/latchkey/internal/testserver"
)

// putScopes puts the scopes names in the catalog as the platform owner.
func putScopes(t *testing.T, s *testserver.Server, names ...string) {
	t.Helper()
	owner := s.OwnerToken(t)
	for _, n := range names {
		s.Must(t, 200, testserver.Request{Method: "PUT", Path: "/api/v1/scopes/" + n, AppToken: s.AppToken, Token: owner,
			JSON: map[string]any{"description": n}})
	}
}

// TestScopeCommands: the platform owner lists, puts and deletes catalog
// scopes; others only list; a held scope is not deleted; completion
// offers the catalog's names.
func TestScopeCommands(t *testing.T) {
	s := testserver.Start(t)
	tm := newTerm(t, s)
	tm.login(s.AppToken, s.Username, s.Password)

	contains(t, "scopes list", tm.ok("", "scopes", "list"), "NAME DESCRIPTION BUILT IN", "latchkey:admin", "yes")
	contains(t, "scopes put", tm.ok("", "scopes", "put", "billing:read", "--description", "Read invoices"),
		"name billing:read", "description Read invoices", "built in no")
	contains(t, "scopes put again", tm.ok("", "scopes", "put", "billing:read", "--description", "Read every invoice"),
		"description Read every invoice")
	var list []struct {
		Name, Description string
		BuiltIn           bool `json:"built_in"`
	}
	tm.jsonOf(&list, "", "scopes", "list")
	if len(list) != 2 || list[1].Name != "billing:read" || list[1].Description != "Read every invoice" || !list[0].BuiltIn {
		t.Errorf("scopes list --json: got %+v, want latchkey:admin and billing:read with its new description", list)
	}
	tm.fails(cli.ExitUsage, []string{`required flag(s) "description" not set`}, "", "scopes", "put", "orders:write")
	tm.fails(cli.ExitUsage, []string{"an empty scope name"}, "", "scopes", "put", "", "--description", "x")
	tm.fails(cli.ExitAPI, []string{"400", "name:"}, "", "scopes", "put", "Billing", "--description", "x")
	tm.fails(cli.ExitAPI, []string{"400", "name:"}, "", "scopes", "put", "latchkey:audit", "--description", "x")
	tm.fails(cli.ExitNotFound, []string{"404"}, "", "scopes", "delete", "orders:write")
	tm.fails(cli.ExitAPI, []string{"400"}, "", "scopes", "delete", "latchkey:admin")

	if out := tm.ok("", "__complete", "scopes", "delete", "bil"); !strings.Contains(out, "billing:read\n") || strings.Contains(out, "latchkey:admin") {
		t.Errorf("__complete scopes delete bil: %q, want billing:read alone", out)
	}
	if out := tm.ok("", "__complete", "app-tokens", "create", "--scope", ""); !strings.Contains(out, "billing:read\n") || !strings.Contains(out, "latchkey:admin\n") {
		t.Errorf("__complete app-tokens create --scope: %q, want the catalog", out)
	}

	// A tenant's owner reads the catalog, may not change it, and holds a
	// scope with an app token: then it is not deleted.
	acme := s.NewTenant(t, "acme")
	ta := newTerm(t, s)
	ta.login(acme.AppToken, "owner", "owner-password")
	contains(t, "scopes list by a tenant's owner", ta.ok("", "scopes", "list"), "billing:read")
	ta.fails(cli.ExitAuth, []string{"403"}, "", "scopes", "put", "orders:write", "--description", "x")
	ta.fails(cli.ExitAuth, []string{"403"}, "", "scopes", "delete", "billing:read")
	ta.ok("", "app-tokens", "create", "--name", "partner", "--scope", "billing:read")
	tm.fails(cli.ExitAPI, []string{"409", "name:"}, "", "scopes", "delete", "billing:read")
	ta.ok("", "app-tokens", "expire", "partner")
	contains(t, "scopes delete", tm.ok("", "scopes", "delete", "billing:read"), "Deleted scope billing:read.")
	tm.jsonOf(&list, "", "scopes", "list")
	if slices.ContainsFunc(list, func(s struct {
		Name, Description string
		BuiltIn           bool `json:"built_in"`
	}) bool {
		return s.Name == "billing:read"
	}) {
		t.Errorf("scopes list after the delete: %+v", list)
	}
}

// TestAppTokenDetailCommands: app-tokens create and update set and clear
// scopes, meta and the external id; list, get and tokens list show
// scopes and hints; a bad --meta is a usage error that changes nothing.
func TestAppTokenDetailCommands(t *testing.T) {
	s := testserver.Start(t)
	putScopes(t, s, "billing:read", "orders:write")
	acme := s.NewTenant(t, "acme")
	tm := newTerm(t, s)
	tm.login(acme.AppToken, "owner", "owner-password")

	type appToken struct {
		ID, Name, Hint string
		Scopes         *[]string
		Meta           map[string]any
		ExternalID     *string `json:"external_id"`
	}
	var made appToken
	tm.jsonOf(&made, "", "app-tokens", "create", "--name", "partner", "--scope", "billing:read",
		"--meta", "plan=gold", "--meta", "note=a=b, c", "--external-id", "cust-42")
	if made.Scopes == nil || !slices.Equal(*made.Scopes, []string{"billing:read"}) || made.Meta["plan"] != "gold" ||
		made.Meta["note"] != "a=b, c" || made.ExternalID == nil || *made.ExternalID != "cust-42" {
		t.Fatalf("app-tokens create with details printed %+v", made)
	}
	contains(t, "app-tokens create", tm.ok("", "app-tokens", "create", "--name", "open"), "scopes unrestricted", "shown this once")
	contains(t, "app-tokens get", tm.ok("", "app-tokens", "get", "partner"), "hint lka_"+acme.ID+"_…",
		"scopes billing:read", "external id cust-42", `meta {"note":"a=b, c","plan":"gold"}`)
	out := tm.ok("", "app-tokens", "list")
	contains(t, "app-tokens list", out, "NAME HINT SCOPES")
	if line := lineOf(out, made.ID); !strings.Contains(line, " billing:read ") || !strings.Contains(line, " lka_"+acme.ID+"_…") {
		t.Errorf("app-tokens list: the row of partner is %q, want its hint and scopes", line)
	}
	if line := lineOf(out, " open "); !strings.Contains(line, " unrestricted ") {
		t.Errorf("app-tokens list: the row of open is %q, want unrestricted", line)
	}

	// Bad detail flags: usage errors, and nothing is made.
	var before []appToken
	tm.jsonOf(&before, "", "app-tokens", "list")
	tm.fails(cli.ExitUsage, []string{`--meta "plan": want key=value`}, "", "app-tokens", "create", "--meta", "plan")
	tm.fails(cli.ExitUsage, []string{`--meta "=gold": want key=value`}, "", "app-tokens", "create", "--meta", "=gold")
	tm.fails(cli.ExitUsage, []string{`the key "plan" is given twice`}, "", "app-tokens", "create", "--meta", "plan=a", "--meta", "plan=b")
	tm.fails(cli.ExitUsage, []string{"--scope: want a scope name"}, "", "app-tokens", "create", "--scope", "")
	tm.fails(cli.ExitAPI, []string{"400", "scopes:"}, "", "app-tokens", "create", "--scope", "nope:x")
	tm.fails(cli.ExitAPI, []string{"400", "meta:"}, "", "app-tokens", "create", "--meta", "big="+strings.Repeat("x", 3000))
	var after []appToken
	tm.jsonOf(&after, "", "app-tokens", "list")
	if len(after) != len(before) {
		t.Errorf("failed creates made app tokens: %d before, %d after", len(before), len(after))
	}

	// update: by name, each detail set and cleared.
	contains(t, "update --scope", tm.ok("", "app-tokens", "update", "partner", "--scope", "billing:read,orders:write"),
		"scopes billing:read,orders:write")
	contains(t, "update --unrestricted", tm.ok("", "app-tokens", "update", "partner", "--unrestricted"), "scopes unrestricted")
	contains(t, "update --meta", tm.ok("", "app-tokens", "update", made.ID, "--meta", "tier=1"), `meta {"tier":"1"}`)
	var got appToken
	tm.jsonOf(&got, "", "app-tokens", "update", "partner", "--no-meta", "--external-id", "", "--name", "renamed")
	if got.Meta != nil || got.ExternalID != nil || got.Name != "renamed" || got.Scopes != nil {
		t.Errorf("update --no-meta --external-id '' --name renamed: got %+v, want no meta, no external id, renamed, unrestricted", got)
	}
	tm.jsonOf(&got, "", "app-tokens", "update", "renamed", "--external-id", "cust-43", "--scope", "orders:write", "--rate-limit", "10/1m")
	if got.ExternalID == nil || *got.ExternalID != "cust-43" || got.Scopes == nil || !slices.Equal(*got.Scopes, []string{"orders:write"}) {
		t.Errorf("update --external-id --scope --rate-limit: got %+v", got)
	}
	tm.fails(cli.ExitUsage, []string{"nothing to change"}, "", "app-tokens", "update", "renamed")
	tm.fails(cli.ExitUsage, []string{"--scope and --unrestricted"}, "", "app-tokens", "update", "renamed", "--scope", "orders:write", "--unrestricted")
	tm.fails(cli.ExitUsage, []string{"--meta and --no-meta"}, "", "app-tokens", "update", "renamed", "--meta", "a=b", "--no-meta")
	tm.fails(cli.ExitUsage, []string{`--meta "ab": want key=value`}, "", "app-tokens", "update", "renamed", "--meta", "ab")
	tm.fails(cli.ExitNotFound, []string{`no app token is named "partner"`}, "", "app-tokens", "update", "partner", "--unrestricted")
	tm.fails(cli.ExitAPI, []string{"400", "scopes:"}, "", "app-tokens", "update", "renamed", "--scope", "nope:x")

	// User tokens show their hint and scopes too.
	var tok struct{ ID string }
	tm.jsonOf(&tok, "", "tokens", "create", "--name", "scoped", "--scope", "billing:read")
	if line := lineOf(tm.ok("", "tokens", "list"), tok.ID); !strings.Contains(line, " billing:read ") || !strings.Contains(line, " lku_"+acme.ID+"_…") {
		t.Errorf("tokens list: the row of the scoped token is %q, want its hint and scopes", line)
	}
	contains(t, "tokens get", tm.ok("", "tokens", "get", "scoped"), "scopes billing:read", "hint lku_")
	tm.fails(cli.ExitAPI, []string{"400", "scopes:"}, "", "tokens", "create", "--scope", "nope:x")
	tm.fails(cli.ExitUsage, []string{"--scope: want a scope name"}, "", "tokens", "create", "--scope", "a,,b")
}

// TestOneAppTokenLookup: every command that takes an app token by name
// finds it the one way: an unknown name is not found (exit 4) and names
// nothing else, a shared live name asks for the id, a token string goes
// to the API as it is and is not echoed.
func TestOneAppTokenLookup(t *testing.T) {
	s := testserver.Start(t)
	acme := s.NewTenant(t, "acme")
	tm := newTerm(t, s)
	tm.login(acme.AppToken, "owner", "owner-password")
	tm.ok("", "app-tokens", "create", "--name", "twin")
	tm.ok("", "app-tokens", "create", "--name", "twin")
	for _, args := range [][]string{{"get"}, {"extend", "--expires-in", "1h"}, {"expire"}, {"update", "--name", "x"},
		{"delete"}, {"rotate"}, {"usage"}} {
		cmd := append([]string{"app-tokens", args[0], "nobody"}, args[1:]...)
		tm.fails(cli.ExitNotFound, []string{`no app token is named "nobody"`}, "", cmd...)
		cmd[2] = "twin"
		tm.fails(cli.ExitUsage, []string{`2 app tokens are named "twin": give one's id`}, "", cmd...)
	}
	leaked := "lka_" + acme.ID + "_notarealtokenstringatall"
	r := tm.run("", "app-tokens", "get", leaked)
	if r.code != cli.ExitNotFound || strings.Contains(r.err, "notarealtoken") {
		t.Errorf("app-tokens get <a string shaped like a token>: exit %d, stderr %q; want 4 from the API, the string not echoed", r.code, r.err)
	}
}
