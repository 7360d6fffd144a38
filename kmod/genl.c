// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * Generic netlink family "ckpt": registration and request handlers.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fdtable.h>
#include <linux/module.h>
#include <net/genetlink.h>
#include <linux/ckpt.h>
#include <linux/ckpt_image.h>

#include "area.h"
#include "csum.h"
#include "freeze.h"
#include "genl.h"
#include "group.h"
#include "job.h"
#include "notice.h"
#include "restore.h"
#include "snap.h"
#include "tcpx.h"
#include "writer.h"

/*
 * Per-operation policies: the core rejects any attribute an operation does
 * not list (NL_VALIDATE_STRICT rejects NLA_UNSPEC entries and types above
 * maxattr), so each policy is exactly the operation's request.
 * Documentation/netlink/specs/ckpt.yaml describes the same policies.
 */
static const struct nla_policy get_info_policy[CKPT_A_VERSION + 1] = {
	[CKPT_A_VERSION] = { .type = NLA_U32 },
};

/* The policy core takes the range by a non-const pointer (6.1). */
static struct netlink_range_validation ghost_limit_range = {
	.max = CKPT_GHOST_LIMIT_MAX,
};

/* Beyond NLA_POLICY_MAX()'s s16 bound: a range of its own. */
static struct netlink_range_validation notify_grace_range = {
	.max = CKPT_NOTIFY_GRACE_MAX_MS,
};

static const struct nla_policy check_policy[CKPT_A_TCP_ESTABLISHED + 1] = {
	[CKPT_A_PGID] = NLA_POLICY_MIN(NLA_U32, 1),
	[CKPT_A_SESSION] = { .type = NLA_FLAG },
	[CKPT_A_GHOST_LIMIT] = NLA_POLICY_FULL_RANGE(NLA_U64, &ghost_limit_range),
	[CKPT_A_TCP_ESTABLISHED] = { .type = NLA_FLAG },
};

static const struct nla_policy freeze_policy[CKPT_A_INCREMENTAL + 1] = {
	[CKPT_A_PGID] = NLA_POLICY_MIN(NLA_U32, 1),
	[CKPT_A_AREA_FD] = { .type = NLA_U32 },
	[CKPT_A_RATE] = { .type = NLA_U64 },
	[CKPT_A_OUTPUT_FD] = { .type = NLA_U32 },
	[CKPT_A_SESSION] = { .type = NLA_FLAG },
	[CKPT_A_LEAVE_STOPPED] = { .type = NLA_FLAG },
	[CKPT_A_INCREMENTAL] = { .type = NLA_FLAG },
	[CKPT_A_GHOST_LIMIT] = NLA_POLICY_FULL_RANGE(NLA_U64, &ghost_limit_range),
	[CKPT_A_TCP_ESTABLISHED] = { .type = NLA_FLAG },
	[CKPT_A_NOTIFY_GRACE_MS] = NLA_POLICY_FULL_RANGE(NLA_U32, &notify_grace_range),
};

static const struct nla_policy notice_open_policy[CKPT_A_NOTICE_DONE + 1] = {
	[CKPT_A_NOTICE_DONE] = { .type = NLA_FLAG },
};

static const struct nla_policy area_drop_policy[CKPT_A_GENERATION + 1] = {
	[CKPT_A_AREA_FD] = { .type = NLA_U32 },
	[CKPT_A_GENERATION] = NLA_POLICY_MIN(NLA_U64, 1),
};

static const struct nla_policy wait_policy[CKPT_A_JOB_ID + 1] = {
	[CKPT_A_JOB_ID] = NLA_POLICY_MIN(NLA_U64, 1),
};

