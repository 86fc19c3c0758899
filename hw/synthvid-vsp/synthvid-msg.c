/*
 * qemu-hvpart: synthetic video messages, decoded and checked (see
 * synthvid-msg.h).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "hw/synthvid-vsp/synthvid-msg.h"

#define SYNTHVID_PAGE_SIZE      4096

bool synthvid_version_supported(uint32_t version)
{
    return SYNTHVID_VERSION_MAJOR(version) == 3 &&
           SYNTHVID_VERSION_MINOR(version) <= 5;
}

/* Body sizes the guest must send at least, by type (0: host only). */
static uint32_t synthvid_min_body(uint32_t type)
{
    switch (type) {
    case SYNTHVID_VERSION_REQUEST:
        return sizeof(SynthvidVersionRequest);
    case SYNTHVID_VRAM_LOCATION:
        return sizeof(SynthvidVramLocation);
    case SYNTHVID_SITUATION_UPDATE:
        return sizeof(SynthvidSituationUpdate) +
               sizeof(SynthvidOutputSituation);
    case SYNTHVID_POINTER_POSITION:
        return sizeof(SynthvidPointerPosition);
    case SYNTHVID_POINTER_SHAPE:
        return sizeof(SynthvidPointerShape);
    case SYNTHVID_DIRT:
        return sizeof(SynthvidDirt) + sizeof(SynthvidRect);
    case SYNTHVID_RESOLUTION_REQUEST:
        return sizeof(SynthvidResolutionRequest);
    case SYNTHVID_BIOS_INFO_REQUEST:
    case SYNTHVID_CAPABILITY_REQUEST:
        return 0;
    default:
        return UINT32_MAX;
    }
}

static bool synthvid_host_only(uint32_t type)
{
    switch (type) {
    case SYNTHVID_VERSION_RESPONSE:
    case SYNTHVID_VRAM_LOCATION_ACK:
    case SYNTHVID_SITUATION_UPDATE_ACK:
    case SYNTHVID_FEATURE_CHANGE:
    case SYNTHVID_BIOS_INFO_RESPONSE:
    case SYNTHVID_RESOLUTION_RESPONSE:
    case SYNTHVID_CAPABILITY_RESPONSE:
        return true;
    default:
        return false;
    }
}

static void synthvid_mode_decode(const SynthvidOutputSituation *o,
                                 SynthvidMode *mode)
{
    mode->active = o->active != 0;
    mode->vram_offset = le32_to_cpu(o->vram_offset);
    mode->depth_bits = o->depth_bits;
    mode->width = le32_to_cpu(o->width_pixels);
    mode->height = le32_to_cpu(o->height_pixels);
    mode->pitch = le32_to_cpu(o->pitch_bytes);
}

