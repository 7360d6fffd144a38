// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * A randomized netlink client against the real module, for a bounded time:
 * well-formed requests of every command with plausible and implausible
 * values, the same with one defect (unknown, repeated, misplaced, short,
 * long or nested attributes, trailing bytes), broken headers (short,
 * overlong, odd lengths, wrong type, flags, version, reserved byte,
 * command), batches, random bytes, and requests out of order (WAIT on jobs
 * that never existed, RESTORE_REGS and RESTORE_THREAD with no restore,
 * RESTORE_MM with nonsense plans, dumps abandoned half read), over several
 * sockets, some subscribed to the events group and never read. Between
 * requests the area's superblock is damaged now and then, its checksum
 * mostly recomputed, so the module's own parser of it gets nonsense too.
 *
 * The requests come from worker processes: a request may legitimately
 * block (WAIT, the restore commands wait up to 30 s) or turn its caller
 * into an image's process (RESTORE_MM), so each request runs under a
 * timer whose SIGALRM kills a worker that does not come back; the next
 * worker takes over.
 *
 * Afterwards every job has finished, no page is held, the victim group
 * that was frozen over and over still runs, GET_INFO answers and a real
 * freeze works; run_tests.sh checks that the kernel said nothing.
 *
 * CKPT_GENL_RANDOM_SEED=N replays a sequence of requests (the seed is
 * printed; timing still differs), CKPT_GENL_RANDOM_SECONDS sets the time
 * (default 25).
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
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>

#include "kselftest_harness.h"
#include "libckpt.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

#define DIR		"/tmp/genl-random"
#define AREA		DIR "/area"
#define IMAGE		DIR "/victim.ckpt"
#define MAX_SOCKS	4
#define MAX_JOBS	64
#define REQUEST_LIMIT_MS 250	/* a worker stuck longer in one request dies */
#define MSG_MAX		(32 * 1024)

/* Counters shared by the workers and the test. */
struct shared {
	uint64_t requests, batches, acked, errors, replies, enobufs;
	uint64_t by_cmd[16];
	uint64_t by_errno[140];
	uint64_t jobs[MAX_JOBS];	/* ids from FREEZE replies */
	uint32_t nr_jobs;
	uint32_t freezes_ok;
	uint32_t area_damage;	/* superblocks damaged or put back */
};

/* lib/area.c's superblock checksum (libckpt's internals; linked statically). */
uint32_t libckpt_area_sb_crc(const void *blk);

static struct shared *sh;
/* Both superblock copies as created. */
static uint8_t pristine_sb[CKPT_AREA_SB_COPIES * CKPT_AREA_SB_SIZE];
static uint64_t rng;
static int family, events_grp;
static pid_t victim;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static uint32_t below(uint32_t n)
{
	return n ? (uint32_t)(rnd() % n) : 0;
}

static bool chance(unsigned int percent)
{
	return below(100) < percent;
}

/* --- building messages ---------------------------------------------------- */

struct msg {
	char b[MSG_MAX] __attribute__((aligned(8)));
	size_t len;
	size_t start;		/* this message's nlmsghdr in a batch */
};

static void begin(struct msg *m, uint16_t type, uint16_t flags, uint8_t cmd,
		  uint8_t version, uint16_t reserved)
{
	struct nlmsghdr *nlh = (void *)(m->b + m->len);
	struct genlmsghdr *g = NLMSG_DATA(nlh);

	m->start = m->len;
	memset(nlh, 0, NLMSG_HDRLEN + GENL_HDRLEN);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = (uint32_t)rnd();
	g->cmd = cmd;
	g->version = version;
	g->reserved = reserved;
	m->len += NLMSG_HDRLEN + GENL_HDRLEN;
}

static void finish(struct msg *m)
{
	struct nlmsghdr *nlh = (void *)(m->b + m->start);

	nlh->nlmsg_len = (uint32_t)(m->len - m->start);
	m->len = NLMSG_ALIGN(m->len);
}

static bool room(const struct msg *m, size_t n)
{
	return m->len + NLA_HDRLEN + NLA_ALIGN(n) + 64 < sizeof(m->b);
}

static void put(struct msg *m, uint16_t type, const void *data, size_t len)
{
	struct nlattr *a = (void *)(m->b + m->len);

	if (!room(m, len) || len > 0xffff - NLA_HDRLEN)
		return;
	a->nla_type = type;
	a->nla_len = (uint16_t)(NLA_HDRLEN + len);
	if (len)
		memcpy(m->b + m->len + NLA_HDRLEN, data, len);
	memset(m->b + m->len + NLA_HDRLEN + len, 0, NLA_ALIGN(len) - len);
	m->len += NLA_HDRLEN + NLA_ALIGN(len);
}

