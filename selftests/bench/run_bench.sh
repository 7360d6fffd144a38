#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Copyright (C) 2026 The ckpt authors.
#
# Guest job of `make bench`: load the module and run every measurement of
# ckpt_bench in one boot, printing KTAP (one "ok" per section that could be
# measured) with the numbers as "# " comments and "# csv: " lines. Nothing
# here judges a number: a section fails only if it could not be measured.
#
# usage: run_bench.sh [targets|quick|compare|full] [ONLY]
#   targets: what the targets of issues 19 and 20 need, with few samples,
#            in 11-15 minutes under TCG, build and boot included (the default)
#   quick:   fewer and smaller points (a smoke run)
#   compare: only the disk, the rate limiter and the ckpt/CRIU sweep
#   full:    everything (about two hours under TCG)
#   ONLY:    an extended regular expression: run only the sections whose
#            name matches it (the disk and the area are always set up)
dir=$(cd "$(dirname "$0")" && pwd)
ko=${CKPT_KO:-$dir/../ckpt.ko}
bench=$dir/ckpt_bench
dev=/dev/vda
splat='WARNING:|BUG:|Oops|Call Trace|general protection fault|leak'
runs=5
n=0

# name|command arguments
if [ "$1" = quick ]; then
	runs=2
	sections="
raw_direct_256M|raw --dev $dev --mib 256 --runs 2
area_create|AREA
freeze_4k_64M|freeze --area $dev --mib 64 --mode 4k --runs $runs
freeze_thp_64M|freeze --area $dev --mib 64 --mode thp --runs $runs --fresh
writer_256M|stream --area $dev --mib 256 --runs 1
rate_32MiB_64M|stream --area $dev --mib 64 --runs 1 --rate 33554432
incr_4k_256M|incr --area $dev --mib 256 --runs 1
compare_4k_64M_1thr|compare --area $dev --mib 64 --mode 4k --threads 1 --runs 2"
elif [ "$1" = compare ]; then
	# The points the ratios are quoted for come first.
	sections="
raw_direct_1G|raw --dev $dev --mib 1024 --runs 3
area_create|AREA
rate_16MiB_256M|stream --area $dev --mib 256 --runs 1 --rate 16777216
restore_4k_256M|restore --area $dev --mib 256 --mode 4k --runs $runs
restore_thp_256M|restore --area $dev --mib 256 --mode thp --runs $runs
restore_4k_1G|restore --area $dev --mib 1024 --mode 4k --runs 3
restore_thp_1G|restore --area $dev --mib 1024 --mode thp --runs 3
compare_4k_256M_1thr|compare --area $dev --mib 256 --mode 4k --threads 1 --runs $runs
compare_4k_1G_1thr|compare --area $dev --mib 1024 --mode 4k --threads 1 --runs $runs
compare_thp_256M_1thr|compare --area $dev --mib 256 --mode thp --threads 1 --runs $runs
compare_thp_1G_1thr|compare --area $dev --mib 1024 --mode thp --threads 1 --runs $runs
compare_4k_64M_1thr|compare --area $dev --mib 64 --mode 4k --threads 1 --runs $runs
compare_thp_64M_1thr|compare --area $dev --mib 64 --mode thp --threads 1 --runs $runs
compare_4k_64M_8thr|compare --area $dev --mib 64 --mode 4k --threads 8 --runs $runs
compare_thp_64M_8thr|compare --area $dev --mib 64 --mode thp --threads 8 --runs $runs
compare_4k_256M_8thr|compare --area $dev --mib 256 --mode 4k --threads 8 --runs $runs
compare_thp_256M_8thr|compare --area $dev --mib 256 --mode thp --threads 8 --runs $runs
compare_4k_1G_8thr|compare --area $dev --mib 1024 --mode 4k --threads 8 --runs $runs
compare_thp_1G_8thr|compare --area $dev --mib 1024 --mode thp --threads 8 --runs $runs"
elif [ "$1" = full ]; then
	sections="
