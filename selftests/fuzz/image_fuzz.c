// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * libFuzzer target for libckpt's image and area readers (lib/image.c,
 * lib/area.c), built with ASan and UBSan by `make fuzz`.
 *
 * Each input is put in a memory file and read three ways: as a file or
 * area (libckpt_image_open, every generation of an area by number too), as
 * a stream (libckpt_image_open_fd), and, for an area, through
 * libckpt_area_read. Whatever opens is walked whole: every task, thread,
 * mapping, descriptor and page is touched, so a reader that hands out a
 * pointer past what it read is caught by ASan. Oracles besides the
 * sanitizers: a failure returns a negative errno of the documented set
 * with a non-empty message; a standalone image a file open accepts is
 * accepted as a stream too, with the same tasks.
 *
 * An area input may omit the zeros at its end: it is extended to the size
 * its superblock declares (up to MAX_AREA), so the corpus stays small.
 *
 * The custom mutator knows the record structure. A third of its mutations
 * change one field of one record in place (a count, a length, an address,
 * a pid; PAGES and TRAILER records included), so a valid image stays valid
 * but for that field and the deep checks are reached; a third work on a
 * window of the metadata (the records before the first PAGES record, a
 * few KiB beside tens of KiB of page contents); a third on the whole
 * input. Three mutants in four are then re-sealed (trailer crc32c and
 * length recomputed, and an area's slot checksums and those of both its
 * superblock copies): a checksum mismatch would otherwise hide every check
 * made after it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "libckpt.h"
#include "format.h"

#define MAX_AREA	(64ULL << 20)
#define META_WINDOW	64	/* bytes one metadata mutation works on */
#define MAX_RECS	4096	/* records the mutator tells apart */
#define FIELD_AREA	128	/* bytes of a payload holding its fixed fields */
#define TRAILER_LEN	(sizeof(struct ckpt_rec_hdr) + sizeof(struct ckpt_rec_trailer))

size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);

static int memfd = -1;
static char path[64];
static volatile uint64_t sink;	/* keeps the reads below from being elided */

static void fail(const char *what, const char *detail)
{
	fprintf(stderr, "image_fuzz: oracle failed: %s: %s\n", what, detail);
	abort();
}

/* A refusal must be one of the documented errnos and explain itself. */
static void check_refusal(const char *how, int ret, const char *err)
{
	if (ret != -EINVAL && ret != -EBADMSG && ret != -E2BIG &&
	    ret != -ENOENT && ret != -ENOMEM) {
		char m[LIBCKPT_ERRLEN + 32];

		snprintf(m, sizeof(m), "errno %d (%s)", -ret, err);
		fail(how, m);
	}
	if (!err[0])
		fail(how, "refused without a message");
}

static void touch(const void *p, size_t len)
{
	const unsigned char *c = p;

	if (len)
		sink += c[0] + c[len - 1];
}

static int on_pages(const struct libckpt_page_run *run, void *arg)
{
	size_t len = (size_t)run->nr_pages * CKPT_PAGE_SIZE;

	if (!run->nr_pages || run->nr_pages > LIBCKPT_PAGES_CHUNK)
		fail("page callback", "run of 0 or too many pages");
	if (run->addr < run->vma->rec.start ||
	    run->addr + len > run->vma->rec.end)
		fail("page callback", "run outside the mapping it names");
	touch(run->data, len);
	(*(uint64_t *)arg) += run->nr_pages;
	return 0;
}

/* Walk everything the reader hands out; the pages walked. */
static uint64_t walk(struct libckpt_image *img)
{
	char err[LIBCKPT_ERRLEN] = "";
	uint64_t pages = 0;
	size_t i, j;
	int ret;

	touch(libckpt_image_hdr(img), sizeof(struct ckpt_image_hdr));
	for (i = 0; i < libckpt_image_nr_tasks(img); i++) {
		const struct libckpt_image_task *t = libckpt_image_task(img, i);

		if (libckpt_image_find_task(img, t->rec.pid) != t)
			fail("find_task", "a task is not found by its pid");
		sink += strlen(t->comm);
		touch(t->proc->groups, t->proc->rec.nr_groups * sizeof(uint32_t));
		sink += strlen(t->proc->cwd) + strlen(t->proc->root) +
			strlen(t->proc->exe);
		for (j = 0; j < t->rec.nr_threads; j++) {
			touch(t->threads[j].regs, t->threads[j].rec.regs_size);
			touch(t->threads[j].xstate, t->threads[j].rec.xstate_size);
		}
		for (j = 0; j < t->rec.nr_vmas; j++)
			sink += strlen(t->vmas[j].path);
		for (j = 0; j < t->rec.nr_fds; j++) {
			sink += strlen(t->fds[j].path);
			touch(t->fds[j].data, t->fds[j].rec.data_len);
		}
	}
	if (libckpt_image_task(img, i))
		fail("image_task", "a task past the end");
	ret = libckpt_image_pages(img, on_pages, &pages, err, sizeof(err));
	if (ret) {
		/* A stream is verified as its pages pass. */
		check_refusal("pages", ret, err);
		return UINT64_MAX;
	}
	return pages;
}

