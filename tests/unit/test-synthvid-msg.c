/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for the synthetic video message parser and checks
 * (hw/synthvid-vsp/synthvid-msg.c), with the messages a Linux guest sends
 * (drivers/gpu/drm/hyperv/hyperv_drm_proto.c) and hostile ones, and a
 * brief fuzz run.
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "qemu/units.h"
#include "hw/synthvid-vsp/synthvid-msg.h"

#define BUF_MAX 512

/*
 * A message as Linux sends it: pipe header, synthvid header, @body; the
 * packet is padded to 8 bytes as the ring carries it. Returns the length.
 */
static uint32_t make_msg(uint8_t *buf, uint32_t type, const void *body,
                         uint32_t body_len)
{
    uint32_t len = SYNTHVID_HEADERS_SIZE + body_len;

    g_assert_cmpuint(ROUND_UP(len, 8), <=, BUF_MAX);
    memset(buf, 0xee, BUF_MAX);
    stl_le_p(buf, SYNTHVID_PIPE_MSG_DATA);
    stl_le_p(buf + 4, sizeof(SynthvidMsgHeader) + body_len);
    stl_le_p(buf + 8, type);
    stl_le_p(buf + 12, sizeof(SynthvidMsgHeader) + body_len);
    memcpy(buf + SYNTHVID_HEADERS_SIZE, body, body_len);
    return ROUND_UP(len, 8);
}

static int parse(const uint8_t *buf, uint32_t len, SynthvidGuestMsg *msg)
{
    const char *why = NULL;
    int ret = synthvid_msg_parse(buf, len, msg, &why);

    if (ret < 0) {
        g_assert_nonnull(why);
    }
    return ret;
}

static void test_linux_messages(void)
{
    uint8_t buf[BUF_MAX], body[64];
    SynthvidGuestMsg msg;
    uint32_t len;

    stl_le_p(body, SYNTHVID_VERSION_WIN10);
    len = make_msg(buf, SYNTHVID_VERSION_REQUEST, body, 4);
    g_assert_cmpint(parse(buf, len, &msg), ==, 0);
    g_assert_cmpuint(msg.type, ==, SYNTHVID_VERSION_REQUEST);
    g_assert_cmpuint(msg.version, ==, SYNTHVID_VERSION(3, 5));

    memset(body, 0, sizeof(body));
    stq_le_p(body, 0xf000000000ull);
    body[8] = 1;
    stq_le_p(body + 9, 0xf000000000ull);
    len = make_msg(buf, SYNTHVID_VRAM_LOCATION, body, 17);
    g_assert_cmpint(parse(buf, len, &msg), ==, 0);
    g_assert_cmpuint(msg.vram.user_ctx, ==, 0xf000000000ull);
    g_assert_true(msg.vram.gpa_specified);
    g_assert_cmpuint(msg.vram.gpa, ==, 0xf000000000ull);

    /* situation: ctx, count 1, active, offset 0, 32 bpp, 1024x768, 4096 */
    memset(body, 0, sizeof(body));
    body[8] = 1;
    body[9] = 1;
    body[14] = 32;
    stl_le_p(body + 15, 1024);
    stl_le_p(body + 19, 768);
    stl_le_p(body + 23, 4096);
    len = make_msg(buf, SYNTHVID_SITUATION_UPDATE, body, 27);
    g_assert_cmpint(parse(buf, len, &msg), ==, 0);
    g_assert_cmpuint(msg.situation.output_count, ==, 1);
    g_assert_true(msg.situation.output0.active);
    g_assert_cmpuint(msg.situation.output0.depth_bits, ==, 32);
    g_assert_cmpuint(msg.situation.output0.width, ==, 1024);
    g_assert_cmpuint(msg.situation.output0.height, ==, 768);
    g_assert_cmpuint(msg.situation.output0.pitch, ==, 4096);

    /* hyperv_hide_hw_ptr(): position, then a 1x1 ARGB shape */
    memset(body, 0, sizeof(body));
    body[0] = 1;
    len = make_msg(buf, SYNTHVID_POINTER_POSITION, body, 10);
    g_assert_cmpint(parse(buf, len, &msg), ==, 0);
    g_assert_true(msg.pointer_pos.visible);
    body[0] = SYNTHVID_CURSOR_COMPLETE;
    body[1] = SYNTHVID_CURSOR_FLAG_ARGB;
    stl_le_p(body + 2, 1);
    stl_le_p(body + 6, 1);
    stl_le_p(body + 18, 0x01010100);
    len = make_msg(buf, SYNTHVID_POINTER_SHAPE, body, 22);
    g_assert_cmpint(parse(buf, len, &msg), ==, 0);
    g_assert_cmpuint(msg.pointer_shape.width, ==, 1);
    g_assert_cmpuint(msg.pointer_shape.pixels_len, ==, 4);
    g_assert_cmpuint(ldl_le_p(msg.pointer_shape.pixels), ==, 0x01010100);

    memset(body, 0, sizeof(body));
    body[1] = 1;
    stl_le_p(body + 2, 10);
    stl_le_p(body + 6, 20);
    stl_le_p(body + 10, 110);
    stl_le_p(body + 14, 120);
    len = make_msg(buf, SYNTHVID_DIRT, body, 18);
    g_assert_cmpint(parse(buf, len, &msg), ==, 0);
    g_assert_cmpuint(msg.dirt.count, ==, 1);

    body[0] = 64;
    len = make_msg(buf, SYNTHVID_RESOLUTION_REQUEST, body, 1);
    g_assert_cmpint(parse(buf, len, &msg), ==, 0);
    g_assert_cmpuint(msg.max_resolutions, ==, 64);

    /* Types this VSP does not know come back with their type only. */
    len = make_msg(buf, 0x1234, body, 3);
    g_assert_cmpint(parse(buf, len, &msg), ==, 0);
    g_assert_cmpuint(msg.type, ==, 0x1234);
}

