// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * Fidelity, zdtm-style: a workload makes state a process can read back
 * about itself (its identity, its memory attributes, many mappings),
 * records what it sees, and waits; it is checkpointed, SIGKILLed and
 * restored; then the restored program reads the same things again and
 * reports PASS or, naming the first difference, FAIL in its log. Every
 * restore also compares what /proc shows of the workload just before its
 * checkpoint and once it is restored (proc_state.h).
 */
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/fsuid.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/mempolicy.h>
#include <linux/seccomp.h>
#include <linux/securebits.h>

#include "kselftest_harness.h"
#include "libckpt.h"
#include "test_util.h"

#define LOG	"/tmp/fid-log"
#define GO	"/tmp/fid-go"
#define AREA	"/tmp/fid-area"

static int log_fd = -1;

__attribute__((format(printf, 1, 2)))
static void say(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0 || n > (int)sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	if (write(log_fd, line, n) != n)
		_exit(3);
}

/* The first difference found after the restore, or NULL. */
static char why[256];

__attribute__((format(printf, 1, 2)))
static bool differs(const char *fmt, ...)
{
	va_list ap;

	if (why[0])
		return true;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return true;
}

/* A setup step failed: say which, and why, before exiting. */
static void setup_failed(int step)
{
	say("setup step %d failed: %s", step, strerror(errno));
	_exit(step);
}

static void start_log(void)
{
	close_range(0, ~0U, 0);
	setsid();
	log_fd = open(LOG, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
	if (log_fd < 0)
		_exit(2);
}

/* Wait for GO, then report the verdict and exit. */
static void wait_go_then(bool (*check)(void))
{
	bool bad;

	say("ready");
	wait_for_path(GO);
	bad = check();
	if (bad)
		say("FAIL %s", why);
	else
		say("PASS");
	_exit(bad);
}

/* Read a whole small file into @buf; its length or -1. */
static ssize_t slurp(const char *path, char *buf, size_t size)
{
	ssize_t n, got = 0;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return -1;
	while ((n = read(fd, buf + got, size - got)) > 0)
		got += n;
	close(fd);
	return got;
}

#define NOBODY		65534

/* --- identity ------------------------------------------------------------- */

struct seen {
	char auxv[1024], cmdline[1024], environ[4096], exe[256];
	ssize_t auxv_len, cmdline_len, environ_len, exe_len;
	unsigned long pagesz, entry, random;
};

static struct seen before;
static volatile int worker_go, worker_bad;
static char worker_why[128];
static pid_t worker_tid;

static void look(struct seen *s)
{
	s->auxv_len = slurp("/proc/self/auxv", s->auxv, sizeof(s->auxv));
	s->cmdline_len = slurp("/proc/self/cmdline", s->cmdline, sizeof(s->cmdline));
	s->environ_len = slurp("/proc/self/environ", s->environ, sizeof(s->environ));
	s->exe_len = readlink("/proc/self/exe", s->exe, sizeof(s->exe));
	s->pagesz = getauxval(AT_PAGESZ);
	s->entry = getauxval(AT_ENTRY);
	s->random = getauxval(AT_RANDOM);
}

static bool same_bytes(const char *what, const char *a, ssize_t na,
		       const char *b, ssize_t nb)
{
	if (na <= 0 || na != nb || memcmp(a, b, na))
		return differs("%s differs (%zd bytes, was %zd)", what, nb, na);
	return false;
}

static bool comm_is(pid_t tid, const char *want)
{
	char path[64], buf[32] = "";
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/task/%d/comm", tid);
	n = slurp(path, buf, sizeof(buf) - 1);
	if (n > 0 && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	return !strcmp(buf, want);
}

static uint64_t caps_of(int which)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2] = { { 0 } };

	syscall(SYS_capget, &hdr, d);
	if (which == 0)
		return d[0].effective | (uint64_t)d[1].effective << 32;
	if (which == 1)
		return d[0].permitted | (uint64_t)d[1].permitted << 32;
	return d[0].inheritable | (uint64_t)d[1].inheritable << 32;
}

static int capset3(uint64_t eff, uint64_t prm, uint64_t inh)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2] = {
		{ (uint32_t)eff, (uint32_t)prm, (uint32_t)inh },
		{ (uint32_t)(eff >> 32), (uint32_t)(prm >> 32), (uint32_t)(inh >> 32) },
	};

	return (int)syscall(SYS_capset, &hdr, d);
}

#define CAPBIT(c)	(1ULL << (c))
#define ID_PRM		(caps_all & ~CAPBIT(CAP_SYS_BOOT))
#define ID_EFF		(CAPBIT(CAP_NET_RAW) | CAPBIT(CAP_DAC_OVERRIDE) | CAPBIT(CAP_SETPCAP))
#define ID_INH		CAPBIT(CAP_NET_RAW)
#define ID_BITS		(SECBIT_KEEP_CAPS | SECBIT_NO_CAP_AMBIENT_RAISE)
#define ID_PERS		(ADDR_NO_RANDOMIZE | READ_IMPLIES_EXEC)

static uint64_t caps_all;
static char *ro_page;

/* PF_MEMALLOC_NOIO | PF_LOCAL_THROTTLE: PR_SET_IO_FLUSHER, as /proc shows it. */
#define IO_FLUSHER_PF	0x00180000UL

/* The calling thread's task flags, field 9 of /proc/thread-self/stat. */
static unsigned long thread_pf_flags(void)
{
	char buf[1024], *p;
	unsigned long flags = 0;
	int fd = open("/proc/thread-self/stat", O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	/* ") S ppid pgrp session tty_nr tpgid flags" */
	if (p && sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %lu", &flags) != 1)
		flags = 0;
	return flags;
}

/* The second thread checks its own name, parent-death signal and flags. */
static void *worker(void *arg)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	char name[17] = "";
	int sig = -1;

	unsigned long io;
	int ssb, mce, tsc = -1;

	(void)arg;
	worker_tid = syscall(SYS_gettid);
	prctl(PR_SET_NAME, "fid-worker");
	prctl(PR_SET_PDEATHSIG, SIGURG);
	/* Its own machine-check policy, and speculation control where there is one. */
	prctl(PR_MCE_KILL, PR_MCE_KILL_SET, PR_MCE_KILL_EARLY, 0, 0);
	io = thread_pf_flags() & IO_FLUSHER_PF;
	ssb = prctl(PR_GET_SPECULATION_CTRL, PR_SPEC_STORE_BYPASS, 0, 0, 0);
	if (ssb > 0 && (ssb & PR_SPEC_PRCTL) &&
	    prctl(PR_SET_SPECULATION_CTRL, PR_SPEC_STORE_BYPASS, PR_SPEC_DISABLE, 0, 0))
		ssb = -1;
	ssb = prctl(PR_GET_SPECULATION_CTRL, PR_SPEC_STORE_BYPASS, 0, 0, 0);
	while (!worker_go)
		nanosleep(&ts, NULL);
	mce = prctl(PR_MCE_KILL_GET, 0, 0, 0, 0);
	prctl(PR_GET_TSC, &tsc);
	if (mce != PR_MCE_KILL_EARLY || tsc != PR_TSC_ENABLE ||
	    (thread_pf_flags() & IO_FLUSHER_PF) != io ||
	    prctl(PR_GET_SPECULATION_CTRL, PR_SPEC_STORE_BYPASS, 0, 0, 0) != ssb) {
		snprintf(worker_why, sizeof(worker_why),
			 "worker prctl state: mce %d tsc %d flags 0x%lx (I/O flusher was 0x%lx) ssb 0x%x (was 0x%x)",
			 mce, tsc, thread_pf_flags(), io,
			 prctl(PR_GET_SPECULATION_CTRL, PR_SPEC_STORE_BYPASS, 0, 0, 0), ssb);
		worker_bad = 1;
		return NULL;
	}
	prctl(PR_GET_NAME, name);
	prctl(PR_GET_PDEATHSIG, &sig);
	if (strcmp(name, "fid-worker"))
		snprintf(worker_why, sizeof(worker_why), "worker comm '%s'", name);
	else if (sig != SIGURG)
		snprintf(worker_why, sizeof(worker_why), "worker pdeathsig %d", sig);
	else if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 0)
		snprintf(worker_why, sizeof(worker_why), "worker has no_new_privs");
	worker_bad = worker_why[0] ? 1 : 0;
	return NULL;
}

static pthread_t worker_thread;

