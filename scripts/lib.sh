# Shared by the load scripts that run `latchkey serve` themselves
# (store-bench.sh, flood.sh): source it after setting WORK.

# SERVER is the pid of the running serve, if any; stop ends it.
SERVER=
stop() {
	if [ -n "$SERVER" ]; then
		kill "$SERVER" 2>/dev/null || true
		wait "$SERVER" 2>/dev/null || true
		SERVER=
	fi
}
trap 'stop; rm -rf "$WORK"' EXIT

# machine prints what the figures were measured on.
machine() {
	echo "machine: $(nproc) CPUs, $(lscpu | sed -n 's/^Model name: *//p'), $(go version | cut -d' ' -f3), load average $(cut -d' ' -f1-3 /proc/loadavg)"
}

# all_figures FILE prints every table row the runs wrote into FILE as one
# table, under the machine they ran on.
all_figures() {
	echo
	echo "== all figures ($(machine))"
	echo
	echo "| measurement | figure | goal | |"
	echo "|---|---|---|---|"
	grep '^| ' "$1" | grep -v -e '^| measurement ' -e '^|---' || true
}