static void put_u32(struct msg *m, uint16_t type, uint32_t v)
{
	put(m, type, &v, sizeof(v));
}

static void put_u64(struct msg *m, uint16_t type, uint64_t v)
{
	put(m, type, &v, sizeof(v));
}

static void put_random(struct msg *m, uint16_t type, size_t len)
{
	char buf[4096];
	size_t i;

	if (len > sizeof(buf))
		len = sizeof(buf);
	for (i = 0; i < len; i++)
		buf[i] = (char)rnd();
	put(m, type, buf, len);
}

static size_t nest_start(struct msg *m, uint16_t type)
{
	size_t at = m->len;

	put(m, type | NLA_F_NESTED, NULL, 0);
	return at;
}

static void nest_end(struct msg *m, size_t at)
{
	struct nlattr *a = (void *)(m->b + at);

	a->nla_len = (uint16_t)(m->len - at);
}

/* --- plausible values ------------------------------------------------------ */

struct worker {
	int socks[MAX_SOCKS];
	int nr_socks;
	int fds[8];		/* area rw, area ro, image, /dev/null, file, pipe r/w, 9999 */
};

static int some_fd(const struct worker *w)
{
	return chance(90) ? w->fds[below(8)] : (int)(rnd() % 2048) - 8;
}

static uint32_t some_pgid(void)
{
	switch (below(6)) {
	case 0: case 1: case 2: return (uint32_t)victim;
	case 3: return (uint32_t)getpgrp();
	case 4: return 1 + below(400);
	default: return (uint32_t)rnd();
	}
}

static uint64_t some_job(void)
{
	uint32_t n = __atomic_load_n(&sh->nr_jobs, __ATOMIC_RELAXED);

	if (n && chance(70))
		return sh->jobs[below(n < MAX_JOBS ? n : MAX_JOBS)];
	return chance(50) ? 1 + below(1000) : rnd();
}

static uint64_t some_addr(void)
{
	static const uint64_t at[] = {
		0, 0x1000, 0x400000, 0x10000000, 0x7f0000000000ULL,
		0x7ffffffff000ULL, 0x800000000000ULL, 0xffff800000000000ULL,
		0xfffffffffffff000ULL,
	};

	if (chance(30))
		return rnd();
	return at[below(sizeof(at) / sizeof(at[0]))] + 0x1000ULL * below(64);
}

static void put_vmas(struct msg *m, const struct worker *w)
{
	struct ckpt_restore_vma v[16];
	uint32_t n = below(17), i;
	uint64_t at = 0x10000000ULL + 0x1000ULL * below(1000);
	size_t nest;

	for (i = 0; i < n; i++) {
		v[i].start = chance(80) ? at : some_addr();
		v[i].end = v[i].start + 0x1000ULL * (chance(90) ? 1 + below(16) : rnd());
		v[i].pgoff = chance(80) ? 0 : rnd();
		v[i].flags = chance(80) ? (uint32_t)below(0x80000) : (uint32_t)rnd();
		v[i].fd = chance(70) ? -1 : some_fd(w);
		at = v[i].end + 0x1000ULL * below(4);
	}
	nest = nest_start(m, CKPT_A_RESTORE_VMAS);
	/* A nest of chunks, as libckpt sends them; sometimes one chunk is odd. */
	if (chance(90)) {
		put(m, CKPT_A_RESTORE_VMAS, v, n / 2 * sizeof(v[0]));
		put(m, CKPT_A_RESTORE_VMAS, v + n / 2, (n - n / 2) * sizeof(v[0]));
	} else {
		put_random(m, chance(50) ? CKPT_A_RESTORE_VMAS : below(40), below(200));
	}
	nest_end(m, nest);
}

static void put_runs(struct msg *m)
{
	struct ckpt_restore_run r[32];
	uint32_t chunks = below(4), c, n, i;
	size_t at = nest_start(m, CKPT_A_RESTORE_RUNS);

	for (c = 0; c < chunks; c++) {
		n = below(33);
		for (i = 0; i < n; i++) {
			r[i].addr = chance(80) ? 0x10000000ULL + 0x1000ULL * below(4096) :
				    some_addr();
			r[i].offset = chance(80) ? 0x1000ULL * below(64) : rnd();
			r[i].nr_pages = chance(80) ? 1 + below(8) : rnd();
		}
		if (chance(90))
			put(m, CKPT_A_RESTORE_RUNS, r, n * sizeof(r[0]));
		else
			put_random(m, chance(50) ? CKPT_A_RESTORE_RUNS : below(40),
				   below(100));
	}
	nest_end(m, at);
}

