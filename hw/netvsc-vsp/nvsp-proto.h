/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * NVSP (Network VSP protocol) wire format: the messages a netvsc guest and
 * the host exchange over the synthetic NIC's VMBus channels.
 *
 * Each message is a u32 type followed by its body; the guest sends every
 * message as a 40-byte NvspMessage (the size of the largest body, see
 * nvsp_proto_check_sizes()) and a guest parses the host's completions only
 * when they are at least that big (Linux 6.1 netvsc_send_completion() lets
 * INIT_COMPLETE fall through the size checks of the longer completions).
 * Layouts were checked against the Linux guest (drivers/net/hyperv/
 * hyperv_net.h); every field is little-endian.
 */

#ifndef HW_NETVSC_VSP_NVSP_PROTO_H
#define HW_NETVSC_VSP_NVSP_PROTO_H

/*
 * Protocol versions as NVSP_MSG_TYPE_INIT carries them. A Linux guest
 * offers one per INIT, newest first: 6.1, 6, 5, 4, 2, then 1.
 */
#define NVSP_VERSION_1                  0x00002
#define NVSP_VERSION_2                  0x30002
#define NVSP_VERSION_4                  0x40000
#define NVSP_VERSION_5                  0x50000
#define NVSP_VERSION_6                  0x60000
#define NVSP_VERSION_61                 0x60001

typedef enum NvspMsgType {
    NVSP_MSG_TYPE_NONE                  = 0,
    NVSP_MSG_TYPE_INIT                  = 1,
    NVSP_MSG_TYPE_INIT_COMPLETE         = 2,

    /* version 1 */
    NVSP_MSG1_TYPE_SEND_NDIS_VER        = 100,
    NVSP_MSG1_TYPE_SEND_RECV_BUF        = 101,
    NVSP_MSG1_TYPE_SEND_RECV_BUF_COMPLETE = 102,
    NVSP_MSG1_TYPE_REVOKE_RECV_BUF      = 103,
    NVSP_MSG1_TYPE_SEND_SEND_BUF        = 104,
    NVSP_MSG1_TYPE_SEND_SEND_BUF_COMPLETE = 105,
    NVSP_MSG1_TYPE_REVOKE_SEND_BUF      = 106,
    NVSP_MSG1_TYPE_SEND_RNDIS_PKT       = 107,
    NVSP_MSG1_TYPE_SEND_RNDIS_PKT_COMPLETE = 108,

    /* version 2 (109..124: chimney and VMQ, never used by Linux) */
    NVSP_MSG2_TYPE_SEND_NDIS_CONFIG     = 125,

    /* version 4 */
    NVSP_MSG4_TYPE_SEND_VF_ASSOCIATION  = 128,
    NVSP_MSG4_TYPE_SWITCH_DATA_PATH     = 129,

    /* version 5 */
    NVSP_MSG5_TYPE_OID_QUERY_EX         = 131,
    NVSP_MSG5_TYPE_OID_QUERY_EX_COMP    = 132,
    NVSP_MSG5_TYPE_SUBCHANNEL           = 133,
    NVSP_MSG5_TYPE_SEND_INDIRECTION_TABLE = 134,
} NvspMsgType;

/* Completion status (NvspMessage*Complete.status) */
typedef enum NvspStatus {
    NVSP_STAT_NONE                      = 0,
    NVSP_STAT_SUCCESS                   = 1,
    NVSP_STAT_FAIL                      = 2,
    NVSP_STAT_PROTOCOL_TOO_NEW          = 3,
    NVSP_STAT_PROTOCOL_TOO_OLD          = 4,
    NVSP_STAT_INVALID_RNDIS_PKT         = 5,
    NVSP_STAT_BUSY                      = 6,
    NVSP_STAT_PROTOCOL_UNSUPPORTED      = 7,
} NvspStatus;

/* The transfer page set id a Linux guest gives its receive buffer */
#define NVSP_RECEIVE_BUFFER_ID_LINUX    0xcafe
/* send_buf_section_index when no send buffer section is used */
#define NVSP_INVALID_SECTION_INDEX      0xffffffffu
/* NvspSendRndisPacket.channel_type */
#define NVSP_RNDIS_CHANNEL_DATA         0
#define NVSP_RNDIS_CHANNEL_CONTROL      1

typedef struct NvspInit {
    uint32_t min_protocol_ver;
    uint32_t max_protocol_ver;
} QEMU_PACKED NvspInit;

typedef struct NvspInitComplete {
    uint32_t negotiated_protocol_ver;
    uint32_t max_mdl_chain_len;
    uint32_t status;                    /* NvspStatus */
} QEMU_PACKED NvspInitComplete;

typedef struct NvspSendNdisVersion {
    uint32_t ndis_major_ver;
    uint32_t ndis_minor_ver;
} QEMU_PACKED NvspSendNdisVersion;

/* SEND_RECV_BUF and SEND_SEND_BUF */
typedef struct NvspSendBuffer {
    uint32_t gpadl_handle;
    uint16_t id;
} QEMU_PACKED NvspSendBuffer;

/*
 * The layout of the receive buffer the host chooses: here always one
 * section of num_sub_allocs slots of sub_alloc_size bytes from offset 0,
 * which is what a Linux guest accepts (netvsc_init_buf()).
 */
typedef struct NvspReceiveBufferSection {
    uint32_t offset;
    uint32_t sub_alloc_size;
    uint32_t num_sub_allocs;
    uint32_t end_offset;
} QEMU_PACKED NvspReceiveBufferSection;

