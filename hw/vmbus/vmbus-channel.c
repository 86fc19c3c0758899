/*
 * qemu-hvpart: VMBus channels: relids, the ring buffer GPADL mapped into
 * the host, signalling in both directions, and packet I/O for the VSPs.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "block/aio-wait.h"
#include "qemu/bitmap.h"
#include "qemu/iov.h"
#include "qemu/main-loop.h"
#include "qemu/rcu.h"
#include "exec/address-spaces.h"
#include "system/runstate.h"
#include "hw/synic/synic.h"
#include "accel/hvpart/hvpart.h"
#include "hw/vmbus/vmbus-internal.h"
#include "trace.h"

VMBusDevice *vmbus_channel_device(VMBusChannel *chan)
{
    return chan->dev;
}

uint16_t vmbus_channel_index(VMBusChannel *chan)
{
    return chan->index;
}

/*
 * Open, or rescinded while open: the guest still drives the rings until it
 * closes the channel (Linux waits for its outstanding requests first).
 * For the main loop; the rings' users go by vmbus_channel_live().
 */
static bool vmbus_channel_rings_mapped(VMBusChannel *chan)
{
    return chan->state == VMBUS_CHANNEL_OPEN ||
           (chan->state == VMBUS_CHANNEL_RESCINDED && chan->ring_gpadl);
}

/*
 * Whether the rings may be used now. A device served in an IOThread
 * keeps its own flag, changed only in that thread (while the main loop
 * waits), so a ring never goes away under it.
 */
static bool vmbus_channel_live(VMBusChannel *chan)
{
    if (chan->dev->ctx) {
        return chan->ctx_live;
    }
    return vmbus_channel_rings_mapped(chan);
}

bool vmbus_channel_is_open(VMBusChannel *chan)
{
    return vmbus_channel_live(chan);
}

uint32_t vmbus_channel_target_vp(VMBusChannel *chan)
{
    return chan->target_vp;
}

VMBusChannel *vmbus_channel_by_relid(VMBusBridge *br, uint32_t relid)
{
    VMBusChannel *chan;

    QTAILQ_FOREACH(chan, &br->channels, link) {
        if (chan->relid == relid) {
            return chan;
        }
    }
    return NULL;
}

/*
 * Whether [gpa, gpa + len) is guest RAM (not ROM, not MMIO): a guest's
 * buffer descriptors may only name its memory, never a device's registers
 * (reading those could have side effects).
 */
bool vmbus_gpa_is_ram(hwaddr gpa, hwaddr len)
{
    RCU_READ_LOCK_GUARD();

    if (gpa + len < gpa) {
        return false;
    }
    while (len) {
        hwaddr xlat, plen = len;
        MemoryRegion *mr = address_space_translate(&address_space_memory,
                                                   gpa, &xlat, &plen, true,
                                                   MEMTXATTRS_UNSPECIFIED);

        if (!memory_region_is_ram(mr) || memory_region_is_rom(mr) ||
            memory_region_is_ram_device(mr) || plen == 0) {
            return false;
        }
        gpa += plen;
        len -= plen;
    }
    return true;
}

MemTxResult vmbus_gpa_read(hwaddr gpa, void *buf, hwaddr len)
{
    if (!vmbus_gpa_is_ram(gpa, len)) {
        return MEMTX_DECODE_ERROR;
    }
    return hvpart_gpa_read(gpa, buf, len);
}

MemTxResult vmbus_gpa_write(hwaddr gpa, const void *buf, hwaddr len)
{
    if (!vmbus_gpa_is_ram(gpa, len)) {
        return MEMTX_DECODE_ERROR;
    }
    return hvpart_gpa_write(gpa, buf, len);
}

/* Ring mapping */

void vmbus_pages_unmap(VMBusRingMap *map)
{
    uint32_t i;

    for (i = 0; i < map->npages; i++) {
        if (map->mrs[i]) {
            memory_region_unref(map->mrs[i]);
        }
    }
    g_free(map->pages);
    g_free(map->mrs);
    g_free(map->offsets);
    memset(map, 0, sizeof(*map));
}

/*
 * Map each page of a GPADL (a ring, a VSP's buffer) for as long as it is
 * used. Only guest RAM qualifies: a page in MMIO or a ROM fails.
 */
