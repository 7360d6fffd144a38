/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * What /proc shows of a set of processes, snapshotted and compared: the
 * check that the restored processes cannot tell (Documentation/fidelity.rst).
 *
 * A snapshot holds, for every thread of the given processes, "file:field"
 * entries read from /proc/PID/task/TID (status, stat, comm) and, on each
 * process's leader, from /proc/PID (limits, smaps, fd and fdinfo of every
 * descriptor, timers, personality, auxv, cwd, root, exe, cmdline, environ,
 * ns, cgroup, ...). Everything is kept and compared; what may differ, and
 * why, is written in one file, selftests/proc-allowlist.txt, not here.
 * The code normalizes only what no line could: the identities the kernel
 * hands out afresh (pipe inodes become "pipe#1", "pipe#2" in order of
 * appearance; a pid outside the snapshot becomes "outside").
 */
#ifndef CKPT_PROC_STATE_H
#define CKPT_PROC_STATE_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

struct ps_entry {
	char *key;		/* "status:SigBlk", "smaps:7f00-7f10:VmFlags", ... */
	char *val;		/* printable: other bytes escaped as \xHH */
};

/* One thread; process-wide entries live on the leader (tid == pid). */
struct ps_task {
	pid_t pid, tid;
	struct ps_entry *e;
	size_t n, cap;
};

struct ps_snap {
	struct ps_task *t;	/* by pid as given, leader first, then tids ascending */
	size_t n, cap;
};

/* One line of the allowlist: a key pattern, an optional scope, the reason. */
struct ps_allow_line {
	char *pattern;		/* fnmatch() glob on the key */
	char *scope;		/* glob on the caller's scope, or NULL: everywhere */
	char *reason;
	int line;
	unsigned int used;	/* differences it explained */
};

struct ps_allow {
	struct ps_allow_line *l;
	size_t n;
	char path[4096];	/* PATH_MAX */
};

/* A process of the first snapshot that has another pid in the second. */
struct ps_pid_map {
	pid_t before, after;
};

/* Snapshot processes @pids (and every thread of each): 0 or -errno. */
int ps_take(struct ps_snap *s, const pid_t *pids, size_t n);

/*
 * ps_take() at a moment no thread is running (state R), tried for up to
 * @timeout_ms: a workload idling in a sleep loop is then in its sleep, as
 * the freeze will find it, and not between two system calls.
 */
int ps_take_idle(struct ps_snap *s, const pid_t *pids, size_t n, int timeout_ms);

/*
 * ps_take() as seen from inside the pid namespace of process @ns_pid (a
 * /proc mounted for that namespace, in a mount namespace of our own), so
 * a tree restored with --pidns shows the pids it had.
 */
int ps_take_in_pidns(struct ps_snap *s, pid_t ns_pid, const pid_t *pids, size_t n);

void ps_free(struct ps_snap *s);

/* Text form, for files and pipes: 0 or -errno. Its first line: */
#define PS_SNAP_MAGIC "ckpt-proc-snapshot 1"
int ps_save(const struct ps_snap *s, FILE *f);
int ps_load(struct ps_snap *s, FILE *f);

/*
 * Read an allowlist: NULL @path means $CKPT_PROC_ALLOWLIST, else
 * proc-allowlist.txt beside this program. 0, or -errno with @err filled
 * (a line without a reason is an error).
 */
int ps_allow_load(struct ps_allow *a, const char *path, char *err, size_t errlen);
void ps_allow_free(struct ps_allow *a);

/*
 * Compare @before with @after. Differences the allowlist explains (a line
 * whose pattern matches the key and whose scope, if any, matches @scope)
 * are counted on that line; every other one is appended to *@report (a
 * malloc'd string the caller frees) as "pid P tid T key: old -> new".
 * Returns the number of unexplained differences.
 */
int ps_compare(const struct ps_snap *before, const struct ps_snap *after,
	       const struct ps_pid_map *map, size_t nmap, struct ps_allow *a,
	       const char *scope, char **report);

/* "pattern (N)" for every allowlist line that explained something. */
char *ps_allow_used(const struct ps_allow *a);

/*
 * How long ps_take_idle() waits for a workload to be off the CPU, and
 * ps_expect_same() for restored processes to settle: a workload that
 * polls wakes every few milliseconds and, on a busy host, is caught
 * running (wchan, syscall) in many snapshots in a row. Both end at the
 * first snapshot that qualifies, so this bounds only a failing one.
 */
#define PS_SETTLE_MS	10000

/* ns_pid for ps_expect_same(): the --pidns init our parent made. */
#define PS_PIDNS_OF_SIBLING	((pid_t)-1)

/*
 * The check after a restore: wait until the restore has ended (every
 * process and thread there, its memory the image's, none parked in the
 * module), then take snapshots of the restored processes (@after_pids, in
 * the order of @before's, or NULL: the same pids; inside the pid namespace
 * of @ns_pid if it is not 0) until one differs from @before only as the
 * allowlist allows, for up to @timeout_ms: the controller re-sends pending
 * signals after the release. Returns the unexplained differences of the
 * last try (0: the restore is faithful), or -errno; *@report (malloc'd)
 * lists the differences and what the allowlist explained.
 */
int ps_expect_same(const struct ps_snap *before, const pid_t *after_pids,
		   pid_t ns_pid, const char *scope, int timeout_ms, char **report);

/*
 * For a restore that waits for its processes to exit (--wait), which
 * their own check ends: a helper process runs ps_expect_same() (same
 * pids) and then creates the file @go that tells them to check
 * themselves. Returns its pid, or -errno; *@report_fd reads its report.
 */
int ps_check_async(const struct ps_snap *before, pid_t ns_pid, const char *scope,
		   const char *go, int *report_fd);

/*
 * The helper's verdict once the restore returned: 0 same, 1 different,
 * 2 error; with @stop (the restore failed) it is killed and 0 returned.
 */
int ps_check_wait(pid_t helper, int report_fd, bool stop, char **report);

/* Every process whose session is @sid, ascending: their number, or -errno. */
int ps_session_pids(pid_t sid, pid_t *pids, size_t max);

#endif /* CKPT_PROC_STATE_H */
