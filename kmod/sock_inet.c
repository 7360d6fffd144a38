// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * TCP and UDP sockets over IPv4 and IPv6: which ones a checkpoint can
 * carry, and their state. Carried: new and bound TCP sockets, TCP
 * listeners whose accept queue is empty, UDP sockets bound or connected
 * (their queued datagrams are dropped), and established TCP connections
 * whose other end is a socket of the group too (sock.c requires it by
 * peer_ino) or, on request (CKPT_A_TCP_ESTABLISHED), anywhere else
 * (CKPT_SK_TCP_OUTSIDE; held back while they migrate, tcpx.c), with
 * their sequence numbers, queues and negotiated options for TCP repair.
 * The restore makes them again with socket(), bind(), listen() and
 * connect() (lib/restore_sock_inet.c), so every option that
 * would change what the socket does, and that the image does not carry,
 * must be at its default here or the socket is refused.
 *
 * Kernel facts relied on (6.1): inet_getname()/inet6_getname() report
 * what address_of() reads; a TCP socket's user settings are the
 * tcp_sock and inet_connection_sock fields tcp_setsockopt() writes; a
 * listener's waiting connections are counted by sk_ack_backlog (accepted
 * by the handshake) and reqsk_queue_len() (still in SYN_RECV); tcp_done()
 * leaves a closed connection with sk_shutdown == SHUTDOWN_MASK; an
 * established connection's unacknowledged bytes are the skbs of
 * tcp_rtx_queue then sk_write_queue from snd_una to write_seq, its unread
 * ones those of sk_receive_queue from copied_seq to rcv_nxt, each skb
 * holding [seq, end_seq) with the acknowledged or read head trimmed
 * (tcp_trim_head(), tcp_recvmsg()); the repair setsockopts restore what
 * do_tcp_getsockopt() reports (TCP_TIMESTAMP, TCP_REPAIR_WINDOW).
 */
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <net/inet6_hashtables.h>
#include <net/inet_connection_sock.h>
#include <net/inet_hashtables.h>
#include <net/inet_sock.h>
#include <net/ipv6.h>
#include <net/sock.h>
#include <net/tcp.h>
#include <linux/ckpt_image.h>

#include "sock.h"
#include "tcpx.h"

/* Only TCP and UDP: raw, ping (ICMP datagram), UDP-Lite, SCTP, MPTCP... */
static const char *kind(struct sock *sk)
{
	if (sk->sk_type == SOCK_RAW)
		return "raw socket: not supported";
	if (sk->sk_type == SOCK_STREAM && sk->sk_protocol == IPPROTO_TCP)
		return NULL;
	if (sk->sk_type == SOCK_DGRAM && sk->sk_protocol == IPPROTO_UDP)
		return NULL;
	if (sk->sk_type == SOCK_DGRAM && (sk->sk_protocol == IPPROTO_ICMP ||
					  sk->sk_protocol == IPPROTO_ICMPV6))
		return "ICMP datagram (ping) socket: not supported";
	if (sk->sk_protocol == IPPROTO_UDPLITE)
		return "UDP-Lite socket: not supported";
	return "IP socket of a protocol other than TCP and UDP: not supported";
}

/*
 * IP-level options (ip_setsockopt(), 6.1 net/ipv4/ip_sockglue.c) the image
 * does not carry must hold the values inet_create() gave them.
 */
static const char *ipv4_options(struct sock *sk)
{
	struct inet_sock *inet = inet_sk(sk);
	u8 pmtu = READ_ONCE(sock_net(sk)->ipv4.sysctl_ip_no_pmtu_disc) ?
		  IP_PMTUDISC_DONT : IP_PMTUDISC_WANT;

	/*
	 * Multicast options mean nothing to TCP, and tcp_v4_syn_recv_sock()
	 * gives an accepted socket the SYN's mc_index and mc_ttl.
	 */
	if (rcu_access_pointer(inet->mc_list))
		return "multicast memberships or IP_MULTICAST_* options: not supported";
	if (sk->sk_protocol == IPPROTO_UDP &&
	    (inet->mc_index || inet->mc_addr || inet->mc_ttl != 1 ||
	     !inet->mc_loop || (sk->sk_family == AF_INET && !inet->mc_all)))
		return "multicast memberships or IP_MULTICAST_* options: not supported";
	if (inet->tos || inet->uc_ttl != -1 || inet->min_ttl)
		return "IP_TOS, IP_TTL or IP_MINTTL is set: not supported";
	if (inet->cmsg_flags || inet->recverr)
		return "IP control messages (IP_PKTINFO, IP_RECV*) are on: not supported";
	if (rcu_access_pointer(inet->inet_opt))
		return "IP options (IP_OPTIONS) are set: not supported";
	if (inet->freebind || inet->transparent || inet->nodefrag ||
	    inet->bind_address_no_port || inet->uc_index ||
	    inet->pmtudisc != pmtu || inet->local_port_range.lo ||
	    inet->local_port_range.hi)
		return "an IP option such as IP_FREEBIND or IP_MTU_DISCOVER is set: not supported";
	return NULL;
}

