/*
 * qemu-hvpart: "-device vmbus-video", the synthetic video device.
 *
 * The guest's driver (Linux hyperv_drm, hyperv_fb; Windows' synthetic
 * video) negotiates a protocol version (3.0 to 3.5), asks for the list of
 * resolutions (3.5), allocates its framebuffer ("VRAM", as many MiB as
 * the offer's mmio_megabytes) from the VMBus MMIO window and tells the
 * host where it put it, then describes its mode in situation updates and,
 * once the host asks for them, the rectangles it changed (DIRT).
 *
 * The VRAM is host RAM (a RAM MemoryRegion) that the device maps into the
 * guest's physical address space where the guest says, and moves when the
 * guest moves it. It is the pixel store of a QEMU graphic console, so any
 * QEMU display (VNC, GTK, SDL, screendump) shows it. Redraw is limited to
 * the guest's dirty rectangles when the guest sends them (property
 * dirty-rects=on, the default); otherwise the device scans the VRAM's
 * dirty-page log, as other QEMU display devices do.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/bswap.h"
#include "qemu/units.h"
#include "qemu/int128.h"
#include "qemu/rcu.h"
#include "qom/object.h"
#include "exec/memory.h"
#include "exec/address-spaces.h"
#include "hw/qdev-properties.h"
#include "migration/vmstate.h"
#include "ui/console.h"
#include "ui/qemu-pixman.h"
#include "hw/vmbus/vmbus.h"
#include "hw/synthvid-vsp/synthvid-msg.h"
#include "trace.h"

#define TYPE_VMBUS_VIDEO "vmbus-video"
OBJECT_DECLARE_SIMPLE_TYPE(VMBusVideo, VMBUS_VIDEO)

/*
 * Largest packet taken from the guest: a whole 96x96 ARGB pointer shape
 * and its headers. Anything larger is dropped by the ring layer.
 */
#define SYNTHVID_RX_MAX         (40 * KiB)
/* Dirty rectangles kept between two redraws before they are merged. */
#define SYNTHVID_DIRTY_MAX      32
#define SYNTHVID_VRAM_DEFAULT   (8 * MiB)
#define SYNTHVID_VRAM_MIN       (4 * MiB)
#define SYNTHVID_VRAM_MAX       (512 * MiB)

/* Resolutions offered to the guest, when the VRAM holds them at 32 bpp. */
static const SynthvidScreenSize synthvid_std_resolutions[] = {
    { 640, 480 }, { 800, 600 }, { 1024, 768 }, { 1152, 864 },
    { 1280, 720 }, { 1280, 800 }, { 1280, 1024 }, { 1366, 768 },
    { 1440, 900 }, { 1600, 900 }, { 1600, 1200 }, { 1680, 1050 },
    { 1920, 1080 }, { 1920, 1200 }, { 2560, 1440 }, { 2560, 1600 },
    { 3840, 2160 },
};

struct VMBusVideo {
    VMBusDevice parent_obj;

    /* properties */
    uint64_t vram_size;
    uint32_t xres;
    uint32_t yres;
    bool dirty_rects;                   /* ask the guest for DIRT */

    QemuConsole *con;
    MemoryRegion vram;
    uint8_t *rx_buf;
    uint64_t trans_id;

    /* resolutions for RESOLUTION_RESPONSE, host byte order */
    SynthvidScreenSize resolutions[SYNTHVID_MAX_RESOLUTIONS];
    uint8_t num_resolutions;
    uint8_t default_resolution;

    /* protocol state (migrated) */
    uint32_t version;                   /* 0: not negotiated */
    bool vram_mapped;
    uint64_t vram_gpa;
    SynthvidMode mode;
    bool dirt_enabled;                  /* FEATURE_CHANGE(dirt) sent */
    bool feature_pending;               /* ...waits for ring space */

    /* redraw state */
    bool mode_changed;                  /* new surface needed */
    bool full_redraw;
    bool shown_active;                  /* the surface shows the VRAM */
    uint32_t num_dirty;
    SynthvidRect dirty[SYNTHVID_DIRTY_MAX];

    /* statistics (read-only QOM properties) */
    uint64_t rects_received;            /* accepted dirty rectangles */
    uint64_t rejected;                  /* rejected guest messages */
    uint64_t redraws_rects;             /* redraws limited to DIRT */
    uint64_t redraws_scanned;           /* redraws from the dirty log */
};

static void synthvid_reject(VMBusVideo *s, uint32_t type, const char *why)
{
    s->rejected++;
    trace_synthvid_rejected(type, why);
}

