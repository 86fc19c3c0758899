/*
 * qemu-hvpart: RNDIS over the synthetic NIC: the control messages and
 * OIDs a netvsc guest uses (drivers/net/hyperv/rndis_filter.c of Linux
 * 6.1), status indications, and the transmit path to the netdev.
 *
 * The guest's SEND_RNDIS_PKT carries one or more RNDIS messages (netvsc
 * batches up to max_pkt_per_msg of them in a send buffer section); they
 * arrive here copied into one host buffer. Data packets may ask for
 * offloads in their per-packet info: a TCP/UDP checksum or TCP segmentation
 * (LSO v2), and an 802.1Q tag to insert. The host finishes those with
 * QEMU's net_tx_pkt before the netdev sees the frame, or passes them on in
 * a virtio-net header when the netdev takes one (tap with vnet_hdr).
 *
 * Control requests are answered with a completion message in a receive
 * buffer slot. Every length and offset in a message is checked against the
 * message before use; a bad request gets a failure status, a bad data
 * packet is dropped, each with a trace event.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "net/eth.h"
#include "system/dma.h"
#include "hw/net/net_tx_pkt.h"
#include "standard-headers/linux/virtio_net.h"
#include "hw/netvsc-vsp/netvsp.h"
#include "trace.h"

/* Largest control completion: header, body and the information buffer */
#define RNDIS_REPLY_MAX         512
#define RNDIS_QUERY_INFO_MAX    (RNDIS_REPLY_MAX - sizeof(RndisHeader) - \
                                 sizeof(RndisQueryComplete))
/* Raw fragments of one frame in net_tx_pkt: we hand over one */
#define NETVSP_TX_MAX_FRAGS     4

static const uint32_t rndis_supported_oids[] = {
    OID_GEN_SUPPORTED_LIST,
    OID_GEN_HARDWARE_STATUS,
    OID_GEN_MEDIA_SUPPORTED,
    OID_GEN_MEDIA_IN_USE,
    OID_GEN_MAXIMUM_LOOKAHEAD,
    OID_GEN_MAXIMUM_FRAME_SIZE,
    OID_GEN_LINK_SPEED,
    OID_GEN_TRANSMIT_BLOCK_SIZE,
    OID_GEN_RECEIVE_BLOCK_SIZE,
    OID_GEN_VENDOR_DESCRIPTION,
    OID_GEN_CURRENT_PACKET_FILTER,
    OID_GEN_CURRENT_LOOKAHEAD,
    OID_GEN_MAXIMUM_TOTAL_SIZE,
    OID_GEN_MEDIA_CONNECT_STATUS,
    OID_GEN_MAXIMUM_SEND_PACKETS,
    OID_GEN_PHYSICAL_MEDIUM,
    OID_GEN_RNDIS_CONFIG_PARAMETER,
    OID_GEN_XMIT_OK,
    OID_GEN_RCV_OK,
    OID_GEN_XMIT_ERROR,
    OID_GEN_RCV_ERROR,
    OID_GEN_RCV_NO_BUFFER,
    OID_802_3_PERMANENT_ADDRESS,
    OID_802_3_CURRENT_ADDRESS,
    OID_802_3_MULTICAST_LIST,
    OID_802_3_MAXIMUM_LIST_SIZE,
    OID_TCP_OFFLOAD_CURRENT_CONFIG,
    OID_TCP_OFFLOAD_PARAMETERS,
    OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES,
};

static const char rndis_vendor_description[] =
    "QEMU hvpart synthetic network adapter";

void netvsp_rss_reset(VMBusNet *s)
{
    s->rss_enabled = false;
    s->rss_hashinfo = 0;
    s->rss_itab_size = 0;
    memset(s->rss_key, 0, sizeof(s->rss_key));
    memset(s->rss_itab, 0, sizeof(s->rss_itab));
}

void netvsp_rndis_reset(VMBusNet *s)
{
    s->rndis_state = NETVSP_RNDIS_UNINITIALIZED;
    s->packet_filter = 0;
    memcpy(s->mac, s->conf.macaddr.a, ETH_ALEN);
    memset(&s->offloads, 0, sizeof(s->offloads));
    netvsp_rss_reset(s);
}

