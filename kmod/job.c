// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * Checkpoint jobs: the registry of streaming and recent checkpoints.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>

#include "area.h"
#include "job.h"
#include "snap.h"
#include "tcpx.h"

/* Finished jobs kept for ckptctl status and late waiters. */
#define RECENT_JOBS 16

static LIST_HEAD(jobs);
static DEFINE_MUTEX(jobs_lock);	/* protects jobs and nr_finished */
static unsigned int nr_finished;
/* Bumped whenever the list changes: lets a dump report inconsistency. */
static unsigned int jobs_seq = 1;
static atomic64_t next_id = ATOMIC64_INIT(0);
/* Jobs allocated and not yet freed: must be 0 after a run (selftests). */
static atomic_t nr_live = ATOMIC_INIT(0);

struct ckpt_job *ckpt_job_new(void)
{
	struct ckpt_job *job = kzalloc(sizeof(*job), GFP_KERNEL);

	if (!job)
		return NULL;
	kref_init(&job->kref);
	INIT_LIST_HEAD(&job->node);
	init_completion(&job->done);
	job->id = atomic64_inc_return(&next_id);
	job->state = CKPT_JOB_STREAMING;
	atomic_inc(&nr_live);
	return job;
}

static void job_free(struct kref *kref)
{
	struct ckpt_job *job = container_of(kref, struct ckpt_job, kref);

	ckpt_snap_free(job->snap);
	ckpt_area_close(job->area);
	kfree(job);
	atomic_dec(&nr_live);
}

void ckpt_job_put(struct ckpt_job *job)
{
	if (job)
		kref_put(&job->kref, job_free);
}

/* The registry takes its own reference. */
void ckpt_job_publish(struct ckpt_job *job)
{
	kref_get(&job->kref);
	mutex_lock(&jobs_lock);
	list_add_tail(&job->node, &jobs);
	jobs_seq++;
	mutex_unlock(&jobs_lock);
}

struct ckpt_job *ckpt_job_get(u64 id)
{
	struct ckpt_job *job, *found = NULL;

	mutex_lock(&jobs_lock);
	list_for_each_entry(job, &jobs, node) {
		if (job->id == id) {
			kref_get(&job->kref);
			found = job;
			break;
		}
	}
	mutex_unlock(&jobs_lock);
	return found;
}

/* Forget the oldest finished jobs beyond RECENT_JOBS. */
static void trim_recent(void)
{
	struct ckpt_job *job, *tmp;

	lockdep_assert_held(&jobs_lock);
	list_for_each_entry_safe(job, tmp, &jobs, node) {
		if (nr_finished <= RECENT_JOBS)
			break;
		if (READ_ONCE(job->state) == CKPT_JOB_STREAMING)
			continue;
		list_del_init(&job->node);
		nr_finished--;
		jobs_seq++;
		ckpt_job_put(job);
	}
}

/**
 * ckpt_job_next() - the first job with an id above @after, referenced
 * @after: an id, 0 for the first job
 * @seq: receives the registry's change counter
 *
 * Jobs are listed in increasing id order, so an id is a dump cursor.
 *
 * Return: the job (release with ckpt_job_put()) or NULL.
 */
struct ckpt_job *ckpt_job_next(u64 after, unsigned int *seq)
{
	struct ckpt_job *job, *found = NULL;

	mutex_lock(&jobs_lock);
	*seq = jobs_seq;
	list_for_each_entry(job, &jobs, node) {
		if (job->id > after) {
			kref_get(&job->kref);
			found = job;
			break;
		}
	}
	mutex_unlock(&jobs_lock);
	return found;
}

/**
 * ckpt_job_finish() - record the outcome and wake waiters
 * @job: the job
 * @error: 0 when committed, else a negative errno
 * @why: static explanation of @error, or NULL
 *
 * A failed checkpoint's held TCP connections run on (tcpx.c). Sleeps.
 */
void ckpt_job_finish(struct ckpt_job *job, int error, const char *why)
{
	if (error)
		ckpt_tcpx_release_owner(job->id);
	job->error = error;
	job->why = why;
	WRITE_ONCE(job->state, error ? CKPT_JOB_FAILED : CKPT_JOB_COMMITTED);
	complete_all(&job->done);
	mutex_lock(&jobs_lock);
	if (!list_empty(&job->node)) {
		nr_finished++;
		trim_recent();
	}
	mutex_unlock(&jobs_lock);
}

unsigned int ckpt_job_live(void)
{
	return atomic_read(&nr_live);
}

/* Module exit: writers hold module references, so only finished jobs remain. */
void __exit ckpt_job_exit(void)
{
	struct ckpt_job *job, *tmp;

	mutex_lock(&jobs_lock);
	list_for_each_entry_safe(job, tmp, &jobs, node) {
		list_del_init(&job->node);
		ckpt_job_put(job);
	}
	nr_finished = 0;
	mutex_unlock(&jobs_lock);
	if (atomic_read(&nr_live))
		pr_err("%d checkpoint jobs leaked\n", atomic_read(&nr_live));
}
