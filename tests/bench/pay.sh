#!/bin/sh
# pay.sh BUILD_DIR -- Tillgate's payments and payee benchmark (not a test).
#
# Starts BUILD_DIR/tillgate serve on a free loopback port with a temporary
# data folder (durable commits: PRAGMA synchronous = FULL, as in
# production) and a bench tier file (every limit very large, so that
# nothing is refused), and measures, all over loopback:
#   * offline acceptance: the switch down (its port closed), POST
#     /v1/payments accepted and QUEUED per second, sequential and over C
#     connections (pay_load.js payments); the QUEUED rows must equal the
#     202s;
#   * drain: that backlog, the switch simulator (tests/sim/switch_sim.js
#     --fast) started on the switch's port: payments COMMITTED per second
#     until none is left, against the simulator's own ceiling (pay_load.js
#     ceiling: the same lookup, quote and transfer straight at a simulator,
#     max_inflight flows at once);
#   * online acceptance: payments accepted per second while the forwarder
#     sends them to the simulator, then until all are COMMITTED;
#   * payee: POST /quotes and POST /transfers per second handled by the
#     daemon's payee side, p50/p99 from the request to its PUT callback
#     (pay_load.js payee plays the switch), at 1 and C flows at once;
#   * the full flow against the Mojaloop Testing Toolkit (tests/ttk/
#     start.js), stock and patched (ttk_fast.js): payments COMMITTED per
#     second end to end.
# The payee runs come first (their daemon's switch endpoint is the
# driver), then the payer side on the same database, then the Toolkit on
# databases of their own. Every count is checked ("check:" lines).
# Sizes: environment variables PAY_BENCH_* below. It asserts nothing about
# time: it exits 0 unless something failed to run or a count is wrong.
# tests/bench/README.md, "Payments benchmark".
set -u

build=${1:-build}
tillgate=$build/tillgate
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
load=$here/pay_load.js
sim_js=$root/tests/sim/switch_sim.js

n_seq=${PAY_BENCH_SEQ:-300}           # offline payments, one at a time
n_conc=${PAY_BENCH_CONC:-1699}        # offline payments over $conc connections (with the
                                      # first one and $n_seq: a backlog of 2000)
conc=${PAY_BENCH_C:-8}                # connections of the concurrent runs
inflight=${PAY_BENCH_INFLIGHT:-32}    # [switch] max_inflight, and the ceiling's flows at once
n_online=${PAY_BENCH_ONLINE:-500}     # online payments
n_ceil=${PAY_BENCH_CEILING:-2000}     # flows of the simulator's ceiling
n_payee1=${PAY_BENCH_PAYEE1:-200}     # payee flows, one at a time
n_payee=${PAY_BENCH_PAYEE:-500}       # payee flows, $conc at once
n_ttk=${PAY_BENCH_TTK:-20}            # payments through the stock Toolkit
n_ttkp=${PAY_BENCH_TTK_PATCHED:-100}  # payments through the patched Toolkit (ttk_fast.js)
ttk_inflight=${PAY_BENCH_TTK_INFLIGHT:-8} # [switch] max_inflight with the stock Toolkit
# PAY_BENCH_KEEP=1 keeps the temporary folder (databases, logs, results).
amount=10000                          # TZS 100.00 each

if [ ! -x "$tillgate" ]; then
	echo "bench: $tillgate not found (make bench builds it)" >&2
	exit 1
fi
for c in node curl sqlite3; do
	if ! command -v $c >/dev/null 2>&1; then
		echo "bench: $c not found (tests/deps.sh installs it): payments not measured" >&2
		exit 1
	fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/tillgate-paybench.XXXXXX") || exit 1