static bool check_identity(void)
{
	struct seen now;
	char name[17] = "", maps[8192];
	unsigned long amb = 0;
	int sig = -1, cap;
	char *line;

	/* Seen from /proc while it still runs, then by itself. */
	if (!comm_is(worker_tid, "fid-worker"))
		differs("worker comm in /proc/self/task");
	worker_go = 1;
	pthread_join(worker_thread, NULL);
	if (why[0])
		return true;
	if (worker_bad)
		return differs("%s", worker_why);
	look(&now);
	if (same_bytes("/proc/self/auxv", before.auxv, before.auxv_len, now.auxv, now.auxv_len) ||
	    same_bytes("/proc/self/cmdline", before.cmdline, before.cmdline_len,
		       now.cmdline, now.cmdline_len) ||
	    same_bytes("/proc/self/environ", before.environ, before.environ_len,
		       now.environ, now.environ_len) ||
	    same_bytes("/proc/self/exe", before.exe, before.exe_len, now.exe, now.exe_len))
		return true;
	if (now.pagesz != before.pagesz || now.entry != before.entry ||
	    now.random != before.random)
		return differs("getauxval() differs");
	prctl(PR_GET_NAME, name);
	if (strcmp(name, "fid-main") || !comm_is(getpid(), "fid-main"))
		return differs("comm '%s'", name);
	if (prctl(PR_GET_PDEATHSIG, &sig) || sig != SIGWINCH)
		return differs("pdeathsig %d", sig);
	if (prctl(PR_GET_TSC, &sig) || sig != PR_TSC_SIGSEGV)
		return differs("PR_GET_TSC %d", sig);
	if (prctl(PR_MCE_KILL_GET, 0, 0, 0, 0) != PR_MCE_KILL_DEFAULT)
		return differs("machine-check policy %d", prctl(PR_MCE_KILL_GET, 0, 0, 0, 0));
	/* PR_GET_IO_FLUSHER needs the CAP_SYS_RESOURCE it dropped: /proc. */
	if ((thread_pf_flags() & IO_FLUSHER_PF) != IO_FLUSHER_PF)
		return differs("not an I/O flusher (task flags 0x%lx)", thread_pf_flags());
	if (setfsuid(-1) != NOBODY || setfsgid(-1) != NOBODY)
		return differs("fsuid %d fsgid %d", setfsuid(-1), setfsgid(-1));
	if (personality(0xffffffff) != ID_PERS)
		return differs("personality 0x%x", personality(0xffffffff));
	if (prctl(PR_GET_CHILD_SUBREAPER, &sig) || sig != 1)
		return differs("not a child subreaper");
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		return differs("no no_new_privs");
	if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0)
		return differs("dumpable %d", prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
	if (prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0) != 1)
		return differs("THP not disabled");
	if (prctl(PR_GET_SECUREBITS, 0, 0, 0, 0) != ID_BITS)
		return differs("securebits 0x%x", prctl(PR_GET_SECUREBITS, 0, 0, 0, 0));
	if (caps_of(0) != ID_EFF || caps_of(1) != ID_PRM || caps_of(2) != ID_INH)
		return differs("capabilities eff 0x%llx prm 0x%llx inh 0x%llx",
			       (unsigned long long)caps_of(0), (unsigned long long)caps_of(1),
			       (unsigned long long)caps_of(2));
	for (cap = 0; cap < 64; cap++)
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, cap, 0, 0) == 1)
			amb |= 1UL << cap;
	if (amb != ID_INH)
		return differs("ambient 0x%lx", amb);
	if (prctl(PR_CAPBSET_READ, CAP_SYS_BOOT, 0, 0, 0) != 0 ||
	    prctl(PR_CAPBSET_READ, CAP_MKNOD, 0, 0, 0) != 0 ||
	    prctl(PR_CAPBSET_READ, CAP_NET_RAW, 0, 0, 0) != 1)
		return differs("bounding set");
	/* READ_IMPLIES_EXEC must not have made its read-only page executable. */
	if (slurp("/proc/self/maps", maps, sizeof(maps) - 1) <= 0)
		return differs("no maps");
	maps[sizeof(maps) - 1] = '\0';
	for (line = strtok(maps, "\n"); line; line = strtok(NULL, "\n"))
		if (strtoul(line, NULL, 16) == (unsigned long)ro_page &&
		    strncmp(strchr(line, ' ') + 1, "r--p", 4))
			return differs("read-only page is %.4s", strchr(line, ' ') + 1);
	return false;
}

/*
 * Name, parent-death signal, subreaper, personality, THP-disable,
 * capabilities of all five kinds, securebits, then no_new_privs and
 * dumpable (last: they restrict what may follow).
 */
static void identity_workload(void)
{
	int cap;

	start_log();
	/* Filesystem ids apart from the others, before the worker inherits them. */
	setfsgid(NOBODY);
	setfsuid(NOBODY);
	ro_page = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ro_page == MAP_FAILED)
		setup_failed(10);
	prctl(PR_SET_NAME, "fid-main");
	caps_all = caps_of(1);
	/* Needs CAP_SYS_RESOURCE, which the capabilities below drop. */
	if (prctl(PR_SET_IO_FLUSHER, 1, 0, 0, 0))
		setup_failed(17);
	if (prctl(PR_SET_PDEATHSIG, SIGWINCH) || prctl(PR_SET_CHILD_SUBREAPER, 1) ||
	    personality(ID_PERS) < 0 || prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) ||
	    prctl(PR_CAPBSET_DROP, CAP_SYS_BOOT, 0, 0, 0) ||
	    prctl(PR_CAPBSET_DROP, CAP_MKNOD, 0, 0, 0))
		setup_failed(11);
	if (capset3(ID_PRM, ID_PRM, ID_INH))
		setup_failed(12);
	for (cap = 0; cap < 64; cap++)
		if ((ID_INH & CAPBIT(cap)) &&
		    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0))
			setup_failed(13);
	if (prctl(PR_SET_SECUREBITS, ID_BITS, 0, 0, 0) || capset3(ID_EFF, ID_PRM, ID_INH))
		setup_failed(14);
	/*
	 * Credentials are per thread: the worker is made with the main
	 * thread's final ones (one that differs is refused:
	 * thread_credentials_refused), before the per-task flags below.
	 */
	if (pthread_create(&worker_thread, NULL, worker, NULL))
		setup_failed(10);
	/* Per thread: rdtsc faults in this one only. */
	if (prctl(PR_SET_TSC, PR_TSC_SIGSEGV, 0, 0, 0))
		setup_failed(18);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || prctl(PR_SET_DUMPABLE, 0, 0, 0, 0))
		setup_failed(15);
	look(&before);
	if (before.auxv_len <= 0 || before.cmdline_len <= 0 || before.exe_len <= 0)
		setup_failed(16);
	wait_go_then(check_identity);
}

/* --- memory attributes ------------------------------------------------------ */

#define NREGIONS	13
#define REGION_PAGES	16

static const struct {
	const char *name;
	int advice;		/* madvise(), or -1 */
	const char *flag;	/* smaps VmFlags it must show, or NULL */
} regions[NREGIONS] = {
	{ "dontfork", MADV_DONTFORK, "dc" },
	{ "dontdump", MADV_DONTDUMP, "dd" },
	{ "wipeonfork", MADV_WIPEONFORK, "wf" },
	{ "hugepage", MADV_HUGEPAGE, "hg" },
	{ "nohugepage", MADV_NOHUGEPAGE, "nh" },
	{ "sequential", MADV_SEQUENTIAL, "sr" },
	{ "random", MADV_RANDOM, "rr" },
	{ "mergeable", MADV_MERGEABLE, "mg" },
	{ "mlock", -1, "lo" },
	{ "mlock-onfault", -1, "lo" },
	{ "noreserve", -1, "nr" },
	{ "guard", -1, NULL },
	{ "plain", -1, NULL },
};

static char *region[NREGIONS];

/* Every mapping's VmFlags, as smaps shows them, keyed by start address. */
#define MAX_VMAS_SEEN	256
static struct {
	unsigned long start;
	char flags[128];
	char name[64];
} vm_before[MAX_VMAS_SEEN], vm_now[MAX_VMAS_SEEN];
static int nr_before, nr_now;
static char smaps[1 << 20];
static long vmlck_before;

