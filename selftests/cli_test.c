// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * ckptctl as a user sees it, on the real module: every subcommand's
 * --help, usage and refusal messages and their exit codes, the GNU option
 * forms (--opt=value, -oFILE, abbreviations, --), --json, the default
 * area's refusals (no room, too small), the progress line, export of an
 * area generation that then restores a real program (busybox sleep) with
 * its pid, and check --kernel.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "test_util.h"

#define CKPTCTL	"/usr/bin/ckptctl"
#define AREA	"/tmp/cli-area"
#define IMG	"/tmp/cli-image"
#define OUT_SIZE 8192

static const char *const subcommands[] = {
	"info", "check", "freeze", "status", "dump", "restore", "area", "show",
	"export", "release-tcp",
};

/* Every subcommand explains itself and exits 0; usage errors exit 2. */
TEST(help_and_usage)
{
	char cmd[256], out[OUT_SIZE], want[64];
	unsigned int i;

	if (access(CKPTCTL, X_OK))
		SKIP(return, "%s not installed", CKPTCTL);
	for (i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++) {
		snprintf(cmd, sizeof(cmd), CKPTCTL " %s --help 2>&1", subcommands[i]);
		EXPECT_EQ(0, run_cmd(cmd, out, sizeof(out))) TH_LOG("%s", cmd);
		snprintf(want, sizeof(want), "Usage: ckptctl %s", subcommands[i]);
		EXPECT_NE(NULL, strstr(out, want)) TH_LOG("%s: %s", cmd, out);
	}
	EXPECT_EQ(0, run_cmd(CKPTCTL " --help 2>&1", out, sizeof(out)));
	EXPECT_NE(NULL, strstr(out, "export")) TH_LOG("%s", out);
	EXPECT_EQ(2, run_cmd(CKPTCTL " frobnicate 2>&1", out, sizeof(out)));
	EXPECT_EQ(2, run_cmd(CKPTCTL " dump 12x -o /tmp/x 2>&1", out, sizeof(out)));
	EXPECT_NE(NULL, strstr(out, "'12x' is not a process group id")) TH_LOG("%s", out);
	EXPECT_EQ(2, run_cmd(CKPTCTL " dump 1 -o /tmp/x --kill --leave-stopped 2>&1", out,
			     sizeof(out)));
}

/* A usage error, the first line of what it says. */
static const struct {
	const char *args;
	const char *first_line;
} usage_errors[] = {
	{ "freeze", "ckptctl freeze: missing <pgid>" },
	{ "freeze 1 --rate x", "ckptctl freeze: --rate: 'x' is not a rate in bytes/s" },
	{ "freeze 1 --ghost-limit=65M", "ckptctl freeze: --ghost-limit: '65M' is not 1 byte to 64M" },
	{ "freeze 1 --area", "ckptctl freeze: option '--area' requires an argument" },
	{ "freeze 1 2", "ckptctl freeze: unexpected argument '2'" },
	{ "freeze 1 --every 5x", "ckptctl freeze: --every: '5x' is not an interval of 1s to 7 days" },
	{ "freeze 1 --every 0", "ckptctl freeze: --every: '0' is not an interval" },
	{ "freeze 1 --every 8d", "ckptctl freeze: --every: '8d' is not an interval" },
	{ "freeze 1 --keep 2", "ckptctl freeze: --keep goes with --every" },
	{ "freeze 1 --every 1s --keep 17", "ckptctl freeze: --keep: '17' is not 1 to 16" },
	{ "restore --s 1", "ckptctl restore: option '--s' is ambiguous" },
	{ "restore", "ckptctl restore: missing the image" },
	{ "restore --area=/tmp/cli-none /tmp/cli-none", "ckptctl restore: --area goes with a <pgid>" },
	{ "restore /tmp/cli-none --lazy-rate 1M", "ckptctl restore: --lazy-rate goes with --lazy" },
	{ "restore /tmp/cli-none --lazy --lazy-rate 5x",
	  "ckptctl restore: --lazy-rate: '5x' is not a rate in bytes/s" },
	{ "dump 1 -o /tmp/cli-x --bogus", "ckptctl dump: unrecognized option '--bogus'" },
	{ "dump 1", "ckptctl dump: missing -o FILE|-" },
	{ "dump 1 -o", "ckptctl dump: option requires an argument -- 'o'" },
	{ "dump 1 -o- --kill --leave", "ckptctl dump: --kill and --leave-stopped exclude each other" },
	{ "info extra", "ckptctl info: unexpected argument 'extra'" },
	{ "status --json=1", "ckptctl status: option '--json' doesn't allow an argument" },
	{ "check --kernel 1", "ckptctl check: unexpected argument '1'" },
	{ "area", "ckptctl area: missing create or info" },
	{ "area create /tmp/cli-x", "ckptctl area create: missing --size" },
	{ "area create /tmp/cli-x --size=12Q", "ckptctl area create: --size: '12Q' is not a size" },
	{ "area info", "ckptctl area info: missing <path>" },
	{ "export /tmp/cli-none", "ckptctl export: missing -o FILE|-" },
	{ "release-tcp", "ckptctl release-tcp: missing <job> (or --all)" },
	{ "release-tcp x", "ckptctl release-tcp: 'x' is not a job number" },
	{ "show a b", "ckptctl show: unexpected argument 'b'" },
	{ "--bogus", "ckptctl: unrecognized option '--bogus'" },
	{ "", "ckptctl: missing <command>" },
};

