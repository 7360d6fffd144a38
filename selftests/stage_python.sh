#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Copyright (C) 2026 The ckpt authors.
#
# Put Debian's python3 (not a pyenv or venv one: the guest has no home),
# the shared libraries it and its extension modules load, and its standard
# library without tests, build files and GUI modules into the stage
# directory $1 (the guest's root), at the host's paths, with the socket
# test's scripts. Without it the stage lacks python and those tests are
# skipped.
set -e
stage=$(cd "$1" && pwd)
py=/usr/bin/python3
[ -x "$py" ] || { echo "stage: no $py (make deps installs python3): its tests will be skipped" >&2; exit 0; }
real=$(readlink -f "$py")
ver=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
lib=/usr/lib/python$ver
copy() {
	mkdir -p "$stage$(dirname "$1")"
	cp -L "$1" "$stage$1"
}
copy "$real"
ln -sf "$(basename "$real")" "$stage$py"
mkdir -p "$stage$lib"
# The standard library, less what a server program never imports.
(cd "$lib" && find . \( -name test -o -name tests -o -name idlelib -o -name tkinter \
	-o -name turtledemo -o -name lib2to3 -o -name pydoc_data -o -name ensurepip \
	-o -name 'config-*' -o -name site-packages -o -name dist-packages \) -prune -o -print |
	cpio -pdm --quiet "$stage$lib")
for f in "$real" "$lib"/lib-dynload/*.so; do
	ldd "$f" 2>/dev/null | awk '/=>/ { print $3 } /^[ \t]*\// { print $1 }'
done | sort -u | while read -r l; do
	[ -n "$l" ] && [ -e "$l" ] && copy "$l"
done
mkdir -p "$stage/opt/ckpt/selftests"
cp "$(dirname "$0")/sock_asyncio.py" "$stage/opt/ckpt/selftests/"
