// Command upstream serves gatewaytest.Echo on a loopback address: the
// protected API of scripts/verify-load.sh. With -verifier it serves
// instead a stand-in for Latchkey's /verify that checks nothing: every
// request gets the 204 and identity headers of a gateway's question with
// Prefer: return=minimal, fixed. Put where Latchkey would be, it shows
// what a verifier served by Go's net/http costs a gateway on the same
// machine when it does no work at all: the ceiling of the protected /
// unprotected ratio for Latchkey.
//
//	go run ./internal/gatewaytest/upstream -addr 127.0.0.1:9000
//	go run ./internal/gatewaytest/upstream -addr 127.0.0.1:9001 -verifier
package main

import (
	"flag"
	"log"
	"net"
	"net/http"

	"github.com/latchkey/latchkey/internal/gatewaytest"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:9000", "loopback address to listen on")
	verifier := flag.Bool("verifier", false, "answer every request as /verify does a valid login token, checking nothing")
	flag.Parse()
	host, _, err := net.SplitHostPort(*addr)
	if err != nil || !net.ParseIP(host).IsLoopback() {
		log.Fatalf("upstream: -addr %q: want a loopback host:port", *addr)
	}
	var h http.Handler = &gatewaytest.Echo{}
	if *verifier {
		h = http.HandlerFunc(acceptAll)
	}
	log.Fatal(http.ListenAndServe(*addr, h))
}

// identity is the answer of acceptAll: every header Latchkey's /verify
// answers a login token with (the identity, and those every answer
// carries: request id, nosniff, no-store), with values of the same
// lengths, so both answers cost the gateway alike.
var identity = [][2]string{
	{"X-Latchkey-Tenant-Id", "abcdefgh"},
	{"X-Latchkey-Tenant", "platform"},
	{"X-Latchkey-App-Token-Id", "6756f1a2c3d4e5f607182930"},
	{"X-Latchkey-User-Id", "6756f1a2c3d4e5f607182931"},
	{"X-Latchkey-Username", "admin"},
	{"X-Latchkey-Role", "owner"},
	{"X-Latchkey-Token-Id", "6756f1a2c3d4e5f607182932"},
	{"X-Latchkey-Token-Kind", "login"},
	{"X-Latchkey-Expires", "2026-12-01T23:00:00.123Z"},
	{"Preference-Applied", "return=minimal"},
	{"X-Request-Id", "64c56e5c660449d31bd822aa"},
	{"X-Content-Type-Options", "nosniff"},
	{"Cache-Control", "no-store"},
}

func acceptAll(w http.ResponseWriter, _ *http.Request) {
	h := w.Header()
	for _, kv := range identity {
		h[kv[0]] = []string{kv[1]}
	}
	w.WriteHeader(http.StatusNoContent)
}
