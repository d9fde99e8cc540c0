#!/bin/sh
# api.sh BUILD_DIR [SECONDS] -- Tillgate's admin API benchmark (not a test).
#
# Starts BUILD_DIR/tillgate serve on 127.0.0.1:0 with a temporary data
# folder (durable commits: PRAGMA synchronous = FULL, the default) and
# measures with wrk (Debian package wrk) and curl:
#   * merchant creations per second: POST /v1/merchants, a valid T1 body,
#     a distinct Idempotency-Key per request; one keep-alive connection
#     (sequential), then 8 connections;
#   * GET /v1/merchants/{id} at 200 concurrent connections
#     (wrk -t2 -c200 --latency): requests/s, latency p50/p90/p99;
#   * the daemon's RSS (VmRSS of /proc/PID/status): idle after start, and
#     the maximum sampled every 0.1 s during the runs.
# SECONDS (default 10) is the time per wrk run. It asserts nothing about
# time: it exits 0 unless something failed to run or a request failed.
# Loopback only; the daemon is stopped at the end.
set -u

build=${1:-build}
secs=${2:-10}
tillgate=$build/tillgate

if [ ! -x "$tillgate" ]; then
	echo "bench: $tillgate not found (make bench builds it)" >&2
	exit 1
fi
for c in wrk curl; do
	if ! command -v $c >/dev/null 2>&1; then
		echo "bench: $c not found (tests/deps.sh installs it): API not measured" >&2
		exit 1
	fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/tillgate-apibench.XXXXXX") || exit 1
pid=
spid=
cleanup() {
	[ -n "$spid" ] && kill "$spid" 2>/dev/null
	if [ -n "$pid" ]; then
		kill -TERM "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
status=0

"$tillgate" serve --set gateway.data_dir="$tmp/var" --set gateway.listen=127.0.0.1:0 \
	--set gateway.log_file="$tmp/serve.log" --set gateway.log_level=warn >"$tmp/serve.out" 2>"$tmp/serve.err" &
pid=$!
port=
for _ in $(seq 200); do
	port=$(sed -n 's/^admin URL: http:\/\/127\.0\.0\.1:\([0-9]*\)\/v1$/\1/p' "$tmp/serve.out")
	[ -n "$port" ] && break
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.05
done
if [ -z "$port" ]; then
	echo "bench: the daemon did not start:" >&2
	cat "$tmp/serve.err" "$tmp/serve.log" >&2 2>/dev/null
	pid=
	exit 1
fi
u=http://127.0.0.1:$port
key=$(sed -n 's/^demo-dfsp dfsp-admin key (shown once): //p' "$tmp/serve.out")

rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null; }
sleep 0.5
rss_idle=$(rss)

# RSS sampler: the maximum VmRSS (kB) seen, in $tmp/rss.max.
echo 0 >"$tmp/rss.max"
(
	max=0
	while kill -0 "$pid" 2>/dev/null; do
		r=$(rss)
		if [ -n "$r" ] && [ "$r" -gt "$max" ]; then max=$r; echo "$max" >"$tmp/rss.max"; fi
		sleep 0.1
	done
) &
spid=$!

body='{"trading_name":"BENCH SHOP","legal_name":"Bench Traders Ltd","type":"small_shop","mcc":"5411","tier":"T1","settlement_account":"123456789","contact_phone":"+255712345678","owners":[{"name":"Juma Ali","id_type":"national_id","id_number":"19800101-12345-00001-21","phone":"+255712345678"}],"locations":[{"name":"Main","city":"ARUSHA","address":"Sokoine Rd"}]}'

# The POST script: each thread numbers its requests; keys are RUN-THREAD-N.
cat >"$tmp/post.lua" <<EOF
local n = 0
function setup(thread)
	n = n + 1
	thread:set("tid", n)
end
local counter = 0
function request()
	counter = counter + 1
	return wrk.format("POST", "/v1/merchants", {
		["Authorization"] = "Bearer $key",
		["Content-Type"] = "application/json",
		["Idempotency-Key"] = run .. "-" .. tid .. "-" .. counter,
	}, [[$body]])
end
function init(args)
	run = args[1]
end
EOF