/* IPv6-level options (do_ipv6_setsockopt()), as inet6_create() set them. */
static const char *ipv6_options(struct sock *sk)
{
	struct ipv6_pinfo *np = inet6_sk(sk);
	bool repflow = sock_net(sk)->ipv6.sysctl.flowlabel_reflect &
		       FLOWLABEL_REFLECT_ESTABLISHED;

	if (!np)
		return NULL;
	/* inet6_create() leaves inet->mc_all 0: only IPv4 sockets have it. */
	/* As for IPv4: tcp_v6_syn_recv_sock() sets mcast_oif and mcast_hops. */
	if (rcu_access_pointer(np->ipv6_mc_list) || np->ipv6_ac_list ||
	    (sk->sk_protocol == IPPROTO_UDP &&
	     (np->mcast_oif || np->mcast_hops != IPV6_DEFAULT_MCASTHOPS ||
	      !np->mc_loop || !np->mc_all)))
		return "IPv6 multicast or anycast memberships or options: not supported";
	if (rcu_access_pointer(np->ipv6_fl_list) || np->sndflow ||
	    np->repflow != repflow || np->flow_label)
		return "IPv6 flow labels are set: not supported";
	if (np->hop_limit != -1 || np->tclass || np->min_hopcount)
		return "IPV6_UNICAST_HOPS, IPV6_TCLASS or IPV6_MINHOPCOUNT is set: not supported";
	if (np->rxopt.all || np->recverr || np->pktoptions ||
	    rcu_access_pointer(np->opt))
		return "IPv6 control messages (IPV6_RECV*) or options are on: not supported";
	if (np->ucast_oif || np->srcprefs || np->dontfrag ||
	    np->autoflowlabel_set || np->pmtudisc != IPV6_PMTUDISC_WANT)
		return "IPV6_DONTFRAG, IPV6_UNICAST_IF or a like option is set: not supported";
	return NULL;
}

/*
 * TCP options tcp_setsockopt() keeps that the image does not carry.
 * Carried: TCP_NODELAY and the three keepalive settings.
 */
static const char *tcp_options(struct sock *sk)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	struct tcp_sock *tp = tcp_sk(sk);

	if (tp->repair)
		return "it is in TCP repair mode: not supported";
	if (icsk->icsk_ulp_ops)
		return "an upper-layer protocol (TCP_ULP, kTLS) is attached: not supported";
#ifdef CONFIG_TCP_MD5SIG
	if (rcu_access_pointer(tp->md5sig_info))
		return "TCP MD5 signatures (TCP_MD5SIG) are set: not supported";
#endif
	if (tp->nonagle & TCP_NAGLE_CORK)
		return "TCP_CORK is on: not supported";
	if (icsk->icsk_ca_setsockopt)
		return "a congestion control was chosen (TCP_CONGESTION): not supported";
	/* A connection's window_clamp is the kernel's own choice (TCP_WINDOW_CLAMP unseen). */
	if (sk->sk_state != TCP_ESTABLISHED && tp->window_clamp)
		return "TCP_WINDOW_CLAMP is set: not supported";
	if (tp->rx_opt.user_mss || tp->linger2 ||
	    tp->notsent_lowat || icsk->icsk_user_timeout ||
	    icsk->icsk_syn_retries || tp->thin_lto || tp->recvmsg_inq ||
	    tp->save_syn || tp->tcp_tx_delay || tp->fastopen_connect ||
	    icsk->icsk_accept_queue.rskq_defer_accept ||
	    icsk->icsk_accept_queue.fastopenq.max_qlen)
		return "TCP_MAXSEG, TCP_USER_TIMEOUT or a like TCP option is set: not supported";
	return NULL;
}