static void test_versions(void)
{
    int minor;

    for (minor = 0; minor <= 5; minor++) {
        g_assert_true(synthvid_version_supported(SYNTHVID_VERSION(3, minor)));
    }
    g_assert_false(synthvid_version_supported(SYNTHVID_VERSION(3, 6)));
    g_assert_false(synthvid_version_supported(SYNTHVID_VERSION(2, 5)));
    g_assert_false(synthvid_version_supported(SYNTHVID_VERSION(4, 0)));
    g_assert_false(synthvid_version_supported(0));
    g_assert_false(synthvid_version_supported(UINT32_MAX));
}

static void test_bad_headers(void)
{
    uint8_t buf[BUF_MAX], body[4] = { 0 };
    SynthvidGuestMsg msg;
    uint32_t len, l;

    len = make_msg(buf, SYNTHVID_VERSION_REQUEST, body, 4);
    for (l = 0; l < SYNTHVID_HEADERS_SIZE; l++) {
        g_assert_cmpint(parse(buf, l, &msg), ==, -EINVAL);
    }
    /* The headers say more than the packet has. */
    g_assert_cmpint(parse(buf, SYNTHVID_HEADERS_SIZE + 3, &msg), ==,
                    -EINVAL);
    stl_le_p(buf, 2);                                   /* not DATA */
    g_assert_cmpint(parse(buf, len, &msg), ==, -EINVAL);
    stl_le_p(buf, SYNTHVID_PIPE_MSG_DATA);
    stl_le_p(buf + 4, len);                             /* pipe too big */
    g_assert_cmpint(parse(buf, len, &msg), ==, -EINVAL);
    stl_le_p(buf + 4, UINT32_MAX);
    g_assert_cmpint(parse(buf, len, &msg), ==, -EINVAL);
    stl_le_p(buf + 4, 7);                               /* < msg header */
    g_assert_cmpint(parse(buf, len, &msg), ==, -EINVAL);
    stl_le_p(buf + 4, 12);
    stl_le_p(buf + 12, 13);                             /* msg > pipe */
    g_assert_cmpint(parse(buf, len, &msg), ==, -EINVAL);
    stl_le_p(buf + 12, 7);                              /* < its header */
    g_assert_cmpint(parse(buf, len, &msg), ==, -EINVAL);
    stl_le_p(buf + 12, 11);                             /* body of 3 */
    g_assert_cmpint(parse(buf, len, &msg), ==, -EINVAL);
    stl_le_p(buf + 12, 12);
    g_assert_cmpint(parse(buf, len, &msg), ==, 0);
}

