// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * System V shared memory: the segments the group has attached, recorded
 * once (SYSV_SHM records), and at restore the attachment a restoring
 * process made of a segment, which its mappings of it are made from.
 *
 * What ipc/shm.c of 6.1 keeps to itself and what this relies on:
 * - shmat() maps a clone of the segment's shmem file (do_shmat(),
 *   alloc_file_clone()): the same path — the dentry newseg() named
 *   "SYSV" + the key as 8 hex digits on an internal mount — and the same
 *   inode, but the clone's own file_operations (shm_file_operations), not
 *   the inode's. A file opened on that inode any other way (through
 *   /proc/PID/map_files) has the inode's.
 * - newseg() numbers the segment's inode with its id
 *   (file_inode(file)->i_ino = shp->shm_perm.id), and the id never
 *   changes; the key changes only on IPC_RMID, to IPC_PRIVATE with
 *   SHM_DEST set in the mode.
 * - struct shmid_kernel starts with its struct kern_ipc_perm, which is
 *   what the namespace's shm idr holds: the owner, mode and key are read
 *   there, under the object's lock, and only while it is not deleted.
 * - mmap() of an attachment's file (shm_mmap()) makes one more attachment
 *   of its segment, counted in shm_nattch, as fork() does.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/ipc.h>
#include <linux/ipc_namespace.h>
#include <linux/mm.h>
#include <linux/mount.h>
#include <linux/netlink.h>
#include <linux/pagemap.h>
#include <linux/nsproxy.h>
#include <linux/sched/task.h>
#include <linux/shm.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>
#include <linux/uio.h>

#include "fault.h"
#include "group.h"
#include "snap.h"
#include "sysv.h"

#define SYSV_PREFIX	"SYSV"

/*
 * ipc/util.h and ipc/shm.c keep these to themselves in 6.1. The mode bits
 * are user ABI too: shmctl(IPC_STAT) shows them in shm_perm.mode (glibc's
 * bits/shm.h has them); the index of the shm ids in ipc_namespace.ids[]
 * follows the order sem, msg, shm there.
 */
#define CKPT_IPC_SHM_IDS	2
#define CKPT_SHM_MODE_DEST	01000	/* SHM_DEST */
#define CKPT_SHM_MODE_LOCKED	02000	/* SHM_LOCKED */

/**
 * ckpt_sysv_named() - is @file the shmem file of a System V segment,
 *	however it was opened?
 * @file: a mapped file
 */
bool ckpt_sysv_named(const struct file *file)
{
	return (file->f_path.mnt->mnt_flags & MNT_INTERNAL) &&
	       !strncmp(file->f_path.dentry->d_name.name, SYSV_PREFIX,
			strlen(SYSV_PREFIX));
}

/**
 * ckpt_sysv_is_attach() - is @file the file of a shmat() attachment?
 * @file: a mapped file
 *
 * Return: true for the clone do_shmat() maps (see the top of this file).
 */
bool ckpt_sysv_is_attach(const struct file *file)
{
	return ckpt_sysv_named(file) && file->f_op != file_inode(file)->i_fop;
}

/* The key newseg() wrote into the segment's name. */
static int name_key(const struct file *file, s32 *key)
{
	const char *hex = file->f_path.dentry->d_name.name + strlen(SYSV_PREFIX);
	u32 v;

	if (kstrtou32(hex, 16, &v))
		return -EINVAL;
	*key = (s32)v;
	return 0;
}

/*
 * Read the segment of id @id from @ns into @rec, under RCU and the
 * object's lock (ipc_lock_object()), as ipc code does. idr_get_next()
 * rather than idr_find(): the index is the id's low bits, a split that
 * ipcmni_extend changes and ipc/util.h keeps to itself.
 */
static int read_perm(struct ipc_namespace *ns, int id, s32 named,
		     struct ckpt_sysv_seg *rec)
{
	struct user_namespace *uns = current_user_ns();
	struct kern_ipc_perm *perm;
	int idx = 0, ret = -ENOENT;

