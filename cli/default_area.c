// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * ckptctl: the default area, used by freeze and restore without --area, and
 * made on first use with room for two images of the group.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "cli.h"

#define MIB ((uint64_t)1 << 20)
/* Per image, beyond the group's memory: records, page run headers, rounding. */
#define DEFAULT_AREA_SLACK (16 * MIB)
#define DEFAULT_AREA_MIN (64 * MIB)

const char *default_area_path(void)
{
	const char *env = getenv("CKPT_AREA");

	return env && *env ? env : DEFAULT_AREA;
}

/* The process group and session of @pid, from /proc/PID/stat. */
static bool proc_group(int pid, unsigned int *pgrp, unsigned int *sid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	/* comm may hold spaces and parentheses: the fields follow the last ')'. */
	p = strrchr(buf, ')');
	return p && sscanf(p + 1, " %*c %*d %u %u", pgrp, sid) == 2;
}

/* VmRSS + VmSwap of @pid in bytes (0 for a kernel thread or a zombie). */
static uint64_t proc_memory(int pid)
{
	unsigned long long kb, sum = 0;
	char path[64], line[128];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %llu kB", &kb) == 1 ||
		    sscanf(line, "VmSwap: %llu kB", &kb) == 1)
			sum += kb;
	fclose(f);
	return sum * 1024;
}

/*
 * The memory of the group's processes, resident or swapped, as /proc tells
 * before the freeze: what its images hold at most, bar the slack. Pages
 * shared between them count once each: an estimate that errs on the large
 * side. *@nr: processes found.
 */
static uint64_t group_memory(unsigned int id, unsigned int flags, unsigned int *nr)
{
	unsigned int pgrp, sid;
	uint64_t sum = 0;
	struct dirent *d;
	DIR *dir = opendir("/proc");

	*nr = 0;
	if (!dir)
		return 0;
	while ((d = readdir(dir))) {
		int pid = atoi(d->d_name);

		if (pid <= 0 || !proc_group(pid, &pgrp, &sid))
			continue;
		if (((flags & LIBCKPT_F_SESSION) ? sid : pgrp) != id)
			continue;
		sum += proc_memory(pid);
		(*nr)++;
	}
	closedir(dir);
	return sum;
}

/* The size rule of Documentation/ckptctl.8: two images and their slack. */
static uint64_t area_size_for(uint64_t memory)
{
	uint64_t size = 2 * (memory + DEFAULT_AREA_SLACK);

	if (size < DEFAULT_AREA_MIN)
		size = DEFAULT_AREA_MIN;
	return (size + MIB - 1) & ~(MIB - 1);
}

/* mkdir -p of @path's directory, 0700: the images hold the group's memory. */
static bool make_parents(const char *path)
{
	char *dir = strdup(path), *p;
	bool ok = true;

	if (!dir)
		return false;
	for (p = strchr(dir + 1, '/'); p && ok; p = strchr(p + 1, '/')) {
		*p = '\0';
		if (mkdir(dir, 0700) && errno != EEXIST) {
			fprintf(stderr, "%s: cannot create the directory %s for the default area: %s\n",
				prog, dir, strerror(errno));
			ok = false;
		}
		*p = '/';
	}
	free(dir);
	return ok;
}

/* Room for @size bytes on the filesystem that will hold @path? Else say so. */
static bool has_room(const char *path, uint64_t size, uint64_t memory,
		     const char *kind, unsigned int id)
{
	char *dir = strdup(path), *slash;
	struct statvfs vfs;
	uint64_t avail;
	bool ok = true;

	if (!dir)
		return false;
	slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	if (!statvfs(slash ? dir : ".", &vfs)) {
		avail = (uint64_t)vfs.f_bavail * vfs.f_frsize;
		ok = avail >= size;
		if (!ok)
			fprintf(stderr, "%s: no room for the default area %s: it needs %" PRIu64
				" MiB (twice the %" PRIu64 " MiB of %s %u, plus slack) and %s has %"
				PRIu64 " MiB free; give --area or CKPT_AREA another place\n",
				prog, path, size / MIB, memory / MIB, kind, id,
				slash ? dir : ".", avail / MIB);
	}
	free(dir);
	return ok;
}

/* Make the default area @path for group @id; false after a message. */
static bool create_default(const char *path, unsigned int id, unsigned int flags)
{
	char err[LIBCKPT_ERRLEN] = "";
	uint64_t memory, size;
	unsigned int nr;
	int ret;

	memory = group_memory(id, flags, &nr);
	if (!nr) {
		fprintf(stderr, "%s: cannot checkpoint %s %u: no process has this %s id\n",
			prog, group_kind(flags), id, group_kind(flags));
		return false;
	}
	size = area_size_for(memory);
	if (!make_parents(path) || !has_room(path, size, memory, group_kind(flags), id))
		return false;
	ret = libckpt_area_create(path, size, err, sizeof(err));
	/* Another ckptctl made it meanwhile: use theirs. */
	if (ret == -EEXIST)
		return true;
	if (ret) {
		fprintf(stderr, "%s: cannot create the default area %s of %" PRIu64 " MiB: %s\n",
			prog, path, size / MIB, err[0] ? err : strerror(-ret));
		return false;
	}
	fprintf(stderr, "%s: created the default area %s: %" PRIu64 " MiB, twice the %"
		PRIu64 " MiB of %s %u plus slack\n", prog, path, size / MIB,
		memory / MIB, group_kind(flags), id);
	return true;
}

int default_area_open(const char *path, unsigned int id, unsigned int flags)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);

	if (fd < 0 && errno == ENOENT) {
		if (!create_default(path, id, flags))
			return -1;
		fd = open(path, O_RDWR | O_CLOEXEC);
	}
	if (fd < 0)
		fprintf(stderr, "%s: cannot open the default area %s: %s\n", prog, path,
			strerror(errno));
	return fd;
}
