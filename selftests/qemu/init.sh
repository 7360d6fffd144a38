#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
# Copyright (C) 2026 The ckpt authors.
#
# Guest /init: mount the basics, load the virtio modules, run the job named in
# /job with its stdout on the results port (ttyS1), then power off.
/bin/busybox --install -s
export PATH=/usr/bin:/usr/sbin:/bin:/sbin HOME=/
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
chmod 1777 /tmp /dev/shm
ln -sf /proc/self/fd /dev/fd
dmesg -n 1
hostname ckpt-guest
# A machine has its loopback interface up; servers in the tests bind to it.
ifconfig lo 127.0.0.1 up 2>/dev/null || ip link set lo up
while read -r m; do
	insmod "/lib/modules/$m" || echo "init: insmod $m failed" >/dev/console
done </lib/modules/order

set -- $(cat /job)
cd /
"$@" >/dev/ttyS1 2>/dev/console </dev/null
echo "init: job exited with status $?" >/dev/console
sync
poweroff -f