/* Send a completion: RndisHeader of @type, then @body, then @info. */
static void rndis_reply(NetvspChannel *nch, uint32_t type, const void *body,
                        uint32_t body_len, const void *info,
                        uint32_t info_len)
{
    uint8_t buf[RNDIS_REPLY_MAX];
    RndisHeader *h = (RndisHeader *)buf;
    uint32_t len = sizeof(*h) + body_len + info_len;

    assert(len <= sizeof(buf));
    h->msg_type = cpu_to_le32(type);
    h->msg_len = cpu_to_le32(len);
    memcpy(buf + sizeof(*h), body, body_len);
    if (info_len) {
        memcpy(buf + sizeof(*h) + body_len, info, info_len);
    }
    netvsp_send_rndis_control(nch, buf, len);
}

void netvsp_rndis_indicate_link(VMBusNet *s)
{
    RndisIndicateStatus ind = { 0 };
    bool up = netvsp_link_up(s);

    if (s->rndis_state != NETVSP_RNDIS_INITIALIZED || !s->rx_map ||
        !s->channels[0].chan) {
        return;     /* the guest asks OID_GEN_MEDIA_CONNECT_STATUS later */
    }
    ind.status = cpu_to_le32(up ? RNDIS_STATUS_MEDIA_CONNECT :
                             RNDIS_STATUS_MEDIA_DISCONNECT);
    trace_rndis_indicate(up);
    rndis_reply(&s->channels[0], RNDIS_MSG_INDICATE, &ind, sizeof(ind),
                NULL, 0);
}

/* OIDs */

static uint32_t rndis_put_u32(uint8_t *out, uint32_t *out_len, uint32_t v)
{
    stl_le_p(out, v);
    *out_len = sizeof(uint32_t);
    return RNDIS_STATUS_SUCCESS;
}

static uint32_t rndis_put_u64(uint8_t *out, uint32_t *out_len, uint64_t v)
{
    stq_le_p(out, v);
    *out_len = sizeof(uint64_t);
    return RNDIS_STATUS_SUCCESS;
}

/*
 * NDIS_OFFLOAD, at the revision the guest's query names (Linux puts the
 * object header it wants in the query's information buffer).
 * @current: only what the guest enabled (OID_TCP_OFFLOAD_CURRENT_CONFIG).
 */
static uint32_t rndis_offload_caps(VMBusNet *s, const uint8_t *in,
                                   uint32_t in_len, uint8_t *out,
                                   uint32_t *out_len, bool current)
{
    const NetvspOffloads *on = &s->offloads;
    NdisOffload o;
    uint8_t rev = NDIS_OFFLOAD_REVISION_1;
    uint32_t size, tcp4, udp4, tcp6, udp6;
    bool lso4, lso6;

    QEMU_BUILD_BUG_ON(sizeof(o) > RNDIS_QUERY_INFO_MAX);
    if (in_len >= sizeof(NdisObjectHeader) &&
        in[0] == NDIS_OBJECT_TYPE_OFFLOAD) {
        rev = MAX(NDIS_OFFLOAD_REVISION_1,
                  MIN(in[1], NDIS_OFFLOAD_REVISION_3));
    }
    size = rev == NDIS_OFFLOAD_REVISION_3 ? NDIS_OFFLOAD_SIZE_REV3 :
           rev == NDIS_OFFLOAD_REVISION_2 ? NDIS_OFFLOAD_SIZE_REV2 :
           NDIS_OFFLOAD_SIZE_REV1;

    tcp4 = !current || on->tx_csum_tcp4 ?
           NDIS_TXCSUM_CAP_TCP4 | NDIS_TXCSUM_CAP_TCP4OPT : 0;
    udp4 = !current || on->tx_csum_udp4 ? NDIS_TXCSUM_CAP_UDP4 : 0;
    tcp6 = !current || on->tx_csum_tcp6 ?
           NDIS_TXCSUM_CAP_TCP6 | NDIS_TXCSUM_CAP_TCP6OPT |
           NDIS_TXCSUM_CAP_IP6EXT : 0;
    udp6 = !current || on->tx_csum_udp6 ? NDIS_TXCSUM_CAP_UDP6 : 0;
    lso4 = !current || on->lso4;
    lso6 = !current || on->lso6;

    memset(&o, 0, sizeof(o));
    o.header.type = NDIS_OBJECT_TYPE_OFFLOAD;
    o.header.revision = rev;
    o.header.size = cpu_to_le16(size);
    /* Transmit checksums and LSO: net_tx_pkt completes them. */
    o.csum.ip4_txenc = cpu_to_le32(NDIS_OFFLOAD_ENCAP_8023);
    o.csum.ip4_txcsum = cpu_to_le32(tcp4 | udp4);
    o.csum.ip6_txenc = cpu_to_le32(NDIS_OFFLOAD_ENCAP_8023);
    o.csum.ip6_txcsum = cpu_to_le32(tcp6 | udp6);
    /*
     * Receive checksums: a netdev with a virtio-net header vouches for
     * them, or netvsp_rx_csum_info() checks them.
     */
    if (s->peer_vnet_hdr || s->rx_csum_verify) {
        o.csum.ip4_rxenc = cpu_to_le32(NDIS_OFFLOAD_ENCAP_8023);
        o.csum.ip4_rxcsum =
            cpu_to_le32((!current || on->rx_csum_tcp4 ?
                         NDIS_TXCSUM_CAP_TCP4 : 0) |
                        (!current || on->rx_csum_udp4 ?
                         NDIS_TXCSUM_CAP_UDP4 : 0));
        o.csum.ip6_rxenc = cpu_to_le32(NDIS_OFFLOAD_ENCAP_8023);
        o.csum.ip6_rxcsum =
            cpu_to_le32((!current || on->rx_csum_tcp6 ?
                         NDIS_TXCSUM_CAP_TCP6 : 0) |
                        (!current || on->rx_csum_udp6 ?
                         NDIS_TXCSUM_CAP_UDP6 : 0));
    }
    if (lso4) {
        o.lsov2.ip4_encap = cpu_to_le32(NDIS_OFFLOAD_ENCAP_8023);
        o.lsov2.ip4_maxsz = cpu_to_le32(NETVSP_LSO_MAX_SIZE);
        o.lsov2.ip4_minsg = cpu_to_le32(2);
    }
    if (lso6) {
        o.lsov2.ip6_encap = cpu_to_le32(NDIS_OFFLOAD_ENCAP_8023);
        o.lsov2.ip6_maxsz = cpu_to_le32(NETVSP_LSO_MAX_SIZE);
        o.lsov2.ip6_minsg = cpu_to_le32(2);
        o.lsov2.ip6_opts = cpu_to_le32(NDIS_LSOV2_CAP_IP6EXT |
                                       NDIS_LSOV2_CAP_TCP6OPT);
    }
    memcpy(out, &o, size);
    *out_len = size;
    return RNDIS_STATUS_SUCCESS;
}

