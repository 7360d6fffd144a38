#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Copyright (C) 2026 The ckpt authors.
#
# Migration between two guests (two kernels) on one QEMU socket network.
# 1. Role A: run a self-checking workload, send B what /proc shows of it,
#    `ckptctl dump -o - --kill` it over TCP to B, and check it is gone here.
#    Role B: receive both, restore the image, compare /proc of the restored
#    workload with A's, tell it to check itself, report its verdict; then
#    the same again with --lazy, the received file sent through a pipe
#    (restore - --lazy: the tree starts before the stream ends).
# 2. The mismatch: A's next workload maps /tmp/rs-mapped, which B has too
#    but with other contents. A dumps it to B without --kill; B's restore
#    must refuse, naming the file, and A's workload must still run.
# 3. A served connection moves: tcpx_test's echo server runs on A at a
#    service address 169.254.77.10, tcpx_test's client on B talks to it,
#    A dumps it with --tcp-established --kill to B and gives up the
#    address, B takes the address over and restores the server: the
#    client sees every byte exactly once, no error, no reset.
dir=$(cd "$(dirname "$0")" && pwd)
. "$dir/vm_lib.sh"
role=$1
port=7000
port2=7001
port_proc=7002
port3=7003
svc=169.254.77.10
echo "KTAP version 1"
echo "1..4"
insmod "$dir/../ckpt.ko"
ip link set lo up
ip link set eth0 up

role_a() {
	ip addr add 169.254.77.1/24 dev eth0
	CKPT_RS_WORKLOAD=reboot setsid "$dir/restore_test" &
	pid=$!
	sleep 2
	proc_snap save "$pid" > /tmp/before.proc || return 1
	# B may still be booting: it listens for the snapshot first.
	for i in $(seq 1 90); do
		nc 169.254.77.2 "$port_proc" < /tmp/before.proc 2>/dev/null && break
		sleep 1
	done
	# B may still be setting up its next listener. A dump that cannot reach B fails before
	# --kill (the image is never complete), so the workload runs on and
	# the whole pipeline can simply be tried again.
	for i in $(seq 1 90); do
		ckptctl dump "$pid" -o - --kill 2>/tmp/dump.err | nc 169.254.77.2 "$port" 2>/dev/null
		sleep 1
		if ! kill -0 "$pid" 2>/dev/null || grep -q '^State:.*Z' "/proc/$pid/status"; then
			sed 's/^/# /' /tmp/dump.err
			echo "# sent pid $pid to B (attempt $i) and it is gone here"
			return 0
		fi
	done
	echo "# pid $pid still runs on A"
	return 1
}

# Receive one image on port $1 into $2.
receive() {
	# busybox nc quits when its stdin ends: hold a FIFO open as its stdin,
	# so it runs until A closes the connection.
	rm -f /tmp/hold
	mkfifo /tmp/hold
	nc -l -p "$1" < /tmp/hold > "$2" &
	nc=$!
	exec 3> /tmp/hold
	wait "$nc"
	exec 3>&-
	[ -s "$2" ]
}

role_b() {
	ip addr add 169.254.77.2/24 dev eth0
	receive "$port_proc" /tmp/before.proc || return 1
	receive "$port" /tmp/image || return 1
	ls -l /tmp/image | sed 's/^/# /'
	restore_and_check /tmp/image /tmp/before.proc migrate_test.b || return 1
	# The migrated image again, lazily from a stream, once the first copy has exited.
	restore_and_check /tmp/image /tmp/before.proc migrate_test.b --lazy-stream
}

# A: the mapped-file workload goes to B, without --kill.
mismatch_a() {
	rm -f /tmp/rs-log
	CKPT_RS_WORKLOAD=mapped setsid "$dir/restore_test" &
	pid=$!
	for i in $(seq 1 100); do
		grep -q ready /tmp/rs-log 2>/dev/null && break
		sleep 0.1
	done
	for i in $(seq 1 60); do
		if ckptctl dump "$pid" -o - 2>/tmp/dump.err | nc 169.254.77.2 "$port2" 2>/dev/null &&
		   grep -q written /tmp/dump.err; then
			break
		fi
		sleep 1
	done
	sed 's/^/# /' /tmp/dump.err
	sleep 1
	if kill -0 "$pid" 2>/dev/null && ! grep -q '^State:.*Z' "/proc/$pid/status"; then
		echo "# without --kill, pid $pid still runs on A"
		kill -KILL "$pid"
		return 0
	fi
	echo "# pid $pid is gone from A although --kill was not given"
	return 1
}

