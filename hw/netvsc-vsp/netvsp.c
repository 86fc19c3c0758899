/*
 * qemu-hvpart: "-device vmbus-net,netdev=ID[,mac=...]", the synthetic
 * network adapter of a Hyper-V style partition (the netvsc guest driver's
 * host side), backed by any QEMU netdev.
 *
 * The guest opens the primary channel and speaks NVSP on it
 * (drivers/net/hyperv/netvsc.c of Linux 6.1):
 *   INIT (one version per try, newest first)    -> INIT_COMPLETE
 *   SEND_NDIS_VER, SEND_NDIS_CONFIG (MTU)        (no answer)
 *   SEND_RECV_BUF (GPADL id, set id 0xcafe)      -> the host's slot layout
 *   SEND_SEND_BUF (GPADL id)                     -> the host's section size
 *   SEND_RNDIS_PKT (send buffer section and/or GPA_DIRECT page ranges)
 *                                                -> SEND_RNDIS_PKT_COMPLETE
 * Everything the host sends to the guest apart from completions is RNDIS
 * (rndis.c) in a slot of the receive buffer, named by an XFER_PAGES packet
 * that carries an NVSP SEND_RNDIS_PKT; the guest gives the slot back with
 * a completion of that packet's transaction id. Slots are the receive
 * path's only credit: with none free the device stops taking frames from
 * the netdev (can_receive) until completions come back.
 *
 * Host-to-guest messages that cannot be sent yet (ring full, no free slot)
 * wait in a per-channel queue, in order; while it is not empty the device
 * reads no more guest requests on that channel and takes no frames.
 *
 * Received frames are batched: each goes into its slot at once, and the
 * frames the netdev hands over in one go are named to the guest by one
 * XFER_PAGES packet with a range per frame (at most NETVSP_RX_BATCH_MAX),
 * sent from a bottom half: one ring write, at most one interrupt and one
 * completion from the guest for the whole batch.
 *
 * vRSS (NVSP 5 and later): the guest learns the channel count from
 * OID_GEN_RECEIVE_SCALE_CAPABILITIES (property "max-queues", at most the
 * VP count), asks for sub-channels with NVSP_MSG5_TYPE_SUBCHANNEL, opens
 * them, transmits on any of them and sets OID_GEN_RECEIVE_SCALE_PARAMETERS;
 * each received frame then goes to the channel that the Toeplitz hash of
 * its IPv4/IPv6 (TCP) header picks in the indirection table, with the hash
 * in a PPI. With a multi-queue netdev (tap queues=N) channel i uses netdev
 * queue i % N both ways instead.
 *
 * All guest input is copied out of the ring, the send buffer or the guest
 * pages before it is checked; a bad value gets an error completion or is
 * dropped, with a trace event.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/bitmap.h"
#include "qemu/bswap.h"
#include "qemu/iov.h"
#include "qemu/main-loop.h"
#include "qemu/timer.h"
#include "qemu/units.h"
#include "qapi/error.h"
#include "qemu/error-report.h"
#include "hw/qdev-properties.h"
#include "migration/vmstate.h"
#include "net/checksum.h"
#include "net/eth.h"
#include "standard-headers/linux/virtio_net.h"
#include "hw/net/net_rx_pkt.h"
#include "accel/hvpart/hvpart.h"
#include "hw/netvsc-vsp/netvsp.h"
#include "trace.h"

/* NVSP versions the host speaks, newest first ("2 to 6.1") */
static const uint32_t netvsp_versions[] = {
    NVSP_VERSION_61, NVSP_VERSION_6, NVSP_VERSION_5, NVSP_VERSION_4,
    NVSP_VERSION_2,
};

static NetvspChannel *netvsp_channel(VMBusChannel *chan)
{
    VMBusNet *s = VMBUS_NET(vmbus_channel_device(chan));

    return &s->channels[vmbus_channel_index(chan)];
}

bool netvsp_link_up(VMBusNet *s)
{
    return !qemu_get_queue(s->nic)->link_down;
}

uint32_t netvsp_queue_cap(VMBusNet *s)
{
    uint32_t cap = MIN(s->max_queues, hvpart_vp_count());

    if (s->nvsp_version < NVSP_VERSION_5) {
        return 1;                       /* sub-channels came with NVSP 5 */
    }
    return MAX(MIN(cap, VMBUS_MAX_CHANNELS_PER_DEVICE), 1);
}

/* Pending host-to-guest messages */

static void netvsp_pending_add(NetvspChannel *nch, bool control,
                               uint64_t trans_id, const void *data,
                               uint32_t len)
{
    NetvspPending *p;

    if (nch->npending >= NETVSP_MAX_PENDING) {
        trace_netvsp_pending_full(control, len);
        return;
    }
    p = g_malloc(sizeof(*p) + len);
    p->trans_id = trans_id;
    p->len = len;
    memcpy(p->data, data, len);
    if (control) {
        QSIMPLEQ_INSERT_TAIL(&nch->controls, p, next);
    } else {
        QSIMPLEQ_INSERT_TAIL(&nch->completions, p, next);
    }
    nch->npending++;
}

static void netvsp_pending_clear(NetvspChannel *nch)
{
    NetvspPending *p;

    while ((p = QSIMPLEQ_FIRST(&nch->completions))) {
        QSIMPLEQ_REMOVE_HEAD(&nch->completions, next);
        g_free(p);
    }
    while ((p = QSIMPLEQ_FIRST(&nch->controls))) {
        QSIMPLEQ_REMOVE_HEAD(&nch->controls, next);
        g_free(p);
    }
    nch->npending = 0;
    nch->ring_full = false;
    nch->ack_last = false;
    /* Frames batched here are dropped: their slots are free again. */
    while (nch->net->rx_map && nch->batch_n) {
        if (test_and_clear_bit(nch->batch_slot[--nch->batch_n],
                               nch->net->rx_in_use)) {
            nch->net->rx_free++;
        }
    }
    nch->batch_n = 0;
}

/* Receive buffer slots */

static uint64_t netvsp_rx_trans_id(VMBusNet *s, uint32_t slot)
{
    return ((uint64_t)s->rx_generation << 32) | slot;
}

static int64_t netvsp_rx_slot_alloc(VMBusNet *s)
{
    unsigned long slot;

    if (!s->rx_map || !s->rx_free) {
        return -1;
    }
    slot = find_next_zero_bit(s->rx_in_use, s->rx_sections, s->rx_hint);
    if (slot >= s->rx_sections) {
        slot = find_first_zero_bit(s->rx_in_use, s->rx_sections);
    }
    assert(slot < s->rx_sections);
    set_bit(slot, s->rx_in_use);
    s->rx_free--;
    s->rx_hint = slot + 1 < s->rx_sections ? slot + 1 : 0;
    return slot;
}

static void netvsp_rx_slot_free(VMBusNet *s, uint32_t slot)
{
    if (test_and_clear_bit(slot, s->rx_in_use)) {
        s->rx_free++;
    }
}

static void netvsp_rx_buffer_alloc(VMBusNet *s)
{
    uint32_t i;

    s->rx_in_use = bitmap_new(s->rx_sections);
    s->rx_head = bitmap_new(s->rx_sections);
    s->rx_next = g_new(uint32_t, s->rx_sections);
    for (i = 0; i < s->rx_sections; i++) {
        s->rx_next[i] = NETVSP_RX_END;
    }
}

static void netvsp_rx_buffer_release(VMBusNet *s)
{
    int i;

    /* Batches not sent yet name slots of this buffer. */
    for (i = 0; i < ARRAY_SIZE(s->channels); i++) {
        s->channels[i].batch_n = 0;
    }
    vmbus_gpadl_unmap(s->rx_map);
    s->rx_map = NULL;
    g_free(s->rx_in_use);
    s->rx_in_use = NULL;
    g_free(s->rx_head);
    s->rx_head = NULL;
    g_free(s->rx_next);
    s->rx_next = NULL;
    s->rx_sections = 0;
    s->rx_free = 0;
    s->rx_hint = 0;
}

static void netvsp_tx_buffer_release(VMBusNet *s)
{
    vmbus_gpadl_unmap(s->tx_map);
    s->tx_map = NULL;
    s->tx_sections = 0;
}

/*
 * Name @n receive slots (@slots, @lens bytes of each) to the guest with
 * one XFER_PAGES packet, one range per slot, and chain them for the
 * guest's one completion. Returns vmbus_channel_send()'s result.
 */
static int netvsp_rx_send_slots(VMBusNet *s, NetvspChannel *nch,
                                const uint32_t *slots, const uint32_t *lens,
                                uint32_t n, uint32_t channel_type)
{
    uint8_t ext[sizeof(VMBusXferPagesHeader) +
                NETVSP_RX_BATCH_MAX * sizeof(VMBusXferPageRange)];
    VMBusXferPagesHeader *xfer = (VMBusXferPagesHeader *)ext;
    NvspMessage msg = { 0 };
    struct iovec iov = {
        .iov_base = &msg,
        .iov_len = NVSP_MESSAGE_SIZE(rndis_packet),
    };
    uint32_t i;
    int ret;

    assert(n > 0 && n <= NETVSP_RX_BATCH_MAX);
    memset(ext, 0, sizeof(VMBusXferPagesHeader));
    xfer->pageset_id = cpu_to_le16(s->rx_buf_id);
    xfer->range_cnt = cpu_to_le32(n);
    for (i = 0; i < n; i++) {
        xfer->range[i].byte_count = cpu_to_le32(lens[i]);
        xfer->range[i].byte_offset =
            cpu_to_le32(slots[i] * s->rx_section_size);
        s->rx_next[slots[i]] = i + 1 < n ? slots[i + 1] : NETVSP_RX_END;
    }
    msg.msg_type = cpu_to_le32(NVSP_MSG1_TYPE_SEND_RNDIS_PKT);
    msg.rndis_packet.channel_type = cpu_to_le32(channel_type);
    msg.rndis_packet.send_buf_section_index =
        cpu_to_le32(NVSP_INVALID_SECTION_INDEX);
    ret = vmbus_channel_send(nch->chan, VMBUS_PKT_XFER_PAGES,
                             VMBUS_PKT_FLAG_COMPLETION_REQUESTED,
                             netvsp_rx_trans_id(s, slots[0]), ext,
                             sizeof(VMBusXferPagesHeader) +
                             n * sizeof(VMBusXferPageRange), &iov, 1);
    if (ret == 0) {
        set_bit(slots[0], s->rx_head);
    }
    return ret;
}

/*
 * Send the frames batched on @nch. Returns 0 (sent, or dropped on a broken
 * channel) or -ENOSPC (ring full: the batch stays).
 */
