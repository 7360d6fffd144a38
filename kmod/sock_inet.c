// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * TCP and UDP sockets over IPv4 and IPv6: which ones a checkpoint can
 * carry, and their state. Carried: new and bound TCP sockets, TCP
 * listeners whose accept queue is empty, UDP sockets bound or connected
 * (their queued datagrams are dropped). The restore makes them again with
 * socket(), bind(), listen() and connect() (lib/restore_sock_inet.c), so
 * every option that would change what the socket does, and that the image
 * does not carry, must be at its default here or the socket is refused.
 *
 * Kernel facts relied on (6.1): inet_getname()/inet6_getname() report
 * what address_of() reads; a TCP socket's user settings are the
 * tcp_sock and inet_connection_sock fields tcp_setsockopt() writes; a
 * listener's waiting connections are counted by sk_ack_backlog (accepted
 * by the handshake) and reqsk_queue_len() (still in SYN_RECV); tcp_done()
 * leaves a closed connection with sk_shutdown == SHUTDOWN_MASK.
 */
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <net/inet_connection_sock.h>
#include <net/inet_sock.h>
#include <net/ipv6.h>
#include <net/sock.h>
#include <net/tcp.h>
#include <linux/ckpt_image.h>

#include "sock.h"

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

	if (rcu_access_pointer(inet->mc_list) || inet->mc_index ||
	    inet->mc_addr || inet->mc_ttl != 1 || !inet->mc_loop ||
	    (sk->sk_family == AF_INET && !inet->mc_all))
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
	if (rcu_access_pointer(np->ipv6_mc_list) || np->ipv6_ac_list ||
	    np->mcast_oif || np->mcast_hops != IPV6_DEFAULT_MCASTHOPS ||
	    !np->mc_loop || !np->mc_all)
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
	if (tp->rx_opt.user_mss || tp->window_clamp || tp->linger2 ||
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
		return "established TCP connection: not supported yet";
	case TCP_SYN_SENT:
	case TCP_SYN_RECV:
		return "TCP connection being set up (SYN_SENT): not supported";
	default:
		return "TCP connection being closed (FIN_WAIT, CLOSE_WAIT, ...): not supported";
	}
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

/**
 * ckpt_sock_inet_state() - an IP socket's state
 * @sk: the socket
 * @st: its state, family, type, protocol, inode and the options every
 *	family keeps already set
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
out:
	release_sock(sk);
	return why;
}
