# SPDX-License-Identifier: GPL-2.0
# Copyright (C) 2026 The ckpt authors.
#
# ckpt: module, library, CLI and selftests. `make help` lists the targets.

# The kernel we build for and boot: Debian 12's installed 6.1 generic flavour,
# never `uname -r` (the build machine runs some other kernel).
KVER ?= $(shell ls /lib/modules 2>/dev/null | grep -E '^6\.1\.[0-9]+-[0-9]+-amd64$$' | sort -V | tail -n1)
KDIR ?= /lib/modules/$(KVER)/build
KIMAGE ?= /boot/vmlinuz-$(KVER)
KSRC_TAR ?= /usr/src/linux-source-6.1.tar.xz
FLAVOURS ?= cloud-amd64 rt-amd64

# libckpt's soname: it changes whenever a struct that callers allocate
# changes size (struct libckpt_job grew flush_ns: 1).
SOVERSION := 1
VERSION := $(shell git describe --always --dirty --tags 2>/dev/null || echo 0.1)
O := build
# O= is ours (the output directory), not kbuild's: keep a command-line O=
# from reaching the kernel's Makefile (sub-makes get O= explicitly).
MAKEOVERRIDES := $(filter-out O=%,$(MAKEOVERRIDES))
VM_TIMEOUT ?= 1800
VM_SHORT_TIMEOUT ?= 300
VM_MEM ?= 4G
# The kernel the test VMs boot (check-debug boots its own, drivers built
# in), the module the stage gets, the suite's guest job, and (if set) the
# per-test time limit written into the stage's selftests/settings.
VM_KERNEL ?= --kernel $(KIMAGE) --kver $(KVER)
CKPT_KO ?= kmod/ckpt.ko
SUITE_JOB ?= /opt/ckpt/selftests/run_tests.sh
TEST_TIMEOUT ?=

PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
COMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions
# Where systemd looks for units below PREFIX (systemd-analyze unit-paths).
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
# DKMS wants a plain version: the last tag or 0.1, and the commit.
DKMS_VERSION := $(shell echo '$(VERSION)' | sed -e 's/-dirty$$//' -e 's/[^A-Za-z0-9.+~]/./g')
DKMS_SRC = /usr/src/ckpt-$(DKMS_VERSION)

ifeq ($(V),1)
Q :=
else
Q := @
MAKEFLAGS += --no-print-directory
endif

CC ?= cc
CFLAGS ?= -O2 -g
WARN := -Wall -Wextra -Werror
NL_CFLAGS := $(shell pkg-config --cflags libnl-genl-3.0 2>/dev/null)
NL_LIBS := $(shell pkg-config --libs libnl-genl-3.0 2>/dev/null)
NL_STATIC_LIBS := $(shell pkg-config --static --libs libnl-genl-3.0 2>/dev/null)
USER_CFLAGS := -std=c11 -D_GNU_SOURCE $(WARN) -Iuapi -Ilib/include $(NL_CFLAGS) \
	-DCKPT_VERSION='"$(VERSION)"'

LIB_SRCS := lib/netlink.c lib/info.c lib/notice.c lib/crc32c.c lib/area.c lib/image.c lib/chain.c lib/fdobj.c lib/freeze.c lib/restore.c \
	lib/restore_fds.c lib/restore_locks.c lib/restore_objs.c lib/restore_proc.c lib/restore_timers.c lib/restore_shm.c lib/restore_sysv.c lib/restore_sched.c lib/restore_env.c lib/restore_pstate.c lib/restore_pidfd.c lib/restore_inotify.c lib/restore_tty.c \
	lib/restore_sock.c lib/restore_sock_inet.c lib/restore_lazy.c lib/restore_lazy_serve.c \
	lib/restore_lazy_order.c lib/restore_forked.c
CLI_SRCS := cli/ckptctl.c cli/info.c cli/check.c cli/check_kernel.c cli/area.c cli/show.c cli/freeze.c cli/status.c cli/restore.c cli/dump.c cli/export.c cli/progress.c cli/show_obj.c cli/release.c cli/cmdline.c cli/default_area.c \
	cli/generations.c
