// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * Generic netlink family "ckpt": registration and request handlers.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <net/genetlink.h>
#include <linux/ckpt.h>

#include "genl.h"
#include "group.h"

/*
 * Per-operation policies: the core rejects any attribute an operation does
 * not list (NL_VALIDATE_STRICT rejects NLA_UNSPEC entries and types above
 * maxattr), so each policy is exactly the operation's request.
 * Documentation/netlink/specs/ckpt.yaml describes the same policies.
 */
static const struct nla_policy get_info_policy[CKPT_A_VERSION + 1] = {
	[CKPT_A_VERSION] = { .type = NLA_U32 },
};

static const struct nla_policy check_policy[CKPT_A_PGID + 1] = {
	[CKPT_A_PGID] = NLA_POLICY_MIN(NLA_U32, 1),
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
	    nla_put_u32(msg, CKPT_A_FREEZE_TIMEOUT_MS, ckpt_freeze_timeout_ms))
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

static int ckpt_check_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct ckpt_group_census census;
	struct sk_buff *msg;
	u32 pgid;
	void *hdr;
	int ret;

	if (GENL_REQ_ATTR_CHECK(info, CKPT_A_PGID))
		return -EINVAL;
	pgid = nla_get_u32(info->attrs[CKPT_A_PGID]);

	ret = ckpt_group_check(pgid, &census, info->extack);
	if (ret)
		return ret;

	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &ckpt_genl_family, 0,
				CKPT_CMD_CHECK);
	if (!hdr ||
	    nla_put_u32(msg, CKPT_A_PGID, pgid) ||
	    nla_put_u32(msg, CKPT_A_NR_TASKS, census.nr_tasks) ||
	    nla_put_u32(msg, CKPT_A_NR_THREADS, census.nr_threads)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

/*
 * No GENL_ADMIN_PERM here on purpose: GET_INFO is for anyone, and the
 * process operations apply the per-target rule of ckpt_group_check()
 * (capability, or same uid and dumpable), which a flag cannot express.
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
	.module = THIS_MODULE,
	.ops = ckpt_genl_ops,
	.n_ops = ARRAY_SIZE(ckpt_genl_ops),
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
