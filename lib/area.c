// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * libckpt: create an area and read and validate its superblock.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <linux/fs.h>

#include "format.h"
#include "libckpt.h"

int libckpt_fail(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return ret;
}

uint32_t libckpt_area_sb_crc(const void *blk)
{
	const size_t at = offsetof(struct ckpt_area_sb, sb_crc32c);
	const uint32_t zero = 0;
	const char *p = blk;
	uint32_t crc;

	crc = libckpt_crc32c(0, p, at);
	crc = libckpt_crc32c(crc, &zero, sizeof(zero));
	return libckpt_crc32c(crc, p + at + sizeof(zero),
			      CKPT_AREA_SB_SIZE - at - sizeof(zero));
}

/* Bytes the area's file or device really has. */
static int backing_size(int fd, uint64_t *size)
{
	struct stat st;

	if (fstat(fd, &st))
		return -errno;
	if (S_ISBLK(st.st_mode))
		return ioctl(fd, BLKGETSIZE64, size) ? -errno : 0;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	*size = (uint64_t)st.st_size;
	return 0;
}

#define SB_BYTES (CKPT_AREA_SB_COPIES * CKPT_AREA_SB_SIZE)

/* Both superblock copies of an empty area, identical (sequence 1). */
static int fill_sb(int fd, uint64_t size, char *err, size_t errlen)
{
	struct ckpt_area_sb *sb;
	char *blk;
	ssize_t n;
	int i;

	blk = calloc(1, SB_BYTES);
	if (!blk)
		return libckpt_fail(err, errlen, -ENOMEM, "out of memory");
	sb = (struct ckpt_area_sb *)blk;
	sb->magic = CKPT_AREA_MAGIC;
	sb->version = CKPT_AREA_VERSION;
	sb->size = size;
	sb->data_offset = SB_BYTES;
	sb->next_generation = 1;
	sb->next_offset = sb->data_offset;
	sb->sb_seq = 1;
	sb->sb_crc32c = libckpt_area_sb_crc(blk);
	for (i = 1; i < CKPT_AREA_SB_COPIES; i++)
		memcpy(blk + i * CKPT_AREA_SB_SIZE, blk, CKPT_AREA_SB_SIZE);
	n = pwrite(fd, blk, SB_BYTES, 0);
	free(blk);
	if (n != SB_BYTES)
		return libckpt_fail(err, errlen, n < 0 ? -errno : -EIO,
				    "cannot write the superblock: %s",
				    strerror(n < 0 ? errno : EIO));
	if (fsync(fd))
		return libckpt_fail(err, errlen, -errno,
				    "cannot flush the superblock: %s",
				    strerror(errno));
	return 0;
}

/*
 * Decide the area's size on an opened target: a device's own size, or the
 * requested size for a file, which must then be empty so that nothing a
 * user keeps there is overwritten.
 */
static int choose_size(int fd, uint64_t *size, char *err, size_t errlen)
{
	uint64_t have;
	struct stat st;

	if (fstat(fd, &st))
		return libckpt_fail(err, errlen, -errno, "cannot stat: %s",
				    strerror(errno));
	if (S_ISBLK(st.st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, &have))
			return libckpt_fail(err, errlen, -errno,
					    "cannot get the device size: %s",
					    strerror(errno));
		if (*size > have)
			return libckpt_fail(err, errlen, -EINVAL,
					    "size %" PRIu64 " exceeds the device's %" PRIu64 " bytes",
					    *size, have);
		*size = have;
		return 1;
	}
	if (!S_ISREG(st.st_mode))
		return libckpt_fail(err, errlen, -EINVAL,
				    "not a regular file or block device");
	if (st.st_size > 0)
		return libckpt_fail(err, errlen, -EEXIST,
				    "file exists and is not empty");
	return 0;
}

