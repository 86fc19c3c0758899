/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for the synthetic keyboard and HID message code
 * (hw/input-vsp/input-msg.c): the messages Linux's hyperv-keyboard and
 * hid-hyperv send, hostile ones, scan code translation, the mouse's report
 * descriptor and reports, and a brief fuzz run of both parsers.
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "hw/input-vsp/input-msg.h"

/* Keyboard */

static void test_kbd_messages(void)
{
    uint8_t buf[16];
    SynthkbdGuestMsg msg;
    const char *why;
    uint32_t len;

    stl_le_p(buf, SYNTHKBD_PROTOCOL_REQUEST);
    stl_le_p(buf + 4, SYNTHKBD_VERSION_1_0);
    g_assert_cmpint(synthkbd_msg_parse(buf, 8, &msg, &why), ==, 0);
    g_assert_cmpuint(msg.type, ==, SYNTHKBD_PROTOCOL_REQUEST);
    g_assert_cmpuint(msg.version, ==, 0x10000);

    stl_le_p(buf, SYNTHKBD_LED_INDICATORS);
    stw_le_p(buf + 4, SYNTHKBD_LED_CAPS_LOCK | SYNTHKBD_LED_NUM_LOCK);
    g_assert_cmpint(synthkbd_msg_parse(buf, 8, &msg, &why), ==, 0);
    g_assert_cmpuint(msg.led_flags, ==, 6);

    for (len = 0; len < 8; len++) {
        stl_le_p(buf, SYNTHKBD_PROTOCOL_REQUEST);
        g_assert_cmpint(synthkbd_msg_parse(buf, len, &msg, &why), ==,
                        -EINVAL);
        if (len < 6) {
            stl_le_p(buf, SYNTHKBD_LED_INDICATORS);
            g_assert_cmpint(synthkbd_msg_parse(buf, len, &msg, &why), ==,
                            -EINVAL);
        }
    }
    memset(buf, 0, sizeof(buf));
    stl_le_p(buf, SYNTHKBD_PROTOCOL_RESPONSE);
    g_assert_cmpint(synthkbd_msg_parse(buf, 16, &msg, &why), ==, -EINVAL);
    stl_le_p(buf, SYNTHKBD_EVENT);
    g_assert_cmpint(synthkbd_msg_parse(buf, 16, &msg, &why), ==, -EINVAL);
    stl_le_p(buf, 0);
    g_assert_cmpint(synthkbd_msg_parse(buf, 16, &msg, &why), ==, -EINVAL);
    stl_le_p(buf, UINT32_MAX);
    g_assert_cmpint(synthkbd_msg_parse(buf, 16, &msg, &why), ==, -EINVAL);
}

static void check_strokes(const int *codes, int ncodes,
                          const SynthkbdStroke *want, int nwant)
{
    SynthkbdStroke got[SYNTHKBD_MAX_STROKES];
    int n = synthkbd_codes_to_strokes(codes, ncodes, got), i;

    g_assert_cmpint(n, ==, nwant);
    for (i = 0; i < n; i++) {
        g_assert_cmpuint(got[i].make_code, ==, want[i].make_code);
        g_assert_cmpuint(got[i].info, ==, want[i].info);
    }
}