static int netvsp_rx_batch_send(VMBusNet *s, NetvspChannel *nch)
{
    uint32_t i;
    int ret;

    if (!nch->batch_n) {
        return 0;
    }
    ret = nch->chan ? netvsp_rx_send_slots(s, nch, nch->batch_slot,
                                           nch->batch_len, nch->batch_n,
                                           NVSP_RNDIS_CHANNEL_DATA)
                    : -EPIPE;
    if (ret == -ENOSPC) {
        nch->ring_full = true;
        s->rx_blocked = true;
        return ret;
    }
    if (ret < 0) {
        for (i = 0; i < nch->batch_n; i++) {
            netvsp_rx_slot_free(s, nch->batch_slot[i]);
        }
        trace_netvsp_rx_drop("channel broken", nch->batch_n);
        s->rx_dropped += nch->batch_n;
    } else {
        trace_netvsp_rx_batch(vmbus_channel_index(nch->chan), nch->batch_n);
        s->rx_frames += nch->batch_n;
    }
    nch->batch_n = 0;
    return 0;
}

/* The netdev is done for now: name the frames batched to the guest. */
static void netvsp_rx_flush(void *opaque)
{
    VMBusNet *s = opaque;
    int i;

    for (i = 0; i < ARRAY_SIZE(s->channels); i++) {
        if (s->channels[i].batch_n) {
            netvsp_rx_batch_send(s, &s->channels[i]);
        }
    }
}

/*
 * Copy an RNDIS message into a free slot and send it. Returns 0, -EBUSY
 * (no free slot), -ENOSPC (ring full), -EPIPE or -EMSGSIZE (dropped).
 */
static int netvsp_rx_send_control(VMBusNet *s, NetvspChannel *nch,
                                  const void *msg, uint32_t len)
{
    uint32_t slot32;
    int64_t slot;
    int ret;

    if (!s->rx_map || !nch->chan) {
        return -EPIPE;
    }
    if (len > s->rx_section_size) {
        return -EMSGSIZE;
    }
    slot = netvsp_rx_slot_alloc(s);
    if (slot < 0) {
        return -EBUSY;
    }
    vmbus_gpadl_map_write(s->rx_map, slot * s->rx_section_size, msg, len);
    slot32 = slot;
    ret = netvsp_rx_send_slots(s, nch, &slot32, &len, 1,
                               NVSP_RNDIS_CHANNEL_CONTROL);
    if (ret < 0) {
        netvsp_rx_slot_free(s, slot);
    }
    return ret;
}

/* Send what waits on @nch, each queue in order. */
static void netvsp_flush_pending(NetvspChannel *nch)
{
    VMBusNet *s = nch->net;
    NetvspPending *p;
    int ret;

    while ((p = QSIMPLEQ_FIRST(&nch->completions))) {
        ret = nch->chan ? vmbus_channel_send_completion(nch->chan,
                                                        p->trans_id,
                                                        p->data, p->len)
                        : -EPIPE;
        if (ret == -ENOSPC) {
            nch->ring_full = true;
            return;
        }
        if (ret < 0) {
            trace_netvsp_send_dropped(false, p->len, ret);
        }
        QSIMPLEQ_REMOVE_HEAD(&nch->completions, next);
        nch->npending--;
        g_free(p);
    }
    if (netvsp_rx_batch_send(s, nch) == -ENOSPC) {
        return;
    }
    while ((p = QSIMPLEQ_FIRST(&nch->controls))) {
        ret = nch->chan ? netvsp_rx_send_control(s, nch, p->data, p->len)
                        : -EPIPE;
        if (ret == -ENOSPC) {
            nch->ring_full = true;
            return;
        }
        if (ret == -EBUSY) {
            return;
        }
        if (ret < 0) {
            trace_netvsp_send_dropped(true, p->len, ret);
        }
        QSIMPLEQ_REMOVE_HEAD(&nch->controls, next);
        nch->npending--;
        g_free(p);
    }
}

static void netvsp_send_completion(NetvspChannel *nch, uint64_t trans_id,
                                   const void *msg, uint32_t len)
{
    int ret = -ENOSPC;

    if (QSIMPLEQ_EMPTY(&nch->completions)) {
        ret = vmbus_channel_send_completion(nch->chan, trans_id, msg, len);
    }
    if (ret == -ENOSPC) {
        nch->ring_full = true;
        netvsp_pending_add(nch, false, trans_id, msg, len);
    } else if (ret < 0) {
        trace_netvsp_send_dropped(false, len, ret);
    }
}

/*
 * Interrupt moderation of send completions: the guest frees a sent frame
 * (and its socket may send more) only when the completion's interrupt
 * comes, but it does not wait for each one. Held back, one interrupt
 * covers many completions; the timer, a burst of NETVSP_TX_HELD_MAX, and
 * any other packet to the guest on the channel give it.
 */
#define NETVSP_TX_HELD_MAX              64

static void netvsp_tx_signal(NetvspChannel *nch)
{
    nch->tx_held = 0;
    timer_del(nch->tx_timer);
    if (nch->chan) {
        vmbus_channel_flush_signal(nch->chan);
    }
}

static void netvsp_tx_timer(void *opaque)
{
    netvsp_tx_signal(opaque);
}

static void netvsp_send_tx_completion(NetvspChannel *nch, uint64_t trans_id,
                                      const void *msg, uint32_t len)
{
    VMBusNet *s = nch->net;
    int ret;

    if (!s->tx_coalesce_us || !QSIMPLEQ_EMPTY(&nch->completions)) {
        netvsp_send_completion(nch, trans_id, msg, len);
        return;
    }
    ret = vmbus_channel_send_completion_quiet(nch->chan, trans_id, msg, len);
    if (ret == -ENOSPC) {
        nch->ring_full = true;
        netvsp_pending_add(nch, false, trans_id, msg, len);
        return;
    }
    if (ret < 0) {
        trace_netvsp_send_dropped(false, len, ret);
        return;
    }
    if (!vmbus_channel_signal_held(nch->chan)) {
        /* given with another packet meanwhile, or none was needed */
        nch->tx_held = 0;
        timer_del(nch->tx_timer);
        return;
    }
    if (++nch->tx_held >= NETVSP_TX_HELD_MAX) {
        netvsp_tx_signal(nch);
    } else if (!timer_pending(nch->tx_timer)) {
        timer_mod(nch->tx_timer, qemu_clock_get_us(QEMU_CLOCK_VIRTUAL) +
                  s->tx_coalesce_us);
    }
}

void netvsp_send_rndis_control(NetvspChannel *nch, const void *msg,
                               uint32_t len)
{
    VMBusNet *s = nch->net;
    int ret = -EBUSY;

    if (!s->rx_map || !nch->chan) {
        trace_netvsp_send_dropped(true, len, -EPIPE);
        return;
    }
    if (QSIMPLEQ_EMPTY(&nch->controls)) {
        ret = netvsp_rx_send_control(s, nch, msg, len);
    }
    if (ret == -ENOSPC || ret == -EBUSY) {
        nch->ring_full |= ret == -ENOSPC;
        netvsp_pending_add(nch, true, 0, msg, len);
    } else if (ret < 0) {
        trace_netvsp_send_dropped(true, len, ret);
    }
}

/* Receive path: frames from the netdev */

/* Whether frames from the netdev can reach the guest at all. */
static bool netvsp_rx_open(VMBusNet *s)
{
    return s->rx_map && s->channels[0].chan &&
           s->rndis_state == NETVSP_RNDIS_INITIALIZED && s->packet_filter;
}

/*
 * Resources came back: let the netdev deliver what it queued for us, on
 * every queue (a multi-queue tap queues per queue).
 */
static void netvsp_rx_unblock(VMBusNet *s)
{
    int i;

    if (s->rx_blocked && s->nic) {
        s->rx_blocked = false;
        for (i = 0; i < MAX(s->nqueues, 1); i++) {
            qemu_flush_queued_packets(qemu_get_subqueue(s->nic, i));
        }
    }
}

/* The channel that receives what netdev queue @nc brings (or the primary). */
static NetvspChannel *netvsp_queue_channel(VMBusNet *s, NetClientState *nc)
{
    uint32_t i = s->nqueues > 1 ? nc->queue_index : 0;

    if (i > s->sub_channels || i >= ARRAY_SIZE(s->channels) ||
        !s->channels[i].chan) {
        i = 0;
    }
    return &s->channels[i];
}

static bool netvsp_can_receive(NetClientState *nc)
{
    VMBusNet *s = qemu_get_nic_opaque(nc);
    NetvspChannel *nch = netvsp_queue_channel(s, nc);

    if (!netvsp_rx_open(s)) {
        return true;                    /* dropped in receive */
    }
    if (!s->rx_free || nch->ring_full || !QSIMPLEQ_EMPTY(&nch->controls)) {
        s->rx_blocked = true;
        return false;
    }
    /* A sub-channel that is full makes receive queue the frame. */
    return true;
}

/*
 * The channel for the frame parsed in s->rx_pkt: with a multi-queue netdev
 * the one of the netdev queue it came from; with the guest's RSS
 * parameters the one its Toeplitz hash picks in the indirection table
 * (*@hash set, for the hash PPI); else, or if that channel is not open,
 * the primary.
 */
static NetvspChannel *netvsp_rx_channel(VMBusNet *s, NetClientState *nc,
                                        uint32_t *hash, bool *has_hash)
{
    uint32_t index = 0;

    *has_hash = false;
    if (s->nqueues > 1) {
        index = nc->queue_index;
    } else if (s->rss_enabled && s->sub_channels && s->rss_itab_size) {
        bool ip4, ip6;
        EthL4HdrProto l4;
        NetRxPktRssType type;

        net_rx_pkt_get_protocols(s->rx_pkt, &ip4, &ip6, &l4);
        if (ip4 && l4 == ETH_L4_HDR_PROTO_TCP &&
            (s->rss_hashinfo & NDIS_HASH_TCP_IPV4)) {
            type = NetPktRssIpV4Tcp;
        } else if (ip6 && l4 == ETH_L4_HDR_PROTO_TCP &&
                   (s->rss_hashinfo & NDIS_HASH_TCP_IPV6)) {
            type = NetPktRssIpV6Tcp;
        } else if (ip4 && (s->rss_hashinfo & NDIS_HASH_IPV4)) {
            type = NetPktRssIpV4;
        } else if (ip6 && (s->rss_hashinfo & NDIS_HASH_IPV6)) {
            type = NetPktRssIpV6;
        } else {
            return &s->channels[0];
        }
        *hash = net_rx_pkt_calc_rss_hash(s->rx_pkt, type, s->rss_key);
        *has_hash = true;
        index = s->rss_itab[*hash % s->rss_itab_size];
    }
    if (index >= ARRAY_SIZE(s->channels) || index > s->sub_channels ||
        !s->channels[index].chan) {
        index = 0;
    }
    return &s->channels[index];
}

/* The packet filter the guest set (OID_GEN_CURRENT_PACKET_FILTER). */
static bool netvsp_rx_filter(VMBusNet *s, const uint8_t *dst)
{
    uint32_t filter = s->packet_filter;

    if (filter & RNDIS_PACKET_TYPE_PROMISCUOUS) {
        return true;
    }
    if (is_broadcast_ether_addr(dst)) {
        return filter & RNDIS_PACKET_TYPE_BROADCAST;
    }
    if (is_multicast_ether_addr(dst)) {
        /* no multicast list is kept: MULTICAST takes every group */
        return filter & (RNDIS_PACKET_TYPE_MULTICAST |
                         RNDIS_PACKET_TYPE_ALL_MULTICAST);
    }
    return (filter & RNDIS_PACKET_TYPE_DIRECTED) &&
           !memcmp(dst, s->mac, ETH_ALEN);
}