static void put_thread(struct msg *m)
{
	struct ckpt_rec_thread th = { .tid = (uint32_t)rnd() };
	char buf[sizeof(th) + 216 + 4096];
	uint32_t extra;

	th.regs_size = chance(70) ? 216 : (uint32_t)below(512);
	th.xstate_size = chance(50) ? 2696 : (uint32_t)below(4096);
	if (chance(10))
		th.xstate_size = (uint32_t)rnd();
	extra = th.regs_size + (th.xstate_size < 4096 ? th.xstate_size : 0);
	if (chance(20))
		extra = below(4096);
	if (extra > sizeof(buf) - sizeof(th))
		extra = sizeof(buf) - sizeof(th);
	memcpy(buf, &th, sizeof(th));
	for (uint32_t i = 0; i < extra; i++)
		buf[sizeof(th) + i] = (char)rnd();
	put(m, CKPT_A_RESTORE_THREAD, buf, sizeof(th) + extra);
}

static void put_close(struct msg *m)
{
	int32_t fds[8];
	uint32_t n = below(9), i;

	for (i = 0; i < n; i++)
		fds[i] = chance(50) ? -1 : (int32_t)(900 + below(100));
	put(m, CKPT_A_RESTORE_CLOSE, fds, n * sizeof(fds[0]));
}

/* The attributes a command takes, with values from plausible to absurd. */
static void put_attrs(struct msg *m, uint8_t cmd, const struct worker *w)
{
	switch (cmd) {
	case CKPT_CMD_GET_INFO:
		if (chance(50))
			put_u32(m, CKPT_A_VERSION, chance(80) ? CKPT_GENL_VERSION :
				(uint32_t)rnd());
		break;
	case CKPT_CMD_CHECK:
		if (chance(95))
			put_u32(m, CKPT_A_PGID, some_pgid());
		break;
	case CKPT_CMD_FREEZE:
		if (chance(95))
			put_u32(m, CKPT_A_PGID, some_pgid());
		if (chance(60))
			put_u32(m, CKPT_A_AREA_FD, (uint32_t)some_fd(w));
		if (chance(50))
			put_u32(m, CKPT_A_OUTPUT_FD, (uint32_t)some_fd(w));
		/* Fast enough that every image is written within seconds. */
		if (chance(30))
			put_u64(m, CKPT_A_RATE, chance(50) ? 0 :
				(1ULL << 20) + rnd() % (1ULL << 30));
		break;
	case CKPT_CMD_WAIT:
		if (chance(95))
			put_u64(m, CKPT_A_JOB_ID, some_job());
		break;
	case CKPT_CMD_AREA_DROP:
		if (chance(90))
			put_u32(m, CKPT_A_AREA_FD, (uint32_t)some_fd(w));
		/* Mostly the few generations the area can hold, else nonsense. */
		if (chance(90))
			put_u64(m, CKPT_A_GENERATION, chance(80) ? below(40) : rnd());
		break;
	case CKPT_CMD_RESTORE_MM:
		if (chance(90))
			put_u32(m, CKPT_A_IMAGE_FD, (uint32_t)some_fd(w));
		if (chance(90)) {
			if (chance(80))
				put_random(m, CKPT_A_RESTORE_TASK,
					   sizeof(struct ckpt_rec_task));
			else
				put_random(m, CKPT_A_RESTORE_TASK, below(300));
		}
		if (chance(90))
			put_vmas(m, w);
		if (chance(70))
			put_runs(m);
		if (chance(30))
			put_close(m);
		break;
	case CKPT_CMD_RESTORE_REGS:
		if (chance(90))
			put_u32(m, CKPT_A_TID, chance(20) ? (uint32_t)victim :
				chance(20) ? (uint32_t)getpid() : (uint32_t)rnd());
		if (chance(90))
			put_thread(m);
		break;
	case CKPT_CMD_RESTORE_THREAD:
		if (chance(50))
			put_close(m);
		break;
	default:
		break;
	}
}

