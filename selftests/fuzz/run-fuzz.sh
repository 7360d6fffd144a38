#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Copyright (C) 2026 The ckpt authors.
#
# Run the image reader's fuzz target for SECONDS, seeded with the committed
# corpus of real images; new inputs go to WORKDIR/corpus, a crashing input
# to WORKDIR/artifacts. Prints one summary line; fails on any crash, leak,
# sanitizer report or oracle failure (libFuzzer's exit status).
#
# usage: run-fuzz.sh FUZZER WORKDIR SECONDS
set -u
fuzzer=$1 work=$2 secs=$3
here=$(cd "$(dirname "$0")" && pwd)
log=$work/fuzz.log

mkdir -p "$work/corpus" "$work/artifacts"
# Several inputs per second even on a slow machine: -timeout is per input.
nice -n 10 "$fuzzer" -max_total_time="$secs" -timeout=20 -rss_limit_mb=2048 \
	-print_final_stats=1 -artifact_prefix="$work/artifacts/" \
	"$work/corpus" "$here/corpus" > "$log" 2>&1
st=$?
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
cov=$(grep -E '^#[0-9]+' "$log" | tail -1 | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
seeds=$(ls "$here/corpus" | wc -l)
if [ "$st" -ne 0 ]; then
	grep -E -A30 'ERROR:|runtime error|oracle failed|Test unit written' "$log" | head -60
	echo "fuzz: FAILED after ${runs:-?} executions (log: $log, inputs: $work/artifacts/)"
	exit 1
fi
echo "fuzz: ${runs:-?} executions in ${secs}s from $seeds real images, coverage ${cov:-?} edges, no crash, leak or sanitizer report (log: $log)"
