// Package cli is Latchkey's admin command line, a client of the HTTP API
// built on package client: latchkey login, logout, signup, session, tenants,
// users, app-tokens, tokens, audit, scopes, webhooks and completion. docs/CLI.md documents it.
package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/url"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/latchkey/latchkey/client"
)

// Exit codes, which scripts can rely on (docs/CLI.md).
const (
	ExitOK       = 0 // done
	ExitAPI      = 1 // the API refused the request: 400, 409, 413, 429 and other errors
	ExitUsage    = 2 // a bad command, flag or argument
	ExitAuth     = 3 // not logged in, or the API answered 401 or 403
	ExitNotFound = 4 // the API answered 404
	ExitServer   = 5 // the server could not be reached or answered 5xx
	ExitLocal    = 6 // a local failure: the credentials file, the terminal
)

// Program is what the binary adds to the admin commands: its version
// (latchkey --version) and its own commands (serve, init, …), so that every
// command of the binary parses its flags one way and answers --help.
type Program struct {
	Version  string
	Commands []*cobra.Command
}

// Exit is an error of a Program command that sets the exit code; with a
// nil Err the command has already said what went wrong.
type Exit struct {
	Code int
	Err  error
}

func (e Exit) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e Exit) Unwrap() error { return e.Err }

// IO is what a command reads and writes: its standard streams and its
// environment (as os.Environ gives it).
type IO struct {
	In       io.Reader
	Out, Err io.Writer
	Env      []string
}

func (o IO) getenv(name string) string {
	for _, kv := range slices.Backward(o.Env) {
		if k, v, ok := strings.Cut(kv, "="); ok && k == name {
			return v
		}
	}
	return ""
}

// Run executes a command of the binary (args without the program name): an
// admin command or one of p's, and cobra's own (help, __complete), and
// returns the process exit code. Flags of the root (--json) may come
// before the command.
//
// Everything a command prints, to stdout and stderr, goes through one
// output layer that escapes control and format characters (escape), so
// that data a server stored, even before it refused such characters,
// cannot reach the terminal raw.
func Run(ctx context.Context, args []string, o IO, p Program) int {
	a := &app{}
	out, errOut := &escaper{w: o.Out, json: &a.json}, &escaper{w: o.Err, json: &a.json}
	o.Out, o.Err = out, errOut
	a.io = o
	defer func() { _ = out.Flush(); _ = errOut.Flush() }()
	root := a.root()
	if p.Version != "" {
		root.Version = p.Version
		root.SetVersionTemplate("latchkey {{.Version}}\n")
	}
	root.AddCommand(p.Commands...)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	code := exitCode(err)
	a.printError(err, code)
	return code
}

// app is one run of the command line: its streams and its --json flag.
type app struct {
	io   IO
	json bool
	in   *bufio.Reader // stdin, once a prompt has read from it
}

func (a *app) root() *cobra.Command {
	root := &cobra.Command{
		Use:   "latchkey",
		Short: "Latchkey, a multi-tenant token authority, and its admin command line",
		Long: `Run a Latchkey server (serve, init, migrate, and recovery without the API:
app-token, user), or administer one through its API as the user you log in as.

Start with "latchkey login". Credentials are kept in a file only you can read
(LATCHKEY_CREDENTIALS, default: your config directory's latchkey/credentials.json);
LATCHKEY_URL, LATCHKEY_APP_TOKEN and LATCHKEY_TOKEN override it.

Exit codes: 0 ok, 1 the API refused the request, 2 usage, 3 not logged in or
not allowed (401, 403), 4 not found (404), 5 server unreachable or 5xx,
6 local failure (credentials file, terminal).`,
		SilenceUsage:  true,
		SilenceErrors: true,
		// Alone, latchkey prints its help and fails (a usage error); with
		// an unknown command it says which known ones are near.
		Args: cobra.ArbitraryArgs,
		RunE: Usage,
	}
	root.SetIn(a.io.In)
	root.SetOut(a.io.Out)
	root.SetErr(a.io.Err)
	root.PersistentFlags().BoolVar(&a.json, "json", false, "print the API's JSON instead of a table")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(a.loginCmd(), a.logoutCmd(), a.signupCmd(), a.sessionCmd(), a.tenantsCmd(), a.usersCmd(),
		a.appTokensCmd(), a.tokensCmd(), a.auditCmd(), a.scopesCmd(), a.webhooksCmd())
	// Cobra's completion command, made now (after SetOut, which it keeps)
	// so that an unknown shell is a usage error like any unknown subcommand.
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.Name() == "completion" {
			g := group(c.Use, c.Short)
			c.Args, c.RunE = g.Args, g.RunE
		}
	}
	return root
}

// usageError is a bad command line.
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }

// localError is a failure on this machine (files, terminal).
type localError struct{ error }

func (e localError) Unwrap() error { return e.error }

// notFoundError is a name that names nothing (exit 4, as the API's 404).
type notFoundError struct{ error }

func (e notFoundError) Unwrap() error { return e.error }

// authError says the user must log in (again).
type authError struct{ error }

