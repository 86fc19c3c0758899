/*
 * qemu-hvpart fuzzer: the VMBus itself, as the guest drives it.
 *
 * Input: one setup byte (bit 0: ring data pages 1 or 2; bits 1-7: the cap
 * on a GPADL's pages), then records of one selector byte and a packet (see
 * fuzz-util.h):
 *   0: a channel message posted with HvPostMessage, through
 *      vmbus_msg_check_guest() (hw/vmbus/vmbus-msg.c) and, for GpadlHeader
 *      and GpadlBody, the GPADL assembly (hw/vmbus/vmbus-gpadl.c), one
 *      GPADL in the making at a time as the server keeps per id;
 *   1: a guest->host ring (hw/vmbus/vmbus-ring.c): the first 16 bytes are
 *      the control page's write_index, read_index, interrupt_mask and
 *      pending_send_sz, the rest the data pages; every packet is peeked,
 *      copied and consumed, then the same pages are driven as a
 *      host->guest ring with the guest's indices as they are.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "fuzz-util.h"
#include "hw/vmbus/vmbus-msg.h"
#include "hw/vmbus/vmbus-gpadl.h"
#include "hw/vmbus/vmbus-ring.h"

#define PAGE VMBUS_PAGE_SIZE

static void fuzz_check_gpadl(const VMBusGpadl *g, uint32_t max_pages)
{
    uint32_t i, j, pages = 0;

    FUZZ_CHECK(g->nranges >= 1);
    FUZZ_CHECK(g->npages <= max_pages);
    for (i = 0; i < g->nranges; i++) {
        const VMBusGpadlRange *r = &g->ranges[i];

        FUZZ_CHECK(r->byte_count > 0 && r->byte_offset < PAGE);
        FUZZ_CHECK(r->npfns == DIV_ROUND_UP((uint64_t)r->byte_offset +
                                            r->byte_count, PAGE));
        FUZZ_CHECK(r->pfns == g->pfns + pages);
        pages += r->npfns;
        FUZZ_CHECK(pages <= g->npages);
        for (j = 0; j < r->npfns; j++) {
            FUZZ_CHECK(r->pfns[j] <= VMBUS_GPADL_MAX_PFN);
        }
    }
    FUZZ_CHECK(pages == g->npages);
}

static void fuzz_message(const uint8_t *buf, uint32_t len,
                         VMBusGpadlBuilder **b, uint32_t max_pages)
{
    const VMBusMsgInfo *info;
    const char *why = NULL;
    uint32_t type = 0, id;
    int ret;

    ret = vmbus_msg_check_guest(buf, len, &type, &why);
    if (ret < 0) {
        FUZZ_CHECK(why != NULL);
        FUZZ_CHECK(ret == -EMSGSIZE || ret == -EINVAL || ret == -EPERM);
        return;
    }
    info = vmbus_msg_info(type);
    FUZZ_CHECK(info && info->guest_may_send);
    FUZZ_CHECK(len >= sizeof(VMBusMsgHeader) && len >= info->min_size);
    FUZZ_CHECK(len <= VMBUS_MESSAGE_PAYLOAD_MAX);
    FUZZ_CHECK(type == ldl_le_p(buf));

    if (type == VMBUS_MSGTYPE_GPADL_HEADER) {
        vmbus_gpadl_builder_free(*b);
        *b = vmbus_gpadl_begin(buf, len, max_pages, &why);
        if (!*b) {
            return;
        }
    } else if (type == VMBUS_MSGTYPE_GPADL_BODY) {
        FUZZ_CHECK(vmbus_gpadl_body_id(buf, len, &id) == 0);
        if (!*b || vmbus_gpadl_builder_id(*b) != id) {
            return;
        }
        ret = vmbus_gpadl_add_body(*b, buf, len, &why);
        if (ret == -EINVAL) {
            FUZZ_CHECK(vmbus_gpadl_failed(*b));
            vmbus_gpadl_builder_free(*b);
            *b = NULL;
            return;
        }
        FUZZ_CHECK(!vmbus_gpadl_failed(*b));
    } else {
        return;
    }
    if (vmbus_gpadl_complete(*b)) {
        VMBusGpadl *g = vmbus_gpadl_finish(*b);

        *b = NULL;
        FUZZ_CHECK(g != NULL);
        fuzz_check_gpadl(g, max_pages);
        if (vmbus_gpadl_is_page_list(g)) {
            FUZZ_CHECK(vmbus_gpadl_byte_count(g) == (uint64_t)g->npages * PAGE);
        }
        vmbus_gpadl_free(g);
    }
}

/* The host's write_index as published: inside the ring, 8-byte aligned */
static bool ring_index_ok(const VMBusRingControl *ctrl, uint32_t data_size)
{
    uint32_t w = le32_to_cpu(ctrl->write_index);

    return w < data_size && w % VMBUS_PKT_ALIGN == 0;
}

