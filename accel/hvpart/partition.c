/*
 * qemu-hvpart: the partition: VPs, interrupts, guest memory and overlays.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/qapi-commands-hvpart.h"
#include "qemu/error-report.h"
#include "exec/address-spaces.h"
#include "exec/memory.h"
#include "exec/exec-all.h"
#include "exec/ram_addr.h"
#include "hw/boards.h"
#include "hw/core/cpu.h"
#include "target/i386/cpu.h"
#include "system/hvpart.h"
#include "accel/hvpart/hvpart.h"
#include "accel/hvpart/hvpart-internal.h"
#include "accel/hvpart/gpa-map.h"
#include "trace.h"

/* The MSI address window of the local APICs (Intel SDM 11.11.1). */
#define HVPART_MSI_ADDR_BASE    0xfee00000u
#define HVPART_MSI_DEST_SHIFT   12

/*
 * Overlays sit above what a board maps (RAM, ROMs, PCI holes: priorities up
 * to a few) but below the local APIC's MMIO window (0x1000): as on
 * hardware, the APIC claims its addresses before memory does, so an
 * overlay placed there cannot swallow interrupts.
 */
#define HVPART_OVERLAY_PRIO_BASE    0x100
#define HVPART_APIC_WINDOW_BASE     0xfee00000ull
#define HVPART_APIC_WINDOW_SIZE     0x100000ull
#define HVPART_APIC_WINDOW_PRIO     0x2000

struct HvpartOverlay {
    MemoryRegion mr;
    HvpartOverlayKind kind;
    uint32_t vp_index;
    bool mapped;
    hwaddr gpa;
};

static NotifierList vp_notifiers = NOTIFIER_LIST_INITIALIZER(vp_notifiers);
/* Each VP's view of memory: system memory plus its private overlays. */
static GPtrArray *vp_views;
/* Every overlay, for "is this GPA an overlay for that VP?" */
static GPtrArray *all_overlays;
static NotifierList partition_notifiers =
    NOTIFIER_LIST_INITIALIZER(partition_notifiers);
static HvpartVpInfoFn *vp_info_provider;
static HvpartVmbusInfoFn *vmbus_info_provider;

static const char *const overlay_kind_names[HVPART_OVERLAY__MAX] = {
    [HVPART_OVERLAY_REFERENCE_TSC] = "reference-tsc",
    [HVPART_OVERLAY_SIEFP] = "siefp",
    [HVPART_OVERLAY_SIMP] = "simp",
    [HVPART_OVERLAY_HYPERCALL] = "hypercall",
};

void hvpart_partition_init(MachineState *ms)
{
    trace_hvpart_partition_init(ms->smp.cpus, ms->smp.max_cpus);
    hvpart_pool_init(ms);
    hvpart_pool_register();
    notifier_list_notify(&partition_notifiers, ms);
}

void hvpart_add_partition_notifier(Notifier *n)
{
    notifier_list_add(&partition_notifiers, n);
}

void hvpart_partition_vp_prepare(CPUState *cs)
{
    g_autofree char *name = g_strdup_printf("hvpart-vp%d-memory",
                                            cs->cpu_index);
    MemoryRegion *root = g_new0(MemoryRegion, 1);
    MemoryRegion *sysmem = g_new0(MemoryRegion, 1);
    MemoryRegion *apic;

    if (!vp_views) {
        vp_views = g_ptr_array_new();
    }
    if (cs->cpu_index >= vp_views->len) {
        g_ptr_array_set_size(vp_views, cs->cpu_index + 1);
    }
    memory_region_init(root, OBJECT(cs), name, UINT64_MAX);
    memory_region_init_alias(sysmem, OBJECT(cs), "hvpart-system-memory",
                             get_system_memory(), 0, UINT64_MAX);
    memory_region_add_subregion_overlap(root, 0, sysmem, 0);
    /* The APIC window of system memory stays above the VP's own pages. */
    apic = g_new0(MemoryRegion, 1);
    memory_region_init_alias(apic, OBJECT(cs), "hvpart-apic-window",
                             get_system_memory(), HVPART_APIC_WINDOW_BASE,
                             HVPART_APIC_WINDOW_SIZE);
    memory_region_add_subregion_overlap(root, HVPART_APIC_WINDOW_BASE, apic,
                                        HVPART_APIC_WINDOW_PRIO);
    g_ptr_array_index(vp_views, cs->cpu_index) = root;
    /* TCG's realize builds the VP's address space from cs->memory. */
    cs->memory = root;
}

