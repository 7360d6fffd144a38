// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * ckptctl check --kernel: test, on the running kernel, the memory
 * management behaviour the snapshot relies on.
 *
 * The module builds against any 6.1 headers (DKMS rebuilds it for every
 * kernel update), but a stable update can change what the snapshot depends
 * on without breaking the build: that do_wp_page() copies a page that is
 * not AnonExclusive and has an extra reference instead of reusing it, that
 * mprotect() does not make such a page writable without a fault, that a THP
 * write-protected at PMD level is split and copied, that a page pinned for
 * DMA (MMF_HAS_PINNED, page_maybe_dma_pinned()) is recognised, and that GUP
 * writes break COW like CPU writes do. kmod/snap.c names each of them.
 *
 * So every probe is a real checkpoint of a small child process: the child
 * fills memory with pattern A, is frozen, and after the release writes B
 * (or has B written for it). The probe passes only if the image holds A
 * (the snapshot is the memory as it was at the freeze) AND the child reads
 * B (the live process sees its own later writes). The first fails if the
 * kernel lets the child write the held page in place; the second if a
 * write went to a page the process no longer maps.
 *
 * Not probed: mm->write_protect_seq (the freeze's walk bumps it so that a
 * GUP-fast racing with it retries, as with fork) guards a window of a few
 * instructions that no probe can aim at; swap and KSM entries need a swap
 * device and a running ksmd.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/io_uring.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include "cli.h"

#define PAGE		CKPT_PAGE_SIZE
#define HUGE		(2UL << 20)
/*
 * Touched memory below the probed pages, in the same mapping. The image
 * holds a process's pages in address order, and the parent reads the image
 * from a pipe only after the child has written: until then the writer can
 * have read at most its buffer (1 MiB, kmod/writer.c) and the pipe's
 * capacity (64 KiB) ahead. 4 MiB of ballast therefore guarantees that the
 * child's writes after the release come before the writer reads the probed
 * pages, so a write the kernel wrongly let through in place reaches the
 * image instead of racing with it.
 */
#define BALLAST		(4UL << 20)
/* How long a child may take to answer: TCG guests on a busy host are slow. */
#define ANSWER_MS	60000

enum { PAT_A = 0xa1, PAT_B = 0xb2, PAT_C = 0xc3, PAT_D = 0xd4 };

enum result { PROBE_OK, PROBE_FAILED, PROBE_SKIPPED };

/* Text output shouts a failure; JSON keeps one case. */
static const char *const result_names[] = { "ok", "FAILED", "skipped" };
static const char *const result_json[] = { "ok", "failed", "skipped" };

/* One message from the child: where its probed pages are, or what it saw. */
struct answer {
	int32_t result;		/* enum result */
	uint32_t pages;		/* probed pages at @addr */
	uint64_t addr;
	char text[160];
};

/* --- the child's side ------------------------------------------------------ */

static int child_cmd = -1;	/* the parent's "go" bytes */
static int child_ans = -1;	/* struct answer to the parent */
static int child_extra = -1;	/* a descriptor a probe hands its child */

static void answer(int result, const void *addr, uint32_t pages,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void answer(int result, const void *addr, uint32_t pages,
		   const char *fmt, ...)
{
	struct answer a = {
		.result = result,
		.pages = pages,
		.addr = (uintptr_t)addr,
	};
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(a.text, sizeof(a.text), fmt, ap);
	va_end(ap);
	/* Below PIPE_BUF: one write, never interleaved. */
	if (write(child_ans, &a, sizeof(a)) != (ssize_t)sizeof(a))
		_exit(1);
}

/*
 * Wait for the parent's go. The freeze happens while the child waits here:
 * parking interrupts the read, which restarts transparently.
 */
static void await_go(void)
{
	ssize_t n;
	char c;

	do
		n = read(child_cmd, &c, 1);
	while (n < 0 && errno == EINTR);
	if (n != 1)
		_exit(1);
}

/* Offset of the first byte of @p[0, @len) that is not @v, or -1. */
static long mismatch(const void *p, size_t len, int v)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (b[i] != (unsigned char)v)
			return (long)i;
	return -1;
}