# wrk_run NAME WRK-ARGS...: runs wrk, its output in $tmp/NAME.
wrk_run() {
	name=$1
	shift
	echo "bench: $name (wrk, ${secs}s)..." >&2
	if ! wrk "$@" >"$tmp/$name" 2>&1; then
		echo "bench: wrk failed:" >&2
		cat "$tmp/$name" >&2
		status=1
	fi
	if grep -q -e 'Non-2xx' -e 'Socket errors' "$tmp/$name"; then
		echo "bench: $name: errors:" >&2
		grep -e 'Non-2xx' -e 'Socket errors' "$tmp/$name" >&2
		status=1
	fi
}
rate() { awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$tmp/$1"; }
# pct NAME P: latency percentile P (50, 90, 99) of wrk --latency, in ms.
pct() {
	awk -v p="$2%" '$1 == p {
		v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v)
		if (u == "us") v /= 1000; else if (u == "s") v *= 1000; else if (u == "m") v *= 60000
		printf "%.2f", v }' "$tmp/$1"
}

sqlcount() { sqlite3 -batch -noheader "$tmp/var/tillgate.db" 'SELECT count(*) FROM merchant;' 2>/dev/null || echo '?'; }

wrk_run post1 -t1 -c1 -d"${secs}s" --latency -s "$tmp/post.lua" "$u" -- a
wrk_run post8 -t2 -c8 -d"${secs}s" --latency -s "$tmp/post.lua" "$u" -- b
merchants=$(command -v sqlite3 >/dev/null 2>&1 && sqlcount || echo '?')

code=$(curl -s -o "$tmp/m.json" -w '%{http_code}' -H "Authorization: Bearer $key" \
	-H 'Content-Type: application/json' --data-binary "$body" "$u/v1/merchants")
mid=$(sed -n 's/.*"merchant_id":"\([0-9]*\)".*/\1/p' "$tmp/m.json" | head -n 1)
if [ "$code" != 201 ] || [ -z "$mid" ]; then
	echo "bench: creating the merchant to GET failed (HTTP $code)" >&2
	exit 1
fi
wrk_run get200 -t2 -c200 -d"${secs}s" --latency -H "Authorization: Bearer $key" "$u/v1/merchants/$mid"
rss_load=$(cat "$tmp/rss.max")
kill "$spid" 2>/dev/null
wait "$spid" 2>/dev/null
spid=

kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
[ "$rc" -eq 0 ] || { echo "bench: the daemon exited with status $rc" >&2; status=1; }

echo
echo "Tillgate admin API benchmark: $(uname -m), $(nproc 2>/dev/null || echo '?') cores, ${secs} s per run,"
echo "$tillgate, loopback, synchronous = FULL, database on $(df -P "${TMPDIR:-/tmp}" | awk 'NR == 2 { print $1 }')"
echo
printf '%-52s %10s %9s %9s %9s\n' "run" "req/s" "p50 ms" "p90 ms" "p99 ms"
printf '%-52s %10s %9s %9s %9s\n' "---" "-----" "------" "------" "------"
printf '%-52s %10s %9s %9s %9s\n' "POST /v1/merchants, 1 connection (sequential)" "$(rate post1)" "$(pct post1 50)" "$(pct post1 90)" "$(pct post1 99)"
printf '%-52s %10s %9s %9s %9s\n' "POST /v1/merchants, 8 connections" "$(rate post8)" "$(pct post8 50)" "$(pct post8 90)" "$(pct post8 99)"
printf '%-52s %10s %9s %9s %9s\n' "GET /v1/merchants/{id}, 200 connections" "$(rate get200)" "$(pct get200 50)" "$(pct get200 90)" "$(pct get200 99)"
echo
echo "merchants created: $merchants in the database, $(awk '/requests in/ { n += $1 } END { print n + 0 }' "$tmp/post1" "$tmp/post8") 201s counted by wrk"
echo "RSS idle: $(awk -v k="${rss_idle:-0}" 'BEGIN { printf "%.1f", k / 1024 }') MiB; under load (max, sampled every 0.1 s): $(awk -v k="$rss_load" 'BEGIN { printf "%.1f", k / 1024 }') MiB"
exit $status
