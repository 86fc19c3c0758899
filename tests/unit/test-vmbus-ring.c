/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for the VMBus ring buffer library (hw/vmbus/vmbus-ring.c)
 *
 * The fake guest owns malloc'd pages, one allocation per page, so that an
 * access that runs off a page instead of going on to the next one hits a
 * sanitizer redzone.  Its reader and writer behave as the Linux guest's
 * drivers/hv/ring_buffer.c does (hv_ringbuffer_write(), hv_signal_on_write(),
 * hv_pkt_iter_first(), hv_pkt_iter_close(), hv_begin_read(), hv_end_read()):
 * same space rule, trailer, barriers and signalling decisions.
 */

#include "qemu/osdep.h"
#include "qemu/atomic.h"
#include "qemu/bswap.h"
#include "hw/vmbus/vmbus-ring.h"

#define PAGE VMBUS_PAGE_SIZE

/* ------------------------------------------------------------------------ */
/* Fake guest                                                                */

typedef struct FakeRing {
    uint8_t **pages;            /* [0] = control page */
    uint32_t npages;
    uint32_t data_size;
    VMBusRingControl *ctrl;
    uint32_t priv_read;         /* the guest reader's private read index */
} FakeRing;

static void fake_ring_init(FakeRing *g, uint32_t data_pages)
{
    uint32_t i;

    g->npages = data_pages + 1;
    g->pages = g_new(uint8_t *, g->npages);
    for (i = 0; i < g->npages; i++) {
        g->pages[i] = g_malloc0(PAGE);
    }
    g->ctrl = (VMBusRingControl *)g->pages[0];
    g->data_size = data_pages * PAGE;
    g->priv_read = 0;
    /* the guest announces pending_send_sz support on every ring it sets up */
    g->ctrl->feature_bits = cpu_to_le32(VMBUS_RING_FEAT_PENDING_SEND_SZ);
}

static void fake_ring_free(FakeRing *g)
{
    uint32_t i;

    for (i = 0; i < g->npages; i++) {
        g_free(g->pages[i]);
    }
    g_free(g->pages);
}

static uint32_t guest_load(uint32_t *field)
{
    return le32_to_cpu(qatomic_read(field));
}

static void guest_store(uint32_t *field, uint32_t val)
{
    qatomic_set(field, cpu_to_le32(val));
}

static uint8_t *guest_data_byte(FakeRing *g, uint32_t pos)
{
    return g->pages[1 + pos / PAGE] + pos % PAGE;
}

static uint32_t guest_copy_to(FakeRing *g, uint32_t pos, const void *src,
                              uint32_t len)
{
    const uint8_t *in = src;

    while (len--) {
        *guest_data_byte(g, pos) = *in++;
        pos = (pos + 1) % g->data_size;
    }
    return pos;
}

static uint32_t guest_copy_from(FakeRing *g, uint32_t pos, void *dst,
                                uint32_t len)
{
    uint8_t *out = dst;

    while (len--) {
        *out++ = *guest_data_byte(g, pos);
        pos = (pos + 1) % g->data_size;
    }
    return pos;
}

static uint32_t guest_distance(FakeRing *g, uint32_t from, uint32_t to)
{
    return to >= from ? to - from : g->data_size - from + to;
}

/* Free bytes as the writer sees them (hv_get_bytes_to_write()) */
static uint32_t guest_bytes_to_write(FakeRing *g)
{
    uint32_t rd = guest_load(&g->ctrl->read_index);
    uint32_t wr = guest_load(&g->ctrl->write_index);

    return g->data_size - guest_distance(g, rd, wr);
}

/*
 * The guest writer: one packet made of @iov (the descriptor is in iov[0]),
 * as hv_ringbuffer_write() does.  Returns 0 or -EAGAIN when the packet plus
 * trailer does not fit strictly.  *@signal says whether the guest would
 * call HvSignalEvent (hv_signal_on_write()).
 */
static int guest_write_kv(FakeRing *g, const struct iovec *iov, int cnt,
                          bool *signal)
{
    uint32_t total = VMBUS_PKT_TRAILER_SIZE, old_write, pos;
    uint64_t trailer;
    int i;

    *signal = false;
    for (i = 0; i < cnt; i++) {
        total += iov[i].iov_len;
    }
    if (guest_bytes_to_write(g) <= total) {
        return -EAGAIN;
    }
    old_write = guest_load(&g->ctrl->write_index);
    pos = old_write;
    for (i = 0; i < cnt; i++) {
        pos = guest_copy_to(g, pos, iov[i].iov_base, iov[i].iov_len);
    }
    trailer = cpu_to_le64((uint64_t)old_write << 32);
    pos = guest_copy_to(g, pos, &trailer, sizeof(trailer));
    smp_mb();       /* the packet before write_index (virt_mb() in Linux) */
    guest_store(&g->ctrl->write_index, pos);

    smp_mb();       /* write_index before the host's mask is read */
    if (guest_load(&g->ctrl->interrupt_mask)) {
        return 0;
    }
    smp_rmb();      /* the mask before read_index */
    *signal = guest_load(&g->ctrl->read_index) == old_write;
    return 0;
}

/* An in-band packet as vmbus_sendpacket() builds it */
static int guest_send_inband(FakeRing *g, uint16_t flags, uint64_t trans_id,
                             const void *payload, uint32_t len, bool *signal)
{
    static const uint8_t pad[8];
    uint32_t packetlen = sizeof(VMBusPacketDesc) + len;
    uint32_t aligned = ROUND_UP(packetlen, 8);
    VMBusPacketDesc desc = {
        .type = cpu_to_le16(VMBUS_PKT_INBAND),
        .offset8 = cpu_to_le16(sizeof(VMBusPacketDesc) / 8),
        .len8 = cpu_to_le16(aligned / 8),
        .flags = cpu_to_le16(flags),
        .trans_id = cpu_to_le64(trans_id),
    };
    struct iovec iov[3] = {
        { &desc, sizeof(desc) },
        { (void *)payload, len },
        { (void *)pad, aligned - packetlen },
    };

    return guest_write_kv(g, iov, 3, signal);
}

/*
 * A GPA_DIRECT packet with one range, as vmbus_sendpacket_mpb_desc() builds
 * it: the range list is part of the descriptor area.
 */
static int guest_send_gpa_direct(FakeRing *g, uint64_t trans_id,
                                 const uint64_t *pfns, uint32_t npfns,
                                 uint32_t byte_offset, uint32_t byte_count,
                                 const void *payload, uint32_t len,
                                 bool *signal)
{
    static const uint8_t pad[8];
    uint32_t desc_size = sizeof(VMBusPacketDesc) +
        sizeof(VMBusGpaDirectHeader) + sizeof(VMBusGpaRange) + npfns * 8;
    uint32_t packetlen = desc_size + len;
    uint32_t aligned = ROUND_UP(packetlen, 8);
    g_autofree uint8_t *head = g_malloc0(desc_size);
    VMBusPacketDesc *desc = (VMBusPacketDesc *)head;
    VMBusGpaDirectHeader *gpa = (VMBusGpaDirectHeader *)(desc + 1);
    uint32_t i;
    struct iovec iov[3] = {
        { head, desc_size },
        { (void *)payload, len },
        { (void *)pad, aligned - packetlen },
    };

    desc->type = cpu_to_le16(VMBUS_PKT_GPA_DIRECT);
    desc->offset8 = cpu_to_le16(desc_size / 8);
    desc->len8 = cpu_to_le16(aligned / 8);
    desc->flags = cpu_to_le16(VMBUS_PKT_FLAG_COMPLETION_REQUESTED);
    desc->trans_id = cpu_to_le64(trans_id);
    gpa->rangecount = cpu_to_le32(1);
    gpa->range[0].byte_count = cpu_to_le32(byte_count);
    gpa->range[0].byte_offset = cpu_to_le32(byte_offset);
    for (i = 0; i < npfns; i++) {
        stq_le_p(&gpa->range[0].pfn[i], pfns[i]);
    }
    return guest_write_kv(g, iov, 3, signal);
}

/*
 * The guest reader, hv_pkt_iter_first(): copies the next packet (descriptor
 * included) into @buf and returns its length, or 0 if there is none.  Unlike
 * Linux, which clamps bad values, it asserts that the host wrote a valid
 * packet and a correct trailer.
 */
