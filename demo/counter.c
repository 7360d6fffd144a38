// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * The demo's workload: counts once every 200 ms on its standard output.
 * Its count lives only in its memory and registers.
 */
#include <stdio.h>
#include <time.h>
#include <unistd.h>

int main(void)
{
	struct timespec tick = { 0, 200 * 1000 * 1000 };
	unsigned long n;

	setvbuf(stdout, NULL, _IONBF, 0);
	for (n = 1;; n++) {
		printf("counter[%d]: %lu\n", getpid(), n);
		nanosleep(&tick, NULL);
	}
}