int vmbus_pages_map(VMBusRingMap *map, const VMBusGpadl *g,
                    const char **why)
{
    uint32_t i;

    map->npages = g->npages;
    map->pages = g_new0(void *, g->npages);
    map->mrs = g_new0(MemoryRegion *, g->npages);
    map->offsets = g_new0(hwaddr, g->npages);
    for (i = 0; i < g->npages; i++) {
        hwaddr gpa = g->pfns[i] << VMBUS_PAGE_SHIFT;
        MemoryRegionSection s = memory_region_find(get_system_memory(), gpa,
                                                   VMBUS_PAGE_SIZE);

        if (!s.mr) {
            *why = "GPADL page outside guest memory";
            goto fail;
        }
        if (!memory_region_is_ram(s.mr) || memory_region_is_rom(s.mr) ||
            memory_region_is_ram_device(s.mr) ||
            int128_lt(s.size, int128_make64(VMBUS_PAGE_SIZE))) {
            memory_region_unref(s.mr);
            *why = "GPADL page is not RAM";
            goto fail;
        }
        map->mrs[i] = s.mr;
        map->offsets[i] = s.offset_within_region;
        map->pages[i] = (uint8_t *)memory_region_get_ram_ptr(s.mr) +
                        s.offset_within_region;
    }
    return 0;
fail:
    vmbus_pages_unmap(map);
    return -EINVAL;
}

static void vmbus_ring_dirty(void *opaque, uint32_t page_index)
{
    VMBusRingMap *map = opaque;

    if (page_index < map->npages) {
        hvpart_ram_written(map->mrs[page_index], map->offsets[page_index],
                           VMBUS_PAGE_SIZE);
    }
}

static void vmbus_ring_dirty_out(void *opaque, uint32_t page_index)
{
    VMBusChannel *chan = opaque;

    vmbus_ring_dirty(&chan->map, chan->downstream_offset + page_index);
}

/* Signalling */

static void vmbus_channel_signal_now(VMBusChannel *chan)
{
    chan->signal_held = false;
    trace_vmbus_signal_guest(chan->relid, chan->target_vp);
    hv_synic_signal_event(chan->target_vp, VMBUS_MESSAGE_SINT, chan->relid);
}

/* An IOThread's signal: interrupt the guest from the main loop. */
static void vmbus_channel_signal_bh(void *opaque)
{
    VMBusChannel *chan = opaque;

    if (vmbus_channel_rings_mapped(chan)) {
        vmbus_channel_signal_now(chan);
    }
}

void vmbus_channel_signal_guest(VMBusChannel *chan)
{
    /* The SynIC needs the BQL, which an IOThread does not take. */
    if (!bql_locked()) {
        qemu_bh_schedule(chan->signal_bh);
        return;
    }
    vmbus_channel_signal_now(chan);
}

static void vmbus_channel_notify_bh(void *opaque)
{
    VMBusChannel *chan = opaque;
    VMBusDeviceClass *vdc;

    if (!vmbus_channel_live(chan) || chan->dev->vm_stopped) {
        return;
    }
    vdc = VMBUS_DEVICE_GET_CLASS(chan->dev);
    if (chan->want_writable) {
        uint32_t free_bytes;

        if (vmbus_ring_bytes_free(&chan->out_ring, &free_bytes) == 0 &&
            free_bytes > 0) {
            chan->want_writable = false;
            if (vdc->writable) {
                vdc->writable(chan);
            }
        }
    }
    if (vdc->notify) {
        vdc->notify(chan);
    }
}

bool vmbus_channel_in_vp(VMBusChannel *chan)
{
    return chan->notify_in_vp_now;
}

int vmbus_channel_peek_type(VMBusChannel *chan)
{
    VMBusRingPacket pkt;
    int ret;

    if (!vmbus_channel_live(chan)) {
        return -EPIPE;
    }
    ret = vmbus_ring_peek(&chan->in_ring, &pkt);
    return ret < 0 ? ret : pkt.type;
}

void vmbus_channel_defer_notify(VMBusChannel *chan)
{
    qemu_bh_schedule(chan->notify_bh);
}