static uint32_t guest_recv(FakeRing *g, uint8_t *buf, uint32_t bufsize)
{
    uint32_t wr, avail, len, offset;
    VMBusPacketDesc desc;
    uint64_t trailer;

    wr = le32_to_cpu(qatomic_load_acquire(&g->ctrl->write_index));
    avail = guest_distance(g, g->priv_read, wr);
    if (avail < sizeof(VMBusPacketDesc)) {
        g_assert_cmpuint(avail, ==, 0);
        return 0;
    }
    guest_copy_from(g, g->priv_read, &desc, sizeof(desc));
    len = le16_to_cpu(desc.len8) * 8;
    offset = le16_to_cpu(desc.offset8) * 8;
    g_assert_cmpuint(offset, >=, sizeof(VMBusPacketDesc));
    g_assert_cmpuint(len, >=, offset);
    g_assert_cmpuint(len + VMBUS_PKT_TRAILER_SIZE, <=, avail);
    g_assert_cmpuint(len, <=, bufsize);
    guest_copy_from(g, g->priv_read, buf, len);
    guest_copy_from(g, (g->priv_read + len) % g->data_size, &trailer, 8);
    g_assert_cmphex(le64_to_cpu(trailer), ==, (uint64_t)g->priv_read << 32);
    return len;
}

/* __hv_pkt_iter_next(): move past the packet just received */
static void guest_recv_next(FakeRing *g, uint32_t len)
{
    g->priv_read = (g->priv_read + len + VMBUS_PKT_TRAILER_SIZE) %
                   g->data_size;
}

/*
 * hv_pkt_iter_close(): publish read_index and decide whether the writer
 * (the host) waits for room that has just appeared.
 */
static bool guest_recv_close(FakeRing *g)
{
    uint32_t start, pending, free_now, bytes_read;

    smp_rmb();      /* the packets are read before their space is freed */
    start = guest_load(&g->ctrl->read_index);
    guest_store(&g->ctrl->read_index, g->priv_read);
    if (!(guest_load(&g->ctrl->feature_bits) &
          VMBUS_RING_FEAT_PENDING_SEND_SZ)) {
        return false;
    }
    smp_mb();       /* read_index before pending_send_sz is read */
    pending = guest_load(&g->ctrl->pending_send_sz);
    if (!pending) {
        return false;
    }
    smp_rmb();      /* pending_send_sz before write_index */
    free_now = guest_bytes_to_write(g);
    bytes_read = guest_distance(g, start, g->priv_read);
    if (free_now - bytes_read > pending) {
        return false;
    }
    return free_now > pending;
}

/* hv_begin_read() / hv_end_read() */
static void guest_begin_read(FakeRing *g)
{
    guest_store(&g->ctrl->interrupt_mask, 1);
    smp_mb();       /* the mask before reading the ring */
}

static uint32_t guest_end_read(FakeRing *g)
{
    guest_store(&g->ctrl->interrupt_mask, 0);
    smp_mb();       /* the cleared mask before write_index is re-read */
    return guest_distance(g, guest_load(&g->ctrl->read_index),
                          le32_to_cpu(qatomic_read(&g->ctrl->write_index)));
}

/* Raw packet placement for hostile tests: descriptor + body at write_index */
static void guest_put_raw(FakeRing *g, uint16_t type, uint16_t offset8,
                          uint16_t len8, uint32_t bytes_to_publish)
{
    VMBusPacketDesc desc = {
        .type = cpu_to_le16(type),
        .offset8 = cpu_to_le16(offset8),
        .len8 = cpu_to_le16(len8),
        .trans_id = cpu_to_le64(0x1234),
    };
    uint32_t wr = guest_load(&g->ctrl->write_index);

    guest_copy_to(g, wr, &desc, sizeof(desc));
    guest_store(&g->ctrl->write_index, (wr + bytes_to_publish) % g->data_size);
}

static void fill_pattern(uint8_t *buf, uint32_t len, uint32_t seed)
{
    uint32_t i;

    for (i = 0; i < len; i++) {
        buf[i] = (uint8_t)(seed * 131 + i * 7 + (i >> 8));
    }
}

/* ------------------------------------------------------------------------ */
/* Set-up                                                                    */

static void test_init(void)
{
    FakeRing g;
    VMBusRing r;
    void *pages[3];

    fake_ring_init(&g, 2);

    g_assert_cmpint(vmbus_ring_init(&r, (void **)g.pages, 1), ==, -EINVAL);
    g_assert_cmpint(vmbus_ring_init(&r, NULL, 3), ==, -EINVAL);
    pages[0] = g.pages[0];
    pages[1] = NULL;
    pages[2] = g.pages[2];
    g_assert_cmpint(vmbus_ring_init(&r, pages, 3), ==, -EINVAL);

    g.ctrl->write_index = cpu_to_le32(2 * PAGE);         /* == data size */
    g_assert_cmpint(vmbus_ring_init(&r, (void **)g.pages, 3), ==, -EINVAL);
    g.ctrl->write_index = cpu_to_le32(12);               /* unaligned */
    g_assert_cmpint(vmbus_ring_init(&r, (void **)g.pages, 3), ==, -EINVAL);
    g.ctrl->write_index = 0;
    g.ctrl->read_index = cpu_to_le32(0xfffffff8);
    g_assert_cmpint(vmbus_ring_init(&r, (void **)g.pages, 3), ==, -EINVAL);
    g.ctrl->read_index = cpu_to_le32(PAGE + 8);
    g.ctrl->write_index = cpu_to_le32(PAGE + 8);

    g_assert_cmpint(vmbus_ring_init(&r, (void **)g.pages, 3), ==, 0);
    g_assert_cmpuint(vmbus_ring_data_size(&r), ==, 2 * PAGE);
    g_assert_null(vmbus_ring_broken_reason(&r));
    g_assert_cmphex(vmbus_ring_feature_bits(&r), ==,
                    VMBUS_RING_FEAT_PENDING_SEND_SZ);
    vmbus_ring_cleanup(&r);
    vmbus_ring_cleanup(&r);     /* twice is harmless */
    fake_ring_free(&g);
}

static void test_packet_size(void)
{
    g_assert_cmpuint(vmbus_ring_packet_size(0, 0), ==, 24);
    g_assert_cmpuint(vmbus_ring_packet_size(0, 1), ==, 32);
    g_assert_cmpuint(vmbus_ring_packet_size(0, 8), ==, 32);
    g_assert_cmpuint(vmbus_ring_packet_size(12, 0), ==, 40);
    g_assert_cmpuint(vmbus_ring_packet_size(24, 100), ==, 16 + 24 + 104 + 8);
    /* len8 is 16 bits: 65535 * 8 bytes at most, descriptor included */
    g_assert_cmpuint(vmbus_ring_packet_size(0, 65535 * 8 - 16), ==,
                     65535 * 8 + 8);
    g_assert_cmpuint(vmbus_ring_packet_size(0, 65535 * 8 - 15), ==, 0);
    g_assert_cmpuint(vmbus_ring_packet_size(UINT32_MAX, 0), ==, 0);
    g_assert_cmpuint(vmbus_ring_packet_size(0, SIZE_MAX), ==, 0);
}

/* ------------------------------------------------------------------------ */
/* host -> guest                                                             */

typedef struct Expected {
    uint64_t trans_id;
    uint16_t flags;
    uint32_t len;
    uint32_t seed;
} Expected;

static void test_host_to_guest_roundtrip(void)
{
    FakeRing g;
    VMBusRing r;
    uint8_t payload[2048], buf[4 * PAGE];
    Expected queue[64];
    uint32_t round, wraps = 0, packets = 0, last_write = 0;

    fake_ring_init(&g, 3);
    g_assert_cmpint(vmbus_ring_init(&r, (void **)g.pages, g.npages), ==, 0);

    for (round = 0; round < 600; round++) {
        uint32_t n = 0, i, want = 1 + round % 5;

        /* a burst of packets of many sizes, split over several iovecs */
        while (n < want) {
            Expected *e = &queue[n];
            uint32_t a, b;
            struct iovec iov[3];
            bool signal = true;
            int ret;

            e->len = (round * 97 + n * 331) % sizeof(payload);
            e->seed = round * 8 + n;
            e->trans_id = ((uint64_t)round << 32) | n;
            e->flags = n & 1;
            fill_pattern(payload, e->len, e->seed);
            a = e->len / 3;
            b = e->len - e->len / 4;
            iov[0] = (struct iovec) { payload, a };
            iov[1] = (struct iovec) { payload + a, b - a };
            iov[2] = (struct iovec) { payload + b, e->len - b };

            ret = vmbus_ring_write(&r, VMBUS_PKT_INBAND, e->flags,
                                   e->trans_id, NULL, 0, iov, 3, &signal);
            if (ret == -ENOSPC) {
                g_assert_cmpuint(n, >, 0);
                break;
            }
            g_assert_cmpint(ret, ==, 0);
            /* interrupt_mask is clear: signal exactly when it was empty */
            g_assert(signal == (n == 0));
            if (le32_to_cpu(g.ctrl->write_index) < last_write) {
                wraps++;
            }
            last_write = le32_to_cpu(g.ctrl->write_index);
            n++;
        }

        for (i = 0; i < n; i++) {
            Expected *e = &queue[i];
            VMBusPacketDesc *desc = (VMBusPacketDesc *)buf;
            uint32_t len = guest_recv(&g, buf, sizeof(buf)), pad;

            g_assert_cmpuint(len, ==, ROUND_UP(16 + e->len, 8));
            g_assert_cmpuint(le16_to_cpu(desc->type), ==, VMBUS_PKT_INBAND);
            g_assert_cmpuint(le16_to_cpu(desc->offset8), ==, 2);
            g_assert_cmpuint(le16_to_cpu(desc->flags), ==, e->flags);
            g_assert_cmphex(le64_to_cpu(desc->trans_id), ==, e->trans_id);
            fill_pattern(payload, e->len, e->seed);
            g_assert(memcmp(buf + 16, payload, e->len) == 0);
            /* padding is zero */
            for (pad = 16 + e->len; pad < len; pad++) {
                g_assert_cmpuint(buf[pad], ==, 0);
            }
            guest_recv_next(&g, len);
            packets++;
        }
        g_assert_cmpuint(guest_recv(&g, buf, sizeof(buf)), ==, 0);
        g_assert_false(guest_recv_close(&g));
    }
    g_assert_cmpuint(wraps, >, 50);
    g_assert_cmpuint(packets, >, 1000);
    g_assert_null(vmbus_ring_broken_reason(&r));
    vmbus_ring_cleanup(&r);
    fake_ring_free(&g);
}

