# SPDX-License-Identifier: GPL-2.0
# Copyright (C) 2026 The ckpt authors.
#
# Sourced by the guest's shell tests (reboot_test.sh, migrate_test.sh,
# crash_test.sh).

# proc_snap save PID > FILE: what /proc shows of the workload, taken just
# before its checkpoint, for restore_and_check to compare (proc_state.h).
proc_snap() {
	"$(cd "$(dirname "$0")" && pwd)/proc_snap" "$@"
}

# restore_and_check SOURCE BEFORE SCOPE: restore an image file, or the
# newest committed generation of an area, whose one process is
# restore_test's "reboot" workload; compare /proc of the restored process
# with BEFORE (saved by proc_snap before the checkpoint; SCOPE names this
# restore for the allowlist), and make it check itself (SIGUSR1). Returns
# the workload's verdict, its exit status, or 1 if /proc differs.
restore_and_check() {
	rc_area=$1
	rc_before=$2
	rc_scope=$3
	rc_pid=$(ckptctl show "$rc_area" --json |
		 sed -n 's/.*"tasks": \[{"pid": \([0-9]*\).*/\1/p')
	if [ -z "$rc_pid" ]; then
		echo "# no task in the newest committed generation of $rc_area"
		return 1
	fi
	ckptctl restore "$rc_area" --wait > /tmp/restore.out 2> /tmp/restore.err &
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
	echo "# restored pid $rc_pid from $rc_area; it checked itself: exit status $rc_st"
	if [ "$rc_proc" != 0 ]; then
		echo "# /proc of the restored pid $rc_pid differs from before the checkpoint"
		return 1
	fi
	return "$rc_st"
}