/*
 * Every usage error says what is wrong on its first line, then points to
 * --help, and exits 2: missing operands and option values, bad values,
 * unknown and ambiguous options, extra operands.
 */
TEST(usage_errors_first_line)
{
	char cmd[256], out[OUT_SIZE];
	unsigned int i;

	if (access(CKPTCTL, X_OK))
		SKIP(return, "%s not installed", CKPTCTL);
	for (i = 0; i < sizeof(usage_errors) / sizeof(usage_errors[0]); i++) {
		snprintf(cmd, sizeof(cmd), CKPTCTL " %s 2>&1", usage_errors[i].args);
		EXPECT_EQ(2, run_cmd(cmd, out, sizeof(out))) TH_LOG("%s: %s", cmd, out);
		EXPECT_EQ(0, strncmp(out, usage_errors[i].first_line,
				     strlen(usage_errors[i].first_line)))
			TH_LOG("%s: %s", cmd, out);
		EXPECT_NE(NULL, strstr(out, "--help")) TH_LOG("%s: %s", cmd, out);
	}
	/* Abbreviated --help, and --help after operands, still explain. */
	EXPECT_EQ(0, run_cmd(CKPTCTL " restore 1 --he", out, sizeof(out)));
	EXPECT_EQ(0, strncmp(out, "Usage: ckptctl restore", 22)) TH_LOG("%s", out);
	EXPECT_EQ(0, run_cmd(CKPTCTL " check --kernel --help", out, sizeof(out)));
	EXPECT_EQ(0, strncmp(out, "Usage: ckptctl check --kernel", 29)) TH_LOG("%s", out);
}

#define AREA2	"/tmp/cli-area2"

/* area create prints what it made, as text or JSON, its size rounded. */
TEST(area_create_json)
{
	char out[OUT_SIZE];

	if (access(CKPTCTL, X_OK))
		SKIP(return, "%s not installed", CKPTCTL);
	unlink(AREA2);
	/* Options first, and "--" before the operand. */
	ASSERT_EQ(0, run_cmd(CKPTCTL " area create --json --size=8M -- " AREA2 " 2>&1", out,
			     sizeof(out))) TH_LOG("%s", out);
	EXPECT_EQ(0, strcmp(out, "{\"area\": \"" AREA2 "\", \"size\": 8388608, "
			    "\"data_offset\": 8192, \"data_size\": 8380416}\n")) TH_LOG("%s", out);
	unlink(AREA2);
	ASSERT_EQ(0, run_cmd(CKPTCTL " area create " AREA2 " --size 12345678 2>&1", out,
			     sizeof(out))) TH_LOG("%s", out);
	EXPECT_EQ(0, strcmp(out, "created area " AREA2 ": 12345344 bytes (11 MiB), "
			    "11 MiB for images\n")) TH_LOG("%s", out);
	ASSERT_EQ(0, run_cmd(CKPTCTL " area info --js " AREA2, out, sizeof(out)));
	EXPECT_NE(NULL, strstr(out, "\"size\": 12345344")) TH_LOG("%s", out);
	unlink(AREA2);
}