/*
 * Whether the TCP or UDP segment of the frame parsed in s->rx_pkt (@iov,
 * its @frame_off bytes on) lies whole inside the frame, as the lengths in
 * its headers say, and is one the checksum covers as computed here: no
 * IPv4 options shorter than the header, no IPv6 extension headers (a
 * routing header changes the pseudo-header).
 */
static bool netvsp_rx_l4_in_frame(VMBusNet *s, const struct iovec *iov,
                                  int iovcnt, size_t frame_off, bool ip4,
                                  EthL4HdrProto l4)
{
    size_t total = net_rx_pkt_get_total_len(s->rx_pkt);
    size_t l4_off = net_rx_pkt_get_l4_hdr_offset(s->rx_pkt);
    size_t l3_off = l4_off, l4_len;
    struct udp_header udp;

    if (ip4) {
        struct ip_header *ip = &net_rx_pkt_get_ip4_info(s->rx_pkt)->ip4_hdr;
        size_t ihl = IP_HDR_GET_LEN(ip), ip_len = be16_to_cpu(ip->ip_len);

        if (ihl < sizeof(*ip) || ip_len < ihl || l4_off < ihl) {
            return false;
        }
        l3_off = l4_off - ihl;
        l4_len = ip_len - ihl;
        if (l3_off + ip_len > total) {
            return false;
        }
    } else {
        eth_ip6_hdr_info *info = net_rx_pkt_get_ip6_info(s->rx_pkt);

        if (info->full_hdr_len != sizeof(struct ip6_header) ||
            l4_off < sizeof(struct ip6_header)) {
            return false;
        }
        l4_len = be16_to_cpu(info->ip6_hdr.ip6_ctlun.ip6_un1.ip6_un1_plen);
        if (l4_off + l4_len > total) {
            return false;
        }
    }
    if (l4 == ETH_L4_HDR_PROTO_TCP) {
        return l4_len >= sizeof(struct tcp_header);
    }
    if (iov_to_buf(iov, iovcnt, frame_off + l4_off, &udp, sizeof(udp)) !=
        sizeof(udp)) {
        return false;
    }
    return be16_to_cpu(udp.uh_ulen) >= sizeof(udp) &&
           be16_to_cpu(udp.uh_ulen) <= l4_len;
}

/*
 * The receive checksum PPI for the frame parsed in s->rx_pkt (@iov, its
 * @frame_off bytes on), for the protocols the guest turned receive
 * checksums on for: a good TCP or UDP checksum, where the backend vouches
 * for it (@vouched: VIRTIO_NET_HDR_F_DATA_VALID, or a partial checksum
 * completed here) or, with rx-csum-verify, where it was checked here
 * (*@verified set). Returns 0 when there is nothing to report: the guest
 * checks for itself. (No IPv4 header checksum offload is offered: the
 * guest checks those.)
 */
static uint32_t netvsp_rx_csum_info(VMBusNet *s, const struct iovec *iov,
                                    int iovcnt, size_t frame_off,
                                    bool vouched, bool *verified)
{
    const NetvspOffloads *on = &s->offloads;
    bool ip4, ip6, wanted, valid;
    EthL4HdrProto l4;
    uint32_t info;

    net_rx_pkt_get_protocols(s->rx_pkt, &ip4, &ip6, &l4);
    switch (l4) {
    case ETH_L4_HDR_PROTO_TCP:
        wanted = ip4 ? on->rx_csum_tcp4 : ip6 && on->rx_csum_tcp6;
        info = RNDIS_CSUM_RX_TCP_SUCCEEDED;
        break;
    case ETH_L4_HDR_PROTO_UDP:
        wanted = ip4 ? on->rx_csum_udp4 : ip6 && on->rx_csum_udp6;
        info = RNDIS_CSUM_RX_UDP_SUCCEEDED;
        break;
    default:
        return 0;
    }
    if (!wanted) {
        return 0;
    }
    if (vouched) {
        return info;
    }
    /* A UDP checksum of 0 is none: the guest takes the datagram as is. */
    if (!s->rx_csum_verify ||
        !netvsp_rx_l4_in_frame(s, iov, iovcnt, frame_off, ip4, l4) ||
        !net_rx_pkt_validate_l4_csum(s->rx_pkt, &valid) || !valid) {
        return 0;
    }
    *verified = true;
    return info;
}

/*
 * Finish a partial checksum (VIRTIO_NET_HDR_F_NEEDS_CSUM) in the linear
 * @frame, which the guest cannot do. False if the offsets are bad.
 */
static bool netvsp_rx_finish_csum(uint8_t *frame, size_t len,
                                  const struct virtio_net_hdr *vh)
{
    size_t start = lduw_le_p(&vh->csum_start);
    size_t off = lduw_le_p(&vh->csum_offset);
    uint16_t csum;

    if (start >= len || off > len - start - 2 || len - start < 2) {
        return false;
    }
    csum = net_checksum_finish_nozero(net_checksum_add(len - start,
                                                       frame + start));
    stw_be_p(frame + start + off, csum);
    return true;
}

/*
 * ACK coalescing. A TCP receiver that acknowledges every segment (slirp
 * does; so does Linux in quick-ack mode) gives the guest one frame per
 * segment it sent, and under emulation each costs the guest as much as a
 * segment of data. ACKs that reach the guest in one XFER_PAGES packet
 * arrive at once anyway: of several in a row for the same connection,
 * each further on than the one before, only the last tells the guest
 * anything (acknowledgements are cumulative), as if the others had been
 * lost. So a pure ACK (@frame_len bytes at @hdr_len in @iov, behind the
 * RNDIS header @head of @head_len bytes) that supersedes the last frame of
 * @nch's batch takes that frame's slot. Duplicate ACKs, ACKs with SACK
 * blocks or any flag but ACK, and anything else, are left alone.
 * Returns true if the frame was merged; else sets *@is_ack and *@ack for
 * the caller, which batches it.
 */
static bool netvsp_rx_merge_ack(VMBusNet *s, NetvspChannel *nch,
                                const uint8_t *head, uint32_t head_len,
                                const struct iovec *iov, int iovcnt,
                                size_t hdr_len, uint32_t frame_len,
                                bool *is_ack, NetvspTcpAck *ack)
{
    /* Ethernet, IPv6 and TCP with the largest options a pure ACK has */
    uint8_t frame[ETH_HLEN + 40 + 60];
    uint32_t slot, off;
    bool ip4, ip6;
    EthL4HdrProto l4;

    net_rx_pkt_get_protocols(s->rx_pkt, &ip4, &ip6, &l4);
    if (l4 != ETH_L4_HDR_PROTO_TCP || frame_len > sizeof(frame)) {
        return false;
    }
    iov_to_buf(iov, iovcnt, hdr_len, frame, frame_len);
    *is_ack = netvsp_parse_pure_ack(frame, frame_len, ack);
    if (!*is_ack || !nch->batch_n || !nch->ack_last ||
        nch->ack_head_len != head_len ||
        memcmp(nch->ack_head, head, head_len) ||
        !netvsp_ack_supersedes(&nch->ack, ack)) {
        return false;
    }
    /* The slot is not named to the guest yet: overwrite it. */
    slot = nch->batch_slot[nch->batch_n - 1];
    off = slot * s->rx_section_size;
    vmbus_gpadl_map_write(s->rx_map, off, head, head_len);
    vmbus_gpadl_map_write(s->rx_map, off + head_len, frame, frame_len);
    nch->batch_len[nch->batch_n - 1] = head_len + frame_len;
    nch->ack = *ack;
    s->rx_acks_merged++;
    trace_netvsp_rx_ack_merged(vmbus_channel_index(nch->chan), ack->ack);
    return true;
}