static void test_kbd_strokes(void)
{
    /* set-1 codes as qemu_input_key_value_to_scancode() gives them */
    static const int a_down[] = { 0x1e }, a_up[] = { 0x9e };
    static const int rctrl_down[] = { 0xe0, 0x1d }, rctrl_up[] = { 0xe0, 0x9d };
    static const int pause_down[] = { 0xe1, 0x1d, 0x45 };
    static const int pause_up[] = { 0xe1, 0x9d, 0xc5 };
    static const int prefix_only[] = { 0xe0 };
    static const int many[] = { 1, 2, 3, 4, 5, 6 };
    const SynthkbdStroke a_down_s[] = { { 0x1e, 0 } };
    const SynthkbdStroke a_up_s[] = { { 0x1e, SYNTHKBD_INFO_BREAK } };
    const SynthkbdStroke rctrl_down_s[] = { { 0x1d, SYNTHKBD_INFO_E0 } };
    const SynthkbdStroke rctrl_up_s[] = {
        { 0x1d, SYNTHKBD_INFO_E0 | SYNTHKBD_INFO_BREAK },
    };
    const SynthkbdStroke pause_down_s[] = {
        { 0x1d, SYNTHKBD_INFO_E1 }, { 0x45, 0 },
    };
    const SynthkbdStroke pause_up_s[] = {
        { 0x1d, SYNTHKBD_INFO_E1 | SYNTHKBD_INFO_BREAK },
        { 0x45, SYNTHKBD_INFO_BREAK },
    };
    const SynthkbdStroke many_s[] = { { 1, 0 }, { 2, 0 }, { 3, 0 }, { 4, 0 } };

    check_strokes(a_down, 1, a_down_s, 1);
    check_strokes(a_up, 1, a_up_s, 1);
    check_strokes(rctrl_down, 2, rctrl_down_s, 1);
    check_strokes(rctrl_up, 2, rctrl_up_s, 1);
    check_strokes(pause_down, 3, pause_down_s, 2);
    check_strokes(pause_up, 3, pause_up_s, 2);
    check_strokes(prefix_only, 1, NULL, 0);
    check_strokes(NULL, 0, NULL, 0);
    check_strokes(many, 6, many_s, SYNTHKBD_MAX_STROKES);
}

/* HID */

static uint32_t make_hid(uint8_t *buf, uint32_t type, const void *body,
                         uint32_t body_len)
{
    stl_le_p(buf, SYNTHHID_PIPE_MSG_DATA);
    stl_le_p(buf + 4, sizeof(SynthhidMsgHeader) + body_len);
    stl_le_p(buf + 8, type);
    stl_le_p(buf + 12, body_len);
    memcpy(buf + SYNTHHID_HEADERS_SIZE, body, body_len);
    return SYNTHHID_HEADERS_SIZE + body_len;
}

static void test_hid_messages(void)
{
    uint8_t buf[64], body[8] = { 0 };
    SynthhidGuestMsg msg;
    const char *why;
    uint32_t len, l;

    /* hid-hyperv's protocol request: header size 4 */
    stl_le_p(body, SYNTHHID_VERSION_2_0);
    len = make_hid(buf, SYNTHHID_PROTOCOL_REQUEST, body, 4);
    g_assert_cmpint(synthhid_msg_parse(buf, len, &msg, &why), ==, 0);
    g_assert_cmpuint(msg.type, ==, SYNTHHID_PROTOCOL_REQUEST);
    g_assert_cmpuint(msg.version, ==, 0x20000);
    for (l = 0; l < len; l++) {
        g_assert_cmpint(synthhid_msg_parse(buf, l, &msg, &why), ==, -EINVAL);
    }
    /* the ack: header size 1 */
    len = make_hid(buf, SYNTHHID_INITIAL_DEVICE_INFO_ACK, body, 1);
    g_assert_cmpint(synthhid_msg_parse(buf, len, &msg, &why), ==, 0);

    /* sizes that lie */
    len = make_hid(buf, SYNTHHID_PROTOCOL_REQUEST, body, 3);
    g_assert_cmpint(synthhid_msg_parse(buf, len, &msg, &why), ==, -EINVAL);
    len = make_hid(buf, SYNTHHID_PROTOCOL_REQUEST, body, 4);
    stl_le_p(buf + 4, 100);
    g_assert_cmpint(synthhid_msg_parse(buf, len, &msg, &why), ==, -EINVAL);
    stl_le_p(buf + 4, 7);
    g_assert_cmpint(synthhid_msg_parse(buf, len, &msg, &why), ==, -EINVAL);
    stl_le_p(buf + 4, 12);
    stl_le_p(buf + 12, 5);
    g_assert_cmpint(synthhid_msg_parse(buf, len, &msg, &why), ==, -EINVAL);
    stl_le_p(buf + 12, UINT32_MAX);
    g_assert_cmpint(synthhid_msg_parse(buf, len, &msg, &why), ==, -EINVAL);
    stl_le_p(buf + 12, 4);
    stl_le_p(buf, 0);                                   /* pipe: invalid */
    g_assert_cmpint(synthhid_msg_parse(buf, len, &msg, &why), ==, -EINVAL);

    /* what only a host sends, and unknown types */
    len = make_hid(buf, SYNTHHID_PROTOCOL_RESPONSE, body, 5);
    g_assert_cmpint(synthhid_msg_parse(buf, len, &msg, &why), ==, -EINVAL);
    len = make_hid(buf, SYNTHHID_INITIAL_DEVICE_INFO, body, 8);
    g_assert_cmpint(synthhid_msg_parse(buf, len, &msg, &why), ==, -EINVAL);
    len = make_hid(buf, SYNTHHID_INPUT_REPORT, body, 6);
    g_assert_cmpint(synthhid_msg_parse(buf, len, &msg, &why), ==, -EINVAL);
    len = make_hid(buf, 5, body, 0);
    g_assert_cmpint(synthhid_msg_parse(buf, len, &msg, &why), ==, -EINVAL);
}

