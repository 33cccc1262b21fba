package mongo_test

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	driver "go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/latchkey/latchkey/internal/errs"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/store/mongo"
	"github.com/latchkey/latchkey/store/mongo/mongotest"
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

// Once the outage is known, operations fail at once without reaching for
// the network (the closed client answers), and when the store comes back
// on the same address the driver's heartbeat finds it and operations go
// through again, with no restart.
func TestKnownOutageFailsFastAndRecovers(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	dir := t.TempDir()
	f, err := mongotest.StartFerretDB(dir, addr, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	db, err := mongo.Open(ctx, mongo.Options{URI: f.URI(), Database: "fast", Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if db.Down() {
		t.Fatal("Down right after Open")
	}
	f.Close()
	// The first operation meets the outage the slow way and marks it known.
	_, _ = db.Users().FindByUsername(ctx, "fast0001", "x")
	waitUntil(t, "the outage is known", db.Down)
	_, err = db.Users().FindByUsername(ctx, "fast0001", "x")
	if !errs.Is(err, errs.Unavailable) || !errors.Is(err, driver.ErrClientDisconnected) {
		t.Errorf("during a known outage: got %v, want unavailable from the closed client", err)
	}
	f, err = mongotest.StartFerretDB(dir, addr, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("restart on %s: %v", addr, err)
	}
	defer f.Close()
	waitUntil(t, "the store is back", func() bool { return !db.Down() })
	if _, err := db.Users().FindByUsername(ctx, "fast0001", "x"); !errs.Is(err, errs.NotFound) {
		t.Errorf("after the store came back: got %v, want not found", err)
	}
}

// waitUntil polls cond for up to 30 s.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 30s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
