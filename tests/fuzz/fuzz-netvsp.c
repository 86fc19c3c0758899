/*
 * qemu-hvpart fuzzer: NVSP and RNDIS input from the guest
 * (hw/netvsc-vsp/netvsp-parse.c), as the vmbus-net device takes it.
 *
 * Input: records of one selector byte, then a packet (see fuzz-util.h):
 *   0: an NVSP message (the payload of an in-band packet): its minimum size;
 *      the same bytes as a frame from the netdev, for the ACK coalescing
 *      of received frames;
 *   1: the range list of a GPA_DIRECT packet, walked as the device copies
 *      an RNDIS transfer out of guest memory (a fake 1 GiB guest RAM);
 *   2: an RNDIS transfer (the send buffer section or the copied ranges):
 *      every message in it, data packets with their per-packet info,
 *      QUERY and SET requests with their information buffers, and the
 *      OIDs whose buffers the device parses (offload parameters, a new
 *      MAC address).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "fuzz-util.h"
#include "qemu/units.h"
#include "hw/vmbus/vmbus-proto.h"
#include "hw/netvsc-vsp/netvsp-parse.h"

/* What vmbus-net allows for one RNDIS transfer (NETVSP_TX_BUF_SIZE). */
#define FUZZ_TX_MAX             (128 * KiB)
/* Guest RAM: a range beyond it is "not readable". */
#define FUZZ_RAM_SIZE           (1 * GiB)

static void fuzz_nvsp(const uint8_t *buf, uint32_t len)
{
    uint32_t min;

    if (len < sizeof(uint32_t)) {
        return;
    }
    min = nvsp_msg_min_size(ldl_le_p(buf));
    /* the type is always there; the device copies at most one message */
    FUZZ_CHECK(min >= sizeof(uint32_t));
    FUZZ_CHECK(min <= sizeof(NvspMessage));
}

static void fuzz_frame(const uint8_t *buf, uint32_t len)
{
    NetvspTcpAck a, b;
    size_t tcp;

    if (!netvsp_parse_pure_ack(buf, len, &a)) {
        return;
    }
    /* Ethernet, an IP header and a TCP header at least */
    FUZZ_CHECK(len >= 14 + 20 + 20);
    FUZZ_CHECK(a.addr_len == 4 || a.addr_len == 16);
    tcp = 14 + (a.addr_len == 4 ? (buf[14] & 0xf) * 4 : 40);
    FUZZ_CHECK(tcp + 20 <= len);
    FUZZ_CHECK(buf[tcp + 13] == 0x10);
    FUZZ_CHECK(a.sport == lduw_be_p(buf + tcp));
    FUZZ_CHECK(a.ack == ldl_be_p(buf + tcp + 8));
    /* an ACK never supersedes itself; one further on always does */
    FUZZ_CHECK(!netvsp_ack_supersedes(&a, &a));
    b = a;
    b.ack++;
    FUZZ_CHECK(netvsp_ack_supersedes(&a, &b));
    FUZZ_CHECK(!netvsp_ack_supersedes(&b, &a));
}

typedef struct FuzzWalk {
    uint64_t total;
    uint32_t chunks;
} FuzzWalk;

static bool fuzz_gpa_chunk(uint64_t gpa, uint32_t len, void *opaque)
{
    FuzzWalk *w = opaque;

    /* one piece of one page, never empty */
    FUZZ_CHECK(len >= 1);
    FUZZ_CHECK(len <= 4096 - gpa % 4096);
    /* the last byte does not wrap (the end may be 2^64 exactly) */
    FUZZ_CHECK(gpa <= UINT64_MAX - (len - 1));
    if (gpa >= FUZZ_RAM_SIZE || len > FUZZ_RAM_SIZE - gpa) {
        return false;
    }
    w->total += len;
    w->chunks++;
    return true;
}

static void fuzz_gpa_direct(const uint8_t *buf, uint32_t len, uint32_t max)
{
    FuzzWalk w = { 0 };
    const char *why = NULL;
    int64_t ret;

    ret = nvsp_walk_gpa_ranges(buf, len, max, fuzz_gpa_chunk, &w, &why);
    if (ret < 0) {
        FUZZ_CHECK(ret == -EINVAL && why != NULL);
        return;
    }
    FUZZ_CHECK((uint64_t)ret == w.total);
    FUZZ_CHECK(ret <= max);
    /* a range of n bytes is at most n pages: a chunk carries >= 1 byte */
    FUZZ_CHECK(w.chunks <= w.total);
}

/*
 * The same body cut one byte short of where the frame ends: now the frame
 * lies outside it, and the parser must say so. An accepted message thus
 * probes the exact boundary of each length check, which random inputs
 * rarely hit.
 */
static void fuzz_packet_cut(const uint8_t *body, uint32_t end)
{
    RndisPacketInfo info;
    const char *why = NULL;
    uint8_t *cut;

    if (end <= sizeof(RndisPacket)) {
        return;
    }
    cut = malloc(end - 1);
    memcpy(cut, body, end - 1);
    FUZZ_CHECK(!rndis_parse_packet(cut, end - 1, &info, &why));
    free(cut);
}

