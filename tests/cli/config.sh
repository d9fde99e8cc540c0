# config.sh -- black-box tests of 'tillgate check-config': the example file,
# errors as FILE:LINE: message, --set overrides, exit codes, usage.
. "$(dirname "$0")/lib.sh"

EXAMPLE=data/tillgate.conf.example

# ---- valid files ----
tg check-config -c "$EXAMPLE";   status "the example file is valid" 0
same "it prints configuration OK alone" "$(cat "$OUT")" "configuration OK"
same "nothing on stderr" "$(cat "$ERR")" ""
tg check-config --config "$EXAMPLE"; status "--config FILE" 0
tg check-config "--config=$EXAMPLE"; status "--config=FILE" 0
: >"$T_DIR/empty.conf"
tg check-config -c "$T_DIR/empty.conf"; status "an empty file: every default" 0
tg check-config -c "$EXAMPLE" --set gateway.listen=[::1]:9090 --set "gateway.log_level=info db=debug" \
	--set=merchant.id_scheme=random
status "valid overrides" 0
tg check-config --set http.max_connections=5 -c "$EXAMPLE"; status "--set before -c" 0
tg help check-config;            status "help check-config" 0
has "help shows the usage" "$OUT" '^usage: tillgate check-config -c FILE'
tg check-config --help;          status "check-config --help" 0
has "--help names --set" "$OUT" '--set S\.K=V'
tg help;                         status "tillgate help" 0
has "help lists check-config" "$OUT" '^  check-config '

# ---- a file with one error of each kind ----
BAD=$T_DIR/bad.conf
printf '%s\n' \
	'# a comment' \
	'[gateway]' \
	'listen = 127.0.0.1:99999' \
	'colour = blue' \
	'listen = 127.0.0.1:8080' \
	'[nosuch]' \
	'key = 1' \
	'[http' \
	'[http]' \
	'max_connections = lots' \
	'request_timeout_s = 0' \
	'no equals sign' \
	'[qr]' \
	'gui = "org.tillgate' \
	'[gateway]' \
	'log_timestamps = perhaps' \
	'currency = XYZ' >"$BAD"
printf 'country = \377Z\n' >>"$BAD"
tg check-config -c "$BAD";       status "a file with errors" 1
same "nothing on stdout" "$(cat "$OUT")" ""
same "one line per error, all of them" "$(wc -l <"$ERR" | tr -d ' ')" 12
has "bad port, line 3" "$ERR" "^$BAD:3: key 'listen' in section \[gateway\]: port '99999' is not a number from 0 to 65535$"
has "unknown key, line 4" "$ERR" "^$BAD:4: unknown key 'colour' in section \[gateway\]$"
has "duplicate key, line 5, with the first line" "$ERR" "^$BAD:5: duplicate key 'listen' in section \[gateway\] \(first set at line 3\)$"
has "unknown section, line 6" "$ERR" "^$BAD:6: unknown section \[nosuch\]$"
hasnt "keys of an unknown section are not reported again" "$ERR" "^$BAD:7:"
has "missing ], line 8" "$ERR" "^$BAD:8: missing '\]' at column 6 in section header$"
has "bad integer, line 10" "$ERR" "^$BAD:10: key 'max_connections' in section \[http\]: 'lots' is not an integer$"
has "out of range, line 11" "$ERR" "^$BAD:11: key 'request_timeout_s' in section \[http\]: 0 is out of range \(1\.\.3600\)$"
has "line without =, line 12" "$ERR" "^$BAD:12: expected 'key = value', '\[section\]' or a comment$"
has "unclosed quote, line 14" "$ERR" "^$BAD:14: key 'gui' in section \[qr\]: missing closing '\"'"
has "bad boolean, line 16" "$ERR" "^$BAD:16: key 'log_timestamps' in section \[gateway\]: 'perhaps' is not a boolean"
has "unknown currency, line 17" "$ERR" "^$BAD:17: key 'currency' in section \[gateway\]: 'XYZ' is not an ISO 4217"
has "invalid UTF-8 with its column, line 18" "$ERR" "^$BAD:18: invalid UTF-8 at column 11$"
hasnt "no 'configuration OK' on failure" "$ERR" 'configuration OK'

# An override fixes nothing in the file, but its own errors are reported too.
tg check-config -c "$BAD" --set http.max_connections=0
status "file errors plus an override error" 1
same "13 errors" "$(wc -l <"$ERR" | tr -d ' ')" 13
has "the override error names --set and the key" "$ERR" \
	"^--set http.max_connections: key 'max_connections' in section \[http\]: 0 is out of range \(1\.\.100000\)$"

