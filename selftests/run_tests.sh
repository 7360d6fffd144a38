#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Copyright (C) 2026 The ckpt authors.
#
# Run the ckpt selftests inside the guest and print one KTAP document on
# stdout: module load/unload, each test binary (its own KTAP nested, indented
# four spaces), and a final clean unload. The kernel log is scanned after
# every test, so a splat fails the test that caused it even if it passed.
#
# usage: run_tests.sh [TEST...]     (default: every test in tests.list)
dir=$(cd "$(dirname "$0")" && pwd)
ko=${CKPT_KO:-$dir/../ckpt.ko}
tests=${*:-$(cat "$dir/tests.list")}
splat='WARNING:|BUG:|Oops|Call Trace|general protection fault|leak'
timeout=$(sed -n 's/^timeout=//p' "$dir/settings" 2>/dev/null)
timeout=${timeout:-300}
n=0

set -- $tests
echo "KTAP version 1"
echo "1..$(($# + 2))"

result() {	# result STATUS NAME  (status: 0 pass, 4 skip, else fail)
	n=$((n + 1))
	case "$1" in
	0) echo "ok $n $2" ;;
	4) echo "ok $n $2 # SKIP" ;;
	*) echo "not ok $n $2" ;;
	esac
}

# Fail with the offending lines if the kernel complained since the last call.
kernel_quiet() {
	if dmesg -c | grep -E "$splat" > /tmp/splat; then
		sed 's/^/# kernel: /' /tmp/splat
		dmesg > /dev/null
		return 1
	fi
	return 0
}

loaded() { grep -q '^ckpt ' /proc/modules; }

# Load and unload twice: init and exit must be symmetric and repeatable.
load_unload() {
	for round in 1 2; do
		insmod "$ko" || { echo "# insmod failed (round $round)"; return 1; }
		loaded || { echo "# module not listed after insmod"; return 1; }
		rmmod ckpt || { echo "# rmmod failed (round $round)"; return 1; }
		! loaded || { echo "# module still listed after rmmod"; return 1; }
	done
	insmod "$ko" || { echo "# final insmod failed"; return 1; }
}

dmesg -c > /dev/null
load_unload
st=$?
kernel_quiet || st=1
result $st module_load_unload

for t in "$@"; do
	if [ ! -x "$dir/$t" ]; then
		echo "# $t: not found"
		result 1 "$t"
		continue
	fi
	# Output through a file, not a pipe: a process the test leaked
	# cannot hold the run open. kselftest's per-test timeout applies.
	"$dir/$t" > /tmp/.out 2>&1 &
	pid=$!
	waited=0
	while kill -0 $pid 2>/dev/null; do
		if [ $waited -ge "$timeout" ]; then
			kill -9 $pid
			echo "# $t: killed after ${timeout}s (kselftest timeout)" >> /tmp/.out
			break
		fi
		sleep 1
		waited=$((waited + 1))
	done
	wait $pid
	st=$?
	sed 's/^/    /' /tmp/.out
	kernel_quiet || st=1
	loaded || { echo "# $t left the module unloaded"; insmod "$ko"; st=1; }
	result "$st" "$t"
done

unload_ok=0
rmmod ckpt || { echo "# rmmod at the end failed"; unload_ok=1; }
kernel_quiet || unload_ok=1
result $unload_ok module_unload_clean
echo "# ckpt-guest: done"
