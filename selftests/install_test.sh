#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Copyright (C) 2026 The ckpt authors.
#
# `make install` and `make install-dkms` into a scratch DESTDIR, checked
# from the outside as a user or packager would: the files are there, a
# program builds against the installed library through pkg-config and
# runs, the man page renders, the completion completes, the systemd unit is
# where systemd looks, valid and runs a command ckptctl accepts, and DKMS builds the
# module from the installed source for the target kernel (in its own
# scratch tree: the system's DKMS state is not touched).
#
# usage: install_test.sh SCRATCH_DIR KVER DKMS_VERSION     (from the top)
set -u
scratch=$1 kver=$2 dkver=$3
dest=$scratch/dest
prefix=/usr/local
n=0 failed=0

ok() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n $2"
	else
		echo "not ok $n $2"
		failed=$((failed + 1))
	fi
}

rm -rf "$scratch"
mkdir -p "$scratch"
echo "TAP version 13"
echo "1..8"

make -s install DESTDIR="$dest" > "$scratch/install.log" 2>&1 &&
	make -s install-dkms DESTDIR="$dest" >> "$scratch/install.log" 2>&1
ok $? "make install and install-dkms into a DESTDIR"

missing=0
for f in /lib/modules/$kver/updates/ckpt.ko $prefix/bin/ckptctl \
	$prefix/lib/libckpt.a $prefix/lib/libckpt.so.1 $prefix/lib/libckpt.so \
	$prefix/lib/pkgconfig/libckpt.pc $prefix/include/libckpt.h \
	$prefix/include/linux/ckpt.h $prefix/include/linux/ckpt_image.h \
	$prefix/share/man/man8/ckptctl.8 \
	$prefix/share/bash-completion/completions/ckptctl \
	$prefix/lib/systemd/system/ckpt-periodic@.service \
	/usr/src/ckpt-$dkver/dkms.conf /usr/src/ckpt-$dkver/kmod/Kbuild \
	/usr/src/ckpt-$dkver/uapi/linux/ckpt.h; do
	[ -e "$dest$f" ] || { echo "# missing: $f"; missing=1; }
done
ok $missing "every file in place"

# A client of the installed library, found through its pkg-config file.
cat > "$scratch/client.c" <<'EOF'
#include <stdio.h>
#include <libckpt.h>

int main(void)
{
	printf("%s %d\n", libckpt_version(), CKPT_IMAGE_VERSION);
	return 0;
}
EOF
export PKG_CONFIG_PATH=$dest$prefix/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$dest
flags=$(pkg-config --cflags --libs libckpt) &&
	cc -o "$scratch/client" "$scratch/client.c" $flags &&
	out=$(LD_LIBRARY_PATH=$dest$prefix/lib "$scratch/client") &&
	echo "# client: $out" &&
	LD_LIBRARY_PATH=$dest$prefix/lib ldd "$scratch/client" | grep -q "$dest$prefix/lib/libckpt.so.1"
ok $? "a program builds with pkg-config and runs on the installed libckpt.so"

"$dest$prefix/bin/ckptctl" --help > "$scratch/help.txt" 2>&1 &&
	grep -q "Usage: ckptctl" "$scratch/help.txt"
ok $? "the installed ckptctl runs"

MANWIDTH=80 man -l "$dest$prefix/share/man/man8/ckptctl.8" 2> "$scratch/man.err" |
	grep -q "EXIT STATUS" && ! grep -q . "$scratch/man.err"
ok $? "the man page renders without warnings (man -l)"