static uint32_t rndis_query_oid(VMBusNet *s, uint32_t oid, const uint8_t *in,
                                uint32_t in_len, uint8_t *out,
                                uint32_t *out_len)
{
    size_t i;

    *out_len = 0;
    switch (oid) {
    case OID_GEN_SUPPORTED_LIST:
        QEMU_BUILD_BUG_ON(sizeof(rndis_supported_oids) > RNDIS_QUERY_INFO_MAX);
        for (i = 0; i < ARRAY_SIZE(rndis_supported_oids); i++) {
            stl_le_p(out + i * 4, rndis_supported_oids[i]);
        }
        *out_len = sizeof(rndis_supported_oids);
        return RNDIS_STATUS_SUCCESS;
    case OID_GEN_HARDWARE_STATUS:
        return rndis_put_u32(out, out_len, 0);          /* ready */
    case OID_GEN_MEDIA_SUPPORTED:
    case OID_GEN_MEDIA_IN_USE:
        return rndis_put_u32(out, out_len, RNDIS_MEDIUM_802_3);
    case OID_GEN_PHYSICAL_MEDIUM:
        return rndis_put_u32(out, out_len, 0);          /* unspecified */
    case OID_GEN_MAXIMUM_FRAME_SIZE:
    case OID_GEN_MAXIMUM_LOOKAHEAD:
    case OID_GEN_CURRENT_LOOKAHEAD:
        /* Linux takes the frame size as its MTU (without the header) */
        return rndis_put_u32(out, out_len, s->mtu);
    case OID_GEN_MAXIMUM_TOTAL_SIZE:
    case OID_GEN_TRANSMIT_BLOCK_SIZE:
    case OID_GEN_RECEIVE_BLOCK_SIZE:
        return rndis_put_u32(out, out_len, s->mtu + ETH_HLEN);
    case OID_GEN_LINK_SPEED:
        /* in units of 100 bit/s */
        return rndis_put_u32(out, out_len,
                             MIN((uint64_t)s->speed_mbps * 10000,
                                 UINT32_MAX));
    case OID_GEN_MEDIA_CONNECT_STATUS:
        return rndis_put_u32(out, out_len, netvsp_link_up(s) ?
                             RNDIS_MEDIA_STATE_CONNECTED :
                             RNDIS_MEDIA_STATE_DISCONNECTED);
    case OID_GEN_MAXIMUM_SEND_PACKETS:
        return rndis_put_u32(out, out_len, NETVSP_RNDIS_MAX_PKT_PER_MSG);
    case OID_GEN_CURRENT_PACKET_FILTER:
        return rndis_put_u32(out, out_len, s->packet_filter);
    case OID_GEN_VENDOR_DESCRIPTION:
        memcpy(out, rndis_vendor_description,
               sizeof(rndis_vendor_description));
        *out_len = sizeof(rndis_vendor_description);
        return RNDIS_STATUS_SUCCESS;
    case OID_GEN_XMIT_OK:
        return rndis_put_u64(out, out_len, s->tx_frames);
    case OID_GEN_RCV_OK:
        return rndis_put_u64(out, out_len, s->rx_frames);
    case OID_GEN_XMIT_ERROR:
        return rndis_put_u64(out, out_len, s->tx_dropped);
    case OID_GEN_RCV_ERROR:
        return rndis_put_u64(out, out_len, 0);
    case OID_GEN_RCV_NO_BUFFER:
        return rndis_put_u64(out, out_len, s->rx_dropped);
    case OID_802_3_PERMANENT_ADDRESS:
        memcpy(out, s->conf.macaddr.a, ETH_ALEN);
        *out_len = ETH_ALEN;
        return RNDIS_STATUS_SUCCESS;
    case OID_802_3_CURRENT_ADDRESS:
        memcpy(out, s->mac, ETH_ALEN);
        *out_len = ETH_ALEN;
        return RNDIS_STATUS_SUCCESS;
    case OID_802_3_MAXIMUM_LIST_SIZE:
        return rndis_put_u32(out, out_len, 32);
    case OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES:
        return rndis_offload_caps(s, in, in_len, out, out_len, false);
    case OID_TCP_OFFLOAD_CURRENT_CONFIG:
        return rndis_offload_caps(s, in, in_len, out, out_len, true);
    case OID_GEN_RECEIVE_SCALE_CAPABILITIES: {
        NdisRssCaps caps = { 0 };
        uint32_t queues = netvsp_queue_cap(s);

        if (queues < 2) {
            /* no vRSS: the guest stays on the primary channel */
            return RNDIS_STATUS_NOT_SUPPORTED;
        }
        caps.header.type = NDIS_OBJECT_TYPE_RSS_CAPABILITIES;
        caps.header.revision = NDIS_RSS_CAPS_REVISION_2;
        caps.header.size = cpu_to_le16(sizeof(caps));
        caps.flags = cpu_to_le32(NDIS_RSS_CAPS_CLASSIFICATION_AT_DPC |
                                 NDIS_RSS_CAPS_HASH_TYPE_TCP_IPV4 |
                                 NDIS_RSS_CAPS_HASH_TYPE_TCP_IPV6);
        caps.num_interrupt_messages = cpu_to_le32(queues);
        caps.num_receive_queues = cpu_to_le32(queues);
        caps.num_indirection_entries = cpu_to_le16(NETVSP_RSS_ITAB_OFFERED);
        memcpy(out, &caps, sizeof(caps));
        *out_len = sizeof(caps);
        return RNDIS_STATUS_SUCCESS;
    }
    default:
        /* Among them OID_GEN_FRIENDLY_NAME. */
        return RNDIS_STATUS_NOT_SUPPORTED;
    }
}

