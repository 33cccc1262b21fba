// Command upstream serves gatewaytest.Echo on a loopback address: the
// protected API of scripts/verify-load.sh.
//
//	go run ./internal/gatewaytest/upstream -addr 127.0.0.1:9000
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
	flag.Parse()
	host, _, err := net.SplitHostPort(*addr)
	if err != nil || !net.ParseIP(host).IsLoopback() {
		log.Fatalf("upstream: -addr %q: want a loopback host:port", *addr)
	}
	log.Fatal(http.ListenAndServe(*addr, &gatewaytest.Echo{}))
}
