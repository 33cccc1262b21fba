package cli_test

import (
	"strings"
	"testing"

	"github.com/latchkey/latchkey/cmd/latchkey/cli"
	"github.com/latchkey/latchkey/internal/testserver"
)

// TestRotateCommands: app-tokens rotate by name or id prints the successor
// once; tokens rotate rotates a personal token; a bad --grace is a usage
// error and an unknown name says so.
func TestRotateCommands(t *testing.T) {
	s := testserver.Start(t)
	acme := s.NewTenant(t, "acme")
	tm := newTerm(t, s)
	tm.login(acme.AppToken, "owner", "owner-password")

	var made struct{ ID string }
	tm.jsonOf(&made, "", "app-tokens", "create", "--name", "billing")
	out := tm.ok("", "app-tokens", "rotate", "billing", "--grace", "1h")
	contains(t, "app-tokens rotate", out, "lka_", "rotated from  "+made.ID, "shown this once")
	// The name now names the successor alone (the old one is live but
	// still named billing): by name is ambiguous, by id is not.
	tm.fails(cli.ExitUsage, []string{`2 app tokens are named "billing"`}, "", "app-tokens", "rotate", "billing")
	tm.fails(cli.ExitAPI, []string{"409", "rotated already"}, "", "app-tokens", "rotate", made.ID)
	tm.fails(cli.ExitNotFound, []string{`no app token is named "nothing"`}, "", "app-tokens", "rotate", "nothing")
	var gone struct{ ID string }
	tm.jsonOf(&gone, "", "app-tokens", "create", "--name", "gone")
	tm.ok("", "app-tokens", "expire", gone.ID)
	tm.fails(cli.ExitAPI, []string{"409"}, "", "app-tokens", "rotate", "gone") // names the expired one
	tm.fails(cli.ExitUsage, []string{"--grace"}, "", "app-tokens", "rotate", made.ID, "--grace", "soon")
	tm.fails(cli.ExitAPI, []string{"grace_seconds"}, "", "app-tokens", "rotate", acme.AppToken, "--grace", "8d")

	var mine struct{ ID string }
	tm.jsonOf(&mine, "", "tokens", "create", "--name", "laptop")
	var next struct {
		ID, Token   string
		RotatedFrom string `json:"rotated_from"`
	}
	tm.jsonOf(&next, "", "tokens", "rotate", mine.ID, "--grace", "0")
	if next.RotatedFrom != mine.ID || !strings.HasPrefix(next.Token, "lku_") {
		t.Errorf("tokens rotate --json printed %+v, want a token rotated from %s", next, mine.ID)
	}
	tm.fails(cli.ExitAPI, []string{"409"}, "", "tokens", "rotate", mine.ID)
}