static void test_host_write_ext(void)
{
    FakeRing g;
    VMBusRing r;
    uint8_t ext[24], buf[256], payload[5] = { 1, 2, 3, 4, 5 };
    VMBusXferPagesHeader *xfer = (VMBusXferPagesHeader *)ext;
    VMBusPacketDesc *desc = (VMBusPacketDesc *)buf;
    struct iovec iov = { payload, sizeof(payload) };
    uint32_t len;

    fake_ring_init(&g, 1);
    g_assert_cmpint(vmbus_ring_init(&r, (void **)g.pages, g.npages), ==, 0);

    /* XFER_PAGES header with two ranges: offset8 = (16 + 24) / 8 */
    memset(ext, 0, sizeof(ext));
    xfer->pageset_id = cpu_to_le16(0xcafe);
    xfer->range_cnt = cpu_to_le32(2);
    xfer->range[0].byte_count = cpu_to_le32(100);
    xfer->range[0].byte_offset = cpu_to_le32(0);
    xfer->range[1].byte_count = cpu_to_le32(200);
    xfer->range[1].byte_offset = cpu_to_le32(4096);
    g_assert_cmpint(vmbus_ring_write(&r, VMBUS_PKT_XFER_PAGES, 0, 77, ext,
                                     sizeof(ext), &iov, 1, NULL), ==, 0);
    len = guest_recv(&g, buf, sizeof(buf));
    g_assert_cmpuint(len, ==, 16 + 24 + 8);
    g_assert_cmpuint(le16_to_cpu(desc->type), ==, VMBUS_PKT_XFER_PAGES);
    g_assert_cmpuint(le16_to_cpu(desc->offset8), ==, 5);
    g_assert_cmpuint(le16_to_cpu(desc->len8), ==, 6);
    g_assert(memcmp(buf + 16, ext, sizeof(ext)) == 0);
    g_assert(memcmp(buf + 40, payload, sizeof(payload)) == 0);
    g_assert_cmpuint(buf[45] | buf[46] | buf[47], ==, 0);
    guest_recv_next(&g, len);

    /* an extension that is not a multiple of 8 is padded with zeroes */
    memset(ext, 0xee, sizeof(ext));
    g_assert_cmpint(vmbus_ring_write(&r, VMBUS_PKT_COMP, 0, 78, ext, 12,
                                     NULL, 0, NULL), ==, 0);
    len = guest_recv(&g, buf, sizeof(buf));
    g_assert_cmpuint(len, ==, 32);
    g_assert_cmpuint(le16_to_cpu(desc->offset8), ==, 4);
    g_assert_cmpuint(le16_to_cpu(desc->len8), ==, 4);
    g_assert_cmpuint(buf[27], ==, 0xee);
    g_assert_cmpuint(buf[28] | buf[29] | buf[30] | buf[31], ==, 0);
    guest_recv_next(&g, len);

    g_assert_cmpint(vmbus_ring_write(&r, VMBUS_PKT_COMP, 0, 79, NULL, 8,
                                     NULL, 0, NULL), ==, -EINVAL);

    /* the guest's packet buffer size caps what may be sent */
    vmbus_ring_set_max_packet_len(&r, 48);
    g_assert_cmpint(vmbus_ring_write(&r, VMBUS_PKT_XFER_PAGES, 0, 80, ext,
                                     sizeof(ext), &iov, 1, NULL), ==, 0);
    iov.iov_base = buf;
    iov.iov_len = 9;                    /* 16 + 24 + 16 > 48 */
    g_assert_cmpint(vmbus_ring_write(&r, VMBUS_PKT_XFER_PAGES, 0, 81, ext,
                                     sizeof(ext), &iov, 1, NULL), ==,
                    -EMSGSIZE);
    len = guest_recv(&g, buf, sizeof(buf));
    g_assert_cmpuint(len, ==, 48);
    guest_recv_next(&g, len);
    g_assert_cmpuint(guest_recv(&g, buf, sizeof(buf)), ==, 0);
    vmbus_ring_set_max_packet_len(&r, 0);
    g_assert_cmpint(vmbus_ring_write(&r, VMBUS_PKT_XFER_PAGES, 0, 81, ext,
                                     sizeof(ext), &iov, 1, NULL), ==, 0);
    vmbus_ring_cleanup(&r);
    fake_ring_free(&g);
}

static void test_host_ring_full(void)
{
    FakeRing g;
    VMBusRing r;
    uint8_t payload[40] = { 0 }, buf[PAGE];
    struct iovec iov = { payload, sizeof(payload) };
    uint32_t n = 0, free_bytes, len, total = vmbus_ring_packet_size(0, 40);
    bool signal;
    int ret;

    g_assert_cmpuint(total, ==, 64);
    fake_ring_init(&g, 1);
    g_assert_cmpint(vmbus_ring_init(&r, (void **)g.pages, g.npages), ==, 0);

    /* 4096 / 64 = 64 slots, but the ring is never filled completely */
    /* bounded: a ring that lets itself be filled would look empty */
    while (n < 100 && (ret = vmbus_ring_write(&r, VMBUS_PKT_INBAND, 0, n,
                                              NULL, 0, &iov, 1,
                                              &signal)) == 0) {
        n++;
    }
    g_assert_cmpint(ret, ==, -ENOSPC);
    g_assert_cmpuint(n, ==, 63);
    g_assert_false(signal);
    g_assert_cmpint(vmbus_ring_bytes_free(&r, &free_bytes), ==, 0);
    g_assert_cmpuint(free_bytes, ==, 64);

    /* a packet that can never fit is not -ENOSPC */
    g_assert_cmpint(vmbus_ring_write(&r, VMBUS_PKT_INBAND, 0, 0, NULL,
                                     PAGE - 24, NULL, 0, NULL), ==, -EINVAL);
    {
        g_autofree uint8_t *big = g_malloc0(PAGE);
        struct iovec big_iov = { big, PAGE - 24 };

        g_assert_cmpint(vmbus_ring_write(&r, VMBUS_PKT_INBAND, 0, 0, NULL, 0,
                                         &big_iov, 1, NULL), ==, -EMSGSIZE);
        big_iov.iov_len = PAGE - 32;    /* 4072 in the ring: fits when empty */
        g_assert_cmpint(vmbus_ring_write(&r, VMBUS_PKT_INBAND, 0, 0, NULL, 0,
                                         &big_iov, 1, NULL), ==, -ENOSPC);
    }

    /* no room yet: wait for the guest */
    g_assert_false(vmbus_ring_request_space(&r, total));
    g_assert_cmpuint(le32_to_cpu(g.ctrl->pending_send_sz), ==, total);

    /* the guest reads one packet: 128 bytes free > 64, it signals */
    len = guest_recv(&g, buf, sizeof(buf));
    g_assert_cmpuint(len, ==, 56);
    guest_recv_next(&g, len);
    g_assert_true(guest_recv_close(&g));
    /* reading another one is no transition: no second signal */
    len = guest_recv(&g, buf, sizeof(buf));
    guest_recv_next(&g, len);
    g_assert_false(guest_recv_close(&g));

    g_assert_cmpint(vmbus_ring_write(&r, VMBUS_PKT_INBAND, 0, 1000, NULL, 0,
                                     &iov, 1, &signal), ==, 0);
    g_assert_false(signal);
    /* a successful write withdraws the request */
    g_assert_cmpuint(le32_to_cpu(g.ctrl->pending_send_sz), ==, 0);

    /* request_space sees room the guest made before the request */
    n = 0;
    while (n < 100 && vmbus_ring_write(&r, VMBUS_PKT_INBAND, 0, 0, NULL, 0,
                                       &iov, 1, NULL) == 0) {
        n++;                            /* fill up again: 128 bytes free */
    }
    g_assert_cmpuint(n, ==, 1);
    len = guest_recv(&g, buf, sizeof(buf));
    guest_recv_next(&g, len);
    g_assert_false(guest_recv_close(&g));   /* nobody was waiting yet */
    g_assert_true(vmbus_ring_request_space(&r, total));

    vmbus_ring_cleanup(&r);
    fake_ring_free(&g);
}