/* Sending */

static int synthvid_send(VMBusVideo *s, SynthvidMsgType type,
                         const void *body, uint32_t body_len)
{
    VMBusChannel *chan = VMBUS_DEVICE(s)->channels[0];
    g_autofree uint8_t *buf = g_malloc0(SYNTHVID_HEADERS_SIZE + body_len);
    SynthvidPipeHeader *pipe = (SynthvidPipeHeader *)buf;
    SynthvidMsgHeader *hdr = (SynthvidMsgHeader *)(pipe + 1);
    int ret;

    pipe->type = cpu_to_le32(SYNTHVID_PIPE_MSG_DATA);
    pipe->size = cpu_to_le32(sizeof(*hdr) + body_len);
    hdr->type = cpu_to_le32(type);
    hdr->size = cpu_to_le32(sizeof(*hdr) + body_len);
    memcpy(hdr + 1, body, body_len);
    ret = vmbus_channel_send_inband(chan, ++s->trans_id, false, buf,
                                    SYNTHVID_HEADERS_SIZE + body_len);
    if (ret < 0) {
        trace_synthvid_send_failed(type, ret);
    }
    return ret;
}

static int synthvid_send_feature_change(VMBusVideo *s)
{
    SynthvidFeatureChange fc = {
        .is_dirt_needed = 1,
    };
    int ret = synthvid_send(s, SYNTHVID_FEATURE_CHANGE, &fc, sizeof(fc));

    s->feature_pending = ret == -ENOSPC;
    if (ret == 0) {
        /* From now on the guest's DIRT messages say what changed. */
        s->dirt_enabled = true;
        s->full_redraw = true;
        memory_region_set_log(&s->vram, false, DIRTY_MEMORY_VGA);
        trace_synthvid_dirt_requested();
    }
    return ret;
}

/* The VRAM in the guest's physical address space */

static bool synthvid_mmio_window(uint64_t *base, uint64_t *size)
{
    Object *br = object_resolve_path_type("", TYPE_VMBUS_BRIDGE, NULL);

    if (!br) {
        return false;
    }
    *base = object_property_get_uint(br, "mmio-base", &error_abort);
    *size = object_property_get_uint(br, "mmio-size", &error_abort);
    return true;
}

typedef struct SynthvidRangeCheck {
    const MemoryRegion *vram;
    Int128 start, end;
    bool busy;
} SynthvidRangeCheck;

static bool synthvid_range_cb(Int128 start, Int128 len,
                              const MemoryRegion *mr, hwaddr offset,
                              void *opaque)
{
    SynthvidRangeCheck *rc = opaque;
    Int128 end = int128_add(start, len);

    if (mr == rc->vram) {
        return false;
    }
    if (int128_lt(start, rc->end) && int128_lt(rc->start, end)) {
        rc->busy = true;
        return true;
    }
    return false;
}

/*
 * Nothing but our own VRAM may be mapped where the guest wants it: not
 * guest RAM (a window configured over RAM), not another device.
 */
static bool synthvid_range_free(VMBusVideo *s, uint64_t gpa, uint64_t size)
{
    SynthvidRangeCheck rc = {
        .vram = &s->vram,
        .start = int128_make64(gpa),
        .end = int128_add(int128_make64(gpa), int128_make64(size)),
    };

    WITH_RCU_READ_LOCK_GUARD() {
        flatview_for_each_range(address_space_to_flatview(
                                    &address_space_memory),
                                synthvid_range_cb, &rc);
    }
    return !rc.busy;
}

static void synthvid_vram_map(VMBusVideo *s, uint64_t gpa)
{
    if (s->vram_mapped && s->vram_gpa == gpa) {
        return;
    }
    memory_region_transaction_begin();
    if (s->vram_mapped) {
        memory_region_del_subregion(get_system_memory(), &s->vram);
    }
    memory_region_add_subregion(get_system_memory(), gpa, &s->vram);
    memory_region_transaction_commit();
    s->vram_mapped = true;
    s->vram_gpa = gpa;
}

static void synthvid_vram_unmap(VMBusVideo *s)
{
    if (s->vram_mapped) {
        memory_region_del_subregion(get_system_memory(), &s->vram);
        s->vram_mapped = false;
        s->vram_gpa = 0;
    }
}

/* Redraw */