/* Answer whether the child reads back @v it wrote over @p[0, @len). */
static void answer_reads(const char *p, size_t len, int v, const char *who)
{
	long off = mismatch(p, len, v);

	if (off < 0)
		answer(PROBE_OK, p, 0, "%s reads its write 0x%02x", who, v);
	else
		answer(PROBE_FAILED, p, 0, "%s reads 0x%02x at +%ld after writing 0x%02x",
		       who, (unsigned char)p[off], off, v);
}

/*
 * @len bytes of anonymous private memory, aligned to @align, at the end of
 * one mapping that starts with BALLAST bytes of touched pages. The mapping
 * gets 4K pages (MADV_NOHUGEPAGE): where THP is "always", a 4K probe would
 * otherwise test a huge page. NULL with errno on failure.
 */
static char *map_probed(size_t len, size_t align)
{
	size_t total = BALLAST + len + align, i;
	char *base = mmap(NULL, total, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (base == MAP_FAILED)
		return NULL;
	madvise(base, total, MADV_NOHUGEPAGE);
	for (i = 0; i < BALLAST; i += PAGE)
		base[i] = 1;
	return (char *)(((uintptr_t)base + BALLAST + align - 1) & ~(uintptr_t)(align - 1));
}

/* A 4K page of pattern A, its address sent to the parent. */
static char *ready_page(void)
{
	char *p = map_probed(PAGE, PAGE);

	if (!p) {
		answer(PROBE_FAILED, NULL, 0, "mmap: %s", strerror(errno));
		return NULL;
	}
	memset(p, PAT_A, PAGE);
	return p;
}

/* 4K COW: the write after the freeze takes do_wp_page()'s copy path. */
static void child_cow(void)
{
	char *p = ready_page();

	if (!p)
		return;
	answer(PROBE_OK, p, 1, "ready");
	await_go();
	memset(p, PAT_B, PAGE);
	answer_reads(p, PAGE, PAT_B, "child");
}

/*
 * A page read-only at the freeze, made writable by mprotect() after it:
 * can_change_pte_writable() must not map it writable without a fault,
 * which holds only because the freeze cleared AnonExclusive on read-only
 * PTEs too (KERNEL-NOTES pitfall 3). The page is dirty, so without that
 * the new PTE would be writable at once and the write would land in the
 * held page.
 */
static void child_mprotect(void)
{
	char *p = ready_page();

	if (!p)
		return;
	if (mprotect(p, PAGE, PROT_READ)) {
		answer(PROBE_FAILED, NULL, 0, "mprotect(PROT_READ): %s", strerror(errno));
		return;
	}
	answer(PROBE_OK, p, 1, "ready");
	await_go();
	if (mprotect(p, PAGE, PROT_READ | PROT_WRITE)) {
		answer(PROBE_FAILED, NULL, 0, "mprotect(PROT_WRITE): %s", strerror(errno));
		return;
	}
	memset(p, PAT_B, PAGE);
	answer_reads(p, PAGE, PAT_B, "child");
}

/* AnonHugePages of this process's mapping holding @p, in kB; -1 if none. */
static long anon_huge_kb(const void *p)
{
	FILE *f = fopen("/proc/self/smaps", "re");
	unsigned long start, end;
	bool in = false;
	char line[512];
	long kb = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &start, &end) == 2)
			in = start <= (uintptr_t)p && (uintptr_t)p < end;
		else if (in && sscanf(line, "AnonHugePages: %ld kB", &kb) == 1)
			break;
	}
	fclose(f);
	return kb;
}

/*
 * A 2 MiB range of pattern A backed by one huge page, or NULL (answered:
 * skipped when THP is off or the range got no huge page).
 */