static void test_host_write_signal(void)
{
    FakeRing g;
    VMBusRing r;
    uint8_t buf[PAGE];
    bool signal;
    uint32_t len;

    fake_ring_init(&g, 2);
    g_assert_cmpint(vmbus_ring_init(&r, (void **)g.pages, g.npages), ==, 0);

    /* the guest is busy reading (hv_begin_read()): no signal */
    guest_begin_read(&g);
    g_assert_cmpint(vmbus_ring_write(&r, VMBUS_PKT_INBAND, 0, 1, NULL, 0,
                                     NULL, 0, &signal), ==, 0);
    g_assert_false(signal);
    /* hv_end_read() re-checks and finds the packet */
    g_assert_cmpuint(guest_end_read(&g), ==, 24);
    len = guest_recv(&g, buf, sizeof(buf));
    g_assert_cmpuint(len, ==, 16);
    guest_recv_next(&g, len);

    /* read but not yet published: the ring is not empty for the host */
    g_assert_cmpint(vmbus_ring_write(&r, VMBUS_PKT_INBAND, 0, 2, NULL, 0,
                                     NULL, 0, &signal), ==, 0);
    g_assert_false(signal);
    len = guest_recv(&g, buf, sizeof(buf));
    guest_recv_next(&g, len);
    guest_recv_close(&g);

    /* empty and unmasked: signal; not empty: no signal */
    g_assert_cmpint(vmbus_ring_write(&r, VMBUS_PKT_INBAND, 0, 3, NULL, 0,
                                     NULL, 0, &signal), ==, 0);
    g_assert_true(signal);
    g_assert_cmpint(vmbus_ring_write(&r, VMBUS_PKT_INBAND, 0, 4, NULL, 0,
                                     NULL, 0, &signal), ==, 0);
    g_assert_false(signal);

    vmbus_ring_cleanup(&r);
    fake_ring_free(&g);
}

/*
 * A held-back signal (interrupt moderation): the guest needs it only while
 * it has not masked its interrupts and packets wait unread.
 */
static void test_host_held_signal(void)
{
    FakeRing g;
    VMBusRing r;
    uint8_t buf[PAGE];
    bool signal;
    uint32_t len;

    fake_ring_init(&g, 2);
    g_assert_cmpint(vmbus_ring_init(&r, (void **)g.pages, g.npages), ==, 0);

    /* nothing written: nothing to miss */
    g_assert_false(vmbus_ring_guest_would_miss(&r));
    g_assert_cmpint(vmbus_ring_write(&r, VMBUS_PKT_COMP, 0, 1, NULL, 0,
                                     NULL, 0, &signal), ==, 0);
    g_assert_true(signal);
    /* not signalled: the guest would not look */
    g_assert_true(vmbus_ring_guest_would_miss(&r));
    /* polling (interrupts masked): it finds the packet itself */
    guest_begin_read(&g);
    g_assert_false(vmbus_ring_guest_would_miss(&r));
    g_assert_cmpuint(guest_end_read(&g), ==, 24);
    g_assert_true(vmbus_ring_guest_would_miss(&r));
    /* read and published: nothing left to miss */
    len = guest_recv(&g, buf, sizeof(buf));
    g_assert_cmpuint(len, ==, 16);
    guest_recv_next(&g, len);
    guest_recv_close(&g);
    g_assert_false(vmbus_ring_guest_would_miss(&r));

    vmbus_ring_cleanup(&r);
    fake_ring_free(&g);
}

typedef struct DirtyLog {
    uint32_t count[8];
    uint32_t calls;
} DirtyLog;

static void dirty_cb(void *opaque, uint32_t page_index)
{
    DirtyLog *log = opaque;

    g_assert_cmpuint(page_index, <, 8);
    log->count[page_index]++;
    log->calls++;
}

static void test_dirty_tracking(void)
{
    FakeRing g;
    VMBusRing r;
    DirtyLog log = { { 0 } };
    uint8_t payload[200] = { 0 };
    struct iovec iov = { payload, sizeof(payload) };
    VMBusRingPacket pkt;
    bool signal;

    fake_ring_init(&g, 3);
    /* both indices near the end of the last data page */
    g.ctrl->write_index = cpu_to_le32(3 * PAGE - 64);
    g.ctrl->read_index = cpu_to_le32(3 * PAGE - 64);
    g_assert_cmpint(vmbus_ring_init(&r, (void **)g.pages, g.npages), ==, 0);
    vmbus_ring_set_dirty_fn(&r, dirty_cb, &log);

    /* 224 bytes from 12224: the last data page (3) and the first (1) */
    g_assert_cmpint(vmbus_ring_write(&r, VMBUS_PKT_INBAND, 0, 1, NULL, 0,
                                     &iov, 1, &signal), ==, 0);
    g_assert_cmpuint(log.count[0], >=, 1);
    g_assert_cmpuint(log.count[1], ==, 1);
    g_assert_cmpuint(log.count[2], ==, 0);
    g_assert_cmpuint(log.count[3], ==, 1);
    g_assert_cmpuint(le32_to_cpu(g.ctrl->write_index), ==, 224 - 64);

    /* consuming writes the control page only */
    memset(&log, 0, sizeof(log));
    vmbus_ring_cleanup(&r);
    g.ctrl->read_index = cpu_to_le32(3 * PAGE - 64);
    g.ctrl->write_index = cpu_to_le32(224 - 64);
    g_assert_cmpint(vmbus_ring_init(&r, (void **)g.pages, g.npages), ==, 0);
    vmbus_ring_set_dirty_fn(&r, dirty_cb, &log);
    g_assert_cmpint(vmbus_ring_peek(&r, &pkt), ==, 0);
    g_assert_cmpuint(pkt.len, ==, 216);
    g_assert_cmpint(vmbus_ring_consume(&r, &pkt), ==, 0);
    vmbus_ring_publish_read(&r);
    vmbus_ring_publish_read(&r);        /* nothing new: no write */
    vmbus_ring_mask_interrupts(&r);
    g_assert_cmpuint(log.count[0], ==, log.calls);
    g_assert_cmpuint(log.calls, ==, 2);

    vmbus_ring_cleanup(&r);
    fake_ring_free(&g);
}

/* ------------------------------------------------------------------------ */
/* guest -> host                                                             */

