// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * libckpt: shared memory made once. A shmem object that the image's
 * processes map MAP_SHARED and that has no path to map again — shared
 * anonymous memory (mmap(MAP_SHARED | MAP_ANONYMOUS) or of /dev/zero: a
 * "dev/zero" shmem file per mmap() call, which /proc shows as "/dev/zero
 * (deleted)"), a memfd, a deleted file — is made once by the controller before the first
 * fork, filled once from the image, and every mapping of it, in every
 * process, maps that one object: a write by one is seen by the others,
 * as it was. Objects are told apart by the device and inode the image
 * recorded for each mapping (the kernel's own identity of the object).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "restore.h"

#define DELETED		" (deleted)"
#define ANON_PATH	"/dev/zero" DELETED
#define MEMFD_PREFIX	"/memfd:"
#define COPY_BUF	(1U << 20)

static bool ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), m = strlen(tail);

	return n >= m && !strcmp(s + n - m, tail);
}

/* Is @v a mapping of a shmem object made once, not mapped by path? */
bool libckpt_rst_maps_shm(const struct libckpt_image_vma *v)
{
	if (v->rec.flags & CKPT_VMA_SYSV)
		return true;	/* a System V segment (restore_sysv.c) */
	return (v->rec.flags & CKPT_VMA_SHARED) &&
	       !(v->rec.flags & (CKPT_VMA_ANON | CKPT_VMA_VDSO)) &&
	       ends_with(v->path, DELETED);
}

static struct rst_shm *find_shm(const struct tree *tr, uint64_t dev, uint64_t ino)
{
	size_t i;

	/* A segment's id may equal a memfd's inode number on one mount. */
	for (i = 0; i < tr->nr_shms; i++)
		if (!tr->shms[i].sysv && tr->shms[i].dev == dev && tr->shms[i].ino == ino)
			return &tr->shms[i];
	return NULL;
}

/* The controller's description of a descriptor record of (@dev, @ino). */
static int desc_of(const struct tree *tr, uint64_t dev, uint64_t ino)
{
	size_t i;
	uint32_t j;

	for (i = 0; i < tr->n; i++) {
		const struct libckpt_image_task *t = tr->plans[i].task;

		for (j = 0; j < t->rec.nr_fds; j++) {
			const struct ckpt_rec_fd *r = &t->fds[j].rec;

			if (r->dev == dev && r->ino == ino && r->file_id &&
			    r->file_id <= tr->nr_descs && tr->descs[r->file_id - 1] >= 0)
				return tr->descs[r->file_id - 1];
		}
	}
	return -1;
}

/*
 * Shared anonymous memory of @size bytes: a mapping of our own whose
 * shmem file (shmem_zero_setup(), the one each such mmap() makes) is
 * opened through /proc/self/map_files, which asks for
 * CAP_CHECKPOINT_RESTORE or CAP_SYS_ADMIN (6.1 proc_map_files_get_link()),
 * as clone3's set_tid does.
 */
static int make_anon(uint64_t size)
{
	char path[64];
	void *p;
	int fd, err;

	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	snprintf(path, sizeof(path), "/proc/self/map_files/%lx-%lx",
		 (unsigned long)p, (unsigned long)p + size);
	fd = open(path, O_RDWR);
	err = errno;
	munmap(p, size);
	return fd < 0 ? -err : fd;
}

/* A memfd that only mappings kept: made again with its name and size. */
static int make_memfd(const char *path, uint64_t size)
{
	char name[256];
	size_t len = strlen(path) - strlen(MEMFD_PREFIX) - strlen(DELETED);
	int fd;

	snprintf(name, sizeof(name), "%.*s", (int)len, path + strlen(MEMFD_PREFIX));
	fd = memfd_create(name, 0);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)size)) {
		int err = errno;

		close(fd);
		return -err;
	}
	return fd;
}

/*
 * A deleted file that only mappings kept: made again at its path and
 * removed, as a deleted file's descriptor is (a new inode).
 */
static int make_unlinked(const char *path, uint64_t size)
{
	char name[PATH_MAX];
	int fd, err = 0;

	snprintf(name, sizeof(name), "%.*s", (int)(strlen(path) - strlen(DELETED)), path);
	fd = open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
	if (fd < 0)
		return -errno;
	if (unlink(name) || ftruncate(fd, (off_t)size))
		err = errno;
	if (err) {
		close(fd);
		return -err;
	}
	return fd;
}