static void synthvid_add_dirty(VMBusVideo *s, const SynthvidRect *r)
{
    SynthvidRect *box;
    uint32_t i;

    if (s->num_dirty < SYNTHVID_DIRTY_MAX) {
        s->dirty[s->num_dirty++] = *r;
        return;
    }
    /* Too many between two redraws: keep their bounding box. */
    box = &s->dirty[0];
    for (i = 1; i < s->num_dirty; i++) {
        box->x1 = MIN(box->x1, s->dirty[i].x1);
        box->y1 = MIN(box->y1, s->dirty[i].y1);
        box->x2 = MAX(box->x2, s->dirty[i].x2);
        box->y2 = MAX(box->y2, s->dirty[i].y2);
    }
    box->x1 = MIN(box->x1, r->x1);
    box->y1 = MIN(box->y1, r->y1);
    box->x2 = MAX(box->x2, r->x2);
    box->y2 = MAX(box->y2, r->y2);
    s->num_dirty = 1;
}

static void synthvid_set_mode(VMBusVideo *s, const SynthvidMode *mode)
{
    if (memcmp(&s->mode, mode, sizeof(*mode)) != 0) {
        s->mode = *mode;
        s->mode_changed = true;
    }
}

static void synthvid_update_scanned(VMBusVideo *s)
{
    const SynthvidMode *m = &s->mode;
    uint64_t bytes = (uint64_t)m->pitch * m->height;
    DirtyBitmapSnapshot *snap;
    int64_t first = -1;
    uint32_t y;

    /* synthvid_mode_check() keeps all of it inside the VRAM. */
    snap = memory_region_snapshot_and_clear_dirty(&s->vram, m->vram_offset,
                                                  bytes, DIRTY_MEMORY_VGA);
    for (y = 0; y < m->height; y++) {
        bool dirty = memory_region_snapshot_get_dirty(
            &s->vram, snap, m->vram_offset + (uint64_t)m->pitch * y,
            m->width * (m->depth_bits / 8));

        if (dirty && first < 0) {
            first = y;
        } else if (!dirty && first >= 0) {
            dpy_gfx_update(s->con, 0, first, m->width, y - first);
            s->redraws_scanned++;
            first = -1;
        }
    }
    if (first >= 0) {
        dpy_gfx_update(s->con, 0, first, m->width, m->height - first);
        s->redraws_scanned++;
    }
    g_free(snap);
}

static void synthvid_gfx_update(void *opaque)
{
    VMBusVideo *s = opaque;
    const SynthvidMode *m = &s->mode;
    DisplaySurface *ds;
    uint32_t i;

    if (s->mode_changed) {
        s->mode_changed = false;
        if (m->active) {
            ds = qemu_create_displaysurface_from(
                m->width, m->height,
                m->depth_bits == 16 ? PIXMAN_r5g6b5 : PIXMAN_LE_x8r8g8b8,
                m->pitch, memory_region_get_ram_ptr(&s->vram) +
                m->vram_offset);
            dpy_gfx_replace_surface(s->con, ds);
            s->full_redraw = true;
        } else if (s->shown_active) {
            dpy_gfx_replace_surface(s->con, NULL);
        }
        s->shown_active = m->active;
        trace_synthvid_surface(m->active, m->width, m->height, m->depth_bits);
    }
    if (!s->shown_active) {
        s->num_dirty = 0;
        return;
    }
    if (s->full_redraw) {
        s->full_redraw = false;
        s->num_dirty = 0;
        if (!s->dirt_enabled) {
            /* Start the dirty log afresh. */
            g_free(memory_region_snapshot_and_clear_dirty(
                       &s->vram, 0, s->vram_size, DIRTY_MEMORY_VGA));
        }
        dpy_gfx_update_full(s->con);
        return;
    }
    if (s->dirt_enabled) {
        for (i = 0; i < s->num_dirty; i++) {
            dpy_gfx_update(s->con, s->dirty[i].x1, s->dirty[i].y1,
                           s->dirty[i].x2 - s->dirty[i].x1,
                           s->dirty[i].y2 - s->dirty[i].y1);
        }
        s->redraws_rects += s->num_dirty;
        s->num_dirty = 0;
    } else {
        synthvid_update_scanned(s);
    }
}

static void synthvid_invalidate(void *opaque)
{
    VMBusVideo *s = opaque;

    s->full_redraw = true;
}

static const GraphicHwOps synthvid_gfx_ops = {
    .invalidate = synthvid_invalidate,
    .gfx_update = synthvid_gfx_update,
};

/* Messages from the guest. Each returns false if its answer must wait. */