static const struct nla_policy restore_mm_policy[CKPT_A_RESTORE_CRC_POS + 1] = {
	[CKPT_A_IMAGE_FD] = { .type = NLA_U32 },
	[CKPT_A_RESTORE_TASK] = NLA_POLICY_EXACT_LEN(sizeof(struct ckpt_rec_task)),
	/* Binary chunks of mappings and runs, checked by gather_chunks(). */
	[CKPT_A_RESTORE_VMAS] = { .type = NLA_NESTED },
	[CKPT_A_RESTORE_RUNS] = { .type = NLA_NESTED },
	[CKPT_A_RESTORE_CLOSE] = { .type = NLA_BINARY, .len = 4096 },
	[CKPT_A_RESTORE_AUXV] = { .type = NLA_BINARY,
				  .len = CKPT_AUXV_WORDS * sizeof(__u64) },
	[CKPT_A_RESTORE_PLAN_FD] = { .type = NLA_U32 },
	[CKPT_A_RESTORE_CRC_FD] = { .type = NLA_U32 },
	[CKPT_A_RESTORE_CRC_POS] = { .type = NLA_U64 },
};

static const struct nla_policy restore_regs_policy[CKPT_A_EXE_FD + 1] = {
	[CKPT_A_TID] = NLA_POLICY_MIN(NLA_U32, 1),
	[CKPT_A_RESTORE_THREAD] = NLA_POLICY_MIN_LEN(sizeof(struct ckpt_rec_thread)),
	[CKPT_A_EXE_FD] = { .type = NLA_U32 },
};

static const struct nla_policy restore_parked_policy[CKPT_A_TID + 1] = {
	[CKPT_A_TID] = NLA_POLICY_MIN(NLA_U32, 1),
};

static const struct nla_policy restore_peer_policy[CKPT_A_SOCK_FD + 1] = {
	[CKPT_A_TID] = NLA_POLICY_MIN(NLA_U32, 1),
	[CKPT_A_SOCK_FD] = { .type = NLA_U32 },
};

static const struct nla_policy tcp_release_policy[CKPT_A_SOCK_FD + 1] = {
	[CKPT_A_JOB_ID] = NLA_POLICY_MIN(NLA_U64, 1),
	[CKPT_A_SOCK_FD] = { .type = NLA_U32 },
};

static const struct nla_policy restore_thread_policy[CKPT_A_RESTORE_CLOSE + 1] = {
	[CKPT_A_RESTORE_CLOSE] = { .type = NLA_BINARY, .len = 4096 },
};

/* STATUS takes no attributes; a policy makes the core reject any. */
static const struct nla_policy status_policy[CKPT_A_PGID + 1] = {
	[CKPT_A_PGID] = { .type = NLA_REJECT },
};

static struct genl_family ckpt_genl_family;

static int put_info(struct sk_buff *msg)
{
	if (nla_put_u32(msg, CKPT_A_VERSION, CKPT_GENL_VERSION) ||
	    nla_put_string(msg, CKPT_A_MODULE_VERSION, CKPT_MODULE_VERSION) ||
	    nla_put_u32(msg, CKPT_A_IMAGE_VERSION, CKPT_IMAGE_VERSION) ||
	    nla_put_u64_64bit(msg, CKPT_A_FEATURES, __CKPT_FEATURE_ALL,
			      CKPT_A_PAD) ||
	    nla_put_u32(msg, CKPT_A_MAX_TASKS, ckpt_max_tasks) ||
	    nla_put_u32(msg, CKPT_A_MAX_THREADS, ckpt_max_threads) ||
	    nla_put_u32(msg, CKPT_A_FREEZE_TIMEOUT_MS, ckpt_freeze_timeout_ms) ||
	    nla_put_u32(msg, CKPT_A_LIVE_JOBS, ckpt_job_live()) ||
	    nla_put_u64_64bit(msg, CKPT_A_HELD_PAGES, ckpt_snap_held_pages(),
			      CKPT_A_PAD) ||
	    nla_put_u32(msg, CKPT_A_TCP_HELD, ckpt_tcpx_held()) ||
	    nla_put_string(msg, CKPT_A_CRC32C_IMPL, ckpt_csum_impl()))
		return -EMSGSIZE;
	return 0;
}

