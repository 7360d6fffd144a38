/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * libckpt internals: an incremental image's chain (chain.c).
 */
#ifndef LIBCKPT_CHAIN_H
#define LIBCKPT_CHAIN_H

#include <stddef.h>

#include "format.h"

/**
 * struct libckpt_chain - an image and the generations it builds on
 * @img: the image (not owned)
 * @gens: its parent, the parent's parent, ... down to a full image; each
 *	opened from the same area and verified whole (owned)
 * @n: entries in @gens; 0 for a full image
 */
struct libckpt_chain {
	struct libckpt_image *img;
	struct libckpt_image **gens;
	size_t n;
};

/*
 * Open the chain of @img: -ESTALE, -ENOENT or -EBADMSG naming the
 * generation if one is missing, damaged or not the one its child names;
 * -EINVAL for an incremental image that is not an area generation. On
 * failure @c holds what was opened: close it.
 */
int libckpt_chain_open(struct libckpt_image *img, struct libckpt_chain *c,
		       char *err, size_t errlen);
void libckpt_chain_close(struct libckpt_chain *c);
/* libckpt_image_hold() of every generation @c builds on. */
int libckpt_chain_hold(const struct libckpt_chain *c);
/* libckpt_image_still_held() of every generation @c builds on. */
int libckpt_chain_still_held(const struct libckpt_chain *c, char *err, size_t errlen);
/*
 * The page runs of @c's image composed over its chain, as
 * libckpt_image_page_runs() gives a full image's (without data): per
 * process in image order, ascending addresses, each run's @offset where
 * its bytes lie in the area, which may be in any generation of the chain.
 * -EBADMSG naming the generations if a BASE run is not held by the parent
 * or overlaps the image's own runs.
 */
int libckpt_chain_page_runs(struct libckpt_chain *c, libckpt_pages_fn fn, void *arg,
			    char *err, size_t errlen);

#endif /* LIBCKPT_CHAIN_H */
