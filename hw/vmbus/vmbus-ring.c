/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * VMBus ring buffers over host pointers to the ring's pages
 *
 * The guest side this must match is Linux drivers/hv/ring_buffer.c:
 * hv_ringbuffer_write() and hv_signal_on_write() for the guest->host ring,
 * hv_pkt_iter_first(), hv_pkt_iter_close(), hv_begin_read() and
 * hv_end_read() for the host->guest ring.
 */

#include "qemu/osdep.h"
#include "qemu/atomic.h"
#include "qemu/bswap.h"
#include "hw/vmbus/vmbus-ring.h"

/* Descriptor plus trailer: the smallest thing a published packet can be */
#define RING_MIN_PACKET_BYTES \
    (sizeof(VMBusPacketDesc) + VMBUS_PKT_TRAILER_SIZE)

/* Largest offset8 / len8 value */
#define RING_MAX_LEN8           UINT16_MAX

/*
 * Guest-owned control fields: one load each, converted from little-endian.
 * The caller decides what barrier goes around it.
 */
static inline uint32_t ring_load(const uint32_t *field)
{
    return le32_to_cpu(qatomic_read(field));
}

static inline void ring_mark_dirty(VMBusRing *r, uint32_t page_index)
{
    if (r->mark_dirty) {
        r->mark_dirty(r->dirty_opaque, page_index);
    }
}

/* Host-owned control fields: one store, plus dirty tracking */
static inline void ring_store(VMBusRing *r, uint32_t *field, uint32_t val)
{
    qatomic_set(field, cpu_to_le32(val));
    ring_mark_dirty(r, 0);
}

static inline bool ring_index_valid(const VMBusRing *r, uint32_t index)
{
    return index < r->data_size && (index % VMBUS_PKT_ALIGN) == 0;
}

/* Bytes from @from up to @to going forward around the ring */
static inline uint32_t ring_distance(const VMBusRing *r, uint32_t from,
                                     uint32_t to)
{
    return to >= from ? to - from : r->data_size - from + to;
}

static inline uint32_t ring_advance(const VMBusRing *r, uint32_t pos,
                                    uint32_t len)
{
    /* pos < data_size and len <= data_size: the sum fits in 64 bits */
    uint64_t next = (uint64_t)pos + len;

    return next >= r->data_size ? next - r->data_size : next;
}

static void ring_set_broken(VMBusRing *r, const char *why)
{
    if (!r->broken) {
        r->broken = why;
    }
}

/*
 * Copies out of the data area, page by page, wrapping at data_size.
 * @pos < data_size and @len <= data_size.
 */
static void ring_copy_out(const VMBusRing *r, uint32_t pos, void *dst,
                          uint32_t len)
{
    uint8_t *out = dst;

    while (len) {
        uint32_t page = pos / VMBUS_PAGE_SIZE;
        uint32_t in_page = pos % VMBUS_PAGE_SIZE;
        uint32_t chunk = MIN(len, VMBUS_PAGE_SIZE - in_page);

        memcpy(out, r->data[page] + in_page, chunk);
        out += chunk;
        len -= chunk;
        pos = ring_advance(r, pos, chunk);
    }
}

/* Where the producer writes next, and which page it last reported dirty */
typedef struct RingWriteCursor {
    uint32_t pos;
    int64_t last_dirty;
} RingWriteCursor;

/*
 * Copies into the data area, page by page, wrapping at data_size.  A NULL
 * @src writes zeroes (padding).  The caller has checked the room.
 */
static void ring_copy_in(VMBusRing *r, RingWriteCursor *cur, const void *src,
                         uint32_t len)
{
    const uint8_t *in = src;

    while (len) {
        uint32_t page = cur->pos / VMBUS_PAGE_SIZE;
        uint32_t in_page = cur->pos % VMBUS_PAGE_SIZE;
        uint32_t chunk = MIN(len, VMBUS_PAGE_SIZE - in_page);

        if (in) {
            memcpy(r->data[page] + in_page, in, chunk);
            in += chunk;
        } else {
            memset(r->data[page] + in_page, 0, chunk);
        }
        if (cur->last_dirty != page) {
            ring_mark_dirty(r, page + 1);
            cur->last_dirty = page;
        }
        len -= chunk;
        cur->pos = ring_advance(r, cur->pos, chunk);
    }
}

