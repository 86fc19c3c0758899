/*
 * qemu-hvpart: NVSP and RNDIS input from the guest, decoded and checked
 * (see netvsp-parse.h).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "hw/vmbus/vmbus-proto.h"
#include "hw/netvsc-vsp/netvsp-parse.h"

#define NVSP_PAGE_SIZE          4096
/*
 * Largest pfn of x86's 52-bit physical address space: a chunk's gpa + len
 * then never wraps.
 */
#define NVSP_MAX_PFN            ((1ull << (52 - 12)) - 1)

uint32_t nvsp_msg_min_size(uint32_t type)
{
    switch (type) {
    case NVSP_MSG_TYPE_INIT:
        return NVSP_MESSAGE_SIZE(init);
    case NVSP_MSG1_TYPE_SEND_NDIS_VER:
        return NVSP_MESSAGE_SIZE(ndis_version);
    case NVSP_MSG1_TYPE_SEND_RECV_BUF:
    case NVSP_MSG1_TYPE_SEND_SEND_BUF:
        return NVSP_MESSAGE_SIZE(send_buffer);
    case NVSP_MSG1_TYPE_REVOKE_RECV_BUF:
    case NVSP_MSG1_TYPE_REVOKE_SEND_BUF:
        return NVSP_MESSAGE_SIZE(revoke_buffer);
    case NVSP_MSG1_TYPE_SEND_RNDIS_PKT:
        return NVSP_MESSAGE_SIZE(rndis_packet);
    case NVSP_MSG2_TYPE_SEND_NDIS_CONFIG:
        return NVSP_MESSAGE_SIZE(ndis_config);
    case NVSP_MSG4_TYPE_SWITCH_DATA_PATH:
        return NVSP_MESSAGE_SIZE(switch_data_path);
    case NVSP_MSG5_TYPE_SUBCHANNEL:
        return NVSP_MESSAGE_SIZE(subchannel_request);
    default:
        return sizeof(uint32_t);
    }
}

int64_t nvsp_walk_gpa_ranges(const uint8_t *ext, uint32_t ext_len,
                             uint32_t max, NvspGpaChunkFn *fn, void *opaque,
                             const char **why)
{
    uint32_t rangecount, pos, r, total = 0;

    if (ext_len < sizeof(VMBusGpaDirectHeader)) {
        *why = "GPA_DIRECT header cut short";
        return -EINVAL;
    }
    rangecount = ldl_le_p(ext + offsetof(VMBusGpaDirectHeader, rangecount));
    pos = sizeof(VMBusGpaDirectHeader);
    /* Each range takes at least 8 bytes: the loop ends with the list. */
    for (r = 0; r < rangecount; r++) {
        uint32_t byte_count, byte_offset, npfns, j;

        if (ext_len - pos < sizeof(VMBusGpaRange)) {
            *why = "GPA range list cut short";
            return -EINVAL;
        }
        byte_count = ldl_le_p(ext + pos);
        byte_offset = ldl_le_p(ext + pos + 4);
        pos += sizeof(VMBusGpaRange);
        if (byte_offset >= NVSP_PAGE_SIZE) {
            *why = "GPA range offset beyond its first page";
            return -EINVAL;
        }
        npfns = DIV_ROUND_UP((uint64_t)byte_offset + byte_count,
                             NVSP_PAGE_SIZE);
        if (npfns > (ext_len - pos) / sizeof(uint64_t)) {
            *why = "GPA range pfns cut short";
            return -EINVAL;
        }
        if (byte_count > max - total) {
            *why = "GPA ranges longer than an RNDIS transfer";
            return -EINVAL;
        }
        for (j = 0; j < npfns && byte_count; j++) {
            uint64_t pfn = ldq_le_p(ext + pos + j * sizeof(uint64_t));
            uint32_t chunk = MIN(byte_count, NVSP_PAGE_SIZE - byte_offset);

            if (pfn > NVSP_MAX_PFN) {
                *why = "GPA range pfn out of range";
                return -EINVAL;
            }
            if (!fn(pfn * NVSP_PAGE_SIZE + byte_offset, chunk, opaque)) {
                *why = "GPA range not readable";
                return -EINVAL;
            }
            total += chunk;
            byte_count -= chunk;
            byte_offset = 0;
        }
        pos += npfns * sizeof(uint64_t);
    }
    return total;
}

