// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * libckpt's netlink transport: one request, its reply and its ACK, with the
 * module's extended-ACK explanation kept for libckpt_error().
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>

#include "internal.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

int libckpt_open(struct libckpt **handle)
{
	struct libckpt *h;
	int one = 1;
	int ret;

	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->sk = nl_socket_alloc();
	if (!h->sk) {
		ret = -ENOMEM;
		goto err_free;
	}
	ret = genl_connect(h->sk);
	if (ret < 0) {
		ret = -ECONNREFUSED;
		goto err_sock;
	}
	/* Ask for the module's explanations, and not for our request back. */
	setsockopt(nl_socket_get_fd(h->sk), SOL_NETLINK, NETLINK_EXT_ACK,
		   &one, sizeof(one));
	setsockopt(nl_socket_get_fd(h->sk), SOL_NETLINK, NETLINK_CAP_ACK,
		   &one, sizeof(one));
	h->family = genl_ctrl_resolve(h->sk, CKPT_GENL_NAME);
	if (h->family < 0) {
		snprintf(h->err, sizeof(h->err),
			 "generic netlink family '%s' not found: is the ckpt module loaded?",
			 CKPT_GENL_NAME);
		ret = -ENOENT;
		goto err_sock;
	}
	*handle = h;
	return 0;

err_sock:
	nl_socket_free(h->sk);
err_free:
	free(h);
	return ret;
}

void libckpt_close(struct libckpt *h)
{
	if (!h)
		return;
	nl_socket_free(h->sk);
	free(h);
}

const char *libckpt_error(const struct libckpt *h)
{
	return h ? h->err : "";
}

struct request {
	struct libckpt *h;
	libckpt_parse_fn parse;
	void *arg;
	int error;
	int done;
};

/* Turn the extended ACK into "pid N: fd M: message". */
static void keep_extack(struct libckpt *h, struct nlmsgerr *e)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	struct ckpt_err_cookie cookie;
	size_t off = sizeof(*e), used = 0;
	int len;

	h->err[0] = '\0';
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - NLMSG_HDRLEN;
	len = (int)nlh->nlmsg_len - NLMSG_HDRLEN - (int)off;
	if (len <= 0 || nla_parse(tb, NLMSGERR_ATTR_MAX,
				  (struct nlattr *)((char *)e + off), len,
				  NULL) < 0)
		return;

	if (tb[NLMSGERR_ATTR_COOKIE] &&
	    nla_len(tb[NLMSGERR_ATTR_COOKIE]) == sizeof(cookie)) {
		memcpy(&cookie, nla_data(tb[NLMSGERR_ATTR_COOKIE]),
		       sizeof(cookie));
		if (cookie.pid)
			used += snprintf(h->err + used, sizeof(h->err) - used,
					 "pid %u: ", cookie.pid);
		if (cookie.fd >= 0 && used < sizeof(h->err))
			used += snprintf(h->err + used, sizeof(h->err) - used,
					 "fd %d: ", cookie.fd);
		if (cookie.addr && used < sizeof(h->err))
			used += snprintf(h->err + used, sizeof(h->err) - used,
					 "mapping at 0x%llx: ",
					 (unsigned long long)cookie.addr);
	}
	if (used >= sizeof(h->err))
		return;
	if (tb[NLMSGERR_ATTR_MSG])
		used += snprintf(h->err + used, sizeof(h->err) - used, "%s",
				 nla_get_string(tb[NLMSGERR_ATTR_MSG]));
	if (tb[NLMSGERR_ATTR_MISS_TYPE] && used < sizeof(h->err))
		snprintf(h->err + used, sizeof(h->err) - used,
			 "%smissing attribute %u", used ? ": " : "",
			 nla_get_u32(tb[NLMSGERR_ATTR_MISS_TYPE]));
}

static int on_error(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct request *req = arg;

	(void)nla;
	req->error = e->error;
	req->done = 1;
	if (e->error)
		keep_extack(req->h, e);
	return NL_STOP;
}

static int on_finish(struct nl_msg *msg, void *arg)
{
	struct request *req = arg;

	(void)msg;
	req->done = 1;
	return NL_STOP;
}

static int on_ack(struct nl_msg *msg, void *arg)
{
	struct request *req = arg;

	(void)msg;
	req->done = 1;
	return NL_STOP;
}

