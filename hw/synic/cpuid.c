/*
 * qemu-hvpart: the hypervisor CPUID leaves (TLFS chapter 2).
 *
 * Every feature bit advertised here is implemented by hw/synic; nothing is
 * advertised that does not work.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "system/hvpart.h"
#include "target/i386/cpu.h"
#include "hw/synic/hv-internal.h"

/* We present ourselves as Hyper-V 10.0 (Windows Server 2016 and later). */
#define HV_VERSION_BUILD        14393
#define HV_VERSION_MAJOR_MINOR  ((10 << 16) | 0)

bool hv_feature_reference_tsc(void)
{
    return hv_partition.tsc_hz != 0;
}

static void hv_cpuid_features(uint32_t *eax, uint32_t *ebx, uint32_t *ecx,
                              uint32_t *edx)
{
    *eax = HV_PRIV_TIME_REF_COUNT | HV_PRIV_SYNIC_REGS |
           HV_PRIV_SYNTIMER_REGS | HV_PRIV_HYPERCALL_MSRS |
           HV_PRIV_VP_INDEX;
    *edx = HV_FEAT_GUEST_CRASH_MSRS;
    if (hvpart_stimer_direct_wanted()) {
        *edx |= HV_FEAT_STIMER_DIRECT_MODE;
    }
    if (hv_feature_reference_tsc()) {
        *eax |= HV_PRIV_REFERENCE_TSC | HV_PRIV_FREQUENCY_MSRS;
        *edx |= HV_FEAT_FREQUENCY_MSRS;
    }
    /* Never the root partition's CpuManagement, nor isolation. */
    *ebx = HV_PRIV_POST_MESSAGES | HV_PRIV_SIGNAL_EVENTS;
    *ecx = 0;
}

bool hvpart_cpuid(CPUArchState *env, uint32_t index, uint32_t count,
                  uint32_t *eax, uint32_t *ebx, uint32_t *ecx, uint32_t *edx)
{
    if (index < HV_CPUID_VENDOR_AND_MAX || index >= 0x40010000) {
        return false;
    }
    *eax = *ebx = *ecx = *edx = 0;
    switch (index) {
    case HV_CPUID_VENDOR_AND_MAX:
        *eax = HV_CPUID_MAX_LEAF;
        memcpy(ebx, "Micr", 4);
        memcpy(ecx, "osof", 4);
        memcpy(edx, "t Hv", 4);
        break;
    case HV_CPUID_INTERFACE:
        *eax = HV_CPUID_INTERFACE_HV1;
        break;
    case HV_CPUID_VERSION:
        *eax = HV_VERSION_BUILD;
        *ebx = HV_VERSION_MAJOR_MINOR;
        break;
    case HV_CPUID_FEATURES:
        hv_cpuid_features(eax, ebx, ecx, edx);
        break;
    case HV_CPUID_ENLIGHTENMENT_INFO:
        /*
         * The emulated local APIC cannot EOI on the guest's behalf, so the
         * guest is told to EOI the SINT vectors itself (TLFS 11.8.4).
         * Relaxed timing: a software-executed VP can be descheduled long
         * enough to trip watchdogs.
         */
        *eax = HV_HINT_DEPRECATING_AEOI | HV_HINT_RELAXED_TIMING;
        *ebx = 0xffffffff;              /* never notify on spinlock retries */
        break;
    case HV_CPUID_IMPLEMENT_LIMITS:
        *eax = hvpart_vp_count();       /* maximum virtual processors */
        *ebx = hvpart_vp_count();       /* maximum logical processors */
        break;
    case HV_CPUID_HARDWARE_FEATURES:
        break;
    default:
        /* Leaves above the maximum, and other bases: nothing there. */
        break;
    }
    return true;
}
