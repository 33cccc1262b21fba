package lastused_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/lastused"
	"github.com/latchkey/latchkey/internal/testserver"
)

func TestMain(m *testing.M) { testserver.Main(m) }

// TestStoreMax writes through the real driver to the embedded store: a newer
// use moves last_used forward, an older one (a slow flush of another
// instance) leaves it, and an unknown id is skipped.
func TestStoreMax(t *testing.T) {
	store := testserver.Shared(t)
	name := fmt.Sprintf("lastused_%d_%d", os.Getpid(), time.Now().UnixNano())
	db := store.Client.Database(name)
	t.Cleanup(func() { _ = db.Drop(context.Background()) })
	ctx := context.Background()
	coll := db.Collection("tokens")
	t0 := time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
	fresh, used := ids.New(), ids.New()
	if _, err := coll.InsertMany(ctx, []any{
		bson.D{{Key: "_id", Value: fresh}},
		bson.D{{Key: "_id", Value: used}, {Key: "last_used", Value: t0}},
	}); err != nil {
		t.Fatal(err)
	}
	s := lastused.Store{DB: func(string) *mongo.Database { return db }}
	err := s.Write(ctx, "tenanta1", "tokens", []lastused.Use{
		{ID: fresh, At: t0.Add(time.Minute)},
		{ID: used, At: t0.Add(-time.Minute)},
		{ID: ids.New(), At: t0},
	})
	if err != nil {
		t.Fatal(err)
	}
	for id, want := range map[ids.ID]time.Time{fresh: t0.Add(time.Minute), used: t0} {
		var doc struct {
			LastUsed time.Time `bson:"last_used"`
		}
		if err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&doc); err != nil {
			t.Fatal(err)
		}
		if !doc.LastUsed.Equal(want) {
			t.Errorf("%s: got last_used %v, want %v", id.Hex(), doc.LastUsed, want)
		}
	}
	if n, err := coll.CountDocuments(ctx, bson.D{}); err != nil || n != 2 {
		t.Fatalf("got %d documents (%v), want 2: an update must not insert", n, err)
	}
}

// TestStoreManyUses writes more uses than there are workers.
func TestStoreManyUses(t *testing.T) {
	store := testserver.Shared(t)
	name := fmt.Sprintf("lastused_%d_%d", os.Getpid(), time.Now().UnixNano())
	db := store.Client.Database(name)
	t.Cleanup(func() { _ = db.Drop(context.Background()) })
	ctx := context.Background()
	const n = 40
	docs := make([]any, n)
	uses := make([]lastused.Use, n)
	at := time.Now().UTC().Truncate(time.Millisecond)
	for i := range docs {
		id := ids.New()
		docs[i] = bson.D{{Key: "_id", Value: id}}
		uses[i] = lastused.Use{ID: id, At: at}
	}
	if _, err := db.Collection("app_tokens").InsertMany(ctx, docs); err != nil {
		t.Fatal(err)
	}
	s := lastused.Store{DB: func(string) *mongo.Database { return db }}
	if err := s.Write(ctx, "tenanta1", "app_tokens", uses); err != nil {
		t.Fatal(err)
	}
	got, err := db.Collection("app_tokens").CountDocuments(ctx, bson.D{{Key: "last_used", Value: at}})
	if err != nil || got != n {
		t.Fatalf("got %d documents with last_used (%v), want %d", got, err, n)
	}
}

// TestStoreSkipsDeletedTenant flushes uses of a tenant whose database is
// gone: nothing is written, and the database does not come back (the
// embedded store would create it on an update that matches nothing).
func TestStoreSkipsDeletedTenant(t *testing.T) {
	store := testserver.Shared(t)
	ctx := context.Background()
	name := fmt.Sprintf("lastused_gone_%d_%d", os.Getpid(), time.Now().UnixNano())
	db := store.Client.Database(name)
	t.Cleanup(func() { _ = db.Drop(context.Background()) })
	s := lastused.Store{DB: func(string) *mongo.Database { return db }}
	if err := s.Write(ctx, "tenanta1", "tokens", []lastused.Use{{ID: ids.New(), At: time.Now()}}); err != nil {
		t.Fatal(err)
	}
	names, err := store.Client.ListDatabaseNames(ctx, bson.D{{Key: "name", Value: name}})
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != 0 {
		t.Errorf("the flush created database %s again", name)
	}
}
