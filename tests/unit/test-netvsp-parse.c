/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for the NVSP/RNDIS input decoders of the synthetic NIC
 * (hw/netvsc-vsp/netvsp-parse.c), with what a Linux guest sends
 * (drivers/net/hyperv/ of Linux 6.1) and hostile input, and a brief fuzz
 * run.
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "hw/vmbus/vmbus-proto.h"
#include "hw/netvsc-vsp/netvsp-parse.h"

#define BUF_MAX 1024

/* GPA_DIRECT range lists */

typedef struct GpaLog {
    uint64_t gpa[64];
    uint32_t len[64];
    uint32_t count;
    uint32_t total;
    int refuse_at;          /* chunk index to refuse, or -1 */
} GpaLog;

static bool gpa_log(uint64_t gpa, uint32_t len, void *opaque)
{
    GpaLog *log = opaque;

    g_assert_cmpuint(len, >, 0);
    g_assert_cmpuint(len, <=, 4096);
    /* a chunk never crosses a page */
    g_assert_cmpuint((gpa & 4095) + len, <=, 4096);
    if ((int)log->count == log->refuse_at) {
        return false;
    }
    if (log->count < ARRAY_SIZE(log->gpa)) {
        log->gpa[log->count] = gpa;
        log->len[log->count] = len;
    }
    log->count++;
    log->total += len;
    return true;
}

/* Append a range of @len bytes at @offset into the pages from @pfn. */
static uint32_t put_range(uint8_t *buf, uint32_t pos, uint32_t len,
                          uint32_t offset, uint64_t pfn, uint32_t npfns)
{
    uint32_t i;

    stl_le_p(buf + pos, len);
    stl_le_p(buf + pos + 4, offset);
    pos += 8;
    for (i = 0; i < npfns; i++) {
        stq_le_p(buf + pos, pfn + i);
        pos += 8;
    }
    return pos;
}

static int64_t walk(const uint8_t *ext, uint32_t len, uint32_t max,
                    GpaLog *log)
{
    g_autofree uint8_t *copy = g_memdup2(ext, len);
    const char *why = NULL;
    int64_t ret;

    memset(log, 0, sizeof(*log));
    log->refuse_at = -1;
    ret = nvsp_walk_gpa_ranges(copy, len, max, gpa_log, log, &why);
    if (ret < 0) {
        g_assert_nonnull(why);
    }
    return ret;
}

static void test_gpa_ranges(void)
{
    uint8_t ext[BUF_MAX] = { 0 };
    GpaLog log;
    uint32_t pos;
    const char *why;

    /* As netvsc: the RNDIS header, then skb data crossing two pages. */
    stl_le_p(ext + 4, 2);
    pos = put_range(ext, 8, 200, 100, 0x1000, 1);
    pos = put_range(ext, pos, 5000, 4000, 0x2000, 3);
    g_assert_cmpint(walk(ext, pos, 65536, &log), ==, 5200);
    g_assert_cmpuint(log.count, ==, 4);
    g_assert_cmpuint(log.gpa[0], ==, 0x1000 * 4096ull + 100);
    g_assert_cmpuint(log.len[0], ==, 200);
    g_assert_cmpuint(log.gpa[1], ==, 0x2000 * 4096ull + 4000);
    g_assert_cmpuint(log.len[1], ==, 96);
    g_assert_cmpuint(log.gpa[2], ==, 0x2001 * 4096ull);
    g_assert_cmpuint(log.len[2], ==, 4096);
    g_assert_cmpuint(log.len[3], ==, 808);

    /* The cap on the bytes in all */
    g_assert_cmpint(walk(ext, pos, 5199, &log), <, 0);
    /* The list cut short, in a descriptor or in the pfns */
    g_assert_cmpint(walk(ext, pos - 8, 65536, &log), <, 0);
    g_assert_cmpint(walk(ext, 8 + 4, 65536, &log), <, 0);
    g_assert_cmpint(walk(ext, 7, 65536, &log), <, 0);
    /* A range count far beyond the list */
    stl_le_p(ext + 4, 0xffffffff);
    g_assert_cmpint(walk(ext, pos, 65536, &log), <, 0);
    /* No range: nothing */
    stl_le_p(ext + 4, 0);
    g_assert_cmpint(walk(ext, 8, 65536, &log), ==, 0);

    /* An offset beyond the first page */
    stl_le_p(ext + 4, 1);
    pos = put_range(ext, 8, 10, 4096, 0x1000, 1);
    g_assert_cmpint(walk(ext, pos, 65536, &log), <, 0);
    /* A byte count that would need more pfns than follow */
    pos = put_range(ext, 8, 0xfffff000, 0, 0x1000, 2);
    g_assert_cmpint(walk(ext, pos, UINT32_MAX, &log), <, 0);
    /* A pfn whose GPA overflows */
    pos = put_range(ext, 8, 10, 0, UINT64_MAX >> 11, 1);
    g_assert_cmpint(walk(ext, pos, 65536, &log), <, 0);
    /* The last page of 64 bits, and the first beyond 52 bits */
    pos = put_range(ext, 8, 10, 0, UINT64_MAX >> 12, 1);
    g_assert_cmpint(walk(ext, pos, 65536, &log), <, 0);
    pos = put_range(ext, 8, 10, 0, 1ull << 40, 1);
    g_assert_cmpint(walk(ext, pos, 65536, &log), <, 0);
    /* An empty range: no chunk */
    pos = put_range(ext, 8, 0, 0, 0x1000, 0);
    g_assert_cmpint(walk(ext, pos, 65536, &log), ==, 0);
    g_assert_cmpuint(log.count, ==, 0);

    /* The reader refuses (memory that is not there) */
    pos = put_range(ext, 8, 8192, 0, 0x1000, 2);
    memset(&log, 0, sizeof(log));
    log.refuse_at = 1;
    g_assert_cmpint(nvsp_walk_gpa_ranges(ext, pos, 65536, gpa_log, &log,
                                         &why), <, 0);
}

