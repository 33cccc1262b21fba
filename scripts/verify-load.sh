#!/usr/bin/env bash
# Measures Latchkey as the verifier in front of an API, all on
# 127.0.0.1, bounded in time (about two minutes with the defaults):
#
#  1. `latchkey serve` on a throwaway data directory: /api/v1/verify with
#     Prefer: return=minimal (App-Token + Token: 204 and the identity
#     headers, as the gateway files ask) against the stand-in verifier
#     that checks nothing (upstream -verifier, the same headers from a bare
#     net/http handler), alternating in one run. Goal: verify at >= 0.9 of
#     the stand-in, p99 < 5 ms. The other routes an app calls on every
#     request against the bare GET /healthz: the cached authenticated
#     GET /api/v1/token (goal >= 0.9) and POST /api/v1/introspect.
#  2. nginx in front of an upstream (internal/gatewaytest/upstream, which
#     echoes what it receives), configured from deploy/nginx/latchkey.conf
#     plus one location that skips auth_request: the protected route
#     against the same upstream unprotected, behind the same nginx,
#     alternating rounds. A second server of the same nginx asks the
#     stand-in verifier instead of Latchkey: the ceiling for a verifier
#     served by Go's net/http on this machine. Goal: protected by Latchkey
#     at >= 0.9 of protected by the stand-in, p99 < 5 ms.
#  3. The verification path in process, cache hit (go test -bench
#     -benchmem ./admin): time and allocations per answer.
#
#   scripts/verify-load.sh
#   ROUNDS=3 SECONDS_PER_RUN=5 CONNECTIONS=32 scripts/verify-load.sh
#   NGINX_WORKERS=1 scripts/verify-load.sh
#   SERVER_GOMAXPROCS=1 scripts/verify-load.sh   # GOMAXPROCS of latchkey and the upstream
#   SERVER_GOGC=100 scripts/verify-load.sh       # GOGC of latchkey (unset: serve's 32 MiB heap floor)
#
# Needs go, curl, python3, wrk and nginx (apt-get install -y wrk nginx).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

ROUNDS=${ROUNDS:-2}
SECS=${SECONDS_PER_RUN:-5}
CONNS=${CONNECTIONS:-32}
NGINX_WORKERS=${NGINX_WORKERS:-auto}
SERVER_GOMAXPROCS=${SERVER_GOMAXPROCS:-$(nproc)}
SERVER_GOGC=${SERVER_GOGC:-}
LK_PORT=${LK_PORT:-18190}
UP_PORT=${UP_PORT:-18191}
GW_PORT=${GW_PORT:-18192}
STUB_PORT=${STUB_PORT:-18193}
GW_STUB_PORT=${GW_STUB_PORT:-18194}
LK=http://127.0.0.1:$LK_PORT
STUB=http://127.0.0.1:$STUB_PORT
GW=http://127.0.0.1:$GW_PORT
GW_STUB=http://127.0.0.1:$GW_STUB_PORT
DATA=$(mktemp -d)
PIDS=()
cleanup() {
	for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
	for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
	rm -rf "$DATA"
}
trap cleanup EXIT

for tool in go curl python3 wrk nginx; do
	command -v "$tool" >/dev/null || { echo "needs $tool (apt-get install -y wrk nginx)" >&2; exit 1; }
done

go build -o "$DATA/latchkey" ./cmd/latchkey
go build -o "$DATA/upstream" ./internal/gatewaytest/upstream

# Latchkey with its default configuration (SQLite, access log at info, to a file;
# cache.ttl 2 s).
env GOMAXPROCS=$SERVER_GOMAXPROCS ${SERVER_GOGC:+GOGC=$SERVER_GOGC} LATCHKEY_ADMIN_PASSWORD=load-test-password \
	"$DATA/latchkey" serve --addr "127.0.0.1:$LK_PORT" --data-dir "$DATA/store" \
	>"$DATA/serve.out" 2>"$DATA/serve.log" &