static void test_host_only_and_short(void)
{
    static const uint32_t host_only[] = {
        SYNTHVID_VERSION_RESPONSE, SYNTHVID_VRAM_LOCATION_ACK,
        SYNTHVID_SITUATION_UPDATE_ACK, SYNTHVID_FEATURE_CHANGE,
        SYNTHVID_BIOS_INFO_RESPONSE, SYNTHVID_RESOLUTION_RESPONSE,
        SYNTHVID_CAPABILITY_RESPONSE,
    };
    static const struct {
        uint32_t type, min;
    } sized[] = {
        { SYNTHVID_VERSION_REQUEST, 4 },
        { SYNTHVID_VRAM_LOCATION, 17 },
        { SYNTHVID_SITUATION_UPDATE, 27 },
        { SYNTHVID_POINTER_POSITION, 10 },
        { SYNTHVID_POINTER_SHAPE, 18 },
        { SYNTHVID_DIRT, 18 },
        { SYNTHVID_RESOLUTION_REQUEST, 1 },
    };
    uint8_t buf[BUF_MAX], body[256];
    SynthvidGuestMsg msg;
    uint32_t len;
    size_t i;

    memset(body, 0, sizeof(body));
    for (i = 0; i < ARRAY_SIZE(host_only); i++) {
        len = make_msg(buf, host_only[i], body, sizeof(body));
        g_assert_cmpint(parse(buf, len, &msg), ==, -EINVAL);
    }
    for (i = 0; i < ARRAY_SIZE(sized); i++) {
        len = make_msg(buf, sized[i].type, body, sized[i].min - 1);
        g_assert_cmpint(parse(buf, len, &msg), ==, -EINVAL);
    }
}

static void test_bad_bodies(void)
{
    uint8_t buf[BUF_MAX], body[128];
    SynthvidGuestMsg msg;
    uint32_t len;

    /* a situation update without outputs, or fewer than it counts */
    memset(body, 0, sizeof(body));
    len = make_msg(buf, SYNTHVID_SITUATION_UPDATE, body, 27);
    g_assert_cmpint(parse(buf, len, &msg), ==, -EINVAL);
    body[8] = 2;
    len = make_msg(buf, SYNTHVID_SITUATION_UPDATE, body, 27);
    g_assert_cmpint(parse(buf, len, &msg), ==, -EINVAL);
    body[8] = 255;
    len = make_msg(buf, SYNTHVID_SITUATION_UPDATE, body, 9 + 18 * 4);
    g_assert_cmpint(parse(buf, len, &msg), ==, -EINVAL);
    body[8] = 2;
    len = make_msg(buf, SYNTHVID_SITUATION_UPDATE, body, 9 + 18 * 2);
    g_assert_cmpint(parse(buf, len, &msg), ==, 0);

    /* pointer shapes: empty, too big, hot spot outside */
    memset(body, 0, sizeof(body));
    body[0] = SYNTHVID_CURSOR_COMPLETE;
    body[1] = SYNTHVID_CURSOR_FLAG_ARGB;
    len = make_msg(buf, SYNTHVID_POINTER_SHAPE, body, 22);
    g_assert_cmpint(parse(buf, len, &msg), ==, -EINVAL);
    stl_le_p(body + 2, 97);
    stl_le_p(body + 6, 1);
    len = make_msg(buf, SYNTHVID_POINTER_SHAPE, body, 22);
    g_assert_cmpint(parse(buf, len, &msg), ==, -EINVAL);
    stl_le_p(body + 2, 1);
    stl_le_p(body + 6, UINT32_MAX);
    len = make_msg(buf, SYNTHVID_POINTER_SHAPE, body, 22);
    g_assert_cmpint(parse(buf, len, &msg), ==, -EINVAL);
    stl_le_p(body + 6, 1);
    stl_le_p(body + 10, 1);                             /* hot_x == width */
    len = make_msg(buf, SYNTHVID_POINTER_SHAPE, body, 22);
    g_assert_cmpint(parse(buf, len, &msg), ==, -EINVAL);

    /* dirt: no rectangle, or fewer than counted */
    memset(body, 0, sizeof(body));
    len = make_msg(buf, SYNTHVID_DIRT, body, 18);
    g_assert_cmpint(parse(buf, len, &msg), ==, -EINVAL);
    body[1] = 2;
    len = make_msg(buf, SYNTHVID_DIRT, body, 18);
    g_assert_cmpint(parse(buf, len, &msg), ==, -EINVAL);
    body[1] = 255;
    len = make_msg(buf, SYNTHVID_DIRT, body, 2 + 16 * 7);
    g_assert_cmpint(parse(buf, len, &msg), ==, -EINVAL);
}