/* RNDIS framing */

static uint32_t put_msg(uint8_t *buf, uint32_t pos, uint32_t type,
                        uint32_t len)
{
    stl_le_p(buf + pos, type);
    stl_le_p(buf + pos + 4, len);
    return pos + len;
}

static void test_rndis_framing(void)
{
    uint8_t buf[BUF_MAX] = { 0 };
    uint32_t pos = 0, len, type, body_len;
    const char *why = NULL;
    uint8_t *body;

    /* As netvsc batches: padded packets, then a last one unpadded */
    len = put_msg(buf, 0, RNDIS_MSG_PACKET, 104);
    len = put_msg(buf, len, RNDIS_MSG_PACKET, 96);
    len = put_msg(buf, len, RNDIS_MSG_QUERY, 28);
    g_assert_cmpint(rndis_next_message(buf, len, &pos, &type, &body,
                                       &body_len, &why), ==, 1);
    g_assert_cmpuint(type, ==, RNDIS_MSG_PACKET);
    g_assert_true(body == buf + 8);
    g_assert_cmpuint(body_len, ==, 96);
    g_assert_cmpint(rndis_next_message(buf, len, &pos, &type, &body,
                                       &body_len, &why), ==, 1);
    g_assert_cmpint(rndis_next_message(buf, len, &pos, &type, &body,
                                       &body_len, &why), ==, 1);
    g_assert_cmpuint(type, ==, RNDIS_MSG_QUERY);
    g_assert_cmpuint(body_len, ==, 20);
    g_assert_cmpint(rndis_next_message(buf, len, &pos, &type, &body,
                                       &body_len, &why), ==, 0);

    /* A zero length would loop for ever; shorter than a header */
    pos = 0;
    put_msg(buf, 0, RNDIS_MSG_PACKET, 0);
    g_assert_cmpint(rndis_next_message(buf, 64, &pos, &type, &body,
                                       &body_len, &why), <, 0);
    put_msg(buf, 0, RNDIS_MSG_PACKET, 7);
    g_assert_cmpint(rndis_next_message(buf, 64, &pos, &type, &body,
                                       &body_len, &why), <, 0);
    /* Longer than what is left */
    put_msg(buf, 0, RNDIS_MSG_PACKET, 65);
    g_assert_cmpint(rndis_next_message(buf, 64, &pos, &type, &body,
                                       &body_len, &why), <, 0);
    put_msg(buf, 0, RNDIS_MSG_PACKET, UINT32_MAX);
    g_assert_cmpint(rndis_next_message(buf, 64, &pos, &type, &body,
                                       &body_len, &why), <, 0);
    /* Trailing bytes that cannot hold a header */
    put_msg(buf, 0, RNDIS_MSG_PACKET, 60);
    g_assert_cmpint(rndis_next_message(buf, 64, &pos, &type, &body,
                                       &body_len, &why), ==, 1);
    g_assert_cmpint(rndis_next_message(buf, 64, &pos, &type, &body,
                                       &body_len, &why), <, 0);
}

/* Data packets */

