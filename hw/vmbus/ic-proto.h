/*
 * qemu-hvpart: wire format of the Hyper-V integration services (ICs):
 * heartbeat, shutdown, time sync, key/value exchange.
 *
 * Every IC message is one VMBus in-band packet: a pipe header, an IC message
 * header, then the message body. The host sends requests; the guest answers
 * in the same buffer with the response flag set.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_VMBUS_IC_PROTO_H
#define HW_VMBUS_IC_PROTO_H

#define IC_MSGTYPE_NEGOTIATE        0
#define IC_MSGTYPE_HEARTBEAT        1
#define IC_MSGTYPE_KVPEXCHANGE      2
#define IC_MSGTYPE_SHUTDOWN         3
#define IC_MSGTYPE_TIMESYNC         4

#define IC_FLAG_TRANSACTION         1
#define IC_FLAG_REQUEST             2
#define IC_FLAG_RESPONSE            4

#define IC_STATUS_OK                0x00000000u
#define IC_STATUS_FAIL              0x80004005u

#define IC_VERSION(major, minor)    (((uint32_t)(major) << 16) | (minor))
#define IC_VERSION_MAJOR(v)         ((v) >> 16)
#define IC_VERSION_MINOR(v)         ((v) & 0xffff)

/* Versions of the message framework itself (Linux: UTIL_FW_VERSION). */
#define IC_FRAMEWORK_3_0            IC_VERSION(3, 0)
#define IC_FRAMEWORK_1_0            IC_VERSION(1, 0)

typedef struct ICPipeHeader {
    uint32_t flags;
    uint32_t msgsize;                   /* bytes after this header */
} QEMU_PACKED ICPipeHeader;

typedef struct ICVersion {
    uint16_t major;
    uint16_t minor;
} QEMU_PACKED ICVersion;

typedef struct ICMsgHeader {
    ICVersion icverframe;
    uint16_t icmsgtype;
    ICVersion icvermsg;
    uint16_t icmsgsize;                 /* body bytes */
    uint32_t status;
    uint8_t ictransaction_id;
    uint8_t icflags;
    uint8_t reserved[2];
} QEMU_PACKED ICMsgHeader;

#define IC_HEADERS_SIZE (sizeof(ICPipeHeader) + sizeof(ICMsgHeader))

typedef struct ICNegotiate {
    uint16_t icframe_vercnt;
    uint16_t icmsg_vercnt;
    uint32_t reserved;
    ICVersion versions[];               /* framework, then service */
} QEMU_PACKED ICNegotiate;

typedef struct ICHeartbeat {
    uint64_t seq_num;
    uint32_t reserved[8];
} QEMU_PACKED ICHeartbeat;

#define IC_SHUTDOWN_FLAG_SHUTDOWN   0
#define IC_SHUTDOWN_FLAG_FORCE      1
#define IC_SHUTDOWN_FLAG_RESTART    2
#define IC_SHUTDOWN_MESSAGE_BYTES   2048

typedef struct ICShutdown {
    uint32_t reason_code;
    uint32_t timeout_seconds;
    uint32_t flags;
    uint8_t display_message[IC_SHUTDOWN_MESSAGE_BYTES];
} QEMU_PACKED ICShutdown;

/* Time sync: times are Windows FILETIME, 100 ns units since 1601-01-01. */
#define IC_TIMESYNC_FLAG_PROBE      0
#define IC_TIMESYNC_FLAG_SYNC       1   /* set the clock (boot, restore) */
#define IC_TIMESYNC_FLAG_SAMPLE     2   /* a sample; the guest may adjust */
#define IC_FILETIME_UNIX_EPOCH      116444736000000000ull

/* versions 1.0 and 3.0 */
typedef struct ICTimesync {
    uint64_t parenttime;
    uint64_t childtime;
    uint64_t roundtriptime;
    uint8_t flags;
} QEMU_PACKED ICTimesync;

/* version 4.0: carries the partition reference time of the sample */
typedef struct ICTimesyncRef {
    uint64_t parenttime;
    uint64_t vmreferencetime;
    uint8_t flags;
    uint8_t leapflags;
    uint8_t stratum;
    uint8_t reserved[3];
} QEMU_PACKED ICTimesyncRef;

/* Key/value exchange (KVP). Keys and values travel as UTF-16LE. */
#define IC_KVP_OP_GET               0
#define IC_KVP_OP_SET               1
#define IC_KVP_OP_DELETE            2
#define IC_KVP_OP_ENUMERATE         3
#define IC_KVP_OP_GET_IP_INFO       4
#define IC_KVP_OP_SET_IP_INFO       5

#define IC_KVP_POOL_EXTERNAL        0
#define IC_KVP_POOL_GUEST           1
#define IC_KVP_POOL_AUTO            2
#define IC_KVP_POOL_AUTO_EXTERNAL   3
#define IC_KVP_POOL_AUTO_INTERNAL   4
#define IC_KVP_POOL_COUNT           5

#define IC_KVP_REG_SZ               1
#define IC_KVP_REG_U32              4
#define IC_KVP_REG_U64              8

#define IC_KVP_MAX_KEY_BYTES        512
#define IC_KVP_MAX_VALUE_BYTES      2048
/* "no more items": the end of an enumeration */
#define IC_STATUS_NO_MORE_ITEMS     0x80070103u

typedef struct ICKvpValue {
    uint32_t value_type;
    uint32_t key_size;                  /* bytes, UTF-16 NUL included */
    uint32_t value_size;
    uint8_t key[IC_KVP_MAX_KEY_BYTES];
    uint8_t value[IC_KVP_MAX_VALUE_BYTES];
} QEMU_PACKED ICKvpValue;

/*
 * struct hv_kvp_msg: a 4-byte header, then a union whose largest member is
 * the IP address information (7426 bytes). The guest answers in the same
 * buffer, so the host always sends the whole size.
 */
#define IC_KVP_MSG_SIZE             7430

typedef struct ICKvpHeader {
    uint8_t operation;
    uint8_t pool;
    uint16_t pad;
} QEMU_PACKED ICKvpHeader;

typedef struct ICKvpEnumerate {
    ICKvpHeader hdr;
    uint32_t index;
    ICKvpValue data;
} QEMU_PACKED ICKvpEnumerate;

typedef struct ICKvpSet {
    ICKvpHeader hdr;
    ICKvpValue data;
} QEMU_PACKED ICKvpSet;

static inline void ic_proto_check_sizes(void)
{
    QEMU_BUILD_BUG_ON(sizeof(ICPipeHeader) != 8);
    QEMU_BUILD_BUG_ON(sizeof(ICMsgHeader) != 20);
    QEMU_BUILD_BUG_ON(sizeof(ICNegotiate) != 8);
    QEMU_BUILD_BUG_ON(sizeof(ICHeartbeat) != 40);
    QEMU_BUILD_BUG_ON(sizeof(ICShutdown) != 2060);
    QEMU_BUILD_BUG_ON(sizeof(ICTimesync) != 25);
    QEMU_BUILD_BUG_ON(sizeof(ICTimesyncRef) != 22);
    QEMU_BUILD_BUG_ON(sizeof(ICKvpValue) != 2572);
    QEMU_BUILD_BUG_ON(sizeof(ICKvpEnumerate) != 2580);
    QEMU_BUILD_BUG_ON(sizeof(ICKvpSet) > IC_KVP_MSG_SIZE);
}

#endif
