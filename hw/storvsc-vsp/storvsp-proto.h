/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * qemu-hvpart: the synthetic storage (vstor) protocol on the wire
 *
 * A storage VSC (Linux: drivers/scsi/storvsc_drv.c) and the host's VSP talk
 * in fixed-size "vstor" packets inside VMBus ring packets: an operation
 * code, flags and an NTSTATUS, then an operation-specific body. SCSI
 * commands travel as an SRB (SCSI request block) body; their data buffer is
 * described by the GPA_DIRECT range list of the enclosing ring packet.
 *
 * Every multi-byte field is little-endian. Sizes are pinned in
 * storvsp_proto_check_sizes() at the end of this file. This header
 * describes bytes only; the checks live in storvsp-parse.c.
 */

#ifndef HW_STORVSC_VSP_STORVSP_PROTO_H
#define HW_STORVSC_VSP_STORVSP_PROTO_H

/* Interface type GUID of a synthetic SCSI controller */
#define STORVSP_SCSI_INTERFACE_ID   "ba6163d9-04a1-4d29-b605-72e2ffb1dc7f"

/*
 * Interface type GUID of an IDE accelerator channel: an emulated IDE disk
 * also offered on the VMBus. Its instance GUID names the disk's place:
 * "CCCCCCCC-UUUU-8899-0000-000000000000", the IDE controller in the first
 * field and the unit (0 master, 1 slave) in the second. The guest takes
 * its SCSI target id from the second field (storvsc: bytes 4-5 of the
 * instance GUID, little-endian on the wire).
 */
#define STORVSP_IDE_INTERFACE_ID    "32412632-86cb-44a2-9b5c-50d1417354f5"
#define STORVSP_IDE_INSTANCE_FMT    "%08x-%04x-8899-0000-000000000000"

/*
 * Protocol versions: major in the high byte, minor in the low byte. A
 * guest proposes one per QUERY_PROTOCOL_VERSION, newest first, until the
 * host answers with status 0.
 */
#define STORVSP_VERSION(major, minor)   ((uint16_t)(((major) << 8) | (minor)))
#define STORVSP_VERSION_MAJOR(v)        ((uint16_t)(v) >> 8)
#define STORVSP_VERSION_MINOR(v)        ((uint16_t)(v) & 0xff)
#define STORVSP_VERSION_WIN7            STORVSP_VERSION(4, 2)
#define STORVSP_VERSION_WIN8            STORVSP_VERSION(5, 1)
#define STORVSP_VERSION_WIN8_1          STORVSP_VERSION(6, 0)
#define STORVSP_VERSION_WIN10           STORVSP_VERSION(6, 2)

/* Operations (StorvspPacket.operation) */
typedef enum StorvspOperation {
    STORVSP_OP_COMPLETE_IO              = 1,
    STORVSP_OP_REMOVE_DEVICE            = 2,
    STORVSP_OP_EXECUTE_SRB              = 3,
    STORVSP_OP_RESET_LUN                = 4,
    STORVSP_OP_RESET_ADAPTER            = 5,
    STORVSP_OP_RESET_BUS                = 6,
    STORVSP_OP_BEGIN_INITIALIZATION     = 7,
    STORVSP_OP_END_INITIALIZATION       = 8,
    STORVSP_OP_QUERY_PROTOCOL_VERSION   = 9,
    STORVSP_OP_QUERY_PROPERTIES         = 10,
    STORVSP_OP_ENUMERATE_BUS            = 11,
    STORVSP_OP_FCHBA_DATA               = 12,
    STORVSP_OP_CREATE_SUB_CHANNELS      = 13,
    STORVSP_OP_COUNT
} StorvspOperation;

/* StorvspPacket.flags: the sender wants a COMPLETE_IO answer */
#define STORVSP_FLAG_REQUEST_COMPLETION     0x1

/* StorvspPacket.status: NTSTATUS values the VSP answers with */
#define STORVSP_STATUS_SUCCESS                  0x00000000u
#define STORVSP_STATUS_INVALID_DEVICE_REQUEST   0xc0000010u
#define STORVSP_STATUS_INVALID_PARAMETER        0xc000000du
#define STORVSP_STATUS_REVISION_MISMATCH        0xc0000059u
#define STORVSP_STATUS_INVALID_DEVICE_STATE     0xc0000184u

/* StorvspChannelProperties.flags */
#define STORVSP_PROPERTY_MULTI_CHANNEL      0x1

/* StorvspScsiRequest.data_in */
#define STORVSP_DATA_OUT                    0   /* guest -> device */
#define STORVSP_DATA_IN                     1   /* device -> guest */
#define STORVSP_DATA_UNKNOWN                2   /* no data */

/* StorvspScsiRequest.srb_flags (the bits the VSP looks at) */
#define STORVSP_SRB_FLAGS_DISABLE_AUTOSENSE 0x00000020u
#define STORVSP_SRB_FLAGS_DATA_IN           0x00000040u
#define STORVSP_SRB_FLAGS_DATA_OUT          0x00000080u

/*
 * StorvspScsiRequest.srb_status: a 6-bit code plus two flag bits. The
 * guest looks at AUTOSENSE_VALID before it takes the sense data.
 */
#define STORVSP_SRB_STATUS_SUCCESS          0x01
#define STORVSP_SRB_STATUS_ABORTED          0x02
#define STORVSP_SRB_STATUS_ERROR            0x04
#define STORVSP_SRB_STATUS_INVALID_REQUEST  0x06
#define STORVSP_SRB_STATUS_DATA_OVERRUN     0x12
#define STORVSP_SRB_STATUS_INVALID_LUN      0x20
#define STORVSP_SRB_STATUS_QUEUE_FROZEN     0x40
#define STORVSP_SRB_STATUS_AUTOSENSE_VALID  0x80

