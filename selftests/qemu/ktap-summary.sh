#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Copyright (C) 2026 The ckpt authors.
#
# Judge a guest run from its results port and console: print a summary and
# exit non-zero on a failed, skipped-for-error or missing test, a kernel
# splat on the console, a missing end marker, or a QEMU failure/timeout.
#
# usage: ktap-summary.sh OUTDIR QEMU_STATUS
set -u
out=$1 status=$2
res=$out/results.ktap con=$out/console.log
bad=0

complain() { echo "vm: FAIL: $*"; bad=1; }

[ -f "$res" ] || : > "$res"
[ -f "$con" ] || : > "$con"
tr -d '\r' < "$res" > "$res.clean"

plan=$(grep -m1 -E '^1\.\.[0-9]+$' "$res.clean" | cut -d. -f3)
pass=$(grep -E '^ok [0-9]+' "$res.clean" | grep -vc '# SKIP')
skip=$(grep -E '^ok [0-9]+' "$res.clean" | grep -c '# SKIP')
fail=$(grep -cE '^not ok [0-9]+' "$res.clean")
subpass=$(grep -cE '^ +ok [0-9]+' "$res.clean")
subfail=$(grep -cE '^ +not ok [0-9]+' "$res.clean")
ran=$((pass + skip + fail))

grep -E '^(not ok|ok) [0-9]+' "$res.clean" | sed 's/^/vm: /'

case "$status" in
0) ;;
124|137) complain "guest did not finish within the time limit (hang?)" ;;
*) complain "qemu exited with status $status: $(tail -3 "$out/qemu.log" 2>/dev/null)" ;;
esac
[ -n "$plan" ] || complain "no KTAP plan on the results port"
[ -n "$plan" ] && [ "$ran" -ne "$plan" ] &&
	complain "plan says $plan tests, $ran reported (missing results)"
[ "$fail" -eq 0 ] || complain "$fail test(s) failed"
grep -q '^# ckpt-guest: done' "$res.clean" ||
	complain "guest never reported the end of its run"
if grep -qE 'Kernel panic|BUG:|WARNING:|Oops|general protection fault|Call Trace' "$con"; then
	complain "kernel splat on the console:"
	grep -m 20 -E -A5 'Kernel panic|BUG:|WARNING:|Oops|general protection fault' "$con" | sed 's/^/vm:   /'
fi
if [ "$bad" -ne 0 ]; then
	echo "vm: console tail ($con):"
	tail -25 "$con" | sed 's/^/vm:   /'
fi
# Last, where a log's tail shows them: each failed subtest with what it
# said between its RUN line and its verdict (at most 40 lines each).
if [ "$subfail" -gt 0 ]; then
	echo "vm: failed subtests:"
	awk '/^ +# +RUN /	{ n = 0 }
	     /^ +# /		{ if (n < 40) said[n++] = $0 }
	     /^ +not ok [0-9]+/ { for (i = 0; i < n; i++) print said[i]; print; n = 0 }' \
		"$res.clean" | sed 's/^ */vm:   /'
fi
echo "vm: $subpass subtests passed, $subfail subtests failed"
echo "selftests: $pass passed, $fail failed, $skip skipped"
exit "$bad"