static void test_guest_to_host_roundtrip(void)
{
    FakeRing g;
    VMBusRing r;
    uint8_t payload[3000], buf[4 * PAGE];
    Expected queue[64];
    uint32_t round, wraps = 0, packets = 0, last_write = 0;

    fake_ring_init(&g, 2);
    g_assert_cmpint(vmbus_ring_init(&r, (void **)g.pages, g.npages), ==, 0);

    for (round = 0; round < 600; round++) {
        uint32_t n = 0, i, want = 1 + round % 6, avail;
        bool signal, guest_signal = false;
        VMBusRingPacket pkt;

        while (n < want) {
            Expected *e = &queue[n];
            int ret;

            e->len = (round * 131 + n * 17) % sizeof(payload);
            e->seed = round * 8 + n;
            e->trans_id = ((uint64_t)n << 40) | round;
            e->flags = (round + n) & 1;
            fill_pattern(payload, e->len, e->seed);
            ret = guest_send_inband(&g, e->flags, e->trans_id, payload,
                                    e->len, &signal);
            if (ret == -EAGAIN) {
                g_assert_cmpuint(n, >, 0);
                break;
            }
            g_assert_cmpint(ret, ==, 0);
            g_assert(signal == (n == 0));
            if (le32_to_cpu(g.ctrl->write_index) < last_write) {
                wraps++;
            }
            last_write = le32_to_cpu(g.ctrl->write_index);
            n++;
        }

        g_assert_cmpint(vmbus_ring_bytes_to_read(&r, &avail), ==, 0);
        g_assert_cmpuint(avail, >, 0);
        vmbus_ring_mask_interrupts(&r);
        g_assert_cmpuint(le32_to_cpu(g.ctrl->interrupt_mask), ==, 1);
        for (i = 0; i < n; i++) {
            Expected *e = &queue[i];
            uint32_t aligned = ROUND_UP(16 + e->len, 8);

            if (i % 2) {
                g_assert_cmpint(vmbus_ring_peek(&r, &pkt), ==, 0);
                g_assert_cmpint(vmbus_ring_copy_from(&r, &pkt, pkt.data_offset,
                                                     buf, e->len), ==, 0);
                g_assert_cmpint(vmbus_ring_consume(&r, &pkt), ==, 0);
            } else {
                g_assert_cmpint(vmbus_ring_read_packet(&r, &pkt, buf,
                                                       sizeof(buf)), ==, 0);
                memmove(buf, buf + 16, e->len);
            }
            g_assert_cmpuint(pkt.type, ==, VMBUS_PKT_INBAND);
            g_assert_cmpuint(pkt.flags, ==, e->flags);
            g_assert_cmphex(pkt.trans_id, ==, e->trans_id);
            g_assert_cmpuint(pkt.data_offset, ==, 16);
            g_assert_cmpuint(pkt.len, ==, aligned);
            fill_pattern(payload, e->len, e->seed);
            g_assert(memcmp(buf, payload, e->len) == 0);
            packets++;
        }
        g_assert_cmpint(vmbus_ring_peek(&r, &pkt), ==, -EAGAIN);
        /* nothing published yet: the guest still sees a non-empty ring */
        g_assert_cmpuint(le32_to_cpu(g.ctrl->read_index), !=,
                         le32_to_cpu(g.ctrl->write_index));
        g_assert_false(vmbus_ring_unmask_interrupts(&r, &guest_signal));
        g_assert_false(guest_signal);
        g_assert_cmpuint(le32_to_cpu(g.ctrl->interrupt_mask), ==, 0);
        g_assert_cmpuint(le32_to_cpu(g.ctrl->read_index), ==,
                         le32_to_cpu(g.ctrl->write_index));
    }
    g_assert_cmpuint(wraps, >, 50);
    g_assert_cmpuint(packets, >, 1000);
    vmbus_ring_cleanup(&r);
    fake_ring_free(&g);
}

static void test_guest_gpa_direct(void)
{
    FakeRing g;
    VMBusRing r;
    VMBusRingPacket pkt;
    uint64_t pfns[3] = { 0x1000, 0x2345, 0xfffff };
    uint8_t cdb[64], buf[256];
    VMBusGpaDirectHeader *gpa = (VMBusGpaDirectHeader *)(buf + 16);
    bool signal;

    fill_pattern(cdb, sizeof(cdb), 5);
    fake_ring_init(&g, 1);
    g_assert_cmpint(vmbus_ring_init(&r, (void **)g.pages, g.npages), ==, 0);
    g_assert_cmpint(guest_send_gpa_direct(&g, 42, pfns, 3, 0x10, 8192,
                                          cdb, 61, &signal), ==, 0);
    g_assert_true(signal);
    g_assert_cmpint(vmbus_ring_peek(&r, &pkt), ==, 0);
    g_assert_cmpuint(pkt.type, ==, VMBUS_PKT_GPA_DIRECT);
    g_assert_cmpuint(pkt.flags, ==, VMBUS_PKT_FLAG_COMPLETION_REQUESTED);
    g_assert_cmpuint(pkt.data_offset, ==, 16 + 8 + 8 + 24);
    g_assert_cmpuint(pkt.len, ==, ROUND_UP(56 + 61, 8));
    g_assert_cmpint(vmbus_ring_copy_from(&r, &pkt, 0, buf, pkt.len), ==, 0);
    g_assert_cmpuint(le32_to_cpu(gpa->rangecount), ==, 1);
    g_assert_cmpuint(le32_to_cpu(gpa->range[0].byte_offset), ==, 0x10);
    g_assert_cmpuint(le32_to_cpu(gpa->range[0].byte_count), ==, 8192);
    g_assert_cmphex(ldq_le_p(&gpa->range[0].pfn[2]), ==, 0xfffff);
    g_assert(memcmp(buf + pkt.data_offset, cdb, 61) == 0);

    /* copy_from bounds, including arithmetic that would wrap */
    g_assert_cmpint(vmbus_ring_copy_from(&r, &pkt, 0, buf, pkt.len + 1), ==,
                    -EINVAL);
    g_assert_cmpint(vmbus_ring_copy_from(&r, &pkt, pkt.len, buf, 0), ==, 0);
    g_assert_cmpint(vmbus_ring_copy_from(&r, &pkt, pkt.len + 1, buf, 0), ==,
                    -EINVAL);
    g_assert_cmpint(vmbus_ring_copy_from(&r, &pkt, UINT32_MAX, buf, 2), ==,
                    -EINVAL);
    g_assert_cmpint(vmbus_ring_copy_from(&r, &pkt, 8, buf, UINT32_MAX), ==,
                    -EINVAL);

    g_assert_cmpint(vmbus_ring_consume(&r, &pkt), ==, 0);
    /* the same packet cannot be consumed twice */
    g_assert_cmpint(vmbus_ring_consume(&r, &pkt), ==, -EINVAL);
    g_assert_false(vmbus_ring_publish_read(&r));
    vmbus_ring_cleanup(&r);
    fake_ring_free(&g);
}

static void test_guest_ring_full_pending_send(void)
{
    FakeRing g;
    VMBusRing r;
    VMBusRingPacket pkt;
    uint8_t payload[100] = { 0 }, buf[256];
    uint32_t n = 0, need = 16 + 104 + 8;
    bool signal;

    fake_ring_init(&g, 1);
    g_assert_cmpint(vmbus_ring_init(&r, (void **)g.pages, g.npages), ==, 0);
    while (guest_send_inband(&g, 0, n, payload, sizeof(payload),
                             &signal) == 0) {
        n++;
    }
    /* 4096 / 128 = 32 slots, one of them stays free */
    g_assert_cmpuint(n, ==, 31);

    /* without pending_send_sz no signal is due */
    g_assert_cmpint(vmbus_ring_read_packet(&r, &pkt, buf, sizeof(buf)), ==, 0);
    g_assert_false(vmbus_ring_publish_read(&r));
    g_assert_cmpint(guest_send_inband(&g, 0, n++, payload, sizeof(payload),
                                      &signal), ==, 0);
    g_assert_false(signal);

    /* the guest waits for room (set_channel_pending_send_size()) */
    g_assert_cmpint(guest_send_inband(&g, 0, n, payload, sizeof(payload),
                                      &signal), ==, -EAGAIN);
    guest_store(&g.ctrl->pending_send_sz, need);
    g_assert_cmpint(vmbus_ring_read_packet(&r, &pkt, buf, sizeof(buf)), ==, 0);
    g_assert_true(vmbus_ring_publish_read(&r));
    /* more room is no new transition */
    g_assert_cmpint(vmbus_ring_read_packet(&r, &pkt, buf, sizeof(buf)), ==, 0);
    g_assert_false(vmbus_ring_publish_read(&r));
    /* nothing to publish, nothing to signal */
    g_assert_false(vmbus_ring_publish_read(&r));

    /* freeing too little for the request is no signal either */
    guest_store(&g.ctrl->pending_send_sz, 0);
    while (guest_send_inband(&g, 0, n, payload, sizeof(payload),
                             &signal) == 0) {
        n++;
    }
    guest_store(&g.ctrl->pending_send_sz, 2 * need);
    g_assert_cmpint(vmbus_ring_read_packet(&r, &pkt, buf, sizeof(buf)), ==, 0);
    g_assert_false(vmbus_ring_publish_read(&r));        /* 256 free, not > */
    g_assert_cmpint(vmbus_ring_read_packet(&r, &pkt, buf, sizeof(buf)), ==, 0);
    g_assert_true(vmbus_ring_publish_read(&r));         /* 384 free */

    /* unmask publishes too and reports the signal */
    guest_store(&g.ctrl->pending_send_sz, 0);
    while (guest_send_inband(&g, 0, n, payload, sizeof(payload),
                             &signal) == 0) {
        n++;
    }
    guest_store(&g.ctrl->pending_send_sz, need);
    vmbus_ring_mask_interrupts(&r);
    g_assert_cmpint(vmbus_ring_read_packet(&r, &pkt, buf, sizeof(buf)), ==, 0);
    signal = false;
    g_assert_true(vmbus_ring_unmask_interrupts(&r, &signal));
    g_assert_true(signal);
    g_assert_cmpint(vmbus_ring_read_packet(&r, &pkt, buf, 112), ==, -ENOBUFS);
    g_assert_cmpuint(pkt.len, ==, 120);
    /* nothing was consumed */
    g_assert_cmpint(vmbus_ring_read_packet(&r, &pkt, buf, 120), ==, 0);

    vmbus_ring_cleanup(&r);
    fake_ring_free(&g);
}