static ssize_t netvsp_receive_iov(NetClientState *nc,
                                  const struct iovec *iov, int iovcnt)
{
    VMBusNet *s = qemu_get_nic_opaque(nc);
    NetvspChannel *nch;
    size_t size = iov_size(iov, iovcnt);
    size_t hdr_len = s->peer_vnet_hdr ? sizeof(struct virtio_net_hdr) : 0;
    struct virtio_net_hdr vh = { 0 };
    uint8_t head[NETVSP_RX_RNDIS_OVERHEAD];
    RndisHeader *rh = (RndisHeader *)head;
    RndisPacket *rp = (RndisPacket *)(head + sizeof(*rh));
    g_autofree uint8_t *linear = NULL;
    struct iovec linear_iov;
    uint8_t dst[ETH_ALEN];
    uint32_t frame_len, ppi_len = 0, msg_len, csum_info = 0, hash = 0;
    bool csum_valid = false, csum_verified = false, has_hash, is_ack = false;
    NetvspTcpAck ack;
    int64_t slot;

    if (!netvsp_rx_open(s)) {
        s->rx_dropped++;
        return size;
    }
    if (size < hdr_len + ETH_HLEN || size - hdr_len > UINT16_MAX + 1) {
        trace_netvsp_rx_drop("bad frame size", size);
        s->rx_dropped++;
        return size;
    }
    frame_len = size - hdr_len;
    iov_to_buf(iov, iovcnt, 0, &vh, hdr_len);
    iov_to_buf(iov, iovcnt, hdr_len, dst, ETH_ALEN);
    if (!netvsp_rx_filter(s, dst)) {
        return size;
    }

    if (vh.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
        /* Complete the checksum in a copy, then deliver the copy. */
        linear = g_malloc(frame_len);
        iov_to_buf(iov, iovcnt, hdr_len, linear, frame_len);
        csum_valid = netvsp_rx_finish_csum(linear, frame_len, &vh);
        linear_iov.iov_base = linear;
        linear_iov.iov_len = frame_len;
        iov = &linear_iov;
        iovcnt = 1;
        hdr_len = 0;
    } else if (vh.flags & VIRTIO_NET_HDR_F_DATA_VALID) {
        csum_valid = true;
    }
    net_rx_pkt_attach_iovec(s->rx_pkt, iov, iovcnt, hdr_len, false);
    csum_info = netvsp_rx_csum_info(s, iov, iovcnt, hdr_len, csum_valid,
                                    &csum_verified);
    nch = netvsp_rx_channel(s, nc, &hash, &has_hash);

    memset(head, 0, sizeof(head));
    if (csum_info) {
        RndisPerPacketInfo *ppi = (RndisPerPacketInfo *)(rp + 1);

        ppi->size = cpu_to_le32(sizeof(*ppi) + sizeof(uint32_t));
        ppi->type = cpu_to_le32(RNDIS_PPI_TCPIP_CHKSUM);
        ppi->ppi_offset = cpu_to_le32(sizeof(*ppi));
        stl_le_p(ppi + 1, csum_info);
        ppi_len = sizeof(*ppi) + sizeof(uint32_t);
    }
    if (has_hash) {
        RndisPerPacketInfo *ppi =
            (RndisPerPacketInfo *)((uint8_t *)(rp + 1) + ppi_len);

        ppi->size = cpu_to_le32(sizeof(*ppi) + sizeof(uint32_t));
        ppi->type = cpu_to_le32(RNDIS_PPI_NBL_HASH_VALUE);
        ppi->ppi_offset = cpu_to_le32(sizeof(*ppi));
        stl_le_p(ppi + 1, hash);
        ppi_len += sizeof(*ppi) + sizeof(uint32_t);
    }
    msg_len = sizeof(*rh) + sizeof(*rp) + ppi_len + frame_len;
    if (msg_len > s->rx_section_size) {
        trace_netvsp_rx_drop("frame larger than a receive slot", frame_len);
        s->rx_dropped++;
        return size;
    }
    rh->msg_type = cpu_to_le32(RNDIS_MSG_PACKET);
    rh->msg_len = cpu_to_le32(msg_len);
    rp->data_offset = cpu_to_le32(sizeof(*rp) + ppi_len);
    rp->data_len = cpu_to_le32(frame_len);
    if (ppi_len) {
        rp->per_pkt_info_offset = cpu_to_le32(sizeof(*rp));
        rp->per_pkt_info_len = cpu_to_le32(ppi_len);
    }

    if (nch->ring_full || !QSIMPLEQ_EMPTY(&nch->controls)) {
        s->rx_blocked = true;
        return 0;
    }
    if (s->ack_coalesce &&
        netvsp_rx_merge_ack(s, nch, head, msg_len - frame_len, iov, iovcnt,
                            hdr_len, frame_len, &is_ack, &ack)) {
        s->rx_csum_verified += csum_verified;
        return size;
    }
    if (nch->batch_n == NETVSP_RX_BATCH_MAX &&
        netvsp_rx_batch_send(s, nch) < 0) {
        return 0;
    }
    slot = netvsp_rx_slot_alloc(s);
    if (slot < 0) {
        s->rx_blocked = true;
        return 0;
    }
    vmbus_gpadl_map_write(s->rx_map, slot * s->rx_section_size, head,
                          msg_len - frame_len);
    vmbus_gpadl_map_write_iov(s->rx_map,
                              slot * s->rx_section_size + msg_len - frame_len,
                              iov, iovcnt, hdr_len, frame_len);
    /*
     * Batch: the frames the netdev hands over in one go reach the guest in
     * one XFER_PAGES packet (one interrupt at most, one completion), sent
     * from a bottom half once the netdev is done, or now if it is full.
     * If the ring is full, the batch waits for the writable hook.
     */
    nch->batch_slot[nch->batch_n] = slot;
    nch->batch_len[nch->batch_n] = msg_len;
    nch->ack_last = is_ack;
    if (is_ack) {
        nch->ack = ack;
        nch->ack_head_len = msg_len - frame_len;
        memcpy(nch->ack_head, head, nch->ack_head_len);
    }
    s->rx_csum_verified += csum_verified;
    if (++nch->batch_n == NETVSP_RX_BATCH_MAX) {
        netvsp_rx_batch_send(s, nch);
    } else if (nch->batch_n == 1) {
        qemu_bh_schedule(s->rx_bh);
    }
    return size;
}

static void netvsp_link_status_changed(NetClientState *nc)
{
    VMBusNet *s = qemu_get_nic_opaque(nc);

    trace_netvsp_link(!nc->link_down);
    netvsp_rndis_indicate_link(s);
}

static NetClientInfo netvsp_net_info = {
    .type = NET_CLIENT_DRIVER_NIC,
    .size = sizeof(NICState),
    .can_receive = netvsp_can_receive,
    .receive_iov = netvsp_receive_iov,
    .link_status_changed = netvsp_link_status_changed,
};

/* NVSP */

static void netvsp_nvsp_complete(NetvspChannel *nch, uint64_t trans_id,
                                 const NvspMessage *msg)
{
    /* Linux parses short completions only as big as a whole message. */
    netvsp_send_completion(nch, trans_id, msg, sizeof(*msg));
}

static uint32_t netvsp_pick_version(uint32_t min, uint32_t max)
{
    size_t i;

    for (i = 0; i < ARRAY_SIZE(netvsp_versions); i++) {
        if (netvsp_versions[i] >= min && netvsp_versions[i] <= max) {
            return netvsp_versions[i];
        }
    }
    return 0;
}

static void netvsp_handle_init(VMBusNet *s, NetvspChannel *nch,
                               uint64_t trans_id, const NvspMessage *req)
{
    uint32_t min = le32_to_cpu(req->init.min_protocol_ver);
    uint32_t max = le32_to_cpu(req->init.max_protocol_ver);
    NvspMessage reply = { 0 };
    uint32_t version = 0, status = NVSP_STAT_FAIL;

    if (s->nvsp_ready) {
        trace_netvsp_bad("INIT after a successful INIT", NVSP_MSG_TYPE_INIT);
    } else {
        version = netvsp_pick_version(min, max);
        if (version) {
            s->nvsp_ready = true;
            s->nvsp_version = version;
            status = NVSP_STAT_SUCCESS;
        }
    }
    trace_netvsp_init(min, max, version, status);
    reply.msg_type = cpu_to_le32(NVSP_MSG_TYPE_INIT_COMPLETE);
    reply.init_complete.negotiated_protocol_ver = cpu_to_le32(version);
    reply.init_complete.max_mdl_chain_len = cpu_to_le32(34);
    reply.init_complete.status = cpu_to_le32(status);
    netvsp_nvsp_complete(nch, trans_id, &reply);
}

/* Receive slot size for a frame of @mtu bytes without its header */
static uint32_t netvsp_rx_slot_size_for(uint32_t mtu)
{
    /* the frame with its header and one VLAN tag, and the RNDIS header */
    return MAX(NETVSP_RX_SECTION_SIZE_MIN,
               ROUND_UP(mtu + ETH_HLEN + 4 + NETVSP_RX_RNDIS_OVERHEAD, 64));
}

/* Receive slot size for the guest's MTU (NDIS config) and ours. */
static uint32_t netvsp_rx_slot_size(VMBusNet *s)
{
    uint32_t guest = 0;

    if (s->guest_mtu > ETH_HLEN) {
        guest = MIN(s->guest_mtu - ETH_HLEN, NETVSP_MTU_MAX);
    }
    return netvsp_rx_slot_size_for(MAX(s->mtu, guest));
}

static void netvsp_handle_recv_buf(VMBusNet *s, NetvspChannel *nch,
                                   uint64_t trans_id, const NvspMessage *req)
{
    uint32_t gpadl = le32_to_cpu(req->send_buffer.gpadl_handle);
    NvspMessage reply = { 0 };
    NvspSendReceiveBufferComplete *c = &reply.recv_buffer_complete;
    const char *why = NULL;
    VMBusGpadlMap *map = NULL;
    uint64_t count = 0;
    uint32_t slot_size = netvsp_rx_slot_size(s);

    reply.msg_type = cpu_to_le32(NVSP_MSG1_TYPE_SEND_RECV_BUF_COMPLETE);
    c->status = cpu_to_le32(NVSP_STAT_FAIL);
    if (!s->nvsp_ready) {
        why = "receive buffer before INIT";
    } else if (s->rx_map) {
        why = "a second receive buffer";
    } else {
        map = vmbus_gpadl_map(nch->chan, gpadl, &why);
    }
    if (map) {
        count = vmbus_gpadl_map_size(map) / slot_size;
        if (!count) {
            why = "receive buffer smaller than a slot";
            vmbus_gpadl_unmap(map);
            map = NULL;
        }
    }
    if (!map) {
        trace_netvsp_bad(why, NVSP_MSG1_TYPE_SEND_RECV_BUF);
        netvsp_nvsp_complete(nch, trans_id, &reply);
        return;
    }
    s->rx_map = map;
    s->rx_buf_id = le16_to_cpu(req->send_buffer.id);
    s->rx_section_size = slot_size;
    s->rx_sections = count;
    s->rx_free = count;
    s->rx_hint = 0;
    s->rx_generation++;
    netvsp_rx_buffer_alloc(s);
    trace_netvsp_rx_buffer(gpadl, s->rx_buf_id, count, slot_size);

    c->status = cpu_to_le32(NVSP_STAT_SUCCESS);
    c->num_sections = cpu_to_le32(1);
    c->sections[0].offset = 0;
    c->sections[0].sub_alloc_size = cpu_to_le32(slot_size);
    c->sections[0].num_sub_allocs = cpu_to_le32(count);
    c->sections[0].end_offset = cpu_to_le32(count * slot_size);
    netvsp_nvsp_complete(nch, trans_id, &reply);
}

static void netvsp_handle_send_buf(VMBusNet *s, NetvspChannel *nch,
                                   uint64_t trans_id, const NvspMessage *req)
{
    uint32_t gpadl = le32_to_cpu(req->send_buffer.gpadl_handle);
    NvspMessage reply = { 0 };
    const char *why = NULL;
    VMBusGpadlMap *map = NULL;
    uint64_t count = 0;

    reply.msg_type = cpu_to_le32(NVSP_MSG1_TYPE_SEND_SEND_BUF_COMPLETE);
    reply.send_buffer_complete.status = cpu_to_le32(NVSP_STAT_FAIL);
    if (!s->nvsp_ready) {
        why = "send buffer before INIT";
    } else if (s->tx_map) {
        why = "a second send buffer";
    } else {
        map = vmbus_gpadl_map(nch->chan, gpadl, &why);
    }
    if (map) {
        count = vmbus_gpadl_map_size(map) / NETVSP_TX_SECTION_SIZE;
        if (!count) {
            why = "send buffer smaller than a section";
            vmbus_gpadl_unmap(map);
            map = NULL;
        }
    }
    if (!map) {
        trace_netvsp_bad(why, NVSP_MSG1_TYPE_SEND_SEND_BUF);
        netvsp_nvsp_complete(nch, trans_id, &reply);
        return;
    }
    s->tx_map = map;
    s->tx_buf_id = le16_to_cpu(req->send_buffer.id);
    s->tx_section_size = NETVSP_TX_SECTION_SIZE;
    s->tx_sections = count;
    trace_netvsp_tx_buffer(gpadl, s->tx_buf_id, count,
                           NETVSP_TX_SECTION_SIZE);
    reply.send_buffer_complete.status = cpu_to_le32(NVSP_STAT_SUCCESS);
    reply.send_buffer_complete.section_size =
        cpu_to_le32(NETVSP_TX_SECTION_SIZE);
    netvsp_nvsp_complete(nch, trans_id, &reply);
}