#define STORVSP_CDB_MAX                     16
#define STORVSP_SENSE_MAX                   20

/* Body of QUERY_PROTOCOL_VERSION */
typedef struct StorvspProtocolVersion {
    uint16_t major_minor;               /* STORVSP_VERSION() */
    uint16_t revision;                  /* unused, 0 */
} QEMU_PACKED StorvspProtocolVersion;

/* Body of the answer to QUERY_PROPERTIES */
typedef struct StorvspChannelProperties {
    uint32_t reserved;
    uint16_t max_channel_count;         /* sub-channels the guest may ask for */
    uint16_t reserved1;
    uint32_t flags;                     /* STORVSP_PROPERTY_* */
    uint32_t max_transfer_bytes;        /* largest data buffer of one SRB */
    uint64_t reserved2;
} QEMU_PACKED StorvspChannelProperties;

/*
 * Body of EXECUTE_SRB, and of its COMPLETE_IO answer: a SCSI request block.
 * The guest addresses a device as (port, path, target, lun); the answer
 * carries the statuses, the bytes transferred and, in place of the CDB,
 * the sense data.
 */
typedef struct StorvspScsiRequest {
    uint16_t length;                    /* of this structure */
    uint8_t srb_status;                 /* STORVSP_SRB_STATUS_* (answer) */
    uint8_t scsi_status;                /* SAM status (answer) */
    uint8_t port_number;
    uint8_t path_id;
    uint8_t target_id;
    uint8_t lun;
    uint8_t cdb_length;
    uint8_t sense_info_length;          /* request: room; answer: used */
    uint8_t data_in;                    /* STORVSP_DATA_* */
    uint8_t reserved;
    uint32_t data_transfer_length;      /* request: buffer; answer: moved */
    union {
        uint8_t cdb[STORVSP_CDB_MAX];
        uint8_t sense_data[STORVSP_SENSE_MAX];
    };
    /* From protocol 5.1 (Windows 8) on: */
    uint16_t reserve;
    uint8_t queue_tag;
    uint8_t queue_action;
    uint32_t srb_flags;                 /* STORVSP_SRB_FLAGS_* */
    uint32_t time_out_value;
    uint32_t queue_sort_key;
} QEMU_PACKED StorvspScsiRequest;

/*
 * Before 5.1 the SRB ended after the sense data: it was this many bytes
 * shorter, and so were all vstor packets of those versions.
 */
#define STORVSP_SRB_WIN8_EXTENSION_SIZE     16
#define STORVSP_SRB_SIZE                    sizeof(StorvspScsiRequest)
#define STORVSP_SRB_SIZE_PRE_WIN8           \
    (STORVSP_SRB_SIZE - STORVSP_SRB_WIN8_EXTENSION_SIZE)

/* Body of CREATE_SUB_CHANNELS */
typedef struct StorvspSubChannelRequest {
    uint16_t count;
} QEMU_PACKED StorvspSubChannelRequest;

#define STORVSP_PACKET_BODY_SIZE    52

/* One vstor packet: the payload of an INBAND or GPA_DIRECT ring packet */
typedef struct StorvspPacket {
    uint32_t operation;                 /* StorvspOperation */
    uint32_t flags;                     /* STORVSP_FLAG_* */
    uint32_t status;                    /* NTSTATUS (answer) */
    union {
        StorvspScsiRequest srb;
        StorvspChannelProperties properties;
        StorvspProtocolVersion version;
        StorvspSubChannelRequest sub_channels;
        uint8_t body[STORVSP_PACKET_BODY_SIZE];
    };
} QEMU_PACKED StorvspPacket;

#define STORVSP_PACKET_HEADER_SIZE      offsetof(StorvspPacket, body)
#define STORVSP_PACKET_SIZE             sizeof(StorvspPacket)
#define STORVSP_PACKET_SIZE_PRE_WIN8    \
    (STORVSP_PACKET_SIZE - STORVSP_SRB_WIN8_EXTENSION_SIZE)

static inline void storvsp_proto_check_sizes(void)
{
    QEMU_BUILD_BUG_ON(sizeof(StorvspProtocolVersion) != 4);
    QEMU_BUILD_BUG_ON(sizeof(StorvspChannelProperties) != 24);
    QEMU_BUILD_BUG_ON(sizeof(StorvspScsiRequest) != 52);
    QEMU_BUILD_BUG_ON(offsetof(StorvspScsiRequest, data_transfer_length) != 12);
    QEMU_BUILD_BUG_ON(offsetof(StorvspScsiRequest, cdb) != 16);
    QEMU_BUILD_BUG_ON(offsetof(StorvspScsiRequest, reserve) != 36);
    QEMU_BUILD_BUG_ON(offsetof(StorvspScsiRequest, srb_flags) != 40);
    QEMU_BUILD_BUG_ON(STORVSP_SRB_SIZE_PRE_WIN8 != 36);
    QEMU_BUILD_BUG_ON(sizeof(StorvspSubChannelRequest) != 2);
    QEMU_BUILD_BUG_ON(STORVSP_PACKET_HEADER_SIZE != 12);
    QEMU_BUILD_BUG_ON(sizeof(StorvspPacket) != 64);
    QEMU_BUILD_BUG_ON(STORVSP_PACKET_SIZE_PRE_WIN8 != 48);
}

#endif
