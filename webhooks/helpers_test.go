package webhooks_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/testserver"
	"github.com/latchkey/latchkey/webhooks"
)

const base = "/api/v1/webhooks"

// received is one request a receiver got.
type received struct {
	ID, Type string
	Body     string
	Signed   bool // the signature checks out with the endpoint's secret
}

// receiver is a webhook endpoint on 127.0.0.1 that checks every
// signature and answers status.
type receiver struct {
	srv    *httptest.Server
	status atomic.Int32
	secret atomic.Value
	mu     sync.Mutex
	got    []received
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{}
	rc.status.Store(200)
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		ts, _ := strconv.ParseInt(r.Header.Get("webhook-timestamp"), 10, 64)
		secret, _ := rc.secret.Load().(string)
		want, _ := webhooks.Sign(secret, r.Header.Get("webhook-id"), time.Unix(ts, 0), body)
		var ev struct{ Type string }
		_ = json.Unmarshal(body, &ev)
		rc.mu.Lock()
		rc.got = append(rc.got, received{ID: r.Header.Get("webhook-id"), Type: ev.Type, Body: string(body),
			Signed: secret != "" && r.Header.Get("webhook-signature") == want})
		rc.mu.Unlock()
		w.WriteHeader(int(rc.status.Load()))
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) received() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.got...)
}

// ofType returns what rc got of event type typ.
func (rc *receiver) ofType(typ string) []received {
	var out []received
	for _, r := range rc.received() {
		if r.Type == typ {
			out = append(out, r)
		}
	}
	return out
}

// hook registers rc for events on s and returns the webhook's id.
func hook(t *testing.T, s *testserver.Server, owner string, rc *receiver, events ...string) string {
	t.Helper()
	r := s.Must(t, 201, testserver.Request{Method: "POST", Path: base, AppToken: s.AppToken, Token: owner,
		JSON: map[string]any{"url": rc.srv.URL + "/hook", "events": events, "description": "test"}})
	rc.secret.Store(r.String("secret"))
	return r.String("id")
}

// run sends every due delivery of s once.
func run(t *testing.T, s *testserver.Server) {
	t.Helper()
	if err := s.App.Dispatcher.Run(context.Background()); err != nil {
		t.Fatalf("dispatch: %v", err)
	}
}

// deliveries lists webhook id's deliveries.
func deliveries(t *testing.T, s *testserver.Server, owner, id string) []map[string]any {
	t.Helper()
	r := s.Must(t, 200, testserver.Request{Method: "GET", Path: base + "/" + id + "/deliveries", AppToken: s.AppToken, Token: owner})
	var body struct{ Items []map[string]any }
	if err := json.Unmarshal(r.Body, &body); err != nil {
		t.Fatal(err)
	}
	return body.Items
}
