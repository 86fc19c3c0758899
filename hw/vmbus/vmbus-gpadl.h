/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * VMBus GPADL assembly
 *
 * A GPADL (guest physical address descriptor list) names guest memory by a
 * list of ranges, each {byte_count, byte_offset, pfns}.  The guest sends the
 * list in a GpadlHeader message followed by as many GpadlBody messages as
 * needed: a SynIC message holds at most 240 bytes, so a Linux GpadlHeader
 * carries 26 pfns and each GpadlBody 28 more.
 *
 * The header's range_buflen is the byte length of the whole range list
 * (every range descriptor and every pfn); the header's payload after its
 * fixed part and each body's pfn array are consecutive pieces of that list.
 * The list is parsed as a stream of 8-byte words, so a range descriptor may
 * arrive in a body too (multi-range GPADLs).  The GPADL is complete when
 * range_buflen bytes have arrived and they describe exactly rangecount
 * ranges.
 *
 * Usage:
 *     b = vmbus_gpadl_begin(hdr, len, 0, &why);
 *     while (!vmbus_gpadl_complete(b)) {
 *         ... on each GpadlBody with vmbus_gpadl_builder_id(b):
 *         vmbus_gpadl_add_body(b, body, len, &why);
 *     }
 *     gpadl = vmbus_gpadl_finish(b);
 *     ...
 *     vmbus_gpadl_free(gpadl);
 *
 * Nothing here reads guest memory or knows guest RAM size: the pfns are only
 * checked to form a GPA that does not overflow 64 bits.  The caller validates
 * them against guest RAM when it maps them.
 */

#ifndef HW_VMBUS_VMBUS_GPADL_H
#define HW_VMBUS_VMBUS_GPADL_H

#include "hw/vmbus/vmbus-proto.h"

/*
 * Default cap on the pages of one GPADL.  The u16 range_buflen limits a GPADL
 * to 8190 pages anyway; callers may lower the cap per GPADL.
 */
#define VMBUS_GPADL_DEFAULT_MAX_PAGES   262144

/* Largest pfn whose GPA (pfn << 12) fits in 64 bits */
#define VMBUS_GPADL_MAX_PFN             (UINT64_MAX >> VMBUS_PAGE_SHIFT)

typedef struct VMBusGpadlRange {
    uint32_t byte_count;        /* > 0 */
    uint32_t byte_offset;       /* into the first page, < 4096 */
    /* == DIV_ROUND_UP(byte_offset + byte_count, 4096) */
    uint32_t npfns;
    const uint64_t *pfns;       /* npfns entries, inside VMBusGpadl.pfns */
} VMBusGpadlRange;

/* A complete GPADL.  Immutable once vmbus_gpadl_finish() returned it. */
typedef struct VMBusGpadl {
    uint32_t id;
    uint32_t child_relid;
    uint32_t nranges;           /* >= 1 */
    uint32_t npages;            /* sum of the ranges' npfns */
    const VMBusGpadlRange *ranges;
    const uint64_t *pfns;       /* all pfns, range after range */
} VMBusGpadl;

typedef struct VMBusGpadlBuilder VMBusGpadlBuilder;

/*
 * vmbus_gpadl_begin:
 * @msg: a GpadlHeader message, @len bytes readable (type already checked
 *       by vmbus_msg_check_guest())
 * @max_pages: cap on the GPADL's total page count, 0 for
 *             VMBUS_GPADL_DEFAULT_MAX_PAGES
 * @why: set to a static reason when NULL is returned (may be NULL)
 *
 * Validates the header (rangecount >= 1; range_buflen a multiple of 8 and at
 * least 16 bytes per range; the header's range data a non-empty multiple of
 * 8 bytes no longer than range_buflen; each range descriptor in it:
 * byte_count > 0, byte_offset < 4096, its pfns within range_buflen and the
 * page cap; each pfn <= VMBUS_GPADL_MAX_PFN) and takes the pfns it carries.
 *
 * Returns a builder, or NULL when the header is invalid.
 */
VMBusGpadlBuilder *vmbus_gpadl_begin(const void *msg, uint32_t len,
                                     uint32_t max_pages, const char **why);

/*
 * vmbus_gpadl_add_body:
 * @b: builder
 * @msg: a GpadlBody message, @len bytes readable
 * @why: set to a static reason on failure (may be NULL)
 *
 * Appends the body's part of the range list.
 *
 * Returns 0, or:
 *   -EMSGSIZE  the body is shorter than one pfn, its pfn array is not a
 *              multiple of 8 bytes, or it carries more than range_buflen
 *              still expects;
 *   -ENOENT    the body's gpadl_id is not the builder's;
 *   -EALREADY  the GPADL is already complete (a body too many);
 *   -EINVAL    the body's data is invalid (a bad range descriptor or pfn)
 *              or the builder had failed before.
 * Only -EINVAL changes the builder: it is then failed for good (see
 * vmbus_gpadl_failed()) and should be freed.  After the other errors the
 * builder is as it was.
 */
int vmbus_gpadl_add_body(VMBusGpadlBuilder *b, const void *msg, uint32_t len,
                         const char **why);

/* True once the whole range list arrived and it is valid */
bool vmbus_gpadl_complete(const VMBusGpadlBuilder *b);

/* True after vmbus_gpadl_add_body() returned -EINVAL */
bool vmbus_gpadl_failed(const VMBusGpadlBuilder *b);

uint32_t vmbus_gpadl_builder_id(const VMBusGpadlBuilder *b);
uint32_t vmbus_gpadl_builder_child_relid(const VMBusGpadlBuilder *b);

/*
 * vmbus_gpadl_body_id:
 * Reads the gpadl_id of a GpadlBody message, so that the caller can find the
 * builder it belongs to.  Returns 0, or -EMSGSIZE if @len does not cover the
 * body's fixed part.
 */
int vmbus_gpadl_body_id(const void *msg, uint32_t len, uint32_t *gpadl_id);

/*
 * vmbus_gpadl_finish:
 * Turns a complete builder into a VMBusGpadl and frees the builder.
 * Returns NULL (and leaves the builder alone) if it is not complete.
 */
VMBusGpadl *vmbus_gpadl_finish(VMBusGpadlBuilder *b);

/* Frees a builder that will not be finished.  NULL is allowed. */
void vmbus_gpadl_builder_free(VMBusGpadlBuilder *b);

/* Frees a GPADL.  NULL is allowed. */
void vmbus_gpadl_free(VMBusGpadl *gpadl);

/*
 * vmbus_gpadl_is_page_list:
 * True if every range covers whole pages (byte_offset 0, byte_count a
 * multiple of 4096).  Then gpadl->pfns is a plain list of npages pages, as
 * ring buffer and receive/send buffer GPADLs need.
 */
bool vmbus_gpadl_is_page_list(const VMBusGpadl *gpadl);

/* Total byte_count of all ranges */
uint64_t vmbus_gpadl_byte_count(const VMBusGpadl *gpadl);

#endif
