#!/usr/bin/env bash
# Measures the store through real `latchkey serve` processes on loopback and
# prints one table of every figure (docs/PERFORMANCE.md, "The store"):
#
#   1. `loadgen populate` writes a big tenant (100k users, 100k tokens, 1M
#      audit records), a small one (100 users, 1k tokens) and ten write
#      tenants into a new SQLite data directory through the engine;
#   2. serve with cache.ttl=0: authenticated/bare throughput (goal >= 0.3),
#      then `loadgen measure` of uncached verification (big against small,
#      with the files' pages as found and then with every page in the OS
#      page cache), logins (big against small), unknown usernames against
#      wrong passwords, and list and audit pages;
#   3. serve with the default cache (2 s) on the same directory:
#      authenticated/bare throughput (goal >= 0.85), then the write rates
#      (token creations and logins on one tenant and across ten);
#   4. in a second data directory of 1,000 tenants of one token each, a
#      serve with cache.ttl=0 verifies a token of every tenant in turn, with
#      store.max_open_tenants at its default (256) and above the number of
#      tenants, and reads the serve's open files and resident memory.
#
#   scripts/store-bench.sh                               # the full set: ~10 min to populate, ~3 min to measure
#   USERS=10000 TOKENS=10000 AUDIT=100000 scripts/store-bench.sh   # smaller and faster
#   DATA_DIR=/tmp/lk-bench scripts/store-bench.sh        # keep the populated directory; a second run reuses it
#
# Other knobs (environment): PORT (18097), ROUNDS (10) and DURATION (2s per
# route and round) of the throughput runs, SAMPLES (200 per side of a
# comparison), WRITES (10s per write run), MANY (1000 tenants in step 4).
# Needs go and curl. Bounded in time: every load run has a fixed
# length and every server is stopped on exit.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PORT=${PORT:-18097}
BASE=http://127.0.0.1:$PORT
WORK=$(mktemp -d)
DATA=${DATA_DIR:-$WORK/data}
FIXTURE=$DATA/fixture.json
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

# serve DIR [ENV=VALUE…]: starts latchkey serve on the data directory DIR
# with the given configuration variables and waits until it answers. It
# tags tokens with the keys kept in the data directory, as populate did.
serve() {
	local dir=$1
	shift
	env "$@" LATCHKEY_ADMIN_PASSWORD=load-test-password \
		"$WORK/latchkey" serve --addr 127.0.0.1:"$PORT" --data-dir "$dir" >>"$WORK/serve.out" 2>>"$WORK/serve.log" &
	SERVER=$!
	for _ in $(seq 300); do
		curl -sf "$BASE/healthz" >/dev/null && return 0
		sleep 0.1
	done
	echo "latchkey serve did not start:" >&2
	cat "$WORK/serve.log" >&2
	exit 1
}

go build -o "$WORK/latchkey" ./cmd/latchkey
go build -o "$WORK/loadgen" ./cmd/loadgen
machine
mkdir -p "$DATA"
if [ -f "$FIXTURE" ]; then
	echo "reusing the populated directory $DATA"
else
	start=$SECONDS
	"$WORK/loadgen" populate -data-dir "$DATA/store" -out "$FIXTURE" \
		-users "${USERS:-100000}" -tokens "${TOKENS:-100000}" -audit "${AUDIT:-1000000}"
	echo "populated in $((SECONDS - start))s; data directory $(du -sh "$DATA/store" | cut -f1)"
fi
RUNS=$WORK/runs.out
: >"$RUNS"

echo
echo "== serve with cache.ttl=0 (every request reads the store)"
serve "$DATA/store" LATCHKEY_CACHE_TTL=0
"$WORK/loadgen" -url "$BASE" -fixture "$FIXTURE" -tenant big -goal 0.3 -p99 0 \
	-duration "${DURATION:-2s}" -warmup 1s -rounds "${ROUNDS:-10}" | tee -a "$RUNS"
# Uncached verification twice: with the tenant files' pages as the machine
# left them (a host may have dropped pages nobody read for a while), then
# after reading the files once, so every page is in the OS page cache. The
# serve's disk reads during each run tell the two apart.
for pages in "as found" "in the OS page cache"; do
	if [ "$pages" != "as found" ]; then
		cat "$DATA"/store/tenants/*.db >/dev/null
	fi
	read0=$(awk '/^read_bytes/ {print $2}' "/proc/$SERVER/io")
	"$WORK/loadgen" measure -url "$BASE" -fixture "$FIXTURE" -parts verify -samples "${SAMPLES:-200}" |
		sed "/^| measurement /!s/^| \([a-z]\)/| tenant files $pages: \1/" | tee -a "$RUNS"
	read1=$(awk '/^read_bytes/ {print $2}' "/proc/$SERVER/io")
	echo "| tenant files $pages: the serve's disk reads during that run | $(((read1 - read0) / 1024)) KiB | | |" | tee -a "$RUNS"
done
"$WORK/loadgen" measure -url "$BASE" -fixture "$FIXTURE" -parts login,lists -samples "${SAMPLES:-200}" | tee -a "$RUNS"
stop

echo
echo "== serve with the default cache (cache.ttl 2s)"
serve "$DATA/store"
"$WORK/loadgen" -url "$BASE" -fixture "$FIXTURE" -tenant big -goal 0.85 \
	-duration "${DURATION:-2s}" -warmup 1s -rounds "${ROUNDS:-10}" | tee -a "$RUNS"
"$WORK/loadgen" measure -url "$BASE" -fixture "$FIXTURE" -parts writes -writes "${WRITES:-10s}" | tee -a "$RUNS"
stop

echo
MANY=${MANY:-1000}
echo "== $MANY tenants of one token each, cache.ttl=0"
"$WORK/loadgen" populate -data-dir "$WORK/many" -out "$WORK/many.json" -users 1 -tokens 1 -audit 0 \
	-small-users 1 -small-tokens 1 -write-tenants 1 -write-users 1 -many-tenants "$MANY"
for open in 256 $((MANY + 100)); do
	serve "$WORK/many" LATCHKEY_CACHE_TTL=0 LATCHKEY_STORE_MAX_OPEN_TENANTS=$open
	"$WORK/loadgen" measure -url "$BASE" -fixture "$WORK/many.json" -parts tenants |
		sed "/^| measurement /!s/^| \([a-z]\)/| store.max_open_tenants $open: \1/" | tee -a "$RUNS"
	stop
done

all_figures "$RUNS"