static char *ready_huge(void)
{
	char mode[128] = "", *p, *nl;
	long kb;
	FILE *f;

	f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "re");
	if (!f || !fgets(mode, sizeof(mode), f)) {
		answer(PROBE_SKIPPED, NULL, 0, "this kernel has no transparent huge pages");
		if (f)
			fclose(f);
		return NULL;
	}
	fclose(f);
	nl = strchr(mode, '\n');
	if (nl)
		*nl = '\0';
	if (strstr(mode, "[never]")) {
		answer(PROBE_SKIPPED, NULL, 0, "transparent huge pages are disabled (%s)", mode);
		return NULL;
	}
	p = map_probed(HUGE, HUGE);
	if (!p) {
		answer(PROBE_FAILED, NULL, 0, "mmap: %s", strerror(errno));
		return NULL;
	}
	if (madvise(p, HUGE, MADV_HUGEPAGE)) {
		answer(PROBE_SKIPPED, NULL, 0, "madvise(MADV_HUGEPAGE): %s", strerror(errno));
		return NULL;
	}
	memset(p, PAT_A, HUGE);
	kb = anon_huge_kb(p);
	if (kb < (long)(HUGE >> 10)) {
		answer(PROBE_SKIPPED, NULL, 0,
		       "the 2 MiB range got no huge page (AnonHugePages: %ld kB)", kb);
		return NULL;
	}
	return p;
}

/*
 * THP: held as one PMD-mapped unit, write-protected at PMD level. The
 * write after the freeze makes do_huge_pmd_wp_page() split the PMD and
 * copy the 4K page written; the rest of the 2 MiB keeps pattern A.
 */
static void child_thp(void)
{
	const size_t hit = 100 * PAGE;	/* the page written after the freeze */
	char *p = ready_huge();
	long off;

	if (!p)
		return;
	answer(PROBE_OK, p, HUGE / PAGE, "ready");
	await_go();
	memset(p + hit, PAT_B, PAGE);
	off = mismatch(p + hit, PAGE, PAT_B);
	if (off >= 0) {
		answer(PROBE_FAILED, p, 0, "child reads 0x%02x at +%ld after writing 0x%02x",
		       (unsigned char)p[hit + off], (long)hit + off, PAT_B);
		return;
	}
	off = mismatch(p, hit, PAT_A);
	if (off < 0)
		off = mismatch(p + hit + PAGE, HUGE - hit - PAGE, PAT_A);
	if (off >= 0) {
		answer(PROBE_FAILED, p, 0, "child's unwritten page changed: 0x%02x, not 0x%02x",
		       (unsigned char)p[off], PAT_A);
		return;
	}
	answer(PROBE_OK, p, 0, "child reads its write 0x%02x and 0x%02x around it; "
	       "AnonHugePages %ld kB after the write", PAT_B, PAT_A, anon_huge_kb(p));
}

/*
 * Fork right after the release: the held page is then mapped by two
 * processes and referenced by the snapshot. Each process's write must copy
 * it, and neither may see the other's write.
 */
static void child_fork(void)
{
	char *p = ready_page();
	pid_t pid;
	int st;

	if (!p)
		return;
	answer(PROBE_OK, p, 1, "ready");
	await_go();
	pid = fork();
	if (pid == 0) {
		memset(p, PAT_C, PAGE);
		usleep(50000);	/* while the child writes B */
		_exit(mismatch(p, PAGE, PAT_C) < 0 ? 0 : 1);
	}
	if (pid < 0) {
		answer(PROBE_FAILED, NULL, 0, "fork: %s", strerror(errno));
		return;
	}
	memset(p, PAT_B, PAGE);
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st)) {
		answer(PROBE_FAILED, p, 0, "grandchild does not read its write 0x%02x", PAT_C);
		return;
	}
	if (mismatch(p, PAGE, PAT_B) >= 0) {
		answer_reads(p, PAGE, PAT_B, "child");
		return;
	}
	answer(PROBE_OK, p, 0, "child reads its 0x%02x, grandchild its 0x%02x", PAT_B, PAT_C);
}

