// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * libckpt: the state of descriptor objects (eventfd, timerfd, signalfd,
 * epoll, pidfd, inotify, socket) in FD records, judged the way the rest of the reader judges
 * records: exact sizes, known flags and values, reserved fields zero.
 * The state follows the path, so it is unaligned: it is copied out.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "format.h"

/* Within the reader's 16 MiB of data per record. */
#define MAX_EPOLL_ITEMS	(1U << 19)
#define MAX_WATCHES	(1U << 16)

bool libckpt_fdobj_type(uint32_t type)
{
	return type >= CKPT_FD_EVENTFD && type <= CKPT_FD_NOTICE;
}

static bool clock_known(int32_t clockid)
{
	/* REALTIME, MONOTONIC, BOOTTIME, REALTIME_ALARM, BOOTTIME_ALARM */
	return clockid == 0 || clockid == 1 || clockid == 7 || clockid == 8 ||
	       clockid == 9;
}

static int check_epoll(const struct ckpt_rec_fd *f, const char *data, char *why,
		       size_t len)
{
	struct ckpt_fd_epoll ep;
	struct ckpt_epoll_item it;
	uint32_t i;

	if (f->data_len < sizeof(ep))
		goto size;
	memcpy(&ep, data, sizeof(ep));
	if (ep.reserved) {
		snprintf(why, len, "epoll state: reserved field is not zero");
		return -1;
	}
	if (ep.nr_items > MAX_EPOLL_ITEMS ||
	    f->data_len != sizeof(ep) + (uint64_t)ep.nr_items * sizeof(it))
		goto size;
	for (i = 0; i < ep.nr_items; i++) {
		memcpy(&it, data + sizeof(ep) + i * sizeof(it), sizeof(it));
		/* Any events: the kernel keeps every bit EPOLL_CTL_ADD got. */
		if (it.tfd < 0 || it.fd < 0 || it.reserved) {
			snprintf(why, len, "epoll registration %u: negative fd or reserved field set",
				 i);
			return -1;
		}
	}
	return 0;
size:
	snprintf(why, len, "epoll state of %u bytes does not match its registrations",
		 f->data_len);
	return -1;
}

static int check_inotify(const struct ckpt_rec_fd *f, const char *data, char *why,
			 size_t len)
{
	struct ckpt_fd_inotify in;
	struct ckpt_inotify_watch w;
	int32_t last = 0;
	uint32_t i;

	if (f->data_len < sizeof(in))
		goto size;
	memcpy(&in, data, sizeof(in));
	if (in.nr_watches > MAX_WATCHES ||
	    f->data_len != sizeof(in) + (uint64_t)in.nr_watches * sizeof(w))
		goto size;
	for (i = 0; i < in.nr_watches; i++) {
		memcpy(&w, data + sizeof(in) + i * sizeof(w), sizeof(w));
		if (w.wd <= last || w.handle_bytes > CKPT_HANDLE_MAX || w.reserved) {
			snprintf(why, len, "inotify watch %u: watch descriptors out of order, a handle too long or a reserved field set",
				 i);
			return -1;
		}
		last = w.wd;
	}
	return 0;
size:
	snprintf(why, len, "inotify state of %u bytes does not match its watches",
		 f->data_len);
	return -1;
}

/* A socket's state, then exactly nr_msgs messages and their bytes. */
static int check_socket(const struct ckpt_rec_fd *f, const char *data, char *why,
			size_t len)
{
	struct ckpt_fd_socket st;
	struct ckpt_sock_msg m;
	uint64_t off;
	uint32_t i;

	if (f->data_len < sizeof(st)) {
		snprintf(why, len, "socket state of %u bytes", f->data_len);
		return -1;
	}
	memcpy(&st, data, sizeof(st));
	if ((st.family != AF_UNIX && st.family != AF_INET && st.family != AF_INET6) ||
	    (st.type != SOCK_STREAM && st.type != SOCK_DGRAM &&
	     st.type != SOCK_SEQPACKET) ||
	    st.state < CKPT_SK_UNCONNECTED || st.state > CKPT_SK_CONNECTED ||
	    (st.flags & ~CKPT_SK_FLAGS_KNOWN) || !st.ino ||
	    st.addr_len > sizeof(st.addr) || st.peer_addr_len > sizeof(st.peer_addr)) {
		snprintf(why, len, "socket state: family %u, type %u, state %u, flags 0x%x or an address out of range",
			 st.family, st.type, st.state, st.flags);
		return -1;
	}
	off = sizeof(st);
	if ((st.flags & CKPT_SK_TCP_OUTSIDE) &&
	    (!(st.flags & CKPT_SK_TCP_REPAIR) || st.peer_ino)) {
		snprintf(why, len, "a TCP connection outside the image that is no TCP connection or names a peer");
		return -1;
	}
	if (st.flags & CKPT_SK_TCP_REPAIR) {
		struct ckpt_sock_tcp t;

		if (st.family == AF_UNIX || st.type != SOCK_STREAM ||
		    st.state != CKPT_SK_CONNECTED || f->data_len < off + sizeof(t)) {
			snprintf(why, len, "TCP repair state on a socket that is no TCP connection");
			return -1;
		}
		memcpy(&t, data + off, sizeof(t));
		if ((t.opts & ~CKPT_TCP_OPTS_KNOWN) || t.reserved) {
			snprintf(why, len, "TCP repair state: options 0x%x or reserved field set", t.opts);
			return -1;
		}
		off += sizeof(t);
	}
	for (i = 0; i < st.nr_msgs; i++) {
		if (off + sizeof(m) > f->data_len)
			break;
		memcpy(&m, data + off, sizeof(m));
		if (m.queue > CKPT_SKQ_SEND || m.reserved) {
			snprintf(why, len, "socket message %u: unknown queue or reserved field set", i);
			return -1;
		}
		off += sizeof(m) + m.len;
	}
	if (i != st.nr_msgs || off != f->data_len) {
		snprintf(why, len, "socket state of %u bytes does not match its %u messages",
			 f->data_len, st.nr_msgs);
		return -1;
	}
	return 0;
}

