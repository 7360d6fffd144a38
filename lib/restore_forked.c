// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * libckpt restore: pages shared by fork(), shared again. The image holds
 * such a page once, for the parent (a FORKED record lists the child's);
 * the way to make two processes share an anonymous page again is the way
 * they came to share it: fork() from a parent that has it. So a process
 * whose children inherit a mapping makes it, at its recorded address and
 * with its pages, before it forks them ("prepares" it), and each child
 * completes what it inherited — drops the pages it did not share, reads
 * in its own — before it forks its own children. RESTORE_MM then keeps
 * those mappings (CKPT_RESTORE_VMA_KEEP) instead of making them again.
 *
 * A mapping is inherited only where fork() would have carried it as the
 * image recorded it: private anonymous writable memory, not a stack, not
 * locked, not DONTFORK/WIPEONFORK/KSM, the same range and flags in parent
 * and child, and no neighbour it would merge with. Everything else of a
 * FORKED record comes back as a copy read from the parent's bytes (@fruns).
 *
 * The restorer runs in the same address space it prepares: a mapping
 * that collides with the restorer's own (MAP_FIXED_NOREPLACE fails) or
 * merges with one makes the process fall back, for all of its mappings,
 * to the module making and filling them; its children then fill their
 * inherited pages as copies too. Either way the image's CRC file has the
 * same layout (plan_pieces()): [runs][fruns][pruns][pfruns], one CRC per
 * piece, written by the module or, for @pruns prepared here, by the
 * process itself.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "restore.h"

#define PAGE	CKPT_PAGE_SIZE

int libckpt_rst_run_push(struct run_list *l, const struct ckpt_restore_run *r)
{
	struct ckpt_restore_run *last = l->n ? &l->v[l->n - 1] : NULL;

	if (last && last->addr + last->nr_pages * PAGE == r->addr &&
	    last->offset + last->nr_pages * PAGE == r->offset) {
		last->nr_pages += r->nr_pages;
		return 0;
	}
	if (libckpt_rst_grow((void **)&l->v, &l->cap, l->n, sizeof(*l->v)))
		return -ENOMEM;
	l->v[l->n++] = *r;
	return 0;
}

static size_t run_pieces(const struct ckpt_restore_run *r)
{
	return (r->nr_pages * PAGE + CKPT_RESTORE_CRC_PIECE - 1) / CKPT_RESTORE_CRC_PIECE;
}

size_t libckpt_rst_run_pieces(const struct run_list *l)
{
	size_t i, n = 0;

	for (i = 0; i < l->n; i++)
		n += run_pieces(&l->v[i]);
	return n;
}

/* --- the plan (the controller, before anything is created) ---------------- */

/* The index of @p's mapping that holds @addr, or -1: they are in order. */
static ssize_t vma_at(const struct plan *p, uint64_t addr)
{
	size_t lo = 0, hi = p->task->rec.nr_vmas, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (p->vmas[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo && addr < p->vmas[lo - 1].end ? (ssize_t)lo - 1 : -1;
}

#define NOT_INHERITED	(CKPT_VMA_SHARED | CKPT_VMA_STACK | CKPT_VMA_VDSO | \
			 CKPT_VMA_DONTFORK | CKPT_VMA_WIPEONFORK | \
			 CKPT_VMA_MERGEABLE | CKPT_VMA_LOCKED | \
			 CKPT_VMA_LOCKONFAULT | CKPT_VMA_SYSV)

/*
 * Would a neighbour merge with mapping @j once both are made (vma_merge()
 * compares the flags; a fresh anonymous mapping merges with one whose
 * anon_vma chain is its own)? The original was two mappings, so it keeps
 * the module's way of making them.
 */
static bool merges(const struct plan *p, size_t j)
{
	const struct ckpt_restore_vma *v = &p->vmas[j];
	size_t n = p->task->rec.nr_vmas;

	return (j && p->vmas[j - 1].end == v->start &&
		p->vmas[j - 1].flags == v->flags) ||
	       (j + 1 < n && p->vmas[j + 1].start == v->end &&
		p->vmas[j + 1].flags == v->flags);
}

static bool inheritable(const struct plan *p, size_t j)
{
	const struct libckpt_image_vma *v = &p->task->vmas[j];

	return (v->rec.flags & (CKPT_VMA_ANON | CKPT_VMA_WRITE)) ==
	       (CKPT_VMA_ANON | CKPT_VMA_WRITE) &&
	       !(v->rec.flags & NOT_INHERITED) && !merges(p, j);
}

/* The controller's own mappings: every restoring process starts with them. */
struct spans {
	uint64_t (*v)[2];
	size_t n, cap;
};

static int own_mappings(struct spans *m)
{
	FILE *f = fopen("/proc/self/maps", "re");
	unsigned long long s, e;
	char line[512];
	int ret = 0;

	if (!f)
		return -errno;
	while (!ret && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx-%llx", &s, &e) != 2)
			continue;
		ret = libckpt_rst_grow((void **)&m->v, &m->cap, m->n, sizeof(*m->v));
		if (!ret) {
			m->v[m->n][0] = s;
			m->v[m->n++][1] = e;
		}
	}
	fclose(f);
	return ret;
}

/*
 * Nothing of the restorer's is at or next to [@start, @end): a process
 * could not make the mapping there, or it would merge with it (a static
 * restorer's data lies where the same binary's image has its own).
 */
static bool clear_of(const struct spans *m, uint64_t start, uint64_t end)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (m->v[i][0] <= end && start <= m->v[i][1])
			return false;
	return true;
}

/* @c's mapping @j comes from its parent @p if @p has it alike. */
static void mark_inherited(struct plan *c, size_t j, struct plan *p,
			   const struct spans *m)
{
	ssize_t k = vma_at(p, c->vmas[j].start);

	if (k < 0 || p->vmas[k].start != c->vmas[j].start ||
	    p->vmas[k].end != c->vmas[j].end ||
	    p->vmas[k].flags != c->vmas[j].flags ||
	    !inheritable(c, j) || !inheritable(p, (size_t)k) ||
	    !clear_of(m, c->vmas[j].start, c->vmas[j].end))
		return;
	c->share[j] |= SHARE_INHERIT;
	p->share[k] |= SHARE_WANTED;
}

/* Runs of @from in a prepared mapping of @p move to @to. */
static int split(struct plan *p, struct ckpt_restore_run *from, size_t *n,
		 struct run_list *to)
{
	size_t i, k = 0;
	ssize_t j;

	for (i = 0; i < *n; i++) {
		j = vma_at(p, from[i].addr);
		if (j >= 0 && p->share[j]) {
			if (libckpt_rst_run_push(to, &from[i]))
				return -ENOMEM;
		} else {
			from[k++] = from[i];
		}
	}
	*n = k;
	return 0;
}

/*
 * Which mappings each process prepares for its children, and its runs in
 * them set apart. After shared memory took its runs; not with --lazy,
 * whose page server fills anonymous memory after the tree runs.
 */
int libckpt_rst_forked_plan(struct tree *tr)
{
	struct spans m = { 0 };
	struct plan *c, *p;
	size_t i, j, r;
	ssize_t k;
	int ret;

	ret = own_mappings(&m);
	if (ret) {
		free(m.v);
		return fail(tr->e, ret, "cannot read /proc/self/maps: %s", strerror(-ret));
	}
	for (i = 0; i < tr->n; i++) {
		c = &tr->plans[i];
		c->share = calloc(c->task->rec.nr_vmas + 1, 1);
		if (!c->share) {
			free(m.v);
			return fail(tr->e, -ENOMEM, "out of memory");
		}
	}
	for (i = 0; i < tr->n; i++) {
		c = &tr->plans[i];
		if (tr->parent[i] < 0)
			continue;
		p = &tr->plans[tr->parent[i]];
		for (r = 0; r < c->fruns.n; r++) {
			k = vma_at(c, c->fruns.v[r].addr);
			if (k >= 0 && !(c->share[k] & SHARE_INHERIT))
				mark_inherited(c, (size_t)k, p, &m);
		}
	}
	free(m.v);
	for (i = 0; i < tr->n; i++) {
		c = &tr->plans[i];
		for (j = 0; j < c->task->rec.nr_vmas; j++)
			c->nr_prep += !!c->share[j];
		if (!c->nr_prep)
			continue;
		if (split(c, c->runs, &c->nr_runs, &c->pruns) ||
		    split(c, c->fruns.v, &c->fruns.n, &c->pfruns))
			return fail(tr->e, -ENOMEM, "out of memory");
	}
	return 0;
}

/* --- in the restoring process, before it forks its children --------------- */

static int pread_all(int fd, void *buf, size_t len, uint64_t off)
{
	ssize_t n;

	while (len) {
		n = pread(fd, buf, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		buf = (char *)buf + n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

/*
 * Read @l's runs into place, in the pieces the module would cut them in;
 * with @crc_pos, each piece's CRC goes to the CRC file there, in order.
 */
static int fill(const struct tree *tr, const struct plan *p,
		const struct run_list *l, const uint64_t *crc_pos)
{
	uint64_t at, len, n, pos = crc_pos ? *crc_pos : 0;
	const struct ckpt_restore_run *r;
	uint32_t crc;
	size_t i;
	int ret;

	for (i = 0; i < l->n; i++) {
		r = &l->v[i];
		len = r->nr_pages * PAGE;
		for (at = 0; at < len; at += n) {
			n = len - at < CKPT_RESTORE_CRC_PIECE ? len - at : CKPT_RESTORE_CRC_PIECE;
			ret = pread_all(tr->image_fd, (void *)(uintptr_t)(r->addr + at),
					(size_t)n, r->offset + at);
			if (ret)
				return fail(tr->e, ret, "pid %u: cannot read the image at byte %llu: %s",
					    p->task->rec.pid,
					    (unsigned long long)(r->offset + at), strerror(-ret));
			__atomic_add_fetch(&tr->e->progress, 1, __ATOMIC_RELAXED);
			if (!crc_pos)
				continue;
			crc = libckpt_crc32c(0, (const void *)(uintptr_t)(r->addr + at), (size_t)n);
			if (pwrite(tr->crc_fd, &crc, sizeof(crc), (off_t)pos) != sizeof(crc))
				return fail(tr->e, -EIO, "pid %u: cannot write to the checksum file",
					    p->task->rec.pid);
			pos += sizeof(crc);
		}
	}
	return 0;
}

/* The pages of inherited mapping @v that its runs in @l do not keep go. */
static int drop_unshared(const struct ckpt_restore_vma *v, const struct run_list *l)
{
	uint64_t at = v->start;
	size_t i;

	for (i = 0; i <= l->n; i++) {
		uint64_t next = i < l->n ? l->v[i].addr : v->end;

		if (i < l->n && (next < v->start || next >= v->end))
			continue;
		if (next > at && madvise((void *)(uintptr_t)at, next - at, MADV_DONTNEED))
			return -errno;
		if (i < l->n)
			at = next + l->v[i].nr_pages * PAGE;
	}
	return 0;
}

static int advise(const struct ckpt_restore_vma *v)
{
	static const struct { uint32_t flag; int advice; } table[] = {
		{ CKPT_VMA_HUGEPAGE, MADV_HUGEPAGE },
		{ CKPT_VMA_NOHUGEPAGE, MADV_NOHUGEPAGE },
		{ CKPT_VMA_DONTDUMP, MADV_DONTDUMP },
		{ CKPT_VMA_SEQUENTIAL, MADV_SEQUENTIAL },
		{ CKPT_VMA_RANDOM, MADV_RANDOM },
	};
	size_t i;

	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if ((v->flags & table[i].flag) &&
		    madvise((void *)(uintptr_t)v->start, v->end - v->start, table[i].advice))
			return -errno;
	return 0;
}

static bool made_here(const struct plan *p, size_t j)
{
	return p->share[j] == SHARE_WANTED;
}

/*
 * The mappings it makes, each exactly where it was: a collision with the
 * restorer's memory unmaps those made so far and returns -EEXIST. Each
 * gets a PROT_NONE page on either side where nothing is, so that nothing
 * the restorer maps later can merge with it.
 */
static int make_mappings(struct plan *p)
{
	size_t j, n = p->task->rec.nr_vmas;
	const struct ckpt_restore_vma *v;
	void *got;

	for (j = 0; j < n; j++) {
		v = &p->vmas[j];
		if (!made_here(p, j))
			continue;
		got = mmap((void *)(uintptr_t)v->start, v->end - v->start,
			   PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS |
			   MAP_FIXED_NOREPLACE |
			   (v->flags & CKPT_VMA_NORESERVE ? MAP_NORESERVE : 0), -1, 0);
		if (got == (void *)(uintptr_t)v->start && !advise(v))
			continue;
		if (got != MAP_FAILED)
			munmap(got, v->end - v->start);
		while (j-- > 0)
			if (made_here(p, j))
				munmap((void *)(uintptr_t)p->vmas[j].start,
				       p->vmas[j].end - p->vmas[j].start);
		return -EEXIST;
	}
	for (j = 0; j < n; j++) {
		v = &p->vmas[j];
		if (!made_here(p, j))
			continue;
		mmap((void *)(uintptr_t)(v->start - PAGE), PAGE, PROT_NONE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | MAP_NORESERVE, -1, 0);
		mmap((void *)(uintptr_t)v->end, PAGE, PROT_NONE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | MAP_NORESERVE, -1, 0);
	}
	return 0;
}

/* Is each mapping it prepares one mapping of its own (no merge happened)? */
static bool stand_alone(const struct plan *p)
{
	FILE *f = fopen("/proc/self/maps", "re");
	unsigned long long s, e;
	char line[512];
	size_t j, found = 0;

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%llx-%llx", &s, &e) == 2)
			for (j = 0; j < p->task->rec.nr_vmas; j++)
				found += p->share[j] && p->vmas[j].start == s &&
					 p->vmas[j].end == e;
	fclose(f);
	return found == p->nr_prep;
}

static void keep_them(struct plan *p)
{
	size_t j;

	for (j = 0; j < p->task->rec.nr_vmas; j++)
		if (p->share[j])
			p->vmas[j].flags |= CKPT_RESTORE_VMA_KEEP;
	p->prepped = true;
}

/* Where its @pruns' CRCs go: after those of its runs and its copies. */
static uint64_t pruns_crc_pos(const struct plan *p)
{
	size_t n = 0, i;

	for (i = 0; i < p->nr_runs; i++)
		n += run_pieces(&p->runs[i]);
	return p->crc_pos + (n + libckpt_rst_run_pieces(&p->fruns)) * sizeof(uint32_t);
}

/*
 * Process @i's prepared mappings in place, before it forks its children:
 * those it inherits completed, the others made and filled. If its parent
 * fell back, or one of its own collides, it falls back: the module makes
 * and fills them all (plan_file() then sends every run).
 */
int libckpt_rst_forked_prep(struct tree *tr, size_t i)
{
	struct plan *p = &tr->plans[i];
	int parent = tr->parent[i];
	uint64_t pos = pruns_crc_pos(p);
	size_t j, n = p->task->rec.nr_vmas;
	int ret;

	if (!p->nr_prep)
		return 0;
	for (j = 0; j < n; j++)
		if ((p->share[j] & SHARE_INHERIT) &&
		    (parent < 0 || !tr->plans[parent].prepped))
			return 0;
	if (make_mappings(p))
		return 0;
	if (!stand_alone(p))
		goto undo;
	for (j = 0; j < n; j++) {
		if (!(p->share[j] & SHARE_INHERIT))
			continue;
		ret = drop_unshared(&p->vmas[j], &p->pfruns);
		if (ret)
			return fail(tr->e, ret, "pid %u: cannot drop the pages it did not share at 0x%llx: %s",
				    p->task->rec.pid, (unsigned long long)p->vmas[j].start,
				    strerror(-ret));
	}
	ret = fill(tr, p, &p->pruns, &pos);
	for (j = 0; !ret && j < p->pfruns.n; j++) {
		ssize_t k = vma_at(p, p->pfruns.v[j].addr);
		struct run_list one = { &p->pfruns.v[j], 1, 1 };

		if (k >= 0 && made_here(p, (size_t)k))
			ret = fill(tr, p, &one, NULL);
	}
	if (ret)
		return ret;
	keep_them(p);
	return 0;
undo:
	for (j = 0; j < n; j++)
		if (made_here(p, j))
			munmap((void *)(uintptr_t)p->vmas[j].start,
			       p->vmas[j].end - p->vmas[j].start);
	return 0;
}

/* --- what the module and the controller see -------------------------------- */

/* The runs after its own that the module fills, in CRC file order. */
int libckpt_rst_forked_plan_file(const struct plan *p, int fd)
{
	const struct run_list *l[] = { &p->fruns, &p->pruns, &p->pfruns };
	size_t k, n = p->prepped ? 1 : 3;
	ssize_t w;

	for (k = 0; k < n; k++) {
		size_t len = l[k]->n * sizeof(*l[k]->v), done = 0;

		while (done < len) {
			w = write(fd, (const char *)l[k]->v + done, len - done);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				return -EIO;
			done += (size_t)w;
		}
	}
	return 0;
}

static size_t put_pieces(const struct ckpt_restore_run *v, size_t nr, bool check,
			 const uint32_t *crcs, size_t *k, struct libckpt_data_crc *out)
{
	uint64_t at, len;
	size_t i, m = 0;

	for (i = 0; i < nr; i++) {
		len = v[i].nr_pages * PAGE;
		for (at = 0; at < len; at += CKPT_RESTORE_CRC_PIECE, (*k)++) {
			if (!check)
				continue;
			out[m++] = (struct libckpt_data_crc){
				.offset = v[i].offset + at,
				.len = len - at < CKPT_RESTORE_CRC_PIECE ?
				       len - at : CKPT_RESTORE_CRC_PIECE,
				.crc = crcs[*k],
			};
		}
	}
	return m;
}

/*
 * @p's pieces whose CRCs check the image: its own runs'. The copies of
 * its parent's pages are bytes the parent's runs check already: read
 * again through the same descriptor, they are not counted twice.
 * Returns the pieces put in @out; @crcs has plan_pieces() of them.
 */
size_t libckpt_rst_forked_pieces(const struct plan *p, const uint32_t *crcs,
				 struct libckpt_data_crc *out)
{
	size_t k = 0, m;

	m = put_pieces(p->runs, p->nr_runs, true, crcs, &k, out);
	m += put_pieces(p->fruns.v, p->fruns.n, false, crcs, &k, out + m);
	m += put_pieces(p->pruns.v, p->pruns.n, true, crcs, &k, out + m);
	return m;
}
