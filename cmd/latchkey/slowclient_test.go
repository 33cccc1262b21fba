package main

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/configs"
)

// runMainWith runs a Main on a new SQLite store with server.read_timeout
// readTimeout, initialised, and returns it and its platform app token.
func runMainWith(t *testing.T, readTimeout time.Duration) (*Main, string) {
	t.Helper()
	cfg := configs.Default()
	cfg.Store.DataDir = t.TempDir()
	cfg.Server.Addr = "127.0.0.1:0"
	cfg.Server.ReadTimeout = readTimeout
	return startMain(t, cfg)
}

// dialServer opens a raw connection to m, closed when the test ends.
func dialServer(t *testing.T, m *Main) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", m.listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

// A request without credentials that declares a 60000-byte body and sends
// one byte is answered 401 at once and its connection closed: the server
// does not wait for the body it will never use. The read timeout is long
// (30 s) and the client waits 10 s at most, so an answer that waited for
// the body, or for the timeout, fails the test.
func TestUnauthenticatedBodyNotWaitedFor(t *testing.T) {
	m, _ := runMainWith(t, 30*time.Second)
	conn := dialServer(t, m)
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, "POST /api/v1/users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"+
		"Content-Length: 60000\r\n\r\n{"); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(conn)
	res, err := http.ReadResponse(r, nil)
	if err != nil {
		t.Fatalf("no answer within 10 s: %v", err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized || !res.Close {
		t.Errorf("got %d (Connection: %q), want 401 with Connection: close", res.StatusCode, res.Header.Get("Connection"))
	}
	if _, err := r.ReadByte(); !errors.Is(err, io.EOF) {
		t.Errorf("after the answer: got %v, want the connection closed (EOF)", err)
	}
}

// A client sending its headers or its body a byte at a time is cut off
// once server.read_timeout (1 s here) has passed since its request began:
// the server closes the connection (after an error answer or without
// one) while the client still has bytes to send. The client gives up after
// 20 s.
func TestSlowClientsCutOff(t *testing.T) {
	m, app := runMainWith(t, time.Second)
	for name, tc := range map[string]struct{ head, trickle string }{
		"slow headers": {head: "GET /healthz HTTP/1.1\r\nHost: x\r\n", trickle: "X-Slow: a\r\n"},
		"slow body": {head: "POST /api/v1/token HTTP/1.1\r\nHost: x\r\nApp-Token: " + app +
			"\r\nContent-Type: application/json\r\nContent-Length: 60000\r\n\r\n", trickle: " "},
	} {
		t.Run(name, func(t *testing.T) {
			conn := dialServer(t, m)
			_ = conn.SetDeadline(time.Now().Add(20 * time.Second))
			if _, err := io.WriteString(conn, tc.head); err != nil {
				t.Fatal(err)
			}
			stop := make(chan struct{})
			defer close(stop)
			go func() {
				for {
					select {
					case <-stop:
						return
					case <-time.After(100 * time.Millisecond):
					}
					if _, err := io.WriteString(conn, tc.trickle); err != nil {
						return
					}
				}
			}()
			_, err := io.Copy(io.Discard, conn) // until the server closes, or the deadline
			if errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("the connection was still open after 20 s of a slow %s", strings.TrimPrefix(name, "slow "))
			}
		})
	}
}