/* The byte size an object needs: its recorded size, and every mapping's reach. */
static uint64_t object_size(const struct tree *tr, const struct libckpt_image_vma *v)
{
	uint64_t size = v->rec.size;
	size_t i;
	uint32_t j;

	for (i = 0; i < tr->n; i++) {
		const struct libckpt_image_task *t = tr->plans[i].task;

		for (j = 0; j < t->rec.nr_vmas; j++) {
			const struct ckpt_rec_vma *w = &t->vmas[j].rec;
			uint64_t reach = w->pgoff * CKPT_PAGE_SIZE + (w->end - w->start);

			if (w->dev == v->rec.dev && w->ino == v->rec.ino &&
			    libckpt_rst_maps_shm(&t->vmas[j]) && reach > size)
				size = reach;
		}
	}
	return (size + CKPT_PAGE_SIZE - 1) & ~(uint64_t)(CKPT_PAGE_SIZE - 1);
}

static int new_shm(struct tree *tr, uint32_t pid, const struct libckpt_image_vma *v,
		   struct rst_shm **out)
{
	uint64_t size = object_size(tr, v);
	struct rst_shm *s;
	int fd, held;
	char proc[40];

	held = desc_of(tr, v->rec.dev, v->rec.ino);
	if (held >= 0) {
		/* Its descriptor's object, contents and seals in place already. */
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", held);
		fd = open(proc, O_RDWR);
		fd = fd < 0 ? -errno : fd;
	} else if (!strcmp(v->path, ANON_PATH)) {
		fd = make_anon(size);
	} else if (!strncmp(v->path, MEMFD_PREFIX, strlen(MEMFD_PREFIX))) {
		fd = make_memfd(v->path, size);
	} else {
		fd = make_unlinked(v->path, size);
	}
	if (fd < 0)
		return fail(tr->e, fd, "pid %u mapping at 0x%llx: cannot make its shared memory (%s) again: %s",
			    pid, (unsigned long long)v->rec.start, v->path, strerror(-fd));
	fd = libckpt_rst_move_high(fd, tr->top);
	s = &tr->shms[tr->nr_shms++];
	*s = (struct rst_shm){ .dev = v->rec.dev, .ino = v->rec.ino, .fd = fd,
			       .filled = held >= 0 ? NULL : calloc(size / CKPT_PAGE_SIZE / 8 + 1, 1) };
	if (fd < 0 || (held < 0 && !s->filled))
		return fail(tr->e, -ENOMEM, "pid %u mapping at 0x%llx: no descriptor or memory for its shared memory",
			    pid, (unsigned long long)v->rec.start);
	*out = s;
	return 0;
}

static bool test_and_set(uint8_t *map, uint64_t bit)
{
	bool was = map[bit / 8] & (1U << (bit % 8));

	map[bit / 8] |= (uint8_t)(1U << (bit % 8));
	return was;
}

/* Copy @len bytes at image offset @from into the object at @to, through @buf. */
static int copy_in(int image_fd, int fd, char *buf, uint64_t from, uint64_t to,
		   uint64_t len)
{
	ssize_t n;

	while (len) {
		size_t chunk = len < COPY_BUF ? (size_t)len : COPY_BUF;

		n = pread(image_fd, buf, chunk, (off_t)from);
		if (n != (ssize_t)chunk)
			return n < 0 ? -errno : -EIO;
		n = pwrite(fd, buf, chunk, (off_t)to);
		if (n != (ssize_t)chunk)
			return n < 0 ? -errno : -ENOSPC;
		from += chunk;
		to += chunk;
		len -= chunk;
	}
	return 0;
}

/*
 * The runs of plan @p inside mapping @v go into object @s (the pages no
 * earlier mapping of it filled; all were copied in the same freeze) and
 * leave the plan: the module maps the object, already filled.
 */
static int take_runs(struct tree *tr, struct plan *p, const struct libckpt_image_vma *v,
		     struct rst_shm *s, char *buf)
{
	size_t i, kept = 0;
	uint64_t k, n;
	int ret = 0;