/* A file or an area (its newest committed generation, or @gen). */
static int open_file(uint64_t gen, size_t *nr_tasks)
{
	char spec[96], err[LIBCKPT_ERRLEN] = "";
	struct libckpt_image *img;
	uint64_t pages;
	int ret;

	if (gen)
		snprintf(spec, sizeof(spec), "%s:%llu", path, (unsigned long long)gen);
	else
		snprintf(spec, sizeof(spec), "%s", path);
	ret = libckpt_image_open(spec, &img, err, sizeof(err));
	if (ret) {
		check_refusal("open", ret, err);
		return ret;
	}
	if (!libckpt_image_size(img))
		fail("open", "a verified image of size 0");
	pages = walk(img);
	/* Already verified whole: a second walk must agree. */
	if (pages == UINT64_MAX || walk(img) != pages)
		fail("open", "walking a verified image failed or disagreed");
	*nr_tasks = libckpt_image_nr_tasks(img);
	libckpt_image_close(img);
	return 0;
}

static int open_stream(size_t *nr_tasks)
{
	char err[LIBCKPT_ERRLEN] = "";
	struct libckpt_image *img;
	int ret;

	if (lseek(memfd, 0, SEEK_SET))
		abort();
	ret = libckpt_image_open_fd(memfd, &img, err, sizeof(err));
	if (ret) {
		check_refusal("stream", ret, err);
		return ret;
	}
	*nr_tasks = libckpt_image_nr_tasks(img);
	ret = walk(img) == UINT64_MAX ? -EBADMSG : 0;
	libckpt_image_close(img);
	return ret;
}

static void read_area(void)
{
	char err[LIBCKPT_ERRLEN] = "";
	struct ckpt_area_sb sb;
	uint64_t gen;
	size_t n;
	int ret, i;

	ret = libckpt_area_read(memfd, &sb, err, sizeof(err));
	if (ret) {
		check_refusal("area", ret, err);
		return;
	}
	for (i = 0; i < CKPT_AREA_SLOTS; i++) {
		sink += strlen(libckpt_area_slot_state(sb.slots[i].state));
		gen = sb.slots[i].generation;
		if (sb.slots[i].state != CKPT_SLOT_EMPTY &&
		    libckpt_area_find(&sb, gen) != i)
			fail("area_find", "a slot is not found by its generation");
		if (sb.slots[i].state == CKPT_SLOT_COMMITTED)
			open_file(gen, &n);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t file_tasks = 0, stream_tasks = 0;
	bool area = false;
	uint64_t declared;
	int file_ret, stream_ret;

	if (memfd < 0) {
		memfd = memfd_create("image_fuzz", MFD_CLOEXEC);
		if (memfd < 0)
			abort();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);
	}
	if (ftruncate(memfd, 0) ||
	    (size && pwrite(memfd, data, size, 0) != (ssize_t)size))
		abort();
	if (size >= sizeof(struct ckpt_area_sb)) {
		const struct ckpt_area_sb *sb = (const void *)data;

		area = sb->magic == CKPT_AREA_MAGIC;
		memcpy(&declared, &sb->size, sizeof(declared));
		if (area && declared > size && declared <= MAX_AREA &&
		    ftruncate(memfd, (off_t)declared))
			abort();
	}

	file_ret = open_file(0, &file_tasks);
	if (area) {
		read_area();
		return 0;
	}
	/*
	 * A stream cannot see bytes after the trailer, so it may accept what
	 * a file open refuses; never the other way round.
	 */
	stream_ret = open_stream(&stream_tasks);
	if (!file_ret && stream_ret)
		fail("stream", "refused an image the file open accepted");
	if (!file_ret && stream_tasks != file_tasks)
		fail("stream", "a different number of tasks than the file open");
	return 0;
}

/* Recompute the trailer of the image at @img..@img+@len; its crc32c. */
static uint32_t reseal_image(uint8_t *img, size_t len)
{
	struct ckpt_rec_hdr rh = {
		.type = CKPT_REC_TRAILER,
		.len = sizeof(struct ckpt_rec_trailer),
	};
	struct ckpt_rec_trailer tr = {
		.magic = CKPT_TRAILER_MAGIC,
		.image_len = len,
	};

	tr.crc32c = libckpt_crc32c(0, img, len - TRAILER_LEN);
	memcpy(img + len - TRAILER_LEN, &rh, sizeof(rh));
	memcpy(img + len - sizeof(tr), &tr, sizeof(tr));
	return tr.crc32c;
}

/*
 * An area's magic ("CKPTAREA") starts with the image's ("CKPT"): look for
 * the longer one first.
 */
static bool is_area(const uint8_t *data, size_t size)
{
	uint64_t magic;

	if (size < sizeof(magic))
		return false;
	memcpy(&magic, data, sizeof(magic));
	return magic == CKPT_AREA_MAGIC;
}

