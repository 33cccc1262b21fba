package webhooks_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/latchkey/latchkey/internal/testserver"
	"github.com/latchkey/latchkey/webhooks"
)

// countingListener is a TCP listener on 127.0.0.1 that counts the
// connections it accepts.
func countingListener(t *testing.T) (addr string, accepted *atomic.Int32) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	accepted = &atomic.Int32{}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			_ = c.Close()
		}
	}()
	return ln.Addr().String(), accepted
}

// The dialer refuses loopback, private, link-local, metadata and shared
// addresses in its Control function, which runs before the socket
// connects: no packet leaves. An allowed host is dialled.
func TestDialerRefusesPrivateAddresses(t *testing.T) {
	addr, accepted := countingListener(t)
	_, port, _ := net.SplitHostPort(addr)
	none := webhooks.NewHosts(nil)
	for _, a := range []string{addr, "[::1]:" + port, "10.0.0.1:443", "172.16.5.4:443", "192.168.1.1:443",
		"169.254.169.254:80", "100.64.0.1:443", "[fd00:ec2::254]:80", "[fe80::1]:443", "0.0.0.0:" + port, "[::ffff:127.0.0.1]:" + port} {
		c, err := none.DialContext(context.Background(), "tcp", a)
		if c != nil {
			_ = c.Close()
		}
		if !errors.Is(err, webhooks.ErrRefusedAddress) {
			t.Errorf("dial %s: got %v, want the refusal", a, err)
		}
	}
	if n := accepted.Load(); n != 0 {
		t.Errorf("the refused dials reached the listener %d times", n)
	}
	c, err := webhooks.NewHosts([]string{"127.0.0.1"}).DialContext(context.Background(), "tcp", addr)
	if err != nil {
		t.Fatalf("dial an allowed host: %v", err)
	}
	_ = c.Close()
}

// A webhook whose name resolves to 127.0.0.1 (localhost) is refused on the
// address actually dialled, though only the IP is allowed; a redirect is
// an answer, not followed.
func TestDeliveryRefusals(t *testing.T) {
	s := testserver.StartWith(t, testserver.Options{WebhookHosts: []string{"127.0.0.1"}})
	owner := s.OwnerToken(t)
	addr, accepted := countingListener(t)
	_, port, _ := net.SplitHostPort(addr)
	r := s.Must(t, 201, testserver.Request{Method: "POST", Path: base, AppToken: s.AppToken, Token: owner,
		JSON: map[string]any{"url": "https://localhost:" + port + "/h", "events": []string{webhooks.PingType}}})
	local := r.String("id")
	s.Must(t, 202, testserver.Request{Method: "POST", Path: base + "/" + local + "/test", AppToken: s.AppToken, Token: owner})
	run(t, s)
	ds := deliveries(t, s, owner, local)
	if n := accepted.Load(); n != 0 {
		t.Errorf("localhost was connected to %d times", n)
	}
	if ds[0]["attempts"] != float64(1) || ds[0]["last_status_code"] != float64(0) || !strings.HasPrefix(ds[0]["last_error"].(string), "Refused") {
		t.Errorf("got %v, want one attempt refused", ds[0])
	}

	var followed atomic.Int32
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/other" {
			followed.Add(1)
			return
		}
		http.Redirect(w, r, "/other", http.StatusTemporaryRedirect)
	}))
	t.Cleanup(redirector.Close)
	r = s.Must(t, 201, testserver.Request{Method: "POST", Path: base, AppToken: s.AppToken, Token: owner,
		JSON: map[string]any{"url": redirector.URL + "/h", "events": []string{webhooks.PingType}}})
	red := r.String("id")
	s.Must(t, 202, testserver.Request{Method: "POST", Path: base + "/" + red + "/test", AppToken: s.AppToken, Token: owner})
	run(t, s)
	ds = deliveries(t, s, owner, red)
	if followed.Load() != 0 || ds[0]["last_status_code"] != float64(307) || ds[0]["status"] != webhooks.Pending {
		t.Errorf("redirect: followed %d times, delivery %v; want not followed, 307, pending", followed.Load(), ds[0])
	}
}
