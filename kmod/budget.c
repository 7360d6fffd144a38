// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * What a checkpoint costs, weighed before the group is stopped: the memory
 * it may take while its image streams, and the least room its image needs.
 *
 * The memory rule (Documentation/security.rst): every private anonymous
 * page the snapshot holds stays allocated until the writer has written it,
 * and the group's next write to it allocates a copy, charged to the
 * writing process's memory cgroup; shared memory is copied at the freeze.
 * In the worst case, a group that rewrites all its memory while the image
 * streams, the checkpoint costs as much memory again as the group has.
 * That worst case must fit in the system's available memory and in the
 * room left under every limit of each memory cgroup the group's processes
 * are in; otherwise the checkpoint is refused with the numbers, rather
 * than letting the OOM killer take the group (or a bystander) later.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/sched/task.h>
#include <linux/slab.h>

#include "budget.h"
#include "fault.h"
#include "group.h"
#include "snap.h"

#define MIB(pages)	((u64)(pages) >> (20 - PAGE_SHIFT))

#ifdef CONFIG_MEMCG
/* Pages @memcg and all its ancestors can still charge before a limit. */
static u64 memcg_headroom(struct mem_cgroup *memcg)
{
	u64 room = U64_MAX;

	for (; memcg; memcg = parent_mem_cgroup(memcg)) {
		unsigned long max = READ_ONCE(memcg->memory.max);
		unsigned long used = page_counter_read(&memcg->memory);

		room = min_t(u64, room, max > used ? max - used : 0);
	}
	return room;
}

/*
 * The anonymous pages of the processes in each memory cgroup must fit
 * under that cgroup's limits. Groups are small (max_tasks), so a
 * quadratic pass over the processes is fine.
 */
static int check_memcgs(struct task_struct **tasks, unsigned int n,
			struct netlink_ext_ack *extack)
{
	struct mem_cgroup **memcg;
	u64 *pages, sum, room;
	unsigned int i, j;
	int ret = 0;

	memcg = kcalloc(n, sizeof(*memcg), GFP_KERNEL);
	pages = kcalloc(n, sizeof(*pages), GFP_KERNEL);
	if (!memcg || !pages) {
		ret = -ENOMEM;
		goto out_free;
	}
	for (i = 0; i < n; i++) {
		struct mm_struct *mm = get_task_mm(tasks[i]);

		if (!mm)
			continue;
		memcg[i] = get_mem_cgroup_from_mm(mm);
		pages[i] = get_mm_counter(mm, MM_ANONPAGES);
		mmput(mm);
	}
	for (i = 0; i < n && !ret; i++) {
		if (!memcg[i])
			continue;
		for (j = 0; j < i && memcg[j] != memcg[i]; j++)
			;
		if (j < i)
			continue;	/* weighed with its first process */
		for (sum = 0, j = i; j < n; j++)
			if (memcg[j] == memcg[i])
				sum += pages[j];
		room = memcg_headroom(memcg[i]);
		if (sum > room) {
			ckpt_err_setf(extack, task_pid_vnr(tasks[i]), 0,
				      "the checkpoint may need %llu MiB more in this process's memory cgroup while the image streams (copies of the anonymous memory there, if rewritten), and its limits leave %llu MiB",
				      MIB(sum), MIB(room));
			ret = -ENOMEM;
		}
	}
	for (i = 0; i < n; i++)
		if (memcg[i])
			mem_cgroup_put(memcg[i]);
out_free:
	kfree(pages);
	kfree(memcg);
	return ret;
}
#else
static int check_memcgs(struct task_struct **tasks, unsigned int n,
			struct netlink_ext_ack *extack)
{
	return 0;
}
#endif

/**
 * ckpt_budget_memory() - can the system afford a checkpoint of the group?
 * @tasks: the group's processes (references held by the caller)
 * @n: entries in @tasks
 * @cost: what their snapshot will hold (ckpt_snap_check_mm())
 * @extack: receives the numbers on refusal
 *
 * Return: 0 or -ENOMEM.
 */
int ckpt_budget_memory(struct task_struct **tasks, unsigned int n,
		       const struct ckpt_mm_cost *cost,
		       struct netlink_ext_ack *extack)
{
	u64 need = cost->anon_pages + cost->shmem_pages;
	long avail = si_mem_available();

	if (avail < 0)
		avail = 0;
	if (need > (u64)avail) {
		ckpt_err_setf(extack, 0, 0,
			      "the checkpoint may need %llu MiB of memory while the image streams (%llu MiB of anonymous memory if rewritten, %llu MiB of shared memory copied), and %llu MiB are available",
			      MIB(need), MIB(cost->anon_pages),
			      MIB(cost->shmem_pages), MIB(avail));
		return -ENOMEM;
	}
	return check_memcgs(tasks, n, extack);
}

/**
 * ckpt_budget_image_bytes() - the least an image of the group takes
 * @cost: what the snapshot will hold
 *
 * Pages and mapping records only: registers, descriptors and paths come
 * on top, and a child's pages may all be its parent's (written once), so
 * a refusal on this figure is never wrong.
 */
u64 ckpt_budget_image_bytes(const struct ckpt_mm_cost *cost)
{
	return sizeof(struct ckpt_image_hdr) +
	       (cost->anon_pages - cost->forkable_pages + cost->shmem_pages) *
	       PAGE_SIZE +
	       cost->nr_vmas * (sizeof(struct ckpt_rec_hdr) +
				sizeof(struct ckpt_rec_vma));
}
