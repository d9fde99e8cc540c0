/* cmd_qr.c -- 'tillgate qr': parse, encode, render and decode EMVCo
 * merchant QR codes from the command line. The work is in qr/; this file
 * only reads arguments, formats output and picks exit codes
 * (0 ok, 1 invalid input or nothing found, 2 usage). */
#include <errno.h>
#include <stddef.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <jansson.h>

#include "gateway/cmd.h"
#include "qr/qr_emv.h"
#include "qr/qr_render.h"
#include "qr/qr_scan.h"

#define EXIT_INVALID 1
#define EXIT_USAGE 2

/* ---- shared output helpers ---- */

static void print_note(FILE *f, const char *prefix, const char *kind,
		       const struct qr_emv_note *n)
{
	fprintf(f, "%s%s: %s at offset %d\n", prefix, kind, n->msg, n->offset);
}

static void print_warnings(const char *prefix, const struct qr_emv_diag *d)
{
	int kept = d->nwarn < QR_EMV_MAX_WARN ? d->nwarn : QR_EMV_MAX_WARN;
	for (int i = 0; i < kept; i++)
		print_note(stderr, prefix, "warning", &d->warn[i]);
	if (d->nwarn > kept)
		fprintf(stderr, "%swarning: %d more warnings not shown\n", prefix, d->nwarn - kept);
}

/* Name lookup key of object i's parent, as qr_emv_name() wants it. */
static int name_parent(const struct qr_emv *p, int i)
{
	int par = p->obj[i].parent;
	if (par < 0)
		return -1;
	int gp = p->obj[par].parent;
	if (gp >= 0 && p->obj[gp].id == 62)
		return 6200 + p->obj[par].id;
	return p->obj[par].id;
}

/* Builds the JSON object of objects [from, to) that sit directly under
 * parent, recursing into templates. Returns a new reference, or NULL on
 * allocation failure. */
static json_t *json_level(const struct qr_emv *p, int parent, int from, int to)
{
	json_t *o = json_object();
	if (!o)
		return NULL;
	for (int i = from; i < to; i++) {
		if (p->obj[i].parent != parent)
			continue;
		char key[3] = { (char)('0' + p->obj[i].id / 10), (char)('0' + p->obj[i].id % 10), 0 };
		json_t *v;
		if (p->obj[i].is_tmpl) {
			int end = i + 1;
			while (end < to && p->obj[end].depth > p->obj[i].depth)
				end++;
			v = json_level(p, i, i + 1, end);
		} else {
			size_t len;
			const char *s = qr_emv_val(p, i, &len);
			v = json_stringn(s, len);
		}
		if (!v || json_object_set_new(o, key, v) != 0) {
			json_decref(o);
			return NULL;
		}
	}
	return o;
}

static int print_json(const struct qr_emv *p)
{
	json_t *o = json_level(p, -1, 0, p->nobj);
	if (!o) {
		fprintf(stderr, "error: out of memory\n");
		return -1;
	}
	int rc = json_dumpf(o, stdout, JSON_COMPACT);
	json_decref(o);
	putchar('\n');
	return rc;
}

/* Whether template t holds a Mojaloop party: Tillgate's GUI, or the
 * merchant registry's tag 28 with 01 = ALIAS. */
static int is_party_template(const struct qr_emv *p, int t)
{
	size_t len;
	int g = qr_emv_find(p, t, 0);
	const char *gui = g >= 0 ? qr_emv_val(p, g, &len) : NULL;
	if (gui && len == strlen(QR_EMV_DEFAULT_GUI) && strncasecmp(gui, QR_EMV_DEFAULT_GUI, len) == 0)
		return 1;
	int k = qr_emv_find(p, t, 1);
	const char *kind = k >= 0 ? qr_emv_val(p, k, &len) : NULL;
	return p->obj[t].id == 28 && kind && len == 5 && memcmp(kind, "ALIAS", 5) == 0;
}