PIDS+=($!)
GOMAXPROCS=$SERVER_GOMAXPROCS "$DATA/upstream" -addr "127.0.0.1:$UP_PORT" 2>"$DATA/upstream.log" &
PIDS+=($!)
# The stand-in verifier gets latchkey's heap goal: its heap is small, and at
# GOGC=800 the runtime's least heap goal is 32 MiB, serve's floor.
GOMAXPROCS=$SERVER_GOMAXPROCS GOGC=${SERVER_GOGC:-800} "$DATA/upstream" -verifier -addr "127.0.0.1:$STUB_PORT" 2>"$DATA/stub.log" &
PIDS+=($!)
for _ in $(seq 150); do curl -sf "$LK/healthz" >/dev/null && break; sleep 0.1; done
APP=$(grep -o 'lka_[a-z0-9_]*' "$DATA/serve.out" | head -1 || true)
if [ -z "$APP" ]; then
	echo "latchkey serve did not start:" >&2
	cat "$DATA/serve.log" >&2
	exit 1
fi
TOK=$(curl -s -X POST "$LK/api/v1/token" -H "App-Token: $APP" -d username=admin -d password=load-test-password |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')

# nginx: the shipped file with the addresses changed, and one unprotected
# location to the same upstream for the comparison.
mkdir -p "$DATA/nginx"
sed -e "s/server 127.0.0.1:8080;/server 127.0.0.1:$LK_PORT;/" \
	-e "s/server 127.0.0.1:9000;/server 127.0.0.1:$UP_PORT;/" \
	-e "s/listen 8000;/listen 127.0.0.1:$GW_PORT;/" \
	-e 's|^    location / {|    location /open/ {\n        auth_request off;\n        proxy_pass http://api;\n    }\n\n    location / {|' \
	deploy/nginx/latchkey.conf >"$DATA/nginx/latchkey.conf"
grep -q "location /open/" "$DATA/nginx/latchkey.conf" || { echo "could not add the unprotected location" >&2; exit 1; }
# The same server again, asking the stand-in verifier: its own upstream
# block for it, the API's upstream and the map shared with the first.
sed -e "s/server 127.0.0.1:8080;/server 127.0.0.1:$STUB_PORT;/" \
	-e "s/listen 8000;/listen 127.0.0.1:$GW_STUB_PORT;/" \
	-e 's/^upstream latchkey {/upstream latchkey_stub {/' -e 's|http://latchkey/|http://latchkey_stub/|' \
	-e '/^upstream api {/,/^}/d' -e '/^map \$uri/,$d' \
	deploy/nginx/latchkey.conf >>"$DATA/nginx/latchkey.conf"
grep -q "upstream latchkey_stub" "$DATA/nginx/latchkey.conf" || { echo "could not add the stand-in verifier's server" >&2; exit 1; }
cat >"$DATA/nginx/nginx.conf" <<EOF
daemon off;
worker_processes $NGINX_WORKERS;
user $(id -un);
pid $DATA/nginx/nginx.pid;
error_log $DATA/nginx/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $DATA/nginx/body;
    proxy_temp_path $DATA/nginx/proxy;
    fastcgi_temp_path $DATA/nginx/fastcgi;
    uwsgi_temp_path $DATA/nginx/uwsgi;
    scgi_temp_path $DATA/nginx/scgi;
    include $DATA/nginx/latchkey.conf;
}
EOF
nginx -p "$DATA/nginx" -c "$DATA/nginx/nginx.conf" -e "$DATA/nginx/error.log" &
PIDS+=($!)
NGINX=$!
LATCHKEY=${PIDS[0]}
UPSTREAM=${PIDS[1]}
STUB_PID=${PIDS[2]}
for _ in $(seq 100); do curl -s -o /dev/null "$GW/open/" && break; sleep 0.1; done

for url in "$GW/x" "$LK/api/v1/verify" "$GW_STUB/x"; do
	code=$(curl -s -o /dev/null -w '%{http_code}' -H "App-Token: $APP" -H "Token: $TOK" "$url")
	[ "$code" = 200 ] || { echo "$url answered $code with valid credentials" >&2; exit 1; }
done

