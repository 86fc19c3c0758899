/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * VMBus ring buffers over host pointers to the ring's pages
 *
 * A channel has two rings in one GPADL: guest->host (the host consumes it)
 * and host->guest (the host produces into it).  Each ring is a control page
 * (VMBusRingControl) followed by N >= 1 data pages; the data area is
 * N * 4096 bytes and the pages need not be contiguous in host memory.  The
 * caller maps every GPADL page once when the channel opens and hands the
 * host pointers to vmbus_ring_init(); this library never sees QEMU's memory
 * API.
 *
 * Everything in the ring pages is guest-writable and is treated as hostile:
 * - the indices the guest owns (write_index of the guest->host ring,
 *   read_index of the host->guest ring) are read once per operation, checked
 *   (< data size, 8-byte aligned) and a bad value marks the ring broken;
 * - the indices the host owns are kept in VMBusRing and only published to
 *   the control page, never read back;
 * - packet descriptors are copied out of the ring before they are checked.
 * A broken ring stays broken: every later operation returns -EIO until the
 * ring is initialised again.  Nothing here asserts, loops on guest data or
 * touches memory outside the given pages.
 *
 * Signalling follows the Linux guest (drivers/hv/ring_buffer.c):
 * - host writes: the guest wants an event when the host->guest ring goes
 *   from empty to non-empty while the guest's interrupt_mask is clear
 *   (vmbus_ring_write() reports it);
 * - host reads: the guest sets pending_send_sz in the guest->host ring when
 *   it waits for room and wants an event when the free space goes from
 *   <= pending_send_sz to > pending_send_sz (vmbus_ring_publish_read());
 * - the guest signals the host when the guest->host ring goes from empty to
 *   non-empty and the host's interrupt_mask there is clear, and when its
 *   reads satisfy the host's pending_send_sz in the host->guest ring.
 *
 * A VMBusRing is not thread-safe: the caller serialises operations on one
 * ring.  The guest runs concurrently; the barriers for that are inside.
 */

#ifndef HW_VMBUS_VMBUS_RING_H
#define HW_VMBUS_VMBUS_RING_H

#include "hw/vmbus/vmbus-proto.h"

/* Largest data area whose byte indices fit in the 32-bit index fields */
#define VMBUS_RING_MAX_DATA_PAGES   (UINT32_MAX / VMBUS_PAGE_SIZE)

/*
 * Called for every page the host writes, with its index in the pages array
 * given to vmbus_ring_init() (0 = control page), for migration dirty
 * tracking.
 */
typedef void VMBusRingDirtyFn(void *opaque, uint32_t page_index);

typedef struct VMBusRing {
    /* all fields are private to vmbus-ring.c */
    VMBusRingControl *ctrl;
    uint8_t **data;             /* data_pages host pointers */
    uint32_t data_pages;
    uint32_t data_size;         /* data_pages * 4096 */
    /* consumer: next byte to read, and the value last published */
    uint32_t read_index;
    uint32_t published_read_index;
    /* producer: the host's write index, the only authoritative copy */
    uint32_t write_index;
    bool pending_send_set;      /* producer: pending_send_sz is non-zero */
    uint32_t max_packet_len;    /* producer: 0 or the cap on len8 * 8 */
    const char *broken;         /* why the ring is broken, or NULL */
    VMBusRingDirtyFn *mark_dirty;
    void *dirty_opaque;
} VMBusRing;

/*
 * A packet found by vmbus_ring_peek(): the descriptor's fields after
 * validation, in host byte order.
 */
typedef struct VMBusRingPacket {
    uint16_t type;              /* VMBUS_PKT_* (not checked) */
    uint16_t flags;             /* VMBUS_PKT_FLAG_* (not checked) */
    uint64_t trans_id;
    uint32_t data_offset;       /* offset8 * 8: payload start, >= 16 */
    uint32_t len;               /* len8 * 8: whole packet, >= data_offset */
    uint32_t start;             /* private: ring offset of the descriptor */
} VMBusRingPacket;

/*
 * vmbus_ring_init:
 * @pages: @npages host pointers to 4 KiB pages; pages[0] is the control page
 * @npages: 2 .. VMBUS_RING_MAX_DATA_PAGES + 1
 *
 * Sets up @r over the pages (the pointer array is copied; the pages are not)
 * and takes the current read and write indices from the control page, which
 * the guest zeroes before it opens a channel.  Initialising again (after
 * migration, say) resumes from the indices in the control page, so publish
 * the read position (vmbus_ring_publish_read()) before saving the state.
 * Returns 0, or -EINVAL for a bad page count, a NULL page or invalid indices.
 */
