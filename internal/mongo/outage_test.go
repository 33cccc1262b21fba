package mongo_test

import (
	"context"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/errs"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/mongo"
	"github.com/latchkey/latchkey/internal/mongo/mongotest"
	"github.com/latchkey/latchkey/usertokens"
)

// TestTranslateDuringOutage stops the engine's server (a FerretDB) under
// concurrent reads and writes and checks that every error the real driver
// gives reaches the caller as Unavailable: connections closed mid-read,
// server selection timeouts, cleared connection pools. Never an internal
// error, which would be a 500.
func TestTranslateDuringOutage(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	f, err := mongotest.StartFerretDB(t.TempDir(), addr, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	db, err := mongo.Open(ctx, mongo.Options{URI: f.URI(), Database: "outage", Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tokens := db.UserTokens()
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
					_, err = tokens.FindByID(ctx, "outage1", ids.New())
				} else {
					err = tokens.Insert(ctx, "outage1", &usertokens.Token{ID: ids.New(), Kind: usertokens.Personal})
				}
				if err != nil && !errs.Is(err, errs.NotFound) {
					code := errs.CodeOf(err)
					mu.Lock()
					seen[code] = append(seen[code], err.Error())
					mu.Unlock()
				}
			}
		})
	}
	time.Sleep(200 * time.Millisecond)
	f.Close()
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

// An unreachable MongoDB fails Open within about store.timeout, without
// showing the URI's password.
func TestUnreachableStore(t *testing.T) {
	start := time.Now()
	_, err := mongo.Open(context.Background(), mongo.Options{URI: "mongodb://user:hunter2@127.0.0.1:1", Database: "x", Timeout: 300 * time.Millisecond})
	if err == nil {
		t.Fatal("Open of an unreachable store: got nil, want an error")
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Errorf("the error shows the URI's password: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %s, want about the server selection timeout", d)
	}
	// Once open, a store that goes away answers Unavailable.
	st := mongotest.Unreachable(t)
	_, err = st.Users().FindByUsername(context.Background(), "abcdefgh", "x")
	if e, ok := errs.As(err); !ok || e.Code != errs.Unavailable || e.Fields["store"] == "" {
		t.Errorf("got %v, want unavailable on store", err)
	}
}