int libckpt_area_create(const char *path, uint64_t size, char *err,
			size_t errlen)
{
	bool created = false;
	int fd, ret, is_dev;

	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		created = fd >= 0;
	}
	if (fd < 0)
		return libckpt_fail(err, errlen, -errno, "cannot open: %s",
				    strerror(errno));
	is_dev = choose_size(fd, &size, err, errlen);
	if (is_dev < 0) {
		ret = is_dev;
		goto out;
	}
	size &= ~(uint64_t)(CKPT_PAGE_SIZE - 1);
	if (size < LIBCKPT_AREA_MIN_SIZE) {
		ret = libckpt_fail(err, errlen, -EINVAL,
				   "size %" PRIu64 " is below the minimum of %llu bytes",
				   size, LIBCKPT_AREA_MIN_SIZE);
		goto out;
	}
	/*
	 * The writer runs in a kernel thread and must never meet ENOSPC or a
	 * hole's allocation mid-image: the blocks are reserved now.
	 */
	if (!is_dev && size > INT64_MAX) {
		ret = libckpt_fail(err, errlen, -EFBIG, "size too large");
		goto out;
	}
	if (!is_dev && fallocate(fd, 0, 0, (off_t)size)) {
		ret = libckpt_fail(err, errlen, -errno,
				   "cannot preallocate %" PRIu64 " bytes%s: %s",
				   size, errno == EOPNOTSUPP ?
				   " (the filesystem does not support fallocate)" : "",
				   strerror(errno));
		goto out;
	}
	ret = fill_sb(fd, size, err, errlen);
out:
	close(fd);
	if (ret < 0 && created)
		unlink(path);
	return ret;
}

static const char *const slot_states[] = {
	[CKPT_SLOT_EMPTY] = "empty",
	[CKPT_SLOT_WRITING] = "writing",
	[CKPT_SLOT_COMMITTED] = "committed",
};

const char *libckpt_area_slot_state(uint32_t state)
{
	return state <= CKPT_SLOT_COMMITTED ? slot_states[state] : "invalid";
}

static bool is_zero(const void *p, size_t len)
{
	const unsigned char *c = p;

	while (len--)
		if (*c++)
			return false;
	return true;
}

/* The smallest image a committed slot can hold: header and trailer. */
#define MIN_IMAGE_LEN (sizeof(struct ckpt_image_hdr) + \
		       sizeof(struct ckpt_rec_hdr) + \
		       sizeof(struct ckpt_rec_trailer))

static int check_slot(const struct ckpt_area_sb *sb, unsigned int i,
		      char *err, size_t errlen)
{
	const struct ckpt_area_slot *s = &sb->slots[i];

	if (s->state > CKPT_SLOT_COMMITTED)
		return libckpt_fail(err, errlen, -EBADMSG,
				    "slot %u: invalid state %" PRIu32, i, s->state);
	if (s->state == CKPT_SLOT_EMPTY) {
		if (!is_zero(s, sizeof(*s)))
			return libckpt_fail(err, errlen, -EBADMSG,
					    "slot %u: empty but not zeroed", i);
		return 0;
	}
	if (!s->generation || s->generation >= sb->next_generation)
		return libckpt_fail(err, errlen, -EBADMSG,
				    "slot %u: generation %" PRIu64 " outside 1..%" PRIu64,
				    i, (uint64_t)s->generation,
				    (uint64_t)sb->next_generation - 1);
	if (s->offset % CKPT_PAGE_SIZE || s->offset < sb->data_offset ||
	    s->offset > sb->size || s->length > sb->size - s->offset)
		return libckpt_fail(err, errlen, -EBADMSG,
				    "slot %u: image at %" PRIu64 "+%" PRIu64
				    " outside the data region %" PRIu64 "..%" PRIu64,
				    i, (uint64_t)s->offset, (uint64_t)s->length,
				    (uint64_t)sb->data_offset, (uint64_t)sb->size);
	if (s->state == CKPT_SLOT_COMMITTED && s->length < MIN_IMAGE_LEN)
		return libckpt_fail(err, errlen, -EBADMSG,
				    "slot %u: committed image of %" PRIu64
				    " bytes is too short", i, (uint64_t)s->length);
	return 0;
}

/* Two generations in one slot, or two committed images sharing bytes. */
static int check_slot_pairs(const struct ckpt_area_sb *sb, char *err,
			    size_t errlen)
{
	const struct ckpt_area_slot *a, *b;
	unsigned int i, j;

	for (i = 0; i < CKPT_AREA_SLOTS; i++) {
		a = &sb->slots[i];
		if (a->state == CKPT_SLOT_EMPTY)
			continue;
		for (j = i + 1; j < CKPT_AREA_SLOTS; j++) {
			b = &sb->slots[j];
			if (b->state == CKPT_SLOT_EMPTY)
				continue;
			if (a->generation == b->generation)
				return libckpt_fail(err, errlen, -EBADMSG,
						    "slots %u and %u both hold generation %" PRIu64,
						    i, j, (uint64_t)a->generation);
			if (a->state == CKPT_SLOT_COMMITTED &&
			    b->state == CKPT_SLOT_COMMITTED &&
			    a->offset < b->offset + b->length &&
			    b->offset < a->offset + a->length)
				return libckpt_fail(err, errlen, -EBADMSG,
						    "committed slots %u and %u overlap",
						    i, j);
		}
	}
	return 0;
}