/* UDP options udp_lib_setsockopt() keeps; none is carried. */
static const char *udp_options(struct sock *sk)
{
	struct udp_sock *up = udp_sk(sk);

	if (up->pending || udp_test_bit(CORK, sk))
		return "corked UDP data (UDP_CORK, MSG_MORE) is pending: not supported";
	if (up->encap_type || udp_test_bit(ENCAP_ENABLED, sk))
		return "it is a UDP encapsulation socket: not supported";
	if (udp_test_bit(GRO_ENABLED, sk) || up->gso_size ||
	    udp_test_bit(NO_CHECK6_TX, sk) || udp_test_bit(NO_CHECK6_RX, sk) ||
	    sk->sk_no_check_tx)
		return "UDP_GRO, UDP_SEGMENT or a like UDP option is set: not supported";
	return NULL;
}

/* Where a socket stands in its protocol, and what may wait on it. */
static const char *proto_state(struct sock *sk)
{
	int state = READ_ONCE(sk->sk_state);

	if (sk->sk_protocol == IPPROTO_UDP) {
		if (state == TCP_CLOSE || state == TCP_ESTABLISHED)
			return NULL;
		return "UDP socket in an unknown state: not supported";
	}
	switch (state) {
	case TCP_CLOSE:
		/* tcp_done() shuts a connection that ended down entirely. */
		if (READ_ONCE(sk->sk_shutdown))
			return "TCP connection that has ended (state CLOSE): not supported";
		return NULL;
	case TCP_LISTEN:
		if (READ_ONCE(sk->sk_ack_backlog) ||
		    reqsk_queue_len(&inet_csk(sk)->icsk_accept_queue))
			return "connections wait to be accepted on it: not supported";
		return NULL;
	case TCP_ESTABLISHED:
		return NULL;
	case TCP_SYN_SENT:
	case TCP_SYN_RECV:
		return "TCP connection being set up (SYN_SENT): not supported";
	default:
		return "TCP connection being closed (FIN_WAIT, CLOSE_WAIT, ...): not supported";
	}
}

/* What an established connection must not have for TCP repair to carry it. */
static const char *tcp_connection(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (READ_ONCE(tp->urg_data))
		return "urgent data (MSG_OOB) is pending on it: not supported";
	if (rcu_access_pointer(tp->fastopen_rsk))
		return "TCP connection still in its Fast Open handshake: not supported";
	if (READ_ONCE(sk->sk_shutdown) & SEND_SHUTDOWN)
		return "TCP connection shut down for writing: not supported";
	return NULL;
}

/* Everything but the kind, with @sk locked. */
static const char *judge(struct sock *sk)
{
	const char *why;

	if (READ_ONCE(sk->sk_bound_dev_if))
		return "it is bound to a device (SO_BINDTODEVICE): not supported";
	why = proto_state(sk);
	if (!why)
		why = ipv4_options(sk);
	if (!why && sk->sk_family == AF_INET6)
		why = ipv6_options(sk);
	if (!why)
		why = sk->sk_protocol == IPPROTO_TCP ? tcp_options(sk) :
						       udp_options(sk);
	if (!why && sk->sk_protocol == IPPROTO_TCP && sk->sk_state == TCP_ESTABLISHED)
		why = tcp_connection(sk);
	return why;
}

/**
 * ckpt_sock_inet_classify() - may a checkpoint carry this kind of IP socket?
 * @sk: an AF_INET or AF_INET6 socket
 *
 * Only the kind: its state and options are judged by
 * ckpt_sock_inet_state(), with the socket locked, where the refusal can
 * name its address. Never sleeps (called under RCU).
 *
 * Return: NULL, or why not (a string literal).
 */
const char *ckpt_sock_inet_classify(struct sock *sk)
{
	return kind(sk);
}