# cpu_ticks PID: user+system CPU ticks of the process (all its threads) and
# of its child processes (nginx: the master and its workers).
cpu_ticks() {
	local total=0 p
	for p in "$1" $(pgrep -P "$1" || true); do
		total=$((total + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)))
	done
	echo "$total"
}
TICKS=$(getconf CLK_TCK)

# bench NAME URL [WRK-ARGS...]: one wrk run; prints a row and records req/s
# and p99 (ms) in RPS[NAME] and P99[NAME] (sums over rounds). The CPU time
# Latchkey, nginx, the upstream and wrk itself spent per request is printed
# too: unlike throughput, it hardly depends on what else the machine runs,
# and on two cores it is what the throughput of each path is bounded by.
declare -A RPS P99 BAD CPU
bench() {
	local name=$1 url=$2 out rps p99 bad n lk ng up wrk_cpu
	shift 2
	local lk0 ng0 up0 lk1 ng1 up1
	# The stand-in verifier's CPU is counted as Latchkey's: it is in its place.
	lk0=$(($(cpu_ticks "$LATCHKEY") + $(cpu_ticks "$STUB_PID"))) ng0=$(cpu_ticks "$NGINX") up0=$(cpu_ticks "$UPSTREAM")
	# wrk's own CPU (user + system seconds) from the shell's time keyword.
	out=$( { TIMEFORMAT='wrk-cpu %U %S'; time wrk -t1 -c"$CONNS" -d"${SECS}s" --latency "$@" "$url"; } 2>&1)
	lk1=$(($(cpu_ticks "$LATCHKEY") + $(cpu_ticks "$STUB_PID"))) ng1=$(cpu_ticks "$NGINX") up1=$(cpu_ticks "$UPSTREAM")
	n=$(awk '/requests in/ {print $1}' <<<"$out")
	rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
	p99=$(awk '$1 == "99%" {v=$2; if (v ~ /us$/) {sub(/us$/, "", v); v/=1000} else if (v ~ /ms$/) {sub(/ms$/, "", v)} else if (v ~ /s$/) {sub(/s$/, "", v); v*=1000}; print v}' <<<"$out")
	bad=$(awk '/Non-2xx/ {print $5}' <<<"$out")
	lk=$(((lk1 - lk0) * 1000000 / TICKS / n))
	ng=$(((ng1 - ng0) * 1000000 / TICKS / n))
	up=$(((up1 - up0) * 1000000 / TICKS / n))
	wrk_cpu=$(awk -v n="$n" '$1 == "wrk-cpu" {printf "%d", ($2 + $3) * 1e6 / n}' <<<"$out")
	printf '  %-34s %9s req/s  p99 %6.2f ms  non-2xx %-3s  CPU µs/request: latchkey %3d  nginx %3d  upstream %3d  wrk %3d\n' \
		"$name" "$rps" "$p99" "${bad:-0}" "$lk" "$ng" "$up" "$wrk_cpu"
	RPS[$name]=$(python3 -c "print(${RPS[$name]:-0} + $rps)")
	P99[$name]=$(python3 -c "print(max(${P99[$name]:-0}, $p99))")
	BAD[$name]=$(( ${BAD[$name]:-0} + ${bad:-0} ))
	CPU[$name]=$(( ${CPU[$name]:-0} + lk + ng + up + wrk_cpu ))
}

ratio() { python3 -c "print(f'{$1 / $2:.2f}')"; }

# POST /api/v1/introspect of the user token, in the app's name (wrk needs
# a script for a body).
cat >"$DATA/introspect.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"token":"$TOK"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["App-Token"] = "$APP"
LUA
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "App-Token: $APP" -H 'Content-Type: application/json' \
	-d "{\"token\":\"$TOK\"}" "$LK/api/v1/introspect")
[ "$code" = 200 ] || { echo "introspect answered $code" >&2; exit 1; }