static void test_mode_check(void)
{
    SynthvidMode m = {
        .active = true, .depth_bits = 32, .width = 1024, .height = 768,
        .pitch = 4096,
    };
    SynthvidMode bad;
    const char *why;

    g_assert_true(synthvid_mode_check(&m, 8 * MiB, &why));
    m.width = 1920;
    m.height = 1080;
    m.pitch = 7680;
    g_assert_true(synthvid_mode_check(&m, 8 * MiB, &why));
    m.width = 2560;
    m.height = 1600;
    m.pitch = 10240;
    g_assert_false(synthvid_mode_check(&m, 8 * MiB, &why));
    g_assert_true(synthvid_mode_check(&m, 16 * MiB, &why));
    m.depth_bits = 16;
    m.pitch = 5120;
    g_assert_true(synthvid_mode_check(&m, 8 * MiB, &why));

    m = (SynthvidMode) {
        .active = true, .depth_bits = 32, .width = 1024, .height = 768,
        .pitch = 4096,
    };
    bad = m;
    bad.depth_bits = 24;
    g_assert_false(synthvid_mode_check(&bad, 8 * MiB, &why));
    bad = m;
    bad.width = 0;
    g_assert_false(synthvid_mode_check(&bad, 8 * MiB, &why));
    bad = m;
    bad.height = SYNTHVID_MAX_HEIGHT + 1;
    g_assert_false(synthvid_mode_check(&bad, UINT64_MAX, &why));
    bad = m;
    bad.pitch = 4092;                                   /* < a line */
    g_assert_false(synthvid_mode_check(&bad, 8 * MiB, &why));
    bad = m;
    bad.pitch = 4098;                                   /* not 4-aligned */
    g_assert_false(synthvid_mode_check(&bad, 8 * MiB, &why));
    bad = m;
    bad.vram_offset = 8 * MiB - 4096 * 767;             /* last line out */
    g_assert_false(synthvid_mode_check(&bad, 8 * MiB, &why));
    bad = m;
    bad.vram_offset = UINT32_MAX;
    g_assert_false(synthvid_mode_check(&bad, 8 * MiB, &why));
    bad = m;
    bad.pitch = UINT32_MAX - 3;
    g_assert_false(synthvid_mode_check(&bad, 8 * MiB, &why));
    bad = m;
    bad.width = bad.height = SYNTHVID_MAX_WIDTH;
    bad.pitch = 0xfffffffc;
    g_assert_false(synthvid_mode_check(&bad, 8 * MiB, &why));
}

static void test_rects(void)
{
    static const struct {
        int32_t x1, y1, x2, y2;
        bool ok;
    } cases[] = {
        { 0, 0, 1024, 768, true },
        { 10, 20, 11, 21, true },
        { 1023, 767, 1024, 768, true },
        { -1, 0, 10, 10, false },
        { 0, -1, 10, 10, false },
        { 10, 10, 10, 20, false },                      /* empty */
        { 10, 20, 20, 10, false },                      /* inverted */
        { 0, 0, 1025, 768, false },
        { 0, 0, 1024, 769, false },
        { INT32_MIN, INT32_MIN, INT32_MAX, INT32_MAX, false },
        { 0, 0, INT32_MAX, 1, false },
    };
    SynthvidMode m = {
        .active = true, .depth_bits = 32, .width = 1024, .height = 768,
        .pitch = 4096,
    };
    uint8_t rects[ARRAY_SIZE(cases) * 16];
    SynthvidGuestMsg msg = {
        .type = SYNTHVID_DIRT,
        .dirt = { .count = ARRAY_SIZE(cases), .rects = rects },
    };
    SynthvidRect r;
    const char *why;
    size_t i;

    for (i = 0; i < ARRAY_SIZE(cases); i++) {
        stl_le_p(rects + i * 16, cases[i].x1);
        stl_le_p(rects + i * 16 + 4, cases[i].y1);
        stl_le_p(rects + i * 16 + 8, cases[i].x2);
        stl_le_p(rects + i * 16 + 12, cases[i].y2);
    }
    for (i = 0; i < ARRAY_SIZE(cases); i++) {
        g_assert_cmpint(synthvid_rect_get(&msg, i, &m, &r, &why), ==,
                        cases[i].ok);
        if (cases[i].ok) {
            g_assert_cmpint(r.x1, ==, cases[i].x1);
            g_assert_cmpint(r.y2, ==, cases[i].y2);
        }
    }
    g_assert_false(synthvid_rect_get(&msg, ARRAY_SIZE(cases), &m, &r, &why));
    m.active = false;
    g_assert_false(synthvid_rect_get(&msg, 0, &m, &r, &why));
}

