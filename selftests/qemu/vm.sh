#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Copyright (C) 2026 The ckpt authors.
#
# Boot Debian's kernel under QEMU with an initramfs holding busybox, ckpt.ko,
# ckptctl and the selftests; run one guest job; collect its KTAP from a
# serial port of its own; fail on any failed or missing result, kernel
# warning, or hang.
#
# usage: vm.sh [options] -- JOB [ARGS...]
#   --kernel FILE     kernel image (required)
#   --kver VER        its module directory under /lib/modules (required
#                     unless --builtin)
#   --builtin         the kernel has the guest's drivers built in (the debug
#                     kernel of `make check-debug`): copy no modules
#   --stage DIR       tree copied into the initramfs root (required)
#   --out DIR         where console.log, results.ktap and the initramfs go
#   --timeout SEC     whole-run limit (default 600)
#   --mem SIZE        guest memory (default 2G)
#   --smp N           guest CPUs (default 2)
#   --disk FILE       attach FILE as a virtio disk (/dev/vda), repeatable
#   --qemu-arg ARG    extra QEMU argument, repeatable
#   --append ARG      extra kernel command-line argument, repeatable
#   --module NAME     also load Debian's module NAME (and its dependencies)
#                     at boot, repeatable
#   --console         also copy the guest console to stderr
# JOB is a path inside the guest, run by /init with ARGS, its stdout going to
# the results port. The job must print KTAP ending in "# ckpt-guest: done".
set -euo pipefail

die() { echo "vm.sh: $*" >&2; exit 2; }

kernel= kver= stage= out= timeout=600 mem=2G smp=2 console=0 builtin=0
disks=() extra=() more_modules=() cmdline=()
while [ $# -gt 0 ]; do
	case "$1" in
	--kernel) kernel=$2; shift 2 ;;
	--kver) kver=$2; shift 2 ;;
	--builtin) builtin=1; shift ;;
	--stage) stage=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	--smp) smp=$2; shift 2 ;;
	--disk) disks+=("$2"); shift 2 ;;
	--qemu-arg) extra+=("$2"); shift 2 ;;
	--append) cmdline+=("$2"); shift 2 ;;
	--module) more_modules+=("$2"); shift 2 ;;
	--console) console=1; shift ;;
	--) shift; break ;;
	*) die "unknown option $1" ;;
	esac
done
[ $# -ge 1 ] || die "no guest job given"
[ -r "$kernel" ] || die "kernel image '$kernel' not readable (make deps?)"
[ "$builtin" = 1 ] || [ -d "/lib/modules/$kver" ] ||
	die "no /lib/modules/$kver (make deps?)"
[ -d "$stage" ] || die "stage directory '$stage' missing"
[ -n "$out" ] || out=$(mktemp -d)
mkdir -p "$out"
here=$(cd "$(dirname "$0")" && pwd)

# Kernel modules the guest needs from Debian's tree, in dependency order.
guest_modules() {
	local m
	[ "$builtin" = 0 ] || return 0
	# libcrc32c's soft dependency brings crc32c-intel too; the module
	# times both drivers at load and keeps the faster (kmod/csum.c).
	for m in virtio_pci virtio_rng virtio_blk virtio_net crc32c_generic \
		 libcrc32c "${more_modules[@]}"; do
		modprobe -S "$kver" --show-depends "$m" 2>/dev/null |
			awk '$1 == "insmod" { print $2 }'
	done | awk '!seen[$0]++'
}

build_initramfs() {
	local root=$out/root m
	rm -rf "$root"
	mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,run,mnt,lib/modules}
	# mktemp -d style roots are 0700; unprivileged tests need to traverse.
	chmod 755 "$root"
	cp /bin/busybox "$root/bin/busybox"
	cp "$here/init.sh" "$root/init"
	chmod 755 "$root/init"
	: > "$root/lib/modules/order"
	for m in $(guest_modules); do
		cp "$m" "$root/lib/modules/"
		basename "$m" >> "$root/lib/modules/order"
	done
	printf 'root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n' \
		> "$root/etc/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\n' > "$root/etc/group"
	cp -a "$stage"/. "$root"/
	printf '%s\n' "$@" > "$root/job"
	(cd "$root" && find . -print0 | cpio --null -o -H newc --quiet) |
		gzip -1 > "$out/initramfs.gz"
}

build_initramfs "$@"

qemu_args=(
	-nodefaults -nographic -no-reboot
	-machine q35 -accel tcg,thread=multi -cpu max -smp "$smp" -m "$mem"
	-kernel "$kernel" -initrd "$out/initramfs.gz"
	-append "console=ttyS0 panic=-1 oops=panic quiet loglevel=4 transparent_hugepage=madvise${cmdline[*]:+ ${cmdline[*]}}"
	-serial "file:$out/console.log"
	-serial "file:$out/results.ktap"
	-device virtio-rng-pci
)
for d in "${disks[@]}"; do
	qemu_args+=(-drive "file=$d,format=raw,if=virtio,cache=unsafe")
done
qemu_args+=("${extra[@]}")

rm -f "$out/console.log" "$out/results.ktap"
status=0
if [ "$console" = 1 ]; then
	touch "$out/console.log"
	tail -F -n +1 "$out/console.log" >&2 2>/dev/null &
	tailpid=$!
fi
timeout -k 10 "$timeout" qemu-system-x86_64 "${qemu_args[@]}" \
	</dev/null >"$out/qemu.log" 2>&1 || status=$?
[ "$console" = 1 ] && kill "$tailpid" 2>/dev/null
exec "$here/ktap-summary.sh" "$out" "$status"