int rndis_next_message(uint8_t *buf, uint32_t len, uint32_t *pos,
                       uint32_t *type, uint8_t **body, uint32_t *body_len,
                       const char **why)
{
    uint32_t msg_len;

    if (*pos >= len) {
        return 0;
    }
    if (len - *pos < sizeof(RndisHeader)) {
        *why = "trailing bytes after the last message";
        return -EINVAL;
    }
    *type = ldl_le_p(buf + *pos);
    msg_len = ldl_le_p(buf + *pos + 4);
    if (msg_len < sizeof(RndisHeader) || msg_len > len - *pos) {
        *why = "message length out of bounds";
        return -EINVAL;
    }
    *body = buf + *pos + sizeof(RndisHeader);
    *body_len = msg_len - sizeof(RndisHeader);
    *pos += msg_len;
    return 1;
}

/* Walk the per-packet info of a data packet (@ppi, @len bytes). */
static bool rndis_parse_ppi(const uint8_t *ppi, uint32_t len,
                            RndisPacketInfo *info, const char **why)
{
    uint32_t pos = 0;

    while (len - pos >= sizeof(RndisPerPacketInfo)) {
        uint32_t size = ldl_le_p(ppi + pos);
        uint32_t type = ldl_le_p(ppi + pos + 4);
        uint32_t off = ldl_le_p(ppi + pos + 8);
        uint32_t value;

        /* A record is never empty: the walk always moves on. */
        if (size < sizeof(RndisPerPacketInfo) || size > len - pos) {
            *why = "per-packet info size out of bounds";
            return false;
        }
        if (off > size || size - off < sizeof(uint32_t)) {
            *why = "per-packet info value out of bounds";
            return false;
        }
        value = ldl_le_p(ppi + pos + off);
        switch (type) {
        case RNDIS_PPI_TCPIP_CHKSUM:
            info->has_csum = true;
            info->csum = value;
            break;
        case RNDIS_PPI_TCP_LARGESEND:
            info->has_lso = true;
            info->lso = value;
            break;
        case RNDIS_PPI_IEEE_8021Q:
            info->has_vlan = true;
            info->vlan = value;
            break;
        default:
            /* a hash value (a send queue hint), internal info: unused */
            break;
        }
        pos += size;
    }
    return true;
}

bool rndis_parse_packet(const uint8_t *body, uint32_t len,
                        RndisPacketInfo *info, const char **why)
{
    uint32_t ppi_off, ppi_len;

    memset(info, 0, sizeof(*info));
    if (len < sizeof(RndisPacket)) {
        *why = "packet message too short";
        return false;
    }
    info->data_offset = ldl_le_p(body + offsetof(RndisPacket, data_offset));
    info->data_len = ldl_le_p(body + offsetof(RndisPacket, data_len));
    ppi_off = ldl_le_p(body + offsetof(RndisPacket, per_pkt_info_offset));
    ppi_len = ldl_le_p(body + offsetof(RndisPacket, per_pkt_info_len));
    if (info->data_offset > len || info->data_len > len - info->data_offset) {
        *why = "frame outside the message";
        return false;
    }
    if (!ppi_len) {
        return true;
    }
    if (ppi_off > len || ppi_len > len - ppi_off) {
        *why = "per-packet info outside the message";
        return false;
    }
    return rndis_parse_ppi(body + ppi_off, ppi_len, info, why);
}