static uint32_t rndis_set_offload_params(VMBusNet *s, const uint8_t *in,
                                         uint32_t in_len)
{
    NetvspOffloads *on = &s->offloads;
    uint32_t status = rndis_parse_offload_params(in, in_len, on);

    if (status == RNDIS_STATUS_SUCCESS) {
        trace_rndis_offloads(on->tx_csum_tcp4 | on->tx_csum_udp4 << 1 |
                             on->tx_csum_tcp6 << 2 | on->tx_csum_udp6 << 3,
                             on->rx_csum_tcp4 | on->rx_csum_udp4 << 1 |
                             on->rx_csum_tcp6 << 2 | on->rx_csum_udp6 << 3,
                             on->lso4, on->lso6);
    }
    return status;
}

/*
 * OID_GEN_RECEIVE_SCALE_PARAMETERS: the Toeplitz key and indirection table
 * that pick the channel of each received frame (netvsp_rx_channel()).
 * Every offset and size is checked against @in_len (64-bit sums); table
 * entries must be below the channel count offered (a guest that got fewer
 * sub-channels may still name more: those frames go to the primary); only
 * the Toeplitz function is taken. The state changes only on success.
 */
static uint32_t rndis_set_rss_params(VMBusNet *s, const uint8_t *in,
                                     uint32_t in_len)
{
    NdisRssParams p;
    uint16_t flags;
    uint32_t hashinfo, itab_size, itab_off, key_size, key_off, i, n = 0;
    uint32_t itab[NETVSP_RSS_ITAB_MAX];

    if (in_len < sizeof(p)) {
        return RNDIS_STATUS_INVALID_LENGTH;
    }
    memcpy(&p, in, sizeof(p));
    flags = le16_to_cpu(p.flags);
    if (p.header.type != NDIS_OBJECT_TYPE_RSS_PARAMETERS) {
        return RNDIS_STATUS_INVALID_DATA;
    }
    if (flags & NDIS_RSS_PARAM_FLAG_DISABLE_RSS) {
        s->rss_enabled = false;
        trace_rndis_rss(false, 0, 0);
        return RNDIS_STATUS_SUCCESS;
    }
    if (netvsp_queue_cap(s) < 2) {
        return RNDIS_STATUS_NOT_SUPPORTED;
    }
    hashinfo = flags & NDIS_RSS_PARAM_FLAG_HASH_INFO_UNCHANGED ?
               s->rss_hashinfo : le32_to_cpu(p.hash_info);
    if ((hashinfo & NDIS_HASH_FUNC_MASK) != NDIS_HASH_FUNC_TOEPLITZ) {
        return RNDIS_STATUS_NOT_SUPPORTED;
    }
    if (!(flags & NDIS_RSS_PARAM_FLAG_ITABLE_UNCHANGED)) {
        itab_size = le16_to_cpu(p.indirection_table_size);
        itab_off = le32_to_cpu(p.indirection_table_offset);
        n = itab_size / 4;
        if (itab_size % 4 || n == 0 || n > NETVSP_RSS_ITAB_MAX ||
            (uint64_t)itab_off + itab_size > in_len) {
            return RNDIS_STATUS_INVALID_DATA;
        }
        for (i = 0; i < n; i++) {
            itab[i] = ldl_le_p(in + itab_off + i * 4);
            if (itab[i] >= netvsp_queue_cap(s)) {
                return RNDIS_STATUS_INVALID_DATA;
            }
        }
    } else if (!s->rss_itab_size) {
        return RNDIS_STATUS_INVALID_DATA;
    }
    if (!(flags & NDIS_RSS_PARAM_FLAG_HASH_KEY_UNCHANGED)) {
        key_size = le16_to_cpu(p.hash_key_size);
        key_off = le32_to_cpu(p.hash_key_offset);
        if (key_size != NETVSP_RSS_KEY_LEN ||
            (uint64_t)key_off + key_size > in_len) {
            return RNDIS_STATUS_INVALID_DATA;
        }
        memcpy(s->rss_key, in + key_off, NETVSP_RSS_KEY_LEN);
    }
    if (n) {
        memcpy(s->rss_itab, itab, n * sizeof(itab[0]));
        s->rss_itab_size = n;
    }
    s->rss_hashinfo = hashinfo;
    s->rss_enabled = true;
    trace_rndis_rss(true, hashinfo, s->rss_itab_size);
    return RNDIS_STATUS_SUCCESS;
}

