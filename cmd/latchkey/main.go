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
// users, app-tokens, tokens, audit, …), a client of a running server. All
// of them are cobra commands under one root: one flag style, --help on
// every one, shell completion through the binary itself.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

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
	return cli.Run(ctx, args, cli.IO{In: stdin, Out: stdout, Err: stderr, Env: env},
		cli.Program{Version: version, Commands: commands(env, stdout, stderr)})
}

// commands are the server's own subcommands. They write to stdout and
// stderr directly (serve prints its credentials while it runs); their
// errors leave through fail.
func commands(env []string, stdout, stderr io.Writer) []*cobra.Command {
	command := func(use, short, long string, args cobra.PositionalArgs,
		do func(ctx context.Context, load loader, args []string) error) *cobra.Command {
		cmd := &cobra.Command{Use: use, Short: short, Long: long, Args: args}
		load := configFlags(cmd.Flags(), env)
		cmd.RunE = func(cmd *cobra.Command, args []string) error { return fail(do(cmd.Context(), load, args)) }
		return cmd
	}
	serveCmd := command("serve", "Serve the API and the console; an empty store is initialised first",
		`Serve the API and the console. An empty store is initialised first: the
platform tenant, its owner "admin" (password from LATCHKEY_ADMIN_PASSWORD,
else generated and printed once) and an app token, printed once.

Environment variables LATCHKEY_<SECTION>_<KEY> override the file named by
--config; flags override both.`, cobra.NoArgs,
		func(ctx context.Context, load loader, _ []string) error { return serve(ctx, load, env, stdout, stderr) })

	var asJSON bool
	initCmd := command("init", "Initialise an empty store and print its credentials", "", cobra.NoArgs,
		func(ctx context.Context, load loader, _ []string) error {
			return initialise(ctx, load, asJSON, env, stdout, stderr)
		})
	initCmd.Flags().BoolVar(&asJSON, "json", false, "print the credentials as one JSON object")

	var to, from string
	migrateCmd := command("migrate", "Copy the whole installation into MongoDB (--to) or back into SQLite (--from)",
		"Copy the whole installation between the SQLite files of store.data_dir and a\n"+
			"MongoDB. The target must be empty; stop every serve instance first.", cobra.NoArgs,
		func(ctx context.Context, load loader, _ []string) error {
			return migrateStore(ctx, load, to, from, stdout, stderr)
		})
	migrateCmd.Flags().StringVar(&to, "to", "", "MongoDB URI to copy the SQLite installation into")
	migrateCmd.Flags().StringVar(&from, "from", "", "MongoDB URI to copy into the SQLite installation")

	var slug, name string
	appTokenCreate := command("create", "Write a new app token of a tenant into the store and print it once", "", cobra.NoArgs,
		func(ctx context.Context, load loader, _ []string) error {
			return appToken(ctx, load, slug, name, stdout, stderr)
		})
	appTokenCreate.Flags().StringVar(&slug, "tenant", "", "the tenant's slug (or id)")
	appTokenCreate.Flags().StringVar(&name, "name", "recovery", "the new token's name")
	appTokenGroup := &cobra.Command{Use: "app-token", Short: "Recovery without the API: app tokens straight into the store",
		Args: cobra.ArbitraryArgs, RunE: cli.Usage}
	appTokenGroup.AddCommand(appTokenCreate)

	var userSlug string
	var fromStdin bool
	resetPassword := command("reset-password USERNAME", "Give a user a new password and make it an active owner",
		`Recovery without the API, on the same configuration as serve: give the user
USERNAME of the tenant a new password and make it an active owner; its lockout
and its tokens end. The password is the first line of stdin with
--password-stdin, else LATCHKEY_NEW_PASSWORD, else asked on a terminal, else
generated and printed once.`, cobra.ExactArgs(1),
		func(ctx context.Context, load loader, args []string) error {
			return resetUserPassword(ctx, load, userSlug, fromStdin, args[0], env, stdout, stderr)
		})
	resetPassword.Flags().StringVar(&userSlug, "tenant", "", "the tenant's slug (or id)")
	resetPassword.Flags().BoolVar(&fromStdin, "password-stdin", false, "read the new password from the first line of stdin")
	userGroup := &cobra.Command{Use: "user", Short: "Recovery without the API: a user's password",
		Args: cobra.ArbitraryArgs, RunE: cli.Usage}
	userGroup.AddCommand(resetPassword)

	health := command("healthcheck", "Exit 0 if the server of this configuration answers GET /readyz with 200",
		"The container's health check: the image has no shell or curl, only this binary.", cobra.NoArgs,
		func(ctx context.Context, load loader, _ []string) error { return healthcheck(ctx, load, stdout) })

	versionCmd := &cobra.Command{Use: "version", Short: "Print the version", Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			_, err := fmt.Fprintln(stdout, "latchkey", version)
			return err
		}}
	return []*cobra.Command{serveCmd, initCmd, migrateCmd, appTokenGroup, userGroup, health, versionCmd}
}

// fail turns the error of a server subcommand into the exit code it asks
// for: exitCode's (whose message is printed already), else 1.
func fail(err error) error {
	var code exitCode
	switch {
	case err == nil:
		return nil
	case errors.As(err, &code):
		return cli.Exit{Code: int(code)}
	}
	return cli.Exit{Code: 1, Err: err}
}

// exitCode is an error that asks for a particular exit code (its message
// has already been printed).
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }
