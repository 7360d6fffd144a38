// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * ckptctl show: the state of descriptor objects (eventfd, timerfd,
 * signalfd, epoll, pidfd, inotify), as text and as JSON. The reader judged it already;
 * it follows the record's path, unaligned, so it is copied out.
 */
#include <inttypes.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "cli.h"

const char *show_obj_kind(uint32_t type)
{
	switch (type) {
	case CKPT_FD_EVENTFD:
		return "eventfd";
	case CKPT_FD_TIMERFD:
		return "timerfd";
	case CKPT_FD_SIGNALFD:
		return "signalfd";
	case CKPT_FD_EPOLL:
		return "epoll";
	case CKPT_FD_PIDFD:
		return "pidfd";
	case CKPT_FD_INOTIFY:
		return "inotify";
	case CKPT_FD_SOCKET:
		return "socket";
	case CKPT_FD_NOTICE:
		return "notice";
	}
	return NULL;
}

/* Was the descriptor told PENDING by the freeze the image was taken in? */
static bool notice_owed(const struct libckpt_image_fd *f)
{
	struct ckpt_fd_notice n;

	memcpy(&n, f->data, sizeof(n));
	return n.flags & CKPT_NOTICE_DONE_OWED;
}

static void inotify_watch(const struct libckpt_image_fd *f, uint32_t k,
			  struct ckpt_inotify_watch *w)
{
	memcpy(w, (const char *)f->data + sizeof(struct ckpt_fd_inotify) +
	       k * sizeof(*w), sizeof(*w));
}

static void epoll_item(const struct libckpt_image_fd *f, uint32_t k,
		       struct ckpt_epoll_item *it)
{
	memcpy(it, (const char *)f->data + sizeof(struct ckpt_fd_epoll) +
	       k * sizeof(*it), sizeof(*it));
}

static const char *sock_state_name(uint16_t state)
{
	return state == CKPT_SK_LISTEN ? "listening" :
	       state == CKPT_SK_CONNECTED ? "connected" : "unconnected";
}

static void sock_text(const struct libckpt_image_fd *f)
{
	struct ckpt_fd_socket st;

	memcpy(&st, f->data, sizeof(st));
	printf(" family %u type %u %s ino %" PRIu64, st.family, st.type,
	       sock_state_name(st.state), (uint64_t)st.ino);
	if (st.peer_ino)
		printf(" peer %" PRIu64, (uint64_t)st.peer_ino);
	if (st.flags & CKPT_SK_PEER_GONE)
		printf(" peer-closed");
	if (st.flags & CKPT_SK_PEERCRED)
		printf(" peercred %u/%u/%u", st.peer_pid, st.peer_uid, st.peer_gid);
	printf(" flags 0x%x, %u queued\n", st.flags, st.nr_msgs);
}

static void sock_json(const struct libckpt_image_fd *f)
{
	struct ckpt_fd_socket st;

	memcpy(&st, f->data, sizeof(st));
	printf("{\"family\": %u, \"type\": %u, \"state\": \"%s\", \"ino\": %" PRIu64
	       ", \"peer_ino\": %" PRIu64 ", \"flags\": %u, \"peer_pid\": %u"
	       ", \"backlog\": %u, \"queued\": %u}", st.family, st.type,
	       sock_state_name(st.state), (uint64_t)st.ino, (uint64_t)st.peer_ino,
	       st.flags, st.peer_pid, st.backlog, st.nr_msgs);
}

/*
 * The rest of a descriptor's line, after its number, file id and kind:
 * "flags 02004002 cloexec count 5 semaphore", and for epoll a line per
 * registration.
 */
void show_obj_text(const struct libckpt_image_fd *f)
{
	struct ckpt_fd_eventfd e;
	struct ckpt_fd_timerfd t;
	struct ckpt_fd_signalfd s;
	struct ckpt_fd_epoll ep;
	struct ckpt_epoll_item it;
	struct ckpt_fd_pidfd p;
	struct ckpt_fd_inotify in;
	struct ckpt_inotify_watch w;
	uint32_t k;

	printf("flags 0%o%s%s", f->rec.f_flags,
	       (f->rec.f_flags & 04000) ? " nonblock" : "",
	       (f->rec.flags & CKPT_FD_CLOEXEC) ? " cloexec" : "");
	if (!(f->rec.flags & CKPT_FD_OBJ_STATE)) {
		printf(" (state with the first descriptor of file#%u)\n", f->rec.file_id);
		return;
	}
	switch (f->rec.type) {
	case CKPT_FD_EVENTFD:
		memcpy(&e, f->data, sizeof(e));
		printf(" count %" PRIu64 "%s\n", (uint64_t)e.count,
		       (e.flags & CKPT_EFD_SEMAPHORE) ? " semaphore" : "");
		break;
	case CKPT_FD_TIMERFD:
		memcpy(&t, f->data, sizeof(t));
		printf(" clock %d%s%s next %" PRIu64 " ns interval %" PRIu64
		       " ns ticks %" PRIu64 "\n", t.clockid,
		       (t.settime_flags & CKPT_TFD_TIMER_ABSTIME) ? " abstime" : "",
		       (t.settime_flags & CKPT_TFD_TIMER_CANCEL_ON_SET) ?
		       " cancel-on-set" : "",
		       (uint64_t)t.value_ns, (uint64_t)t.interval_ns,
		       (uint64_t)t.ticks);
		break;
	case CKPT_FD_SIGNALFD:
		memcpy(&s, f->data, sizeof(s));
		printf(" sigmask 0x%016" PRIx64 "\n", (uint64_t)s.sigmask);
		break;
	case CKPT_FD_EPOLL:
		memcpy(&ep, f->data, sizeof(ep));
		printf(" %u registrations\n", ep.nr_items);
		for (k = 0; k < ep.nr_items; k++) {
			epoll_item(f, k, &it);
			printf("         tfd %d events 0x%08x data 0x%016" PRIx64 "%s\n",
			       it.tfd, it.events, (uint64_t)it.data,
			       it.fd != it.tfd ? " (file now at another fd)" : "");
			if (it.fd != it.tfd)
				printf("           held at fd %d\n", it.fd);
		}
		break;
	case CKPT_FD_PIDFD:
		memcpy(&p, f->data, sizeof(p));
		printf(" pid %u\n", p.pid);
		break;
	case CKPT_FD_INOTIFY:
		memcpy(&in, f->data, sizeof(in));
		printf(" %u watches, next wd %u\n", in.nr_watches, in.next_wd);
		for (k = 0; k < in.nr_watches; k++) {
			inotify_watch(f, k, &w);
			printf("         wd %d mask 0x%08x dev %u:%u ino %" PRIu64 "\n", w.wd,
			       w.mask, major(w.dev), minor(w.dev), (uint64_t)w.ino);
		}
		break;
	case CKPT_FD_SOCKET:
		sock_text(f);
		break;
	case CKPT_FD_NOTICE:
		printf("%s\n", notice_owed(f) ? " done owed" : "");
		break;
	}
}