/*
 * Validate one superblock copy @blk into @sb. Copy 0 may be a version-1
 * superblock (the only copy such an area has); copy 1 exists only in
 * version 2.
 */
static int check_sb(struct ckpt_area_sb *sb, const void *blk,
		    unsigned int copy, uint64_t have, char *err, size_t errlen)
{
	uint64_t data_offset;
	unsigned int i;
	int ret;

	memcpy(sb, blk, sizeof(*sb));
	if (sb->magic != CKPT_AREA_MAGIC)
		return libckpt_fail(err, errlen, -EINVAL,
				    "not a ckpt area (bad magic 0x%016" PRIx64 ")",
				    (uint64_t)sb->magic);
	if (sb->version != CKPT_AREA_VERSION && (copy || sb->version != 1))
		return libckpt_fail(err, errlen, -EINVAL,
				    "area version %" PRIu32 " is not supported (expected %d)",
				    sb->version, CKPT_AREA_VERSION);
	if (sb->sb_crc32c != libckpt_area_sb_crc(blk))
		return libckpt_fail(err, errlen, -EBADMSG,
				    "superblock checksum mismatch (stored 0x%08" PRIx32
				    ", computed 0x%08" PRIx32 ")", sb->sb_crc32c,
				    libckpt_area_sb_crc(blk));
	if (!is_zero((const char *)blk + sizeof(*sb),
		     CKPT_AREA_SB_SIZE - sizeof(*sb)))
		return libckpt_fail(err, errlen, -EBADMSG,
				    "superblock padding is not zero");
	/* Version 1 had no sequence number: its bytes were padding. */
	if (sb->version == 1 ? sb->sb_seq != 0 : sb->sb_seq == 0)
		return libckpt_fail(err, errlen, -EBADMSG,
				    "superblock sequence number %" PRIu64
				    " is impossible in version %" PRIu32,
				    (uint64_t)sb->sb_seq, sb->version);
	data_offset = sb->version == 1 ? CKPT_AREA_SB_SIZE : SB_BYTES;
	if (sb->data_offset != data_offset)
		return libckpt_fail(err, errlen, -EBADMSG,
				    "data offset %" PRIu64 " is not %" PRIu64,
				    (uint64_t)sb->data_offset, data_offset);
	if (sb->size % CKPT_PAGE_SIZE ||
	    sb->size < data_offset + LIBCKPT_AREA_MIN_DATA || sb->size > have)
		return libckpt_fail(err, errlen, -EBADMSG,
				    "area size %" PRIu64 " is invalid (backing store has %"
				    PRIu64 " bytes)", (uint64_t)sb->size, have);
	if (!sb->next_generation)
		return libckpt_fail(err, errlen, -EBADMSG,
				    "next generation is 0");
	if (sb->next_offset % CKPT_PAGE_SIZE ||
	    sb->next_offset < sb->data_offset || sb->next_offset > sb->size)
		return libckpt_fail(err, errlen, -EBADMSG,
				    "next offset %" PRIu64 " outside the data region",
				    (uint64_t)sb->next_offset);
	for (i = 0; i < CKPT_AREA_SLOTS; i++) {
		ret = check_slot(sb, i, err, errlen);
		if (ret)
			return ret;
	}
	return check_slot_pairs(sb, err, errlen);
}

/*
 * Both copies invalid: one message naming both reasons. If neither even
 * claims to be a superblock of a supported version (-EINVAL twice), this is
 * not an area: copy 0's reason says so best.
 */
static int both_invalid(const struct libckpt_area_copies *c, char *err,
			size_t errlen)
{
	if (c->copy[0].error == -EINVAL && c->copy[1].error == -EINVAL)
		return libckpt_fail(err, errlen, -EINVAL, "%s", c->copy[0].why);
	return libckpt_fail(err, errlen,
			    c->copy[0].error == -EBADMSG ||
			    c->copy[1].error == -EBADMSG ? -EBADMSG : -EINVAL,
			    "both superblock copies are invalid: copy 0: %s; copy 1: %s",
			    c->copy[0].why, c->copy[1].why);
}