static bool synthvid_handle_version(VMBusVideo *s, uint32_t version)
{
    SynthvidVersionResponse rsp = {
        .version = cpu_to_le32(version),
        .is_accepted = synthvid_version_supported(version),
        .max_video_outputs = 1,
    };

    if (synthvid_send(s, SYNTHVID_VERSION_RESPONSE, &rsp, sizeof(rsp)) ==
        -ENOSPC) {
        return false;
    }
    trace_synthvid_version(SYNTHVID_VERSION_MAJOR(version),
                           SYNTHVID_VERSION_MINOR(version), rsp.is_accepted);
    if (rsp.is_accepted) {
        s->version = version;
    } else {
        synthvid_reject(s, SYNTHVID_VERSION_REQUEST, "version not supported");
    }
    return true;
}

static bool synthvid_handle_vram(VMBusVideo *s, const SynthvidGuestMsg *msg)
{
    SynthvidAck ack = { .user_ctx = cpu_to_le64(msg->vram.user_ctx) };
    uint64_t base, size, gpa = msg->vram.gpa;
    const char *why = NULL;

    if (!msg->vram.gpa_specified) {
        /* No fixed default location here: the VRAM is just not mapped. */
        synthvid_vram_unmap(s);
    } else if (!synthvid_mmio_window(&base, &size)) {
        why = "no VMBus MMIO window";
    } else if (!synthvid_vram_gpa_check(gpa, s->vram_size, base, size,
                                        &why)) {
        /* why is set */
    } else if (!synthvid_range_free(s, gpa, s->vram_size)) {
        why = "VRAM would overlap guest RAM or another device";
    } else {
        synthvid_vram_map(s, gpa);
    }
    trace_synthvid_vram(gpa, msg->vram.gpa_specified, why == NULL);
    if (why) {
        /*
         * The guest checks that the ack echoes its context (Linux:
         * "Unable to set VRAM location"): a different one says no, and
         * the guest goes on without waiting for a timeout.
         */
        synthvid_reject(s, SYNTHVID_VRAM_LOCATION, why);
        ack.user_ctx = cpu_to_le64(~msg->vram.user_ctx);
    }
    if (synthvid_send(s, SYNTHVID_VRAM_LOCATION_ACK, &ack, sizeof(ack)) ==
        -ENOSPC) {
        return false;
    }
    if (!why && s->dirty_rects && !s->dirt_enabled) {
        synthvid_send_feature_change(s);
    }
    return true;
}

static bool synthvid_handle_situation(VMBusVideo *s,
                                      const SynthvidGuestMsg *msg)
{
    SynthvidAck ack = { .user_ctx = cpu_to_le64(msg->situation.user_ctx) };
    SynthvidMode mode = msg->situation.output0;
    const char *why;

    if (synthvid_send(s, SYNTHVID_SITUATION_UPDATE_ACK, &ack, sizeof(ack)) ==
        -ENOSPC) {
        return false;
    }
    trace_synthvid_situation(mode.active, mode.width, mode.height,
                             mode.depth_bits, mode.pitch, mode.vram_offset);
    if (msg->situation.output_count > 1) {
        synthvid_reject(s, SYNTHVID_SITUATION_UPDATE,
                        "more than one video output (only the first shown)");
    }
    if (mode.active && !synthvid_mode_check(&mode, s->vram_size, &why)) {
        /* Show nothing rather than something outside the VRAM. */
        synthvid_reject(s, SYNTHVID_SITUATION_UPDATE, why);
        memset(&mode, 0, sizeof(mode));
    }
    if (!mode.active) {
        memset(&mode, 0, sizeof(mode));
    }
    synthvid_set_mode(s, &mode);
    return true;
}

static void synthvid_handle_dirt(VMBusVideo *s, const SynthvidGuestMsg *msg)
{
    SynthvidRect r;
    const char *why;
    unsigned int i;

    if (msg->dirt.output != 0) {
        synthvid_reject(s, SYNTHVID_DIRT, "no such video output");
        return;
    }
    if (!s->mode.active) {
        /*
         * Linux draws (and reports) before its first situation update;
         * with nothing shown there is nothing to redraw.
         */
        trace_synthvid_dirt_inactive(msg->dirt.count);
        return;
    }
    trace_synthvid_dirt(msg->dirt.count);
    for (i = 0; i < msg->dirt.count; i++) {
        if (!synthvid_rect_get(msg, i, &s->mode, &r, &why)) {
            synthvid_reject(s, SYNTHVID_DIRT, why);
            /* Whatever the guest meant, the screen stays right. */
            s->full_redraw = true;
            continue;
        }
        trace_synthvid_rect(r.x1, r.y1, r.x2, r.y2);
        s->rects_received++;
        synthvid_add_dirty(s, &r);
    }
}

