/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * VMBus GPADL assembly from GpadlHeader and GpadlBody messages
 *
 * The range list is hostile input.  It is consumed as a stream of 8-byte
 * little-endian words: a word is a range descriptor (byte_count in the low
 * half, byte_offset in the high half) when no pfn of the current range is
 * outstanding, else a pfn.  Every count is checked against what is left of
 * range_buflen before anything is stored, and all storage is sized from
 * range_buflen (at most 64 KiB) when the header arrives.
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "hw/vmbus/vmbus-gpadl.h"

/* A range needs its descriptor and at least one pfn */
#define GPADL_MIN_WORDS_PER_RANGE   2

typedef struct GpadlRangeState {
    uint32_t byte_count;
    uint32_t byte_offset;
    uint32_t npfns;
    uint32_t first_pfn;         /* index into VMBusGpadlBuilder.pfns */
} GpadlRangeState;

struct VMBusGpadlBuilder {
    uint32_t id;
    uint32_t child_relid;
    uint32_t max_pages;
    uint32_t nranges;           /* announced rangecount */
    uint32_t words_total;       /* range_buflen / 8 */
    uint32_t words_seen;
    uint32_t ranges_seen;       /* range descriptors parsed */
    uint32_t pfns_pending;      /* pfns still due for the last range */
    uint32_t npages;            /* pfns stored */
    bool failed;
    GpadlRangeState *ranges;    /* nranges entries */
    uint64_t *pfns;             /* words_total - nranges entries */
};

/*
 * Consumes one word of the range list.  The caller guarantees
 * words_seen < words_total.  Returns false with @why set on invalid data.
 */
static bool gpadl_take_word(VMBusGpadlBuilder *b, uint64_t word,
                            const char **why)
{
    uint32_t ranges_after, byte_count, byte_offset;
    uint64_t npfns, words_needed;
    GpadlRangeState *range;

    b->words_seen++;

    if (b->pfns_pending) {
        if (word > VMBUS_GPADL_MAX_PFN) {
            *why = "pfn beyond the 64-bit guest physical address space";
            return false;
        }
        b->pfns[b->npages++] = word;
        b->pfns_pending--;
        return true;
    }

    if (b->ranges_seen == b->nranges) {
        *why = "range_buflen is longer than the ranges it describes";
        return false;
    }

    byte_count = (uint32_t)word;
    byte_offset = (uint32_t)(word >> 32);
    if (byte_count == 0) {
        *why = "range with byte_count 0";
        return false;
    }
    if (byte_offset >= VMBUS_PAGE_SIZE) {
        *why = "range byte_offset not inside its first page";
        return false;
    }
    /* 64-bit sum: byte_offset + byte_count cannot wrap */
    npfns = DIV_ROUND_UP((uint64_t)byte_offset + byte_count, VMBUS_PAGE_SIZE);

    /* Room for these pfns and the minimal later ranges within range_buflen */
    ranges_after = b->nranges - b->ranges_seen - 1;
    words_needed = npfns + (uint64_t)ranges_after * GPADL_MIN_WORDS_PER_RANGE;
    if (words_needed > b->words_total - b->words_seen) {
        *why = "range needs more pfns than range_buflen holds";
        return false;
    }
    if (npfns > b->max_pages - b->npages) {
        *why = "GPADL larger than the page cap";
        return false;
    }

    range = &b->ranges[b->ranges_seen++];
    range->byte_count = byte_count;
    range->byte_offset = byte_offset;
    range->npfns = npfns;
    range->first_pfn = b->npages;
    b->pfns_pending = npfns;
    return true;
}

static bool gpadl_take_words(VMBusGpadlBuilder *b, const uint8_t *data,
                             uint32_t nwords, const char **why)
{
    uint32_t i;

    for (i = 0; i < nwords; i++) {
        if (!gpadl_take_word(b, ldq_le_p(data + i * sizeof(uint64_t)), why)) {
            b->failed = true;
            return false;
        }
    }
    return true;
}

VMBusGpadlBuilder *vmbus_gpadl_begin(const void *msg, uint32_t len,
                                     uint32_t max_pages, const char **why)
{
    const VMBusMsgGpadlHeader *hdr = msg;
    const char *reason = NULL;
    VMBusGpadlBuilder *b;
    uint32_t range_buflen, rangecount, data_len;

    if (!why) {
        why = &reason;
    }
    if (!msg || len < sizeof(*hdr)) {
        *why = "GpadlHeader shorter than its fixed part";
        return NULL;
    }

    range_buflen = le16_to_cpu(hdr->range_buflen);
    rangecount = le16_to_cpu(hdr->rangecount);
    data_len = len - sizeof(*hdr);

    if (rangecount == 0) {
        *why = "GPADL without ranges";
        return NULL;
    }
    if (range_buflen % sizeof(uint64_t)) {
        *why = "range_buflen not a multiple of 8";
        return NULL;
    }
    if (range_buflen / sizeof(uint64_t) <
        rangecount * GPADL_MIN_WORDS_PER_RANGE) {
        *why = "range_buflen too short for rangecount ranges";
        return NULL;
    }
    if (data_len == 0 || data_len % sizeof(uint64_t)) {
        *why = "GpadlHeader range data not a non-empty multiple of 8 bytes";
        return NULL;
    }
    if (data_len > range_buflen) {
        *why = "GpadlHeader carries more than range_buflen";
        return NULL;
    }

    b = g_new0(VMBusGpadlBuilder, 1);
    b->id = le32_to_cpu(hdr->gpadl_id);
    b->child_relid = le32_to_cpu(hdr->child_relid);
    b->max_pages = max_pages ? max_pages : VMBUS_GPADL_DEFAULT_MAX_PAGES;
    b->nranges = rangecount;
    b->words_total = range_buflen / sizeof(uint64_t);
    b->ranges = g_new0(GpadlRangeState, rangecount);
    b->pfns = g_new(uint64_t, b->words_total - rangecount);

    if (!gpadl_take_words(b, (const uint8_t *)msg + sizeof(*hdr),
                          data_len / sizeof(uint64_t), why)) {
        vmbus_gpadl_builder_free(b);
        return NULL;
    }
    return b;
}