int rndis_parse_request(const uint8_t *body, uint32_t len, RndisRequest *req,
                        const char **why)
{
    uint32_t off;

    memset(req, 0, sizeof(*req));
    if (len < sizeof(uint32_t)) {
        *why = "request without a request id";
        return -EMSGSIZE;
    }
    req->req_id = ldl_he_p(body);
    if (len < sizeof(RndisQueryRequest)) {
        *why = "request too short";
        return -EINVAL;
    }
    req->oid = ldl_le_p(body + offsetof(RndisQueryRequest, oid));
    off = ldl_le_p(body + offsetof(RndisQueryRequest, info_buf_offset));
    req->info_len = ldl_le_p(body + offsetof(RndisQueryRequest,
                                             info_buflen));
    req->info = body;
    if (!req->info_len) {
        return 0;
    }
    if (off < sizeof(RndisQueryRequest) || off > len ||
        req->info_len > len - off) {
        req->info_len = 0;
        *why = "information buffer outside the message";
        return -EINVAL;
    }
    req->info = body + off;
    return 0;
}

/* One OID_TCP_OFFLOAD_PARAMETERS setting of a checksum offload. */
static bool rndis_csum_param(uint8_t v, bool *tx, bool *rx)
{
    switch (v) {
    case NDIS_OFFLOAD_PARAMETERS_NO_CHANGE:
        return true;
    case NDIS_OFFLOAD_PARAMETERS_TX_RX_DISABLED:
    case NDIS_OFFLOAD_PARAMETERS_TX_ENABLED_RX_DISABLED:
    case NDIS_OFFLOAD_PARAMETERS_RX_ENABLED_TX_DISABLED:
    case NDIS_OFFLOAD_PARAMETERS_TX_RX_ENABLED:
        *tx = v == NDIS_OFFLOAD_PARAMETERS_TX_ENABLED_RX_DISABLED ||
              v == NDIS_OFFLOAD_PARAMETERS_TX_RX_ENABLED;
        *rx = v == NDIS_OFFLOAD_PARAMETERS_RX_ENABLED_TX_DISABLED ||
              v == NDIS_OFFLOAD_PARAMETERS_TX_RX_ENABLED;
        return true;
    default:
        return false;
    }
}

static bool rndis_lso_param(uint8_t v, bool *on)
{
    switch (v) {
    case NDIS_OFFLOAD_PARAMETERS_NO_CHANGE:
        return true;
    case NDIS_OFFLOAD_PARAMETERS_LSOV2_DISABLED:
        *on = false;
        return true;
    case NDIS_OFFLOAD_PARAMETERS_LSOV2_ENABLED:
        *on = true;
        return true;
    default:
        return false;
    }
}

/* Whether @v leaves a feature that is not offered off. */
static bool rndis_param_off(uint8_t v)
{
    return v == NDIS_OFFLOAD_PARAMETERS_NO_CHANGE ||
           v == NDIS_OFFLOAD_PARAMETERS_TX_RX_DISABLED;
}

uint32_t rndis_parse_offload_params(const uint8_t *in, uint32_t len,
                                    NetvspOffloads *on)
{
    NdisOffloadParams p;
    NetvspOffloads next = *on;

    if (len < offsetof(NdisOffloadParams, tcp_connection_ip_v4)) {
        return RNDIS_STATUS_INVALID_LENGTH;
    }
    memset(&p, 0, sizeof(p));
    memcpy(&p, in, MIN(len, sizeof(p)));
    if (!rndis_csum_param(p.tcp_ip_v4_csum, &next.tx_csum_tcp4,
                          &next.rx_csum_tcp4) ||
        !rndis_csum_param(p.udp_ip_v4_csum, &next.tx_csum_udp4,
                          &next.rx_csum_udp4) ||
        !rndis_csum_param(p.tcp_ip_v6_csum, &next.tx_csum_tcp6,
                          &next.rx_csum_tcp6) ||
        !rndis_csum_param(p.udp_ip_v6_csum, &next.tx_csum_udp6,
                          &next.rx_csum_udp6) ||
        !rndis_lso_param(p.lso_v2_ipv4, &next.lso4) ||
        !rndis_lso_param(p.lso_v2_ipv6, &next.lso6)) {
        return RNDIS_STATUS_INVALID_DATA;
    }
    if (!rndis_param_off(p.ip_v4_csum) || !rndis_param_off(p.lso_v1) ||
        !rndis_param_off(p.ip_sec_v1) ||
        !rndis_param_off(p.tcp_connection_ip_v4) ||
        !rndis_param_off(p.tcp_connection_ip_v6) ||
        !rndis_param_off(p.ip_sec_v2) ||
        !rndis_param_off(p.ip_sec_v2_ip_v4) ||
        !rndis_param_off(p.rsc_ip_v4) || !rndis_param_off(p.rsc_ip_v6)) {
        return RNDIS_STATUS_NOT_SUPPORTED;
    }
    *on = next;
    return RNDIS_STATUS_SUCCESS;
}

