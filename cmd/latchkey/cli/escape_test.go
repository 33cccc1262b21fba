package cli_test

import (
	"context"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/testserver"
)

// TestOutputEscapesStoredControlCharacters: an email stored before the API
// refused control and format characters (written here straight into the
// store) reaches no terminal raw. Tables and plain output show ESC, BEL and
// U+202E as escapes; --json is JSON-escaped and still decodes to the value
// stored; a line break in a cell cannot add a row.
func TestOutputEscapesStoredControlCharacters(t *testing.T) {
	s := testserver.Start(t)
	tm := newTerm(t, s)
	tm.login(s.AppToken, s.Username, s.Password)
	owner := s.OwnerToken(t)
	s.NewUser(t, s.AppToken, owner, "mallory", "member")
	const stored = "m\x1b]0;owned\a\x1b[2J\u202emoc.evil\nFAKE ROW\u009b@example.test"
	ctx := context.Background()
	u, err := s.Store.Users().FindByUsername(ctx, s.TenantID, "mallory")
	if err != nil {
		t.Fatal(err)
	}
	u.Email = stored
	if err := s.Store.Users().Replace(ctx, s.TenantID, u); err != nil {
		t.Fatal(err)
	}

	raw := []string{"\x1b", "\a", "\u202e", "\u009b"}
	for _, args := range [][]string{{"users", "list"}, {"users", "get", u.ID.Hex()}, {"users", "list", "--json"}, {"users", "get", u.ID.Hex(), "--json"}} {
		out := tm.ok("", args...)
		what := strings.Join(args, " ")
		for _, r := range raw {
			if strings.Contains(out, r) {
				t.Errorf("%s printed %+q raw: %q", what, r, out)
			}
		}
		if strings.Contains(out, "\nFAKE ROW") {
			t.Errorf("%s printed a line break of the stored value: %q", what, out)
		}
		want := `m\x1b]0;owned\a\x1b[2J\u202emoc.evil\nFAKE ROW\u009b@example.test`
		if strings.HasSuffix(what, "--json") {
			want = `m\u001b]0;owned\u0007\u001b[2J\u202emoc.evil\nFAKE ROW\u009b@example.test`
		}
		if !strings.Contains(out, want) {
			t.Errorf("%s printed %q, without %q", what, out, want)
		}
	}
	var got struct{ Email string }
	tm.jsonOf(&got, "", "users", "get", u.ID.Hex())
	if got.Email != stored {
		t.Errorf("users get --json decodes to email %+q, want %+q", got.Email, stored)
	}
}
