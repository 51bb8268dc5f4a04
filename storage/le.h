/* SPDX-License-Identifier: GPL-2.0 */
/*
 * le.h - little-endian integers in byte buffers, for the record, chunk and
 * capture formats (all little-endian on every architecture), and for the
 * sealed batch header (uplink/seal.c). Internal to storage/ and uplink/.
 */
#ifndef EDGETRACE_LE_H
#define EDGETRACE_LE_H

#include <stdint.h>

static inline void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = v >> (8 * i);
}

static inline void put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = v >> (8 * i);
}

static inline uint32_t get_le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t get_le64(const uint8_t *p)
{
	return get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
}

#endif /* EDGETRACE_LE_H */
