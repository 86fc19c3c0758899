/*
 * qemu-hvpart: page states and access rights of the partition's RAM, and
 * the parent's commands that change and report them.
 *
 * Changes are applied with every VP paused and every VP's software TLB
 * flushed before it runs again, so no VP sees half a change or keeps using
 * rights that were revoked (the tcg driver checks the map whenever a
 * translation enters a TLB: accel/hvpart/intercept.c).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/qapi-commands-hvpart.h"
#include "qemu/error-report.h"
#include "qemu/units.h"
#include "exec/cputlb.h"
#include "hw/boards.h"
#include "hw/core/cpu.h"
#include "hw/i386/x86.h"
#include "migration/vmstate.h"
#include "system/cpus.h"
#include "system/hvpart.h"
#include "system/numa.h"
#include "system/runstate.h"
#include "accel/hvpart/hvpart.h"
#include "accel/hvpart/hvpart-internal.h"
#include "accel/hvpart/gpa-map.h"
#include "trace.h"

HvpartGpaMap hvpart_gpa_map;

static const uint8_t access_bits[HVPART_ACCESS__MAX] = {
    [HVPART_ACCESS_RWX] = HVPART_PAGE_RWX,
    [HVPART_ACCESS_RX] = HVPART_PAGE_R | HVPART_PAGE_X,
    [HVPART_ACCESS_RW] = HVPART_PAGE_R | HVPART_PAGE_W,
    [HVPART_ACCESS_R] = HVPART_PAGE_R,
    [HVPART_ACCESS_NONE] = 0,
};

static uint64_t gpa_4g_pfn(void)
{
    return 4 * GiB >> HVPART_PAGE_SHIFT;
}

static bool pfn_is_ram(uint64_t pfn)
{
    return pfn < hvpart_gpa_map.below_4g_pages ||
           (pfn >= gpa_4g_pfn() &&
            pfn < gpa_4g_pfn() + hvpart_gpa_map.above_4g_pages);
}

/* Size the map from the machine's RAM layout, the first time it is used. */
static bool gpa_map_init(Error **errp)
{
    X86MachineState *x86ms;

    if (hvpart_gpa_map.pages) {
        return true;
    }
    x86ms = (X86MachineState *)object_dynamic_cast(OBJECT(current_machine),
                                                   TYPE_X86_MACHINE);
    if (!x86ms) {
        error_setg(errp, "this machine type has no x86 RAM layout");
        return false;
    }
    hvpart_gpa_map.below_4g_pages = x86ms->below_4g_mem_size >>
                                    HVPART_PAGE_SHIFT;
    hvpart_gpa_map.above_4g_pages = x86ms->above_4g_mem_size >>
                                    HVPART_PAGE_SHIFT;
    hvpart_gpa_map.npages = hvpart_gpa_map.above_4g_pages ?
        gpa_4g_pfn() + hvpart_gpa_map.above_4g_pages :
        hvpart_gpa_map.below_4g_pages;
    if (hvpart_gpa_map.npages > UINT32_MAX) {
        error_setg(errp, "the partition's RAM is too large for the page map");
        return false;
    }
    hvpart_gpa_map.mig_npages = hvpart_gpa_map.npages;
    hvpart_gpa_map.pages = g_malloc(hvpart_gpa_map.npages);
    memset(hvpart_gpa_map.pages, HVPART_PAGE_RWX, hvpart_gpa_map.npages);
    return true;
}

/*
 * The NUMA node of a RAM page: nodes take the RAM in order, below 4 GiB
 * first, then above (as QEMU's ACPI SRAT describes them).
 */