/* The guest changed its MAC address ("NetworkAddress"). */
static uint32_t rndis_set_config_parameter(VMBusNet *s, const uint8_t *in,
                                           uint32_t in_len)
{
    uint8_t mac[ETH_ALEN];
    uint32_t status = rndis_parse_network_address(in, in_len, mac);

    if (status == RNDIS_STATUS_SUCCESS) {
        memcpy(s->mac, mac, ETH_ALEN);
        qemu_format_nic_info_str(qemu_get_queue(s->nic), s->mac);
    }
    return status;
}

static uint32_t rndis_set_oid(VMBusNet *s, uint32_t oid, const uint8_t *in,
                              uint32_t in_len)
{
    switch (oid) {
    case OID_GEN_CURRENT_PACKET_FILTER:
        if (in_len < sizeof(uint32_t)) {
            return RNDIS_STATUS_INVALID_LENGTH;
        }
        s->packet_filter = ldl_le_p(in);
        return RNDIS_STATUS_SUCCESS;
    case OID_TCP_OFFLOAD_PARAMETERS:
        return rndis_set_offload_params(s, in, in_len);
    case OID_802_3_MULTICAST_LIST:
        /* Every group is taken while MULTICAST is in the filter. */
        return in_len % ETH_ALEN ? RNDIS_STATUS_INVALID_LENGTH :
               RNDIS_STATUS_SUCCESS;
    case OID_GEN_RNDIS_CONFIG_PARAMETER:
        return rndis_set_config_parameter(s, in, in_len);
    case OID_GEN_RECEIVE_SCALE_PARAMETERS:
        return rndis_set_rss_params(s, in, in_len);
    default:
        return RNDIS_STATUS_NOT_SUPPORTED;
    }
}