int vmbus_ring_init(VMBusRing *r, void **pages, uint32_t npages)
{
    uint32_t i, read_index, write_index;

    memset(r, 0, sizeof(*r));
    if (!pages || npages < 2 || npages - 1 > VMBUS_RING_MAX_DATA_PAGES) {
        return -EINVAL;
    }
    for (i = 0; i < npages; i++) {
        if (!pages[i]) {
            return -EINVAL;
        }
    }

    r->ctrl = pages[0];
    r->data_pages = npages - 1;
    r->data_size = r->data_pages * VMBUS_PAGE_SIZE;

    read_index = ring_load(&r->ctrl->read_index);
    write_index = ring_load(&r->ctrl->write_index);
    if (!ring_index_valid(r, read_index) || !ring_index_valid(r, write_index)) {
        memset(r, 0, sizeof(*r));
        return -EINVAL;
    }

    r->data = g_new(uint8_t *, r->data_pages);
    for (i = 0; i < r->data_pages; i++) {
        r->data[i] = pages[i + 1];
    }
    r->read_index = read_index;
    r->published_read_index = read_index;
    r->write_index = write_index;
    r->pending_send_set = ring_load(&r->ctrl->pending_send_sz) != 0;
    return 0;
}

void vmbus_ring_cleanup(VMBusRing *r)
{
    g_free(r->data);
    memset(r, 0, sizeof(*r));
}

void vmbus_ring_set_max_packet_len(VMBusRing *r, uint32_t max_len)
{
    r->max_packet_len = max_len;
}

void vmbus_ring_set_dirty_fn(VMBusRing *r, VMBusRingDirtyFn *fn,
                             void *opaque)
{
    r->mark_dirty = fn;
    r->dirty_opaque = opaque;
}

uint32_t vmbus_ring_data_size(const VMBusRing *r)
{
    return r->data_size;
}

const char *vmbus_ring_broken_reason(const VMBusRing *r)
{
    return r->broken;
}

uint32_t vmbus_ring_feature_bits(const VMBusRing *r)
{
    return ring_load(&r->ctrl->feature_bits);
}

/*
 * Consumer side
 */

/*
 * Reads the guest's write_index once and checks it.  Returns false (and
 * breaks the ring) if it is invalid.  The acquire orders the later reads of
 * packet bytes after it: Linux publishes write_index only after the packet
 * (virt_mb() in hv_ringbuffer_write()).
 */
static bool ring_load_guest_write_index(VMBusRing *r, uint32_t *write_index)
{
    uint32_t w = le32_to_cpu(qatomic_load_acquire(&r->ctrl->write_index));

    if (!ring_index_valid(r, w)) {
        ring_set_broken(r, "guest write_index out of range or unaligned");
        return false;
    }
    *write_index = w;
    return true;
}

int vmbus_ring_bytes_to_read(VMBusRing *r, uint32_t *bytes)
{
    uint32_t w;

    if (r->broken || !ring_load_guest_write_index(r, &w)) {
        return -EIO;
    }
    *bytes = ring_distance(r, r->read_index, w);
    return 0;
}