static void test_host_interrupt_mask(void)
{
    FakeRing g;
    VMBusRing r;
    VMBusRingPacket pkt;
    uint8_t buf[64];
    bool signal, guest_signal = false;

    fake_ring_init(&g, 1);
    g_assert_cmpint(vmbus_ring_init(&r, (void **)g.pages, g.npages), ==, 0);

    vmbus_ring_mask_interrupts(&r);
    g_assert_cmpint(guest_send_inband(&g, 0, 1, "abc", 3, &signal), ==, 0);
    g_assert_false(signal);             /* masked: the guest stays quiet */
    g_assert_cmpint(vmbus_ring_read_packet(&r, &pkt, buf, sizeof(buf)), ==, 0);
    /* a packet arrives while the host is still masked */
    g_assert_cmpint(guest_send_inband(&g, 0, 2, "def", 3, &signal), ==, 0);
    g_assert_false(signal);
    /* the re-check after unmasking catches it */
    g_assert_true(vmbus_ring_unmask_interrupts(&r, &guest_signal));
    vmbus_ring_mask_interrupts(&r);
    g_assert_cmpint(vmbus_ring_read_packet(&r, &pkt, buf, sizeof(buf)), ==, 0);
    g_assert_cmphex(pkt.trans_id, ==, 2);
    g_assert_false(vmbus_ring_unmask_interrupts(&r, &guest_signal));
    g_assert_false(guest_signal);
    /* unmasked and empty: the guest signals its next packet */
    g_assert_cmpint(guest_send_inband(&g, 0, 3, "ghi", 3, &signal), ==, 0);
    g_assert_true(signal);

    vmbus_ring_cleanup(&r);
    fake_ring_free(&g);
}

/* ------------------------------------------------------------------------ */
/* Hostile guest                                                             */

static void assert_broken(VMBusRing *r)
{
    VMBusRingPacket pkt;
    uint32_t bytes;
    bool signal = false;

    g_assert_nonnull(vmbus_ring_broken_reason(r));
    g_assert_cmpint(vmbus_ring_peek(r, &pkt), ==, -EIO);
    g_assert_cmpint(vmbus_ring_bytes_to_read(r, &bytes), ==, -EIO);
    g_assert_cmpint(vmbus_ring_bytes_free(r, &bytes), ==, -EIO);
    g_assert_cmpint(vmbus_ring_write(r, VMBUS_PKT_INBAND, 0, 0, NULL, 0,
                                     NULL, 0, NULL), ==, -EIO);
    g_assert_false(vmbus_ring_unmask_interrupts(r, &signal));
    g_assert_false(signal);
    g_assert_true(vmbus_ring_request_space(r, 64));
}

/* Sets up a fresh 2-data-page ring for one hostile case */
static void hostile_setup(FakeRing *g, VMBusRing *r)
{
    fake_ring_init(g, 2);
    g_assert_cmpint(vmbus_ring_init(r, (void **)g->pages, g->npages), ==, 0);
}

static void hostile_teardown(FakeRing *g, VMBusRing *r)
{
    vmbus_ring_cleanup(r);
    fake_ring_free(g);
}

static void test_hostile_write_index(void)
{
    static const uint32_t bad[] = {
        2 * PAGE, 2 * PAGE + 8, 0xfffffff8, 0xffffffff, 4, 12, 8191,
    };
    FakeRing g;
    VMBusRing r;
    VMBusRingPacket pkt;
    size_t i;

    for (i = 0; i < ARRAY_SIZE(bad); i++) {
        hostile_setup(&g, &r);
        guest_store(&g.ctrl->write_index, bad[i]);
        g_assert_cmpint(vmbus_ring_peek(&r, &pkt), ==, -EIO);
        /* sticky: fixing the index does not revive the ring */
        guest_store(&g.ctrl->write_index, 0);
        assert_broken(&r);
        hostile_teardown(&g, &r);
    }
}

static void test_hostile_descriptor(void)
{
    static const struct {
        uint16_t offset8, len8;
        uint32_t publish;
    } bad[] = {
        { 1, 2, 24 },           /* payload inside the descriptor */
        { 0, 0, 24 },           /* zero-length packet */
        { 0, 2, 24 },
        { 4, 3, 32 },           /* len8 < offset8 */
        { 2, 0xffff, 64 },      /* huge len8 */
        { 0xffff, 0xffff, 64 },
        { 2, 8, 64 },           /* 64 + trailer > 64 published */
        { 2, 2, 16 },           /* no room for the trailer */
        { 2, 2, 8 },            /* less than a descriptor published */
    };
    FakeRing g;
    VMBusRing r;
    VMBusRingPacket pkt;
    size_t i;

    for (i = 0; i < ARRAY_SIZE(bad); i++) {
        hostile_setup(&g, &r);
        guest_put_raw(&g, VMBUS_PKT_INBAND, bad[i].offset8, bad[i].len8,
                      bad[i].publish);
        memset(&pkt, 0x5a, sizeof(pkt));
        g_assert_cmpint(vmbus_ring_peek(&r, &pkt), ==, -EIO);
        assert_broken(&r);
        hostile_teardown(&g, &r);
    }

    /* the largest legal packet: everything published but the free slot */
    hostile_setup(&g, &r);
    guest_put_raw(&g, VMBUS_PKT_INBAND, 2, (2 * PAGE - 16) / 8, 2 * PAGE - 8);
    g_assert_cmpint(vmbus_ring_peek(&r, &pkt), ==, 0);
    g_assert_cmpuint(pkt.len, ==, 2 * PAGE - 16);
    g_assert_cmpint(vmbus_ring_consume(&r, &pkt), ==, 0);
    g_assert_cmpint(vmbus_ring_peek(&r, &pkt), ==, -EAGAIN);
    hostile_teardown(&g, &r);
}

static void test_hostile_trailer(void)
{
    FakeRing g;
    VMBusRing r;
    VMBusRingPacket pkt;
    uint8_t buf[64];
    uint64_t garbage = 0xdeadbeefdeadbeefull;
    bool signal;

    hostile_setup(&g, &r);
    g_assert_cmpint(guest_send_inband(&g, 0, 7, "hello", 5, &signal), ==, 0);
    g_assert_cmpint(guest_send_inband(&g, 0, 8, "world", 5, &signal), ==, 0);
    /* trash the first trailer: a reader does not need it */
    guest_copy_to(&g, 24, &garbage, sizeof(garbage));
    g_assert_cmpint(vmbus_ring_read_packet(&r, &pkt, buf, sizeof(buf)), ==, 0);
    g_assert_cmphex(pkt.trans_id, ==, 7);
    g_assert_cmpint(vmbus_ring_read_packet(&r, &pkt, buf, sizeof(buf)), ==, 0);
    g_assert_cmphex(pkt.trans_id, ==, 8);
    g_assert(memcmp(buf + 16, "world", 5) == 0);
    g_assert_null(vmbus_ring_broken_reason(&r));
    hostile_teardown(&g, &r);
}

