// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * libckpt: System V shared memory made again. The controller makes each
 * segment of the image's SYSV_SHM records once, before the first fork,
 * with its id (/proc/sys/kernel/shm_next_id), key, creator, owner, mode
 * and size, and fills it like any shared memory object (restore_shm.c).
 * Each restoring process attaches the segments its mappings attach
 * (shmat()) right before CKPT_CMD_RESTORE_MM, and the module makes every
 * recorded mapping another attachment of that one (ckpt_restore_vma.fd
 * is then the segment id). A segment that was removed (IPC_RMID) while
 * attached is removed again once every process has attached it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "restore.h"

#define NEXT_ID		"/proc/sys/kernel/shm_next_id"

/* The segment made for id @shmid, or NULL. */
struct rst_shm *libckpt_rst_find_sysv(const struct tree *tr, int64_t shmid)
{
	size_t i;

	for (i = 0; i < tr->nr_shms; i++)
		if (tr->shms[i].sysv && tr->shms[i].ino == (uint64_t)shmid)
			return &tr->shms[i];
	return NULL;
}

/* Refuse a segment whose id or key another segment holds now. */
static int check_free(const struct tree *tr, const struct ckpt_sysv_seg *g)
{
	struct shmid_ds ds;
	int other;

	if (!shmctl(g->shmid, IPC_STAT, &ds) || errno == EACCES)
		return fail(tr->e, -EEXIST, "System V segment %d: its id is taken by another segment (remove it with ipcrm -m %d if it is the checkpointed one)",
			    g->shmid, g->shmid);
	other = g->key == IPC_PRIVATE ? -1 : shmget(g->key, 0, 0);
	if (other >= 0 || (g->key != IPC_PRIVATE && errno == EACCES))
		return fail(tr->e, -EEXIST, "System V segment %d: its key 0x%08x is taken by segment %d",
			    g->shmid, (unsigned int)g->key, other);
	return 0;
}

