#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Copyright (C) 2026 The ckpt authors.
#
# Put the host's node (Debian's nodejs), every shared library it loads and
# the dynamic loader into the stage directory $1 (the guest's root), at the
# same paths as on the host, with the event-loop test's script: the guest
# is busybox-only. Without node the stage simply lacks it and the node
# test is skipped.
set -e
stage=$1
node=$(command -v node || true)
[ -n "$node" ] && [ -x "$node" ] || { echo "stage: no node (make deps installs nodejs): its test will be skipped" >&2; exit 0; }
copy() {
	mkdir -p "$stage$(dirname "$1")"
	cp -L "$1" "$stage$1"
}
copy "$node"
ldd "$node" | awk '/=>/ { print $3 } /^[ \t]*\// { print $1 }' | sort -u |
	while read -r lib; do
		[ -n "$lib" ] && copy "$lib"
	done
mkdir -p "$stage/opt/ckpt/selftests"
cp "$(dirname "$0")/evloop_node.js" "$(dirname "$0")/sock_node.js" "$stage/opt/ckpt/selftests/"