/* A packet body as netvsc_xmit() builds it, with the PPIs asked for. */
static uint32_t make_packet(uint8_t *body, uint32_t frame_len, bool csum,
                            bool lso, bool vlan)
{
    uint32_t ppi = sizeof(RndisPacket), ppi_len = 0;

    memset(body, 0, BUF_MAX);
    stl_le_p(body + offsetof(RndisPacket, per_pkt_info_offset), ppi);
    if (csum) {
        stl_le_p(body + ppi + ppi_len, 16);
        stl_le_p(body + ppi + ppi_len + 4, RNDIS_PPI_TCPIP_CHKSUM);
        stl_le_p(body + ppi + ppi_len + 8, 12);
        stl_le_p(body + ppi + ppi_len + 12,
                 RNDIS_CSUM_TX_IPV4 | RNDIS_CSUM_TX_TCP | 34 << 16);
        ppi_len += 16;
    }
    if (lso) {
        stl_le_p(body + ppi + ppi_len, 16);
        stl_le_p(body + ppi + ppi_len + 4, RNDIS_PPI_TCP_LARGESEND);
        stl_le_p(body + ppi + ppi_len + 8, 12);
        stl_le_p(body + ppi + ppi_len + 12,
                 1460 | 34 << 20 | RNDIS_LSO_TYPE_V2);
        ppi_len += 16;
    }
    if (vlan) {
        stl_le_p(body + ppi + ppi_len, 16);
        stl_le_p(body + ppi + ppi_len + 4, RNDIS_PPI_IEEE_8021Q);
        stl_le_p(body + ppi + ppi_len + 8, 12);
        stl_le_p(body + ppi + ppi_len + 12, 5 | 42 << 4);
        ppi_len += 16;
    }
    stl_le_p(body + offsetof(RndisPacket, per_pkt_info_len), ppi_len);
    stl_le_p(body + offsetof(RndisPacket, data_offset), ppi + ppi_len);
    stl_le_p(body + offsetof(RndisPacket, data_len), frame_len);
    memset(body + ppi + ppi_len, 0xab, frame_len);
    return ppi + ppi_len + frame_len;
}

static bool parse_packet(const uint8_t *body, uint32_t len,
                         RndisPacketInfo *info)
{
    g_autofree uint8_t *copy = g_memdup2(body, len);
    const char *why = NULL;
    bool ok = rndis_parse_packet(copy, len, info, &why);

    g_assert_true(ok || why);
    if (ok) {
        g_assert_cmpuint(info->data_offset + (uint64_t)info->data_len, <=,
                         len);
    }
    return ok;
}

static void test_packet(void)
{
    uint8_t body[BUF_MAX];
    RndisPacketInfo info;
    uint32_t len;

    len = make_packet(body, 60, false, false, false);
    g_assert_true(parse_packet(body, len, &info));
    g_assert_cmpuint(info.data_offset, ==, 36);
    g_assert_cmpuint(info.data_len, ==, 60);
    g_assert_false(info.has_csum || info.has_lso || info.has_vlan);

    len = make_packet(body, 200, true, true, true);
    g_assert_true(parse_packet(body, len, &info));
    g_assert_cmpuint(info.data_offset, ==, 36 + 48);
    g_assert_true(info.has_csum && info.has_lso && info.has_vlan);
    g_assert_cmpuint(RNDIS_CSUM_TX_TCP_OFFSET(info.csum), ==, 34);
    g_assert_cmpuint(RNDIS_LSO_MSS(info.lso), ==, 1460);
    g_assert_cmpuint(RNDIS_LSO_TCP_OFFSET(info.lso), ==, 34);
    g_assert_cmpuint(RNDIS_VLAN_ID(info.vlan), ==, 42);
    g_assert_cmpuint(RNDIS_VLAN_PRI(info.vlan), ==, 5);

    /* Shorter than the packet header */
    g_assert_false(parse_packet(body, 35, &info));
    /* The frame past the end, or its offset */
    g_assert_false(parse_packet(body, len - 1, &info));
    stl_le_p(body + offsetof(RndisPacket, data_offset), UINT32_MAX);
    g_assert_false(parse_packet(body, len, &info));
    stl_le_p(body + offsetof(RndisPacket, data_offset), 84);
    stl_le_p(body + offsetof(RndisPacket, data_len), UINT32_MAX - 10);
    g_assert_false(parse_packet(body, len, &info));
    stl_le_p(body + offsetof(RndisPacket, data_len), 200);
    g_assert_true(parse_packet(body, len, &info));

    /* PPIs outside the message */
    stl_le_p(body + offsetof(RndisPacket, per_pkt_info_offset), len);
    g_assert_false(parse_packet(body, len, &info));
    stl_le_p(body + offsetof(RndisPacket, per_pkt_info_offset), 36);
    stl_le_p(body + offsetof(RndisPacket, per_pkt_info_len), UINT32_MAX);
    g_assert_false(parse_packet(body, len, &info));
    stl_le_p(body + offsetof(RndisPacket, per_pkt_info_len), 48);

    /* A PPI record of size 0 (Linux's own parser spins on it) */
    stl_le_p(body + 36 + 16, 0);
    g_assert_false(parse_packet(body, len, &info));
    /* Larger than what is left of the PPIs */
    stl_le_p(body + 36 + 16, 33);
    g_assert_false(parse_packet(body, len, &info));
    /* Its value beyond the record */
    stl_le_p(body + 36 + 16, 16);
    stl_le_p(body + 36 + 16 + 8, 13);
    g_assert_false(parse_packet(body, len, &info));
    stl_le_p(body + 36 + 16 + 8, UINT32_MAX);
    g_assert_false(parse_packet(body, len, &info));
    stl_le_p(body + 36 + 16 + 8, 12);
    g_assert_true(parse_packet(body, len, &info));
}