/* Control messages */

static void rndis_handle_init(VMBusNet *s, NetvspChannel *nch,
                              const uint8_t *body, uint32_t len)
{
    RndisInitComplete c = { 0 };
    uint32_t status = RNDIS_STATUS_SUCCESS;
    RndisInitRequest req;

    if (len < sizeof(req)) {
        trace_rndis_bad("INIT too short", RNDIS_MSG_INIT);
        return;
    }
    memcpy(&req, body, sizeof(req));
    if (s->rndis_state != NETVSP_RNDIS_UNINITIALIZED) {
        trace_rndis_bad("INIT of an initialised device", RNDIS_MSG_INIT);
        status = RNDIS_STATUS_FAILURE;
    } else {
        s->rndis_state = NETVSP_RNDIS_INITIALIZED;
        s->packet_filter = 0;
    }
    trace_rndis_init(le32_to_cpu(req.major_ver), le32_to_cpu(req.minor_ver),
                     status);
    c.req_id = req.req_id;
    c.status = cpu_to_le32(status);
    c.major_ver = cpu_to_le32(RNDIS_MAJOR_VERSION);
    c.minor_ver = cpu_to_le32(RNDIS_MINOR_VERSION);
    c.dev_flags = cpu_to_le32(RNDIS_DF_CONNECTIONLESS);
    c.medium = cpu_to_le32(RNDIS_MEDIUM_802_3);
    c.max_pkt_per_msg = cpu_to_le32(NETVSP_RNDIS_MAX_PKT_PER_MSG);
    c.max_xfer_size = cpu_to_le32(NETVSP_TX_BUF_SIZE);
    c.pkt_alignment_factor = cpu_to_le32(NETVSP_RNDIS_ALIGN_SHIFT);
    rndis_reply(nch, RNDIS_MSG_INIT_C, &c, sizeof(c), NULL, 0);
}

static void rndis_handle_query(VMBusNet *s, NetvspChannel *nch,
                               const uint8_t *body, uint32_t len)
{
    uint8_t out[RNDIS_QUERY_INFO_MAX];
    RndisQueryComplete c = { 0 };
    uint32_t out_len = 0, status;
    const char *why = NULL;
    RndisRequest req;
    int ret;

    ret = rndis_parse_request(body, len, &req, &why);
    if (ret == -EMSGSIZE) {
        trace_rndis_bad(why, RNDIS_MSG_QUERY);
        return;
    }
    if (ret < 0) {
        trace_rndis_bad(why, RNDIS_MSG_QUERY);
        status = RNDIS_STATUS_INVALID_LENGTH;
    } else if (s->rndis_state != NETVSP_RNDIS_INITIALIZED) {
        trace_rndis_bad("QUERY before INIT", RNDIS_MSG_QUERY);
        status = RNDIS_STATUS_NOT_ACCEPTED;
    } else {
        status = rndis_query_oid(s, req.oid, req.info, req.info_len, out,
                                 &out_len);
    }
    trace_rndis_query(req.oid, status, out_len);
    if (status != RNDIS_STATUS_SUCCESS) {
        out_len = 0;
    }
    c.req_id = req.req_id;
    c.status = cpu_to_le32(status);
    c.info_buflen = cpu_to_le32(out_len);
    /* Linux checks the offset even when the buffer is empty */
    c.info_buf_offset = cpu_to_le32(sizeof(c));
    rndis_reply(nch, RNDIS_MSG_QUERY_C, &c, sizeof(c), out, out_len);
}

