/*
 * The synthetic video, keyboard and mouse with an unmodified Linux guest
 * (Debian 12's 6.1 kernel, busybox initramfs from tests/guest/mkguest.sh)
 * under -accel hvpart. The guest side is tests/guest/scripts/display.sh.
 *
 * Each test has a VNC viewer connected (a minimal one, below), so that
 * QEMU refreshes the console as it does for a user.
 *
 * /hvpart/display/default: vmbus-video with its defaults (8 MiB of VRAM,
 *     1024x768 preferred), vmbus-keyboard, vmbus-mouse.
 *     - Before the guest's driver runs, the viewer and a screendump get
 *       QEMU's 640x480 placeholder; once hyperv_drm binds, the guest sees
 *       the host's mode list (preferred mode first, nothing the VRAM
 *       cannot hold) and the console follows the guest's mode: 1024x768.
 *     - The pattern the guest writes to /dev/fb0 is in a QMP screendump
 *       PNG (decoded here with zlib) at the right pixels; the guest sent
 *       dirty rectangles, the redraws used them, and nothing the guest
 *       sent was rejected.
 *     - QMP send-key gives the right key codes (press and release, E0 and
 *       E1 keys) in the keyboard's event device; input-send-event absolute
 *       moves, clicks and the wheel give the right events in the mouse's.
 * /hvpart/display/resolution: vmbus-video with vram-size=16M and
 *     dirty-rects=off, the guest started with video=Virtual-1:800x600.
 *     The mode list reaches 2560x1600, the console is 800x600 and shows
 *     the pattern, redrawn from the dirty-page log.
 * /hvpart/display/migrate: live migration while the guest shows the
 *     pattern and waits for input; the destination maps the VRAM where the
 *     guest put it, shows the pattern and passes the input checks.
 *
 * Environment: as hvpart-boot-test.c (QTEST_QEMU_BINARY, HVPART_GUEST_DIR,
 * HVPART_KEEP_CONSOLE, HVPART_GUEST_QEMU_ARGS).
 *
 * Copyright (c) 2025 qemu-hvpart contributors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include <sys/socket.h>
#include <sys/un.h>
#include <zlib.h>
#include "qemu/bswap.h"
#include "libqtest.h"
#include "qobject/qdict.h"
#include "qobject/qjson.h"
#include "qobject/qnum.h"
#include "qobject/qstring.h"
#include "hvpart-guest-util.h"

#define GUEST_MACHINE "-machine pc -m 512 -smp 2"
#define VIDEO_PATH "/machine/peripheral/video"
#define KBD_PATH "/machine/peripheral/kbd"
#define MOUSE_PATH "/machine/peripheral/mouse"
#define INPUT_DEVICES " -device vmbus-keyboard,id=kbd" \
                      " -device vmbus-mouse,id=mouse"
/* vt.global_cursor_default=0: fbcon draws no cursor over the pattern. */
#define CMDLINE_DISPLAY HVGUEST_CMDLINE_BASE " vt.global_cursor_default=0" \
    " hvtest.mods=hv_vmbus,hyperv_drm,hyperv_keyboard,hid_hyperv" \
    " hvtest.script=display"

/* The VMBus MMIO window's default place (hw/vmbus/vmbus-bridge.c). */
#define VMBUS_MMIO_BASE 0xf000000000ull
#define VMBUS_MMIO_SIZE (512ull << 20)

/* Linux input event types and codes (include/uapi/linux/input*.h) */
#define EV_KEY 1
#define EV_REL 2
#define EV_ABS 3
#define KEY_ESC 1
#define KEY_A 30
#define KEY_RIGHTCTRL 97
#define KEY_KPSLASH 98
#define KEY_UP 103
#define KEY_PAUSE 119
#define BTN_LEFT 272
#define BTN_RIGHT 273
#define BTN_MIDDLE 274
#define REL_WHEEL 8
#define ABS_X 0
#define ABS_Y 1

/* An RGB image, 3 bytes a pixel. */
typedef struct Image {
    uint32_t width, height;
    uint8_t *rgb;
} Image;

