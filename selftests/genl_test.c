// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * The ckpt generic netlink family: strict validation of every request,
 * GET_INFO round trips through libckpt and ckptctl, and CHECK's
 * permission rule.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "libckpt.h"
#include "test_util.h"

#define CKPTCTL "/usr/bin/ckptctl"

/* An unknown command is refused by the core, not ignored. */
TEST(unknown_command)
{
	struct raw_reply r;

	ASSERT_EQ(0, raw_request(CKPT_CMD_MAX + 7, 0, REQ_FLAGS, NULL, 0, &r));
	EXPECT_EQ(-EOPNOTSUPP, r.error);
	EXPECT_EQ(0, r.got_reply);
}

/* An attribute type beyond the family's range is rejected with a message. */
TEST(unknown_attribute)
{
	uint32_t v = 1;
	char a[64];
	size_t n = put_attr(a, 0, CKPT_A_MAX + 5, &v, sizeof(v));
	struct raw_reply r;

	ASSERT_EQ(0, raw_request(CKPT_CMD_GET_INFO, 0, REQ_FLAGS, a, n, &r));
	EXPECT_EQ(-EINVAL, r.error);
	EXPECT_NE(0, r.msg[0]) TH_LOG("no extack message");
	EXPECT_EQ(0, r.got_reply);
}

/* A known attribute that this command does not take is rejected. */
TEST(attribute_of_another_command)
{
	uint32_t pgid = 1;
	char a[64];
	size_t n = put_attr(a, 0, CKPT_A_PGID, &pgid, sizeof(pgid));
	struct raw_reply r;

	ASSERT_EQ(0, raw_request(CKPT_CMD_GET_INFO, 0, REQ_FLAGS, a, n, &r));
	EXPECT_EQ(-EINVAL, r.error);
	EXPECT_NE(0, r.msg[0]) TH_LOG("no extack message");
}

/* A u32 attribute carrying 8 bytes (oversized) is rejected. */
TEST(oversized_attribute)
{
	uint64_t v = 1;
	char a[64];
	size_t n = put_attr(a, 0, CKPT_A_VERSION, &v, sizeof(v));
	struct raw_reply r;

	ASSERT_EQ(0, raw_request(CKPT_CMD_GET_INFO, 0, REQ_FLAGS, a, n, &r));
	EXPECT_EQ(-EINVAL, r.error);
	EXPECT_NE(0, r.msg[0]) TH_LOG("no extack message");
}

/* A u32 attribute carrying a 2-byte value (wrong type) is rejected. */
TEST(wrong_type_attribute)
{
	uint16_t v = 1;
	char a[64];
	size_t n = put_attr(a, 0, CKPT_A_PGID, &v, sizeof(v));
	struct raw_reply r;

	ASSERT_EQ(0, raw_request(CKPT_CMD_CHECK, 0, REQ_FLAGS, a, n, &r));
	EXPECT_EQ(-EINVAL, r.error);
	EXPECT_NE(0, r.msg[0]) TH_LOG("no extack message");
}

/* Bytes after the last attribute that do not form one are rejected. */
TEST(trailing_garbage)
{
	uint32_t v = 1;
	char a[64];
	size_t n = put_attr(a, 0, CKPT_A_VERSION, &v, sizeof(v));
	struct raw_reply r;

	memset(a + n, 0xa5, 3);
	ASSERT_EQ(0, raw_request(CKPT_CMD_GET_INFO, 0, REQ_FLAGS, a, n + 3, &r));
	EXPECT_EQ(-EINVAL, r.error);
}

/* A non-zero reserved byte in the genetlink header is rejected. */
TEST(reserved_header_field)
{
	struct raw_reply r;

	ASSERT_EQ(0, raw_request(CKPT_CMD_GET_INFO, 1, REQ_FLAGS, NULL, 0, &r));
	EXPECT_EQ(-EINVAL, r.error);
	EXPECT_NE(0, r.msg[0]) TH_LOG("no extack message");
}

