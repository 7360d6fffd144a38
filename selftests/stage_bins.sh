#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Copyright (C) 2026 The ckpt authors.
#
# Put host programs $2... (absolute paths, Debian's packages) and every
# shared library they load into the stage directory $1 (the guest's root),
# at the host's paths: the guest is busybox-only. A program the host lacks
# is left out, and the tests that run it are skipped.
set -e
stage=$1
shift
copy() {
	mkdir -p "$stage$(dirname "$1")"
	cp -L "$1" "$stage$1"
}
for prog in "$@"; do
	if [ ! -x "$prog" ]; then
		echo "stage: no $prog (make deps installs it): its tests will be skipped" >&2
		continue
	fi
	copy "$prog"
	ldd "$prog" | awk '/=>/ { print $3 } /^[ \t]*\// { print $1 }' | sort -u |
		while read -r lib; do
			[ -n "$lib" ] && copy "$lib"
		done
done