static const char *field_name(const struct qr_emv *p, int i)
{
	static const char *const party[] = {
		[1] = "party id type", [2] = "party identifier",
		[3] = "party sub-id", [4] = "acquiring FSP id",
	};
	int par = p->obj[i].parent;
	unsigned id = p->obj[i].id;
	if (par >= 0 && p->obj[par].parent < 0 && id >= 1 && id <= 4 &&
	    p->obj[par].id >= 26 && p->obj[par].id <= 51 && is_party_template(p, par))
		return party[id];
	return qr_emv_name(name_parent(p, i), id);
}

static void print_table(const struct qr_emv *p)
{
	for (int i = 0; i < p->nobj; i++) {
		const struct qr_emv_obj *o = &p->obj[i];
		int indent = 2 * o->depth;
		const char *name = field_name(p, i);
		if (o->is_tmpl) {
			printf("%*s%02u  %s\n", indent, "", o->id, name);
			continue;
		}
		size_t len;
		const char *s = qr_emv_val(p, i, &len);
		int pad = 34 - indent - (int)strlen(name);
		printf("%*s%02u  %s%*s %.*s", indent, "", o->id, name, pad > 0 ? pad : 0, "",
		       (int)len, s);
		/* A word on coded values, for people reading the table. */
		if (o->parent < 0 && o->id == 1 && len == 2)
			printf(s[1] == '1' ? " (static)" : s[1] == '2' ? " (dynamic)" : "");
		if (o->parent < 0 && o->id == 53 && len == 3) {
			char num[4] = { s[0], s[1], s[2], 0 };
			const char *alpha = qr_emv_ccy_alpha(num);
			if (alpha)
				printf(" (%s)", alpha);
		}
		putchar('\n');
	}
	struct qr_emv_target t;
	char why[160];
	if (qr_emv_target(p, NULL, &t, why, sizeof why) == 0) {
		printf("pays: %s %s", t.party_type, t.party_id);
		if (t.fsp_id[0])
			printf(" at %s", t.fsp_id);
		printf(" (%s, %s)\n", t.scheme, t.dynamic ? "dynamic" : "static");
	}
}

/* Parses s (len bytes) and prints its fields as a table or one line of
 * JSON; the error or the warnings go to stderr behind prefix. Returns 0,
 * or -1 if the payload is invalid. */
static int show(struct qr_emv *p, const char *s, size_t len, unsigned flags, int json,
		const char *prefix)
{
	struct qr_emv_diag d;
	if (qr_emv_parse(p, s, len, flags, &d) < 0) {
		print_note(stderr, prefix, "error", &d.err);
		return -1;
	}
	print_warnings(prefix, &d);
	if (json)
		print_json(p);
	else
		print_table(p);
	return 0;
}

/* ---- qr parse ---- */

static void parse_usage(FILE *f)
{
	fprintf(f,
		"usage: tillgate qr parse [--strict] [--json] PAYLOAD\n"
		"       tillgate qr parse [--strict] [--json] - < FILE\n\n"
		"Checks an EMVCo merchant-presented QR payload and shows its fields.\n\n"
		"  --strict  enforce every EMVCo rule; without it the deviations that\n"
		"            national schemes' codes carry are accepted with a warning\n"
		"  --json    print one line of JSON keyed by the two-digit IDs\n"
		"  -         read one payload per line from standard input and write one\n"
		"            line per input line; an invalid line prints its error (with\n"
		"            --json as {\"error\":...,\"offset\":N})\n\n"
		"Exit status: 0 valid, 1 invalid (any line, in batch mode), 2 usage.\n");
}

static int parse_batch(struct qr_emv *p, unsigned flags, int json)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	long lineno = 0;
	int bad = 0;
	struct qr_emv_diag d;
	while ((n = getline(&line, &cap, stdin)) >= 0) {
		lineno++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			n--;
		char prefix[40];
		snprintf(prefix, sizeof prefix, "line %ld: ", lineno);
		int rc = qr_emv_parse(p, line, (size_t)n, flags, &d);
		if (rc < 0) {
			bad = 1;
			if (json) {
				json_t *e = json_pack("{s:s,s:i}", "error", d.err.msg, "offset", d.err.offset);
				if (e) {
					json_dumpf(e, stdout, JSON_COMPACT);
					json_decref(e);
				}
				putchar('\n');
			} else {
				print_note(stdout, prefix, "error", &d.err);
			}
			continue;
		}
		print_warnings(prefix, &d);
		if (json)
			print_json(p);
		else
			puts("ok");
	}
	int rerr = ferror(stdin);
	free(line);
	if (rerr) {
		fprintf(stderr, "error: reading standard input: %s\n", strerror(errno));
		return EXIT_INVALID;
	}
	return bad ? EXIT_INVALID : 0;
}

