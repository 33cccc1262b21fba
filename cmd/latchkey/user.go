package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/latchkey/latchkey/audit"
	"github.com/latchkey/latchkey/internal/secret"
)

// stdin is what --password-stdin and the prompt read; tests replace it.
var stdin io.Reader = os.Stdin

// envNewPassword gives user reset-password its new password.
const envNewPassword = "LATCHKEY_NEW_PASSWORD"

const userUsage = "usage: latchkey user reset-password --tenant SLUG [--password-stdin] [flags] USERNAME"

// resetUserPassword runs "user reset-password": recovery without the API, on the same
// configuration as serve. It gives the user USERNAME of the tenant a new
// password and makes it an active owner (enabled, promoted: the command is
// there to give a tenant back someone who can manage it, the platform's own
// admin included), ends its lockout and its tokens, and writes an audit
// record in the tenant's log. The password is the first line of stdin with
// --password-stdin, else LATCHKEY_NEW_PASSWORD, else asked twice without
// echo on a terminal, else generated and printed once. A password given is
// never printed.
func resetUserPassword(ctx context.Context, load loader, slug string, fromStdin bool, username string,
	env []string, stdout, stderr io.Writer) error {
	m, err := open(load, stderr)
	if err != nil {
		return err
	}
	defer m.Close()
	if slug == "" {
		fmt.Fprintln(stderr, "latchkey user reset-password: --tenant is required\n"+userUsage)
		return exitCode(2)
	}
	password, generated, err := newPassword(env, fromStdin, stderr)
	if err != nil {
		return err
	}
	if err := m.Open(ctx); err != nil {
		return err
	}
	t, err := m.App.Tenants.Find(ctx, slug)
	if err != nil {
		return fmt.Errorf("tenant %q: %w", slug, err)
	}
	r, err := m.App.Users.ResetOwner(ctx, t.ID, username, password)
	if err != nil {
		return fmt.Errorf("user %q of tenant %s: %w", username, t.Slug, err)
	}
	if err := m.App.Tokens.EndLockout(ctx, t, r.User.Username); err != nil {
		return fmt.Errorf("ending the lockout of %q: %w", r.User.Username, err)
	}
	detail := fmt.Sprintf("latchkey user reset-password (recovery, without the API): new password; role %s (was %s), "+
		"status %s (was %s); lockout ended; %d tokens ended", r.User.Role, r.Was.Role, r.User.Status, r.Was.Status, r.Ended)
	m.App.Audit.Write(ctx, t.ID, audit.Record{Action: "user.update", Target: r.User.ID.Hex(), Outcome: audit.Success, Detail: detail})
	fmt.Fprintf(stdout, "User %s of tenant %s: new password; active owner (was %s, %s); lockout ended; %d tokens ended.\n",
		r.User.Username, t.Slug, r.Was.Role, r.Was.Status, r.Ended)
	if !t.Active() {
		fmt.Fprintf(stdout, "The tenant is %s: a platform owner makes it active (PATCH /tenants/%s).\n", t.Status, t.Slug)
	}
	if generated {
		fmt.Fprintf(stdout, "New password, shown once:\n%s\n", password)
	}
	return nil
}

// newPassword returns the new password of user reset-password (see user)
// and whether it was generated.
func newPassword(env []string, fromStdin bool, stderr io.Writer) (string, bool, error) {
	if fromStdin {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			return "", false, errors.Join(errors.New("--password-stdin: no password on the first line of stdin"), err)
		}
		return line, false, nil
	}
	if v, _ := lookupEnv(env, envNewPassword); v != "" {
		return v, false, nil
	}
	f, ok := stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return secret.NewPassword(), true, nil
	}
	ask := func(prompt string) (string, error) {
		fmt.Fprint(stderr, prompt)
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		return string(b), err
	}
	first, err := ask("New password (empty: generate one): ")
	if err != nil || first == "" {
		return secret.NewPassword(), true, err
	}
	again, err := ask("Again: ")
	if err != nil {
		return "", false, err
	}
	if again != first {
		return "", false, errors.New("the two passwords differ")
	}
	return first, false, nil
}
