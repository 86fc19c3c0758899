/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * RNDIS wire format as the synthetic NIC carries it: control messages,
 * data packets with per-packet info (PPI), and the NDIS objects of the
 * OIDs a netvsc guest queries and sets.
 *
 * RNDIS messages travel inside NVSP SEND_RNDIS_PKT messages: guest to host
 * in a send buffer section and/or GPA_DIRECT page ranges, host to guest in
 * receive buffer sections named by XFER_PAGES packets. Every message starts
 * with RndisHeader; offsets inside a message body count from the start of
 * the body (just after the 8-byte header). Checked against the Linux guest
 * (include/linux/rndis.h, drivers/net/hyperv/hyperv_net.h of Linux 6.1);
 * all fields are little-endian, and the NDIS objects use natural alignment
 * as in Windows.
 */

#ifndef HW_NETVSC_VSP_RNDIS_PROTO_H
#define HW_NETVSC_VSP_RNDIS_PROTO_H

#define RNDIS_MAJOR_VERSION             1
#define RNDIS_MINOR_VERSION             0

/* RndisHeader.msg_type */
#define RNDIS_MSG_COMPLETION            0x80000000u
#define RNDIS_MSG_PACKET                0x00000001u
#define RNDIS_MSG_INIT                  0x00000002u
#define RNDIS_MSG_HALT                  0x00000003u
#define RNDIS_MSG_QUERY                 0x00000004u
#define RNDIS_MSG_SET                   0x00000005u
#define RNDIS_MSG_RESET                 0x00000006u
#define RNDIS_MSG_INDICATE              0x00000007u
#define RNDIS_MSG_KEEPALIVE             0x00000008u
#define RNDIS_MSG_INIT_C                (RNDIS_MSG_INIT | RNDIS_MSG_COMPLETION)
#define RNDIS_MSG_QUERY_C               (RNDIS_MSG_QUERY | RNDIS_MSG_COMPLETION)
#define RNDIS_MSG_SET_C                 (RNDIS_MSG_SET | RNDIS_MSG_COMPLETION)
#define RNDIS_MSG_RESET_C               (RNDIS_MSG_RESET | RNDIS_MSG_COMPLETION)
#define RNDIS_MSG_KEEPALIVE_C \
    (RNDIS_MSG_KEEPALIVE | RNDIS_MSG_COMPLETION)

/* Status codes (NDIS_STATUS_*) */
#define RNDIS_STATUS_SUCCESS            0x00000000u
#define RNDIS_STATUS_MEDIA_CONNECT      0x4001000bu
#define RNDIS_STATUS_MEDIA_DISCONNECT   0x4001000cu
#define RNDIS_STATUS_FAILURE            0xc0000001u
#define RNDIS_STATUS_NOT_SUPPORTED      0xc00000bbu
#define RNDIS_STATUS_NOT_ACCEPTED       0x00010003u
#define RNDIS_STATUS_INVALID_LENGTH     0xc0010014u
#define RNDIS_STATUS_INVALID_DATA       0xc0010015u
#define RNDIS_STATUS_BUFFER_TOO_SHORT   0xc0010016u

#define RNDIS_DF_CONNECTIONLESS         0x00000001u
#define RNDIS_MEDIUM_802_3              0x00000000u
#define RNDIS_MEDIA_STATE_CONNECTED     0
#define RNDIS_MEDIA_STATE_DISCONNECTED  1

/* Packet filter bits (OID_GEN_CURRENT_PACKET_FILTER) */
#define RNDIS_PACKET_TYPE_DIRECTED      0x00000001u
#define RNDIS_PACKET_TYPE_MULTICAST     0x00000002u
#define RNDIS_PACKET_TYPE_ALL_MULTICAST 0x00000004u
#define RNDIS_PACKET_TYPE_BROADCAST     0x00000008u
#define RNDIS_PACKET_TYPE_PROMISCUOUS   0x00000020u

