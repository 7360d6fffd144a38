// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * libckpt: lazy restore (--lazy). The module fills only what the tree
 * needs to start; the rest of each process's anonymous memory is left
 * missing in mappings registered with a userfaultfd, which a page server
 * (a process the controller forks) fills on demand and in the background.
 *
 * A userfaultfd acts on the mm of the task that created it, whoever calls
 * its ioctls (fs/userfaultfd.c: ctx->mm, taken at userfaultfd()), and
 * RESTORE_MM empties and refills the restoring process's own mm rather
 * than replacing it, so each leader creates one before RESTORE_MM, sends
 * it to the controller and closes its own copy: the restored descriptor
 * table is exactly the image's. The server is restore_lazy_serve.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <linux/userfaultfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/user.h>
#include <sys/wait.h>

#include "restore.h"

#define PAGE		((uint64_t)CKPT_PAGE_SIZE)

#define UFFD_FEATURES	(UFFD_FEATURE_EVENT_FORK | UFFD_FEATURE_EVENT_REMAP | \
			 UFFD_FEATURE_EVENT_REMOVE | UFFD_FEATURE_EVENT_UNMAP)

/* --- the plan: what the module fills and what the server does ------------- */

/*
 * What is served later is what the image format lets come late
 * (CKPT_LATE_*, libckpt_late_mapping()), counting the pages this restore
 * fills in the mapping (a forked child's copies of its parent's too).
 * Only private anonymous memory: userfaultfd's MISSING mode takes
 * anonymous, shmem and hugetlb mappings (vma_can_userfault(), 6.1), and
 * shared memory is the controller's (restore_shm.c). Stacks, locked
 * mappings (populated when made), THP-advised ones (UFFDIO_COPY maps
 * small pages), MADV_WIPEONFORK ones (a forked child's copy would be
 * served the image's data, not zeros) and small ones are filled with the
 * rest, and so is what lies around each thread's instruction and stack
 * pointer.
 */
static bool may_be_lazy(const struct libckpt_image_vma *v, uint64_t data)
{
	struct ckpt_rec_vma r = v->rec;

	r.nr_pages = data / PAGE;
	return libckpt_late_mapping(&r);
}

static int append_run(struct ckpt_restore_run **arr, size_t *n, size_t *cap,
		      uint64_t addr, uint64_t offset)
{
	struct ckpt_restore_run *last = *n ? &(*arr)[*n - 1] : NULL;

	if (last && last->addr + last->nr_pages * PAGE == addr &&
	    last->offset + last->nr_pages * PAGE == offset) {
		last->nr_pages++;
		return 0;
	}
	if (libckpt_rst_grow((void **)arr, cap, *n, sizeof(**arr)))
		return -ENOMEM;
	(*arr)[(*n)++] = (struct ckpt_restore_run){ .addr = addr, .offset = offset,
						    .nr_pages = 1 };
	return 0;
}

static int split_plan(struct plan *p)
{
	const struct libckpt_image_task *t = p->task;
	struct ckpt_restore_run *eager = NULL, *r;
	size_t nr_eager = 0, cap_eager = 0, i, j = 0;
	uint64_t *data, k;
	int ret = 0;

	data = calloc(t->rec.nr_vmas + 1, sizeof(*data));
	p->lazy_vma = calloc(t->rec.nr_vmas + 1, sizeof(*p->lazy_vma));
	if (!data || !p->lazy_vma) {
		free(data);
		return -ENOMEM;
	}
	/* Runs and mappings are both in address order (the module checks). */
	for (i = 0; i < p->nr_runs; i++) {
		while (j < t->rec.nr_vmas && t->vmas[j].rec.end <= p->runs[i].addr)
			j++;
		if (j < t->rec.nr_vmas)
			data[j] += p->runs[i].nr_pages * PAGE;
	}
	for (j = 0; j < t->rec.nr_vmas; j++)
		p->lazy_vma[j] = may_be_lazy(&t->vmas[j], data[j]);
	free(data);
	for (i = 0, j = 0; !ret && i < p->nr_runs; i++) {
		r = &p->runs[i];
		while (j < t->rec.nr_vmas && t->vmas[j].rec.end <= r->addr)
			j++;
		for (k = 0; !ret && k < r->nr_pages; k++) {
			uint64_t addr = r->addr + k * PAGE, off = r->offset + k * PAGE;

			if (j < t->rec.nr_vmas && p->lazy_vma[j] && !libckpt_near_a_thread(t, addr))
				ret = append_run(&p->lazy, &p->nr_lazy, &p->cap_lazy, addr, off);
			else
				ret = append_run(&eager, &nr_eager, &cap_eager, addr, off);
		}
	}
	if (ret) {
		free(eager);
		return ret;
	}
	free(p->runs);
	p->runs = eager;
	p->nr_runs = nr_eager;
	p->cap_runs = cap_eager;
	return 0;
}

