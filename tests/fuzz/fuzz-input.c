/*
 * qemu-hvpart fuzzer: synthetic keyboard and HID mouse messages from the
 * guest (hw/input-vsp/input-msg.c), plus the host-side conversions that
 * the devices apply to QEMU input (scan codes to strokes, mouse reports),
 * whose output the guest's drivers parse.
 *
 * Input: records of one selector byte (0: keyboard channel, 1: mouse
 * channel, 2: scan code sequence, 3: mouse event), then a packet (see
 * fuzz-util.h).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "fuzz-util.h"
#include "hw/input-vsp/input-msg.h"

static void fuzz_keyboard(const uint8_t *buf, uint32_t len)
{
    SynthkbdGuestMsg msg;
    const char *why = NULL;

    if (synthkbd_msg_parse(buf, len, &msg, &why) < 0) {
        FUZZ_CHECK(why != NULL);
        return;
    }
    FUZZ_CHECK(len >= sizeof(uint32_t) && msg.type == ldl_le_p(buf));
    switch (msg.type) {
    case SYNTHKBD_PROTOCOL_REQUEST:
        FUZZ_CHECK(len >= sizeof(SynthkbdProtocolRequest));
        FUZZ_CHECK(msg.version == ldl_le_p(buf + 4));
        break;
    case SYNTHKBD_LED_INDICATORS:
        FUZZ_CHECK(len >= sizeof(SynthkbdLedIndicators));
        FUZZ_CHECK(msg.led_flags == lduw_le_p(buf + 4));
        break;
    default:
        /* a host-only or unknown type must never pass */
        FUZZ_CHECK(false);
    }
}

static void fuzz_mouse(const uint8_t *buf, uint32_t len)
{
    SynthhidGuestMsg msg;
    const char *why = NULL;
    uint32_t pipe_size, body_len;

    if (synthhid_msg_parse(buf, len, &msg, &why) < 0) {
        FUZZ_CHECK(why != NULL);
        return;
    }
    FUZZ_CHECK(len >= SYNTHHID_HEADERS_SIZE);
    FUZZ_CHECK(ldl_le_p(buf) == SYNTHHID_PIPE_MSG_DATA);
    pipe_size = ldl_le_p(buf + 4);
    body_len = ldl_le_p(buf + 12);
    FUZZ_CHECK(pipe_size >= sizeof(SynthhidMsgHeader) &&
               pipe_size <= len - sizeof(SynthhidPipeHeader));
    FUZZ_CHECK(body_len <= pipe_size - sizeof(SynthhidMsgHeader));
    FUZZ_CHECK(msg.type == ldl_le_p(buf + 8));
    switch (msg.type) {
    case SYNTHHID_PROTOCOL_REQUEST:
        FUZZ_CHECK(body_len >= sizeof(SynthhidProtocolRequest));
        FUZZ_CHECK(msg.version == ldl_le_p(buf + SYNTHHID_HEADERS_SIZE));
        break;
    case SYNTHHID_INITIAL_DEVICE_INFO_ACK:
        break;
    default:
        FUZZ_CHECK(false);
    }
}

static void fuzz_strokes(const uint8_t *buf, uint32_t len)
{
    SynthkbdStroke out[SYNTHKBD_MAX_STROKES];
    int codes[16];
    int n, i, ncodes = MIN(len, ARRAY_SIZE(codes));

    for (i = 0; i < ncodes; i++) {
        codes[i] = buf[i];
    }
    n = synthkbd_codes_to_strokes(codes, ncodes, out);
    FUZZ_CHECK(n >= 0 && n <= SYNTHKBD_MAX_STROKES && n <= ncodes);
    for (i = 0; i < n; i++) {
        FUZZ_CHECK(out[i].make_code <= 0x7f);
        FUZZ_CHECK(!(out[i].info & ~(SYNTHKBD_INFO_BREAK | SYNTHKBD_INFO_E0 |
                                     SYNTHKBD_INFO_E1)));
    }
}

static void fuzz_mouse_report(const uint8_t *buf, uint32_t len)
{
    uint8_t report[SYNTHHID_MOUSE_REPORT_SIZE];
    uint8_t in[12] = { 0 };
    int8_t wheel;

    memcpy(in, buf, MIN(len, sizeof(in)));
    synthhid_mouse_report(report, ldl_le_p(in), lduw_le_p(in + 4),
                          lduw_le_p(in + 6), (int)ldl_le_p(in + 8));
    FUZZ_CHECK(report[0] <= 7);
    FUZZ_CHECK(lduw_le_p(report + 1) <= SYNTHHID_MOUSE_ABS_MAX);
    FUZZ_CHECK(lduw_le_p(report + 3) <= SYNTHHID_MOUSE_ABS_MAX);
    wheel = (int8_t)report[5];
    FUZZ_CHECK(wheel >= -127 && wheel <= 127);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FuzzInput in = { data, size };
    uint8_t *pkt;
    uint32_t len;
    uint8_t sel;

    for (;;) {
        sel = fuzz_u8(&in);
        pkt = fuzz_next_packet(&in, &len);
        if (!pkt) {
            break;
        }
        switch (sel % 4) {
        case 0:
            fuzz_keyboard(pkt, len);
            break;
        case 1:
            fuzz_mouse(pkt, len);
            break;
        case 2:
            fuzz_strokes(pkt, len);
            break;
        default:
            fuzz_mouse_report(pkt, len);
            break;
        }
        free(pkt);
    }
    return 0;
}
