// Package mongo is the MongoDB engine: every domain's store over a MongoDB
// deployment (5.0 or newer), one database per tenant (lk_<tenant id>) and a
// control database for the tenant registry. Races are decided by inserts
// under unique keys, which are atomic on MongoDB and on the
// MongoDB-protocol server the tests run on (FerretDB), where read-modify-
// write is not.
package mongo

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/event"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/readpref"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/topology"

	"github.com/latchkey/latchkey/internal/errs"
	"github.com/latchkey/latchkey/store"
)

// Options say which MongoDB to use.
type Options struct {
	// URI of the MongoDB deployment (store.mongodb_uri).
	URI string
	// Database is the control database's name (store.database).
	Database string
	// Timeout bounds each store operation and server selection, so an
	// unreachable store answers quickly.
	Timeout time.Duration
}

// Collections of a tenant database.
const (
	collUsers     = "users"
	collAppTokens = "app_tokens"
	collTokens    = "tokens"
	collClaims    = "login_claims"
	collAudit     = "audit"
	collUsage     = "usage"
	collTenants   = "tenants" // in the control database
)

// DB is an open MongoDB engine.
type DB struct {
	store.Views // the domain stores
	client      *mongo.Client
	control     *mongo.Database
	// down is set while the driver's monitoring sees no server that takes
	// writes. Operations then go to closed, which fails them at once, so a
	// known outage is answered 503 without waiting store.timeout each time;
	// the driver's heartbeat (every heartbeat) keeps probing the store and
	// clears down when it answers again.
	down   atomic.Bool
	closed *mongo.Client
	// webhookIndexed holds the tenants whose webhook indexes this process
	// has made sure of (tenants made before webhooks existed lack them).
	webhookIndexed sync.Map
}

// heartbeat is how often the driver checks the store; it bounds how long a
// known outage lasts after the store is back.
const heartbeat = time.Second

// Open connects to opts.URI, checks that it answers and makes the control
// database's indexes.
func Open(ctx context.Context, opts Options) (*DB, error) {
	db := &DB{}
	db.Views = db.views()
	co := options.Client().ApplyURI(opts.URI).
		SetServerSelectionTimeout(opts.Timeout).
		SetConnectTimeout(opts.Timeout).
		SetTimeout(opts.Timeout).
		SetHeartbeatInterval(heartbeat).
		SetAppName("latchkey").
		SetServerMonitor(&event.ServerMonitor{TopologyDescriptionChanged: func(e *event.TopologyDescriptionChangedEvent) {
			db.down.Store(!writable(e.NewDescription))
		}})
	client, err := mongo.Connect(co)
	if err != nil {
		return nil, fmt.Errorf("connect to store: %w", err)
	}
	closed, err := mongo.Connect(options.Client().ApplyURI(opts.URI))
	if err != nil {
		_ = client.Disconnect(context.Background())
		return nil, fmt.Errorf("connect to store: %w", err)
	}
	_ = closed.Disconnect(context.Background())
	db.client, db.closed, db.control = client, closed, client.Database(opts.Database)
	pctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	if err := client.Ping(pctx, readpref.Primary()); err != nil {
		_ = client.Disconnect(context.Background())
		return nil, fmt.Errorf("store at %s does not answer: %w", Redact(opts.URI), err)
	}
	db.down.Store(false) // it answered
	if err := ensureIndexes(ctx, db.control.Collection(collTenants), index{keys: bson.D{{Key: "slug", Value: 1}}, unique: true}); err != nil {
		_ = client.Disconnect(context.Background())
		return nil, err
	}
	return db, nil
}

// Engine implements store.Store.
func (db *DB) Engine() string { return "mongodb" }

// Ping checks that the store answers. Errors: Unavailable.
func (db *DB) Ping(ctx context.Context) error {
	return translate(db.client.Ping(ctx, readpref.Primary()), nil)
}

// Close disconnects.
func (db *DB) Close() error { return db.client.Disconnect(context.Background()) }

// Client is the driver's client, for tests and the migration tool.
func (db *DB) Client() *mongo.Client { return db.client }

// Control is the control database, for tests.
func (db *DB) Control() *mongo.Database { return db.control }

// Down reports whether the store is known to be unreachable.
func (db *DB) Down() bool { return db.down.Load() }

// live returns the client to use: the real one, or while the store is
// known to be down, the closed one, whose every operation fails at once
// with mongo.ErrClientDisconnected, which translate makes Unavailable.
func (db *DB) live() *mongo.Client {
	if db.down.Load() {
		return db.closed
	}
	return db.client
}

func (db *DB) tenant(id string) *mongo.Database { return db.live().Database(TenantDatabase(id)) }

