// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * ckptctl: one progress line on standard error, redrawn in place — bytes,
 * total, rate and time left — when standard error is a terminal (or
 * --progress asks for it); silent otherwise, so scripts and pipes see
 * nothing of it.
 */
#include <inttypes.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

void progress_init(struct progress *p, const char *what, bool force)
{
	p->on = force || isatty(STDERR_FILENO);
	p->what = what;
	p->start = now();
	p->last = 0;
	p->drawn = false;
}

static void draw(struct progress *p, uint64_t done, uint64_t total, double t)
{
	double secs = t - p->start, rate = secs > 0 ? done / secs : 0;

	fprintf(stderr, "\r%s: %.1f MiB", p->what, done / 1048576.0);
	if (total)
		fprintf(stderr, " of %.1f MiB (%3.0f%%)", total / 1048576.0,
			100.0 * done / total);
	fprintf(stderr, ", %.1f MiB/s", rate / 1048576.0);
	if (total && rate > 0 && done < total)
		fprintf(stderr, ", %.0f s left", (total - done) / rate);
	fprintf(stderr, "\033[K");
	fflush(stderr);
	p->drawn = true;
	p->last = t;
}

void progress_update(struct progress *p, uint64_t done, uint64_t total)
{
	double t;

	if (!p->on)
		return;
	t = now();
	if (t - p->last >= 0.2)
		draw(p, done, total, t);
}

void progress_done(struct progress *p, uint64_t done, uint64_t total)
{
	if (!p->on)
		return;
	draw(p, done, total, now());
	fputc('\n', stderr);
}

/* For libckpt's callbacks. */
void progress_cb(uint64_t done, uint64_t total, void *arg)
{
	progress_update(arg, done, total);
}