int vmbus_ring_init(VMBusRing *r, void **pages, uint32_t npages);

/* Frees what vmbus_ring_init() allocated.  Safe on a zeroed VMBusRing. */
void vmbus_ring_cleanup(VMBusRing *r);

/*
 * vmbus_ring_set_max_packet_len:
 * Caps the packets vmbus_ring_write() accepts at @max_len bytes (len8 * 8:
 * descriptor, extension and payload with padding, not the trailer; 0 = no
 * cap).  The Linux guest copies each incoming packet into a buffer of the
 * channel's max_pkt_size (4096 bytes unless the driver asks for more,
 * __vmbus_open()), and a longer packet throws its ring reader off
 * (hv_pkt_iter_first() clamps the length it then skips).
 */
void vmbus_ring_set_max_packet_len(VMBusRing *r, uint32_t max_len);

/* Installs (or with NULL removes) the dirty page callback */
void vmbus_ring_set_dirty_fn(VMBusRing *r, VMBusRingDirtyFn *fn,
                             void *opaque);

/* Size of the data area in bytes */
uint32_t vmbus_ring_data_size(const VMBusRing *r);

/* The reason the ring is broken (for a trace event), or NULL if it is not */
const char *vmbus_ring_broken_reason(const VMBusRing *r);

/* The ring's feature_bits as the guest left them (VMBUS_RING_FEAT_*) */
uint32_t vmbus_ring_feature_bits(const VMBusRing *r);

/*
 * Consumer side (the guest->host ring)
 *
 * Typical loop, as the Linux guest expects from a host:
 *     bool signal = false;
 *
 *     vmbus_ring_mask_interrupts(r);
 *     for (;;) {
 *         while ((ret = vmbus_ring_peek(r, &pkt)) == 0) {
 *             vmbus_ring_copy_from(r, &pkt, 0, buf, pkt.len);
 *             vmbus_ring_consume(r, &pkt);
 *             ...
 *         }
 *         if (ret == -EIO) {
 *             ... trace vmbus_ring_broken_reason(r), close the channel ...
 *         }
 *         if (!vmbus_ring_unmask_interrupts(r, &signal)) {
 *             break;
 *         }
 *         vmbus_ring_mask_interrupts(r);
 *     }
 *     if (signal) {
 *         ... signal the guest ...
 *     }
 */

/*
 * vmbus_ring_bytes_to_read:
 * Sets *@bytes to the bytes between the host's read position and the
 * guest's write_index.  Returns 0 or -EIO (ring broken).
 */
int vmbus_ring_bytes_to_read(VMBusRing *r, uint32_t *bytes);

/*
 * vmbus_ring_peek:
 * Looks at the next unconsumed packet without consuming it.  Checks:
 * offset8 * 8 >= 16, len8 >= offset8, and len8 * 8 plus the trailer within
 * the bytes the guest has published.
 * Returns 0 with *@pkt filled, -EAGAIN if the ring is empty, or -EIO if the
 * ring is (or just became) broken.
 */
int vmbus_ring_peek(VMBusRing *r, VMBusRingPacket *pkt);

/*
 * vmbus_ring_copy_from:
 * Copies @len bytes starting @offset bytes into the packet (0 = first byte
 * of the descriptor; pkt->data_offset = first payload byte) to @buf.
 * Valid until the packet's space is published back to the guest.
 * Returns 0, or -EINVAL if [@offset, @offset + @len) is not inside the
 * packet.  The bytes are copied as they are now: a hostile guest may have
 * changed them since vmbus_ring_peek().
 */
int vmbus_ring_copy_from(VMBusRing *r, const VMBusRingPacket *pkt,
                         uint32_t offset, void *buf, uint32_t len);

/*
 * vmbus_ring_read_packet:
 * Peek, copy the whole packet (descriptor included) to @buf and consume it.
 * Returns 0, -EAGAIN (empty), -EIO (broken), or -ENOBUFS if @buflen is
 * smaller than pkt->len (then *@pkt is filled and nothing is consumed).
 */
int vmbus_ring_read_packet(VMBusRing *r, VMBusRingPacket *pkt,
                           void *buf, uint32_t buflen);

/*
 * vmbus_ring_consume:
 * Moves the private read position past @pkt, which must be the packet
 * vmbus_ring_peek() just returned.  The guest does not see the space until
 * vmbus_ring_publish_read().  Returns 0, or -EINVAL if @pkt is not the
 * packet at the read position.
 */