# Overrides are checked like file values.
tg check-config -c "$EXAMPLE" --set gateway.nope=1;   status "--set of an unknown key" 1
has "it is named" "$ERR" "^--set gateway.nope: unknown key 'nope' in section \[gateway\]$"
tg check-config -c "$EXAMPLE" --set nosuch.key=1;     status "--set of an unknown section" 1
has "it is named" "$ERR" "^--set nosuch.key: unknown section \[nosuch\]$"
tg check-config -c "$EXAMPLE" --set gateway.country=tz; status "--set with a bad value" 1
has "the value is named" "$ERR" "^--set gateway.country: key 'country' in section \[gateway\]: 'tz' is not"
# An override replaces the file's value, but the file must be valid itself.
printf '[http]\nmax_connections = 0\n' >"$T_DIR/zero.conf"
tg check-config -c "$T_DIR/zero.conf";                status "out-of-range file value" 1
has "reported at line 2" "$ERR" "zero.conf:2: key 'max_connections'"
tg check-config -c "$T_DIR/zero.conf" --set http.max_connections=9
status "a file error is still reported when an override replaces the value" 1
same "only the file's error" "$(wc -l <"$ERR" | tr -d ' ')" 1
tg check-config -c "$EXAMPLE" --set http.max_connections=0 --set http.max_connections=9
status "every override is checked, even one replaced later" 1

# CRLF line ends and a byte-order mark are fine; a NUL byte is not.
printf '\357\273\277[gateway]\r\nlisten = 127.0.0.1:8081\r\n' >"$T_DIR/crlf.conf"
tg check-config -c "$T_DIR/crlf.conf";                status "CRLF and BOM" 0
printf '[gateway]\nlisten = 127\0000.0.1:1\n' >"$T_DIR/nul.conf"
tg check-config -c "$T_DIR/nul.conf";                 status "a NUL byte" 1
has "NUL reported with line and column" "$ERR" "nul.conf:2: NUL byte at column 13$"

# ---- unreadable files and usage ----
tg check-config -c "$T_DIR/missing.conf";             status "a missing file" 1
has "FILE: reason" "$ERR" "^$T_DIR/missing.conf: cannot read: No such file or directory$"
tg check-config -c "$T_DIR";                          status "a directory" 1
has "a directory is named as such" "$ERR" ": cannot read: Is a directory$"
tg check-config;                                      status "no -c" 2
has "-c is required" "$ERR" '^check-config: -c FILE is required$'
has "usage follows" "$ERR" '^usage: tillgate check-config'
tg check-config -c;                                   status "-c without FILE" 2
has "the missing argument is named" "$ERR" '^option -c needs a FILE$'
tg check-config -c "$EXAMPLE" -c "$EXAMPLE";          status "-c twice" 2
tg check-config -c "$EXAMPLE" --set;                  status "--set without its argument" 2
tg check-config -c "$EXAMPLE" --set listen=1;         status "--set without section" 2
has "the bad --set is named" "$ERR" "^--set needs section.key=value, got 'listen=1'$"
tg check-config -c "$EXAMPLE" --bogus;                status "unknown option" 2
has "the option is named" "$ERR" "^check-config: unexpected option '--bogus'$"
tg check-config -c "$EXAMPLE" extra;                  status "extra argument" 2
tg check-config -c "$BAD" extra;                      status "usage wins over file errors" 2

# The data the configuration names: the KYB tiers.
printf '[kyb]\ntiers_file = %s\n' "$T_DIR/tiers.conf" >"$T_DIR/kyb.conf"
printf '[merchant T0]\nlimit_day = 5x\n' >"$T_DIR/tiers.conf"
tg check-config -c "$T_DIR/kyb.conf";                 status "a broken tiers file" 1
has "its errors name file, line and key" "$ERR" "^$T_DIR/tiers.conf:2: \[merchant T0\] limit_day: \"5x\" is not an amount"
hasnt "no OK then" "$OUT" 'configuration OK'
tg check-config -c "$T_DIR/kyb.conf" --set kyb.tiers_file="$T_DIR/none.conf"
status "a missing tiers file" 1
has "is named" "$ERR" "none.conf"
tg check-config -c "$EXAMPLE" --set gateway.currency=KES
status "tiers in another currency than the gateway's" 1
has "says which" "$ERR" 'limits are in TZS but \[gateway\] currency is KES'
cp data/kyb-tiers.conf "$T_DIR/tiers.conf"
tg check-config -c "$T_DIR/kyb.conf";                 status "a copy of the built-in tiers as a file" 0

finish
