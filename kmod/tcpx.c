// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * Established TCP connections whose peer is outside the group, carried on
 * request (CKPT_A_TCP_ESTABLISHED), held back while they migrate.
 *
 * A checkpoint that leaves its group stopped (CKPT_A_LEAVE_STOPPED, which
 * "ckptctl dump --kill --tcp-established" asks for) is followed by a kill
 * and a restore, or by a release. From the moment such a connection's
 * state is captured, the peer must see nothing more of the old socket, and
 * the old socket nothing more of the peer, until the restored one takes
 * over:
 *
 * - Its four-tuple goes into a table (a "hold") that netfilter hooks at
 *   LOCAL_IN and LOCAL_OUT, IPv4 and IPv6, consult for every TCP segment:
 *   a segment from the peer to the old socket, or from the old socket to
 *   the peer, is dropped. The hold is added with the socket locked and
 *   before its state is read: whatever the socket learns after the capture
 *   (its backlog, processed at release_sock()) is never acknowledged to
 *   the peer, which sends it again to the restored socket. While the
 *   socket is owned by us it transmits nothing (6.1: the write timer and
 *   the TSQ handler defer to the owner, segments go to the backlog).
 * - The old socket goes into TCP repair mode (tp->repair and
 *   repair_queue as TCP_REPAIR on sets them, 6.1 do_tcp_setsockopt(),
 *   but without SK_FORCE_REUSE: it binds nothing again). When the killed
 *   group closes it, __tcp_close() calls tcp_disconnect(), which in repair
 *   mode sends neither FIN nor RST; and with the hooks, the host does not
 *   answer the peer's segments with a reset once the socket is gone.
 *
 * A hold ends when (a) the restorer, holding a socket of the same
 * four-tuple made in repair mode, sends CKPT_CMD_TCP_RELEASE with it
 * (before it leaves repair mode, so that its window probe goes out);
 * (b) CKPT_CMD_TCP_RELEASE names its job, or all holds ("ckptctl
 * release-tcp"), for a group that is to run on where it is; (c) its
 * checkpoint fails; (d) tcp_hold_s seconds pass (module parameter). In
 * (b), (c) and (d) a socket still open leaves repair mode, and its
 * connection resumes when either end retransmits (tcp_send_window_probe()
 * is not exported in 6.1); TCP sends the dropped segments again itself.
 *
 * Locking: @holds is an RCU list. @hold_lock (a spinlock, never taken in
 * softirq: the hooks only read) serializes its writers and protects each
 * entry's membership in it; the hooks walk it under the RCU read lock
 * nf_hook() holds (6.1 include/linux/netfilter.h), and an entry is freed
 * after a grace period. A held socket is referenced (sock_hold()); its
 * repair mode is changed only with it locked (lock_sock()), never under
 * @hold_lock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/jiffies.h>
#include <linux/moduleparam.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <linux/rculist.h>
#include <linux/slab.h>
#include <linux/tcp.h>
#include <linux/workqueue.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/net_namespace.h>
#include <net/sock.h>
#include <net/tcp.h>

#include "tcpx.h"

unsigned int ckpt_tcp_hold_s = 600;
module_param_named(tcp_hold_s, ckpt_tcp_hold_s, uint, 0644);
MODULE_PARM_DESC(tcp_hold_s,
		 "longest time, in seconds, a migrating TCP connection's segments are held back");

/* A connection as its socket sees it; IPv4 addresses v4-mapped. */
struct tcpx_key {
	struct in6_addr laddr;
	struct in6_addr raddr;
	__be16 lport;
	__be16 rport;
};

/**
 * struct tcpx_hold - one held connection
 * @node: in @holds (RCU)
 * @gone: in a releaser's private list once off @holds
 * @rcu: frees it after the hooks are done with it
 * @key: its four-tuple
 * @net: its network namespace (kept alive by @sk)
 * @sk: the old socket, referenced
 * @owner: the checkpoint job that holds it
 * @uid: who asked for the checkpoint (may release it)
 * @expires: jiffies when it is released anyway
 */
struct tcpx_hold {
	struct list_head node;
	struct list_head gone;
	struct rcu_head rcu;
	struct tcpx_key key;
	struct net *net;
	struct sock *sk;
	u64 owner;
	kuid_t uid;
	unsigned long expires;
};

static LIST_HEAD(holds);
static DEFINE_SPINLOCK(hold_lock);
/* Entries on @holds; the hooks' fast path when it is 0. */
static atomic_t nr_holds = ATOMIC_INIT(0);

static void expire_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(expire_work, expire_fn);

static void sock_key(const struct sock *sk, struct tcpx_key *k)
{
	const struct inet_sock *inet = inet_sk(sk);

	memset(k, 0, sizeof(*k));
	/* A v4-mapped IPv6 connection keeps its IPv4 addresses here too. */
	ipv6_addr_set_v4mapped(inet->inet_saddr, &k->laddr);
	ipv6_addr_set_v4mapped(inet->inet_daddr, &k->raddr);
#if IS_ENABLED(CONFIG_IPV6)
	if (sk->sk_family == AF_INET6 && !ipv6_addr_v4mapped(&sk->sk_v6_daddr)) {
		k->laddr = sk->sk_v6_rcv_saddr;
		k->raddr = sk->sk_v6_daddr;
	}
#endif
	k->lport = inet->inet_sport;
	k->rport = inet->inet_dport;
}

/*
 * The connection a TCP segment belongs to, seen from this host: at
 * LOCAL_IN its destination is local, at LOCAL_OUT its source. skb->data
 * may or may not be at the network header, so offsets are taken from it.
 * At LOCAL_IN an IPv4 datagram is already reassembled (ip_local_deliver()).
 */
static bool packet_key(struct sk_buff *skb, u8 pf, bool in, struct tcpx_key *k)
{
	struct in6_addr s, d;
	__be16 buf[2];
	const __be16 *p;
	int off;

	if (pf == NFPROTO_IPV4) {
		const struct iphdr *iph = ip_hdr(skb);

		if (iph->protocol != IPPROTO_TCP || (iph->frag_off & htons(IP_OFFSET)))
			return false;
		off = skb_network_offset(skb) + iph->ihl * 4;
		ipv6_addr_set_v4mapped(iph->saddr, &s);
		ipv6_addr_set_v4mapped(iph->daddr, &d);
	} else {
#if IS_ENABLED(CONFIG_IPV6)
		const struct ipv6hdr *ip6 = ipv6_hdr(skb);
		u8 nexthdr = ip6->nexthdr;
		__be16 frag_off;

		off = ipv6_skip_exthdr(skb, skb_network_offset(skb) + sizeof(*ip6),
				       &nexthdr, &frag_off);
		if (off < 0 || nexthdr != IPPROTO_TCP || (frag_off & htons(~0x7)))
			return false;
		s = ip6->saddr;
		d = ip6->daddr;
#else
		return false;
#endif
	}
	p = skb_header_pointer(skb, off, sizeof(buf), buf);
	if (!p)
		return false;
	memset(k, 0, sizeof(*k));
	k->laddr = in ? d : s;
	k->raddr = in ? s : d;
	k->lport = in ? p[1] : p[0];
	k->rport = in ? p[0] : p[1];
	return true;
}

static unsigned int tcpx_hook(void *priv, struct sk_buff *skb,
			      const struct nf_hook_state *state)
{
	struct tcpx_hold *h;
	struct tcpx_key k;

	if (!atomic_read(&nr_holds))
		return NF_ACCEPT;
	if (!packet_key(skb, state->pf, state->hook == NF_INET_LOCAL_IN, &k))
		return NF_ACCEPT;
	list_for_each_entry_rcu(h, &holds, node)
		if (net_eq(h->net, state->net) && !memcmp(&h->key, &k, sizeof(k)))
			return NF_DROP;
	return NF_ACCEPT;
}

static const struct nf_hook_ops tcpx_ops[] = {
	{ .hook = tcpx_hook, .pf = NFPROTO_IPV4, .hooknum = NF_INET_LOCAL_IN,
	  .priority = NF_IP_PRI_FIRST },
	{ .hook = tcpx_hook, .pf = NFPROTO_IPV4, .hooknum = NF_INET_LOCAL_OUT,
	  .priority = NF_IP_PRI_FIRST },
#if IS_ENABLED(CONFIG_IPV6)
	{ .hook = tcpx_hook, .pf = NFPROTO_IPV6, .hooknum = NF_INET_LOCAL_IN,
	  .priority = NF_IP6_PRI_FIRST },
	{ .hook = tcpx_hook, .pf = NFPROTO_IPV6, .hooknum = NF_INET_LOCAL_OUT,
	  .priority = NF_IP6_PRI_FIRST },
#endif
};

/* Every namespace gets the hooks: a group's sockets may live in any. */
static int __net_init tcpx_net_init(struct net *net)
{
	return nf_register_net_hooks(net, tcpx_ops, ARRAY_SIZE(tcpx_ops));
}

static void __net_exit tcpx_net_exit(struct net *net)
{
	nf_unregister_net_hooks(net, tcpx_ops, ARRAY_SIZE(tcpx_ops));
}

static struct pernet_operations tcpx_net_ops = {
	.init = tcpx_net_init,
	.exit = tcpx_net_exit,
};

/**
 * ckpt_tcpx_hold() - hold an established connection back, and put its
 *	socket in repair mode, until the restore or a release
 * @sk: a TCP socket, established, locked by the caller (lock_sock()), not
 *	in repair mode (sock_inet.c refuses one that is)
 * @owner: the checkpoint job
 *
 * Called before @sk's state is read (see the header comment). Sleeps.
 *
 * Return: 0 or -ENOMEM.
 */
int ckpt_tcpx_hold(struct sock *sk, u64 owner)
{
	struct tcpx_hold *h = kzalloc(sizeof(*h), GFP_KERNEL);
	unsigned long delay = (unsigned long)ckpt_tcp_hold_s * HZ;

	if (!h)
		return -ENOMEM;
	sock_key(sk, &h->key);
	h->net = sock_net(sk);
	sock_hold(sk);
	h->sk = sk;
	h->owner = owner;
	h->uid = current_uid();
	h->expires = jiffies + delay;
	spin_lock(&hold_lock);
	list_add_tail_rcu(&h->node, &holds);
	atomic_inc(&nr_holds);
	spin_unlock(&hold_lock);
	tcp_sk(sk)->repair = 1;
	tcp_sk(sk)->repair_queue = TCP_NO_QUEUE;
	/* Pending already: for an earlier hold, which expires no later. */
	schedule_delayed_work(&expire_work, delay);
	return 0;
}

typedef bool (*match_fn)(const struct tcpx_hold *h, const void *arg);

/* Leave repair mode again: only a socket still connected, still open. */
static void unrepair(struct sock *sk)
{
	lock_sock(sk);
	if (sk->sk_state == TCP_ESTABLISHED && !sock_flag(sk, SOCK_DEAD))
		tcp_sk(sk)->repair = 0;
	release_sock(sk);
}

/* End the holds @match chooses; with @undo their sockets leave repair. */
static unsigned int release_if(match_fn match, const void *arg, bool undo)
{
	struct tcpx_hold *h, *tmp;
	unsigned int n = 0;
	LIST_HEAD(gone);

	spin_lock(&hold_lock);
	list_for_each_entry_safe(h, tmp, &holds, node) {
		if (!match(h, arg))
			continue;
		/* @node stays readable to the hooks until the grace period. */
		list_del_rcu(&h->node);
		atomic_dec(&nr_holds);
		list_add_tail(&h->gone, &gone);
	}
	spin_unlock(&hold_lock);
	list_for_each_entry_safe(h, tmp, &gone, gone) {
		if (undo)
			unrepair(h->sk);
		sock_put(h->sk);
		kfree_rcu(h, rcu);
		n++;
	}
	return n;
}

static bool match_owner(const struct tcpx_hold *h, const void *arg)
{
	return h->owner == *(const u64 *)arg;
}

/**
 * ckpt_tcpx_release_owner() - end the holds of a checkpoint that failed
 * @owner: its job
 *
 * Sleeps.
 */
void ckpt_tcpx_release_owner(u64 owner)
{
	release_if(match_owner, &owner, true);
}

struct who {
	u64 owner;
	bool all;
	kuid_t uid;
	bool privileged;
};

static bool match_who(const struct tcpx_hold *h, const void *arg)
{
	const struct who *w = arg;

	return (w->all || h->owner == w->owner) &&
	       (w->privileged || uid_eq(h->uid, w->uid));
}

/**
 * ckpt_tcpx_release() - end holds on request: the group runs on here
 * @owner: the job whose holds end, unless @all
 * @all: every hold the caller may end
 * @uid: the caller, who may end the holds of its own checkpoints
 * @privileged: the caller may end any
 *
 * Sleeps.
 *
 * Return: how many holds ended.
 */
unsigned int ckpt_tcpx_release(u64 owner, bool all, kuid_t uid, bool privileged)
{
	struct who w = {
		.owner = owner, .all = all, .uid = uid, .privileged = privileged,
	};

	return release_if(match_who, &w, true);
}

static bool match_key(const struct tcpx_hold *h, const void *arg)
{
	const struct sock *sk = arg;
	struct tcpx_key k;

	sock_key(sk, &k);
	return net_eq(h->net, sock_net(sk)) && !memcmp(&h->key, &k, sizeof(k));
}

/**
 * ckpt_tcpx_release_sock() - the restored socket of a held connection exists
 * @sk: the restored socket: TCP, connected, in repair mode (which proves
 *	its owner could repair it, 6.1 tcp_can_repair_sock())
 *
 * Its four-tuple is in use by @sk, so the old socket is closed: its
 * repair mode is left alone. Sleeps.
 *
 * Return: how many holds ended (0 on another host than the checkpoint's).
 */
int ckpt_tcpx_release_sock(struct sock *sk)
{
	int n;

	lock_sock(sk);
	if (sk->sk_protocol != IPPROTO_TCP || sk->sk_state != TCP_ESTABLISHED ||
	    !tcp_sk(sk)->repair) {
		release_sock(sk);
		return -EINVAL;
	}
	release_sock(sk);
	n = release_if(match_key, sk, false);
	return n;
}

/** ckpt_tcpx_held() - how many connections are held now */
unsigned int ckpt_tcpx_held(void)
{
	return atomic_read(&nr_holds);
}

static bool match_expired(const struct tcpx_hold *h, const void *arg)
{
	return time_after_eq(jiffies, h->expires);
}

static void expire_fn(struct work_struct *work)
{
	unsigned long next = 0;
	struct tcpx_hold *h;
	unsigned int n;
	bool any = false;

	n = release_if(match_expired, NULL, true);
	if (n)
		pr_notice("released %u held TCP connection(s) after tcp_hold_s\n", n);
	spin_lock(&hold_lock);
	list_for_each_entry(h, &holds, node) {
		if (!any || time_before(h->expires, next))
			next = h->expires;
		any = true;
	}
	spin_unlock(&hold_lock);
	if (any)
		schedule_delayed_work(&expire_work,
				      time_after(next, jiffies) ? next - jiffies : 1);
}

static bool match_all(const struct tcpx_hold *h, const void *arg)
{
	return true;
}

int ckpt_tcpx_init(void)
{
	return register_pernet_subsys(&tcpx_net_ops);
}

/* No hold outlives the module: its sockets leave repair mode. */
void ckpt_tcpx_exit(void)
{
	cancel_delayed_work_sync(&expire_work);
	release_if(match_all, NULL, true);
	unregister_pernet_subsys(&tcpx_net_ops);
}