static uint32_t pfn_node(uint64_t pfn)
{
    NumaState *numa = current_machine->numa_state;
    uint64_t off, end = 0;
    int i;

    if (!numa || numa->num_nodes <= 1) {
        return 0;
    }
    off = pfn < hvpart_gpa_map.below_4g_pages ? pfn :
          pfn - gpa_4g_pfn() + hvpart_gpa_map.below_4g_pages;
    off <<= HVPART_PAGE_SHIFT;
    for (i = 0; i < numa->num_nodes; i++) {
        end += numa->nodes[i].node_mem;
        if (off < end) {
            return i;
        }
    }
    return numa->num_nodes - 1;
}

/* With @has_node, every page of the range must be in that node. */
static bool gpa_range_node(uint64_t first, uint64_t count, bool has_node,
                           uint32_t node, Error **errp)
{
    uint64_t pfn;

    for (pfn = first; has_node && pfn < first + count; pfn++) {
        if (pfn_node(pfn) != node) {
            error_setg(errp, "'node' %u: the range covers 0x%" PRIx64
                       ", which is memory of node %u", node,
                       pfn << HVPART_PAGE_SHIFT, pfn_node(pfn));
            return false;
        }
    }
    return true;
}

/* Check a range argument; on success *first and *count are pages. */
static bool gpa_range(uint64_t gpa, uint64_t size, uint64_t *first,
                      uint64_t *count, Error **errp)
{
    uint64_t pfn;

    if (!hvpart_enabled()) {
        error_setg(errp, "this QEMU does not run with -accel hvpart");
        return false;
    }
    if (gpa & (HVPART_PAGE_SIZE - 1)) {
        error_setg(errp, "'gpa' 0x%" PRIx64 " is not page-aligned", gpa);
        return false;
    }
    if (!size || (size & (HVPART_PAGE_SIZE - 1))) {
        error_setg(errp, "'size' 0x%" PRIx64 " is not a non-zero multiple "
                   "of the page size", size);
        return false;
    }
    if (gpa + size < gpa) {
        error_setg(errp, "'gpa' + 'size' overflows");
        return false;
    }
    if (!gpa_map_init(errp)) {
        return false;
    }
    if ((gpa + size) >> HVPART_PAGE_SHIFT > hvpart_gpa_map.npages) {
        error_setg(errp, "'gpa' + 'size' (0x%" PRIx64 ") is beyond the "
                   "partition's RAM, which ends at 0x%" PRIx64, gpa + size,
                   hvpart_gpa_map.npages << HVPART_PAGE_SHIFT);
        return false;
    }
    for (pfn = gpa >> HVPART_PAGE_SHIFT;
         pfn < (gpa + size) >> HVPART_PAGE_SHIFT; pfn++) {
        if (!pfn_is_ram(pfn)) {
            error_setg(errp, "the range covers 0x%" PRIx64 ", which is not "
                       "RAM of the partition", pfn << HVPART_PAGE_SHIFT);
            return false;
        }
    }
    *first = gpa >> HVPART_PAGE_SHIFT;
    *count = size >> HVPART_PAGE_SHIFT;
    return true;
}

static void gpa_map_recount(void)
{
    uint64_t pfn, n = 0;

    for (pfn = 0; pfn < hvpart_gpa_map.npages; pfn++) {
        n += hvpart_gpa_map.pages[pfn] != HVPART_PAGE_RWX;
    }
    qatomic_set(&hvpart_gpa_map.restricted, n);
}

typedef enum {
    GPA_SET_ACCESS,                 /* mapped pages only */
    GPA_MAP,
    GPA_SET_STATE,
} GpaOp;

/*
 * Apply with the VPs paused: a VP either ran before the change or runs
 * after it with a flushed TLB.
 */
