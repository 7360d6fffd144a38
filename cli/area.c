// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * ckptctl area: create an area, or describe one and its generations.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "cli.h"

static const char area_usage[] =
	"Usage: ckptctl area create <path> --size <size> [--json]\n"
	"       ckptctl area info <path> [--json]\n\n"
	"create: make <path> an empty area: a new or empty file of <size> bytes\n"
	"        (suffixes K, M, G, T: powers of 1024), preallocated, or a whole\n"
	"        block device (--size is then optional and at most its size).\n"
	"        Prints its size and the room it has for images.\n"
	"info:   show the area's size, data region, next generation, which of\n"
	"        its two superblock copies are valid, and each slot's generation,\n"
	"        state, place and creation time.\n\n"
	"  --json  print the result as JSON\n";

enum { OPT_SIZE = 256, OPT_JSON };

static const struct option area_opts[] = {
	{ "size", required_argument, NULL, OPT_SIZE },
	{ "json", no_argument, NULL, OPT_JSON },
	CMDLINE_HELP,
	{ 0 }
};



/* "512M" and the like: digits and an optional binary suffix. */
bool parse_size(const char *s, uint64_t *out)
{
	static const char suffixes[] = "KMGT";
	unsigned long long v;
	const char *p;
	char *end;
	int shift;

	if (!s || !isdigit((unsigned char)*s))
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return false;
	shift = 0;
	if (*end) {
		p = strchr(suffixes, toupper((unsigned char)*end));
		if (!p || end[1])
			return false;
		shift = 10 * (int)(p - suffixes + 1);
	}
	if (v > (UINT64_MAX >> shift))
		return false;
	*out = (uint64_t)v << shift;
	return true;
}

static int area_fail(const char *path, int err, const char *why)
{
	fprintf(stderr, "%s: %s: %s\n", prog, path, why[0] ? why : strerror(-err));
	return EXIT_FAILED;
}

/* What area create made: read back, as the size was rounded. */
static int print_created(const char *path, bool json)
{
	char err[LIBCKPT_ERRLEN] = "";
	struct ckpt_area_sb sb;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return area_fail(path, -errno, "");
	ret = libckpt_area_read(fd, &sb, err, sizeof(err));
	close(fd);
	if (ret)
		return area_fail(path, ret, err);
	if (json) {
		printf("{\"area\": ");
		json_str(path);
		printf(", \"size\": %llu, \"data_offset\": %llu, \"data_size\": %llu}\n",
		       sb.size, sb.data_offset, sb.size - sb.data_offset);
	} else {
		printf("created area %s: %llu bytes (%llu MiB), %llu MiB for images\n", path,
		       sb.size, sb.size >> 20, (sb.size - sb.data_offset) >> 20);
	}
	return EXIT_OK;
}

static int area_create(int argc, char **argv)
{
	struct cmdline c = CMDLINE_INIT("area create", area_usage, "h", area_opts, argc, argv);
	char err[LIBCKPT_ERRLEN] = "";
	const char *path;
	struct stat st;
	uint64_t size = 0;
	bool sized = false, json = false;
	int opt, ret;

	while ((opt = cmdline_next(&c)) != -1) {
		switch (opt) {
		case OPT_SIZE:
			if (!parse_size(optarg, &size))
				return cmdline_error(&c, "--size: '%s' is not a size "
						     "(K, M, G, T suffixes)", optarg);
			sized = true;
			break;
		case OPT_JSON:
			json = true;
			break;
		default:
			return cmdline_stop(opt);
		}
	}
	path = cmdline_need(&c, "<path>");
	if (!path || !cmdline_end(&c))
		return EXIT_USAGE;
	if (!sized && (stat(path, &st) || !S_ISBLK(st.st_mode)))
		return cmdline_error(&c, "missing --size (needed unless '%s' is a block device)",
				     path);
	ret = libckpt_area_create(path, size, err, sizeof(err));
	if (ret)
		return area_fail(path, ret, err);
	return print_created(path, json);
}

/*
 * "2 valid (sequence 7)", or the damaged copy and why: a damaged copy costs
 * nothing yet (the next checkpoint rewrites it), but a user should know the
 * area is down to one copy.
 */
static void print_copies_text(const struct libckpt_area_copies *c)
{
	unsigned int i;

	if (c->version == 1) {
		printf("superblock:        version 1, one copy (read only: recreate the area to checkpoint into it)\n");
		return;
	}
	if (!c->copy[0].error && !c->copy[1].error &&
	    c->copy[0].seq == c->copy[1].seq) {
		printf("superblock copies: 2 valid (sequence %llu)\n",
		       (unsigned long long)c->copy[0].seq);
		return;
	}
	for (i = 0; i < c->nr_copies; i++) {
		printf("superblock copy %u: ", i);
		if (c->copy[i].error)
			printf("damaged: %s\n", c->copy[i].why);
		else
			printf("valid (sequence %llu)%s\n",
			       (unsigned long long)c->copy[i].seq,
			       i == c->used ? ", in use" : ", older");
	}
}