raw_direct_1G|raw --dev $dev --mib 1024 --runs 3
area_create|AREA
freeze_4k_1G|freeze --area $dev --mib 1024 --mode 4k --runs $runs
freeze_4k_1G_onepass|freeze --area $dev --mib 1024 --mode 4k --runs $runs --prepass 0
freeze_thp_1G|freeze --area $dev --mib 1024 --mode thp --runs $runs --fresh
rate_16MiB_256M|stream --area $dev --mib 256 --runs 1 --rate 16777216
rate_32MiB_256M|stream --area $dev --mib 256 --runs 1 --rate 33554432
incr_4k_256M|incr --area $dev --mib 256 --runs 3
compare_4k_64M_1thr|compare --area $dev --mib 64 --mode 4k --threads 1 --runs $runs
compare_thp_64M_1thr|compare --area $dev --mib 64 --mode thp --threads 1 --runs $runs
compare_4k_64M_8thr|compare --area $dev --mib 64 --mode 4k --threads 8 --runs $runs
compare_thp_64M_8thr|compare --area $dev --mib 64 --mode thp --threads 8 --runs $runs
compare_4k_256M_1thr|compare --area $dev --mib 256 --mode 4k --threads 1 --runs $runs
compare_thp_256M_1thr|compare --area $dev --mib 256 --mode thp --threads 1 --runs $runs
compare_4k_256M_8thr|compare --area $dev --mib 256 --mode 4k --threads 8 --runs $runs
compare_thp_256M_8thr|compare --area $dev --mib 256 --mode thp --threads 8 --runs $runs
compare_4k_1G_1thr|compare --area $dev --mib 1024 --mode 4k --threads 1 --runs $runs
compare_thp_1G_1thr|compare --area $dev --mib 1024 --mode thp --threads 1 --runs $runs
compare_4k_1G_8thr|compare --area $dev --mib 1024 --mode 4k --threads 8 --runs $runs
compare_thp_1G_8thr|compare --area $dev --mib 1024 --mode thp --threads 8 --runs $runs
restore_4k_256M|restore --area $dev --mib 256 --mode 4k --runs $runs
restore_thp_256M|restore --area $dev --mib 256 --mode thp --runs $runs
restore_4k_1G|restore --area $dev --mib 1024 --mode 4k --runs 3
restore_thp_1G|restore --area $dev --mib 1024 --mode thp --runs 3
lazy_4k_1G|lazy --area $dev --mib 1024 --mode 4k --runs 3
lazy_thp_1G|lazy --area $dev --mib 1024 --mode thp --runs 3"
elif [ -z "$1" ] || [ "$1" = targets ]; then
	# One section per target, samples cut to fit 20 minutes: the THP
	# freeze at two sizes gives its O(pages) slope; compare leaves the
	# restores to the restore sections (tmpfs and area, with CRIU's) and
	# CRIU's pre-dump (no target) out.
	cmp="compare --area $dev --mode 4k --runs 5 --no-restore --no-predump"
	sections="
raw_direct_1G|raw --dev $dev --mib 1024 --runs 3
area_create|AREA
freeze_4k_256M|freeze --area $dev --mib 256 --mode 4k --runs 5
freeze_4k_1G|freeze --area $dev --mib 1024 --mode 4k --runs 5
freeze_thp_256M|freeze --area $dev --mib 256 --mode thp --runs 5 --fresh
freeze_thp_1G|freeze --area $dev --mib 1024 --mode thp --runs 5 --fresh
compare_4k_256M_1thr|$cmp --mib 256 --threads 1
compare_4k_256M_8thr|$cmp --mib 256 --threads 8
compare_4k_1G_1thr|$cmp --mib 1024 --threads 1
compare_4k_1G_8thr|$cmp --mib 1024 --threads 8
restore_4k_256M|restore --area $dev --mib 256 --mode 4k --runs 3
restore_thp_256M|restore --area $dev --mib 256 --mode thp --runs 3
restore_4k_1G|restore --area $dev --mib 1024 --mode 4k --runs 2
restore_thp_1G|restore --area $dev --mib 1024 --mode thp --runs 2
lazy_4k_1G|lazy --area $dev --mib 1024 --mode 4k --runs 2"
else
	echo "run_bench.sh: unknown set $1 (targets, quick, compare, full)" >&2
	exit 2
fi
echo "$sections" | grep '|' |
	awk -F'|' -v only="${2:-.}" '$1 ~ /^(raw_direct_|area_create$)/ || $1 ~ only' > /tmp/sections
count=$(wc -l < /tmp/sections)
echo "KTAP version 1"
echo "1..$((count + 2))"

result() {	# result STATUS NAME
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n $2"; else echo "not ok $n $2"; fi
}

kernel_quiet() {
	if dmesg -c | grep -E "$splat" > /tmp/splat; then
		sed 's/^/# kernel: /' /tmp/splat
		return 1
	fi
	return 0
}

echo "# kernel $(uname -r), $(grep -c ^processor /proc/cpuinfo) CPUs, $(awk '/MemTotal/ { print int($2 / 1024) }' /proc/meminfo) MiB"
echo "# cpu: $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)"
echo "# transparent_hugepage: $(cat /sys/kernel/mm/transparent_hugepage/enabled)"
echo "# disk $dev: $(($(cat /sys/block/vda/size 2>/dev/null || echo 0) / 2048)) MiB"
echo "# csv: section,mode,mib,threads,metric,unit,n,median,min,max"

dmesg -c > /dev/null
# CRIU: its kernel-feature probes use the loopback and a /run directory.
ip link set lo up
mkdir -p /run
# CRIU keeps its images in /tmp: up to two 1 GiB sets at once.
mount -o remount,size=80% /tmp
echo "# criu: $(criu --version 2>&1 | head -1)"
st=0
insmod "$ko" || st=1
kernel_quiet || st=1
result $st module_load
ckptctl info | sed 's/^/# /'

bench_t0=$(date +%s)
while IFS='|' read -r name args; do
	t0=$(date +%s)
	echo "# --- $name: $args"
	if [ "$args" = AREA ]; then
		ckptctl area create $dev 2>&1 | sed 's/^/# /'
		ckptctl area info $dev > /tmp/area.info 2>&1
		st=$?
		sed 's/^/# /' /tmp/area.info
	else
		# shellcheck disable=SC2086
		"$bench" $args 2>&1
		st=$?
	fi
	kernel_quiet || st=1
	echo "# $name took $(($(date +%s) - t0)) s"
	result $st "$name"
done < /tmp/sections

echo "# bench took $(($(date +%s) - bench_t0)) s"
st=0
rmmod ckpt || st=1
kernel_quiet || st=1
result $st module_unload
echo "# ckpt-guest: done"
