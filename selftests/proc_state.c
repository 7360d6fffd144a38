// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * /proc snapshots of process trees and their comparison (proc_state.h).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/wait.h>

#include "proc_state.h"

/* --- strings ----------------------------------------------------------------- */

struct sbuf {
	char *s;
	size_t len, cap;
};

static void sb_add(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		size_t room = b->cap - b->len;

		va_start(ap, fmt);
		n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? room : 0, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if (b->s && (size_t)n < room) {
			b->len += n;
			return;
		}
		b->cap = (b->cap + n + 1) * 2;
		b->s = realloc(b->s, b->cap);
		if (!b->s)
			abort();
	}
}

static char *sb_take(struct sbuf *b)
{
	if (!b->s)
		sb_add(b, "%s", "");
	return b->s;
}

/* Printable copy of @len bytes: NUL as \0, backslash as \\, others as \xHH. */
static char *escape(const char *v, size_t len)
{
	struct sbuf b = { 0 };
	size_t i;

	sb_add(&b, "%s", "");
	for (i = 0; i < len; i++) {
		unsigned char c = v[i];

		if (c == '\\')
			sb_add(&b, "\\\\");
		else if (!c)
			sb_add(&b, "\\0");
		else if (c < 0x20 || c >= 0x7f)
			sb_add(&b, "\\x%02x", c);
		else
			sb_add(&b, "%c", c);
	}
	return b.s;
}

/* Collapse runs of blanks into one space; trim both ends. */
static void squeeze(char *s)
{
	char *d = s, *p = s;
	bool blank = false;

	while (*p == ' ' || *p == '\t')
		p++;
	for (; *p; p++) {
		if (*p == ' ' || *p == '\t' || *p == '\n') {
			blank = true;
			continue;
		}
		if (blank && d != s)
			*d++ = ' ';
		blank = false;
		*d++ = *p;
	}
	*d = '\0';
}

/* A whole file, NUL-terminated; *@len without the NUL. NULL with errno. */
static char *slurp(const char *path, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t r;

	if (fd < 0 || !buf) {
		free(buf);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	while ((r = read(fd, buf + n, cap - n - 1)) > 0) {
		n += r;
		if (n + 1 == cap) {
			cap *= 2;
			buf = realloc(buf, cap);
			if (!buf)
				abort();
		}
	}
	close(fd);
	if (r < 0) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

/* --- building a snapshot ------------------------------------------------------- */

struct ctx {
	struct ps_snap *s;
	unsigned long *pipes;	/* pipe inode numbers, in order of appearance */
	size_t npipes;
	unsigned long *socks;	/* socket inode numbers, the same way */
	size_t nsocks;
	unsigned long *shms;	/* shared memory objects' inodes, likewise */
	size_t nshms;
};

static void put_raw(struct ps_task *t, const char *key, const char *val, size_t len)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		t->e = realloc(t->e, t->cap * sizeof(*t->e));
		if (!t->e)
			abort();
	}
	t->e[t->n].key = escape(key, strlen(key));
	t->e[t->n].val = escape(val, len);
	t->n++;
}

static void put(struct ps_task *t, const char *key, const char *val)
{
	put_raw(t, key, val, strlen(val));
}

static void putf(struct ps_task *t, const char *key, const char *fmt, ...)
{
	char val[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	put(t, key, val);
}

/* The 1-based place of @ino in *@list, appended if new: objects in order of appearance. */
static size_t ordinal(unsigned long **list, size_t *n, unsigned long ino)
{
	size_t i;

	for (i = 0; i < *n && (*list)[i] != ino; i++)
		;
	if (i == *n) {
		*list = realloc(*list, (*n + 1) * sizeof(**list));
		if (!*list)
			abort();
		(*list)[(*n)++] = ino;
	}
	return i + 1;
}

/* "pipe#N": pipes are new objects after a restore; which ends share one is what counts. */
static const char *pipe_name(struct ctx *c, unsigned long ino, char *buf, size_t len)
{
	snprintf(buf, len, "pipe#%zu", ordinal(&c->pipes, &c->npipes, ino));
	return buf;
}

/* "socket#N": sockets are new objects too; which descriptors share one counts. */
static const char *socket_name(struct ctx *c, unsigned long ino, char *buf, size_t len)
{
	snprintf(buf, len, "socket#%zu", ordinal(&c->socks, &c->nsocks, ino));
	return buf;
}

/*
 * Shared anonymous memory and memfds are new inodes after a restore:
 * their inode becomes their order of appearance (in mappings and
 * descriptors alike), so which mappings and descriptors share one object
 * is what is compared. A System V segment ("/SYSV" + its key + " (deleted)",
 * the inode its id) keeps its key and id: compared as it is.
 */
static bool is_shm_object(const char *name)
{
	static const char *const kinds[] = { "/dev/zero (deleted)", "/memfd:" };
	size_t k;

	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
		if (!strncmp(name, kinds[k], strlen(kinds[k])))
			return strstr(name, " (deleted)") != NULL;
	return false;
}

static size_t shm_ordinal(struct ctx *c, unsigned long ino)
{
	return ordinal(&c->shms, &c->nshms, ino);
}

/* An smaps header "perms offset dev inode name" with its object named. */
static void name_shm(struct ctx *c, char *val, size_t size)
{
	char perms[16], off[32], dev[16], rest[PATH_MAX];
	unsigned long ino;

	if (sscanf(val, "%15s %31s %15s %lu %4095[^\n]", perms, off, dev, &ino, rest) != 5 ||
	    !is_shm_object(rest))
		return;
	snprintf(val, size, "%s %s %s %zu %s", perms, off, dev, shm_ordinal(c, ino), rest);
}

/* "Key:<blanks>value" lines, as status and fdinfo have them. */
static void put_keyed_lines(struct ps_task *t, const char *prefix, char *text)
{
	char *line, *save = NULL, key[192];

	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *colon = strchr(line, ':');

		if (!colon)
			continue;
		*colon = '\0';
		snprintf(key, sizeof(key), "%s:%s", prefix, line);
		squeeze(colon + 1);
		put(t, key, colon + 1);
	}
}

static int read_keyed(struct ps_task *t, const char *path, const char *prefix)
{
	char *text = slurp(path, NULL);

	if (!text)
		return -errno;
	put_keyed_lines(t, prefix, text);
	free(text);
	return 0;
}