/* Refusals name the object and the reason, and exit 1. */
TEST(errors_name_object_and_reason)
{
	char out[OUT_SIZE];

	if (access(CKPTCTL, X_OK))
		SKIP(return, "%s not installed", CKPTCTL);
	EXPECT_EQ(1, run_cmd(CKPTCTL " check 999999 2>&1", out, sizeof(out)));
	EXPECT_NE(NULL, strstr(out, "process group 999999")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "no process has this process group id")) TH_LOG("%s", out);
	EXPECT_EQ(1, run_cmd(CKPTCTL " check 999999 --session 2>&1", out, sizeof(out)));
	EXPECT_NE(NULL, strstr(out, "session 999999")) TH_LOG("%s", out);
	EXPECT_EQ(1, run_cmd(CKPTCTL " restore /tmp/no-such-image 2>&1", out, sizeof(out)));
	EXPECT_NE(NULL, strstr(out, "/tmp/no-such-image")) TH_LOG("%s", out);
	TH_LOG("as a user sees it: %s", out);
}

static pid_t start_sleeper(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		setsid();
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		close_range(3, ~0U, 0);
		execl("/bin/busybox", "sleep", "1000", (char *)NULL);
		_exit(127);
	}
	usleep(300000);
	return pid;
}

/* A group of its own holding 8 MiB of written anonymous memory. */
static pid_t start_holder(void)
{
	size_t len = 8 << 20;
	pid_t pid = fork();
	char *p;

	if (pid == 0) {
		setsid();
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			_exit(1);
		memset(p, 0x5a, len);
		for (;;)
			pause();
	}
	usleep(300000);
	return pid;
}

#define SMALLFS	"/tmp/cli-smallfs"

/*
 * The default area is not made where the filesystem has no room for it,
 * and an existing one too small for the group is named, with the sizes,
 * and left as it was: the group's freeze is refused either way.
 */
TEST(default_area_refusals)
{
	char cmd[256], out[OUT_SIZE];
	struct stat st;
	pid_t pid;

	if (access(CKPTCTL, X_OK))
		SKIP(return, "%s not installed", CKPTCTL);
	pid = start_holder();
	mkdir(SMALLFS, 0700);
	ASSERT_EQ(0, mount("tmpfs", SMALLFS, "tmpfs", 0, "size=16m"));
	snprintf(cmd, sizeof(cmd), "CKPT_AREA=" SMALLFS "/ckpt/default.area " CKPTCTL
		 " freeze %d 2>&1", pid);
	EXPECT_EQ(1, run_cmd(cmd, out, sizeof(out))) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "no room for the default area " SMALLFS
			       "/ckpt/default.area: it needs 64 MiB")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, SMALLFS "/ckpt has ")) TH_LOG("%s", out);
	log_lines(_metadata, out);
	EXPECT_NE(0, stat(SMALLFS "/ckpt/default.area", &st));
	EXPECT_EQ(0, umount(SMALLFS));
	rmdir(SMALLFS);

	/* An area with 2 MiB for images cannot take 8 MiB. */
	unlink(AREA2);
	ASSERT_EQ(0, run_cmd(CKPTCTL " area create " AREA2 " --size 2056K", out, sizeof(out)))
		TH_LOG("%s", out);
	snprintf(cmd, sizeof(cmd), "CKPT_AREA=" AREA2 " " CKPTCTL " freeze %d 2>&1", pid);
	EXPECT_EQ(1, run_cmd(cmd, out, sizeof(out))) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "MiB and the area holds 2 MiB")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "the default area " AREA2 " is too small for this "
			       "process group")) TH_LOG("%s", out);
	log_lines(_metadata, out);
	ASSERT_EQ(0, stat(AREA2, &st));
	EXPECT_EQ(2056 << 10, st.st_size);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	unlink(AREA2);
}

/*
 * A real program frozen into an area; the generation exported with the
 * progress line; the export shown as JSON; the program killed and
 * restored from the export with its pid; dump --progress; restore --json.
 */