bool hvpart_partition_vp_realize(CPUState *cs, Error **errp)
{
    /* (the VP is not in QEMU's CPU list yet: ask the CPU itself) */
    uint32_t node = hvpart_cpu_node(cs);

    if (!hvpart_pool_charge(node, HVPART_POOL_COST_VP_SYNIC)) {
        error_setg(errp, "hvpart: the memory pool of NUMA node %u cannot "
                   "cover VP %d's SynIC (%d pages)", node, cs->cpu_index,
                   HVPART_POOL_COST_VP_SYNIC);
        return false;
    }
    trace_hvpart_vp_realize(cs->cpu_index);
    hvpart_intercept_vp_init(cs);
    notifier_list_notify(&vp_notifiers, cs);
    return true;
}

void hvpart_add_vp_notifier(Notifier *n)
{
    notifier_list_add(&vp_notifiers, n);
}

uint32_t hvpart_vp_count(void)
{
    CPUState *cs;
    uint32_t n = 0;

    CPU_FOREACH(cs) {
        n = MAX(n, (uint32_t)cs->cpu_index + 1);
    }
    return n;
}

CPUState *hvpart_vp_cpu(uint32_t vp_index)
{
    if (vp_index > INT_MAX) {
        return NULL;
    }
    return qemu_get_cpu(vp_index);
}

void hvpart_vp_raise_vector(uint32_t vp_index, uint8_t vector)
{
    CPUState *cs = hvpart_vp_cpu(vp_index);
    uint32_t apic_id;
    hwaddr addr;

    if (!cs) {
        trace_hvpart_vp_raise_bad_vp(vp_index, vector);
        return;
    }
    /*
     * Deliver as a message signalled interrupt: physical destination mode,
     * fixed delivery, edge triggered. The local APIC model (emulated or
     * in-kernel) then does the rest exactly as for a device interrupt.
     */
    apic_id = X86_CPU(cs)->apic_id;
    addr = HVPART_MSI_ADDR_BASE | ((apic_id & 0xff) << HVPART_MSI_DEST_SHIFT);
    trace_hvpart_vp_raise(vp_index, apic_id, vector);
    address_space_stl_le(&address_space_memory, addr, vector,
                         MEMTXATTRS_UNSPECIFIED, NULL);
}

MemTxResult hvpart_gpa_read(hwaddr gpa, void *buf, hwaddr len)
{
    return address_space_read(&address_space_memory, gpa,
                              MEMTXATTRS_UNSPECIFIED, buf, len);
}

MemTxResult hvpart_gpa_write(hwaddr gpa, const void *buf, hwaddr len)
{
    return address_space_write(&address_space_memory, gpa,
                               MEMTXATTRS_UNSPECIFIED, buf, len);
}

MemTxResult hvpart_vp_gpa_read(uint32_t vp_index, hwaddr gpa, void *buf,
                               hwaddr len)
{
    CPUState *cs = hvpart_vp_cpu(vp_index);

    if (!cs) {
        return MEMTX_DECODE_ERROR;
    }
    return address_space_read(cpu_get_address_space(cs, X86ASIdx_MEM), gpa,
                              MEMTXATTRS_UNSPECIFIED, buf, len);
}

const char *hvpart_overlay_kind_name(HvpartOverlayKind kind)
{
    return kind < HVPART_OVERLAY__MAX ? overlay_kind_names[kind] : "?";
}

HvpartOverlay *hvpart_overlay_new(HvpartOverlayKind kind, uint32_t vp_index)
{
    HvpartOverlay *ov = g_new0(HvpartOverlay, 1);
    g_autofree char *name = g_strdup_printf("hvpart-%s.vp%u",
                                            overlay_kind_names[kind],
                                            vp_index);

    ov->kind = kind;
    ov->vp_index = vp_index;
    if (!all_overlays) {
        all_overlays = g_ptr_array_new();
    }
    g_ptr_array_add(all_overlays, ov);
    /* A RAM block, so that migration carries the page's contents. */
    memory_region_init_ram(&ov->mr, NULL, name, TARGET_PAGE_SIZE,
                           &error_fatal);
    memset(memory_region_get_ram_ptr(&ov->mr), 0, TARGET_PAGE_SIZE);
    return ov;
}

void *hvpart_overlay_page(HvpartOverlay *ov)
{
    return memory_region_get_ram_ptr(&ov->mr);
}

void hvpart_overlay_dirty(HvpartOverlay *ov, hwaddr offset, hwaddr len)
{
    hvpart_ram_written(&ov->mr, offset, len);
}

