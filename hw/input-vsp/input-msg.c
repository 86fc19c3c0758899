/*
 * qemu-hvpart: synthetic keyboard and HID messages, decoded and built
 * (see input-msg.h).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "hw/input-vsp/input-msg.h"

/* Keyboard */

int synthkbd_msg_parse(const uint8_t *buf, uint32_t len,
                       SynthkbdGuestMsg *msg, const char **why)
{
    memset(msg, 0, sizeof(*msg));
    if (len < sizeof(uint32_t)) {
        *why = "message shorter than its type";
        return -EINVAL;
    }
    msg->type = ldl_le_p(buf);
    switch (msg->type) {
    case SYNTHKBD_PROTOCOL_REQUEST:
        if (len < sizeof(SynthkbdProtocolRequest)) {
            *why = "protocol request too short";
            return -EINVAL;
        }
        msg->version = ldl_le_p(buf + 4);
        return 0;
    case SYNTHKBD_LED_INDICATORS:
        if (len < sizeof(SynthkbdLedIndicators)) {
            *why = "LED indicators too short";
            return -EINVAL;
        }
        msg->led_flags = lduw_le_p(buf + 4);
        return 0;
    case SYNTHKBD_PROTOCOL_RESPONSE:
    case SYNTHKBD_EVENT:
        *why = "message type only a host sends";
        return -EINVAL;
    default:
        *why = "unknown message type";
        return -EINVAL;
    }
}

int synthkbd_codes_to_strokes(const int *codes, int ncodes,
                              SynthkbdStroke *out)
{
    uint32_t prefix = 0;
    int i, n = 0;

    for (i = 0; i < ncodes && n < SYNTHKBD_MAX_STROKES; i++) {
        switch (codes[i]) {
        case 0xe0:
            prefix |= SYNTHKBD_INFO_E0;
            break;
        case 0xe1:
            prefix |= SYNTHKBD_INFO_E1;
            break;
        default:
            out[n].make_code = codes[i] & 0x7f;
            out[n].info = prefix |
                          (codes[i] & 0x80 ? SYNTHKBD_INFO_BREAK : 0);
            n++;
            prefix = 0;
            break;
        }
    }
    return n;
}

/* HID */

int synthhid_msg_parse(const uint8_t *buf, uint32_t len,
                       SynthhidGuestMsg *msg, const char **why)
{
    const SynthhidPipeHeader *pipe = (const SynthhidPipeHeader *)buf;
    const SynthhidMsgHeader *hdr;
    uint32_t pipe_size, body_len;

    memset(msg, 0, sizeof(*msg));
    if (len < SYNTHHID_HEADERS_SIZE) {
        *why = "packet shorter than the headers";
        return -EINVAL;
    }
    if (le32_to_cpu(pipe->type) != SYNTHHID_PIPE_MSG_DATA) {
        *why = "pipe message type is not data";
        return -EINVAL;
    }
    pipe_size = le32_to_cpu(pipe->size);
    if (pipe_size < sizeof(SynthhidMsgHeader) ||
        pipe_size > len - sizeof(SynthhidPipeHeader)) {
        *why = "pipe size outside the packet";
        return -EINVAL;
    }
    hdr = (const SynthhidMsgHeader *)(pipe + 1);
    body_len = le32_to_cpu(hdr->size);
    if (body_len > pipe_size - sizeof(SynthhidMsgHeader)) {
        *why = "message size outside the pipe message";
        return -EINVAL;
    }
    msg->type = le32_to_cpu(hdr->type);
    switch (msg->type) {
    case SYNTHHID_PROTOCOL_REQUEST:
        if (body_len < sizeof(SynthhidProtocolRequest)) {
            *why = "protocol request too short";
            return -EINVAL;
        }
        msg->version = ldl_le_p(hdr + 1);
        return 0;
    case SYNTHHID_INITIAL_DEVICE_INFO_ACK:
        /* Linux says 1 byte (reserved); nothing in it matters. */
        return 0;
    case SYNTHHID_PROTOCOL_RESPONSE:
    case SYNTHHID_INITIAL_DEVICE_INFO:
    case SYNTHHID_INPUT_REPORT:
        *why = "message type only a host sends";
        return -EINVAL;
    default:
        *why = "unknown message type";
        return -EINVAL;
    }
}

/*
 * HID 1.11 report descriptor of the mouse. Report (6 bytes, no report id):
 * byte 0 buttons 1-3 in bits 0-2; bytes 1-2 X, 3-4 Y (absolute, 0..32767,
 * little-endian); byte 5 wheel (relative, -127..127).
 *
 * Linux's hid-hyperv rewrites byte 14 of the descriptor from 0x25 to 0x29
 * (a fix for Hyper-V's own descriptor); here byte 14 is already 0x29.
 */
const uint8_t synthhid_mouse_report_desc[] = {
    0x05, 0x01,         /* Usage Page (Generic Desktop) */
    0x09, 0x02,         /* Usage (Mouse) */
    0xa1, 0x01,         /* Collection (Application) */
    0x09, 0x01,         /*   Usage (Pointer) */
    0xa1, 0x00,         /*   Collection (Physical) */
    0x05, 0x09,         /*     Usage Page (Button) */
    0x19, 0x01,         /*     Usage Minimum (1) */
    0x29, 0x03,         /*     Usage Maximum (3) */
    0x15, 0x00,         /*     Logical Minimum (0) */
    0x25, 0x01,         /*     Logical Maximum (1) */
    0x95, 0x03,         /*     Report Count (3) */
    0x75, 0x01,         /*     Report Size (1) */
    0x81, 0x02,         /*     Input (Data, Variable, Absolute) */
    0x95, 0x01,         /*     Report Count (1) */
    0x75, 0x05,         /*     Report Size (5) */
    0x81, 0x03,         /*     Input (Constant): padding */
    0x05, 0x01,         /*     Usage Page (Generic Desktop) */
    0x09, 0x30,         /*     Usage (X) */
    0x09, 0x31,         /*     Usage (Y) */
    0x15, 0x00,         /*     Logical Minimum (0) */
    0x26, 0xff, 0x7f,   /*     Logical Maximum (32767) */
    0x75, 0x10,         /*     Report Size (16) */
    0x95, 0x02,         /*     Report Count (2) */
    0x81, 0x02,         /*     Input (Data, Variable, Absolute) */
    0x09, 0x38,         /*     Usage (Wheel) */
    0x15, 0x81,         /*     Logical Minimum (-127) */
    0x25, 0x7f,         /*     Logical Maximum (127) */
    0x75, 0x08,         /*     Report Size (8) */
    0x95, 0x01,         /*     Report Count (1) */
    0x81, 0x06,         /*     Input (Data, Variable, Relative) */
    0xc0,               /*   End Collection */
    0xc0,               /* End Collection */
};
const uint16_t synthhid_mouse_report_desc_len =
    sizeof(synthhid_mouse_report_desc);

void synthhid_mouse_report(uint8_t *report, uint32_t buttons, uint16_t x,
                           uint16_t y, int wheel)
{
    report[0] = buttons & 0x7;
    stw_le_p(report + 1, MIN(x, SYNTHHID_MOUSE_ABS_MAX));
    stw_le_p(report + 3, MIN(y, SYNTHHID_MOUSE_ABS_MAX));
    report[5] = (uint8_t)(int8_t)MAX(MIN(wheel, 127), -127);
}