static void gpa_map_apply(uint64_t first, uint64_t count, GpaOp op,
                          uint8_t bits)
{
    bool running = runstate_is_running();
    uint64_t restricted = hvpart_gpa_map.restricted;
    uint64_t pfn;
    CPUState *cs;

    if (running) {
        pause_all_vcpus();
    }
    for (pfn = first; pfn < first + count; pfn++) {
        uint8_t old = hvpart_gpa_map.pages[pfn];

        if (op == GPA_SET_ACCESS &&
            (old & (HVPART_PAGE_UNMAPPED | HVPART_PAGE_INACCESSIBLE))) {
            continue;
        }
        hvpart_gpa_map.pages[pfn] = bits;
        restricted += (bits != HVPART_PAGE_RWX) - (old != HVPART_PAGE_RWX);
    }
    qatomic_set(&hvpart_gpa_map.restricted, restricted);
    CPU_FOREACH(cs) {
        tlb_flush(cs);
    }
    trace_hvpart_gpa_change(first << HVPART_PAGE_SHIFT,
                            count << HVPART_PAGE_SHIFT, op, bits);
    if (running) {
        resume_all_vcpus();
    }
}

void qmp_hvpart_gpa_set_access(uint64_t gpa, uint64_t size,
                               HvpartAccess access, bool has_node,
                               uint32_t node, Error **errp)
{
    uint64_t first, count;

    if (gpa_range(gpa, size, &first, &count, errp) &&
        gpa_range_node(first, count, has_node, node, errp)) {
        gpa_map_apply(first, count, GPA_SET_ACCESS, access_bits[access]);
    }
}

void qmp_hvpart_gpa_map(uint64_t gpa, uint64_t size, bool has_access,
                        HvpartAccess access, bool has_node, uint32_t node,
                        Error **errp)
{
    uint64_t first, count;

    if (gpa_range(gpa, size, &first, &count, errp) &&
        gpa_range_node(first, count, has_node, node, errp)) {
        gpa_map_apply(first, count, GPA_MAP,
                      access_bits[has_access ? access : HVPART_ACCESS_RWX]);
    }
}

void qmp_hvpart_gpa_unmap(uint64_t gpa, uint64_t size, bool has_state,
                          HvpartPageState state, bool has_node,
                          uint32_t node, Error **errp)
{
    uint64_t first, count;

    if (has_state && state == HVPART_PAGE_STATE_MAPPED) {
        error_setg(errp, "'state' must be 'unmapped' or 'inaccessible' "
                   "(use hvpart-gpa-map to map pages)");
        return;
    }
    if (gpa_range(gpa, size, &first, &count, errp) &&
        gpa_range_node(first, count, has_node, node, errp)) {
        gpa_map_apply(first, count, GPA_SET_STATE,
                      has_state && state == HVPART_PAGE_STATE_INACCESSIBLE ?
                      HVPART_PAGE_INACCESSIBLE : HVPART_PAGE_UNMAPPED);
    }
}

HvpartPageState hvpart_page_state(uint8_t bits)
{
    if (bits & HVPART_PAGE_UNMAPPED) {
        return HVPART_PAGE_STATE_UNMAPPED;
    }
    if (bits & HVPART_PAGE_INACCESSIBLE) {
        return HVPART_PAGE_STATE_INACCESSIBLE;
    }
    return HVPART_PAGE_STATE_MAPPED;
}

static HvpartAccess page_access(uint8_t bits)
{
    int i;

    for (i = 0; i < HVPART_ACCESS__MAX; i++) {
        if (access_bits[i] == (bits & HVPART_PAGE_RWX)) {
            return i;
        }
    }
    return HVPART_ACCESS_NONE;
}

