/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * VMBus wire format: channel-management messages and ring buffer packets
 *
 * Layouts follow the Hyper-V VMBus protocol as an unmodified guest speaks
 * it; they were checked against the Linux guest (include/linux/hyperv.h,
 * drivers/hv/hyperv_vmbus.h of Linux 6.1).  Every multi-byte field is
 * little-endian on the wire.  Sizes are pinned in vmbus_proto_check_sizes()
 * at the end of this file.
 *
 * This header describes bytes only; validation lives in vmbus-msg.c
 * (messages), vmbus-gpadl.c (GPADL descriptions) and vmbus-ring.c (rings).
 *
 * It is independent of QEMU's own include/hw/hyperv/vmbus-proto.h and must
 * not be included in the same translation unit as that header: some macro
 * names of the two would collide.
 */

#ifndef HW_VMBUS_VMBUS_PROTO_H
#define HW_VMBUS_VMBUS_PROTO_H

/*
 * Pages as VMBus counts them: GPADL pfns, ring pages and byte offsets are
 * always in 4 KiB units, whatever the host page size is.
 */
#define VMBUS_PAGE_SHIFT                12
#define VMBUS_PAGE_SIZE                 (1u << VMBUS_PAGE_SHIFT)

/* SynIC plumbing of the message connection (hyperv_vmbus.h, connection.c) */
#define VMBUS_MESSAGE_SINT              2
/* InitiateContact for versions < 5.0, and all messages at those versions */
#define VMBUS_MESSAGE_CONNECTION_ID     1
/* InitiateContact for versions >= 5.0; later messages use msg_conn_id */
#define VMBUS_MESSAGE_CONNECTION_ID_4   4
/* Largest payload of one HvPostMessage / SynIC message slot */
#define VMBUS_MESSAGE_PAYLOAD_MAX       240

/*
 * Protocol versions: major in the high 16 bits, minor in the low 16 bits.
 * A Linux guest offers one per InitiateContact, newest first, and gives up
 * below 2.4.
 */
#define VMBUS_VERSION(major, minor)     (((uint32_t)(major) << 16) | (minor))
#define VMBUS_VERSION_MAJOR(v)          ((uint32_t)(v) >> 16)
#define VMBUS_VERSION_MINOR(v)          ((uint32_t)(v) & 0xffff)
#define VMBUS_VERSION_2_4               VMBUS_VERSION(2, 4)  /* Win8 */
#define VMBUS_VERSION_3_0               VMBUS_VERSION(3, 0)  /* Win8.1 */
#define VMBUS_VERSION_4_0               VMBUS_VERSION(4, 0)  /* Win10 */
#define VMBUS_VERSION_4_1               VMBUS_VERSION(4, 1)  /* Win10 RS3 */
#define VMBUS_VERSION_5_0               VMBUS_VERSION(5, 0)
#define VMBUS_VERSION_5_1               VMBUS_VERSION(5, 1)  /* Win10 RS4 */
#define VMBUS_VERSION_5_2               VMBUS_VERSION(5, 2)  /* WS2019 */
#define VMBUS_VERSION_5_3               VMBUS_VERSION(5, 3)  /* WS2022 */

/* Channel-management message types (the msgtype of VMBusMsgHeader) */
typedef enum VMBusMsgType {
    VMBUS_MSGTYPE_INVALID                   = 0,
    VMBUS_MSGTYPE_OFFER_CHANNEL             = 1,
    VMBUS_MSGTYPE_RESCIND_CHANNEL_OFFER     = 2,
    VMBUS_MSGTYPE_REQUEST_OFFERS            = 3,
    VMBUS_MSGTYPE_ALL_OFFERS_DELIVERED      = 4,
    VMBUS_MSGTYPE_OPEN_CHANNEL              = 5,
    VMBUS_MSGTYPE_OPEN_RESULT               = 6,
    VMBUS_MSGTYPE_CLOSE_CHANNEL             = 7,
    VMBUS_MSGTYPE_GPADL_HEADER              = 8,
    VMBUS_MSGTYPE_GPADL_BODY                = 9,
    VMBUS_MSGTYPE_GPADL_CREATED             = 10,
    VMBUS_MSGTYPE_GPADL_TEARDOWN            = 11,
    VMBUS_MSGTYPE_GPADL_TORNDOWN            = 12,
    VMBUS_MSGTYPE_RELID_RELEASED            = 13,
    VMBUS_MSGTYPE_INITIATE_CONTACT          = 14,
    VMBUS_MSGTYPE_VERSION_RESPONSE          = 15,
    VMBUS_MSGTYPE_UNLOAD                    = 16,
    VMBUS_MSGTYPE_UNLOAD_RESPONSE           = 17,
    /* 18..20 are unused by the protocol */
    VMBUS_MSGTYPE_TL_CONNECT_REQUEST        = 21,
    VMBUS_MSGTYPE_MODIFY_CHANNEL            = 22,
    VMBUS_MSGTYPE_TL_CONNECT_RESULT         = 23,
    VMBUS_MSGTYPE_MODIFY_CHANNEL_RESPONSE   = 24,
    VMBUS_MSGTYPE_COUNT
} VMBusMsgType;

