#!/usr/bin/env bash
# The floods of SECURITY.md's "Bounded work and memory" against one real
# `latchkey serve` on 127.0.0.1 (docs/PERFORMANCE.md, "Floods"),
# bounded in time (about 4½ minutes with the defaults), printing one table:
#
#   1. 500 parallel logins for 20 s in one tenant, unknown usernames and
#      known ones with wrong passwords (only an App-Token is needed): the
#      serve's peak resident memory (/proc/<pid>/status every 100 ms and its
#      VmHWM), every answer by status (0 answers 500; 503 with Retry-After
#      from the password hash limiter is expected), and the p99 of one
#      client's verified GET /api/v1/token/ in another tenant meanwhile;
#   2. 50 clients of forged user tokens (valid CRC-32, no valid tag): the
#      serve's user-token store reads while they run alone (from its
#      /metrics), and one client's verified p50 during the flood against
#      the same client idle;
#   3. `loadgen measure -parts login`: an unknown username against a wrong
#      password, 200 each, alternating (medians within 5 %, Mann–Whitney
#      |z| < 3);
#   4. a 60 s mixed soak after those floods (logins, refreshes,
#      verifications, token creations, list pages, bad input): every answer
#      by status, 0 answers 500.
#
#   scripts/flood.sh
#   LOGIN_FLOOD=5s FORGED_FLOOD=3s SOAK=10s SAMPLES=50 scripts/flood.sh   # a quick run
#   LATCHKEY=/tmp/latchkey-pprof PPROF_ADDR=127.0.0.1:6060 scripts/flood.sh  # a profiling build (docs/PERFORMANCE.md)
#
# Other knobs (environment): PORT (18099), LOGIN_WORKERS (500), FORGERS
# (50), SOAK_WORKERS (16). The serve runs with its default configuration on
# a throwaway data directory (LATCHKEY_ADMIN_PASSWORD set), changed only by
# LATCHKEY_* variables in the environment (LATCHKEY_PASSWORD_MAX_CONCURRENT=1
# scripts/flood.sh); `loadgen populate` adds the tenants the floods use.
# Needs go and curl.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PORT=${PORT:-18099}
BASE=http://127.0.0.1:$PORT
WORK=$(mktemp -d)
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

if [ -n "${LATCHKEY:-}" ]; then
	cp "$LATCHKEY" "$WORK/latchkey"
else
	go build -o "$WORK/latchkey" ./cmd/latchkey
fi
go build -o "$WORK/loadgen" ./cmd/loadgen
machine

LATCHKEY_ADMIN_PASSWORD=flood-test-password \
	"$WORK/latchkey" serve --addr 127.0.0.1:"$PORT" --data-dir "$WORK/store" >"$WORK/serve.out" 2>"$WORK/serve.log" &
SERVER=$!
for _ in $(seq 300); do
	curl -sf "$BASE/healthz" >/dev/null && break
	sleep 0.1
done
if ! grep -q 'lka_' "$WORK/serve.out"; then
	echo "latchkey serve did not start (or printed no first credentials):" >&2
	cat "$WORK/serve.log" >&2
	exit 1
fi
# The serve's tenants: small (the legitimate client, and the forged
# tokens' target), w0 (the login flood), big (the timing comparison), w1
# (the soak). Written beside the running serve, with its tag keys.
"$WORK/loadgen" populate -data-dir "$WORK/store" -out "$WORK/fixture.json" -users 1000 -tokens 100 -audit 0 \
	-small-users 9 -small-tokens 10 -write-tenants 2 -write-users 200 >"$WORK/populate.out"

RUNS=$WORK/runs.out
"$WORK/loadgen" flood -url "$BASE" -fixture "$WORK/fixture.json" -pid "$SERVER" -parts logins,forged \
	-login-workers "${LOGIN_WORKERS:-500}" -login-flood "${LOGIN_FLOOD:-20s}" \
	-forgers "${FORGERS:-50}" -forged-flood "${FORGED_FLOOD:-10s}" | tee "$RUNS"
"$WORK/loadgen" measure -url "$BASE" -fixture "$WORK/fixture.json" -parts login -samples "${SAMPLES:-200}" | tee "$WORK/measure.out"
grep '^| failed login' "$WORK/measure.out" >>"$RUNS"
# The goal for that comparison: medians within 5 % and |z| < 3.
row=$(grep '^| failed login p50' "$WORK/measure.out")
ratio=$(sed -n 's/.*| \*\*\([0-9.]*\)×\*\*.*/\1/p' <<<"$row")
z=$(sed -n 's/.*Mann–Whitney z \([-+0-9.]*\) over.*/\1/p' <<<"$row")
verdict=$(awk -v r="$ratio" -v z="$z" 'BEGIN { d = r - 1; if (d < 0) d = -d; if (z < 0) z = -z; print (d <= 0.05 && z < 3) ? "met" : "MISSED" }')
echo "| failed login, unknown username / wrong password: medians and Mann–Whitney z | ${ratio}×, z ${z} | within 5 %, \|z\| < 3 | $verdict |" >>"$RUNS"
"$WORK/loadgen" flood -url "$BASE" -fixture "$WORK/fixture.json" -parts soak \
	-soak "${SOAK:-60s}" -soak-workers "${SOAK_WORKERS:-16}" | tee -a "$RUNS"
echo
echo "serve: $(grep -c '"level":"error"' "$WORK/serve.log" || true) error lines in its log; $(awk '/^VmHWM/ {print $2 / 1024 " MiB"}' "/proc/$SERVER/status") peak resident memory"
stop

all_figures "$RUNS"