/* OIDs */
#define OID_GEN_SUPPORTED_LIST          0x00010101u
#define OID_GEN_HARDWARE_STATUS         0x00010102u
#define OID_GEN_MEDIA_SUPPORTED         0x00010103u
#define OID_GEN_MEDIA_IN_USE            0x00010104u
#define OID_GEN_MAXIMUM_LOOKAHEAD       0x00010105u
#define OID_GEN_MAXIMUM_FRAME_SIZE      0x00010106u
#define OID_GEN_LINK_SPEED              0x00010107u
#define OID_GEN_TRANSMIT_BLOCK_SIZE     0x0001010au
#define OID_GEN_RECEIVE_BLOCK_SIZE      0x0001010bu
#define OID_GEN_VENDOR_ID               0x0001010cu
#define OID_GEN_VENDOR_DESCRIPTION      0x0001010du
#define OID_GEN_CURRENT_PACKET_FILTER   0x0001010eu
#define OID_GEN_CURRENT_LOOKAHEAD       0x0001010fu
#define OID_GEN_DRIVER_VERSION          0x00010110u
#define OID_GEN_MAXIMUM_TOTAL_SIZE      0x00010111u
#define OID_GEN_MAC_OPTIONS             0x00010113u
#define OID_GEN_MEDIA_CONNECT_STATUS    0x00010114u
#define OID_GEN_MAXIMUM_SEND_PACKETS    0x00010115u
#define OID_GEN_VENDOR_DRIVER_VERSION   0x00010116u
#define OID_GEN_PHYSICAL_MEDIUM         0x00010202u
#define OID_GEN_RNDIS_CONFIG_PARAMETER  0x0001021bu
#define OID_GEN_XMIT_OK                 0x00020101u
#define OID_GEN_RCV_OK                  0x00020102u
#define OID_GEN_XMIT_ERROR              0x00020103u
#define OID_GEN_RCV_ERROR               0x00020104u
#define OID_GEN_RCV_NO_BUFFER           0x00020105u
#define OID_GEN_FRIENDLY_NAME           0x00020216u
#define OID_GEN_RECEIVE_SCALE_CAPABILITIES 0x00010203u
#define OID_GEN_RECEIVE_SCALE_PARAMETERS   0x00010204u
#define OID_802_3_PERMANENT_ADDRESS     0x01010101u
#define OID_802_3_CURRENT_ADDRESS       0x01010102u
#define OID_802_3_MULTICAST_LIST        0x01010103u
#define OID_802_3_MAXIMUM_LIST_SIZE     0x01010104u
#define OID_OFFLOAD_ENCAPSULATION       0x0101010au
#define OID_TCP_OFFLOAD_CURRENT_CONFIG  0xfc01020bu
#define OID_TCP_OFFLOAD_PARAMETERS      0xfc01020cu
#define OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES 0xfc01020du

typedef struct RndisHeader {
    uint32_t msg_type;
    uint32_t msg_len;                   /* whole message, header included */
} QEMU_PACKED RndisHeader;

/* Control messages from the guest (after RndisHeader) */
typedef struct RndisInitRequest {
    uint32_t req_id;
    uint32_t major_ver;
    uint32_t minor_ver;
    uint32_t max_xfer_size;
} QEMU_PACKED RndisInitRequest;

typedef struct RndisQueryRequest {     /* also SET */
    uint32_t req_id;
    uint32_t oid;
    uint32_t info_buflen;
    uint32_t info_buf_offset;           /* from the start of this body */
    uint32_t dev_vc_handle;
} QEMU_PACKED RndisQueryRequest;

typedef struct RndisKeepaliveRequest {  /* also HALT */
    uint32_t req_id;
} QEMU_PACKED RndisKeepaliveRequest;

/* Host to guest (after RndisHeader) */
typedef struct RndisInitComplete {
    uint32_t req_id;
    uint32_t status;
    uint32_t major_ver;
    uint32_t minor_ver;
    uint32_t dev_flags;
    uint32_t medium;
    uint32_t max_pkt_per_msg;
    uint32_t max_xfer_size;
    uint32_t pkt_alignment_factor;      /* log2 of the alignment */
    uint32_t af_list_offset;
    uint32_t af_list_size;
} QEMU_PACKED RndisInitComplete;