static bool is_image(const uint8_t *data, size_t size)
{
	uint32_t magic;

	if (size < sizeof(magic) || is_area(data, size))
		return false;
	memcpy(&magic, data, sizeof(magic));
	return magic == CKPT_IMAGE_MAGIC;
}

static void reseal(uint8_t *data, size_t size)
{
	struct ckpt_area_sb sb;
	size_t copy;
	int i;

	if (is_image(data, size) &&
	    size >= sizeof(struct ckpt_image_hdr) + TRAILER_LEN) {
		reseal_image(data, size);
		return;
	}
	if (!is_area(data, size))
		return;
	/* Each superblock copy there is (version 1 has only copy 0). */
	for (copy = 0; copy < CKPT_AREA_SB_COPIES &&
	     size >= (copy + 1) * (size_t)CKPT_AREA_SB_SIZE; copy++) {
		uint8_t *blk = data + copy * CKPT_AREA_SB_SIZE;

		if (copy && !is_area(blk, CKPT_AREA_SB_SIZE))
			break;
		memcpy(&sb, blk, sizeof(sb));
		for (i = 0; i < CKPT_AREA_SLOTS; i++) {
			struct ckpt_area_slot *s = &sb.slots[i];

			if (s->state != CKPT_SLOT_COMMITTED || s->offset > size ||
			    s->length > size - s->offset ||
			    s->length < sizeof(struct ckpt_image_hdr) + TRAILER_LEN)
				continue;
			s->crc32c = reseal_image(data + s->offset, s->length);
		}
		memcpy(blk, &sb, sizeof(sb));
		sb.sb_crc32c = libckpt_area_sb_crc(blk);
		memcpy(blk, &sb, sizeof(sb));
	}
}

/*
 * Record offsets of a standalone image (as far as its headers hold) into
 * @offs; their number. *@meta: bytes before the first PAGES record.
 */
static size_t records(const uint8_t *data, size_t size, size_t *offs,
		      size_t *meta)
{
	size_t off = sizeof(struct ckpt_image_hdr), n = 0;
	struct ckpt_rec_hdr rh;

	*meta = 0;
	if (!is_image(data, size))
		return 0;
	while (off + sizeof(rh) <= size && n < MAX_RECS) {
		memcpy(&rh, data + off, sizeof(rh));
		if (rh.len > size - off - sizeof(rh))
			break;
		if (rh.type == CKPT_REC_PAGES && !*meta)
			*meta = off;
		offs[n++] = off;
		off += sizeof(rh) + ((rh.len + 7) & ~7ULL);
	}
	if (!*meta)
		*meta = off < size ? off : size;
	return n;
}

static const uint64_t interesting[] = {
	0, 1, 2, 3, 7, 8, 0x7f, 0x80, 0xff, 0x100, 0xfff, 0x1000, 0xffff,
	0x10000, 0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ULL,
	0x7ffffffff000ULL, 0x800000000000ULL, 0xffff800000000000ULL,
	0x7fffffffffffffffULL, 0xffffffffffffffffULL,
};

/* Change one aligned field of record @off's fixed part; false if none. */
static bool tweak_field(uint8_t *data, size_t size, size_t off, unsigned int r)
{
	struct ckpt_rec_hdr rh;
	size_t len, at, width = r & 1 ? 8 : 4;
	uint64_t v = 0;

	memcpy(&rh, data + off, sizeof(rh));
	len = rh.len < FIELD_AREA ? rh.len : FIELD_AREA;
	if (len < width)
		return false;
	at = off + sizeof(rh) + ((r >> 1) % (len / width)) * width;
	if (at + width > size)
		return false;
	memcpy(&v, data + at, width);
	switch ((r >> 12) % 5) {
	case 0: v++; break;
	case 1: v--; break;
	case 2: v ^= 1ULL << ((r >> 16) % (width * 8)); break;
	case 3: v = 0; break;
	default:
		v = interesting[(r >> 16) % (sizeof(interesting) / sizeof(interesting[0]))];
		break;
	}
	memcpy(data + at, &v, width);
	return true;
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size,
			       unsigned int seed)
{
	static size_t offs[MAX_RECS];
	size_t meta, nrec, off, win, n, r;

	nrec = records(data, size, offs, &meta);
	if (nrec && seed % 3 == 0) {
		r = (seed >> 3) % nrec;
		if (tweak_field(data, size, offs[r], seed >> 5)) {
			/* A damaged trailer stays as it is. */
			if (r != nrec - 1 && (seed >> 8) % 4)
				reseal(data, size);
			return size;
		}
	}
	if (meta && seed % 3 == 1) {
		/* In place, in a window of the metadata; it may shrink. */
		off = (seed >> 1) % meta;
		win = size - off < META_WINDOW ? size - off : META_WINDOW;
		n = LLVMFuzzerMutate(data + off, win, win);
		if (n < win) {
			memmove(data + off + n, data + off + win, size - off - win);
			size -= win - n;
		}
	} else {
		size = LLVMFuzzerMutate(data, size, max_size);
	}
	/* One mutant in four keeps its damaged checksums. */
	if ((seed >> 8) % 4)
		reseal(data, size);
	return size;
}
