#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Copyright (C) 2026 The ckpt authors.
#
# Host side of `make bench`: extract the "# csv: " lines of a guest run into
# a CSV file and print a readable table with the ratios and the targets
# they are compared against. Nothing is asserted: the targets are printed
# next to the measurements, never enforced.
#
# usage: report.sh RESULTS.KTAP RESULTS.CSV
set -u
ktap=$1 csv=$2

tr -d '\r' < "$ktap" | sed -n 's/^ *# csv: //p' > "$csv"
if [ "$(wc -l < "$csv")" -le 1 ]; then
	echo "bench: no measurements in $ktap" >&2
	exit 1
fi

awk -F, '
NR == 1 { next }
{
	k = $1 "," $2 "," $3 "," $4
	med[k, $5] = $8; mn[k, $5] = $9; mx[k, $5] = $10; nn[k, $5] = $7
	if (!(k in seen) && $1 == "freeze") { seen[k] = 1; fk[++nf] = k }
	if (!(k in seen) && $1 == "stream" && $2 ~ /^rate/) { seen[k] = 1; rk[++nr] = k; rm[nr] = $3 }
	if (!(k in seen) && $1 == "compare") { seen[k] = 1; ck[++nc] = k }
	if (!(k in seen) && $1 == "lazy") { seen[k] = 1; lk[++nl] = k }
	if (!(k in seen) && $1 == "restore") { seen[k] = 1; sk[++ns] = k }
}
function row(label, k, m) {
	if ((k, m) in med)
		printf "  %-40s %10.1f %10.1f %10.1f %3s\n", label, med[k, m], mn[k, m], mx[k, m], nn[k, m]
}
function v(k, m) { return ((k, m) in med) ? med[k, m] : "" }
function yes(c) { return c ? "yes" : "NO" }
END {
	printf "\n1. Freeze (kernel freeze_ns, park start to release) and fork() of the same process; median [min..max] of n samples\n\n"
	printf "%-5s %6s %4s %28s %9s %9s %11s %12s %9s %8s\n", \
		"pages", "MiB", "thr", "freeze us med [min..max]", "ns/page", \
		"THP MiB", "fork us", "freeze/fork", "stall us", "base us"
	for (i = 1; i <= nf; i++) {
		k = fk[i]; split(k, f, ",")
		printf "%-5s %6s %4s %10.1f [%6.1f..%7.1f] %9.1f %9.0f %11.1f %12.3f %9.1f %8.1f\n", \
			f[2], f[3], f[4], v(k, "freeze"), mn[k, "freeze"], \
			mx[k, "freeze"], v(k, "freeze_per_page"), \
			v(k, "anon_huge"), v(k, "fork"), v(k, "freeze_over_fork"), \
			v(k, "stall"), v(k, "stall_baseline")
	}
	printf "\n(stall: longest gap between two loop iterations the workload saw around the freeze;\n base: the same over 200 ms without a freeze)\n"

	printf "\n2. Targets (printed, not asserted)\n\n"
	for (s = 0; s < 3; s++) {
		mib = s == 0 ? 64 : s == 1 ? 256 : 1024
		k4 = "freeze,4k," mib ",1"; kt = "freeze,thp," mib ",1"
		if (v(k4, "freeze_over_fork") != "") {
			r = v(k4, "freeze_over_fork")
			printf "  freeze/fork, %4d MiB 4K         %8.3f   target <= 0.300   %s%s\n", mib, r, yes(r <= 0.3), mib == 1024 ? "" : "   (target is for 1 GiB)"
		}
		if (v(k4, "freeze") != "" && v(kt, "freeze") != "") {
			r = v(kt, "freeze") / v(k4, "freeze")
			printf "  THP freeze / 4K freeze, %4d MiB %8.4f   target <= 0.010   %s\n", mib, r, yes(r <= 0.01)
		}
	}
	raw = v("raw,direct,1024,0", "raw")
	for (s = 0; s < 2; s++) {
		mib = s ? 1024 : 256
		w = v("freeze,4k," mib ",1", "writer")
		if (w != "" && raw != "")
			printf "  writer / raw O_DIRECT, %4d MiB  %8.3f   target >= 0.900   %s   (%.1f / %.1f MB/s)\n", \
				mib, w / raw, yes(w / raw >= 0.9), w, raw
	}
	for (i = 1; i <= nc; i++) {
		k = ck[i]; split(k, f, ","); w = v(k, "ckpt_writer")
		if (w != "" && raw != "")
			printf "  writer / raw O_DIRECT, %4d MiB %-3s %d thr %8.3f   target >= 0.900   %s   (%.1f / %.1f MB/s, compare runs)\n", \
				f[3], f[2], f[4], w / raw, yes(w / raw >= 0.9), w, raw
	}
	for (i = 1; i <= nc; i++) {
		k = ck[i]; split(k, f, ","); r = v(k, "restore_ckpt_tmpfs_over_criu")
		if (r != "")
			printf "  restore ckpt / criu, %4d MiB %-3s %d thr %8.3f   target <= 0.500   %s   (%.2f s from tmpfs, %.2f s from the disk / %.2f s)\n", \
				f[3], f[2], f[4], r, yes(r <= 0.5), v(k, "ckpt_restore_tmpfs"), \
				v(k, "ckpt_restore"), v(k, "criu_restore")
	}
	for (i = 1; i <= ns; i++) {
		k = sk[i]; split(k, f, ","); r = v(k, "restore_ckpt_tmpfs_over_criu")
		printf "  restore ckpt / criu, %4d MiB %-3s (restore runs) %8.3f   target <= 0.500   %s   (%.2f s / %.2f s, AnonHugePages after %.0f MiB)\n", \
			f[3], f[2], r, yes(r <= 0.5), v(k, "ckpt_restore_tmpfs"), \
			v(k, "criu_restore"), v(k, "restored_anon_huge")
	}
	for (i = 1; i <= nl; i++) {
		k = lk[i]; split(k, f, ",")
		r = v(k, "lazy_first_over_full")
		printf "  lazy first instruction / full restore, %4d MiB %-3s %8.3f   target <= 0.100   %s   (%.2f s / %.2f s)\n", \
			f[3], f[2], r, yes(r <= 0.1), v(k, "lazy_first"), v(k, "full_restore")
		r = v(k, "lazy_all_over_full")
		printf "  lazy all pages / full restore, %4d MiB %-3s %8.3f   target <= 1.000   %s   (%.2f s / %.2f s; AnonHugePages after %.0f MiB, full %.0f MiB)\n", \
			f[3], f[2], r, yes(r <= 1), v(k, "lazy_all_pages"), v(k, "full_restore"), \
			v(k, "lazy_anon_huge"), v(k, "full_anon_huge")
	}
	for (i = 1; i <= nr; i++) {
		k = rk[i]; r = v(k, "rate_over_limit")
		printf "  achieved rate / limit, %4d MiB  %8.3f   target 0.90..1.10 %s   (%.1f MB/s for a %.1f MB/s limit)\n", \
			rm[i], r, yes(r >= 0.9 && r <= 1.1), \
			v(k, "writer"), v(k, "rate_limit")
	}

	if (nc) {
		printf "\n4. ckpt against CRIU on the same workload (medians of n runs; stall = the workload'"'"'s longest gap)\n\n"
		printf "%-4s %5s %3s %10s %9s %12s %8s %12s %12s %10s %8s %8s %7s %7s %7s %2s\n", \
			"mode", "MiB", "thr", "ckpt stall", "ns/page", "criu stall", "ckpt/", \
			"pre+dump", "ckpt/", "ckpt", "writer", "tput", "ckpt", "criu", "criu", "n"
		printf "%-4s %5s %3s %10s %9s %12s %8s %12s %12s %10s %8s %8s %7s %7s %7s %2s\n", \
			"", "", "", "ms", "freeze", "ms", "criu", "stall ms", "pre+dump", \
			"commit s", "MB/s", "stream%", "rest s", "dump s", "rest s", ""
		for (i = 1; i <= nc; i++) {
			k = ck[i]; split(k, f, ",")
			printf "%-4s %5s %3s %10.2f %9.1f %12.1f %8.4f %12.1f %12.4f %10.2f %8.1f %8.0f %7.2f %7.2f %7.2f %2s\n", \
				f[2], f[3], f[4], v(k, "ckpt_stall") / 1000, \
				v(k, "ckpt_freeze_per_page"), v(k, "criu_dump_stall") / 1000, \
				v(k, "stall_ckpt_over_criu"), \
				v(k, "criu_dump_after_predump_stall") / 1000, \
				v(k, "stall_ckpt_over_criu_predump"), v(k, "ckpt_commit"), \
				v(k, "ckpt_writer"), v(k, "ckpt_tput_streaming"), \
				v(k, "ckpt_restore"), v(k, "criu_dump_total"), \
				v(k, "criu_restore"), nn[k, "ckpt_stall"]
		}
		printf "\n(ckpt/criu: ratio of the stalls per run, median; pre+dump: criu pre-dump, then\n criu dump --prev-images-dir, stall of the final dump; tput stream%%: the workload'"'"'s\n page writes per second while its image streamed, %% of undisturbed)\n"
	}

	printf "\n3. Disk and writer (MB/s = 10^6 bytes/s; writer = image_len / stream_ns)\n\n"
	printf "  %-40s %10s %10s %10s %3s\n", "", "median", "min", "max", "n"
	row("raw O_DIRECT 1 MiB writes, 1 GiB", "raw,direct,1024,0", "raw")
	row("raw buffered writes + fsync, 1 GiB", "raw,buf,1024,0", "raw")
	for (i = 1; i <= nf; i++) {
		k = fk[i]; split(k, f, ",")
		row("writer, " f[2] " " f[3] " MiB, " f[4] " thr (freeze runs)", k, "writer")
	}
	for (i = 1; i <= nr; i++)
		row("writer, " rm[i] " MiB, limit " v(rk[i], "rate_limit") " MB/s", rk[i], "writer")
	printf "\n"
}' "$csv"
