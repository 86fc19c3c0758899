/*
 * qemu-hvpart: the reference TSC page (TLFS 12.7).
 *
 * The guest computes reference time as ((tsc * scale) >> 64) + offset. With
 * the tcg driver the guest's TSC is the host's TSC (QEMU's cpu ticks), which
 * stops and restarts with the VM like the virtual clock that reference time
 * is derived from. The scale comes from the host TSC frequency, measured once
 * against the monotonic clock; the offset is re-anchored whenever the VM
 * starts running, so that pauses and migration keep the two in step.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "qemu/error-report.h"
#include "qemu/timer.h"
#include "system/cpu-timers.h"
#include "system/runstate.h"
#include "hw/synic/hv-internal.h"
#include "hw/synic/synic.h"
#include "trace.h"

/* Measuring the host TSC against CLOCK_MONOTONIC for this long. */
#define HV_TSC_CALIBRATION_US   50000

static bool hv_host_tsc_is_constant(void)
{
    g_autofree char *cpuinfo = NULL;

    if (!g_file_get_contents("/proc/cpuinfo", &cpuinfo, NULL, NULL)) {
        return false;
    }
    return strstr(cpuinfo, " constant_tsc") && strstr(cpuinfo, " nonstop_tsc");
}

static uint64_t hv_measure_tsc_hz(void)
{
    int64_t t0, t1;
    uint64_t c0, c1;

    t0 = get_clock();
    c0 = cpu_get_host_ticks();
    g_usleep(HV_TSC_CALIBRATION_US);
    c1 = cpu_get_host_ticks();
    t1 = get_clock();
    if (t1 <= t0 || c1 <= c0) {
        return 0;
    }
    return muldiv64(c1 - c0, NANOSECONDS_PER_SECOND, t1 - t0);
}

/* Fill the page: invalidate, write scale and offset, publish. */
void hv_reftime_update_tsc_page(void)
{
    HvReferenceTscPage *page;
    uint64_t scale, tsc, ref;
    uint32_t seq;
    __uint128_t prod;

    if (!hv_partition.tsc_page) {
        return;
    }
    if (!(hv_partition.reference_tsc & HV_PAGE_ENABLE)) {
        hvpart_overlay_unmap(hv_partition.tsc_page);
        return;
    }
    page = hvpart_overlay_page(hv_partition.tsc_page);
    /* A sequence of 0 tells the guest to use the MSR meanwhile. */
    qatomic_set(&page->tsc_sequence, 0);
    smp_wmb(); /* the guest sees sequence 0 before any new scale/offset */

    scale = (uint64_t)(((__uint128_t)10000000 << 64) / hv_partition.tsc_hz);
    tsc = cpus_get_elapsed_ticks();
    ref = hv_reference_time();
    prod = (__uint128_t)tsc * scale;
    stq_le_p(&page->tsc_scale, scale);
    stq_le_p(&page->tsc_offset, ref - (uint64_t)(prod >> 64));
    smp_wmb(); /* scale and offset before the new sequence number */

    seq = hv_partition.tsc_sequence + 1;
    if (seq == 0 || seq == 0xffffffff) {
        seq = 1;                        /* 0 and ~0 mean "invalid" */
    }
    hv_partition.tsc_sequence = seq;
    qatomic_set(&page->tsc_sequence, cpu_to_le32(seq));
    hvpart_overlay_dirty(hv_partition.tsc_page, 0, sizeof(*page));
    hvpart_overlay_map(hv_partition.tsc_page,
                       hv_partition.reference_tsc & HV_GPA_PAGE_MASK);
    trace_hv_tsc_page(hv_partition.reference_tsc & HV_GPA_PAGE_MASK, seq,
                      scale, ref);
}

static void hv_reftime_vm_state(void *opaque, bool running, RunState state)
{
    if (running) {
        hv_reftime_update_tsc_page();
    }
}

void hv_reftime_init(void)
{
    if (!hv_host_tsc_is_constant()) {
        warn_report("hvpart: the host TSC is not constant; the reference "
                    "TSC page and frequency MSRs are not offered");
        return;
    }
    hv_partition.tsc_hz = hv_measure_tsc_hz();
    if (!hv_partition.tsc_hz) {
        return;
    }
    hv_partition.tsc_page = hvpart_overlay_new(HVPART_OVERLAY_REFERENCE_TSC,
                                               0);
    qemu_add_vm_change_state_handler(hv_reftime_vm_state, NULL);
    trace_hv_tsc_calibrated(hv_partition.tsc_hz);
}
