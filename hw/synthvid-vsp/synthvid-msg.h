/*
 * qemu-hvpart: synthetic video messages, decoded and checked.
 *
 * Pure protocol code, without QEMU device plumbing, so that unit tests and
 * fuzzers can drive it (tests/unit/test-synthvid-msg.c):
 * - synthvid_msg_parse() turns the bytes of one in-band packet from the
 *   guest into a SynthvidGuestMsg in host byte order, after checking that
 *   every size the guest wrote fits in what it sent;
 * - the other checks judge the decoded values against the device: a mode
 *   against the VRAM, a dirty rectangle against the mode, a VRAM location
 *   against the MMIO window.
 * Each failure names its reason in *@why (a static string, for a trace
 * event).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_SYNTHVID_VSP_SYNTHVID_MSG_H
#define HW_SYNTHVID_VSP_SYNTHVID_MSG_H

#include "hw/synthvid-vsp/synthvid-proto.h"

/* What the device can show: depth_bits 16 or 32, at most this size. */
#define SYNTHVID_MAX_WIDTH      8192
#define SYNTHVID_MAX_HEIGHT     8192

/* A video output's situation, host byte order. */
typedef struct SynthvidMode {
    bool active;
    uint32_t vram_offset;
    uint8_t depth_bits;
    uint32_t width;
    uint32_t height;
    uint32_t pitch;
} SynthvidMode;

/* A message from the guest, decoded. Pointers point into the packet. */
typedef struct SynthvidGuestMsg {
    SynthvidMsgType type;
    union {
        uint32_t version;                       /* VERSION_REQUEST */
        struct {
            uint64_t user_ctx;
            bool gpa_specified;
            uint64_t gpa;
        } vram;                                 /* VRAM_LOCATION */
        struct {
            uint64_t user_ctx;
            uint8_t output_count;               /* >= 1 */
            SynthvidMode output0;               /* the only one shown */
        } situation;                            /* SITUATION_UPDATE */
        struct {
            bool visible;
            uint8_t output;
            int32_t x, y;
        } pointer_pos;                          /* POINTER_POSITION */
        struct {
            uint8_t part_idx;
            uint8_t flags;
            uint32_t width, height;             /* 1..96 */
            uint32_t hot_x, hot_y;              /* inside the shape */
            const uint8_t *pixels;              /* ARGB: width*height*4 */
            uint32_t pixels_len;
        } pointer_shape;                        /* POINTER_SHAPE */
        struct {
            uint8_t output;
            uint8_t count;                      /* >= 1 */
            const uint8_t *rects;               /* count SynthvidRect */
        } dirt;                                 /* DIRT */
        uint8_t max_resolutions;                /* RESOLUTION_REQUEST */
    };
} SynthvidGuestMsg;

/*
 * Decode the payload of one in-band packet (@buf, @len bytes: the pipe
 * header onwards; a packet's payload may carry padding after the message).
 * Returns 0, or -EINVAL with the reason in *@why. Message types that only
 * a host sends are rejected; types the VSP does not know are decoded with
 * their type only (the caller decides).
 */
int synthvid_msg_parse(const uint8_t *buf, uint32_t len,
                       SynthvidGuestMsg *msg, const char **why);

/* Whether the host accepts protocol version @version (3.0 .. 3.5). */
bool synthvid_version_supported(uint32_t version);

/*
 * Check an active mode against @vram_size bytes of VRAM: depth 16 or 32,
 * a size the console can show, a pitch that holds a line (and a multiple
 * of 4, as pixman needs), all pitch * height bytes inside the VRAM.
 */
bool synthvid_mode_check(const SynthvidMode *mode, uint64_t vram_size,
                         const char **why);

/*
 * Decode dirty rectangle @index of a DIRT message and check it against
 * @mode: non-empty, inside the screen. On success *@out holds it.
 */
bool synthvid_rect_get(const SynthvidGuestMsg *msg, unsigned int index,
                       const SynthvidMode *mode, SynthvidRect *out,
                       const char **why);

/*
 * Check a VRAM location: @gpa page aligned, and [@gpa, @gpa + @size)
 * inside the MMIO window [@win_base, @win_base + @win_size).
 */
bool synthvid_vram_gpa_check(uint64_t gpa, uint64_t size, uint64_t win_base,
                             uint64_t win_size, const char **why);

#endif
