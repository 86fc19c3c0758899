/*
 * qemu-hvpart fuzzer: synthetic video messages from the guest
 * (hw/synthvid-vsp/synthvid-msg.c), as the vmbus-video device takes them.
 *
 * Input: one setup byte (VRAM size and VMBus MMIO window), then in-band
 * packet payloads (see fuzz-util.h). Each goes through synthvid_msg_parse()
 * and then the check the device applies to what it decoded: the VRAM
 * location against the window, a situation's mode against the VRAM (an
 * accepted mode becomes the current one, as in the device), every dirty
 * rectangle against the current mode.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "fuzz-util.h"
#include "qemu/units.h"
#include "hw/synthvid-vsp/synthvid-msg.h"

static const uint64_t fuzz_vram_sizes[] = { 4 * MiB, 8 * MiB, 512 * MiB };

/* The MMIO window: the default one, and one that ends at 2^64. */
static const struct {
    uint64_t base, size;
} fuzz_windows[] = {
    { 0xf000000000ull, 512 * MiB },
    { 0ull - 512 * MiB, 512 * MiB },
};

static bool fuzz_host_only(uint32_t type)
{
    return type == SYNTHVID_VERSION_RESPONSE ||
           type == SYNTHVID_VRAM_LOCATION_ACK ||
           type == SYNTHVID_SITUATION_UPDATE_ACK ||
           type == SYNTHVID_FEATURE_CHANGE ||
           type == SYNTHVID_BIOS_INFO_RESPONSE ||
           type == SYNTHVID_RESOLUTION_RESPONSE ||
           type == SYNTHVID_CAPABILITY_RESPONSE;
}

static void fuzz_check_mode(const SynthvidMode *m, uint64_t vram_size)
{
    uint32_t bpp = m->depth_bits / 8;

    FUZZ_CHECK(m->depth_bits == 16 || m->depth_bits == 32);
    FUZZ_CHECK(m->width >= 1 && m->width <= SYNTHVID_MAX_WIDTH);
    FUZZ_CHECK(m->height >= 1 && m->height <= SYNTHVID_MAX_HEIGHT);
    FUZZ_CHECK((uint64_t)m->pitch >= (uint64_t)m->width * bpp);
    FUZZ_CHECK(m->pitch % 4 == 0);
    FUZZ_CHECK((uint64_t)m->vram_offset + (uint64_t)m->pitch * m->height <=
               vram_size);
}