static int read_smaps(typeof(vm_before[0]) *out)
{
	ssize_t n = slurp("/proc/self/smaps", smaps, sizeof(smaps) - 1);
	char *line, *save;
	int nr = 0;

	if (n <= 0)
		return -1;
	smaps[n] = '\0';
	for (line = strtok_r(smaps, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned long s, e;
		int off = 0;

		if (sscanf(line, "%lx-%lx %*s %*s %*s %*s %n", &s, &e, &off) == 2 && off &&
		    nr < MAX_VMAS_SEEN) {
			out[nr].start = s;
			snprintf(out[nr].name, sizeof(out[nr].name), "%s", line + off);
			out[nr++].flags[0] = '\0';
		} else if (!strncmp(line, "VmFlags:", 8) && nr) {
			snprintf(out[nr - 1].flags, sizeof(out[0].flags), "%s", line + 8);
		}
	}
	return nr;
}

static long vmlck(void)
{
	char buf[4096], *p;
	ssize_t n = slurp("/proc/self/status", buf, sizeof(buf) - 1);

	if (n <= 0)
		return -1;
	buf[n] = '\0';
	p = strstr(buf, "VmLck:");
	return p ? strtol(p + 6, NULL, 10) : -1;
}

static bool has_flag(const char *flags, const char *f)
{
	char pat[8];

	snprintf(pat, sizeof(pat), " %s", f);
	return strstr(flags, pat) != NULL;
}

/*
 * smaps VmFlags without what restore does not keep: soft-dirty, which any
 * new mapping has, and the commit charge ("ac") a private file mapping
 * keeps after it was once writable (RELRO), which a read-only restored
 * one does not get (a documented limit).
 */
static void strip_unkept(char *flags)
{
	static const char *const unkept[] = { " sd", " ac" };
	char *p;
	int i;

	for (i = 0; i < 2; i++) {
		p = strstr(flags, unkept[i]);
		if (p)
			memmove(p, p + 3, strlen(p + 3) + 1);
	}
}

static bool check_memory(void)
{
	unsigned char vec[REGION_PAGES];
	char *fresh;
	int i, j, k;

	nr_now = read_smaps(vm_now);
	for (i = 0; i < NREGIONS; i++)
		for (k = 0; k < REGION_PAGES * 4096; k += 4096)
			if (regions[i].advice != MADV_WIPEONFORK && i != 11 &&
			    (i != 9 || k < 2 * 4096) && region[i][k] != (char)(i + k / 4096 + 1))
				return differs("%s: page %d lost", regions[i].name, k / 4096);
	for (i = 0; i < nr_before; i++) {
		/* The mapping that holds its start now (merged, without "ac"). */
		for (j = nr_now - 1; j >= 0 && vm_now[j].start > vm_before[i].start; j--)
			;
		if (strstr(vm_before[i].name, "[vdso]") || strstr(vm_before[i].name, "[vvar]"))
			continue;
		if (j < 0)
			return differs("mapping 0x%lx %s is gone", vm_before[i].start,
				       vm_before[i].name);
		strip_unkept(vm_before[i].flags);
		strip_unkept(vm_now[j].flags);
		if (strcmp(vm_before[i].flags, vm_now[j].flags))
			return differs("mapping 0x%lx %s: VmFlags%s, was%s", vm_before[i].start,
				       vm_before[i].name, vm_now[j].flags, vm_before[i].flags);
	}
	for (i = 0; i < NREGIONS; i++) {
		for (j = 0; j < nr_now && vm_now[j].start != (unsigned long)region[i]; j++)
			;
		if (j == nr_now || (regions[i].flag && !has_flag(vm_now[j].flags, regions[i].flag)))
			return differs("%s: VmFlags%s", regions[i].name,
				       j == nr_now ? " (no mapping)" : vm_now[j].flags);
	}
	if (vmlck() != vmlck_before)
		return differs("VmLck %ld kB, was %ld kB", vmlck(), vmlck_before);
	/* Lock on fault: the untouched pages were not faulted in by the restore. */
	if (mincore(region[9], REGION_PAGES * 4096, vec))
		return differs("mincore: %s", strerror(errno));
	for (k = 2; k < REGION_PAGES; k++)
		if (vec[k] & 1)
			return differs("mlock-onfault: page %d is resident", k);
	/* The guard region still faults: PROT_NONE. */
	if (!strstr(vm_now[0].flags, "") || mprotect(region[11], 4096, PROT_NONE))
		return differs("guard");
	/* mlockall(MCL_FUTURE): a new mapping is locked. */
	fresh = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	nr_now = read_smaps(vm_now);
	for (j = 0; j < nr_now && vm_now[j].start != (unsigned long)fresh; j++)
		;
	if (j == nr_now || !has_flag(vm_now[j].flags, "lo"))
		return differs("mlockall(MCL_FUTURE) lost: new mapping VmFlags%s",
			       j == nr_now ? " ?" : vm_now[j].flags);
	return false;
}

/*
 * One region per attribute smaps shows and user space sets, each filled
 * with its own pattern; a PROT_NONE guard; then mlockall(MCL_FUTURE).
 */
static void memory_workload(void)
{
	int i, k;

	start_log();
	for (i = 0; i < NREGIONS; i++) {
		int flags = MAP_PRIVATE | MAP_ANONYMOUS | (i == 10 ? MAP_NORESERVE : 0);

		/* A gap before each: regions never touch, so never merge. */
		region[i] = mmap(NULL, (REGION_PAGES + 1) * 4096, PROT_READ | PROT_WRITE,
				 flags, -1, 0);
		if (region[i] == MAP_FAILED)
			setup_failed(20);
		munmap(region[i], 4096);
		region[i] += 4096;
		if (regions[i].advice >= 0 && madvise(region[i], REGION_PAGES * 4096,
						      regions[i].advice))
			setup_failed(21);
		for (k = 0; k < REGION_PAGES * 4096; k += 4096)
			if (i != 9 || k < 2 * 4096)
				region[i][k] = (char)(i + k / 4096 + 1);
	}
	if (mlock(region[8], REGION_PAGES * 4096) ||
	    syscall(SYS_mlock2, region[9], REGION_PAGES * 4096, MLOCK_ONFAULT) ||
	    mprotect(region[11], REGION_PAGES * 4096, PROT_NONE) ||
	    mlockall(MCL_FUTURE))
		setup_failed(22);
	vmlck_before = vmlck();
	nr_before = read_smaps(vm_before);
	if (nr_before <= 0)
		setup_failed(23);
	wait_go_then(check_memory);
}

/* --- many mappings ---------------------------------------------------------- */

#define MANY		20000

static char *many;

static bool check_many(void)
{
	int i, lines = 0;
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];

	for (i = 0; i < MANY; i++)
		if (many[i * 8192] != (char)(i * 7 + 1))
			return differs("mapping %d lost its page", i);
	while (f && fgets(line, sizeof(line), f))
		lines++;
	if (f)
		fclose(f);
	if (lines < MANY)
		return differs("%d mappings, expected at least %d", lines, MANY);
	return false;
}

/* 20,000 one-page mappings, alternately read-only, so none merge. */
static void many_workload(void)
{
	int i;

	start_log();
	many = mmap(NULL, MANY * 8192UL, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (many == MAP_FAILED)
		setup_failed(30);
	for (i = 0; i < MANY; i++) {
		many[i * 8192] = (char)(i * 7 + 1);
		if (mprotect(many + i * 8192 + 4096, 4096, PROT_READ))
			setup_failed(31);
	}
	wait_go_then(check_many);
}

/* --- scheduling, OOM score and dump filter ----------------------------------- */

#define NR_SCHED	4

#define IOPRIO(class, level)	((class) << 13 | (level))

/*
 * Per thread: policy, real-time priority, reset-on-fork, nice, slack, CPU
 * and I/O priority (0: none set, it follows nice).
 */
static const struct {
	int policy, prio;
	bool reset;
	int nice;
	unsigned long slack;
	int cpu, ioprio;
} sched_want[NR_SCHED] = {
	{ SCHED_OTHER, 0, false, 4, 123456, 1, 0 },
	{ SCHED_BATCH, 0, false, 7, 777777, 0, IOPRIO(2, 6) },
	{ SCHED_FIFO, 10, true, 0, 50000, 1, IOPRIO(1, 3) },
	{ SCHED_IDLE, 0, false, 19, 1000, 0, IOPRIO(3, 0) },
};
static volatile int sched_go, sched_started;
static char sched_why[NR_SCHED][160];
/* Each thread's timer slack as it reads it (an RT thread's may read 0). */
static long sched_slack[NR_SCHED];

static void sched_set(int i)
{
	struct sched_param sp = { .sched_priority = sched_want[i].prio };
	cpu_set_t cpus;

	CPU_ZERO(&cpus);
	CPU_SET(sched_want[i].cpu, &cpus);
	if (sched_setscheduler(0, sched_want[i].policy |
			       (sched_want[i].reset ? SCHED_RESET_ON_FORK : 0), &sp) ||
	    setpriority(PRIO_PROCESS, syscall(SYS_gettid), sched_want[i].nice) ||
	    sched_setaffinity(0, sizeof(cpus), &cpus) ||
	    prctl(PR_SET_TIMERSLACK, sched_want[i].slack, 0, 0, 0) ||
	    (sched_want[i].ioprio && syscall(SYS_ioprio_set, 1, 0, sched_want[i].ioprio)))
		setup_failed(70 + i);
	sched_slack[i] = prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);
}