LIB_OBJS := $(LIB_SRCS:%.c=$(O)/%.o)
LIB_PIC_OBJS := $(LIB_SRCS:%.c=$(O)/pic/%.o)
CLI_OBJS := $(CLI_SRCS:%.c=$(O)/%.o)
HDRS := uapi/linux/ckpt.h uapi/linux/ckpt_image.h lib/include/libckpt.h lib/internal.h lib/restore.h \
	lib/format.h cli/cli.h

.PHONY: all module lib cli selftests stage check check-flavours deps clean help style \
	bench demo check-reboot check-migrate check-crash install install-dkms \
	uninstall check-install check-suite check-debug check-kernel fuzz fuzz-short \
	fuzz-corpus FORCE

all: module lib cli selftests

help:
	@echo "make deps            install the Debian packages everything needs"
	@echo "make                 build kmod/ckpt.ko, libckpt, ckptctl, selftests"
	@echo "make check           run the selftests on the real module in QEMU"
	@echo "make check-debug     the same on a debug kernel (KASAN, lockdep, ...), built once"
	@echo "make fuzz            fuzz the image reader for FUZZ_TIME seconds (libFuzzer)"
	@echo "make fuzz-corpus     regenerate the fuzz corpus from real images (QEMU)"
	@echo "make demo            checkpoint, kill and restore a counter in QEMU"
	@echo "make bench           the performance targets against CRIU in QEMU (11-15 min; BENCH_ARGS=full: ~2 h)"
	@echo "make check-flavours  build the module for the $(FLAVOURS) headers"
	@echo "make install         module, library, headers, pkg-config, CLI, man page, completion, systemd unit"
	@echo "make install-dkms    the module's source for DKMS (dkms add/build/install)"
	@echo "make check-install   both into a DESTDIR, then verified; DKMS build checked"
	@echo "make check-kernel    on a real machine (no QEMU): ckptctl check --kernel on the running kernel"
	@echo "make style           checkpatch --strict on kmod/ and uapi/"
	@echo "Overrides: KVER=$(KVER) KDIR=$(KDIR) KIMAGE=$(KIMAGE)"

deps:
	apt-get update
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
		build-essential pkg-config git kmod cpio gzip xz-utils \
		linux-headers-amd64 linux-image-amd64 linux-source-6.1 \
		linux-headers-cloud-amd64 linux-headers-rt-amd64 \
		qemu-system-x86 busybox-static libnl-3-dev libnl-genl-3-dev \
		dkms man-db bash-completion criu gnuplot-nox nodejs libglib2.0-dev python3 \
		redis-server \
		clang libclang-rt-14-dev \
		bc flex bison libelf-dev libssl-dev

# --- the module -----------------------------------------------------------

module: kmod/ckpt.ko

kmod/ckpt.ko: FORCE
	@test -d "$(KDIR)" || { echo "no kernel headers in '$(KDIR)': run 'make deps' or set KDIR=" >&2; exit 1; }
	$(Q)$(MAKE) -C $(KDIR) M=$(CURDIR)/kmod CKPT_VERSION=$(VERSION) modules