/* QUERY and SET requests */

static void test_request(void)
{
    uint8_t body[BUF_MAX] = { 0 };
    const char *why = NULL;
    RndisRequest req;

    /* As rndis_filter_query_device() for the offload capabilities */
    stl_le_p(body, 7);
    stl_le_p(body + 4, OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES);
    stl_le_p(body + 8, 156);
    stl_le_p(body + 12, 20);
    g_assert_cmpint(rndis_parse_request(body, 20 + 156, &req, &why), ==, 0);
    g_assert_cmpuint(le32_to_cpu(req.req_id), ==, 7);
    g_assert_cmpuint(req.oid, ==, OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES);
    g_assert_true(req.info == body + 20);
    g_assert_cmpuint(req.info_len, ==, 156);

    /* The buffer past the end, or overlapping the request */
    g_assert_cmpint(rndis_parse_request(body, 20 + 155, &req, &why), ==,
                    -EINVAL);
    g_assert_cmpuint(le32_to_cpu(req.req_id), ==, 7);
    stl_le_p(body + 12, 16);
    g_assert_cmpint(rndis_parse_request(body, 200, &req, &why), ==, -EINVAL);
    stl_le_p(body + 12, UINT32_MAX);
    g_assert_cmpint(rndis_parse_request(body, 200, &req, &why), ==, -EINVAL);
    /* An empty buffer needs no offset */
    stl_le_p(body + 8, 0);
    g_assert_cmpint(rndis_parse_request(body, 20, &req, &why), ==, 0);
    g_assert_cmpuint(req.info_len, ==, 0);
    /* Too short for the request, or even for its id */
    g_assert_cmpint(rndis_parse_request(body, 19, &req, &why), ==, -EINVAL);
    g_assert_cmpint(rndis_parse_request(body, 3, &req, &why), ==,
                    -EMSGSIZE);
}

/* OID_TCP_OFFLOAD_PARAMETERS */