/* Thread @i's own view of its scheduling, after the restore. */
static void sched_check(int i)
{
	pid_t tid = syscall(SYS_gettid);
	int policy = sched_getscheduler(0);
	struct sched_param sp = { 0 };
	cpu_set_t cpus;

	sched_getparam(0, &sp);
	CPU_ZERO(&cpus);
	sched_getaffinity(0, sizeof(cpus), &cpus);
	if ((policy & ~SCHED_RESET_ON_FORK) != sched_want[i].policy ||
	    !!(policy & SCHED_RESET_ON_FORK) != sched_want[i].reset)
		snprintf(sched_why[i], sizeof(sched_why[i]), "thread %d policy 0x%x", i, policy);
	else if (sp.sched_priority != sched_want[i].prio)
		snprintf(sched_why[i], sizeof(sched_why[i]), "thread %d priority %d", i,
			 sp.sched_priority);
	else if (getpriority(PRIO_PROCESS, tid) != sched_want[i].nice)
		snprintf(sched_why[i], sizeof(sched_why[i]), "thread %d nice %d", i,
			 getpriority(PRIO_PROCESS, tid));
	else if (CPU_COUNT(&cpus) != 1 || !CPU_ISSET(sched_want[i].cpu, &cpus))
		snprintf(sched_why[i], sizeof(sched_why[i]), "thread %d affinity: %d CPUs", i,
			 CPU_COUNT(&cpus));
	else if (sched_want[i].ioprio &&
		 syscall(SYS_ioprio_get, 1, 0) != sched_want[i].ioprio)
		snprintf(sched_why[i], sizeof(sched_why[i]), "thread %d I/O priority 0x%lx", i,
			 syscall(SYS_ioprio_get, 1, 0));
	else if (prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0) != sched_slack[i])
		snprintf(sched_why[i], sizeof(sched_why[i]), "thread %d timer slack %d, was %ld",
			 i, prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0), sched_slack[i]);
}

static void *sched_thread(void *arg)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	int i = (int)(long)arg;

	sched_set(i);
	__atomic_add_fetch(&sched_started, 1, __ATOMIC_ACQ_REL);
	while (!sched_go)
		nanosleep(&ts, NULL);
	sched_check(i);
	return NULL;
}

static pthread_t sched_threads[NR_SCHED];

static bool check_sched(void)
{
	char text[64] = "";
	int i;

	sched_go = 1;
	sched_check(0);
	for (i = 1; i < NR_SCHED; i++)
		pthread_join(sched_threads[i], NULL);
	for (i = 0; i < NR_SCHED; i++)
		if (sched_why[i][0])
			return differs("%s", sched_why[i]);
	if (slurp("/proc/self/oom_score_adj", text, sizeof(text) - 1) <= 0 ||
	    atoi(text) != 345)
		return differs("oom_score_adj %s", text);
	memset(text, 0, sizeof(text));
	if (slurp("/proc/self/coredump_filter", text, sizeof(text) - 1) <= 0 ||
	    strtoul(text, NULL, 16) != 0x27)
		return differs("coredump_filter %s", text);
	return false;
}

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		setup_failed(79);
	close(fd);
}

static void sched_workload(void)
{
	long i;

	start_log();
	write_file("/proc/self/oom_score_adj", "345");
	write_file("/proc/self/coredump_filter", "0x27");
	for (i = 1; i < NR_SCHED; i++)
		if (pthread_create(&sched_threads[i], NULL, sched_thread, (void *)i))
			setup_failed(78);
	sched_set(0);
	while (__atomic_load_n(&sched_started, __ATOMIC_ACQUIRE) < NR_SCHED - 1)
		usleep(10000);
	wait_go_then(check_sched);
}

/* --- memory that stays shared ------------------------------------------------ */

#define SHM_PAGES	3
#define SHM_FILE	"/dev/shm/ckpt-fid-shared"

/*
 * Each kind of shared memory, mapped by the workload and by its child:
 * MAP_SHARED | MAP_ANONYMOUS (its middle page made read-only, so one
 * object behind three mappings), a shared /dev/zero mapping, a memfd
 * with a descriptor, a memfd whose descriptor was closed, a file in
 * /dev/shm.
 */
enum { SH_ANON, SH_ZERO, SH_MEMFD, SH_MEMFD_NOFD, SH_SHMFILE, NR_SH };
static const char *const sh_name[NR_SH] = {
	"shared anonymous", "/dev/zero", "memfd", "memfd without descriptor", "/dev/shm file",
};
static char *sh[NR_SH];
static int sh_memfd = -1;
static pid_t sh_child;

/* The byte page @k of mapping @i holds, written by @who (0 parent, 1 child). */
static char sh_byte(int i, int k, int who)
{
	return (char)(0x10 * (i + 1) + k + (who ? 0x80 : 0));
}

/* The child: after the restore, write its own bytes into every mapping. */
static void sh_child_main(void)
{
	int i, k;

	wait_for_path(GO);
	for (i = 0; i < NR_SH; i++)
		for (k = 0; k < SHM_PAGES; k++) {
			if (sh[i][k * 4096] != sh_byte(i, k, 0))
				_exit(10 + i);
			if (k != 1)
				sh[i][k * 4096 + 1] = sh_byte(i, k, 1);
		}
	_exit(0);
}

static bool check_shared(void)
{
	char b = 0;
	int st, i, k;

	if (waitpid(sh_child, &st, 0) != sh_child)
		return differs("the child is gone: %s", strerror(errno));
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		return differs("the child saw other bytes (status 0x%x: %s)", st,
			       WIFEXITED(st) && WEXITSTATUS(st) >= 10 ?
			       sh_name[WEXITSTATUS(st) - 10] : "?");
	for (i = 0; i < NR_SH; i++)
		for (k = 0; k < SHM_PAGES; k++) {
			if (sh[i][k * 4096] != sh_byte(i, k, 0))
				return differs("%s page %d lost its contents", sh_name[i], k);
			if (k != 1 && sh[i][k * 4096 + 1] != sh_byte(i, k, 1))
				return differs("%s page %d: the child's write is not seen: not shared",
					       sh_name[i], k);
		}
	if (pread(sh_memfd, &b, 1, 1) != 1 || b != sh_byte(SH_MEMFD, 0, 1))
		return differs("the memfd's descriptor does not see its mapping's write");
	return false;
}

static char *sh_map(int i, int fd)
{
	int flags = MAP_SHARED | (fd < 0 ? MAP_ANONYMOUS : 0);
	char *p = mmap(NULL, SHM_PAGES * 4096, PROT_READ | PROT_WRITE, flags, fd, 0);
	int k;

	if (p == MAP_FAILED)
		setup_failed(40 + i);
	for (k = 0; k < SHM_PAGES; k++)
		p[k * 4096] = sh_byte(i, k, 0);
	return p;
}

static void shared_workload(void)
{
	int fd;

	start_log();
	sh[SH_ANON] = sh_map(SH_ANON, -1);
	if (mprotect(sh[SH_ANON] + 4096, 4096, PROT_READ))
		setup_failed(50);
	fd = open("/dev/zero", O_RDWR);
	sh[SH_ZERO] = sh_map(SH_ZERO, fd);
	close(fd);
	sh_memfd = memfd_create("ckpt-fid", MFD_ALLOW_SEALING);
	if (sh_memfd < 0 || ftruncate(sh_memfd, SHM_PAGES * 4096))
		setup_failed(51);
	sh[SH_MEMFD] = sh_map(SH_MEMFD, sh_memfd);
	fd = memfd_create("ckpt-fid-nofd", 0);
	if (fd < 0 || ftruncate(fd, SHM_PAGES * 4096))
		setup_failed(52);
	sh[SH_MEMFD_NOFD] = sh_map(SH_MEMFD_NOFD, fd);
	close(fd);
	fd = open(SHM_FILE, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || ftruncate(fd, SHM_PAGES * 4096))
		setup_failed(53);
	sh[SH_SHMFILE] = sh_map(SH_SHMFILE, fd);
	close(fd);
	sh_child = fork();
	if (sh_child < 0)
		setup_failed(54);
	if (!sh_child)
		sh_child_main();
	wait_go_then(check_shared);
}

/* A memory policy of the thread (@how 0) or of a mapping (1), then wait. */
static void mempolicy_workload(int how)
{
	unsigned long node0 = 1;
	char *p, *other;
	int fd;

	start_log();
	p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		setup_failed(61);
	/*
	 * 2: the policy of a memfd's object, set through a mapping since
	 * unmapped; another mapping of it has none of its own.
	 */
	if (how == 2) {
		fd = memfd_create("fid-policy", 0);
		if (fd < 0 || ftruncate(fd, 8192))
			setup_failed(63);
		munmap(p, 8192);
		p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		other = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED || other == MAP_FAILED)
			setup_failed(64);
		if (syscall(SYS_mbind, p, 8192, MPOL_BIND, &node0, 64, 0))
			setup_failed(62);
		munmap(p, 8192);
		other[0] = 1;
		say("ready");
		pause();
		_exit(0);
	}
	if (how ? syscall(SYS_mbind, p, 8192, MPOL_BIND, &node0, 64, 0) :
	    syscall(SYS_set_mempolicy, MPOL_BIND, &node0, 64))
		setup_failed(62);
	p[0] = 1;
	say("ready");
	pause();
	_exit(0);
}