pid=
simpid=
ttkpid=
cleanup() {
	if [ -n "$simpid" ]; then
		exec 3>&-
		kill "$simpid" 2>/dev/null
		wait "$simpid" 2>/dev/null
	fi
	if [ -n "$ttkpid" ]; then
		kill "$ttkpid" 2>/dev/null
		wait "$ttkpid" 2>/dev/null
	fi
	if [ -n "$pid" ]; then
		kill -TERM "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	fi
	if [ -n "${PAY_BENCH_KEEP:-}" ]; then
		echo "bench: kept $tmp" >&2
	else
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM
status=0
res=$tmp/results # lines "NAME JSON"
: >"$res"
notes=$tmp/notes
: >"$notes"
note() { echo "$*" >>"$notes"; }
checks=$tmp/checks
: >"$checks"
# check WHAT GOT EXPECTED: a line "check: WHAT: GOT (expected EXPECTED)",
# and a failed run when they differ
check() {
	if [ "$2" = "$3" ]; then
		echo "check: $1: $2, as expected" >>"$checks"
	else
		echo "check: $1: $2, expected $3: WRONG" >>"$checks"
		echo "bench: $1: $2, expected $3" >&2
		status=1
	fi
}
die() {
	echo "bench: $*" >&2
	[ -f "$tmp/serve.log" ] && tail -n 20 "$tmp/serve.log" >&2
	exit 1
}
now() { date +%s%N; }

# Five free loopback ports: the daemon, the switch (closed until the
# simulator starts there), the payee receiver, the Toolkit's API and admin.
set -- $(node -e '
const net = require("net");
const ports = [];
const servers = [];
const next = () => {
	const s = net.createServer().listen(0, "127.0.0.1", () => {
		ports.push(s.address().port);
		servers.push(s);
		if (ports.length < 5) next();
		else { console.log(ports.join(" ")); servers.forEach((x) => x.close()); }
	});
};
next();')
[ $# -eq 5 ] || die "no free ports"
cb=$1 sw=$2 prx=$3 ttk_api=$4 ttk_adm=$5
u=http://127.0.0.1:$cb
data=$tmp/var
sql() { sqlite3 -batch -noheader "$data/tillgate.db" "$1"; }

# The bench tier file: the shipped one with every limit, offline amount
# and count set very large (the offline maximum age stays 24 h), so that
# every limit is still checked but none refuses.
sed -e 's/^\(limit_[a-z]*\|offline_payment\|offline_exposure\) *=.*/\1 = 1_000_000_000_000/' \
	-e 's/^offline_count *=.*/offline_count = 1_000_000/' "$root/data/kyb-tiers.conf" >"$tmp/tiers.conf"

# serve ENDPOINT [--set S.K=V ...]: (re)starts the daemon on the data
# folder $data with [switch] endpoint ENDPOINT; waits for its "listening"
# log line.
serve() {
	_ep=$1
	shift
	: >"$tmp/serve.log"
	"$tillgate" serve --set gateway.data_dir="$data" --set gateway.listen="127.0.0.1:$cb" \
		--set gateway.log_file="$tmp/serve.log" --set gateway.log_level="warn main=notice" \
		--set kyb.tiers_file="$tmp/tiers.conf" --set ussd.pin_opslimit=1 --set ussd.pin_memlimit_kib=8 \
		--set switch.endpoint="$_ep" --set switch.callback_base="$u" \
		--set switch.max_inflight="$inflight" --set switch.callback_timeout_ms=5000 \
		--set switch.register_parties=false "$@" \
		>>"$tmp/serve.out" 2>>"$tmp/serve.err" &
	pid=$!
	for _ in $(seq 200); do
		grep -q 'msg="listening"' "$tmp/serve.log" 2>/dev/null && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	cat "$tmp/serve.err" >&2
	pid=
	die "the daemon did not start"
}
stop() {
	kill -TERM "$pid"
	wait "$pid"
	rc=$?
	pid=
	[ "$rc" -eq 0 ] || { echo "bench: the daemon exited with status $rc" >&2; status=1; }
}
# sim_start: the switch simulator (--fast) on the switch's port, its
# callbacks to the daemon; stops when its standard input (fd 3) closes.
sim_start() {
	rm -f "$tmp/sim.in"
	mkfifo "$tmp/sim.in"
	node "$sim_js" --fast --port "$sw" --callback "$u" <"$tmp/sim.in" >"$tmp/sim.out" 2>"$tmp/sim.err" &
	simpid=$!
	exec 3>"$tmp/sim.in"
	for _ in $(seq 200); do
		grep -q '"port"' "$tmp/sim.out" 2>/dev/null && return 0
		kill -0 "$simpid" 2>/dev/null || break
		sleep 0.05
	done
	cat "$tmp/sim.err" >&2
	die "the switch simulator did not start"
}
sim_stop() {
	exec 3>&-
	wait "$simpid"
	simpid=
}
metric() { curl -s -H "Authorization: Bearer $hub" "$u/metrics" | sed -n "s/^$1 //p"; }
# drive NAME pay_load.js ARGS...: one result line "NAME JSON" in $res.
drive() {
	name=$1
	shift
	if ! node "$load" "$@" >"$tmp/$name.json" 2>"$tmp/$name.err"; then
		cat "$tmp/$name.err" >&2
		die "$name failed"
	fi
	echo "$name $(cat "$tmp/$name.json")" >>"$res"
}
jget() { sed -n "s/.*\"$2\":\([0-9.]*\).*/\1/p" "$tmp/$1.json"; }
# wait_state STATE COUNT SECONDS: polls until COUNT payments made by API
# (not those received as payee) are in STATE;
# $first is when the first one was (ns), $last when all were.
wait_state() {
	first=
	last=
	end=$(($(now) + $3 * 1000000000))
	while :; do
		k=$(sql "SELECT count(*) FROM payment WHERE state = '$1' AND channel = 'api'")
		t=$(now)
		[ -z "$first" ] && [ "${k:-0}" -gt "${base_count:-0}" ] && first=$t
		if [ "${k:-0}" -ge "$2" ]; then last=$t; return 0; fi
		[ "$t" -ge "$end" ] && return 1
		sleep 0.05
	done
}

out=$tmp/out
ussd() { # SID PHONE TEXT
	code=$(curl -s -o "$out" -w '%{http_code}' -X POST "$u/ussd" --data-urlencode "sessionId=$1" \
		--data-urlencode 'serviceCode=*384#' --data-urlencode "phoneNumber=$2" --data-urlencode "text=$3")
	[ "$code" = 200 ] || die "USSD $3: HTTP $code"
}
# dial SID PHONE ANSWERS...: a USSD dialogue, the answers in turn
dial() {
	_sid=$1 _ph=$2
	shift 2
	txt=
	ussd "$_sid" "$_ph" ""
	for a in "$@"; do
		txt=${txt:+$txt*}$a
		ussd "$_sid" "$_ph" "$txt"
	done
}
api() { # KEY METHOD PATH BODY IDEM
	code=$(curl -s -o "$out" -w '%{http_code}' -X "$2" -H "Authorization: Bearer $1" \
		-H 'Content-Type: application/json' -H "Idempotency-Key: $5" --data-binary "$4" "$u$3")
}
field() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p" "$out" | head -n 1; }

# setup ENDPOINT [--set ...]: the daemon started on a fresh data folder ($data), a
# merchant registered by USSD (demo-dfsp, T0, APPROVED at once: $till),
# bank-b with a payments key ($pkey) and four customers of tier C2,
# activated by USSD ($payers).
setup() {
	serve "$@"
	hub=$(sed -n 's/^hub-admin key (shown once): //p' "$tmp/serve.out" | tail -n 1)
	[ -n "$hub" ] || die "no first-start keys"
	dial r1 +255712582946 1 "MAMA JUMA SHOP" 5 1 19900101123450000112 ARUSHA 4817 4817 1
	till=$(sed -n 's/.*till number is \([0-9]*\)\..*/\1/p' "$out")
	[ -n "$till" ] || die "the merchant's registration: $(cat "$out")"
	api "$hub" POST /v1/dfsps '{"fsp_id":"bank-b","name":"Bank B"}' d1
	[ "$code" = 201 ] || die "POST /v1/dfsps: HTTP $code"
	api "$hub" POST /v1/dfsps/bank-b/api-keys '{"role":"dfsp-admin","user":"b-admin"}' k1
	badmin=$(field key)
	api "$badmin" POST /v1/dfsps/bank-b/api-keys '{"role":"payments","user":"b-app"}' k2
	pkey=$(field key)
	[ -n "$badmin" ] && [ -n "$pkey" ] || die "bank-b's keys"
	payers=
	for c in 255700000011 255700000012 255700000013 255700000014; do
		api "$badmin" POST /v1/customers \
			"{\"msisdn\":\"+$c\",\"name\":\"Customer $c\",\"account_ref\":\"ACC-$c\",\"tier\":\"C2\"}" "e-$c"
		[ "$code" = 201 ] || die "enrolling $c: HTTP $code"
		dial "a$c" "+$c" 1 "$(field activation_code)" 5927 5927
		grep -q '^END Your account is active' "$out" || die "activating $c: $(cat "$out")"
		payers=${payers:+$payers,}$c
	done
}

# ---- payee: the daemon's switch endpoint is the driver's receiver ----
echo "bench: payee (setup)..." >&2
setup "http://127.0.0.1:$prx"
echo "bench: payee..." >&2
drive payee1 payee "$u" "$prx" demo-dfsp "$till" "$n_payee1" 1
drive payeec payee "$u" "$prx" demo-dfsp "$till" "$n_payee" "$conc"
received=$(sql "SELECT count(*) FROM payment WHERE channel = 'switch' AND state = 'COMMITTED'")
expect=$((n_payee1 + n_payee + $(jget payee1 warm) + $(jget payeec warm)))
check "payee: payments received (COMMITTED, channel switch) = transfers committed" "$received" "$expect"
stop
serve "http://127.0.0.1:$sw"

# ---- offline acceptance: the switch's port closed ----
echo "bench: payments: offline acceptance..." >&2
api "$pkey" POST /v1/payments "{\"payer_msisdn\":\"255700000011\",\"till\":\"$till\",\"amount\":$amount}" probe
[ "$code" = 202 ] || die "the first payment: HTTP $code $(cat "$out")"
for _ in $(seq 200); do [ "$(metric tillgate_switch_up)" = 0 ] && break; sleep 0.05; done
[ "$(metric tillgate_switch_up)" = 0 ] || die "the link is not seen down"
[ "$(sql "SELECT count(*) FROM payment WHERE state = 'QUEUED'")" = 1 ] || die "the first payment is not QUEUED"
drive off1 payments "$u" "$pkey" "$n_seq" 1 off1 "$payers" "$till" "$amount"
drive offc payments "$u" "$pkey" "$n_conc" "$conc" offc "$payers" "$till" "$amount"
backlog=$((n_seq + n_conc + 1))
queued=$(sql "SELECT count(*) FROM payment WHERE state = 'QUEUED'")
a202=$(($(sed -n 's/.*"202":\([0-9]*\).*/\1/p' "$tmp/off1.json") + $(sed -n 's/.*"202":\([0-9]*\).*/\1/p' "$tmp/offc.json") + 1))
check "offline: 202s (the first payment included)" "$a202" "$backlog"
check "offline: QUEUED rows = 202s" "$queued" "$a202"

# ---- drain: the simulator comes up on the switch's port ----
if [ -f "$sim_js" ]; then
	echo "bench: payments: drain of $backlog..." >&2
	base_count=0
	t_up=$(now)
	sim_start
	if wait_state COMMITTED "$backlog" 300; then
		echo "drain $(awk -v n="$backlog" -v up="$t_up" -v f="$first" -v l="$last" 'BEGIN {
			printf "{\"n\":%d,\"secs\":%.2f,\"rate\":%.2f,\"detect_s\":%.2f,\"rate_steady\":%.2f}",
				n, (l - up) / 1e9, n / ((l - up) / 1e9), (f - up) / 1e9, (n - 1) / ((l - f) / 1e9) }')" >>"$res"
	else
		die "the backlog did not drain in 300 s: $(sql "SELECT state, count(*) FROM payment GROUP BY state" | tr '\n' ' ')"
	fi

	# ---- online acceptance, the simulator up ----
	echo "bench: payments: online..." >&2
	base_count=$backlog
	t0=$(now)
	drive onl payments "$u" "$pkey" "$n_online" "$conc" onl "$payers" "$till" "$amount"
	if wait_state COMMITTED $((backlog + n_online)) 300; then
		echo "online_commit $(awk -v n="$n_online" -v s="$t0" -v l="$last" 'BEGIN {
			printf "{\"n\":%d,\"secs\":%.2f,\"rate\":%.2f}", n, (l - s) / 1e9, n / ((l - s) / 1e9) }')" >>"$res"
	else
		die "the online payments did not all commit in 300 s: $(sql "SELECT state, count(*) FROM payment GROUP BY state" | tr '\n' ' ')"
	fi
	sim_committed=$(curl -s "http://127.0.0.1:$sw/sim/stats" | sed -n 's/.*"committed_total":\([0-9]*\).*/\1/p')
	sim_stop
	audit=$(sql "SELECT count(*) FROM (SELECT entity_id FROM audit WHERE entity = 'payment' AND action = 'committed' GROUP BY entity_id HAVING count(*) = 1)")
	check "drain + online: payments COMMITTED" "$(sql "SELECT count(*) FROM payment WHERE state = 'COMMITTED' AND channel = 'api'")" $((backlog + n_online))
	check "drain + online: payments with exactly one 'committed' audit row" "$audit" $((backlog + n_online))
	check "drain + online: transfers the simulator committed" "${sim_committed:-?}" $((backlog + n_online))

	# ---- the simulator's own ceiling ----
	echo "bench: payments: the simulator's ceiling..." >&2
	drive ceil ceiling "$sim_js" "$n_ceil" "$inflight" "$till" "$amount"
	check "ceiling: transfers the simulator committed (warm-up included)" "$(jget ceil sim_committed)" \
		$(($(jget ceil n) + $(jget ceil warm)))
else
	note "$sim_js not found: drain, online and the simulator's ceiling not measured"
fi

stop

# ---- the full flow through the Testing Toolkit ----
# ttk_run NAME N INFLIGHT [PRELOAD]: starts the Toolkit (node -r PRELOAD when
# given; TTK_KEEP_TRANSFERS, so that a GET of a transfer answers as a
# switch does) and the daemon on a database of its own (nothing left from
# the runs above to forward), 4 warm-up payments (the Toolkit compiles its
# validators on first use), then N payments: results NAME (the POSTs) and
# NAME_commit (first POST to last COMMITTED). The Toolkit's callbacks take
# seconds under load: the daemon waits up to 20 s for each, with
# INFLIGHT flows at once ([switch] max_inflight). A run that does not end is noted, and the
# benchmark goes on.
ttk_run() {
	echo "bench: payments: Testing Toolkit${4:+ (patched)}, starting it..." >&2
	rm -rf "$tmp/ttk"
	TTK_API_PORT=$ttk_api TTK_ADMIN_PORT=$ttk_adm TTK_CALLBACK_URL=$u TTK_RUN_DIR=$tmp/ttk TTK_TIMEOUT_S=300 TTK_KEEP_TRANSFERS=1 \
		LOG_LEVEL=warn node ${4:+-r "$4"} "$root/tests/ttk/start.js" >"$tmp/$1.log" 2>&1 &
	ttkpid=$!
	ready=
	for _ in $(seq 600); do
		c=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$ttk_api/" 2>/dev/null)
		if [ -n "$c" ] && [ "$c" != 000 ]; then ready=1; break; fi
		kill -0 "$ttkpid" 2>/dev/null || break
		sleep 0.1
	done
	[ -n "$ready" ] || { tail -n 20 "$tmp/$1.log" >&2; die "the Toolkit did not start"; }
	data=$tmp/var-$1
	setup "http://127.0.0.1:$ttk_api" --set switch.max_inflight="$3" --set switch.answer_budget_ms=30000 \
		--set switch.callback_timeout_ms=20000
	drive "$1w" payments "$u" "$pkey" 4 4 "$1w" "$payers" "$till" "$amount"
	base_count=0
	if ! wait_state COMMITTED 4 60; then
		note "Toolkit${4:+, patched}: the warm-up payments did not commit in 60 s: $(sql "SELECT state, fail_code, count(*) FROM payment GROUP BY 1, 2" | tr '\n' ' ')"
		status=1
		ttk_stop
		return
	fi
	echo "bench: payments: Testing Toolkit${4:+ (patched)}, $2 payments..." >&2
	base_count=4
	t0=$(now)
	drive "$1" payments "$u" "$pkey" "$2" "$conc" "$1" "$payers" "$till" "$amount"
	if wait_state COMMITTED $((4 + $2)) 120; then
		echo "$1_commit $(awk -v n="$2" -v c="$3" -v s="$t0" -v l="$last" 'BEGIN {
			printf "{\"n\":%d,\"c\":%d,\"secs\":%.2f,\"rate\":%.2f}", n, c, (l - s) / 1e9, n / ((l - s) / 1e9) }')" >>"$res"
		check "Toolkit${4:+, patched}: payments COMMITTED (warm-up included)" \
			"$(sql "SELECT count(*) FROM payment WHERE state = 'COMMITTED'")" $((4 + $2))
	else
		note "Toolkit${4:+, patched}: the payments did not all commit in 120 s: $(sql "SELECT state, fail_code, count(*) FROM payment GROUP BY 1, 2" | tr '\n' ' ')"
		status=1
	fi
	ttk_stop
}
ttk_stop() {
	stop
	kill "$ttkpid" 2>/dev/null
	wait "$ttkpid" 2>/dev/null
	ttkpid=
}
if [ -d "$root/tests/ttk/node_modules/ml-testing-toolkit" ]; then
	[ "$n_ttk" -gt 0 ] && ttk_run ttk "$n_ttk" "$ttk_inflight"
	[ "$n_ttkp" -gt 0 ] && ttk_run ttkp "$n_ttkp" "$inflight" "$here/ttk_fast.js"
