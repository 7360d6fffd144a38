// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * libckpt: what a restored process lives in — its cgroup and its audit
 * login uid (kmod/env.c records them; namespaces are the restorer's, as a
 * process in another one than the checkpointing caller's is refused).
 *
 * Each process does it itself, before it takes the image's credentials:
 * only a task may set its own login uid (6.1 fs/proc/base.c
 * proc_loginuid_write()), and moving into a cgroup asks for write access
 * to cgroup.procs there and at the common ancestor, which root has. A
 * process recorded in the checkpointing caller's own cgroup stays in the
 * restorer's. The threads and children it makes afterwards inherit both.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "restore.h"

/* Where cgroup2 is mounted whole (its root "/"), from /proc/self/mountinfo. */
static int cgroup2_mount(char *dir, size_t size)
{
	char line[PATH_MAX + 512], root[PATH_MAX], point[PATH_MAX];
	FILE *f = fopen("/proc/self/mountinfo", "re");
	const char *sep;
	int ret = -ENOENT;

	if (!f)
		return -errno;
	while (ret && fgets(line, sizeof(line), f)) {
		sep = strstr(line, " - cgroup2 ");
		if (!sep || sscanf(line, "%*s %*s %*s %4095s %4095s", root, point) != 2)
			continue;
		if (!strcmp(root, "/") && strlen(point) < size) {
			strcpy(dir, point);
			ret = 0;
		}
	}
	fclose(f);
	return ret;
}

/* mkdir -p of @path's components below @base (which exists). */
static int make_cgroup(char *path, size_t base)
{
	char *slash;

	for (slash = strchr(path + base + 1, '/');; slash = strchr(slash + 1, '/')) {
		if (slash)
			*slash = '\0';
		if (mkdir(path, 0755) && errno != EEXIST)
			return -errno;
		if (!slash)
			return 0;
		*slash = '/';
	}
}

/* Does /proc/self/cgroup say we are in @cgroup already? */
static bool in_cgroup(const char *cgroup)
{
	char line[PATH_MAX + 8];
	FILE *f = fopen("/proc/self/cgroup", "re");
	bool in = false;

	if (!f)
		return false;
	while (!in && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		in = !strncmp(line, "0::", 3) && !strcmp(line + 3, cgroup);
	}
	fclose(f);
	return in;
}

static int join_cgroup(const struct libckpt_image_task *t, struct shared *e)
{
	const char *cgroup = t->ident->cgroup;
	char path[PATH_MAX];
	size_t base;
	int fd, ret;

	if (!cgroup || in_cgroup(cgroup))
		return 0;
	ret = cgroup2_mount(path, sizeof(path));
	if (ret)
		return fail(e, ret, "pid %u: cannot join cgroup %s: no cgroup2 file system is mounted",
			    t->rec.pid, cgroup);
	base = strlen(path);
	if (base + strlen(cgroup) + sizeof("/cgroup.procs") > sizeof(path))
		return fail(e, -ENAMETOOLONG, "pid %u: cannot join cgroup %s: path too long",
			    t->rec.pid, cgroup);
	strcat(path, cgroup);
	ret = make_cgroup(path, base);
	if (!ret) {
		strcat(path, "/cgroup.procs");
		fd = open(path, O_WRONLY | O_CLOEXEC);
		/* "0" is the writer itself, with all its threads. */
		ret = fd < 0 || write(fd, "0", 1) != 1 ? -errno : 0;
		if (fd >= 0)
			close(fd);
	}
	if (ret)
		return fail(e, ret, "pid %u: cannot join cgroup %s: %s", t->rec.pid, cgroup,
			    strerror(-ret));
	return 0;
}

int libckpt_rst_env(const struct libckpt_image_task *t, struct shared *e)
{
	uint32_t uid = t->ident->rec.loginuid;
	int ret;

	ret = join_cgroup(t, e);
	if (ret)
		return ret;
	ret = libckpt_rst_write_proc("/proc/self/loginuid", "%ld", 10, uid);
	if (ret)
		return fail(e, ret, "pid %u: cannot set its audit login uid to %ld: %s",
			    t->rec.pid, uid == CKPT_LOGINUID_UNSET ? -1L : (long)uid,
			    strerror(-ret));
	return 0;
}