# B: the same path holds other bytes here; the restore must refuse.
mismatch_b() {
	dd if=/dev/urandom of=/tmp/rs-mapped bs=65536 count=1 2>/dev/null
	receive "$port2" /tmp/image2 || return 1
	if ckptctl restore /tmp/image2 --wait 2>/tmp/restore.err; then
		echo "# restored although /tmp/rs-mapped differs"
		return 1
	fi
	sed 's/^/# /' /tmp/restore.err
	grep -qE '/tmp/rs-mapped (changed since the checkpoint|is another file now)' /tmp/restore.err
}

# A: the echo server at the service address, dumped to B once the client talks.
tcpx_a() {
	ip addr add "$svc/24" dev eth0
	rm -f /tmp/tx-log
	CKPT_TX_WORKLOAD=server CKPT_TX_ADDR=$svc setsid "$dir/tcpx_test" &
	pid=$!
	for i in $(seq 1 1200); do
		grep -q 'ready 0' /tmp/tx-log 2>/dev/null && break
		sleep 0.1
	done
	if ! grep -q 'ready 0' /tmp/tx-log 2>/dev/null; then
		echo "# the client on B never connected"
		kill -KILL "$pid"
		return 1
	fi
	sleep 1
	# A dump that cannot reach B fails before the kill: the server is
	# continued, its connection released, and the pipeline tried again.
	for i in $(seq 1 60); do
		ckptctl dump "$pid" -o - --kill --tcp-established 2>/tmp/dump.err |
			nc 169.254.77.2 "$port3" 2>/dev/null
		sleep 1
		if ! kill -0 "$pid" 2>/dev/null || grep -q '^State:.*Z' "/proc/$pid/status"; then
			break
		fi
	done
	sed 's/^/# /' /tmp/dump.err
	ip addr del "$svc/24" dev eth0
	ckptctl info | grep -i 'held' | sed 's/^/# A: /'
	if kill -0 "$pid" 2>/dev/null && ! grep -q '^State:.*Z' "/proc/$pid/status"; then
		echo "# the server pid $pid still runs on A"
		return 1
	fi
	echo "# sent the server pid $pid to B and gave up $svc"
}

# Is the restored server running (its memory is the image's: its environment)?
server_back() {
	grep -l 'CKPT_TX_WORKLOAD=server' /proc/[0-9]*/environ > /dev/null 2>&1
}

# B: the client talks to A's server; the server comes here with its address.
tcpx_b() {
	rm -f /tmp/tx-go
	CKPT_TX_WORKLOAD=client CKPT_TX_ADDR=$svc "$dir/tcpx_test" > /tmp/tx-client.out 2>&1 &
	client=$!
	receive "$port3" /tmp/image3 || return 1
	# The address must be here for the restore to bind and connect to it,
	# but until the connection exists again (out of repair mode) no
	# segment of the client may reach it: a local address without the
	# socket answers with a reset. B's module holds nothing (the hold was
	# A's), so a routing rule stands in for it: to the service address,
	# prohibited (the client's retransmissions fail locally, a soft error),
	# ahead of the local table.
	ip rule add from all lookup local pref 100
	ip rule del pref 0
	ip rule add to "$svc" type prohibit pref 5
	ip addr add "$svc/24" dev eth0
	# A new pid namespace: A's pids may be taken here.
	ckptctl restore /tmp/image3 --wait --pidns > /tmp/restore3.out 2> /tmp/restore3.err &
	ctl=$!
	for i in $(seq 1 600); do
		server_back && break
		kill -0 "$ctl" 2>/dev/null || break
		sleep 0.1
	done
	ip rule del pref 5
	server_back || echo "# the restored server never ran"
	sleep 2
	ckptctl info | grep -i 'held' | sed 's/^/# B: /'
	touch /tmp/tx-go
	wait "$client"
	cst=$?
	wait "$ctl"
	rst=$?
	sed 's/^/# /' /tmp/tx-client.out /tmp/restore3.out /tmp/restore3.err
	echo "# client exit $cst, restored server exit $rst"
	[ "$cst" = 0 ] && [ "$rst" = 0 ]
}

if "role_$role"; then
	echo "ok 1 migrate_$role"
else
	echo "not ok 1 migrate_$role"
fi
if "mismatch_$role"; then
	echo "ok 2 mismatch_$role"
else
	echo "not ok 2 mismatch_$role"
fi
if "tcpx_$role"; then
	echo "ok 3 tcpx_$role"
else
	echo "not ok 3 tcpx_$role"
fi
rmmod ckpt
if kernel_quiet; then
	echo "ok 4 kernel_quiet_$role"
else
	echo "not ok 4 kernel_quiet_$role"
fi
echo "# ckpt-guest: done"
