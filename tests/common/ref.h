/* ref: reference helpers shared by the unit tests and fuzz targets: byte
 * access and an RFC 1071 sum written the slow obvious way, independent of
 * the library's own (lib/wire.h, proto_csum_add), so that a bug there cannot
 * hide in the oracle that checks it. */
#ifndef VXNET_TESTS_REF_H
#define VXNET_TESTS_REF_H

#include <stddef.h>
#include <stdint.h>

static inline void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static inline uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

/* Ones'-complement sum of big-endian 16-bit words (an odd last byte is the
 * high byte of a word) plus s, folded to 16 bits. 0xffff over data that
 * includes its checksum means the checksum is right. */
static inline uint16_t ref_sum(uint64_t s, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint64_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint64_t)p[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

#endif
