/*
 * qemu-hvpart: the partition layer.
 *
 * One partition per QEMU process: its GPA space (with overlay pages laid on
 * top), its virtual processors and the driver that runs them. Layers above
 * (hw/synic, hw/vmbus) reach the guest only through this interface.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef ACCEL_HVPART_HVPART_H
#define ACCEL_HVPART_HVPART_H

#include "exec/hwaddr.h"
#include "exec/memattrs.h"
#include "qemu/notify.h"
#include "qapi/qapi-types-hvpart.h"

#define TYPE_HVPART_ACCEL ACCEL_CLASS_NAME("hvpart")

/* The options of "-accel hvpart,...", fixed once the machine is created. */
HvpartDriver hvpart_driver(void);
bool hvpart_vmbus_wanted(void);
bool hvpart_stimer_direct_wanted(void);
/* Offer the IDE hard disks on the VMBus too (hw/storvsc-vsp: vmbus-ide) */
bool hvpart_ide_accel_wanted(void);

/*
 * Called with the MachineState once the partition exists, before the board
 * is built and before -device options are processed: hw/vmbus adds the
 * VMBus bridge from here.
 */
void hvpart_add_partition_notifier(Notifier *n);

/*
 * Virtual processors. A VP's index is its QEMU cpu_index, which is also what
 * the guest reads from HV_X64_MSR_VP_INDEX.
 */
uint32_t hvpart_vp_count(void);
CPUState *hvpart_vp_cpu(uint32_t vp_index);

/*
 * Called with the CPUState of every VP as it is realized, before the guest
 * can run on it: hw/synic creates its per-VP state from here.
 */
void hvpart_add_vp_notifier(Notifier *n);


/*
 * The memory pool (accel/hvpart/pool.c). Costs, in 4 KiB pages:
 * - a VP's SynIC (message page, event flags page, message queue),
 *   charged when the VP is created;
 * - a GPADL: one page of bookkeeping plus one per 512 page numbers it
 *   lists, charged when the guest starts it and given back at teardown.
 */
#define HVPART_POOL_COST_VP_SYNIC       (2 + 16)
#define HVPART_POOL_COST_GPADL(pfns)    (1 + DIV_ROUND_UP((uint64_t)(pfns), \
                                                          512))
bool hvpart_pool_charge(uint32_t node, uint64_t pages);
void hvpart_pool_release(uint32_t node, uint64_t pages);
uint32_t hvpart_vp_node(uint32_t vp_index);

/* Raise a fixed, edge-triggered interrupt @vector on VP @vp_index's APIC. */
void hvpart_vp_raise_vector(uint32_t vp_index, uint8_t vector);

/*
 * Guest physical memory as devices see it (partition-wide overlays
 * included), and as VP @vp_index sees it (its own overlays too).
 */
MemTxResult hvpart_gpa_read(hwaddr gpa, void *buf, hwaddr len);
MemTxResult hvpart_gpa_write(hwaddr gpa, const void *buf, hwaddr len);
MemTxResult hvpart_vp_gpa_read(uint32_t vp_index, hwaddr gpa, void *buf,
                               hwaddr len);

/*
 * Overlay pages: hypervisor-owned 4 KiB pages laid over the GPA space. While
 * mapped, an overlay obscures whatever lies below it; unmapping or moving it
 * uncovers the page below unchanged.
 *
 * The SynIC pages (SIMP, SIEFP) belong to one VP and only that VP sees them
 * (TLFS 11.9); the hypercall page and the reference TSC page belong to the
 * partition and every VP and device sees them. When two overlays are mapped
 * at the same GPA exactly one is visible, in this order (highest first):
 * the VP's SIMP, the VP's SIEFP, the hypercall page, the reference TSC page.
 * Removing the visible one shows the next.
 */
typedef enum HvpartOverlayKind {
    HVPART_OVERLAY_REFERENCE_TSC,
    HVPART_OVERLAY_SIEFP,
    HVPART_OVERLAY_SIMP,
    HVPART_OVERLAY_HYPERCALL,
    HVPART_OVERLAY__MAX,
} HvpartOverlayKind;

typedef struct HvpartOverlay HvpartOverlay;

HvpartOverlay *hvpart_overlay_new(HvpartOverlayKind kind, uint32_t vp_index);
/* The page's contents, for the hypervisor's own reads and writes. */
void *hvpart_overlay_page(HvpartOverlay *ov);
/* The hypervisor wrote [offset, offset + len): hvpart_ram_written(). */
void hvpart_overlay_dirty(HvpartOverlay *ov, hwaddr offset, hwaddr len);

/*
 * The host wrote @len bytes of guest RAM at @offset of @mr through a host
 * pointer (a VSP's ring or buffer, an overlay page): what
 * address_space_write() does after its copy. Code translated from those
 * bytes is dropped, for TCG runs the VPs: a page the guest once ran code
 * from may be a buffer now and code again later. The dirty logs
 * (migration, display) learn of the write. Cheap when the range is dirty
 * for every log already.
 */
void hvpart_ram_written(MemoryRegion *mr, hwaddr offset, hwaddr len);
void hvpart_overlay_map(HvpartOverlay *ov, hwaddr gpa);
void hvpart_overlay_unmap(HvpartOverlay *ov);
bool hvpart_overlay_mapped(HvpartOverlay *ov, hwaddr *gpa);
const char *hvpart_overlay_kind_name(HvpartOverlayKind kind);

/*
 * query-hvpart: the layers above fill in their part of the answer. At most
 * one provider per part.
 */
typedef void HvpartVpInfoFn(uint32_t vp_index, HvpartVp *info);
typedef HvpartVmbus *HvpartVmbusInfoFn(void);
void hvpart_set_vp_info_provider(HvpartVpInfoFn *fn);
void hvpart_set_vmbus_info_provider(HvpartVmbusInfoFn *fn);

#endif