static volatile int cred_thread_done;

static void *drop_own_caps(void *arg)
{
	(void)arg;
	/* capset() without a pid changes only the calling thread. */
	if (!capset3(0, caps_of(1), caps_of(2)))
		cred_thread_done = 1;
	for (;;)
		pause();
	return NULL;
}

/* A thread that dropped its effective capabilities, and only its own. */
static void cred_thread_workload(void)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	pthread_t t;

	start_log();
	if (pthread_create(&t, NULL, drop_own_caps, NULL))
		setup_failed(63);
	while (!cred_thread_done)
		nanosleep(&ts, NULL);
	say("ready");
	for (;;)
		pause();
}

/* A process keyring, which the image does not carry. */
static void keyring_workload(void)
{
	start_log();
	if (syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */,
		    -2 /* KEY_SPEC_PROCESS_KEYRING */, 1) < 0)
		setup_failed(68);
	say("ready");
	for (;;)
		pause();
}

static void write_file(const char *path, const char *text);

/* A namespace of its own (@flag: CLONE_NEWUTS, CLONE_NEWPID), refused. */
static void unshare_workload(int flag)
{
	start_log();
	if (unshare(flag))
		setup_failed(69);
	say("ready");
	for (;;)
		pause();
}

/* A session keyring of its own with a key in it, refused. */
static void session_keyring_workload(void)
{
	start_log();
	if (syscall(SYS_keyctl, 1 /* KEYCTL_JOIN_SESSION_KEYRING */, "ckpt-fid") < 0 ||
	    syscall(SYS_add_key, "user", "ckpt-fid-key", "v", 1,
		    -3 /* KEY_SPEC_SESSION_KEYRING */) < 0)
		setup_failed(70);
	say("ready");
	for (;;)
		pause();
}

/* Adjustments to undo at exit (semop() with SEM_UNDO), refused. */
#define SEM_KEY		0x4b1d0a02

static void sem_undo_workload(void)
{
	struct sembuf up = { .sem_num = 0, .sem_op = 1, .sem_flg = SEM_UNDO };
	int id;

	start_log();
	id = semget(SEM_KEY, 1, IPC_CREAT | 0600);
	if (id < 0 || semop(id, &up, 1))
		setup_failed(71);
	say("ready");
	for (;;)
		pause();
}

/*
 * A cgroup of its own and an audit login uid: after the restore (which
 * finds the cgroup removed and makes it again) it is in the same cgroup
 * with the same login uid.
 */
#define CG_ROOT		"/sys/fs/cgroup"
#define CG_DIR		CG_ROOT "/ckpt-fid"
#define CG_INNER	CG_DIR "/inner"
#define ENV_LOGINUID	4242

static bool read_line(const char *path, char *buf, size_t size)
{
	ssize_t n = slurp(path, buf, size - 1);

	if (n <= 0)
		return false;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return true;
}

static bool check_env(void)
{
	char buf[256];

	if (!read_line("/proc/self/cgroup", buf, sizeof(buf)) ||
	    strcmp(buf, "0::/ckpt-fid/inner"))
		return differs("its cgroup is '%s', not /ckpt-fid/inner", buf);
	if (!read_line("/proc/self/loginuid", buf, sizeof(buf)) ||
	    atol(buf) != ENV_LOGINUID)
		return differs("its login uid is %s, not %d", buf, ENV_LOGINUID);
	return false;
}

static void env_workload(void)
{
	char uid[16];

	start_log();
	snprintf(uid, sizeof(uid), "%d", ENV_LOGINUID);
	write_file(CG_INNER "/cgroup.procs", "0");
	write_file("/proc/self/loginuid", uid);
	wait_go_then(check_env);
}

/*
 * Two protection keys allocated and the first given back: after the
 * restore the second is still allocated and the first still free.
 */
static long pkey_kept, pkey_freed;

static bool check_pkeys(void)
{
	if (!syscall(SYS_pkey_free, pkey_freed))
		return differs("key %ld, given back, was allocated again", pkey_freed);
	if (syscall(SYS_pkey_free, pkey_kept))
		return differs("key %ld is no longer allocated: %s", pkey_kept, strerror(errno));
	return false;
}

static void pkeys_workload(void)
{
	start_log();
	pkey_freed = syscall(SYS_pkey_alloc, 0, 0);
	pkey_kept = syscall(SYS_pkey_alloc, 0, 0);
	if (pkey_freed < 0 || pkey_kept < 0 || syscall(SYS_pkey_free, pkey_freed))
		setup_failed(73);
	wait_go_then(check_pkeys);
}

/* --- System V shared memory ------------------------------------------------ */

/*
 * Three segments attached by the workload and, through fork(), by its
 * child: one with a key (created SHM_NORESERVE, given to another owner
 * and mode), one private and locked (SHM_LOCK), one removed (IPC_RMID)
 * while attached; the keyed one is attached a second time, SHM_RDONLY.
 */
#define SV_KEY		0x4b1d0a01
enum { SV_KEYED, SV_PRIVATE, SV_REMOVED, NR_SV };
static const char *const sv_name[NR_SV] = { "keyed", "IPC_PRIVATE", "removed" };
static const int sv_pages[NR_SV] = { 3, 2, 1 };
static const int sv_mode[NR_SV] = { 0640, 0600, 0604 };
static int sv_id[NR_SV];
static char *sv[NR_SV];
static char *sv_ro;
static struct shmid_ds sv_before[NR_SV];
static pid_t sv_child;

/* The child's verdict, in the private segment's last byte. */
#define SV_VERDICT	(sv[SV_PRIVATE][sv_pages[SV_PRIVATE] * 4096 - 1])

/* Page @k of segment @i: bytes of their own, as sh_byte() gives mappings. */
#define sv_byte(i, k, who)	sh_byte(NR_SH + (i), (k), (who))

/* The child: after the restore, check the parent's bytes, write its own. */
static void sv_child_main(void)
{
	int i, k;

	wait_for_path(GO);
	for (i = 0; i < NR_SV; i++)
		for (k = 0; k < sv_pages[i]; k++) {
			if (sv[i][k * 4096] != sv_byte(i, k, 0)) {
				SV_VERDICT = (char)(10 + i);
				pause();
			}
			sv[i][k * 4096 + 1] = sv_byte(i, k, 1);
		}
	SV_VERDICT = 'P';
	pause();
}

static bool sv_same_stat(int i)
{
	const struct shmid_ds *b = &sv_before[i];
	struct shmid_ds now;

	if (shmctl(sv_id[i], IPC_STAT, &now))
		return differs("%s segment %d is gone: %s", sv_name[i], sv_id[i], strerror(errno));
	if (now.shm_perm.__key != b->shm_perm.__key || now.shm_perm.mode != b->shm_perm.mode ||
	    now.shm_perm.uid != b->shm_perm.uid || now.shm_perm.gid != b->shm_perm.gid ||
	    now.shm_perm.cuid != b->shm_perm.cuid || now.shm_perm.cgid != b->shm_perm.cgid)
		return differs("%s segment %d: key 0x%x mode 0%o uid %u gid %u cuid %u cgid %u, was 0x%x 0%o %u %u %u %u",
			       sv_name[i], sv_id[i], now.shm_perm.__key, now.shm_perm.mode,
			       now.shm_perm.uid, now.shm_perm.gid, now.shm_perm.cuid,
			       now.shm_perm.cgid, b->shm_perm.__key, b->shm_perm.mode,
			       b->shm_perm.uid, b->shm_perm.gid, b->shm_perm.cuid, b->shm_perm.cgid);
	if (now.shm_segsz != b->shm_segsz || now.shm_nattch != b->shm_nattch)
		return differs("%s segment %d: size %zu, %lu attachments, was %zu, %lu",
			       sv_name[i], sv_id[i], now.shm_segsz, (unsigned long)now.shm_nattch,
			       b->shm_segsz, (unsigned long)b->shm_nattch);
	return false;
}

