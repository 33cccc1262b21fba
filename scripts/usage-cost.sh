#!/usr/bin/env bash
# What usage counting costs /verify, in one run on 127.0.0.1, bounded in
# time (about a minute and a half with the defaults): `latchkey serve` built
# at the commit before usage counting (0e26f37^, "before"), at the commit
# that added it (0e26f37, "with") and, unless HEAD_TOO=0, at HEAD ("head"),
# each with its own port and data directory and the default configuration
# (SQLite). wrk loads one server at a time, the servers alternating round by
# round (the order reversed every other round), with
#
#   GET /api/v1/verify   App-Token + Token + Prefer: return=minimal (204)
#
# Goal: with / before >= 0.97 (within 3 %), summed over the rounds. Each
# server's CPU per request, from /proc/<pid>/stat around each wrk run, is
# printed too: it hardly depends on the share of the cores a run got.
#
#   scripts/usage-cost.sh
#   ROUNDS=6 SECONDS_PER_RUN=5 CONNECTIONS=32 HEAD_TOO=0 scripts/usage-cost.sh
#
# Needs go, git, curl, python3 and wrk (apt-get install -y wrk).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

ROUNDS=${ROUNDS:-4}
SECS=${SECONDS_PER_RUN:-4}
CONNS=${CONNECTIONS:-32}
HEAD_TOO=${HEAD_TOO:-1}
BASE_PORT=${BASE_PORT:-18260}
WITH_REV=0e26f37
WORK=$(mktemp -d)
PIDS=()
cleanup() {
	for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
	for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
	rm -rf "$WORK"
}
trap cleanup EXIT

for tool in go git curl python3 wrk; do
	command -v "$tool" >/dev/null || { echo "needs $tool (apt-get install -y wrk)" >&2; exit 1; }
done

NAMES=(before with)
declare -A REV=([before]="$WITH_REV^" [with]="$WITH_REV" [head]=HEAD)
[ "$HEAD_TOO" = 1 ] && NAMES+=(head)

# Each binary from the tree of its commit (git archive: no checkout, no
# worktree to clean up), in the same go.work layout the commit had.
for name in "${NAMES[@]}"; do
	mkdir -p "$WORK/src-$name"
	git archive "${REV[$name]}" | tar -x -C "$WORK/src-$name"
	(cd "$WORK/src-$name" && go build -o "$WORK/latchkey-$name" ./cmd/latchkey)
	echo "built $name: $(git log -1 --format='%h %s' "${REV[$name]}" | cut -c1-90)"
done

json() { python3 -c "import json,sys; print(json.load(sys.stdin)[\"$1\"])"; }
declare -A PID URL APP TOK
port=$BASE_PORT
for name in "${NAMES[@]}"; do
	URL[$name]=http://127.0.0.1:$port
	LATCHKEY_ADMIN_PASSWORD=load-test-password "$WORK/latchkey-$name" serve --addr "127.0.0.1:$port" \
		--data-dir "$WORK/store-$name" >"$WORK/serve-$name.out" 2>"$WORK/serve-$name.log" &
	PID[$name]=$!
	PIDS+=($!)
	port=$((port + 1))
done
for name in "${NAMES[@]}"; do
	for _ in $(seq 150); do curl -sf "${URL[$name]}/healthz" >/dev/null && break; sleep 0.1; done
	APP[$name]=$(grep -o 'lka_[a-z0-9_]*' "$WORK/serve-$name.out" | head -1 || true)
	[ -n "${APP[$name]}" ] || { echo "serve ($name) did not start:" >&2; cat "$WORK/serve-$name.log" >&2; exit 1; }
	TOK[$name]=$(curl -sf -X POST "${URL[$name]}/api/v1/token" -H "App-Token: ${APP[$name]}" \
		-d username=admin -d password=load-test-password | json token)
	code=$(curl -s -o /dev/null -w '%{http_code}' -H "App-Token: ${APP[$name]}" -H "Token: ${TOK[$name]}" \
		-H 'Prefer: return=minimal' "${URL[$name]}/api/v1/verify")
	[ "$code" = 204 ] || { echo "$name: /api/v1/verify answered $code, want 204" >&2; exit 1; }
done

TICKS=$(getconf CLK_TCK)
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

declare -A RPS CPU
for name in "${NAMES[@]}"; do RPS[$name]=0 CPU[$name]=0; done
# bench NAME: one wrk run against that server; prints requests/s, p99 and
# the server's CPU µs per request, and adds them to RPS[NAME] and CPU[NAME].
bench() {
	local name=$1 out n rps p99 bad t0 t1 cpu
	t0=$(ticks "${PID[$name]}")
	out=$(wrk -t1 -c"$CONNS" -d"${SECS}s" --latency -H "App-Token: ${APP[$name]}" -H "Token: ${TOK[$name]}" \
		-H 'Prefer: return=minimal' "${URL[$name]}/api/v1/verify")
	t1=$(ticks "${PID[$name]}")
	n=$(awk '/requests in/ {print $1}' <<<"$out")
	rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
	p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
	bad=$(awk '/Non-2xx/ {print $5}' <<<"$out")
	cpu=$(((t1 - t0) * 1000000 / TICKS / n))
	printf '  %-7s %10s req/s  p99 %8s  non-2xx %-3s  serve CPU %3d µs/request\n' "$name" "$rps" "$p99" "${bad:-0}" "$cpu"
	RPS[$name]=$(python3 -c "print(${RPS[$name]} + $rps)")
	CPU[$name]=$((CPU[$name] + cpu))
}

echo "machine: $(nproc) CPUs, $(lscpu | sed -n 's/^Model name: *//p'), $(go version | cut -d' ' -f3), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "wrk -t1 -c$CONNS -d${SECS}s per run, $ROUNDS rounds, GET /api/v1/verify with Prefer: return=minimal"
for name in "${NAMES[@]}"; do # warm up each
	wrk -t1 -c"$CONNS" -d1s -H "App-Token: ${APP[$name]}" -H "Token: ${TOK[$name]}" "${URL[$name]}/api/v1/verify" >/dev/null
done
for r in $(seq "$ROUNDS"); do
	echo "round $r"
	order=("${NAMES[@]}")
	if [ $((r % 2)) = 0 ]; then
		order=()
		for ((i = ${#NAMES[@]} - 1; i >= 0; i--)); do order+=("${NAMES[$i]}"); done
	fi
	for name in "${order[@]}"; do bench "$name"; done
done

echo
for name in "${NAMES[@]}"; do
	printf '%-7s total %10.0f req/s over %d rounds, serve CPU %d µs/request (mean of rounds)\n' \
		"$name" "${RPS[$name]}" "$ROUNDS" $((CPU[$name] / ROUNDS))
done
echo "with / before: $(python3 -c "print(f'{${RPS[with]} / ${RPS[before]}:.3f}')") (goal >= 0.97)"
[ "$HEAD_TOO" = 1 ] && echo "head / before: $(python3 -c "print(f'{${RPS[head]} / ${RPS[before]}:.3f}')")"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
# The counting ran: the usage buckets counted in (pending) or written, as
# each server's /metrics says. Only later commits export these metrics:
# 0e26f37 counts without them, so before and with print nothing.
for name in "${NAMES[@]}"; do
	echo "$name: $(curl -s "${URL[$name]}/metrics" | grep -E '^latchkey_usage_(pending|written_total)' | tr '\n' ' ')"
done
