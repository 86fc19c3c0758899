/*
 * qemu-hvpart: the synthetic keyboard and HID (mouse) protocols on the wire
 *
 * Keyboard (Linux: drivers/input/serio/hyperv-keyboard.c): each in-band
 * packet holds one message, a 32-bit type then its body. The guest asks
 * for protocol 1.0; the host then sends one message per scan code, with
 * flags for break codes and the E0/E1 prefixes. A guest may send the
 * state of its LEDs.
 *
 * Mouse (Linux: drivers/hid/hid-hyperv.c): each in-band packet holds a
 * pipe header, then a synthhid header (type, body size) and the body. The
 * guest asks for protocol 2.0; the host answers, then describes the device
 * (attributes, HID descriptor, HID report descriptor), the guest acks, and
 * input reports follow.
 *
 * Every multi-byte field is little-endian; the structures are packed.
 * Sizes are pinned in input_proto_check_sizes() at the end.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_INPUT_VSP_INPUT_PROTO_H
#define HW_INPUT_VSP_INPUT_PROTO_H

/* Interface type GUIDs */
#define SYNTHKBD_INTERFACE_ID   "f912ad6d-2b17-48ea-bd65-f927a61c7684"
#define SYNTHHID_INTERFACE_ID   "cfa8b69e-5b4a-4cc0-b98b-8ba1a1f3f95a"

/* Keyboard */

/* Versions: major in the high 16 bits, minor in the low 16 bits. */
#define SYNTHKBD_VERSION(major, minor)  ((uint32_t)(major) << 16 | (minor))
#define SYNTHKBD_VERSION_1_0            SYNTHKBD_VERSION(1, 0)

typedef enum SynthkbdMsgType {
    SYNTHKBD_PROTOCOL_REQUEST           = 1,
    SYNTHKBD_PROTOCOL_RESPONSE          = 2,
    SYNTHKBD_EVENT                      = 3,
    SYNTHKBD_LED_INDICATORS             = 4,
} SynthkbdMsgType;

/* Largest keyboard message a guest may send. */
#define SYNTHKBD_MAX_MSG                256

typedef struct SynthkbdProtocolRequest {
    uint32_t type;                      /* SYNTHKBD_PROTOCOL_REQUEST */
    uint32_t version;
} QEMU_PACKED SynthkbdProtocolRequest;

/* SynthkbdProtocolResponse.status */
#define SYNTHKBD_PROTOCOL_ACCEPTED      0x1

typedef struct SynthkbdProtocolResponse {
    uint32_t type;                      /* SYNTHKBD_PROTOCOL_RESPONSE */
    uint32_t status;
} QEMU_PACKED SynthkbdProtocolResponse;

/* SynthkbdKeystroke.info */
#define SYNTHKBD_INFO_UNICODE           0x1
#define SYNTHKBD_INFO_BREAK             0x2
#define SYNTHKBD_INFO_E0                0x4
#define SYNTHKBD_INFO_E1                0x8

/* One set-1 scan code, without prefix or break bit. */
typedef struct SynthkbdKeystroke {
    uint32_t type;                      /* SYNTHKBD_EVENT */
    uint16_t make_code;
    uint16_t reserved;
    uint32_t info;
} QEMU_PACKED SynthkbdKeystroke;

/* SynthkbdLedIndicators.led_flags, as Windows' KEYBOARD_*_ON */
#define SYNTHKBD_LED_SCROLL_LOCK        0x1
#define SYNTHKBD_LED_NUM_LOCK           0x2
#define SYNTHKBD_LED_CAPS_LOCK          0x4

typedef struct SynthkbdLedIndicators {
    uint32_t type;                      /* SYNTHKBD_LED_INDICATORS */
    uint16_t led_flags;
} QEMU_PACKED SynthkbdLedIndicators;

/* HID (mouse) */

#define SYNTHHID_VERSION(major, minor)  ((uint32_t)(major) << 16 | (minor))
#define SYNTHHID_VERSION_2_0            SYNTHHID_VERSION(2, 0)

/* SynthhidPipeHeader.type */
#define SYNTHHID_PIPE_MSG_DATA          1