else
	note "tests/ttk/node_modules missing (tests/deps.sh): the Toolkit's full flow not measured"
fi

# ---- the table ----
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
echo
echo "Tillgate payments benchmark: $(uname -m), $(nproc 2>/dev/null || echo '?') cores ($cpu), node $(node --version)"
echo "$tillgate, loopback, synchronous = FULL, database on $(df -P "$tmp" | awk 'NR == 2 { print $1 }');"
echo "[switch] max_inflight = $inflight (and the ceiling's flows at once), $conc connections or flows"
echo "in the concurrent runs, TZS $((amount / 100)).00 a payment, bench tier file (every limit very large)"
echo
awk -v backlog="$backlog" -v conc="$conc" -v inflight="$inflight" '
function num(line, key) {
	if (match(line, "\"" key "\":[0-9.]+")) return substr(line, RSTART + length(key) + 3, RLENGTH - length(key) - 3)
	return ""
}
function fmt(x,   s, out) {
	if (x == "") return "-"
	s = sprintf("%.0f", x); out = ""
	while (length(s) > 3) { out = "," substr(s, length(s) - 2) out; s = substr(s, 1, length(s) - 3) }
	return s out
}
function f2(x) { return x == "" ? "-" : sprintf("%.2f", x) }
# a rate: one decimal below 100
function fr(x) { return (x != "" && x + 0 < 100) ? sprintf("%.1f", x) : fmt(x) }
function row(op, n, c, rate, p50, p99, extra) {
	printf "%-52s %6s %5s %9s %9s %9s  %s\n", op, fmt(n), c, fr(rate), f2(p50), f2(p99), extra
}
# row for result NAME: its n, rate, and the percentiles KEY_p50, KEY_p99
function res(op, name, c, key, extra) {
	if (name in r) row(op, num(r[name], "n"), c, num(r[name], "rate"), num(r[name], key "p50"), num(r[name], key "p99"), extra)
}
{ r[$1] = $0 }
END {
	cl = ("ceil" in r) ? num(r["ceil"], "rate") : ""
	printf "%-52s %6s %5s %9s %9s %9s  %s\n", "operation", "n", "conc", "ops/s", "p50 ms", "p99 ms", "ratio"
	printf "%-52s %6s %5s %9s %9s %9s  %s\n", "---------", "-", "----", "-----", "------", "------", "-----"
	res("offline: POST /v1/payments -> 202 QUEUED", "off1", 1, "", "")
	res("offline: POST /v1/payments -> 202 QUEUED", "offc", conc, "", "")
	if ("drain" in r) {
		row("drain: switch up -> backlog all COMMITTED", num(r["drain"], "n"), inflight, num(r["drain"], "rate"), "", "",
			"(link seen up after " f2(num(r["drain"], "detect_s")) " s)")
		d = num(r["drain"], "rate_steady")
		row("drain: first to last COMMITTED", num(r["drain"], "n"), inflight, d, "", "", (cl > 0) ? sprintf("%.2f of the ceiling", d / cl) : "")
	}
	res("ceiling: simulator --fast, lookup+quote+transfer", "ceil", inflight, "", "1.00 (a whole flow)")
	res("online: POST /v1/payments -> 202, forwarding", "onl", conc, "", "")
	o = ("online_commit" in r) ? num(r["online_commit"], "rate") : ""
	res("online: first POST to last COMMITTED", "online_commit", inflight, "", (cl > 0) ? sprintf("%.2f of the ceiling", o / cl) : "")
	res("payee: POST /quotes -> PUT /quotes/{id}", "payee1", 1, "quote_", "")
	res("payee: POST /transfers -> PUT /transfers/{id}", "payee1", 1, "transfer_", "")
	res("payee: POST /quotes -> PUT /quotes/{id}", "payeec", conc, "quote_", "")
	res("payee: POST /transfers -> PUT /transfers/{id}", "payeec", conc, "transfer_", "")
	if ("ttk_commit" in r) res("Toolkit, stock: first POST to last COMMITTED", "ttk_commit", num(r["ttk_commit"], "c"), "", "")
	if ("ttkp_commit" in r) res("Toolkit, patched: first POST to last COMMITTED", "ttkp_commit", num(r["ttkp_commit"], "c"), "", "")
	print ""
	print "conc: connections (POST rows), flows at once (ceiling, payee), the forwarder'"'"'s"
	print "max_inflight (COMMITTED rows). payee: quotes/s and transfers/s are both the"
	print "flow rate (each flow is one quote then one transfer); p50/p99 from writing the"
	print "request to its PUT callback. ratio = the daemon'"'"'s commit rate through the"
	print "simulator / the simulator'"'"'s own ceiling at the same concurrency: 1.00 would"
	print "mean the daemon forwards as fast as the switch can answer."
}' "$res"
echo
cat "$checks"
if [ -s "$notes" ]; then
	echo
	sed 's/^/note: /' "$notes"
fi
exit $status