static void synthvid_handle_pointer_pos(VMBusVideo *s,
                                        const SynthvidGuestMsg *msg)
{
    if (msg->pointer_pos.output != 0) {
        synthvid_reject(s, SYNTHVID_POINTER_POSITION, "no such video output");
        return;
    }
    if (msg->pointer_pos.x < 0 || msg->pointer_pos.y < 0 ||
        msg->pointer_pos.x > SYNTHVID_MAX_WIDTH ||
        msg->pointer_pos.y > SYNTHVID_MAX_HEIGHT) {
        synthvid_reject(s, SYNTHVID_POINTER_POSITION,
                        "pointer position out of range");
        return;
    }
    trace_synthvid_pointer_pos(msg->pointer_pos.x, msg->pointer_pos.y,
                               msg->pointer_pos.visible);
    dpy_mouse_set(s->con, msg->pointer_pos.x, msg->pointer_pos.y,
                  msg->pointer_pos.visible);
}

static void synthvid_handle_pointer_shape(VMBusVideo *s,
                                          const SynthvidGuestMsg *msg)
{
    uint32_t w = msg->pointer_shape.width, h = msg->pointer_shape.height;
    QEMUCursor *c;
    uint32_t i;

    if (msg->pointer_shape.part_idx != SYNTHVID_CURSOR_COMPLETE) {
        synthvid_reject(s, SYNTHVID_POINTER_SHAPE,
                        "partial pointer shapes not supported");
        return;
    }
    if (!(msg->pointer_shape.flags & SYNTHVID_CURSOR_FLAG_ARGB)) {
        synthvid_reject(s, SYNTHVID_POINTER_SHAPE,
                        "monochrome pointer shapes not supported");
        return;
    }
    if (msg->pointer_shape.pixels_len < w * h * 4) {
        synthvid_reject(s, SYNTHVID_POINTER_SHAPE,
                        "pointer shape shorter than its pixels");
        return;
    }
    trace_synthvid_pointer_shape(w, h, msg->pointer_shape.hot_x,
                                 msg->pointer_shape.hot_y);
    c = cursor_alloc(w, h);
    c->hot_x = msg->pointer_shape.hot_x;
    c->hot_y = msg->pointer_shape.hot_y;
    for (i = 0; i < w * h; i++) {
        c->data[i] = ldl_le_p(msg->pointer_shape.pixels + i * 4);
    }
    dpy_cursor_define(s->con, c);
    cursor_unref(c);
}

static bool synthvid_handle_resolutions(VMBusVideo *s,
                                        const SynthvidGuestMsg *msg)
{
    uint8_t buf[sizeof(SynthvidResolutionResponse) +
                SYNTHVID_MAX_RESOLUTIONS * sizeof(SynthvidScreenSize)];
    SynthvidResolutionResponse *rsp = (SynthvidResolutionResponse *)buf;
    SynthvidScreenSize *list = (SynthvidScreenSize *)(rsp + 1);
    uint8_t n = MIN(s->num_resolutions, msg->max_resolutions);
    uint8_t i;

    if (s->version < SYNTHVID_VERSION_WIN10) {
        synthvid_reject(s, SYNTHVID_RESOLUTION_REQUEST,
                        "resolution list needs version 3.5");
        return true;
    }
    memset(buf, 0, sizeof(buf));
    rsp->resolution_count = n;
    rsp->default_resolution_index =
        s->default_resolution < n ? s->default_resolution : 0;
    for (i = 0; i < n; i++) {
        list[i].width = cpu_to_le16(s->resolutions[i].width);
        list[i].height = cpu_to_le16(s->resolutions[i].height);
    }
    if (synthvid_send(s, SYNTHVID_RESOLUTION_RESPONSE, buf,
                      sizeof(*rsp) + n * sizeof(*list)) == -ENOSPC) {
        return false;
    }
    trace_synthvid_resolutions(n, rsp->default_resolution_index);
    return true;
}