/* As inet_getname() and inet6_getname() report them, with @sk locked. */
static u32 address_of(struct sock *sk, bool peer, u8 *buf)
{
	struct inet_sock *inet = inet_sk(sk);

	if (sk->sk_family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)buf;

		sin->sin_family = AF_INET;
		if (peer) {
			sin->sin_port = inet->inet_dport;
			sin->sin_addr.s_addr = inet->inet_daddr;
		} else {
			sin->sin_port = inet->inet_sport;
			sin->sin_addr.s_addr = inet->inet_rcv_saddr ?:
					       inet->inet_saddr;
		}
		return sizeof(*sin);
	}
#if IS_ENABLED(CONFIG_IPV6)
	{
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)buf;

		/* No flow label (np->sndflow) and no device: judge() refused them. */
		sin6->sin6_family = AF_INET6;
		if (peer) {
			sin6->sin6_port = inet->inet_dport;
			sin6->sin6_addr = sk->sk_v6_daddr;
		} else {
			sin6->sin6_port = inet->inet_sport;
			sin6->sin6_addr = ipv6_addr_any(&sk->sk_v6_rcv_saddr) ?
					  inet6_sk(sk)->saddr : sk->sk_v6_rcv_saddr;
		}
		return sizeof(*sin6);
	}
#else
	return 0;
#endif
}

/*
 * The socket at the other end of established connection @sk, when it is
 * on this host and in this network namespace: found in the established
 * hash by the reversed four-tuple (6.1 __inet_lookup_established(),
 * which takes a reference: a full, time-wait or request sock, released
 * by sock_gen_put()). Its inode number, 0 if there is none, or
 * ULONG_MAX if it is a connection no one has accepted yet.
 */
static unsigned long tcp_peer(struct sock *sk)
{
	struct inet_hashinfo *h = sock_net(sk)->ipv4.tcp_death_row.hashinfo;
	struct inet_sock *inet = inet_sk(sk);
	unsigned long ino = 0;
	struct socket *sock;
	struct sock *p;

	rcu_read_lock();
#if IS_ENABLED(CONFIG_IPV6)
	if (sk->sk_family == AF_INET6 && !ipv6_addr_v4mapped(&sk->sk_v6_daddr))
		p = __inet6_lookup_established(sock_net(sk), h, &sk->sk_v6_rcv_saddr,
					       inet->inet_sport, &sk->sk_v6_daddr,
					       ntohs(inet->inet_dport), 0, 0);
	else
#endif
		p = __inet_lookup_established(sock_net(sk), h, inet->inet_rcv_saddr,
					      inet->inet_sport, inet->inet_daddr,
					      ntohs(inet->inet_dport), 0, 0);
	/* Only a full sock is ESTABLISHED; its file's inode outlives RCU. */
	if (p && p->sk_state == TCP_ESTABLISHED) {
		sock = READ_ONCE(p->sk_socket);
		ino = sock ? SOCK_INODE(sock)->i_ino : ULONG_MAX;
	}
	rcu_read_unlock();
	if (p)
		sock_gen_put(p);
	return ino;
}

/*
 * Copy the bytes of @skb from *@next on into @buf, which holds the
 * stream from @base; bytes before *@next were acknowledged or read.
 */
static const char *take(struct sk_buff *skb, u32 *next, u32 end, u32 base,
			char *buf)
{
	u32 seq = TCP_SKB_CB(skb)->seq, stop = TCP_SKB_CB(skb)->end_seq;
	u32 skip;

	if (TCP_SKB_CB(skb)->tcp_flags & (TCPHDR_SYN | TCPHDR_FIN))
		return "a SYN or FIN is queued on it: not supported";
	if (!after(stop, *next))
		return NULL;
	skip = *next - seq;
	if (after(seq, *next) || after(stop, end) || skb->len < stop - seq)
		return "its queues do not follow its sequence numbers: not supported";
	if (skb_copy_bits(skb, skip, buf + (*next - base), stop - *next))
		return "cannot read the data queued on it";
	*next = stop;
	return NULL;
}

/*
 * The send queue (sent and unacknowledged, in the retransmit rbtree, then
 * not sent, in sk_write_queue) or the receive queue (unread, in order;
 * the out-of-order queue is left to be sent again, as the sender keeps
 * it) of @sk, locked, into @buf: exactly @len bytes.
 */