/* Shared memory cannot be COW: the freeze copies it, and writes go on in place. */
static void child_shmem(void)
{
	char *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		answer(PROBE_FAILED, NULL, 0, "mmap(MAP_SHARED): %s", strerror(errno));
		return;
	}
	memset(p, PAT_A, PAGE);
	answer(PROBE_OK, p, 1, "ready");
	await_go();
	memset(p, PAT_B, PAGE);
	answer_reads(p, PAGE, PAT_B, "child");
}

/*
 * A write through GUP: the parent writes B into the child's page with
 * process_vm_writev(), which pins it with FOLL_WRITE (pin_user_pages_remote
 * in 6.1). GUP must break COW on the write-protected PTE like a CPU write.
 */
static void child_gup(void)
{
	char *p = ready_page();

	if (!p)
		return;
	answer(PROBE_OK, p, 1, "ready");
	await_go();
	answer_reads(p, PAGE, PAT_B, "child");
}

/*
 * A page pinned for DMA (FOLL_PIN | FOLL_LONGTERM) must stay the process's
 * page: the freeze copies it for the snapshot instead of making it COW
 * (fork's page_needs_cow_for_dma() rule), or the process would write a
 * copy while the device keeps writing the original. On 6.1 the pin an
 * unprivileged program can hold is an io_uring registered buffer (vmsplice
 * and O_DIRECT take plain FOLL_GET references there). The parent made the
 * ring; the child registers the page on it, then closes its descriptor
 * (the freeze refuses io_uring descriptors): the parent's keeps the pin.
 * After the release the child writes B into the second half, and the
 * parent reads D into the first half through the ring (READ_FIXED, straight
 * into the pinned page): the child must see both.
 */
static void serve_pinned(char *p, size_t len)
{
	struct iovec iov = { .iov_base = p, .iov_len = len };

	if (syscall(__NR_io_uring_register, child_extra, IORING_REGISTER_BUFFERS,
		    &iov, 1)) {
		answer(PROBE_SKIPPED, NULL, 0, "cannot register an io_uring buffer: %s",
		       strerror(errno));
		return;
	}
	close(child_extra);
	answer(PROBE_OK, p, len / PAGE, "ready");
	await_go();
	memset(p + PAGE / 2, PAT_B, PAGE / 2);
	answer(PROBE_OK, p, 0, "wrote");
	await_go();
	if (mismatch(p, PAGE / 2, PAT_D) >= 0) {
		answer(PROBE_FAILED, p, 0, "child does not see what the ring read into "
		       "its pinned page (0x%02x, not 0x%02x)", (unsigned char)p[0], PAT_D);
		return;
	}
	if (mismatch(p + PAGE / 2, PAGE / 2, PAT_B) >= 0) {
		answer_reads(p + PAGE / 2, PAGE / 2, PAT_B, "child");
		return;
	}
	answer(PROBE_OK, p, 0, "child reads its write 0x%02x and the ring's 0x%02x "
	       "in its pinned page", PAT_B, PAT_D);
}

static void child_pinned(void)
{
	char *p = ready_page();

	if (p)
		serve_pinned(p, PAGE);
}

/*
 * The same with a pinned transparent huge page: the freeze copies all
 * 2 MiB (fork would split the PMD instead) rather than refuse the group.
 */
static void child_pinned_thp(void)
{
	char *p = ready_huge();

	if (p)
		serve_pinned(p, HUGE);
}

/* --- the parent's side ----------------------------------------------------- */

struct run;

struct probe {
	const char *name;
	void (*child)(void);
	int (*prepare)(struct run *r);	/* before the fork */
	int (*released)(struct run *r);	/* after the release, instead of go() */
};

struct run {
	const struct probe *p;
	struct libckpt *h;
	pid_t pid;
	int cmd, ans;		/* our ends of the child's pipes */
	int extra;		/* handed to the child, or -1 */
	struct io_uring_params ring;
	uint64_t addr;		/* the child's probed pages */
	uint32_t pages;
	enum result result;
	char seen[LIBCKPT_ERRLEN + 320];
};