static void fuzz_one(const uint8_t *buf, uint32_t len, SynthvidMode *cur,
                     uint64_t vram_size, uint64_t win_base, uint64_t win_size)
{
    SynthvidGuestMsg msg;
    const char *why = NULL;
    uint32_t pipe_size, msg_size, body_len, i;
    const uint8_t *body;

    if (synthvid_msg_parse(buf, len, &msg, &why) < 0) {
        FUZZ_CHECK(why != NULL);
        return;
    }
    /* What was accepted is there */
    FUZZ_CHECK(len >= SYNTHVID_HEADERS_SIZE);
    FUZZ_CHECK(ldl_le_p(buf) == SYNTHVID_PIPE_MSG_DATA);
    pipe_size = ldl_le_p(buf + 4);
    msg_size = ldl_le_p(buf + 12);
    FUZZ_CHECK(pipe_size <= len - sizeof(SynthvidPipeHeader));
    FUZZ_CHECK(msg_size >= sizeof(SynthvidMsgHeader) && msg_size <= pipe_size);
    FUZZ_CHECK(msg.type == ldl_le_p(buf + 8));
    FUZZ_CHECK(!fuzz_host_only(msg.type));
    body = buf + SYNTHVID_HEADERS_SIZE;
    body_len = msg_size - sizeof(SynthvidMsgHeader);

    switch (msg.type) {
    case SYNTHVID_VERSION_REQUEST:
        FUZZ_CHECK(body_len >= sizeof(SynthvidVersionRequest));
        if (synthvid_version_supported(msg.version)) {
            FUZZ_CHECK(SYNTHVID_VERSION_MAJOR(msg.version) == 3);
            FUZZ_CHECK(SYNTHVID_VERSION_MINOR(msg.version) <= 5);
        }
        break;
    case SYNTHVID_VRAM_LOCATION:
        FUZZ_CHECK(body_len >= sizeof(SynthvidVramLocation));
        why = NULL;
        if (synthvid_vram_gpa_check(msg.vram.gpa, vram_size, win_base,
                                    win_size, &why)) {
            FUZZ_CHECK(msg.vram.gpa % 4096 == 0);
            FUZZ_CHECK(msg.vram.gpa >= win_base);
            FUZZ_CHECK(msg.vram.gpa - win_base <= win_size - vram_size);
        } else {
            FUZZ_CHECK(why != NULL);
        }
        break;
    case SYNTHVID_SITUATION_UPDATE: {
        SynthvidMode m = msg.situation.output0;

        FUZZ_CHECK(msg.situation.output_count >= 1);
        FUZZ_CHECK(body_len >= sizeof(SynthvidSituationUpdate) +
                   msg.situation.output_count *
                   sizeof(SynthvidOutputSituation));
        why = NULL;
        if (m.active && synthvid_mode_check(&m, vram_size, &why)) {
            fuzz_check_mode(&m, vram_size);
        } else {
            FUZZ_CHECK(!m.active || why != NULL);
            memset(&m, 0, sizeof(m));
        }
        *cur = m;
        break;
    }
    case SYNTHVID_POINTER_POSITION:
        FUZZ_CHECK(body_len >= sizeof(SynthvidPointerPosition));
        break;
    case SYNTHVID_POINTER_SHAPE:
        FUZZ_CHECK(body_len >= sizeof(SynthvidPointerShape));
        FUZZ_CHECK(msg.pointer_shape.width >= 1 &&
                   msg.pointer_shape.width <= SYNTHVID_CURSOR_MAX_WIDTH);
        FUZZ_CHECK(msg.pointer_shape.height >= 1 &&
                   msg.pointer_shape.height <= SYNTHVID_CURSOR_MAX_HEIGHT);
        FUZZ_CHECK(msg.pointer_shape.hot_x < msg.pointer_shape.width);
        FUZZ_CHECK(msg.pointer_shape.hot_y < msg.pointer_shape.height);
        FUZZ_CHECK(FUZZ_INSIDE(msg.pointer_shape.pixels,
                               msg.pointer_shape.pixels_len, body, body_len));
        break;
    case SYNTHVID_DIRT:
        FUZZ_CHECK(msg.dirt.count >= 1);
        FUZZ_CHECK(FUZZ_INSIDE(msg.dirt.rects,
                               msg.dirt.count * sizeof(SynthvidRect),
                               body, body_len));
        for (i = 0; i <= msg.dirt.count; i++) {
            SynthvidRect r;

            why = NULL;
            if (!synthvid_rect_get(&msg, i, cur, &r, &why)) {
                FUZZ_CHECK(why != NULL);
                continue;
            }
            /* the one past the count is never a rectangle */
            FUZZ_CHECK(i < msg.dirt.count);
            FUZZ_CHECK(cur->active);
            FUZZ_CHECK(r.x1 >= 0 && r.x1 < r.x2 &&
                       (uint32_t)r.x2 <= cur->width);
            FUZZ_CHECK(r.y1 >= 0 && r.y1 < r.y2 &&
                       (uint32_t)r.y2 <= cur->height);
        }
        break;
    case SYNTHVID_RESOLUTION_REQUEST:
        FUZZ_CHECK(body_len >= sizeof(SynthvidResolutionRequest));
        break;
    default:
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FuzzInput in = { data, size };
    uint8_t setup = fuzz_u8(&in);
    uint64_t vram_size = fuzz_vram_sizes[setup % ARRAY_SIZE(fuzz_vram_sizes)];
    unsigned int w = (setup >> 4) % ARRAY_SIZE(fuzz_windows);
    /* the device's mode before the guest sent a situation: none */
    SynthvidMode cur = { 0 };
    uint8_t *pkt;
    uint32_t len;

    while ((pkt = fuzz_next_packet(&in, &len))) {
        fuzz_one(pkt, len, &cur, vram_size, fuzz_windows[w].base,
                 fuzz_windows[w].size);
        free(pkt);
    }
    return 0;
}