check-flavours:
	$(Q)set -e; for f in $(FLAVOURS); do \
		kdir=$$(ls -d /lib/modules/6.1.*-$$f/build 2>/dev/null | sort -V | tail -n1); \
		test -d "$$kdir" || { echo "no headers for flavour $$f: run 'make deps'" >&2; exit 1; }; \
		d=$(CURDIR)/$(O)/flavour-$$f; rm -rf $$d; mkdir -p $$d; \
		cp -r kmod uapi $$d/; rm -f $$d/kmod/*.o $$d/kmod/*.ko; \
		$(MAKE) -C $$kdir M=$$d/kmod CKPT_VERSION=$(VERSION) modules; \
		echo "flavour $$f: built against $$kdir"; \
	done

# --- userspace ------------------------------------------------------------

lib: $(O)/libckpt.a $(O)/libckpt.so $(O)/libckpt.pc

$(O)/%.o: %.c $(HDRS)
	@mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(USER_CFLAGS) -c -o $@ $<

$(O)/pic/%.o: %.c $(HDRS)
	@mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(USER_CFLAGS) -fPIC -fvisibility=hidden \
		-DLIBCKPT_SHARED -c -o $@ $<

$(O)/libckpt.a: $(LIB_OBJS)
	$(Q)rm -f $@ && ar rcs $@ $^

$(O)/libckpt.so: $(LIB_PIC_OBJS) lib/libckpt.map
	$(Q)$(CC) -shared -Wl,-soname,libckpt.so.$(SOVERSION) \
		-Wl,--version-script=lib/libckpt.map -o $@ $(LIB_PIC_OBJS) $(NL_LIBS)

$(O)/libckpt.pc: lib/libckpt.pc.in
	$(Q)sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
		-e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(VERSION)|' \
		$< > $@

cli: $(O)/ckptctl $(O)/ckptctl-static

$(O)/ckptctl: $(CLI_OBJS) $(O)/libckpt.a
	$(Q)$(CC) $(CFLAGS) -o $@ $(CLI_OBJS) $(O)/libckpt.a $(NL_LIBS)

# The guest has no shared libraries: it gets a static ckptctl.
$(O)/ckptctl-static: $(CLI_OBJS) $(O)/libckpt.a
	$(Q)$(CC) $(CFLAGS) -static -o $@ $(CLI_OBJS) $(O)/libckpt.a $(NL_STATIC_LIBS)

# --- install --------------------------------------------------------------
# DESTDIR stages the whole tree (packaging, tests); without it the module
# index and the linker cache are refreshed.

install: all
	install -D -m 0644 kmod/ckpt.ko $(DESTDIR)/lib/modules/$(KVER)/updates/ckpt.ko
	install -D -m 0755 $(O)/ckptctl $(DESTDIR)$(BINDIR)/ckptctl
	install -D -m 0644 $(O)/libckpt.a $(DESTDIR)$(LIBDIR)/libckpt.a
	install -D -m 0755 $(O)/libckpt.so $(DESTDIR)$(LIBDIR)/libckpt.so.$(SOVERSION)
	ln -sf libckpt.so.$(SOVERSION) $(DESTDIR)$(LIBDIR)/libckpt.so
	install -D -m 0644 $(O)/libckpt.pc $(DESTDIR)$(LIBDIR)/pkgconfig/libckpt.pc
	install -D -m 0644 lib/include/libckpt.h $(DESTDIR)$(INCLUDEDIR)/libckpt.h
	install -D -m 0644 uapi/linux/ckpt.h $(DESTDIR)$(INCLUDEDIR)/linux/ckpt.h
	install -D -m 0644 uapi/linux/ckpt_image.h $(DESTDIR)$(INCLUDEDIR)/linux/ckpt_image.h
	install -D -m 0644 Documentation/ckptctl.8 $(DESTDIR)$(MANDIR)/man8/ckptctl.8
	install -D -m 0644 cli/ckptctl.bash-completion $(DESTDIR)$(COMPLETIONDIR)/ckptctl
	install -d $(DESTDIR)$(SYSTEMDUNITDIR)
	sed 's|@BINDIR@|$(BINDIR)|' systemd/ckpt-periodic@.service.in \
		> $(DESTDIR)$(SYSTEMDUNITDIR)/ckpt-periodic@.service
	$(Q)if [ -z "$(DESTDIR)" ]; then depmod -a $(KVER); ldconfig; fi

install-dkms:
	$(Q)rm -rf $(DESTDIR)$(DKMS_SRC)
	install -d $(DESTDIR)$(DKMS_SRC)/kmod $(DESTDIR)$(DKMS_SRC)/uapi/linux
	install -m 0644 kmod/Kbuild kmod/*.c kmod/*.h $(DESTDIR)$(DKMS_SRC)/kmod/
	install -m 0644 uapi/linux/ckpt.h uapi/linux/ckpt_image.h $(DESTDIR)$(DKMS_SRC)/uapi/linux/
	sed 's/@VERSION@/$(DKMS_VERSION)/' dkms/dkms.conf.in > $(DESTDIR)$(DKMS_SRC)/dkms.conf
	$(Q)if [ -z "$(DESTDIR)" ]; then dkms install ckpt/$(DKMS_VERSION); fi

uninstall:
	rm -f $(DESTDIR)/lib/modules/$(KVER)/updates/ckpt.ko $(DESTDIR)$(BINDIR)/ckptctl \
		$(DESTDIR)$(LIBDIR)/libckpt.a $(DESTDIR)$(LIBDIR)/libckpt.so.$(SOVERSION) \
		$(DESTDIR)$(LIBDIR)/libckpt.so $(DESTDIR)$(LIBDIR)/pkgconfig/libckpt.pc \
		$(DESTDIR)$(INCLUDEDIR)/libckpt.h $(DESTDIR)$(INCLUDEDIR)/linux/ckpt.h \
		$(DESTDIR)$(INCLUDEDIR)/linux/ckpt_image.h $(DESTDIR)$(MANDIR)/man8/ckptctl.8 \
		$(DESTDIR)$(COMPLETIONDIR)/ckptctl $(DESTDIR)$(SYSTEMDUNITDIR)/ckpt-periodic@.service

# Both installs into a scratch DESTDIR, checked from the outside.
check-install: all
	$(Q)selftests/install_test.sh $(CURDIR)/$(O)/install-test $(KVER) $(DKMS_VERSION)

# After a kernel update, on the machine itself (no QEMU): is the module,
# built for the running kernel (not KVER: a new kernel may be installed and
# not yet booted), still right on it? `ckptctl check --kernel` exercises the
# mm behaviour the snapshot relies on. A loaded ckpt module (DKMS's, say) is
# the one tested; otherwise the fresh build is loaded for the run and
# unloaded after it, which needs root.
RUNNING_KVER := $(shell uname -r)
check-kernel:
	$(Q)test -d /lib/modules/$(RUNNING_KVER)/build || { \
		echo "check-kernel: no headers for the running kernel $(RUNNING_KVER): install linux-headers-$(RUNNING_KVER)" >&2; \
		exit 1; }
	$(Q)$(MAKE) KVER=$(RUNNING_KVER) module cli
	$(Q)loaded=; \
	if grep -q '^ckpt ' /proc/modules 2>/dev/null; then \
		echo "check-kernel: testing the ckpt module already loaded" \
			"(version $$(cat /sys/module/ckpt/version 2>/dev/null || echo unknown)), not this build"; \
	elif [ "$$(id -u)" != 0 ]; then \
		echo "check-kernel: the ckpt module is not loaded, and loading kmod/ckpt.ko needs root:" \
			"run 'sudo make check-kernel', or load the module first" >&2; \
		exit 1; \
	else \
		insmod kmod/ckpt.ko || { \
			echo "check-kernel: cannot load kmod/ckpt.ko into $(RUNNING_KVER) (see above)" >&2; \
			exit 1; }; \
		loaded=1; \
	fi; \
	st=0; $(O)/ckptctl check --kernel || st=$$?; \
	if [ -n "$$loaded" ] && ! rmmod ckpt; then \
		echo "check-kernel: could not unload the ckpt module it loaded" >&2; st=1; \
	fi; \
	exit $$st

# --- selftests ------------------------------------------------------------

selftests: $(O)/libckpt.a
	$(Q)$(MAKE) -C selftests O=$(CURDIR)/$(O)/selftests \
		KSRC_TAR=$(KSRC_TAR) LIBCKPT=$(CURDIR)/$(O)/libckpt.a \
		VERSION=$(VERSION)

# Everything the guest gets, laid out as its root filesystem.
STAGE := $(O)/stage
stage: all
	$(Q)rm -rf $(STAGE) && mkdir -p $(STAGE)/usr/bin $(STAGE)/opt/ckpt
	$(Q)cp $(O)/ckptctl-static $(STAGE)/usr/bin/ckptctl
	$(Q)cp $(CKPT_KO) $(STAGE)/opt/ckpt/ckpt.ko
	$(Q)cp -r $(O)/selftests/install $(STAGE)/opt/ckpt/selftests
	$(Q)mkdir -p $(STAGE)/opt/ckpt/qemu && cp selftests/qemu/debug-suite.sh $(STAGE)/opt/ckpt/qemu/
	$(Q)selftests/stage_node.sh $(STAGE)
	$(Q)selftests/stage_python.sh $(STAGE)
	$(Q)selftests/stage_bins.sh $(STAGE) /usr/bin/redis-server
	$(Q)$(if $(TEST_TIMEOUT),echo timeout=$(TEST_TIMEOUT) > $(STAGE)/opt/ckpt/selftests/settings)

# Restore after a reboot: two boots (two kernel instances) share a virtio
# disk holding the area; the second restores what the first checkpointed.
# A second disk carries what /proc showed of the workload before.
check-reboot: stage
	$(Q)rm -rf $(O)/vm-reboot && mkdir -p $(O)/vm-reboot
	$(Q)truncate -s 256M $(O)/vm-reboot/disk.img
	$(Q)truncate -s 4M $(O)/vm-reboot/carry.img
	$(Q)for phase in phase1 phase2; do \
		echo "reboot test, $$phase:"; \
		selftests/qemu/vm.sh $(VM_KERNEL) \
			--stage $(STAGE) --out $(O)/vm-reboot/$$phase \
			--timeout $(VM_SHORT_TIMEOUT) --mem $(VM_MEM) \
			--disk $(O)/vm-reboot/disk.img --disk $(O)/vm-reboot/carry.img \
			-- /opt/ckpt/selftests/reboot_test.sh $$phase || exit 1; \
	done
	$(Q)rm -f $(O)/vm-reboot/disk.img $(O)/vm-reboot/carry.img

# Crash consistency and write errors of areas on virtio disks: boot 1 is
# reset (sysrq-b, no sync) while generation 2 streams on vda and while a
# superblock update on vdc is stopped between its two copies; boot 2 finds 1
# committed and 2 incomplete on vda and restores 1, restores from each
# superblock copy of vdc in turn, and writes an area on vdb, a disk that
# fails every write to one sector (QEMU's blkdebug driver; boot 1 gets it
# plain, so vdc is vdc in both). vdd carries what /proc showed of boot 1's
# workloads before their checkpoints.
CRASH := $(O)/vm-crash
check-crash: stage
	$(Q)rm -rf $(CRASH) && mkdir -p $(CRASH)
	$(Q)truncate -s 256M $(CRASH)/disk.img $(CRASH)/eio.img $(CRASH)/sb.img
	$(Q)truncate -s 4M $(CRASH)/carry.img
	$(Q)printf '[inject-error]\nevent = "write_aio"\nerrno = "5"\nsector = "131072"\n' \
		> $(CRASH)/blkdebug.conf
	$(Q)echo "crash test, boot 1 (reset while streaming, and mid-superblock):"; \
	selftests/qemu/vm.sh $(VM_KERNEL) --stage $(STAGE) \
		--out $(CRASH)/boot1 --timeout $(VM_SHORT_TIMEOUT) --mem $(VM_MEM) \
		--disk $(CRASH)/disk.img --disk $(CRASH)/eio.img --disk $(CRASH)/sb.img \
		--disk $(CRASH)/carry.img \
		-- /opt/ckpt/selftests/crash_test.sh midstream sbpause
	$(Q)echo "crash test, boot 2 (after the reset; superblock copies; a failing sector):"; \
	selftests/qemu/vm.sh $(VM_KERNEL) --stage $(STAGE) \
		--out $(CRASH)/boot2 --timeout $(VM_SHORT_TIMEOUT) --mem $(VM_MEM) \
		--disk $(CRASH)/disk.img --qemu-arg -drive --qemu-arg \
		file=blkdebug:$(CURDIR)/$(CRASH)/blkdebug.conf:$(CURDIR)/$(CRASH)/eio.img,format=raw,if=virtio,cache=unsafe \
		--qemu-arg -drive --qemu-arg file=$(CURDIR)/$(CRASH)/sb.img,format=raw,if=virtio,cache=unsafe \
		--qemu-arg -drive --qemu-arg file=$(CURDIR)/$(CRASH)/carry.img,format=raw,if=virtio,cache=unsafe \
		-- /opt/ckpt/selftests/crash_test.sh afterwards sbafter eio
	$(Q)rm -f $(CRASH)/disk.img $(CRASH)/eio.img $(CRASH)/sb.img $(CRASH)/carry.img

# Migration: two guests (two kernels) on one QEMU socket network, which is
# a TCP connection on this machine's loopback; B listens, A connects.
MIGRATE_PORT := $(shell echo $$((20000 + $$$$ % 20000)))
check-migrate: stage
	$(Q)rm -rf $(O)/vm-migrate && mkdir -p $(O)/vm-migrate
	$(Q)echo "migration test, guests A and B:"; \
	selftests/qemu/vm.sh $(VM_KERNEL) --stage $(STAGE) \
		--out $(O)/vm-migrate/b --timeout $(VM_SHORT_TIMEOUT) --mem $(VM_MEM) \
		--qemu-arg -netdev --qemu-arg socket,id=n0,listen=127.0.0.1:$(MIGRATE_PORT) \
		--qemu-arg -device --qemu-arg virtio-net-pci,netdev=n0,mac=52:54:00:77:00:02,romfile= \
		-- /opt/ckpt/selftests/migrate_test.sh b > $(O)/vm-migrate/b.log 2>&1 & b=$$!; \
	sleep 2; \
	selftests/qemu/vm.sh $(VM_KERNEL) --stage $(STAGE) \
		--out $(O)/vm-migrate/a --timeout $(VM_SHORT_TIMEOUT) --mem $(VM_MEM) \
		--qemu-arg -netdev --qemu-arg socket,id=n0,connect=127.0.0.1:$(MIGRATE_PORT) \
		--qemu-arg -device --qemu-arg virtio-net-pci,netdev=n0,mac=52:54:00:77:00:01,romfile= \
		-- /opt/ckpt/selftests/migrate_test.sh a; a=$$?; \
	wait $$b; bst=$$?; cat $(O)/vm-migrate/b.log; \
	test $$a -eq 0 && test $$bst -eq 0

check: stage check-install fuzz-short check-reboot check-migrate check-crash \
	check-suite

# Every test of selftests/Makefile's list in one guest.
check-suite: stage
	$(Q)selftests/qemu/vm.sh $(VM_KERNEL) \
		--stage $(STAGE) --out $(O)/vm-check --timeout $(VM_TIMEOUT) \
		--mem $(VM_MEM) -- $(SUITE_JOB)

# --- the debug kernel -------------------------------------------------------
# A 6.1 kernel from Debian's linux-source-6.1 with KASAN, lockdep/PROVE_RCU,
# DEBUG_VM, DEBUG_ATOMIC_SLEEP and kmemleak (selftests/qemu/debug.config),
# built once into DEBUG_CACHE (outside $(O): `make clean` keeps it). The
# module is built against it in a copy, then the reboot, migration, crash and main
# suites run on it with their userspace in $(O)/debug; the main suite ends
# with a kmemleak scan (selftests/qemu/debug-suite.sh). Everything runs
# two to three times slower than on Debian's kernel: the limits are wider.
#
# The guest boots with no5lvl. With 5-level paging, 6.1's identify_cpu()
# clears boot_cpu_data's X86_FEATURE_LA57 for a moment with interrupts on,
# and an interrupt in that window makes KASAN's addr_has_metadata() use the
# 4-level KASAN_SHADOW_START (it follows pgtable_l5_enabled()): a false
# "wild-memory-access" in the irq handler's spin lock, seen once in some
# thirty boots under `-cpu max`, before ckpt.ko was loaded.
DEBUG_CACHE ?= $(HOME)/.cache/ckpt
DEBUG_VM_TIMEOUT ?= 10800
DEBUG_SHORT_TIMEOUT ?= 1800
DEBUG_TEST_TIMEOUT ?= 1800
DEBUG_JOBS ?= $(shell nproc)
# KASAN's shadow (an eighth of memory) and kmemleak's pool leave a 4 GiB
# guest too little for the 1 GiB tests' workload, its area in tmpfs and
# the memory its checkpoint may need (the module refused: 674 MiB left).
DEBUG_VM_MEM ?= 8G
# Which of the scenarios run on it (all by default), and which of the
# suite's test programs (empty: all).
DEBUG_CHECKS ?= check-reboot check-migrate check-crash check-suite
DEBUG_TESTS ?=

check-debug:
	$(Q)set -e; \
	kdir=$$(JOBS=$(DEBUG_JOBS) selftests/qemu/debug-kernel.sh $(KSRC_TAR) $(DEBUG_CACHE)); \
	d=$(CURDIR)/$(O)/debug/kmod-build; rm -rf $$d; mkdir -p $$d; \
	cp -r kmod uapi $$d/; rm -f $$d/kmod/*.o $$d/kmod/*.ko; \
	$(MAKE) -C $$kdir M=$$d/kmod CKPT_VERSION=$(VERSION) modules; \
	echo "check-debug: kernel $$kdir/arch/x86/boot/bzImage"; \
	$(MAKE) O=$(O)/debug CKPT_KO=$$d/kmod/ckpt.ko \
		VM_KERNEL="--kernel $$kdir/arch/x86/boot/bzImage --builtin --append no5lvl" \
		VM_TIMEOUT=$(DEBUG_VM_TIMEOUT) VM_SHORT_TIMEOUT=$(DEBUG_SHORT_TIMEOUT) \
		TEST_TIMEOUT=$(DEBUG_TEST_TIMEOUT) VM_MEM=$(DEBUG_VM_MEM) \
		SUITE_JOB="/opt/ckpt/qemu/debug-suite.sh $(DEBUG_TESTS)" $(DEBUG_CHECKS)

# --- fuzzing ----------------------------------------------------------------
# libFuzzer (clang) with ASan and UBSan on the image and area readers, on
# the host. selftests/fuzz/corpus holds real images (`make fuzz-corpus`);
# what a run adds stays in $(O)/fuzz/corpus, crashes in $(O)/fuzz/artifacts.
FUZZ_CC ?= clang
FUZZ_TIME ?= 600
FUZZ_CHECK_TIME ?= 30
FUZZ := $(O)/fuzz/image_fuzz
FUZZ_SRCS := selftests/fuzz/image_fuzz.c lib/image.c lib/fdobj.c lib/area.c lib/crc32c.c
FUZZ_RUN = selftests/fuzz/run-fuzz.sh $(FUZZ) $(O)/fuzz

$(FUZZ): $(FUZZ_SRCS) $(HDRS)
	@mkdir -p $(@D)
	$(Q)$(FUZZ_CC) -g -O1 -std=c11 -D_GNU_SOURCE $(WARN) \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-Iuapi -Ilib/include -Ilib -o $@ $(FUZZ_SRCS)

fuzz: $(FUZZ)
	$(Q)$(FUZZ_RUN) $(FUZZ_TIME)

# The bounded pass of `make check`.
fuzz-short: $(FUZZ)
	$(Q)$(FUZZ_RUN) $(FUZZ_CHECK_TIME)

# Real images for the corpus, from the real module in a guest; the area
# loses the zeros at its end (the fuzz target puts them back). Version-1
# areas (*-v1.area), which no module writes any more, are kept.
FUZZ_WORKLOAD := $(O)/fuzz/workload
$(FUZZ_WORKLOAD): selftests/fuzz/workload.c
	@mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -std=c11 -D_GNU_SOURCE $(WARN) -static -o $@ $< -lpthread

fuzz-corpus: stage $(FUZZ_WORKLOAD)
	$(Q)mkdir -p $(STAGE)/opt/ckpt/fuzz
	$(Q)cp $(FUZZ_WORKLOAD) selftests/fuzz/gen-corpus.sh $(STAGE)/opt/ckpt/fuzz/
	$(Q)rm -rf $(O)/vm-corpus && mkdir -p $(O)/vm-corpus/images
	$(Q)truncate -s 64M $(O)/vm-corpus/disk.img
	$(Q)selftests/qemu/vm.sh $(VM_KERNEL) --stage $(STAGE) \
		--out $(O)/vm-corpus --timeout $(VM_SHORT_TIMEOUT) --mem $(VM_MEM) \
		--disk $(O)/vm-corpus/disk.img -- /opt/ckpt/fuzz/gen-corpus.sh
	$(Q)tar -xf $(O)/vm-corpus/disk.img -C $(O)/vm-corpus/images
	$(Q)rm -f $(O)/vm-corpus/disk.img
	$(Q)selftests/fuzz/compact-area.sh $(O)/vm-corpus/images/two.area
	$(Q)mkdir -p selftests/fuzz/corpus && \
		find selftests/fuzz/corpus -type f ! -name '*-v1.area' -delete
	$(Q)cp $(O)/vm-corpus/images/* selftests/fuzz/corpus/
	$(Q)ls -l selftests/fuzz/corpus

# --- bench ----------------------------------------------------------------
# Measurements, never assertions (Documentation/performance.md). The guest
# gets the stage plus the bench (not in tests.list) and a sparse virtio disk.
BENCH_MEM ?= 6G
BENCH_TIMEOUT ?= 9000
BENCH_DISK_SIZE ?= 4G
BENCH_ARGS ?=
# Extra guest kernel arguments, for experiments (e.g. init_on_alloc=0).
BENCH_APPEND ?=
BENCH := $(O)/bench/ckpt_bench

$(BENCH): selftests/bench/ckpt_bench.c $(O)/libckpt.a $(HDRS)
	@mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(USER_CFLAGS) -static -o $@ $< $(O)/libckpt.a \
		$(NL_STATIC_LIBS) -lpthread

bench: stage $(BENCH)
	$(Q)mkdir -p $(STAGE)/opt/ckpt/bench
	$(Q)cp $(BENCH) selftests/bench/run_bench.sh $(STAGE)/opt/ckpt/bench/
	$(Q)selftests/bench/stage_criu.sh $(STAGE)
	$(Q)rm -f $(O)/bench/disk.img && truncate -s $(BENCH_DISK_SIZE) $(O)/bench/disk.img
	$(Q)st=0; selftests/qemu/vm.sh --kernel $(KIMAGE) --kver $(KVER) \
		--stage $(STAGE) --out $(O)/bench/vm --timeout $(BENCH_TIMEOUT) \
		--mem $(BENCH_MEM) --disk $(O)/bench/disk.img \
		--module nf_tables --module veth \
		$(foreach a,$(BENCH_APPEND),--append $(a)) \
		-- /opt/ckpt/bench/run_bench.sh $(BENCH_ARGS) || st=$$?; \
	rm -f $(O)/bench/disk.img; \
	selftests/bench/report.sh $(O)/bench/vm/results.ktap $(O)/bench/results.csv \
		$(O)/bench/targets.txt || st=1; \
	selftests/bench/plot.sh $(O)/bench/results.csv $(O)/bench/downtime.png || st=1; \
	echo "bench: raw results in $(O)/bench/results.csv, plot $(O)/bench/downtime.png, log in $(O)/bench/vm/"; \
	exit $$st

# --- demo -----------------------------------------------------------------
# The README's main job: a counter checkpointed, killed and restored in the
# VM; the guest console (the counter's story) is shown as it happens.
DEMO := $(O)/demo/counter

$(DEMO): demo/counter.c
	@mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -std=c11 -D_GNU_SOURCE $(WARN) -static -o $@ $<

demo: stage $(DEMO)
	$(Q)mkdir -p $(STAGE)/opt/ckpt/demo
	$(Q)cp $(DEMO) demo/demo.sh $(STAGE)/opt/ckpt/demo/
	$(Q){ selftests/qemu/vm.sh --kernel $(KIMAGE) --kver $(KVER) \
		--stage $(STAGE) --out $(O)/demo/vm --timeout 300 --console \
		-- /opt/ckpt/demo/demo.sh 2>&1; echo $$? > $(O)/demo/status; } | \
		grep -E 'demo:|counter\[|^vm: |^selftests:'; \
	exit $$(cat $(O)/demo/status)

# checkpatch from Debian's linux-source-6.1, on our sources only.
CHECKPATCH := $(O)/checkpatch/scripts/checkpatch.pl
$(CHECKPATCH):
	@mkdir -p $(O)/checkpatch
	$(Q)tar -xJf $(KSRC_TAR) -C $(O)/checkpatch --strip-components=1 \
		linux-source-6.1/scripts/checkpatch.pl \
		linux-source-6.1/scripts/spelling.txt \
		linux-source-6.1/scripts/const_structs.checkpatch

style: $(CHECKPATCH)
	$(Q)perl $(CHECKPATCH) --no-tree --strict --terse -f \
		$(filter-out kmod/%.mod.c,$(wildcard kmod/*.c)) kmod/*.h
	@# BIT() does not exist for userspace: uapi headers spell out shifts.
	$(Q)perl $(CHECKPATCH) --no-tree --strict --terse --ignore BIT_MACRO \
		-f uapi/linux/*.h

clean:
	$(Q)$(MAKE) -C $(KDIR) M=$(CURDIR)/kmod clean 2>/dev/null || true
	$(Q)rm -rf $(O)

FORCE:
