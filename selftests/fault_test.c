// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * Failures mid-way: every allocation and write of a checkpoint failed in
 * turn (the module's fault_mask/fault_nth injection), an area too small
 * for another image, an area on a full filesystem. Each time the
 * checkpoint fails with the reason, the newest committed generation stays
 * intact, the group runs on without noticing, and nothing stays held,
 * parked or streaming. And no allocation is made inside a freeze window.
 */
#include <sys/mount.h>
#include <sys/stat.h>

#include "kselftest_harness.h"
#include "stress_util.h"

#define AREA		"/tmp/fault-area"

struct point_set {
	unsigned int mask;
	const char *name;
	int err;		/* what a failure there must report */
};

static const struct point_set point_sets[] = {
	{ 0x01, "freeze", -ENOMEM },
	{ 0x02, "snapshot", -ENOMEM },
	{ 0x04, "writer", -ENOMEM },
	{ 0x08, "area memory", -ENOMEM },
	{ 0x10, "area I/O", -EIO },
};

/* One checkpoint of @g into @fd: 0 if committed, else the error. */
static int checkpoint(struct libckpt *h, struct busy_group *g, int fd,
		      struct libckpt_job *job, char *why, size_t whylen)
{
	struct libckpt_job done;
	int ret;

	why[0] = '\0';
	ret = libckpt_freeze(h, g->pgid, fd, 0, job);
	if (ret) {
		snprintf(why, whylen, "freeze: %s", libckpt_error(h));
		return ret;
	}
	ret = libckpt_wait(h, job->id, &done);
	if (ret) {
		snprintf(why, whylen, "wait: %s", libckpt_error(h));
		return ret;
	}
	if (done.state == CKPT_JOB_COMMITTED)
		return 0;
	snprintf(why, whylen, "job: %s", done.error_msg);
	return done.error ? done.error : -EPROTO;
}

FIXTURE(fault) {
	struct busy_group g;
	struct libckpt *h;
	int fd;
	double t0;
};

FIXTURE_SETUP(fault)
{
	self->t0 = now_s();
	/* A slow emulated machine must not turn into spurious timeouts. */
	ASSERT_EQ(0, param_set("freeze_timeout_ms", 15000));
	ASSERT_EQ(0, group_start(&self->g, 2, GROUP_THP));
	ASSERT_EQ(0, libckpt_open(&self->h));
	self->fd = -1;
}

FIXTURE_TEARDOWN(fault)
{
	group_kill(&self->g);
	param_set("fault_mask", 0);
	param_set("fault_nth", 0);
	param_set("freeze_timeout_ms", 2000);
	libckpt_close(self->h);
	if (self->fd >= 0)
		close(self->fd);
	unlink(AREA);
	TH_LOG("%.1f s", now_s() - self->t0);
}

/*
 * Fail the 1st, 2nd, ... pass through each set of injection points until a
 * checkpoint passes them all. Every injected failure must reach the caller
 * (the freeze's error, or the job's error and reason); the last good
 * generation stays the newest committed one, no slot is left WRITING, no
 * page held, no job streaming; the group keeps running. At the end every
 * image committed along the way verifies and the group's checks held.
 */
TEST_F_TIMEOUT(fault, every_injection_point, 280)
{
	uint64_t before[MAX_PROCS][MW_THREADS], after[MAX_PROCS][MW_THREADS];
	uint64_t good_before[MAX_PROCS][MW_THREADS], good_after[MAX_PROCS][MW_THREADS];
	unsigned int s, n, points[5] = { 0 }, total = 0, runs = 0;
	struct libckpt_job job;
	long injected, hits;
	uint64_t good;
	char why[512], vwhy[512];
	double t0 = now_s();
	int ret;

	/* Room for about three images: the ring wraps during the loop. */
	self->fd = new_area(AREA, 24ULL << 20);
	ASSERT_LE(0, self->fd);
	group_done(&self->g, good_before);
	ASSERT_EQ(0, checkpoint(self->h, &self->g, self->fd, &job, why, sizeof(why)))
		TH_LOG("%s", why);
	group_done(&self->g, good_after);
	good = job.generation;

	for (s = 0; s < ARRAY_SIZE(point_sets); s++) {
		const struct point_set *ps = &point_sets[s];

		for (n = 1; n < 400; n++) {
			injected = param_get("fault_injected");
			ASSERT_EQ(0, param_set("fault_mask", ps->mask));
			ASSERT_EQ(0, param_set("fault_nth", n));
			group_done(&self->g, before);
			ret = checkpoint(self->h, &self->g, self->fd, &job, why,
					 sizeof(why));
			group_done(&self->g, after);
			ASSERT_EQ(0, param_set("fault_mask", 0));
			hits = param_get("fault_hits");
			injected = param_get("fault_injected") - injected;
			runs++;
			if (!injected) {
				/* Past the last point: this one must commit. */
				ASSERT_EQ(0, ret) TH_LOG("%s point %u: %s (%d)",
							 ps->name, n, why, ret);
				ASSERT_GT(n, hits);
				good = job.generation;
				memcpy(good_before, before, sizeof(before));
				memcpy(good_after, after, sizeof(after));
				break;
			}
			ASSERT_EQ(1, injected);
			points[s]++;
			/* The failure reached the caller, as itself. */
			EXPECT_EQ(ps->err, ret) TH_LOG("%s point %u: %s (%d)",
						       ps->name, n, why, ret);
			EXPECT_EQ(0, module_info().held_pages)
				TH_LOG("%s point %u: pages still held", ps->name, n);
			EXPECT_EQ(0, streaming_jobs());
			EXPECT_EQ(good, newest_committed(self->fd))
				TH_LOG("%s point %u: the last good generation %llu is no longer the newest committed",
				       ps->name, n, (unsigned long long)good);
			EXPECT_EQ(0, slots_in_state(self->fd, CKPT_SLOT_WRITING))
				TH_LOG("%s point %u: a failed generation is still marked writing",
				       ps->name, n);
			EXPECT_TRUE(group_progressed(&self->g, after))
				TH_LOG("%s point %u: the group stopped", ps->name, n);
		}
		ASSERT_GT(400, n);
		TH_LOG("%s: %u points, %.1f s since the start", ps->name,
		       points[s], now_s() - t0);
		total += points[s];
		/* The newest generation is whole and one instant. */
		EXPECT_EQ(0, verify_generation(AREA, good, &self->g, good_before,
					       good_after, vwhy, sizeof(vwhy)))
			TH_LOG("%s", vwhy);
	}
	TH_LOG("%u checkpoints in %.1f s; failures injected at %u points: freeze %u, snapshot %u, writer %u, area memory %u, area I/O %u",
	       runs, now_s() - t0, total, points[0], points[1], points[2], points[3], points[4]);
	EXPECT_LT(0, points[0]);
	EXPECT_LT(0, points[1]);
	EXPECT_LT(0, points[2]);
	EXPECT_LT(0, points[3]);
	EXPECT_LT(0, points[4]);
	/*
	 * Every allocation has a point right before it, and every pass was
	 * counted: none was made with a parked target's mmap_lock held.
	 */
	EXPECT_EQ(0, param_get("fault_window_hits"))
		TH_LOG("an allocation inside a freeze window");
	/* Finished jobs are kept (RECENT_JOBS), not leaked. */
	EXPECT_GE(16, module_info().live_jobs);
	EXPECT_EQ(0, group_stop(&self->g)) TH_LOG("the group's own checks failed");
}

/* Length of one image of the group, from a checkpoint into a scratch area. */
static uint64_t image_len(struct __test_metadata *_metadata, struct libckpt *h,
			  struct busy_group *g)
{
	struct libckpt_job job;
	char why[512];
	int fd = new_area("/tmp/fault-scratch", 64ULL << 20);

	EXPECT_LE(0, fd);
	EXPECT_EQ(0, checkpoint(h, g, fd, &job, why, sizeof(why))) TH_LOG("%s", why);
	close(fd);
	unlink("/tmp/fault-scratch");
	return job.image_len;
}

/* Where an area's data region starts: after its two superblock copies. */
#define DATA_OFFSET	(CKPT_AREA_SB_COPIES * CKPT_AREA_SB_SIZE)

static uint64_t round_up_page(uint64_t v)
{
	return (v + 4095) & ~4095ULL;
}

/*
 * An area too small for an image is refused; one that holds one image but
 * not two keeps its committed generation and refuses the next checkpoint
 * with -ENOSPC rather than overwrite it; one that holds three wraps as a
 * ring, and an I/O failure in the middle of any image leaves
 * the one before it newest and whole.
 */
TEST_F_TIMEOUT(fault, area_full, 200)
{
	uint64_t before[MAX_PROCS][MW_THREADS], after[MAX_PROCS][MW_THREADS];
	struct libckpt_job job;
	uint64_t len, good;
	char why[512];
	int i, ret;

	len = image_len(_metadata, self->h, &self->g);
	ASSERT_LT(1ULL << 20, len);

	/* Smaller than one image. */
	self->fd = new_area(AREA, round_up_page(DATA_OFFSET + len / 2));
	ASSERT_LE(0, self->fd);
	EXPECT_EQ(-ENOSPC, checkpoint(self->h, &self->g, self->fd, &job, why,
				      sizeof(why)));
	/* Found before the freeze, from the group's memory. */
	EXPECT_NE(NULL, strstr(why, "and the area holds")) TH_LOG("%s", why);
	EXPECT_EQ(0, newest_committed(self->fd));
	EXPECT_EQ(0, slots_in_state(self->fd, CKPT_SLOT_WRITING));
	close(self->fd);

	/* One image and a half. */
	self->fd = new_area(AREA, round_up_page(DATA_OFFSET + len + len / 2));
	ASSERT_LE(0, self->fd);
	group_done(&self->g, before);
	ASSERT_EQ(0, checkpoint(self->h, &self->g, self->fd, &job, why, sizeof(why)))
		TH_LOG("%s", why);
	group_done(&self->g, after);
	good = job.generation;
	for (i = 0; i < 3; i++) {
		ret = checkpoint(self->h, &self->g, self->fd, &job, why, sizeof(why));
		EXPECT_EQ(-ENOSPC, ret) TH_LOG("%s", why);
		EXPECT_NE(NULL, strstr(why, "newest committed")) TH_LOG("%s", why);
	}
	EXPECT_EQ(good, newest_committed(self->fd));
	EXPECT_EQ(1, slots_in_state(self->fd, CKPT_SLOT_COMMITTED));
	EXPECT_EQ(0, verify_generation(AREA, good, &self->g, before, after, why,
				       sizeof(why)))
		TH_LOG("%s", why);
	close(self->fd);

	/*
	 * Room for three images: a ring; every other image fails mid-way.
	 * The group's images differ a little in size (its TOUCHED runs follow
	 * what was written since the last one; a page a child still shares
	 * with its parent since fork() is written once, until one writes it),
	 * so an image at the start of the data region may not fit below the
	 * newest one when that one follows the first: the third image's room,
	 * a sixteenth larger than the first, is where it goes then. The ring
	 * still wraps: the fourth image goes back to the start.
	 */
	len += len / 16;
	self->fd = new_area(AREA, round_up_page(DATA_OFFSET + 3 * len));
	ASSERT_LE(0, self->fd);
	good = 0;
	for (i = 0; i < 6; i++) {
		if (i % 2) {
			/* The superblock's two copies, then the image's third MiB. */
			ASSERT_EQ(0, param_set("fault_mask", 0x10));
			ASSERT_EQ(0, param_set("fault_nth", 5));
		}
		group_done(&self->g, before);
		ret = checkpoint(self->h, &self->g, self->fd, &job, why, sizeof(why));
		group_done(&self->g, after);
		ASSERT_EQ(0, param_set("fault_mask", 0));
		if (i % 2) {
			EXPECT_EQ(-EIO, ret) TH_LOG("%s", why);
			EXPECT_EQ(good, newest_committed(self->fd));
		} else {
			ASSERT_EQ(0, ret) TH_LOG("image %d: %s", i, why);
			good = job.generation;
			EXPECT_EQ(0, verify_generation(AREA, good, &self->g, before,
						       after, why, sizeof(why)))
				TH_LOG("%s", why);
		}
		EXPECT_EQ(0, slots_in_state(self->fd, CKPT_SLOT_WRITING));
	}
	EXPECT_EQ(0, module_info().held_pages);
	EXPECT_TRUE(group_progressed(&self->g, after));
	EXPECT_EQ(0, group_stop(&self->g)) TH_LOG("the group's own checks failed");
}

#define FULLFS "/tmp/fault-fullfs"

/*
 * An area file on a filesystem that fills up while the image streams (the
 * file's data region was punched out, then the tmpfs filled): the job
 * fails with -ENOSPC and says writing failed; the generation before stays
 * newest and whole; once space is back the next checkpoint commits.
 */
TEST_F_TIMEOUT(fault, full_filesystem, 200)
{
	uint64_t before[MAX_PROCS][MW_THREADS], after[MAX_PROCS][MW_THREADS];
	char opts[64], area[128], why[512];
	uint64_t len, size, good;
	struct libckpt_job job;
	static char chunk[1 << 16];
	int filler;

	len = image_len(_metadata, self->h, &self->g);
	size = round_up_page(DATA_OFFSET + 2 * len + (1 << 20));
	mkdir(FULLFS, 0700);
	snprintf(opts, sizeof(opts), "size=%llu", (unsigned long long)(size + (1 << 20)));
	ASSERT_EQ(0, mount("tmpfs", FULLFS, "tmpfs", 0, opts));
	snprintf(area, sizeof(area), FULLFS "/area");
	self->fd = new_area(area, size);
	ASSERT_LE(0, self->fd);
	group_done(&self->g, before);
	ASSERT_EQ(0, checkpoint(self->h, &self->g, self->fd, &job, why, sizeof(why)))
		TH_LOG("%s", why);
	group_done(&self->g, after);
	good = job.generation;
	/* Give back the blocks behind the image, then take every block. */
	ASSERT_EQ(0, fallocate(self->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			       round_up_page(DATA_OFFSET + len), size - round_up_page(DATA_OFFSET + len)));
	filler = open(FULLFS "/filler", O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ASSERT_LE(0, filler);
	while (write(filler, chunk, sizeof(chunk)) > 0)
		;
	ASSERT_EQ(ENOSPC, errno);

	EXPECT_EQ(-ENOSPC, checkpoint(self->h, &self->g, self->fd, &job, why,
				      sizeof(why)));
	EXPECT_NE(NULL, strstr(why, "writing the image into the area failed"))
		TH_LOG("%s", why);
	EXPECT_EQ(good, newest_committed(self->fd));
	EXPECT_EQ(0, slots_in_state(self->fd, CKPT_SLOT_WRITING));
	EXPECT_EQ(0, module_info().held_pages);
	EXPECT_EQ(0, verify_generation(area, good, &self->g, before, after, why,
				       sizeof(why)))
		TH_LOG("%s", why);

	close(filler);
	unlink(FULLFS "/filler");
	EXPECT_EQ(0, checkpoint(self->h, &self->g, self->fd, &job, why, sizeof(why)))
		TH_LOG("%s", why);
	EXPECT_TRUE(group_progressed(&self->g, after));
	EXPECT_EQ(0, group_stop(&self->g)) TH_LOG("the group's own checks failed");
	close(self->fd);
	self->fd = -1;
	EXPECT_EQ(0, umount(FULLFS));
}

TEST_HARNESS_MAIN
