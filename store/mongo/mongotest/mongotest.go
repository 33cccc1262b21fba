// Package mongotest opens the MongoDB engine for tests: over a FerretDB
// v1.24.0 started inside the test binary (the real driver over the real wire
// protocol), or over the MongoDB named by LATCHKEY_TEST_MONGODB_URI. Each
// Open gets a control database of its own, dropped with its tenants'
// databases when the test ends.
package mongotest

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/latchkey/latchkey/store/mongo"
)

// URIEnv names a real MongoDB for the tests that want one.
const URIEnv = "LATCHKEY_TEST_MONGODB_URI"

var (
	ferretOnce sync.Once
	ferret     *FerretDB
	ferretDir  string
	ferretErr  error
	seq        atomic.Int64
)

// FerretURI returns the URI of the test binary's FerretDB, starting it on
// first use; Main stops it.
func FerretURI(tb testing.TB) string {
	tb.Helper()
	ferretOnce.Do(func() {
		ferretDir, ferretErr = os.MkdirTemp("", "latchkey-ferretdb-*")
		if ferretErr != nil {
			return
		}
		ferret, ferretErr = StartFerretDB(ferretDir, "127.0.0.1:0", slog.New(slog.DiscardHandler))
	})
	if ferretErr != nil {
		tb.Fatalf("FerretDB: %v", ferretErr)
	}
	return ferret.URI()
}

// RealURI returns LATCHKEY_TEST_MONGODB_URI, or skips the test saying so.
func RealURI(tb testing.TB) string {
	tb.Helper()
	uri := os.Getenv(URIEnv)
	if uri == "" {
		tb.Skipf("%s is not set: no real MongoDB to test against (FerretDB runs the engine's tests instead)", URIEnv)
	}
	return uri
}

// Open opens the engine on uri with a new control database, dropped with
// every tenant database it made when the test ends.
func Open(tb testing.TB, uri string) *mongo.DB {
	tb.Helper()
	name := NewDatabaseName()
	db := OpenDatabase(tb, uri, name)
	tb.Cleanup(func() { DropAll(db) })
	return db
}

// NewDatabaseName returns a control database name no other test uses.
func NewDatabaseName() string { return fmt.Sprintf("t%d_%d", os.Getpid(), seq.Add(1)) }

// OpenDatabase opens the engine on uri with control database name, closed
// when the test ends (and not dropped: a second instance may share it).
func OpenDatabase(tb testing.TB, uri, name string) *mongo.DB {
	tb.Helper()
	db, err := mongo.Open(context.Background(), mongo.Options{URI: uri, Database: name, Timeout: 10 * time.Second})
	if err != nil {
		tb.Fatalf("open MongoDB engine: %v", err)
	}
	tb.Cleanup(func() { _ = db.Close() })
	return db
}

// DropAll drops db's control database and the databases of its tenants.
func DropAll(db *mongo.DB) {
	ctx := context.Background()
	cur, err := db.Control().Collection("tenants").Find(ctx, bson.D{})
	if err == nil {
		var ts []struct {
			ID string `bson:"_id"`
		}
		if cur.All(ctx, &ts) == nil {
			for _, t := range ts {
				_ = db.Client().Database(mongo.TenantDatabase(t.ID)).Drop(ctx)
			}
		}
	}
	_ = db.Control().Drop(ctx)
}

// Main runs a package's tests, then stops FerretDB and removes its files.
func Main(m *testing.M) int {
	code := m.Run()
	if ferret != nil {
		ferret.Close()
	}
	if ferretDir != "" {
		_ = os.RemoveAll(ferretDir)
	}
	return code
}

// Unreachable opens the engine on a FerretDB of its own and then stops that
// server: every call afterwards meets a store that does not answer.
func Unreachable(tb testing.TB) *mongo.DB {
	tb.Helper()
	dir := tb.TempDir()
	f, err := StartFerretDB(dir, "127.0.0.1:0", slog.New(slog.DiscardHandler))
	if err != nil {
		tb.Fatalf("FerretDB: %v", err)
	}
	db, err := mongo.Open(context.Background(), mongo.Options{URI: f.URI(), Database: NewDatabaseName(), Timeout: time.Second})
	if err != nil {
		f.Close()
		tb.Fatalf("open MongoDB engine: %v", err)
	}
	f.Close()
	tb.Cleanup(func() { _ = db.Close() })
	return db
}