static int ckpt_get_info_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *version = info->attrs[CKPT_A_VERSION];
	struct sk_buff *msg;
	void *hdr;
	int ret;

	if (version && nla_get_u32(version) > CKPT_GENL_VERSION) {
		NL_SET_ERR_MSG_ATTR(info->extack, version,
				    "requested family version is newer than the module's");
		return -EPROTONOSUPPORT;
	}

	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &ckpt_genl_family, 0,
				CKPT_CMD_GET_INFO);
	if (!hdr) {
		ret = -EMSGSIZE;
		goto err_free;
	}
	ret = put_info(msg);
	if (ret)
		goto err_free;
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

err_free:
	nlmsg_free(msg);
	return ret;
}

/*
 * The process group, or with CKPT_A_SESSION the session, a request names,
 * from the attributes CKPT_CMD_CHECK and CKPT_CMD_FREEZE share. Only those:
 * genetlink sizes info->attrs by the operation's own policy (its maxattr
 * + 1), and check_policy ends at CKPT_A_TCP_ESTABLISHED, so reading a
 * later attribute there would read past the array.
 */
static struct ckpt_group_id request_group(struct genl_info *info)
{
	BUILD_BUG_ON(ARRAY_SIZE(check_policy) <= CKPT_A_PGID ||
		     ARRAY_SIZE(check_policy) <= CKPT_A_SESSION ||
		     ARRAY_SIZE(check_policy) <= CKPT_A_GHOST_LIMIT ||
		     ARRAY_SIZE(check_policy) <= CKPT_A_TCP_ESTABLISHED);
	return (struct ckpt_group_id){
		.nr = nla_get_u32(info->attrs[CKPT_A_PGID]),
		.type = nla_get_flag(info->attrs[CKPT_A_SESSION]) ?
			PIDTYPE_SID : PIDTYPE_PGID,
		.ghost_limit = info->attrs[CKPT_A_GHOST_LIMIT] ?
			nla_get_u64(info->attrs[CKPT_A_GHOST_LIMIT]) :
			CKPT_GHOST_LIMIT_DEFAULT,
		.tcp_established = nla_get_flag(info->attrs[CKPT_A_TCP_ESTABLISHED]),
		.notify_grace_ms = CKPT_NOTIFY_GRACE_DEFAULT_MS,
	};
}

/* What only a freeze takes (freeze_policy) on top of request_group(). */
static struct ckpt_group_id freeze_group(struct genl_info *info)
{
	struct ckpt_group_id g = request_group(info);

	BUILD_BUG_ON(ARRAY_SIZE(freeze_policy) <= CKPT_A_NOTIFY_GRACE_MS ||
		     ARRAY_SIZE(freeze_policy) <= CKPT_A_INCREMENTAL);
	if (info->attrs[CKPT_A_NOTIFY_GRACE_MS])
		g.notify_grace_ms = nla_get_u32(info->attrs[CKPT_A_NOTIFY_GRACE_MS]);
	g.incremental = nla_get_flag(info->attrs[CKPT_A_INCREMENTAL]);
	return g;
}