/* Child relids are 1..2047 on Hyper-V; 0 is never a valid relid */
#define VMBUS_RELID_MAX                 2047

/*
 * A GUID in the Windows wire layout: data1 (u32), data2 (u16), data3 (u16)
 * little-endian, then data4 as 8 bytes in order.
 */
typedef struct VMBusGuid {
    uint8_t bytes[16];
} VMBusGuid;

/* A VMBusGuid initialiser from the text form d1-d2-d3-b0b1-b2b3b4b5b6b7 */
#define VMBUS_GUID_INIT(d1, d2, d3, b0, b1, b2, b3, b4, b5, b6, b7)       \
    { {                                                                   \
        (d1) & 0xff, ((d1) >> 8) & 0xff, ((d1) >> 16) & 0xff,             \
        ((d1) >> 24) & 0xff,                                              \
        (d2) & 0xff, ((d2) >> 8) & 0xff,                                  \
        (d3) & 0xff, ((d3) >> 8) & 0xff,                                  \
        (b0), (b1), (b2), (b3), (b4), (b5), (b6), (b7)                    \
    } }

/*
 * Channel-management messages
 *
 * All are packed: the GPADL header puts a u64 pfn array at offset 28 and
 * the SynIC payload buffer has no alignment guarantee anyway.
 */

typedef struct VMBusMsgHeader {
    uint32_t msgtype;                   /* VMBusMsgType */
    uint32_t padding;
} QEMU_PACKED VMBusMsgHeader;

/* guest -> host, 14 */
typedef struct VMBusMsgInitiateContact {
    VMBusMsgHeader header;
    uint32_t version_requested;
    uint32_t target_vcpu;               /* VP index that gets the replies */
    union {
        uint64_t interrupt_page;        /* GPA, versions < 5.0 */
        struct {
            uint8_t msg_sint;           /* versions >= 5.0: the SINT used */
            uint8_t padding1[3];
            uint32_t padding2;
        };
    };
    uint64_t monitor_page1;             /* GPA */
    uint64_t monitor_page2;             /* GPA */
} QEMU_PACKED VMBusMsgInitiateContact;

/* host -> guest, 15 */
typedef struct VMBusMsgVersionResponse {
    VMBusMsgHeader header;
    uint8_t version_supported;          /* boolean */
    uint8_t connection_state;
    uint16_t padding;
    uint32_t msg_conn_id;               /* used by the guest from 5.0 on */
} QEMU_PACKED VMBusMsgVersionResponse;

/* guest -> host, 3 (no parameters) */
typedef struct VMBusMsgRequestOffers {
    VMBusMsgHeader header;
} QEMU_PACKED VMBusMsgRequestOffers;

/* Offer flags (chn_flags) */
#define VMBUS_OFFER_FLAG_ENUMERATE_DEVICE_INTERFACE     0x0001
#define VMBUS_OFFER_FLAG_SUPPORTS_TRANSFER_PAGES        0x0002
#define VMBUS_OFFER_FLAG_SUPPORTS_GPADLS                0x0004
#define VMBUS_OFFER_FLAG_NAMED_PIPE_MODE                0x0010
#define VMBUS_OFFER_FLAG_LOOPBACK                       0x0100
#define VMBUS_OFFER_FLAG_PARENT                         0x0200
#define VMBUS_OFFER_FLAG_REQUEST_MONITORED_NOTIFICATION 0x0400
#define VMBUS_OFFER_FLAG_TLNPI_PROVIDER                 0x2000

#define VMBUS_OFFER_USER_DEFINED_BYTES  120

