/*
 * qemu-hvpart: GPADLs mapped into the host as a VSP's data buffers.
 *
 * A netvsc guest creates its receive and send buffers as GPADLs and passes
 * their ids in NVSP messages; the VSP maps them here for as long as it
 * uses them. The mapping follows the ring buffers' rules (vmbus-channel.c,
 * vmbus_ring_map()): each 4 KiB page is looked up in the system memory map
 * and must be guest RAM; its memory region stays referenced until unmap.
 * The GPADL itself is held through VMBusGpadlEntry.users, so a teardown by
 * the guest only frees it once the VSP lets go (vmbus_server_gpadl_put()).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/iov.h"
#include "exec/address-spaces.h"
#include "accel/hvpart/hvpart.h"
#include "hw/vmbus/vmbus-internal.h"
#include "trace.h"

struct VMBusGpadlMap {
    VMBusGpadlEntry *ge;
    uint32_t gpadl_id;
    VMBusRingMap pm;                /* the pages, mapped */
};

static VMBusGpadlEntry *vmbus_gpadl_map_lookup(VMBusBridge *br, uint32_t id)
{
    VMBusGpadlEntry *ge;

    QTAILQ_FOREACH(ge, &br->gpadls, link) {
        if (ge->gpadl->id == id) {
            return ge;
        }
    }
    return NULL;
}

/* Whether @relid names one of the channels of @dev. */
static bool vmbus_device_has_relid(VMBusDevice *dev, uint32_t relid)
{
    int i;

    for (i = 0; i < dev->num_channels; i++) {
        if (dev->channels[i] && dev->channels[i]->relid == relid) {
            return true;
        }
    }
    return false;
}

VMBusGpadlMap *vmbus_gpadl_map(VMBusChannel *chan, uint32_t gpadl_id,
                               const char **why)
{
    VMBusBridge *br = vmbus_bridge();
    const char *reason = NULL;
    VMBusGpadlEntry *ge;
    const VMBusGpadl *g;
    VMBusGpadlMap *map;

    ge = br ? vmbus_gpadl_map_lookup(br, gpadl_id) : NULL;
    if (!ge) {
        reason = "no such GPADL";
        goto fail;
    }
    g = ge->gpadl;
    if (ge->torn_down) {
        reason = "GPADL is being torn down";
        goto fail;
    }
    if (!vmbus_device_has_relid(chan->dev, g->child_relid)) {
        reason = "GPADL belongs to another device";
        goto fail;
    }
    if (!vmbus_gpadl_is_page_list(g)) {
        reason = "GPADL is not a plain page list";
        goto fail;
    }

    map = g_new0(VMBusGpadlMap, 1);
    map->gpadl_id = gpadl_id;
    if (vmbus_pages_map(&map->pm, g, &reason) < 0) {
        g_free(map);
        goto fail;
    }
    map->ge = ge;
    ge->users++;
    trace_vmbus_gpadl_map(gpadl_id, g->npages);
    return map;

fail:
    trace_vmbus_gpadl_map_failed(gpadl_id, reason);
    if (why) {
        *why = reason;
    }
    return NULL;
}

void vmbus_gpadl_unmap(VMBusGpadlMap *map)
{
    VMBusBridge *br = vmbus_bridge();

    if (!map) {
        return;
    }
    trace_vmbus_gpadl_unmap(map->gpadl_id);
    vmbus_pages_unmap(&map->pm);
    if (br) {
        vmbus_server_gpadl_put(br, map->ge);
    }
    g_free(map);
}

uint32_t vmbus_gpadl_map_id(const VMBusGpadlMap *map)
{
    return map->gpadl_id;
}

uint64_t vmbus_gpadl_map_size(const VMBusGpadlMap *map)
{
    return (uint64_t)map->pm.npages << VMBUS_PAGE_SHIFT;
}

static bool vmbus_gpadl_map_range_ok(const VMBusGpadlMap *map,
                                     uint64_t offset, uint64_t len)
{
    uint64_t size = vmbus_gpadl_map_size(map);

    return offset <= size && len <= size - offset;
}

int vmbus_gpadl_map_read(VMBusGpadlMap *map, uint64_t offset, void *buf,
                         uint64_t len)
{
    uint8_t *dst = buf;

    if (!vmbus_gpadl_map_range_ok(map, offset, len)) {
        return -ERANGE;
    }
    while (len) {
        uint32_t page = offset >> VMBUS_PAGE_SHIFT;
        uint32_t in_page = offset & (VMBUS_PAGE_SIZE - 1);
        uint32_t chunk = MIN(len, VMBUS_PAGE_SIZE - in_page);

        memcpy(dst, (uint8_t *)map->pm.pages[page] + in_page, chunk);
        dst += chunk;
        offset += chunk;
        len -= chunk;
    }
    return 0;
}

static void vmbus_gpadl_map_dirty(VMBusGpadlMap *map, uint32_t page,
                                  uint32_t in_page, uint32_t len)
{
    hvpart_ram_written(map->pm.mrs[page], map->pm.offsets[page] + in_page,
                       len);
}

int vmbus_gpadl_map_write(VMBusGpadlMap *map, uint64_t offset,
                          const void *buf, uint64_t len)
{
    const uint8_t *src = buf;

    if (!vmbus_gpadl_map_range_ok(map, offset, len)) {
        return -ERANGE;
    }
    while (len) {
        uint32_t page = offset >> VMBUS_PAGE_SHIFT;
        uint32_t in_page = offset & (VMBUS_PAGE_SIZE - 1);
        uint32_t chunk = MIN(len, VMBUS_PAGE_SIZE - in_page);

        memcpy((uint8_t *)map->pm.pages[page] + in_page, src, chunk);
        vmbus_gpadl_map_dirty(map, page, in_page, chunk);
        src += chunk;
        offset += chunk;
        len -= chunk;
    }
    return 0;
}

int vmbus_gpadl_map_write_iov(VMBusGpadlMap *map, uint64_t offset,
                              const struct iovec *iov, unsigned int iov_cnt,
                              size_t iov_offset, size_t len)
{
    size_t total = iov_size(iov, iov_cnt);

    if (!vmbus_gpadl_map_range_ok(map, offset, len) ||
        iov_offset > total || len > total - iov_offset) {
        return -ERANGE;
    }
    while (len) {
        uint32_t page = offset >> VMBUS_PAGE_SHIFT;
        uint32_t in_page = offset & (VMBUS_PAGE_SIZE - 1);
        size_t chunk = MIN(len, VMBUS_PAGE_SIZE - in_page);

        iov_to_buf(iov, iov_cnt, iov_offset,
                   (uint8_t *)map->pm.pages[page] + in_page, chunk);
        vmbus_gpadl_map_dirty(map, page, in_page, chunk);
        iov_offset += chunk;
        offset += chunk;
        len -= chunk;
    }
    return 0;
}
