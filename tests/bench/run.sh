#!/bin/sh
# run.sh BUILD_DIR [SECONDS] -- Tillgate's QR benchmark against its peers.
#
# Runs BUILD_DIR/bench_qr (in-process C), tests/bench/peers.js (npm
# peers, from tests/interop/node_modules) and per-process timings of the
# qrencode, zbarimg and tillgate CLIs, then prints one table with the
# targets marked met / not met. It asserts nothing about time: it exits 0
# unless something failed to run. SECONDS (default 1) is the time per line.
set -u

build=${1:-build}
secs=${2:-1}
here=$(cd "$(dirname "$0")" && pwd)
bench=$build/bench_qr
tillgate=$build/tillgate

if [ ! -x "$bench" ]; then
	echo "bench: $bench not found (make bench builds it)" >&2
	exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/tillgate-bench.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
res=$tmp/results
notes=$tmp/notes
: >"$res"
: >"$notes"
status=0

echo "bench: bench_qr (C, in-process, ${secs}s per line)..." >&2
if ! "$bench" -t "$secs" -d "$tmp" >>"$res"; then
	echo "bench: $bench failed" >&2
	exit 1
fi
payload=$(cat "$tmp/payload.txt")

echo "bench: npm peers (node)..." >&2
if ! command -v node >/dev/null 2>&1; then
	echo "node not found: JS peers not measured" >>"$notes"
elif [ ! -d "$here/../interop/node_modules" ]; then
	echo "tests/interop/node_modules missing (npm ci there): JS peers not measured" >>"$notes"
elif ! node "$here/peers.js" "$tmp" "$secs" >>"$res"; then
	echo "bench: peers.js failed" >&2
	status=1
fi

# cli_rate NAME CMD...: runs CMD in batches of 5 until SECONDS have passed
# (at least 5 runs) and appends "NAME OPS_PER_S". Process start included.
cli_rate() {
	name=$1
	shift
	if ! "$@" >/dev/null 2>&1; then
		echo "bench: failed: $*" >&2
		status=1
		return
	fi
	n=0
	start=$(date +%s%N)
	while :; do
		i=0
		while [ $i -lt 5 ]; do
			"$@" >/dev/null 2>&1
			i=$((i + 1))
		done
		n=$((n + 5))
		t=$(date +%s%N)
		[ $((t - start)) -ge $(awk -v s="$secs" 'BEGIN { printf "%d", s * 1e9 }') ] && break
	done
	awk -v n=$n -v ns=$((t - start)) -v name="$name" 'BEGIN { printf "%s %.0f\n", name, n / (ns / 1e9) }' >>"$res"
}

echo "bench: CLIs (one process per operation)..." >&2
if [ -x "$tillgate" ]; then
	cli_rate png-cli/tillgate "$tillgate" qr render --format png --ec M --scale 4 --margin 4 -o "$tmp/tg.png" "$payload"
	if [ -f "$tmp/img300.png" ]; then
		cli_rate decode-cli/tillgate "$tillgate" qr decode "$tmp/img300.png"
	fi
else
	echo "$tillgate not found: tillgate CLI not measured" >>"$notes"
fi

if command -v qrencode >/dev/null 2>&1; then
	cli_rate png-cli/qrencode-devnull qrencode -8 -l M -s 4 -m 4 -o /dev/null "$payload"
	cli_rate png-cli/qrencode-file qrencode -8 -l M -s 4 -m 4 -o "$tmp/qe.png" "$payload"
else
	echo "qrencode not installed: its CLI not measured" >>"$notes"
fi
if command -v zbarimg >/dev/null 2>&1 && [ -f "$tmp/img300.png" ]; then
	cli_rate decode-cli/zbarimg zbarimg -q --raw -Sdisable -Sqrcode.enable -Sbinary --nodbus "$tmp/img300.png"
else
	echo "zbarimg or img300.png (made by peers.js) missing: zbarimg not measured" >>"$notes"