/* HvSignalEvent from the guest on the channel's connection id. */
static uint16_t vmbus_channel_event(void *opaque, uint32_t vp_index,
                                    uint16_t flag_number)
{
    VMBusChannel *chan = opaque;
    VMBusDeviceClass *vdc = VMBUS_DEVICE_GET_CLASS(chan->dev);

    trace_vmbus_signal_host(chan->relid, vp_index);
    if (vdc->notify_in_vp && !chan->dev->ctx &&
        (!vdc->notify_now || vdc->notify_now(chan))) {
        qemu_bh_cancel(chan->notify_bh);
        chan->notify_in_vp_now = true;
        vmbus_channel_notify_bh(chan);
        chan->notify_in_vp_now = false;
        return HV_STATUS_SUCCESS;
    }
    /*
     * Process outside the VP's exit path (in the main loop, or in the
     * device's IOThread); the VP keeps running.
     */
    qemu_bh_schedule(chan->notify_bh);
    return HV_STATUS_SUCCESS;
}

/* Devices served in an IOThread */

void vmbus_device_run_in_context(VMBusDevice *dev, void (*fn)(void *),
                                 void *opaque)
{
    if (dev->ctx) {
        aio_wait_bh_oneshot(dev->ctx, fn, opaque);
    } else {
        fn(opaque);
    }
}

typedef struct VMBusOpenInCtx {
    VMBusChannel *chan;
    bool call_open;
    int ret;
} VMBusOpenInCtx;

static void vmbus_channel_open_in_ctx(void *opaque)
{
    VMBusOpenInCtx *o = opaque;
    VMBusDeviceClass *vdc = VMBUS_DEVICE_GET_CLASS(o->chan->dev);

    o->chan->ctx_live = true;
    if (o->call_open && vdc->open) {
        o->ret = vdc->open(o->chan);
        if (o->ret < 0) {
            o->chan->ctx_live = false;
        }
    }
}

static void vmbus_channel_close_in_ctx(void *opaque)
{
    VMBusChannel *chan = opaque;
    VMBusDeviceClass *vdc = VMBUS_DEVICE_GET_CLASS(chan->dev);

    /* The device still answers what it cancels: into a ring that is gone. */
    chan->ctx_live = false;
    if (vdc->close) {
        vdc->close(chan);
    }
}

static void vmbus_device_set_stopped(void *opaque)
{
    VMBusDevice *dev = opaque;

    dev->vm_stopped = true;
}

static void vmbus_device_set_running(void *opaque)
{
    VMBusDevice *dev = opaque;

    dev->vm_stopped = false;
}

/*
 * While the VM is stopped (migration, savevm) the rings are left alone: no
 * request starts after the block layer was drained, nothing is written to
 * guest memory that migration may have sent already, and what the guest
 * wrote meanwhile waits for the run.
 */
static void vmbus_device_vm_state(void *opaque, bool running, RunState state)
{
    VMBusDevice *dev = opaque;
    int i;

    vmbus_device_run_in_context(dev, running ? vmbus_device_set_running :
                                vmbus_device_set_stopped, dev);
    if (running) {
        for (i = 0; i < dev->num_channels; i++) {
            qemu_bh_schedule(dev->channels[i]->notify_bh);
        }
    }
}

void vmbus_device_watch_vm_state(VMBusDevice *dev)
{
    dev->vm_stopped = !runstate_is_running();
    dev->vmstate_entry =
        qemu_add_vm_change_state_handler(vmbus_device_vm_state, dev);
}

void vmbus_device_unwatch_vm_state(VMBusDevice *dev)
{
    if (dev->vmstate_entry) {
        qemu_del_vm_change_state_handler(dev->vmstate_entry);
        dev->vmstate_entry = NULL;
    }
}

void vmbus_device_set_aio_context(VMBusDevice *dev, AioContext *ctx)
{
    int i;

    assert(!dev->ctx && ctx);
    dev->ctx = ctx;
    /* Channels made so far (the primary) move their bottom half over. */
    for (i = 0; i < dev->num_channels; i++) {
        VMBusChannel *chan = dev->channels[i];

        assert(!vmbus_channel_rings_mapped(chan));
        qemu_bh_delete(chan->notify_bh);
        chan->notify_bh = aio_bh_new(ctx, vmbus_channel_notify_bh, chan);
    }
}

/* Open and close */

