// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * A GLib main loop for evloop_test: a GMainLoop (its GWakeup is an
 * eventfd, its wait a poll()) with a g_timeout_add() tick, an idle source
 * per tick advancing a counter, and a GThreadPool of three threads whose
 * results come back to the loop through g_idle_add() from the worker.
 * One line per tick, in order, then the result over every tick and "done".
 *
 * usage: evloop_glib TICKS HOLD LOG GO
 *
 * After tick HOLD's line the loop holds: it arms a late timer (part of
 * the result, so it must fire once), parks every pool thread in a job
 * that waits for the file GO, and then writes "ready" to LOG. That is the
 * moment evloop_test checkpoints: a timer armed, the main thread in a
 * poll() that nothing wakes, each pool thread in the same sleep over and
 * over, so /proc shows the same before the freeze and after the restore.
 * When GO exists the jobs post back, the tick resumes, and the program
 * ends with what an undisturbed run prints.
 */
#include <glib.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define POOL_THREADS	3
#define TICK_MS		40
/*
 * Long enough not to fire while the loop holds (before the freeze, or in
 * the restored program before the /proc comparison is done): it would
 * wake the main thread into a poll() with another timeout, which /proc
 * shows.
 */
#define LATE_MS		15000
#define MAX_TICKS	200
#define WATCHDOG_S	240	/* a lost wakeup ends the program, not the test */

struct loop {
	GMainLoop *main;
	GThreadPool *pool;
	unsigned int ticks, hold, tick, next_print;
	const char *log, *go;
	uint64_t work[MAX_TICKS + 1], idle[MAX_TICKS + 1];
	gboolean work_done[MAX_TICKS + 1], idle_done[MAX_TICKS + 1];
	unsigned int gates_back;
	gboolean late_fired, held;
};

/* One tick's job for the pool, or a gate (n == 0) that waits for GO. */
struct job {
	struct loop *l;
	unsigned int n;
	uint64_t value;
};

/* A fixed amount of CPU work whose value depends only on @n. */
static uint64_t mix(unsigned int n)
{
	uint64_t x = n * 0x9e3779b97f4a7c15ULL;
	unsigned int i;

	for (i = 0; i < 20000; i++) {
		x ^= x >> 33;
		x *= 0xff51afd7ed558ccdULL;
		x ^= x >> 29;
		x += i;
	}
	return x;
}

static gboolean tick(gpointer data);
static void hold(struct loop *l);

/* Print the lines of every finished tick in order; hold or end after. */
static void advance(struct loop *l)
{
	while (l->next_print <= l->ticks && l->work_done[l->next_print] &&
	       l->idle_done[l->next_print]) {
		unsigned int n = l->next_print++;

		printf("tick %03u %016llx\n", n,
		       (unsigned long long)(l->work[n] ^ l->idle[n]));
		fflush(stdout);
		if (n == l->hold)
			hold(l);
	}
	if (l->next_print > l->ticks && l->late_fired)
		g_main_loop_quit(l->main);
}

/* Back on the main loop: a worker's result (or a gate's release). */
static gboolean job_done(gpointer data)
{
	struct job *j = data;
	struct loop *l = j->l;

	if (j->n) {
		l->work[j->n] = j->value;
		l->work_done[j->n] = TRUE;
	} else if (++l->gates_back == POOL_THREADS) {
		/* Every pool thread is free again: the tick goes on. */
		g_timeout_add(TICK_MS, tick, l);
	}
	g_free(j);
	advance(l);
	return G_SOURCE_REMOVE;
}

/* In a pool thread: the tick's work, or the wait for GO. */
static void work(gpointer data, gpointer user_data)
{
	struct job *j = data;

	(void)user_data;
	if (j->n)
		j->value = mix(j->n);
	else
		while (access(j->l->go, F_OK))
			g_usleep(20000);
	g_idle_add(job_done, j);
}

static void push(struct loop *l, unsigned int n)
{
	struct job *j = g_new0(struct job, 1);

	j->l = l;
	j->n = n;
	g_thread_pool_push(l->pool, j, NULL);
}

/* Tick n's counter: advanced by one idle dispatch at a time. */
struct counter {
	struct loop *l;
	unsigned int n, steps;
};

static gboolean count(gpointer data)
{
	struct counter *c = data;
	struct loop *l = c->l;

	l->idle[c->n] = l->idle[c->n] * 1000003 + c->n * 16 + c->steps;
	if (--c->steps)
		return G_SOURCE_CONTINUE;
	l->idle_done[c->n] = TRUE;
	g_free(c);
	advance(l);
	return G_SOURCE_REMOVE;
}

static gboolean tick(gpointer data)
{
	struct loop *l = data;
	struct counter *c = g_new0(struct counter, 1);
	unsigned int n = ++l->tick;

	c->l = l;
	c->n = n;
	c->steps = n % 7 + 3;
	g_idle_add(count, c);
	push(l, n);
	/* The tick stops at HOLD and at the end; the gates restart it. */
	return n == l->hold || n == l->ticks ? G_SOURCE_REMOVE : G_SOURCE_CONTINUE;
}

static gboolean late(gpointer data)
{
	struct loop *l = data;

	l->late_fired = TRUE;
	advance(l);
	return G_SOURCE_REMOVE;
}

/*
 * Tick HOLD's line is out and nothing else is pending: arm the late timer,
 * give each pool thread a gate (one job per thread, so none is left
 * waiting on the queue's condition variable with a value that a later
 * signal moved on), then say "ready".
 */
static void hold(struct loop *l)
{
	FILE *f;
	int i;

	l->held = TRUE;
	g_timeout_add(LATE_MS, late, l);
	for (i = 0; i < POOL_THREADS; i++)
		push(l, 0);
	f = fopen(l->log, "a");
	if (!f || fprintf(f, "ready\n") < 0 || fclose(f))
		exit(3);
}

/* The result: every tick's value and the late timer, folded in order. */
static uint64_t result(const struct loop *l)
{
	uint64_t r = 14695981039346656037ULL;
	unsigned int n;

	for (n = 1; n <= l->ticks; n++)
		r = (r ^ l->work[n] ^ (l->idle[n] << 1)) * 1099511628211ULL;
	return r ^ (l->late_fired ? 0x1a7e : 0);
}

int main(int argc, char **argv)
{
	static struct loop l;
	GError *err = NULL;

	if (argc != 5)
		return 2;
	l.ticks = atoi(argv[1]);
	l.hold = atoi(argv[2]);
	l.log = argv[3];
	l.go = argv[4];
	if (l.ticks < 1 || l.ticks > MAX_TICKS || l.hold < 1 || l.hold >= l.ticks)
		return 2;
	alarm(WATCHDOG_S);
	l.next_print = 1;
	l.main = g_main_loop_new(NULL, FALSE);
	/* Exclusive: its threads start now and live as long as the pool. */
	l.pool = g_thread_pool_new(work, NULL, POOL_THREADS, TRUE, &err);
	if (!l.pool)
		return 4;
	g_timeout_add(TICK_MS, tick, &l);
	g_main_loop_run(l.main);
	g_thread_pool_free(l.pool, FALSE, TRUE);
	printf("result %016llx\ndone\n", (unsigned long long)result(&l));
	return l.held && l.gates_back == POOL_THREADS ? 0 : 1;
}
