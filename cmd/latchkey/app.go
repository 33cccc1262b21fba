package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/latchkey/latchkey/store"

	"github.com/spf13/pflag"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/latchkey/latchkey/admin"
	"github.com/latchkey/latchkey/configs"
	"github.com/latchkey/latchkey/internal/httpx"
	"github.com/latchkey/latchkey/internal/secret"
	"github.com/latchkey/latchkey/store/mongo"
	"github.com/latchkey/latchkey/store/sqlite"
)

// Main is one Latchkey process: configuration, logger, store and HTTP
// server. End-to-end tests run it as the binary would.
type Main struct {
	Config configs.Config
	Logger *zap.Logger
	// AccessLog writes the access log (nil: Logger); FlushAccessLog, when
	// set, writes out what its buffer holds and stops its timer, at Close.
	AccessLog      *zap.Logger
	FlushAccessLog func() error
	Store          store.Store
	App            *admin.App
	Server         *http.Server

	listener  net.Listener
	served    chan error
	closeOnce sync.Once
	closeErr  error
}

// NewMain returns a Main for cfg logging to log.
func NewMain(cfg configs.Config, log *zap.Logger) *Main {
	return &Main{Config: cfg, Logger: log}
}

// Open opens the store (SQLite files under store.data_dir, or the MongoDB
// of store.mongodb_uri) and wires the application.
func (m *Main) Open(ctx context.Context) error {
	c := m.Config
	scanKeys, err := leakKeys(c.Leaks)
	if err != nil {
		return err
	}
	store, err := openStore(ctx, c.Store)
	if err != nil {
		return err
	}
	keys, err := c.Tokens.Keyring()
	if err == nil && keys == nil {
		// The installation's keys, kept in the store (made with the first
		// start), so every instance and every restart tags alike.
		if keys, err = secret.LoadKeyring(ctx, store.Keys(), time.Now()); err != nil {
			err = fmt.Errorf("load the token tag keys: %w", err)
		}
	}
	if err != nil {
		_ = store.Close()
		return err
	}
	m.Store = store
	m.App, err = admin.New(admin.Options{Store: store, Keys: keys, Logger: m.Logger, AccessLog: m.AccessLog, CacheTTL: c.Cache.TTL, CacheSize: c.Cache.Size,
		Password:       secret.Argon2{MemoryKiB: c.Password.Memory, Iterations: c.Password.Iterations, Parallelism: c.Password.Parallelism},
		Hashes:         secret.NewLimiter(c.Password.PasswordSlots(), c.Password.MaxQueued, time.Second),
		TrustedProxies: c.Server.TrustedProxies,
		LastUsedFlush:  c.Tokens.LastUsedFlush, PurgeInterval: c.Tokens.PurgeInterval, Retention: c.Tokens.Retention,
		Version: version, Tracing: tracingOptions(c.Tracing), LeakKeys: scanKeys,
		WebhookHosts: c.Webhooks.AllowHosts, WebhookInterval: c.Webhooks.Interval, WebhookLease: c.Webhooks.Lease})
	return err
}

// Run starts serving HTTP on Config.Server.Addr and returns once the
// listener is bound; Close stops it.
func (m *Main) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", m.Config.Server.Addr)
	if err != nil {
		return fmt.Errorf("server.addr: %w", err)
	}
	m.listener = ln
	// Headers beyond MaxHeaderBytes are answered 431 by net/http, which then
	// closes the connection without reading further; below it, over
	// httpx.MaxHeaderBytes, the router answers 431 in the errors shape.
	// server.read_timeout bounds the reading of each request, headers and
	// body together (ReadTimeout; the headers alone could not take longer
	// anyway), so a client sending slowly holds its connection no longer;
	// a body the answer did not need is not waited for at all
	// (httpx.DropUnreadBody).
	rt := m.Config.Server.ReadTimeout
	m.Server = &http.Server{Handler: m.App.Handler, ReadHeaderTimeout: rt, ReadTimeout: rt, IdleTimeout: 2 * time.Minute,
		MaxHeaderBytes: httpx.ServerMaxHeaderBytes, ErrorLog: zap.NewStdLog(m.Logger)}
	m.served = make(chan error, 1)
	go func() { m.served <- m.Server.Serve(ln) }()
	return nil
}

// URL returns the base URL the server listens on.
func (m *Main) URL() string { return "http://" + m.listener.Addr().String() }

// Close stops accepting connections, lets in-flight requests finish (up to
// server.shutdown_timeout), flushes pending writes and closes the store.
// It is safe to call more than once.
func (m *Main) Close() error {
	m.closeOnce.Do(func() { m.closeErr = m.close() })
	return m.closeErr
}