/*
 * NVSP_MSG5_TYPE_SUBCHANNEL: offer the sub-channels (vRSS), at most
 * netvsp_queue_cap() - 1, and answer with how many were offered. The guest
 * then waits until it has opened them all.
 *
 * When the guest closes the primary channel (a netvsc detach: driver
 * reload, MTU or channel count change), the VMBus rescinds the
 * sub-channels, as Hyper-V does, and the next request after the primary
 * is opened again gets fresh ones (re-offered once the guest has released
 * the old ones).
 */
static void netvsp_handle_subchannel(VMBusNet *s, NetvspChannel *nch,
                                     uint64_t trans_id,
                                     const NvspMessage *req)
{
    uint32_t op = le32_to_cpu(req->subchannel_request.op);
    uint32_t want = le32_to_cpu(req->subchannel_request.num_subchannels);
    uint32_t cap = netvsp_queue_cap(s) - 1;
    NvspMessage reply = { 0 };
    const char *why = NULL;
    int got = 0;

    if (!s->nvsp_ready || s->nvsp_version < NVSP_VERSION_5) {
        why = "sub-channels before INIT or before NVSP 5";
    } else if (op != NVSP_SUBCHANNEL_ALLOCATE) {
        why = "unknown sub-channel operation";
    } else if (want == 0 || want > VMBUS_MAX_CHANNELS_PER_DEVICE - 1) {
        why = "sub-channel count out of range";
    } else if (s->sub_channels) {
        why = "sub-channels requested twice";
    } else if (cap && !s->subs_offered) {
        got = vmbus_device_offer_subchannels(VMBUS_DEVICE(s),
                                             MIN(want, cap));
        if (got < 0) {
            why = "the VMBus cannot offer sub-channels";
            got = 0;
        }
        s->subs_offered = got > 0;
    }
    trace_netvsp_subchannels(want, cap, got);
    reply.msg_type = cpu_to_le32(NVSP_MSG5_TYPE_SUBCHANNEL);
    if (why) {
        trace_netvsp_bad(why, NVSP_MSG5_TYPE_SUBCHANNEL);
        reply.subchannel_complete.status = cpu_to_le32(NVSP_STAT_FAIL);
    } else {
        s->sub_channels = got;
        reply.subchannel_complete.status = cpu_to_le32(NVSP_STAT_SUCCESS);
        reply.subchannel_complete.num_subchannels = cpu_to_le32(got);
    }
    netvsp_nvsp_complete(nch, trans_id, &reply);
}

/* Copies one piece of a GPA_DIRECT range list after the bytes so far */
typedef struct NetvspGpaCopy {
    uint8_t *dst;
    uint32_t len;
} NetvspGpaCopy;

static bool netvsp_gpa_copy(uint64_t gpa, uint32_t len, void *opaque)
{
    NetvspGpaCopy *copy = opaque;

    if (vmbus_gpa_read(gpa, copy->dst + copy->len, len) != MEMTX_OK) {
        return false;
    }
    copy->len += len;
    return true;
}

static void netvsp_handle_rndis_pkt(VMBusNet *s, NetvspChannel *nch,
                                    const VMBusRingPacket *pkt,
                                    const uint8_t *data,
                                    const NvspMessage *req)
{
    uint32_t index = le32_to_cpu(req->rndis_packet.send_buf_section_index);
    uint32_t size = le32_to_cpu(req->rndis_packet.send_buf_section_size);
    NvspMessage reply = { 0 };
    uint32_t status = NVSP_STAT_FAIL;
    const char *why = NULL;
    uint32_t len = 0;

    if (!s->nvsp_ready) {
        why = "RNDIS packet before INIT";
    } else if (index != NVSP_INVALID_SECTION_INDEX) {
        if (!s->tx_map) {
            why = "send buffer section without a send buffer";
        } else if (index >= s->tx_sections) {
            why = "send buffer section index out of range";
        } else if (size > s->tx_section_size) {
            why = "send buffer section size too big";
        } else {
            vmbus_gpadl_map_read(s->tx_map,
                                 (uint64_t)index * s->tx_section_size,
                                 s->tx_buf, size);
            len = size;
        }
    }
    if (!why && pkt->type == VMBUS_PKT_GPA_DIRECT) {
        NetvspGpaCopy copy = { .dst = s->tx_buf, .len = len };

        if (nvsp_walk_gpa_ranges(data + sizeof(VMBusPacketDesc),
                                 pkt->data_offset - sizeof(VMBusPacketDesc),
                                 NETVSP_TX_BUF_SIZE - len, netvsp_gpa_copy,
                                 &copy, &why) >= 0) {
            len = copy.len;
        }
    }
    if (!why && !len) {
        why = "empty RNDIS packet";
    }
    if (why) {
        trace_netvsp_bad(why, NVSP_MSG1_TYPE_SEND_RNDIS_PKT);
    } else {
        status = netvsp_rndis_receive(nch, s->tx_buf, len);
    }
    reply.msg_type = cpu_to_le32(NVSP_MSG1_TYPE_SEND_RNDIS_PKT_COMPLETE);
    reply.rndis_packet_complete.status = cpu_to_le32(status);
    if (le32_to_cpu(req->rndis_packet.channel_type) ==
        NVSP_RNDIS_CHANNEL_DATA) {
        netvsp_send_tx_completion(nch, pkt->trans_id, &reply,
                                  NVSP_MESSAGE_SIZE(rndis_packet_complete));
    } else {
        netvsp_send_completion(nch, pkt->trans_id, &reply,
                               NVSP_MESSAGE_SIZE(rndis_packet_complete));
    }
}

static void netvsp_handle_message(VMBusNet *s, NetvspChannel *nch,
                                  const VMBusRingPacket *pkt,
                                  const uint8_t *data, uint32_t len)
{
    const uint8_t *payload = data + pkt->data_offset;
    uint32_t plen = len - pkt->data_offset;
    NvspMessage req = { 0 };
    uint32_t type;

    if (plen < sizeof(uint32_t)) {
        trace_netvsp_bad("message shorter than its type", 0);
        return;
    }
    memcpy(&req, payload, MIN(plen, sizeof(req)));
    type = le32_to_cpu(req.msg_type);
    if (plen < nvsp_msg_min_size(type)) {
        trace_netvsp_bad("message shorter than its type needs", type);
        return;
    }
    if (pkt->type == VMBUS_PKT_GPA_DIRECT &&
        type != NVSP_MSG1_TYPE_SEND_RNDIS_PKT) {
        trace_netvsp_bad("GPA_DIRECT packet that is no RNDIS packet", type);
        return;
    }
    if (vmbus_channel_index(nch->chan) != 0 &&
        type != NVSP_MSG1_TYPE_SEND_RNDIS_PKT) {
        trace_netvsp_bad("control message on a sub-channel", type);
        return;
    }
    trace_netvsp_message(vmbus_channel_index(nch->chan), type, plen);

    switch (type) {
    case NVSP_MSG_TYPE_INIT:
        netvsp_handle_init(s, nch, pkt->trans_id, &req);
        break;
    case NVSP_MSG1_TYPE_SEND_NDIS_VER:
        if (!s->nvsp_ready) {
            trace_netvsp_bad("NDIS version before INIT", type);
            break;
        }
        s->ndis_version = (le32_to_cpu(req.ndis_version.ndis_major_ver) <<
                           16) |
                          (le32_to_cpu(req.ndis_version.ndis_minor_ver) &
                           0xffff);
        trace_netvsp_ndis_version(s->ndis_version >> 16,
                                  s->ndis_version & 0xffff);
        break;
    case NVSP_MSG2_TYPE_SEND_NDIS_CONFIG:
        if (!s->nvsp_ready || s->rx_map) {
            trace_netvsp_bad("NDIS config out of order", type);
            break;
        }
        s->guest_mtu = le32_to_cpu(req.ndis_config.mtu);
        trace_netvsp_ndis_config(s->guest_mtu,
                                 le64_to_cpu(req.ndis_config.capability));
        break;
    case NVSP_MSG1_TYPE_SEND_RECV_BUF:
        netvsp_handle_recv_buf(s, nch, pkt->trans_id, &req);
        break;
    case NVSP_MSG1_TYPE_SEND_SEND_BUF:
        netvsp_handle_send_buf(s, nch, pkt->trans_id, &req);
        break;
    case NVSP_MSG1_TYPE_REVOKE_RECV_BUF:
        if (!s->rx_map ||
            le16_to_cpu(req.revoke_buffer.id) != s->rx_buf_id) {
            trace_netvsp_bad("revoke of an unknown receive buffer", type);
            break;
        }
        trace_netvsp_revoke("receive");
        netvsp_rx_buffer_release(s);
        break;
    case NVSP_MSG1_TYPE_REVOKE_SEND_BUF:
        if (!s->tx_map ||
            le16_to_cpu(req.revoke_buffer.id) != s->tx_buf_id) {
            trace_netvsp_bad("revoke of an unknown send buffer", type);
            break;
        }
        trace_netvsp_revoke("send");
        netvsp_tx_buffer_release(s);
        break;
    case NVSP_MSG1_TYPE_SEND_RNDIS_PKT:
        netvsp_handle_rndis_pkt(s, nch, pkt, data, &req);
        break;
    case NVSP_MSG4_TYPE_SWITCH_DATA_PATH:
        /* No VF is ever offered: stay synthetic, but answer. */
        netvsp_send_completion(nch, pkt->trans_id, NULL, 0);
        break;
    case NVSP_MSG5_TYPE_SUBCHANNEL:
        netvsp_handle_subchannel(s, nch, pkt->trans_id, &req);
        break;
    default:
        trace_netvsp_bad("unknown or host-only message type", type);
        break;
    }
}

/* The guest completed an XFER_PAGES packet: its slot is free again. */
static void netvsp_handle_rx_completion(VMBusNet *s,
                                        const VMBusRingPacket *pkt,
                                        const uint8_t *data, uint32_t len)
{
    uint32_t plen = len - pkt->data_offset;
    uint32_t slot = pkt->trans_id & 0xffffffff, next, n;

    if (plen < sizeof(uint32_t) ||
        ldl_le_p(data + pkt->data_offset) !=
        NVSP_MSG1_TYPE_SEND_RNDIS_PKT_COMPLETE) {
        trace_netvsp_rx_completion_bad(pkt->trans_id, "not an RNDIS "
                                       "packet completion");
        return;
    }
    if (!s->rx_map || pkt->trans_id >> 32 != s->rx_generation ||
        slot >= s->rx_sections || !test_bit(slot, s->rx_in_use) ||
        !test_bit(slot, s->rx_head)) {
        trace_netvsp_rx_completion_bad(pkt->trans_id, "no such slot in use");
        return;
    }
    /* Free every slot of the packet (the chain is the host's own). */
    clear_bit(slot, s->rx_head);
    for (n = 0; slot < s->rx_sections && n < NETVSP_RX_BATCH_MAX; n++) {
        next = s->rx_next[slot];
        if (test_bit(slot, s->rx_in_use)) {
            netvsp_rx_slot_free(s, slot);
        }
        slot = next;
    }
}