static const char *const stat_names[] = {
	NULL, "pid", "comm", "state", "ppid", "pgrp", "session", "tty_nr", "tpgid",
	"flags", "minflt", "cminflt", "majflt", "cmajflt", "utime", "stime",
	"cutime", "cstime", "priority", "nice", "num_threads", "itrealvalue",
	"starttime", "vsize", "rss", "rsslim", "startcode", "endcode",
	"startstack", "kstkesp", "kstkeip", "signal", "blocked", "sigignore",
	"sigcatch", "wchan", "nswap", "cnswap", "exit_signal", "processor",
	"rt_priority", "policy", "delayacct_blkio_ticks", "guest_time",
	"cguest_time", "start_data", "end_data", "start_brk", "arg_start",
	"arg_end", "env_start", "env_end", "exit_code",
};

/* include/linux/sched.h (6.1): the PF_* bits worth a name of their own. */
static const struct { unsigned long bit; const char *name; } pf_names[] = {
	{ 0x00000004, "PF_EXITING" }, { 0x00000040, "PF_FORKNOEXEC" },
	{ 0x00000100, "PF_SUPERPRIV" }, { 0x00000200, "PF_DUMPCORE" },
	{ 0x00000400, "PF_SIGNALED" }, { 0x00001000, "PF_NPROC_EXCEEDED" },
	{ 0x00002000, "PF_USED_MATH" }, { 0x00400000, "PF_RANDOMIZE" },
};

/*
 * stat: fields by name. flags is split into its bits, so an allowlist line
 * can name the one bit that differs and not hide the others.
 */
static int read_stat(struct ps_task *t, const char *path)
{
	char *text = slurp(path, NULL), *open, *close, *p, *save = NULL, key[64];
	unsigned long flags = 0, bit;
	unsigned int i, n;

	if (!text)
		return -errno;
	open = strchr(text, '(');
	close = strrchr(text, ')');
	if (!open || !close || close < open) {
		free(text);
		return -EINVAL;
	}
	*close = '\0';
	put(t, "stat:pid", strtok_r(text, " ", &save) ? text : "");
	put(t, "stat:comm", open + 1);
	save = NULL;
	for (n = 3, p = strtok_r(close + 1, " \n", &save); p;
	     p = strtok_r(NULL, " \n", &save), n++) {
		if (n == 9) {
			flags = strtoul(p, NULL, 10);
			continue;
		}
		if (n < sizeof(stat_names) / sizeof(stat_names[0]))
			snprintf(key, sizeof(key), "stat:%s", stat_names[n]);
		else
			snprintf(key, sizeof(key), "stat:field%u", n);
		put(t, key, p);
	}
	for (i = 0; i < sizeof(pf_names) / sizeof(pf_names[0]); i++) {
		snprintf(key, sizeof(key), "stat:flags:%s", pf_names[i].name);
		put(t, key, flags & pf_names[i].bit ? "1" : "0");
		flags &= ~pf_names[i].bit;
	}
	for (bit = 1; bit && flags; bit <<= 1) {
		if (!(flags & bit))
			continue;
		snprintf(key, sizeof(key), "stat:flags:0x%08lx", bit);
		put(t, key, "1");
		flags &= ~bit;
	}
	free(text);
	return 0;
}

/* One trimmed line (comm, personality, oom_score_adj, ...); absent files are skipped. */
static void read_line(struct ps_task *t, const char *path, const char *key)
{
	char *text = slurp(path, NULL);

	if (!text)
		return;
	squeeze(text);
	put(t, key, text);
	free(text);
}

static void read_link(struct ps_task *t, const char *path, const char *key)
{
	char buf[PATH_MAX];
	ssize_t n = readlink(path, buf, sizeof(buf) - 1);

	if (n < 0)
		snprintf(buf, sizeof(buf), "(%s)", strerror(errno));
	else
		buf[n] = '\0';
	put(t, key, buf);
}

static void read_raw(struct ps_task *t, const char *path, const char *key)
{
	size_t len;
	char *text = slurp(path, &len);

	if (!text)
		return;
	put_raw(t, key, text, len);
	free(text);
}

/*
 * smaps: one entry per mapping for its range, protection, offset, device,
 * inode and name, one per counter and one per VmFlags flag, all under the
 * range.
 */
static int read_smaps(struct ctx *c, struct ps_task *t, const char *path)
{
	char *text = slurp(path, NULL), *line, *save = NULL, range[64] = "?", key[256];
	char val[PATH_MAX + 128];

	if (!text)
		return -errno;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *sp = strchr(line, ' '), *colon = strchr(line, ':');
		bool header = sp && strchr(line, '-') && strchr(line, '-') < sp &&
			      isxdigit((unsigned char)line[0]) && (!colon || colon > sp);

		if (header) {
			*sp = '\0';
			snprintf(range, sizeof(range), "%s", line);
			snprintf(key, sizeof(key), "smaps:%s", range);
			squeeze(sp + 1);
			snprintf(val, sizeof(val), "%s", sp + 1);
			name_shm(c, val, sizeof(val));
			put(t, key, val);
		} else if (colon) {
			char *flag, *fsave = NULL;

			*colon = '\0';
			/* Size is the range's: not repeated. */
			if (!strcmp(line, "Size"))
				continue;
			if (strcmp(line, "VmFlags")) {
				snprintf(key, sizeof(key), "smaps:%s:%s", range, line);
				squeeze(colon + 1);
				put(t, key, colon + 1);
				continue;
			}
			/* One key per flag: a line can name the one that differs. */
			for (flag = strtok_r(colon + 1, " ", &fsave); flag;
			     flag = strtok_r(NULL, " ", &fsave)) {
				snprintf(key, sizeof(key), "smaps:%s:VmFlags.%s", range, flag);
				put(t, key, "set");
			}
		}
	}
	free(text);
	return 0;
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/* The numeric names in directory @path, ascending: their count, or -errno. */
static int numeric_dir(const char *path, int **out)
{
	DIR *d = opendir(path);
	struct dirent *de;
	int *v = NULL, n = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		v = realloc(v, (n + 1) * sizeof(*v));
		if (!v)
			abort();
		v[n++] = atoi(de->d_name);
	}
	closedir(d);
	qsort(v, n, sizeof(*v), cmp_int);
	*out = v;
	return n;
}

