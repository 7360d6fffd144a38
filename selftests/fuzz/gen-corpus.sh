#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Copyright (C) 2026 The ckpt authors.
#
# Guest job of `make fuzz-corpus`: checkpoint the small workloads of
# workload.c with the real module and hand the images to the host as a tar
# archive written over the virtio disk /dev/vda. Prints KTAP.
#   plain.ckpt, rich.ckpt  standalone images (ckptctl dump -o FILE)
#   tree.ckpt              two processes of one group
#   stream.ckpt            the plain workload again, through a pipe (-o -)
#   two.area               an area holding three committed generations, the
#                          third incremental on the first (PARENT, BASE)
dir=$(cd "$(dirname "$0")" && pwd)
out=/tmp/corpus
n=0
echo "KTAP version 1"
echo "1..5"

step() {	# step NAME COMMAND...
	n=$((n + 1))
	name=$1
	shift
	if "$@" > /tmp/step.out 2>&1; then
		echo "ok $n $name"
	else
		sed 's/^/# /' /tmp/step.out
		echo "not ok $n $name"
	fi
}

wait_ready() {	# wait_ready FILE
	for i in $(seq 1 200); do
		grep -q ready "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

start() {	# start KIND: run the workload in its own session; pid in $pid
	setsid "$dir/workload" "$1" > "/tmp/workload-$1.out" 2>&1 < /dev/null &
	pid=$!
	wait_ready "/tmp/workload-$1.out"
}

images() {
	start plain && plain=$pid &&
	start rich && rich=$pid &&
	start tree && tree=$pid &&
	ckptctl dump "$plain" -o "$out/plain.ckpt" &&
	ckptctl dump "$rich" -o "$out/rich.ckpt" &&
	ckptctl dump "$tree" -o "$out/tree.ckpt" &&
	ckptctl dump "$plain" -o - > "$out/stream.ckpt"
}

area() {
	ckptctl area create /tmp/two.area --size 3M &&
	ckptctl freeze "$plain" --area /tmp/two.area --wait &&
	ckptctl freeze "$rich" --area /tmp/two.area --wait &&
	ckptctl freeze "$plain" --area /tmp/two.area --incremental --wait |
		grep -q "incremental on generation 1" &&
	mv /tmp/two.area "$out/two.area"
}

verify() {
	for f in "$out"/*; do
		ckptctl show "$f" > /dev/null || return 1
		ls -l "$f"
	done
}

mkdir -p "$out"
step insmod insmod "$dir/../ckpt.ko"
step standalone_images images
step area_two_generations area
step images_verify verify
step tar_to_disk tar -C "$out" -cf /dev/vda .
kill -9 -"$plain" -"$rich" -"$tree" 2>/dev/null
rmmod ckpt
echo "# ckpt-guest: done"
