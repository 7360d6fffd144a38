// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * Damaged real images: images the real module wrote (standalone files and
 * an area) are flipped, cut, spliced and reshuffled, and every mutant goes
 * to `ckptctl show` and `ckptctl restore`, from a file or standard input.
 *
 * Raw mutants (checksums left as the damage made them) must all be refused
 * by both, with a message, and a refused restore leaves nothing behind: no
 * process with the image's pid, no stray child (the test is a subreaper, so
 * any process a partial restore created would become its child). Re-sealed
 * mutants (metadata damaged, then the trailer's crc32c recomputed) reach
 * the module's own checks: whatever show refuses, restore must refuse too,
 * a refused restore leaves nothing, and an accepted one gives a process
 * that dies when killed. The kernel log is scanned by run_tests.sh.
 *
 * CKPT_MUT_SEED=N replays a run (the seed is printed); CKPT_MUT_RAW and
 * CKPT_MUT_SEALED set how many mutants of each kind (default 240 and 60);
 * each kind also stops after CKPT_MUT_SECONDS (default 90) of work.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "libckpt.h"
#include "test_util.h"

#define DIR		"/tmp/mut"
#define CKPTCTL		"/usr/bin/ckptctl"
#define MUTANT		DIR "/mutant"
#define OUT		DIR "/out"
#define ERR		DIR "/err"
#define HEAP_WORDS	4096
#define MAP_WORDS	8192
#define MAX_RECS	4096
#define TRAILER_LEN	(sizeof(struct ckpt_rec_hdr) + sizeof(struct ckpt_rec_trailer))
#define CMD_LIMIT_S	120	/* a ckptctl that runs longer is hung */

/* --- the workloads (this binary, exec'd with CKPT_MUT_WORKLOAD set) ------ */

static volatile sig_atomic_t check_now;
static volatile uint64_t ticks;

static void on_usr1(int sig)
{
	(void)sig;
	check_now = 1;
}

static uint64_t pattern(uint64_t i, uint64_t salt)
{
	return (i + 1) * 0x9e3779b97f4a7c15ULL ^ salt;
}

static void *ticker(void *arg)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };

	(void)arg;
	for (;;) {
		ticks++;
		nanosleep(&ts, NULL);
	}
	return NULL;
}

/*
 * Heap, an anonymous mapping, a pipe holding data and (threads) a second
 * thread that keeps ticking; on SIGUSR1 it checks them all and exits 0.
 */
static void workload(const char *kind)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	struct sigaction sa = { .sa_handler = on_usr1 };
	uint64_t *heap, *map, i, before;
	char log[64], buf[16];
	pthread_t th;
	int p[2], null, fd;

	close_range(0, ~0U, 0);
	setsid();
	null = open("/dev/null", O_RDWR);
	if (null != 0 || dup(null) != 1 || dup(null) != 2 || pipe(p) ||
	    write(p[1], "mutate pipe", 11) != 11 || sigaction(SIGUSR1, &sa, NULL))
		_exit(20);
	heap = malloc(HEAP_WORDS * sizeof(uint64_t));
	map = mmap(NULL, MAP_WORDS * sizeof(uint64_t), PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!heap || map == MAP_FAILED)
		_exit(21);
	for (i = 0; i < HEAP_WORDS; i++)
		heap[i] = pattern(i, 1);
	for (i = 0; i < MAP_WORDS; i++)
		map[i] = pattern(i, 2);
	if (!strcmp(kind, "threads") && pthread_create(&th, NULL, ticker, NULL))
		_exit(22);
	snprintf(log, sizeof(log), DIR "/%s.ready", kind);
	fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		_exit(23);
	close(fd);
	while (!check_now)
		nanosleep(&ts, NULL);
	for (i = 0; i < HEAP_WORDS; i++)
		if (heap[i] != pattern(i, 1))
			_exit(10);
	for (i = 0; i < MAP_WORDS; i++)
		if (map[i] != pattern(i, 2))
			_exit(11);
	if (read(p[0], buf, 11) != 11 || memcmp(buf, "mutate pipe", 11))
		_exit(12);
	if (!strcmp(kind, "threads")) {
		before = ticks;
		for (i = 0; i < 100 && ticks == before; i++)
			nanosleep(&ts, NULL);
		if (ticks == before)
			_exit(13);
	}
	_exit(0);
}