static void test_hostile_index_changes(void)
{
    FakeRing g;
    VMBusRing r;
    VMBusRingPacket pkt;
    uint8_t buf[64];
    bool signal;

    /* write_index changes between peek and copy: the peeked packet holds */
    hostile_setup(&g, &r);
    g_assert_cmpint(guest_send_inband(&g, 0, 7, "hello", 5, &signal), ==, 0);
    g_assert_cmpint(vmbus_ring_peek(&r, &pkt), ==, 0);
    guest_store(&g.ctrl->write_index, 0xfff0);
    g_assert_cmpint(vmbus_ring_copy_from(&r, &pkt, 16, buf, 5), ==, 0);
    g_assert(memcmp(buf, "hello", 5) == 0);
    g_assert_cmpint(vmbus_ring_consume(&r, &pkt), ==, 0);
    /* the guest's index is checked on the next read of it */
    g_assert_false(vmbus_ring_publish_read(&r));
    g_assert_cmpuint(le32_to_cpu(g.ctrl->read_index), ==, 32);
    g_assert_null(vmbus_ring_broken_reason(&r));
    g_assert_cmpint(vmbus_ring_peek(&r, &pkt), ==, -EIO);
    assert_broken(&r);
    hostile_teardown(&g, &r);

    /* a descriptor changed after peek does not change the peeked packet */
    hostile_setup(&g, &r);
    g_assert_cmpint(guest_send_inband(&g, 0, 7, "hello", 5, &signal), ==, 0);
    g_assert_cmpint(vmbus_ring_peek(&r, &pkt), ==, 0);
    guest_put_raw(&g, 6, 2, 0xffff, 0);
    *guest_data_byte(&g, 4) = 0xff;             /* len8 of the first packet */
    *guest_data_byte(&g, 5) = 0xff;
    g_assert_cmpuint(pkt.len, ==, 24);
    g_assert_cmpint(vmbus_ring_copy_from(&r, &pkt, 0, buf, 32), ==, -EINVAL);
    g_assert_cmpint(vmbus_ring_consume(&r, &pkt), ==, 0);
    g_assert_cmpint(vmbus_ring_peek(&r, &pkt), ==, -EAGAIN);
    hostile_teardown(&g, &r);

    /* the guest scribbles on the host-owned index of each ring */
    hostile_setup(&g, &r);
    g_assert_cmpint(guest_send_inband(&g, 0, 7, "hello", 5, &signal), ==, 0);
    guest_store(&g.ctrl->read_index, 0xabcdef01);
    g_assert_cmpint(vmbus_ring_read_packet(&r, &pkt, buf, sizeof(buf)), ==, 0);
    g_assert_false(vmbus_ring_publish_read(&r));
    g_assert_cmpuint(le32_to_cpu(g.ctrl->read_index), ==, 32);
    hostile_teardown(&g, &r);

    hostile_setup(&g, &r);
    g_assert_cmpint(vmbus_ring_write(&r, VMBUS_PKT_COMP, 0, 1, NULL, 0,
                                     NULL, 0, NULL), ==, 0);
    guest_store(&g.ctrl->write_index, 0x77777777);
    g_assert_cmpint(vmbus_ring_write(&r, VMBUS_PKT_COMP, 0, 2, NULL, 0,
                                     NULL, 0, NULL), ==, 0);
    g_assert_cmpuint(le32_to_cpu(g.ctrl->write_index), ==, 48);
    hostile_teardown(&g, &r);

    /* a bad read_index on the producer ring breaks it */
    hostile_setup(&g, &r);
    guest_store(&g.ctrl->read_index, 2 * PAGE);
    g_assert_cmpint(vmbus_ring_write(&r, VMBUS_PKT_COMP, 0, 1, NULL, 0,
                                     NULL, 0, NULL), ==, -EIO);
    assert_broken(&r);
    hostile_teardown(&g, &r);

    hostile_setup(&g, &r);
    guest_store(&g.ctrl->read_index, 20);
    g_assert_true(vmbus_ring_request_space(&r, 64));
    assert_broken(&r);
    hostile_teardown(&g, &r);
}

/* Random control values and ring bytes: every call returns, nothing leaks */
static void test_hostile_random(void)
{
    GRand *rand = g_rand_new_with_seed(0x5eed);
    uint8_t buf[3 * PAGE];
    int iter;

    for (iter = 0; iter < 3000; iter++) {
        FakeRing g;
        VMBusRing r;
        VMBusRingPacket pkt;
        uint32_t i, steps = 0;
        int ret;

        fake_ring_init(&g, 1 + g_rand_int_range(rand, 0, 3));
        for (i = 0; i < g.data_size; i += 4) {
            uint32_t v = g_rand_int(rand);

            /* plausible descriptors now and then */
            if (g_rand_boolean(rand)) {
                v &= 0x00ff00ff;
            }
            memcpy(guest_data_byte(&g, i), &v, 4);
        }
        guest_store(&g.ctrl->write_index,
                    g_rand_int_range(rand, 0, g.data_size / 8) * 8);
        if (vmbus_ring_init(&r, (void **)g.pages, g.npages) < 0) {
            fake_ring_free(&g);
            continue;
        }
        while ((ret = vmbus_ring_peek(&r, &pkt)) == 0) {
            g_assert_cmpuint(pkt.len + VMBUS_PKT_TRAILER_SIZE, <=, g.data_size);
            g_assert_cmpint(vmbus_ring_copy_from(&r, &pkt, 0, buf, pkt.len),
                            ==, 0);
            g_assert_cmpint(vmbus_ring_consume(&r, &pkt), ==, 0);
            if (g_rand_int_range(rand, 0, 4) == 0) {
                guest_store(&g.ctrl->write_index, g_rand_int(rand));
            }
            /* only a valid new write_index can extend the walk */
            g_assert_cmpuint(++steps, <=, 2 * g.data_size / 24);
        }
        g_assert(ret == -EAGAIN || ret == -EIO);
        vmbus_ring_publish_read(&r);
        vmbus_ring_cleanup(&r);
        fake_ring_free(&g);
    }
    g_rand_free(rand);
}

/* ------------------------------------------------------------------------ */
/* Concurrency                                                               */

typedef struct Event {
    GMutex lock;
    GCond cond;
    bool set;
    uint32_t count;
} Event;

static void event_init(Event *e)
{
    g_mutex_init(&e->lock);
    g_cond_init(&e->cond);
    e->set = false;
    e->count = 0;
}

static void event_destroy(Event *e)
{
    g_mutex_clear(&e->lock);
    g_cond_clear(&e->cond);
}

static void event_signal(Event *e)
{
    g_mutex_lock(&e->lock);
    e->set = true;
    e->count++;
    g_cond_broadcast(&e->cond);
    g_mutex_unlock(&e->lock);
}

/* Waits for the event; a lost wakeup fails the test instead of hanging */
static void event_wait(Event *e)
{
    gint64 deadline = g_get_monotonic_time() + 20 * G_TIME_SPAN_SECOND;

    g_mutex_lock(&e->lock);
    while (!e->set) {
        if (!g_cond_wait_until(&e->cond, &e->lock, deadline)) {
            g_mutex_unlock(&e->lock);
            g_error("lost wakeup: no signal within 20 s");
        }
    }
    e->set = false;
    g_mutex_unlock(&e->lock);
}

#define STREAM_PACKETS 30000

typedef struct Stream {
    FakeRing g;
    VMBusRing r;
    Event to_host;              /* the guest's HvSignalEvent */
    Event to_guest;             /* the host's event to the guest */
} Stream;

static uint32_t stream_len(uint32_t i)
{
    return (i * 53) % 700;
}

/* The guest writes like hv_ringbuffer_write(), waiting like hv_sock does */
static gpointer guest_writer_thread(gpointer opaque)
{
    Stream *s = opaque;
    uint8_t payload[700];
    uint32_t i;
    bool signal;

    for (i = 0; i < STREAM_PACKETS; i++) {
        uint32_t len = stream_len(i);

        fill_pattern(payload, len, i);
        while (guest_send_inband(&s->g, 0, i, payload, len, &signal) < 0) {
            guest_store(&s->g.ctrl->pending_send_sz,
                        ROUND_UP(16 + len, 8) + 8);
            smp_mb();   /* pending_send_sz before read_index is re-read */
            if (guest_bytes_to_write(&s->g) > ROUND_UP(16 + len, 8) + 8) {
                continue;
            }
            event_wait(&s->to_guest);
        }
        guest_store(&s->g.ctrl->pending_send_sz, 0);
        if (signal) {
            event_signal(&s->to_host);
        }
    }
    return NULL;
}

static void test_stream_guest_to_host(void)
{
    Stream s;
    GThread *guest;
    uint8_t payload[700], buf[PAGE];
    uint32_t next = 0;

    fake_ring_init(&s.g, 1);
    g_assert_cmpint(vmbus_ring_init(&s.r, (void **)s.g.pages, s.g.npages),
                    ==, 0);
    event_init(&s.to_host);
    event_init(&s.to_guest);
    guest = g_thread_new("guest-writer", guest_writer_thread, &s);

    while (next < STREAM_PACKETS) {
        VMBusRingPacket pkt;
        bool signal = false;
        int ret;

        event_wait(&s.to_host);
        vmbus_ring_mask_interrupts(&s.r);
        for (;;) {
            while ((ret = vmbus_ring_read_packet(&s.r, &pkt, buf,
                                                 sizeof(buf))) == 0) {
                uint32_t len = stream_len(next);

                g_assert_cmphex(pkt.trans_id, ==, next);
                g_assert_cmpuint(pkt.len, ==, ROUND_UP(16 + len, 8));
                fill_pattern(payload, len, next);
                g_assert(memcmp(buf + 16, payload, len) == 0);
                next++;
                /* publish now and then, as a host that batches does */
                if (next % 3 == 0 && vmbus_ring_publish_read(&s.r)) {
                    event_signal(&s.to_guest);
                }
            }
            g_assert_cmpint(ret, ==, -EAGAIN);
            if (!vmbus_ring_unmask_interrupts(&s.r, &signal)) {
                break;
            }
            vmbus_ring_mask_interrupts(&s.r);
        }
        if (signal) {
            event_signal(&s.to_guest);
        }
    }
    g_thread_join(guest);
    g_assert_cmpuint(next, ==, STREAM_PACKETS);
    /* the guest signalled on transitions only, not per packet */
    g_assert_cmpuint(s.to_host.count, <, STREAM_PACKETS);
    event_destroy(&s.to_host);
    event_destroy(&s.to_guest);
    vmbus_ring_cleanup(&s.r);
    fake_ring_free(&s.g);
}