static void read_fds(struct ctx *c, struct ps_task *t, pid_t pid)
{
	char path[96], key[64], link[PATH_MAX], name[32], *text, *ino;
	unsigned long pipe_ino = 0;
	int *fds = NULL, n, i;
	ssize_t len;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	n = numeric_dir(path, &fds);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "/proc/%d/fd/%d", pid, fds[i]);
		len = readlink(path, link, sizeof(link) - 1);
		if (len < 0)
			continue;	/* closed meanwhile */
		link[len] = '\0';
		snprintf(key, sizeof(key), "fd:%d", fds[i]);
		if (sscanf(link, "pipe:[%lu]", &pipe_ino) == 1)
			put(t, key, pipe_name(c, pipe_ino, name, sizeof(name)));
		else if (sscanf(link, "socket:[%lu]", &pipe_ino) == 1)
			put(t, key, socket_name(c, pipe_ino, name, sizeof(name)));
		else
			put(t, key, link);
		snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", pid, fds[i]);
		text = slurp(path, NULL);
		if (!text)
			continue;
		/* A pipe's or socket's inode number is a new one after a restore: name it. */
		ino = strstr(text, "\nino:");
		if (ino && is_shm_object(link))
			snprintf(name, sizeof(name), "%zu",
				 shm_ordinal(c, strtoul(ino + 5, NULL, 10)));
		if ((!strncmp(link, "pipe:", 5) || !strncmp(link, "socket:", 7) ||
		     is_shm_object(link)) && ino) {
			char *end = strchr(ino + 1, '\n');

			memmove(ino + 1, end ? end + 1 : "", strlen(end ? end + 1 : "") + 1);
			snprintf(key, sizeof(key), "fdinfo:%d:ino", fds[i]);
			put(t, key, name);
		}
		snprintf(key, sizeof(key), "fdinfo:%d", fds[i]);
		put_keyed_lines(t, key, text);
		free(text);
	}
	free(fds);
}

static const struct { unsigned long type; const char *name; } at_names[] = {
	{ 3, "AT_PHDR" }, { 4, "AT_PHENT" }, { 5, "AT_PHNUM" }, { 6, "AT_PAGESZ" },
	{ 7, "AT_BASE" }, { 8, "AT_FLAGS" }, { 9, "AT_ENTRY" }, { 11, "AT_UID" },
	{ 12, "AT_EUID" }, { 13, "AT_GID" }, { 14, "AT_EGID" }, { 15, "AT_PLATFORM" },
	{ 16, "AT_HWCAP" }, { 17, "AT_CLKTCK" }, { 23, "AT_SECURE" },
	{ 24, "AT_BASE_PLATFORM" }, { 25, "AT_RANDOM" }, { 26, "AT_HWCAP2" },
	{ 31, "AT_EXECFN" }, { 33, "AT_SYSINFO_EHDR" }, { 51, "AT_MINSIGSTKSZ" },
};

static void read_auxv(struct ps_task *t, const char *path)
{
	size_t len, i, j;
	char *raw = slurp(path, &len), key[64];
	const unsigned long *v = (const unsigned long *)raw;

	if (!raw)
		return;
	for (i = 0; i + 1 < len / sizeof(*v) && v[i]; i += 2) {
		snprintf(key, sizeof(key), "auxv:%lu", v[i]);
		for (j = 0; j < sizeof(at_names) / sizeof(at_names[0]); j++)
			if (at_names[j].type == v[i])
				snprintf(key, sizeof(key), "auxv:%s", at_names[j].name);
		putf(t, key, "0x%lx", v[i + 1]);
	}
	free(raw);
}

/* limits: "Max open files   100   200   files" -> limits:Max_open_files = "100 200 files". */
static int read_limits(struct ps_task *t, const char *path)
{
	char *text = slurp(path, NULL), *line, *save = NULL, key[64], *p;

	if (!text)
		return -errno;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "Limit", 5) || strlen(line) < 26)
			continue;
		line[25] = '\0';
		squeeze(line);
		/* No blanks in keys: an allowlist pattern is one word. */
		for (p = line; *p; p++)
			if (*p == ' ')
				*p = '_';
		snprintf(key, sizeof(key), "limits:%s", line);
		squeeze(line + 26);
		put(t, key, line + 26);
	}
	free(text);
	return 0;
}

static const char *const ns_names[] = {
	"cgroup", "ipc", "mnt", "net", "pid", "pid_for_children", "time",
	"time_for_children", "user", "uts",
};

/* What is the whole process's: read on its leader only. */
static int read_process(struct ctx *c, struct ps_task *t, pid_t pid)
{
	static const char *const lines[] = {
		"personality", "oom_score_adj", "coredump_filter", "loginuid",
		"sessionid",
	};
	char path[96], key[64];
	size_t i;
	int ret;

#define P(name) (snprintf(path, sizeof(path), "/proc/%d/%s", pid, name), path)
	ret = read_limits(t, P("limits"));
	if (!ret)
		ret = read_smaps(c, t, P("smaps"));
	if (ret)
		return ret;
	read_fds(c, t, pid);
	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		read_line(t, P(lines[i]), lines[i]);
	read_raw(t, P("timers"), "timers");
	read_raw(t, P("cgroup"), "cgroup");
	read_auxv(t, P("auxv"));
	read_link(t, P("cwd"), "cwd");
	read_link(t, P("root"), "root");
	read_link(t, P("exe"), "exe");
	read_raw(t, P("cmdline"), "cmdline");
	read_raw(t, P("environ"), "environ");
	for (i = 0; i < sizeof(ns_names) / sizeof(ns_names[0]); i++) {
		snprintf(key, sizeof(key), "ns:%s", ns_names[i]);
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", pid, ns_names[i]);
		read_link(t, path, key);
	}
#undef P
	return 0;
}

/* What each thread has of its own. */
static int read_thread(struct ps_task *t)
{
	char path[96];
	int ret;

#define T(name) (snprintf(path, sizeof(path), "/proc/%d/task/%d/%s", t->pid, t->tid, name), path)
	ret = read_keyed(t, T("status"), "status");
	if (!ret)
		ret = read_stat(t, T("stat"));
	if (ret)
		return ret;
	read_line(t, T("comm"), "comm");
	read_line(t, T("wchan"), "wchan");
	read_line(t, T("syscall"), "syscall");
#undef T
	return 0;
}