static int ckpt_check_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct ckpt_group_census census;
	struct ckpt_group_id g;
	struct sk_buff *msg;
	void *hdr;
	int ret;

	if (GENL_REQ_ATTR_CHECK(info, CKPT_A_PGID))
		return -EINVAL;
	g = request_group(info);

	ret = ckpt_group_check(&g, &census, info->extack);
	if (ret)
		return ret;

	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &ckpt_genl_family, 0,
				CKPT_CMD_CHECK);
	if (!hdr ||
	    nla_put_u32(msg, CKPT_A_PGID, g.nr) ||
	    nla_put_u32(msg, CKPT_A_NR_TASKS, census.nr_tasks) ||
	    nla_put_u32(msg, CKPT_A_NR_THREADS, census.nr_threads)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

static int put_freeze_reply(struct sk_buff *msg, struct ckpt_job *job)
{
	if (nla_put_u64_64bit(msg, CKPT_A_JOB_ID, job->id, CKPT_A_PAD) ||
	    nla_put_u64_64bit(msg, CKPT_A_GENERATION, job->generation,
			      CKPT_A_PAD) ||
	    nla_put_u64_64bit(msg, CKPT_A_FREEZE_NS, job->freeze_ns,
			      CKPT_A_PAD) ||
	    nla_put_u64_64bit(msg, CKPT_A_PARK_NS, job->park_ns, CKPT_A_PAD) ||
	    nla_put_u64_64bit(msg, CKPT_A_CAPTURE_NS, job->capture_ns,
			      CKPT_A_PAD) ||
	    nla_put_u64_64bit(msg, CKPT_A_FLUSH_NS, job->flush_ns, CKPT_A_PAD) ||
	    nla_put_u32(msg, CKPT_A_NR_TASKS, job->nr_tasks) ||
	    nla_put_u32(msg, CKPT_A_NR_THREADS, job->nr_threads) ||
	    nla_put_u64_64bit(msg, CKPT_A_NR_PAGES, job->nr_pages,
			      CKPT_A_PAD) ||
	    nla_put_u64_64bit(msg, CKPT_A_IMAGE_LEN, job->image_len,
			      CKPT_A_PAD) ||
	    nla_put_u64_64bit(msg, CKPT_A_PARENT_GENERATION,
			      job->parent_generation, CKPT_A_PAD))
		return -EMSGSIZE;
	return 0;
}

static int put_job_status(struct sk_buff *msg, struct ckpt_job *job)
{
	int state = READ_ONCE(job->state);

	if (put_freeze_reply(msg, job) ||
	    nla_put_u32(msg, CKPT_A_PGID, job->pgid) ||
	    nla_put_u32(msg, CKPT_A_JOB_STATE, state) ||
	    nla_put_u64_64bit(msg, CKPT_A_WRITTEN, READ_ONCE(job->written),
			      CKPT_A_PAD))
		return -EMSGSIZE;
	if (state == CKPT_JOB_STREAMING)
		return 0;
	if (nla_put_u64_64bit(msg, CKPT_A_STREAM_NS, job->stream_ns,
			      CKPT_A_PAD) ||
	    nla_put_s32(msg, CKPT_A_ERROR, job->error) ||
	    (job->why && nla_put_string(msg, CKPT_A_ERROR_MSG, job->why)))
		return -EMSGSIZE;
	return 0;
}

/* Build and send a reply whose attributes @fill puts. */
static int reply(struct genl_info *info, u8 cmd,
		 int (*fill)(struct sk_buff *, struct ckpt_job *),
		 struct ckpt_job *job)
{
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &ckpt_genl_family, 0, cmd);
	if (!hdr || fill(msg, job)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

static int start_job(struct ckpt_job *job, struct netlink_ext_ack *extack)
{
	int ret;

	ckpt_job_publish(job);
	ret = ckpt_writer_start(job, extack);
	if (ret) {
		ckpt_snap_free(job->snap);
		job->snap = NULL;
		ckpt_area_close(job->area);
		job->area = NULL;
		ckpt_job_finish(job, ret, "the writer could not start");
	}
	return ret;
}

static int ckpt_freeze_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct ckpt_snapshot *snap;
	bool leave_stopped;
	struct ckpt_area *area;
	struct ckpt_group_id g;
	struct ckpt_job *job;
	int ret;

	if (GENL_REQ_ATTR_CHECK(info, CKPT_A_PGID))
		return -EINVAL;
	if (!info->attrs[CKPT_A_AREA_FD] == !info->attrs[CKPT_A_OUTPUT_FD]) {
		NL_SET_ERR_MSG(info->extack, "give exactly one of an area and an output");
		return -EINVAL;
	}
	g = freeze_group(info);

	job = ckpt_job_new();
	if (!job)
		return -ENOMEM;
	job->pgid = g.nr;
	job->uid = current_uid();
	if (info->attrs[CKPT_A_RATE])
		job->rate = nla_get_u64(info->attrs[CKPT_A_RATE]);

	/* The area first: a bad area must not cost the group a freeze. */
	if (info->attrs[CKPT_A_AREA_FD])
		ret = ckpt_area_open(nla_get_u32(info->attrs[CKPT_A_AREA_FD]),
				     &area, info->extack);
	else
		ret = ckpt_area_open_stream(nla_get_u32(info->attrs[CKPT_A_OUTPUT_FD]),
					    &area, info->extack);
	if (ret)
		goto out_put;
	job->area = area;
	leave_stopped = nla_get_flag(info->attrs[CKPT_A_LEAVE_STOPPED]);
	/*
	 * A group left stopped is killed and restored elsewhere, or released:
	 * its connections to outside peers are held meanwhile (tcpx.c). The
	 * hold puts them in repair mode, which TCP_REPAIR grants only with
	 * CAP_NET_ADMIN (6.1 tcp_can_repair_sock()).
	 */
	if (g.tcp_established && leave_stopped) {
		if (!ns_capable(current->nsproxy->net_ns->user_ns, CAP_NET_ADMIN)) {
			NL_SET_ERR_MSG(info->extack,
				       "holding TCP connections of a group left stopped needs CAP_NET_ADMIN");
			ret = -EPERM;
			goto out_put;
		}
		g.tcp_hold = job->id;
	}
	ret = ckpt_freeze_group(&g, leave_stopped, area, &snap, info->extack);
	if (ret)
		goto out_put;
	job->snap = snap;
	job->freeze_ns = snap->freeze_ns;
	job->park_ns = snap->park_ns;
	job->capture_ns = snap->capture_ns;
	job->flush_ns = snap->flush_ns;
	job->nr_tasks = snap->nr_tasks;
	job->nr_threads = snap->nr_threads;
	job->nr_pages = snap->nr_pages;
	job->parent_generation = snap->incremental ?
				 snap->parent.generation : 0;
	ret = start_job(job, info->extack);
	if (!ret)
		ret = reply(info, CKPT_CMD_FREEZE, put_freeze_reply, job);
out_put:
	ckpt_job_put(job);
	return ret;
}

static bool may_see(struct ckpt_job *job)
{
	return uid_eq(job->uid, current_uid()) || ckpt_privileged();
}

static int put_tcp_held(struct sk_buff *msg, void *n)
{
	return nla_put_u32(msg, CKPT_A_TCP_HELD, *(unsigned int *)n) ? -EMSGSIZE : 0;
}

/* The reply is made first: once the descriptor exists, only its number can fail. */
static int ckpt_notice_open_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct sk_buff *msg;
	void *hdr;
	int fd;

	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &ckpt_genl_family, 0,
				CKPT_CMD_NOTICE_OPEN);
	if (!hdr) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	fd = ckpt_notice_open(nla_get_flag(info->attrs[CKPT_A_NOTICE_DONE]));
	if (fd < 0) {
		nlmsg_free(msg);
		return fd;
	}
	if (nla_put_u32(msg, CKPT_A_NOTICE_FD, fd)) {
		nlmsg_free(msg);
		close_fd(fd);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

/* The area descriptor is the permission: its opener may rewrite it anyway. */
static int ckpt_area_drop_doit(struct sk_buff *skb, struct genl_info *info)
{
	if (GENL_REQ_ATTR_CHECK(info, CKPT_A_AREA_FD) ||
	    GENL_REQ_ATTR_CHECK(info, CKPT_A_GENERATION))
		return -EINVAL;
	return ckpt_area_drop(nla_get_u32(info->attrs[CKPT_A_AREA_FD]),
			      nla_get_u64(info->attrs[CKPT_A_GENERATION]),
			      info->extack);
}

static int ckpt_tcp_release_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *fd = info->attrs[CKPT_A_SOCK_FD];
	struct nlattr *id = info->attrs[CKPT_A_JOB_ID];
	struct socket *sock;
	struct sk_buff *msg;
	unsigned int n;
	void *hdr;
	int ret;

	if (fd && id) {
		NL_SET_ERR_MSG(info->extack, "give a socket or a job, not both");
		return -EINVAL;
	}
	if (fd) {
		sock = sockfd_lookup(nla_get_u32(fd), &ret);
		if (!sock)
			return ret;
		ret = sock->sk ? ckpt_tcpx_release_sock(sock->sk) : -EINVAL;
		sockfd_put(sock);
		if (ret < 0) {
			NL_SET_ERR_MSG_ATTR(info->extack, fd,
					    "not a connected TCP socket in repair mode");
			return ret;
		}
		n = ret;
	} else {
		n = ckpt_tcpx_release(id ? nla_get_u64(id) : 0, !id, current_uid(),
				      ckpt_privileged());
	}
	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &ckpt_genl_family, 0,
				CKPT_CMD_TCP_RELEASE);
	if (!hdr || put_tcp_held(msg, &n)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

/* cb->args[0]: id of the last job sent (the cursor). */
static int ckpt_status_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct ckpt_job *job;
	unsigned int seq;
	void *hdr;

	while ((job = ckpt_job_next(cb->args[0], &seq))) {
		cb->seq = seq;
		if (!may_see(job)) {
			cb->args[0] = job->id;
			ckpt_job_put(job);
			continue;
		}
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
				  cb->nlh->nlmsg_seq, &ckpt_genl_family,
				  NLM_F_MULTI, CKPT_CMD_STATUS);
		if (!hdr || put_job_status(skb, job)) {
			if (hdr)
				genlmsg_cancel(skb, hdr);
			ckpt_job_put(job);
			break;
		}
		genl_dump_check_consistent(cb, hdr);
		genlmsg_end(skb, hdr);
		cb->args[0] = job->id;
		ckpt_job_put(job);
	}
	return skb->len;
}

