// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * libckpt: an incremental image's chain. Each generation of the chain
 * down to its full image is opened from the same area and verified whole;
 * a generation missing, or other than its child names it, refuses the
 * chain, naming it. The pages of each process are then composed from the
 * oldest generation up: a generation's pages are its own PAGES runs and
 * the runs its BASE record takes from its parent's composed pages, each
 * resolved to where its bytes lie in the area. The restore reads them all
 * through the one area descriptor.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain.h"

/* Pages of one process at @addr, whose bytes are at @offset of the area. */
struct crun {
	size_t task;		/* index in the generation's image */
	uint64_t addr;
	uint64_t nr;
	uint64_t offset;
	bool forked;		/* the parent process's bytes (libckpt_page_run) */
};

struct cruns {
	struct crun *v;
	size_t n, cap;
};

static int push(struct cruns *r, struct crun c)
{
	struct crun *v;
	size_t cap;

	if (r->n == r->cap) {
		cap = r->cap ? 2 * r->cap : 256;
		v = realloc(r->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		r->v = v;
		r->cap = cap;
	}
	r->v[r->n++] = c;
	return 0;
}

static int cmp_crun(const void *a, const void *b)
{
	const struct crun *x = a, *y = b;

	if (x->task != y->task)
		return x->task < y->task ? -1 : 1;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

struct own_ctx {
	struct cruns *r;
	const struct libckpt_image *img;
};

static int own_run(const struct libckpt_page_run *run, void *arg)
{
	struct own_ctx *o = arg;
	size_t i, n = libckpt_image_nr_tasks(o->img);

	for (i = 0; i < n; i++)
		if (libckpt_image_task(o->img, i) == run->task)
			return push(o->r, (struct crun){ i, run->addr, run->nr_pages,
							 run->offset, run->forked });
	return -EINVAL;
}

/* The index of pid @pid in @img, or -1. */
static ssize_t task_of(const struct libckpt_image *img, uint32_t pid)
{
	const struct libckpt_image_task *t = libckpt_image_find_task(img, pid);
	size_t i, n = libckpt_image_nr_tasks(img);

	for (i = 0; t && i < n; i++)
		if (libckpt_image_task(img, i) == t)
			return (ssize_t)i;
	return -1;
}

/* The first run of @r for task @task ending above @addr (sorted @r). */
static size_t first_after(const struct cruns *r, size_t task, uint64_t addr)
{
	size_t lo = 0, hi = r->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (r->v[mid].task < task ||
		    (r->v[mid].task == task &&
		     r->v[mid].addr + r->v[mid].nr * CKPT_PAGE_SIZE <= addr))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * Add to @out (for task @ti of @img) the pages of @b taken from @parent's
 * composed runs @pr (task @pti there), which must hold every one of them.
 */
static int take_base(const struct ckpt_base_run *b, size_t ti, size_t pti,
		     const struct cruns *pr, struct cruns *out,
		     const struct libckpt_image *img, uint64_t pgen,
		     char *err, size_t errlen)
{
	uint64_t addr = b->addr, end = b->addr + b->nr_pages * CKPT_PAGE_SIZE;
	size_t k = first_after(pr, pti, addr);
	uint64_t rend, n;
	int ret;

	while (addr < end) {
		const struct crun *p = k < pr->n ? &pr->v[k] : NULL;

		if (!p || p->task != pti || p->addr > addr)
			return libckpt_fail(err, errlen, -EBADMSG,
					    "generation %" PRIu64 " takes page 0x%" PRIx64
					    " of pid %" PRIu32 " from generation %" PRIu64
					    ", which does not hold it",
					    (uint64_t)libckpt_image_hdr(img)->generation, addr,
					    libckpt_image_task(img, ti)->rec.pid, pgen);
		rend = p->addr + p->nr * CKPT_PAGE_SIZE;
		n = ((rend < end ? rend : end) - addr) / CKPT_PAGE_SIZE;
		ret = push(out, (struct crun){ ti, addr, n,
					       p->offset + (addr - p->addr),
					       false });
		if (ret)
			return ret;
		addr += n * CKPT_PAGE_SIZE;
		k++;
	}
	return 0;
}

/* The composed runs of @img, given its parent's (@parent, @pr), in @out. */
static int compose(const struct libckpt_image *img, const struct libckpt_image *parent,
		   const struct cruns *pr, struct cruns *out, char *err, size_t errlen)
{
	size_t i, n = libckpt_image_nr_tasks(img);
	uint64_t gen = libckpt_image_hdr(img)->generation;
	uint64_t pgen = libckpt_image_hdr(parent)->generation;
	uint32_t j;
	int ret;

	for (i = 0; i < n; i++) {
		const struct libckpt_image_task *t = libckpt_image_task(img, i);
		ssize_t pti;

		if (!t->base || !t->base->rec.nr_runs)
			continue;
		pti = task_of(parent, t->rec.pid);
		if (pti < 0)
			return libckpt_fail(err, errlen, -EBADMSG,
					    "generation %" PRIu64 " takes pages of pid %"
					    PRIu32 " from generation %" PRIu64
					    ", which does not hold that process",
					    gen, t->rec.pid, pgen);
		for (j = 0; j < t->base->rec.nr_runs; j++) {
			ret = take_base(&t->base->runs[j], i, (size_t)pti, pr, out,
					img, pgen, err, errlen);
			if (ret)
				return ret;
		}
	}
	qsort(out->v, out->n, sizeof(*out->v), cmp_crun);
	for (i = 1; i < out->n; i++)
		if (out->v[i].task == out->v[i - 1].task &&
		    out->v[i].addr < out->v[i - 1].addr + out->v[i - 1].nr * CKPT_PAGE_SIZE)
			return libckpt_fail(err, errlen, -EBADMSG,
					    "generation %" PRIu64 " holds page 0x%" PRIx64
					    " of pid %" PRIu32 " itself and takes it from its parent too",
					    gen, out->v[i].addr,
					    libckpt_image_task(img, out->v[i].task)->rec.pid);
	return 0;
}

/* Is @p the generation @want names (its PARENT record)? */
static int check_parent(const struct libckpt_image *child, const struct libckpt_image *p,
			char *err, size_t errlen)
{
	const struct ckpt_rec_parent *want = libckpt_image_parent(child);
	const struct ckpt_image_hdr *h = libckpt_image_hdr(p);

	if (h->created_ns != want->created_ns || libckpt_image_size(p) != want->image_len ||
	    libckpt_image_crc(p) != want->crc32c)
		return libckpt_fail(err, errlen, -ESTALE,
				    "generation %" PRIu64 " builds on generation %" PRIu64
				    ", but the area's generation %" PRIu64 " is another image (overwritten?)",
				    (uint64_t)libckpt_image_hdr(child)->generation,
				    (uint64_t)want->generation, (uint64_t)want->generation);
	return 0;
}

int libckpt_chain_open(struct libckpt_image *img, struct libckpt_chain *c,
		       char *err, size_t errlen)
{
	const struct ckpt_rec_parent *par;
	struct libckpt_image *cur = img, *p, **v;
	char why[LIBCKPT_ERRLEN];
	int ret;

	memset(c, 0, sizeof(*c));
	while ((par = libckpt_image_parent(cur))) {
		if (c->n >= CKPT_AREA_SLOTS)
			return libckpt_fail(err, errlen, -EBADMSG,
					    "the chain of generation %" PRIu64 " is longer than an area holds",
					    (uint64_t)libckpt_image_hdr(img)->generation);
		if (!libckpt_image_in_area(img))
			return libckpt_fail(err, errlen, -EINVAL,
					    "an incremental image is restored from its area, not a file");
		ret = libckpt_image_open_generation(img, par->generation, &p, why, sizeof(why));
		if (ret)
			return libckpt_fail(err, errlen, ret,
					    "generation %" PRIu64 " builds on generation %" PRIu64
					    ", which the area does not hold intact: %s",
					    (uint64_t)libckpt_image_hdr(cur)->generation,
					    (uint64_t)par->generation, why);
		v = realloc(c->gens, (c->n + 1) * sizeof(*v));
		if (!v) {
			libckpt_image_close(p);
			return libckpt_fail(err, errlen, -ENOMEM, "out of memory");
		}
		c->gens = v;
		c->gens[c->n++] = p;
		ret = check_parent(cur, p, err, errlen);
		if (ret)
			return ret;
		cur = p;
	}
	c->img = img;
	return 0;
}

void libckpt_chain_close(struct libckpt_chain *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		libckpt_image_close(c->gens[i]);
	free(c->gens);
	memset(c, 0, sizeof(*c));
}

int libckpt_chain_hold(const struct libckpt_chain *c)
{
	size_t i;
	int ret;

	for (i = 0; i < c->n; i++) {
		ret = libckpt_image_hold(c->gens[i]);
		if (ret)
			return ret;
	}
	return 0;
}

int libckpt_chain_still_held(const struct libckpt_chain *c, char *err, size_t errlen)
{
	size_t i;
	int ret;

	for (i = 0; i < c->n; i++) {
		ret = libckpt_image_still_held(c->gens[i], err, errlen);
		if (ret)
			return ret;
	}
	return 0;
}

/* The own runs of @img, sorted, in @out. */
static int own_runs(struct libckpt_image *img, struct cruns *out, char *err, size_t errlen)
{
	struct own_ctx o = { out, img };
	int ret = libckpt_image_page_runs(img, own_run, &o, err, errlen);

	if (!ret)
		qsort(out->v, out->n, sizeof(*out->v), cmp_crun);
	return ret;
}

/* The mapping of @t holding @addr: the image checked there is one. */
static const struct libckpt_image_vma *vma_of(const struct libckpt_image_task *t,
					      uint64_t addr)
{
	uint32_t i;

	for (i = 0; i < t->rec.nr_vmas; i++)
		if (t->vmas[i].rec.start <= addr && addr < t->vmas[i].rec.end)
			return &t->vmas[i];
	return NULL;
}

int libckpt_chain_page_runs(struct libckpt_chain *c, libckpt_pages_fn fn, void *arg,
			    char *err, size_t errlen)
{
	struct cruns prev = { 0 }, cur = { 0 };
	struct libckpt_image *g, *pg;
	size_t k, i;
	int ret;

	if (!c->n)
		return libckpt_image_page_runs(c->img, fn, arg, err, errlen);
	/* From the full image up: gens[n - 1] is it, the image itself last. */
	for (k = c->n + 1; k-- > 0;) {
		g = k ? c->gens[k - 1] : c->img;
		pg = k < c->n ? c->gens[k] : NULL;
		ret = own_runs(g, &cur, err, errlen);
		if (!ret && pg)
			ret = compose(g, pg, &prev, &cur, err, errlen);
		if (ret)
			goto out;
		free(prev.v);
		prev = cur;
		memset(&cur, 0, sizeof(cur));
	}
	for (i = 0; i < prev.n; i++) {
		const struct libckpt_image_task *t = libckpt_image_task(c->img, prev.v[i].task);
		uint64_t done, n;

		/* A run's pages fit in its u32 count in pieces of 2^20. */
		for (done = 0; done < prev.v[i].nr; done += n) {
			struct libckpt_page_run run = { .task = t, .forked = prev.v[i].forked };

			n = prev.v[i].nr - done < (1U << 20) ? prev.v[i].nr - done : (1U << 20);
			run.addr = prev.v[i].addr + done * CKPT_PAGE_SIZE;
			run.vma = vma_of(t, run.addr);
			run.nr_pages = (uint32_t)n;
			run.offset = prev.v[i].offset + done * CKPT_PAGE_SIZE;
			ret = fn(&run, arg);
			if (ret) {
				libckpt_fail(err, errlen, ret, "stopped by the page callback (%d)", ret);
				goto out;
			}
		}
	}
	ret = 0;
out:
	free(prev.v);
	free(cur.v);
	return ret;
}