TEST(export_progress_json_restore)
{
	char cmd[512], out[OUT_SIZE], want[64], *report;
	struct ps_snap before;
	pid_t pid, again;
	int i, diffs;

	if (access(CKPTCTL, X_OK))
		SKIP(return, "%s not installed", CKPTCTL);
	/* The detached restored sleep becomes our child: we can reap it. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	unlink(AREA);
	unlink(IMG);
	pid = start_sleeper();
	ASSERT_EQ(0, run_cmd(CKPTCTL " area create " AREA " --size 64M 2>&1", out, sizeof(out)))
		TH_LOG("%s", out);
	ASSERT_EQ(0, ps_take_idle(&before, &pid, 1, PS_SETTLE_MS));
	snprintf(cmd, sizeof(cmd), CKPTCTL " freeze --area=" AREA " %d --wait --json 2>&1", pid);
	ASSERT_EQ(0, run_cmd(cmd, out, sizeof(out))) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"state\": \"committed\"")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"area\": \"" AREA "\"")) TH_LOG("%s", out);

	/* -oFILE, and --prog for --progress. */
	ASSERT_EQ(0, run_cmd(CKPTCTL " export " AREA " -o" IMG " --prog 2>&1", out,
			     sizeof(out))) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "export: ")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "MiB/s")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "exported generation 1 of " AREA)) TH_LOG("%s", out);
	TH_LOG("progress as a user sees it: %s", out);
	/* Without a terminal and without --progress: no progress line. */
	ASSERT_EQ(0, run_cmd(CKPTCTL " export " AREA ":1 -o- 2>&1 >/dev/null", out,
			     sizeof(out)));
	EXPECT_EQ(NULL, strstr(out, "MiB/s")) TH_LOG("%s", out);
	EXPECT_EQ(1, run_cmd(CKPTCTL " export " AREA ":7 -o /tmp/cli-x 2>&1", out, sizeof(out)));
	EXPECT_NE(NULL, strstr(out, "generation 7")) TH_LOG("%s", out);

	ASSERT_EQ(0, run_cmd(CKPTCTL " show --json -- " IMG, out, sizeof(out)));
	snprintf(want, sizeof(want), "\"pid\": %d", pid);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("%s", out);
	ASSERT_EQ(0, run_cmd(CKPTCTL " area info " AREA " --json", out, sizeof(out)));
	EXPECT_NE(NULL, strstr(out, "\"committed\"")) TH_LOG("%s", out);
	ASSERT_EQ(0, run_cmd(CKPTCTL " status --json", out, sizeof(out)));
	EXPECT_EQ('[', out[0]) TH_LOG("%s", out);
	ASSERT_EQ(0, run_cmd(CKPTCTL " release-tcp --all --json", out, sizeof(out)));
	EXPECT_EQ(0, strcmp(out, "{\"released\": 0}\n")) TH_LOG("%s", out);

	kill(pid, SIGKILL);
	ASSERT_EQ(pid, waitpid(pid, NULL, 0));
	ASSERT_EQ(0, run_cmd(CKPTCTL " restore " IMG " --json 2>&1", out, sizeof(out)))
		TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("%s", out);
	for (i = 0; i < 50 && kill(pid, 0); i++)
		usleep(20000);
	EXPECT_EQ(0, kill(pid, 0)) TH_LOG("the restored sleep does not run");
	diffs = ps_expect_same(&before, NULL, 0, ps_scope(_metadata->name), PS_SETTLE_MS, &report);
	EXPECT_PROC_SAME(diffs, report);
	ps_free(&before);
	snprintf(cmd, sizeof(cmd), "cat /proc/%d/cmdline", pid);
	EXPECT_EQ(0, run_cmd(cmd, out, sizeof(out)));
	EXPECT_EQ(0, strcmp(out, "sleep")) TH_LOG("cmdline '%s'", out);

	/* The restored sleep dumps again, with the progress line. */
	snprintf(cmd, sizeof(cmd), CKPTCTL " dump %d -o " IMG " --kill --progress --json 2>&1",
		 pid);
	ASSERT_EQ(0, run_cmd(cmd, out, sizeof(out))) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "dump: ")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "(100%)")) TH_LOG("%s", out);
	snprintf(want, sizeof(want), "{\"pgid\": %d, \"job\": ", pid);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"killed\": true, \"left_stopped\": false}")) TH_LOG("%s", out);
	TH_LOG("dump as a user sees it: %s", out);
	for (i = 0; i < 100 && (again = waitpid(pid, NULL, WNOHANG)) != pid; i++)
		usleep(20000);
	EXPECT_EQ(pid, again) TH_LOG("--kill left it running");
	unlink(AREA);
	unlink(IMG);
	unlink("/tmp/cli-x");
}