typedef struct RndisQueryComplete {
    uint32_t req_id;
    uint32_t status;
    uint32_t info_buflen;
    uint32_t info_buf_offset;           /* from the start of this body */
} QEMU_PACKED RndisQueryComplete;

typedef struct RndisSetComplete {       /* also KEEPALIVE_C */
    uint32_t req_id;
    uint32_t status;
} QEMU_PACKED RndisSetComplete;

typedef struct RndisResetComplete {
    uint32_t status;
    uint32_t addressing_reset;
} QEMU_PACKED RndisResetComplete;

typedef struct RndisIndicateStatus {
    uint32_t status;
    uint32_t status_buflen;
    uint32_t status_buf_offset;
} QEMU_PACKED RndisIndicateStatus;

/* Data packets, both ways (after RndisHeader) */
typedef struct RndisPacket {
    uint32_t data_offset;               /* from the start of this body */
    uint32_t data_len;
    uint32_t oob_data_offset;
    uint32_t oob_data_len;
    uint32_t num_oob_data_elements;
    uint32_t per_pkt_info_offset;       /* from the start of this body */
    uint32_t per_pkt_info_len;
    uint32_t vc_handle;
    uint32_t reserved;
} QEMU_PACKED RndisPacket;

/* One per-packet info record; its value follows at ppi_offset */
typedef struct RndisPerPacketInfo {
    uint32_t size;                      /* record size, value included */
    uint32_t type;                      /* RNDIS_PPI_*, bit 31: internal */
    uint32_t ppi_offset;                /* of the value, in the record */
} QEMU_PACKED RndisPerPacketInfo;

#define RNDIS_PPI_INTERNAL              0x80000000u
#define RNDIS_PPI_TCPIP_CHKSUM          0
#define RNDIS_PPI_TCP_LARGESEND         2
#define RNDIS_PPI_IEEE_8021Q            6
#define RNDIS_PPI_NBL_HASH_VALUE        8
/* internal type 1: RNDIS_PKTINFO_ID (RSC fragments), not produced here */

/* RNDIS_PPI_TCPIP_CHKSUM, guest to host */
#define RNDIS_CSUM_TX_IPV4              (1u << 0)
#define RNDIS_CSUM_TX_IPV6              (1u << 1)
#define RNDIS_CSUM_TX_TCP               (1u << 2)
#define RNDIS_CSUM_TX_UDP               (1u << 3)
#define RNDIS_CSUM_TX_IP_HEADER         (1u << 4)
#define RNDIS_CSUM_TX_TCP_OFFSET(v)     (((v) >> 16) & 0x3ff)
/* RNDIS_PPI_TCPIP_CHKSUM, host to guest */
#define RNDIS_CSUM_RX_TCP_FAILED        (1u << 0)
#define RNDIS_CSUM_RX_UDP_FAILED        (1u << 1)
#define RNDIS_CSUM_RX_IP_FAILED         (1u << 2)
#define RNDIS_CSUM_RX_TCP_SUCCEEDED     (1u << 3)
#define RNDIS_CSUM_RX_UDP_SUCCEEDED     (1u << 4)
#define RNDIS_CSUM_RX_IP_SUCCEEDED      (1u << 5)

/* RNDIS_PPI_TCP_LARGESEND, LSO v2 transmit */
#define RNDIS_LSO_MSS(v)                ((v) & 0xfffff)
#define RNDIS_LSO_TCP_OFFSET(v)         (((v) >> 20) & 0x3ff)
#define RNDIS_LSO_TYPE_V2               (1u << 30)
#define RNDIS_LSO_IPV6                  (1u << 31)