/**
 * ckpt_genl_notify() - tell the events group about a job
 * @job: the job
 *
 * Best effort: with no listener or no memory the event is dropped.
 */
void ckpt_genl_notify(struct ckpt_job *job)
{
	struct sk_buff *msg;
	void *hdr;

	if (!genl_has_listeners(&ckpt_genl_family, &init_net, 0))
		return;
	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return;
	hdr = genlmsg_put(msg, 0, 0, &ckpt_genl_family, 0, CKPT_CMD_JOB_EVENT);
	if (!hdr || put_job_status(msg, job)) {
		nlmsg_free(msg);
		return;
	}
	genlmsg_end(msg, hdr);
	genlmsg_multicast(&ckpt_genl_family, msg, 0, 0, GFP_KERNEL);
}

static int ckpt_wait_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct ckpt_job *job;
	int ret;

	if (GENL_REQ_ATTR_CHECK(info, CKPT_A_JOB_ID))
		return -EINVAL;
	job = ckpt_job_get(nla_get_u64(info->attrs[CKPT_A_JOB_ID]));
	if (!job) {
		NL_SET_ERR_MSG(info->extack, "no such checkpoint job");
		return -ENOENT;
	}
	if (!may_see(job)) {
		NL_SET_ERR_MSG(info->extack, "checkpoint job belongs to another user");
		ret = -EPERM;
		goto out_put;
	}
	ret = wait_for_completion_killable(&job->done);
	if (ret) {
		ret = -EINTR;
		goto out_put;
	}
	ret = reply(info, CKPT_CMD_WAIT, put_job_status, job);
