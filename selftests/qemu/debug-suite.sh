#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Copyright (C) 2026 The ckpt authors.
#
# Guest job of `make check-debug`: the whole selftest suite (run_tests.sh,
# its KTAP nested here), then a kmemleak scan of everything the suite
# left allocated. KASAN, lockdep and the other debug checks report into
# the kernel log, which run_tests.sh scans after every test.
#
# usage: debug-suite.sh [TEST...]
suite=/opt/ckpt/selftests/run_tests.sh
leaks=/sys/kernel/debug/kmemleak
echo "KTAP version 1"
echo "1..2"

mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
# What boot allocated is not ours to judge.
[ -w "$leaks" ] && echo clear > "$leaks"

"$suite" "$@" | tee /tmp/suite.ktap | sed 's/^/    /'
if grep -q '^not ok' /tmp/suite.ktap ||
   ! grep -q '^# ckpt-guest: done' /tmp/suite.ktap; then
	echo "not ok 1 selftests"
else
	echo "ok 1 selftests"
fi

if [ ! -w "$leaks" ]; then
	echo "ok 2 kmemleak # SKIP no kmemleak in this kernel"
else
	# An object is reported once it has been unreferenced for a while
	# and seen by two scans.
	echo scan > "$leaks"
	sleep 10
	echo scan > "$leaks"
	cat "$leaks" > /tmp/leaks
	if [ -s /tmp/leaks ]; then
		echo "# kmemleak: $(grep -c '^unreferenced object' /tmp/leaks) suspected leaks"
		head -200 /tmp/leaks | sed 's/^/# /'
		echo "not ok 2 kmemleak"
	else
		echo "ok 2 kmemleak"
	fi
fi
echo "# ckpt-guest: done"