static void test_offload_params(void)
{
    NdisOffloadParams p = { 0 };
    NetvspOffloads on = { 0 };

    /* As rndis_netdev_set_hwcaps() with everything offered */
    p.ip_v4_csum = NDIS_OFFLOAD_PARAMETERS_TX_RX_DISABLED;
    p.tcp_ip_v4_csum = NDIS_OFFLOAD_PARAMETERS_TX_RX_ENABLED;
    p.udp_ip_v4_csum = NDIS_OFFLOAD_PARAMETERS_TX_RX_ENABLED;
    p.tcp_ip_v6_csum = NDIS_OFFLOAD_PARAMETERS_TX_RX_ENABLED;
    p.lso_v2_ipv4 = NDIS_OFFLOAD_PARAMETERS_LSOV2_ENABLED;
    p.lso_v2_ipv6 = NDIS_OFFLOAD_PARAMETERS_LSOV2_ENABLED;
    g_assert_cmpuint(rndis_parse_offload_params((uint8_t *)&p, sizeof(p),
                                                &on), ==,
                     RNDIS_STATUS_SUCCESS);
    g_assert_true(on.tx_csum_tcp4 && on.tx_csum_udp4 && on.tx_csum_tcp6);
    g_assert_false(on.tx_csum_udp6);
    g_assert_true(on.rx_csum_tcp4 && on.rx_csum_udp4 && on.rx_csum_tcp6);
    g_assert_false(on.rx_csum_udp6);
    g_assert_true(on.lso4 && on.lso6);
    /* Each direction on its own; NO_CHANGE keeps both */
    p.tcp_ip_v4_csum = NDIS_OFFLOAD_PARAMETERS_RX_ENABLED_TX_DISABLED;
    p.udp_ip_v4_csum = NDIS_OFFLOAD_PARAMETERS_TX_ENABLED_RX_DISABLED;
    p.tcp_ip_v6_csum = NDIS_OFFLOAD_PARAMETERS_NO_CHANGE;
    g_assert_cmpuint(rndis_parse_offload_params((uint8_t *)&p, sizeof(p),
                                                &on), ==,
                     RNDIS_STATUS_SUCCESS);
    g_assert_true(!on.tx_csum_tcp4 && on.rx_csum_tcp4);
    g_assert_true(on.tx_csum_udp4 && !on.rx_csum_udp4);
    g_assert_true(on.tx_csum_tcp6 && on.rx_csum_tcp6);
    p.tcp_ip_v4_csum = NDIS_OFFLOAD_PARAMETERS_TX_RX_ENABLED;
    p.udp_ip_v4_csum = NDIS_OFFLOAD_PARAMETERS_TX_RX_ENABLED;
    /* NVSP 4 guests send 22 bytes */
    p.lso_v2_ipv6 = NDIS_OFFLOAD_PARAMETERS_LSOV2_DISABLED;
    g_assert_cmpuint(rndis_parse_offload_params((uint8_t *)&p,
                                                NDIS_OFFLOAD_PARAMS_SIZE_V4,
                                                &on), ==,
                     RNDIS_STATUS_SUCCESS);
    g_assert_false(on.lso6);

    /* Nonsense values change nothing */
    p.tcp_ip_v4_csum = 9;
    p.lso_v2_ipv6 = NDIS_OFFLOAD_PARAMETERS_LSOV2_ENABLED;
    g_assert_cmpuint(rndis_parse_offload_params((uint8_t *)&p, sizeof(p),
                                                &on), ==,
                     RNDIS_STATUS_INVALID_DATA);
    g_assert_false(on.lso6);
    p.tcp_ip_v4_csum = NDIS_OFFLOAD_PARAMETERS_NO_CHANGE;
    /* What is not offered cannot be turned on */
    p.rsc_ip_v4 = 2;
    g_assert_cmpuint(rndis_parse_offload_params((uint8_t *)&p, sizeof(p),
                                                &on), ==,
                     RNDIS_STATUS_NOT_SUPPORTED);
    p.rsc_ip_v4 = 0;
    p.ip_v4_csum = NDIS_OFFLOAD_PARAMETERS_TX_RX_ENABLED;
    g_assert_cmpuint(rndis_parse_offload_params((uint8_t *)&p, sizeof(p),
                                                &on), ==,
                     RNDIS_STATUS_NOT_SUPPORTED);
    g_assert_false(on.lso6);
    /* Too short */
    g_assert_cmpuint(rndis_parse_offload_params((uint8_t *)&p, 12, &on), ==,
                     RNDIS_STATUS_INVALID_LENGTH);
}

/* OID_GEN_RNDIS_CONFIG_PARAMETER "NetworkAddress" */

static uint32_t put_utf16(uint8_t *buf, const char *s)
{
    uint32_t i;

    for (i = 0; s[i]; i++) {
        stw_le_p(buf + 2 * i, s[i]);
    }
    return 2 * i;
}

/* As rndis_filter_set_device_mac(); returns the length */
static uint32_t make_config(uint8_t *buf, const char *name,
                            const char *value)
{
    uint32_t name_len, val_len;

    memset(buf, 0, BUF_MAX);
    name_len = put_utf16(buf + 20, name);
    val_len = put_utf16(buf + 20 + name_len, value);
    stl_le_p(buf, 20);
    stl_le_p(buf + 4, name_len);
    stl_le_p(buf + 8, RNDIS_CONFIG_PARAM_TYPE_STRING);
    stl_le_p(buf + 12, 20 + name_len);
    stl_le_p(buf + 16, val_len);
    return 20 + name_len + val_len;
}

static uint32_t parse_address(const uint8_t *buf, uint32_t len,
                              uint8_t *mac)
{
    g_autofree uint8_t *copy = g_memdup2(buf, len);

    return rndis_parse_network_address(copy, len, mac);
}

/* Received frames: pure TCP ACKs and which ones supersede others */

/* Ethernet + IPv4 + TCP: flags, @opt_len bytes of options, @data bytes */
static size_t make_tcp4(uint8_t *f, uint16_t sport, uint32_t seq, uint32_t ack,
                        uint8_t flags, const uint8_t *opt, size_t opt_len,
                        size_t data)
{
    size_t tcp_len = 20 + opt_len, l3 = 20 + tcp_len + data;

    memset(f, 0, 14 + l3);
    stw_be_p(f + 12, 0x0800);
    f[14] = 0x45;
    stw_be_p(f + 16, l3);
    stw_be_p(f + 20, 0x4000);          /* DF */
    f[22] = 64;
    f[23] = 6;
    stl_be_p(f + 26, 0x0a00020f);
    stl_be_p(f + 30, 0x0a000202);
    stw_be_p(f + 34, sport);
    stw_be_p(f + 36, 5201);
    stl_be_p(f + 38, seq);
    stl_be_p(f + 42, ack);
    f[46] = (tcp_len / 4) << 4;
    f[47] = flags;
    stw_be_p(f + 48, 65535);
    if (opt_len) {
        memcpy(f + 54, opt, opt_len);
    }
    return 14 + l3;
}

