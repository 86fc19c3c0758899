/*
 * hvtest: the VMBus wire format the guest speaks: channel management
 * messages (carried in SynIC messages of type 1), ring buffers and the
 * integration service (IC) message framework. Layouts as Hyper-V and the
 * Linux guest use them; all little-endian.
 *
 * Copyright (c) 2025 qemu-hvpart contributors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HVTEST_VMBUS_H
#define HVTEST_VMBUS_H

#include "hvtest.h"

/* SynIC plumbing */
#define VMBUS_SYNIC_MSG_TYPE        1       /* HvMessageType of VMBus */
#define VMBUS_CONN_LEGACY           1       /* InitiateContact < 5.0 */
#define VMBUS_CONN_V5               4       /* InitiateContact >= 5.0 */
#define VMBUS_SINT                  2

#define VMBUS_VERSION(maj, min)     (((uint32_t)(maj) << 16) | (min))
#define VMBUS_VERSION_5_3           VMBUS_VERSION(5, 3)
#define VMBUS_VERSION_4_0           VMBUS_VERSION(4, 0)

/* Channel management message types */
enum {
    VMBUS_MSG_INVALID = 0,
    VMBUS_MSG_OFFER_CHANNEL = 1,
    VMBUS_MSG_RESCIND_OFFER = 2,
    VMBUS_MSG_REQUEST_OFFERS = 3,
    VMBUS_MSG_ALL_OFFERS_DELIVERED = 4,
    VMBUS_MSG_OPEN_CHANNEL = 5,
    VMBUS_MSG_OPEN_RESULT = 6,
    VMBUS_MSG_CLOSE_CHANNEL = 7,
    VMBUS_MSG_GPADL_HEADER = 8,
    VMBUS_MSG_GPADL_BODY = 9,
    VMBUS_MSG_GPADL_CREATED = 10,
    VMBUS_MSG_GPADL_TEARDOWN = 11,
    VMBUS_MSG_GPADL_TORNDOWN = 12,
    VMBUS_MSG_RELID_RELEASED = 13,
    VMBUS_MSG_INITIATE_CONTACT = 14,
    VMBUS_MSG_VERSION_RESPONSE = 15,
    VMBUS_MSG_UNLOAD = 16,
    VMBUS_MSG_UNLOAD_RESPONSE = 17,
    VMBUS_MSG_TL_CONNECT_REQUEST = 21,
    VMBUS_MSG_MODIFY_CHANNEL = 22,
    VMBUS_MSG_TL_CONNECT_RESULT = 23,
    VMBUS_MSG_MODIFY_CHANNEL_RESPONSE = 24,
};

typedef struct VmbusHdr {
    uint32_t type;
    uint32_t padding;
} PACKED VmbusHdr;

typedef struct VmbusInitiateContact {
    VmbusHdr hdr;
    uint32_t version;
    uint32_t target_vcpu;
    uint8_t msg_sint;                   /* >= 5.0; below: interrupt page */
    uint8_t padding1[7];
    uint64_t monitor_page1;
    uint64_t monitor_page2;
} PACKED VmbusInitiateContact;

typedef struct VmbusVersionResponse {
    VmbusHdr hdr;
    uint8_t version_supported;
    uint8_t connection_state;
    uint16_t padding;
    uint32_t msg_conn_id;
} PACKED VmbusVersionResponse;

typedef struct VmbusOffer {
    VmbusHdr hdr;
    uint8_t if_type[16];
    uint8_t if_instance[16];
    uint64_t reserved1, reserved2;
    uint16_t flags;
    uint16_t mmio_megabytes;
    uint8_t user_def[120];
    uint16_t sub_channel_index;
    uint16_t reserved3;
    uint32_t child_relid;
    uint8_t monitor_id;
    uint8_t monitor_allocated;
    uint16_t is_dedicated_interrupt;
    uint32_t connection_id;
} PACKED VmbusOffer;

typedef struct VmbusGpadlHeader {
    VmbusHdr hdr;
    uint32_t child_relid;
    uint32_t gpadl;
    uint16_t range_buflen;
    uint16_t rangecount;
    /* then ranges: {u32 byte_count, u32 byte_offset, u64 pfn[]} */
} PACKED VmbusGpadlHeader;

typedef struct VmbusGpadlBody {
    VmbusHdr hdr;
    uint32_t msgnumber;
    uint32_t gpadl;
    /* then u64 pfn[] */
} PACKED VmbusGpadlBody;