out_put:
	ckpt_job_put(job);
	return ret;
}

/*
 * No GENL_ADMIN_PERM here on purpose: GET_INFO is for anyone, the
 * process operations apply the per-target rule of ckpt_group_check()
 * (capability, or same uid and dumpable), which a flag cannot express,
 * and AREA_DROP's permission is the area descriptor the caller opened.
 */
static const struct genl_ops ckpt_genl_ops[] = {
	{
		.cmd = CKPT_CMD_GET_INFO,
		.doit = ckpt_get_info_doit,
		.policy = get_info_policy,
		.maxattr = ARRAY_SIZE(get_info_policy) - 1,
	},
	{
		.cmd = CKPT_CMD_CHECK,
		.doit = ckpt_check_doit,
		.policy = check_policy,
		.maxattr = ARRAY_SIZE(check_policy) - 1,
	},
	{
		.cmd = CKPT_CMD_FREEZE,
		.doit = ckpt_freeze_doit,
		.policy = freeze_policy,
		.maxattr = ARRAY_SIZE(freeze_policy) - 1,
	},
	{
		.cmd = CKPT_CMD_WAIT,
		.doit = ckpt_wait_doit,
		.policy = wait_policy,
		.maxattr = ARRAY_SIZE(wait_policy) - 1,
	},
	{
		.cmd = CKPT_CMD_RESTORE_MM,
		.doit = ckpt_restore_mm_doit,
		.policy = restore_mm_policy,
		.maxattr = ARRAY_SIZE(restore_mm_policy) - 1,
	},
	{
		.cmd = CKPT_CMD_RESTORE_REGS,
		.doit = ckpt_restore_regs_doit,
		.policy = restore_regs_policy,
		.maxattr = ARRAY_SIZE(restore_regs_policy) - 1,
	},
	{
		.cmd = CKPT_CMD_RESTORE_PARKED,
		.doit = ckpt_restore_parked_doit,
		.policy = restore_parked_policy,
		.maxattr = ARRAY_SIZE(restore_parked_policy) - 1,
	},
	{
		.cmd = CKPT_CMD_RESTORE_PEER,
		.doit = ckpt_restore_peer_doit,
		.policy = restore_peer_policy,
		.maxattr = ARRAY_SIZE(restore_peer_policy) - 1,
	},
	{
		.cmd = CKPT_CMD_RESTORE_THREAD,
		.doit = ckpt_restore_thread_doit,
		.policy = restore_thread_policy,
		.maxattr = ARRAY_SIZE(restore_thread_policy) - 1,
	},
	{
		.cmd = CKPT_CMD_TCP_RELEASE,
		.doit = ckpt_tcp_release_doit,
		.policy = tcp_release_policy,
		.maxattr = ARRAY_SIZE(tcp_release_policy) - 1,
	},
	{
		.cmd = CKPT_CMD_NOTICE_OPEN,
		.doit = ckpt_notice_open_doit,
		.policy = notice_open_policy,
		.maxattr = ARRAY_SIZE(notice_open_policy) - 1,
	},
	{
		.cmd = CKPT_CMD_AREA_DROP,
		.doit = ckpt_area_drop_doit,
		.policy = area_drop_policy,
		.maxattr = ARRAY_SIZE(area_drop_policy) - 1,
	},
	{
		.cmd = CKPT_CMD_STATUS,
		.dumpit = ckpt_status_dumpit,
		.policy = status_policy,
		.maxattr = ARRAY_SIZE(status_policy) - 1,
	},
};