/* monitor_flags bit 0 */
#define VMBUS_OFFER_MONITOR_ALLOCATED   0x01
/* interrupt_flags bit 0 */
#define VMBUS_OFFER_DEDICATED_INTERRUPT 0x0001

/* host -> guest, 1 */
typedef struct VMBusMsgOfferChannel {
    VMBusMsgHeader header;
    VMBusGuid if_type;                  /* device class */
    VMBusGuid if_instance;              /* unique per channel */
    uint64_t reserved1;
    uint64_t reserved2;
    uint16_t chn_flags;                 /* VMBUS_OFFER_FLAG_* */
    uint16_t mmio_megabytes;
    uint8_t user_def[VMBUS_OFFER_USER_DEFINED_BYTES];
    uint16_t sub_channel_index;         /* 0 = primary channel */
    uint16_t reserved3;
    uint32_t child_relid;
    uint8_t monitor_id;
    uint8_t monitor_flags;              /* VMBUS_OFFER_MONITOR_ALLOCATED */
    uint16_t interrupt_flags;           /* VMBUS_OFFER_DEDICATED_INTERRUPT */
    uint32_t connection_id;             /* the guest signals this id */
} QEMU_PACKED VMBusMsgOfferChannel;

/* host -> guest, 2 */
typedef struct VMBusMsgRescindChannelOffer {
    VMBusMsgHeader header;
    uint32_t child_relid;
} QEMU_PACKED VMBusMsgRescindChannelOffer;

/* host -> guest, 4 (no parameters) */
typedef struct VMBusMsgAllOffersDelivered {
    VMBusMsgHeader header;
} QEMU_PACKED VMBusMsgAllOffersDelivered;

/*
 * One range of a GPADL: byte_count bytes starting byte_offset bytes into
 * the first of DIV_ROUND_UP(byte_offset + byte_count, 4096) pages, whose
 * pfns follow.
 */
typedef struct VMBusGpaRange {
    uint32_t byte_count;
    uint32_t byte_offset;
    uint64_t pfn[];
} QEMU_PACKED VMBusGpaRange;

/*
 * guest -> host, 8.  range_buflen is the byte length of the whole range
 * list (range descriptors and all their pfns), of which this message carries
 * the start; the rest follows in GpadlBody messages.
 */
typedef struct VMBusMsgGpadlHeader {
    VMBusMsgHeader header;
    uint32_t child_relid;
    uint32_t gpadl_id;
    uint16_t range_buflen;
    uint16_t rangecount;
    VMBusGpaRange range[];
} QEMU_PACKED VMBusMsgGpadlHeader;

/* guest -> host, 9: continuation of the range list of a GpadlHeader */
typedef struct VMBusMsgGpadlBody {
    VMBusMsgHeader header;
    uint32_t msgnumber;                 /* not filled in by Linux */
    uint32_t gpadl_id;
    uint64_t pfn[];
} QEMU_PACKED VMBusMsgGpadlBody;

/* host -> guest, 10 */
typedef struct VMBusMsgGpadlCreated {
    VMBusMsgHeader header;
    uint32_t child_relid;
    uint32_t gpadl_id;
    uint32_t creation_status;           /* 0 = success */
} QEMU_PACKED VMBusMsgGpadlCreated;

/* guest -> host, 11 */
typedef struct VMBusMsgGpadlTeardown {
    VMBusMsgHeader header;
    uint32_t child_relid;
    uint32_t gpadl_id;
} QEMU_PACKED VMBusMsgGpadlTeardown;

/* host -> guest, 12 */
typedef struct VMBusMsgGpadlTorndown {
    VMBusMsgHeader header;
    uint32_t gpadl_id;
} QEMU_PACKED VMBusMsgGpadlTorndown;

/* guest -> host, 5 */
typedef struct VMBusMsgOpenChannel {
    VMBusMsgHeader header;
    uint32_t child_relid;
    uint32_t open_id;
    uint32_t ring_gpadl_id;             /* one GPADL holds both rings */
    uint32_t target_vp;                 /* VP that gets this channel's events */
    /* pages [0, offset) are the guest->host ring, the rest host->guest */
    uint32_t downstream_ring_page_offset;
    uint8_t user_data[VMBUS_OFFER_USER_DEFINED_BYTES];
} QEMU_PACKED VMBusMsgOpenChannel;