typedef struct VmbusGpadlCreated {
    VmbusHdr hdr;
    uint32_t child_relid;
    uint32_t gpadl;
    uint32_t status;
} PACKED VmbusGpadlCreated;

typedef struct VmbusGpadlTeardown {
    VmbusHdr hdr;
    uint32_t child_relid;
    uint32_t gpadl;
} PACKED VmbusGpadlTeardown;

typedef struct VmbusGpadlTorndown {
    VmbusHdr hdr;
    uint32_t gpadl;
} PACKED VmbusGpadlTorndown;

typedef struct VmbusOpenChannel {
    VmbusHdr hdr;
    uint32_t child_relid;
    uint32_t open_id;
    uint32_t ring_gpadl;
    uint32_t target_vp;
    uint32_t downstream_page_offset;
    uint8_t user_data[120];
} PACKED VmbusOpenChannel;

typedef struct VmbusOpenResult {
    VmbusHdr hdr;
    uint32_t child_relid;
    uint32_t open_id;
    uint32_t status;
} PACKED VmbusOpenResult;

typedef struct VmbusRelid {
    VmbusHdr hdr;
    uint32_t child_relid;
} PACKED VmbusRelid;                    /* CloseChannel, RelIdReleased */

_Static_assert(sizeof(VmbusInitiateContact) == 40, "InitiateContact");
_Static_assert(sizeof(VmbusVersionResponse) == 16, "VersionResponse");
_Static_assert(sizeof(VmbusOffer) == 196, "OfferChannel");
_Static_assert(sizeof(VmbusGpadlHeader) == 20, "GpadlHeader");
_Static_assert(sizeof(VmbusGpadlBody) == 16, "GpadlBody");
_Static_assert(sizeof(VmbusGpadlCreated) == 20, "GpadlCreated");
_Static_assert(sizeof(VmbusOpenChannel) == 148, "OpenChannel");
_Static_assert(sizeof(VmbusOpenResult) == 20, "OpenResult");

/* Ring buffers: a control page, then data pages */
/* Both sides write the control page while the other reads it. */
typedef struct VmbusRingCtrl {
    volatile uint32_t write_index;      /* shared with the host */
    volatile uint32_t read_index;       /* shared with the host */
    volatile uint32_t interrupt_mask;   /* shared with the host */
    volatile uint32_t pending_send_sz;  /* shared with the host */
    uint32_t reserved[12];
    volatile uint32_t feature_bits;     /* shared with the host */
} VmbusRingCtrl;

#define VMBUS_PKT_INBAND            6
#define VMBUS_PKT_COMP              11

typedef struct VmbusPktDesc {
    uint16_t type;
    uint16_t offset8;
    uint16_t len8;
    uint16_t flags;
    uint64_t trans_id;
} PACKED VmbusPktDesc;

#define VMBUS_PKT_TRAILER           8

/* Integration services (hv_utils): every message has these two headers */
#define IC_MSG_NEGOTIATE            0
#define IC_MSG_HEARTBEAT            1
#define IC_FLAG_TRANSACTION         1
#define IC_FLAG_REQUEST             2
#define IC_FLAG_RESPONSE            4

typedef struct IcPipeHdr {
    uint32_t flags;
    uint32_t msgsize;
} PACKED IcPipeHdr;

typedef struct IcVersion {
    uint16_t major;
    uint16_t minor;
} PACKED IcVersion;

typedef struct IcMsgHdr {
    IcVersion framework;
    uint16_t msgtype;
    IcVersion service;
    uint16_t msgsize;
    uint32_t status;
    uint8_t trans_id;
    uint8_t flags;
    uint8_t reserved[2];
} PACKED IcMsgHdr;

typedef struct IcNegotiate {
    uint16_t framework_count;
    uint16_t service_count;
    uint32_t reserved;
    IcVersion versions[];
} PACKED IcNegotiate;

_Static_assert(sizeof(IcMsgHdr) == 20, "IC message header");

/* The heartbeat service's interface type, in its wire (mixed-endian) form */
#define HEARTBEAT_GUID_WIRE { \
    0x39, 0x4f, 0x16, 0x57, 0x15, 0x91, 0x78, 0x4e, \
    0xab, 0x55, 0x38, 0x2f, 0x3b, 0xd5, 0x42, 0x2d }

#endif