static bool netvsp_packet(VMBusChannel *chan, const VMBusRingPacket *pkt,
                          const uint8_t *data, uint32_t len, void *opaque)
{
    NetvspChannel *nch = opaque;
    VMBusNet *s = nch->net;

    /* Answers cannot go out, or the netdev is full: read no more. */
    if (nch->ring_full || s->tx_waiting) {
        return false;
    }
    /*
     * A frame too big for a send buffer section (an LSO frame, named by
     * its pages) costs a copy, its segmentation and the netdev's work on
     * each segment. Served in the VP, all of that stops the guest; the main
     * loop does it while the guest goes on (builds the next frame, takes
     * the ACKs). Small frames stay in the VP: cheap, and the guest may be
     * waiting for what they bring back.
     */
    if (vmbus_channel_in_vp(chan) &&
        (pkt->type == VMBUS_PKT_GPA_DIRECT ||
         (nch->vp_comp_only && pkt->type != VMBUS_PKT_COMP))) {
        vmbus_channel_defer_notify(chan);
        return false;
    }
    switch (pkt->type) {
    case VMBUS_PKT_COMP:
        netvsp_handle_rx_completion(s, pkt, data, len);
        break;
    case VMBUS_PKT_INBAND:
    case VMBUS_PKT_GPA_DIRECT:
        netvsp_handle_message(s, nch, pkt, data, len);
        break;
    default:
        trace_netvsp_bad("unexpected packet type", pkt->type);
        break;
    }
    return true;
}

static void netvsp_flush_all(VMBusNet *s)
{
    int i;

    for (i = 0; i < ARRAY_SIZE(s->channels); i++) {
        if (s->channels[i].chan &&
            (s->channels[i].npending || s->channels[i].batch_n)) {
            netvsp_flush_pending(&s->channels[i]);
        }
    }
}

/* Work through @nch: waiting answers, then guest requests. */
static void netvsp_process(NetvspChannel *nch)
{
    VMBusNet *s = nch->net;

    if (!nch->chan) {
        return;
    }
    /* Slots freed on one channel may unblock answers on another. */
    netvsp_flush_all(s);
    if (!nch->ring_full && !s->tx_waiting) {
        vmbus_channel_recv(nch->chan, s->recv_buf, NETVSP_RECV_PKT_MAX,
                           netvsp_packet, nch);
        netvsp_flush_all(s);
    }
    netvsp_rx_unblock(s);
    /*
     * Frames the netdev gave back meanwhile (slirp answers a segment at
     * once) go now, not after the next wake-up of the main loop.
     */
    netvsp_rx_flush(s);
}

void netvsp_tx_resume(VMBusNet *s)
{
    int i;

    s->tx_waiting = false;
    for (i = 0; i < ARRAY_SIZE(s->channels); i++) {
        netvsp_process(&s->channels[i]);
    }
}

/* VMBus device hooks */

static void netvsp_reset_state(VMBusNet *s)
{
    netvsp_rx_buffer_release(s);
    netvsp_tx_buffer_release(s);
    s->nvsp_ready = false;
    s->nvsp_version = 0;
    s->ndis_version = 0;
    s->guest_mtu = 0;
    s->sub_channels = 0;
    s->subs_offered = false;
    netvsp_rndis_reset(s);
}

static int netvsp_open(VMBusChannel *chan)
{
    NetvspChannel *nch = netvsp_channel(chan);

    trace_netvsp_open(vmbus_channel_index(chan));
    if (vmbus_channel_index(chan) == 0) {
        netvsp_reset_state(nch->net);
    }
    netvsp_pending_clear(nch);
    nch->tx_held = 0;
    timer_del(nch->tx_timer);
    nch->chan = chan;
    return 0;
}

static void netvsp_close(VMBusChannel *chan)
{
    NetvspChannel *nch = netvsp_channel(chan);

    trace_netvsp_close(vmbus_channel_index(chan));
    netvsp_pending_clear(nch);
    nch->tx_held = 0;
    timer_del(nch->tx_timer);
    nch->chan = NULL;
    if (vmbus_channel_index(chan) == 0) {
        netvsp_reset_state(nch->net);
        /* Frames queued for us are dropped now (netvsp_rx_open()). */
        netvsp_rx_unblock(nch->net);
    }
}

static void netvsp_notify(VMBusChannel *chan)
{
    netvsp_process(netvsp_channel(chan));
}

/*
 * A guest signal, in the signalling VP's thread: serve it there (as an
 * emulated NIC's register write is served) when it comes at least
 * inline-gap-us after the one before. A guest that waits for the answer
 * (a TCP stream held by its ACKs and by the send completions that free
 * its socket's queue) gets it without a hop to the main loop. Signals in
 * quick succession are a stream the guest does not wait on (small UDP
 * datagrams): the main loop serves them in batches while the VP goes on,
 * and the guest, finding the ring not yet drained, signals less.
 */
static bool netvsp_notify_now(VMBusChannel *chan)
{
    NetvspChannel *nch = netvsp_channel(chan);
    VMBusNet *s = nch->net;
    int64_t now = get_clock();
    int64_t gap = now - nch->last_signal_ns;
    bool stream;

    nch->last_signal_ns = now;
    stream = !s->inline_gap_us || gap < (int64_t)s->inline_gap_us * SCALE_US;
    if (vmbus_channel_peek_type(chan) == VMBUS_PKT_COMP) {
        /*
         * Completions only give receive slots back: taking them costs
         * less than waking the main loop for them. What follows them waits
         * for the main loop, unless the guest may be waiting for it: a
         * signal after a gap while receive slots run short.
         */
        nch->vp_comp_only = stream || (!s->rx_blocked &&
                                       s->rx_free > s->rx_sections / 2);
        return true;
    }
    nch->vp_comp_only = false;
    return !stream;
}

static void netvsp_writable(VMBusChannel *chan)
{
    NetvspChannel *nch = netvsp_channel(chan);

    /* netvsp_process() sends what waits, then reads on. */
    nch->ring_full = false;
    netvsp_process(nch);
}

static void netvsp_reset(VMBusDevice *vdev)
{
    VMBusNet *s = VMBUS_NET(vdev);
    int i;

    for (i = 0; i < ARRAY_SIZE(s->channels); i++) {
        netvsp_pending_clear(&s->channels[i]);
    }
    netvsp_reset_state(s);
}

static void netvsp_vsp_realize(VMBusDevice *vdev, Error **errp)
{
    VMBusNet *s = VMBUS_NET(vdev);
    DeviceState *dev = DEVICE(vdev);
    NetClientState *nc;
    int i;

    if (s->mtu < NETVSP_MTU_MIN || s->mtu > NETVSP_MTU_MAX) {
        error_setg(errp, "vmbus-net: mtu must be between %d and %d",
                   NETVSP_MTU_MIN, NETVSP_MTU_MAX);
        return;
    }
    if (s->inline_gap_us > NETVSP_INLINE_GAP_US_MAX) {
        error_setg(errp, "vmbus-net: inline-gap-us must be at most %d",
                   NETVSP_INLINE_GAP_US_MAX);
        return;
    }
    if (s->tx_coalesce_us > NETVSP_TX_COALESCE_US_MAX) {
        error_setg(errp, "vmbus-net: tx-coalesce-us must be at most %d",
                   NETVSP_TX_COALESCE_US_MAX);
        return;
    }
    for (i = 0; i < ARRAY_SIZE(s->channels); i++) {
        s->channels[i].net = s;
        QSIMPLEQ_INIT(&s->channels[i].completions);
        QSIMPLEQ_INIT(&s->channels[i].controls);
        s->channels[i].tx_timer = timer_new_us(QEMU_CLOCK_VIRTUAL,
                                               netvsp_tx_timer,
                                               &s->channels[i]);
    }
    qemu_macaddr_default_if_unset(&s->conf.macaddr);
    memcpy(s->mac, s->conf.macaddr.a, ETH_ALEN);
    s->nic = qemu_new_nic(&netvsp_net_info, &s->conf,
                          object_get_typename(OBJECT(s)), dev->id,
                          &dev->mem_reentrancy_guard, s);
    s->nqueues = MAX(s->conf.peers.queues, 1);
    nc = qemu_get_queue(s->nic);
    if (nc->peer && qemu_has_vnet_hdr(nc->peer)) {
        /*
         * Offloads off: the peer completes checksums and segments before
         * it hands frames over, and only says which checksums it checked.
         */
        for (i = 0; i < s->nqueues; i++) {
            NetClientState *peer = qemu_get_subqueue(s->nic, i)->peer;

            qemu_set_vnet_hdr_len(peer, sizeof(struct virtio_net_hdr));
            qemu_set_offload(peer, 0, 0, 0, 0, 0, 0, 0);
        }
        s->peer_vnet_hdr = true;
    }
    qemu_format_nic_info_str(nc, s->conf.macaddr.a);
    net_rx_pkt_init(&s->rx_pkt);
    s->rx_bh = qemu_bh_new_guarded(netvsp_rx_flush, s,
                                   &dev->mem_reentrancy_guard);
    s->recv_buf = g_malloc(NETVSP_RECV_PKT_MAX);
    s->tx_buf = g_malloc(NETVSP_TX_BUF_SIZE);
    netvsp_tx_init(s);
    nvsp_proto_check_sizes();
    rndis_proto_check_sizes();
}

static void netvsp_vsp_unrealize(VMBusDevice *vdev)
{
    VMBusNet *s = VMBUS_NET(vdev);
    int i;

    for (i = 0; i < ARRAY_SIZE(s->channels); i++) {
        netvsp_pending_clear(&s->channels[i]);
        s->channels[i].chan = NULL;
        timer_free(s->channels[i].tx_timer);
        s->channels[i].tx_timer = NULL;
    }
    netvsp_reset_state(s);
    netvsp_tx_cleanup(s);
    net_rx_pkt_uninit(s->rx_pkt);
    s->rx_pkt = NULL;
    qemu_bh_delete(s->rx_bh);
    s->rx_bh = NULL;
    qemu_del_nic(s->nic);
    s->nic = NULL;
    g_free(s->recv_buf);
    s->recv_buf = NULL;
    g_free(s->tx_buf);
    s->tx_buf = NULL;
}

/*
 * Migration
 *
 * The VMBus server brings the GPADLs and the open channels across first
 * (its state is registered before any device's) without calling the open
 * hooks; this device then re-maps its receive and send buffers by GPADL id
 * and takes its channels back. What the guest knows is kept exactly: the
 * NVSP and RNDIS state, the slot layout, which receive slots the guest
 * still holds (their XFER_PAGES packets may sit unread in the ring, and
 * the guest completes them on the destination), the generation in their
 * transaction ids, the packet filter, the offloads, the MAC address and
 * the link state the guest was told, the sub-channels granted and the RSS
 * parameters. Messages waiting for ring space or a
 * slot go across too and are sent when the VM runs again
 * (vmbus_server_resume() signals every open channel). Nothing is in flight
 * otherwise: transmit hands each frame to the netdev synchronously; a frame
 * the netdev still queues on the source is lost as on a wire.
 *
 * Variable parts go in one little-endian blob:
 *   u32 rx_sections, then (rx_sections + 7) / 8 bytes of slot bitmap;
 *   per slot in use: u32 slot, u32 first of its XFER_PAGES packet (0/1),
 *   u32 next slot of the packet;
 *   u32 count, then per channel with frames batched: u32 channel index,
 *   u32 n, n times (u32 slot, u32 length);
 *   u32 count, then per waiting message: u32 channel index,
 *   u32 control (0 or 1), u64 trans_id, u32 len, len bytes.
 */