int vmbus_ring_consume(VMBusRing *r, const VMBusRingPacket *pkt);

/*
 * vmbus_ring_publish_read:
 * Writes the read position to the control page, after all reads of the
 * consumed packets.  Returns true if the guest must be signalled because it
 * set pending_send_sz and the free space has just grown past it.
 */
bool vmbus_ring_publish_read(VMBusRing *r);

/*
 * vmbus_ring_mask_interrupts:
 * Sets the host's interrupt_mask in the guest->host ring: the guest then
 * writes packets without signalling.  Use while draining the ring.
 */
void vmbus_ring_mask_interrupts(VMBusRing *r);

/*
 * vmbus_ring_unmask_interrupts:
 * Publishes the read position as vmbus_ring_publish_read() does, clears the
 * interrupt_mask and then looks again for data: a packet the guest wrote
 * while the mask was set came without a signal.
 * Sets *@signal_guest (if not NULL) to true if the publication requires a
 * signal, and leaves it alone otherwise, so that a loop can accumulate it.
 * Returns true if there is something to read: the caller should then mask
 * again and keep draining.  Returns false when the ring is empty or broken
 * (vmbus_ring_peek() has reported -EIO then), so the loop always ends.
 */
bool vmbus_ring_unmask_interrupts(VMBusRing *r, bool *signal_guest);

/*
 * Producer side (the host->guest ring)
 */

/*
 * vmbus_ring_packet_size:
 * Bytes a packet takes in the ring: descriptor, @ext_len extension bytes
 * and @payload_len payload bytes, each padded to 8, plus the trailer.
 * Returns 0 if offset8 or len8 cannot express such a packet.
 */
uint32_t vmbus_ring_packet_size(uint32_t ext_len, size_t payload_len);

/*
 * vmbus_ring_bytes_free:
 * Sets *@bytes to the free bytes of the data area as the guest's read_index
 * says.  A packet fits if vmbus_ring_packet_size() < *@bytes: the ring is
 * never filled completely.  Returns 0 or -EIO (ring broken).
 */
int vmbus_ring_bytes_free(VMBusRing *r, uint32_t *bytes);

/*
 * vmbus_ring_write:
 * @type: VMBUS_PKT_*
 * @flags: VMBUS_PKT_FLAG_*
 * @trans_id: transaction id (for VMBUS_PKT_COMP the one being completed)
 * @ext: descriptor extension (VMBusXferPagesHeader with its ranges,
 *       VMBusGpaDirectHeader with its ranges...) in wire format; NULL
 *       when @ext_len is 0
 * @ext_len: bytes at @ext; offset8 = DIV_ROUND_UP(16 + @ext_len, 8)
 * @iov: payload, @iov_cnt elements (may be 0)
 * @signal_guest: set to whether the guest must be signalled (may be NULL)
 *
 * Writes one packet with zero padding and its trailer, then publishes
 * write_index.  A pending_send_sz set by vmbus_ring_request_space() is
 * cleared on success.
 * Returns 0, -ENOSPC if the ring has no room now (see
 * vmbus_ring_request_space()), -EMSGSIZE if the packet can never fit in
 * this ring or is longer than vmbus_ring_set_max_packet_len() allows,
 * -EINVAL if @ext is NULL with a non-zero @ext_len, or -EIO if the ring is
 * broken.
 */
int vmbus_ring_write(VMBusRing *r, uint16_t type, uint16_t flags,
                     uint64_t trans_id, const void *ext, uint32_t ext_len,
                     const struct iovec *iov, unsigned int iov_cnt,
                     bool *signal_guest);

/*
 * vmbus_ring_request_space:
 * After -ENOSPC: asks the guest for an event once more than @packet_size
 * bytes (a vmbus_ring_packet_size() value) are free, by setting
 * pending_send_sz, then checks the space again.
 * Returns true if the room is already there (retry the write now; this
 * closes the race with a guest that drained the ring meanwhile), false if
 * the caller should wait for the guest's event.  The guest only sends that
 * event if it set VMBUS_RING_FEAT_PENDING_SEND_SZ (Linux always does);
 * without it the caller must poll.
 */
bool vmbus_ring_request_space(VMBusRing *r, uint32_t packet_size);

/*
 * vmbus_ring_guest_would_miss:
 * For a signal that was held back: whether the guest has not masked its
 * interrupts and packets wait that it has not read, so that without a
 * signal it would not look at the ring.
 */
bool vmbus_ring_guest_would_miss(VMBusRing *r);

#endif