/* The fields after "type": `"flags": N, ..., "state": {...}` (no state: null). */
void show_obj_json(const struct libckpt_image_fd *f)
{
	struct ckpt_fd_eventfd e;
	struct ckpt_fd_timerfd t;
	struct ckpt_fd_signalfd s;
	struct ckpt_fd_epoll ep;
	struct ckpt_epoll_item it;
	struct ckpt_fd_pidfd p;
	struct ckpt_fd_inotify in;
	struct ckpt_inotify_watch w;
	uint32_t k;

	printf(", \"flags\": %u, \"cloexec\": %s, \"state\": ",
	       f->rec.f_flags,
	       (f->rec.flags & CKPT_FD_CLOEXEC) ? "true" : "false");
	if (!(f->rec.flags & CKPT_FD_OBJ_STATE)) {
		printf("null");
		return;
	}
	switch (f->rec.type) {
	case CKPT_FD_EVENTFD:
		memcpy(&e, f->data, sizeof(e));
		printf("{\"count\": %" PRIu64 ", \"semaphore\": %s}", (uint64_t)e.count,
		       (e.flags & CKPT_EFD_SEMAPHORE) ? "true" : "false");
		break;
	case CKPT_FD_TIMERFD:
		memcpy(&t, f->data, sizeof(t));
		printf("{\"clockid\": %d, \"abstime\": %s, \"cancel_on_set\": %s, "
		       "\"value_ns\": %" PRIu64 ", \"interval_ns\": %" PRIu64
		       ", \"ticks\": %" PRIu64 ", \"now_ns\": %" PRIu64 "}",
		       t.clockid,
		       (t.settime_flags & CKPT_TFD_TIMER_ABSTIME) ? "true" : "false",
		       (t.settime_flags & CKPT_TFD_TIMER_CANCEL_ON_SET) ? "true" : "false",
		       (uint64_t)t.value_ns, (uint64_t)t.interval_ns,
		       (uint64_t)t.ticks, (uint64_t)t.now_ns);
		break;
	case CKPT_FD_SIGNALFD:
		memcpy(&s, f->data, sizeof(s));
		printf("{\"sigmask\": %" PRIu64 "}", (uint64_t)s.sigmask);
		break;
	case CKPT_FD_EPOLL:
		memcpy(&ep, f->data, sizeof(ep));
		printf("{\"registrations\": [");
		for (k = 0; k < ep.nr_items; k++) {
			epoll_item(f, k, &it);
			printf("%s{\"tfd\": %d, \"events\": %u, \"data\": %" PRIu64
			       ", \"fd\": %d}", k ? ", " : "", it.tfd, it.events,
			       (uint64_t)it.data, it.fd);
		}
		printf("]}");
		break;
	case CKPT_FD_PIDFD:
		memcpy(&p, f->data, sizeof(p));
		printf("{\"pid\": %u}", p.pid);
		break;
	case CKPT_FD_INOTIFY:
		memcpy(&in, f->data, sizeof(in));
		printf("{\"next_wd\": %u, \"watches\": [", in.next_wd);
		for (k = 0; k < in.nr_watches; k++) {
			inotify_watch(f, k, &w);
			printf("%s{\"wd\": %d, \"mask\": %u, \"dev\": %u, \"ino\": %" PRIu64 "}",
			       k ? ", " : "", w.wd, w.mask, w.dev, (uint64_t)w.ino);
		}
		printf("]}");
		break;
	case CKPT_FD_SOCKET:
		sock_json(f);
		break;
	case CKPT_FD_NOTICE:
		printf("{\"done_owed\": %s}", notice_owed(f) ? "true" : "false");
		break;
	}
}
