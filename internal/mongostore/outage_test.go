package mongostore_test

import (
	"context"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/latchkey/latchkey/internal/errs"
	"github.com/latchkey/latchkey/internal/mongostore"
)

// TestTranslateDuringOutage stops an embedded store under concurrent reads
// and writes and checks that every error the real driver gives translates
// to Unavailable: connections closed mid-read, server selection timeouts
// and — with more requests than pooled connections — "connection pool was
// cleared", which has neither the network label nor a timeout.
func TestTranslateDuringOutage(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	e, err := mongostore.StartEmbedded(t.TempDir(), addr, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	client, err := mongo.Connect(options.Client().ApplyURI(e.URI()).SetTimeout(time.Second).
		SetServerSelectionTimeout(time.Second).SetMaxPoolSize(2))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	defer client.Disconnect(ctx)
	coll := client.Database("outage").Collection("c")
	if _, err := coll.InsertOne(ctx, bson.D{{Key: "n", Value: 0}}); err != nil {
		t.Fatal(err)
	}

	var (
		mu   sync.Mutex
		seen = map[errs.Code][]string{}
		wg   sync.WaitGroup
	)
	stopped := make(chan struct{})
	for g := range 16 {
		wg.Go(func() {
			after := 0 // operations tried since the store stopped
			for after < 2 {
				select {
				case <-stopped:
					after++
				default:
				}
				var err error
				if g%2 == 0 {
					err = coll.FindOne(ctx, bson.D{}).Err()
				} else {
					_, err = coll.UpdateOne(ctx, bson.D{}, bson.D{{Key: "$set", Value: bson.D{{Key: "n", Value: g}}}})
				}
				if err != nil {
					code := errs.CodeOf(mongostore.Translate(err, nil))
					mu.Lock()
					seen[code] = append(seen[code], err.Error())
					mu.Unlock()
				}
			}
		})
	}
	time.Sleep(200 * time.Millisecond)
	e.Close()
	close(stopped)
	wg.Wait()
	if len(seen[errs.Unavailable]) == 0 {
		t.Error("no operation failed although the store stopped")
	}
	for code, msgs := range seen {
		if code != errs.Unavailable {
			t.Errorf("%d errors translated to %s, want unavailable; first: %s", len(msgs), code, msgs[0])
		}
	}
}