/* RNDIS_PPI_IEEE_8021Q */
#define RNDIS_VLAN_PRI(v)               ((v) & 0x7)
#define RNDIS_VLAN_CFI(v)               (((v) >> 3) & 0x1)
#define RNDIS_VLAN_ID(v)                (((v) >> 4) & 0xfff)

/* NDIS objects */
typedef struct NdisObjectHeader {
    uint8_t type;
    uint8_t revision;
    uint16_t size;
} NdisObjectHeader;

#define NDIS_OBJECT_TYPE_DEFAULT        0x80
#define NDIS_OBJECT_TYPE_RSS_CAPABILITIES 0x88
#define NDIS_OBJECT_TYPE_RSS_PARAMETERS 0x89
#define NDIS_OBJECT_TYPE_OFFLOAD        0xa7

/* NDIS_RECEIVE_SCALE_CAPABILITIES: OID_GEN_RECEIVE_SCALE_CAPABILITIES */
#define NDIS_RSS_CAPS_REVISION_2        2
#define NDIS_RSS_CAPS_CLASSIFICATION_AT_DPC 0x04000000u
#define NDIS_RSS_CAPS_HASH_TYPE_TCP_IPV4    0x00000100u
#define NDIS_RSS_CAPS_HASH_TYPE_TCP_IPV6    0x00000200u

typedef struct NdisRssCaps {
    NdisObjectHeader header;
    uint32_t flags;
    uint32_t num_interrupt_messages;
    uint32_t num_receive_queues;
    uint16_t num_indirection_entries;
} QEMU_PACKED NdisRssCaps;

/* NDIS_RECEIVE_SCALE_PARAMETERS: OID_GEN_RECEIVE_SCALE_PARAMETERS */
#define NDIS_RSS_PARAM_FLAG_HASH_INFO_UNCHANGED 0x0002
#define NDIS_RSS_PARAM_FLAG_ITABLE_UNCHANGED    0x0004
#define NDIS_RSS_PARAM_FLAG_HASH_KEY_UNCHANGED  0x0008
#define NDIS_RSS_PARAM_FLAG_DISABLE_RSS         0x0010

#define NDIS_HASH_FUNC_MASK             0x000000ffu
#define NDIS_HASH_FUNC_TOEPLITZ         0x00000001u
#define NDIS_HASH_IPV4                  0x00000100u
#define NDIS_HASH_TCP_IPV4              0x00000200u
#define NDIS_HASH_IPV6                  0x00000400u
#define NDIS_HASH_TCP_IPV6              0x00001000u

/* Naturally aligned (not packed), as the guest lays it out */
typedef struct NdisRssParams {
    NdisObjectHeader header;
    uint16_t flags;
    uint16_t base_cpu;
    uint32_t hash_info;
    uint16_t indirection_table_size;    /* bytes */
    uint16_t pad1;
    uint32_t indirection_table_offset;  /* from the start of this struct */
    uint16_t hash_key_size;             /* bytes */
    uint16_t pad2;
    uint32_t hash_key_offset;
    uint32_t processor_masks_offset;
    uint32_t num_processor_masks;
    uint32_t processor_masks_entry_size;
} NdisRssParams;

/* NDIS_OFFLOAD: OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES and CURRENT_CONFIG */
#define NDIS_OFFLOAD_REVISION_1         1
#define NDIS_OFFLOAD_REVISION_2         2
#define NDIS_OFFLOAD_REVISION_3         3
#define NDIS_OFFLOAD_ENCAP_8023         0x0002u

#define NDIS_TXCSUM_CAP_IP4OPT          0x001u
#define NDIS_TXCSUM_CAP_TCP4OPT         0x004u
#define NDIS_TXCSUM_CAP_TCP4            0x010u
#define NDIS_TXCSUM_CAP_UDP4            0x040u
#define NDIS_TXCSUM_CAP_IP4             0x100u
#define NDIS_TXCSUM_CAP_IP6EXT          0x001u
#define NDIS_TXCSUM_CAP_TCP6OPT         0x004u
#define NDIS_TXCSUM_CAP_TCP6            0x010u
#define NDIS_TXCSUM_CAP_UDP6            0x040u
#define NDIS_LSOV2_CAP_IP6EXT           0x001u
#define NDIS_LSOV2_CAP_TCP6OPT          0x004u