/* Largest waiting message: an NVSP completion or an RNDIS control message */
#define NETVSP_MIG_MSG_MAX      NETVSP_RX_SECTION_SIZE_MIN

static void netvsp_blob_put32(GByteArray *b, uint32_t v)
{
    uint32_t le = cpu_to_le32(v);

    g_byte_array_append(b, (uint8_t *)&le, 4);
}

static void netvsp_blob_put_pending(GByteArray *b, uint32_t index,
                                    bool control, const NetvspPending *p)
{
    uint64_t id = cpu_to_le64(p->trans_id);

    netvsp_blob_put32(b, index);
    netvsp_blob_put32(b, control);
    g_byte_array_append(b, (uint8_t *)&id, 8);
    netvsp_blob_put32(b, p->len);
    g_byte_array_append(b, p->data, p->len);
}

static int netvsp_pre_save(void *opaque)
{
    VMBusNet *s = opaque;
    GByteArray *b = g_byte_array_new();
    NetvspPending *p;
    uint32_t i, n = 0;

    s->mig.has_rx = s->rx_map != NULL;
    s->mig.rx_gpadl = s->rx_map ? vmbus_gpadl_map_id(s->rx_map) : 0;
    s->mig.has_tx = s->tx_map != NULL;
    s->mig.tx_gpadl = s->tx_map ? vmbus_gpadl_map_id(s->tx_map) : 0;
    s->mig.link_down = !netvsp_link_up(s);

    netvsp_blob_put32(b, s->rx_map ? s->rx_sections : 0);
    for (i = 0; s->rx_map && i < s->rx_sections; i += 8) {
        uint8_t byte = 0;
        uint32_t j;

        for (j = 0; j < 8 && i + j < s->rx_sections; j++) {
            byte |= test_bit(i + j, s->rx_in_use) << j;
        }
        g_byte_array_append(b, &byte, 1);
    }
    /* the XFER_PAGES packets in flight: first slot, and the chains */
    for (i = 0; s->rx_map && i < s->rx_sections; i++) {
        if (test_bit(i, s->rx_in_use)) {
            netvsp_blob_put32(b, i);
            netvsp_blob_put32(b, test_bit(i, s->rx_head));
            netvsp_blob_put32(b, s->rx_next[i]);
        }
    }
    for (i = 0; i < ARRAY_SIZE(s->channels); i++) {
        n += s->channels[i].chan && s->channels[i].batch_n;
    }
    netvsp_blob_put32(b, n);
    for (i = 0; i < ARRAY_SIZE(s->channels); i++) {
        NetvspChannel *nch = &s->channels[i];
        uint32_t j;

        if (!nch->chan || !nch->batch_n) {
            continue;
        }
        netvsp_blob_put32(b, i);
        netvsp_blob_put32(b, nch->batch_n);
        for (j = 0; j < nch->batch_n; j++) {
            netvsp_blob_put32(b, nch->batch_slot[j]);
            netvsp_blob_put32(b, nch->batch_len[j]);
        }
    }
    n = 0;
    for (i = 0; i < ARRAY_SIZE(s->channels); i++) {
        n += s->channels[i].chan ? s->channels[i].npending : 0;
    }
    netvsp_blob_put32(b, n);
    for (i = 0; i < ARRAY_SIZE(s->channels); i++) {
        NetvspChannel *nch = &s->channels[i];

        if (!nch->chan) {
            continue;
        }
        QSIMPLEQ_FOREACH(p, &nch->completions, next) {
            netvsp_blob_put_pending(b, i, false, p);
        }
        QSIMPLEQ_FOREACH(p, &nch->controls, next) {
            netvsp_blob_put_pending(b, i, true, p);
        }
    }
    g_free(s->mig.blob);
    s->mig.blob_len = b->len;
    s->mig.blob = g_byte_array_free(b, false);
    return 0;
}

static int netvsp_post_save(void *opaque)
{
    VMBusNet *s = opaque;

    g_free(s->mig.blob);
    s->mig.blob = NULL;
    s->mig.blob_len = 0;
    return 0;
}

/* The destination starts from nothing: no buffers, no waiting messages. */
static int netvsp_pre_load(void *opaque)
{
    VMBusNet *s = opaque;
    int i;

    for (i = 0; i < ARRAY_SIZE(s->channels); i++) {
        netvsp_pending_clear(&s->channels[i]);
        s->channels[i].chan = NULL;
    }
    netvsp_reset_state(s);
    return 0;
}

typedef struct NetvspBlobReader {
    const uint8_t *p;
    uint32_t left;
    bool bad;
} NetvspBlobReader;

static const uint8_t *netvsp_blob_get(NetvspBlobReader *r, uint32_t len)
{
    const uint8_t *p = r->p;

    if (r->bad || r->left < len) {
        r->bad = true;
        return NULL;
    }
    r->p += len;
    r->left -= len;
    return p;
}

static uint32_t netvsp_blob_get32(NetvspBlobReader *r)
{
    const uint8_t *p = netvsp_blob_get(r, 4);

    return p ? ldl_le_p(p) : 0;
}

/* Map buffer @gpadl again; NULL (and a reason) if it cannot hold @need. */
static VMBusGpadlMap *netvsp_remap(VMBusChannel *chan, uint32_t gpadl,
                                   uint64_t need, const char **why)
{
    VMBusGpadlMap *map = vmbus_gpadl_map(chan, gpadl, why);

    if (map && vmbus_gpadl_map_size(map) < need) {
        *why = "buffer smaller than its sections";
        vmbus_gpadl_unmap(map);
        map = NULL;
    }
    return map;
}

/*
 * The incoming blob's length, before it is allocated: at most the slot
 * records of the largest receive buffer and every channel's waiting
 * messages.
 */
#define NETVSP_MIG_BLOB_MAX     (64 * MiB)

static bool netvsp_blob_len_ok(void *opaque, int version_id)
{
    return ((VMBusNet *)opaque)->mig.blob_len <= NETVSP_MIG_BLOB_MAX;
}

static int netvsp_load_fail(VMBusNet *s, const char *why)
{
    error_report("vmbus-net: incoming state rejected: %s", why);
    g_free(s->mig.blob);
    s->mig.blob = NULL;
    s->mig.blob_len = 0;
    netvsp_pre_load(s);
    return -EINVAL;
}

static int netvsp_load_blob(VMBusNet *s, const char **why)
{
    NetvspBlobReader r = { s->mig.blob, s->mig.blob_len, false };
    uint32_t sections = netvsp_blob_get32(&r), n, i, used = 0;
    unsigned long *seen;
    const uint8_t *bits = netvsp_blob_get(&r, DIV_ROUND_UP(sections, 8));

    if (r.bad || sections != (s->rx_map ? s->rx_sections : 0)) {
        *why = "receive slot bitmap";
        return -EINVAL;
    }
    for (i = 0; i < sections; i++) {
        if (bits[i / 8] & (1 << (i % 8))) {
            set_bit(i, s->rx_in_use);
            used++;
        }
    }
    s->rx_free = sections - used;
    s->rx_hint = s->rx_hint < sections ? s->rx_hint : 0;
    /* Each slot in use is described once; a batched slot is in one batch. */
    seen = bitmap_new(MAX(sections, 1));
    for (i = 0; i < used && !r.bad; i++) {
        uint32_t slot = netvsp_blob_get32(&r);
        uint32_t head = netvsp_blob_get32(&r);
        uint32_t next = netvsp_blob_get32(&r);

        if (slot >= sections || !test_bit(slot, s->rx_in_use) || head > 1 ||
            (next >= sections && next != NETVSP_RX_END) ||
            test_and_set_bit(slot, seen)) {
            r.bad = true;
            break;
        }
        if (head) {
            set_bit(slot, s->rx_head);
        }
        s->rx_next[slot] = next;
    }
    bitmap_zero(seen, MAX(sections, 1));
    n = netvsp_blob_get32(&r);
    for (i = 0; i < n && !r.bad; i++) {
        uint32_t index = netvsp_blob_get32(&r);
        uint32_t count = netvsp_blob_get32(&r), j;
        NetvspChannel *nch;

        if (r.bad || index >= ARRAY_SIZE(s->channels) || !count ||
            count > NETVSP_RX_BATCH_MAX || !s->channels[index].chan ||
            s->channels[index].batch_n) {
            r.bad = true;
            break;
        }
        nch = &s->channels[index];
        for (j = 0; j < count; j++) {
            nch->batch_slot[j] = netvsp_blob_get32(&r);
            nch->batch_len[j] = netvsp_blob_get32(&r);
            if (nch->batch_slot[j] >= sections ||
                !test_bit(nch->batch_slot[j], s->rx_in_use) ||
                test_bit(nch->batch_slot[j], s->rx_head) ||
                test_and_set_bit(nch->batch_slot[j], seen) ||
                nch->batch_len[j] > s->rx_section_size) {
                r.bad = true;
                break;
            }
        }
        nch->batch_n = r.bad ? 0 : count;
    }
    g_free(seen);
    if (r.bad) {
        *why = "receive slots in flight";
        return -EINVAL;
    }

    n = netvsp_blob_get32(&r);
    for (i = 0; i < n && !r.bad; i++) {
        uint32_t index = netvsp_blob_get32(&r);
        uint32_t control = netvsp_blob_get32(&r);
        const uint8_t *id = netvsp_blob_get(&r, 8);
        uint32_t len = netvsp_blob_get32(&r);
        const uint8_t *data;
        NetvspChannel *nch;

        if (r.bad || index >= ARRAY_SIZE(s->channels) || control > 1 ||
            len > NETVSP_MIG_MSG_MAX) {
            break;
        }
        data = netvsp_blob_get(&r, len);
        nch = &s->channels[index];
        if (!data || !nch->chan || nch->npending >= NETVSP_MAX_PENDING) {
            r.bad = true;
            break;
        }
        netvsp_pending_add(nch, control, ldq_le_p(id), data, len);
    }
    if (r.bad || i != n || r.left) {
        *why = "waiting messages";
        return -EINVAL;
    }
    return 0;
}

static bool netvsp_version_known(uint32_t version)
{
    size_t i;

    for (i = 0; i < ARRAY_SIZE(netvsp_versions); i++) {
        if (netvsp_versions[i] == version) {
            return true;
        }
    }
    return false;
}