/* Ethernet + IPv6 + TCP, no options, @next as the next header */
static size_t make_tcp6(uint8_t *f, uint32_t ack, uint8_t next)
{
    memset(f, 0, 14 + 40 + 20);
    stw_be_p(f + 12, 0x86dd);
    f[14] = 0x60;
    stw_be_p(f + 18, 20);
    f[20] = next;
    f[21] = 64;
    f[22] = 0xfe;
    f[23] = 0x80;
    f[53] = 1;                          /* ::1 as the destination */
    stw_be_p(f + 54, 40000);
    stw_be_p(f + 56, 22);
    stl_be_p(f + 58, 7);
    stl_be_p(f + 62, ack);
    f[66] = 5 << 4;
    f[67] = 0x10;
    return 14 + 40 + 20;
}

static void test_pure_ack(void)
{
    static const uint8_t ts[12] = { 1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2 };
    static const uint8_t sack[12] = { 1, 1, 5, 10, 0, 0, 0, 1, 0, 0, 0, 2 };
    uint8_t f[256];
    NetvspTcpAck a, b;
    size_t len, cut;

    /* what slirp sends: 54 bytes; with Ethernet padding to 60 */
    len = make_tcp4(f, 40000, 100, 5000, 0x10, NULL, 0, 0);
    g_assert_cmpuint(len, ==, 54);
    g_assert_true(netvsp_parse_pure_ack(f, len, &a));
    g_assert_cmpuint(a.addr_len, ==, 4);
    g_assert_cmpuint(a.sport, ==, 40000);
    g_assert_cmpuint(a.dport, ==, 5201);
    g_assert_cmpuint(a.seq, ==, 100);
    g_assert_cmpuint(a.ack, ==, 5000);
    g_assert_cmpuint(ldl_be_p(a.saddr), ==, 0x0a00020f);
    g_assert_true(netvsp_parse_pure_ack(f, 60, &b));
    /* every shorter frame is refused */
    for (cut = 0; cut < len; cut++) {
        g_assert_false(netvsp_parse_pure_ack(f, cut, &b));
    }

    /* timestamps are fine, SACK blocks are not */
    len = make_tcp4(f, 40000, 100, 5000, 0x10, ts, sizeof(ts), 0);
    g_assert_true(netvsp_parse_pure_ack(f, len, &b));
    len = make_tcp4(f, 40000, 100, 5000, 0x10, sack, sizeof(sack), 0);
    g_assert_false(netvsp_parse_pure_ack(f, len, &b));

    /* data, or any flag besides ACK */
    len = make_tcp4(f, 40000, 100, 5000, 0x10, NULL, 0, 1);
    g_assert_false(netvsp_parse_pure_ack(f, len, &b));
    len = make_tcp4(f, 40000, 100, 5000, 0x18, NULL, 0, 0);       /* PSH */
    g_assert_false(netvsp_parse_pure_ack(f, len, &b));
    len = make_tcp4(f, 40000, 100, 5000, 0x11, NULL, 0, 0);       /* FIN */
    g_assert_false(netvsp_parse_pure_ack(f, len, &b));
    len = make_tcp4(f, 40000, 100, 5000, 0x12, NULL, 0, 0);       /* SYN */
    g_assert_false(netvsp_parse_pure_ack(f, len, &b));
    len = make_tcp4(f, 40000, 100, 5000, 0x50, NULL, 0, 0);       /* ECE */
    g_assert_false(netvsp_parse_pure_ack(f, len, &b));

    /* headers that lie */
    len = make_tcp4(f, 40000, 100, 5000, 0x10, NULL, 0, 0);
    f[20] |= 0x20;                      /* more fragments */
    g_assert_false(netvsp_parse_pure_ack(f, len, &b));
    len = make_tcp4(f, 40000, 100, 5000, 0x10, NULL, 0, 0);
    stw_be_p(f + 16, 200);              /* IP length past the frame */
    g_assert_false(netvsp_parse_pure_ack(f, len, &b));
    len = make_tcp4(f, 40000, 100, 5000, 0x10, NULL, 0, 0);
    f[46] = 15 << 4;                    /* TCP header past the datagram */
    g_assert_false(netvsp_parse_pure_ack(f, len, &b));
    len = make_tcp4(f, 40000, 100, 5000, 0x10, NULL, 0, 0);
    f[14] = 0x44;                       /* IHL below 5 */
    g_assert_false(netvsp_parse_pure_ack(f, len, &b));
    len = make_tcp4(f, 40000, 100, 5000, 0x10, NULL, 0, 0);
    f[23] = 17;                         /* UDP */
    g_assert_false(netvsp_parse_pure_ack(f, len, &b));
    len = make_tcp4(f, 40000, 100, 5000, 0x10, NULL, 0, 0);
    stw_be_p(f + 12, 0x8100);           /* a VLAN tag */
    g_assert_false(netvsp_parse_pure_ack(f, len, &b));

    /* IPv6, and an extension header before TCP */
    len = make_tcp6(f, 9, 6);
    g_assert_true(netvsp_parse_pure_ack(f, len, &b));
    g_assert_cmpuint(b.addr_len, ==, 16);
    g_assert_cmpuint(b.daddr[15], ==, 1);
    g_assert_cmpuint(b.ack, ==, 9);
    for (cut = 0; cut < len; cut++) {
        g_assert_false(netvsp_parse_pure_ack(f, cut, &b));
    }
    len = make_tcp6(f, 9, 0);
    g_assert_false(netvsp_parse_pure_ack(f, len, &b));
}

