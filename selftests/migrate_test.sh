#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Copyright (C) 2026 The ckpt authors.
#
# Migration between two guests (two kernels) on one QEMU socket network.
# Role A: run a self-checking workload, `ckptctl dump -o - --kill` it over
# TCP to B, and check it is gone here. Role B: receive the image, restore
# it, tell the workload to check itself, report its verdict.
dir=$(cd "$(dirname "$0")" && pwd)
role=$1
port=7000
echo "KTAP version 1"
echo "1..1"
insmod "$dir/../ckpt.ko"
ip link set lo up
ip link set eth0 up

role_a() {
	ip addr add 169.254.77.1/24 dev eth0
	CKPT_RS_WORKLOAD=reboot setsid "$dir/restore_test" &
	pid=$!
	sleep 2
	# B may still be booting. A dump that cannot reach B fails before
	# --kill (the image is never complete), so the workload runs on and
	# the whole pipeline can simply be tried again.
	for i in $(seq 1 90); do
		ckptctl dump "$pid" -o - --kill 2>/tmp/dump.err | nc 169.254.77.2 "$port" 2>/dev/null
		sleep 1
		if ! kill -0 "$pid" 2>/dev/null || grep -q '^State:.*Z' "/proc/$pid/status"; then
			sed 's/^/# /' /tmp/dump.err
			echo "# sent pid $pid to B (attempt $i) and it is gone here"
			return 0
		fi
	done
	echo "# pid $pid still runs on A"
	return 1
}

role_b() {
	ip addr add 169.254.77.2/24 dev eth0
	# busybox nc quits when its stdin ends: hold a FIFO open as its stdin,
	# so it runs until A closes the connection.
	mkfifo /tmp/hold
	nc -l -p "$port" < /tmp/hold > /tmp/image &
	nc=$!
	exec 3> /tmp/hold
	wait "$nc"
	exec 3>&-
	[ -s /tmp/image ] || return 1
	ls -l /tmp/image | sed 's/^/# /'
	pid=$(ckptctl show /tmp/image --json | sed -n 's/.*"tasks": \[{"pid": \([0-9]*\).*/\1/p')
	[ -n "$pid" ] || return 1
	ckptctl restore /tmp/image --wait &
	ctl=$!
	sleep 3
	kill -USR1 "$pid" || return 1
	wait "$ctl"
	st=$?
	echo "# restored pid $pid from A; it checked itself: exit status $st"
	return "$st"
}

if "role_$role"; then
	echo "ok 1 migrate_$role"
else
	echo "not ok 1 migrate_$role"
fi
rmmod ckpt
dmesg | grep -E 'WARNING:|BUG:|Oops' | sed 's/^/# kernel: /'
echo "# ckpt-guest: done"