/* CHECK without its required pgid names the missing attribute. */
TEST(missing_required_attribute)
{
	struct raw_reply r;

	ASSERT_EQ(0, raw_request(CKPT_CMD_CHECK, 0, REQ_FLAGS, NULL, 0, &r));
	EXPECT_EQ(-EINVAL, r.error);
	EXPECT_EQ(CKPT_A_PGID, r.miss_type);
}

/* A pgid of 0 is outside the policy's range: -ERANGE, as nla_validate says. */
TEST(pgid_zero)
{
	uint32_t pgid = 0;
	char a[64];
	size_t n = put_attr(a, 0, CKPT_A_PGID, &pgid, sizeof(pgid));
	struct raw_reply r;

	ASSERT_EQ(0, raw_request(CKPT_CMD_CHECK, 0, REQ_FLAGS, a, n, &r));
	EXPECT_EQ(-ERANGE, r.error);
	EXPECT_NE(0, r.msg[0]) TH_LOG("no extack message");
}

/* A client speaking a newer family version learns it before anything else. */
TEST(newer_client_version)
{
	uint32_t v = CKPT_GENL_VERSION + 1;
	char a[64];
	size_t n = put_attr(a, 0, CKPT_A_VERSION, &v, sizeof(v));
	struct raw_reply r;

	ASSERT_EQ(0, raw_request(CKPT_CMD_GET_INFO, 0, REQ_FLAGS, a, n, &r));
	EXPECT_EQ(-EPROTONOSUPPORT, r.error);
	EXPECT_NE(0, r.msg[0]) TH_LOG("no extack message");
}

/* GET_INFO through libckpt returns the module's real description. */
TEST(info_round_trip)
{
	struct libckpt_info info;
	struct libckpt *h;

	ASSERT_EQ(0, libckpt_open(&h));
	ASSERT_EQ(0, libckpt_get_info(h, &info));
	EXPECT_EQ(CKPT_GENL_VERSION, info.genl_version);
	EXPECT_EQ(CKPT_IMAGE_VERSION, info.image_version);
	EXPECT_TRUE(info.features & CKPT_FEATURE_CHECK);
	EXPECT_TRUE(info.features & CKPT_FEATURE_FREEZE);
	EXPECT_EQ(0, info.held_pages);
	EXPECT_EQ(0, info.features & ~(uint64_t)__CKPT_FEATURE_ALL);
	EXPECT_NE(0, info.module_version[0]);
	EXPECT_LT(0, info.max_tasks);
	EXPECT_LT(0, info.max_threads);
	EXPECT_LT(0, info.freeze_timeout_ms);
	libckpt_close(h);
}

/* ckptctl info prints the same facts as text and as JSON. */
/* The crc32c driver `ckptctl info` names is one /proc/crypto lists. */
static bool crc32c_driver_listed(const char *info)
{
	const char *p = strstr(info, "crc32c:            ");
	char name[64], line[256], want[96];
	bool found = false;
	FILE *f;

	if (!p || sscanf(p + strlen("crc32c:            "), "%63s", name) != 1 ||
	    strncmp(name, "crc32c-", 7))
		return false;
	snprintf(want, sizeof(want), "driver       : %s\n", name);
	f = fopen("/proc/crypto", "r");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = !strcmp(line, want);
	fclose(f);
	return found;
}

TEST(ckptctl_info)
{
	char out[2048];

	if (access(CKPTCTL, X_OK))
		SKIP(return, "%s not installed", CKPTCTL);
	ASSERT_EQ(0, run_cmd(CKPTCTL " info", out, sizeof(out)));
	EXPECT_NE(NULL, strstr(out, "netlink version:   1\n")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "features:          check freeze")) TH_LOG("%s", out);
	/* The module keeps the faster of the drivers it measured at load. */
	EXPECT_TRUE(crc32c_driver_listed(out)) TH_LOG("%s", out);
	ASSERT_EQ(0, run_cmd(CKPTCTL " info --json", out, sizeof(out)));
	EXPECT_NE(NULL, strstr(out, "\"crc32c\": \"crc32c-")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"genl_version\": 1,")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"features\": [\"check\", \"freeze\", \"restore\"]")) TH_LOG("%s", out);
	EXPECT_EQ(2, run_cmd(CKPTCTL " info --bogus 2>/dev/null", out, sizeof(out)));
}

