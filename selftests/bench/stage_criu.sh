#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Copyright (C) 2026 The ckpt authors.
#
# Put Debian's criu, with every shared library it loads and the dynamic
# loader, into the stage directory $1 (the guest's root), at the same
# paths as on the host: `make bench` runs CRIU beside ckpt in one boot.
set -e
stage=$1
criu=$(command -v criu || echo /usr/sbin/criu)
[ -x "$criu" ] || { echo "criu missing: run 'make deps'" >&2; exit 1; }
copy() {
	mkdir -p "$stage$(dirname "$1")"
	cp -L "$1" "$stage$1"
}
copy "$criu"
ldd "$criu" | awk '/=>/ { print $3 } /^[ \t]*\// { print $1 }' | sort -u |
	while read -r lib; do
		[ -n "$lib" ] && copy "$lib"
	done