/* The id the next segment of our IPC namespace gets. */
static int choose_id(int shmid)
{
	char buf[16];
	int fd, n, ret = 0;

	fd = open(NEXT_ID, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = snprintf(buf, sizeof(buf), "%d", shmid);
	if (write(fd, buf, (size_t)n) != n)
		ret = -errno;
	close(fd);
	return ret;
}

/*
 * shmget() as the segment's creator: the kernel takes cuid and cgid from
 * the caller's effective ids (newseg()). Raw system calls change only this
 * thread's ids, and only for the call; going back to our own effective
 * ids is always allowed (they are still our real and saved ones). *@id
 * is the segment made, or -1.
 */
static int create_as_creator(const struct ckpt_sysv_seg *g, int *id)
{
	uid_t euid = geteuid();
	gid_t egid = getegid();
	int flags = IPC_CREAT | IPC_EXCL | (int)g->mode |
		    (g->flags & CKPT_SHM_NORESERVE ? SHM_NORESERVE : 0);
	int err = 0;

	*id = -1;
	if (g->cgid != egid && syscall(SYS_setresgid, -1, g->cgid, -1))
		return -errno;
	if (g->cuid == euid || !syscall(SYS_setresuid, -1, g->cuid, -1)) {
		*id = shmget(g->key, g->size, flags);
		if (*id < 0)
			err = -errno;
	} else {
		err = -errno;
	}
	if (g->cuid != euid && *id != -1 && syscall(SYS_setresuid, -1, euid, -1))
		err = -errno;
	if (g->cgid != egid && syscall(SYS_setresgid, -1, egid, -1))
		err = -errno;
	return err;
}

/* Owner, mode and lock, as recorded. */
static int set_owner(const struct ckpt_sysv_seg *g)
{
	struct shmid_ds ds;

	if (shmctl(g->shmid, IPC_STAT, &ds))
		return -errno;
	ds.shm_perm.uid = g->uid;
	ds.shm_perm.gid = g->gid;
	ds.shm_perm.mode = g->mode;
	if (shmctl(g->shmid, IPC_SET, &ds))
		return -errno;
	if ((g->flags & CKPT_SHM_LOCKED) && shmctl(g->shmid, SHM_LOCK, NULL))
		return -errno;
	return 0;
}

/*
 * A descriptor of the segment's shmem file, to fill it: through
 * /proc/self/map_files of an attachment of our own (which asks for
 * CAP_CHECKPOINT_RESTORE or CAP_SYS_ADMIN, as for shared anonymous
 * memory); detached at once.
 */
static int open_segment(const struct ckpt_sysv_seg *g)
{
	uint64_t len = (g->size + CKPT_PAGE_SIZE - 1) & ~(uint64_t)(CKPT_PAGE_SIZE - 1);
	char path[64];
	void *p;
	int fd, err;

	p = shmat(g->shmid, NULL, 0);
	if (p == (void *)-1)
		return -errno;
	snprintf(path, sizeof(path), "/proc/self/map_files/%lx-%lx",
		 (unsigned long)p, (unsigned long)p + len);
	fd = open(path, O_RDWR | O_CLOEXEC);
	err = errno;
	shmdt(p);
	return fd < 0 ? -err : fd;
}

/* The device the image recorded for the mappings of segment @shmid. */
static uint64_t seg_dev(const struct tree *tr, int shmid)
{
	size_t i;
	uint32_t j;

	for (i = 0; i < tr->n; i++) {
		const struct libckpt_image_task *t = tr->plans[i].task;

		for (j = 0; j < t->rec.nr_vmas; j++)
			if ((t->vmas[j].rec.flags & CKPT_VMA_SYSV) &&
			    t->vmas[j].rec.ino == (uint64_t)shmid)
				return t->vmas[j].rec.dev;
	}
	return 0;
}

static int make_segment(struct tree *tr, const struct ckpt_sysv_seg *g)
{
	struct rst_shm *s = NULL;
	int id, ret, fd;

	ret = check_free(tr, g);
	if (ret)
		return ret;
	ret = choose_id(g->shmid);
	if (ret)
		return fail(tr->e, ret, "System V segment %d: cannot choose its id (" NEXT_ID "): %s",
			    g->shmid, strerror(-ret));
	ret = create_as_creator(g, &id);
	if (id >= 0) {
		s = &tr->shms[tr->nr_shms++];
		*s = (struct rst_shm){ .dev = seg_dev(tr, g->shmid), .ino = (uint64_t)id,
				       .fd = -1, .sysv = true, .seg = g };
	}
	if (ret || !s)
		return fail(tr->e, ret, "System V segment %d (key 0x%08x, %llu bytes): cannot make it again as uid %u gid %u: %s",
			    g->shmid, (unsigned int)g->key, (unsigned long long)g->size,
			    g->cuid, g->cgid, strerror(-ret));
	if (id != g->shmid)
		return fail(tr->e, -EBUSY, "System V segment %d came back as %d: another segment was made meanwhile",
			    g->shmid, id);
	ret = set_owner(g);
	fd = ret ? ret : open_segment(g);
	if (fd < 0)
		return fail(tr->e, fd, "System V segment %d: cannot set its owner, mode or lock, or open it: %s",
			    g->shmid, strerror(-fd));
	s->fd = libckpt_rst_move_high(fd, tr->top);
	s->filled = calloc(g->size / CKPT_PAGE_SIZE / 8 + 1, 1);
	if (s->fd < 0 || !s->filled)
		return fail(tr->e, -ENOMEM, "System V segment %d: no descriptor or memory to fill it",
			    g->shmid);
	return 0;
}

/* Make every segment of the image, in image order, before the first fork. */
int libckpt_rst_make_sysv(struct tree *tr)
{
	const struct libckpt_image_sysv *sv;
	size_t i;
	uint32_t k;
	int ret = 0;

	for (i = 0; !ret && i < tr->n; i++) {
		sv = tr->plans[i].task->sysv;
		for (k = 0; !ret && sv && k < sv->rec.nr_segs; k++)
			ret = make_segment(tr, &sv->segs[k]);
	}
	return ret;
}

/*
 * Once every process has attached its segments (its memory is in place):
 * those removed while attached are removed again. Their key becomes
 * IPC_PRIVATE and they go with their last attachment, as before.
 */
int libckpt_rst_sysv_rmid(const struct tree *tr)
{
	size_t i;

	for (i = 0; i < tr->nr_shms; i++) {
		const struct rst_shm *s = &tr->shms[i];

		if (s->sysv && (s->seg->flags & CKPT_SHM_DEST) &&
		    shmctl((int)s->ino, IPC_RMID, NULL))
			return fail(tr->e, -errno, "System V segment %d: cannot remove it again (IPC_RMID): %s",
				    (int)s->ino, strerror(errno));
	}
	return 0;
}

/* A restore that failed leaves no segment of its own behind. */
void libckpt_rst_sysv_undo(const struct tree *tr)
{
	size_t i;

	for (i = 0; i < tr->nr_shms; i++)
		if (tr->shms[i].sysv)
			shmctl((int)tr->shms[i].ino, IPC_RMID, NULL);
}

/*
 * Attach, in the restoring process, every segment its mappings attach,
 * once per kind (SHM_RDONLY or not), wherever the kernel likes: the
 * module maps the recorded attachments from these and drops them with
 * the rest of the restorer's memory. Raw system calls: the vdso is the
 * image's by now.
 */
int libckpt_rst_sysv_attach(const struct libckpt_image_task *t, struct shared *e)
{
	uint32_t j, k;

	for (j = 0; j < t->rec.nr_vmas; j++) {
		const struct ckpt_rec_vma *v = &t->vmas[j].rec;
		uint32_t rdonly = v->flags & CKPT_VMA_SYSV_RDONLY;

		if (!(v->flags & CKPT_VMA_SYSV))
			continue;
		for (k = 0; k < j; k++)
			if ((t->vmas[k].rec.flags & (CKPT_VMA_SYSV | CKPT_VMA_SYSV_RDONLY)) ==
			    (CKPT_VMA_SYSV | rdonly) && t->vmas[k].rec.ino == v->ino)
				break;
		if (k < j)
			continue;
		if (syscall(SYS_shmat, (int)v->ino, NULL, rdonly ? SHM_RDONLY : 0) == -1)
			return fail(e, -errno, "pid %u mapping at 0x%llx: cannot attach System V segment %d%s: %s",
				    t->rec.pid, (unsigned long long)v->start, (int)v->ino,
				    rdonly ? " (SHM_RDONLY)" : "", strerror(errno));
	}
	return 0;
}