/* One defect in an otherwise well-formed request. */
static void put_defect(struct msg *m, uint8_t cmd, const struct worker *w)
{
	uint32_t v = (uint32_t)rnd();
	uint64_t big = rnd();

	switch (below(9)) {
	case 0:		/* unknown attribute type */
		put_u32(m, chance(50) ? CKPT_A_MAX + 1 + below(100) : 0, v);
		break;
	case 1:		/* an attribute of another command */
		put_attrs(m, (uint8_t)(1 + below(CKPT_CMD_MAX)), w);
		break;
	case 2:		/* repeated */
		put_attrs(m, cmd, w);
		break;
	case 3:		/* a known attribute, a wrong length */
		put(m, (uint16_t)(1 + below(CKPT_A_MAX)), &big, below(9));
		break;
	case 4:		/* oversized */
		put_random(m, (uint16_t)(1 + below(CKPT_A_MAX)), 9 + below(4000));
		break;
	case 5: {	/* nested where none is, or nested garbage */
		size_t at = nest_start(m, (uint16_t)(1 + below(CKPT_A_MAX)));

		put_u32(m, (uint16_t)below(CKPT_A_MAX + 2), v);
		put_random(m, (uint16_t)below(CKPT_A_MAX + 2), below(64));
		nest_end(m, at);
		break;
	}
	case 6: {	/* an attribute whose length runs past the message */
		struct nlattr *a = (void *)(m->b + m->len);

		put_u32(m, (uint16_t)(1 + below(CKPT_A_MAX)), v);
		a->nla_len = (uint16_t)(8 + below(2000));
		break;
	}
	case 7: {	/* a length below the attribute header */
		struct nlattr *a = (void *)(m->b + m->len);

		put_u32(m, (uint16_t)(1 + below(CKPT_A_MAX)), v);
		a->nla_len = (uint16_t)below(4);
		break;
	}
	default:	/* trailing bytes that are no attribute */
		memset(m->b + m->len, 0xa5, 3);
		m->len += 1 + below(3);
		break;
	}
}

/*
 * A command number: mostly real ones, sometimes none. RESTORE_THREAD and
 * RESTORE_REGS mostly block until the timer kills their caller, so they
 * come less often than the others.
 */
static uint8_t some_cmd(void)
{
	static const uint8_t cmds[] = {
		CKPT_CMD_GET_INFO, CKPT_CMD_CHECK, CKPT_CMD_CHECK,
		CKPT_CMD_FREEZE, CKPT_CMD_FREEZE, CKPT_CMD_FREEZE,
		CKPT_CMD_WAIT, CKPT_CMD_WAIT, CKPT_CMD_STATUS, CKPT_CMD_STATUS,
		CKPT_CMD_RESTORE_MM, CKPT_CMD_RESTORE_MM, CKPT_CMD_RESTORE_MM,
		CKPT_CMD_JOB_EVENT, CKPT_CMD_UNSPEC, CKPT_CMD_AREA_DROP,
	};

	if (chance(2))
		return CKPT_CMD_RESTORE_THREAD;
	if (chance(3))
		return CKPT_CMD_RESTORE_REGS;
	if (chance(92))
		return cmds[below(sizeof(cmds))];
	return (uint8_t)rnd();
}

static uint16_t some_flags(uint8_t cmd)
{
	uint16_t f = NLM_F_REQUEST | (chance(80) ? NLM_F_ACK : 0);

	if (cmd == CKPT_CMD_STATUS ? chance(90) : chance(5))
		f |= NLM_F_DUMP;
	if (chance(5))
		f |= (uint16_t)rnd();
	return f;
}