/* Likewise for the information buffer of a request */
static void fuzz_request_cut(const uint8_t *body, uint32_t end)
{
    RndisRequest req;
    const char *why = NULL;
    uint8_t *cut;

    cut = malloc(end - 1);
    memcpy(cut, body, end - 1);
    FUZZ_CHECK(rndis_parse_request(cut, end - 1, &req, &why) < 0);
    free(cut);
}

static void fuzz_request(uint32_t type, const uint8_t *body, uint32_t len)
{
    RndisRequest req;
    NetvspOffloads on = { 0 }, before;
    const char *why = NULL;
    uint8_t mac[6] = { 0 };
    uint32_t status;
    int ret;

    ret = rndis_parse_request(body, len, &req, &why);
    if (ret == -EMSGSIZE) {
        FUZZ_CHECK(len < sizeof(uint32_t) && why != NULL);
        return;
    }
    FUZZ_CHECK(len >= sizeof(uint32_t));
    FUZZ_CHECK(req.req_id == ldl_he_p(body));
    if (ret < 0) {
        FUZZ_CHECK(ret == -EINVAL && why != NULL && req.info_len == 0);
        return;
    }
    FUZZ_CHECK(ret == 0);
    FUZZ_CHECK(FUZZ_INSIDE(req.info, req.info_len, body, len));
    if (req.info_len) {
        /* the buffer never overlaps the request's own fields */
        FUZZ_CHECK(req.info >= body + sizeof(RndisQueryRequest));
        fuzz_request_cut(body, req.info - body + req.info_len);
    }
    if (type != RNDIS_MSG_SET) {
        return;
    }
    switch (req.oid) {
    case OID_TCP_OFFLOAD_PARAMETERS:
        on.tx_csum_tcp4 = req.req_id & 1;
        before = on;
        status = rndis_parse_offload_params(req.info, req.info_len, &on);
        if (status != RNDIS_STATUS_SUCCESS) {
            /* a refused setting changes nothing */
            FUZZ_CHECK(!memcmp(&on, &before, sizeof(on)));
        }
        break;
    case OID_GEN_RNDIS_CONFIG_PARAMETER:
        status = rndis_parse_network_address(req.info, req.info_len, mac);
        if (status == RNDIS_STATUS_SUCCESS) {
            static const uint8_t zero[6];

            FUZZ_CHECK(!(mac[0] & 1));
            FUZZ_CHECK(memcmp(mac, zero, sizeof(zero)));
        } else {
            static const uint8_t zero[6];

            FUZZ_CHECK(!memcmp(mac, zero, sizeof(zero)));
        }
        break;
    default:
        break;
    }
}

static void fuzz_rndis(uint8_t *buf, uint32_t len)
{
    uint32_t pos = 0, prev, type = 0, body_len = 0;
    const char *why = NULL;
    uint8_t *body = NULL;
    int ret;

    for (;;) {
        prev = pos;
        ret = rndis_next_message(buf, len, &pos, &type, &body, &body_len,
                                 &why);
        if (ret <= 0) {
            FUZZ_CHECK(ret == 0 ? prev >= len : why != NULL);
            break;
        }
        FUZZ_CHECK(ret == 1);
        /* the walk moves on, and the message lies where it says */
        FUZZ_CHECK(pos > prev && pos <= len);
        FUZZ_CHECK(body == buf + prev + sizeof(RndisHeader));
        FUZZ_CHECK(body_len == pos - prev - sizeof(RndisHeader));
        FUZZ_CHECK(type == ldl_le_p(buf + prev));

        switch (type) {
        case RNDIS_MSG_PACKET: {
            RndisPacketInfo info;

            why = NULL;
            if (rndis_parse_packet(body, body_len, &info, &why)) {
                FUZZ_CHECK(body_len >= sizeof(RndisPacket));
                FUZZ_CHECK(FUZZ_INSIDE(body + info.data_offset,
                                       info.data_len, body, body_len));
                fuzz_packet_cut(body, info.data_offset + info.data_len);
            } else {
                FUZZ_CHECK(why != NULL);
            }
            break;
        }
        case RNDIS_MSG_QUERY:
        case RNDIS_MSG_SET:
            fuzz_request(type, body, body_len);
            break;
        default:
            break;
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FuzzInput in = { data, size };
    uint8_t *pkt;
    uint32_t len;
    uint8_t sel;

    for (;;) {
        sel = fuzz_u8(&in);
        pkt = fuzz_next_packet(&in, &len);
        if (!pkt) {
            break;
        }
        switch (sel % 3) {
        case 0:
            fuzz_nvsp(pkt, len);
            fuzz_frame(pkt, len);
            break;
        case 1:
            /* bit 7: a transfer that began in the send buffer */
            fuzz_gpa_direct(pkt, len, sel & 0x80 ? FUZZ_TX_MAX - 4096
                                                 : FUZZ_TX_MAX);
            break;
        default:
            fuzz_rndis(pkt, len);
            break;
        }
        free(pkt);
    }
    return 0;
}
