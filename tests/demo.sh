#!/bin/sh
# demo.sh -- what 'make run' shows until the daemon exists: a merchant's
# QR code made, drawn in the terminal, and parsed back.
set -eu
bin=${1:-build/tillgate}
args='--name "MAMA JUMA SHOP" --city ARUSHA --mcc 5411 --currency TZS --country TZ --party-id 10000042 --amount 5000'
echo "\$ tillgate qr encode $args"
payload=$(eval "\"$bin\" qr encode $args")
echo "$payload"
echo
echo "\$ tillgate qr render --format utf8 PAYLOAD"
"$bin" qr render --format utf8 "$payload"
echo "\$ tillgate qr parse --strict PAYLOAD"
"$bin" qr parse --strict "$payload"
echo
echo "Scan the code above with a phone, or try: $bin qr --help"