static void rndis_handle_set(VMBusNet *s, NetvspChannel *nch,
                             const uint8_t *body, uint32_t len)
{
    RndisSetComplete c = { 0 };
    const char *why = NULL;
    RndisRequest req;
    uint32_t status;
    int ret;

    ret = rndis_parse_request(body, len, &req, &why);
    if (ret == -EMSGSIZE) {
        trace_rndis_bad(why, RNDIS_MSG_SET);
        return;
    }
    if (ret < 0) {
        trace_rndis_bad(why, RNDIS_MSG_SET);
        status = RNDIS_STATUS_INVALID_LENGTH;
    } else if (s->rndis_state != NETVSP_RNDIS_INITIALIZED) {
        trace_rndis_bad("SET before INIT", RNDIS_MSG_SET);
        status = RNDIS_STATUS_NOT_ACCEPTED;
    } else {
        status = rndis_set_oid(s, req.oid, req.info, req.info_len);
    }
    trace_rndis_set(req.oid, status);
    c.req_id = req.req_id;
    c.status = cpu_to_le32(status);
    rndis_reply(nch, RNDIS_MSG_SET_C, &c, sizeof(c), NULL, 0);
}

/* Transmit path */

static void netvsp_tx_free_frag(void *opaque, void *base, size_t len)
{
    /* the frame lives in s->tx_buf */
}

static void netvsp_tx_sent(NetClientState *nc, ssize_t len)
{
    netvsp_tx_resume(qemu_get_nic_opaque(nc));
}

static void netvsp_tx_sendv(void *opaque, const struct iovec *iov,
                            int iov_cnt, const struct iovec *virt_iov,
                            int virt_iov_cnt)
{
    VMBusNet *s = opaque;
    NetClientState *nc = qemu_get_subqueue(s->nic, s->tx_queue);
    ssize_t ret;

    if (s->peer_vnet_hdr) {
        ret = qemu_sendv_packet_async(nc, virt_iov, virt_iov_cnt,
                                      netvsp_tx_sent);
    } else {
        ret = qemu_sendv_packet_async(nc, iov, iov_cnt, netvsp_tx_sent);
    }
    if (ret == 0) {
        /* Queued by the netdev: read no more until it went out. */
        s->tx_waiting = true;
    }
}

static void rndis_tx_drop(VMBusNet *s, const char *why, uint32_t len)
{
    trace_netvsp_tx_drop(why, len);
    s->tx_dropped++;
}

/*
 * A data packet. Its frame lives in the host copy of the guest's buffer,
 * so net_tx_pkt may complete checksums in place.
 */
static void rndis_handle_packet(VMBusNet *s, uint8_t *body, uint32_t len)
{
    struct NetTxPkt *pkt = s->tx_pkt;
    RndisPacketInfo info;
    uint32_t data_off, data_len, mss = 0;
    const char *why = NULL;
    bool gso, csum;

    if (!rndis_parse_packet(body, len, &info, &why)) {
        rndis_tx_drop(s, why, len);
        return;
    }
    data_off = info.data_offset;
    data_len = info.data_len;
    if (data_len < ETH_HLEN) {
        rndis_tx_drop(s, "frame shorter than an Ethernet header", data_len);
        return;
    }
    if (s->rndis_state != NETVSP_RNDIS_INITIALIZED) {
        rndis_tx_drop(s, "data before INIT", data_len);
        return;
    }

    gso = info.has_lso;
    if (gso) {
        mss = RNDIS_LSO_MSS(info.lso);
        if (!mss || mss > NETVSP_MTU_MAX) {
            rndis_tx_drop(s, "LSO with a bad MSS", data_len);
            return;
        }
    } else if (data_len > NETVSP_FRAME_MAX) {
        /* Netdevs need not take more (stream and tap do not) */
        rndis_tx_drop(s, "frame longer than the largest MTU", data_len);
        return;
    }
    csum = gso || (info.has_csum &&
                   (info.csum & (RNDIS_CSUM_TX_TCP | RNDIS_CSUM_TX_UDP)));

    net_tx_pkt_reset(pkt, netvsp_tx_free_frag, s);
    net_tx_pkt_add_raw_fragment(pkt, body + data_off, data_len);
    if (!net_tx_pkt_parse(pkt)) {
        net_tx_pkt_reset(pkt, netvsp_tx_free_frag, s);
        rndis_tx_drop(s, "frame headers do not parse", data_len);
        return;
    }
    if (info.has_vlan) {
        uint16_t tci = RNDIS_VLAN_ID(info.vlan) |
                       RNDIS_VLAN_CFI(info.vlan) << 12 |
                       RNDIS_VLAN_PRI(info.vlan) << 13;

        net_tx_pkt_setup_vlan_header(pkt, tci);
    }
    if (!net_tx_pkt_build_vheader(pkt, gso, csum, mss)) {
        net_tx_pkt_reset(pkt, netvsp_tx_free_frag, s);
        rndis_tx_drop(s, "frame too short for its offload", data_len);
        return;
    }
    if (gso) {
        uint8_t type = net_tx_pkt_get_vhdr(pkt)->gso_type &
                       ~VIRTIO_NET_HDR_GSO_ECN;

        if (type != VIRTIO_NET_HDR_GSO_TCPV4 &&
            type != VIRTIO_NET_HDR_GSO_TCPV6) {
            net_tx_pkt_reset(pkt, netvsp_tx_free_frag, s);
            rndis_tx_drop(s, "LSO of a frame that is not TCP", data_len);
            return;
        }
        /* The guest left the IP length (and IPv4 checksum) to us. */
        net_tx_pkt_update_ip_checksums(pkt);
    }
    trace_netvsp_tx(data_len, info.csum, mss);
    if (!net_tx_pkt_send_custom(pkt, s->peer_vnet_hdr, netvsp_tx_sendv, s)) {
        rndis_tx_drop(s, "frame too big to send", data_len);
    } else {
        s->tx_frames++;
    }
    net_tx_pkt_reset(pkt, netvsp_tx_free_frag, s);
}