func (m *Main) close() error {
	var errs []error
	if m.Server != nil {
		ctx, cancel := context.WithTimeout(context.Background(), m.Config.Server.ShutdownTimeout)
		defer cancel()
		errs = append(errs, m.Server.Shutdown(ctx))
		if err := <-m.served; !errors.Is(err, http.ErrServerClosed) {
			errs = append(errs, err)
		}
	}
	if m.App != nil {
		m.App.Close() // stops the periodic jobs and writes pending last_used
	}
	if m.Store != nil {
		errs = append(errs, m.Store.Close())
	}
	// Every request has been answered: the access log's last lines go out.
	if m.FlushAccessLog != nil {
		errs = append(errs, m.FlushAccessLog())
	}
	_ = m.Logger.Sync()
	return errors.Join(errs...)
}

// loader reads the configuration of a subcommand (see configFlags).
type loader func() (configs.Config, error)

// configFlags adds the configuration flags of a subcommand to fs and
// returns what reads its configuration once they are parsed: the file named
// by --config, the environment env over it, the flags given over both.
func configFlags(fs *pflag.FlagSet, env []string) loader {
	path := fs.String("config", "", "YAML configuration file (every key: configs/latchkey.yaml)")
	fs.String("addr", "", "listen address HOST:PORT (server.addr)")
	fs.String("mongodb-uri", "", "MongoDB URI (store.mongodb_uri; empty: SQLite files under store.data_dir)")
	fs.String("data-dir", "", "the SQLite files' directory (store.data_dir)")
	return func() (configs.Config, error) {
		keys := map[string]string{"addr": "server.addr", "mongodb-uri": "store.mongodb_uri", "data-dir": "store.data_dir"}
		flags := map[string]string{}
		fs.Visit(func(f *pflag.Flag) {
			if k, ok := keys[f.Name]; ok {
				flags[k] = f.Value.String()
			}
		})
		return configs.Load(*path, env, flags)
	}
}

// newLogger builds the zap logger of cfg.Log.
func newLogger(cfg configs.Log, out zapcore.WriteSyncer) (*zap.Logger, error) {
	level, err := zapcore.ParseLevel(cfg.Level)
	if err != nil {
		return nil, fmt.Errorf("log.level: %w", err)
	}
	return zap.New(zapcore.NewCore(encoder(cfg), out, level)), nil
}

func encoder(cfg configs.Log) zapcore.Encoder {
	ec := zap.NewProductionEncoderConfig()
	ec.EncodeTime = zapcore.ISO8601TimeEncoder
	if cfg.Format == "console" {
		return zapcore.NewConsoleEncoder(ec)
	}
	return zapcore.NewJSONEncoder(ec)
}

// accessFlushInterval is how often the access log's buffer is written out
// when it has not filled (nginx's access_log flush=).
const accessFlushInterval = time.Second

// newAccessLogger builds the access log of cfg: lines like log's (same
// level, format and output), written through a buffer of
// cfg.AccessBuffer bytes that goes out when full, every
// accessFlushInterval and when flush is called (at Close), so a request
// costs no write of its own. Other lines (warnings, errors) stay
// unbuffered: a crash keeps them. With no buffer it is log itself.
// clock is the flush timer's (nil: the real one).
func newAccessLogger(cfg configs.Log, log *zap.Logger, out zapcore.WriteSyncer, clock zapcore.Clock) (
	access *zap.Logger, flush func() error, err error) {
	if cfg.AccessBuffer == 0 {
		return log, nil, nil
	}
	level, err := zapcore.ParseLevel(cfg.Level)
	if err != nil {
		return nil, nil, fmt.Errorf("log.level: %w", err)
	}
	// out is locked: a buffer of whole lines goes out in one write, never
	// in the middle of another line.
	buf := &zapcore.BufferedWriteSyncer{WS: out, Size: cfg.AccessBuffer, FlushInterval: accessFlushInterval, Clock: clock}
	return zap.New(zapcore.NewCore(encoder(cfg), buf, level)), buf.Stop, nil
}

// openStore opens the engine cfg names: MongoDB when store.mongodb_uri is
// set (no SQLite file is touched then), else the SQLite files of
// store.data_dir.
func openStore(ctx context.Context, cfg configs.Store) (store.Store, error) {
	if cfg.MongoDBURI != "" {
		return mongo.Open(ctx, mongo.Options{URI: cfg.MongoDBURI, Database: cfg.Database, Timeout: cfg.Timeout})
	}
	return sqlite.Open(ctx, sqlite.Options{DataDir: cfg.DataDir, MaxOpenTenants: cfg.MaxOpenTenants,
		BusyTimeout: cfg.Timeout, Timeout: cfg.Timeout})
}

// adminPassword returns LATCHKEY_ADMIN_PASSWORD from env, or a new random one.
func adminPassword(env []string) string {
	if v, _ := lookupEnv(env, "LATCHKEY_ADMIN_PASSWORD"); v != "" {
		return v
	}
	return secret.NewPassword()
}
