// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * TCP and UDP sockets over IPv4 and IPv6: not carried yet, refused by
 * name before the freeze.
 */
#include <net/sock.h>
#include <linux/ckpt_image.h>

#include "sock.h"

/**
 * ckpt_sock_inet_classify() - may a checkpoint carry this IP socket?
 * @sk: an AF_INET or AF_INET6 socket
 *
 * Never sleeps (called under RCU).
 *
 * Return: NULL, or why not (a string literal).
 */
const char *ckpt_sock_inet_classify(struct sock *sk)
{
	return "TCP/IP socket: not supported yet";
}

/**
 * ckpt_sock_inet_state() - an IP socket's state
 * @sk: the socket
 * @st: its state, family, type, protocol and inode already set
 * @msgs: receives its queued messages (kvmalloc), or NULL to only judge
 * @len: receives their length
 *
 * Return: NULL, or why it cannot be carried.
 */
const char *ckpt_sock_inet_state(struct sock *sk, struct ckpt_fd_socket *st,
				 void **msgs, u32 *len)
{
	return ckpt_sock_inet_classify(sk);
}