uint32_t netvsp_rndis_receive(NetvspChannel *nch, uint8_t *msg, uint32_t len)
{
    VMBusNet *s = nch->net;
    const char *why = NULL;
    uint32_t pos = 0, type = 0, body_len;
    uint8_t *body;
    int ret;

    /* queue for queue with a multi-queue netdev */
    s->tx_queue = vmbus_channel_index(nch->chan) % s->nqueues;
    while ((ret = rndis_next_message(msg, len, &pos, &type, &body,
                                     &body_len, &why)) > 0) {
        if (type != RNDIS_MSG_PACKET) {
            trace_rndis_msg(type, body_len + sizeof(RndisHeader));
        }
        switch (type) {
        case RNDIS_MSG_PACKET:
            rndis_handle_packet(s, body, body_len);
            break;
        case RNDIS_MSG_INIT:
            rndis_handle_init(s, nch, body, body_len);
            break;
        case RNDIS_MSG_HALT:
            s->rndis_state = NETVSP_RNDIS_UNINITIALIZED;
            s->packet_filter = 0;
            break;
        case RNDIS_MSG_QUERY:
            rndis_handle_query(s, nch, body, body_len);
            break;
        case RNDIS_MSG_SET:
            rndis_handle_set(s, nch, body, body_len);
            break;
        case RNDIS_MSG_RESET: {
            RndisResetComplete c = {
                .status = cpu_to_le32(RNDIS_STATUS_SUCCESS),
            };

            rndis_reply(nch, RNDIS_MSG_RESET_C, &c, sizeof(c), NULL, 0);
            break;
        }
        case RNDIS_MSG_KEEPALIVE: {
            RndisSetComplete c = { 0 };

            if (body_len < sizeof(uint32_t)) {
                trace_rndis_bad("KEEPALIVE too short", type);
                break;
            }
            c.req_id = ldl_he_p(body);
            c.status = cpu_to_le32(s->rndis_state ==
                                   NETVSP_RNDIS_INITIALIZED ?
                                   RNDIS_STATUS_SUCCESS :
                                   RNDIS_STATUS_NOT_ACCEPTED);
            rndis_reply(nch, RNDIS_MSG_KEEPALIVE_C, &c, sizeof(c), NULL, 0);
            break;
        }
        default:
            trace_rndis_bad("unknown or host-only message type", type);
            break;
        }
    }
    if (ret < 0) {
        trace_rndis_bad(why, type);
        return NVSP_STAT_INVALID_RNDIS_PKT;
    }
    return NVSP_STAT_SUCCESS;
}

void netvsp_tx_init(VMBusNet *s)
{
    net_tx_pkt_init(&s->tx_pkt, NETVSP_TX_MAX_FRAGS);
}

void netvsp_tx_cleanup(VMBusNet *s)
{
    if (s->tx_pkt) {
        net_tx_pkt_reset(s->tx_pkt, netvsp_tx_free_frag, s);
        net_tx_pkt_uninit(s->tx_pkt);
        s->tx_pkt = NULL;
    }
}