static void image_free(Image *img)
{
    g_free(img->rgb);
    g_free(img);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(Image, image_free)

/* PNG decoding (PNG spec, 2nd edition: chunks 5.3, filters 9.2) */

static uint8_t paeth(uint8_t a, uint8_t b, uint8_t c)
{
    int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);

    if (pa <= pb && pa <= pc) {
        return a;
    }
    return pb <= pc ? b : c;
}

/*
 * Decode an 8-bit RGB or RGBA, non-interlaced PNG (what QEMU's screendump
 * writes) into RGB. Fails the test on anything else.
 */
static Image *png_decode(const uint8_t *data, gsize len)
{
    static const uint8_t sig[8] = { 137, 'P', 'N', 'G', 13, 10, 26, 10 };
    g_autoptr(GByteArray) idat = g_byte_array_new();
    g_autofree uint8_t *raw = NULL;
    uint32_t width = 0, height = 0, bpp = 0, stride, x, y;
    uLongf raw_len;
    gsize pos = 8;
    Image *img;

    g_assert_cmpuint(len, >, sizeof(sig));
    g_assert_cmpmem(data, sizeof(sig), sig, sizeof(sig));
    while (pos + 12 <= len) {
        uint32_t clen = (uint32_t)ldl_be_p(data + pos);
        const uint8_t *type = data + pos + 4, *cdata = data + pos + 8;

        g_assert_cmpuint(clen, <=, len - pos - 12);
        g_assert_cmpuint(crc32(crc32(0, NULL, 0), type, clen + 4), ==,
                         (uint32_t)ldl_be_p(cdata + clen));
        if (!memcmp(type, "IHDR", 4)) {
            g_assert_cmpuint(clen, ==, 13);
            width = (uint32_t)ldl_be_p(cdata);
            height = (uint32_t)ldl_be_p(cdata + 4);
            g_assert_cmpuint(cdata[8], ==, 8);              /* bit depth */
            g_assert_true(cdata[9] == 2 || cdata[9] == 6);  /* RGB(A) */
            bpp = cdata[9] == 2 ? 3 : 4;
            g_assert_cmpuint(cdata[12], ==, 0);             /* interlace */
        } else if (!memcmp(type, "IDAT", 4)) {
            g_byte_array_append(idat, cdata, clen);
        } else if (!memcmp(type, "IEND", 4)) {
            break;
        }
        pos += clen + 12;
    }
    g_assert_cmpuint(width, >, 0);
    g_assert_cmpuint(height, >, 0);

    stride = width * bpp;
    raw_len = (uLongf)(stride + 1) * height;
    raw = g_malloc(raw_len);
    g_assert_cmpint(uncompress(raw, &raw_len, idat->data, idat->len), ==,
                    Z_OK);
    g_assert_cmpuint(raw_len, ==, (uLongf)(stride + 1) * height);

    img = g_new0(Image, 1);
    img->width = width;
    img->height = height;
    img->rgb = g_malloc((gsize)width * height * 3);
    for (y = 0; y < height; y++) {
        uint8_t *line = raw + (gsize)y * (stride + 1) + 1;
        const uint8_t *prev = y ? line - (stride + 1) : NULL;
        uint8_t filter = line[-1];

        for (x = 0; x < stride; x++) {
            uint8_t a = x >= bpp ? line[x - bpp] : 0;
            uint8_t b = prev ? prev[x] : 0;
            uint8_t c = prev && x >= bpp ? prev[x - bpp] : 0;

            switch (filter) {
            case 0:
                break;
            case 1:
                line[x] += a;
                break;
            case 2:
                line[x] += b;
                break;
            case 3:
                line[x] += (a + b) / 2;
                break;
            case 4:
                line[x] += paeth(a, b, c);
                break;
            default:
                g_error("PNG filter type %u", filter);
            }
        }
        for (x = 0; x < width; x++) {
            memcpy(img->rgb + ((gsize)y * width + x) * 3, line + x * bpp, 3);
        }
    }
    return img;
}

