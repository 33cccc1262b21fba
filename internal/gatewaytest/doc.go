// Package gatewaytest runs the gateway configurations in deploy/ against the
// real servers: nginx (auth_request) and Caddy (forward_auth), each in front
// of Echo, an upstream that answers what it received, and asking a real
// Latchkey (internal/testserver). The configurations are generated from the
// shipped files (only addresses and ports are changed), so what ships is
// what is tested. The tests skip when a server is not installed, unless
// LATCHKEY_REQUIRE_GATEWAYS=1 (CI), which makes that a failure.
//
// The upstream sub-package serves Echo on its own, for scripts/verify-load.sh.
package gatewaytest