/* Every probe of the kernel's mm behaviour, on the kernel under test. */
static const char *const kernel_probes[] = {
	"anon_cow", "mprotect_write", "thp_cow", "fork_after_freeze", "gup_write",
	"dma_pinned", "dma_pinned_thp", "shmem_copy",
};

#define KO "/opt/ckpt/ckpt.ko"
#define KERNEL_OUT "/tmp/cli-kernel-user"

/*
 * check --kernel passes every probe here, in text and JSON (this guest has
 * THP on madvise and io_uring: nothing is skipped), also as an unprivileged
 * user, and without the module it says so and exits 3.
 */
TEST(check_kernel)
{
	char out[OUT_SIZE], want[96], *line;
	unsigned int i;
	pid_t pid;
	int st;

	if (access(CKPTCTL, X_OK))
		SKIP(return, "%s not installed", CKPTCTL);
	ASSERT_EQ(0, run_cmd(CKPTCTL " check --kernel 2>&1", out, sizeof(out)))
		TH_LOG("%s", out);
	log_lines(_metadata, out);
	for (i = 0; i < sizeof(kernel_probes) / sizeof(kernel_probes[0]); i++) {
		line = strstr(out, kernel_probes[i]);
		ASSERT_NE(NULL, line) TH_LOG("no line for %s: %s", kernel_probes[i], out);
		line += strlen(kernel_probes[i]);
		while (*line == ' ')
			line++;
		EXPECT_EQ(0, strncmp(line, "ok ", 3)) TH_LOG("%s: %.200s", kernel_probes[i], line);
	}
	EXPECT_NE(NULL, strstr(out, "8 probes: 8 ok, 0 failed, 0 skipped")) TH_LOG("%s", out);

	ASSERT_EQ(0, run_cmd(CKPTCTL " check --kernel --json", out, sizeof(out)))
		TH_LOG("%s", out);
	for (i = 0; i < sizeof(kernel_probes) / sizeof(kernel_probes[0]); i++) {
		snprintf(want, sizeof(want), "{\"name\": \"%s\", \"result\": \"ok\"",
			 kernel_probes[i]);
		EXPECT_NE(NULL, strstr(out, want)) TH_LOG("%s: %s", want, out);
	}
	EXPECT_NE(NULL, strstr(out, "\"ok\": 8, \"failed\": 0, \"skipped\": 0}")) TH_LOG("%s", out);
	EXPECT_EQ('{', out[0]) TH_LOG("%s", out);

	/* No privilege needed: the probes' children are the caller's own. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
			_exit(99);
		execl("/bin/sh", "sh", "-c", CKPTCTL " check --kernel > " KERNEL_OUT " 2>&1",
		      (char *)NULL);
		_exit(98);
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	ASSERT_EQ(0, run_cmd("cat " KERNEL_OUT, out, sizeof(out)));
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) TH_LOG("as uid 65534: %s", out);
	EXPECT_NE(NULL, strstr(out, "8 probes: 8 ok, 0 failed, 0 skipped"))
		TH_LOG("as uid 65534: %s", out);
	unlink(KERNEL_OUT);

	/* Without the module: a clear message and exit code 3. */
	if (access(KO, R_OK) || system("rmmod ckpt 2>/dev/null"))
		SKIP(return, "cannot unload the module to test its absence");
	EXPECT_EQ(3, run_cmd(CKPTCTL " check --kernel 2>&1", out, sizeof(out)));
	EXPECT_NE(NULL, strstr(out, "the ckpt module is not loaded")) TH_LOG("%s", out);
	ASSERT_EQ(0, system("insmod " KO)) TH_LOG("cannot load " KO " again");
}

TEST_HARNESS_MAIN