/* QMP screendump as PNG, decoded. */
static Image *screendump(QTestState *qts)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *path = NULL;
    g_autofree gchar *data = NULL;
    gsize len;
    int fd;

    fd = g_file_open_tmp("hvpart-screendump-XXXXXX.png", &path, &err);
    g_assert_no_error(err);
    close(fd);
    qtest_qmp_assert_success(qts, "{'execute': 'screendump', 'arguments': "
                             "{'filename': %s, 'format': 'png'}}", path);
    g_assert_true(g_file_get_contents(path, &data, &len, &err));
    unlink(path);
    return png_decode((const uint8_t *)data, len);
}

/* The pattern of tests/guest/scripts/display.sh */

static const uint8_t bar_colours[8][3] = {
    { 255, 0, 0 }, { 0, 255, 0 }, { 0, 0, 255 }, { 255, 255, 0 },
    { 0, 255, 255 }, { 255, 0, 255 }, { 255, 255, 255 }, { 128, 64, 32 },
};
static const uint8_t group_colours[4][3] = {
    { 17, 34, 51 }, { 68, 85, 102 }, { 119, 136, 153 }, { 170, 187, 204 },
};

static const uint8_t *pattern_pixel(uint32_t w, uint32_t h, uint32_t x,
                                    uint32_t y)
{
    static const uint8_t black[3];

    if (y >= 64 && y < 128) {
        return bar_colours[x / (w / 8)];
    }
    if (y >= 160 && y < 176) {
        return group_colours[(x + y - 160) % 4];
    }
    if (y >= h - 8) {
        return x < w / 2 ? bar_colours[7] : bar_colours[6];
    }
    return black;
}

/* Number of pixels that differ from the pattern; the first one is logged. */
static uint64_t pattern_mismatches(const Image *img)
{
    uint64_t bad = 0;
    uint32_t x, y;

    for (y = 0; y < img->height; y++) {
        for (x = 0; x < img->width; x++) {
            const uint8_t *want = pattern_pixel(img->width, img->height, x, y);
            const uint8_t *got = img->rgb + ((gsize)y * img->width + x) * 3;

            if (memcmp(want, got, 3) != 0) {
                if (!bad) {
                    g_test_message("first difference at %u,%u: %u,%u,%u "
                                   "instead of %u,%u,%u", x, y, got[0],
                                   got[1], got[2], want[0], want[1],
                                   want[2]);
                }
                bad++;
            }
        }
    }
    return bad;
}

/*
 * Wait for the guest's pattern and compare the screen with it, pixel by
 * pixel, at @width x @height. The guest's fbdev emulation copies to the
 * VRAM from a worker: allow it a few seconds.
 */
static void check_pattern(HvGuest *g, uint32_t width, uint32_t height)
{
    uint64_t bad = 0;
    int tries;

    hvguest_expect_line(g, "HVTEST: pattern-written", HVGUEST_TIMEOUT_S);
    for (tries = 0; tries < 20; tries++) {
        g_autoptr(Image) img = screendump(hvguest_qts(g));

        g_assert_cmpuint(img->width, ==, width);
        g_assert_cmpuint(img->height, ==, height);
        bad = pattern_mismatches(img);
        if (!bad) {
            g_test_message("screendump %ux%u matches the guest's pattern",
                           width, height);
            return;
        }
        g_usleep(500 * 1000);
    }
    g_error("the screen differs from the guest's pattern in %" PRIu64
            " pixels", bad);
}

/* Helpers: QMP and the guest */

static bool qom_get_bool(QTestState *qts, const char *path, const char *prop)
{
    QDict *rsp = qtest_qmp(qts, "{'execute': 'qom-get', 'arguments': "
                           "{'path': %s, 'property': %s}}", path, prop);
    bool val;

    g_assert_true(qdict_haskey(rsp, "return"));
    val = qdict_get_bool(rsp, "return");
    qobject_unref(rsp);
    return val;
}

/* Wait up to 60 s for the counter @prop of @path to exceed 0. */
static uint64_t wait_counter(QTestState *qts, const char *path,
                             const char *prop)
{
    uint64_t val;
    int i;

    for (i = 0; i < 240; i++) {
        val = hvguest_qom_get_u64(qts, path, prop);
        if (val) {
            return val;
        }
        g_usleep(250 * 1000);
    }
    g_error("%s %s stayed 0", path, prop);
}

