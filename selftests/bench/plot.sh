#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Copyright (C) 2026 The ckpt authors.
#
# Downtime against memory size, ckpt and CRIU, on a log scale: the medians
# (with min-max bars) of the compare sections of a `make bench` CSV.
# usage: plot.sh RESULTS.CSV OUT.PNG
csv=$1 png=$2
dat=${png%.png}.dat
command -v gnuplot > /dev/null || { echo "plot: gnuplot missing (make deps)" >&2; exit 1; }
# section,mode,mib,threads,metric,unit,n,median,min,max -> one file per curve
awk -F, -v out="$dat" '
	$1 == "compare" && ($5 == "ckpt_stall" || $5 == "criu_dump_stall" ||
			     $5 == "criu_dump_after_predump_stall") {
		key = $5 "_" $2 "_" $4 "thr"
		# microseconds -> milliseconds
		printf "%s %s %.6f %.6f %.6f\n", key, $3, $8 / 1000, $9 / 1000, $10 / 1000 > out
	}' "$csv"
[ -s "$dat" ] || { echo "plot: no compare results in $csv" >&2; exit 1; }
keys=$(cut -d' ' -f1 "$dat" | sort -u)
plots=""
for k in $keys; do
	grep "^$k " "$dat" | sort -k2n | cut -d' ' -f2- > "$dat.$k"
	label=$(echo "$k" | sed -e 's/_stall//' -e 's/_/ /g' -e 's/ckpt/ckpt freeze/' \
		-e 's/criu dump after predump/criu pre-dump+dump/')
	plots="$plots${plots:+, }'$dat.$k' using 1:2:3:4 with yerrorlines title '$label'"
done
gnuplot <<GP
set terminal png size 1000,650
set output '$png'
set title "Downtime seen by the workload (longest stall) vs memory size"
set xlabel "anonymous memory (MiB)"
set ylabel "longest stall (ms, log scale)"
set logscale xy
set xtics (64, 256, 1024)
set key outside right
set grid
plot $plots
GP
rm -f "$dat" "$dat".*
echo "plot: $png"
