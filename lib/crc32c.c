// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * libckpt: CRC-32C (Castagnoli): the CPU's SSE4.2 instruction or eight
 * tables, whichever is faster here, timed on first use of a large buffer.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "format.h"

/* Reflected form of the Castagnoli polynomial 0x1EDC6F41. */
#define CRC32C_POLY	0x82F63B78U

/* table[k][b]: the CRC register after byte b followed by k zero bytes. */
static uint32_t table[8][256];
static bool have_sse42;

/*
 * Filled once before main() (or at dlopen), so readers on several threads
 * never race to build the table or to probe the CPU.
 */
__attribute__((constructor)) static void crc32c_init(void)
{
	uint32_t i, j, c;

	for (i = 0; i < 256; i++) {
		c = i;
		for (j = 0; j < 8; j++)
			c = (c >> 1) ^ (CRC32C_POLY & -(c & 1));
		table[0][i] = c;
	}
	for (i = 0; i < 256; i++)
		for (j = 1; j < 8; j++)
			table[j][i] = (table[j - 1][i] >> 8) ^ table[0][table[j - 1][i] & 0xff];
#if defined(__x86_64__)
	__builtin_cpu_init();
	have_sse42 = __builtin_cpu_supports("sse4.2");
#endif
}

/*
 * The state inside both loops is the raw shift register (the kernel's
 * convention, started at ~0); the public value is its complement, so that
 * chaining works by complementing on the way in and out. The table loop
 * takes eight bytes a step (little-endian x86-64 and the like): each
 * byte's contribution is looked up as if the bytes after it in the step
 * were zeros, and CRC is linear, so the eight lookups XOR together.
 */
uint32_t libckpt_crc32c_sw(uint32_t crc, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	uint32_t c = ~crc, lo, hi;

	while (len && ((uintptr_t)p & 7)) {
		c = (c >> 8) ^ table[0][(c ^ *p++) & 0xff];
		len--;
	}
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	for (; len >= 8; len -= 8, p += 8) {
		memcpy(&lo, p, 4);
		memcpy(&hi, p + 4, 4);
		lo ^= c;
		c = table[7][lo & 0xff] ^ table[6][(lo >> 8) & 0xff] ^
		    table[5][(lo >> 16) & 0xff] ^ table[4][lo >> 24] ^
		    table[3][hi & 0xff] ^ table[2][(hi >> 8) & 0xff] ^
		    table[1][(hi >> 16) & 0xff] ^ table[0][hi >> 24];
	}
#endif
	while (len--)
		c = (c >> 8) ^ table[0][(c ^ *p++) & 0xff];
	return ~c;
}

#if defined(__x86_64__)
#include <nmmintrin.h>

/* Compiled for SSE4.2 alone, so the rest of the library runs anywhere. */
__attribute__((target("sse4.2")))
uint32_t libckpt_crc32c_hw(uint32_t crc, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	uint64_t c = ~crc, w;

	while (len && ((uintptr_t)p & 7)) {
		c = _mm_crc32_u8((uint32_t)c, *p++);
		len--;
	}
	while (len >= 8) {
		memcpy(&w, p, 8);
		c = _mm_crc32_u64(c, w);
		p += 8;
		len -= 8;
	}
	while (len--)
		c = _mm_crc32_u8((uint32_t)c, *p++);
	return ~(uint32_t)c;
}

int libckpt_crc32c_hw_available(void)
{
	return have_sse42;
}
#else
uint32_t libckpt_crc32c_hw(uint32_t crc, const void *buf, size_t len)
{
	return libckpt_crc32c_sw(crc, buf, len);
}

int libckpt_crc32c_hw_available(void)
{
	return 0;
}
#endif

/* Below this a call is not worth timing: records, not page data. */
#define PROBE_LEN	(64 * 1024)

static bool use_hw;
static pthread_once_t probed = PTHREAD_ONCE_INIT;

static uint64_t ns_of(uint32_t (*fn)(uint32_t, const void *, size_t), const void *buf)
{
	struct timespec a, b;
	uint64_t best = UINT64_MAX, t;
	int i;

	/*
	 * The best of three, after a first pass that warms caches (and an
	 * emulator's translation). Raw clock calls: a restoring process may
	 * have moved its vDSO already.
	 */
	for (i = 0; i < 4; i++) {
		syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &a);
		fn(0, buf, PROBE_LEN);
		syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &b);
		t = (uint64_t)(b.tv_sec - a.tv_sec) * 1000000000ULL + b.tv_nsec - a.tv_nsec;
		if (i && t < best)
			best = t;
	}
	return best;
}

/*
 * The CPU's instruction is the faster by far on hardware; an emulated CPU
 * (QEMU TCG) computes it bit by bit, and there the tables are several
 * times faster. The module picks its kernel driver the same way.
 */
static void probe(void)
{
	static unsigned char buf[PROBE_LEN];

	use_hw = have_sse42 &&
		 ns_of(libckpt_crc32c_hw, buf) <= ns_of(libckpt_crc32c_sw, buf);
}

uint32_t libckpt_crc32c(uint32_t crc, const void *buf, size_t len)
{
	if (!have_sse42)
		return libckpt_crc32c_sw(crc, buf, len);
	if (len < PROBE_LEN)
		return libckpt_crc32c_hw(crc, buf, len);
	pthread_once(&probed, probe);
	return use_hw ? libckpt_crc32c_hw(crc, buf, len) : libckpt_crc32c_sw(crc, buf, len);
}

/*
 * Arithmetic on CRCs as polynomials over GF(2), in the reflected bit order
 * of the CRC itself: bit 31 is x^0, bit 0 is x^31. It lets the CRC of a
 * whole be assembled from CRCs of its pieces computed elsewhere (the
 * module computes the CRC of each page run it fills).
 */
static uint32_t gf2_mulmod(uint32_t a, uint32_t b)
{
	uint32_t m = 1U << 31, p = 0;

	for (; m; m >>= 1) {
		if (a & m)
			p ^= b;
		b = (b >> 1) ^ (CRC32C_POLY & -(b & 1));	/* b *= x */
	}
	return p;
}

/* x^(8 * len) modulo the polynomial, by squaring. */
static uint32_t x_pow_8n(uint64_t len)
{
	uint32_t sq = 1U << 30, p = 1U << 31;	/* x^1, x^0 */
	int i;

	for (i = 0; i < 3; i++)
		sq = gf2_mulmod(sq, sq);	/* x^8 */
	for (; len; len >>= 1) {
		if (len & 1)
			p = gf2_mulmod(p, sq);
		sq = gf2_mulmod(sq, sq);
	}
	return p;
}

/*
 * With pre- and post-inversion, CRC(A then B) = CRC(A) * x^(8|B|) + CRC(B)
 * (mod the polynomial): the inversions cancel between the two terms. So
 * shifting @crc by @len bytes is what appending @len bytes whose own CRC is
 * 0 does, and the CRC of A then B is shift(CRC(A), |B|) ^ CRC(B).
 */
uint32_t libckpt_crc32c_shift(uint32_t crc, uint64_t len)
{
	return gf2_mulmod(x_pow_8n(len), crc);
}
