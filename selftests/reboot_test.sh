#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Copyright (C) 2026 The ckpt authors.
#
# Restore after a reboot, in two boots sharing a virtio disk (/dev/vda) that
# holds the area, and a second one (/dev/vdb) that carries what /proc showed
# of the workload before its checkpoint. phase1: checkpoint a self-checking
# workload, kill it. phase2 (a fresh kernel): restore the newest committed
# generation, compare its /proc with phase1's, tell the workload to check
# itself, and report its verdict; then the same again with --lazy.
dir=$(cd "$(dirname "$0")" && pwd)
. "$dir/vm_lib.sh"
phase=$1
echo "KTAP version 1"
echo "1..2"
insmod "$dir/../ckpt.ko" || { echo "not ok 1 $phase: insmod"; echo "not ok 2 kernel_quiet_$phase"; echo "# ckpt-guest: done"; exit 0; }

phase1() {
	ckptctl area create /dev/vda | sed 's/^/# /' || return 1
	CKPT_RS_WORKLOAD=reboot setsid "$dir/restore_test" &
	pid=$!
	sleep 2
	proc_snap save "$pid" > /tmp/before.proc || return 1
	ckptctl freeze "$pid" --area /dev/vda --wait | sed 's/^/# /'
	ckptctl area info /dev/vda | grep -q committed || return 1
	kill -9 "$pid"
	# The reader stops at the snapshot's end line: no length needed.
	cat /tmp/before.proc > /dev/vdb && sync || return 1
	echo "# checkpointed pid $pid into /dev/vda and killed it"
}

phase2() {
	ckptctl area info /dev/vda | sed 's/^/# /'
	restore_and_check /dev/vda /dev/vdb reboot_test.phase2 || return 1
	# The same generation again, lazily, once the first copy has exited.
	restore_and_check /dev/vda /dev/vdb reboot_test.phase2 --lazy
}

if "$phase"; then
	echo "ok 1 reboot_$phase"
else
	echo "not ok 1 reboot_$phase"
fi
rmmod ckpt
if kernel_quiet; then
	echo "ok 2 kernel_quiet_$phase"
else
	echo "not ok 2 kernel_quiet_$phase"
fi
echo "# ckpt-guest: done"