int vmbus_gpadl_body_id(const void *msg, uint32_t len, uint32_t *gpadl_id)
{
    const VMBusMsgGpadlBody *body = msg;

    if (!msg || len < sizeof(*body)) {
        return -EMSGSIZE;
    }
    *gpadl_id = le32_to_cpu(body->gpadl_id);
    return 0;
}

int vmbus_gpadl_add_body(VMBusGpadlBuilder *b, const void *msg, uint32_t len,
                         const char **why)
{
    const char *reason = NULL;
    uint32_t data_len, nwords, id;

    if (!why) {
        why = &reason;
    }
    if (b->failed) {
        *why = "GPADL already failed";
        return -EINVAL;
    }
    if (vmbus_gpadl_body_id(msg, len, &id) < 0 ||
        len - sizeof(VMBusMsgGpadlBody) < sizeof(uint64_t)) {
        *why = "GpadlBody without pfns";
        return -EMSGSIZE;
    }
    data_len = len - sizeof(VMBusMsgGpadlBody);
    if (data_len % sizeof(uint64_t)) {
        *why = "GpadlBody pfn array not a multiple of 8 bytes";
        return -EMSGSIZE;
    }
    if (id != b->id) {
        *why = "GpadlBody for another GPADL";
        return -ENOENT;
    }
    if (vmbus_gpadl_complete(b)) {
        *why = "GpadlBody after the GPADL was complete";
        return -EALREADY;
    }
    nwords = data_len / sizeof(uint64_t);
    if (nwords > b->words_total - b->words_seen) {
        *why = "GpadlBody carries more than range_buflen announced";
        return -EMSGSIZE;
    }
    if (!gpadl_take_words(b, (const uint8_t *)msg + sizeof(VMBusMsgGpadlBody),
                          nwords, why)) {
        return -EINVAL;
    }
    return 0;
}

bool vmbus_gpadl_complete(const VMBusGpadlBuilder *b)
{
    /*
     * The room check in gpadl_take_word() makes a fully consumed list end
     * exactly at the last pfn of the last range; the other conditions are
     * a second line of defence.
     */
    return !b->failed && b->words_seen == b->words_total &&
           b->ranges_seen == b->nranges && b->pfns_pending == 0;
}

bool vmbus_gpadl_failed(const VMBusGpadlBuilder *b)
{
    return b->failed;
}

uint32_t vmbus_gpadl_builder_id(const VMBusGpadlBuilder *b)
{
    return b->id;
}

uint32_t vmbus_gpadl_builder_child_relid(const VMBusGpadlBuilder *b)
{
    return b->child_relid;
}

VMBusGpadl *vmbus_gpadl_finish(VMBusGpadlBuilder *b)
{
    VMBusGpadlRange *ranges;
    VMBusGpadl *gpadl;
    uint32_t i;

    if (!vmbus_gpadl_complete(b)) {
        return NULL;
    }

    ranges = g_new(VMBusGpadlRange, b->nranges);
    for (i = 0; i < b->nranges; i++) {
        ranges[i].byte_count = b->ranges[i].byte_count;
        ranges[i].byte_offset = b->ranges[i].byte_offset;
        ranges[i].npfns = b->ranges[i].npfns;
        ranges[i].pfns = b->pfns + b->ranges[i].first_pfn;
    }

    gpadl = g_new(VMBusGpadl, 1);
    gpadl->id = b->id;
    gpadl->child_relid = b->child_relid;
    gpadl->nranges = b->nranges;
    gpadl->npages = b->npages;
    gpadl->ranges = ranges;
    gpadl->pfns = b->pfns;

    /* the pfn array now belongs to the GPADL */
    b->pfns = NULL;
    vmbus_gpadl_builder_free(b);
    return gpadl;
}

void vmbus_gpadl_builder_free(VMBusGpadlBuilder *b)
{
    if (!b) {
        return;
    }
    g_free(b->ranges);
    g_free(b->pfns);
    g_free(b);
}

void vmbus_gpadl_free(VMBusGpadl *gpadl)
{
    if (!gpadl) {
        return;
    }
    g_free((void *)gpadl->ranges);
    g_free((void *)gpadl->pfns);
    g_free(gpadl);
}

bool vmbus_gpadl_is_page_list(const VMBusGpadl *gpadl)
{
    uint32_t i;

    for (i = 0; i < gpadl->nranges; i++) {
        if (gpadl->ranges[i].byte_offset != 0 ||
            gpadl->ranges[i].byte_count % VMBUS_PAGE_SIZE) {
            return false;
        }
    }
    return true;
}

uint64_t vmbus_gpadl_byte_count(const VMBusGpadl *gpadl)
{
    uint64_t total = 0;
    uint32_t i;

    for (i = 0; i < gpadl->nranges; i++) {
        total += gpadl->ranges[i].byte_count;
    }
    return total;
}