static struct ps_task *add_task(struct ps_snap *s, pid_t pid, pid_t tid)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 16;
		s->t = realloc(s->t, s->cap * sizeof(*s->t));
		if (!s->t)
			abort();
	}
	memset(&s->t[s->n], 0, sizeof(s->t[0]));
	s->t[s->n].pid = pid;
	s->t[s->n].tid = tid;
	return &s->t[s->n++];
}

/* Fields that hold pids: compared as a relation inside the snapshot. */
static bool pid_valued(const char *key)
{
	static const char *const keys[] = {
		"status:Tgid", "status:Pid", "status:PPid", "status:TracerPid",
		"status:NStgid", "status:NSpid", "status:NSpgid", "status:NSsid",
		"stat:pid", "stat:ppid", "stat:pgrp", "stat:session", "stat:tpgid",
	};
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!strcmp(key, keys[i]))
			return true;
	return false;
}

static bool in_snap(const struct ps_snap *s, long id)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->t[i].tid == id)
			return true;
	return false;
}

/*
 * A pid outside the snapshot (the root's parent, a caller's session) is
 * whoever restored or started it: shown as "outside", so the relation
 * inside the tree is compared and not the restorer's pid.
 */
static void outside_pids(struct ps_snap *s)
{
	size_t i, j;

	for (i = 0; i < s->n; i++) {
		for (j = 0; j < s->t[i].n; j++) {
			struct ps_entry *e = &s->t[i].e[j];
			struct sbuf b = { 0 };
			char *tok, *save = NULL;

			if (!pid_valued(e->key))
				continue;
			for (tok = strtok_r(e->val, " ", &save); tok;
			     tok = strtok_r(NULL, " ", &save)) {
				long v = strtol(tok, NULL, 10);

				sb_add(&b, "%s%s", b.len ? " " : "",
				       v > 0 && !in_snap(s, v) ? "outside" : tok);
			}
			free(e->val);
			e->val = sb_take(&b);
		}
	}
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct ps_entry *)a)->key, ((const struct ps_entry *)b)->key);
}

int ps_take(struct ps_snap *s, const pid_t *pids, size_t n)
{
	struct ctx c = { .s = s };
	char path[64];
	size_t i;
	int ret = 0, *tids, nt, j;

	memset(s, 0, sizeof(*s));
	for (i = 0; !ret && i < n; i++) {
		snprintf(path, sizeof(path), "/proc/%d/task", pids[i]);
		nt = numeric_dir(path, &tids);
		if (nt <= 0) {
			ret = nt ? nt : -ESRCH;
			break;
		}
		/* The leader first: it carries the process-wide entries. */
		ret = read_thread(add_task(s, pids[i], pids[i]));
		if (!ret)
			ret = read_process(&c, &s->t[s->n - 1], pids[i]);
		for (j = 0; !ret && j < nt; j++)
			if (tids[j] != pids[i])
				ret = read_thread(add_task(s, pids[i], tids[j]));
		free(tids);
	}
	free(c.pipes);
	free(c.socks);
	free(c.shms);
	if (ret) {
		ps_free(s);
		return ret;
	}
	outside_pids(s);
	for (i = 0; i < s->n; i++)
		qsort(s->t[i].e, s->t[i].n, sizeof(*s->t[i].e), cmp_entry);
	return 0;
}

static const char *lookup(const struct ps_task *t, const char *key)
{
	struct ps_entry k = { .key = (char *)key }, *e;

	e = bsearch(&k, t->e, t->n, sizeof(*t->e), cmp_entry);
	return e ? e->val : NULL;
}

static bool any_running(const struct ps_snap *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		const char *st = lookup(&s->t[i], "status:State");
		const char *sc = lookup(&s->t[i], "syscall");
		const char *wc = lookup(&s->t[i], "wchan");

		/*
		 * status, syscall and wchan are read apart: any may see it
		 * run (wchan is 0 for a task on a CPU; a zombie has none).
		 */
		if ((st && st[0] == 'R') || (sc && !strcmp(sc, "running")) ||
		    (wc && !strcmp(wc, "0") && st && st[0] != 'Z' && st[0] != 'X'))
			return true;
	}
	return false;
}

int ps_take_idle(struct ps_snap *s, const pid_t *pids, size_t n, int timeout_ms)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	int ret, waited;

	for (waited = 0;; waited += 20) {
		ret = ps_take(s, pids, n);
		/* A thread that was exiting (a server's request thread) is gone: again. */
		if (ret == -ENOENT && waited < timeout_ms) {
			nanosleep(&ts, NULL);
			continue;
		}
		if (ret || !any_running(s) || waited >= timeout_ms)
			return ret;
		ps_free(s);
		nanosleep(&ts, NULL);
	}
}

int ps_take_in_pidns(struct ps_snap *s, pid_t ns_pid, const pid_t *pids, size_t n)
{
	char path[64];
	int p[2], ns, st = 0, ret;
	pid_t child;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/ns/pid", ns_pid);
	ns = open(path, O_RDONLY | O_CLOEXEC);
	if (ns < 0)
		return -errno;
	if (pipe2(p, O_CLOEXEC)) {
		close(ns);
		return -errno;
	}
	child = fork();
	if (child == 0) {
		pid_t inner;

		/* setns() places our children in the namespace, not us. */
		if (setns(ns, CLONE_NEWPID))
			_exit(10);
		inner = fork();
		if (inner == 0) {
			struct ps_snap in;

			f = fdopen(p[1], "w");
			if (!f || unshare(CLONE_NEWNS) ||
			    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
			    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL))
				_exit(11);
			if (ps_take(&in, pids, n))
				_exit(12);
			_exit(ps_save(&in, f) || fclose(f) ? 13 : 0);
		}
		_exit(inner > 0 && waitpid(inner, &st, 0) == inner && WIFEXITED(st) ?
		      WEXITSTATUS(st) : 14);
	}
	close(ns);
	close(p[1]);
	f = fdopen(p[0], "r");
	ret = child < 0 || !f ? -errno : ps_load(s, f);
	if (f)
		fclose(f);
	else
		close(p[0]);
	if (child > 0 && (waitpid(child, &st, 0) != child || !WIFEXITED(st) ||
			  WEXITSTATUS(st))) {
		if (!ret)
			ps_free(s);
		ret = -ESRCH;
	}
	return ret;
}