fi
echo
echo "Tillgate QR benchmark: $(uname -m), $(nproc 2>/dev/null || echo '?') cores, ${secs} s per line"
echo "payload ($(printf '%s' "$payload" | wc -c) bytes): $payload"
echo
awk '
function fmt(x,   s, out) {
	if (x == "") return "-"
	s = sprintf("%.0f", x); out = ""
	while (length(s) > 3) { out = "," substr(s, length(s) - 2) out; s = substr(s, 1, length(s) - 3) }
	return s out
}
function row(op, impl, rate, ratio, target, st) {
	printf "%-13s %-56s %13s %9s  %-16s %s\n", op, impl, fmt(rate), ratio, target, st
}
{ v[$1] = $2; order[++n] = $1 }
END {
	label["encode"] = "encode+CRC"; label["parse"] = "parse"
	label["png"] = "PNG scale 4"; label["decode"] = "decode 300px"
	min["encode"] = 1000000; min["parse"] = 1000000; min["png"] = 2000; min["decode"] = 300
	desc["encode/tillgate"] = "tillgate qr_emv_encode_merchant"
	desc["encode-promptpay/tillgate"] = "tillgate qr_emv_enc_* (PromptPay objects + 52/59/60)"
	desc["encode-pix/tillgate"] = "tillgate qr_emv_enc_* (the pix-utils payload)"
	desc["parse/tillgate"] = "tillgate qr_emv_parse strict"
	desc["png/tillgate"] = "tillgate qr_render_write"
	desc["decode/tillgate"] = "tillgate qr_scan_gray"
	desc["png/qrcode"] = "qrcode toBuffer (JS)"
	desc["decode/jsqr"] = "jsqr (JS, RGBA)"
	# The Tillgate line each peer is compared with, when not OP/tillgate:
	# the one that builds the same payload (bench_qr.c, peers.js).
	vs["encode/promptpay-qr"] = "encode-promptpay/tillgate"
	vs["encode/pix-utils"] = "encode-pix/tillgate"
	printf "%-13s %-56s %13s %9s  %-16s %s\n", "operation", "implementation", "ops/s", "ratio", "target", "status"
	printf "%-13s %-56s %13s %9s  %-16s %s\n", "---------", "--------------", "-----", "-----", "------", "------"
	met = 0; total = 0
	split("encode parse png decode", ops, " ")
	for (k = 1; k <= 4; k++) {
		op = ops[k]; first = 1
		if (v[op "/tillgate"] == "") { row(label[op], "tillgate", "", "", ">= " fmt(min[op]) "/s", "not measured"); continue }
		# Tillgate lines of this operation (OP/tillgate, OP-VARIANT/tillgate),
		# tagged (a), (b), ...
		nt = 0
		for (i = 1; i <= n; i++) {
			name = order[i]; split(name, p, "/")
			if (p[2] != "tillgate" || p[1] ~ /-cli$/ || (p[1] != op && index(p[1], op "-") != 1))
				continue
			tag[name] = "(" substr("abcdefgh", ++nt, 1) ")"
			t = v[name]
			st = (t + 0 >= min[op]) ? "met" : "NOT MET"; total++; if (st == "met") met++
			row(first ? label[op] : "", tag[name] " " desc[name], t, "", ">= " fmt(min[op]) "/s", st)
			first = 0
		}
		# Peers, each against its Tillgate line.
		for (i = 1; i <= n; i++) {
			name = order[i]; split(name, p, "/")
			if (p[1] != op || p[2] == "tillgate") continue
			r0 = (name in vs && v[vs[name]] != "") ? vs[name] : op "/tillgate"
			d = ((name in desc) ? desc[name] : p[2] " (JS)") " vs " tag[r0]
			r = (v[name] > 0) ? v[r0] / v[name] : 0
			st = (r >= 10) ? "met" : "NOT MET"; total++; if (st == "met") met++
			row("", d, v[name], sprintf("%.1fx", r), ">= 10x JS peer", st)
		}
	}
	print ""
	print "ratio = the Tillgate line named after \"vs\" / the peer. encode: (b) writes the"
	print "objects promptpay-qr writes plus 52, 59 and 60 (strict EMVCo requires them,"
	print "PromptPay omits them), (c) writes the pix-utils payload byte for byte, steplix"
	print "writes the payload of (a); peers.js checks all three before timing."
	# CLIs: process start included in every operation; no targets.
	cli = 0
	for (i = 1; i <= n; i++) if (order[i] ~ /-cli\//) cli = 1
	if (cli) {
		print ""
		print "CLIs, one process per operation (process start included), no targets;"
		print "ratio = tillgate CLI / peer CLI:"
		ref["png-cli"] = v["png-cli/tillgate"]; ref["decode-cli"] = v["decode-cli/tillgate"]
		cdesc["png-cli/tillgate"] = "tillgate qr render -o file.png"
		cdesc["png-cli/qrencode-file"] = "qrencode -8 -o file.png"
		cdesc["png-cli/qrencode-devnull"] = "qrencode -8 -o /dev/null"
		cdesc["decode-cli/tillgate"] = "tillgate qr decode img300.png"
		cdesc["decode-cli/zbarimg"] = "zbarimg -q --raw ... img300.png"
		split("png-cli decode-cli", cops, " ")
		for (k = 1; k <= 2; k++) {
			for (i = 1; i <= n; i++) {
				name = order[i]; split(name, p, "/")
				if (p[1] != cops[k]) continue
				r = (p[2] != "tillgate" && ref[cops[k]] > 0 && v[name] > 0) ? sprintf("%.2fx", ref[cops[k]] / v[name]) : ""
				row(cops[k] == "png-cli" ? "PNG (CLI)" : "decode (CLI)", cdesc[name], v[name], r, "-", "")
			}
		}
	}
	print ""
	printf "targets met: %d of %d\n", met, total
}' "$res"
if [ -s "$notes" ]; then
	echo
	sed 's/^/note: /' "$notes"
fi
exit $status