static bool synthvid_handle(VMBusVideo *s, const SynthvidGuestMsg *msg)
{
    if (msg->type != SYNTHVID_VERSION_REQUEST && !s->version) {
        synthvid_reject(s, msg->type, "message before version negotiation");
        return true;
    }
    switch (msg->type) {
    case SYNTHVID_VERSION_REQUEST:
        return synthvid_handle_version(s, msg->version);
    case SYNTHVID_VRAM_LOCATION:
        return synthvid_handle_vram(s, msg);
    case SYNTHVID_SITUATION_UPDATE:
        return synthvid_handle_situation(s, msg);
    case SYNTHVID_DIRT:
        synthvid_handle_dirt(s, msg);
        return true;
    case SYNTHVID_POINTER_POSITION:
        synthvid_handle_pointer_pos(s, msg);
        return true;
    case SYNTHVID_POINTER_SHAPE:
        synthvid_handle_pointer_shape(s, msg);
        return true;
    case SYNTHVID_RESOLUTION_REQUEST:
        return synthvid_handle_resolutions(s, msg);
    case SYNTHVID_BIOS_INFO_REQUEST: {
        /* Generation 1: BIOS firmware, as SeaBIOS is. */
        SynthvidBiosInfoResponse rsp = { .vm_generation = cpu_to_le32(1) };

        return synthvid_send(s, SYNTHVID_BIOS_INFO_RESPONSE, &rsp,
                             sizeof(rsp)) != -ENOSPC;
    }
    case SYNTHVID_CAPABILITY_REQUEST: {
        SynthvidCapabilityResponse rsp = { 0 };

        return synthvid_send(s, SYNTHVID_CAPABILITY_RESPONSE, &rsp,
                             sizeof(rsp)) != -ENOSPC;
    }
    default:
        synthvid_reject(s, msg->type, "unknown message type");
        return true;
    }
}

static bool synthvid_packet(VMBusChannel *chan, const VMBusRingPacket *pkt,
                            const uint8_t *data, uint32_t len, void *opaque)
{
    VMBusVideo *s = opaque;
    SynthvidGuestMsg msg;
    const char *why;

    if (pkt->type == VMBUS_PKT_COMP) {
        return true;
    }
    if (pkt->type != VMBUS_PKT_INBAND) {
        synthvid_reject(s, UINT32_MAX, "not an in-band packet");
        return true;
    }
    if (synthvid_msg_parse(data + pkt->data_offset, len - pkt->data_offset,
                           &msg, &why) < 0) {
        synthvid_reject(s, msg.type, why);
        return true;
    }
    trace_synthvid_msg(msg.type, len - pkt->data_offset);
    return synthvid_handle(s, &msg);
}

/* The channel */

static void synthvid_notify(VMBusChannel *chan)
{
    VMBusVideo *s = VMBUS_VIDEO(vmbus_channel_device(chan));

    vmbus_channel_recv(chan, s->rx_buf, SYNTHVID_RX_MAX, synthvid_packet, s);
}

static void synthvid_writable(VMBusChannel *chan)
{
    VMBusVideo *s = VMBUS_VIDEO(vmbus_channel_device(chan));

    if (s->feature_pending && synthvid_send_feature_change(s) == -ENOSPC) {
        return;
    }
    /* Requests whose answers did not fit wait in the ring. */
    synthvid_notify(chan);
}

static void synthvid_forget(VMBusVideo *s)
{
    SynthvidMode off = { 0 };

    s->version = 0;
    s->feature_pending = false;
    if (s->dirt_enabled) {
        s->dirt_enabled = false;
        memory_region_set_log(&s->vram, true, DIRTY_MEMORY_VGA);
    }
    /* The guest gives its MMIO range back when its driver goes. */
    synthvid_vram_unmap(s);
    synthvid_set_mode(s, &off);
    s->num_dirty = 0;
}

static int synthvid_open(VMBusChannel *chan)
{
    VMBusVideo *s = VMBUS_VIDEO(vmbus_channel_device(chan));

    trace_synthvid_open();
    synthvid_forget(s);
    return 0;
}

static void synthvid_close(VMBusChannel *chan)
{
    VMBusVideo *s = VMBUS_VIDEO(vmbus_channel_device(chan));

    trace_synthvid_close();
    synthvid_forget(s);
}

static void synthvid_reset(VMBusDevice *vdev)
{
    synthvid_forget(VMBUS_VIDEO(vdev));
}

/* Realize */

static void synthvid_add_resolution(VMBusVideo *s, uint32_t w, uint32_t h)
{
    uint8_t i;

    for (i = 0; i < s->num_resolutions; i++) {
        if (s->resolutions[i].width == w && s->resolutions[i].height == h) {
            return;
        }
    }
    if (s->num_resolutions < SYNTHVID_MAX_RESOLUTIONS) {
        s->resolutions[s->num_resolutions].width = w;
        s->resolutions[s->num_resolutions].height = h;
        s->num_resolutions++;
    }
}