/*
 * Events describe every user's jobs: listeners need CAP_SYS_ADMIN, checked
 * by genl_bind() (GENL_MCAST_CAP_*; GENL_UNS_ADMIN_PERM means nothing here).
 */
static const struct genl_multicast_group ckpt_genl_mcgrps[] = {
	{ .name = CKPT_MCGRP_EVENTS, .flags = GENL_MCAST_CAP_SYS_ADMIN },
};

/*
 * netnsok: requests name processes through the caller's pid namespace and
 * are judged on its credentials; the network namespace plays no part.
 */
static struct genl_family ckpt_genl_family __ro_after_init = {
	.name = CKPT_GENL_NAME,
	.version = CKPT_GENL_VERSION,
	.maxattr = CKPT_A_MAX,
	.netnsok = true,
	/* WAIT sleeps until a job ends: it must not hold genl_mutex. */
	.parallel_ops = true,
	.module = THIS_MODULE,
	.ops = ckpt_genl_ops,
	.n_ops = ARRAY_SIZE(ckpt_genl_ops),
	.mcgrps = ckpt_genl_mcgrps,
	.n_mcgrps = ARRAY_SIZE(ckpt_genl_mcgrps),
	.resv_start_op = CKPT_CMD_GET_INFO,
};

int __init ckpt_genl_init(void)
{
	return genl_register_family(&ckpt_genl_family);
}

void __exit ckpt_genl_exit(void)
{
	genl_unregister_family(&ckpt_genl_family);
}
