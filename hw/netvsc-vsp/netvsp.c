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
#include "qemu/units.h"
#include "qapi/error.h"
#include "hw/qdev-properties.h"
#include "migration/vmstate.h"
#include "net/checksum.h"
#include "net/eth.h"
#include "standard-headers/linux/virtio_net.h"
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
    clear_bit(slot, s->rx_in_use);
    s->rx_free++;
}

static void netvsp_rx_buffer_release(VMBusNet *s)
{
    vmbus_gpadl_unmap(s->rx_map);
    s->rx_map = NULL;
    g_free(s->rx_in_use);
    s->rx_in_use = NULL;
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
 * Name @len bytes of receive slot @slot to the guest with an XFER_PAGES
 * packet. Returns vmbus_channel_send()'s result.
 */
static int netvsp_rx_send_slot(VMBusNet *s, NetvspChannel *nch,
                               uint32_t slot, uint32_t len,
                               uint32_t channel_type)
{
    uint8_t ext[sizeof(VMBusXferPagesHeader) + sizeof(VMBusXferPageRange)];
    VMBusXferPagesHeader *xfer = (VMBusXferPagesHeader *)ext;
    NvspMessage msg = { 0 };
    struct iovec iov = {
        .iov_base = &msg,
        .iov_len = NVSP_MESSAGE_SIZE(rndis_packet),
    };

    memset(ext, 0, sizeof(ext));
    xfer->pageset_id = cpu_to_le16(s->rx_buf_id);
    xfer->range_cnt = cpu_to_le32(1);
    xfer->range[0].byte_count = cpu_to_le32(len);
    xfer->range[0].byte_offset = cpu_to_le32(slot * s->rx_section_size);
    msg.msg_type = cpu_to_le32(NVSP_MSG1_TYPE_SEND_RNDIS_PKT);
    msg.rndis_packet.channel_type = cpu_to_le32(channel_type);
    msg.rndis_packet.send_buf_section_index =
        cpu_to_le32(NVSP_INVALID_SECTION_INDEX);
    return vmbus_channel_send(nch->chan, VMBUS_PKT_XFER_PAGES,
                              VMBUS_PKT_FLAG_COMPLETION_REQUESTED,
                              netvsp_rx_trans_id(s, slot), ext, sizeof(ext),
                              &iov, 1);
}

/*
 * Copy an RNDIS message into a free slot and send it. Returns 0, -EBUSY
 * (no free slot), -ENOSPC (ring full), -EPIPE or -EMSGSIZE (dropped).
 */
static int netvsp_rx_send_control(VMBusNet *s, NetvspChannel *nch,
                                  const void *msg, uint32_t len)
{
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
    ret = netvsp_rx_send_slot(s, nch, slot, len, NVSP_RNDIS_CHANNEL_CONTROL);
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

/* Resources came back: let the netdev deliver what it queued for us. */
static void netvsp_rx_unblock(VMBusNet *s)
{
    if (s->rx_blocked && s->nic) {
        s->rx_blocked = false;
        qemu_flush_queued_packets(qemu_get_queue(s->nic));
    }
}

static bool netvsp_can_receive(NetClientState *nc)
{
    VMBusNet *s = qemu_get_nic_opaque(nc);
    NetvspChannel *nch = &s->channels[0];

    if (!netvsp_rx_open(s)) {
        return true;                    /* dropped in receive */
    }
    if (!s->rx_free || nch->ring_full || !QSIMPLEQ_EMPTY(&nch->controls)) {
        s->rx_blocked = true;
        return false;
    }
    return true;
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
 * The receive checksum PPI for a frame whose virtio-net header the backend
 * gave: report a good L4 checksum only where the backend vouches for it
 * (VIRTIO_NET_HDR_F_DATA_VALID, or a partial checksum completed here).
 * Returns 0 when there is nothing to report.
 */
static uint32_t netvsp_rx_csum_info(const struct iovec *iov, int iovcnt,
                                    size_t frame_off, bool valid)
{
    bool hasip4, hasip6;
    size_t l3, l4, l5;
    eth_ip6_hdr_info ip6;
    eth_ip4_hdr_info ip4;
    eth_l4_hdr_info l4info;

    if (!valid) {
        return 0;
    }
    eth_get_protocols(iov, iovcnt, frame_off, &hasip4, &hasip6, &l3, &l4,
                      &l5, &ip6, &ip4, &l4info);
    if (!hasip4 && !hasip6) {
        return 0;
    }
    switch (l4info.proto) {
    case ETH_L4_HDR_PROTO_TCP:
        return RNDIS_CSUM_RX_TCP_SUCCEEDED;
    case ETH_L4_HDR_PROTO_UDP:
        return RNDIS_CSUM_RX_UDP_SUCCEEDED;
    default:
        return 0;
    }
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

static ssize_t netvsp_receive_iov(NetClientState *nc,
                                  const struct iovec *iov, int iovcnt)
{
    VMBusNet *s = qemu_get_nic_opaque(nc);
    NetvspChannel *nch = &s->channels[0];
    size_t size = iov_size(iov, iovcnt);
    size_t hdr_len = s->peer_vnet_hdr ? sizeof(struct virtio_net_hdr) : 0;
    struct virtio_net_hdr vh = { 0 };
    uint8_t head[NETVSP_RX_RNDIS_OVERHEAD];
    RndisHeader *rh = (RndisHeader *)head;
    RndisPacket *rp = (RndisPacket *)(head + sizeof(*rh));
    g_autofree uint8_t *linear = NULL;
    struct iovec linear_iov;
    uint8_t dst[ETH_ALEN];
    uint32_t frame_len, ppi_len = 0, msg_len, csum_info = 0;
    bool csum_valid = false;
    int64_t slot;
    int ret;

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
    csum_info = netvsp_rx_csum_info(iov, iovcnt, hdr_len, csum_valid);

    memset(head, 0, sizeof(head));
    if (csum_info) {
        RndisPerPacketInfo *ppi = (RndisPerPacketInfo *)(rp + 1);

        ppi->size = cpu_to_le32(sizeof(*ppi) + sizeof(uint32_t));
        ppi->type = cpu_to_le32(RNDIS_PPI_TCPIP_CHKSUM);
        ppi->ppi_offset = cpu_to_le32(sizeof(*ppi));
        stl_le_p(ppi + 1, csum_info);
        ppi_len = sizeof(*ppi) + sizeof(uint32_t);
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
    ret = netvsp_rx_send_slot(s, nch, slot, msg_len, NVSP_RNDIS_CHANNEL_DATA);
    if (ret < 0) {
        netvsp_rx_slot_free(s, slot);
        if (ret == -ENOSPC) {
            /* The writable hook flushes the netdev's queue. */
            nch->ring_full = true;
            s->rx_blocked = true;
            return 0;
        }
        trace_netvsp_rx_drop("channel broken", frame_len);
        s->rx_dropped++;
        return size;
    }
    s->rx_frames++;
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

/* Receive slot size for the guest's MTU (NDIS config) and ours. */
static uint32_t netvsp_rx_slot_size(VMBusNet *s)
{
    uint32_t guest = 0, mtu;

    if (s->guest_mtu > ETH_HLEN) {
        guest = MIN(s->guest_mtu - ETH_HLEN, NETVSP_MTU_MAX);
    }
    mtu = MAX(s->mtu, guest);
    /* the frame with its header and one VLAN tag, and the RNDIS header */
    return MAX(NETVSP_RX_SECTION_SIZE_MIN,
               ROUND_UP(mtu + ETH_HLEN + 4 + NETVSP_RX_RNDIS_OVERHEAD, 64));
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
    s->rx_in_use = bitmap_new(count);
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
    netvsp_send_completion(nch, pkt->trans_id, &reply,
                           NVSP_MESSAGE_SIZE(rndis_packet_complete));
}

static void netvsp_handle_message(VMBusNet *s, NetvspChannel *nch,
                                  const VMBusRingPacket *pkt,
                                  const uint8_t *data, uint32_t len)
{
    const uint8_t *payload = data + pkt->data_offset;
    uint32_t plen = len - pkt->data_offset;
    NvspMessage req = { 0 }, reply = { 0 };
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
        /* vRSS is not offered (OID_GEN_RECEIVE_SCALE_CAPABILITIES). */
        trace_netvsp_bad("sub-channels requested", type);
        reply.msg_type = cpu_to_le32(NVSP_MSG5_TYPE_SUBCHANNEL);
        reply.subchannel_complete.status = cpu_to_le32(NVSP_STAT_FAIL);
        netvsp_nvsp_complete(nch, pkt->trans_id, &reply);
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
    uint32_t slot = pkt->trans_id & 0xffffffff;

    if (plen < sizeof(uint32_t) ||
        ldl_le_p(data + pkt->data_offset) !=
        NVSP_MSG1_TYPE_SEND_RNDIS_PKT_COMPLETE) {
        trace_netvsp_rx_completion_bad(pkt->trans_id, "not an RNDIS "
                                       "packet completion");
        return;
    }
    if (!s->rx_map || pkt->trans_id >> 32 != s->rx_generation ||
        slot >= s->rx_sections || !test_bit(slot, s->rx_in_use)) {
        trace_netvsp_rx_completion_bad(pkt->trans_id, "no such slot in use");
        return;
    }
    netvsp_rx_slot_free(s, slot);
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
        if (s->channels[i].chan && s->channels[i].npending) {
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
    nch->chan = chan;
    return 0;
}

static void netvsp_close(VMBusChannel *chan)
{
    NetvspChannel *nch = netvsp_channel(chan);

    trace_netvsp_close(vmbus_channel_index(chan));
    netvsp_pending_clear(nch);
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
    for (i = 0; i < ARRAY_SIZE(s->channels); i++) {
        s->channels[i].net = s;
        QSIMPLEQ_INIT(&s->channels[i].completions);
        QSIMPLEQ_INIT(&s->channels[i].controls);
    }
    qemu_macaddr_default_if_unset(&s->conf.macaddr);
    memcpy(s->mac, s->conf.macaddr.a, ETH_ALEN);
    s->nic = qemu_new_nic(&netvsp_net_info, &s->conf,
                          object_get_typename(OBJECT(s)), dev->id,
                          &dev->mem_reentrancy_guard, s);
    nc = qemu_get_queue(s->nic);
    if (nc->peer && qemu_has_vnet_hdr(nc->peer)) {
        /*
         * Offloads off: the peer completes checksums and segments before
         * it hands frames over, and only says which checksums it checked.
         */
        qemu_set_vnet_hdr_len(nc->peer, sizeof(struct virtio_net_hdr));
        qemu_set_offload(nc->peer, 0, 0, 0, 0, 0, 0, 0);
        s->peer_vnet_hdr = true;
    }
    qemu_format_nic_info_str(nc, s->conf.macaddr.a);
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
    }
    netvsp_reset_state(s);
    netvsp_tx_cleanup(s);
    qemu_del_nic(s->nic);
    s->nic = NULL;
    g_free(s->recv_buf);
    s->recv_buf = NULL;
    g_free(s->tx_buf);
    s->tx_buf = NULL;
}

/*
 * The receive and send buffers are host mappings of guest GPADLs and the
 * NVSP/RNDIS state is not serialised yet: refuse migration rather than
 * lose the guest's network.
 */
static const VMStateDescription vmstate_vmbus_net = {
    .name = TYPE_VMBUS_NET,
    .unmigratable = 1,
};

static const Property netvsp_props[] = {
    DEFINE_NIC_PROPERTIES(VMBusNet, conf),
    DEFINE_PROP_UINT32("mtu", VMBusNet, mtu, NETVSP_MTU_DEFAULT),
    DEFINE_PROP_UINT32("speed", VMBusNet, speed_mbps, 10000),
};

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
    vdc->writable = netvsp_writable;
    vdc->reset = netvsp_reset;
}

static const TypeInfo netvsp_type = {
    .name = TYPE_VMBUS_NET,
    .parent = TYPE_VMBUS_DEVICE,
    .instance_size = sizeof(VMBusNet),
    .class_init = netvsp_class_init,
};

static void netvsp_register_types(void)
{
    type_register_static(&netvsp_type);
}

type_init(netvsp_register_types)