static int qr_parse(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "strict", no_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned flags = 0;
	int json = 0, c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 's': flags |= QR_EMV_STRICT; break;
		case 'j': json = 1; break;
		case 'h': parse_usage(stdout); return 0;
		default: parse_usage(stderr); return EXIT_USAGE;
		}
	}
	if (argc - optind != 1) {
		fprintf(stderr, "tillgate qr parse: expected one PAYLOAD (or - for standard input)\n");
		parse_usage(stderr);
		return EXIT_USAGE;
	}
	struct qr_emv *p = malloc(sizeof *p);
	if (!p) {
		fprintf(stderr, "error: out of memory\n");
		return EXIT_INVALID;
	}
	int ret;
	const char *arg = argv[optind];
	if (strcmp(arg, "-") == 0) {
		ret = parse_batch(p, flags, json);
	} else {
		ret = show(p, arg, strlen(arg), flags, json, "") < 0 ? EXIT_INVALID : 0;
	}
	free(p);
	return ret;
}

/* ---- qr encode ---- */

static void encode_usage(FILE *f)
{
	fprintf(f,
		"usage: tillgate qr encode < OBJECT.json\n"
		"       tillgate qr encode --name NAME --city CITY --mcc MCC --currency CCY\n"
		"                          --country CC --party-id ID [OPTIONS]\n\n"
		"Prints an EMVCo merchant-presented QR payload; it always passes\n"
		"'tillgate qr parse --strict'.\n\n"
		"From standard input: a JSON object keyed by two-digit IDs, as\n"
		"'tillgate qr parse --json' prints it; templates are nested objects.\n"
		"00 is written first (01 if absent) and the CRC (63) last; the other\n"
		"objects in the order given; an input 63 is ignored.\n\n"
		"Merchant flags (Tillgate's profile):\n"
		"  --name NAME          59 merchant name (at most 25 characters)\n"
		"  --city CITY          60 merchant city (at most 15 characters)\n"
		"  --mcc MCC            52 merchant category code, 4 digits\n"
		"  --currency CCY       53 ISO 4217, alphabetic (TZS) or numeric (834)\n"
		"  --country CC         58 ISO 3166-1 alpha-2\n"
		"  --amount AMOUNT      54 amount (makes a dynamic code, 01 = 12)\n"
		"  --party-type TYPE    account template .01 (default ALIAS)\n"
		"  --party-id ID        account template .02: the till number or alias\n"
		"  --sub-id ID          account template .03\n"
		"  --fsp FSP            account template .04: acquiring FSP id\n"
		"  --gui GUI            account template .00 (default %s)\n"
		"  --tag ID             account template ID, 26-51 (default %d)\n"
		"  --bill TEXT          62.01 bill number\n"
		"  --reference TEXT     62.05 reference label\n"
		"  --terminal TEXT      62.07 terminal label\n\n"
		"Exit status: 0 printed, 1 invalid input (the error names the field), 2 usage.\n",
		QR_EMV_DEFAULT_GUI, QR_EMV_DEFAULT_TAG);
}

/* Two-digit ID key "00".."99" -> 0..99, or -1. */
static int key_id(const char *k)
{
	if (k[0] < '0' || k[0] > '9' || k[1] < '0' || k[1] > '9' || k[2])
		return -1;
	return (k[0] - '0') * 10 + (k[1] - '0');
}

/* Emits the members of JSON object o into e; path names the enclosing
 * templates for error messages. Returns 0 or -1 with a message printed. */
