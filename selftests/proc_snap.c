// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * proc_snap: the /proc comparison (proc_state.h) for the shell-driven
 * restores, whose checkpoint and restore run in different programs or
 * guests: save before the checkpoint, compare after the restore.
 *
 *   proc_snap save PID...            snapshot, once no thread runs, to stdout
 *   proc_snap compare [--allow FILE] [--scope NAME] [--timeout MS] BEFORE
 *                                    the same pids now against BEFORE, until
 *                                    they match or the timeout (default 5000)
 *   proc_snap diff [--allow FILE] [--scope NAME] BEFORE AFTER
 *                                    two saved snapshots
 *
 * BEFORE may be a raw disk the snapshot was written to: reading stops at
 * its end line. Exit status: 0 same (as the allowlist allows), 1 different,
 * 2 usage or error.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proc_state.h"

static int usage(void)
{
	fprintf(stderr, "usage: proc_snap save PID...\n"
		"       proc_snap compare [--allow FILE] [--scope NAME] [--timeout MS] BEFORE\n"
		"       proc_snap diff [--allow FILE] [--scope NAME] BEFORE AFTER\n");
	return 2;
}

static int load(const char *path, struct ps_snap *s)
{
	FILE *f = fopen(path, "r");
	int ret = f ? ps_load(s, f) : -errno;

	if (f)
		fclose(f);
	if (ret)
		fprintf(stderr, "proc_snap: cannot read a snapshot from %s: %s\n", path,
			strerror(-ret));
	return ret;
}

int main(int argc, char **argv)
{
	const char *scope = NULL, *files[2] = { NULL, NULL };
	struct ps_snap before, after;
	int i, nfiles = 0, timeout = PS_SETTLE_MS, n;
	char *report;

	if (argc < 2)
		return usage();
	if (!strcmp(argv[1], "save")) {
		pid_t *pids = calloc(argc, sizeof(*pids));

		for (i = 2; i < argc; i++)
			pids[i - 2] = atoi(argv[i]);
		if (argc < 3 || !pids)
			return usage();
		n = ps_take_idle(&before, pids, argc - 2, PS_SETTLE_MS);
		if (n) {
			fprintf(stderr, "proc_snap: cannot read /proc of %s...: %s\n", argv[2],
				strerror(-n));
			return 2;
		}
		return ps_save(&before, stdout) ? 2 : 0;
	}
	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--allow") && i + 1 < argc)
			setenv("CKPT_PROC_ALLOWLIST", argv[++i], 1);
		else if (!strcmp(argv[i], "--scope") && i + 1 < argc)
			scope = argv[++i];
		else if (!strcmp(argv[i], "--timeout") && i + 1 < argc)
			timeout = atoi(argv[++i]);
		else if (argv[i][0] != '-' && nfiles < 2)
			files[nfiles++] = argv[i];
		else
			return usage();
	}
	if (!strcmp(argv[1], "compare") && nfiles == 1) {
		if (load(files[0], &before))
			return 2;
		n = ps_expect_same(&before, NULL, 0, scope, timeout, &report);
	} else if (!strcmp(argv[1], "diff") && nfiles == 2) {
		struct ps_allow a;
		char err[512], *used;

		if (load(files[0], &before) || load(files[1], &after))
			return 2;
		n = ps_allow_load(&a, NULL, err, sizeof(err));
		if (n) {
			fprintf(stderr, "proc_snap: %s\n", err);
			return 2;
		}
		n = ps_compare(&before, &after, NULL, 0, &a, scope, &report);
		used = ps_allow_used(&a);
		printf("explained by the allowlist: %s\n", used[0] ? used : "nothing");
		free(used);
		ps_allow_free(&a);
	} else {
		return usage();
	}
	fputs(report, stdout);
	free(report);
	return n < 0 ? 2 : n ? 1 : 0;
}
