/*
 * qemu-hvpart fuzzers: what every harness shares.
 *
 * A fuzz input is read as a stream: a few bytes of setup (what the host
 * configured: sizes, windows, versions), then the guest's packets, each a
 * 16-bit little-endian length and that many bytes. Every packet is copied
 * into its own allocation of exactly its size, so that AddressSanitizer
 * stops a parser that reads one byte past what the guest sent.
 *
 * FUZZ_CHECK() states a parser's postcondition: a violation aborts, which
 * libFuzzer reports (and saves) like any crash. The harnesses thus find
 * logic errors (a length accepted that is not there, a rectangle that
 * leaves the screen) and not only memory errors.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef TESTS_FUZZ_FUZZ_UTIL_H
#define TESTS_FUZZ_FUZZ_UTIL_H

#include "qemu/osdep.h"
#include "qemu/bswap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                    \
    do {                                                                    \
        if (!(cond)) {                                                      \
            fprintf(stderr, "%s:%d: postcondition failed: %s\n",            \
                    __FILE__, __LINE__, #cond);                             \
            abort();                                                        \
        }                                                                   \
    } while (0)

/* [p, p + n) lies inside [base, base + len) */
#define FUZZ_INSIDE(p, n, base, len)                                        \
    ((const uint8_t *)(p) >= (const uint8_t *)(base) &&                     \
     (uint64_t)(n) <= (uint64_t)(len) &&                                    \
     (uint64_t)((const uint8_t *)(p) - (const uint8_t *)(base)) <=          \
     (uint64_t)(len) - (uint64_t)(n))

typedef struct FuzzInput {
    const uint8_t *data;
    size_t size;
} FuzzInput;

/* The next byte of setup, 0 once the input is used up. */
static inline uint8_t fuzz_u8(FuzzInput *in)
{
    uint8_t v = 0;

    if (in->size) {
        v = in->data[0];
        in->data++;
        in->size--;
    }
    return v;
}

static inline uint32_t fuzz_u32(FuzzInput *in)
{
    uint32_t v = 0;
    int i;

    for (i = 0; i < 4; i++) {
        v |= (uint32_t)fuzz_u8(in) << (8 * i);
    }
    return v;
}

static inline uint64_t fuzz_u64(FuzzInput *in)
{
    uint64_t lo = fuzz_u32(in);

    return lo | (uint64_t)fuzz_u32(in) << 32;
}

/*
 * The next packet: a malloc'd copy of exactly *@len bytes (free() it), or
 * NULL at the end of the input. A length beyond the input takes the rest.
 */
static inline uint8_t *fuzz_next_packet(FuzzInput *in, uint32_t *len)
{
    size_t n;
    uint8_t *p;

    if (in->size < 2) {
        return NULL;
    }
    n = lduw_le_p(in->data);
    in->data += 2;
    in->size -= 2;
    n = MIN(n, in->size);
    /* malloc(0) gives a unique pointer with no bytes to read */
    p = malloc(n);
    if (!p && n) {
        abort();
    }
    if (n) {
        memcpy(p, in->data, n);
    }
    in->data += n;
    in->size -= n;
    *len = n;
    return p;
}

#endif