typedef enum SynthhidMsgType {
    SYNTHHID_PROTOCOL_REQUEST           = 0,
    SYNTHHID_PROTOCOL_RESPONSE          = 1,
    SYNTHHID_INITIAL_DEVICE_INFO        = 2,
    SYNTHHID_INITIAL_DEVICE_INFO_ACK    = 3,
    SYNTHHID_INPUT_REPORT               = 4,
} SynthhidMsgType;

/* Largest HID message a guest may send. */
#define SYNTHHID_MAX_MSG                256

typedef struct SynthhidPipeHeader {
    uint32_t type;                      /* SYNTHHID_PIPE_MSG_DATA */
    uint32_t size;                      /* bytes after this header */
} QEMU_PACKED SynthhidPipeHeader;

typedef struct SynthhidMsgHeader {
    uint32_t type;                      /* SynthhidMsgType */
    uint32_t size;                      /* body bytes after this header */
} QEMU_PACKED SynthhidMsgHeader;

#define SYNTHHID_HEADERS_SIZE \
    (sizeof(SynthhidPipeHeader) + sizeof(SynthhidMsgHeader))

/* Bodies, after SynthhidMsgHeader */

typedef struct SynthhidProtocolRequest {
    uint32_t version;
} QEMU_PACKED SynthhidProtocolRequest;

typedef struct SynthhidProtocolResponse {
    uint32_t version;
    uint8_t approved;
} QEMU_PACKED SynthhidProtocolResponse;

/* Windows' HID_DEVICE_ATTRIBUTES */
typedef struct SynthhidDeviceAttributes {
    uint32_t size;                      /* of this structure */
    uint16_t vendor_id;
    uint16_t product_id;
    uint16_t version;
    uint16_t reserved[11];
} QEMU_PACKED SynthhidDeviceAttributes;

/* The HID class descriptor (HID 1.11, 6.2.1) with one report descriptor */
typedef struct SynthhidHidDescriptor {
    uint8_t length;                     /* of this descriptor: 9 */
    uint8_t descriptor_type;            /* 0x21: HID */
    uint16_t bcd_hid;
    uint8_t country_code;
    uint8_t num_descriptors;            /* 1 */
    uint8_t report_type;                /* 0x22: report descriptor */
    uint16_t report_length;
} QEMU_PACKED SynthhidHidDescriptor;

/* Followed by the report descriptor. */
typedef struct SynthhidDeviceInfo {
    SynthhidDeviceAttributes attributes;
    SynthhidHidDescriptor hid_descriptor;
} QEMU_PACKED SynthhidDeviceInfo;

typedef struct SynthhidDeviceInfoAck {
    uint8_t reserved;
} QEMU_PACKED SynthhidDeviceInfoAck;

static inline void input_proto_check_sizes(void)
{
    QEMU_BUILD_BUG_ON(sizeof(SynthkbdProtocolRequest) != 8);
    QEMU_BUILD_BUG_ON(sizeof(SynthkbdProtocolResponse) != 8);
    QEMU_BUILD_BUG_ON(sizeof(SynthkbdKeystroke) != 12);
    QEMU_BUILD_BUG_ON(sizeof(SynthkbdLedIndicators) != 6);
    QEMU_BUILD_BUG_ON(sizeof(SynthhidPipeHeader) != 8);
    QEMU_BUILD_BUG_ON(sizeof(SynthhidMsgHeader) != 8);
    QEMU_BUILD_BUG_ON(sizeof(SynthhidProtocolRequest) != 4);
    QEMU_BUILD_BUG_ON(sizeof(SynthhidProtocolResponse) != 5);
    QEMU_BUILD_BUG_ON(sizeof(SynthhidDeviceAttributes) != 32);
    QEMU_BUILD_BUG_ON(sizeof(SynthhidHidDescriptor) != 9);
    QEMU_BUILD_BUG_ON(sizeof(SynthhidDeviceInfo) != 41);
    QEMU_BUILD_BUG_ON(sizeof(SynthhidDeviceInfoAck) != 1);
}

#endif