/* ckptctl names the reason when the kernel refuses. */
TEST(ckptctl_check_error)
{
	char out[2048];

	if (access(CKPTCTL, X_OK))
		SKIP(return, "%s not installed", CKPTCTL);
	EXPECT_EQ(1, run_cmd(CKPTCTL " check 4000000 2>&1", out, sizeof(out)));
	EXPECT_NE(NULL, strstr(out, "no process has this process group id"))
		TH_LOG("%s", out);
	EXPECT_EQ(2, run_cmd(CKPTCTL " check notanumber 2>&1", out, sizeof(out)));
}

/* Start a process leading its own group; it sleeps until killed. */
static pid_t spawn_group(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		/* Like a daemon: none of the caller's descriptors (a socket). */
		close_range(3, ~0U, 0);
		setsid();
		for (;;)
			pause();
	}
	return pid;
}

static void reap(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* CHECK counts the processes and threads of a real group. */
TEST(check_counts_group)
{
	struct libckpt_census c;
	struct libckpt *h;
	pid_t pid = spawn_group();

	ASSERT_LT(0, pid);
	usleep(100000);
	ASSERT_EQ(0, libckpt_open(&h));
	EXPECT_EQ(0, libckpt_check(h, pid, &c)) TH_LOG("%s", libckpt_error(h));
	EXPECT_EQ(1, c.nr_tasks);
	EXPECT_EQ(1, c.nr_threads);
	EXPECT_EQ(-ESRCH, libckpt_check(h, 4000000, &c));
	EXPECT_EQ(-EINVAL, libckpt_check(h, getpgrp(), &c))
		TH_LOG("a group cannot checkpoint itself");
	libckpt_close(h);
	reap(pid);
}

static void become_nobody(void)
{
	if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
		_exit(90);
}

/*
 * An unprivileged caller is refused for another user's process and for its
 * own non-dumpable process, and allowed for its own dumpable one. Each
 * refusal names the pid.
 */
TEST(unprivileged_caller)
{
	pid_t root_group = spawn_group(), child;
	int status;

	ASSERT_LT(0, root_group);
	usleep(100000);
	child = fork();
	ASSERT_LE(0, child);
	if (child == 0) {
		struct libckpt_census c;
		struct libckpt *h;
		char want[64];
		pid_t own;

		int code = 0;

		become_nobody();
		if (libckpt_open(&h))
			_exit(91);
		snprintf(want, sizeof(want), "pid %d: ", root_group);
		if (libckpt_check(h, root_group, &c) != -EPERM)
			_exit(92);
		if (strncmp(libckpt_error(h), want, strlen(want)) ||
		    !strstr(libckpt_error(h), "permission denied"))
			_exit(93);
		/* setresuid() made us non-dumpable: refused. */
		own = spawn_group();
		usleep(100000);
		if (libckpt_check(h, own, &c) != -EPERM)
			code = 94;
		reap(own);
		prctl(PR_SET_DUMPABLE, 1);
		own = spawn_group();
		usleep(100000);
		if (!code && libckpt_check(h, own, &c) != 0)
			code = 95;
		reap(own);
		libckpt_close(h);
		_exit(code);
	}
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	reap(root_group);
}

/* After every malformed request above, the module still answers. */
TEST(still_works_afterwards)
{
	struct libckpt_info info;
	struct libckpt *h;

	ASSERT_EQ(0, libckpt_open(&h));
	ASSERT_EQ(0, libckpt_get_info(h, &info));
	libckpt_close(h);
}

TEST_HARNESS_MAIN