/**
 * libckpt_fdobj_check() - is the state of a descriptor object well-formed?
 * @f: its FD record (type one of the object types)
 * @data: the record's data_len bytes of state, or nothing if data_len is 0
 * @why: receives the reason on failure
 * @len: size of @why
 *
 * Return: 0, or -1 with @why set.
 */
int libckpt_fdobj_check(const struct ckpt_rec_fd *f, const void *data, char *why,
			size_t len)
{
	struct ckpt_fd_eventfd efd;
	struct ckpt_fd_timerfd tfd;
	struct ckpt_fd_pidfd pfd;
	struct ckpt_fd_notice nfd;

	if (f->ino || f->dev || f->rdev || f->mode || f->size || f->mtime_ns ||
	    f->pos || f->pipe_size || f->seals) {
		snprintf(why, len, "descriptor object with file fields set");
		return -1;
	}
	if (!(f->flags & CKPT_FD_OBJ_STATE)) {
		if (f->data_len) {
			snprintf(why, len, "state on a record that carries none");
			return -1;
		}
		return 0;
	}
	switch (f->type) {
	case CKPT_FD_EVENTFD:
		if (f->data_len != sizeof(efd))
			break;
		memcpy(&efd, data, sizeof(efd));
		if ((efd.flags & ~CKPT_EFD_SEMAPHORE) || efd.reserved ||
		    efd.count == UINT64_MAX) {
			snprintf(why, len, "eventfd state: unknown flags, reserved bits or a count of 2^64-1");
			return -1;
		}
		return 0;
	case CKPT_FD_TIMERFD:
		if (f->data_len != sizeof(tfd))
			break;
		memcpy(&tfd, data, sizeof(tfd));
		if (!clock_known(tfd.clockid) ||
		    (tfd.settime_flags & ~(CKPT_TFD_TIMER_ABSTIME |
					   CKPT_TFD_TIMER_CANCEL_ON_SET))) {
			snprintf(why, len, "timerfd state: unknown clock %d or flags 0x%x",
				 tfd.clockid, tfd.settime_flags);
			return -1;
		}
		return 0;
	case CKPT_FD_SIGNALFD:
		if (f->data_len != sizeof(struct ckpt_fd_signalfd))
			break;
		return 0;
	case CKPT_FD_EPOLL:
		return check_epoll(f, data, why, len);
	case CKPT_FD_PIDFD:
		if (f->data_len != sizeof(pfd))
			break;
		memcpy(&pfd, data, sizeof(pfd));
		if (!pfd.pid || pfd.pid > INT32_MAX || pfd.reserved) {
			snprintf(why, len, "pidfd state: pid %u or reserved field set", pfd.pid);
			return -1;
		}
		return 0;
	case CKPT_FD_INOTIFY:
		return check_inotify(f, data, why, len);
	case CKPT_FD_SOCKET:
		return check_socket(f, data, why, len);
	case CKPT_FD_NOTICE:
		if (f->data_len != sizeof(struct ckpt_fd_notice))
			break;
		memcpy(&nfd, data, sizeof(nfd));
		if (nfd.flags & ~CKPT_NOTICE_DONE_OWED || nfd.reserved) {
			snprintf(why, len, "notice state: unknown flags 0x%x", nfd.flags);
			return -1;
		}
		return 0;
	}
	snprintf(why, len, "state of %u bytes for an object of type %u", f->data_len,
		 f->type);
	return -1;
}