int synthvid_msg_parse(const uint8_t *buf, uint32_t len,
                       SynthvidGuestMsg *msg, const char **why)
{
    const SynthvidPipeHeader *pipe = (const SynthvidPipeHeader *)buf;
    const SynthvidMsgHeader *hdr;
    const uint8_t *body;
    uint32_t pipe_size, msg_size, body_len, min;

    memset(msg, 0, sizeof(*msg));
    if (len < SYNTHVID_HEADERS_SIZE) {
        *why = "packet shorter than the headers";
        return -EINVAL;
    }
    pipe_size = le32_to_cpu(pipe->size);
    if (le32_to_cpu(pipe->type) != SYNTHVID_PIPE_MSG_DATA) {
        *why = "pipe message type is not data";
        return -EINVAL;
    }
    if (pipe_size < sizeof(SynthvidMsgHeader) ||
        pipe_size > len - sizeof(SynthvidPipeHeader)) {
        *why = "pipe size outside the packet";
        return -EINVAL;
    }
    hdr = (const SynthvidMsgHeader *)(buf + sizeof(SynthvidPipeHeader));
    msg_size = le32_to_cpu(hdr->size);
    if (msg_size < sizeof(SynthvidMsgHeader) || msg_size > pipe_size) {
        *why = "message size outside the pipe message";
        return -EINVAL;
    }
    msg->type = le32_to_cpu(hdr->type);
    body = buf + SYNTHVID_HEADERS_SIZE;
    body_len = msg_size - sizeof(SynthvidMsgHeader);

    if (synthvid_host_only(msg->type)) {
        *why = "message type only a host sends";
        return -EINVAL;
    }
    min = synthvid_min_body(msg->type);
    if (min == UINT32_MAX) {
        return 0;                       /* unknown: the caller decides */
    }
    if (body_len < min) {
        *why = "message body too short for its type";
        return -EINVAL;
    }

    switch (msg->type) {
    case SYNTHVID_VERSION_REQUEST:
        msg->version = ldl_le_p(body);
        break;
    case SYNTHVID_VRAM_LOCATION: {
        const SynthvidVramLocation *v = (const SynthvidVramLocation *)body;

        msg->vram.user_ctx = le64_to_cpu(v->user_ctx);
        msg->vram.gpa_specified = v->is_vram_gpa_specified != 0;
        msg->vram.gpa = le64_to_cpu(v->vram_gpa);
        break;
    }
    case SYNTHVID_SITUATION_UPDATE: {
        const SynthvidSituationUpdate *s =
            (const SynthvidSituationUpdate *)body;

        msg->situation.user_ctx = le64_to_cpu(s->user_ctx);
        msg->situation.output_count = s->video_output_count;
        if (s->video_output_count == 0) {
            *why = "situation update without a video output";
            return -EINVAL;
        }
        if ((uint64_t)s->video_output_count *
            sizeof(SynthvidOutputSituation) >
            body_len - sizeof(SynthvidSituationUpdate)) {
            *why = "situation update shorter than its output count";
            return -EINVAL;
        }
        synthvid_mode_decode((const SynthvidOutputSituation *)(s + 1),
                             &msg->situation.output0);
        break;
    }
    case SYNTHVID_POINTER_POSITION: {
        const SynthvidPointerPosition *p =
            (const SynthvidPointerPosition *)body;

        msg->pointer_pos.visible = p->is_visible != 0;
        msg->pointer_pos.output = p->video_output;
        msg->pointer_pos.x = (int32_t)le32_to_cpu(p->image_x);
        msg->pointer_pos.y = (int32_t)le32_to_cpu(p->image_y);
        break;
    }
    case SYNTHVID_POINTER_SHAPE: {
        const SynthvidPointerShape *p = (const SynthvidPointerShape *)body;
        uint32_t w = le32_to_cpu(p->width), h = le32_to_cpu(p->height);

        msg->pointer_shape.part_idx = p->part_idx;
        msg->pointer_shape.flags = p->flags;
        msg->pointer_shape.width = w;
        msg->pointer_shape.height = h;
        msg->pointer_shape.hot_x = le32_to_cpu(p->hot_x);
        msg->pointer_shape.hot_y = le32_to_cpu(p->hot_y);
        msg->pointer_shape.pixels = body + sizeof(*p);
        msg->pointer_shape.pixels_len = body_len - sizeof(*p);
        if (w == 0 || h == 0 || w > SYNTHVID_CURSOR_MAX_WIDTH ||
            h > SYNTHVID_CURSOR_MAX_HEIGHT) {
            *why = "pointer shape size out of range";
            return -EINVAL;
        }
        if (msg->pointer_shape.hot_x >= w || msg->pointer_shape.hot_y >= h) {
            *why = "pointer hot spot outside the shape";
            return -EINVAL;
        }
        break;
    }
    case SYNTHVID_DIRT: {
        const SynthvidDirt *d = (const SynthvidDirt *)body;

        msg->dirt.output = d->video_output;
        msg->dirt.count = d->dirt_count;
        msg->dirt.rects = body + sizeof(*d);
        if (d->dirt_count == 0) {
            *why = "dirt message without a rectangle";
            return -EINVAL;
        }
        if ((uint32_t)d->dirt_count * sizeof(SynthvidRect) >
            body_len - sizeof(*d)) {
            *why = "dirt message shorter than its rectangle count";
            return -EINVAL;
        }
        break;
    }
    case SYNTHVID_RESOLUTION_REQUEST:
        msg->max_resolutions = body[0];
        break;
    default:
        break;
    }
    return 0;
}

bool synthvid_mode_check(const SynthvidMode *mode, uint64_t vram_size,
                         const char **why)
{
    uint32_t bytes_pp;

    if (mode->depth_bits != 16 && mode->depth_bits != 32) {
        *why = "depth is neither 16 nor 32 bits";
        return false;
    }
    bytes_pp = mode->depth_bits / 8;
    if (mode->width == 0 || mode->height == 0 ||
        mode->width > SYNTHVID_MAX_WIDTH ||
        mode->height > SYNTHVID_MAX_HEIGHT) {
        *why = "resolution out of range";
        return false;
    }
    if (mode->pitch < mode->width * bytes_pp || mode->pitch % 4) {
        *why = "pitch shorter than a line or not a multiple of 4";
        return false;
    }
    /* Whole lines: the console's surface spans pitch * height bytes. */
    if ((uint64_t)mode->vram_offset +
        (uint64_t)mode->pitch * mode->height > vram_size) {
        *why = "surface does not fit in the VRAM";
        return false;
    }
    return true;
}

bool synthvid_rect_get(const SynthvidGuestMsg *msg, unsigned int index,
                       const SynthvidMode *mode, SynthvidRect *out,
                       const char **why)
{
    const uint8_t *p = msg->dirt.rects + index * sizeof(SynthvidRect);

    if (index >= msg->dirt.count) {
        *why = "no such rectangle";
        return false;
    }
    out->x1 = (int32_t)ldl_le_p(p);
    out->y1 = (int32_t)ldl_le_p(p + 4);
    out->x2 = (int32_t)ldl_le_p(p + 8);
    out->y2 = (int32_t)ldl_le_p(p + 12);
    if (!mode->active) {
        *why = "dirty rectangle while the output is inactive";
        return false;
    }
    if (out->x1 < 0 || out->y1 < 0 || out->x1 >= out->x2 ||
        out->y1 >= out->y2) {
        *why = "dirty rectangle empty or negative";
        return false;
    }
    if ((uint32_t)out->x2 > mode->width || (uint32_t)out->y2 > mode->height) {
        *why = "dirty rectangle outside the screen";
        return false;
    }
    return true;
}

bool synthvid_vram_gpa_check(uint64_t gpa, uint64_t size, uint64_t win_base,
                             uint64_t win_size, const char **why)
{
    if (gpa & (SYNTHVID_PAGE_SIZE - 1)) {
        *why = "VRAM address not page aligned";
        return false;
    }
    if (gpa < win_base || size > win_size ||
        gpa - win_base > win_size - size) {
        *why = "VRAM not inside the VMBus MMIO window";
        return false;
    }
    return true;
}
