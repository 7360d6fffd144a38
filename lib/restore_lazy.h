/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * libckpt: the page server's pieces of image data, the order it
 * prefetches them in and its pace (restore_lazy_order.c), shared with
 * the server itself (restore_lazy_serve.c).
 */
#ifndef LIBCKPT_RESTORE_LAZY_H
#define LIBCKPT_RESTORE_LAZY_H

#include "restore.h"

/*
 * Up to a MiB of one process's lazy page data, read (and checksummed)
 * once, all of its pages touched alike before the checkpoint.
 */
struct piece {
	uint64_t offset;	/* in the image file */
	uint32_t first, pages;	/* its pages, as indexes of its origin's */
	uint32_t crc;
	uint8_t heat;		/* HEAT_* */
	bool read;
};

/* How recently a piece's pages were touched (the image's TOUCHED record). */
enum { HEAT_NONE, HEAT_ACCESSED, HEAT_WRITTEN, NR_HEATS };

/* One restored process's lazy page data, in image order. */
struct origin {
	size_t task;
	size_t nr_pages;
	struct piece *pieces;
	size_t nr_pieces;
};

/* A piece in the prefetch's order. */
struct lazy_slot {
	struct origin *o;
	struct piece *pc;
};

/* The prefetch's budget: bytes a second, shared by its threads. */
struct lazy_pace {
	uint64_t rate;		/* 0: unlimited */
	uint64_t start_ns;
	uint64_t bytes;		/* atomic: claimed so far */
};

int libckpt_lazy_pieces(struct origin *o, const struct plan *p, size_t task);
struct lazy_slot *libckpt_lazy_order(struct origin *origins, size_t n, bool streaming,
				     size_t *nr);
void libckpt_lazy_pace_start(struct lazy_pace *pace, uint64_t rate);
void libckpt_lazy_pace(struct lazy_pace *pace, uint64_t bytes, const bool *stop);

#endif