static char *qom_get_str(QTestState *qts, const char *path, const char *prop)
{
    QDict *rsp = qtest_qmp(qts, "{'execute': 'qom-get', 'arguments': "
                           "{'path': %s, 'property': %s}}", path, prop);
    char *val = g_strdup(qdict_get_try_str(rsp, "return"));

    g_assert_nonnull(val);
    qobject_unref(rsp);
    return val;
}

static void check_modprobe(HvGuest *g, const char *module)
{
    g_autofree char *needle = g_strdup_printf("HVTEST: modprobe %s rc=",
                                              module);
    const HvGuestLine *line = hvguest_expect_line(g, needle,
                                                  HVGUEST_TIMEOUT_S);
    g_autofree char *rc = hvguest_line_field(line->text, "rc");

    g_assert_cmpstr(rc, ==, "0");
}

/* The guest's mode list, checked against what the VRAM holds. */
static void check_modes(HvGuest *g, const char *preferred,
                        const char *const *present,
                        const char *const *absent)
{
    const HvGuestLine *line = hvguest_expect_line(g, "HVTEST: drm-connector",
                                                  HVGUEST_TIMEOUT_S);
    g_autofree char *status = hvguest_line_field(line->text, "status");
    g_autofree char *modes = hvguest_line_field(line->text, "modes");
    g_auto(GStrv) list = NULL;

    g_test_message("guest: %s", line->text);
    g_assert_cmpstr(status, ==, "connected");
    g_assert_nonnull(modes);
    list = g_strsplit(modes, ",", -1);
    g_assert_cmpstr(list[0], ==, preferred);
    for (; *present; present++) {
        g_assert_true(g_strv_contains((const char *const *)list, *present));
    }
    for (; *absent; absent++) {
        g_assert_false(g_strv_contains((const char *const *)list, *absent));
    }
}

static void check_fb(HvGuest *g, uint32_t width, uint32_t height)
{
    const HvGuestLine *line = hvguest_expect_line(g, "HVTEST: fb0 ",
                                                  HVGUEST_TIMEOUT_S);
    g_autofree char *w = hvguest_line_field(line->text, "width");
    g_autofree char *h = hvguest_line_field(line->text, "height");

    g_test_message("guest: %s", line->text);
    g_assert_cmpuint(atoi(w), ==, width);
    g_assert_cmpuint(atoi(h), ==, height);
}

/* What the device says about the guest's video */
static void check_video_state(QTestState *qts, uint32_t width,
                              uint32_t height, uint64_t vram_size)
{
    g_autofree char *version = qom_get_str(qts, VIDEO_PATH, "version");
    uint64_t gpa = hvguest_qom_get_u64(qts, VIDEO_PATH, "vram-gpa");

    g_test_message("vmbus-video: version %s, VRAM at 0x%" PRIx64
                   ", %" PRIu64 " dirty rectangles, %" PRIu64
                   " redraws from them, %" PRIu64 " from the dirty log",
                   version, gpa,
                   hvguest_qom_get_u64(qts, VIDEO_PATH, "rects-received"),
                   hvguest_qom_get_u64(qts, VIDEO_PATH, "redraws-from-rects"),
                   hvguest_qom_get_u64(qts, VIDEO_PATH, "redraws-from-scan"));
    g_assert_cmpstr(version, ==, "3.5");
    g_assert_cmpuint(hvguest_qom_get_u64(qts, VIDEO_PATH, "width"), ==,
                     width);
    g_assert_cmpuint(hvguest_qom_get_u64(qts, VIDEO_PATH, "height"), ==,
                     height);
    g_assert_cmpuint(gpa, >=, VMBUS_MMIO_BASE);
    g_assert_cmpuint(gpa + vram_size, <=, VMBUS_MMIO_BASE + VMBUS_MMIO_SIZE);
    g_assert_cmpuint(hvguest_qom_get_u64(qts, VIDEO_PATH, "rejected"), ==, 0);
}

/* Input */

typedef struct InputEv {
    int type, code, value;
} InputEv;