	rcu_read_lock();
	while ((perm = idr_get_next(&ns->ids[CKPT_IPC_SHM_IDS].ipcs_idr, &idx))) {
		if (perm->id == id)
			break;
		idx++;
	}
	if (perm) {
		spin_lock(&perm->lock);
		/*
		 * An attached segment keeps its id: IPC_RMID only marks it
		 * SHM_DEST until the last detach. The key check is for a
		 * lookup in another namespace than the attach's (describe()).
		 */
		if (!perm->deleted &&
		    (perm->key == named || (perm->mode & CKPT_SHM_MODE_DEST))) {
			rec->key = perm->key;
			rec->mode = perm->mode & 0777;
			if (perm->mode & CKPT_SHM_MODE_DEST)
				rec->flags |= CKPT_SHM_DEST;
			if (perm->mode & CKPT_SHM_MODE_LOCKED)
				rec->flags |= CKPT_SHM_LOCKED;
			rec->uid = from_kuid_munged(uns, perm->uid);
			rec->gid = from_kgid_munged(uns, perm->gid);
			rec->cuid = from_kuid_munged(uns, perm->cuid);
			rec->cgid = from_kgid_munged(uns, perm->cgid);
			ret = 0;
		}
		spin_unlock(&perm->lock);
	}
	rcu_read_unlock();
	return ret;
}

/* Room for @n segments in both arrays. */
static int set_grow(struct ckpt_sysv_set *set, unsigned int n)
{
	struct ckpt_sysv_held *held;
	struct ckpt_sysv_seg *recs;

	if (n <= set->cap)
		return 0;
	recs = krealloc_array(set->recs, n, sizeof(*recs), GFP_KERNEL);
	if (!recs)
		return -ENOMEM;
	set->recs = recs;
	held = krealloc_array(set->held, n, sizeof(*held), GFP_KERNEL);
	if (!held)
		return -ENOMEM;
	set->held = held;
	set->cap = n;
	return 0;
}

/**
 * ckpt_sysv_reserve() - make room, before the park, for the segment a
 *	shmat() mapping attaches
 * @set: the freeze's segments
 * @vma: a mapping whose file ckpt_sysv_is_attach(), its mmap_lock held
 *
 * The record and the bitmap of the segment are allocated here, while the
 * group runs; ckpt_sysv_note() takes them inside the freeze. A segment is
 * reserved once however many mappings attach it. Past
 * CKPT_MAX_SYSV_SEGS nothing is reserved: ckpt_sysv_note() refuses.
 *
 * Return: 0 or -ENOMEM.
 */
int ckpt_sysv_reserve(struct ckpt_sysv_set *set, struct vm_area_struct *vma)
{
	struct inode *inode = file_inode(vma->vm_file);
	struct ckpt_sysv_held *spare, *s;
	unsigned int i, n = set->nr_spare;
	int ret;

	for (i = 0; i < n; i++)
		if (set->spare[i].inode == inode)
			return 0;
	if (n == CKPT_MAX_SYSV_SEGS)
		return 0;
	if (ckpt_fault_inject(CKPT_FAULT_SNAP))
		return -ENOMEM;
	ret = set_grow(set, n + 1);
	if (ret)
		return ret;
	spare = krealloc_array(set->spare, n + 1, sizeof(*spare), GFP_KERNEL);
	if (!spare)
		return -ENOMEM;
	set->spare = spare;
	s = &spare[n];
	s->inode = inode;
	s->nr_pages = DIV_ROUND_UP(i_size_read(inode), PAGE_SIZE);
	s->copied = bitmap_zalloc(s->nr_pages, GFP_KERNEL);
	if (!s->copied)
		return -ENOMEM;
	set->nr_spare++;
	return 0;
}

/*
 * The segment of @vma, read from the freezing caller's IPC namespace. The
 * process must be in that namespace: restore makes the segment again in
 * the restorer's, by id. The mapping's own namespace (shm_file_data) is
 * private to ipc/shm.c: a process that attached the segment in another
 * namespace and then entered the caller's (setns()) would have its id
 * looked up in the wrong one, where the id names another segment or
 * none. The key in the segment's name catches that unless both segments
 * are private (IPC_PRIVATE), a gap left open.
 */
static int describe(struct task_struct *task, struct vm_area_struct *vma,
		    struct ckpt_sysv_seg *rec, struct netlink_ext_ack *extack)
{
	struct ipc_namespace *mine = current->nsproxy->ipc_ns;
	struct file *file = vma->vm_file;
	struct inode *inode = file_inode(file);
	bool same_ns;
	s32 named;

