package mongostore_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/latchkey/latchkey/internal/errs"
	"github.com/latchkey/latchkey/internal/mongostore"
)

// lockedBuffer collects log output written from FerretDB's goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) records(t *testing.T) []map[string]any {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(b.buf.Bytes()))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r map[string]any
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("log line %q: %v", sc.Text(), err)
		}
		out = append(out, r)
	}
	return out
}

// openEmbedded opens a fresh embedded store logging to logs at debug.
func openEmbedded(t *testing.T, logs *lockedBuffer) *mongostore.Store {
	t.Helper()
	st, err := mongostore.Open(context.Background(), mongostore.Options{DataDir: t.TempDir(), EmbeddedAddr: "127.0.0.1:0",
		Database: "control", Timeout: 10 * time.Second,
		Logger: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if !st.Embedded() {
		t.Error("Embedded: got false for a store opened without a URI")
	}
	return st
}

func TestEmbeddedStore(t *testing.T) {
	ctx := context.Background()
	var logs lockedBuffer
	st := openEmbedded(t, &logs)
	coll := st.Control.Collection("things")
	ttl := time.Hour
	idx := []mongostore.Index{
		{Keys: bson.D{{Key: "key", Value: 1}}, Unique: true},
		{Keys: bson.D{{Key: "opt", Value: 1}}, Unique: true, Sparse: true},
		{Keys: bson.D{{Key: "at", Value: 1}}, ExpireAfter: &ttl}, // skipped where TTL indexes do not exist
	}
	for range 2 { // idempotent
		if err := mongostore.EnsureIndexes(ctx, coll, idx...); err != nil {
			t.Fatalf("EnsureIndexes: %v", err)
		}
	}

	t.Run("ping", func(t *testing.T) {
		if err := st.Ping(ctx); err != nil {
			t.Errorf("Ping: %v", err)
		}
	})
	t.Run("no documents", func(t *testing.T) {
		err := coll.FindOne(ctx, bson.D{{Key: "key", Value: "none"}}).Err()
		e, ok := errs.As(mongostore.Translate(err, nil))
		if !ok || e.Code != errs.NotFound || e.Fields["id"] == "" || !errors.Is(e, mongo.ErrNoDocuments) {
			t.Errorf("got %v, want not found on id, wrapping ErrNoDocuments", e)
		}
		mine := errs.E(errs.NotFound, "user", "No such user.")
		if got := mongostore.Translate(err, mine); got != mine {
			t.Errorf("got %v, want the given not-found error", got)
		}
	})
	t.Run("unique keys settle races", func(t *testing.T) {
		const n = 20
		var wg sync.WaitGroup
		results := make(chan error, n)
		for range n {
			wg.Go(func() {
				_, err := coll.InsertOne(ctx, bson.D{{Key: "key", Value: "claim"}})
				results <- mongostore.Translate(err, nil)
			})
		}
		wg.Wait()
		close(results)
		won := 0
		for err := range results {
			switch {
			case err == nil:
				won++
			case !errs.Is(err, errs.Conflict) || !mongostore.IsDuplicate(errors.Unwrap(err)):
				t.Errorf("got %v, want conflict", err)
			}
		}
		if won != 1 {
			t.Errorf("got %d winners of %d inserts of one unique key, want 1", won, n)
		}
	})
	t.Run("sparse unique keys", func(t *testing.T) {
		for range 2 {
			if _, err := coll.InsertOne(ctx, bson.D{{Key: "key", Value: bson.NewObjectID().Hex()}}); err != nil {
				t.Errorf("two documents without the sparse key: %v", err)
			}
		}
	})
	t.Run("other errors stay internal", func(t *testing.T) {
		plain := errors.New("boom")
		if got := mongostore.Translate(plain, nil); got != plain || errs.CodeOf(got) != errs.Internal {
			t.Errorf("got %v, want the error unchanged", got)
		}
		if mongostore.Translate(nil, nil) != nil {
			t.Error("Translate(nil): got an error")
		}
	})

	st.Close(ctx)
	// Failed commands (the lost inserts above, the driver's endSessions at
	// disconnect) are logged by FerretDB; they must come at debug, not as
	// warnings.
	dumps := 0
	for _, r := range logs.records(t) {
		msg, _ := r["msg"].(string)
		if !strings.HasPrefix(msg, "Response") {
			continue
		}
		if r["level"] != "DEBUG" {
			t.Errorf("got a %v record %.80q, want failed-command dumps at DEBUG", r["level"], msg)
		}
		if strings.Contains(msg, "E11000") || strings.Contains(msg, "endSessions") {
			dumps++
		}
	}
	if dumps == 0 {
		t.Error("no failed-command dump was logged at all: the test no longer sees them")
	}
}

func TestUnreachableStore(t *testing.T) {
	ctx := context.Background()
	if _, err := mongostore.Open(ctx, mongostore.Options{URI: "mongodb://user:hunter2@127.0.0.1:1", Database: "x", Timeout: 300 * time.Millisecond}); err == nil {
		t.Fatal("Open of an unreachable store: got nil, want an error")
	} else if strings.Contains(err.Error(), "hunter2") {
		t.Errorf("the error shows the URI's password: %v", err)
	}
	client, err := mongo.Connect(options.Client().ApplyURI("mongodb://127.0.0.1:1").SetServerSelectionTimeout(200 * time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Disconnect(ctx)
	start := time.Now()
	err = client.Database("x").Collection("y").FindOne(ctx, bson.D{}).Err()
	e, ok := errs.As(mongostore.Translate(err, nil))
	if !ok || e.Code != errs.Unavailable || e.Fields["store"] == "" {
		t.Errorf("got %v, want unavailable on store", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %s, want about the server selection timeout", d)
	}
}

func TestTime(t *testing.T) {
	in := time.Date(2026, 3, 4, 5, 6, 7, 123456789, time.FixedZone("X", 3600))
	got := clock.Stored(in)
	if got.Location() != time.UTC || !got.Equal(time.Date(2026, 3, 4, 4, 6, 7, 123000000, time.UTC)) {
		t.Errorf("got %s, want 2026-03-04T04:06:07.123Z", got)
	}
}
