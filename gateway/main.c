/* main.c -- the tillgate binary: one program, one subcommand per task. */
#include <stdio.h>
#include <string.h>

#include "gateway/cmd.h"

#ifndef TILLGATE_VERSION
#define TILLGATE_VERSION "0.1.0"
#endif

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary; /* NULL: hidden from the list (documented elsewhere) */
};

static int cmd_version(int argc, char **argv);
static int cmd_help(int argc, char **argv);

static const struct command commands[] = {
	{ "serve", cmd_serve, "run the gateway daemon (HTTP on 127.0.0.1:8080 by default)" },
	{ "qr", cmd_qr, "EMVCo merchant QR codes: parse, encode, render, decode" },
	{ "check-config", cmd_check_config, "check a configuration file: configuration OK, or each error" },
	{ "db", cmd_db, "check the database (integrity, schema, audit chain), or migrate it" },
	{ "dfsp", cmd_dfsp, "the DFSPs (tenants): create, list, set the backend hook, payee terms" },
	{ "apikey", cmd_apikey, "API keys of a DFSP or of the hub: create, list, revoke" },
	{ "phone", cmd_phone, "a feature phone on the USSD HTTP transport (POST /ussd)" },
	{ "queue", cmd_queue, "the payments queue: status, list, cancel, retry; the outbox" },
	{ "statement", cmd_stmt, "a DFSP's or merchant's statement by UTC day: JSON or CSV" },
	{ "routes", cmd_routes, NULL }, /* the route table: docs/api.md */
	{ "help", cmd_help, "show this help, or a command's help (tillgate help CMD)" },
	{ "version", cmd_version, "print the version" },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: tillgate COMMAND [ARGS...]\n\n"
		   "Tillgate: a merchant payments gateway for USSD and QR, in front of a\n"
		   "Mojaloop switch.\n\nCommands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (commands[i].summary)
			fprintf(f, "  %-13s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nRun 'tillgate COMMAND --help' for a command's options.\n");
}

static int cmd_version(int argc, char **argv)
{
	(void)argv;
	if (argc > 1) {
		fprintf(stderr, "usage: tillgate version\n");
		return 2;
	}
	printf("tillgate %s\n", TILLGATE_VERSION);
	return 0;
}

static int cmd_help(int argc, char **argv)
{
	if (argc < 2) {
		usage(stdout);
		return 0;
	}
	const struct command *c = find_command(argv[1]);
	if (!c || c->run == cmd_help) {
		if (!c)
			fprintf(stderr, "tillgate: unknown command '%s'\n", argv[1]);
		usage(c ? stdout : stderr);
		return c ? 0 : 2;
	}
	static char help_flag[] = "--help";
	char *sub[] = { argv[1], help_flag, NULL };
	return c->run(2, sub);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0)
		return cmd_version(1, argv + 1);
	const struct command *c = find_command(argv[1]);
	if (!c) {
		fprintf(stderr, "tillgate: unknown command '%s'; run 'tillgate help'\n", argv[1]);
		return 2;
	}
	return c->run(argc - 1, argv + 1);
}