	task_lock(task);	/* protects task->nsproxy */
	same_ns = task->nsproxy && task->nsproxy->ipc_ns == mine;
	task_unlock(task);
	if (!same_ns) {
		ckpt_err_setf(extack, 0, 0,
			      "System V segment %lu is attached in another IPC namespace than the checkpointing caller's: not supported",
			      inode->i_ino);
		return -EINVAL;
	}
	if (inode->i_ino > INT_MAX || name_key(file, &named) ||
	    read_perm(mine, (int)inode->i_ino, named, rec)) {
		ckpt_err_setf(extack, 0, 0,
			      "System V segment %lu is not found in the IPC namespace",
			      inode->i_ino);
		return -EINVAL;
	}
	rec->shmid = (s32)inode->i_ino;
	rec->size = i_size_read(inode);
	if (SHMEM_I(inode)->flags & VM_NORESERVE)
		rec->flags |= CKPT_SHM_NORESERVE;
	return 0;
}

/**
 * ckpt_sysv_note() - the segment a shmat() mapping attaches, recorded the
 *	first time the freeze meets it
 * @set: the freeze's segments
 * @task: the process mapping it (parked)
 * @vma: a mapping whose file ckpt_sysv_is_attach()
 * @extack: the reason on failure (the caller names the process and mapping)
 *
 * Return: what the checkpoint holds of the segment, or an ERR_PTR.
 */
struct ckpt_sysv_held *ckpt_sysv_note(struct ckpt_sysv_set *set,
				      struct task_struct *task,
				      struct vm_area_struct *vma,
				      struct netlink_ext_ack *extack)
{
	struct inode *inode = file_inode(vma->vm_file);
	struct ckpt_sysv_seg rec = { 0 };
	struct ckpt_sysv_held *held;
	unsigned int i;
	int ret;

	for (i = 0; i < set->nr; i++)
		if (set->held[i].inode == inode)
			return &set->held[i];
	ret = describe(task, vma, &rec, extack);
	if (ret)
		return ERR_PTR(ret);
	/* Inside the freeze: only what ckpt_sysv_reserve() made room for. */
	for (i = 0; i < set->nr_spare; i++) {
		struct ckpt_sysv_held *s = &set->spare[i];

		if (s->inode == inode && s->copied &&
		    s->nr_pages == DIV_ROUND_UP(rec.size, PAGE_SIZE))
			break;
	}
	if (i == set->nr_spare && set->nr_spare == CKPT_MAX_SYSV_SEGS) {
		ckpt_err_setf(extack, 0, 0,
			      "more System V segments than an image carries (%d)",
			      CKPT_MAX_SYSV_SEGS);
		return ERR_PTR(-E2BIG);
	}
	if (i == set->nr_spare || set->nr == set->cap) {
		ckpt_err_setf(extack, 0, 0,
			      "System V segment %d was attached after the freeze was prepared",
			      rec.shmid);
		return ERR_PTR(-EAGAIN);
	}
	held = &set->held[set->nr];
	*held = set->spare[i];
	set->spare[i].copied = NULL;
	set->recs[set->nr++] = rec;
	return held;
}

/**
 * ckpt_sysv_record() - the SYSV_SHM record of the process just captured
 * @set: the freeze's segments; those met since the last call are the
 *	process's
 * @buf: the process's record buffer
 *
 * Return: 0 or -ENOMEM.
 */
int ckpt_sysv_record(struct ckpt_sysv_set *set, struct ckpt_buf *buf)
{
	struct ckpt_rec_sysv_shm rec = { .nr_segs = set->nr - set->first };
	struct kvec parts[] = {
		{ &rec, sizeof(rec) },
		{ set->recs + set->first, rec.nr_segs * sizeof(*set->recs) },
	};

	set->first = set->nr;
	return ckpt_buf_put(buf, CKPT_REC_SYSV_SHM, parts, ARRAY_SIZE(parts));
}

/**
 * ckpt_sysv_check_unmapped() - refuse segments with contents no mapping
 *	of the group holds
 * @set: the freeze's segments, every process captured
 * @extack: the reason, naming the segment
 *
 * Pages are carried in the runs of the mappings that map them; a page of
 * a segment outside every attachment (a part munmap()ed) would be lost.
 * The inodes are alive: parked processes map them.
 *
 * Return: 0 or -EINVAL.
 */
