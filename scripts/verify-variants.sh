#!/usr/bin/env bash
# What scopes and rate limits cost /verify, in one run on 127.0.0.1, bounded
# in time (about a minute with the defaults): one `latchkey serve` (SQLite,
# the default configuration), one login token, and three app tokens of the
# platform tenant, alternating round by round with wrk:
#
#   plain    an unrestricted app token without a limit:  GET /api/v1/verify
#   scoped   an app token restricted to reports:read:    GET /api/v1/verify?scope=reports:read
#   limited  an app token limited to 1,000,000 a day:    GET /api/v1/verify
#            (a budget the run does not spend, so every request goes
#            through the limiter and is admitted)
#
# Goals: scoped / plain and limited / plain >= 0.9.
#
#   scripts/verify-variants.sh
#   ROUNDS=5 SECONDS_PER_RUN=5 CONNECTIONS=32 scripts/verify-variants.sh
#
# Needs go, curl, python3 and wrk (apt-get install -y wrk).
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-3}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-5}
CONNECTIONS=${CONNECTIONS:-32}
LK_PORT=${LK_PORT:-18195}
LK=http://127.0.0.1:$LK_PORT
DATA=$(mktemp -d)
PID=
cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null || true
	rm -rf "$DATA"
}
trap cleanup EXIT

for tool in go curl python3 wrk; do
	command -v "$tool" >/dev/null || { echo "needs $tool (apt-get install -y wrk)" >&2; exit 1; }
done

go build -o "$DATA/latchkey" ./cmd/latchkey
LATCHKEY_ADMIN_PASSWORD=load-test-password "$DATA/latchkey" serve --addr "127.0.0.1:$LK_PORT" \
	--data-dir "$DATA/store" >"$DATA/serve.out" 2>"$DATA/serve.log" &
PID=$!
for _ in $(seq 150); do curl -sf "$LK/healthz" >/dev/null && break; sleep 0.1; done
APP=$(grep -o 'lka_[a-z0-9_]*' "$DATA/serve.out" | head -1 || true)
[ -n "$APP" ] || { echo "latchkey serve did not start:" >&2; cat "$DATA/serve.log" >&2; exit 1; }

json() { python3 -c "import json,sys; print(json.load(sys.stdin)[\"$1\"])"; }
TOK=$(curl -sf -X POST "$LK/api/v1/token" -H "App-Token: $APP" -d username=admin -d password=load-test-password | json token)
J='Content-Type: application/json'
curl -sf -X PUT "$LK/api/v1/scopes/reports:read" -H "App-Token: $APP" -H "Token: $TOK" -H "$J" \
	-d '{"description": "Read reports"}' >/dev/null
SCOPED=$(curl -sf -X POST "$LK/api/v1/app_tokens" -H "App-Token: $APP" -H "Token: $TOK" -H "$J" \
	-d '{"name": "scoped", "scopes": ["reports:read"]}' | json app_token)
LIMITED=$(curl -sf -X POST "$LK/api/v1/app_tokens" -H "App-Token: $APP" -H "Token: $TOK" -H "$J" \
	-d '{"name": "limited", "rate_limit": {"limit": 1000000, "seconds": 86400}}' | json app_token)

# Each variant answers 200 before it is measured.
check() { # name app-token path
	local code
	code=$(curl -s -o /dev/null -w '%{http_code}' "$LK$3" -H "App-Token: $2" -H "Token: $TOK")
	[ "$code" = 200 ] || { echo "$1: $3 answered $code, want 200" >&2; exit 1; }
}
check plain "$APP" /api/v1/verify
check scoped "$SCOPED" "/api/v1/verify?scope=reports:read"
check limited "$LIMITED" /api/v1/verify

run() { # app-token path -> requests/s and non-2xx
	wrk -t1 -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" -H "App-Token: $1" -H "Token: $TOK" "$LK$2" |
		python3 -c '
import re,sys
t=sys.stdin.read()
rps=re.search(r"Requests/sec:\s+([\d.]+)",t).group(1)
bad=re.search(r"Non-2xx or 3xx responses: (\d+)",t)
print(rps, bad.group(1) if bad else 0)'
}

echo "machine: $(nproc) CPUs, $(go version | cut -d" " -f3), load average $(cut -d" " -f1-3 /proc/loadavg)"
echo "wrk -t1 -c$CONNECTIONS -d${SECONDS_PER_RUN}s per run, $ROUNDS rounds"
declare -A total=([plain]=0 [scoped]=0 [limited]=0)
for r in $(seq "$ROUNDS"); do
	line="round $r:"
	for v in plain scoped limited; do
		case $v in
		plain) out=$(run "$APP" /api/v1/verify) ;;
		scoped) out=$(run "$SCOPED" "/api/v1/verify?scope=reports:read") ;;
		limited) out=$(run "$LIMITED" /api/v1/verify) ;;
		esac
		read -r rps bad <<<"$out"
		[ "$bad" = 0 ] || { echo "$v: $bad answers were not 2xx" >&2; exit 1; }
		total[$v]=$(python3 -c "print(${total[$v]} + $rps)")
		line="$line  $v $(printf '%.0f' "$rps") req/s"
	done
	echo "$line"
done
python3 - "${total[plain]}" "${total[scoped]}" "${total[limited]}" <<'EOF'
import sys
plain, scoped, limited = map(float, sys.argv[1:])
print(f"scoped (?scope=) / plain:  {scoped / plain:.2f} (goal >= 0.90)")
print(f"limited / plain:           {limited / plain:.2f} (goal >= 0.90)")
EOF
echo "load average at the end: $(cut -d" " -f1-3 /proc/loadavg)"
