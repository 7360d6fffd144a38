// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * ckptctl info: describe the loaded module.
 */
#include <inttypes.h>
#include <string.h>

#include "cli.h"

static const char info_usage[] =
	"Usage: ckptctl info [--json]\n\n"
	"Show the loaded ckpt module's version, image format, features and limits.\n";

static const struct {
	uint64_t bit;
	const char *name;
} feature_names[] = {
	{ CKPT_FEATURE_CHECK, "check" },
	{ CKPT_FEATURE_FREEZE, "freeze" },
	{ CKPT_FEATURE_RESTORE, "restore" },
};

static void print_features(uint64_t features, bool json)
{
	const char *sep = "";
	size_t i;

	for (i = 0; i < sizeof(feature_names) / sizeof(feature_names[0]); i++) {
		if (!(features & feature_names[i].bit))
			continue;
		printf(json ? "%s\"%s\"" : "%s%s", sep, feature_names[i].name);
		sep = json ? ", " : " ";
	}
}

int info_main(int argc, char **argv)
{
	struct cmdline c = CMDLINE_INIT("info", info_usage, "h", cmdline_json_opts, argc, argv);
	struct libckpt_info info;
	bool json = false;
	struct libckpt *h;
	int ret, code;

	if (!cmdline_json_only(&c, &json, &code))
		return code;
	if (!cmdline_end(&c))
		return EXIT_USAGE;
	h = connect_module(&code);
	if (!h)
		return code;
	ret = libckpt_get_info(h, &info);
	if (ret < 0) {
		code = report(h, ret, "cannot query the module");
		libckpt_close(h);
		return code;
	}
	libckpt_close(h);

	if (json) {
		printf("{\"module_version\": \"%s\", \"genl_version\": %" PRIu32
		       ", \"image_version\": %" PRIu32
		       ", \"features\": [", info.module_version,
		       info.genl_version, info.image_version);
		print_features(info.features, true);
		printf("], \"max_tasks\": %" PRIu32 ", \"max_threads\": %" PRIu32
		       ", \"freeze_timeout_ms\": %" PRIu32 ", \"tcp_held\": %" PRIu32
		       ", \"crc32c\": ",
		       info.max_tasks, info.max_threads,
		       info.freeze_timeout_ms, info.tcp_held);
		json_str(info.crc32c_impl);
		printf("}\n");
		return EXIT_OK;
	}
	printf("module version:    %s\n", info.module_version);
	printf("netlink version:   %" PRIu32 "\n", info.genl_version);
	printf("image format:      %" PRIu32 "\n", info.image_version);
	printf("features:          ");
	print_features(info.features, false);
	printf("\nmax tasks:         %" PRIu32 "\n", info.max_tasks);
	printf("max threads:       %" PRIu32 "\n", info.max_threads);
	printf("freeze timeout:    %" PRIu32 " ms\n", info.freeze_timeout_ms);
	printf("held TCP conns:    %" PRIu32 "\n", info.tcp_held);
	printf("crc32c:            %s\n", info.crc32c_impl);
	return EXIT_OK;
}