static void synthvid_vsp_realize(VMBusDevice *vdev, Error **errp)
{
    VMBusVideo *s = VMBUS_VIDEO(vdev);
    bool ambiguous = false;
    uint64_t base, size;
    size_t i;

    /* Hyper-V has one synthetic video device; so do we. */
    object_resolve_path_type("", TYPE_VMBUS_VIDEO, &ambiguous);
    if (ambiguous) {
        error_setg(errp, "there can be only one %s", TYPE_VMBUS_VIDEO);
        return;
    }
    if (s->vram_size < SYNTHVID_VRAM_MIN ||
        s->vram_size > SYNTHVID_VRAM_MAX || s->vram_size % MiB) {
        error_setg(errp, "%s: vram-size must be a multiple of 1 MiB from "
                   "%" PRIu64 " to %" PRIu64 " MiB", TYPE_VMBUS_VIDEO,
                   SYNTHVID_VRAM_MIN / MiB, SYNTHVID_VRAM_MAX / MiB);
        return;
    }
    if (synthvid_mmio_window(&base, &size) && s->vram_size > size) {
        error_setg(errp, "%s: vram-size is larger than the VMBus MMIO "
                   "window (%" PRIu64 " MiB)", TYPE_VMBUS_VIDEO, size / MiB);
        return;
    }
    if (s->xres < 640 || s->yres < 480 || s->xres > SYNTHVID_MAX_WIDTH ||
        s->yres > SYNTHVID_MAX_HEIGHT || s->xres > UINT16_MAX ||
        (uint64_t)s->xres * s->yres * 4 > s->vram_size) {
        error_setg(errp, "%s: xres x yres must be at least 640x480 and fit "
                   "in vram-size at 32 bits per pixel", TYPE_VMBUS_VIDEO);
        return;
    }

    s->num_resolutions = 0;
    for (i = 0; i < ARRAY_SIZE(synthvid_std_resolutions); i++) {
        const SynthvidScreenSize *r = &synthvid_std_resolutions[i];

        if ((uint64_t)r->width * r->height * 4 <= s->vram_size) {
            synthvid_add_resolution(s, r->width, r->height);
        }
    }
    synthvid_add_resolution(s, s->xres, s->yres);
    for (i = 0; i < s->num_resolutions; i++) {
        if (s->resolutions[i].width == s->xres &&
            s->resolutions[i].height == s->yres) {
            s->default_resolution = i;
        }
    }

    /* The guest sizes its VRAM from the offer's mmio_megabytes. */
    VMBUS_DEVICE(s)->mmio_megabytes = s->vram_size / MiB;
    if (!memory_region_init_ram(&s->vram, OBJECT(s), "vmbus-video.vram",
                                s->vram_size, errp)) {
        return;
    }
    memory_region_set_log(&s->vram, true, DIRTY_MEMORY_VGA);
    s->rx_buf = g_malloc(SYNTHVID_RX_MAX);
    s->con = graphic_console_init(DEVICE(s), 0, &synthvid_gfx_ops, s);
}

static void synthvid_vsp_unrealize(VMBusDevice *vdev)
{
    VMBusVideo *s = VMBUS_VIDEO(vdev);

    synthvid_vram_unmap(s);
    graphic_console_close(s->con);
    g_free(s->rx_buf);
    s->rx_buf = NULL;
}

/* Properties and migration */

static char *synthvid_get_version(Object *obj, Error **errp)
{
    VMBusVideo *s = VMBUS_VIDEO(obj);

    if (!s->version) {
        return g_strdup("");
    }
    return g_strdup_printf("%u.%u", SYNTHVID_VERSION_MAJOR(s->version),
                           SYNTHVID_VERSION_MINOR(s->version));
}

static void synthvid_instance_init(Object *obj)
{
    VMBusVideo *s = VMBUS_VIDEO(obj);

    object_property_add_str(obj, "version", synthvid_get_version, NULL);
    object_property_add_uint32_ptr(obj, "width", &s->mode.width,
                                   OBJ_PROP_FLAG_READ);
    object_property_add_uint32_ptr(obj, "height", &s->mode.height,
                                   OBJ_PROP_FLAG_READ);
    object_property_add_uint64_ptr(obj, "vram-gpa", &s->vram_gpa,
                                   OBJ_PROP_FLAG_READ);
    object_property_add_uint64_ptr(obj, "rects-received", &s->rects_received,
                                   OBJ_PROP_FLAG_READ);
    object_property_add_uint64_ptr(obj, "rejected", &s->rejected,
                                   OBJ_PROP_FLAG_READ);
    object_property_add_uint64_ptr(obj, "redraws-from-rects",
                                   &s->redraws_rects,
                                   OBJ_PROP_FLAG_READ);
    object_property_add_uint64_ptr(obj, "redraws-from-scan",
                                   &s->redraws_scanned, OBJ_PROP_FLAG_READ);
}