typedef struct NdisCsumOffload {
    uint32_t ip4_txenc;
    uint32_t ip4_txcsum;
    uint32_t ip4_rxenc;
    uint32_t ip4_rxcsum;
    uint32_t ip6_txenc;
    uint32_t ip6_txcsum;
    uint32_t ip6_rxenc;
    uint32_t ip6_rxcsum;
} NdisCsumOffload;

typedef struct NdisLsoV1Offload {
    uint32_t encap;
    uint32_t maxsize;
    uint32_t minsegs;
    uint32_t opts;
} NdisLsoV1Offload;

typedef struct NdisIpsecV1Offload {
    uint32_t encap;
    uint32_t ah_esp;
    uint32_t xport_tun;
    uint32_t ip4_opts;
    uint32_t flags;
    uint32_t ip4_ah;
    uint32_t ip4_esp;
} NdisIpsecV1Offload;

typedef struct NdisLsoV2Offload {
    uint32_t ip4_encap;
    uint32_t ip4_maxsz;
    uint32_t ip4_minsg;
    uint32_t ip6_encap;
    uint32_t ip6_maxsz;
    uint32_t ip6_minsg;
    uint32_t ip6_opts;
} NdisLsoV2Offload;

typedef struct NdisIpsecV2Offload {
    uint32_t encap;
    uint8_t ip6;
    uint8_t ip4opt;
    uint8_t ip6ext;
    uint8_t ah;
    uint8_t esp;
    uint8_t ah_esp;
    uint8_t xport;
    uint8_t tun;
    uint8_t xport_tun;
    uint8_t lso;
    uint8_t extseq;
    uint32_t udp_esp;
    uint32_t auth;
    uint32_t crypto;
    uint32_t sa_caps;
} NdisIpsecV2Offload;

typedef struct NdisRscOffload {
    uint8_t ip4;
    uint8_t ip6;
} NdisRscOffload;

typedef struct NdisEncapOffload {
    uint32_t flags;
    uint32_t maxhdr;
} NdisEncapOffload;

typedef struct NdisOffload {
    NdisObjectHeader header;
    NdisCsumOffload csum;
    NdisLsoV1Offload lsov1;
    NdisIpsecV1Offload ipsecv1;
    NdisLsoV2Offload lsov2;
    uint32_t flags;
    /* NDIS 6.1 (revision 2) */
    NdisIpsecV2Offload ipsecv2;
    /* NDIS 6.30 (revision 3) */
    NdisRscOffload rsc;
    NdisEncapOffload encap_gre;
} NdisOffload;

/* The object's size at each revision */
#define NDIS_OFFLOAD_SIZE_REV1          offsetof(NdisOffload, ipsecv2)
#define NDIS_OFFLOAD_SIZE_REV2          offsetof(NdisOffload, rsc)
#define NDIS_OFFLOAD_SIZE_REV3          sizeof(NdisOffload)

/* NDIS_OFFLOAD_PARAMETERS: OID_TCP_OFFLOAD_PARAMETERS (set) */
#define NDIS_OFFLOAD_PARAMETERS_NO_CHANGE               0
#define NDIS_OFFLOAD_PARAMETERS_TX_RX_DISABLED          1
#define NDIS_OFFLOAD_PARAMETERS_TX_ENABLED_RX_DISABLED  2
#define NDIS_OFFLOAD_PARAMETERS_RX_ENABLED_TX_DISABLED  3
#define NDIS_OFFLOAD_PARAMETERS_TX_RX_ENABLED           4
#define NDIS_OFFLOAD_PARAMETERS_LSOV2_DISABLED          1
#define NDIS_OFFLOAD_PARAMETERS_LSOV2_ENABLED           2