static int encode_level(struct qr_emv_enc *e, json_t *o, const char *path, int depth)
{
	const char *k;
	json_t *v;
	json_object_foreach(o, k, v) {
		int id = key_id(k);
		if (id < 0) {
			fprintf(stderr, "error: key \"%s%s\" is not a two-digit ID (00-99)\n", path, k);
			return -1;
		}
		if (depth == 0 && (id == 0 || id == 63))
			continue;
		if (json_is_string(v)) {
			qr_emv_enc_put(e, (unsigned)id, json_string_value(v), json_string_length(v));
		} else if (json_is_object(v)) {
			if (depth >= 2) {
				fprintf(stderr, "error: %s%s: templates nest at most two levels deep\n", path, k);
				return -1;
			}
			char sub[16];
			snprintf(sub, sizeof sub, "%.6s%02d.", path, id);
			qr_emv_enc_open(e, (unsigned)id);
			if (encode_level(e, v, sub, depth + 1) < 0)
				return -1;
			qr_emv_enc_close(e);
		} else {
			fprintf(stderr, "error: %s%s must be a string (or an object for a template)\n", path, k);
			return -1;
		}
	}
	return 0;
}

static int encode_json(void)
{
	json_error_t jerr;
	json_t *root = json_loadf(stdin, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		fprintf(stderr, "error: standard input line %d column %d (position %d): %s\n",
			jerr.line, jerr.column, jerr.position, jerr.text);
		return EXIT_INVALID;
	}
	if (!json_is_object(root)) {
		fprintf(stderr, "error: standard input must hold one JSON object keyed by two-digit IDs\n");
		json_decref(root);
		return EXIT_INVALID;
	}
	struct qr_emv_enc *e = malloc(sizeof *e);
	if (!e) {
		json_decref(root);
		fprintf(stderr, "error: out of memory\n");
		return EXIT_INVALID;
	}
	qr_emv_enc_init(e);
	json_t *pfi = json_object_get(root, "00");
	if (pfi && !json_is_string(pfi)) {
		fprintf(stderr, "error: 00 must be a string\n");
		json_decref(root);
		free(e);
		return EXIT_INVALID;
	}
	const char *v00 = pfi ? json_string_value(pfi) : "01";
	qr_emv_enc_put(e, 0, v00, strlen(v00));
	int ret = EXIT_INVALID;
	if (encode_level(e, root, "", 0) == 0) {
		const char *out;
		struct qr_emv_diag d;
		if (qr_emv_enc_finish(e, &out, &d) < 0) {
			print_note(stderr, "", "error", &d.err);
		} else {
			puts(out);
			ret = 0;
		}
	}
	json_decref(root);
	free(e);
	return ret;
}

