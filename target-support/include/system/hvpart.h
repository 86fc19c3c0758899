/*
 * qemu-hvpart: the hooks QEMU's own files call into the hvpart overlay.
 *
 * This header is linked into QEMU's include/system/ by target-support.
 * Every function declared here is implemented by the overlay
 * (accel/hvpart, hw/synic, hw/vmbus) and called from one patched place in
 * QEMU; the patch that adds the call says why.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef SYSTEM_HVPART_H
#define SYSTEM_HVPART_H

#include "exec/hwaddr.h"
#include "exec/vaddr.h"

/* True once "-accel hvpart" has initialised the partition. */
extern bool hvpart_allowed;
#define hvpart_enabled() (hvpart_allowed)

/* target/i386/cpu.c, cpu_x86_cpuid(): the hypervisor leaves 0x400000xx. */
bool hvpart_cpuid(CPUArchState *env, uint32_t index, uint32_t count,
                  uint32_t *eax, uint32_t *ebx, uint32_t *ecx, uint32_t *edx);

/* target/i386/tcg/system/misc_helper.c, helper_rdmsr()/helper_wrmsr(). */
typedef enum HvpartMsrResult {
    HVPART_MSR_UNHANDLED,   /* not a synthetic MSR: QEMU's own handling */
    HVPART_MSR_OK,
    HVPART_MSR_GP,          /* raise #GP(0) */
} HvpartMsrResult;

HvpartMsrResult hvpart_msr_read(CPUArchState *env, uint32_t msr,
                                uint64_t *val);
HvpartMsrResult hvpart_msr_write(CPUArchState *env, uint32_t msr,
                                 uint64_t val);

/*
 * target/i386/tcg/system/excp_helper.c: page states and access rights.
 * x86_cpu_tlb_fill() brackets its translation with fill_begin and either
 * fill_check (translated: may narrow *prot, and for a forbidden access
 * suspends the VP and does not return unless @probe) or fill_end (fault).
 * The page walk asks hvpart_ptw_check() before reading a page table entry
 * (@write false) and before setting accessed/dirty bits (@write true).
 */
void hvpart_tlb_fill_begin(CPUState *cs, vaddr addr, bool probe,
                           uintptr_t retaddr);
bool hvpart_tlb_fill_check(CPUState *cs, hwaddr paddr, int access_type,
                           int mmu_idx, int *prot);
void hvpart_tlb_fill_end(CPUState *cs);
bool hvpart_ptw_check(CPUArchState *env, hwaddr gpa, bool write);

/* target/i386/cpu.c, x86_cpu_has_work(): a VP waiting for its parent. */
bool hvpart_vp_suspended(CPUState *cs);

/* hw/i386/acpi-build.c, build_dsdt(): the VMBus device and its MMIO window. */
void hvpart_acpi_build_dsdt(Aml *dsdt);

#endif
