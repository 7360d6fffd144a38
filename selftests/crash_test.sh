#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Copyright (C) 2026 The ckpt authors.
#
# Crash consistency and write errors of areas on virtio disks, in two boots
# (make check-crash runs them):
#
#   midstream  boot 1, area on /dev/vda: commit generation 1 of a
#              self-checking workload (what /proc shows of it just before
#              goes to /dev/vdd), start generation 2 at 256 KiB/s, and
#              reset the machine (sysrq-b: no sync, no unmount) while it
#              streams.
#   sbpause    boot 1, area on /dev/vdc: commit generation 1 of another
#              workload, then stop generation 2's commit between its two
#              superblock copies (fault_sb_pause): the reset comes while
#              copy 1 says 2 is committed and copy 0 still says writing.
#   afterwards boot 2, the same /dev/vda: the area shows 1 committed and 2
#              incomplete (writing); 2 cannot be opened; 1 restores, its
#              /proc is compared with boot 1's, and the restored workload
#              checks itself, then again with --lazy; a new checkpoint
#              commits.
#   eio        boot 2, area on /dev/vdb, a disk that fails every write to one
#              sector (QEMU blkdebug) inside generation 2: generation 2
#              fails with an I/O error, the area still holds 1 as its newest
#              committed generation, read back from the disk it restores
#              (/proc compared) and checks itself, and the checkpointed
#              workload never noticed.
#   sbafter    boot 2, the same /dev/vdc: copy 1 is the newer and is used:
#              2 restores and checks itself. Copy 1 torn (bytes 2048..4095
#              replaced): copy 0 is used, 2 is incomplete and 1 restores
#              and checks itself. A new checkpoint rewrites both copies;
#              then copy 0 torn: copy 1 is used and the new one restores.
#              Every restore compares /proc with the snapshot taken before
#              its checkpoint (boot 1's come on /dev/vdd).
#
# usage: crash_test.sh midstream sbpause | crash_test.sh afterwards sbafter eio
dir=$(cd "$(dirname "$0")" && pwd)
. "$dir/vm_lib.sh"
echo "KTAP version 1"
echo "1..$#"
insmod "$dir/../ckpt.ko" || {
	n=0
	for phase; do n=$((n + 1)); echo "not ok $n crash_$phase: insmod"; done
	echo "# ckpt-guest: done"
	exit 0
}

say() { echo "# $*"; }
fail() { say "FAIL: $*"; return 1; }

# The slot of generation $1 is in state $2 (committed, writing).
slot_is() {
	ckptctl area info "$area" --json |
		grep -q "\"generation\": $1, \"state\": \"$2\""
}

# Start the self-checking workload (restore_test's "reboot" kind: 40 MiB
# of patterned memory and xmm15; SIGUSR1 makes it check and exit 0 if all
# is intact); $wl is its pid.
start_workload() {
	CKPT_RS_WORKLOAD=reboot setsid "$dir/restore_test" &
	wl=$!
	sleep 3
}

# The /proc snapshots taken before boot 1's checkpoints, on /dev/vdd: past
# the reset only what reached the disk counts, so they are written through.
carry() {
	(cd /tmp && tar cf - ./*.proc) | dd of=/dev/vdd conv=fsync 2>/dev/null ||
		{ fail "cannot write the /proc snapshots to /dev/vdd"; return 1; }
}

uncarry() {
	tar xf /dev/vdd -C /tmp ||
		{ fail "cannot read the /proc snapshots from /dev/vdd"; return 1; }
}

midstream() {
	area=/dev/vda
	ckptctl area create "$area" | sed 's/^/# /' || return 1
	start_workload
	proc_snap save "$wl" > /tmp/before.proc || { fail "no /proc snapshot"; return 1; }
	carry || return 1
	ckptctl freeze "$wl" --area "$area" --wait | sed 's/^/# /'
	slot_is 1 committed || { fail "generation 1 not committed"; return 1; }
	# About 40 MiB at 256 KiB/s: generation 2 streams for ~160 s, so it
	# neither commits before the reset nor passes fault_sb_pause's stop.
	ckptctl freeze "$wl" --area "$area" --rate 256K | sed 's/^/# /'
	sleep 2
	ckptctl status | sed 's/^/# /'
	ckptctl status --json | grep -q '"generation": 2, "state": "streaming"' ||
		{ fail "generation 2 is not streaming"; return 1; }
	slot_is 2 writing || { fail "generation 2 not marked writing"; return 1; }
	kernel_quiet
}

afterwards() {
	area=/dev/vda
	uncarry || return 1
	ckptctl area info "$area" | sed 's/^/# /'
	slot_is 1 committed || { fail "generation 1 is not committed after the crash"; return 1; }
	slot_is 2 writing || { fail "generation 2 is not shown incomplete"; return 1; }
	if ckptctl show "$area:2" >/dev/null 2>&1; then
		fail "the incomplete generation 2 was opened"
		return 1
	fi
	ckptctl show "$area" | grep -q 'generation: *1$' ||
		{ fail "the newest committed generation is not 1"; return 1; }
	restore_and_check "$area" /tmp/before.proc crash_test.afterwards || return 1
	restore_and_check "$area" /tmp/before.proc crash_test.afterwards --lazy || return 1
	# The area stays usable: a new checkpoint commits as generation 3.
	start_workload
	ckptctl freeze "$wl" --area "$area" --wait | sed 's/^/# /'
	slot_is 3 committed || { fail "generation 3 not committed"; return 1; }
	slot_is 1 committed || { fail "generation 3 overwrote generation 1"; return 1; }
	kill -USR1 "$wl"
	wait "$wl" || { fail "the workload's own check failed"; return 1; }
	kernel_quiet
}

# Replace bytes 2048..4095 of superblock copy $1 of $area with noise: a
# superblock write torn across sectors (the struct's fields and the zero
# padding after them both lie in the block).
tear() {
	head -c 2048 /dev/urandom |
		dd of="$area" bs=2048 seek=$(($1 * 2 + 1)) conv=notrunc 2>/dev/null
}

info_has() {
	ckptctl area info "$area" | grep -q "$1"
}

sbpause() {
	area=/dev/vdc
	pause=/sys/module/ckpt/parameters/fault_sb_pause
	ckptctl area create "$area" | sed 's/^/# /' || return 1
	start_workload
	proc_snap save "$wl" > /tmp/sb1.proc || { fail "no /proc snapshot"; return 1; }
	ckptctl freeze "$wl" --area "$area" --wait | sed 's/^/# /'
	slot_is 1 committed || { fail "generation 1 not committed"; return 1; }
	# Update 1 is generation 2's reserve (WRITING), update 2 its commit.
	# Both copies are equal now, so the module writes copy 1 first.
	echo 2 > "$pause"
	proc_snap save "$wl" > /tmp/sb2.proc || { fail "no /proc snapshot"; return 1; }
	carry || return 1
	ckptctl freeze "$wl" --area "$area" | sed 's/^/# /'
	for i in $(seq 1 600); do
		[ "$(cat "$pause")" = 0 ] && break
		sleep 0.2
	done
	[ "$(cat "$pause")" = 0 ] || { fail "the commit never reached its stop"; return 1; }
	ckptctl area info "$area" | sed 's/^/# /'
	info_has "superblock copy 1: valid (sequence [0-9]*), in use" &&
		info_has "superblock copy 0: valid (sequence [0-9]*), older" ||
		{ fail "the copies do not hold two states"; return 1; }
	slot_is 2 committed || { fail "copy 1 does not hold the commit"; return 1; }
	kernel_quiet
}

sbafter() {
	area=/dev/vdc
	ckptctl area info "$area" | sed 's/^/# /'
	info_has "superblock copy 1: valid (sequence [0-9]*), in use" ||
		{ fail "copy 1 (the commit) is not the one in use"; return 1; }
	slot_is 2 committed || { fail "generation 2 is not committed"; return 1; }
	[ -r /tmp/sb2.proc ] || uncarry || return 1
	restore_and_check "$area" /tmp/sb2.proc crash_test.sbafter || return 1
	tear 1
	ckptctl area info "$area" | sed 's/^/# /'
	info_has "superblock copy 1: damaged: superblock checksum mismatch" ||
		{ fail "the torn copy 1 is not reported"; return 1; }
	slot_is 1 committed && slot_is 2 writing ||
		{ fail "copy 0 does not hold the state before the commit"; return 1; }
	ckptctl show "$area" | grep -q 'generation: *1$' ||
		{ fail "the newest committed generation is not 1"; return 1; }
	restore_and_check "$area" /tmp/sb1.proc crash_test.sbafter || return 1
	# The module takes copy 0 and rewrites both.
	start_workload
	proc_snap save "$wl" > /tmp/sb3.proc || { fail "no /proc snapshot"; return 1; }
	ckptctl freeze "$wl" --area "$area" --wait | sed 's/^/# /'
	kill -USR1 "$wl"
	wait "$wl" || { fail "the checkpointed workload's own check failed"; return 1; }
	slot_is 3 committed || { fail "generation 3 not committed"; return 1; }
	info_has "superblock copies: 2 valid" ||
		{ fail "the checkpoint did not rewrite both copies"; return 1; }
	tear 0
	ckptctl area info "$area" | sed 's/^/# /'
	info_has "superblock copy 0: damaged: superblock checksum mismatch" ||
		{ fail "the torn copy 0 is not reported"; return 1; }
	slot_is 3 committed || { fail "generation 3 lost with copy 0"; return 1; }
	restore_and_check "$area" /tmp/sb3.proc crash_test.sbafter || return 1
	kernel_quiet
}

eio() {
	area=/dev/vdb
	ckptctl area create "$area" | sed 's/^/# /' || return 1
	start_workload
	proc_snap save "$wl" > /tmp/eio-before.proc || { fail "no /proc snapshot"; return 1; }
	ckptctl freeze "$wl" --area "$area" --wait | sed 's/^/# /'
	slot_is 1 committed || { fail "generation 1 not committed"; return 1; }
	# Generation 2 lies at ~42..84 MiB: it covers the failing sector.
	if ckptctl freeze "$wl" --area "$area" --wait > /tmp/out 2>&1; then
		sed 's/^/# /' /tmp/out
		fail "generation 2 committed over a failing sector"
		return 1
	fi
	sed 's/^/# /' /tmp/out
	grep -q 'Input/output error' /tmp/out || { fail "the failure does not say I/O error"; return 1; }
	ckptctl area info "$area" | sed 's/^/# /'
	slot_is 1 committed || { fail "generation 1 lost"; return 1; }
	if ckptctl area info "$area" --json | grep -q '"state": "writing"'; then
		fail "the failed generation is still marked writing"
		return 1
	fi
	# The target never noticed: it checks itself and exits 0.
	kill -USR1 "$wl"
	wait "$wl" || { fail "the checkpointed workload's own check failed"; return 1; }
	# Generation 1 as the disk holds it, not as the page cache does.
	sync
	echo 3 > /proc/sys/vm/drop_caches
	ckptctl show "$area:1" > /dev/null || { fail "generation 1 does not verify"; return 1; }
	restore_and_check "$area" /tmp/eio-before.proc crash_test.eio || return 1
	kernel_quiet
}

n=0
for phase; do
	n=$((n + 1))
	if "$phase"; then
		echo "ok $n crash_$phase"
	else
		echo "not ok $n crash_$phase"
	fi
done
echo "# ckpt-guest: done"
if [ "$1" = midstream ]; then
	# Let the results port drain, then reset without syncing anything.
	sleep 1
	echo b > /proc/sysrq-trigger
fi
rmmod ckpt
