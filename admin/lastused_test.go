package admin_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/testserver"
)

// TestLastUsedBatched checks the cheap bookkeeping of last_used: requests leave
// last_used alone until a flush, which writes the latest use of the user
// token and of the app token once each.
func TestLastUsedBatched(t *testing.T) {
	s := testserver.Start(t)
	login := s.Must(t, http.StatusOK, testserver.Request{Method: "POST", Path: "/api/v1/token", AppToken: s.AppToken,
		JSON: map[string]any{"username": s.Username, "password": s.Password}})
	tok, id := login.String("token"), login.String("id")
	appID := appTokenIDOf(t, s, tok)
	get := func() {
		s.Must(t, http.StatusOK, testserver.Request{Method: "GET", Path: "/api/v1/token", AppToken: s.AppToken, Token: tok})
	}
	get()
	s.Clock.Advance(3 * time.Second)
	get()
	used := s.Clock.Now().UTC().Truncate(time.Millisecond)
	if got := s.App.LastUsed.Stats().Pending; got != 2 {
		t.Fatalf("got %d tokens pending, want 2 (the user token and the app token)", got)
	}
	// Nothing is written per request.
	if lu := lastUsedOf(t, s, tok, "/api/v1/tokens/"+id); lu != nil {
		t.Fatalf("got last_used %v before any flush, want null", lu)
	}
	if err := s.App.LastUsed.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/api/v1/tokens/" + id, "/api/v1/app_tokens/" + appID} {
		// Reading the lists uses the tokens again; the clock has not
		// moved, so last_used stays what it was.
		if lu := lastUsedOf(t, s, tok, path); lu == nil || !lu.Equal(used) {
			t.Errorf("%s: got last_used %v, want %v", path, lu, used)
		}
	}
	if st := s.App.LastUsed.Stats(); st.Written != 2 || st.Flushes != 1 {
		t.Errorf("got %+v, want 2 written in 1 flush", st)
	}
}

// TestCloseFlushesLastUsed checks that shutting the App down writes what
// is pending.
func TestCloseFlushesLastUsed(t *testing.T) {
	s := testserver.Start(t)
	login := s.Must(t, http.StatusOK, testserver.Request{Method: "POST", Path: "/api/v1/token", AppToken: s.AppToken,
		JSON: map[string]any{"username": s.Username, "password": s.Password}})
	tok, id := login.String("token"), login.String("id")
	s.Must(t, http.StatusOK, testserver.Request{Method: "GET", Path: "/api/v1/token", AppToken: s.AppToken, Token: tok})
	used := s.Clock.Now().UTC().Truncate(time.Millisecond)
	s.App.Close()
	s.App.Close() // a second Close does nothing
	if lu := lastUsedOf(t, s, tok, "/api/v1/tokens/"+id); lu == nil || !lu.Equal(used) {
		t.Errorf("got last_used %v, want %v", lu, used)
	}
}

// TestLastUsedFlushedPeriodically runs the App's own flush loop.
func TestLastUsedFlushedPeriodically(t *testing.T) {
	s := testserver.StartWith(t, testserver.Options{LastUsedFlush: 50 * time.Millisecond})
	tok := s.OwnerToken(t)
	s.Must(t, http.StatusOK, testserver.Request{Method: "GET", Path: "/api/v1/token", AppToken: s.AppToken, Token: tok})
	deadline := time.Now().Add(20 * time.Second)
	for s.App.LastUsed.Stats().Written < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("no flush within 20s: %+v", s.App.LastUsed.Stats())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func lastUsedOf(t *testing.T, s *testserver.Server, tok, path string) *time.Time {
	t.Helper()
	r := s.Must(t, http.StatusOK, testserver.Request{Method: "GET", Path: path, AppToken: s.AppToken, Token: tok})
	v, _ := r.JSON["last_used"].(string)
	if v == "" {
		return nil
	}
	at, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		t.Fatalf("%s: last_used %q: %v", path, v, err)
	}
	return &at
}

func appTokenIDOf(t *testing.T, s *testserver.Server, tok string) string {
	t.Helper()
	r := s.Must(t, http.StatusOK, testserver.Request{Method: "GET", Path: "/api/v1/token", AppToken: s.AppToken, Token: tok})
	return r.String("app_token_id")
}