static bool check_sysv(void)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	int i, k, tries;

	for (tries = 0; !SV_VERDICT && tries < 500; tries++)
		nanosleep(&ts, NULL);
	if (SV_VERDICT != 'P')
		return differs("the child saw other bytes in the %s segment (verdict %d)",
			       SV_VERDICT >= 10 && SV_VERDICT < 10 + NR_SV ?
			       sv_name[SV_VERDICT - 10] : "?", SV_VERDICT);
	/* With the child still attached, as at the checkpoint. */
	for (i = 0; i < NR_SV; i++)
		if (sv_same_stat(i))
			return true;
	kill(sv_child, SIGKILL);
	waitpid(sv_child, NULL, 0);
	if (shmget(SV_KEY, 0, 0) != sv_id[SV_KEYED])
		return differs("key 0x%x no longer names segment %d", SV_KEY, sv_id[SV_KEYED]);
	for (i = 0; i < NR_SV; i++)
		for (k = 0; k < sv_pages[i]; k++) {
			if (sv[i][k * 4096] != sv_byte(i, k, 0))
				return differs("%s segment page %d lost its contents", sv_name[i], k);
			if (sv[i][k * 4096 + 1] != sv_byte(i, k, 1))
				return differs("%s segment page %d: the child's write is not seen: not shared",
					       sv_name[i], k);
		}
	for (k = 0; k < sv_pages[SV_KEYED]; k++)
		if (sv_ro[k * 4096 + 1] != sv_byte(SV_KEYED, k, 1))
			return differs("the SHM_RDONLY attachment does not see page %d's write", k);
	if (!mprotect(sv_ro, 4096, PROT_READ | PROT_WRITE) || errno != EACCES)
		return differs("the SHM_RDONLY attachment may be made writable (%s)", strerror(errno));
	shmctl(sv_id[SV_KEYED], IPC_RMID, NULL);
	shmctl(sv_id[SV_PRIVATE], IPC_RMID, NULL);
	return false;
}

static void sysv_workload(void)
{
	struct shmid_ds ds;
	int i, k, old;

	start_log();
	old = shmget(SV_KEY, 0, 0);
	if (old >= 0)
		shmctl(old, IPC_RMID, NULL);	/* left by an earlier run */
	for (i = 0; i < NR_SV; i++) {
		sv_id[i] = shmget(i == SV_KEYED ? SV_KEY : IPC_PRIVATE, sv_pages[i] * 4096,
				  IPC_CREAT | IPC_EXCL | sv_mode[i] |
				  (i == SV_KEYED ? SHM_NORESERVE : 0));
		sv[i] = sv_id[i] < 0 ? (char *)-1 : shmat(sv_id[i], NULL, 0);
		if (sv[i] == (char *)-1)
			setup_failed(60 + i);
		for (k = 0; k < sv_pages[i]; k++)
			sv[i][k * 4096] = sv_byte(i, k, 0);
	}
	/* Owned by another user than its creator, with another mode. */
	if (shmctl(sv_id[SV_KEYED], IPC_STAT, &ds))
		setup_failed(63);
	ds.shm_perm.uid = NOBODY;
	ds.shm_perm.gid = NOBODY;
	ds.shm_perm.mode = 0660;
	sv_ro = shmat(sv_id[SV_KEYED], NULL, SHM_RDONLY);
	if (shmctl(sv_id[SV_KEYED], IPC_SET, &ds) || sv_ro == (char *)-1 ||
	    shmctl(sv_id[SV_PRIVATE], SHM_LOCK, NULL) ||
	    shmctl(sv_id[SV_REMOVED], IPC_RMID, NULL))
		setup_failed(64);
	sv_child = fork();
	if (sv_child < 0)
		setup_failed(65);
	if (!sv_child)
		sv_child_main();
	for (i = 0; i < NR_SV; i++)
		if (shmctl(sv_id[i], IPC_STAT, &sv_before[i]))
			setup_failed(66);
	say("ids %d %d %d", sv_id[0], sv_id[1], sv_id[2]);
	wait_go_then(check_sysv);
}

/* A SHM_HUGETLB segment attached: refused, naming the segment. */
static void sysv_huge_workload(void)
{
	int id;
	char *p;

	start_log();
	id = shmget(IPC_PRIVATE, 2 << 20, IPC_CREAT | SHM_HUGETLB | 0600);
	p = id < 0 ? (char *)-1 : shmat(id, NULL, 0);
	if (p == (char *)-1)
		setup_failed(60);
	p[0] = 1;
	shmctl(id, IPC_RMID, NULL);
	say("ready");
	pause();
	_exit(0);
}

/* --- seccomp --------------------------------------------------------------- */

static void seccomp_workload(void)
{
	struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	struct sock_fprog prog = { .len = 1, .filter = &allow };
	struct timespec ts = { 0, 20 * 1000 * 1000 };

	start_log();
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog))
		setup_failed(40);
	say("ready");
	for (;;)
		nanosleep(&ts, NULL);
}

/* Strict mode allows read, write, exit and sigreturn: it blocks in read(). */
static void strict_workload(void)
{
	int p[2];
	char c;

	start_log();
	if (pipe(p))
		setup_failed(41);
	say("ready");
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT))
		setup_failed(42);
	for (;;)
		if (read(p[0], &c, 1) < 0)
			syscall(SYS_exit, 43);
}

/* --- threads of a process whose owner is not root ------------------------ */

#define NR_NOBODY_THREADS	3

static pid_t nobody_tids[NR_NOBODY_THREADS];
static volatile int nobody_started, nobody_checked, nobody_bad;
static volatile int nobody_go;

/* Each thread checks its own tid and credentials: both are per thread. */
static void *nobody_thread(void *arg)
{
	long i = (long)arg;
	uid_t r, e, s;

	nobody_tids[i] = (pid_t)syscall(SYS_gettid);
	__atomic_add_fetch(&nobody_started, 1, __ATOMIC_ACQ_REL);
	while (!__atomic_load_n(&nobody_go, __ATOMIC_ACQUIRE))
		usleep(10000);
	if (syscall(SYS_gettid) != nobody_tids[i] ||
	    getresuid(&r, &e, &s) || r != NOBODY || e != NOBODY || s != NOBODY)
		__atomic_store_n(&nobody_bad, 1, __ATOMIC_RELEASE);
	__atomic_add_fetch(&nobody_checked, 1, __ATOMIC_ACQ_REL);
	for (;;)
		pause();
	return NULL;
}

static bool check_nobody(void)
{
	uid_t r, e, s;
	int i;

	__atomic_store_n(&nobody_go, 1, __ATOMIC_RELEASE);
	for (i = 0; i < 500 && nobody_checked < NR_NOBODY_THREADS; i++)
		usleep(10000);
	if (nobody_checked < NR_NOBODY_THREADS)
		return differs("only %d of %d threads ran after the restore",
			       nobody_checked, NR_NOBODY_THREADS);
	if (nobody_bad)
		return differs("a thread lost its tid or its uid %d", NOBODY);
	if (getresuid(&r, &e, &s) || r != NOBODY || e != NOBODY || s != NOBODY)
		return differs("the main thread's uids are %u/%u/%u", r, e, s);
	return false;
}

/*
 * Issue 15 item 1: a multi-threaded process of an ordinary user (nobody),
 * restored by root, gets its threads back with their tids and its uid.
 */
static void nobody_workload(void)
{
	pthread_t t;
	long i;

	start_log();
	if (setresgid(NOBODY, NOBODY, NOBODY) || setresuid(NOBODY, NOBODY, NOBODY))
		setup_failed(10);
	for (i = 0; i < NR_NOBODY_THREADS; i++)
		if (pthread_create(&t, NULL, nobody_thread, (void *)i))
			setup_failed(11);
	while (__atomic_load_n(&nobody_started, __ATOMIC_ACQUIRE) < NR_NOBODY_THREADS)
		usleep(10000);
	wait_go_then(check_nobody);
}

__attribute__((constructor)) static void maybe_workload(void)
{
	const char *w = getenv("CKPT_FID_WORKLOAD");

	if (w && !strcmp(w, "identity"))
		identity_workload();
	if (w && !strcmp(w, "memory"))
		memory_workload();
	if (w && !strcmp(w, "many"))
		many_workload();
	if (w && !strcmp(w, "seccomp"))
		seccomp_workload();
	if (w && !strcmp(w, "strict"))
		strict_workload();
	if (w && !strcmp(w, "nobody"))
		nobody_workload();
	if (w && !strcmp(w, "shared"))
		shared_workload();
	if (w && !strcmp(w, "sysv"))
		sysv_workload();
	if (w && !strcmp(w, "sysv_huge"))
		sysv_huge_workload();
	if (w && !strcmp(w, "sched"))
		sched_workload();
	if (w && !strcmp(w, "set_mempolicy"))
		mempolicy_workload(0);
	if (w && !strcmp(w, "mbind"))
		mempolicy_workload(1);
	if (w && !strcmp(w, "shmem_policy"))
		mempolicy_workload(2);
	if (w && !strcmp(w, "cred_thread"))
		cred_thread_workload();
	if (w && !strcmp(w, "keyring"))
		keyring_workload();
	if (w && !strcmp(w, "uts_ns"))
		unshare_workload(CLONE_NEWUTS);
	if (w && !strcmp(w, "pid_ns"))
		unshare_workload(CLONE_NEWPID);
	if (w && !strcmp(w, "session_keyring"))
		session_keyring_workload();
	if (w && !strcmp(w, "sem_undo"))
		sem_undo_workload();
	if (w && !strcmp(w, "env"))
		env_workload();
	if (w && !strcmp(w, "pkeys"))
		pkeys_workload();
}