int vmbus_channel_open(VMBusChannel *chan, VMBusGpadlEntry *ge,
                       uint32_t downstream_offset, uint32_t target_vp,
                       bool restoring, const char **why)
{
    const VMBusGpadl *g = ge->gpadl;
    VMBusDeviceClass *vdc = VMBUS_DEVICE_GET_CLASS(chan->dev);
    uint32_t conn_id = VMBUS_CHANNEL_CONN_ID_BASE + chan->relid;
    int ret;

    if (target_vp >= hvpart_vp_count()) {
        *why = "target VP out of range";
        return -EINVAL;
    }
    if (!vmbus_gpadl_is_page_list(g)) {
        *why = "ring GPADL is not a plain page list";
        return -EINVAL;
    }
    /* Each ring needs its control page and at least one data page. */
    if (downstream_offset < 2 || downstream_offset > g->npages - 2 ||
        g->npages < 4) {
        *why = "ring split outside the GPADL";
        return -EINVAL;
    }
    if (vmbus_pages_map(&chan->map, g, why) < 0) {
        return -EINVAL;
    }
    if (vmbus_ring_init(&chan->in_ring, chan->map.pages,
                        downstream_offset) < 0 ||
        vmbus_ring_init(&chan->out_ring,
                        chan->map.pages + downstream_offset,
                        g->npages - downstream_offset) < 0) {
        *why = "bad ring layout";
        goto fail_unmap;
    }
    vmbus_ring_set_dirty_fn(&chan->in_ring, vmbus_ring_dirty, &chan->map);
    vmbus_ring_set_dirty_fn(&chan->out_ring, vmbus_ring_dirty_out, chan);
    chan->downstream_offset = downstream_offset;
    chan->target_vp = target_vp;
    chan->ring_gpadl_id = g->id;
    chan->ring_gpadl = ge;
    ge->users++;
    ret = hv_synic_add_event_connection(conn_id, vmbus_channel_event, chan);
    if (ret < 0) {
        *why = "event connection in use";
        goto fail_put;
    }
    chan->state = VMBUS_CHANNEL_OPEN;
    chan->want_writable = false;
    chan->signal_held = false;
    if (chan->dev->ctx) {
        VMBusOpenInCtx o = { .chan = chan, .call_open = !restoring };

        vmbus_device_run_in_context(chan->dev, vmbus_channel_open_in_ctx, &o);
        ret = o.ret;
    } else {
        ret = restoring || !vdc->open ? 0 : vdc->open(chan);
    }
    if (restoring) {
        /*
         * An incoming migration: the device's state comes with its own
         * VMState, and the guest's rings are as they were. Nothing is
         * written or signalled until the VM runs (vmbus_server_resume()).
         */
        return 0;
    }
    if (ret < 0) {
        *why = "the device refused the open";
        chan->state = VMBUS_CHANNEL_OFFERED;
        hv_synic_del_event_connection(conn_id);
        goto fail_put;
    }
    /* Packets may already wait in the ring. */
    qemu_bh_schedule(chan->notify_bh);
    return 0;

fail_put:
    vmbus_server_gpadl_put(vmbus_bridge(), ge);
    chan->ring_gpadl = NULL;
    vmbus_ring_cleanup(&chan->out_ring);
fail_unmap:
    vmbus_ring_cleanup(&chan->in_ring);
    vmbus_pages_unmap(&chan->map);
    return -EINVAL;
}

void vmbus_channel_close(VMBusChannel *chan)
{
    VMBusDeviceClass *vdc = VMBUS_DEVICE_GET_CLASS(chan->dev);

    if (!vmbus_channel_rings_mapped(chan)) {
        return;
    }
    if (chan->dev->ctx) {
        vmbus_device_run_in_context(chan->dev, vmbus_channel_close_in_ctx,
                                    chan);
    } else if (vdc->close) {
        vdc->close(chan);
    }
    hv_synic_del_event_connection(VMBUS_CHANNEL_CONN_ID_BASE + chan->relid);
    qemu_bh_cancel(chan->notify_bh);
    qemu_bh_cancel(chan->signal_bh);
    vmbus_ring_cleanup(&chan->in_ring);
    vmbus_ring_cleanup(&chan->out_ring);
    vmbus_pages_unmap(&chan->map);
    if (chan->ring_gpadl) {
        vmbus_server_gpadl_put(vmbus_bridge(), chan->ring_gpadl);
        chan->ring_gpadl = NULL;
    }
    if (chan->state == VMBUS_CHANNEL_OPEN) {
        chan->state = VMBUS_CHANNEL_OFFERED;
    }
}

/* Packet I/O */