# Complete "ckptctl ex" and "ckptctl restore --p" in a real bash.
comp=$(bash -c '
	source /usr/share/bash-completion/bash_completion
	source "$1"
	COMP_WORDS=(ckptctl ex); COMP_CWORD=1; COMP_LINE="ckptctl ex"; COMP_POINT=10
	_ckptctl; echo "${COMPREPLY[*]}"
	COMP_WORDS=(ckptctl restore --p); COMP_CWORD=2
	COMP_LINE="ckptctl restore --p"; COMP_POINT=19
	_ckptctl; echo "${COMPREPLY[*]}"' _ "$dest$prefix/share/bash-completion/completions/ckptctl" 2>&1)
echo "$comp" | sed 's/^/# completion: /'
echo "$comp" | head -1 | grep -qx export &&
	echo "$comp" | tail -1 | grep -q -- "--pidns" &&
	echo "$comp" | tail -1 | grep -q -- "--progress"
ok $? "bash completion completes subcommands and options"

# The systemd unit (systemd does not run in the test guest): in a
# directory systemd reads, accepted by systemd-analyze verify as an
# instance whose ckptctl is the installed one, and its ExecStart, expanded
# as systemd expands it with a job's settings, a command line the
# installed ckptctl accepts (it fails on the group or the module, never on
# usage: exit 1 or 3).
unit=$dest$prefix/lib/systemd/system/ckpt-periodic@.service
st=0
if command -v systemd-analyze > /dev/null; then
	systemd-analyze unit-paths | grep -qx "$prefix/lib/systemd/system" ||
		{ echo "# systemd does not read $prefix/lib/systemd/system"; st=1; }
	sed "s|$prefix/bin/ckptctl|$dest$prefix/bin/ckptctl|" "$unit" \
		> "$scratch/ckpt-periodic@job.service"
	systemd-analyze verify --man=no "$scratch/ckpt-periodic@job.service" \
		> "$scratch/verify.log" 2>&1 && ! grep -q . "$scratch/verify.log" ||
		{ sed 's/^/# verify: /' "$scratch/verify.log"; st=1; }
else
	echo "# systemd-analyze is not installed: the unit is not verified"
fi
line=$(sed -n "s|^ExecStart=$prefix/bin/ckptctl ||p" "$unit")
# ${VAR} stays one word, $VAR is split on spaces: as unquoted shell words.
out=$(CKPT_PGID=999999 CKPT_EVERY=1s CKPT_KEEP=2 CKPT_OPTS="--session --rate 64M" \
	CKPT_AREA=$scratch/job.area bash -c "exec \"\$0\" $line" \
	"$dest$prefix/bin/ckptctl" 2>&1)
rc=$?
echo "# ExecStart: ckptctl $line: $out (exit $rc)"
{ [ -n "$line" ] && { [ $rc -eq 1 ] || [ $rc -eq 3 ]; }; } || st=1
ok $st "the systemd unit is installed where systemd reads it, verifies and its ExecStart parses"

# DKMS: add, build and install from the installed source, for $kver, in
# scratch trees; the result must be a module for that kernel.
if command -v dkms > /dev/null; then
	tree=$scratch/dkms-tree
	mkdir -p "$tree" "$scratch/dkms-install"
	dkms add ckpt/"$dkver" --dkmstree "$tree" --sourcetree "$dest/usr/src" \
		> "$scratch/dkms.log" 2>&1 &&
		dkms build ckpt/"$dkver" -k "$kver" --dkmstree "$tree" \
			--sourcetree "$dest/usr/src" >> "$scratch/dkms.log" 2>&1
	st=$?
	ko=$(find "$tree/ckpt/$dkver/$kver" -name 'ckpt.ko*' 2>/dev/null | head -1)
	if [ $st -eq 0 ] && [ -n "$ko" ]; then
		vm=$(modinfo -F vermagic "$ko")
		echo "# dkms built $ko: vermagic $vm"
		case $vm in "$kver "*) st=0 ;; *) st=1 ;; esac
	else
		sed 's/^/# dkms: /' "$scratch/dkms.log" | tail -20
		st=1
	fi
	ok $st "dkms builds the module for $kver from the installed source"
else
	echo "ok $((n + 1)) # SKIP dkms is not installed (make deps installs it)"
fi

[ $failed -eq 0 ] && echo "# install: all checks passed" || echo "# install: $failed failed"
exit $((failed != 0))