/* --- the tests ------------------------------------------------------------- */

static int wait_for_line(const char *what, int tries, char *buf, size_t size)
{
	ssize_t n;
	int i;

	for (i = 0; i < tries; i++) {
		n = slurp(LOG, buf, size - 1);
		if (n > 0) {
			buf[n] = '\0';
			if (strstr(buf, what))
				return 0;
		}
		usleep(50000);
	}
	return -1;
}

/* /proc of the workload just before its checkpoint (each test is a process). */
static struct ps_snap proc_before;

/* Run between the kill and the restore, if set. */
static void (*after_kill)(void);

/* Checkpoint workload @kind into AREA and SIGKILL it; its pid. */
static pid_t checkpoint_and_kill(struct __test_metadata *_metadata, const char *kind)
{
	struct libckpt_job job, done;
	char err[256], buf[4096];
	struct libckpt *h;
	pid_t pid;
	int fd;

	unlink(GO);
	unlink(AREA);
	unlink(LOG);
	pid = exec_self_as("CKPT_FID_WORKLOAD", kind);
	/* Up to 5 minutes: 20,000 mappings took longer than 60 s under KASAN. */
	EXPECT_EQ(0, wait_for_line("ready", 6000, buf, sizeof(buf))) TH_LOG("%s", buf);
	EXPECT_EQ(0, libckpt_area_create(AREA, 256 << 20, err, sizeof(err)));
	fd = open(AREA, O_RDWR);
	EXPECT_EQ(0, ps_take_idle(&proc_before, &pid, 1, PS_SETTLE_MS));
	EXPECT_EQ(0, libckpt_open(&h));
	EXPECT_EQ(0, libckpt_freeze(h, pid, fd, 0, &job)) TH_LOG("%s", libckpt_error(h));
	EXPECT_EQ(0, libckpt_wait(h, job.id, &done));
	EXPECT_EQ(CKPT_JOB_COMMITTED, done.state) TH_LOG("%s", done.error_msg);
	libckpt_close(h);
	close(fd);
	/* The whole group (the workload's session): its pids must be free. */
	kill(-pid, SIGKILL);
	waitpid(pid, NULL, 0);
	while (!kill(-pid, 0))
		usleep(10000);
	return pid;
}

#define CKPTCTL	"/usr/bin/ckptctl"

/*
 * Restore AREA (the caller, or with @ckptctl `ckptctl restore --wait`,
 * waits as its parent); a helper compares /proc of the restored process
 * with the one before the checkpoint, then tells it to check itself.
 */
static void expect_restored_pass(struct __test_metadata *_metadata, const char *kind,
				 bool ckptctl)
{
	struct libckpt_restore_opts o = { .wait = 1 };
	char err[LIBCKPT_ERRLEN], buf[4096] = "", *report;
	int status = -1, ret, fd, diffs;
	pid_t pid, got = 0, helper;

	pid = checkpoint_and_kill(_metadata, kind);
	if (after_kill)
		after_kill();
	helper = ps_check_async(&proc_before, 0, ps_scope(_metadata->name), GO, &fd);
	ASSERT_LT(0, helper);
	if (ckptctl) {
		/* Its exit status is the restored process's. */
		ret = run_cmd(CKPTCTL " restore " AREA " --wait 2>&1", err, sizeof(err));
		EXPECT_EQ(0, ret) TH_LOG("%s", err);
		status = 0;
		got = pid;
	} else {
		ret = libckpt_restore(AREA, &o, &got, &status, err, sizeof(err));
		EXPECT_EQ(0, ret) TH_LOG("%s", err);
	}
	/* A refused restore restores nothing to compare: stop the helper. */
	diffs = ps_check_wait(helper, fd, ret != 0, &report);
	if (ret)
		free(report);
	else
		EXPECT_PROC_SAME(diffs, report);
	ps_free(&proc_before);
	EXPECT_EQ(pid, got);
	wait_for_line("PASS", 600, buf, sizeof(buf));
	EXPECT_NE(NULL, strstr(buf, "PASS")) TH_LOG("log: %s", buf);
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status)) TH_LOG("status 0x%x", status);
	unlink(AREA);
	unlink(GO);
}

/*
 * Restored by ckptctl, the process finds its own auxv (/proc and
 * getauxval), cmdline, environ, /proc/self/exe (this program, not
 * ckptctl), each thread's name and parent-death signal, personality,
 * subreaper, THP-disable, no_new_privs (main thread only), dumpable 0,
 * securebits and all five capability sets as it left them.
 */
TEST(identity_restored)
{
	if (access(CKPTCTL, X_OK))
		SKIP(return, "%s not installed", CKPTCTL);
	expect_restored_pass(_metadata, "identity", true);
}

/*
 * DONTFORK, DONTDUMP, WIPEONFORK, HUGEPAGE, NOHUGEPAGE, SEQUENTIAL,
 * RANDOM, MERGEABLE, mlock, mlock2(ONFAULT) (nothing faulted in that was
 * not), NORESERVE, a PROT_NONE guard and mlockall(MCL_FUTURE): every
 * mapping's VmFlags and VmLck as before, checked by the process itself.
 */
TEST(memory_attributes_restored)
{
	expect_restored_pass(_metadata, "memory", false);
}

/*
 * A multi-threaded process of an ordinary user, restored by root: every
 * thread comes back with its tid and the user's credentials (it was
 * refused with "cannot create thread N: tid taken or not permitted").
 */
TEST(nonroot_threads_restored_by_root)
{
	expect_restored_pass(_metadata, "nobody", false);
}

/*
 * Four threads with their own policies (OTHER, BATCH, FIFO with
 * reset-on-fork, IDLE), nice values, single-CPU affinities and timer
 * slacks, in a process with its own oom_score_adj and coredump_filter:
 * each thread finds its own again.
 */
TEST(scheduling_restored)
{
	expect_restored_pass(_metadata, "sched", false);
}

/*
 * Shared anonymous memory (three mappings of one object), a shared
 * /dev/zero mapping, a memfd mapped through a descriptor and one mapped
 * without, and a /dev/shm file, each mapped by the workload and by its
 * child: after the restore each sees the other's writes, as before.
 */
TEST(shared_memory_stays_shared)
{
	expect_restored_pass(_metadata, "shared", false);
	unlink(SHM_FILE);
}

/*
 * The segments the workload logged ("ids A B C"): System V segments
 * outlive their processes, so the checkpointed ones are still there
 * after the kill, except the one removed while attached.
 */
static int logged_sv_ids(int ids[NR_SV])
{
	char buf[4096];
	const char *at;

	if (wait_for_line("ids ", 1, buf, sizeof(buf)))
		return -1;
	at = strstr(buf, "ids ");
	return sscanf(at, "ids %d %d %d", &ids[0], &ids[1], &ids[2]) == NR_SV ? 0 : -1;
}

static void remove_sv_left(void)
{
	int ids[NR_SV];

	if (!logged_sv_ids(ids)) {
		shmctl(ids[SV_KEYED], IPC_RMID, NULL);
		shmctl(ids[SV_PRIVATE], IPC_RMID, NULL);
	}
}

/*
 * A keyed segment (owned by another user than its creator, another mode),
 * a private one and one removed while attached, each attached by the
 * workload and its child, the keyed one also SHM_RDONLY: after the
 * restore each process sees the other's writes, IPC_STAT shows the same
 * key, id, owner, creator, mode (SHM_DEST, SHM_LOCKED too), size and
 * attachments, the
 * read-only attachment cannot be made writable, and /proc (smaps
 * "/SYSV<key> (deleted)" with the id as inode) is the same.
 */
TEST(sysv_shm_restored)
{
	after_kill = remove_sv_left;
	expect_restored_pass(_metadata, "sysv", false);
	after_kill = NULL;
}

/*
 * Restoring while the checkpointed segments still exist (ids and key
 * taken) is refused, naming the segment, and leaves them as they were.
 */