int vmbus_ring_peek(VMBusRing *r, VMBusRingPacket *pkt)
{
    VMBusPacketDesc desc;
    uint32_t w, avail, data_offset, len;

    if (r->broken || !ring_load_guest_write_index(r, &w)) {
        return -EIO;
    }
    avail = ring_distance(r, r->read_index, w);
    if (avail == 0) {
        return -EAGAIN;
    }
    /*
     * The guest publishes whole packets only.  The length check below
     * would catch this too, but only after reading a descriptor that is
     * not there.
     */
    if (avail < RING_MIN_PACKET_BYTES) {
        ring_set_broken(r, "fewer bytes published than a packet needs");
        return -EIO;
    }

    /* the descriptor is checked in this private copy only */
    ring_copy_out(r, r->read_index, &desc, sizeof(desc));
    data_offset = le16_to_cpu(desc.offset8) * 8u;
    len = le16_to_cpu(desc.len8) * 8u;

    if (data_offset < sizeof(VMBusPacketDesc)) {
        ring_set_broken(r, "packet offset8 inside the descriptor");
        return -EIO;
    }
    if (len < data_offset) {
        ring_set_broken(r, "packet len8 smaller than offset8");
        return -EIO;
    }
    /* avail < data_size, so this also keeps the packet inside the ring */
    if ((uint64_t)len + VMBUS_PKT_TRAILER_SIZE > avail) {
        ring_set_broken(r, "packet longer than the bytes published");
        return -EIO;
    }

    /* the trailer is not needed by a reader and is not checked */
    pkt->type = le16_to_cpu(desc.type);
    pkt->flags = le16_to_cpu(desc.flags);
    pkt->trans_id = le64_to_cpu(desc.trans_id);
    pkt->data_offset = data_offset;
    pkt->len = len;
    pkt->start = r->read_index;
    return 0;
}

int vmbus_ring_copy_from(VMBusRing *r, const VMBusRingPacket *pkt,
                         uint32_t offset, void *buf, uint32_t len)
{
    /* a packet from vmbus_ring_peek() passes; a forged one must not escape */
    if (pkt->start >= r->data_size || pkt->len > r->data_size ||
        offset > pkt->len || len > pkt->len - offset) {
        return -EINVAL;
    }
    if (len) {
        ring_copy_out(r, ring_advance(r, pkt->start, offset), buf, len);
    }
    return 0;
}

int vmbus_ring_consume(VMBusRing *r, const VMBusRingPacket *pkt)
{
    if (r->broken || pkt->start != r->read_index ||
        pkt->len > r->data_size - VMBUS_PKT_TRAILER_SIZE) {
        return -EINVAL;
    }
    r->read_index = ring_advance(r, r->read_index,
                                 pkt->len + VMBUS_PKT_TRAILER_SIZE);
    return 0;
}

int vmbus_ring_read_packet(VMBusRing *r, VMBusRingPacket *pkt,
                           void *buf, uint32_t buflen)
{
    int ret = vmbus_ring_peek(r, pkt);

    if (ret < 0) {
        return ret;
    }
    if (buflen < pkt->len) {
        return -ENOBUFS;
    }
    vmbus_ring_copy_from(r, pkt, 0, buf, pkt->len);
    return vmbus_ring_consume(r, pkt);
}

bool vmbus_ring_publish_read(VMBusRing *r)
{
    uint32_t bytes_read, pending, w, free_now;

    if (r->broken || r->read_index == r->published_read_index) {
        return false;
    }

    /*
     * All reads of the consumed packets must be done before the guest can
     * see their space as free and overwrite it.
     */
    qatomic_store_release(&r->ctrl->read_index, cpu_to_le32(r->read_index));
    ring_mark_dirty(r, 0);
    bytes_read = ring_distance(r, r->published_read_index, r->read_index);
    r->published_read_index = r->read_index;

    /*
     * The read_index store must be visible before pending_send_sz is read:
     * a guest that sets pending_send_sz and then re-checks read_index (as
     * hv_pkt_iter_close() does in the other direction) either sees the new
     * index or is seen here.
     */
    smp_mb();
    pending = ring_load(&r->ctrl->pending_send_sz);
    if (!pending) {
        return false;
    }
    /* read write_index only after pending_send_sz */
    smp_rmb();
    if (!ring_load_guest_write_index(r, &w)) {
        return false;
    }

    /*
     * Signal only on the transition from "not enough room" to "enough
     * room", as the guest never fills the ring completely and so needs
     * strictly more than pending_send_sz free bytes.
     */
    free_now = r->data_size - ring_distance(r, r->read_index, w);
    if (free_now <= pending) {
        return false;
    }
    /* a guest that moved write_index backwards makes this look negative */
    return free_now < bytes_read || free_now - bytes_read <= pending;
}

