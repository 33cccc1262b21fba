package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/latchkey/latchkey/admin"
	"github.com/latchkey/latchkey/apptokens"
	"github.com/latchkey/latchkey/audit"
	"github.com/latchkey/latchkey/store/migrate"
	"github.com/latchkey/latchkey/store/mongo"
)

// open loads the configuration of a subcommand and builds its Main; bad
// tag keys (tokens.tag_keys) fail here, before any store is opened.
func open(load loader, stderr io.Writer) (*Main, error) {
	cfg, err := load()
	if err != nil {
		return nil, err
	}
	out := zapcore.Lock(zapcore.AddSync(stderr))
	log, err := newLogger(cfg.Log, out)
	if err != nil {
		return nil, err
	}
	if _, err := cfg.Tokens.Keyring(); err != nil {
		return nil, err // bad tokens.tag_keys fail before anything is opened
	}
	m := NewMain(cfg, log)
	if m.AccessLog, m.FlushAccessLog, err = newAccessLogger(cfg.Log, log, out, nil); err != nil {
		return nil, err
	}
	return m, nil
}

// serve runs the server until ctx ends (SIGINT / SIGTERM), initialising an
// empty store first. It binds server.addr before it opens the store: a port
// in use must fail before anything is initialised, or the first credentials
// would be made and never shown (and init refuses afterwards).
func serve(ctx context.Context, load loader, env []string, stdout, stderr io.Writer) error {
	m, err := open(load, stderr)
	if err != nil {
		return err
	}
	defer m.Close()
	gc := tuneGC(env)
	ln, err := net.Listen("tcp", m.Config.Server.Addr)
	if err != nil {
		return fmt.Errorf("server.addr: %w", err)
	}
	// Main.Run binds again once the store is ready; the address it binds is
	// the one held now (with the port it picked, for port 0), and it is
	// held until then.
	m.Config.Server.Addr = ln.Addr().String()
	if err := m.Open(ctx); err != nil {
		ln.Close()
		return err
	}
	boot, err := m.App.Initialize(ctx, adminPassword(env))
	if err != nil && !errors.Is(err, admin.ErrInitialised) {
		ln.Close()
		return err
	}
	if err := m.App.FinishHalfMade(ctx); err != nil {
		ln.Close()
		return err
	}
	ln.Close()
	fromEnv := passwordFromEnv(env)
	if err := m.Run(ctx); err != nil {
		if boot != nil { // never leave credentials nobody saw
			printWelcome(stdout, "http://"+m.Config.Server.Addr, boot, fromEnv)
		}
		return err
	}
	m.Logger.Info("listening", zap.String("url", m.URL()), zap.String("store", m.Store.Engine()), zap.String("gc", gc))
	if boot != nil {
		printWelcome(stdout, m.URL(), boot, fromEnv)
	} else {
		fmt.Fprintf(stdout, "Latchkey is serving on %s (console: %s/console/). Stop it with Ctrl-C.\n", m.URL(), m.URL())
	}
	<-ctx.Done()
	m.Logger.Info("shutting down")
	return m.Close()
}

// passwordFromEnv reports whether LATCHKEY_ADMIN_PASSWORD gives the first
// owner's password (adminPassword takes it from there).
func passwordFromEnv(env []string) bool {
	v, _ := lookupEnv(env, "LATCHKEY_ADMIN_PASSWORD")
	return v != ""
}

// printWelcome prints the new store's credentials and a curl line that
// logs in with them. A password that came from LATCHKEY_ADMIN_PASSWORD is
// not printed (whoever set it knows it, and terminal scrollback and
// container logs keep what is printed): the curl line reads it from the
// variable instead. A generated one is printed once, form-encoded for
// curl -d, which sends its data as it is.
func printWelcome(w io.Writer, base string, b *admin.Bootstrap, fromEnv bool) {
	password := b.Admin.Password
	data := "-d 'password=" + url.QueryEscape(b.Admin.Password) + "'"
	if fromEnv {
		password = "(the value of LATCHKEY_ADMIN_PASSWORD, not shown)"
		data = `--data-urlencode "password=$LATCHKEY_ADMIN_PASSWORD"`
	}
	fmt.Fprintf(w, `Latchkey initialised a new store. These credentials are shown once; keep them safe.

  app token (platform tenant): %[2]s
  username:                    %[3]s
  password:                    %[4]s

Log in:
  curl -s -X POST %[1]s/api/v1/token/ -H 'App-Token: %[2]s' -d username=%[3]s %[5]s

Then call the API with the token it returns:
  curl -s %[1]s/api/v1/users/me -H 'App-Token: %[2]s' -H 'Token: <token>'

Console: %[1]s/console/
`, base, b.AppToken, b.Admin.Username, password, data)
}