void hvpart_ram_written(MemoryRegion *mr, hwaddr offset, hwaddr len)
{
    ram_addr_t addr = memory_region_get_ram_addr(mr);
    uint8_t logs = memory_region_get_dirty_log_mask(mr);

    if (!len || addr == RAM_ADDR_INVALID) {
        return;
    }
    addr += offset;
    logs = cpu_physical_memory_range_includes_clean(addr, len, logs);
    if (logs & (1 << DIRTY_MEMORY_CODE)) {
        /* The page keeps its clean code bit: CPU writes stay trapped. */
        tb_invalidate_phys_range(addr, addr + len - 1);
        logs &= ~(1 << DIRTY_MEMORY_CODE);
    }
    if (logs) {
        cpu_physical_memory_set_dirty_range(addr, len, logs);
    }
}

static bool overlay_is_per_vp(HvpartOverlay *ov)
{
    return ov->kind == HVPART_OVERLAY_SIMP || ov->kind == HVPART_OVERLAY_SIEFP;
}

/*
 * Overlays lie above the GPA map: their pages are not subject to the
 * rights of the page below (called from VPs' translations, lock-free: the
 * list only grows while VPs are created).
 */
bool hvpart_gpa_is_overlay(uint32_t vp_index, hwaddr gpa)
{
    guint i;

    gpa &= TARGET_PAGE_MASK;
    for (i = 0; all_overlays && i < all_overlays->len; i++) {
        HvpartOverlay *ov = g_ptr_array_index(all_overlays, i);

        if (qatomic_read(&ov->mapped) && qatomic_read(&ov->gpa) == gpa &&
            (!overlay_is_per_vp(ov) || ov->vp_index == vp_index)) {
            return true;
        }
    }
    return false;
}

/* Where the overlay lives: its VP's view, or the partition's memory. */
static MemoryRegion *overlay_container(HvpartOverlay *ov)
{
    if (overlay_is_per_vp(ov) && vp_views && ov->vp_index < vp_views->len &&
        g_ptr_array_index(vp_views, ov->vp_index)) {
        return g_ptr_array_index(vp_views, ov->vp_index);
    }
    return get_system_memory();
}

static int overlay_priority(HvpartOverlay *ov)
{
    /*
     * Within a container the kind decides (see hvpart.h); every VP view
     * puts its own pages above the partition's memory, which holds the
     * partition-wide pages.
     */
    return HVPART_OVERLAY_PRIO_BASE + ov->kind;
}

void hvpart_overlay_map(HvpartOverlay *ov, hwaddr gpa)
{
    gpa &= TARGET_PAGE_MASK;
    if (ov->mapped && ov->gpa == gpa) {
        return;
    }
    memory_region_transaction_begin();
    if (ov->mapped) {
        memory_region_del_subregion(overlay_container(ov), &ov->mr);
    }
    memory_region_add_subregion_overlap(overlay_container(ov), gpa, &ov->mr,
                                        overlay_priority(ov));
    memory_region_transaction_commit();
    ov->mapped = true;
    ov->gpa = gpa;
    trace_hvpart_overlay_map(overlay_kind_names[ov->kind], ov->vp_index, gpa);
}

void hvpart_overlay_unmap(HvpartOverlay *ov)
{
    if (!ov->mapped) {
        return;
    }
    memory_region_del_subregion(overlay_container(ov), &ov->mr);
    ov->mapped = false;
    trace_hvpart_overlay_unmap(overlay_kind_names[ov->kind], ov->vp_index,
                               ov->gpa);
}

bool hvpart_overlay_mapped(HvpartOverlay *ov, hwaddr *gpa)
{
    if (gpa) {
        *gpa = ov->gpa;
    }
    return ov->mapped;
}

void hvpart_set_vp_info_provider(HvpartVpInfoFn *fn)
{
    vp_info_provider = fn;
}

void hvpart_set_vmbus_info_provider(HvpartVmbusInfoFn *fn)
{
    vmbus_info_provider = fn;
}

HvpartInfo *qmp_query_hvpart(Error **errp)
{
    HvpartInfo *info;
    HvpartVpList **tail;
    CPUState *cs;

    if (!hvpart_enabled()) {
        error_setg(errp, "this QEMU does not run with -accel hvpart");
        return NULL;
    }
    info = g_new0(HvpartInfo, 1);
    info->driver = hvpart_driver();
    tail = &info->vps;
    CPU_FOREACH(cs) {
        HvpartVp *vp = g_new0(HvpartVp, 1);

        vp->index = cs->cpu_index;
        if (vp_info_provider) {
            vp_info_provider(cs->cpu_index, vp);
        }
        QAPI_LIST_APPEND(tail, vp);
    }
    if (vmbus_info_provider) {
        info->vmbus = vmbus_info_provider();
    }
    return info;
}