HvpartGpaRunList *qmp_hvpart_gpa_query(bool has_gpa, uint64_t gpa,
                                       bool has_size, uint64_t size,
                                       Error **errp)
{
    HvpartGpaRunList *list = NULL, **tail = &list;
    uint64_t first, count, pfn;
    HvpartGpaRun *run = NULL;
    uint8_t run_bits = 0;
    uint32_t run_node = 0;

    if (!hvpart_enabled()) {
        error_setg(errp, "this QEMU does not run with -accel hvpart");
        return NULL;
    }
    if (!gpa_map_init(errp)) {
        return NULL;
    }
    if (!has_gpa) {
        gpa = 0;
    }
    if (!has_size) {
        size = (hvpart_gpa_map.npages << HVPART_PAGE_SHIFT) - MIN(gpa,
               hvpart_gpa_map.npages << HVPART_PAGE_SHIFT);
    }
    if (gpa & (HVPART_PAGE_SIZE - 1) || size & (HVPART_PAGE_SIZE - 1) ||
        gpa + size < gpa ||
        (gpa + size) >> HVPART_PAGE_SHIFT > hvpart_gpa_map.npages) {
        error_setg(errp, "'gpa' and 'size' must be page-aligned and within "
                   "the partition's RAM (which ends at 0x%" PRIx64 ")",
                   hvpart_gpa_map.npages << HVPART_PAGE_SHIFT);
        return NULL;
    }
    first = gpa >> HVPART_PAGE_SHIFT;
    count = size >> HVPART_PAGE_SHIFT;
    for (pfn = first; pfn < first + count; pfn++) {
        uint8_t bits = hvpart_gpa_map.pages[pfn];
        uint32_t node;

        if (!pfn_is_ram(pfn)) {
            run = NULL;                 /* holes are not reported */
            continue;
        }
        node = pfn_node(pfn);
        if (run && bits == run_bits && node == run_node) {
            run->size += HVPART_PAGE_SIZE;
            continue;
        }
        run = g_new0(HvpartGpaRun, 1);
        run->gpa = pfn << HVPART_PAGE_SHIFT;
        run->size = HVPART_PAGE_SIZE;
        run->state = hvpart_page_state(bits);
        if (run->state == HVPART_PAGE_STATE_MAPPED) {
            run->has_access = true;
            run->access = page_access(bits);
        }
        run->node = node;
        run_bits = bits;
        run_node = node;
        QAPI_LIST_APPEND(tail, run);
    }
    return list;
}

/* Migration: the map as it is, validated on the way in. */

static int gpa_map_post_load(void *opaque, int version_id)
{
    uint64_t pfn;

    for (pfn = 0; pfn < hvpart_gpa_map.npages; pfn++) {
        uint8_t bits = hvpart_gpa_map.pages[pfn];

        if (bits & ~(HVPART_PAGE_RWX | HVPART_PAGE_INACCESSIBLE |
                     HVPART_PAGE_UNMAPPED) ||
            ((bits & (HVPART_PAGE_W | HVPART_PAGE_X)) &&
             !(bits & HVPART_PAGE_R))) {
            return -EINVAL;
        }
    }
    gpa_map_recount();
    return 0;
}

static int gpa_map_pre_load(void *opaque)
{
    Error *err = NULL;

    if (!gpa_map_init(&err)) {
        error_report_err(err);
        return -EINVAL;
    }
    return 0;
}

static int gpa_map_pre_save(void *opaque)
{
    Error *err = NULL;

    if (!gpa_map_init(&err)) {
        error_report_err(err);
        return -EINVAL;
    }
    hvpart_gpa_map.mig_npages = hvpart_gpa_map.npages;
    return 0;
}

static const VMStateDescription vmstate_gpa_map = {
    .name = "hvpart-gpa-map",
    .version_id = 1,
    .minimum_version_id = 1,
    .pre_save = gpa_map_pre_save,
    .pre_load = gpa_map_pre_load,
    .post_load = gpa_map_post_load,
    .fields = (const VMStateField[]) {
        /* the same RAM layout on both sides */
        VMSTATE_UINT32_EQUAL(mig_npages, HvpartGpaMap, NULL),
        VMSTATE_VBUFFER_UINT32(pages, HvpartGpaMap, 0, NULL, mig_npages),
        VMSTATE_END_OF_LIST()
    },
};

void hvpart_gpa_map_register(void)
{
    vmstate_register(NULL, 0, &vmstate_gpa_map, &hvpart_gpa_map);
}