// initialise initialises an empty store without serving. On a store that
// is already initialised it changes nothing and fails. Like serve, it
// prints the owner's password only when it generated it: one from
// LATCHKEY_ADMIN_PASSWORD is known to whoever set it, and what is printed
// stays in scrollback, CI logs and files a script writes.
func initialise(ctx context.Context, load loader, asJSON bool, env []string, stdout, stderr io.Writer) error {
	m, err := open(load, stderr)
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
	password := boot.Admin.Password
	if passwordFromEnv(env) {
		boot.Admin.Password, password = "", "(the value of LATCHKEY_ADMIN_PASSWORD, not shown)"
	}
	if asJSON {
		return json.NewEncoder(stdout).Encode(boot)
	}
	fmt.Fprintf(stdout, "Initialised. Platform tenant %s.\n  app token: %s\n  username:  %s\n  password:  %s\n",
		boot.Tenant.ID, boot.AppToken, boot.Admin.Username, password)
	return nil
}

// migrateStore copies the whole installation between the SQLite files of
// store.data_dir and a MongoDB: --to URI copies SQLite into MongoDB, --from
// URI copies MongoDB into SQLite. The target must be empty; the source is
// only read. Stop every serve instance first, or changes made during the
// copy may be missed.
func migrateStore(ctx context.Context, load loader, to, from string, stdout, stderr io.Writer) error {
	m, err := open(load, stderr)
	if err != nil {
		return err
	}
	defer m.Close()
	if (to == "") == (from == "") {
		fmt.Fprintln(stderr, "latchkey migrate: give exactly one of --to <mongodb uri> and --from <mongodb uri>")
		return exitCode(2)
	}
	cfg := m.Config.Store
	cfg.MongoDBURI = ""
	lite, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer lite.Close()
	cfg.MongoDBURI = to + from
	mgo, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer mgo.Close()
	src, dst, direction := lite, mgo, "SQLite ("+m.Config.Store.DataDir+") into MongoDB "+mongo.Redact(to)
	if from != "" {
		src, dst, direction = mgo, lite, "MongoDB "+mongo.Redact(from)+" into SQLite ("+m.Config.Store.DataDir+")"
	}
	rep, err := migrate.Copy(ctx, src, dst)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Copied %s: %d tenants, %d users, %d app tokens, %d user tokens, %d audit records, %d usage buckets, %d webhooks, %d deliveries.\n",
		direction, rep.Tenants, rep.Users, rep.AppTokens, rep.Tokens, rep.Audit, rep.Usage, rep.Webhooks, rep.Deliveries)
	return nil
}

// appToken runs "app-token create": for an operator whose tenant has no
// app token left, it writes a new one straight into the store (on the same
// configuration as serve) and prints it once.
func appToken(ctx context.Context, load loader, slug, name string, stdout, stderr io.Writer) error {
	m, err := open(load, stderr)
	if err != nil {
		return err
	}
	defer m.Close()
	if slug == "" {
		fmt.Fprintln(stderr, "latchkey app-token create: --tenant is required")
		return exitCode(2)
	}
	if err := m.Open(ctx); err != nil {
		return err
	}
	t, err := m.App.Tenants.Find(ctx, slug)
	if err != nil {
		return fmt.Errorf("tenant %q: %w", slug, err)
	}
	tok, plain, err := m.App.AppTokens.Create(ctx, t, apptokens.New{Name: name})
	if err != nil {
		return err
	}
	m.App.Audit.Write(ctx, t.ID, audit.Record{Action: "app_token.create", Target: tok.ID.Hex(), Outcome: audit.Success,
		Detail: "latchkey app-token create (recovery, without the API)"})
	fmt.Fprintf(stdout, "New app token of tenant %s (id %s), shown once:\n%s\n", t.Slug, tok.ID.Hex(), plain)
	return nil
}