static void fuzz_ring(const uint8_t *buf, uint32_t len, uint32_t data_pages)
{
    void *pages[3];
    uint32_t npages = data_pages + 1, data_size = data_pages * PAGE;
    uint32_t i, off, avail, avail_after, free_bytes, rounds;
    VMBusRingControl *ctrl;
    VMBusRingPacket pkt;
    VMBusRing r;
    bool signal = false;
    int ret;

    /* one allocation per page: running off a page hits a redzone */
    for (i = 0; i < npages; i++) {
        pages[i] = calloc(1, PAGE);
    }
    ctrl = pages[0];
    memcpy(ctrl, buf, MIN(len, 16));
    for (i = 0, off = MIN(len, 16); i < data_pages && off < len; i++) {
        memcpy(pages[i + 1], buf + off, MIN(len - off, PAGE));
        off += MIN(len - off, PAGE);
    }

    /* consumer: the guest->host ring */
    if (vmbus_ring_init(&r, pages, npages) == 0) {
        FUZZ_CHECK(vmbus_ring_data_size(&r) == data_size);
        vmbus_ring_mask_interrupts(&r);
        for (rounds = 0; rounds < data_size / 24 + 2; rounds++) {
            if (vmbus_ring_bytes_to_read(&r, &avail) < 0) {
                FUZZ_CHECK(vmbus_ring_broken_reason(&r) != NULL);
                break;
            }
            FUZZ_CHECK(avail < data_size);
            ret = vmbus_ring_peek(&r, &pkt);
            if (ret == -EAGAIN) {
                FUZZ_CHECK(avail == 0);
                break;
            }
            if (ret < 0) {
                FUZZ_CHECK(ret == -EIO && vmbus_ring_broken_reason(&r));
                break;
            }
            FUZZ_CHECK(pkt.data_offset >= sizeof(VMBusPacketDesc));
            FUZZ_CHECK(pkt.len >= pkt.data_offset && pkt.len % 8 == 0);
            FUZZ_CHECK((uint64_t)pkt.len + VMBUS_PKT_TRAILER_SIZE <= avail);
            {
                uint8_t *copy = malloc(pkt.len);

                FUZZ_CHECK(vmbus_ring_copy_from(&r, &pkt, 0, copy,
                                                pkt.len) == 0);
                FUZZ_CHECK(le16_to_cpu(((VMBusPacketDesc *)copy)->len8) * 8u
                           == pkt.len);
                /* nothing beyond the packet */
                FUZZ_CHECK(vmbus_ring_copy_from(&r, &pkt, 1, copy,
                                                pkt.len) == -EINVAL);
                free(copy);
            }
            FUZZ_CHECK(vmbus_ring_consume(&r, &pkt) == 0);
            /* a packet consumed twice is refused */
            FUZZ_CHECK(vmbus_ring_consume(&r, &pkt) == -EINVAL ||
                       pkt.len + VMBUS_PKT_TRAILER_SIZE == data_size);
            if (vmbus_ring_bytes_to_read(&r, &avail_after) == 0) {
                FUZZ_CHECK(avail_after ==
                           avail - pkt.len - VMBUS_PKT_TRAILER_SIZE);
            }
            vmbus_ring_publish_read(&r);
        }
        vmbus_ring_unmask_interrupts(&r, &signal);
        vmbus_ring_cleanup(&r);
    }

    /* producer: the same pages as a host->guest ring */
    if (vmbus_ring_init(&r, pages, npages) == 0) {
        static const uint8_t payload[PAGE];
        uint32_t want = len ? buf[len - 1] * 8 + 1 : 1;

        for (rounds = 0; rounds < 64; rounds++) {
            struct iovec iov = { (void *)payload, MIN(want, PAGE) };
            uint32_t size = vmbus_ring_packet_size(0, iov.iov_len);

            ret = vmbus_ring_write(&r, VMBUS_PKT_INBAND, 0, rounds, NULL, 0,
                                   &iov, 1, &signal);
            if (ret == 0) {
                FUZZ_CHECK(ring_index_ok(ctrl, data_size));
                continue;
            }
            FUZZ_CHECK(ret == -ENOSPC || ret == -EMSGSIZE || ret == -EIO);
            if (ret == -ENOSPC) {
                FUZZ_CHECK(vmbus_ring_bytes_free(&r, &free_bytes) == 0);
                FUZZ_CHECK(free_bytes <= size);
                vmbus_ring_request_space(&r, size);
            }
            break;
        }
        vmbus_ring_cleanup(&r);
    }
    for (i = 0; i < npages; i++) {
        free(pages[i]);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FuzzInput in = { data, size };
    uint8_t setup = fuzz_u8(&in);
    uint32_t data_pages = 1 + (setup & 1);
    /* 1 .. 128 pages, or the server's default */
    uint32_t max_pages = setup >> 1 ? setup >> 1 : 8190;
    VMBusGpadlBuilder *b = NULL;
    uint8_t *pkt;
    uint32_t len;
    uint8_t sel;

    for (;;) {
        sel = fuzz_u8(&in);
        pkt = fuzz_next_packet(&in, &len);
        if (!pkt) {
            break;
        }
        if (sel % 2 == 0) {
            fuzz_message(pkt, len, &b, max_pages);
        } else {
            fuzz_ring(pkt, len, data_pages);
        }
        free(pkt);
    }
    vmbus_gpadl_builder_free(b);
    return 0;
}
