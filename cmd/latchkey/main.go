// Command latchkey runs the Latchkey token authority.
//
//	latchkey serve    serve the API and console (initialising an empty store)
//	latchkey init     initialise an empty store and print its credentials
//	latchkey migrate  copy an installation between SQLite and MongoDB
//	latchkey app-token create --tenant SLUG   recovery: a new app token, straight into the store
//	latchkey user reset-password --tenant SLUG USERNAME   recovery: a new password, an active owner
//	latchkey healthcheck  exit 0 if the configured server answers GET /readyz
//	latchkey version  print the version
//
// and the admin command line of package cmd/latchkey/cli (login, tenants,
// users, app-tokens, tokens, audit, …), a client of a running server.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/latchkey/latchkey/cmd/latchkey/cli"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Environ(), os.Stdout, os.Stderr))
}

// run executes one subcommand and returns the process exit code.
func run(ctx context.Context, args, env []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "serve":
		err = serve(ctx, args[1:], env, stdout, stderr)
	case "init":
		err = initialise(ctx, args[1:], env, stdout, stderr)
	case "migrate":
		err = migrateCmd(ctx, args[1:], env, stdout, stderr)
	case "app-token":
		err = appToken(ctx, args[1:], env, stdout, stderr)
	case "user":
		err = user(ctx, args[1:], env, stdout, stderr)
	case "healthcheck":
		err = healthcheck(ctx, args[1:], env, stdout, stderr)
	case "version", "--version", "-v":
		fmt.Fprintln(stdout, "latchkey", version)
	case "help", "--help", "-h":
		fmt.Fprint(stdout, usage)
	default:
		if cli.Handles(args[0]) {
			return cli.Run(ctx, args, cli.IO{In: os.Stdin, Out: stdout, Err: stderr, Env: env})
		}
		fmt.Fprintf(stderr, "latchkey: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	if err != nil {
		fmt.Fprintln(stderr, "latchkey:", err)
		if code, ok := err.(exitCode); ok {
			return int(code)
		}
		return 1
	}
	return 0
}

// exitCode is an error that asks for a particular exit code (its message
// has already been printed).
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

const usage = `usage: latchkey <command> [flags]

commands:
  serve     serve the API and the console; an empty store is initialised first
  init      initialise an empty store and print the credentials (--json for JSON)
  migrate   copy the whole installation into MongoDB (--to URI) or back into SQLite (--from URI)
  app-token create --tenant SLUG [--name NAME]
            recovery without the API: write a new app token of a tenant into the store and print it once
  user reset-password --tenant SLUG [--password-stdin] USERNAME
            recovery without the API: give a user a new password (--password-stdin, else
            LATCHKEY_NEW_PASSWORD, else asked on a terminal, else generated and printed once) and
            make it an active owner; ends its lockout and its tokens
  healthcheck
            exit 0 if the server of this configuration answers GET /readyz with 200
            (the container's health check: the image has no shell or curl)
  version   print the version

admin commands (a client of a running server; see "latchkey <command> --help"):
  login, logout, signup, session, tenants, users, app-tokens, tokens, audit,
  completion bash|zsh|fish

flags (serve, init, migrate, app-token, user):
  --config FILE        YAML configuration (see configs/latchkey.yaml)
  --addr HOST:PORT     server.addr
  --mongodb-uri URI    store.mongodb_uri (empty: SQLite files under store.data_dir)
  --data-dir DIR       store.data_dir, the SQLite files' directory

Environment variables LATCHKEY_<SECTION>_<KEY> override the file; flags override both.
LATCHKEY_ADMIN_PASSWORD sets the first owner's password at initialisation; serve
never prints it back.
`