/* The guest's "HVTEST: @tag type=T code=C value=V" lines, in order. */
static GArray *guest_events(HvGuest *g, const char *tag)
{
    g_autofree char *needle = g_strdup_printf("HVTEST: %s type=", tag);
    g_autoptr(GPtrArray) lines = hvguest_lines_matching(g, needle);
    GArray *evs = g_array_new(false, false, sizeof(InputEv));
    guint i;

    for (i = 0; i < lines->len; i++) {
        const HvGuestLine *line = g_ptr_array_index(lines, i);
        g_autofree char *t = hvguest_line_field(line->text, "type");
        g_autofree char *c = hvguest_line_field(line->text, "code");
        g_autofree char *v = hvguest_line_field(line->text, "value");
        InputEv ev = { atoi(t), atoi(c), atoi(v) };

        g_array_append_val(evs, ev);
    }
    return evs;
}

/*
 * @want must appear in @evs in this order; other events may come between
 * (the wheel's high-resolution twin, for instance).
 */
static void check_events(GArray *evs, const InputEv *want, size_t nwant,
                         const char *what)
{
    size_t w = 0;
    guint i;

    for (i = 0; i < evs->len && w < nwant; i++) {
        const InputEv *ev = &g_array_index(evs, InputEv, i);

        if (ev->type == want[w].type && ev->code == want[w].code &&
            ev->value == want[w].value) {
            w++;
        }
    }
    if (w < nwant) {
        for (i = 0; i < evs->len; i++) {
            const InputEv *ev = &g_array_index(evs, InputEv, i);

            g_test_message("%s event: type %d code %d value %d", what,
                           ev->type, ev->code, ev->value);
        }
        g_error("%s: event %zu (type %d code %d value %d) missing", what, w,
                want[w].type, want[w].code, want[w].value);
    }
}

static void send_key(QTestState *qts, const char *qcode)
{
    qtest_qmp_assert_success(qts, "{'execute': 'send-key', 'arguments': "
                             "{'keys': [{'type': 'qcode', 'data': %s}]}}",
                             qcode);
}

static void send_abs(QTestState *qts, int x, int y)
{
    qtest_qmp_assert_success(qts, "{'execute': 'input-send-event', "
                             "'arguments': {'events': ["
                             "{'type': 'abs', 'data': {'axis': 'x', "
                             "'value': %d}},"
                             "{'type': 'abs', 'data': {'axis': 'y', "
                             "'value': %d}}]}}", x, y);
}

static void send_button(QTestState *qts, const char *button, bool down)
{
    qtest_qmp_assert_success(qts, "{'execute': 'input-send-event', "
                             "'arguments': {'events': ["
                             "{'type': 'btn', 'data': {'button': %s, "
                             "'down': %i}}]}}", button, down);
}

/*
 * Keys and pointer events into the guest, checked in its evdev devices.
 * @wait_ready: wait for the guest's "input-ready" first (not after a
 * migration: the guest said it on the source).
 */
