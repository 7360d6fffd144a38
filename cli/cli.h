/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * ckptctl: what the subcommands share.
 */
#ifndef CKPTCTL_CLI_H
#define CKPTCTL_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "libckpt.h"

/* Exit codes, documented in Documentation/ckptctl.8. */
enum {
	EXIT_OK = 0,
	EXIT_FAILED = 1,	/* the request was refused or failed */
	EXIT_USAGE = 2,		/* bad command line */
	EXIT_NO_MODULE = 3,	/* the ckpt module is not loaded */
};

struct subcommand {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
};

extern const char *prog;

/* Print "ckptctl: <what>: <module's reason or strerror>"; return exit code. */
int report(struct libckpt *h, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Connect to the module, reporting failure; NULL on failure. */
struct libckpt *connect_module(int *exit_code);
/* A JSON string; bytes outside printable ASCII become \u00XX escapes. */
void json_str(const char *s);
/* CLOCK_REALTIME nanoseconds as ISO 8601 UTC with microseconds, or "-". */
void print_time(uint64_t ns);
/* "streaming", "committed" or "failed" (enum ckpt_job_state). */
const char *job_state_name(uint32_t state);
/* Parse a positive 32-bit number; false if @s is not one. */
bool parse_u32(const char *s, unsigned int *out);
/* "session" or "process group", as LIBCKPT_F_SESSION says. */
const char *group_kind(unsigned int flags);
/* Parse a byte count with an optional K/M/G suffix (powers of 1024). */
bool parse_size(const char *s, uint64_t *out);

/*
 * One subcommand's command line (cli/cmdline.c), parsed by getopt_long with
 * the GNU conventions: --opt=value, -oVALUE, unambiguous abbreviations of
 * long options, options after operands, and "--" to end them. Each @longopts
 * holds CMDLINE_HELP and each @shortopts "h".
 */
struct cmdline {
	const char *name;		/* "ckptctl freeze": starts every message */
	const char *usage;		/* what --help prints */
	const char *shortopts;
	const struct option *longopts;
	int argc;
	char **argv;
	bool started;
};

#define CMDLINE_HELP { "help", no_argument, NULL, 'h' }
#define CMDLINE_INIT(cmd, usage_text, short_opts, long_opts, ac, av) { \
	.name = "ckptctl " cmd, .usage = (usage_text), .shortopts = (short_opts), \
	.longopts = (long_opts), .argc = (ac), .argv = (av) }

/*
 * The next option as getopt_long returns it, -1 after the last. On 'h' the
 * usage is printed; on '?' getopt has named the bad option and a pointer to
 * --help follows: pass either to cmdline_stop().
 */
int cmdline_next(struct cmdline *c);
/* One option (not -h) into @arg; false after saying what is wrong. */
typedef bool (*cmdline_option_fn)(const struct cmdline *c, int opt, void *arg);
/*
 * Every option through @option; false to stop, with *@code the exit code
 * (EXIT_OK after --help, EXIT_USAGE after a bad option).
 */
bool cmdline_options(struct cmdline *c, cmdline_option_fn option, void *arg, int *code);
/* The options of a command that has only --json (and --help). */
extern const struct option cmdline_json_opts[];
/* Parse them into *@json; false to stop, with *@code the exit code. */
bool cmdline_json_only(struct cmdline *c, bool *json, int *code);
/* The exit code for 'h' (EXIT_OK) or a bad option (EXIT_USAGE). */
int cmdline_stop(int opt);
/* "<name>: <what is wrong>", a pointer to --help; returns EXIT_USAGE. */
int cmdline_error(const struct cmdline *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The next operand after the options, or NULL. */
const char *cmdline_operand(struct cmdline *c);
/* The next operand, or NULL after "<name>: missing <what>". */
const char *cmdline_need(struct cmdline *c, const char *what);
/* True if no operand is left; else say which one is unexpected. */
bool cmdline_end(const struct cmdline *c);
/* @opt (--rate): a positive byte count per second; else say what is wrong. */
bool parse_rate(const struct cmdline *c, const char *opt, const char *s, uint64_t *out);
/* --ghost-limit: 1 byte to CKPT_GHOST_LIMIT_MAX; else say what is wrong. */
bool parse_ghost_limit(const struct cmdline *c, const char *s, uint64_t *out);
bool parse_notify_grace(const struct cmdline *c, const char *s,
			struct libckpt_freeze_opts *o);

/*
 * The area of freeze and restore without --area (cli/default_area.c):
 * $CKPT_AREA if set, else DEFAULT_AREA.
 */
#define DEFAULT_AREA "/var/lib/ckpt/default.area"
const char *default_area_path(void);
/*
 * Open the default area @path read-write, first making it (and its
 * directory) for group @id if it does not exist: room for two images of
 * the group, as Documentation/ckptctl.8 says. -1 after a message.
 */
int default_area_open(const char *path, unsigned int id, unsigned int flags);

/* The generations of a group in an area (cli/generations.c). */
/* Are all the processes of @img in process group or session @id? */
bool image_of_group(const struct libckpt_image *img, unsigned int id);
/* The committed slots of @sb, newest generation first; their number. */
int committed_newest_first(const struct ckpt_area_sb *sb, int order[CKPT_AREA_SLOTS]);

/*
 * freeze --keep N: the committed generations of one group in its area,
 * oldest first, as far as this ckptctl knows them (found by keep_scan() at
 * the start, then each one it commits).
 */
struct keep {
	unsigned int max;	/* N; 0: no --keep, the area's own slot reuse */
	unsigned int n;
	uint64_t gens[CKPT_AREA_SLOTS];
};

/*
 * Find group @id's committed generations in @area (open on @fd): those of
 * an earlier run, e.g. before a restart. -1 after a message.
 */
int keep_scan(struct keep *k, const char *area, int fd, unsigned int id);
/*
 * Record @generation as committed, then drop the oldest of the group's
 * generations beyond k->max through the module (after the commit, never
 * before: the area always holds a restorable generation). The dropped
 * generations go into @dropped (CKPT_AREA_SLOTS room); returns their
 * number. A drop that fails is reported and tried again next time.
 */
int keep_commit(struct keep *k, struct libckpt *h, const char *area, int fd,
		uint64_t generation, uint64_t *dropped);

/* A progress line on standard error (cli/progress.c). */
struct progress {
	bool on;		/* stderr is a terminal, or forced */
	bool drawn;
	const char *what;
	double start, last;
};

void progress_init(struct progress *p, const char *what, bool force);
void progress_update(struct progress *p, uint64_t done, uint64_t total);
void progress_done(struct progress *p, uint64_t done, uint64_t total);
void progress_cb(uint64_t done, uint64_t total, void *arg);

int info_main(int argc, char **argv);
int check_main(int argc, char **argv);
/* check --kernel: run every probe (cli/check_kernel.c). */
extern const char check_kernel_usage[];
int check_kernel_run(bool json);
int area_main(int argc, char **argv);
int show_main(int argc, char **argv);
int freeze_main(int argc, char **argv);
int status_main(int argc, char **argv);
int restore_main(int argc, char **argv);
int dump_main(int argc, char **argv);
int export_main(int argc, char **argv);
int release_main(int argc, char **argv);

/* show_obj.c: descriptor objects in `ckptctl show`. */
const char *show_obj_kind(uint32_t type);
void show_obj_text(const struct libckpt_image_fd *f);
void show_obj_json(const struct libckpt_image_fd *f);

#endif /* CKPTCTL_CLI_H */
