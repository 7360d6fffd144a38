/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * Checkpoint jobs: one per freeze, alive while its snapshot streams and
 * kept a while afterwards so callers can wait for it and read its result.
 */
#ifndef CKPT_JOB_H
#define CKPT_JOB_H

#include <linux/completion.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/types.h>
#include <linux/uidgid.h>
#include <linux/ckpt.h>

struct ckpt_area;
struct ckpt_snapshot;

/**
 * struct ckpt_job - one checkpoint
 * @kref: references: the registry, the writer, waiters
 * @node: entry in the registry
 * @id: unique id, from 1
 * @pgid: the group, in the requester's pid namespace
 * @generation: area generation being written
 * @image_len: bytes of the image
 * @written: bytes written so far (READ_ONCE)
 * @rate: bytes per second limit, 0 for none
 * @freeze_ns: park start to release
 * @park_ns: park start to the last thread parked
 * @capture_ns: capture while parked
 * @flush_ns: the TLB flush after the capture
 * @stream_ns: release to commit, once finished
 * @nr_tasks: processes
 * @nr_threads: threads
 * @nr_pages: pages the image carries
 * @parent_generation: the generation an incremental image builds on, or 0
 * @state: enum ckpt_job_state (READ_ONCE)
 * @error: negative errno once FAILED
 * @why: static explanation of @error, or NULL
 * @done: completed when the job reaches COMMITTED or FAILED
 * @snap: the snapshot, owned by the writer until it finishes
 * @area: the area, owned by the writer until it finishes
 * @uid: real uid of the requester
 */
struct ckpt_job {
	struct kref kref;
	struct list_head node;
	u64 id;
	pid_t pgid;
	u64 generation;
	u64 image_len;
	u64 written;
	u64 rate;
	u64 freeze_ns;
	u64 park_ns;
	u64 capture_ns;
	u64 flush_ns;
	u64 stream_ns;
	u32 nr_tasks;
	u32 nr_threads;
	u64 nr_pages;
	u64 parent_generation;
	int state;
	int error;
	const char *why;
	struct completion done;
	struct ckpt_snapshot *snap;
	struct ckpt_area *area;
	kuid_t uid;
};

struct ckpt_job *ckpt_job_new(void);
void ckpt_job_publish(struct ckpt_job *job);
struct ckpt_job *ckpt_job_get(u64 id);
struct ckpt_job *ckpt_job_next(u64 after, unsigned int *seq);
void ckpt_job_put(struct ckpt_job *job);
void ckpt_job_finish(struct ckpt_job *job, int error, const char *why);
unsigned int ckpt_job_live(void);
void __exit ckpt_job_exit(void);

#endif /* CKPT_JOB_H */