static int netvsp_post_load(void *opaque, int version_id)
{
    VMBusNet *s = opaque;
    VMBusDevice *vdev = VMBUS_DEVICE(s);
    VMBusChannel *primary = vdev->num_channels ? vdev->channels[0] : NULL;
    const char *why = NULL;
    uint32_t max_slot = netvsp_rx_slot_size_for(NETVSP_MTU_MAX);
    int i, ret;

    for (i = 0; i < ARRAY_SIZE(s->channels); i++) {
        /* the batches are the source's: no ACK of ours is last in them */
        s->channels[i].ack_last = false;
    }
    for (i = 0; i < vdev->num_channels && i < ARRAY_SIZE(s->channels); i++) {
        VMBusChannel *chan = vdev->channels[i];

        s->channels[i].chan = chan && vmbus_channel_is_open(chan) ? chan
                                                                  : NULL;
    }
    if (s->nvsp_ready ? !netvsp_version_known(s->nvsp_version)
                      : s->nvsp_version || s->mig.has_rx || s->mig.has_tx) {
        return netvsp_load_fail(s, "NVSP state");
    }
    if (s->rndis_state > NETVSP_RNDIS_INITIALIZED ||
        !is_unicast_ether_addr(s->mac)) {
        return netvsp_load_fail(s, "RNDIS state");
    }
    if ((s->sub_channels && s->sub_channels >= vdev->num_channels) ||
        s->rss_itab_size > NETVSP_RSS_ITAB_MAX ||
        (s->rss_enabled && !s->rss_itab_size)) {
        return netvsp_load_fail(s, "vRSS state");
    }
    for (i = 0; i < s->rss_itab_size; i++) {
        if (s->rss_itab[i] >= VMBUS_MAX_CHANNELS_PER_DEVICE) {
            return netvsp_load_fail(s, "vRSS indirection table");
        }
    }
    if ((s->mig.has_rx || s->mig.has_tx) &&
        !(primary && s->channels[0].chan)) {
        return netvsp_load_fail(s, "buffers without an open primary channel");
    }
    if (s->mig.has_rx) {
        if (s->rx_section_size < NETVSP_RX_SECTION_SIZE_MIN ||
            s->rx_section_size > max_slot || !s->rx_sections ||
            s->rx_sections > UINT32_MAX / s->rx_section_size) {
            return netvsp_load_fail(s, "receive buffer layout");
        }
        s->rx_map = netvsp_remap(primary, s->mig.rx_gpadl,
                                 (uint64_t)s->rx_sections * s->rx_section_size,
                                 &why);
        if (!s->rx_map) {
            return netvsp_load_fail(s, why);
        }
        netvsp_rx_buffer_alloc(s);
    } else {
        s->rx_sections = 0;
    }
    if (s->mig.has_tx) {
        if (s->tx_section_size != NETVSP_TX_SECTION_SIZE || !s->tx_sections ||
            s->tx_sections > UINT32_MAX / s->tx_section_size) {
            return netvsp_load_fail(s, "send buffer layout");
        }
        s->tx_map = netvsp_remap(primary, s->mig.tx_gpadl,
                                 (uint64_t)s->tx_sections * s->tx_section_size,
                                 &why);
        if (!s->tx_map) {
            return netvsp_load_fail(s, why);
        }
    } else {
        s->tx_sections = 0;
    }
    ret = netvsp_load_blob(s, &why);
    g_free(s->mig.blob);
    s->mig.blob = NULL;
    s->mig.blob_len = 0;
    if (ret < 0) {
        return netvsp_load_fail(s, why);
    }
    s->tx_waiting = false;
    /* The netdev may hold frames for us: flush them once we run. */
    s->rx_blocked = true;
    qemu_get_queue(s->nic)->link_down = s->mig.link_down;
    trace_netvsp_migrated(s->nvsp_version, s->rx_sections, s->rx_free,
                          s->tx_sections, s->rndis_state);
    return 0;
}

/* Receive checksum offloads: only a guest that turned some on has any. */
static bool netvsp_rx_csum_needed(void *opaque)
{
    const NetvspOffloads *on = &VMBUS_NET(opaque)->offloads;

    return on->rx_csum_tcp4 || on->rx_csum_udp4 || on->rx_csum_tcp6 ||
           on->rx_csum_udp6;
}

static const VMStateDescription vmstate_vmbus_net_rx_csum = {
    .name = TYPE_VMBUS_NET "/rx-csum",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = netvsp_rx_csum_needed,
    .fields = (const VMStateField[]) {
        VMSTATE_BOOL(offloads.rx_csum_tcp4, VMBusNet),
        VMSTATE_BOOL(offloads.rx_csum_udp4, VMBusNet),
        VMSTATE_BOOL(offloads.rx_csum_tcp6, VMBusNet),
        VMSTATE_BOOL(offloads.rx_csum_udp6, VMBusNet),
        VMSTATE_END_OF_LIST()
    },
};

static const VMStateDescription vmstate_vmbus_net = {
    .name = TYPE_VMBUS_NET,
    .version_id = 1,
    .minimum_version_id = 1,
    .pre_save = netvsp_pre_save,
    .post_save = netvsp_post_save,
    .pre_load = netvsp_pre_load,
    .post_load = netvsp_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_BOOL(nvsp_ready, VMBusNet),
        VMSTATE_UINT32(nvsp_version, VMBusNet),
        VMSTATE_UINT32(ndis_version, VMBusNet),
        VMSTATE_UINT32(guest_mtu, VMBusNet),
        VMSTATE_BOOL(mig.has_rx, VMBusNet),
        VMSTATE_UINT32(mig.rx_gpadl, VMBusNet),
        VMSTATE_UINT16(rx_buf_id, VMBusNet),
        VMSTATE_UINT32(rx_section_size, VMBusNet),
        VMSTATE_UINT32(rx_sections, VMBusNet),
        VMSTATE_UINT32(rx_hint, VMBusNet),
        VMSTATE_UINT32(rx_generation, VMBusNet),
        VMSTATE_BOOL(mig.has_tx, VMBusNet),
        VMSTATE_UINT32(mig.tx_gpadl, VMBusNet),
        VMSTATE_UINT16(tx_buf_id, VMBusNet),
        VMSTATE_UINT32(tx_section_size, VMBusNet),
        VMSTATE_UINT32(tx_sections, VMBusNet),
        VMSTATE_UINT32(rndis_state, VMBusNet),
        VMSTATE_UINT32(packet_filter, VMBusNet),
        VMSTATE_BUFFER(mac, VMBusNet),
        VMSTATE_BOOL(offloads.tx_csum_tcp4, VMBusNet),
        VMSTATE_BOOL(offloads.tx_csum_udp4, VMBusNet),
        VMSTATE_BOOL(offloads.tx_csum_tcp6, VMBusNet),
        VMSTATE_BOOL(offloads.tx_csum_udp6, VMBusNet),
        VMSTATE_BOOL(offloads.lso4, VMBusNet),
        VMSTATE_BOOL(offloads.lso6, VMBusNet),
        VMSTATE_BOOL(mig.link_down, VMBusNet),
        VMSTATE_UINT32(sub_channels, VMBusNet),
        VMSTATE_BOOL(subs_offered, VMBusNet),
        VMSTATE_BOOL(rss_enabled, VMBusNet),
        VMSTATE_UINT32(rss_hashinfo, VMBusNet),
        VMSTATE_UINT32(rss_itab_size, VMBusNet),
        VMSTATE_BUFFER(rss_key, VMBusNet),
        VMSTATE_UINT32_ARRAY(rss_itab, VMBusNet, NETVSP_RSS_ITAB_MAX),
        VMSTATE_UINT64(rx_frames, VMBusNet),
        VMSTATE_UINT64(rx_dropped, VMBusNet),
        VMSTATE_UINT64(tx_frames, VMBusNet),
        VMSTATE_UINT64(tx_dropped, VMBusNet),
        VMSTATE_UINT32(mig.blob_len, VMBusNet),
        VMSTATE_VALIDATE("vmbus-net state size", netvsp_blob_len_ok),
        VMSTATE_VBUFFER_ALLOC_UINT32(mig.blob, VMBusNet, 0, NULL,
                                     mig.blob_len),
        VMSTATE_END_OF_LIST()
    },
    .subsections = (const VMStateDescription * const []) {
        &vmstate_vmbus_net_rx_csum,
        NULL
    },
};

static const Property netvsp_props[] = {
    DEFINE_NIC_PROPERTIES(VMBusNet, conf),
    DEFINE_PROP_UINT32("mtu", VMBusNet, mtu, NETVSP_MTU_DEFAULT),
    DEFINE_PROP_UINT32("speed", VMBusNet, speed_mbps, 10000),
    DEFINE_PROP_UINT16("max-queues", VMBusNet, max_queues,
                       NETVSP_QUEUES_DEFAULT),
    DEFINE_PROP_UINT32("tx-coalesce-us", VMBusNet, tx_coalesce_us,
                       NETVSP_TX_COALESCE_US_DEFAULT),
    DEFINE_PROP_UINT32("inline-gap-us", VMBusNet, inline_gap_us,
                       NETVSP_INLINE_GAP_US_DEFAULT),
    DEFINE_PROP_BOOL("ack-coalesce", VMBusNet, ack_coalesce, true),
    DEFINE_PROP_BOOL("rx-csum-verify", VMBusNet, rx_csum_verify, true),
};

static void netvsp_instance_init(Object *obj)
{
    VMBusNet *s = VMBUS_NET(obj);

    object_property_add_uint64_ptr(obj, "rx-acks-merged", &s->rx_acks_merged,
                                   OBJ_PROP_FLAG_READ);
    object_property_add_uint64_ptr(obj, "rx-csum-verified",
                                   &s->rx_csum_verified, OBJ_PROP_FLAG_READ);
}

static void netvsp_class_init(ObjectClass *oc, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(oc);
    VMBusDeviceClass *vdc = VMBUS_DEVICE_CLASS(oc);

    dc->desc = "Hyper-V synthetic network adapter";
    dc->vmsd = &vmstate_vmbus_net;
    set_bit(DEVICE_CATEGORY_NETWORK, dc->categories);
    device_class_set_props(dc, netvsp_props);
    vdc->interface_id = NETVSP_INTERFACE_ID;
    vdc->interface_name = "network";
    vdc->offer_flags = 0;
    vdc->vsp_realize = netvsp_vsp_realize;
    vdc->vsp_unrealize = netvsp_vsp_unrealize;
    vdc->open = netvsp_open;
    vdc->close = netvsp_close;
    vdc->notify = netvsp_notify;
    vdc->notify_in_vp = true;
    vdc->notify_now = netvsp_notify_now;
    vdc->writable = netvsp_writable;
    vdc->reset = netvsp_reset;
}

static const TypeInfo netvsp_type = {
    .name = TYPE_VMBUS_NET,
    .parent = TYPE_VMBUS_DEVICE,
    .instance_size = sizeof(VMBusNet),
    .instance_init = netvsp_instance_init,
    .class_init = netvsp_class_init,
};

static void netvsp_register_types(void)
{
    type_register_static(&netvsp_type);
}

type_init(netvsp_register_types)