static int vmbus_channel_send_full(VMBusChannel *chan, uint16_t type,
                                   uint16_t flags, uint64_t trans_id,
                                   const void *ext, uint32_t ext_len,
                                   const struct iovec *iov,
                                   unsigned int iov_cnt, bool quiet)
{
    bool signal = false;
    int ret;

    if (!vmbus_channel_live(chan)) {
        return -EPIPE;
    }
    ret = vmbus_ring_write(&chan->out_ring, type, flags, trans_id, ext,
                           ext_len, iov, iov_cnt, &signal);
    if (ret == -ENOSPC) {
        /* Ask the guest to signal once it has read enough. */
        uint32_t need = vmbus_ring_packet_size(ext_len, iov_size(iov,
                                                                 iov_cnt));

        chan->want_writable = true;
        if (vmbus_ring_request_space(&chan->out_ring, need)) {
            /* Room appeared meanwhile: try again from the BH. */
            qemu_bh_schedule(chan->notify_bh);
        }
        trace_vmbus_send_full(chan->relid, need);
        return -ENOSPC;
    }
    if (ret < 0) {
        trace_vmbus_ring_broken(chan->relid,
                                vmbus_ring_broken_reason(&chan->out_ring));
        return -EPIPE;
    }
    if (quiet) {
        chan->signal_held |= signal;
    } else if (signal ||
               (chan->signal_held &&
                vmbus_ring_guest_would_miss(&chan->out_ring))) {
        /* A held signal goes out with this one. */
        vmbus_channel_signal_guest(chan);
    }
    return 0;
}

int vmbus_channel_send(VMBusChannel *chan, uint16_t type, uint16_t flags,
                       uint64_t trans_id, const void *ext, uint32_t ext_len,
                       const struct iovec *iov, unsigned int iov_cnt)
{
    return vmbus_channel_send_full(chan, type, flags, trans_id, ext, ext_len,
                                   iov, iov_cnt, false);
}

int vmbus_channel_send_completion_quiet(VMBusChannel *chan,
                                        uint64_t trans_id, const void *buf,
                                        uint32_t len)
{
    struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };

    return vmbus_channel_send_full(chan, VMBUS_PKT_COMP, 0, trans_id, NULL, 0,
                                   &iov, 1, true);
}

bool vmbus_channel_signal_held(VMBusChannel *chan)
{
    return chan->signal_held;
}

void vmbus_channel_flush_signal(VMBusChannel *chan)
{
    if (!chan->signal_held) {
        return;
    }
    chan->signal_held = false;
    if (vmbus_channel_live(chan) &&
        vmbus_ring_guest_would_miss(&chan->out_ring)) {
        vmbus_channel_signal_guest(chan);
    }
}

int vmbus_channel_send_inband(VMBusChannel *chan, uint64_t trans_id,
                              bool want_completion, const void *buf,
                              uint32_t len)
{
    struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };

    return vmbus_channel_send(chan, VMBUS_PKT_INBAND,
                              want_completion ?
                              VMBUS_PKT_FLAG_COMPLETION_REQUESTED : 0,
                              trans_id, NULL, 0, &iov, 1);
}

int vmbus_channel_send_completion(VMBusChannel *chan, uint64_t trans_id,
                                  const void *buf, uint32_t len)
{
    struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };

    return vmbus_channel_send(chan, VMBUS_PKT_COMP, 0, trans_id, NULL, 0,
                              &iov, 1);
}

