#!/usr/bin/env bash
# Measures the server's own CPU time per request, which a throughput ratio
# blurs (the load generator shares the machine): starts `latchkey serve` on a
# throwaway SQLite data directory on loopback, loads each route with wrk for a fixed
# time, and divides the server process's CPU time (/proc/<pid>/stat) by the
# requests answered:
#
#   scripts/server-cpu.sh            # 2 rounds of 6 s per route, 4 connections
#   ROUNDS=3 SECONDS_PER_RUN=10 scripts/server-cpu.sh
#
# Routes: GET /healthz, GET /healthz with the two token headers (what header
# parsing alone costs), and the authenticated GET /api/v1/token. Needs go,
# curl, python3 and wrk (apt-get install wrk).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PORT=${PORT:-18095}
ROUNDS=${ROUNDS:-2}
SECS=${SECONDS_PER_RUN:-6}
BASE=http://127.0.0.1:$PORT
DATA=$(mktemp -d)
trap 'kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; rm -rf "$DATA"' EXIT

go build -o "$DATA/latchkey" ./cmd/latchkey
LATCHKEY_ADMIN_PASSWORD=load-test-password LATCHKEY_LOG_LEVEL=${LOG_LEVEL:-info} \
	"$DATA/latchkey" serve --addr 127.0.0.1:"$PORT" --data-dir "$DATA/store" >"$DATA/serve.out" 2>"$DATA/serve.log" &
SERVER=$!
for _ in $(seq 100); do curl -sf "$BASE/healthz" >/dev/null && break; sleep 0.1; done
APP=$(grep -o 'lka_[a-z0-9_]*' "$DATA/serve.out" | head -1)
TOK=$(curl -s -X POST "$BASE/api/v1/token" -H "App-Token: $APP" -d username=admin -d password=load-test-password |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')

cpu_ticks() { awk '{print $14 + $15}' "/proc/$SERVER/stat"; }
TICKS=$(getconf CLK_TCK)

# run NAME WRK-ARGS...: loads one route and prints req/s and server CPU µs per request.
run() {
	local name=$1 before after out n rps
	shift
	before=$(cpu_ticks)
	out=$(wrk -t1 -c4 -d"${SECS}s" "$@")
	after=$(cpu_ticks)
	n=$(awk '/requests in/ {print $1}' <<<"$out")
	rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
	printf '%-22s %10s req/s   server CPU %4d µs/request\n' "$name" "$rps" $(((after - before) * 1000000 / TICKS / n))
}

echo "machine: $(nproc) CPUs, $(lscpu | sed -n 's/^Model name: *//p'), $(go version | cut -d' ' -f3), load average $(cut -d' ' -f1-3 /proc/loadavg)"
wrk -t1 -c4 -d1s -H "App-Token: $APP" -H "Token: $TOK" "$BASE/api/v1/token" >/dev/null # warm up
for _ in $(seq "$ROUNDS"); do
	run "GET /healthz" "$BASE/healthz"
	run "GET /healthz +headers" -H "App-Token: $APP" -H "Token: $TOK" "$BASE/healthz"
	run "GET /api/v1/token" -H "App-Token: $APP" -H "Token: $TOK" "$BASE/api/v1/token"
done