static const char *tcp_stream(struct sock *sk, bool send, char *buf, u32 len)
{
	struct tcp_sock *tp = tcp_sk(sk);
	u32 base = send ? tp->snd_una : tp->copied_seq, next = base;
	const char *why = NULL;
	struct sk_buff *skb;

	if (send) {
		skb = skb_rb_first(&sk->tcp_rtx_queue);
		for (; skb && !why; skb = skb_rb_next(skb))
			why = take(skb, &next, base + len, base, buf);
		skb_queue_walk(&sk->sk_write_queue, skb) {
			if (why)
				break;
			why = take(skb, &next, base + len, base, buf);
		}
	} else {
		skb_queue_walk(&sk->sk_receive_queue, skb) {
			if (why)
				break;
			why = take(skb, &next, base + len, base, buf);
		}
	}
	if (!why && next != base + len)
		why = "its queues do not add up to its sequence numbers: not supported";
	return why;
}

/* Append message @queue of @len bytes at *@off of @buf; its bytes' place. */
static char *msg_at(char *buf, u32 *off, u16 queue, u32 len)
{
	struct ckpt_sock_msg m = { .len = len, .queue = queue };

	memcpy(buf + *off, &m, sizeof(m));
	*off += sizeof(m) + len;
	return buf + *off - len;
}

/*
 * An established connection's state for TCP repair, and its queues: the
 * struct ckpt_sock_tcp that follows the socket's state, then one
 * CKPT_SKQ_SEND and one CKPT_SKQ_RECV message (each when not empty).
 * With @sk locked: softirq and timers leave an owned socket's queues to
 * its owner (its backlog is processed at release_sock()).
 */
static const char *tcp_capture(struct sock *sk, struct ckpt_fd_socket *st,
			       void **msgs, u32 *len)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct ckpt_sock_tcp t = {
		.snd_una = tp->snd_una, .write_seq = tp->write_seq,
		.copied_seq = tp->copied_seq, .rcv_nxt = tp->rcv_nxt,
		.mss_clamp = tp->rx_opt.mss_clamp,
		.snd_wl1 = tp->snd_wl1, .snd_wnd = tp->snd_wnd,
		.max_window = tp->max_window, .rcv_wnd = tp->rcv_wnd,
		.rcv_wup = tp->rcv_wup,
		/* As getsockopt(TCP_TIMESTAMP) reports it (6.1 do_tcp_getsockopt()). */
		.timestamp = tcp_time_stamp_raw() + tp->tsoffset,
	};
	u32 snd = t.write_seq - t.snd_una, rcv = t.rcv_nxt - t.copied_seq;
	u32 off = sizeof(t);
	const char *why;
	char *buf;

	if (tp->rx_opt.wscale_ok) {
		t.opts |= CKPT_TCP_WSCALE;
		t.snd_wscale = tp->rx_opt.snd_wscale;
		t.rcv_wscale = tp->rx_opt.rcv_wscale;
	}
	if (tcp_is_sack(tp))
		t.opts |= CKPT_TCP_SACK;
	if (tp->rx_opt.tstamp_ok)
		t.opts |= CKPT_TCP_TSTAMP;
	if (snd > INT_MAX / 2 || rcv > INT_MAX / 2)
		return "its queues do not follow its sequence numbers: not supported";
	buf = kvmalloc(sizeof(t) + 2 * sizeof(struct ckpt_sock_msg) + snd + rcv,
		       GFP_KERNEL);
	if (!buf)
		return "out of memory";
	memcpy(buf, &t, sizeof(t));
	why = snd ? tcp_stream(sk, true, msg_at(buf, &off, CKPT_SKQ_SEND, snd), snd) :
		    NULL;
	if (!why && rcv)
		why = tcp_stream(sk, false, msg_at(buf, &off, CKPT_SKQ_RECV, rcv), rcv);
	if (why) {
		kvfree(buf);
		return why;
	}
	st->flags |= CKPT_SK_TCP_REPAIR;
	st->nr_msgs = !!snd + !!rcv;
	*msgs = buf;
	*len = off;
	return NULL;
}

/* Is socket @ino, a connection's other end (tcp_peer()), the group's? */
static bool in_group(const struct ckpt_sock_ctx *c, unsigned long ino)
{
	struct xarray *group = c->held ? c->held : c->group;

	return ino && ino != ULONG_MAX && group && xa_load(group, ino);
}