static int verdict(struct run *r, enum result res, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Record the outcome; -1 unless it is ok, so callers can return it. */
static int verdict(struct run *r, enum result res, const char *fmt, ...)
{
	va_list ap;

	r->result = res;
	va_start(ap, fmt);
	vsnprintf(r->seen, sizeof(r->seen), fmt, ap);
	va_end(ap);
	return res == PROBE_OK ? 0 : -1;
}

/* The child's descriptors: its two pipe ends and @extra at 3, 4, 5. */
static void child_fds(int cmd, int ans, int extra)
{
	int keep[3] = { cmd, ans, extra }, null, i;

	/* Out of the way of 3..5 first, then into place. */
	for (i = 0; i < 3; i++)
		if (keep[i] >= 0)
			keep[i] = fcntl(keep[i], F_DUPFD, 10);
	for (i = 0; i < 3; i++)
		if (keep[i] >= 0 && dup2(keep[i], 3 + i) < 0)
			_exit(1);
	/* Descriptor 5 too when there is no @extra: whatever it was is ours. */
	close_range(extra >= 0 ? 6 : 5, ~0U, 0);
	child_cmd = 3;
	child_ans = 4;
	child_extra = extra >= 0 ? 5 : -1;
	/* Whatever our caller's stdio is (a socket would be refused). */
	null = open("/dev/null", O_RDWR);
	for (i = 0; i < 3; i++)
		dup2(null, i);
	if (null > 2)
		close(null);
}

static int start_child(struct run *r)
{
	int cmd[2], ans[2];
	pid_t pid;

	if (pipe2(cmd, O_CLOEXEC))
		return verdict(r, PROBE_FAILED, "pipe: %s", strerror(errno));
	if (pipe2(ans, O_CLOEXEC)) {
		close(cmd[0]);
		close(cmd[1]);
		return verdict(r, PROBE_FAILED, "pipe: %s", strerror(errno));
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		/* Its own process group: that is what gets checkpointed. */
		setpgid(0, 0);
		child_fds(cmd[0], ans[1], r->extra);
		r->p->child();
		_exit(0);
	}
	close(cmd[0]);
	close(ans[1]);
	if (pid < 0) {
		close(cmd[1]);
		close(ans[0]);
		return verdict(r, PROBE_FAILED, "fork: %s", strerror(errno));
	}
	/* Both sides: whichever runs first, the group exists before the freeze. */
	setpgid(pid, pid);
	r->pid = pid;
	r->cmd = cmd[1];
	r->ans = ans[0];
	return 0;
}

static int go(struct run *r)
{
	if (write(r->cmd, "g", 1) != 1)
		return verdict(r, PROBE_FAILED, "cannot wake the child: %s", strerror(errno));
	return 0;
}

static int receive(struct run *r, struct answer *a)
{
	struct pollfd pfd = { .fd = r->ans, .events = POLLIN };
	ssize_t n;
	int ret;

	do
		ret = poll(&pfd, 1, ANSWER_MS);
	while (ret < 0 && errno == EINTR);
	if (ret == 0)
		return verdict(r, PROBE_FAILED, "the child did not answer within %d s",
			       ANSWER_MS / 1000);
	n = read(r->ans, a, sizeof(*a));
	if (n != (ssize_t)sizeof(*a))
		return verdict(r, PROBE_FAILED, "the child died without answering");
	a->text[sizeof(a->text) - 1] = '\0';
	return 0;
}

static void end_child(struct run *r)
{
	if (r->pid <= 0)
		return;
	close(r->cmd);
	close(r->ans);
	/* The group: a grandchild of the fork probe too. */
	kill(-r->pid, SIGKILL);
	waitpid(r->pid, NULL, 0);
	r->pid = 0;
}

struct wanted {
	uint32_t pid;
	uint64_t addr;
	uint32_t pages;
	unsigned char *buf;
	uint32_t found;
};

static int copy_wanted(const struct libckpt_page_run *run, void *arg)
{
	struct wanted *w = arg;
	uint64_t end = w->addr + (uint64_t)w->pages * PAGE;
	uint32_t i;

	/* A stream has no bytes for a run of fork-shared pages: not counted. */
	if (run->task->rec.pid != w->pid || !run->data)
		return 0;
	for (i = 0; i < run->nr_pages; i++) {
		uint64_t a = run->addr + (uint64_t)i * PAGE;

		if (a < w->addr || a >= end)
			continue;
		memcpy(w->buf + (a - w->addr), (const char *)run->data + (size_t)i * PAGE,
		       PAGE);
		w->found++;
	}
	return 0;
}

/*
 * Read the image from the pipe the module writes it to (verifying it as a
 * stream: every record, the checksum and the trailer) and check that it
 * holds pattern A in every probed page. Fills @what.
 */
static bool image_holds_a(struct run *r, int rd, char *what, size_t len)
{
	struct wanted w = { .pid = (uint32_t)r->pid, .addr = r->addr, .pages = r->pages };
	char err[LIBCKPT_ERRLEN];
	struct libckpt_image *img;
	bool ok = false;
	long off;
	int ret;

	w.buf = calloc(r->pages, PAGE);
	if (!w.buf) {
		snprintf(what, len, "image: out of memory");
		return false;
	}
	ret = libckpt_image_open_fd(rd, &img, err, sizeof(err));
	if (!ret) {
		ret = libckpt_image_pages(img, copy_wanted, &w, err, sizeof(err));
		libckpt_image_close(img);
	}
	if (ret < 0)
		snprintf(what, len, "image unreadable: %s", err);
	else if (w.found != r->pages)
		snprintf(what, len, "image holds %" PRIu32 " of the %" PRIu32
			 " probed pages", w.found, r->pages);
	else if ((off = mismatch(w.buf, (size_t)r->pages * PAGE, PAT_A)) >= 0)
		snprintf(what, len, "image holds 0x%02x at %#" PRIx64 ", not the "
			 "frozen 0x%02x", w.buf[off], r->addr + (uint64_t)off, PAT_A);
	else {
		snprintf(what, len, "image holds the frozen 0x%02x", PAT_A);
		ok = true;
	}
	free(w.buf);
	return ok;
}

static void run_probe(struct run *r)
{
	struct libckpt_job job, done;
	char image[LIBCKPT_ERRLEN + 64] = "";
	struct answer a;
	bool image_ok;
	int fds[2] = { -1, -1 }, ret;

	if (r->p->prepare && r->p->prepare(r))
		goto out;
	if (start_child(r) || receive(r, &a))
		goto out;
	if (a.result != PROBE_OK) {
		verdict(r, a.result, "%s", a.text);
		goto out;
	}
	r->addr = a.addr;
	r->pages = a.pages;
	/*
	 * Into a pipe we do not read yet: the writer stops once the pipe is
	 * full, so it cannot read the probed pages before the child wrote
	 * (see BALLAST). No temporary file either.
	 */
	if (pipe2(fds, O_CLOEXEC)) {
		verdict(r, PROBE_FAILED, "pipe: %s", strerror(errno));
		goto out;
	}
	ret = libckpt_dump(r->h, (uint32_t)r->pid, fds[1], 0, &job);
	close(fds[1]);
	if (ret < 0) {
		close(fds[0]);
		verdict(r, PROBE_FAILED, "cannot checkpoint the child: %s%s%s",
			libckpt_error(r->h), libckpt_error(r->h)[0] ? ": " : "",
			strerror(-ret));
		goto out;
	}
	if ((r->p->released ? r->p->released(r) : go(r)) || receive(r, &a))
		goto out_job;
	image_ok = image_holds_a(r, fds[0], image, sizeof(image));
	verdict(r, image_ok && a.result == PROBE_OK ? PROBE_OK : PROBE_FAILED,
		"%s; %s", image, a.text);
out_job:
	/* Unblock the writer if we stopped reading early, then reap the job. */
	close(fds[0]);
	ret = libckpt_wait(r->h, job.id, &done);
	if (r->result == PROBE_OK && (ret < 0 || done.state != CKPT_JOB_COMMITTED))
		verdict(r, PROBE_FAILED, "%s; but the image did not commit: %s", image,
			ret < 0 ? strerror(-ret) : done.error_msg);
out:
	end_child(r);
	if (r->extra >= 0)
		close(r->extra);
}

static int gup_released(struct run *r)
{
	unsigned char buf[PAGE];
	struct iovec local = { buf, PAGE };
	struct iovec remote = { (void *)(uintptr_t)r->addr, PAGE };

	memset(buf, PAT_B, PAGE);
	if (process_vm_writev(r->pid, &local, 1, &remote, 1, 0) != PAGE) {
		if (errno == EPERM)
			return verdict(r, PROBE_SKIPPED, "process_vm_writev: %s "
				       "(ptrace access to the child refused)",
				       strerror(errno));
		return verdict(r, PROBE_FAILED, "process_vm_writev: %s", strerror(errno));
	}
	return go(r);
}

static int pinned_prepare(struct run *r)
{
	memset(&r->ring, 0, sizeof(r->ring));
	r->extra = (int)syscall(__NR_io_uring_setup, 4, &r->ring);
	if (r->extra < 0)
		return verdict(r, PROBE_SKIPPED, "io_uring_setup: %s: no unprivileged "
			       "long-term pin to test", strerror(errno));
	return 0;
}

/* One IORING_OP_READ_FIXED of @len bytes of @fd into registered buffer 0. */
static int ring_read_fixed(int ring, const struct io_uring_params *pr, int fd,
			   uint64_t addr, unsigned int len)
{
	size_t sq_len = pr->sq_off.array + pr->sq_entries * sizeof(unsigned int);
	size_t cq_len = pr->cq_off.cqes + pr->cq_entries * sizeof(struct io_uring_cqe);
	size_t sqe_len = pr->sq_entries * sizeof(struct io_uring_sqe);
	char *sq, *cq;
	struct io_uring_sqe *sqes, *sqe;
	unsigned int *sq_tail, tail, idx, *cq_head, head;
	int res = -EIO;

	sq = mmap(NULL, sq_len, PROT_READ | PROT_WRITE, MAP_SHARED, ring, IORING_OFF_SQ_RING);
	cq = mmap(NULL, cq_len, PROT_READ | PROT_WRITE, MAP_SHARED, ring, IORING_OFF_CQ_RING);
	sqes = mmap(NULL, sqe_len, PROT_READ | PROT_WRITE, MAP_SHARED, ring, IORING_OFF_SQES);
	if (sq == MAP_FAILED || cq == MAP_FAILED || sqes == MAP_FAILED) {
		res = -errno;
		goto out;
	}
	sq_tail = (unsigned int *)(sq + pr->sq_off.tail);
	tail = *sq_tail;
	idx = tail & *(unsigned int *)(sq + pr->sq_off.ring_mask);
	sqe = &sqes[idx];
	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = IORING_OP_READ_FIXED;
	sqe->fd = fd;
	sqe->addr = addr;
	sqe->len = len;
	sqe->off = 0;
	sqe->buf_index = 0;
	((unsigned int *)(sq + pr->sq_off.array))[idx] = idx;
	__atomic_store_n(sq_tail, tail + 1, __ATOMIC_RELEASE);
	if (syscall(__NR_io_uring_enter, ring, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0) < 0) {
		res = -errno;
		goto out;
	}
	cq_head = (unsigned int *)(cq + pr->cq_off.head);
	head = *cq_head;
	if (head != __atomic_load_n((unsigned int *)(cq + pr->cq_off.tail), __ATOMIC_ACQUIRE)) {
		res = ((struct io_uring_cqe *)(cq + pr->cq_off.cqes))
			[head & *(unsigned int *)(cq + pr->cq_off.ring_mask)].res;
		__atomic_store_n(cq_head, head + 1, __ATOMIC_RELEASE);
	}
out:
	if (sq != MAP_FAILED)
		munmap(sq, sq_len);
	if (cq != MAP_FAILED)
		munmap(cq, cq_len);
	if (sqes != MAP_FAILED)
		munmap(sqes, sqe_len);
	return res;
}

static int pinned_released(struct run *r)
{
	unsigned char d[PAGE / 2];
	struct answer a;
	int fd, res;

	if (go(r) || receive(r, &a))
		return -1;
	if (a.result != PROBE_OK)
		return verdict(r, a.result, "%s", a.text);
	memset(d, PAT_D, sizeof(d));
	fd = memfd_create("ckpt-check", MFD_CLOEXEC);
	if (fd < 0 || write(fd, d, sizeof(d)) != (ssize_t)sizeof(d)) {
		if (fd >= 0)
			close(fd);
		return verdict(r, PROBE_FAILED, "memfd: %s", strerror(errno));
	}
	res = ring_read_fixed(r->extra, &r->ring, fd, r->addr, sizeof(d));
	close(fd);
	if (res != (int)sizeof(d))
		return verdict(r, PROBE_FAILED, "io_uring READ_FIXED into the pinned page: %s",
			       res < 0 ? strerror(-res) : "short read");
	return go(r);
}

static const struct probe probes[] = {
	{ "anon_cow", child_cow, NULL, NULL },
	{ "mprotect_write", child_mprotect, NULL, NULL },
	{ "thp_cow", child_thp, NULL, NULL },
	{ "fork_after_freeze", child_fork, NULL, NULL },
	{ "gup_write", child_gup, NULL, gup_released },
	{ "dma_pinned", child_pinned, pinned_prepare, pinned_released },
	{ "dma_pinned_thp", child_pinned_thp, pinned_prepare, pinned_released },
	{ "shmem_copy", child_shmem, NULL, NULL },
};

const char check_kernel_usage[] =
	"Usage: ckptctl check --kernel [--json]\n\n"
	"Test, on the running kernel with the ckpt module loaded, each memory\n"
	"management behaviour the snapshot relies on. Every probe checkpoints a\n"
	"small child process of its own and checks that the image holds its memory\n"
	"as it was at the freeze and that the child sees its own later writes.\n"
	"One line per probe: name, ok/FAILED/skipped, what was seen. Exit status 1\n"
	"if a probe failed. Run it after every kernel update.\n";

int check_kernel_run(bool json)
{
	unsigned int counts[3] = { 0 };
	struct libckpt_info info;
	struct utsname uts;
	struct libckpt *h;
	size_t i;
	int code;

	h = connect_module(&code);
	if (!h)
		return code;
	if (libckpt_get_info(h, &info) < 0)
		snprintf(info.module_version, sizeof(info.module_version), "?");
	uname(&uts);
	/* A child that died must not kill us through its pipe. */
	signal(SIGPIPE, SIG_IGN);

	if (json) {
		printf("{\"kernel\": ");
		json_str(uts.release);
		printf(", \"kernel_version\": ");
		json_str(uts.version);
		printf(", \"module\": ");
		json_str(info.module_version);
		printf(", \"probes\": [");
	} else {
		printf("kernel %s %s, module %s\n", uts.release, uts.version,
		       info.module_version);
	}
	for (i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		struct run r = { .p = &probes[i], .h = h, .extra = -1 };

		run_probe(&r);
		counts[r.result]++;
		if (json) {
			printf("%s{\"name\": \"%s\", \"result\": \"%s\", \"seen\": ",
			       i ? ", " : "", r.p->name, result_json[r.result]);
			json_str(r.seen);
			printf("}");
		} else {
			printf("%-18s %-7s %s\n", r.p->name, result_names[r.result], r.seen);
		}
		fflush(stdout);
	}
	if (json)
		printf("], \"ok\": %u, \"failed\": %u, \"skipped\": %u}\n",
		       counts[PROBE_OK], counts[PROBE_FAILED], counts[PROBE_SKIPPED]);
	else
		printf("%zu probes: %u ok, %u failed, %u skipped\n", i,
		       counts[PROBE_OK], counts[PROBE_FAILED], counts[PROBE_SKIPPED]);
	libckpt_close(h);
	return counts[PROBE_FAILED] ? EXIT_FAILED : EXIT_OK;
}
