# switch_ttk.sh -- the FSPIOP connector against the Mojaloop Testing
# Toolkit as the switch (tests/ttk/start.js, with the deterministic rules
# of tests/ttk/). Starts the Toolkit on loopback ports, waits until it
# answers, then runs tests/switch/switch_ttk.c (built next to tillgate),
# which serves the callbacks and checks each case. docs/switch.md, "Tests".
. "$(dirname "$0")/lib.sh"

DRIVER=$(dirname "$TILLGATE")/tests/switch_ttk
TTK_LOG=$T_DIR/ttk.log
TTK_PID=
JWS_PID=
TLS_PID=
trap 'for p in $TTK_PID $JWS_PID $TLS_PID; do kill "$p" 2>/dev/null; done; rm -rf "$T_DIR"' EXIT

if [ ! -x "$DRIVER" ] || [ ! -d tests/ttk/node_modules/ml-testing-toolkit ]; then
	fail "the driver and the Toolkit are installed" "driver: $DRIVER; Toolkit: tests/ttk/node_modules (tests/deps.sh)"
	finish
fi

# Three free loopback ports: the Toolkit's API and admin ports, ours.
set -- $(free_ports 3)
API=$1 ADMIN=$2 CB=$3

TTK_API_PORT=$API TTK_ADMIN_PORT=$ADMIN TTK_CALLBACK_URL=http://127.0.0.1:$CB \
	TTK_RUN_DIR=$T_DIR/ttk TTK_TIMEOUT_S=240 node tests/ttk/start.js >"$TTK_LOG" 2>&1 &
TTK_PID=$!
ready=
for _ in $(seq 600); do
	code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$API/" 2>/dev/null)
	if [ -n "$code" ] && [ "$code" != 000 ]; then ready=1; break; fi
	kill -0 "$TTK_PID" 2>/dev/null || break
	sleep 0.1
done
if [ -n "$ready" ]; then
	pass "the Toolkit answers on 127.0.0.1:$API"
else
	fail "the Toolkit answers on 127.0.0.1:$API" "$(tail -20 "$TTK_LOG")"
	finish
fi
ss -ltnH >"$OUT" 2>&1
has "its API port listens on loopback" "$OUT" "127\.0\.0\.1:$API "
has "its admin port (5050 upstream) listens on loopback" "$OUT" "127\.0\.0\.1:$ADMIN "
hasnt "nothing of it listens on other addresses" "$OUT" "(\*|0\.0\.0\.0|\[::\]):($API|$ADMIN|5050) "

# Mojaloop's JWS validator as a second peer (tests/ttk/jws_peer.js): it
# makes the key pair and prints its port.
node tests/ttk/jws_peer.js "$T_DIR/jws.pem" >"$T_DIR/jws.out" 2>&1 &
JWS_PID=$!
JWS_PORT=
for _ in $(seq 300); do
	JWS_PORT=$(sed -n 's/^port \([0-9]*\)$/\1/p' "$T_DIR/jws.out")
	[ -n "$JWS_PORT" ] && break
	kill -0 "$JWS_PID" 2>/dev/null || break
	sleep 0.1
done
if [ -n "$JWS_PORT" ]; then pass "the JWS peer listens on 127.0.0.1:$JWS_PORT"; else fail "the JWS peer listens" "$(cat "$T_DIR/jws.out")"; fi

# An HTTPS peer that demands a client certificate (tests/ttk/tls_peer.js),
# with a throwaway CA, a server certificate for 127.0.0.1 and a client one.
P=$T_DIR/pki
mkdir -p "$P"
{
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$P/ca.key" -out "$P/ca.pem" -days 2 \
		-subj /CN=tillgate-test-ca &&
	openssl req -newkey rsa:2048 -nodes -keyout "$P/srv.key" -out "$P/srv.csr" -subj /CN=127.0.0.1 &&
	printf 'subjectAltName=IP:127.0.0.1\n' >"$P/srv.ext" &&
	openssl x509 -req -in "$P/srv.csr" -CA "$P/ca.pem" -CAkey "$P/ca.key" -CAcreateserial \
		-days 2 -extfile "$P/srv.ext" -out "$P/srv.pem" &&
	openssl req -newkey rsa:2048 -nodes -keyout "$P/cli.key" -out "$P/cli.csr" -subj /CN=tillgate &&
	openssl x509 -req -in "$P/cli.csr" -CA "$P/ca.pem" -CAkey "$P/ca.key" -CAcreateserial \
		-days 2 -out "$P/cli.pem"
} >"$P/log" 2>&1
RC=$?
status "a test CA with server and client certificates (openssl)" 0
node tests/ttk/tls_peer.js "$P/srv.pem" "$P/srv.key" "$P/ca.pem" >"$T_DIR/tls.out" 2>&1 &
TLS_PID=$!
TLS_PORT=
for _ in $(seq 300); do
	TLS_PORT=$(sed -n 's/^port \([0-9]*\)$/\1/p' "$T_DIR/tls.out")
	[ -n "$TLS_PORT" ] && break
	kill -0 "$TLS_PID" 2>/dev/null || break
	sleep 0.1
done
if [ -n "$TLS_PORT" ]; then pass "the TLS peer listens on 127.0.0.1:$TLS_PORT"; else fail "the TLS peer listens" "$(cat "$T_DIR/tls.out")"; fi

# The driver's TAP, renumbered after ours.
"$DRIVER" "http://127.0.0.1:$API" "$CB" "http://127.0.0.1:$JWS_PORT" "$T_DIR/jws.pem" \
	"https://127.0.0.1:$TLS_PORT" "$P/ca.pem" "$P/cli.pem" "$P/cli.key" \
	>"$T_DIR/driver.out" 2>"$T_DIR/driver.err"
RC=$?
awk -v base="$T_N" '
	/^(not )?ok [0-9]+ / { n++; sub(/ok [0-9]+ /, "ok " (base + n) " "); print; next }
	/^1\.\./ { next }
	{ print }' "$T_DIR/driver.out"
T_N=$((T_N + $(grep -cE '^(not )?ok ' "$T_DIR/driver.out")))
T_FAIL=$((T_FAIL + $(grep -c '^not ok ' "$T_DIR/driver.out")))
status "the driver exits 0" 0
[ "$RC" -eq 0 ] || sed 's/^/# /' "$T_DIR/driver.err"

# The Toolkit's side: every request passed its OpenAPI validation (the
# driver checks each got 202) and every callback reached us.
hasnt "the Toolkit delivered every callback" "$TTK_LOG" "Failed to send callback"
finish