static void test_ack_supersedes(void)
{
    uint8_t f[128];
    NetvspTcpAck a, b;

    make_tcp4(f, 40000, 100, 5000, 0x10, NULL, 0, 0);
    g_assert_true(netvsp_parse_pure_ack(f, 54, &a));
    b = a;
    /* a duplicate ACK is news to the receiving TCP */
    g_assert_false(netvsp_ack_supersedes(&a, &b));
    b.ack = a.ack + 1460;
    g_assert_true(netvsp_ack_supersedes(&a, &b));
    g_assert_false(netvsp_ack_supersedes(&b, &a));
    /* across the wrap of the sequence space */
    a.ack = 0xfffffff0;
    b.ack = 0x10;
    g_assert_true(netvsp_ack_supersedes(&a, &b));
    b.ack = a.ack + 0x80000000u;
    g_assert_false(netvsp_ack_supersedes(&a, &b));
    /* another connection, or a segment that is not the same */
    b.ack = a.ack + 1;
    b.sport++;
    g_assert_false(netvsp_ack_supersedes(&a, &b));
    b.sport--;
    b.seq++;
    g_assert_false(netvsp_ack_supersedes(&a, &b));
    b.seq--;
    b.daddr[0] ^= 1;
    g_assert_false(netvsp_ack_supersedes(&a, &b));
    b.daddr[0] ^= 1;
    make_tcp6(f, a.ack + 1, 6);
    g_assert_true(netvsp_parse_pure_ack(f, 74, &b));
    g_assert_false(netvsp_ack_supersedes(&a, &b));
}

static void test_network_address(void)
{
    static const uint8_t want[6] = { 0x52, 0x54, 0x00, 0xab, 0xcd, 0xef };
    uint8_t buf[BUF_MAX], mac[6] = { 0 };
    uint32_t len;

    len = make_config(buf, "NetworkAddress", "525400ABcdef");
    g_assert_cmpuint(parse_address(buf, len, mac), ==, RNDIS_STATUS_SUCCESS);
    g_assert_cmpmem(mac, 6, want, 6);

    len = make_config(buf, "NetworkAddresz", "525400abcdef");
    g_assert_cmpuint(parse_address(buf, len, mac), ==,
                     RNDIS_STATUS_NOT_SUPPORTED);
    len = make_config(buf, "NetworkAddress", "525400abcde");
    g_assert_cmpuint(parse_address(buf, len, mac), ==,
                     RNDIS_STATUS_INVALID_DATA);
    len = make_config(buf, "NetworkAddress", "525400abcdeg");
    g_assert_cmpuint(parse_address(buf, len, mac), ==,
                     RNDIS_STATUS_INVALID_DATA);
    /* multicast, all zeroes */
    len = make_config(buf, "NetworkAddress", "535400abcdef");
    g_assert_cmpuint(parse_address(buf, len, mac), ==,
                     RNDIS_STATUS_INVALID_DATA);
    len = make_config(buf, "NetworkAddress", "000000000000");
    g_assert_cmpuint(parse_address(buf, len, mac), ==,
                     RNDIS_STATUS_INVALID_DATA);
    g_assert_cmpmem(mac, 6, want, 6);

    /* Strings outside the record, odd UTF-16 lengths */
    len = make_config(buf, "NetworkAddress", "525400abcdef");
    stl_le_p(buf + 12, len);
    stl_le_p(buf + 16, 2);
    g_assert_cmpuint(parse_address(buf, len, mac), ==,
                     RNDIS_STATUS_INVALID_LENGTH);
    stl_le_p(buf + 12, UINT32_MAX);
    g_assert_cmpuint(parse_address(buf, len, mac), ==,
                     RNDIS_STATUS_INVALID_LENGTH);
    len = make_config(buf, "NetworkAddress", "525400abcdef");
    stl_le_p(buf + 4, 27);
    g_assert_cmpuint(parse_address(buf, len, mac), ==,
                     RNDIS_STATUS_NOT_SUPPORTED);
    g_assert_cmpuint(parse_address(buf, 19, mac), ==,
                     RNDIS_STATUS_INVALID_LENGTH);
}

