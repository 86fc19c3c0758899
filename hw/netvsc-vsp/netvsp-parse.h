/*
 * qemu-hvpart: NVSP and RNDIS input from the guest, decoded and checked.
 *
 * Pure protocol code, without QEMU device plumbing, so that unit tests and
 * fuzzers can drive it (tests/unit/test-netvsp-parse.c). Every function
 * takes bytes the host copied out of guest memory, checks each size and
 * offset the guest wrote against what it sent, and returns values in host
 * byte order, pointers only into the given buffer. A failure names its
 * reason in *@why (a static string, for a trace event).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_NETVSC_VSP_NETVSP_PARSE_H
#define HW_NETVSC_VSP_NETVSP_PARSE_H

#include "hw/netvsc-vsp/nvsp-proto.h"
#include "hw/netvsc-vsp/rndis-proto.h"

/* The least payload a guest message of NVSP @type needs. */
uint32_t nvsp_msg_min_size(uint32_t type);

/*
 * The range list of a GPA_DIRECT packet (@ext, @ext_len bytes after the
 * packet descriptor): calls @fn for each piece of guest memory in order,
 * at most one page each, as long as it returns true. At most @max bytes
 * in all. Returns the byte count, or -EINVAL with *@why (a bad range list,
 * more than @max bytes, or @fn said no).
 */
typedef bool NvspGpaChunkFn(uint64_t gpa, uint32_t len, void *opaque);
int64_t nvsp_walk_gpa_ranges(const uint8_t *ext, uint32_t ext_len,
                             uint32_t max, NvspGpaChunkFn *fn, void *opaque,
                             const char **why);

/*
 * The next RNDIS message of @buf (@len bytes) at *@pos: its type, body and
 * body length (after the 8-byte header). Moves *@pos past it. Returns 1,
 * 0 at the end of the buffer, -EINVAL with *@why for a bad length.
 */
int rndis_next_message(uint8_t *buf, uint32_t len, uint32_t *pos,
                       uint32_t *type, uint8_t **body, uint32_t *body_len,
                       const char **why);

/* A data packet (RNDIS_MSG_PACKET), decoded */
typedef struct RndisPacketInfo {
    uint32_t data_offset;               /* of the frame, in the body */
    uint32_t data_len;
    bool has_csum;
    uint32_t csum;                      /* RNDIS_CSUM_TX_* */
    bool has_lso;
    uint32_t lso;                       /* RNDIS_LSO_* */
    bool has_vlan;
    uint32_t vlan;                      /* RNDIS_VLAN_* */
} RndisPacketInfo;

/* Decode the body of a data packet. False with *@why if it lies. */
bool rndis_parse_packet(const uint8_t *body, uint32_t len,
                        RndisPacketInfo *info, const char **why);

/* A QUERY or SET request, decoded */
typedef struct RndisRequest {
    uint32_t req_id;                    /* as the guest wrote it (LE) */
    uint32_t oid;
    const uint8_t *info;                /* the information buffer */
    uint32_t info_len;
} RndisRequest;

/*
 * Decode the body of a QUERY or SET. Returns 0; -EMSGSIZE if the body
 * cannot even hold the request id (no answer is possible); -EINVAL with
 * *@why if the information buffer lies outside the message (req_id is
 * set: answer with a failure).
 */
int rndis_parse_request(const uint8_t *body, uint32_t len, RndisRequest *req,
                        const char **why);

/*
 * Offloads the guest turned on with OID_TCP_OFFLOAD_PARAMETERS: checksums
 * on transmit (the host completes them) and on receive (the host tells
 * which are good), and LSO.
 */
typedef struct NetvspOffloads {
    bool tx_csum_tcp4;
    bool tx_csum_udp4;
    bool tx_csum_tcp6;
    bool tx_csum_udp6;
    bool rx_csum_tcp4;
    bool rx_csum_udp4;
    bool rx_csum_tcp6;
    bool rx_csum_udp6;
    bool lso4;
    bool lso6;
} NetvspOffloads;

/*
 * Apply an NDIS_OFFLOAD_PARAMETERS (@in, @len bytes) to *@on. Returns the
 * RNDIS status: *@on changes only on success. Turning on anything the
 * device does not offer (IP header checksum, LSO v1, IPsec, RSC...) is
 * RNDIS_STATUS_NOT_SUPPORTED.
 */
uint32_t rndis_parse_offload_params(const uint8_t *in, uint32_t len,
                                    NetvspOffloads *on);

/*
 * OID_GEN_RNDIS_CONFIG_PARAMETER: "NetworkAddress" set to twelve hex
 * digits (Linux, when the guest changes the MAC address). Returns the
 * RNDIS status; on success @mac holds a unicast, non-zero address.
 */
uint32_t rndis_parse_network_address(const uint8_t *in, uint32_t len,
                                     uint8_t mac[6]);

/*
 * A TCP segment that only acknowledges (no data; flags ACK alone; no
 * options but timestamps), in an Ethernet frame without a VLAN tag.
 */
typedef struct NetvspTcpAck {
    uint8_t addr_len;                   /* 4 (IPv4) or 16 (IPv6) */
    uint8_t saddr[16];
    uint8_t daddr[16];
    uint16_t sport;
    uint16_t dport;
    uint32_t seq;
    uint32_t ack;
} NetvspTcpAck;

/* Whether @frame (@len bytes) is such a segment; fills *@ack if so. */
bool netvsp_parse_pure_ack(const uint8_t *frame, size_t len,
                           NetvspTcpAck *ack);

/*
 * Whether @newer makes @older redundant: the same connection and
 * direction, and an acknowledgement number further on. A duplicate ACK
 * (the same number) never is: the receiving TCP counts those.
 */
bool netvsp_ack_supersedes(const NetvspTcpAck *older,
                           const NetvspTcpAck *newer);

#endif
