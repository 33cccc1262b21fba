#!/usr/bin/env bash
# Starts `latchkey serve` on a throwaway SQLite data directory on loopback, runs
# cmd/loadgen against it (GET /healthz against an authenticated GET
# /api/v1/token, same run), prints the server's own /metrics summary, and
# stops everything:
#
#   scripts/load.sh                          # defaults: 2 rounds of 10s, 4 connections
#   scripts/load.sh -duration 5s -logins 10s # loadgen flags pass through
#   LOG_LEVEL=warn scripts/load.sh           # without the per-request access log line
#
# Bounded: a few tens of seconds with the defaults. Needs go and curl.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PORT=${PORT:-18090}
BASE=http://127.0.0.1:$PORT
DATA=$(mktemp -d)
PASSWORD=load-test-password
trap 'kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; rm -rf "$DATA"' EXIT

go build -o "$DATA/latchkey" ./cmd/latchkey
go build -o "$DATA/loadgen" ./cmd/loadgen
# The access log goes to a file, as it would in production (not a terminal).
LATCHKEY_ADMIN_PASSWORD=$PASSWORD LATCHKEY_LOG_LEVEL=${LOG_LEVEL:-info} \
	"$DATA/latchkey" serve --addr 127.0.0.1:"$PORT" --data-dir "$DATA/store" \
	--config "${CONFIG:-configs/latchkey.yaml}" >"$DATA/serve.out" 2>"$DATA/serve.log" &
SERVER=$!
for _ in $(seq 100); do curl -sf "$BASE/healthz" >/dev/null && break; sleep 0.1; done
APP=$(grep -o 'lka_[a-z0-9_]*' "$DATA/serve.out" | head -1)
if [ -z "$APP" ]; then
	echo "latchkey serve did not start:" >&2
	cat "$DATA/serve.log" >&2
	exit 1
fi

echo "machine: $(nproc) CPUs, $(lscpu | sed -n 's/^Model name: *//p'), $(go version | cut -d' ' -f3), load average $(cut -d' ' -f1-3 /proc/loadavg)"
"$DATA/loadgen" -url "$BASE" -app-token "$APP" -username admin -password "$PASSWORD" "$@"
echo
echo "server metrics:"
curl -s "$BASE/metrics" | grep -E '^latchkey_(cache|last_used|logins)' || true