/* The ASCII of a UTF-16LE string of @len bytes, if it is all printable. */
static bool rndis_utf16_ascii(const uint8_t *p, uint32_t len, char *out,
                              size_t out_size)
{
    uint32_t i, n = len / 2;

    if (len % 2 || n >= out_size) {
        return false;
    }
    for (i = 0; i < n; i++) {
        uint16_t c = lduw_le_p(p + 2 * i);

        if (c < 0x20 || c > 0x7e) {
            return false;
        }
        out[i] = c;
    }
    out[n] = 0;
    return true;
}

uint32_t rndis_parse_network_address(const uint8_t *in, uint32_t len,
                                     uint8_t mac[6])
{
    static const uint8_t zero[6];
    uint32_t name_off, name_len, val_off, val_len;
    char name[32], value[32];
    uint8_t addr[6];
    int i;

    if (len < sizeof(RndisConfigParameterInfo)) {
        return RNDIS_STATUS_INVALID_LENGTH;
    }
    name_off = ldl_le_p(in + offsetof(RndisConfigParameterInfo,
                                      parameter_name_offset));
    name_len = ldl_le_p(in + offsetof(RndisConfigParameterInfo,
                                      parameter_name_length));
    val_off = ldl_le_p(in + offsetof(RndisConfigParameterInfo,
                                     parameter_value_offset));
    val_len = ldl_le_p(in + offsetof(RndisConfigParameterInfo,
                                     parameter_value_length));
    if (name_off > len || name_len > len - name_off ||
        val_off > len || val_len > len - val_off) {
        return RNDIS_STATUS_INVALID_LENGTH;
    }
    if (ldl_le_p(in + offsetof(RndisConfigParameterInfo, parameter_type)) !=
        RNDIS_CONFIG_PARAM_TYPE_STRING ||
        !rndis_utf16_ascii(in + name_off, name_len, name, sizeof(name)) ||
        strcmp(name, "NetworkAddress")) {
        return RNDIS_STATUS_NOT_SUPPORTED;
    }
    if (!rndis_utf16_ascii(in + val_off, val_len, value, sizeof(value)) ||
        strlen(value) != 2 * sizeof(addr)) {
        return RNDIS_STATUS_INVALID_DATA;
    }
    for (i = 0; i < sizeof(addr); i++) {
        int hi = g_ascii_xdigit_value(value[2 * i]);
        int lo = g_ascii_xdigit_value(value[2 * i + 1]);

        if (hi < 0 || lo < 0) {
            return RNDIS_STATUS_INVALID_DATA;
        }
        addr[i] = hi << 4 | lo;
    }
    /* a unicast address, not all zeroes */
    if ((addr[0] & 1) || !memcmp(addr, zero, sizeof(addr))) {
        return RNDIS_STATUS_INVALID_DATA;
    }
    memcpy(mac, addr, sizeof(addr));
    return RNDIS_STATUS_SUCCESS;
}