static void test_vram_gpa(void)
{
    const uint64_t base = 0xf000000000ull, size = 512 * MiB;
    const char *why;

    g_assert_true(synthvid_vram_gpa_check(base, 8 * MiB, base, size, &why));
    g_assert_true(synthvid_vram_gpa_check(base + size - 8 * MiB, 8 * MiB,
                                          base, size, &why));
    g_assert_false(synthvid_vram_gpa_check(base + 1, 8 * MiB, base, size,
                                           &why));
    g_assert_false(synthvid_vram_gpa_check(base - 4096, 8 * MiB, base, size,
                                           &why));
    g_assert_false(synthvid_vram_gpa_check(base + size - 8 * MiB + 4096,
                                           8 * MiB, base, size, &why));
    g_assert_false(synthvid_vram_gpa_check(base, size + 4096, base, size,
                                           &why));
    g_assert_false(synthvid_vram_gpa_check(0, 8 * MiB, base, size, &why));
    g_assert_false(synthvid_vram_gpa_check(UINT64_MAX & ~4095ull, 8 * MiB,
                                           base, size, &why));
    g_assert_false(synthvid_vram_gpa_check(base, 8 * MiB, UINT64_MAX - MiB,
                                           size, &why));
}

/*
 * Fuzz briefly: mutated Linux messages and random bytes. Nothing may read
 * outside the packet: whatever the parser accepts points inside it.
 */
static void test_fuzz(void)
{
    SynthvidMode mode = {
        .active = true, .depth_bits = 32, .width = 1024, .height = 768,
        .pitch = 4096,
    };
    GRand *rand = g_rand_new_with_seed(0x5717a1d);
    uint8_t body[BUF_MAX];
    int i;

    for (i = 0; i < 200000; i++) {
        uint32_t type = g_rand_int_range(rand, 0, SYNTHVID_MSG_TYPE_COUNT + 2);
        uint32_t body_len = g_rand_int_range(rand, 0, 200);
        g_autofree uint8_t *pkt = NULL;
        uint8_t buf[BUF_MAX];
        SynthvidGuestMsg msg;
        SynthvidRect r;
        const char *why;
        uint32_t len, j, flips;

        for (j = 0; j < body_len; j++) {
            body[j] = g_rand_int_range(rand, 0, 4) ? g_rand_int(rand) : 0;
        }
        len = make_msg(buf, type, body, body_len);
        flips = g_rand_int_range(rand, 0, 4);
        for (j = 0; j < flips; j++) {
            buf[g_rand_int_range(rand, 0, len)] = g_rand_int(rand);
        }
        len = g_rand_int_range(rand, 0, 4) ? len :
              (uint32_t)g_rand_int_range(rand, 0, len + 1);
        /* An exact-size copy, so that a read past the end is caught. */
        pkt = g_memdup2(buf, len);
        if (synthvid_msg_parse(pkt, len, &msg, &why) < 0) {
            continue;
        }
        if (msg.type == SYNTHVID_DIRT) {
            g_assert_cmpuint(msg.dirt.rects - pkt + msg.dirt.count * 16, <=,
                             len);
            for (j = 0; j < msg.dirt.count; j++) {
                synthvid_rect_get(&msg, j, &mode, &r, &why);
            }
        } else if (msg.type == SYNTHVID_POINTER_SHAPE) {
            g_assert_cmpuint(msg.pointer_shape.pixels - pkt +
                             msg.pointer_shape.pixels_len, <=, len);
        } else if (msg.type == SYNTHVID_SITUATION_UPDATE) {
            synthvid_mode_check(&msg.situation.output0, 8 * MiB, &why);
        }
    }
    g_rand_free(rand);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/synthvid-msg/linux", test_linux_messages);
    g_test_add_func("/synthvid-msg/versions", test_versions);
    g_test_add_func("/synthvid-msg/bad-headers", test_bad_headers);
    g_test_add_func("/synthvid-msg/host-only-and-short",
                    test_host_only_and_short);
    g_test_add_func("/synthvid-msg/bad-bodies", test_bad_bodies);
    g_test_add_func("/synthvid-msg/mode-check", test_mode_check);
    g_test_add_func("/synthvid-msg/rects", test_rects);
    g_test_add_func("/synthvid-msg/vram-gpa", test_vram_gpa);
    g_test_add_func("/synthvid-msg/fuzz", test_fuzz);
    return g_test_run();
}
