/* cmd_config.c -- 'tillgate check-config': loads a configuration file and
 * its --set overrides and prints "configuration OK" or every error as
 * FILE:LINE: message (exit 0, 1, or 2 for a usage error). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "gateway/cfg.h"
#include "gateway/cmd.h"
#include "gateway/gw.h"
#include "kyb/kyb_tier.h"
#include "ussd/ussd_locale.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: tillgate check-config -c FILE [--set SECTION.KEY=VALUE ...]\n\n"
		   "Checks a configuration file and the data it names (the KYB tiers of\n"
		   "[kyb] tiers_file, or the built-in ones, whose limits must be in\n"
		   "[gateway] currency; the USSD menu texts of [ussd] languages, from\n"
		   "locale_dir or built in, with a warning for each text a language lacks):\n"
		   "prints \"configuration OK\" and exits 0, or prints\n"
		   "each error as FILE:LINE: message on standard error and exits 1.\n\n"
		   "  -c, --config FILE   the file to check (data/tillgate.conf.example shows\n"
		   "                      every key; docs/configuration.md documents them)\n"
		   "  --set S.K=V         override key K of section [S], as 'serve' would\n"
		   "  -h, --help          this help\n");
}

static void print_problem(void *arg, const char *msg)
{
	int *n = arg;
	fprintf(stderr, "%s\n", msg);
	(*n)++;
}

static void print_warning(void *arg, const char *msg)
{
	int *n = arg;
	fprintf(stderr, "warning: %s\n", msg);
	(*n)++;
}

int cmd_check_config(int argc, char **argv)
{
	struct cfg c;
	struct cfg_diag d = { 0 };
	const char *file;

	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return 0;
		}
	int r = cfg_from_args(&c, &argc, argv, &file, &d);
	int status = 0;
	if (r == -ENOMEM) {
		fprintf(stderr, "check-config: out of memory\n");
		status = 1;
	} else if (r == -EINVAL || argc > 1 || !file) {
		if (r == -EINVAL)
			cfg_diag_print(&d, stderr);
		else if (argc > 1)
			fprintf(stderr, "check-config: unexpected %s '%s'\n",
				argv[1][0] == '-' ? "option" : "argument", argv[1]);
		else
			fprintf(stderr, "check-config: -c FILE is required\n");
		usage(stderr);
		status = 2;
	} else if (r < 0) {
		cfg_diag_print(&d, stderr);
		status = 1;
	} else {
		/* The data the configuration names: the KYB tiers and the
		 * USSD menu texts. A text a language lacks is a warning: the
		 * menus show the English one. */
		struct kyb_tiers *t = NULL;
		struct ussd_locale *l = NULL;
		int problems = 0;
		if (gw_tiers_load(&c, &t, print_problem, &problems) < 0)
			problems++;
		if (ussd_locale_load(&l, c.ussd_languages, c.ussd_locale_dir, print_problem,
				     &problems) < 0) {
			problems++;
		} else {
			if (!ussd_locale_has(l, c.ussd_default_language)) {
				fprintf(stderr, "[ussd] default_language '%s' is not in languages\n",
					c.ussd_default_language);
				problems++;
			}
			int warnings = 0;
			ussd_locale_missing(l, print_warning, &warnings);
		}
		if (problems)
			status = 1;
		else
			printf("configuration OK\n");
		ussd_locale_free(l);
		kyb_tiers_free(t);
	}
	cfg_diag_free(&d);
	cfg_free(&c);
	return status;
}