	for (i = 0; i < p->nr_runs; i++) {
		const struct ckpt_restore_run *r = &p->runs[i];
		uint64_t base = v->rec.pgoff + (r->addr - v->rec.start) / CKPT_PAGE_SIZE;

		if (r->addr < v->rec.start || r->addr >= v->rec.end) {
			p->runs[kept++] = *r;
			continue;
		}
		ret = libckpt_rst_taken_run(tr, r);
		if (ret)
			return fail(tr->e, ret, "out of memory");
		/* Each stretch of pages no earlier mapping of it filled, at once. */
		for (k = 0; s->filled && !ret && k < r->nr_pages; k += n) {
			for (n = 0; k + n < r->nr_pages && !test_and_set(s->filled, base + k + n); n++)
				;
			if (n)
				ret = copy_in(tr->image_fd, s->fd, buf,
					      r->offset + k * CKPT_PAGE_SIZE,
					      (base + k) * CKPT_PAGE_SIZE, n * CKPT_PAGE_SIZE);
			else
				n = 1;
		}
		if (ret)
			return fail(tr->e, ret, "pid %u mapping at 0x%llx: cannot fill its shared memory (%s): %s",
				    p->task->rec.pid, (unsigned long long)v->rec.start,
				    v->path, strerror(-ret));
	}
	p->nr_runs = kept;
	return 0;
}

/* Make every shared object and point each mapping of it at its descriptor. */
int libckpt_rst_make_shm(struct tree *tr)
{
	size_t i, total = 0;
	char *buf;
	uint32_t j;
	int ret = 0;

	for (i = 0; i < tr->n; i++)
		total += tr->plans[i].task->rec.nr_vmas;
	tr->shms = calloc(total ? total : 1, sizeof(*tr->shms));
	buf = malloc(COPY_BUF);
	if (!tr->shms || !buf) {
		free(buf);
		return fail(tr->e, -ENOMEM, "out of memory");
	}
	/* Each segment is attached by a mapping: @total has room for them. */
	ret = libckpt_rst_make_sysv(tr);
	for (i = 0; !ret && i < tr->n; i++) {
		struct plan *p = &tr->plans[i];
		const struct libckpt_image_task *t = p->task;

		for (j = 0; !ret && j < t->rec.nr_vmas; j++) {
			const struct libckpt_image_vma *v = &t->vmas[j];
			struct rst_shm *s;

			if (!libckpt_rst_maps_shm(v))
				continue;
			if (v->rec.flags & CKPT_VMA_SYSV) {
				/* Checked by the reader: a SYSV_SHM record has it. */
				s = libckpt_rst_find_sysv(tr, (int64_t)v->rec.ino);
				p->vmas[j].fd = (int)v->rec.ino;
				ret = take_runs(tr, p, v, s, buf);
				continue;
			}
			s = find_shm(tr, v->rec.dev, v->rec.ino);
			if (!s)
				ret = new_shm(tr, t->rec.pid, v, &s);
			if (!ret) {
				p->vmas[j].fd = s->fd;
				ret = take_runs(tr, p, v, s, buf);
			}
		}
	}
	for (i = 0; i < tr->nr_shms; i++) {
		free(tr->shms[i].filled);
		tr->shms[i].filled = NULL;
	}
	free(buf);
	return ret;
}

/* Does plan @p map through descriptor @fd? */
bool libckpt_rst_plan_maps(const struct plan *p, int fd)
{
	uint32_t j;

	/* A System V attachment's is the segment id (restore_sysv.c). */
	for (j = 0; j < p->task->rec.nr_vmas; j++)
		if (!(p->vmas[j].flags & CKPT_VMA_SYSV) && p->vmas[j].fd == fd)
			return true;
	return false;
}

/* Close the objects' descriptors plan @p (NULL: any) does not map through. */
void libckpt_rst_close_shm(const struct tree *tr, const struct plan *p)
{
	size_t i;

	for (i = 0; i < tr->nr_shms; i++)
		if (tr->shms[i].fd >= 0 && (!p || !libckpt_rst_plan_maps(p, tr->shms[i].fd)))
			close(tr->shms[i].fd);
}
