/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * TCP connections to peers outside the group (CKPT_A_TCP_ESTABLISHED):
 * holding their packets back between checkpoint and restore.
 */
#ifndef CKPT_TCPX_H
#define CKPT_TCPX_H

#include <linux/types.h>
#include <linux/uidgid.h>

struct sock;

extern unsigned int ckpt_tcp_hold_s;

int ckpt_tcpx_hold(struct sock *sk, u64 owner);
void ckpt_tcpx_release_owner(u64 owner);
unsigned int ckpt_tcpx_release(u64 owner, bool all, kuid_t uid, bool privileged);
int ckpt_tcpx_release_sock(struct sock *sk);
unsigned int ckpt_tcpx_held(void);
int ckpt_tcpx_init(void);
void ckpt_tcpx_exit(void);

#endif /* CKPT_TCPX_H */