static int qr_encode(int argc, char **argv)
{
	enum { O_NAME = 256, O_CITY, O_MCC, O_CCY, O_CTRY, O_AMT, O_PTYPE, O_PID, O_SUB,
	       O_FSP, O_GUI, O_TAG, O_BILL, O_REF, O_TERM };
	static const struct option opts[] = {
		{ "name", required_argument, NULL, O_NAME },
		{ "city", required_argument, NULL, O_CITY },
		{ "mcc", required_argument, NULL, O_MCC },
		{ "currency", required_argument, NULL, O_CCY },
		{ "country", required_argument, NULL, O_CTRY },
		{ "amount", required_argument, NULL, O_AMT },
		{ "party-type", required_argument, NULL, O_PTYPE },
		{ "party-id", required_argument, NULL, O_PID },
		{ "sub-id", required_argument, NULL, O_SUB },
		{ "fsp", required_argument, NULL, O_FSP },
		{ "gui", required_argument, NULL, O_GUI },
		{ "tag", required_argument, NULL, O_TAG },
		{ "bill", required_argument, NULL, O_BILL },
		{ "reference", required_argument, NULL, O_REF },
		{ "terminal", required_argument, NULL, O_TERM },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct qr_emv_merchant m = { .party_type = "ALIAS" };
	struct qr_emv_profile prof = { QR_EMV_DEFAULT_TAG, QR_EMV_DEFAULT_GUI };
	int nflags = 0, c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		nflags++;
		switch (c) {
		case O_NAME: m.name = optarg; break;
		case O_CITY: m.city = optarg; break;
		case O_MCC: m.mcc = optarg; break;
		case O_CCY: m.currency = optarg; break;
		case O_CTRY: m.country = optarg; break;
		case O_AMT: m.amount = optarg; break;
		case O_PTYPE: m.party_type = optarg; break;
		case O_PID: m.party_id = optarg; break;
		case O_SUB: m.party_sub_id = optarg; break;
		case O_FSP: m.fsp_id = optarg; break;
		case O_GUI: prof.gui = optarg; break;
		case O_BILL: m.bill = optarg; break;
		case O_REF: m.reference = optarg; break;
		case O_TERM: m.terminal = optarg; break;
		case O_TAG: {
			char *end;
			long t = strtol(optarg, &end, 10);
			if (*end || end == optarg || t < 26 || t > 51) {
				fprintf(stderr, "error: --tag \"%s\": the account template ID must be 26-51\n", optarg);
				return EXIT_USAGE;
			}
			prof.account_tag = (unsigned)t;
			break;
		}
		case 'h': encode_usage(stdout); return 0;
		default: encode_usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "tillgate qr encode: unexpected argument '%s'\n", argv[optind]);
		encode_usage(stderr);
		return EXIT_USAGE;
	}
	if (nflags == 0)
		return encode_json();

	static const struct { const char *flag, *field; size_t off; } need[] = {
		{ "--name", "59, merchant name", offsetof(struct qr_emv_merchant, name) },
		{ "--city", "60, merchant city", offsetof(struct qr_emv_merchant, city) },
		{ "--mcc", "52, merchant category code", offsetof(struct qr_emv_merchant, mcc) },
		{ "--currency", "53, transaction currency", offsetof(struct qr_emv_merchant, currency) },
		{ "--country", "58, country code", offsetof(struct qr_emv_merchant, country) },
		{ "--party-id", "the till number or alias", offsetof(struct qr_emv_merchant, party_id) },
	};
	for (size_t i = 0; i < sizeof need / sizeof need[0]; i++) {
		const char *v = *(const char *const *)((const char *)&m + need[i].off);
		if (!v || !*v) {
			fprintf(stderr, "error: missing %s (%s)\n", need[i].flag, need[i].field);
			return EXIT_INVALID;
		}
	}
	struct qr_emv_enc *e = malloc(sizeof *e);
	if (!e) {
		fprintf(stderr, "error: out of memory\n");
		return EXIT_INVALID;
	}
	const char *out;
	struct qr_emv_diag d;
	int ret = EXIT_INVALID;
	if (qr_emv_encode_merchant(e, &m, &prof, &out, &d) < 0) {
		print_note(stderr, "", "error", &d.err);
	} else {
		puts(out);
		ret = 0;
	}
	free(e);
	return ret;
}

/* ---- qr render ---- */

static void render_usage(FILE *f)
{
	fprintf(f,
		"usage: tillgate qr render [--format png|svg|utf8] [--ec L|M|Q|H] [--scale N]\n"
		"                          [--margin N] [-o FILE] PAYLOAD\n\n"
		"Draws PAYLOAD (or, for -, one line of standard input) as a QR code.\n\n"
		"  --format F  png, svg or utf8 (half blocks for a terminal); default:\n"
		"              from the -o file's extension (.png, .svg), else utf8\n"
		"  --ec L      error correction level L, M, Q or H (default M)\n"
		"  --scale N   pixels per module for png and svg (default 4)\n"
		"  --margin N  quiet zone in modules (default 4)\n"
		"  -o FILE     write to FILE instead of standard output\n\n"
		"A payload that is not a valid EMVCo code is still drawn, with a warning.\n"
		"Exit status: 0 written, 1 payload too long or write failed, 2 usage.\n");
}

static int parse_int_opt(const char *name, const char *s, int lo, int hi, int *out)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (end == s || *end || v < lo || v > hi) {
		fprintf(stderr, "error: %s \"%s\" must be a whole number from %d to %d\n", name, s, lo, hi);
		return -1;
	}
	*out = (int)v;
	return 0;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

