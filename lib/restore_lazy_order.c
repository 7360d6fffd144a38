// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * libckpt: what a lazy restore's page server prefetches first. The
 * freeze recorded, per page, whether it was written since the previous
 * checkpoint (soft-dirty) and whether its accessed bit was set (the
 * image's TOUCHED records, version 11): the pages the program used last
 * are the ones it most likely needs next. The server cuts each process's
 * lazy data into pieces of pages touched alike and prefetches written
 * pieces, then accessed ones, then the rest, each class in image order.
 * An image without TOUCHED records is prefetched in image order.
 */
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "restore_lazy.h"

#define PAGE		((uint64_t)CKPT_PAGE_SIZE)
#define PIECE_PAGES	((uint64_t)CKPT_RESTORE_CRC_PIECE / PAGE)

static uint8_t heat_of(uint32_t flags)
{
	if (flags & CKPT_TOUCHED_WRITTEN)
		return HEAT_WRITTEN;
	return flags & CKPT_TOUCHED_ACCESSED ? HEAT_ACCESSED : HEAT_NONE;
}

/*
 * The heat of the page at @addr and how many pages from it on share it
 * (at most @max). *@at is a cursor into the ascending runs, for
 * ascending calls.
 */
static uint8_t heat_at(const struct libckpt_image_touched *t, uint32_t *at, uint64_t addr,
		       uint64_t max, uint64_t *same)
{
	const struct ckpt_touched_run *r;
	uint64_t end;

	*same = max;
	if (!t)
		return HEAT_NONE;
	while (*at < t->rec.nr_runs &&
	       t->runs[*at].addr + (uint64_t)t->runs[*at].nr_pages * PAGE <= addr)
		(*at)++;
	if (*at == t->rec.nr_runs)
		return HEAT_NONE;
	r = &t->runs[*at];
	if (r->addr > addr) {
		/* Untouched up to the next run. */
		if ((r->addr - addr) / PAGE < max)
			*same = (r->addr - addr) / PAGE;
		return HEAT_NONE;
	}
	end = r->addr + (uint64_t)r->nr_pages * PAGE;
	if ((end - addr) / PAGE < max)
		*same = (end - addr) / PAGE;
	return heat_of(r->flags);
}

/* Cut @p's lazy runs into pieces of at most a MiB, each of one heat. */
int libckpt_lazy_pieces(struct origin *o, const struct plan *p, size_t task)
{
	const struct libckpt_image_touched *t = p->task->touched;
	uint64_t at, left, same, cap;
	uint32_t page = 0, cursor = 0;
	struct piece *pc;
	uint8_t heat;
	size_t i;

	o->task = task;
	for (i = 0; i < p->nr_lazy; i++)
		o->nr_pages += p->lazy[i].nr_pages;
	/* Each run boundary of TOUCHED may cut one more piece, twice. */
	cap = o->nr_pages / PIECE_PAGES + p->nr_lazy + 1 + (t ? 2 * (uint64_t)t->rec.nr_runs : 0);
	o->pieces = calloc(cap, sizeof(*o->pieces));
	if (!o->pieces)
		return -ENOMEM;
	for (i = 0; i < p->nr_lazy; i++)
		for (at = 0; at < p->lazy[i].nr_pages; at += same) {
			left = p->lazy[i].nr_pages - at;
			heat = heat_at(t, &cursor, p->lazy[i].addr + at * PAGE,
				       left < PIECE_PAGES ? left : PIECE_PAGES, &same);
			pc = &o->pieces[o->nr_pieces++];
			*pc = (struct piece){
				.offset = p->lazy[i].offset + at * PAGE,
				.first = page, .pages = (uint32_t)same, .heat = heat,
			};
			page += (uint32_t)same;
		}
	return 0;
}

/* Hottest first; in image order within a heat (the sort is not stable). */
static int hotter(const void *a, const void *b)
{
	const struct lazy_slot *x = a, *y = b;

	if (x->pc->heat != y->pc->heat)
		return x->pc->heat > y->pc->heat ? -1 : 1;
	if (x->o != y->o)
		return x->o < y->o ? -1 : 1;
	return x->pc < y->pc ? -1 : x->pc > y->pc;
}

/* In the order a stream brings them. */
static int sooner(const void *a, const void *b)
{
	const struct lazy_slot *x = a, *y = b;

	return x->pc->offset < y->pc->offset ? -1 : x->pc->offset > y->pc->offset;
}

/*
 * Every piece of @origins, in the order the prefetch takes them: hottest
 * first, or, from a stream still arriving (@streaming), as they arrive.
 */
struct lazy_slot *libckpt_lazy_order(struct origin *origins, size_t n, bool streaming,
				     size_t *nr)
{
	struct lazy_slot *order;
	size_t i, j, k = 0;

	for (i = 0; i < n; i++)
		k += origins[i].nr_pieces;
	order = malloc((k ? k : 1) * sizeof(*order));
	if (!order)
		return NULL;
	for (i = 0, k = 0; i < n; i++)
		for (j = 0; j < origins[i].nr_pieces; j++)
			order[k++] = (struct lazy_slot){ &origins[i], &origins[i].pieces[j] };
	qsort(order, k, sizeof(*order), streaming ? sooner : hotter);
	*nr = k;
	return order;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/*
 * Before the prefetch reads @bytes more: wait until the rate allows them
 * (in steps of at most 50 ms, so a stop is seen soon).
 */
void libckpt_lazy_pace(struct lazy_pace *pace, uint64_t bytes, const bool *stop)
{
	uint64_t total, due, now;
	struct timespec ts;

	if (!pace->rate)
		return;
	total = __atomic_add_fetch(&pace->bytes, bytes, __ATOMIC_RELAXED) - bytes;
	due = pace->start_ns + (uint64_t)((double)total * 1e9 / (double)pace->rate);
	while (!__atomic_load_n(stop, __ATOMIC_RELAXED) && (now = mono_ns()) < due) {
		ts.tv_sec = 0;
		ts.tv_nsec = (long)(due - now < 50000000ULL ? due - now : 50000000ULL);
		nanosleep(&ts, NULL);
	}
}

void libckpt_lazy_pace_start(struct lazy_pace *pace, uint64_t rate)
{
	pace->rate = rate;
	pace->start_ns = mono_ns();
	pace->bytes = 0;
}