void ps_free(struct ps_snap *s)
{
	size_t i, j;

	for (i = 0; i < s->n; i++) {
		for (j = 0; j < s->t[i].n; j++) {
			free(s->t[i].e[j].key);
			free(s->t[i].e[j].val);
		}
		free(s->t[i].e);
	}
	free(s->t);
	memset(s, 0, sizeof(*s));
}

/* --- text form ------------------------------------------------------------------ */


/*
 * One line per entry, "key<TAB>value", under a "task PID TID" line; keys
 * and values are printable without tabs (escape()), so no quoting. The
 * "end" line lets a reader stop before whatever follows on a raw disk.
 */
int ps_save(const struct ps_snap *s, FILE *f)
{
	size_t i, j;

	fprintf(f, "%s\n", PS_SNAP_MAGIC);
	for (i = 0; i < s->n; i++) {
		fprintf(f, "task %d %d\n", s->t[i].pid, s->t[i].tid);
		for (j = 0; j < s->t[i].n; j++)
			fprintf(f, "%s\t%s\n", s->t[i].e[j].key, s->t[i].e[j].val);
	}
	fprintf(f, "end\n");
	return fflush(f) || ferror(f) ? -EIO : 0;
}

int ps_load(struct ps_snap *s, FILE *f)
{
	struct ps_task *t = NULL;
	char *line = NULL, *tab;
	size_t cap = 0, i;
	ssize_t len;
	int pid, tid, ret = -EINVAL;

	memset(s, 0, sizeof(*s));
	if (getline(&line, &cap, f) <= 0 || strncmp(line, PS_SNAP_MAGIC "\n", sizeof(PS_SNAP_MAGIC)))
		goto out;
	while ((len = getline(&line, &cap, f)) > 0) {
		if (line[len - 1] == '\n')
			line[--len] = '\0';
		if (!strcmp(line, "end")) {
			ret = 0;
			break;
		}
		if (sscanf(line, "task %d %d", &pid, &tid) == 2) {
			t = add_task(s, pid, tid);
			continue;
		}
		tab = strchr(line, '\t');
		if (!t || !tab)
			goto out;
		*tab = '\0';
		if (t->n == t->cap) {
			t->cap = t->cap ? t->cap * 2 : 64;
			t->e = realloc(t->e, t->cap * sizeof(*t->e));
			if (!t->e)
				abort();
		}
		t->e[t->n].key = strdup(line);
		t->e[t->n].val = strdup(tab + 1);
		t->n++;
	}
	for (i = 0; !ret && i < s->n; i++)
		qsort(s->t[i].e, s->t[i].n, sizeof(*s->t[i].e), cmp_entry);
out:
	free(line);
	if (ret)
		ps_free(s);
	return ret;
}

/* --- the allowlist ------------------------------------------------------------------ */

static char *word(char **p)
{
	char *w;

	while (**p == ' ' || **p == '\t')
		(*p)++;
	w = *p;
	while (**p && **p != ' ' && **p != '\t')
		(*p)++;
	if (**p)
		*(*p)++ = '\0';
	return *w ? w : NULL;
}

/*
 * "PATTERN [@SCOPE] REASON...": '#' starts a comment line; the reason is
 * the rest of the line and must not be empty.
 */
int ps_allow_load(struct ps_allow *a, const char *path, char *err, size_t errlen)
{
	char self[PATH_MAX], *line = NULL, *p, *pat, *scope;
	size_t cap = 0;
	ssize_t len, n;
	int lineno = 0, ret = 0;
	FILE *f;

	memset(a, 0, sizeof(*a));
	if (!path)
		path = getenv("CKPT_PROC_ALLOWLIST");
	if (!path) {
		n = readlink("/proc/self/exe", self, sizeof(self) - 32);
		if (n < 0)
			return -errno;
		self[n] = '\0';
		p = strrchr(self, '/');
		strcpy(p ? p + 1 : self, "proc-allowlist.txt");
		path = self;
	}
	snprintf(a->path, sizeof(a->path), "%s", path);
	f = fopen(path, "r");
	if (!f) {
		ret = -errno;
		snprintf(err, errlen, "cannot read the allowlist %s: %s", path, strerror(errno));
		return ret;
	}
	while ((len = getline(&line, &cap, f)) > 0) {
		lineno++;
		line[strcspn(line, "\n")] = '\0';
		p = line;
		pat = word(&p);
		if (!pat || pat[0] == '#')
			continue;
		scope = NULL;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '@')
			scope = word(&p) + 1;
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p) {
			snprintf(err, errlen, "%s:%d: '%s' has no reason", path, lineno, pat);
			ret = -EINVAL;
			break;
		}
		a->l = realloc(a->l, (a->n + 1) * sizeof(*a->l));
		if (!a->l)
			abort();
		a->l[a->n].pattern = strdup(pat);
		a->l[a->n].scope = scope ? strdup(scope) : NULL;
		a->l[a->n].reason = strdup(p);
		a->l[a->n].line = lineno;
		a->l[a->n].used = 0;
		a->n++;
	}
	free(line);
	fclose(f);
	if (ret)
		ps_allow_free(a);
	return ret;
}

void ps_allow_free(struct ps_allow *a)
{
	size_t i;

	for (i = 0; i < a->n; i++) {
		free(a->l[i].pattern);
		free(a->l[i].scope);
		free(a->l[i].reason);
	}
	free(a->l);
	memset(a, 0, sizeof(*a));
}

static struct ps_allow_line *explained(struct ps_allow *a, const char *key, const char *scope)
{
	size_t i;

	for (i = 0; a && i < a->n; i++) {
		if (fnmatch(a->l[i].pattern, key, 0))
			continue;
		if (a->l[i].scope && (!scope || fnmatch(a->l[i].scope, scope, 0)))
			continue;
		return &a->l[i];
	}
	return NULL;
}

char *ps_allow_used(const struct ps_allow *a)
{
	struct sbuf b = { 0 };
	size_t i;

	for (i = 0; i < a->n; i++)
		if (a->l[i].used)
			sb_add(&b, "%s%s%s%s (%u)", b.len ? ", " : "", a->l[i].pattern,
			       a->l[i].scope ? " @" : "", a->l[i].scope ? a->l[i].scope : "",
			       a->l[i].used);
	return sb_take(&b);
}