int libckpt_area_inspect(int fd, struct ckpt_area_sb *sb,
			 struct libckpt_area_copies *c, char *err,
			 size_t errlen)
{
	struct ckpt_area_sb cand[CKPT_AREA_SB_COPIES];
	uint64_t have;
	unsigned int i;
	char *blk;
	ssize_t n;
	int ret;

	memset(c, 0, sizeof(*c));
	ret = backing_size(fd, &have);
	if (ret)
		return libckpt_fail(err, errlen, ret,
				    "not a regular file or block device");
	memset(cand, 0, sizeof(cand));
	blk = calloc(1, SB_BYTES);
	if (!blk)
		return libckpt_fail(err, errlen, -ENOMEM, "out of memory");
	n = pread(fd, blk, SB_BYTES, 0);
	if (n < 0) {
		ret = libckpt_fail(err, errlen, -errno,
				   "cannot read the superblock: %s", strerror(errno));
		goto out;
	}
	if (n < CKPT_AREA_SB_SIZE) {
		ret = libckpt_fail(err, errlen, -EINVAL,
				   "not a ckpt area (only %zd bytes)", n);
		goto out;
	}
	c->copy[0].error = check_sb(&cand[0], blk, 0, have, c->copy[0].why,
				    sizeof(c->copy[0].why));
	c->copy[0].seq = cand[0].sb_seq;
	if (cand[0].magic == CKPT_AREA_MAGIC && cand[0].version == 1) {
		/* Version 1: one copy, and the data region from 4096. */
		c->version = 1;
		c->nr_copies = 1;
		ret = c->copy[0].error ?
		      libckpt_fail(err, errlen, c->copy[0].error, "%s",
				   c->copy[0].why) : 0;
		if (!ret)
			*sb = cand[0];
		goto out;
	}
	c->version = CKPT_AREA_VERSION;
	c->nr_copies = CKPT_AREA_SB_COPIES;
	if (n < SB_BYTES)
		c->copy[1].error = libckpt_fail(c->copy[1].why,
						sizeof(c->copy[1].why), -EINVAL,
						"missing (only %zd bytes)", n);
	else
		c->copy[1].error = check_sb(&cand[1], blk + CKPT_AREA_SB_SIZE,
					    1, have, c->copy[1].why,
					    sizeof(c->copy[1].why));
	c->copy[1].seq = cand[1].sb_seq;
	if (c->copy[0].error && c->copy[1].error) {
		ret = both_invalid(c, err, errlen);
		goto out;
	}
	/* The valid copy with the highest sequence number; copy 0 on a tie. */
	for (i = 1; i < CKPT_AREA_SB_COPIES; i++)
		if (!c->copy[i].error &&
		    (c->copy[c->used].error || c->copy[i].seq > c->copy[c->used].seq))
			c->used = i;
	*sb = cand[c->used];
	ret = 0;
out:
	free(blk);
	return ret;
}

int libckpt_area_read(int fd, struct ckpt_area_sb *sb, char *err,
		      size_t errlen)
{
	struct libckpt_area_copies *c;
	int ret;

	c = malloc(sizeof(*c));
	if (!c)
		return libckpt_fail(err, errlen, -ENOMEM, "out of memory");
	ret = libckpt_area_inspect(fd, sb, c, err, errlen);
	free(c);
	return ret;
}

int libckpt_area_find(const struct ckpt_area_sb *sb, uint64_t generation)
{
	int i, best = -ENOENT;

	for (i = 0; i < CKPT_AREA_SLOTS; i++) {
		const struct ckpt_area_slot *s = &sb->slots[i];

		if (s->state == CKPT_SLOT_EMPTY)
			continue;
		if (generation) {
			if (s->generation == generation)
				return i;
			continue;
		}
		if (s->state == CKPT_SLOT_COMMITTED &&
		    (best < 0 || s->generation > sb->slots[best].generation))
			best = i;
	}
	return best;
}

uint64_t libckpt_area_slot_parent(int fd, const struct ckpt_area_slot *s)
{
	struct {
		struct ckpt_image_hdr h;
		struct ckpt_rec_hdr rh;
		struct ckpt_rec_parent p;
	} head;

	if (s->state != CKPT_SLOT_COMMITTED || s->length < sizeof(head) ||
	    pread(fd, &head, sizeof(head), (off_t)s->offset) != (ssize_t)sizeof(head))
		return 0;
	if (head.h.magic != CKPT_IMAGE_MAGIC || head.h.version < CKPT_IMAGE_VERSION_MIN ||
	    head.h.version > CKPT_IMAGE_VERSION ||
	    head.h.generation != s->generation || head.rh.type != CKPT_REC_PARENT ||
	    head.rh.len != sizeof(head.p) || head.p.generation >= s->generation)
		return 0;
	return head.p.generation;
}