static int on_valid(struct nl_msg *msg, void *arg)
{
	struct request *req = arg;
	struct nlattr *tb[CKPT_A_MAX + 1];
	int ret;

	ret = genlmsg_parse(nlmsg_hdr(msg), 0, tb, CKPT_A_MAX, NULL);
	if (ret < 0) {
		req->error = -EBADMSG;
		return NL_SKIP;
	}
	if (req->parse) {
		ret = req->parse(tb, req->arg);
		if (ret < 0)
			req->error = ret;
	}
	return NL_OK;
}

struct nl_msg *libckpt_msg_new(struct libckpt *h, uint8_t cmd, int flags)
{
	return libckpt_msg_new_size(h, cmd, flags, 0);
}

struct nl_msg *libckpt_msg_new_size(struct libckpt *h, uint8_t cmd, int flags,
				    size_t size)
{
	struct nl_msg *msg = size ? nlmsg_alloc_size(size) : nlmsg_alloc();

	if (!msg)
		return NULL;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, h->family, 0, flags,
			 cmd, CKPT_GENL_VERSION)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

int libckpt_transact(struct libckpt *h, struct nl_msg *msg,
		     libckpt_parse_fn parse, void *arg)
{
	struct request req = { .h = h, .parse = parse, .arg = arg };
	struct nl_cb *cb;
	int ret;

	h->err[0] = '\0';
	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!cb) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_valid, &req);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_ack, &req);
	/* A dump ends with NLMSG_DONE rather than an ACK. */
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, on_finish, &req);
	nl_cb_err(cb, NL_CB_CUSTOM, on_error, &req);

	ret = nl_send_auto(h->sk, msg);
	nlmsg_free(msg);
	if (ret < 0) {
		ret = -EIO;
		goto out;
	}
	while (!req.done) {
		ret = nl_recvmsgs(h->sk, cb);
		if (ret < 0 && !req.done) {
			ret = -EIO;
			goto out;
		}
	}
	ret = req.error;
out:
	nl_cb_put(cb);
	return ret;
}

int libckpt_events_open(struct libckpt **handle)
{
	struct libckpt *h;
	int grp, ret;

	ret = libckpt_open(&h);
	if (ret)
		return ret;
	grp = genl_ctrl_resolve_grp(h->sk, CKPT_GENL_NAME, CKPT_MCGRP_EVENTS);
	if (grp < 0) {
		libckpt_close(h);
		return -ENOENT;
	}
	ret = nl_socket_add_membership(h->sk, grp);
	if (ret < 0) {
		libckpt_close(h);
		return -EPERM;
	}
	*handle = h;
	return 0;
}

static int no_seq_check(struct nl_msg *msg, void *arg)
{
	(void)msg;
	(void)arg;
	return NL_OK;
}

static int on_event(struct nl_msg *msg, void *arg)
{
	struct request *req = arg;
	struct nlattr *tb[CKPT_A_MAX + 1];

	if (genlmsg_hdr(nlmsg_hdr(msg))->cmd != CKPT_CMD_JOB_EVENT)
		return NL_SKIP;
	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, CKPT_A_MAX, NULL) < 0)
		return NL_SKIP;
	req->error = req->parse(tb, req->arg);
	req->done = 1;
	return NL_STOP;
}

int libckpt_event_next(struct libckpt *h, struct libckpt_job *job,
		       int timeout_ms)
{
	struct request req = { .h = h, .parse = libckpt_parse_job, .arg = job };
	struct pollfd pfd = { .fd = nl_socket_get_fd(h->sk), .events = POLLIN };
	struct nl_cb *cb;
	int ret;

	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!cb)
		return -ENOMEM;
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_event, &req);
	/* Events carry sequence number 0: not replies to our requests. */
	nl_cb_set(cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, no_seq_check, NULL);
	while (!req.done) {
		ret = poll(&pfd, 1, timeout_ms);
		if (ret <= 0) {
			ret = ret < 0 ? -errno : 0;
			goto out;
		}
		if (nl_recvmsgs(h->sk, cb) < 0 && !req.done) {
			ret = -EIO;
			goto out;
		}
	}
	ret = req.error < 0 ? req.error : 1;
out:
	nl_cb_put(cb);
	return ret;
}