TEST(sysv_shm_taken_refused)
{
	char err[LIBCKPT_ERRLEN];
	struct libckpt_restore_opts o = { .wait = 1 };
	int ids[NR_SV], status = -1;
	struct shmid_ds ds;
	pid_t got = 0;
	char msg[64];

	checkpoint_and_kill(_metadata, "sysv");
	ps_free(&proc_before);
	ASSERT_EQ(0, logged_sv_ids(ids));
	EXPECT_GT(0, libckpt_restore(AREA, &o, &got, &status, err, sizeof(err)));
	snprintf(msg, sizeof(msg), "System V segment %d: its id is taken", ids[SV_KEYED]);
	EXPECT_NE(NULL, strstr(err, msg)) TH_LOG("%s", err);
	EXPECT_EQ(0, shmctl(ids[SV_KEYED], IPC_STAT, &ds));
	EXPECT_EQ(0, ds.shm_nattch);
	EXPECT_EQ(0, shmctl(ids[SV_PRIVATE], IPC_STAT, &ds));
	EXPECT_EQ(-1, shmctl(ids[SV_REMOVED], IPC_STAT, &ds));
	remove_sv_left();
	unlink(AREA);
}

FIXTURE(slow) {
};

FIXTURE_SETUP(slow)
{
}

FIXTURE_TEARDOWN(slow)
{
}

/*
 * 20,000 mappings come back, each with its page. The limit is a hang
 * detector: the test took 430 s on a slower build host (2026-12-03).
 */
TEST_F_TIMEOUT(slow, many_mappings_restored, 1200)
{
	expect_restored_pass(_metadata, "many", false);
}

/*
 * Check, then freeze, of @kind are refused before any freeze, naming @why
 * (and, with @pid_named, the workload's pid).
 */
/* Not told by the check: only the parked group shows it. */
#define REFUSED_IN_FREEZE	(1U << 0)
/* The message names the process ("pid N: ..."). */
#define REFUSED_PID_NAMED	(1U << 1)

static void expect_refused_how(struct __test_metadata *_metadata, const char *kind,
			       int want, const char *why, unsigned int how)
{
	struct libckpt_census census;
	struct libckpt_job job;
	char err[256], buf[4096];
	struct libckpt *h;
	pid_t pid;
	int fd;

	unlink(LOG);
	unlink(AREA);
	pid = exec_self_as("CKPT_FID_WORKLOAD", kind);
	ASSERT_EQ(0, wait_for_line("ready", 200, buf, sizeof(buf)));
	usleep(100000);
	ASSERT_EQ(0, libckpt_area_create(AREA, 64 << 20, err, sizeof(err)));
	fd = open(AREA, O_RDWR);
	ASSERT_EQ(0, libckpt_open(&h));
	if (how & REFUSED_IN_FREEZE) {
		EXPECT_EQ(0, libckpt_check(h, pid, &census)) TH_LOG("%s", libckpt_error(h));
	} else {
		EXPECT_EQ(want, libckpt_check(h, pid, &census));
		EXPECT_NE(NULL, strstr(libckpt_error(h), why)) TH_LOG("%s", libckpt_error(h));
	}
	snprintf(buf, sizeof(buf), "pid %d: ", pid);
	if (how & REFUSED_PID_NAMED)
		EXPECT_NE(NULL, strstr(libckpt_error(h), buf)) TH_LOG("%s", libckpt_error(h));
	EXPECT_EQ(want, libckpt_freeze(h, pid, fd, 0, &job));
	EXPECT_NE(NULL, strstr(libckpt_error(h), why)) TH_LOG("%s", libckpt_error(h));
	libckpt_close(h);
	close(fd);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	unlink(AREA);
}

static void expect_refused(struct __test_metadata *_metadata, const char *kind,
			   int want, const char *why)
{
	expect_refused_how(_metadata, kind, want, why, 0);
}

/* A process with a seccomp filter is refused by name before the freeze. */
TEST(seccomp_filter_refused)
{
	expect_refused(_metadata, "seccomp", -EOPNOTSUPP, "seccomp filter: not supported");
}

/* So is one in seccomp strict mode. */
TEST(seccomp_strict_refused)
{
	expect_refused(_metadata, "strict", -EOPNOTSUPP, "seccomp strict mode: not supported");
}

static long hugepages(long n)
{
	char buf[32];
	FILE *f = fopen("/proc/sys/vm/nr_hugepages", "r+");
	long got = 0;

	if (!f)
		return 0;
	if (n >= 0)
		fprintf(f, "%ld\n", n);
	fflush(f);
	rewind(f);
	if (fgets(buf, sizeof(buf), f))
		got = atol(buf);
	fclose(f);
	return got;
}

/*
 * A SHM_HUGETLB segment's attachment is refused before the freeze, the
 * message naming the process and the segment (id and key).
 */
TEST(sysv_shm_hugetlb_refused)
{
	long had = hugepages(-1);

	if (hugepages(had + 2) < had + 2) {
		hugepages(had);
		SKIP(return, "no huge pages to reserve");
	}
	expect_refused_how(_metadata, "sysv_huge", -EINVAL,
			   "System V shared memory created with SHM_HUGETLB is not supported (segment id ",
			   REFUSED_PID_NAMED);
	hugepages(had);
}

/* So are a thread's memory policy and a mapping's. */
TEST(memory_policies_refused)
{
	expect_refused(_metadata, "set_mempolicy", -EOPNOTSUPP,
		       "thread has a memory policy (set_mempolicy): not supported");
	expect_refused(_metadata, "mbind", -EINVAL,
		       "mapping has a memory policy (mbind): not supported");
	expect_refused(_metadata, "shmem_policy", -EINVAL,
		       "shared memory object has a memory policy of its own (mbind): not supported");
}

/*
 * A thread whose credentials differ from its process's first thread's
 * (they are per thread) is refused by name: the image keeps one set.
 */
TEST(thread_credentials_refused)
{
	expect_refused(_metadata, "cred_thread", -EOPNOTSUPP,
		       "thread's credentials (ids, capabilities, securebits, groups) differ");
}

/*
 * So is a process keyring, which it would lose, and a session keyring of
 * its own that holds keys.
 */
TEST(keyrings_refused)
{
	expect_refused(_metadata, "keyring", -EOPNOTSUPP,
		       "process or thread keyring (keyctl): not supported");
	expect_refused(_metadata, "session_keyring", -EOPNOTSUPP,
		       "session keyring with keys, not the caller's");
}

/*
 * A process in namespaces of its own would come back in the restorer's:
 * refused by name, for one it lives in and for one its children would.
 */
TEST(namespaces_refused)
{
	expect_refused(_metadata, "uts_ns", -EOPNOTSUPP,
		       "UTS namespace other than the caller's: not supported");
	expect_refused(_metadata, "pid_ns", -EOPNOTSUPP,
		       "pid namespace for children other than the caller's");
}

/*
 * Semaphore adjustments are private to ipc/sem.c and only the parked
 * thread can tell it has some: the freeze refuses it, by name.
 */
TEST(sem_undo_refused)
{
	int id;

	expect_refused_how(_metadata, "sem_undo", -EOPNOTSUPP,
			   "System V semaphore undo entries (semop() with SEM_UNDO): not supported",
			   REFUSED_IN_FREEZE);
	id = semget(SEM_KEY, 0, 0);
	EXPECT_LE(0, id);
	if (id >= 0)
		semctl(id, 0, IPC_RMID);
}

static void remove_env_cgroup(void)
{
	rmdir(CG_INNER);
	rmdir(CG_DIR);
}

/*
 * Protection keys allocated but on no mapping (node's V8 holds one) are
 * allocated again; the test skips on a CPU without them.
 */
TEST(protection_keys_restored)
{
	long k = syscall(SYS_pkey_alloc, 0, 0);

	if (k < 0)
		SKIP(return, "no protection keys here: %s", strerror(errno));
	syscall(SYS_pkey_free, k);
	expect_restored_pass(_metadata, "pkeys", false);
}

/*
 * A process in a cgroup of its own with an audit login uid: restored in
 * that cgroup (made again, as the restore finds it removed) with that
 * login uid.
 */
TEST(cgroup_and_loginuid_restored)
{
	struct stat st;

	if (stat("/proc/self/loginuid", &st))
		SKIP(return, "no audit login uid in this kernel");
	if (stat(CG_ROOT "/cgroup.procs", &st)) {
		mkdir(CG_ROOT, 0755);
		ASSERT_EQ(0, mount("cgroup2", CG_ROOT, "cgroup2", 0, NULL));
	}
	ASSERT_EQ(0, mkdir(CG_DIR, 0755) && errno != EEXIST ? -1 : 0);
	ASSERT_EQ(0, mkdir(CG_INNER, 0755) && errno != EEXIST ? -1 : 0);
	after_kill = remove_env_cgroup;
	expect_restored_pass(_metadata, "env", false);
	after_kill = NULL;
	EXPECT_EQ(0, rmdir(CG_INNER)) TH_LOG("the restore did not make it again");
	remove_env_cgroup();
}

TEST_HARNESS_MAIN