typedef struct NvspSendReceiveBufferComplete {
    uint32_t status;
    uint32_t num_sections;
    NvspReceiveBufferSection sections[1];
} QEMU_PACKED NvspSendReceiveBufferComplete;

/* REVOKE_RECV_BUF and REVOKE_SEND_BUF */
typedef struct NvspRevokeBuffer {
    uint16_t id;
} QEMU_PACKED NvspRevokeBuffer;

typedef struct NvspSendSendBufferComplete {
    uint32_t status;
    uint32_t section_size;              /* chosen by the host */
} QEMU_PACKED NvspSendSendBufferComplete;

typedef struct NvspSendRndisPacket {
    uint32_t channel_type;              /* NVSP_RNDIS_CHANNEL_* */
    uint32_t send_buf_section_index;    /* or NVSP_INVALID_SECTION_INDEX */
    uint32_t send_buf_section_size;     /* bytes used in that section */
} QEMU_PACKED NvspSendRndisPacket;

typedef struct NvspSendRndisPacketComplete {
    uint32_t status;
} QEMU_PACKED NvspSendRndisPacketComplete;

/* NvspNdisConfig.capability bits */
#define NVSP_NDIS_CAP_VMQ               (1ull << 0)
#define NVSP_NDIS_CAP_CHIMNEY           (1ull << 1)
#define NVSP_NDIS_CAP_SRIOV             (1ull << 2)
#define NVSP_NDIS_CAP_IEEE8021Q         (1ull << 3)
#define NVSP_NDIS_CAP_CORRELATION_ID    (1ull << 4)
#define NVSP_NDIS_CAP_TEAMING           (1ull << 5)
#define NVSP_NDIS_CAP_VSUBNETID         (1ull << 6)
#define NVSP_NDIS_CAP_RSC               (1ull << 7)

typedef struct NvspNdisConfig {
    uint32_t mtu;                       /* the guest's MTU + 14 */
    uint32_t reserved;
    uint64_t capability;                /* NVSP_NDIS_CAP_* */
} QEMU_PACKED NvspNdisConfig;

typedef struct NvspSwitchDataPath {
    uint32_t active_datapath;           /* 0 synthetic, 1 VF */
} QEMU_PACKED NvspSwitchDataPath;

#define NVSP_SUBCHANNEL_ALLOCATE        1

typedef struct NvspSubchannelRequest {
    uint32_t op;                        /* NVSP_SUBCHANNEL_ALLOCATE */
    uint32_t num_subchannels;
} QEMU_PACKED NvspSubchannelRequest;

typedef struct NvspSubchannelComplete {
    uint32_t status;
    uint32_t num_subchannels;           /* how many the host offers */
} QEMU_PACKED NvspSubchannelComplete;

/* Size of the union of all message bodies (the largest: a v6 PD message) */
#define NVSP_MESSAGE_BODY_SIZE          36

typedef struct NvspMessage {
    uint32_t msg_type;                  /* NvspMsgType */
    union {
        NvspInit init;
        NvspInitComplete init_complete;
        NvspSendNdisVersion ndis_version;
        NvspSendBuffer send_buffer;
        NvspSendReceiveBufferComplete recv_buffer_complete;
        NvspRevokeBuffer revoke_buffer;
        NvspSendSendBufferComplete send_buffer_complete;
        NvspSendRndisPacket rndis_packet;
        NvspSendRndisPacketComplete rndis_packet_complete;
        NvspNdisConfig ndis_config;
        NvspSwitchDataPath switch_data_path;
        NvspSubchannelRequest subchannel_request;
        NvspSubchannelComplete subchannel_complete;
        uint8_t body[NVSP_MESSAGE_BODY_SIZE];
    };
} QEMU_PACKED NvspMessage;

/* Bytes of a message of type @field up to the end of that body */
#define NVSP_MESSAGE_SIZE(field) \
    (offsetof(NvspMessage, field) + sizeof(((NvspMessage *)0)->field))

static inline void nvsp_proto_check_sizes(void)
{
    QEMU_BUILD_BUG_ON(sizeof(NvspInit) != 8);
    QEMU_BUILD_BUG_ON(sizeof(NvspInitComplete) != 12);
    QEMU_BUILD_BUG_ON(sizeof(NvspSendNdisVersion) != 8);
    QEMU_BUILD_BUG_ON(sizeof(NvspSendBuffer) != 6);
    QEMU_BUILD_BUG_ON(sizeof(NvspReceiveBufferSection) != 16);
    QEMU_BUILD_BUG_ON(sizeof(NvspSendReceiveBufferComplete) != 24);
    QEMU_BUILD_BUG_ON(sizeof(NvspRevokeBuffer) != 2);
    QEMU_BUILD_BUG_ON(sizeof(NvspSendSendBufferComplete) != 8);
    QEMU_BUILD_BUG_ON(sizeof(NvspSendRndisPacket) != 12);
    QEMU_BUILD_BUG_ON(sizeof(NvspSendRndisPacketComplete) != 4);
    QEMU_BUILD_BUG_ON(sizeof(NvspNdisConfig) != 16);
    QEMU_BUILD_BUG_ON(sizeof(NvspSubchannelRequest) != 8);
    QEMU_BUILD_BUG_ON(sizeof(NvspSubchannelComplete) != 8);
    QEMU_BUILD_BUG_ON(offsetof(NvspMessage, init) != 4);
    /* struct nvsp_message of Linux 6.1 */
    QEMU_BUILD_BUG_ON(sizeof(NvspMessage) != 40);
}

#endif