static void check_input(HvGuest *g, bool wait_ready)
{
    static const struct {
        const char *qcode;
        int code;
    } keys[] = {
        { "a", KEY_A },                 /* plain */
        { "ctrl_r", KEY_RIGHTCTRL },    /* E0 */
        { "kp_divide", KEY_KPSLASH },   /* E0 */
        { "up", KEY_UP },               /* E0 */
        { "pause", KEY_PAUSE },         /* E1 */
        { "esc", KEY_ESC },             /* last: the guest stops at it */
    };
    static const InputEv mouse_want[] = {
        { EV_ABS, ABS_X, 16384 }, { EV_ABS, ABS_Y, 8192 },
        { EV_KEY, BTN_LEFT, 1 }, { EV_KEY, BTN_LEFT, 0 },
        { EV_KEY, BTN_RIGHT, 1 }, { EV_KEY, BTN_RIGHT, 0 },
        { EV_REL, REL_WHEEL, 1 }, { EV_REL, REL_WHEEL, -1 },
        { EV_ABS, ABS_X, 100 }, { EV_ABS, ABS_Y, 32767 },
        { EV_KEY, BTN_MIDDLE, 1 }, { EV_KEY, BTN_MIDDLE, 0 },
    };
    QTestState *qts = hvguest_qts(g);
    InputEv key_want[ARRAY_SIZE(keys) * 2];
    g_autoptr(GArray) kbd = NULL;
    g_autoptr(GArray) mouse = NULL;
    size_t i;

    if (wait_ready) {
        hvguest_expect_line(g, "HVTEST: input-ready", HVGUEST_TIMEOUT_S);
    }
    g_assert_true(qom_get_bool(qts, KBD_PATH, "connected"));
    g_assert_true(qom_get_bool(qts, MOUSE_PATH, "connected"));

    for (i = 0; i < ARRAY_SIZE(keys); i++) {
        send_key(qts, keys[i].qcode);
        key_want[2 * i] = (InputEv) { EV_KEY, keys[i].code, 1 };
        key_want[2 * i + 1] = (InputEv) { EV_KEY, keys[i].code, 0 };
    }

    send_abs(qts, 16384, 8192);
    send_button(qts, "left", true);
    send_button(qts, "left", false);
    send_button(qts, "right", true);
    send_button(qts, "right", false);
    send_button(qts, "wheel-up", true);
    send_button(qts, "wheel-up", false);
    send_button(qts, "wheel-down", true);
    send_button(qts, "wheel-down", false);
    send_abs(qts, 100, 32767);
    send_button(qts, "middle", true);
    send_button(qts, "middle", false);

    hvguest_expect_line(g, "HVTEST: input-done", HVGUEST_TIMEOUT_S);
    g_assert_null(hvguest_find_line(g, "HVTEST: input-timeout"));
    kbd = guest_events(g, "kbd");
    mouse = guest_events(g, "mouse");
    check_events(kbd, key_want, ARRAY_SIZE(key_want), "keyboard");
    check_events(mouse, mouse_want, ARRAY_SIZE(mouse_want), "mouse");
    g_test_message("keyboard: %u events, %" PRIu64 " scan codes sent; "
                   "mouse: %u events, %" PRIu64 " reports sent",
                   kbd->len, hvguest_qom_get_u64(qts, KBD_PATH, "strokes"),
                   mouse->len, hvguest_qom_get_u64(qts, MOUSE_PATH, "reports"));
    g_assert_cmpuint(hvguest_qom_get_u64(qts, KBD_PATH, "rejected"), ==, 0);
    g_assert_cmpuint(hvguest_qom_get_u64(qts, MOUSE_PATH, "rejected"), ==, 0);
}

/*
 * A VNC viewer, as far as the handshake (RFC 6143, 7.1-7.3: version,
 * security type None, ClientInit/ServerInit): while a viewer is connected,
 * QEMU's VNC server refreshes the console periodically, which is what
 * makes the device redraw (from the guest's dirty rectangles or from the
 * dirty-page log) rather than only when a screendump asks. Returns the
 * socket; the server's framebuffer size goes to *@width, *@height.
 */
static int vnc_connect(const char *path, uint32_t *width, uint32_t *height)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    uint8_t buf[64];
    int fd, i;

    g_assert_cmpuint(strlen(path), <, sizeof(addr.sun_path));
    strcpy(addr.sun_path, path);
    fd = socket(AF_UNIX, SOCK_STREAM, 0);
    g_assert_cmpint(fd, >=, 0);
    for (i = 0; connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0; i++) {
        g_assert_cmpint(i, <, 100);
        g_usleep(100 * 1000);
    }
    g_assert_cmpint(recv(fd, buf, 12, MSG_WAITALL), ==, 12);
    g_assert_cmpmem(buf, 12, "RFB 003.008\n", 12);
    g_assert_cmpint(send(fd, "RFB 003.008\n", 12, 0), ==, 12);
    /* security types: count, then the types; we want None (1) */
    g_assert_cmpint(recv(fd, buf, 1, MSG_WAITALL), ==, 1);
    g_assert_cmpuint(buf[0], >, 0);
    g_assert_cmpint(recv(fd, buf + 1, buf[0], MSG_WAITALL), ==, buf[0]);
    g_assert_nonnull(memchr(buf + 1, 1, buf[0]));
    buf[0] = 1;
    g_assert_cmpint(send(fd, buf, 1, 0), ==, 1);
    g_assert_cmpint(recv(fd, buf, 4, MSG_WAITALL), ==, 4);
    g_assert_cmpuint(ldl_be_p(buf), ==, 0);               /* SecurityResult */
    buf[0] = 1;                                             /* shared */
    g_assert_cmpint(send(fd, buf, 1, 0), ==, 1);
    /* ServerInit: size, pixel format (16), name length, name */
    g_assert_cmpint(recv(fd, buf, 24, MSG_WAITALL), ==, 24);
    *width = lduw_be_p(buf);
    *height = lduw_be_p(buf + 2);
    i = ldl_be_p(buf + 20);
    g_assert_cmpint(i, <=, sizeof(buf));
    g_assert_cmpint(recv(fd, buf, i, MSG_WAITALL), ==, i);
    return fd;
}