echo "machine: $(nproc) CPUs, $(lscpu | sed -n 's/^Model name: *//p'), $(go version | cut -d' ' -f3), $(nginx -v 2>&1 | cut -d' ' -f3), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "wrk -t1 -c$CONNS -d${SECS}s per run, $ROUNDS rounds, nginx worker_processes $NGINX_WORKERS, GOMAXPROCS of latchkey and upstream $SERVER_GOMAXPROCS, GOGC of latchkey ${SERVER_GOGC:-unset (a 32 MiB heap floor)}"
wrk -t1 -c"$CONNS" -d2s -H "App-Token: $APP" -H "Token: $TOK" "$LK/api/v1/verify" >/dev/null # warm up
for r in $(seq "$ROUNDS"); do
	echo "round $r"
	bench "stand-in verifier, direct" "$STUB/api/v1/verify" -H "App-Token: $APP" -H "Token: $TOK" -H "Prefer: return=minimal"
	bench "latchkey /verify, Prefer minimal" "$LK/api/v1/verify" -H "App-Token: $APP" -H "Token: $TOK" -H "Prefer: return=minimal"
	bench "latchkey GET /healthz" "$LK/healthz"
	bench "latchkey GET /api/v1/token" "$LK/api/v1/token" -H "App-Token: $APP" -H "Token: $TOK"
	bench "latchkey POST /api/v1/introspect" "$LK/api/v1/introspect" -s "$DATA/introspect.lua"
	bench "latchkey GET /api/v1/verify" "$LK/api/v1/verify" -H "App-Token: $APP" -H "Token: $TOK"
	bench "nginx, stand-in verifier /x" "$GW_STUB/x" -H "App-Token: $APP" -H "Token: $TOK"
	bench "nginx, protected /x" "$GW/x" -H "App-Token: $APP" -H "Token: $TOK"
	bench "nginx, unprotected /open/x" "$GW/open/x" -H "App-Token: $APP" -H "Token: $TOK"
done

v=$(ratio "${RPS[latchkey /verify, Prefer minimal]}" "${RPS[stand-in verifier, direct]}")
tk=$(ratio "${RPS[latchkey GET /api/v1/token]}" "${RPS[latchkey GET /healthz]}")
in=$(ratio "${RPS[latchkey POST /api/v1/introspect]}" "${RPS[latchkey GET /healthz]}")
g=$(ratio "${RPS[nginx, protected /x]}" "${RPS[nginx, stand-in verifier /x]}")
gs=$(ratio "${RPS[nginx, stand-in verifier /x]}" "${RPS[nginx, unprotected /open/x]}")
echo
echo "verify / stand-in verifier, direct: $v (goal >= 0.90); verify p99 (worst round) ${P99[latchkey /verify, Prefer minimal]} ms, stand-in ${P99[stand-in verifier, direct]} ms (goal < 5); non-2xx ${BAD[latchkey /verify, Prefer minimal]}"
echo "nginx protected by latchkey / by the stand-in verifier: $g (goal >= 0.90); p99 (worst round) ${P99[nginx, protected /x]} ms, stand-in ${P99[nginx, stand-in verifier /x]} ms (goal < 5); non-2xx ${BAD[nginx, protected /x]}"
echo "GET /api/v1/token (cached) / healthz: $tk (goal >= 0.90); p99 ${P99[latchkey GET /api/v1/token]} ms"
echo "POST /api/v1/introspect / healthz: $in; p99 ${P99[latchkey POST /api/v1/introspect]} ms"
echo "for comparison: nginx protected by the stand-in / unprotected: $gs"
echo "CPU µs per request, all four processes, mean of the rounds: stand-in $((CPU[stand-in verifier, direct] / ROUNDS)), verify $((CPU[latchkey /verify, Prefer minimal] / ROUNDS)), healthz $((CPU[latchkey GET /healthz] / ROUNDS)), token $((CPU[latchkey GET /api/v1/token] / ROUNDS)); nginx unprotected $((CPU[nginx, unprotected /open/x] / ROUNDS)), protected $((CPU[nginx, protected /x] / ROUNDS)), stand-in verifier $((CPU[nginx, stand-in verifier /x] / ROUNDS))"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "latchkey metrics:"
curl -s "$LK/metrics" | grep -E '^latchkey_(verify_answers_total|cache_(hits|misses)_total)' || true
echo
echo "the verification path in process, cache hit:"
go test -run '^$' -bench 'Request(Healthz|Verify|GetToken)$' -benchmem -count 3 ./admin | grep -E '^Benchmark'