/* Build the next request (or batch) into @m. */
static void build(struct msg *m, const struct worker *w, uint8_t *first_cmd)
{
	uint8_t cmd = some_cmd();
	uint32_t kind = below(100), n, i;

	m->len = 0;
	*first_cmd = cmd;
	if (kind < 45) {		/* well formed */
		begin(m, (uint16_t)family, some_flags(cmd), cmd, CKPT_GENL_VERSION, 0);
		put_attrs(m, cmd, w);
		finish(m);
	} else if (kind < 75) {		/* one defect */
		begin(m, (uint16_t)family, some_flags(cmd), cmd, CKPT_GENL_VERSION, 0);
		put_attrs(m, cmd, w);
		put_defect(m, cmd, w);
		finish(m);
	} else if (kind < 85) {		/* a broken header */
		begin(m, chance(70) ? (uint16_t)family : (uint16_t)rnd(),
		      some_flags(cmd), cmd,
		      chance(50) ? (uint8_t)rnd() : CKPT_GENL_VERSION,
		      chance(50) ? (uint16_t)rnd() : 0);
		put_attrs(m, cmd, w);
		finish(m);
		switch (below(4)) {
		case 0:
			((struct nlmsghdr *)m->b)->nlmsg_len = below(NLMSG_HDRLEN + GENL_HDRLEN);
			break;
		case 1:
			((struct nlmsghdr *)m->b)->nlmsg_len += 1 + below(5000);
			break;
		case 2:
			m->len = below((uint32_t)m->len);	/* the send is cut short */
			break;
		default:
			((struct nlmsghdr *)m->b)->nlmsg_len |= 1;
			break;
		}
	} else if (kind < 93) {		/* a batch of two to four */
		n = 2 + below(3);
		for (i = 0; i < n; i++) {
			cmd = some_cmd();
			begin(m, (uint16_t)family, some_flags(cmd), cmd,
			      CKPT_GENL_VERSION, 0);
			put_attrs(m, cmd, w);
			if (chance(30))
				put_defect(m, cmd, w);
			finish(m);
		}
		__atomic_fetch_add(&sh->batches, 1, __ATOMIC_RELAXED);
	} else {			/* random bytes behind a valid header */
		begin(m, (uint16_t)family, some_flags(cmd), cmd, CKPT_GENL_VERSION, 0);
		n = below(600);
		for (i = 0; i < n; i++)
			m->b[m->len++] = (char)rnd();
		finish(m);
	}
}

/* --- the workers ------------------------------------------------------------- */

static int open_sock(void)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	int one = 1, small = 1024 + below(8192);

	if (fd < 0)
		return fd;
	if (chance(70))
		setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	if (chance(30))
		setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	if (chance(20))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	/* Subscribed and never read: events pile up until the buffer is full. */
	if (events_grp > 0 && chance(25))
		setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &events_grp,
			   sizeof(events_grp));
	return fd;
}

/*
 * Read what is queued on @fd without blocking (all of it, or one datagram:
 * a dump then stays half read); note job ids and errors.
 */
static void drain(int fd, bool all)
{
	char buf[16384] __attribute__((aligned(8)));
	int k, reads = all ? 1000 : 1;
	ssize_t len;

	for (k = 0; k < reads; k++) {
		struct nlmsghdr *nlh;

		len = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (len < 0 && errno == ENOBUFS) {
			__atomic_fetch_add(&sh->enobufs, 1, __ATOMIC_RELAXED);
			continue;
		}
		if (len <= 0)
			return;
		for (nlh = (void *)buf; NLMSG_OK(nlh, len); nlh = NLMSG_NEXT(nlh, len)) {
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(nlh);
				int err = -e->error;

				if (!err) {
					__atomic_fetch_add(&sh->acked, 1, __ATOMIC_RELAXED);
					continue;
				}
				__atomic_fetch_add(&sh->errors, 1, __ATOMIC_RELAXED);
				if (err > 0 && err < 140)
					__atomic_fetch_add(&sh->by_errno[err], 1,
							   __ATOMIC_RELAXED);
				continue;
			}
			if (nlh->nlmsg_type != family)
				continue;
			__atomic_fetch_add(&sh->replies, 1, __ATOMIC_RELAXED);
			struct genlmsghdr *g = NLMSG_DATA(nlh);
			struct nlattr *a = (void *)((char *)g + GENL_HDRLEN);
			int rem = (int)nlh->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;

			if (g->cmd != CKPT_CMD_FREEZE)
				continue;
			__atomic_fetch_add(&sh->freezes_ok, 1, __ATOMIC_RELAXED);
			for (; rem >= (int)sizeof(*a) && a->nla_len >= sizeof(*a) &&
			       a->nla_len <= rem;
			     rem -= NLA_ALIGN(a->nla_len),
			     a = (void *)((char *)a + NLA_ALIGN(a->nla_len))) {
				uint64_t id;

				if (a->nla_type != CKPT_A_JOB_ID || a->nla_len != NLA_HDRLEN + 8)
					continue;
				memcpy(&id, (char *)a + NLA_HDRLEN, sizeof(id));
				sh->jobs[__atomic_fetch_add(&sh->nr_jobs, 1, __ATOMIC_RELAXED) %
					 MAX_JOBS] = id;
			}
		}
	}
}

static void worker_fds(struct worker *w)
{
	char out[64];
	int p[2];

	snprintf(out, sizeof(out), DIR "/out-%d", getpid());
	w->fds[0] = open(AREA, O_RDWR);
	w->fds[1] = open(AREA, O_RDONLY);
	w->fds[2] = open(IMAGE, O_RDONLY);
	w->fds[3] = open("/dev/null", O_RDWR);
	w->fds[4] = open(out, O_RDWR | O_CREAT | O_TRUNC, 0600);
	unlink(out);	/* its images go with the worker */
	if (pipe(p))
		p[0] = p[1] = -1;
	w->fds[5] = p[0];
	w->fds[6] = p[1];
	w->fds[7] = 9999;
	/* Where RESTORE_CLOSE lists point. */
	dup2(w->fds[3], 900 + below(100));
}