/* host -> guest, 6 */
typedef struct VMBusMsgOpenResult {
    VMBusMsgHeader header;
    uint32_t child_relid;
    uint32_t open_id;
    uint32_t status;                    /* 0 = success */
} QEMU_PACKED VMBusMsgOpenResult;

/* guest -> host, 7 */
typedef struct VMBusMsgCloseChannel {
    VMBusMsgHeader header;
    uint32_t child_relid;
} QEMU_PACKED VMBusMsgCloseChannel;

/*
 * guest -> host, 13: the guest has let go of a rescinded channel's relid
 * (Linux vmbus_release_relid()).
 */
typedef struct VMBusMsgRelIdReleased {
    VMBusMsgHeader header;
    uint32_t child_relid;
} QEMU_PACKED VMBusMsgRelIdReleased;

/* guest -> host, 16 (no parameters) */
typedef struct VMBusMsgUnload {
    VMBusMsgHeader header;
} QEMU_PACKED VMBusMsgUnload;

/* host -> guest, 17 (no parameters) */
typedef struct VMBusMsgUnloadResponse {
    VMBusMsgHeader header;
} QEMU_PACKED VMBusMsgUnloadResponse;

/* guest -> host, 22 (version >= 5.3): move the channel's events to a VP */
typedef struct VMBusMsgModifyChannel {
    VMBusMsgHeader header;
    uint32_t child_relid;
    uint32_t target_vp;
} QEMU_PACKED VMBusMsgModifyChannel;

/* host -> guest, 24 */
typedef struct VMBusMsgModifyChannelResponse {
    VMBusMsgHeader header;
    uint32_t child_relid;
    uint32_t status;                    /* 0 = success */
} QEMU_PACKED VMBusMsgModifyChannelResponse;

/* guest -> host, 21: a hv_sock connect() */
typedef struct VMBusMsgTlConnectRequest {
    VMBusMsgHeader header;
    VMBusGuid guest_endpoint_id;
    VMBusGuid host_service_id;
} QEMU_PACKED VMBusMsgTlConnectRequest;

/*
 * Ring buffers
 *
 * A ring is one control page followed by data pages.  Indices are byte
 * offsets into the data area (the pages after the control page), 8-byte
 * aligned; read == write means empty, and a writer never fills the data area
 * completely.  The control page layout is natural-aligned, so it needs no
 * packing; the host maps it page-aligned.
 */
#define VMBUS_RING_FEAT_PENDING_SEND_SZ 0x1   /* feature_bits bit 0 */

typedef struct VMBusRingControl {
    uint32_t write_index;               /* owned by the ring's producer */
    uint32_t read_index;                /* owned by the ring's consumer */
    /* set by the consumer: "do not signal me, I am reading" */
    uint32_t interrupt_mask;
    /* set by the producer: "signal me when this many bytes are free" */
    uint32_t pending_send_sz;
    uint32_t reserved1[12];
    uint32_t feature_bits;              /* VMBUS_RING_FEAT_* */
    uint8_t reserved2[VMBUS_PAGE_SIZE - 68];
} VMBusRingControl;

/* Ring packet types (VMBusPacketDesc.type) */
#define VMBUS_PKT_INBAND                6   /* payload inline */
#define VMBUS_PKT_XFER_PAGES            7   /* VMBusXferPagesHeader follows */
#define VMBUS_PKT_GPA_DIRECT            9   /* VMBusGpaDirectHeader follows */
#define VMBUS_PKT_COMP                  11  /* completion, echoes trans_id */

/* VMBusPacketDesc.flags */
#define VMBUS_PKT_FLAG_COMPLETION_REQUESTED 0x1

/*
 * Every packet starts with this descriptor.  offset8 * 8 is where the payload
 * starts, len8 * 8 the packet length (both counted from the descriptor's
 * first byte and excluding the trailer).  An 8-byte trailer follows every
 * packet: the writer's start index of the packet, shifted left by 32.
 */
typedef struct VMBusPacketDesc {
    uint16_t type;
    uint16_t offset8;
    uint16_t len8;
    uint16_t flags;
    uint64_t trans_id;
} QEMU_PACKED VMBusPacketDesc;

#define VMBUS_PKT_TRAILER_SIZE          8
#define VMBUS_PKT_ALIGN                 8

/* The range list after the descriptor of a GPA_DIRECT packet */
typedef struct VMBusGpaDirectHeader {
    uint32_t reserved;
    uint32_t rangecount;
    VMBusGpaRange range[];
} QEMU_PACKED VMBusGpaDirectHeader;