static void print_info_text(const char *path, int fd, const struct ckpt_area_sb *sb,
			    const struct libckpt_area_copies *c)
{
	uint64_t parent;
	const struct ckpt_area_slot *s;
	int i, used = 0;

	printf("area:              %s\n", path);
	printf("size:              %llu bytes (%llu MiB)\n",
	       sb->size, sb->size >> 20);
	print_copies_text(c);
	printf("data region:       %llu..%llu (%llu bytes)\n", sb->data_offset,
	       sb->size, sb->size - sb->data_offset);
	printf("next generation:   %llu\n", sb->next_generation);
	printf("next offset:       %llu\n", sb->next_offset);
	for (i = 0; i < CKPT_AREA_SLOTS; i++) {
		s = &sb->slots[i];
		if (s->state == CKPT_SLOT_EMPTY)
			continue;
		if (!used++)
			printf("\n%-4s %10s %-9s %12s %12s  %-27s  %s\n", "SLOT",
			       "GENERATION", "STATE", "OFFSET", "LENGTH",
			       "CREATED", "PARENT");
		printf("%-4d %10llu %-9s %12llu %12llu  ", i, s->generation,
		       libckpt_area_slot_state(s->state), s->offset, s->length);
		print_time(s->created_ns);
		parent = libckpt_area_slot_parent(fd, s);
		if (parent)
			printf("  %llu\n", (unsigned long long)parent);
		else
			printf("  -\n");
	}
	if (!used)
		printf("generations:       none\n");
}

static void print_info_json(int fd, const struct ckpt_area_sb *sb,
			    const struct libckpt_area_copies *c)
{
	const struct ckpt_area_slot *s;
	const char *sep = "";
	unsigned int j;
	int i;

	printf("{\"version\": %u, \"size\": %llu, \"data_offset\": %llu, "
	       "\"data_size\": %llu, \"next_generation\": %llu, "
	       "\"next_offset\": %llu, \"sb_copy_used\": %u, \"sb_copies\": [",
	       c->version, sb->size, sb->data_offset,
	       sb->size - sb->data_offset, sb->next_generation,
	       sb->next_offset, c->used);
	for (j = 0; j < c->nr_copies; j++) {
		printf("%s{\"copy\": %u, \"valid\": %s", j ? ", " : "", j,
		       c->copy[j].error ? "false" : "true");
		if (c->copy[j].error) {
			printf(", \"error\": ");
			json_str(c->copy[j].why);
		} else {
			printf(", \"sb_seq\": %llu",
			       (unsigned long long)c->copy[j].seq);
		}
		printf("}");
	}
	printf("], \"slots\": [");
	for (i = 0; i < CKPT_AREA_SLOTS; i++) {
		s = &sb->slots[i];
		if (s->state == CKPT_SLOT_EMPTY)
			continue;
		printf("%s{\"slot\": %d, \"generation\": %llu, \"state\": \"%s\", "
		       "\"offset\": %llu, \"length\": %llu, \"created_ns\": %llu, "
		       "\"crc32c\": %u, \"parent\": %llu}", sep, i, s->generation,
		       libckpt_area_slot_state(s->state), s->offset, s->length,
		       s->created_ns, s->crc32c,
		       (unsigned long long)libckpt_area_slot_parent(fd, s));
		sep = ", ";
	}
	printf("]}\n");
}

static int area_info(int argc, char **argv)
{
	struct cmdline c = CMDLINE_INIT("area info", area_usage, "h", cmdline_json_opts, argc,
					argv);
	char err[LIBCKPT_ERRLEN] = "";
	struct libckpt_area_copies copies;
	const char *path;
	struct ckpt_area_sb sb;
	bool json = false;
	int code, fd, ret;

	if (!cmdline_json_only(&c, &json, &code))
		return code;
	path = cmdline_need(&c, "<path>");
	if (!path || !cmdline_end(&c))
		return EXIT_USAGE;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return area_fail(path, -errno, "");
	ret = libckpt_area_inspect(fd, &sb, &copies, err, sizeof(err));
	if (ret) {
		close(fd);
		return area_fail(path, ret, err);
	}
	if (json)
		print_info_json(fd, &sb, &copies);
	else
		print_info_text(path, fd, &sb, &copies);
	close(fd);
	return EXIT_OK;
}

int area_main(int argc, char **argv)
{
	const char *cmd = argc >= 2 ? argv[1] : NULL;

	if (cmd && (!strcmp(cmd, "--help") || !strcmp(cmd, "-h"))) {
		printf("%s", area_usage);
		return EXIT_OK;
	}
	if (cmd && !strcmp(cmd, "create"))
		return area_create(argc - 1, argv + 1);
	if (cmd && !strcmp(cmd, "info"))
		return area_info(argc - 1, argv + 1);
	if (cmd)
		fprintf(stderr, "%s area: unknown command '%s' (create or info)\n", prog, cmd);
	else
		fprintf(stderr, "%s area: missing create or info\n", prog);
	fprintf(stderr, "Try '%s area --help'.\n", prog);
	return EXIT_USAGE;
}