/* The guest reads like a batched Linux channel callback (vmbus_on_event()) */
static gpointer guest_reader_thread(gpointer opaque)
{
    Stream *s = opaque;
    uint8_t payload[700], buf[PAGE];
    uint32_t next = 0;

    while (next < STREAM_PACKETS) {
        event_wait(&s->to_guest);
        guest_begin_read(&s->g);
        for (;;) {
            uint32_t len;

            while ((len = guest_recv(&s->g, buf, sizeof(buf))) != 0) {
                VMBusPacketDesc *desc = (VMBusPacketDesc *)buf;
                uint32_t plen = stream_len(next);

                g_assert_cmphex(le64_to_cpu(desc->trans_id), ==, next);
                g_assert_cmpuint(len, ==, ROUND_UP(16 + plen, 8));
                fill_pattern(payload, plen, next);
                g_assert(memcmp(buf + 16, payload, plen) == 0);
                guest_recv_next(&s->g, len);
                next++;
            }
            if (guest_recv_close(&s->g)) {
                event_signal(&s->to_host);
            }
            if (guest_end_read(&s->g) == 0) {
                break;
            }
            guest_begin_read(&s->g);
        }
    }
    return NULL;
}

static void test_stream_host_to_guest(void)
{
    Stream s;
    GThread *guest;
    uint8_t payload[700];
    uint32_t i;

    fake_ring_init(&s.g, 1);
    g_assert_cmpint(vmbus_ring_init(&s.r, (void **)s.g.pages, s.g.npages),
                    ==, 0);
    event_init(&s.to_host);
    event_init(&s.to_guest);
    guest = g_thread_new("guest-reader", guest_reader_thread, &s);

    for (i = 0; i < STREAM_PACKETS; i++) {
        uint32_t len = stream_len(i);
        struct iovec iov = { payload, len };
        bool signal;
        int ret;

        fill_pattern(payload, len, i);
        while ((ret = vmbus_ring_write(&s.r, VMBUS_PKT_INBAND, 0, i, NULL, 0,
                                       &iov, 1, &signal)) == -ENOSPC) {
            if (!vmbus_ring_request_space(&s.r,
                                          vmbus_ring_packet_size(0, len))) {
                event_wait(&s.to_host);
            }
        }
        g_assert_cmpint(ret, ==, 0);
        if (signal) {
            event_signal(&s.to_guest);
        }
    }
    g_thread_join(guest);
    g_assert_cmpuint(s.to_guest.count, <, STREAM_PACKETS);
    event_destroy(&s.to_host);
    event_destroy(&s.to_guest);
    vmbus_ring_cleanup(&s.r);
    fake_ring_free(&s.g);
}

/* A hostile guest thread rewrites indices and descriptors under the host */
typedef struct Chaos {
    FakeRing g;
    bool stop;
} Chaos;

static gpointer chaos_thread(gpointer opaque)
{
    Chaos *c = opaque;
    GRand *rand = g_rand_new_with_seed(42);

    while (!qatomic_read(&c->stop)) {
        uint32_t slots = c->g.data_size / 8;
        uint32_t pos = g_rand_int_range(rand, 0, slots) * 8;
        /* type, offset8 0..5, len8 0..79, flags */
        uint64_t desc = VMBUS_PKT_INBAND |
            ((uint64_t)g_rand_int_range(rand, 0, 6) << 16) |
            ((uint64_t)g_rand_int_range(rand, 0, 80) << 32);

        qatomic_set((uint64_t *)guest_data_byte(&c->g, pos),
                    cpu_to_le64(desc));
        guest_store(&c->g.ctrl->read_index,
                    g_rand_int_range(rand, 0, 4) ? pos : g_rand_int(rand));
        guest_store(&c->g.ctrl->write_index,
                    g_rand_int_range(rand, 0, 4) ?
                    g_rand_int_range(rand, 0, slots) * 8 : g_rand_int(rand));
    }
    g_rand_free(rand);
    return NULL;
}

static void test_hostile_concurrent(void)
{
    Chaos c;
    GThread *thread;
    uint8_t buf[2 * PAGE], payload[100] = { 0 };
    struct iovec iov = { payload, sizeof(payload) };
    uint32_t iter, ok = 0, broken = 0;
    gint64 deadline = g_get_monotonic_time() + 10 * G_TIME_SPAN_SECOND;

    fake_ring_init(&c.g, 2);
    c.stop = false;
    thread = g_thread_new("chaos", chaos_thread, &c);

    /* at least 20000 rounds, and on until both outcomes were seen */
    for (iter = 0;
         iter < 20000 ||
         ((!ok || !broken) && g_get_monotonic_time() < deadline);
         iter++) {
        VMBusRing r;
        VMBusRingPacket pkt;
        uint32_t steps = 0;
        int ret;

        if (vmbus_ring_init(&r, (void **)c.g.pages, c.g.npages) < 0) {
            continue;
        }
        while ((ret = vmbus_ring_peek(&r, &pkt)) == 0 && steps++ < 100) {
            g_assert_cmpuint(pkt.len + 8, <=, c.g.data_size);
            g_assert_cmpint(vmbus_ring_copy_from(&r, &pkt, 0, buf, pkt.len),
                            ==, 0);
            g_assert_cmpint(vmbus_ring_consume(&r, &pkt), ==, 0);
            ok++;
        }
        g_assert(ret == 0 || ret == -EAGAIN || ret == -EIO);
        vmbus_ring_publish_read(&r);
        ret = vmbus_ring_write(&r, VMBUS_PKT_INBAND, 0, iter, NULL, 0,
                               &iov, 1, NULL);
        g_assert(ret == 0 || ret == -ENOSPC || ret == -EIO);
        broken += vmbus_ring_broken_reason(&r) != NULL;
        vmbus_ring_cleanup(&r);
    }
    qatomic_set(&c.stop, true);
    g_thread_join(thread);
    /* both outcomes must have happened for the test to mean anything */
    g_assert_cmpuint(ok, >, 0);
    g_assert_cmpuint(broken, >, 0);
    fake_ring_free(&c.g);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/vmbus-ring/init", test_init);
    g_test_add_func("/vmbus-ring/packet-size", test_packet_size);
    g_test_add_func("/vmbus-ring/host-to-guest/roundtrip",
                    test_host_to_guest_roundtrip);
    g_test_add_func("/vmbus-ring/host-to-guest/ext", test_host_write_ext);
    g_test_add_func("/vmbus-ring/host-to-guest/full", test_host_ring_full);
    g_test_add_func("/vmbus-ring/host-to-guest/signal",
                    test_host_write_signal);
    g_test_add_func("/vmbus-ring/host-to-guest/held-signal",
                    test_host_held_signal);
    g_test_add_func("/vmbus-ring/host-to-guest/dirty", test_dirty_tracking);
    g_test_add_func("/vmbus-ring/guest-to-host/roundtrip",
                    test_guest_to_host_roundtrip);
    g_test_add_func("/vmbus-ring/guest-to-host/gpa-direct",
                    test_guest_gpa_direct);
    g_test_add_func("/vmbus-ring/guest-to-host/pending-send",
                    test_guest_ring_full_pending_send);
    g_test_add_func("/vmbus-ring/guest-to-host/interrupt-mask",
                    test_host_interrupt_mask);
    g_test_add_func("/vmbus-ring/hostile/write-index",
                    test_hostile_write_index);
    g_test_add_func("/vmbus-ring/hostile/descriptor",
                    test_hostile_descriptor);
    g_test_add_func("/vmbus-ring/hostile/trailer", test_hostile_trailer);
    g_test_add_func("/vmbus-ring/hostile/index-changes",
                    test_hostile_index_changes);
    g_test_add_func("/vmbus-ring/hostile/random", test_hostile_random);
    g_test_add_func("/vmbus-ring/hostile/concurrent",
                    test_hostile_concurrent);
    g_test_add_func("/vmbus-ring/stream/guest-to-host",
                    test_stream_guest_to_host);
    g_test_add_func("/vmbus-ring/stream/host-to-guest",
                    test_stream_host_to_guest);
    return g_test_run();
}
