#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Copyright (C) 2026 The ckpt authors.
#
# Restore after a reboot, in two boots sharing a virtio disk (/dev/vda) that
# holds the area. phase1: checkpoint a self-checking workload, kill it.
# phase2 (a fresh kernel): restore the newest committed generation, tell the
# workload to check itself, and report its verdict.
dir=$(cd "$(dirname "$0")" && pwd)
phase=$1
echo "KTAP version 1"
echo "1..1"
insmod "$dir/../ckpt.ko" || { echo "not ok 1 $phase: insmod"; echo "# ckpt-guest: done"; exit 0; }

phase1() {
	ckptctl area create /dev/vda | sed 's/^/# /' || return 1
	CKPT_RS_WORKLOAD=reboot setsid "$dir/restore_test" &
	pid=$!
	sleep 2
	ckptctl freeze "$pid" --area /dev/vda --wait | sed 's/^/# /'
	ckptctl area info /dev/vda | grep -q committed || return 1
	kill -9 "$pid"
	echo "# checkpointed pid $pid into /dev/vda and killed it"
}

phase2() {
	ckptctl area info /dev/vda | sed 's/^/# /'
	pid=$(ckptctl show /dev/vda --json | sed -n 's/.*"tasks": \[{"pid": \([0-9]*\).*/\1/p')
	[ -n "$pid" ] || return 1
	ckptctl restore /dev/vda --wait > /tmp/restore.out 2> /tmp/restore.err &
	ctl=$!
	# Signal it only once its memory is the image's (its command line is the
	# workload's, no longer ckptctl's): earlier, SIGUSR1 would kill the
	# half-built process; from then on it stays pending until it runs.
	for i in $(seq 1 600); do
		tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q restore_test && break
		kill -0 "$ctl" 2>/dev/null || break
		sleep 0.1
	done
	kill -USR1 "$pid" || { sed 's/^/# /' /tmp/restore.err; return 1; }
	wait "$ctl"
	st=$?
	sed 's/^/# /' /tmp/restore.out /tmp/restore.err
	echo "# restored pid $pid after the reboot; it checked itself: exit status $st"
	return "$st"
}

if "$phase"; then
	echo "ok 1 reboot_$phase"
else
	echo "not ok 1 reboot_$phase"
fi
rmmod ckpt
if dmesg | grep -qE 'WARNING:|BUG:|Oops|Call Trace'; then
	echo "# kernel complained:"
	dmesg | grep -E -A5 'WARNING:|BUG:|Oops' | sed 's/^/# /'
fi
echo "# ckpt-guest: done"