/* Tests */

static const char *const display_devices[] = {
    "vmbus-video", "vmbus-keyboard", "vmbus-mouse", NULL
};

/*
 * Start the guest with @video_opts for vmbus-video and @cmdline_extra, a
 * VNC server on a Unix socket and a viewer connected to it.
 */
typedef struct DisplayGuest {
    HvGuest *g;
    char *dir;
    char *vnc_path;
    int vnc_fd;
} DisplayGuest;

static bool display_guest_start(DisplayGuest *dg, const char *video_opts,
                                const char *cmdline_extra)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *args = NULL;
    g_autofree char *cmdline = NULL;
    uint32_t w, h;

    if (!hvguest_check_requirements("hvpart", display_devices)) {
        return false;
    }
    dg->dir = g_dir_make_tmp("hvpart-display-XXXXXX", &err);
    g_assert_no_error(err);
    dg->vnc_path = g_build_filename(dg->dir, "vnc.sock", NULL);
    args = g_strdup_printf(GUEST_MACHINE " -vnc unix:%s"
                           " -device vmbus-video,id=video%s" INPUT_DEVICES,
                           dg->vnc_path, video_opts);
    cmdline = g_strconcat(CMDLINE_DISPLAY, cmdline_extra, NULL);
    dg->g = hvguest_start("hvpart", args, cmdline);
    if (!dg->g) {
        return false;
    }
    dg->vnc_fd = vnc_connect(dg->vnc_path, &w, &h);
    /* The guest has not drawn yet: QEMU's placeholder. */
    g_test_message("VNC viewer connected: %ux%u", w, h);
    g_assert_cmpuint(w, ==, 640);
    g_assert_cmpuint(h, ==, 480);
    return true;
}

static void display_guest_quit(DisplayGuest *dg)
{
    hvguest_quit(dg->g);
    close(dg->vnc_fd);
    unlink(dg->vnc_path);
    rmdir(dg->dir);
    g_free(dg->vnc_path);
    g_free(dg->dir);
}

static void test_default(void)
{
    static const char *const present[] = {
        "1024x768", "800x600", "1280x1024", "1920x1080", NULL
    };
    /* 8 MiB of VRAM hold 1920x1080x4 but not 2560x1440x4. */
    static const char *const absent[] = { "2560x1440", "2560x1600", NULL };
    DisplayGuest dg = { 0 };
    HvGuest *g;
    QTestState *qts;

    if (!display_guest_start(&dg, "", "")) {
        return;
    }
    g = dg.g;
    qts = hvguest_qts(g);
    {
        g_autoptr(Image) img = screendump(qts);

        g_assert_cmpuint(img->width, ==, 640);
        g_assert_cmpuint(img->height, ==, 480);
    }
    hvguest_expect_line(g, "HVTEST: boot", HVGUEST_TIMEOUT_S);
    check_modprobe(g, "hv_vmbus");
    check_modprobe(g, "hyperv_drm");
    check_modprobe(g, "hyperv_keyboard");
    check_modprobe(g, "hid_hyperv");
    check_modes(g, "1024x768", present, absent);
    check_fb(g, 1024, 768);
    check_pattern(g, 1024, 768);
    check_video_state(qts, 1024, 768, 8 << 20);
    /* The guest's dirty rectangles limit the display's redraws. */
    g_assert_cmpuint(hvguest_qom_get_u64(qts, VIDEO_PATH, "rects-received"),
                     >, 0);
    wait_counter(qts, VIDEO_PATH, "redraws-from-rects");
    g_assert_cmpuint(hvguest_qom_get_u64(qts, VIDEO_PATH,
                                         "redraws-from-scan"), ==, 0);
    check_input(g, true);
    display_guest_quit(&dg);
}