/* --- comparing ------------------------------------------------------------------------ */

static pid_t mapped(const struct ps_pid_map *map, size_t nmap, pid_t id)
{
	size_t i;

	for (i = 0; i < nmap; i++)
		if (map[i].before == id)
			return map[i].after;
	return id;
}

/* The after value of a pid-valued field, in the before snapshot's pids. */
static char *unmap_val(const struct ps_pid_map *map, size_t nmap, const char *key,
		       const char *val)
{
	struct sbuf b = { 0 };
	char *copy, *tok, *save = NULL;
	size_t i;

	if (!nmap || !pid_valued(key))
		return strdup(val);
	copy = strdup(val);
	for (tok = strtok_r(copy, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		long v = strtol(tok, NULL, 10);

		for (i = 0; i < nmap; i++)
			if (v > 0 && map[i].after == v)
				break;
		if (i < nmap)
			sb_add(&b, "%s%d", b.len ? " " : "", map[i].before);
		else
			sb_add(&b, "%s%s", b.len ? " " : "", tok);
	}
	free(copy);
	return sb_take(&b);
}

static void who(struct sbuf *b, const struct ps_task *t)
{
	if (t->pid == t->tid)
		sb_add(b, "pid %d", t->pid);
	else
		sb_add(b, "pid %d tid %d", t->pid, t->tid);
}

static int differ(struct sbuf *b, struct ps_allow *a, const char *scope,
		  const struct ps_task *t, const char *key, const char *old,
		  const char *new)
{
	struct ps_allow_line *l = explained(a, key, scope);

	if (l) {
		l->used++;
		return 0;
	}
	who(b, t);
	sb_add(b, " %s: %.160s%s -> %.160s%s\n", key, old ? old : "(absent)",
	       old && strlen(old) > 160 ? "..." : "", new ? new : "(absent)",
	       new && strlen(new) > 160 ? "..." : "");
	return 1;
}

/* "smaps:START-END[:field]": the range, and where the rest begins. */
static bool smaps_key(const char *key, unsigned long *start, unsigned long *end,
		      const char **rest)
{
	int len = 0;

	if (strncmp(key, "smaps:", 6) ||
	    sscanf(key + 6, "%lx-%lx%n", start, end, &len) != 2)
		return false;
	*rest = key + 6 + len;
	return true;
}

static int cmp_ulong(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;

	return (x > y) - (x < y);
}

/*
 * Append the boundaries of @t's mappings to *@cuts (@n so far, room for
 * *@cap); the new count. The array grows by doubling: a process may have
 * tens of thousands of mappings.
 */
static size_t add_cuts(const struct ps_task *t, unsigned long **cuts, size_t n, size_t *cap)
{
	unsigned long s, e;
	const char *rest;
	size_t i;

	for (i = 0; i < t->n; i++) {
		if (!smaps_key(t->e[i].key, &s, &e, &rest) || *rest)
			continue;
		if (n + 2 > *cap) {
			*cap = *cap ? *cap * 2 : 256;
			*cuts = realloc(*cuts, *cap * sizeof(**cuts));
			if (!*cuts)
				abort();
		}
		(*cuts)[n++] = s;
		(*cuts)[n++] = e;
	}
	return n;
}

/* The first of the sorted @cuts at or above @addr (@ncuts if none). */
static size_t first_cut(const unsigned long *cuts, size_t ncuts, unsigned long addr)
{
	size_t lo = 0, hi = ncuts;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cuts[mid] < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool same_ranges(const struct ps_task *x, const struct ps_task *y)
{
	unsigned long s, e;
	const char *rest;
	size_t i;

	for (i = 0; i < x->n; i++)
		if (smaps_key(x->e[i].key, &s, &e, &rest) && !*rest &&
		    !lookup(y, x->e[i].key))
			return false;
	for (i = 0; i < y->n; i++)
		if (smaps_key(y->e[i].key, &s, &e, &rest) && !*rest &&
		    !lookup(x, y->e[i].key))
			return false;
	return true;
}

/*
 * Mappings cut at every boundary either side has: the kernel merges
 * neighbours with equal flags, and a restore maps them one by one, so the
 * same memory can be one mapping or three. Each piece keeps its mapping's
 * entries (a file offset moved to the piece), plus "vma", the mapping it
 * was part of; so every address is compared with what it had, and a
 * changed boundary is a difference of its own.
 */
static void cut(const struct ps_task *t, const unsigned long *cuts, size_t ncuts,
		struct ps_task *out)
{
	unsigned long s, e, off, ino;
	char key[256], val[64], *sp;
	const char *rest;
	size_t i, k;

	memset(out, 0, sizeof(*out));
	out->pid = t->pid;
	out->tid = t->tid;
	for (i = 0; i < t->n; i++) {
		if (!smaps_key(t->e[i].key, &s, &e, &rest)) {
			put(out, t->e[i].key, t->e[i].val);
			continue;
		}
		/*
		 * Only the pieces inside this mapping: looking at every cut
		 * for every entry is quadratic, minutes for 20,000 mappings.
		 */
		for (k = first_cut(cuts, ncuts, s); k + 1 < ncuts && cuts[k + 1] <= e; k++) {
			if (cuts[k] == cuts[k + 1])
				continue;
			snprintf(key, sizeof(key), "smaps:%08lx-%08lx%s", cuts[k], cuts[k + 1], rest);
			sp = strchr(t->e[i].val, ' ');
			/* "perms offset dev inode name": a file piece's own offset. */
			if (*rest || !sp || sscanf(sp, "%lx %*s %lu", &off, &ino) != 2 || !ino) {
				put(out, key, t->e[i].val);
			} else {
				snprintf(val, sizeof(val), "%.*s %08lx", (int)(sp - t->e[i].val),
					 t->e[i].val, off + (cuts[k] - s));
				sp = strchr(sp + 1, ' ');
				put(out, key, val);
				out->e[out->n - 1].val = realloc(out->e[out->n - 1].val,
								 strlen(val) + strlen(sp) + 1);
				strcat(out->e[out->n - 1].val, sp);
			}
			if (*rest)
				continue;
			snprintf(key, sizeof(key), "smaps:%08lx-%08lx:vma", cuts[k], cuts[k + 1]);
			snprintf(val, sizeof(val), "%08lx-%08lx", s, e);
			put(out, key, val);
		}
	}
	qsort(out->e, out->n, sizeof(*out->e), cmp_entry);
}

static void free_task(struct ps_task *t)
{
	size_t j;

	for (j = 0; j < t->n; j++) {
		free(t->e[j].key);
		free(t->e[j].val);
	}
	free(t->e);
}

static int compare_entries(struct sbuf *b, struct ps_allow *a, const char *scope,
			   const struct ps_task *x, const struct ps_task *y,
			   const struct ps_pid_map *map, size_t nmap);

static int compare_task(struct sbuf *b, struct ps_allow *a, const char *scope,
			const struct ps_task *x, const struct ps_task *y,
			const struct ps_pid_map *map, size_t nmap)
{
	unsigned long *cuts = NULL;
	struct ps_task cx, cy;
	size_t ncuts, cap = 0, i, k;
	int n;

	if (same_ranges(x, y))
		return compare_entries(b, a, scope, x, y, map, nmap);
	ncuts = add_cuts(y, &cuts, add_cuts(x, &cuts, 0, &cap), &cap);
	qsort(cuts, ncuts, sizeof(*cuts), cmp_ulong);
	for (i = k = 0; i < ncuts; i++)
		if (!k || cuts[k - 1] != cuts[i])
			cuts[k++] = cuts[i];
	cut(x, cuts, k, &cx);
	cut(y, cuts, k, &cy);
	n = compare_entries(b, a, scope, &cx, &cy, map, nmap);
	free_task(&cx);
	free_task(&cy);
	free(cuts);
	return n;
}

/* A task's state letter, from status:State or stat:state; 0 if none. */
static char state_of(const struct ps_task *t)
{
	const char *st = lookup(t, "stat:state");

	return st ? st[0] : 0;
}

/*
 * Running and sleeping are one state here: which of the two a live task
 * shows when it is read depends on the scheduler, not on the restore (a
 * snapshot taken while the machine is busy can catch the workload on a
 * CPU). What shows where it waits follows: stat's wchan field is 0
 * exactly when the task runs (6.1's do_task_stat()), the wchan file then
 * says 0 and syscall "running". Stopped, traced, zombie and D stay
 * themselves.
 */
static bool live(char state)
{
	return state == 'R' || state == 'S';
}

static bool same_live_state(const struct ps_task *x, const struct ps_task *y,
			    const char *key, const char *vx, const char *vy)
{
	char sx = state_of(x), sy = state_of(y);

	if (!live(sx) || !live(sy))
		return false;
	if (sx != sy)
		return !strcmp(key, "stat:state") || !strcmp(key, "status:State") ||
		       !strcmp(key, "stat:wchan") || !strcmp(key, "wchan") ||
		       !strcmp(key, "syscall");
	/*
	 * One read of stat takes the state letter before the wchan field,
	 * so a task woken in between shows S with wchan 0: the same race,
	 * inside one file. Only a side that saw it run is explained.
	 */
	if (!strcmp(key, "stat:wchan") || !strcmp(key, "wchan"))
		return (vx && !strcmp(vx, "0")) || (vy && !strcmp(vy, "0"));
	if (!strcmp(key, "syscall"))
		return (vx && !strcmp(vx, "running")) || (vy && !strcmp(vy, "running"));
	return false;
}

static int compare_entries(struct sbuf *b, struct ps_allow *a, const char *scope,
			   const struct ps_task *x, const struct ps_task *y,
			   const struct ps_pid_map *map, size_t nmap)
{
	size_t i = 0, j = 0;
	int n = 0;

	while (i < x->n || j < y->n) {
		int c = i == x->n ? 1 : j == y->n ? -1 : strcmp(x->e[i].key, y->e[j].key);

		if (c < 0) {
			n += differ(b, a, scope, x, x->e[i].key, x->e[i].val, NULL);
			i++;
		} else if (c > 0) {
			n += differ(b, a, scope, x, y->e[j].key, NULL, y->e[j].val);
			j++;
		} else {
			char *v = unmap_val(map, nmap, y->e[j].key, y->e[j].val);

			if (strcmp(x->e[i].val, v) &&
			    !same_live_state(x, y, x->e[i].key, x->e[i].val, v))
				n += differ(b, a, scope, x, x->e[i].key, x->e[i].val, v);
			free(v);
			i++;
			j++;
		}
	}
	return n;
}

int ps_compare(const struct ps_snap *before, const struct ps_snap *after,
	       const struct ps_pid_map *map, size_t nmap, struct ps_allow *a,
	       const char *scope, char **report)
{
	struct sbuf b = { 0 };
	size_t i, j;
	int n = 0;

	for (i = 0; i < before->n; i++) {
		const struct ps_task *x = &before->t[i];
		pid_t pid = mapped(map, nmap, x->pid), tid = mapped(map, nmap, x->tid);

		for (j = 0; j < after->n; j++)
			if (after->t[j].pid == pid && after->t[j].tid == tid)
				break;
		if (j == after->n) {
			who(&b, x);
			sb_add(&b, ": not there after the restore\n");
			n++;
			continue;
		}
		n += compare_task(&b, a, scope, x, &after->t[j], map, nmap);
	}
	for (j = 0; j < after->n; j++) {
		const struct ps_task *y = &after->t[j];

		for (i = 0; i < before->n; i++)
			if (mapped(map, nmap, before->t[i].pid) == y->pid &&
			    mapped(map, nmap, before->t[i].tid) == y->tid)
				break;
		if (i == before->n) {
			who(&b, y);
			sb_add(&b, ": there after the restore, not before\n");
			n++;
		}
	}
	*report = sb_take(&b);
	return n;
}

/*
 * Is the restore over? Every process there with every thread, its memory
 * the image's (the command line lives in it) and no thread parked in the
 * module (a killable wait, shown as D).
 */
static bool restored(const struct ps_snap *before, const struct ps_snap *now,
		     const struct ps_pid_map *map, size_t nmap)
{
	size_t i, j;

	for (i = 0; i < before->n; i++) {
		const struct ps_task *x = &before->t[i];
		const char *cmd = lookup(x, "cmdline");

		for (j = 0; j < now->n; j++)
			if (now->t[j].pid == mapped(map, nmap, x->pid) &&
			    now->t[j].tid == mapped(map, nmap, x->tid))
				break;
		if (j == now->n)
			return false;
		if (cmd && (!lookup(&now->t[j], "cmdline") ||
			    strcmp(cmd, lookup(&now->t[j], "cmdline"))))
			return false;
		if (lookup(&now->t[j], "status:State") &&
		    lookup(&now->t[j], "status:State")[0] == 'D')
			return false;
	}
	return true;
}

/* A child of our parent in another pid namespace (its --pidns init), or 0. */
static pid_t sibling_pidns(void)
{
	char path[96], mine[64], theirs[64], line[128];
	int *all = NULL, n, i;
	pid_t found = 0;
	ssize_t len;
	FILE *f;

	len = readlink("/proc/self/ns/pid", mine, sizeof(mine) - 1);
	if (len < 0)
		return 0;
	mine[len] = '\0';
	n = numeric_dir("/proc", &all);
	for (i = 0; i < n && !found; i++) {
		snprintf(path, sizeof(path), "/proc/%d/status", all[i]);
		f = fopen(path, "r");
		while (f && fgets(line, sizeof(line), f))
			if (!strncmp(line, "PPid:", 5))
				break;
		if (f)
			fclose(f);
		if (!f || atoi(line + 5) != getppid())
			continue;
		snprintf(path, sizeof(path), "/proc/%d/ns/pid", all[i]);
		len = readlink(path, theirs, sizeof(theirs) - 1);
		if (len > 0 && (theirs[len] = '\0', strcmp(mine, theirs)))
			found = all[i];
	}
	free(all);
	return found;
}

#define RESTORE_LIMIT_MS	(180 * 1000)

int ps_expect_same(const struct ps_snap *before, const pid_t *after_pids,
		   pid_t ns_pid, const char *scope, int timeout_ms, char **report)
{
	struct timespec ts = { 0, 100 * 1000 * 1000 };
	struct ps_pid_map *map = NULL;
	struct ps_allow a;
	struct ps_snap after;
	struct sbuf b = { 0 };
	char err[512], *diff = NULL, *used;
	size_t i, nmap = 0, np = 0;
	pid_t *pids, ns = ns_pid;
	int ret, waited, since = -1, n = -ESRCH;

	ret = ps_allow_load(&a, NULL, err, sizeof(err));
	if (ret) {
		sb_add(&b, "%s\n", err);
		*report = sb_take(&b);
		return ret;
	}
	/* The processes of @before, in order, and where each went. */
	pids = calloc(before->n + 1, sizeof(*pids));
	map = calloc(before->n + 1, sizeof(*map));
	if (!pids || !map)
		abort();
	for (i = 0; i < before->n; i++) {
		if (before->t[i].pid != before->t[i].tid)
			continue;
		pids[np] = after_pids ? after_pids[np] : before->t[i].pid;
		if (pids[np] != before->t[i].pid)
			map[nmap++] = (struct ps_pid_map){ before->t[i].pid, pids[np] };
		np++;
	}
	/*
	 * Wait for the restore to end, then give the processes @timeout_ms
	 * to match: the controller re-sends pending signals after the release.
	 */
	for (waited = 0; waited < RESTORE_LIMIT_MS; waited += 100) {
		if (ns_pid == PS_PIDNS_OF_SIBLING)
			ns = sibling_pidns();
		ret = ns ? ps_take_in_pidns(&after, ns, pids, np) :
		     ns_pid == PS_PIDNS_OF_SIBLING ? -ESRCH : ps_take(&after, pids, np);
		free(diff);
		diff = NULL;
		for (i = 0; i < a.n; i++)
			a.l[i].used = 0;
		if (ret) {
			n = ret;
		} else {
			if (since < 0 && restored(before, &after, map, nmap))
				since = waited;
			n = ps_compare(before, &after, map, nmap, &a, scope, &diff);
			ps_free(&after);
		}
		if (since >= 0 && (!n || waited - since >= timeout_ms))
			break;
		nanosleep(&ts, NULL);
	}
	if (since < 0)
		sb_add(&b, "the restore did not end within %d s\n", RESTORE_LIMIT_MS / 1000);
	if (n < 0)
		sb_add(&b, "cannot read /proc of the restored processes: %s\n", strerror(-n));
	else if (n)
		sb_add(&b, "%d differences the allowlist (%s) does not explain:\n%s", n, a.path,
		       diff);
	used = ps_allow_used(&a);
	sb_add(&b, "explained by the allowlist: %s\n", used[0] ? used : "nothing");
	free(used);
	free(diff);
	free(pids);
	free(map);
	ps_allow_free(&a);
	*report = sb_take(&b);
	return since < 0 && !n ? -ETIMEDOUT : n;
}

int ps_check_async(const struct ps_snap *before, pid_t ns_pid, const char *scope,
		   const char *go, int *report_fd)
{
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid == 0) {
		char *report;
		int n = ps_expect_same(before, NULL, ns_pid, scope, PS_SETTLE_MS, &report);
		size_t len = strlen(report);

		close(p[0]);
		if (go)
			close(open(go, O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
		_exit(write(p[1], report, len) != (ssize_t)len ? 2 : n < 0 ? 2 : n ? 1 : 0);
	}
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		return -errno;
	}
	*report_fd = p[0];
	return pid;
}

int ps_check_wait(pid_t helper, int report_fd, bool stop, char **report)
{
	struct sbuf b = { 0 };
	char buf[4096];
	ssize_t n;
	int st;

	if (stop)
		kill(helper, SIGKILL);
	while ((n = read(report_fd, buf, sizeof(buf))) > 0)
		sb_add(&b, "%.*s", (int)n, buf);
	close(report_fd);
	if (waitpid(helper, &st, 0) != helper)
		st = 2 << 8;
	*report = sb_take(&b);
	if (stop)
		return 0;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 2;
}

int ps_session_pids(pid_t sid, pid_t *pids, size_t max)
{
	int *all = NULL, n, i;
	size_t got = 0;

	n = numeric_dir("/proc", &all);
	for (i = 0; i < n && got < max; i++)
		if (getsid(all[i]) == sid)
			pids[got++] = all[i];
	free(all);
	return n < 0 ? n : (int)got;
}
