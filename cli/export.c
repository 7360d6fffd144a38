// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * ckptctl export: one committed generation of an area, out as a standalone
 * image file or stream.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const char export_usage[] =
	"Usage: ckptctl export AREA[:GEN] -o FILE|- [--progress] [--json]\n\n"
	"Verify generation GEN of the area (default: the newest committed one)\n"
	"and copy it out as a standalone image into FILE, or to standard output\n"
	"with '-' (e.g. into 'ssh other ckptctl restore -'). The copy is the\n"
	"image's bytes as they are: it verifies the same.\n\n"
	"  --progress  show the progress line even if stderr is not a terminal\n"
	"  --json      print the result as JSON (on stderr with -o -)\n";

enum { OPT_PROGRESS = 256, OPT_JSON };

static const struct option export_opts[] = {
	{ "progress", no_argument, NULL, OPT_PROGRESS },
	{ "json", no_argument, NULL, OPT_JSON },
	CMDLINE_HELP,
	{ 0 }
};

int export_main(int argc, char **argv)
{
	struct cmdline c = CMDLINE_INIT("export", export_usage, "ho:", export_opts, argc, argv);
	const char *spec, *out = NULL;
	bool force = false, json = false;
	char err[LIBCKPT_ERRLEN];
	struct libckpt_image *img;
	struct progress pr;
	int opt, fd, ret;
	FILE *res;

	while ((opt = cmdline_next(&c)) != -1) {
		switch (opt) {
		case 'o':
			out = optarg;
			break;
		case OPT_PROGRESS:
			force = true;
			break;
		case OPT_JSON:
			json = true;
			break;
		default:
			return cmdline_stop(opt);
		}
	}
	spec = cmdline_need(&c, "AREA[:GEN]");
	if (!spec || !cmdline_end(&c))
		return EXIT_USAGE;
	if (!strcmp(spec, "-"))
		return cmdline_error(&c, "'-': export reads an area, not standard input");
	if (!out)
		return cmdline_error(&c, "missing -o FILE|-");
	ret = libckpt_image_open(spec, &img, err, sizeof(err));
	if (ret < 0) {
		fprintf(stderr, "%s: cannot export %s: %s\n", prog, spec, err);
		return EXIT_FAILED;
	}
	/* Alone, an incremental image lacks the pages its chain holds. */
	if (libckpt_image_parent(img)) {
		fprintf(stderr, "%s: cannot export %s: generation %" PRIu64
			" is incremental (it builds on generation %" PRIu64
			"): only a full generation can be restored from a file\n",
			prog, spec, (uint64_t)libckpt_image_hdr(img)->generation,
			(uint64_t)libckpt_image_parent(img)->generation);
		libckpt_image_close(img);
		return EXIT_FAILED;
	}
	fd = strcmp(out, "-") ? open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600) :
	     STDOUT_FILENO;
	if (fd < 0) {
		fprintf(stderr, "%s: cannot create %s: %s\n", prog, out, strerror(errno));
		libckpt_image_close(img);
		return EXIT_FAILED;
	}
	progress_init(&pr, "export", force);
	ret = libckpt_image_export(img, fd, progress_cb, &pr, err, sizeof(err));
	if (!ret && fd != STDOUT_FILENO && fsync(fd)) {
		ret = -errno;
		snprintf(err, sizeof(err), "fsync: %s", strerror(errno));
	}
	if (ret < 0) {
		if (pr.drawn)
			fputc('\n', stderr);
		fprintf(stderr, "%s: cannot export %s into %s: %s\n", prog, spec, out, err);
	} else {
		progress_done(&pr, libckpt_image_size(img), libckpt_image_size(img));
		res = fd == STDOUT_FILENO ? stderr : stdout;
		if (json)
			fprintf(res, "{\"source\": \"%s\", \"generation\": %" PRIu64
				", \"bytes\": %" PRIu64 "}\n", spec,
				(uint64_t)libckpt_image_hdr(img)->generation,
				libckpt_image_size(img));
		else
			fprintf(res, "exported generation %" PRIu64 " of %s: %.1f MiB to %s\n",
				(uint64_t)libckpt_image_hdr(img)->generation, spec,
				libckpt_image_size(img) / 1048576.0,
				fd == STDOUT_FILENO ? "standard output" : out);
	}
	if (fd != STDOUT_FILENO)
		close(fd);
	libckpt_image_close(img);
	return ret < 0 ? EXIT_FAILED : EXIT_OK;
}