static void test_resolution(void)
{
    static const char *const present[] = {
        "800x600", "1024x768", "1920x1080", "2560x1600", NULL
    };
    static const char *const absent[] = { "3840x2160", NULL };
    DisplayGuest dg = { 0 };
    HvGuest *g;
    QTestState *qts;

    if (!display_guest_start(&dg, ",vram-size=16M,dirty-rects=off",
                             " video=Virtual-1:800x600")) {
        return;
    }
    g = dg.g;
    qts = hvguest_qts(g);
    hvguest_expect_line(g, "HVTEST: boot", HVGUEST_TIMEOUT_S);
    check_modprobe(g, "hyperv_drm");
    /* The preferred mode stays the device's (xres, yres). */
    check_modes(g, "1024x768", present, absent);
    check_fb(g, 800, 600);
    check_pattern(g, 800, 600);
    check_video_state(qts, 800, 600, 16 << 20);
    /* Not asked for, the guest sends no dirty rectangles... */
    g_assert_cmpuint(hvguest_qom_get_u64(qts, VIDEO_PATH, "rects-received"),
                     ==, 0);
    /* ...and the display's redraws come from the dirty-page log. */
    wait_counter(qts, VIDEO_PATH, "redraws-from-scan");
    g_assert_cmpuint(hvguest_qom_get_u64(qts, VIDEO_PATH,
                                         "redraws-from-rects"), ==, 0);
    display_guest_quit(&dg);
}

/*
 * Live migration while the guest shows the pattern and waits for input:
 * on the destination the VRAM is mapped where the guest put it, the
 * console shows the pattern, and the keyboard and mouse work.
 */
static void test_migrate(void)
{
    g_autofree char *sock = NULL;
    g_autofree char *uri = NULL;
    g_autofree char *args = NULL;
    DisplayGuest dg = { 0 };
    HvGuest *dst;
    uint64_t gpa;

    if (!display_guest_start(&dg, "", "")) {
        return;
    }
    hvguest_expect_line(dg.g, "HVTEST: pattern-written", HVGUEST_TIMEOUT_S);
    hvguest_expect_line(dg.g, "HVTEST: input-ready", HVGUEST_TIMEOUT_S);
    gpa = hvguest_qom_get_u64(hvguest_qts(dg.g), VIDEO_PATH, "vram-gpa");

    args = g_strdup_printf(GUEST_MACHINE " -device vmbus-video,id=video"
                           INPUT_DEVICES " -incoming defer");
    dst = hvguest_start("hvpart", args, CMDLINE_DISPLAY);
    g_assert_nonnull(dst);
    sock = g_build_filename(dg.dir, "migrate.sock", NULL);
    uri = g_strdup_printf("unix:%s", sock);
    hvguest_migrate(dg.g, dst, uri);

    check_video_state(hvguest_qts(dst), 1024, 768, 8 << 20);
    g_assert_cmpuint(hvguest_qom_get_u64(hvguest_qts(dst), VIDEO_PATH,
                                         "vram-gpa"), ==, gpa);
    {
        g_autoptr(Image) img = screendump(hvguest_qts(dst));

        g_assert_cmpuint(img->width, ==, 1024);
        g_assert_cmpuint(img->height, ==, 768);
        g_assert_cmpuint(pattern_mismatches(img), ==, 0);
    }
    check_input(dst, false);
    hvguest_quit(dst);
    unlink(sock);
    display_guest_quit(&dg);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    /* The guest kernel is Debian's amd64 one. */
    if (g_str_equal(qtest_get_arch(), "x86_64")) {
        qtest_add_func("/hvpart/display/default", test_default);
        qtest_add_func("/hvpart/display/resolution", test_resolution);
        qtest_add_func("/hvpart/display/migrate", test_migrate);
    }
    return g_test_run();
}