static int qr_render(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "ec", required_argument, NULL, 'e' },
		{ "scale", required_argument, NULL, 's' },
		{ "margin", required_argument, NULL, 'm' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct qr_render_opts ro;
	qr_render_defaults(&ro);
	const char *outpath = NULL;
	int have_fmt = 0, c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (qr_render_parse_fmt(optarg, &ro.fmt) < 0) {
				fprintf(stderr, "error: --format \"%s\": use png, svg or utf8\n", optarg);
				return EXIT_USAGE;
			}
			have_fmt = 1;
			break;
		case 'e':
			if (qr_render_parse_ec(optarg, &ro.ec) < 0) {
				fprintf(stderr, "error: --ec \"%s\": use L, M, Q or H\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 's':
			if (parse_int_opt("--scale", optarg, 1, 64, &ro.scale) < 0)
				return EXIT_USAGE;
			break;
		case 'm':
			if (parse_int_opt("--margin", optarg, 0, 64, &ro.margin) < 0)
				return EXIT_USAGE;
			break;
		case 'o': outpath = optarg; break;
		case 'h': render_usage(stdout); return 0;
		default: render_usage(stderr); return EXIT_USAGE;
		}
	}
	if (argc - optind != 1) {
		fprintf(stderr, "tillgate qr render: expected one PAYLOAD (or - for standard input)\n");
		render_usage(stderr);
		return EXIT_USAGE;
	}
	if (!have_fmt) {
		if (outpath && ends_with(outpath, ".png"))
			ro.fmt = QR_RENDER_PNG;
		else if (outpath && ends_with(outpath, ".svg"))
			ro.fmt = QR_RENDER_SVG;
		else
			ro.fmt = QR_RENDER_UTF8;
	}
	if (ro.fmt == QR_RENDER_PNG && !outpath && isatty(STDOUT_FILENO)) {
		fprintf(stderr, "error: not writing a PNG to a terminal; use -o FILE or --format utf8\n");
		return EXIT_USAGE;
	}

	char *line = NULL;
	size_t cap = 0, len;
	const char *payload = argv[optind];
	if (strcmp(payload, "-") == 0) {
		ssize_t n = getline(&line, &cap, stdin);
		if (n < 0) {
			fprintf(stderr, "error: no payload on standard input\n");
			free(line);
			return EXIT_INVALID;
		}
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			n--;
		line[n] = 0;
		payload = line;
	}
	len = strlen(payload);

	struct qr_emv *p = malloc(sizeof *p);
	struct qr_emv_diag d;
	if (p && qr_emv_parse(p, payload, len, 0, &d) < 0)
		fprintf(stderr, "warning: not a valid EMVCo payload (%s at offset %d); drawing it anyway\n",
			d.err.msg, d.err.offset);
	free(p);

	FILE *out = stdout;
	if (outpath && !(out = fopen(outpath, "wb"))) {
		fprintf(stderr, "error: cannot write %s: %s\n", outpath, strerror(errno));
		free(line);
		return EXIT_INVALID;
	}
	char err[200];
	int rc = qr_render_write(payload, len, &ro, out, err, sizeof err);
	if (rc < 0)
		fprintf(stderr, "error: %s\n", err);
	if (outpath && fclose(out) != 0 && rc == 0) {
		fprintf(stderr, "error: writing %s: %s\n", outpath, strerror(errno));
		rc = -EIO;
	} else if (!outpath && fflush(stdout) != 0 && rc == 0) {
		fprintf(stderr, "error: writing standard output: %s\n", strerror(errno));
		rc = -EIO;
	}
	if (rc < 0 && outpath)
		unlink(outpath);
	free(line);
	if (rc == -EINVAL)
		return EXIT_USAGE;
	return rc < 0 ? EXIT_INVALID : 0;
}

/* ---- qr decode ---- */

static void decode_usage(FILE *f)
{
	fprintf(f,
		"usage: tillgate qr decode [--parse] [--json] FILE...\n\n"
		"Finds QR codes in PNG, PGM or PPM images and prints each payload on\n"
		"its own line (prefixed with \"FILE: \" when several files are given).\n\n"
		"  --parse   check each payload as 'tillgate qr parse' does and show its fields\n"
		"  --json    with --parse, the fields as one line of JSON per code;\n"
		"            without, {\"file\":...,\"payload\":...} per code\n\n"
		"Exit status: 0 every file held a (valid, with --parse) code; 1 a file had\n"
		"none, could not be read, or held an invalid payload; 2 usage.\n");
}