typedef struct NdisOffloadParams {
    NdisObjectHeader header;
    uint8_t ip_v4_csum;
    uint8_t tcp_ip_v4_csum;
    uint8_t udp_ip_v4_csum;
    uint8_t tcp_ip_v6_csum;
    uint8_t udp_ip_v6_csum;
    uint8_t lso_v1;
    uint8_t ip_sec_v1;
    uint8_t lso_v2_ipv4;
    uint8_t lso_v2_ipv6;
    uint8_t tcp_connection_ip_v4;
    uint8_t tcp_connection_ip_v6;
    uint32_t flags;
    uint8_t ip_sec_v2;
    uint8_t ip_sec_v2_ip_v4;
    uint8_t rsc_ip_v4;
    uint8_t rsc_ip_v6;
    uint8_t encapsulated_packet_task_offload;
    uint8_t encapsulation_types;
} NdisOffloadParams;

/* What NVSP <= 4 guests send: up to and including lso_v2_ipv6 ... flags */
#define NDIS_OFFLOAD_PARAMS_SIZE_V4     22

/* OID_GEN_RNDIS_CONFIG_PARAMETER (set): a named value, UTF-16 strings */
typedef struct RndisConfigParameterInfo {
    uint32_t parameter_name_offset;     /* from the start of this record */
    uint32_t parameter_name_length;     /* bytes */
    uint32_t parameter_type;            /* 2: string */
    uint32_t parameter_value_offset;
    uint32_t parameter_value_length;
} QEMU_PACKED RndisConfigParameterInfo;

#define RNDIS_CONFIG_PARAM_TYPE_STRING  2

static inline void rndis_proto_check_sizes(void)
{
    QEMU_BUILD_BUG_ON(sizeof(RndisHeader) != 8);
    QEMU_BUILD_BUG_ON(sizeof(RndisInitRequest) != 16);
    QEMU_BUILD_BUG_ON(sizeof(RndisQueryRequest) != 20);
    QEMU_BUILD_BUG_ON(sizeof(RndisInitComplete) != 44);
    QEMU_BUILD_BUG_ON(sizeof(RndisQueryComplete) != 16);
    QEMU_BUILD_BUG_ON(sizeof(RndisSetComplete) != 8);
    QEMU_BUILD_BUG_ON(sizeof(RndisResetComplete) != 8);
    QEMU_BUILD_BUG_ON(sizeof(RndisIndicateStatus) != 12);
    QEMU_BUILD_BUG_ON(sizeof(RndisPacket) != 36);
    QEMU_BUILD_BUG_ON(sizeof(RndisPerPacketInfo) != 12);
    QEMU_BUILD_BUG_ON(sizeof(NdisObjectHeader) != 4);
    QEMU_BUILD_BUG_ON(sizeof(NdisRssCaps) != 18);
    QEMU_BUILD_BUG_ON(sizeof(NdisRssParams) != 40);
    QEMU_BUILD_BUG_ON(sizeof(NdisCsumOffload) != 32);
    QEMU_BUILD_BUG_ON(sizeof(NdisLsoV2Offload) != 28);
    QEMU_BUILD_BUG_ON(sizeof(NdisIpsecV2Offload) != 32);
    /* Linux 6.1: NDIS_OFFLOAD_SIZE_6_0, _6_1 and NDIS_OFFLOAD_SIZE */
    QEMU_BUILD_BUG_ON(NDIS_OFFLOAD_SIZE_REV1 != 112);
    QEMU_BUILD_BUG_ON(NDIS_OFFLOAD_SIZE_REV2 != 144);
    QEMU_BUILD_BUG_ON(NDIS_OFFLOAD_SIZE_REV3 != 156);
    QEMU_BUILD_BUG_ON(offsetof(NdisOffloadParams, flags) != 16);
    QEMU_BUILD_BUG_ON(sizeof(NdisOffloadParams) != 28);
    QEMU_BUILD_BUG_ON(sizeof(RndisConfigParameterInfo) != 20);
}

#endif