static int synthvid_post_load(void *opaque, int version_id)
{
    VMBusVideo *s = opaque;
    uint64_t gpa = s->vram_gpa, base, size;
    const char *why;

    if (s->mode.active && !synthvid_mode_check(&s->mode, s->vram_size,
                                               &why)) {
        return -EINVAL;
    }
    if (s->vram_mapped) {
        if (!synthvid_mmio_window(&base, &size) ||
            !synthvid_vram_gpa_check(gpa, s->vram_size, base, size, &why)) {
            return -EINVAL;
        }
        /* The source had it mapped; map it here (vram_mapped is set). */
        s->vram_mapped = false;
        synthvid_vram_map(s, gpa);
    }
    memory_region_set_log(&s->vram, !s->dirt_enabled, DIRTY_MEMORY_VGA);
    s->mode_changed = true;
    s->num_dirty = 0;
    return 0;
}

static const VMStateDescription vmstate_synthvid = {
    .name = TYPE_VMBUS_VIDEO,
    .version_id = 1,
    .minimum_version_id = 1,
    .post_load = synthvid_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32(version, VMBusVideo),
        VMSTATE_BOOL(vram_mapped, VMBusVideo),
        VMSTATE_UINT64(vram_gpa, VMBusVideo),
        VMSTATE_BOOL(mode.active, VMBusVideo),
        VMSTATE_UINT32(mode.vram_offset, VMBusVideo),
        VMSTATE_UINT8(mode.depth_bits, VMBusVideo),
        VMSTATE_UINT32(mode.width, VMBusVideo),
        VMSTATE_UINT32(mode.height, VMBusVideo),
        VMSTATE_UINT32(mode.pitch, VMBusVideo),
        VMSTATE_BOOL(dirt_enabled, VMBusVideo),
        VMSTATE_BOOL(feature_pending, VMBusVideo),
        VMSTATE_UINT64(trans_id, VMBusVideo),
        VMSTATE_END_OF_LIST()
    },
};

static const Property synthvid_props[] = {
    DEFINE_PROP_SIZE("vram-size", VMBusVideo, vram_size,
                     SYNTHVID_VRAM_DEFAULT),
    DEFINE_PROP_UINT32("xres", VMBusVideo, xres, 1024),
    DEFINE_PROP_UINT32("yres", VMBusVideo, yres, 768),
    DEFINE_PROP_BOOL("dirty-rects", VMBusVideo, dirty_rects, true),
};

static void synthvid_class_init(ObjectClass *oc, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(oc);
    VMBusDeviceClass *vdc = VMBUS_DEVICE_CLASS(oc);

    dc->desc = "Hyper-V synthetic video";
    dc->vmsd = &vmstate_synthvid;
    /* The VRAM is a RAM block and the console stays: no hot-plug. */
    dc->hotpluggable = false;
    set_bit(DEVICE_CATEGORY_DISPLAY, dc->categories);
    device_class_set_props(dc, synthvid_props);
    vdc->interface_id = SYNTHVID_INTERFACE_ID;
    vdc->interface_name = "synthvid";
    vdc->mmio_megabytes = SYNTHVID_VRAM_DEFAULT / MiB;
    vdc->vsp_realize = synthvid_vsp_realize;
    vdc->vsp_unrealize = synthvid_vsp_unrealize;
    vdc->open = synthvid_open;
    vdc->close = synthvid_close;
    vdc->notify = synthvid_notify;
    vdc->writable = synthvid_writable;
    vdc->reset = synthvid_reset;
    synthvid_proto_check_sizes();
}

static const TypeInfo synthvid_type = {
    .name = TYPE_VMBUS_VIDEO,
    .parent = TYPE_VMBUS_DEVICE,
    .instance_size = sizeof(VMBusVideo),
    .instance_init = synthvid_instance_init,
    .class_init = synthvid_class_init,
};

static void synthvid_register_types(void)
{
    type_register_static(&synthvid_type);
}

type_init(synthvid_register_types)