/* A range of a transfer page set (XFER_PAGES packets) */
typedef struct VMBusXferPageRange {
    uint32_t byte_count;
    uint32_t byte_offset;
} QEMU_PACKED VMBusXferPageRange;

/* The header after the descriptor of an XFER_PAGES packet */
typedef struct VMBusXferPagesHeader {
    uint16_t pageset_id;
    uint8_t sender_owns_set;
    uint8_t reserved;
    uint32_t range_cnt;
    VMBusXferPageRange range[];
} QEMU_PACKED VMBusXferPagesHeader;

static inline void vmbus_proto_check_sizes(void)
{
    QEMU_BUILD_BUG_ON(sizeof(VMBusGuid) != 16);
    QEMU_BUILD_BUG_ON(sizeof(VMBusMsgHeader) != 8);
    QEMU_BUILD_BUG_ON(sizeof(VMBusMsgInitiateContact) != 40);
    QEMU_BUILD_BUG_ON(sizeof(VMBusMsgVersionResponse) != 16);
    QEMU_BUILD_BUG_ON(sizeof(VMBusMsgRequestOffers) != 8);
    QEMU_BUILD_BUG_ON(sizeof(VMBusMsgOfferChannel) != 196);
    QEMU_BUILD_BUG_ON(offsetof(VMBusMsgOfferChannel, child_relid) != 184);
    QEMU_BUILD_BUG_ON(offsetof(VMBusMsgOfferChannel, connection_id) != 192);
    QEMU_BUILD_BUG_ON(sizeof(VMBusMsgRescindChannelOffer) != 12);
    QEMU_BUILD_BUG_ON(sizeof(VMBusMsgAllOffersDelivered) != 8);
    QEMU_BUILD_BUG_ON(sizeof(VMBusGpaRange) != 8);
    QEMU_BUILD_BUG_ON(sizeof(VMBusMsgGpadlHeader) != 20);
    QEMU_BUILD_BUG_ON(sizeof(VMBusMsgGpadlBody) != 16);
    QEMU_BUILD_BUG_ON(sizeof(VMBusMsgGpadlCreated) != 20);
    QEMU_BUILD_BUG_ON(sizeof(VMBusMsgGpadlTeardown) != 16);
    QEMU_BUILD_BUG_ON(sizeof(VMBusMsgGpadlTorndown) != 12);
    QEMU_BUILD_BUG_ON(sizeof(VMBusMsgOpenChannel) != 148);
    QEMU_BUILD_BUG_ON(sizeof(VMBusMsgOpenResult) != 20);
    QEMU_BUILD_BUG_ON(sizeof(VMBusMsgCloseChannel) != 12);
    QEMU_BUILD_BUG_ON(sizeof(VMBusMsgRelIdReleased) != 12);
    QEMU_BUILD_BUG_ON(sizeof(VMBusMsgUnload) != 8);
    QEMU_BUILD_BUG_ON(sizeof(VMBusMsgUnloadResponse) != 8);
    QEMU_BUILD_BUG_ON(sizeof(VMBusMsgModifyChannel) != 16);
    QEMU_BUILD_BUG_ON(sizeof(VMBusMsgModifyChannelResponse) != 16);
    QEMU_BUILD_BUG_ON(sizeof(VMBusMsgTlConnectRequest) != 40);
    QEMU_BUILD_BUG_ON(sizeof(VMBusRingControl) != VMBUS_PAGE_SIZE);
    QEMU_BUILD_BUG_ON(offsetof(VMBusRingControl, write_index) != 0);
    QEMU_BUILD_BUG_ON(offsetof(VMBusRingControl, read_index) != 4);
    QEMU_BUILD_BUG_ON(offsetof(VMBusRingControl, interrupt_mask) != 8);
    QEMU_BUILD_BUG_ON(offsetof(VMBusRingControl, pending_send_sz) != 12);
    QEMU_BUILD_BUG_ON(offsetof(VMBusRingControl, feature_bits) != 64);
    QEMU_BUILD_BUG_ON(sizeof(VMBusPacketDesc) != 16);
    QEMU_BUILD_BUG_ON(sizeof(VMBusGpaDirectHeader) != 8);
    QEMU_BUILD_BUG_ON(sizeof(VMBusXferPageRange) != 8);
    QEMU_BUILD_BUG_ON(sizeof(VMBusXferPagesHeader) != 8);
}

#endif
