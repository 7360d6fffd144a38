#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Copyright (C) 2026 The ckpt authors.
#
# Build (once) the debug kernel of `make check-debug`: Debian's
# linux-source-6.1, x86_64 defconfig + kvm_guest.config + debug.config
# (KASAN, lockdep, PROVE_RCU, DEBUG_VM, DEBUG_ATOMIC_SLEEP, kmemleak; the
# guest's drivers built in). The built tree is cached under CACHE, keyed by
# the tarball and the fragment, so a second run is free and `make clean`
# never drops it. A tree of the same tarball but another fragment is
# configured again and rebuilt in place (kbuild recompiles only what the
# changed options reach); one of another tarball is removed.
# Prints the tree's path on stdout; a build's log goes to CACHE/debug-KEY.log.
#
# usage: debug-kernel.sh TARBALL CACHE
set -euo pipefail

tarball=$1 cache=$2
here=$(cd "$(dirname "$0")" && pwd)
frag=$here/debug.config
jobs=${JOBS:-$(nproc)}

die() { echo "debug-kernel: $*" >&2; exit 1; }
[ -r "$tarball" ] || die "$tarball missing: run 'make deps'"
for t in gcc make bc flex bison perl; do
	command -v "$t" > /dev/null || die "no $t: run 'make deps'"
done

src=$(sha256sum < "$tarball" | cut -c1-16)
key=$( { sha256sum < "$tarball"; cat "$frag"; } | sha256sum | cut -c1-16)
tree=$cache/debug-$key
log=$cache/debug-$key.log
mkdir -p "$cache"

# One builder at a time; a second caller waits and then finds it built.
exec 9> "$cache/debug.lock"
flock 9
if [ -f "$tree/.ckpt-built" ]; then
	echo "$tree"
	exit 0
fi

# A tree of the same sources, built with another fragment: reuse it.
old=
for t in "$cache"/debug-*/; do
	t=${t%/}
	[ "$t" != "$tree" ] && [ -f "$t/.ckpt-source" ] &&
		[ "$(cat "$t/.ckpt-source")" = "$src" ] && old=$t && break
done
if [ -n "$old" ] && [ ! -d "$tree" ]; then
	echo "debug-kernel: rebuilding $old as $tree for the new fragment (log: $log)" >&2
	mv "$old" "$tree"
	rm -f "$tree/.ckpt-built"
fi
for t in "$cache"/debug-*; do
	[ "$t" = "$tree" ] || [ "$t" = "$log" ] || rm -rf "$t"
done
if [ ! -f "$tree/.ckpt-source" ]; then
	echo "debug-kernel: building $tree (log: $log); this takes a while" >&2
	rm -rf "$tree"
	mkdir -p "$tree"
	tar -xJf "$tarball" -C "$tree" --strip-components=1 ||
		die "cannot extract $tarball"
	echo "$src" > "$tree/.ckpt-source"
fi
{
	cd "$tree"
	make -s defconfig
	make -s kvm_guest.config
	scripts/kconfig/merge_config.sh -m .config "$frag"
	make -s olddefconfig
} > "$log" 2>&1 || die "configuring failed, see $log"

# Every option the fragment asks for must have survived olddefconfig (a
# missing dependency silently drops an option).
missing=0
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=n) opt=${line%%=*}
		! grep -q "^$opt=" "$tree/.config" && continue ;;
	CONFIG_*) grep -qxF "$line" "$tree/.config" && continue
		opt=${line%%=*} ;;
	*) continue ;;
	esac
	echo "debug-kernel: $line not in the final config:" \
		"$(grep "^$opt=\|$opt is not set" "$tree/.config")" >&2
	missing=1
done < "$frag"
[ "$missing" -eq 0 ] || die "config fragment not applied"

(cd "$tree" && nice -n 19 make -j"$jobs" bzImage modules) >> "$log" 2>&1 ||
	die "kernel build failed, see $log"
touch "$tree/.ckpt-built"
echo "$tree"