func (db *DB) controlDB() *mongo.Database { return db.live().Database(db.control.Name()) }

// writable reports whether d has a server that takes writes.
func writable(d event.TopologyDescription) bool {
	for _, s := range d.Servers {
		switch s.Kind {
		case "Standalone", "RSPrimary", "Mongos", "LoadBalancer":
			return true
		}
	}
	return false
}

// TenantDatabase returns the name of a tenant's database.
func TenantDatabase(id string) string { return "lk_" + id }

// The domain stores, each a view of db.
type (
	tenantStore   struct{ db *DB }
	userStore     struct{ db *DB }
	appTokenStore struct{ db *DB }
	tokenStore    struct{ db *DB }
	claimStore    struct{ db *DB }
	auditStore    struct{ db *DB }
	lastUsedStore struct{ db *DB }
	usageStore    struct{ db *DB }
)

// views returns db's domain stores.
func (db *DB) views() store.Views {
	return store.Views{TenantStore: tenantStore{db}, UserStore: userStore{db}, AppTokenStore: appTokenStore{db},
		TokenStore: tokenStore{db}, ClaimStore: claimStore{db}, AuditStore: auditStore{db}, LastUsedStore: lastUsedStore{db},
		UsageStore: usageStore{db}, WebhookStore: webhookStore{db}, ScopeStore: scopeStore{db}}
}

// translate turns a driver error into Latchkey's codes: no documents
// becomes notFound (or a NotFound without fields when notFound is nil), a
// duplicate key Conflict, an unreachable store Unavailable. Other errors
// stay internal.
func translate(err error, notFound *errs.Error) error {
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
	var se mongo.ServerError
	return mongo.IsNetworkError(err) || mongo.IsTimeout(err) || errors.As(err, &sel) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, mongo.ErrClientDisconnected) ||
		errors.As(err, &cleared) || errors.As(err, &se) && slices.ContainsFunc(storeFaults, se.HasErrorCode)
}

// storeFaults are the server error codes that say the store, not the
// request, failed: it is shutting down, stepping down or failing over,
// over its time limit, or broken inside (FerretDB answers InternalError
// to commands it was running when it stops). A retry later may succeed,
// so they are answered 503.
var storeFaults = []int{
	1,     // InternalError
	50,    // MaxTimeMSExpired
	91,    // ShutdownInProgress
	189,   // PrimarySteppedDown
	262,   // ExceededTimeLimit
	10107, // NotWritablePrimary
	11600, // InterruptedAtShutdown
	11602, // InterruptedDueToReplStateChange
	13435, // NotPrimaryNoSecondaryOk
	13436, // NotPrimaryOrSecondary
}

// index describes an index to create; TTL indexes are skipped on servers
// that do not implement them (FerretDB), where the purge does the work.
type index struct {
	keys   bson.D
	unique bool
	sparse bool
	// expireAfter, when set, makes this a TTL index.
	expireAfter *time.Duration
}

// ensureIndexes creates idx on coll; it is idempotent.
func ensureIndexes(ctx context.Context, coll *mongo.Collection, idx ...index) error {
	for _, ix := range idx {
		o := options.Index()
		if ix.unique {
			o.SetUnique(true)
		}
		if ix.sparse {
			o.SetSparse(true)
		}
		if ix.expireAfter != nil {
			o.SetExpireAfterSeconds(int32(ix.expireAfter.Seconds()))
		}
		_, err := coll.Indexes().CreateOne(ctx, mongo.IndexModel{Keys: ix.keys, Options: o})
		if ix.expireAfter != nil && notImplemented(err) {
			continue
		}
		if err != nil {
			return translate(fmt.Errorf("create index on %s: %w", coll.Name(), err), nil)
		}
	}
	return nil
}

func notImplemented(err error) bool {
	var ce mongo.CommandError
	return errors.As(err, &ce) && (ce.Code == 238 || ce.Name == "NotImplemented")
}

// Redact removes credentials from a MongoDB URI before it reaches a
// message.
func Redact(uri string) string {
	o := options.Client().ApplyURI(uri)
	if len(o.Hosts) == 0 {
		return "(store)"
	}
	return fmt.Sprint(o.Hosts)
}

// affected turns an update's or delete's match count into NotFound.
func affected(n int64, err error, notFound *errs.Error) error {
	if err != nil {
		return translate(err, nil)
	}
	if n == 0 {
		return notFound
	}
	return nil
}

func isDuplicate(err error) bool { return mongo.IsDuplicateKeyError(err) }

// found turns a FindOne's error into whether it found a document.
func found(err error) (bool, error) {
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, mongo.ErrNoDocuments):
		return false, nil
	default:
		return false, translate(err, nil)
	}
}
