#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Copyright (C) 2026 The ckpt authors.
#
# The README's main job, run inside the guest by `make demo`: a counter is
# checkpointed into an area, killed, and restored; it continues counting
# from where it was, and /proc shows of it what it showed before the
# checkpoint (selftests/proc_snap). Prints KTAP for the host's summary.
set -u
echo "KTAP version 1"
echo "1..1"
say() { echo "# $*"; echo "demo: $*" > /dev/console; }

insmod /opt/ckpt/ckpt.ko
ckptctl info | sed 's/^/# /'
ckptctl area create /tmp/area --size 64M | sed 's/^/# /'

setsid /opt/ckpt/demo/counter >> /tmp/counter.out 2>&1 < /dev/null &
pid=$!
sleep 2
say "counter $pid is running: $(tail -1 /tmp/counter.out)"

proc_snap=/opt/ckpt/selftests/proc_snap
$proc_snap save "$pid" > /tmp/before.proc
ckptctl freeze "$pid" --area /tmp/area --wait | sed 's/^/# /'
sleep 1
kill -9 "$pid"
sleep 1
# Read the last count once it is dead: it may print one more before the kill.
last=$(tail -1 /tmp/counter.out | sed 's/.*: //')
say "killed the counter at $last"
ckptctl area info /tmp/area | sed 's/^/# /'

ckptctl restore /tmp/area | sed 's/^/# /'
$proc_snap compare --scope demo /tmp/before.proc > /tmp/proc.out 2>&1
proc=$?
sed 's/^/# proc: /' /tmp/proc.out
sleep 2
kill -9 "$pid" 2>/dev/null
say "the restored counter printed:"
sed -n '/: '"$last"'$/,$p' /tmp/counter.out | tail -n +2 | head -15 | sed 's/^/#   /'
sed -n '/: '"$last"'$/,$p' /tmp/counter.out | tail -n +2 | head -15 > /dev/console

# The frozen count is below the count at the kill; after the restore the
# counter must go on from the frozen count, one step at a time, same pid.
after=$(sed -n '/: '"$last"'$/,$p' /tmp/counter.out | tail -n +2 | head -1)
n=$(echo "$after" | sed 's/.*: //')
if [ "$proc" != 0 ]; then
	echo "not ok 1 demo: /proc of the restored counter differs from before the checkpoint"
elif echo "$after" | grep -q "counter\[$pid\]" && [ -n "$n" ] && [ "$n" -le "$last" ]; then
	echo "ok 1 demo: restored counter $pid continued at $n (killed at $last)"
else
	echo "not ok 1 demo: no continuation after the restore ('$after')"
fi
rmmod ckpt
echo "# ckpt-guest: done"
