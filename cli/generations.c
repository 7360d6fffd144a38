// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * ckptctl: the generations of one process group or session in an area, for
 * restore <pgid> and freeze --keep.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

bool image_of_group(const struct libckpt_image *img, unsigned int id)
{
	size_t i, n = libckpt_image_nr_tasks(img);
	bool pgrp = n > 0, sid = n > 0;

	for (i = 0; i < n; i++) {
		const struct ckpt_rec_task *t = &libckpt_image_task(img, i)->rec;

		pgrp = pgrp && t->pgid == id;
		sid = sid && t->sid == id;
	}
	return pgrp || sid;
}

int committed_newest_first(const struct ckpt_area_sb *sb, int order[CKPT_AREA_SLOTS])
{
	int i, j, n = 0;

	for (i = 0; i < CKPT_AREA_SLOTS; i++) {
		if (sb->slots[i].state != CKPT_SLOT_COMMITTED)
			continue;
		for (j = n++; j > 0 &&
		     sb->slots[order[j - 1]].generation < sb->slots[i].generation; j--)
			order[j] = order[j - 1];
		order[j] = i;
	}
	return n;
}

int keep_scan(struct keep *k, const char *area, int fd, unsigned int id)
{
	char err[LIBCKPT_ERRLEN], spec[4096];
	int order[CKPT_AREA_SLOTS], i, n;
	struct libckpt_image *img;
	struct ckpt_area_sb sb;

	k->n = 0;
	if (libckpt_area_read(fd, &sb, err, sizeof(err))) {
		fprintf(stderr, "%s: %s: %s\n", prog, area, err);
		return -1;
	}
	n = committed_newest_first(&sb, order);
	/* Oldest first into k->gens. */
	for (i = n - 1; i >= 0; i--) {
		snprintf(spec, sizeof(spec), "%s:%llu", area, sb.slots[order[i]].generation);
		if (libckpt_image_open(spec, &img, err, sizeof(err))) {
			fprintf(stderr, "%s: not counted for --keep: %s: %s\n", prog, spec, err);
			continue;
		}
		if (image_of_group(img, id))
			k->gens[k->n++] = sb.slots[order[i]].generation;
		libckpt_image_close(img);
	}
	return 0;
}

/* Forget entry @i of k->gens. */
static void keep_forget(struct keep *k, int i)
{
	memmove(k->gens + i, k->gens + i + 1, (--k->n - i) * sizeof(k->gens[0]));
}

/* Forget the oldest of k->gens. */
static void keep_forget_oldest(struct keep *k)
{
	keep_forget(k, 0);
}

int keep_commit(struct keep *k, struct libckpt *h, const char *area, int fd,
		uint64_t generation, uint64_t *dropped)
{
	int nd = 0, i = 0, ret;

	/* Full only if the area reused slots of ours behind our back: forget the oldest. */
	if (k->n == CKPT_AREA_SLOTS)
		keep_forget_oldest(k);
	k->gens[k->n++] = generation;
	/*
	 * The oldest first; one that a newer generation builds on
	 * (incremental, -ENOTEMPTY) stays until its dependents are gone, so the
	 * next oldest is dropped instead: an old chain goes newest first.
	 * The generation just committed always stays.
	 */
	while (k->max && k->n > k->max && i + 1 < (int)k->n) {
		ret = libckpt_area_drop(h, fd, k->gens[i]);
		if (ret == -ENOTEMPTY) {
			i++;
			continue;
		}
		if (ret == -ENOENT) {
			/* Already overwritten by the area's own slot reuse. */
			keep_forget(k, i);
			i = 0;
			continue;
		}
		if (ret < 0) {
			report(h, ret, "cannot drop generation %" PRIu64 " of %s (tried again after the next checkpoint)",
			       k->gens[i], area);
			break;
		}
		dropped[nd++] = k->gens[i];
		keep_forget(k, i);
		i = 0;
	}
	return nd;
}