struct decode_ctx {
	const char *file;
	int multi, parse, json, bad;
	struct qr_emv *p;
};

static void on_code(const char *data, size_t len, void *arg)
{
	struct decode_ctx *x = arg;
	if (!x->parse) {
		if (x->json) {
			json_t *o = json_pack("{s:s,s:s%}", "file", x->file, "payload", data, len);
			if (!o) {
				/* not UTF-8: JSON cannot carry it as a string */
				fprintf(stderr, "%s: error: a QR code holds bytes that are not UTF-8\n", x->file);
				x->bad = 1;
				return;
			}
			json_dumpf(o, stdout, JSON_COMPACT);
			json_decref(o);
			putchar('\n');
			return;
		}
		if (x->multi)
			printf("%s: ", x->file);
		fwrite(data, 1, len, stdout);
		putchar('\n');
		return;
	}
	char prefix[300];
	snprintf(prefix, sizeof prefix, "%s: ", x->file);
	if (x->multi && !x->json)
		printf("%s:\n", x->file);
	if (show(x->p, data, len, 0, x->json, prefix) < 0)
		x->bad = 1;
}

static int qr_decode(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "parse", no_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct decode_ctx x = { 0 };
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'p': x.parse = 1; break;
		case 'j': x.json = 1; break;
		case 'h': decode_usage(stdout); return 0;
		default: decode_usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "tillgate qr decode: expected at least one FILE\n");
		decode_usage(stderr);
		return EXIT_USAGE;
	}
	struct qr_scan *s = qr_scan_new();
	x.p = malloc(sizeof *x.p);
	if (!s || !x.p) {
		fprintf(stderr, "error: out of memory\n");
		qr_scan_free(s);
		free(x.p);
		return EXIT_INVALID;
	}
	x.multi = argc - optind > 1;
	int ret = 0;
	for (int i = optind; i < argc; i++) {
		char err[256];
		x.file = argv[i];
		x.bad = 0;
		int n = qr_scan_file(s, argv[i], on_code, &x, err, sizeof err);
		if (n < 0) {
			fprintf(stderr, "%s: error: %s\n", argv[i], err);
			ret = EXIT_INVALID;
		} else if (n == 0) {
			fprintf(stderr, "%s: no QR code found\n", argv[i]);
			ret = EXIT_INVALID;
		} else if (x.bad) {
			ret = EXIT_INVALID;
		}
	}
	qr_scan_free(s);
	free(x.p);
	return ret;
}

/* ---- dispatch ---- */

static void qr_usage(FILE *f)
{
	fprintf(f,
		"usage: tillgate qr COMMAND [OPTIONS] ...\n\n"
		"EMVCo merchant-presented QR codes.\n\n"
		"  parse   check a payload and show its fields (--strict, --json)\n"
		"  encode  make a payload from JSON or from merchant flags\n"
		"  render  draw a payload as PNG, SVG or terminal text\n"
		"  decode  find QR codes in PNG, PGM or PPM images\n\n"
		"Run 'tillgate qr COMMAND --help' for a command's options.\n");
}

int cmd_qr(int argc, char **argv)
{
	if (argc < 2) {
		qr_usage(stderr);
		return EXIT_USAGE;
	}
	const char *sub = argv[1];
	if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0 || strcmp(sub, "help") == 0) {
		qr_usage(stdout);
		return 0;
	}
	if (strcmp(sub, "parse") == 0)
		return qr_parse(argc - 1, argv + 1);
	if (strcmp(sub, "encode") == 0)
		return qr_encode(argc - 1, argv + 1);
	if (strcmp(sub, "render") == 0)
		return qr_render(argc - 1, argv + 1);
	if (strcmp(sub, "decode") == 0)
		return qr_decode(argc - 1, argv + 1);
	fprintf(stderr, "tillgate qr: unknown command '%s'\n", sub);
	qr_usage(stderr);
	return EXIT_USAGE;
}
