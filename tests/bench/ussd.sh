#!/bin/sh
# ussd.sh BUILD_DIR [SECONDS] -- USSD through SMPP, the gateway against a
# trivial echo ESME in C (tests/bench/echo_esme.c) on the same simulated
# operator (tests/bench/ussd_smpp.js on node-smpp): steps/s and p50/p99
# step latency at 10, 100 and 1,000 concurrent dialogues, and the
# gateway's RSS with 10,000 dialogues open. SECONDS (default 5) per
# level. Not a test: asserts nothing about time. Loopback only.
set -u
build=${1:-build}
secs=${2:-5}
here=$(dirname "$0")
for b in "$build/tillgate" "$build/echo_esme"; do
	if [ ! -x "$b" ]; then
		echo "bench: $b not found (make bench builds it)" >&2
		exit 1
	fi
done
NODE_PATH="$here/../interop/node_modules"
export NODE_PATH
if [ ! -d "$NODE_PATH/smpp" ]; then
	echo "bench: node-smpp not installed (cd tests/interop && npm ci)" >&2
	exit 1
fi
out=$(mktemp "${TMPDIR:-/tmp}/tillgate-ussdbench.XXXXXX") || exit 1
trap 'rm -f "$out"' EXIT
echo "USSD over SMPP, ${secs}s per level (steps: BEGIN and CONTINUE alternating)"
node "$here/ussd_smpp.js" echo "$build/echo_esme" "$secs" | tee -a "$out" || exit 1
node "$here/ussd_smpp.js" gateway "$build/tillgate" "$secs" | tee -a "$out" || exit 1
# The gateway against the echo ESME at each level: the overhead as ratios
# (aim: rate >= 90% of the echo's, p99 <= 1.25x the echo's p99).
awk '$3 == "concurrent" { rate[$1, $2] = $4; p99[$1, $2] = $10; lv[$2] = 1 }
END {
	print ""
	print "level   gateway/echo rate   gateway/echo p99   aim: rate >= 0.90, p99 <= 1.25"
	for (n in lv) if (rate["echo", n] > 0 && p99["echo", n] > 0)
		printf "%5d   %17.2f   %16.2f\n", n, rate["gateway", n] / rate["echo", n],
			p99["gateway", n] / p99["echo", n] | "sort -n"
}' "$out"