/*
 * Damage one field of one superblock copy of the area, or the same field
 * of both (a module that takes the intact copy is only made to refuse the
 * area by both), mostly with a correct checksum; or put the pristine
 * copies back.
 */
static void damage_area(int fd)
{
	static const uint64_t edge[] = {
		0, 1, 4095, 4096, 8191, 1 << 20, 8 << 20, (8 << 20) + 4096,
		0x7fffffffffffffffULL, 0xffffffffffffffffULL, 0xfffffffffffff000ULL,
	};
	uint8_t sb[sizeof(pristine_sb)];
	struct ckpt_area_sb h;
	unsigned int copy, which;
	size_t at;
	uint64_t v;
	bool seal;

	if (chance(30)) {
		memcpy(sb, pristine_sb, sizeof(sb));
	} else {
		if (pread(fd, sb, sizeof(sb), 0) != sizeof(sb))
			return;
		at = 8 * (size_t)below(sizeof(struct ckpt_area_sb) / 8);
		v = chance(60) ? edge[below(sizeof(edge) / sizeof(edge[0]))] : rnd();
		which = below(3);	/* copy 0, copy 1 or both */
		seal = chance(85);
		for (copy = 0; copy < CKPT_AREA_SB_COPIES; copy++) {
			uint8_t *blk = sb + copy * CKPT_AREA_SB_SIZE;

			if (which != 2 && which != copy)
				continue;
			memcpy(blk + at, &v, chance(50) ? 4 : 8);
			if (seal) {
				memcpy(&h, blk, sizeof(h));
				h.sb_crc32c = libckpt_area_sb_crc(blk);
				memcpy(blk, &h, sizeof(h));
			}
		}
	}
	__atomic_fetch_add(&sh->area_damage, pwrite(fd, sb, sizeof(sb), 0) == sizeof(sb),
			   __ATOMIC_RELAXED);
}

static void arm(int ms)
{
	struct itimerval t = { .it_value = { ms / 1000, (ms % 1000) * 1000 } };

	setitimer(ITIMER_REAL, &t, NULL);
}

static __attribute__((noreturn)) void worker(uint64_t seed, time_t deadline)
{
	struct worker w = { 0 };
	static struct msg m;
	uint8_t cmd;
	int i, s;

	rng = seed;
	setpgid(0, 0);
	worker_fds(&w);
	w.nr_socks = 1 + below(MAX_SOCKS);
	for (i = 0; i < w.nr_socks; i++)
		w.socks[i] = open_sock();
	while (time(NULL) < deadline) {
		if (chance(4))
			damage_area(w.fds[0]);
		build(&m, &w, &cmd);
		s = w.socks[below(w.nr_socks)];
		__atomic_fetch_add(&sh->requests, 1, __ATOMIC_RELAXED);
		__atomic_fetch_add(&sh->by_cmd[cmd < 16 ? cmd : 15], 1, __ATOMIC_RELAXED);
		/* The handler runs inside send(): the timer bounds it. */
		arm(REQUEST_LIMIT_MS);
		send(s, m.b, m.len, 0);
		arm(0);
		if (chance(10)) {
			/* Abandon whatever is queued or half dumped. */
			close(s);
			for (i = 0; i < w.nr_socks; i++)
				if (w.socks[i] == s)
					w.socks[i] = open_sock();
			continue;
		}
		for (i = 0; i < w.nr_socks; i++)
			if (chance(80))
				drain(w.socks[i], chance(50));
	}
	_exit(0);
}

/* --- the test ----------------------------------------------------------------- */

static void victim_main(volatile uint64_t *counter)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	int null = open("/dev/null", O_RDWR);

	setsid();
	close_range(3, ~0U, 0);
	dup2(null, 0);
	dup2(null, 1);
	dup2(null, 2);
	for (;;) {
		(*counter)++;
		nanosleep(&ts, NULL);
	}
}

static bool advances(volatile uint64_t *counter)
{
	uint64_t before = *counter;
	int i;

	for (i = 0; i < 500 && *counter == before; i++)
		usleep(20000);
	return *counter != before;
}