int libckpt_rst_lazy_plan(struct tree *tr)
{
	size_t i;

	for (i = 0; i < tr->n; i++)
		if (split_plan(&tr->plans[i]))
			return fail(tr->e, -ENOMEM, "out of memory");
	return 0;
}

/* --- the descriptors, from each leader to the controller ------------------ */

int libckpt_rst_lazy_socket(struct tree *tr)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return fail(tr->e, -errno, "--lazy: cannot create a socket pair: %s",
			    strerror(errno));
	/* Above every recorded number: placing descriptors never hits it. */
	tr->uffd_sock[0] = fcntl(sv[0], F_DUPFD_CLOEXEC, tr->top);
	tr->uffd_sock[1] = fcntl(sv[1], F_DUPFD_CLOEXEC, tr->top);
	close(sv[0]);
	close(sv[1]);
	if (tr->uffd_sock[0] < 0 || tr->uffd_sock[1] < 0)
		return fail(tr->e, -EMFILE, "--lazy: cannot move the socket pair");
	return 0;
}

int libckpt_rst_lazy_send(const struct tree *tr, size_t i)
{
	struct uffdio_api api = { .api = UFFD_API, .features = UFFD_FEATURES };
	uint32_t pid = tr->plans[i].task->rec.pid, idx = (uint32_t)i;
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { &idx, sizeof(idx) };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	int uffd, ret = 0;

	/*
	 * Not UFFD_USER_MODE_ONLY: the restored program's system calls
	 * (read() into a buffer not yet served) fault in the kernel too. So
	 * it needs vm.unprivileged_userfaultfd or CAP_SYS_PTRACE, which a
	 * restoring process still has here (final_caps() comes later), as
	 * UFFD_FEATURE_EVENT_FORK needs.
	 */
	uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (uffd < 0)
		return fail(tr->e, -errno, "pid %u: --lazy: cannot create a userfaultfd: %s%s",
			    pid, strerror(errno), errno == EPERM ?
			    " (it needs CAP_SYS_PTRACE or vm.unprivileged_userfaultfd=1)" : "");
	if (ioctl(uffd, UFFDIO_API, &api)) {
		ret = fail(tr->e, -errno, "pid %u: --lazy: userfaultfd features 0x%llx: %s",
			   pid, (unsigned long long)UFFD_FEATURES, strerror(errno));
		goto out;
	}
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &uffd, sizeof(int));
	if (sendmsg(tr->uffd_sock[1], &mh, MSG_NOSIGNAL) != sizeof(idx))
		ret = fail(tr->e, -errno, "pid %u: --lazy: cannot pass its userfaultfd: %s",
			   pid, strerror(errno));
out:
	close(uffd);
	close(tr->uffd_sock[1]);
	return ret;
}

/* The restore failed after the server started: it serves no one. */
void libckpt_rst_lazy_abort(struct tree *tr)
{
	pid_t pid = tr->e->server;

	if (pid > 0 && tr->o->lazy) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		tr->e->server = 0;
	}
}
