#!/bin/sh
# deps.sh -- install what the build and the tests need on a Debian
# machine: the Debian packages (as root; otherwise print the apt-get line
# and fail) and the npm packages of the interop tests and of the Testing
# Toolkit (into tests/interop/node_modules and tests/ttk/node_modules,
# which git ignores). Safe to run again: it installs only what is missing.
#
#   tests/deps.sh build    what 'make' and 'make run' need
#   tests/deps.sh          that, and what 'make test' needs besides
set -eu
cd "$(dirname "$0")/.."
what=${1:-test}

PKGS="make gcc pkg-config libqrencode-dev libzbar-dev libpng-dev libjansson-dev \
libsqlite3-dev libssl-dev libmicrohttpd-dev libsmpp34-dev libsodium-dev libcurl4-openssl-dev"
if [ "$what" != build ]; then
	PKGS="$PKGS clang libclang-rt-dev libcmocka-dev sqlite3 zbar-tools qrencode curl wrk openssl"
	command -v node >/dev/null 2>&1 || PKGS="$PKGS nodejs"
	command -v npm >/dev/null 2>&1 || PKGS="$PKGS npm"
fi

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

[ "$what" = build ] && exit 0

# npm packages, pinned by package-lock.json: the interop tests, and the
# Mojaloop Testing Toolkit as the FSPIOP switch of tests/cli/switch_ttk.sh
# (about 70 s and 470 MB the first time). Each is skipped while its
# node_modules matches its lock, and when node_modules is a symbolic link
# (a copy shared with another checkout: npm ci would empty its target).
for dir in tests/interop tests/ttk; do
	[ -L "$dir/node_modules" ] && continue
	lock=$dir/package-lock.json
	stamp=$dir/node_modules/.package-lock.json
	if [ -f "$lock" ] && { [ ! -f "$stamp" ] || [ "$lock" -nt "$stamp" ]; }; then
		echo "deps: installing npm packages in $dir"
		(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
	fi
done