/**
 * ckpt_sock_inet_state() - an IP socket's state
 * @sk: the socket
 * @st: its state, family, type, protocol, inode and the options every
 *	family keeps already set
 * @c: whether connections to peers outside the group are carried, and
 *	held (with @msgs)
 * @msgs: receives its queued messages (kvmalloc), or NULL to only judge
 * @len: receives their length
 *
 * Judged again with the socket locked, so that what is recorded is one
 * state. A UDP socket's queued datagrams are not carried (a documented
 * loss: their senders are elsewhere); nothing else of a carried socket is
 * queued. Sleeps.
 *
 * Return: NULL, or why it cannot be carried.
 */
const char *ckpt_sock_inet_state(struct sock *sk, struct ckpt_fd_socket *st,
				 const struct ckpt_sock_ctx *c,
				 void **msgs, u32 *len)
{
	const char *why;

	lock_sock(sk);
	/* The addresses first: a refusal names the socket by them. */
	if (inet_sk(sk)->inet_num) {
		st->flags |= CKPT_SK_BOUND;
		st->addr_len = address_of(sk, false, st->addr);
	}
	if (st->flags & CKPT_SK_ERR_RESET)
		why = "a connection reset is pending on it (SO_ERROR): not supported";
	else
		why = judge(sk);
	if (why)
		goto out;
	if (sk->sk_family == AF_INET6 && sk->sk_ipv6only)
		st->flags |= CKPT_SK_V6ONLY;
	switch (sk->sk_state) {
	case TCP_LISTEN:
		st->state = CKPT_SK_LISTEN;
		st->backlog = READ_ONCE(sk->sk_max_ack_backlog);
		break;
	case TCP_ESTABLISHED:
		st->state = CKPT_SK_CONNECTED;
		st->peer_addr_len = address_of(sk, true, st->peer_addr);
		/*
		 * Bound by connect(): a bind() to the address would make an
		 * IPv6 socket V6ONLY (6.1 __inet6_bind()).
		 */
		if (!(sk->sk_userlocks & SOCK_BINDADDR_LOCK))
			st->flags |= CKPT_SK_ADDR_AUTO;
		if (sk->sk_protocol != IPPROTO_TCP)
			break;
		/*
		 * The caller requires the peer to be a socket of the group,
		 * unless it is carried as outside the group: on another host,
		 * or a process (or an embryo no one accepted yet) that is not
		 * the group's.
		 */
		st->peer_ino = tcp_peer(sk);
		if (c->tcp_established && !in_group(c, st->peer_ino)) {
			st->peer_ino = 0;
			st->flags |= CKPT_SK_TCP_OUTSIDE;
		} else if (!st->peer_ino) {
			why = "TCP connection to another host or network namespace: not supported";
		} else if (st->peer_ino == ULONG_MAX) {
			why = "TCP connection whose peer is not accepted yet: not supported";
		}
		if (why)
			st->peer_ino = 0;
		break;
	default:
		st->state = CKPT_SK_UNCONNECTED;
		break;
	}
	if (sk->sk_protocol == IPPROTO_TCP) {
		struct tcp_sock *tp = tcp_sk(sk);

		if (tp->nonagle & TCP_NAGLE_OFF)
			st->flags |= CKPT_SK_NODELAY;
		/* 0: the sysctl's value, which getsockopt() then reports. */
		st->keepidle = READ_ONCE(tp->keepalive_time) / HZ;
		st->keepintvl = READ_ONCE(tp->keepalive_intvl) / HZ;
		st->keepcnt = READ_ONCE(tp->keepalive_probes);
	}
	/* Held before its state is read: see tcpx.c. */
	if (!why && msgs && c->tcp_hold && (st->flags & CKPT_SK_TCP_OUTSIDE) &&
	    ckpt_tcpx_hold(sk, c->tcp_hold))
		why = "out of memory";
	if (!why && msgs && st->state == CKPT_SK_CONNECTED &&
	    sk->sk_protocol == IPPROTO_TCP)
		why = tcp_capture(sk, st, msgs, len);
out:
	release_sock(sk);
	return why;
}
