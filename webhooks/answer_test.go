package webhooks_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/testserver"
	"github.com/latchkey/latchkey/webhooks"
)

// countingTransport counts the bytes of answer bodies its caller reads.
type countingTransport struct {
	http.RoundTripper
	read *atomic.Int64
}

func (c countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := c.RoundTripper.RoundTrip(r)
	if resp != nil {
		resp.Body = countingBody{ReadCloser: resp.Body, read: c.read}
	}
	return resp, err
}

type countingBody struct {
	io.ReadCloser
	read *atomic.Int64
}

func (b countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.read.Add(int64(n))
	return n, err
}

// At most 4 KiB of an answer is read: a receiver answering a
// 1 MiB body, or a body without end, gets its status recorded, and the
// dispatcher (its client's body reads counted) reads no more than
// MaxResponse bytes of it, then closes the connection: the endless
// answer's writes fail, so the attempt did not wait for a body's end.
func TestAnswerReadAtMost4KiB(t *testing.T) {
	for _, c := range []struct {
		name    string
		status  int
		endless bool
	}{
		{"1 MiB", http.StatusOK, false},
		{"endless", http.StatusServiceUnavailable, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			var written atomic.Int64
			closed := make(chan struct{})
			chunk := []byte(strings.Repeat("x", 32<<10))
			rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				defer close(closed)
				_, _ = io.Copy(io.Discard, r.Body)
				w.WriteHeader(c.status)
				for i := 0; c.endless || i < 32; i++ { // 32 × 32 KiB = 1 MiB
					n, err := w.Write(chunk)
					written.Add(int64(n))
					if err != nil {
						return // the connection is closed
					}
				}
			}))
			t.Cleanup(rcv.Close)

			s := testserver.StartWith(t, testserver.Options{WebhookHosts: []string{"127.0.0.1"}})
			owner := s.OwnerToken(t)
			id := s.Must(t, 201, testserver.Request{Method: "POST", Path: base, AppToken: s.AppToken, Token: owner,
				JSON: map[string]any{"url": rcv.URL + "/hook", "events": []string{webhooks.PingType}}}).String("id")
			s.Must(t, 202, testserver.Request{Method: "POST", Path: base + "/" + id + "/test", AppToken: s.AppToken, Token: owner})

			var read atomic.Int64
			d := *s.App.Dispatcher
			client := *d.Client
			client.Transport = countingTransport{RoundTripper: client.Transport, read: &read}
			d.Client = &client
			if err := d.Run(context.Background()); err != nil {
				t.Fatalf("dispatch: %v", err)
			}
			if got := read.Load(); got > webhooks.MaxResponse {
				t.Errorf("read %d bytes of the answer, want at most %d", got, webhooks.MaxResponse)
			}
			select { // the endless answer ends only when its writes fail
			case <-closed:
			case <-time.After(time.Minute):
				t.Fatal("the receiver is still writing its answer a minute later: the connection was not closed")
			}
			list := deliveries(t, s, owner, id)
			if len(list) != 1 || list[0]["last_status_code"] != float64(c.status) {
				t.Fatalf("got %v, want the one delivery with status %d recorded", list, c.status)
			}
			want := webhooks.Delivered
			if c.status != http.StatusOK {
				want = webhooks.Pending
			}
			if list[0]["status"] != want {
				t.Errorf("delivery status %v, want %s", list[0]["status"], want)
			}
			t.Logf("read %d bytes; the receiver wrote %d before the connection closed or the body ended", read.Load(), written.Load())
		})
	}
}

// An attempt ends with its lease (Dispatcher.Lease, webhooks.lease), even
// when the client's own timeout is longer: past the lease another
// instance may claim it, so it never outlasts it. The receiver holds the
// request until the sender gives up on it (a quarter of a minute at
// most, then it answers 200); the attempt is recorded failed.
func TestAttemptEndsWithLease(t *testing.T) {
	gaveUp := make(chan struct{})
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body) // then the server notices the connection closing
		select {
		case <-r.Context().Done():
			close(gaveUp)
		case <-time.After(15 * time.Second):
			w.WriteHeader(http.StatusOK)
		}
	}))
	t.Cleanup(rcv.Close)
	s := testserver.StartWith(t, testserver.Options{WebhookHosts: []string{"127.0.0.1"}})
	owner := s.OwnerToken(t)
	id := s.Must(t, 201, testserver.Request{Method: "POST", Path: base, AppToken: s.AppToken, Token: owner,
		JSON: map[string]any{"url": rcv.URL + "/hook", "events": []string{webhooks.PingType}}}).String("id")
	s.Must(t, 202, testserver.Request{Method: "POST", Path: base + "/" + id + "/test", AppToken: s.AppToken, Token: owner})

	d := *s.App.Dispatcher
	d.Lease = time.Second
	// Only the lease ends the attempt: no timeout of the client's own.
	d.Client = &http.Client{Transport: &http.Transport{DialContext: s.App.Webhooks.Hosts.DialContext}}
	if err := d.Run(context.Background()); err != nil {
		t.Fatalf("dispatch: %v", err)
	}
	list := deliveries(t, s, owner, id)
	if len(list) != 1 || list[0]["status"] != webhooks.Pending || list[0]["attempts"] != 1.0 ||
		!strings.HasPrefix(list[0]["last_error"].(string), "No answer") {
		t.Fatalf("got %v, want the delivery pending after 1 failed attempt without an answer", list)
	}
	select {
	case <-gaveUp:
	default:
		t.Error("the receiver did not see the request end")
	}
}