/* NVSP message sizes */

static void test_nvsp_sizes(void)
{
    g_assert_cmpuint(nvsp_msg_min_size(NVSP_MSG_TYPE_INIT), ==, 12);
    g_assert_cmpuint(nvsp_msg_min_size(NVSP_MSG1_TYPE_SEND_RECV_BUF), ==,
                     10);
    g_assert_cmpuint(nvsp_msg_min_size(NVSP_MSG1_TYPE_SEND_RNDIS_PKT), ==,
                     16);
    g_assert_cmpuint(nvsp_msg_min_size(NVSP_MSG2_TYPE_SEND_NDIS_CONFIG), ==,
                     20);
    g_assert_cmpuint(nvsp_msg_min_size(12345), ==, 4);
    /* Linux always sends a whole struct nvsp_message */
    g_assert_cmpuint(nvsp_msg_min_size(NVSP_MSG5_TYPE_SUBCHANNEL), <=,
                     sizeof(NvspMessage));
}

/*
 * Fuzz briefly: mutated Linux-shaped messages and random bytes, each in a
 * buffer of its exact size so that a read past the end is caught (by
 * valgrind or ASan when built with them). Whatever is accepted must lie
 * inside the buffer.
 */
static void test_fuzz(void)
{
    GRand *rand = g_rand_new_with_seed(0x4e565350);
    uint8_t buf[BUF_MAX];
    int i;

    for (i = 0; i < 100000; i++) {
        uint32_t len, j, flips, pos = 0, type, body_len;
        g_autofree uint8_t *copy = NULL;
        const char *why = NULL;
        RndisPacketInfo info;
        NetvspOffloads on = { 0 };
        RndisRequest req;
        uint8_t *body, mac[6];
        GpaLog log;

        switch (g_rand_int_range(rand, 0, 4)) {
        case 0:
            len = make_packet(buf, g_rand_int_range(rand, 0, 300),
                              g_rand_boolean(rand), g_rand_boolean(rand),
                              g_rand_boolean(rand));
            break;
        case 1:
            len = make_config(buf, "NetworkAddress", "525400abcdef");
            break;
        default:
            len = g_rand_int_range(rand, 0, 300);
            for (j = 0; j < len; j++) {
                buf[j] = g_rand_int_range(rand, 0, 3) ? g_rand_int(rand) : 0;
            }
            break;
        }
        flips = g_rand_int_range(rand, 0, 4);
        for (j = 0; j < flips && len; j++) {
            buf[g_rand_int_range(rand, 0, len)] = g_rand_int(rand);
        }
        if (!g_rand_int_range(rand, 0, 4)) {
            len = g_rand_int_range(rand, 0, len + 1);
        }
        copy = g_memdup2(buf, len);

        if (rndis_parse_packet(copy, len, &info, &why)) {
            g_assert_cmpuint(info.data_offset + (uint64_t)info.data_len, <=,
                             len);
        }
        if (rndis_parse_request(copy, len, &req, &why) == 0) {
            g_assert_cmpuint(req.info - copy + (uint64_t)req.info_len, <=,
                             len);
        }
        rndis_parse_offload_params(copy, len, &on);
        rndis_parse_network_address(copy, len, mac);
        while (rndis_next_message(copy, len, &pos, &type, &body,
                                  &body_len, &why) > 0) {
            g_assert_cmpuint(body - copy + (uint64_t)body_len, <=, len);
        }
        memset(&log, 0, sizeof(log));
        log.refuse_at = -1;
        if (nvsp_walk_gpa_ranges(copy, len, 65536, gpa_log, &log,
                                 &why) >= 0) {
            g_assert_cmpuint(log.total, <=, 65536);
        }
    }
    g_rand_free(rand);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/netvsp-parse/nvsp-sizes", test_nvsp_sizes);
    g_test_add_func("/netvsp-parse/gpa-ranges", test_gpa_ranges);
    g_test_add_func("/netvsp-parse/rndis-framing", test_rndis_framing);
    g_test_add_func("/netvsp-parse/packet", test_packet);
    g_test_add_func("/netvsp-parse/request", test_request);
    g_test_add_func("/netvsp-parse/offload-params", test_offload_params);
    g_test_add_func("/netvsp-parse/network-address", test_network_address);
    g_test_add_func("/netvsp-parse/pure-ack", test_pure_ack);
    g_test_add_func("/netvsp-parse/ack-supersedes", test_ack_supersedes);
    g_test_add_func("/netvsp-parse/fuzz", test_fuzz);
    return g_test_run();
}