__attribute__((constructor)) static void maybe_workload(void)
{
	const char *w = getenv("CKPT_MUT_WORKLOAD");

	if (w)
		workload(w);
}

/* --- running ckptctl ---------------------------------------------------- */

struct cmd {
	int status;		/* exit status, or 128 + signal, -1 if hung */
	char out[512];
	char err[1024];
};

static void slurp(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	ssize_t n = fd < 0 ? 0 : read(fd, buf, size - 1);

	buf[n > 0 ? n : 0] = '\0';
	if (fd >= 0)
		close(fd);
}

/* Run ckptctl with @args (NULL-ended), standard input from @in or /dev/null. */
static void ckptctl(struct cmd *c, const char *in, const char *const *args)
{
	const char *argv[8] = { "ckptctl" };
	int st, i, waited;
	pid_t pid;

	for (i = 0; args[i] && i < 6; i++)
		argv[i + 1] = args[i];
	argv[i + 1] = NULL;
	pid = fork();
	if (pid == 0) {
		int fd0 = open(in ? in : "/dev/null", O_RDONLY);
		int fd1 = open(OUT, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int fd2 = open(ERR, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		if (fd0 < 0 || fd1 < 0 || fd2 < 0 || dup2(fd0, 0) < 0 ||
		    dup2(fd1, 1) < 0 || dup2(fd2, 2) < 0)
			_exit(126);
		execv(CKPTCTL, (char *const *)argv);
		_exit(127);
	}
	c->status = -1;
	for (waited = 0; pid > 0 && waited < CMD_LIMIT_S * 20; waited++) {
		if (waitpid(pid, &st, WNOHANG) == pid) {
			c->status = WIFEXITED(st) ? WEXITSTATUS(st) :
				    128 + WTERMSIG(st);
			break;
		}
		usleep(50000);
	}
	if (c->status == -1 && pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	slurp(OUT, c->out, sizeof(c->out));
	slurp(ERR, c->err, sizeof(c->err));
}

static int run_shell(const char *cmd)
{
	int st = system(cmd);

	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* --- images -------------------------------------------------------------- */

struct image {
	uint8_t *b;
	size_t len;
	pid_t pid;		/* the process it holds */
};

static int load(const char *path, struct image *img)
{
	struct stat st;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || fstat(fd, &st))
		return -1;
	img->len = (size_t)st.st_size;
	img->b = malloc(img->len);
	if (!img->b || read(fd, img->b, img->len) != (ssize_t)img->len)
		return -1;
	close(fd);
	return 0;
}

static int store(const char *path, const uint8_t *b, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ssize_t n = fd < 0 ? -1 : write(fd, b, len);

	if (fd >= 0)
		close(fd);
	return n == (ssize_t)len ? 0 : -1;
}

static int wait_file(const char *path)
{
	int i;

	for (i = 0; i < 600; i++) {
		if (!access(path, F_OK))
			return 0;
		usleep(50000);
	}
	return -1;
}

static pid_t start_workload(const char *kind)
{
	char ready[64];
	pid_t pid;

	snprintf(ready, sizeof(ready), DIR "/%s.ready", kind);
	unlink(ready);
	pid = exec_self_as("CKPT_MUT_WORKLOAD", kind);
	return pid > 0 && !wait_file(ready) ? pid : -1;
}

static int save_proc(pid_t pid, const char *path)
{
	struct ps_snap s;
	FILE *f;
	int ret = ps_take_idle(&s, &pid, 1, PS_SETTLE_MS);

	if (ret)
		return ret;
	f = fopen(path, "w");
	ret = f ? ps_save(&s, f) : -errno;
	if (f && fclose(f))
		ret = -EIO;
	ps_free(&s);
	return ret;
}

/*
 * The images, made once by whichever test runs first (each test is a
 * forked child; the files outlive it): a standalone image of each
 * workload, and an area holding the single-threaded one. The workloads
 * are killed, so their pids are free for a restore to take.
 */
static int make_images(void)
{
	pid_t single, threads;
	char cmd[256];
	int ret = 0;

	if (!access(DIR "/done", F_OK))
		return 0;
	mkdir(DIR, 0700);
	single = start_workload("single");
	threads = start_workload("threads");
	if (single < 0 || threads < 0)
		ret = -1;
	/* What /proc shows of them, for the restores of the intact images. */
	if (!ret && (save_proc(single, DIR "/single.proc") ||
		     save_proc(threads, DIR "/threads.proc")))
		ret = -1;
	snprintf(cmd, sizeof(cmd), CKPTCTL " dump %d -o " DIR "/single.ckpt && "
		 CKPTCTL " dump %d -o " DIR "/threads.ckpt && "
		 CKPTCTL " area create " DIR "/area --size 2M > /dev/null && "
		 CKPTCTL " freeze %d --area " DIR "/area --wait > /dev/null",
		 single, threads, single);
	if (!ret && run_shell(cmd))
		ret = -1;
	if (single > 0)
		kill(single, SIGKILL);
	if (threads > 0)
		kill(threads, SIGKILL);
	waitpid(single, NULL, 0);
	waitpid(threads, NULL, 0);
	if (!ret)
		ret = close(open(DIR "/done", O_WRONLY | O_CREAT, 0600));
	return ret;
}

static int load_images(struct image *single, struct image *threads,
		       struct image *area)
{
	const struct ckpt_image_hdr *h;
	uint32_t pid;

	if (make_images() || load(DIR "/single.ckpt", single) ||
	    load(DIR "/threads.ckpt", threads) || load(DIR "/area", area))
		return -1;
	h = (const void *)single->b;
	if (single->len < sizeof(*h) + 24 || h->magic != CKPT_IMAGE_MAGIC)
		return -1;
	/* The first record is the TASK; its first field the pid. */
	memcpy(&pid, single->b + sizeof(*h) + sizeof(struct ckpt_rec_hdr), 4);
	single->pid = (pid_t)pid;
	memcpy(&pid, threads->b + sizeof(*h) + sizeof(struct ckpt_rec_hdr), 4);
	threads->pid = (pid_t)pid;
	area->pid = single->pid;
	return 0;
}

/* Record boundaries of an image: off[0..n-1] records, off[n] the end. */
struct layout {
	size_t off[MAX_RECS + 1];
	size_t n;
	size_t meta_end;	/* the first PAGES record */
};

static void layout(const struct image *img, struct layout *l)
{
	size_t off = sizeof(struct ckpt_image_hdr);
	struct ckpt_rec_hdr rh;

	l->n = 0;
	l->meta_end = 0;
	while (off + sizeof(rh) <= img->len && l->n < MAX_RECS) {
		memcpy(&rh, img->b + off, sizeof(rh));
		if (rh.len > img->len - off)
			break;
		if (rh.type == CKPT_REC_PAGES && !l->meta_end)
			l->meta_end = off;
		l->off[l->n++] = off;
		off += sizeof(rh) + ((rh.len + 7) & ~7ULL);
	}
	l->off[l->n] = off;
}

/* --- mutations ----------------------------------------------------------- */

static uint64_t rng;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static size_t below(size_t n)
{
	return n ? (size_t)(rnd() % n) : 0;
}

static const uint64_t interesting[] = {
	0, 1, 2, 0x7f, 0x80, 0xff, 0x1000, 0x7fffffff, 0x80000000,
	0xffffffff, 0x100000000ULL, 0x7ffffffff000ULL, 0x800000000000ULL,
	0xffff800000000000ULL, 0x7fffffffffffffffULL, 0xffffffffffffffffULL,
};

enum op {
	OP_FLIP_ANY, OP_FLIP_META, OP_FLIP_RECHDR, OP_SET_FIELD, OP_ZERO_RANGE,
	OP_TRUNCATE, OP_TRUNCATE_AT_RECORD, OP_SPLICE, OP_SPLICE_RECORDS,
	OP_DROP_RECORD, OP_DUP_RECORD, OP_SWAP_RECORDS, OP_APPEND,
	OP_AREA_FLIP, NR_OPS
};

static const char *const op_names[NR_OPS] = {
	"flip", "flip-metadata", "flip-record-header", "set-field",
	"zero-range", "truncate", "truncate-at-record", "splice",
	"splice-records", "drop-record", "duplicate-record", "swap-records",
	"append", "area-flip",
};

/* The ops a re-sealed mutant may use: they leave room for a trailer. */
static const enum op sealed_ops[] = {
	OP_FLIP_META, OP_FLIP_RECHDR, OP_SET_FIELD, OP_ZERO_RANGE,
	OP_DROP_RECORD, OP_DUP_RECORD, OP_SWAP_RECORDS, OP_SPLICE_RECORDS,
};

struct buf {
	uint8_t *b;
	size_t len;
};

static void buf_set(struct buf *m, const uint8_t *p, size_t len)
{
	m->b = realloc(m->b, len ? len : 1);
	memcpy(m->b, p, len);
	m->len = len;
}

static void buf_add(struct buf *m, const uint8_t *p, size_t len)
{
	m->b = realloc(m->b, m->len + len + 1);
	memcpy(m->b + m->len, p, len);
	m->len += len;
}

/* A byte offset in the header, the metadata records or a record header. */
static size_t meta_offset(const struct image *a, const struct layout *l)
{
	size_t end = l->meta_end ? l->meta_end : a->len;

	return below(end);
}

/* Apply @op to @a (with @b for splices) into @m. */
static void mutate(enum op op, const struct image *a, const struct image *b,
		   struct buf *m)
{
	static struct layout la, lb;
	size_t i, j, k, n;
	uint64_t v;

	layout(a, &la);
	layout(b, &lb);
	buf_set(m, a->b, a->len);
	switch (op) {
	case OP_FLIP_ANY:
		i = below(a->len);
		m->b[i] ^= 1 << below(8);
		break;
	case OP_AREA_FLIP: {
		/*
		 * The superblock or the image: zeros after it belong to no
		 * one. A bit of the superblock is flipped in both copies:
		 * one damaged copy is meant to be survived (image_test and
		 * freeze_test prove it), so only both make a raw mutant.
		 */
		const struct ckpt_area_sb *sb = (const void *)a->b;

		n = sb->slots[0].offset + sb->slots[0].length;
		i = below(n < a->len ? n : a->len);
		j = 1 << below(8);
		if (i < CKPT_AREA_SB_COPIES * CKPT_AREA_SB_SIZE) {
			for (k = i % CKPT_AREA_SB_SIZE; k < a->len &&
			     k < CKPT_AREA_SB_COPIES * CKPT_AREA_SB_SIZE;
			     k += CKPT_AREA_SB_SIZE)
				m->b[k] ^= j;
		} else {
			m->b[i] ^= j;
		}
		break;
	}
	case OP_FLIP_META:
		i = meta_offset(a, &la);
		m->b[i] ^= 1 << below(8);
		break;
	case OP_FLIP_RECHDR:
		i = la.off[below(la.n)] + below(sizeof(struct ckpt_rec_hdr));
		m->b[i] ^= 1 << below(8);
		break;
	case OP_SET_FIELD:
		i = meta_offset(a, &la) & ~7UL;
		v = interesting[below(sizeof(interesting) / sizeof(interesting[0]))];
		n = rnd() & 1 ? 4 : 8;
		if (i + n <= m->len)
			memcpy(m->b + i, &v, n);
		break;
	case OP_ZERO_RANGE:
		i = meta_offset(a, &la);
		n = 1 + below(64);
		memset(m->b + i, 0, n < m->len - i ? n : m->len - i);
		break;
	case OP_TRUNCATE:
		m->len = below(a->len);
		break;
	case OP_TRUNCATE_AT_RECORD:
		i = la.off[below(la.n + 1)] + below(17) - 8;
		m->len = i < a->len ? i : a->len - 1;
		break;
	case OP_SPLICE:
		i = below(a->len);
		j = below(b->len);
		m->len = i;
		buf_add(m, b->b + j, b->len - j);
		break;
	case OP_SPLICE_RECORDS:
		i = la.off[below(la.n)];
		j = lb.off[below(lb.n)];
		m->len = i;
		buf_add(m, b->b + j, b->len - j);
		break;
	case OP_DROP_RECORD:
		k = below(la.n);
		m->len = la.off[k];
		buf_add(m, a->b + la.off[k + 1], a->len - la.off[k + 1]);
		break;
	case OP_DUP_RECORD:
		k = below(la.n);
		m->len = la.off[k + 1];
		buf_add(m, a->b + la.off[k], a->len - la.off[k]);
		break;
	case OP_SWAP_RECORDS:
		k = la.n > 1 ? below(la.n - 1) : 0;
		m->len = la.off[k];
		buf_add(m, a->b + la.off[k + 1], la.off[k + 2] - la.off[k + 1]);
		buf_add(m, a->b + la.off[k], la.off[k + 1] - la.off[k]);
		buf_add(m, a->b + la.off[k + 2], a->len - la.off[k + 2]);
		break;
	case OP_APPEND:
		if (rnd() & 1) {
			buf_add(m, b->b, b->len);
		} else {
			n = 1 + below(100);
			for (i = 0; i < n; i++) {
				uint8_t c = (uint8_t)rnd();

				buf_add(m, &c, 1);
			}
		}
		break;
	case NR_OPS:
		break;
	}
}

/* Recompute the trailer as a writer would have; false if there is no room. */
static bool reseal(struct buf *m)
{
	struct ckpt_rec_hdr rh = {
		.type = CKPT_REC_TRAILER,
		.len = sizeof(struct ckpt_rec_trailer),
	};
	struct ckpt_rec_trailer tr = {
		.magic = CKPT_TRAILER_MAGIC,
		.image_len = m->len,
	};
	size_t at;

	if (m->len < sizeof(struct ckpt_image_hdr) + TRAILER_LEN)
		return false;
	at = m->len - TRAILER_LEN;
	tr.crc32c = ~0U;
	/* Standard CRC-32C, bit by bit: slow but independent of libckpt. */
	for (size_t i = 0; i < at; i++) {
		tr.crc32c ^= m->b[i];
		for (int k = 0; k < 8; k++)
			tr.crc32c = (tr.crc32c >> 1) ^
				    (0x82F63B78U & -(tr.crc32c & 1));
	}
	tr.crc32c = ~tr.crc32c;
	memcpy(m->b + at, &rh, sizeof(rh));
	memcpy(m->b + at + sizeof(rh), &tr, sizeof(tr));
	return true;
}

/* --- the verdicts -------------------------------------------------------- */

struct tally {
	unsigned int mutants, by_op[NR_OPS];
	unsigned int show_refused, restore_refused, restored, via_stdin;
};

/* Nothing of a refused restore may remain: no such pid, no stray child. */
static bool nothing_left(pid_t image_pid)
{
	int st;

	if (image_pid > 0 && kill(image_pid, 0) == 0)
		return false;
	return waitpid(-1, &st, WNOHANG) < 0 && errno == ECHILD;
}

static bool time_left(time_t start)
{
	const char *s = getenv("CKPT_MUT_SECONDS");

	return time(NULL) - start < (s ? atoi(s) : 90);
}

static unsigned int count_env(const char *name, unsigned int dflt)
{
	const char *s = getenv(name);

	return s ? (unsigned int)atoi(s) : dflt;
}

static uint64_t seed_env(void)
{
	const char *s = getenv("CKPT_MUT_SEED");
	struct timespec ts;

	if (s)
		return strtoull(s, NULL, 0);
	clock_gettime(CLOCK_REALTIME, &ts);
	return ((uint64_t)ts.tv_sec << 20 ^ (uint64_t)ts.tv_nsec) | 1;
}

FIXTURE(mut) {
	struct image single, threads, area;
	struct buf m;
	uint64_t seed;
	char exception_trace[8];
};

#define EXCEPTION_TRACE "/proc/sys/debug/exception-trace"

/*
 * A restored mutant may die of its damage, and the kernel logs a user
 * process's fatal fault ("traps: ... general protection fault") in words
 * run_tests.sh takes for a kernel splat. Those reports are switched off
 * while mutants run; the kernel's own warnings, oopses and KASAN/lockdep
 * reports are not affected.
 */
static void exception_trace(char *old, size_t size, const char *val)
{
	int fd = open(EXCEPTION_TRACE, O_RDWR);

	if (fd < 0)
		return;
	if (old && read(fd, old, size - 1) <= 0)
		old[0] = '\0';
	if (val[0] && pwrite(fd, val, strlen(val), 0) < 0)
		perror(EXCEPTION_TRACE);
	close(fd);
}

FIXTURE_SETUP(mut)
{
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	ASSERT_EQ(0, load_images(&self->single, &self->threads, &self->area))
		TH_LOG("could not make the images with the real module");
	self->seed = seed_env();
	rng = self->seed;
	TH_LOG("seed %llu (CKPT_MUT_SEED replays it); images of %zu, %zu and %zu (area) bytes",
	       (unsigned long long)self->seed, self->single.len,
	       self->threads.len, self->area.len);
	self->m.b = NULL;
	exception_trace(self->exception_trace, sizeof(self->exception_trace), "0");
}

FIXTURE_TEARDOWN(mut)
{
	exception_trace(NULL, 0, self->exception_trace);
	free(self->single.b);
	free(self->threads.b);
	free(self->area.b);
	free(self->m.b);
}

/*
 * Undamaged, the images show and restore, /proc of the restored process is
 * what it was before the checkpoint, and the restored process checks itself.
 */
TEST_F_TIMEOUT(mut, intact_images_restore, 300)
{
	const char *names[] = { DIR "/single.ckpt", DIR "/threads.ckpt", DIR "/area" };
	const char *procs[] = { DIR "/single.proc", DIR "/threads.proc", DIR "/single.proc" };
	struct ps_snap before;
	char *report;
	struct cmd c;
	int i, st, diffs;
	FILE *f;

	for (i = 0; i < 3; i++) {
		pid_t pid = 0;

		ckptctl(&c, NULL, (const char *[]){ "show", names[i], NULL });
		EXPECT_EQ(0, c.status) TH_LOG("show %s: %s", names[i], c.err);
		ckptctl(&c, NULL, (const char *[]){ "restore", names[i], NULL });
		ASSERT_EQ(0, c.status) TH_LOG("restore %s: %s", names[i], c.err);
		ASSERT_EQ(1, sscanf(c.out, "restored pid %d", &pid)) TH_LOG("%s", c.out);
		f = fopen(procs[i], "r");
		ASSERT_NE(NULL, f);
		ASSERT_EQ(0, ps_load(&before, f));
		fclose(f);
		diffs = ps_expect_same(&before, NULL, 0, ps_scope(_metadata->name), PS_SETTLE_MS, &report);
		TH_LOG("%s:", names[i]);
		EXPECT_PROC_SAME(diffs, report);
		ps_free(&before);
		/* Orphaned by ckptctl, the restored process is ours now. */
		ASSERT_EQ(0, kill(pid, SIGUSR1));
		ASSERT_EQ(pid, waitpid(pid, &st, 0));
		EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0)
			TH_LOG("restored %s checked itself: status 0x%x", names[i], st);
	}
}

/*
 * Raw mutants — flips, cuts, splices, dropped, repeated and swapped
 * records, appended bytes, a damaged area — are all refused by show and by
 * restore, and a refused restore leaves nothing behind.
 */
TEST_F_TIMEOUT(mut, raw_mutants_refused, 600)
{
	unsigned int want = count_env("CKPT_MUT_RAW", 240);
	time_t start = time(NULL);
	struct tally t = { 0 };
	struct cmd c;

	while (t.mutants < want && time_left(start)) {
		enum op op = (enum op)below(NR_OPS);
		const struct image *a = op == OP_AREA_FLIP ? &self->area :
					rnd() & 1 ? &self->single : &self->threads;
		const struct image *b = a == &self->threads ? &self->single :
					&self->threads;
		bool in = op != OP_AREA_FLIP && !below(4);
		const char *spec;

		mutate(op, a, b, &self->m);
		if ((self->m.len == a->len && !memcmp(self->m.b, a->b, a->len)) ||
		    (self->m.len == b->len && !memcmp(self->m.b, b->b, b->len)))
			continue;
		/*
		 * A stream ends at its trailer: an intact image followed by
		 * more bytes (appended, or a repeated trailer record) is one
		 * good image to a reader of standard input. Only a file's
		 * reader, which knows the size, can refuse it.
		 */
		if (self->m.len > a->len && !memcmp(self->m.b, a->b, a->len))
			in = false;
		spec = in ? "-" : MUTANT;
		ASSERT_EQ(0, store(MUTANT, self->m.b, self->m.len));
		t.mutants++;
		t.by_op[op]++;
		t.via_stdin += in;

		ckptctl(&c, in ? MUTANT : NULL, (const char *[]){ "show", spec, NULL });
		ASSERT_EQ(1, c.status)
			TH_LOG("mutant %u (%s of %zu bytes, seed %llu): show exit %d: %s",
			       t.mutants, op_names[op], self->m.len,
			       (unsigned long long)self->seed, c.status, c.out);
		ASSERT_NE(0, c.err[0]) TH_LOG("show refused %s without a message",
					      op_names[op]);
		t.show_refused++;

		ckptctl(&c, in ? MUTANT : NULL, (const char *[]){ "restore", spec, NULL });
		ASSERT_EQ(1, c.status)
			TH_LOG("mutant %u (%s, seed %llu): restore exit %d: %s %s",
			       t.mutants, op_names[op],
			       (unsigned long long)self->seed, c.status, c.out, c.err);
		ASSERT_NE(NULL, strstr(c.err, "cannot restore")) TH_LOG("%s", c.err);
		ASSERT_TRUE(nothing_left(a->pid))
			TH_LOG("mutant %u (%s): a refused restore left a process",
			       t.mutants, op_names[op]);
		t.restore_refused++;
	}
	TH_LOG("%u raw mutants (%u through standard input): %u refused by show, %u by restore",
	       t.mutants, t.via_stdin, t.show_refused, t.restore_refused);
	for (int i = 0; i < NR_OPS; i++)
		TH_LOG("  %-20s %u", op_names[i], t.by_op[i]);
	EXPECT_LT(0, t.mutants);
}

/*
 * Re-sealed mutants (metadata damaged, checksum recomputed) reach the
 * module: what show refuses restore refuses, a refused restore leaves
 * nothing behind, and an accepted one is a process that dies when killed.
 */
TEST_F_TIMEOUT(mut, resealed_mutants_clean, 600)
{
	unsigned int want = count_env("CKPT_MUT_SEALED", 60);
	time_t start = time(NULL);
	struct tally t = { 0 };
	unsigned int died = 0, module_refused = 0;
	struct cmd c;

	while (t.mutants < want && time_left(start)) {
		enum op op = sealed_ops[below(sizeof(sealed_ops) / sizeof(sealed_ops[0]))];
		const struct image *a = rnd() & 1 ? &self->single : &self->threads;
		const struct image *b = a == &self->threads ? &self->single :
					&self->threads;
		bool show_ok;
		pid_t pid;
		int st;

		mutate(op, a, b, &self->m);
		if (!reseal(&self->m) ||
		    (self->m.len == a->len && !memcmp(self->m.b, a->b, a->len)))
			continue;
		ASSERT_EQ(0, store(MUTANT, self->m.b, self->m.len));
		t.mutants++;
		t.by_op[op]++;

		ckptctl(&c, NULL, (const char *[]){ "show", MUTANT, NULL });
		ASSERT_TRUE(c.status == 0 || c.status == 1)
			TH_LOG("mutant %u (%s, seed %llu): show exit %d: %s",
			       t.mutants, op_names[op],
			       (unsigned long long)self->seed, c.status, c.err);
		show_ok = c.status == 0;
		t.show_refused += !show_ok;

		ckptctl(&c, NULL, (const char *[]){ "restore", MUTANT, NULL });
		ASSERT_TRUE(c.status == 0 || c.status == 1)
			TH_LOG("mutant %u (%s, seed %llu): restore exit %d (hung?): %s",
			       t.mutants, op_names[op],
			       (unsigned long long)self->seed, c.status, c.err);
		if (c.status == 1) {
			ASSERT_NE(NULL, strstr(c.err, "cannot restore")) TH_LOG("%s", c.err);
			module_refused += show_ok;
			ASSERT_TRUE(nothing_left(a->pid))
				TH_LOG("mutant %u (%s, seed %llu): a refused restore left a process",
				       t.mutants, op_names[op],
				       (unsigned long long)self->seed);
			t.restore_refused++;
			continue;
		}
		ASSERT_TRUE(show_ok)
			TH_LOG("mutant %u (%s, seed %llu): restored what show refused",
			       t.mutants, op_names[op], (unsigned long long)self->seed);
		ASSERT_EQ(1, sscanf(c.out, "restored pid %d", &pid)) TH_LOG("%s", c.out);
		t.restored++;
		kill(pid, SIGKILL);
		ASSERT_EQ(pid, waitpid(pid, &st, 0));
		/* Or it died of its damage before the kill. */
		died += !WIFSIGNALED(st) || WTERMSIG(st) != SIGKILL;
		ASSERT_TRUE(nothing_left(0));
	}
	TH_LOG("%u re-sealed mutants: %u refused by show, %u refused by restore (%u of them accepted by show), %u restored (%u died of their damage, the rest when killed)",
	       t.mutants, t.show_refused, t.restore_refused, module_refused,
	       t.restored, died);
	for (int i = 0; i < NR_OPS; i++)
		if (t.by_op[i])
			TH_LOG("  %-20s %u", op_names[i], t.by_op[i]);
	EXPECT_LT(0, t.mutants);
}

TEST_HARNESS_MAIN
