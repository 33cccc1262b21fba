package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// healthcheck asks the server of this configuration (server.addr) whether
// it is ready (GET /readyz) and fails unless it answers 200 within five
// seconds. It is the container's health check: the image has no shell and
// no curl, only this binary.
func healthcheck(ctx context.Context, load loader, stdout io.Writer) error {
	cfg, err := load()
	if err != nil {
		return err
	}
	url := "http://" + dialAddr(cfg.Server.Addr) + "/readyz"
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("not ready: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("not ready: GET %s answered %s", url, res.Status)
	}
	fmt.Fprintln(stdout, "ready")
	return nil
}

// dialAddr turns a listening address into one to connect to: a server on
// every interface (":8080", "0.0.0.0:8080", "[::]:8080") is reached on the
// loopback.
func dialAddr(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return listen
	}
	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::":
		host = "::1"
	}
	return net.JoinHostPort(host, port)
}