/* Received frames: TCP acknowledgements */

#define NETVSP_ETH_HLEN         14
#define NETVSP_TCP_HLEN         20
#define NETVSP_TCP_FLAG_ACK     0x10

/* TCP options of a pure ACK that may be merged: NOP, EOL, timestamps. */
static bool netvsp_ack_options_ok(const uint8_t *opt, size_t len)
{
    size_t i = 0;

    while (i < len) {
        switch (opt[i]) {
        case 0:                         /* end of options */
            return true;
        case 1:                         /* NOP */
            i++;
            break;
        case 8:                         /* timestamps */
            if (len - i < 10 || opt[i + 1] != 10) {
                return false;
            }
            i += 10;
            break;
        default:                        /* SACK, anything else */
            return false;
        }
    }
    return true;
}

bool netvsp_parse_pure_ack(const uint8_t *frame, size_t len,
                           NetvspTcpAck *ack)
{
    const uint8_t *ip = frame + NETVSP_ETH_HLEN;
    const uint8_t *tcp;
    size_t ip_hlen, tcp_hlen, l3_len;

    if (len < NETVSP_ETH_HLEN) {
        return false;
    }
    len -= NETVSP_ETH_HLEN;
    switch (lduw_be_p(frame + 12)) {
    case 0x0800:
        if (len < 20 || (ip[0] >> 4) != 4 || (ip[0] & 0xf) < 5) {
            return false;
        }
        ip_hlen = (ip[0] & 0xf) * 4;
        l3_len = lduw_be_p(ip + 2);
        /* a whole datagram (MF clear, offset 0) carrying TCP */
        if ((lduw_be_p(ip + 6) & 0x3fff) || ip[9] != 6 ||
            l3_len < ip_hlen || l3_len > len) {
            return false;
        }
        ack->addr_len = 4;
        memcpy(ack->saddr, ip + 12, 4);
        memcpy(ack->daddr, ip + 16, 4);
        break;
    case 0x86dd:
        /* TCP right after the fixed header: no extension headers */
        if (len < 40 || (ip[0] >> 4) != 6 || ip[6] != 6) {
            return false;
        }
        ip_hlen = 40;
        l3_len = ip_hlen + lduw_be_p(ip + 4);
        if (l3_len > len) {
            return false;
        }
        ack->addr_len = 16;
        memcpy(ack->saddr, ip + 8, 16);
        memcpy(ack->daddr, ip + 24, 16);
        break;
    default:
        return false;
    }
    if (l3_len - ip_hlen < NETVSP_TCP_HLEN) {
        return false;
    }
    tcp = ip + ip_hlen;
    tcp_hlen = (tcp[12] >> 4) * 4;
    /* no payload: the segment ends with its header */
    if (tcp_hlen < NETVSP_TCP_HLEN || tcp_hlen != l3_len - ip_hlen ||
        (tcp[12] & 0x0f) || tcp[13] != NETVSP_TCP_FLAG_ACK ||
        !netvsp_ack_options_ok(tcp + NETVSP_TCP_HLEN,
                               tcp_hlen - NETVSP_TCP_HLEN)) {
        return false;
    }
    ack->sport = lduw_be_p(tcp);
    ack->dport = lduw_be_p(tcp + 2);
    ack->seq = ldl_be_p(tcp + 4);
    ack->ack = ldl_be_p(tcp + 8);
    return true;
}

bool netvsp_ack_supersedes(const NetvspTcpAck *older,
                           const NetvspTcpAck *newer)
{
    uint32_t advance = newer->ack - older->ack;

    return older->addr_len == newer->addr_len &&
           !memcmp(older->saddr, newer->saddr, older->addr_len) &&
           !memcmp(older->daddr, newer->daddr, older->addr_len) &&
           older->sport == newer->sport && older->dport == newer->dport &&
           older->seq == newer->seq &&
           advance != 0 && advance < 0x80000000u;
}
