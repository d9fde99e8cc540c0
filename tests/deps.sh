#!/bin/sh
# deps.sh -- install what 'make test' needs on a Debian machine: the
# Debian packages (as root; otherwise print the apt-get line and fail) and
# the npm packages of the interop tests (into tests/interop/node_modules,
# which git ignores). Safe to run again: it installs only what is missing.
set -eu
cd "$(dirname "$0")/.."

PKGS="make gcc clang libclang-rt-dev pkg-config libqrencode-dev libzbar-dev libpng-dev \
libjansson-dev libcmocka-dev libsqlite3-dev sqlite3 libssl-dev libmicrohttpd-dev zbar-tools qrencode curl"
command -v node >/dev/null 2>&1 || PKGS="$PKGS nodejs"
command -v npm >/dev/null 2>&1 || PKGS="$PKGS npm"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
if [ -n "$missing" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "deps: missing Debian packages; as root run:" >&2
		echo "  apt-get install -y$missing" >&2
		exit 1
	fi
	echo "deps: installing Debian packages:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

# npm packages for the interop tests, pinned by package-lock.json.
lock=tests/interop/package-lock.json
stamp=tests/interop/node_modules/.package-lock.json
if [ -f "$lock" ] && { [ ! -f "$stamp" ] || [ "$lock" -nt "$stamp" ]; }; then
	echo "deps: installing npm packages for the interop tests"
	(cd tests/interop && npm ci --no-audit --no-fund --loglevel=error)
fi
