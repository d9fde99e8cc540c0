# main.sh -- black-box tests of the tillgate command dispatcher.
. "$(dirname "$0")/lib.sh"

tg help;            status "tillgate help" 0
has "help lists the qr command" "$OUT" '^  qr +EMVCo'
tg --help;          status "tillgate --help" 0
tg;                 status "tillgate without a command is a usage error" 2
has "usage goes to stderr" "$ERR" '^usage: tillgate COMMAND'
tg frobnicate;      status "unknown command" 2
has "unknown command is named" "$ERR" "unknown command 'frobnicate'"
tg version;         status "tillgate version" 0
has "version is printed" "$OUT" '^tillgate [0-9]+\.[0-9]+\.[0-9]+$'
tg help qr;         status "tillgate help qr" 0
has "help qr shows the qr commands" "$OUT" '^  parse '
tg help nosuch;     status "tillgate help of an unknown command" 2
for c in parse encode render decode; do
	tg qr $c --help; status "tillgate qr $c --help" 0
	has "qr $c --help prints its usage" "$OUT" "^usage: tillgate qr $c"
done
tg qr nosuch;       status "unknown qr command" 2
finish