static int resolve(void)
{
	struct nl_sock *sk = nl_socket_alloc();

	if (!sk || genl_connect(sk))
		return -1;
	family = genl_ctrl_resolve(sk, CKPT_GENL_NAME);
	events_grp = genl_ctrl_resolve_grp(sk, CKPT_GENL_NAME, CKPT_MCGRP_EVENTS);
	nl_socket_free(sk);
	return family > 0 ? 0 : -1;
}

/* Freeze the victim into @fd (a standalone image) and wait for the commit. */
static int dump_victim(struct __test_metadata *_metadata, int fd)
{
	struct libckpt_job job, done;
	struct libckpt *h;
	int ret;

	ret = libckpt_open(&h);
	if (ret)
		return ret;
	ret = libckpt_dump(h, (uint32_t)victim, fd, 0, &job);
	if (!ret)
		ret = libckpt_wait(h, job.id, &done);
	if (!ret && done.state != CKPT_JOB_COMMITTED)
		ret = -EIO;
	if (ret)
		TH_LOG("dump of the victim: %d %s", ret, libckpt_error(h));
	libckpt_close(h);
	return ret;
}

static int count_streaming(const struct libckpt_job *job, void *arg)
{
	*(int *)arg += job->state == CKPT_JOB_STREAMING;
	return 0;
}

FIXTURE(rnd) {
	volatile uint64_t *counter;
	uint64_t seed;
};

FIXTURE_SETUP(rnd)
{
	const char *s = getenv("CKPT_GENL_RANDOM_SEED");
	char err[LIBCKPT_ERRLEN];
	struct timespec ts;
	int fd;

	ASSERT_EQ(0, resolve()) TH_LOG("the ckpt family is not registered");
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	self->counter = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, sh);
	ASSERT_NE(MAP_FAILED, self->counter);
	memset(sh, 0, sizeof(*sh));
	victim = fork();
	if (victim == 0)
		victim_main(self->counter);
	ASSERT_LT(0, victim);
	ASSERT_TRUE(advances(self->counter));
	mkdir(DIR, 0700);
	unlink(AREA);
	ASSERT_EQ(0, libckpt_area_create(AREA, 8 << 20, err, sizeof(err))) TH_LOG("%s", err);
	fd = open(AREA, O_RDONLY);
	ASSERT_EQ(sizeof(pristine_sb), pread(fd, pristine_sb, sizeof(pristine_sb), 0));
	close(fd);
	fd = open(IMAGE, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, dump_victim(_metadata, fd));
	close(fd);
	clock_gettime(CLOCK_REALTIME, &ts);
	self->seed = s ? strtoull(s, NULL, 0) :
		     (((uint64_t)ts.tv_sec << 20) ^ (uint64_t)ts.tv_nsec) | 1;
	TH_LOG("seed %llu (CKPT_GENL_RANDOM_SEED replays it), victim pid %d, events group %d",
	       (unsigned long long)self->seed, victim, events_grp);
}

FIXTURE_TEARDOWN(rnd)
{
	if (victim > 0) {
		kill(victim, SIGKILL);
		waitpid(victim, NULL, 0);
	}
}

/*
 * Random, malformed and out-of-order requests for a bounded time leave no
 * kernel warning, no job streaming, no held page and no frozen process;
 * afterwards the module answers and freezes as before.
 */
