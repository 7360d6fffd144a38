# SPDX-License-Identifier: GPL-2.0
# Copyright (C) 2026 The ckpt authors.
#
# Sourced by the guest's shell tests (reboot_test.sh, migrate_test.sh,
# crash_test.sh).

# Fail, with the offending lines, if the kernel warned, oopsed or hit a
# BUG since boot (every scenario's guest boots once per phase).
kernel_quiet() {
	if dmesg | grep -qE 'WARNING:|BUG:|Oops|Call Trace'; then
		echo "# kernel complained:"
		dmesg | grep -E -A5 'WARNING:|BUG:|Oops' | sed 's/^/# /'
		return 1
	fi
}

# proc_snap save PID > FILE: what /proc shows of the workload, taken just
# before its checkpoint, for restore_and_check to compare (proc_state.h).
proc_snap() {
	"$(cd "$(dirname "$0")" && pwd)/proc_snap" "$@"
}

# page_server RUNNING|SEEN: does a lazy restore's page server (ckpt-lazy)
# run, or is one there at all? One that is done stays a zombie until
# ckptctl --wait, its parent, exits.
page_server() {
	for ps_comm in /proc/[0-9]*/comm; do
		[ "$(cat "$ps_comm" 2>/dev/null)" = ckpt-lazy ] || continue
		[ "$1" = SEEN ] && return 0
		grep -q '^State:.*Z' "${ps_comm%comm}status" 2>/dev/null || return 0
	done
	return 1
}

# Wait until the page server of a restore --wait --lazy started and is
# done: every page is in place and the checksum was checked.
wait_page_server() {
	for i in $(seq 1 600); do
		page_server SEEN && break
		sleep 0.1
	done
	for i in $(seq 1 1200); do
		page_server RUNNING || return 0
		sleep 0.1
	done
	echo "# no page server, or one that still runs after 120 s"
	sed 's/^/# /' /tmp/restore.out /tmp/restore.err
	return 1
}

# restore_and_check SOURCE BEFORE SCOPE [--lazy|--lazy-stream]: restore an image file, or
# the newest committed generation of an area, whose one process is
# restore_test's "reboot" workload; compare /proc of the restored process
# with BEFORE (saved by proc_snap before the checkpoint; SCOPE names this
# restore for the allowlist), and make it check itself (SIGUSR1). With
# --lazy the restore is lazy, and /proc is compared once its page server
# has filled every page (until then its mappings are registered with
# userfaultfd); --lazy-stream restores the image file lazily from a pipe
# (`restore - --lazy`), as the receiving end of a migration does. Returns the workload's verdict, its exit status, or 1 if
# /proc differs.
restore_and_check() {
	rc_area=$1
	rc_before=$2
	rc_scope=$3
	rc_lazy=$4
	rc_pid=$(ckptctl show "$rc_area" --json |
		 sed -n 's/.*"tasks": \[{"pid": \([0-9]*\).*/\1/p')
	if [ -z "$rc_pid" ]; then
		echo "# no task in the newest committed generation of $rc_area"
		return 1
	fi
	if [ "$rc_lazy" = --lazy-stream ]; then
		rc_lazy=--lazy
		cat "$rc_area" | ckptctl restore - --wait --lazy > /tmp/restore.out 2> /tmp/restore.err &
	else
		ckptctl restore "$rc_area" --wait $rc_lazy > /tmp/restore.out 2> /tmp/restore.err &
	fi
	rc_ctl=$!
	# Signal it only once its memory is the image's (its command line is
	# the workload's, no longer ckptctl's): earlier, SIGUSR1 would kill the
	# half-built process; from then on it stays pending until it runs.
	for i in $(seq 1 600); do
		tr '\0' ' ' < "/proc/$rc_pid/cmdline" 2>/dev/null |
			grep -q restore_test && break
		kill -0 "$rc_ctl" 2>/dev/null || break
		sleep 0.1
	done
	if [ -n "$rc_lazy" ] && ! wait_page_server; then
		kill -9 "$rc_pid"
		return 1
	fi
	# The same pid; proc_snap waits for the end of the restore itself.
	proc_snap compare --scope "$rc_scope" "$rc_before" > /tmp/proc.out 2>&1
	rc_proc=$?
	sed 's/^/# proc: /' /tmp/proc.out
	if ! kill -USR1 "$rc_pid"; then
		sed 's/^/# /' /tmp/restore.err
		echo "# restored pid $rc_pid is not running"
		return 1
	fi
	wait "$rc_ctl"
	rc_st=$?
	sed 's/^/# /' /tmp/restore.out /tmp/restore.err
	echo "# restored pid $rc_pid from $rc_area${rc_lazy:+ ($rc_lazy)}; it checked itself: exit status $rc_st"
	if [ -n "$rc_lazy" ] && ! grep -q 'its memory is served lazily by pid' /tmp/restore.out; then
		echo "# the restore had no page server: nothing was restored lazily"
		return 1
	fi
	if [ "$rc_proc" != 0 ]; then
		echo "# /proc of the restored pid $rc_pid differs from before the checkpoint"
		return 1
	fi
	return "$rc_st"
}
