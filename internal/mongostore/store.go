// Package mongostore connects Latchkey to its store: an embedded FerretDB
// started in-process when no MongoDB URI is configured, a real MongoDB
// otherwise, both through the official driver. It also translates driver
// errors into Latchkey's error codes.
package mongostore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/readpref"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/topology"

	"github.com/latchkey/latchkey/internal/errs"
)

// Options say which store to open.
type Options struct {
	// URI of a MongoDB deployment; empty starts the embedded store.
	URI string
	// DataDir holds the embedded store's SQLite files.
	DataDir string
	// EmbeddedAddr is the embedded store's listen address (loopback).
	EmbeddedAddr string
	// Database is the control database's name.
	Database string
	// Timeout bounds each store operation and server selection, so an
	// unreachable store answers quickly.
	Timeout time.Duration
	// Logger receives the embedded store's own log records.
	Logger *slog.Logger
}

// Store is an open connection to the store.
type Store struct {
	Client   *mongo.Client
	Control  *mongo.Database
	embedded *Embedded
	// URI is the address the driver connected to (the embedded store's
	// loopback address when embedded).
	URI string
}

// Open starts the embedded store if opts.URI is empty, connects the driver
// and checks that the store answers.
func Open(ctx context.Context, opts Options) (*Store, error) {
	s := &Store{URI: opts.URI}
	if opts.URI == "" {
		logger := opts.Logger
		if logger == nil {
			logger = slog.New(slog.DiscardHandler)
		}
		e, err := StartEmbedded(opts.DataDir, opts.EmbeddedAddr, logger)
		if err != nil {
			return nil, err
		}
		s.embedded, s.URI = e, e.URI()
	}
	if err := s.connect(ctx, opts); err != nil {
		s.Close(context.Background())
		return nil, err
	}
	return s, nil
}

func (s *Store) connect(ctx context.Context, opts Options) error {
	co := options.Client().ApplyURI(s.URI).
		SetServerSelectionTimeout(opts.Timeout).
		SetConnectTimeout(opts.Timeout).
		SetTimeout(opts.Timeout).
		SetAppName("latchkey")
	client, err := mongo.Connect(co)
	if err != nil {
		return fmt.Errorf("connect to store: %w", err)
	}
	s.Client = client
	s.Control = client.Database(opts.Database)
	pctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	if err := client.Ping(pctx, readpref.Primary()); err != nil {
		return fmt.Errorf("store at %s does not answer: %w", redact(s.URI), err)
	}
	return nil
}

// Embedded reports whether this store runs in-process.
func (s *Store) Embedded() bool { return s.embedded != nil }

// Ping checks that the store answers.
func (s *Store) Ping(ctx context.Context) error {
	return Translate(s.Client.Ping(ctx, readpref.Primary()), nil)
}

// Close disconnects and stops the embedded store.
func (s *Store) Close(ctx context.Context) {
	if s.Client != nil {
		_ = s.Client.Disconnect(ctx)
	}
	if s.embedded != nil {
		s.embedded.Close()
	}
}

// IsDuplicate reports whether err is a unique-index violation.
func IsDuplicate(err error) bool { return mongo.IsDuplicateKeyError(err) }

// Translate turns a driver error into Latchkey's codes: no documents becomes
// notFound (or NotFound without fields when notFound is nil), a duplicate key
// Conflict, an unreachable store Unavailable. Other errors stay internal.
func Translate(err error, notFound *errs.Error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, mongo.ErrNoDocuments):
		if notFound == nil {
			return &errs.Error{Code: errs.NotFound, Fields: map[string]string{"id": "Not found."}, Cause: err}
		}
		return notFound
	case mongo.IsDuplicateKeyError(err):
		return &errs.Error{Code: errs.Conflict, Fields: map[string]string{"id": "Already exists."}, Cause: err}
	case unavailable(err):
		return &errs.Error{Code: errs.Unavailable, Fields: map[string]string{"store": "The store is unavailable. Try again shortly."}, Cause: err}
	default:
		return err
	}
}

func unavailable(err error) bool {
	var sel topology.ServerSelectionError
	// A request waiting for a connection when another one's network error
	// cleared the pool gets "connection pool … was cleared", which carries
	// neither the network label nor a timeout: it is the retryable pool
	// error. Seen with the real driver when the store stopped under load.
	var cleared driver.RetryablePoolError
	return mongo.IsNetworkError(err) || mongo.IsTimeout(err) || errors.As(err, &sel) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, mongo.ErrClientDisconnected) ||
		errors.As(err, &cleared)
}

// Index describes an index to create; TTL indexes are skipped on servers that
// do not implement them (the embedded store), where a purge job does the work.
type Index struct {
	Keys   bson.D
	Unique bool
	Sparse bool
	// ExpireAfter, when set, makes this a TTL index (MongoDB only).
	ExpireAfter *time.Duration
}

// EnsureIndexes creates idx on coll; it is idempotent.
func EnsureIndexes(ctx context.Context, coll *mongo.Collection, idx ...Index) error {
	for _, ix := range idx {
		o := options.Index()
		if ix.Unique {
			o.SetUnique(true)
		}
		if ix.Sparse {
			o.SetSparse(true)
		}
		if ix.ExpireAfter != nil {
			o.SetExpireAfterSeconds(int32(ix.ExpireAfter.Seconds()))
		}
		_, err := coll.Indexes().CreateOne(ctx, mongo.IndexModel{Keys: ix.Keys, Options: o})
		if ix.ExpireAfter != nil && notImplemented(err) {
			continue
		}
		if err != nil {
			return Translate(fmt.Errorf("create index on %s: %w", coll.Name(), err), nil)
		}
	}
	return nil
}

func notImplemented(err error) bool {
	var ce mongo.CommandError
	return errors.As(err, &ce) && (ce.Code == 238 || ce.Name == "NotImplemented")
}

// redact removes credentials from a MongoDB URI before it reaches a message.
func redact(uri string) string {
	o := options.Client().ApplyURI(uri)
	if len(o.Hosts) == 0 {
		return "(store)"
	}
	return fmt.Sprint(o.Hosts)
}

// Time returns t in UTC at the store's precision (milliseconds), so a time
// handed back at creation equals the one read later.
func Time(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }
