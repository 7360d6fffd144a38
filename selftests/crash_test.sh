#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Copyright (C) 2026 The ckpt authors.
#
# Crash consistency and write errors of areas on virtio disks, in two boots
# (make check-crash runs them):
#
#   midstream  boot 1, area on /dev/vda: commit generation 1 of a
#              self-checking workload (what /proc shows of it just before
#              goes to /dev/vdb), start generation 2 at 1 MiB/s, and
#              reset the machine (sysrq-b: no sync, no unmount) while it
#              streams.
#   afterwards boot 2, the same /dev/vda: the area shows 1 committed and 2
#              incomplete (writing); 2 cannot be opened; 1 restores, its
#              /proc is compared with boot 1's, and the restored workload
#              checks itself; a new checkpoint commits.
#   eio        boot 2, area on /dev/vdc, a disk that fails every write to one
#              sector (QEMU blkdebug) inside generation 2: generation 2
#              fails with an I/O error, the area still holds 1 as its newest
#              committed generation, read back from the disk it restores
#              (/proc compared) and checks itself, and the checkpointed
#              workload never noticed.
#
# usage: crash_test.sh midstream | crash_test.sh afterwards eio
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

kernel_quiet() {
	if dmesg | grep -qE 'WARNING:|BUG:|Oops|Call Trace'; then
		say "kernel complained:"
		dmesg | grep -E -A5 'WARNING:|BUG:|Oops' | sed 's/^/# /'
		return 1
	fi
}

midstream() {
	area=/dev/vda
	ckptctl area create "$area" | sed 's/^/# /' || return 1
	start_workload
	proc_snap save "$wl" > /tmp/before.proc || { fail "no /proc snapshot"; return 1; }
	ckptctl freeze "$wl" --area "$area" --wait | sed 's/^/# /'
	slot_is 1 committed || { fail "generation 1 not committed"; return 1; }
	# Past the reset only what reached the disk counts: write it through.
	dd if=/tmp/before.proc of=/dev/vdb conv=fsync 2>/dev/null ||
		{ fail "cannot write the /proc snapshot to /dev/vdb"; return 1; }
	# About 40 MiB at 1 MiB/s: generation 2 streams for ~40 s.
	ckptctl freeze "$wl" --area "$area" --rate 1M | sed 's/^/# /'
	sleep 2
	ckptctl status | sed 's/^/# /'
	ckptctl status --json | grep -q '"generation": 2, "state": "streaming"' ||
		{ fail "generation 2 is not streaming"; return 1; }
	slot_is 2 writing || { fail "generation 2 not marked writing"; return 1; }
	kernel_quiet
}

afterwards() {
	area=/dev/vda
	ckptctl area info "$area" | sed 's/^/# /'
	slot_is 1 committed || { fail "generation 1 is not committed after the crash"; return 1; }
	slot_is 2 writing || { fail "generation 2 is not shown incomplete"; return 1; }
	if ckptctl show "$area:2" >/dev/null 2>&1; then
		fail "the incomplete generation 2 was opened"
		return 1
	fi
	ckptctl show "$area" | grep -q 'generation: *1$' ||
		{ fail "the newest committed generation is not 1"; return 1; }
	restore_and_check "$area" /dev/vdb crash_test.afterwards || return 1
	# The area stays usable: a new checkpoint commits as generation 3.
	start_workload
	ckptctl freeze "$wl" --area "$area" --wait | sed 's/^/# /'
	slot_is 3 committed || { fail "generation 3 not committed"; return 1; }
	slot_is 1 committed || { fail "generation 3 overwrote generation 1"; return 1; }
	kill -USR1 "$wl"
	wait "$wl" || { fail "the workload's own check failed"; return 1; }
	kernel_quiet
}

eio() {
	area=/dev/vdc
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