TEST_F_TIMEOUT(rnd, random_requests, 400)
{
	const char *t = getenv("CKPT_GENL_RANDOM_SECONDS");
	time_t deadline = time(NULL) + (t ? atoi(t) : 25);
	unsigned int workers = 0, killed = 0, other = 0, i;
	struct libckpt_info info;
	struct libckpt *h;
	int st, streaming, fd;
	char line[512];
	size_t n;

	while (time(NULL) < deadline) {
		pid_t pid = fork();

		if (pid == 0)
			worker(self->seed + workers * 0x9e3779b97f4a7c15ULL, deadline);
		ASSERT_LT(0, pid);
		workers++;
		/* A worker ends at the deadline, or is killed sooner. */
		ASSERT_EQ(pid, waitpid(pid, &st, 0));
		if (WIFSIGNALED(st) && (WTERMSIG(st) == SIGALRM || WTERMSIG(st) == SIGKILL))
			killed++;
		else if (!WIFEXITED(st) || WEXITSTATUS(st))
			other++;
	}

	TH_LOG("%llu requests (%llu batches) from %u workers, %u killed in a blocking or restoring request, %u died otherwise",
	       (unsigned long long)sh->requests, (unsigned long long)sh->batches,
	       workers, killed, other);
	TH_LOG("answers: %llu acks, %llu errors, %llu replies, %u freezes, %llu ENOBUFS; %u area superblocks rewritten",
	       (unsigned long long)sh->acked, (unsigned long long)sh->errors,
	       (unsigned long long)sh->replies, sh->freezes_ok,
	       (unsigned long long)sh->enobufs, sh->area_damage);
	n = 0;
	for (i = 0; i < 16; i++)
		if (sh->by_cmd[i])
			n += snprintf(line + n, sizeof(line) - n, " cmd%u:%llu", i,
				      (unsigned long long)sh->by_cmd[i]);
	TH_LOG("requests by command:%s", line);
	n = 0;
	for (i = 0; i < 140 && n < sizeof(line) - 32; i++)
		if (sh->by_errno[i])
			n += snprintf(line + n, sizeof(line) - n, " %s:%llu",
				      strerrorname_np((int)i) ?: "?",
				      (unsigned long long)sh->by_errno[i]);
	TH_LOG("errors:%s", line);
	EXPECT_LT(0, sh->requests);

	/* Every job ends: writers into pipes whose readers died have failed. */
	ASSERT_EQ(0, libckpt_open(&h));
	for (i = 0; i < 600; i++) {
		streaming = 0;
		ASSERT_EQ(0, libckpt_status(h, count_streaming, &streaming));
		if (!streaming)
			break;
		usleep(100000);
	}
	EXPECT_EQ(0, streaming) TH_LOG("jobs still streaming a minute after the last request");
	ASSERT_EQ(0, libckpt_get_info(h, &info)) TH_LOG("%s", libckpt_error(h));
	EXPECT_EQ(0, info.held_pages) TH_LOG("pages held with no job streaming");
	TH_LOG("afterwards: %u jobs kept, %llu pages held", info.live_jobs,
	       (unsigned long long)info.held_pages);
	libckpt_close(h);

	/* The victim, frozen again and again, runs; and can be frozen once more. */
	EXPECT_TRUE(advances(self->counter)) TH_LOG("the victim does not run");
	fd = open(DIR "/after.ckpt", O_RDWR | O_CREAT | O_TRUNC, 0600);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, dump_victim(_metadata, fd));
	close(fd);
	{
		struct libckpt_image *img = NULL;
		char err[LIBCKPT_ERRLEN];

		EXPECT_EQ(0, libckpt_image_open(DIR "/after.ckpt", &img, err, sizeof(err)))
			TH_LOG("%s", err);
		if (img)
			libckpt_image_close(img);
	}
	EXPECT_TRUE(advances(self->counter));
}

#define HUNG_TIMEOUT "/proc/sys/kernel/hung_task_timeout_secs"

/*
 * Any value of CKPT_A_RATE is the caller's to choose: a writer held back
 * for seconds by a low rate is no hung task (the detector, set to 1 s
 * here, stays quiet; run_tests.sh reads the log) and its job commits.
 */
TEST(slow_writer_is_not_hung)
{
	volatile uint64_t *counter;
	struct libckpt_job job, done;
	char old[32] = "";
	struct libckpt *h;
	int fd, hung;
	pid_t pid;

	hung = open(HUNG_TIMEOUT, O_RDWR);
	if (hung < 0)
		SKIP(return, "no hung task detector in this kernel");
	ASSERT_LT(0, read(hung, old, sizeof(old) - 1));
	ASSERT_EQ(1, pwrite(hung, "1", 1, 0));
	counter = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, counter);
	pid = fork();
	if (pid == 0)
		victim_main(counter);
	ASSERT_LT(0, pid);
	ASSERT_TRUE(advances(counter));
	mkdir(DIR, 0700);
	fd = open(DIR "/slow.ckpt", O_RDWR | O_CREAT | O_TRUNC, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, libckpt_open(&h));
	/* About 5 s for the ~20 pages of a fork of this test. */
	ASSERT_EQ(0, libckpt_dump(h, (uint32_t)pid, fd, 16 << 10, &job))
		TH_LOG("%s", libckpt_error(h));
	ASSERT_EQ(0, libckpt_wait(h, job.id, &done));
	EXPECT_EQ(CKPT_JOB_COMMITTED, done.state);
	TH_LOG("%llu bytes at 16 KiB/s: committed after %.1f s",
	       (unsigned long long)done.image_len, done.stream_ns / 1e9);
	libckpt_close(h);
	close(fd);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	EXPECT_LT(0, pwrite(hung, old, strlen(old), 0));
	close(hung);
}

TEST_HARNESS_MAIN
