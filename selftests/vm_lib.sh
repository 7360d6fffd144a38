# SPDX-License-Identifier: GPL-2.0
# Copyright (C) 2026 The ckpt authors.
#
# Sourced by the guest's shell tests (reboot_test.sh, migrate_test.sh,
# crash_test.sh).

# restore_and_check SOURCE: restore an image file, or the newest committed
# generation of an area, whose one process is restore_test's "reboot" workload, and make it check
# itself (SIGUSR1). Returns the workload's verdict, its exit status.
restore_and_check() {
	rc_area=$1
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
	if ! kill -USR1 "$rc_pid"; then
		sed 's/^/# /' /tmp/restore.err
		echo "# restored pid $rc_pid is not running"
		return 1
	fi
	wait "$rc_ctl"
	rc_st=$?
	sed 's/^/# /' /tmp/restore.out /tmp/restore.err
	echo "# restored pid $rc_pid from $rc_area; it checked itself: exit status $rc_st"
	return "$rc_st"
}
