// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * ckptctl: a subcommand's command line, parsed by getopt_long.
 */
#include <stdarg.h>
#include <string.h>

#include "cli.h"

int cmdline_next(struct cmdline *c)
{
	int opt;

	if (!c->started) {
		/*
		 * glibc's own messages ("unrecognized option", "requires an
		 * argument", "is ambiguous") start with argv[0]: let it name
		 * the subcommand. optind 0 makes getopt start afresh, also
		 * after the dispatcher's own parse.
		 */
		c->argv[0] = (char *)c->name;
		optind = 0;
		opterr = 1;
		c->started = true;
	}
	opt = getopt_long(c->argc, c->argv, c->shortopts, c->longopts, NULL);
	if (opt == 'h')
		printf("%s", c->usage);
	else if (opt == '?')
		fprintf(stderr, "Try '%s --help'.\n", c->name);
	return opt;
}

const struct option cmdline_json_opts[] = {
	{ "json", no_argument, NULL, 'j' },
	CMDLINE_HELP,
	{ 0 }
};

bool cmdline_options(struct cmdline *c, cmdline_option_fn option, void *arg, int *code)
{
	int opt;

	*code = EXIT_USAGE;
	while ((opt = cmdline_next(c)) != -1) {
		if (opt == 'h' || opt == '?') {
			*code = cmdline_stop(opt);
			return false;
		}
		if (!option(c, opt, arg))
			return false;
	}
	return true;
}

static bool json_option(const struct cmdline *c, int opt, void *json)
{
	(void)c;
	(void)opt;
	*(bool *)json = true;
	return true;
}

bool cmdline_json_only(struct cmdline *c, bool *json, int *code)
{
	*json = false;
	return cmdline_options(c, json_option, json, code);
}

int cmdline_stop(int opt)
{
	return opt == 'h' ? EXIT_OK : EXIT_USAGE;
}

int cmdline_error(const struct cmdline *c, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", c->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s --help'.\n", c->name);
	return EXIT_USAGE;
}

const char *cmdline_operand(struct cmdline *c)
{
	return optind < c->argc ? c->argv[optind++] : NULL;
}

const char *cmdline_need(struct cmdline *c, const char *what)
{
	const char *arg = cmdline_operand(c);

	if (!arg)
		cmdline_error(c, "missing %s", what);
	return arg;
}

bool cmdline_end(const struct cmdline *c)
{
	if (optind >= c->argc)
		return true;
	cmdline_error(c, "unexpected argument '%s'", c->argv[optind]);
	return false;
}

bool parse_rate(const struct cmdline *c, const char *opt, const char *s, uint64_t *out)
{
	if (parse_size(s, out) && *out)
		return true;
	cmdline_error(c, "%s: '%s' is not a rate in bytes/s (K, M, G suffixes)", opt, s);
	return false;
}

/* --notify-grace MS into @o: 0 to CKPT_NOTIFY_GRACE_MAX_MS milliseconds. */
bool parse_notify_grace(const struct cmdline *c, const char *s,
			struct libckpt_freeze_opts *o)
{
	uint32_t ms;

	if (parse_u32(s, &ms) && ms <= CKPT_NOTIFY_GRACE_MAX_MS) {
		o->notify_grace_ms = ms;
		o->flags |= LIBCKPT_F_NOTIFY_GRACE;
		return true;
	}
	cmdline_error(c, "--notify-grace: '%s' is not 0 to %u milliseconds", s,
		      CKPT_NOTIFY_GRACE_MAX_MS);
	return false;
}

bool parse_ghost_limit(const struct cmdline *c, const char *s, uint64_t *out)
{
	if (parse_size(s, out) && *out && *out <= CKPT_GHOST_LIMIT_MAX)
		return true;
	cmdline_error(c, "--ghost-limit: '%s' is not 1 byte to %uM (K, M suffixes)", s,
		      CKPT_GHOST_LIMIT_MAX >> 20);
	return false;
}
