#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Copyright (C) 2026 The ckpt authors.
#
# Cut an area file after its last image (the superblock's next_offset, a
# little-endian u64 at byte 40): what follows is zeros, which the fuzz
# target restores from the size the superblock declares.
#
# usage: compact-area.sh AREA
set -eu
next=$(od -An -t u8 -j 40 -N 8 "$1" | tr -d ' ')
[ "$next" -gt 0 ] && [ "$next" -le "$(stat -c %s "$1")" ]
tail -c +$((next + 1)) "$1" | cmp -s - /dev/zero -n $(( $(stat -c %s "$1") - next )) ||
	{ echo "compact-area: $1 has data after byte $next" >&2; exit 1; }
truncate -s "$next" "$1"