int ckpt_sysv_check_unmapped(struct ckpt_sysv_set *set,
			     struct netlink_ext_ack *extack)
{
	struct folio *folio;
	unsigned int i;
	unsigned long idx;

	for (i = 0; i < set->nr; i++) {
		struct ckpt_sysv_held *held = &set->held[i];

		for_each_clear_bit(idx, held->copied, held->nr_pages) {
			folio = __filemap_get_folio(held->inode->i_mapping, idx,
						    FGP_ENTRY, 0);
			if (!folio)
				continue;
			if (!xa_is_value(folio))
				folio_put(folio);
			ckpt_err_setf(extack, 0, 0,
				      "System V segment %d has contents at page %lu that no process of the group maps: not supported",
				      set->recs[i].shmid, idx);
			return -EINVAL;
		}
		cond_resched();
	}
	return 0;
}

void ckpt_sysv_set_free(struct ckpt_sysv_set *set)
{
	unsigned int i;

	for (i = 0; i < set->nr; i++)
		bitmap_free(set->held[i].copied);
	for (i = 0; i < set->nr_spare; i++)
		bitmap_free(set->spare[i].copied);
	kfree(set->spare);
	kfree(set->held);
	kfree(set->recs);
	memset(set, 0, sizeof(*set));
}

/**
 * ckpt_sysv_attach_file() - the file of the caller's own attachment of a
 *	segment
 * @shmid: the segment's id in the caller's IPC namespace
 * @rdonly: the attachment must be SHM_RDONLY (its file not open for
 *	writing), or must not be
 *
 * A restoring process attaches each segment it had with shmat() before
 * CKPT_CMD_RESTORE_MM; mapping that attachment's file makes each recorded
 * mapping another attachment of the segment (shm_mmap()), after the
 * process's own is gone with the rest of its memory.
 *
 * Return: a reference to the file, or NULL if there is no such attachment.
 */
struct file *ckpt_sysv_attach_file(int shmid, bool rdonly)
{
	struct mm_struct *mm = current->mm;
	struct vm_area_struct *vma;
	struct file *found = NULL;
	unsigned long addr = 0;

	mmap_read_lock(mm);
	while (!found && (vma = find_vma(mm, addr))) {
		struct file *file = vma->vm_file;

		if (file && ckpt_sysv_is_attach(file) &&
		    file_inode(file)->i_ino == (unsigned long)shmid &&
		    !(file->f_mode & FMODE_WRITE) == rdonly)
			found = get_file(file);
		addr = vma->vm_end;
	}
	mmap_read_unlock(mm);
	return found;
}

/*
 * ipc/sem.c keeps struct sem_undo_list to itself (6.1): a reference count,
 * its lock, then the list of the struct sem_undo that semop() with
 * SEM_UNDO adds, one per semaphore set, kept (with zero adjustments too)
 * until the set is removed or the last sharer exits (exit_sem(), which
 * frees the list with kfree(), not after RCU). Every thread made with
 * CLONE_SYSVSEM has one, so only a non-empty list means state.
 */
struct ckpt_sem_undo_list {
	refcount_t refcnt;
	spinlock_t lock;	/* ipc/sem.c's: protects list_proc's writers */
	struct list_head list_proc;
};

/**
 * ckpt_sysv_sem_undo_held() - does a thread hold semaphore adjustments?
 * @t: current, or a thread that cannot exit meanwhile (stopped, under its
 *	siglock)
 *
 * The adjustments themselves are private to ipc/sem.c, so a holder is
 * refused rather than restored without them. A set removed meanwhile
 * unlinks its entries (list_del_rcu() under the list's lock): reading
 * the head once is enough to tell.
 *
 * Return: true if it has undo entries.
 */
bool ckpt_sysv_sem_undo_held(struct task_struct *t)
{
#ifdef CONFIG_SYSVIPC
	struct ckpt_sem_undo_list *ulp =
		(struct ckpt_sem_undo_list *)t->sysvsem.undo_list;

	return ulp && !list_empty(&ulp->list_proc);
#else
	return false;
#endif
}
