/*
 * qemu-hvpart: synthetic keyboard and HID messages, decoded and built.
 *
 * Pure protocol code, without QEMU device plumbing, so that unit tests and
 * fuzzers can drive it (tests/unit/test-input-msg.c). The parsers check
 * every size the guest wrote against what it sent and reject messages only
 * a host sends; failures name their reason in *@why (a static string, for
 * a trace event).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_INPUT_VSP_INPUT_MSG_H
#define HW_INPUT_VSP_INPUT_MSG_H

#include "hw/input-vsp/input-proto.h"

/* Keyboard */

typedef struct SynthkbdGuestMsg {
    uint32_t type;                      /* SynthkbdMsgType */
    union {
        uint32_t version;               /* PROTOCOL_REQUEST */
        uint16_t led_flags;             /* LED_INDICATORS */
    };
} SynthkbdGuestMsg;

/*
 * Decode one keyboard message (@buf, @len bytes: the packet's payload,
 * padding included). Returns 0 or -EINVAL.
 */
int synthkbd_msg_parse(const uint8_t *buf, uint32_t len,
                       SynthkbdGuestMsg *msg, const char **why);

/* A scan code as the keyboard protocol carries it */
typedef struct SynthkbdStroke {
    uint16_t make_code;                 /* 7 bits */
    uint32_t info;                      /* SYNTHKBD_INFO_* */
} SynthkbdStroke;

/* Most strokes one QEMU key event becomes (Pause: E1 1D, 45). */
#define SYNTHKBD_MAX_STROKES    4

/*
 * Turn a set-1 scan code sequence (@codes, @ncodes bytes, as
 * qemu_input_key_value_to_scancode() gives: E0/E1 prefixes, bit 7 for a
 * break code) into strokes: each prefix becomes the E0/E1 flag of the
 * code after it, bit 7 the break flag. Returns the number of strokes
 * written to @out (at most SYNTHKBD_MAX_STROKES).
 */
int synthkbd_codes_to_strokes(const int *codes, int ncodes,
                              SynthkbdStroke *out);

/* HID */

typedef struct SynthhidGuestMsg {
    uint32_t type;                      /* SynthhidMsgType */
    uint32_t version;                   /* PROTOCOL_REQUEST */
} SynthhidGuestMsg;

/*
 * Decode one HID message (@buf, @len bytes: the pipe header onwards).
 * Returns 0 or -EINVAL.
 */
int synthhid_msg_parse(const uint8_t *buf, uint32_t len,
                       SynthhidGuestMsg *msg, const char **why);

/*
 * The mouse: a HID report descriptor for 3 buttons, absolute X and Y
 * (0..SYNTHHID_MOUSE_ABS_MAX) and a wheel, and its input report.
 */
#define SYNTHHID_MOUSE_ABS_MAX  32767
#define SYNTHHID_MOUSE_REPORT_SIZE 6
/* Microsoft's ids, which Linux's hid-hyperv binds to. */
#define SYNTHHID_MOUSE_VENDOR   0x045e
#define SYNTHHID_MOUSE_PRODUCT  0x0621

extern const uint8_t synthhid_mouse_report_desc[];
extern const uint16_t synthhid_mouse_report_desc_len;

/* @buttons: bit 0 left, 1 right, 2 middle; @wheel: clicks, up positive */
void synthhid_mouse_report(uint8_t *report, uint32_t buttons, uint16_t x,
                           uint16_t y, int wheel);

#endif
