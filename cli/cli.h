/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * ckptctl: what the subcommands share.
 */
#ifndef CKPTCTL_CLI_H
#define CKPTCTL_CLI_H

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
/* --ghost-limit: 1 byte to CKPT_GHOST_LIMIT_MAX; says what is wrong. */
bool parse_ghost_limit(const char *s, uint64_t *out);
/* True if argv[1] asks for help; then print @usage. */
bool wants_help(int argc, char **argv, const char *usage);

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
int check_kernel_main(int argc, char **argv);
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