void vmbus_ring_mask_interrupts(VMBusRing *r)
{
    ring_store(r, &r->ctrl->interrupt_mask, 1);
    /* the mask must be visible before the caller reads write_index */
    smp_mb();
}

bool vmbus_ring_unmask_interrupts(VMBusRing *r, bool *signal_guest)
{
    bool publish_signal = vmbus_ring_publish_read(r);
    uint32_t w;

    if (publish_signal && signal_guest) {
        *signal_guest = true;
    }
    ring_store(r, &r->ctrl->interrupt_mask, 0);
    /*
     * The cleared mask must be visible before write_index is read again.
     * The guest stores write_index, issues a full barrier and then reads the
     * mask (hv_signal_on_write()): either it sees the cleared mask and
     * signals, or this re-check sees its packet.
     */
    smp_mb();
    if (r->broken || !ring_load_guest_write_index(r, &w)) {
        return false;
    }
    return w != r->read_index;
}

/*
 * Producer side
 */

uint32_t vmbus_ring_packet_size(uint32_t ext_len, size_t payload_len)
{
    uint64_t header, total;

    header = ROUND_UP((uint64_t)sizeof(VMBusPacketDesc) + ext_len,
                      VMBUS_PKT_ALIGN);
    if (payload_len > (size_t)RING_MAX_LEN8 * 8) {
        return 0;
    }
    total = header + ROUND_UP((uint64_t)payload_len, VMBUS_PKT_ALIGN);
    if (header / 8 > RING_MAX_LEN8 || total / 8 > RING_MAX_LEN8) {
        return 0;
    }
    return total + VMBUS_PKT_TRAILER_SIZE;
}

/*
 * Reads the guest's read_index once and checks it.  The acquire keeps the
 * writes into the space it frees after the load: Linux reads the packets
 * before it publishes read_index (virt_rmb() in hv_pkt_iter_close()).
 */
static bool ring_load_guest_read_index(VMBusRing *r, uint32_t *read_index)
{
    uint32_t rd = le32_to_cpu(qatomic_load_acquire(&r->ctrl->read_index));

    if (!ring_index_valid(r, rd)) {
        ring_set_broken(r, "guest read_index out of range or unaligned");
        return false;
    }
    *read_index = rd;
    return true;
}

int vmbus_ring_bytes_free(VMBusRing *r, uint32_t *bytes)
{
    uint32_t rd;

    if (r->broken || !ring_load_guest_read_index(r, &rd)) {
        return -EIO;
    }
    *bytes = r->data_size - ring_distance(r, rd, r->write_index);
    return 0;
}