int vmbus_channel_recv(VMBusChannel *chan, uint8_t *buf, uint32_t buflen,
                       VMBusPacketFn *fn, void *opaque)
{
    VMBusRingPacket pkt;
    int handled = 0;
    bool signal = false;
    int ret;

    if (!vmbus_channel_live(chan)) {
        return -EPIPE;
    }
    if (chan->dev->vm_stopped) {
        return 0;
    }
    vmbus_ring_mask_interrupts(&chan->in_ring);
    for (;;) {
        ret = vmbus_ring_peek(&chan->in_ring, &pkt);
        if (ret == -EAGAIN) {
            /* Empty: unmask, and look again for what raced the unmask. */
            if (vmbus_ring_unmask_interrupts(&chan->in_ring, &signal)) {
                vmbus_ring_mask_interrupts(&chan->in_ring);
                continue;
            }
            break;
        }
        if (ret < 0) {
            break;
        }
        if (pkt.len > buflen) {
            trace_vmbus_recv_too_big(chan->relid, pkt.len, buflen);
            ret = vmbus_ring_consume(&chan->in_ring, &pkt);
        } else {
            ret = vmbus_ring_copy_from(&chan->in_ring, &pkt, 0, buf, pkt.len);
            if (ret == 0) {
                if (!fn(chan, &pkt, buf, pkt.len, opaque)) {
                    /* Left in the ring; the VSP comes back for it. */
                    vmbus_ring_unmask_interrupts(&chan->in_ring, &signal);
                    break;
                }
                handled++;
                ret = vmbus_ring_consume(&chan->in_ring, &pkt);
            }
        }
        if (ret < 0) {
            break;
        }
        if (vmbus_ring_publish_read(&chan->in_ring)) {
            signal = true;
        }
        if (!vmbus_channel_live(chan)) {
            return handled;             /* closed by the handler */
        }
    }
    if (vmbus_ring_publish_read(&chan->in_ring)) {
        signal = true;
    }
    if (signal) {
        vmbus_channel_signal_guest(chan);
    }
    if (ret < 0 && ret != -EAGAIN) {
        trace_vmbus_ring_broken(chan->relid,
                                vmbus_ring_broken_reason(&chan->in_ring));
        return -EPIPE;
    }
    return handled;
}

/* Lifecycle */

static int vmbus_relid_alloc(VMBusBridge *br)
{
    unsigned long relid = find_first_zero_bit(br->relids,
                                              VMBUS_RELID_MAX + 1);

    if (relid > VMBUS_RELID_MAX) {
        return -ENOSPC;
    }
    set_bit(relid, br->relids);
    return relid;
}

static VMBusChannel *vmbus_channel_create(VMBusBridge *br, VMBusDevice *dev,
                                          uint16_t index, uint32_t relid)
{
    VMBusChannel *chan = g_new0(VMBusChannel, 1);

    chan->dev = dev;
    chan->index = index;
    chan->relid = relid;
    chan->state = VMBUS_CHANNEL_UNOFFERED;
    chan->notify_bh = aio_bh_new(dev->ctx ? dev->ctx : qemu_get_aio_context(),
                                 vmbus_channel_notify_bh, chan);
    chan->signal_bh = qemu_bh_new(vmbus_channel_signal_bh, chan);
    QTAILQ_INSERT_TAIL(&br->channels, chan, link);
    return chan;
}

VMBusChannel *vmbus_channel_new(VMBusDevice *dev, uint16_t index)
{
    VMBusBridge *br = vmbus_bridge();
    int relid;

    if (!br) {
        return NULL;
    }
    relid = vmbus_relid_alloc(br);
    if (relid < 0) {
        return NULL;
    }
    return vmbus_channel_create(br, dev, index, relid);
}

/*
 * Incoming migration: the guest had sub-channel @index of the device with
 * instance @uuid under @relid. Sub-channels exist on request of the guest,
 * so the destination creates them here, in order, with the same relid.
 */
VMBusChannel *vmbus_channel_restore_sub(VMBusBridge *br, const uint8_t *uuid,
                                        uint16_t index, uint32_t relid)
{
    VMBusChannel *chan;
    VMBusDevice *dev = NULL;

    QTAILQ_FOREACH(chan, &br->channels, link) {
        if (chan->index == 0 &&
            !memcmp(chan->dev->instance_id.data, uuid, 16)) {
            dev = chan->dev;
        }
    }
    if (!dev || index != dev->num_channels ||
        index >= VMBUS_MAX_CHANNELS_PER_DEVICE || relid == 0 ||
        relid > VMBUS_RELID_MAX || test_bit(relid, br->relids)) {
        return NULL;
    }
    set_bit(relid, br->relids);
    chan = vmbus_channel_create(br, dev, index, relid);
    dev->channels[dev->num_channels++] = chan;
    return chan;
}

void vmbus_channel_free(VMBusChannel *chan)
{
    VMBusBridge *br = vmbus_bridge();

    vmbus_channel_close(chan);
    qemu_bh_delete(chan->notify_bh);
    qemu_bh_delete(chan->signal_bh);
    QTAILQ_REMOVE(&br->channels, chan, link);
    clear_bit(chan->relid, br->relids);
    g_free(chan);
}