func (e authError) Unwrap() error { return e.error }

func exitCode(err error) int {
	var apiErr *client.Error
	var urlErr *url.Error
	var netErr net.Error
	var usage usageError
	var local localError
	var auth authError
	var notFound notFoundError
	var exit Exit
	switch {
	case errors.As(err, &exit):
		return exit.Code
	case errors.As(err, &apiErr):
		switch {
		case apiErr.Status == 401 || apiErr.Status == 403:
			return ExitAuth
		case apiErr.Status == 404:
			return ExitNotFound
		case apiErr.Status >= 500:
			return ExitServer
		}
		return ExitAPI
	case errors.As(err, &auth):
		return ExitAuth
	case errors.As(err, &notFound):
		return ExitNotFound
	case errors.As(err, &local):
		return ExitLocal
	case errors.As(err, &usage):
		return ExitUsage
	case errors.As(err, &urlErr), errors.As(err, &netErr):
		return ExitServer
	}
	// What is left are cobra's own errors: an unknown command, a wrong
	// number of arguments.
	return ExitUsage
}

// printError writes err to stderr: an API error with every field, one a
// line (or as JSON with --json).
func (a *app) printError(err error, code int) {
	var apiErr *client.Error
	var exit Exit
	var urlErr *url.Error
	if errors.As(err, &exit) { // a server command's error: its own words
		if exit.Err != nil {
			fmt.Fprintln(a.io.Err, "latchkey:", exit.Err)
		}
		return
	}
	var opErr *net.OpError
	if errors.As(err, &urlErr) && (errors.As(err, &opErr) || urlErr.Timeout()) {
		err = unreachable(urlErr)
	}
	if errors.As(err, &apiErr) {
		if a.json {
			_ = json.NewEncoder(a.io.Err).Encode(map[string]any{"status": apiErr.Status, "errors": apiErr.Fields})
			return
		}
		fmt.Fprintf(a.io.Err, "latchkey: the server answered %d\n", apiErr.Status)
		for _, k := range slices.Sorted(maps.Keys(apiErr.Fields)) {
			fmt.Fprintf(a.io.Err, "  %s: %s\n", k, apiErr.Fields[k])
		}
		return
	}
	fmt.Fprintln(a.io.Err, "latchkey:", err)
	if code == ExitUsage {
		fmt.Fprintln(a.io.Err, `Run "latchkey <command> --help" for usage.`)
	}
}

// print writes v as JSON with --json, and otherwise as table.
func (a *app) print(v any, table func(w *tableWriter)) error {
	if a.json {
		enc := json.NewEncoder(a.io.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	w := newTable(a.io.Out)
	table(w)
	return w.Flush()
}

// group returns a command that only holds subcommands: alone it prints
// its help, with an unknown subcommand it is a usage error.
func group(use, short string) *cobra.Command {
	return &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return unknownCommand(cmd, args[0])
			}
			return cmd.Help()
		},
	}
}

// Usage is the RunE of a command that only holds subcommands and cannot
// run alone (latchkey, latchkey user): alone it prints its help to stderr
// and is a usage error; with an unknown subcommand it says which are near.
func Usage(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return unknownCommand(cmd, args[0])
	}
	cmd.SetOut(cmd.ErrOrStderr())
	_ = cmd.Help()
	return Exit{Code: ExitUsage}
}

// unknownCommand is the usage error of a command that does not exist, with
// the subcommands of cmd whose names are near (cobra's suggestions: "users
// lst" suggests list).
func unknownCommand(cmd *cobra.Command, name string) error {
	msg := fmt.Sprintf("unknown command %q for %q", name, cmd.CommandPath())
	if cmd.SuggestionsMinimumDistance <= 0 {
		cmd.SuggestionsMinimumDistance = 2
	}
	if near := cmd.SuggestionsFor(name); len(near) > 0 {
		msg += "\n\nDid you mean this?\n\t" + strings.Join(near, "\n\t")
	}
	return usageError{errors.New(msg)}
}

// unreachable turns the error of a request that reached no server into a
// sentence naming the server: "connection refused" alone does not say
// which URL was tried.
func unreachable(e *url.Error) error {
	base := e.URL
	if u, err := url.Parse(e.URL); err == nil && u.Host != "" {
		base = u.Scheme + "://" + u.Host
	}
	reason := e.Err
	var op *net.OpError
	if errors.As(e.Err, &op) && op.Err != nil {
		reason = op.Err
		var sys *os.SyscallError
		if errors.As(op.Err, &sys) {
			reason = sys.Err
		}
	}
	if e.Timeout() {
		return fmt.Errorf("the server at %s did not answer in time", base)
	}
	return fmt.Errorf("the server is not reachable at %s (%v)", base, reason)
}

// args returns a cobra argument check that reports a usage error.
func args(n int, names ...string) cobra.PositionalArgs {
	return func(_ *cobra.Command, got []string) error {
		if len(got) != n {
			return usageError{fmt.Errorf("want %d argument(s): %s; got %d", n, strings.Join(names, " "), len(got))}
		}
		return nil
	}
}