static void test_mouse_report(void)
{
    uint8_t r[SYNTHHID_MOUSE_REPORT_SIZE];

    /* hid-hyperv rewrites byte 14 when it is 0x25 (Logical Maximum). */
    g_assert_cmpuint(synthhid_mouse_report_desc_len, >, 15);
    g_assert_cmpuint(synthhid_mouse_report_desc[14], !=, 0x25);
    g_assert_cmpuint(synthhid_mouse_report_desc[
                         synthhid_mouse_report_desc_len - 1], ==, 0xc0);

    synthhid_mouse_report(r, 0x5, 16384, 8192, -1);
    g_assert_cmpuint(r[0], ==, 5);
    g_assert_cmpuint(lduw_le_p(r + 1), ==, 16384);
    g_assert_cmpuint(lduw_le_p(r + 3), ==, 8192);
    g_assert_cmpint((int8_t)r[5], ==, -1);

    synthhid_mouse_report(r, 0xffffffff, 0xffff, 40000, 1000);
    g_assert_cmpuint(r[0], ==, 7);
    g_assert_cmpuint(lduw_le_p(r + 1), ==, SYNTHHID_MOUSE_ABS_MAX);
    g_assert_cmpuint(lduw_le_p(r + 3), ==, SYNTHHID_MOUSE_ABS_MAX);
    g_assert_cmpint((int8_t)r[5], ==, 127);
    synthhid_mouse_report(r, 0, 0, 0, -1000);
    g_assert_cmpint((int8_t)r[5], ==, -127);
}

/* Random packets for both parsers, each in an exact-size buffer. */
static void test_fuzz(void)
{
    GRand *rand = g_rand_new_with_seed(0x1b9e7);
    int i;

    for (i = 0; i < 200000; i++) {
        uint32_t len = g_rand_int_range(rand, 0, 40), j;
        g_autofree uint8_t *pkt = g_malloc(len);
        SynthkbdGuestMsg kmsg;
        SynthhidGuestMsg hmsg;
        const char *why;

        for (j = 0; j < len; j++) {
            pkt[j] = g_rand_int_range(rand, 0, 3) ? g_rand_int_range(rand, 0, 6)
                                                  : g_rand_int(rand);
        }
        if (len >= 8 && g_rand_boolean(rand)) {
            stl_le_p(pkt, SYNTHHID_PIPE_MSG_DATA);
            stl_le_p(pkt + 4, g_rand_int_range(rand, 0, 40));
        }
        if (synthkbd_msg_parse(pkt, len, &kmsg, &why) == 0) {
            g_assert_true(kmsg.type == SYNTHKBD_PROTOCOL_REQUEST ||
                          kmsg.type == SYNTHKBD_LED_INDICATORS);
        }
        if (synthhid_msg_parse(pkt, len, &hmsg, &why) == 0) {
            g_assert_true(hmsg.type == SYNTHHID_PROTOCOL_REQUEST ||
                          hmsg.type == SYNTHHID_INITIAL_DEVICE_INFO_ACK);
        }
    }
    g_rand_free(rand);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/input-msg/kbd-messages", test_kbd_messages);
    g_test_add_func("/input-msg/kbd-strokes", test_kbd_strokes);
    g_test_add_func("/input-msg/hid-messages", test_hid_messages);
    g_test_add_func("/input-msg/mouse-report", test_mouse_report);
    g_test_add_func("/input-msg/fuzz", test_fuzz);
    return g_test_run();
}
