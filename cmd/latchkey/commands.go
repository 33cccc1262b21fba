package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/latchkey/latchkey/admin"
	"github.com/latchkey/latchkey/internal/mongostore"
)

// open loads the configuration of a subcommand and builds its Main.
func open(name string, args, env []string, stderr io.Writer, extra func(*flag.FlagSet)) (*Main, error) {
	cfg, err := load(name, args, env, stderr, extra)
	if err != nil {
		return nil, err
	}
	log, err := newLogger(cfg.Log, zapcore.Lock(zapcore.AddSync(stderr)))
	if err != nil {
		return nil, err
	}
	return NewMain(cfg, log), nil
}

// serve runs the server until ctx ends (SIGINT / SIGTERM), initialising an
// empty store first.
func serve(ctx context.Context, args, env []string, stdout, stderr io.Writer) error {
	m, err := open("serve", args, env, stderr, nil)
	if err != nil {
		return err
	}
	defer m.Close()
	if err := m.Open(ctx); err != nil {
		return err
	}
	boot, err := m.App.Initialize(ctx, adminPassword(env))
	if err != nil && !errors.Is(err, admin.ErrInitialised) {
		return err
	}
	if err := m.Run(ctx); err != nil {
		return err
	}
	m.Logger.Info("listening", zap.String("url", m.URL()), zap.Bool("embedded_store", m.Store.Embedded()))
	if boot != nil {
		printWelcome(stdout, m.URL(), boot)
	} else {
		fmt.Fprintf(stdout, "Latchkey is serving on %s (console: %s/console/). Stop it with Ctrl-C.\n", m.URL(), m.URL())
	}
	<-ctx.Done()
	m.Logger.Info("shutting down")
	return m.Close()
}

// printWelcome prints the new store's credentials and a curl line that
// logs in with them. curl -d sends its data as it is, so the password is
// form-encoded for it (a LATCHKEY_ADMIN_PASSWORD may hold + & % or a quote,
// which would otherwise change the password or break the shell quoting).
func printWelcome(w io.Writer, base string, b *admin.Bootstrap) {
	fmt.Fprintf(w, `Latchkey initialised a new store. These credentials are shown once; keep them safe.

  app token (platform tenant): %[2]s
  username:                    %[3]s
  password:                    %[4]s

Log in:
  curl -s -X POST %[1]s/api/v1/token/ -H 'App-Token: %[2]s' -d username=%[3]s -d 'password=%[5]s'

Then call the API with the token it returns:
  curl -s %[1]s/api/v1/users/me -H 'App-Token: %[2]s' -H 'Token: <token>'

Console: %[1]s/console/
`, base, b.AppToken, b.Admin.Username, b.Admin.Password, url.QueryEscape(b.Admin.Password))
}

// initialise initialises an empty store without serving. On a store that
// is already initialised it changes nothing and fails.
func initialise(ctx context.Context, args, env []string, stdout, stderr io.Writer) error {
	var asJSON bool
	m, err := open("init", args, env, stderr, func(fs *flag.FlagSet) {
		fs.BoolVar(&asJSON, "json", false, "print the credentials as one JSON object")
	})
	if err != nil {
		return err
	}
	defer m.Close()
	if err := m.Open(ctx); err != nil {
		return err
	}
	boot, err := m.App.Initialize(ctx, adminPassword(env))
	if err != nil {
		return err
	}
	if asJSON {
		return json.NewEncoder(stdout).Encode(boot)
	}
	fmt.Fprintf(stdout, "Initialised. Platform tenant %s.\n  app token: %s\n  username:  %s\n  password:  %s\n",
		boot.Tenant.ID, boot.AppToken, boot.Admin.Username, boot.Admin.Password)
	return nil
}

// runStore runs only the embedded store on store.embedded_addr until ctx
// ends, so several serve instances (with store.mongodb_uri pointing at it)
// can share one store.
func runStore(ctx context.Context, args, env []string, stdout, stderr io.Writer) error {
	m, err := open("store", args, env, stderr, nil)
	if err != nil {
		return err
	}
	c := m.Config
	if c.Store.MongoDBURI != "" {
		return errors.New("store.mongodb_uri is set: `latchkey store` runs the embedded store, which a MongoDB URI replaces")
	}
	e, err := mongostore.StartEmbedded(c.Store.DataDir, c.Store.EmbeddedAddr, ferretLogger(m.Logger))
	if err != nil {
		return err
	}
	defer e.Close()
	fmt.Fprintf(stdout, "Embedded store serving %s on %s. Point instances at it with LATCHKEY_STORE_MONGODB_URI=%s\n",
		c.Store.DataDir, e.URI(), e.URI())
	<-ctx.Done()
	return nil
}