int vmbus_ring_write(VMBusRing *r, uint16_t type, uint16_t flags,
                     uint64_t trans_id, const void *ext, uint32_t ext_len,
                     const struct iovec *iov, unsigned int iov_cnt,
                     bool *signal_guest)
{
    VMBusPacketDesc desc;
    RingWriteCursor cur;
    size_t payload_len = 0;
    uint32_t total, header, rd, free_bytes, old_write, mask;
    uint64_t trailer;
    unsigned int i;

    if (signal_guest) {
        *signal_guest = false;
    }
    if (!ext && ext_len) {
        return -EINVAL;
    }
    for (i = 0; i < iov_cnt; i++) {
        if (iov[i].iov_len > SIZE_MAX - payload_len) {
            return -EMSGSIZE;
        }
        payload_len += iov[i].iov_len;
    }
    total = vmbus_ring_packet_size(ext_len, payload_len);
    /* a ring is never full, so a packet needs strictly less than it */
    if (!total || total >= r->data_size) {
        return -EMSGSIZE;
    }
    if (r->max_packet_len &&
        total - VMBUS_PKT_TRAILER_SIZE > r->max_packet_len) {
        return -EMSGSIZE;
    }
    if (r->broken || !ring_load_guest_read_index(r, &rd)) {
        return -EIO;
    }
    free_bytes = r->data_size - ring_distance(r, rd, r->write_index);
    if (free_bytes <= total) {
        return -ENOSPC;
    }

    header = ROUND_UP(sizeof(VMBusPacketDesc) + ext_len, VMBUS_PKT_ALIGN);
    desc.type = cpu_to_le16(type);
    desc.offset8 = cpu_to_le16(header / 8);
    desc.len8 = cpu_to_le16((total - VMBUS_PKT_TRAILER_SIZE) / 8);
    desc.flags = cpu_to_le16(flags);
    desc.trans_id = cpu_to_le64(trans_id);

    old_write = r->write_index;
    cur.pos = old_write;
    cur.last_dirty = -1;
    ring_copy_in(r, &cur, &desc, sizeof(desc));
    if (ext_len) {
        ring_copy_in(r, &cur, ext, ext_len);
    }
    ring_copy_in(r, &cur, NULL, header - sizeof(desc) - ext_len);
    for (i = 0; i < iov_cnt; i++) {
        if (iov[i].iov_len) {
            ring_copy_in(r, &cur, iov[i].iov_base, iov[i].iov_len);
        }
    }
    ring_copy_in(r, &cur, NULL,
                 ROUND_UP(payload_len, VMBUS_PKT_ALIGN) - payload_len);
    /* the trailer: where this packet starts, in the upper half */
    trailer = cpu_to_le64((uint64_t)old_write << 32);
    ring_copy_in(r, &cur, &trailer, sizeof(trailer));

    /* the packet must be complete before the guest can see write_index */
    r->write_index = cur.pos;
    qatomic_store_release(&r->ctrl->write_index, cpu_to_le32(r->write_index));
    ring_mark_dirty(r, 0);

    if (r->pending_send_set) {
        ring_store(r, &r->ctrl->pending_send_sz, 0);
        r->pending_send_set = false;
    }

    /*
     * write_index must be visible before interrupt_mask is read.  The guest
     * clears its mask, issues a full barrier and re-reads write_index
     * (hv_end_read()): either it sees this packet or we see its cleared
     * mask.
     */
    smp_mb();
    mask = ring_load(&r->ctrl->interrupt_mask);
    if (mask) {
        return 0;
    }
    /*
     * Signal only on the transition from empty to non-empty, as the guest
     * reads everything up to write_index before it clears its mask.  The
     * read_index loaded above may be stale: read it afresh, after the mask
     * (hv_signal_on_write() orders the same two loads on the guest side).
     * It is only compared, never used as an index.
     */
    smp_rmb();
    if (signal_guest &&
        le32_to_cpu(qatomic_read(&r->ctrl->read_index)) == old_write) {
        *signal_guest = true;
    }
    return 0;
}

bool vmbus_ring_guest_would_miss(VMBusRing *r)
{
    uint32_t rd;

    if (r->broken) {
        return false;
    }
    /* As in vmbus_ring_write(): write_index before the mask */
    smp_mb();
    if (ring_load(&r->ctrl->interrupt_mask)) {
        return false;
    }
    smp_rmb();      /* the mask before read_index, as hv_signal_on_write() */
    rd = le32_to_cpu(qatomic_read(&r->ctrl->read_index));
    return rd != r->write_index;
}

bool vmbus_ring_request_space(VMBusRing *r, uint32_t packet_size)
{
    uint32_t free_bytes;

    if (r->broken) {
        /* let the caller's retry report -EIO instead of waiting forever */
        return true;
    }
    ring_store(r, &r->ctrl->pending_send_sz, packet_size);
    r->pending_send_set = packet_size != 0;
    /*
     * pending_send_sz must be visible before read_index is read again:
     * the guest publishes read_index, issues a full barrier and then reads
     * pending_send_sz (hv_pkt_iter_close()).  Either it sees our request
     * and signals, or we see the room it made.
     */
    smp_mb();
    if (vmbus_ring_bytes_free(r, &free_bytes) < 0) {
        return true;
    }
    return free_bytes > packet_size;
}
