/*
 * qemu-hvpart: the synthetic MSRs (TLFS chapters 3, 11 and 12), the per-VP
 * state behind them, reset and migration.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/qapi-types-run-state.h"
#include "migration/vmstate.h"
#include "qemu/main-loop.h"
#include "system/hvpart.h"
#include "system/reset.h"
#include "system/runstate.h"
#include "target/i386/cpu.h"
#include "hw/synic/hv-internal.h"
#include "hw/synic/synic.h"
#include "trace.h"

#define HV_EMULATED_APIC_HZ     1000000000ull

HvPartitionState hv_partition;

static GPtrArray *hv_vps;               /* HvVp *, indexed by VP index */

HvVp *hv_vp_get(uint32_t vp_index)
{
    if (!hv_vps || vp_index >= hv_vps->len) {
        return NULL;
    }
    return g_ptr_array_index(hv_vps, vp_index);
}

HvVp *hv_vp_from_env(CPUArchState *env)
{
    return hv_vp_get(env_cpu(env)->cpu_index);
}

static void hv_crash_notify(void)
{
    GuestPanicInformation *info = g_new0(GuestPanicInformation, 1);

    info->type = GUEST_PANIC_INFORMATION_TYPE_HYPER_V;
    info->u.hyper_v.arg1 = hv_partition.crash_params[0];
    info->u.hyper_v.arg2 = hv_partition.crash_params[1];
    info->u.hyper_v.arg3 = hv_partition.crash_params[2];
    info->u.hyper_v.arg4 = hv_partition.crash_params[3];
    info->u.hyper_v.arg5 = hv_partition.crash_params[4];
    trace_hv_crash(info->u.hyper_v.arg1, info->u.hyper_v.arg2,
                   info->u.hyper_v.arg3, info->u.hyper_v.arg4,
                   info->u.hyper_v.arg5);
    qemu_system_guest_panicked(info);
}

HvpartMsrResult hvpart_msr_read(CPUArchState *env, uint32_t msr,
                                uint64_t *val)
{
    HvVp *vp = hv_vp_from_env(env);

    if (!vp) {
        return HVPART_MSR_UNHANDLED;
    }
    /* MTTCG runs rdmsr/wrmsr without the BQL; the SynIC state needs it. */
    BQL_LOCK_GUARD();
    switch (msr) {
    case HV_MSR_GUEST_OS_ID:
        *val = hv_partition.guest_os_id;
        break;
    case HV_MSR_HYPERCALL:
        *val = hv_partition.hypercall;
        break;
    case HV_MSR_VP_INDEX:
        *val = vp->index;
        break;
    case HV_MSR_TIME_REF_COUNT:
        *val = hv_reference_time();
        break;
    case HV_MSR_REFERENCE_TSC:
        if (!hv_feature_reference_tsc()) {
            return HVPART_MSR_GP;
        }
        *val = hv_partition.reference_tsc;
        break;
    case HV_MSR_TSC_FREQUENCY:
        if (!hv_feature_reference_tsc()) {
            return HVPART_MSR_GP;
        }
        *val = hv_partition.tsc_hz;
        break;
    case HV_MSR_APIC_FREQUENCY:
        if (!hv_feature_reference_tsc()) {
            return HVPART_MSR_GP;
        }
        /*
         * QEMU's emulated local APIC counts its timer in nanoseconds of
         * the virtual clock (at divide-by-1): a 1 GHz bus.
         */
        *val = HV_EMULATED_APIC_HZ;
        break;
    case HV_MSR_VP_ASSIST_PAGE:
        *val = vp->vp_assist;
        break;
    case HV_MSR_SCONTROL:
        *val = vp->scontrol;
        break;
    case HV_MSR_SVERSION:
        *val = HV_SYNIC_VERSION;
        break;
    case HV_MSR_SIEFP:
        *val = vp->siefp;
        break;
    case HV_MSR_SIMP:
        *val = vp->simp;
        break;
    case HV_MSR_EOM:
        *val = 0;
        break;
    case HV_MSR_SINT0 ... HV_MSR_SINT15:
        *val = vp->sint[msr - HV_MSR_SINT0];
        break;
    case HV_MSR_STIMER0_CONFIG ... HV_MSR_STIMER3_COUNT: {
        HvStimer *st = &vp->stimer[(msr - HV_MSR_STIMER0_CONFIG) / 2];

        *val = (msr & 1) ? st->count : st->config;
        break;
    }
    case HV_MSR_CRASH_P0 ... HV_MSR_CRASH_P4:
        *val = hv_partition.crash_params[msr - HV_MSR_CRASH_P0];
        break;
    case HV_MSR_CRASH_CTL:
        /* Reading CTL tells the guest which crash actions exist. */
        *val = HV_CRASH_CTL_NOTIFY;
        break;
    default:
        if (msr >= 0x40000000 && msr <= 0x400001ff) {
            /* Hyper-V's own range: what we do not implement faults. */
            trace_hv_msr_unknown(vp->index, msr, "read");
            return HVPART_MSR_GP;
        }
        return HVPART_MSR_UNHANDLED;
    }
    trace_hv_msr_read(vp->index, msr, *val);
    return HVPART_MSR_OK;
}

static HvpartMsrResult hv_msr_result(HvVp *vp, uint32_t msr, uint64_t val,
                                     int err)
{
    if (err) {
        trace_hv_msr_write_gp(vp->index, msr, val);
        return HVPART_MSR_GP;
    }
    trace_hv_msr_write(vp->index, msr, val);
    return HVPART_MSR_OK;
}

HvpartMsrResult hvpart_msr_write(CPUArchState *env, uint32_t msr,
                                 uint64_t val)
{
    HvVp *vp = hv_vp_from_env(env);
    int err = 0;

    if (!vp) {
        return HVPART_MSR_UNHANDLED;
    }
    /* MTTCG runs rdmsr/wrmsr without the BQL; the SynIC state needs it. */
    BQL_LOCK_GUARD();
    switch (msr) {
    case HV_MSR_GUEST_OS_ID:
        hv_partition.guest_os_id = val;
        /* TLFS 3.13: clearing the guest OS id disables the hypercall page. */
        if (!val && (hv_partition.hypercall & HV_HYPERCALL_MSR_ENABLE)) {
            hv_partition.hypercall &= ~HV_HYPERCALL_MSR_ENABLE;
            hv_hypercall_update_page(env);
        }
        break;
    case HV_MSR_HYPERCALL:
        if (hv_partition.hypercall & HV_HYPERCALL_MSR_LOCKED) {
            /* Locked: writes are ignored until the partition resets. */
            break;
        }
        if (val & 0xffcull) {
            err = -EINVAL;              /* reserved bits 2..11 */
            break;
        }
        if ((val & HV_HYPERCALL_MSR_ENABLE) && !hv_partition.guest_os_id) {
            /* Cannot be enabled before the guest identifies itself. */
            val &= ~HV_HYPERCALL_MSR_ENABLE;
        }
        hv_partition.hypercall = val;
        hv_hypercall_update_page(env);
        break;
    case HV_MSR_REFERENCE_TSC:
        if (!hv_feature_reference_tsc() || (val & 0xffeull)) {
            err = -EINVAL;
            break;
        }
        hv_partition.reference_tsc = val;
        hv_reftime_update_tsc_page();
        break;
    case HV_MSR_VP_ASSIST_PAGE:
        if (val & 0xffeull) {
            err = -EINVAL;
            break;
        }
        vp->vp_assist = val;
        break;
    case HV_MSR_SCONTROL:
    case HV_MSR_SIEFP:
    case HV_MSR_SIMP:
    case HV_MSR_EOM:
    case HV_MSR_SINT0 ... HV_MSR_SINT15:
        err = hv_synic_write_msr(vp, msr, val);
        break;
    case HV_MSR_STIMER0_CONFIG ... HV_MSR_STIMER3_COUNT: {
        HvStimer *st = &vp->stimer[(msr - HV_MSR_STIMER0_CONFIG) / 2];

        err = (msr & 1) ? hv_stimer_write_count(st, val)
                        : hv_stimer_write_config(st, val);
        break;
    }
    case HV_MSR_CRASH_P0 ... HV_MSR_CRASH_P4:
        hv_partition.crash_params[msr - HV_MSR_CRASH_P0] = val;
        break;
    case HV_MSR_CRASH_CTL:
        if (val & ~HV_CRASH_CTL_NOTIFY) {
            err = -EINVAL;
            break;
        }
        hv_partition.crash_ctl = val;
        if (val & HV_CRASH_CTL_NOTIFY) {
            hv_crash_notify();
        }
        break;
    case HV_MSR_VP_INDEX:
    case HV_MSR_TIME_REF_COUNT:
    case HV_MSR_TSC_FREQUENCY:
    case HV_MSR_APIC_FREQUENCY:
    case HV_MSR_SVERSION:
        err = -EPERM;                   /* read-only */
        break;
    default:
        if (msr >= 0x40000000 && msr <= 0x400001ff) {
            trace_hv_msr_unknown(vp->index, msr, "write");
            return HVPART_MSR_GP;
        }
        return HVPART_MSR_UNHANDLED;
    }
    return hv_msr_result(vp, msr, val, err);
}

/* Reset */

static void hv_vp_reset(HvVp *vp)
{
    vp->vp_assist = 0;
    hv_synic_vp_reset(vp);
    hv_stimer_vp_reset(vp);
}

static void hv_partition_reset(void *opaque)
{
    uint32_t i;

    hv_partition.guest_os_id = 0;
    hv_partition.hypercall = 0;
    hv_partition.reference_tsc = 0;
    memset(hv_partition.crash_params, 0, sizeof(hv_partition.crash_params));
    hv_partition.crash_ctl = 0;
    hv_hypercall_update_page(NULL);
    hv_reftime_update_tsc_page();
    for (i = 0; hv_vps && i < hv_vps->len; i++) {
        HvVp *vp = g_ptr_array_index(hv_vps, i);

        if (vp) {
            hv_vp_reset(vp);
        }
    }
}

/* Migration */

static int hv_vp_post_load(void *opaque, int version_id)
{
    HvVp *vp = opaque;
    uint32_t i;

    if (vp->msgq_len > HV_VP_MSG_QUEUE_LEN) {
        return -EINVAL;
    }
    for (i = 0; i < vp->msgq_len; i++) {
        if (vp->msgq[i].sint >= HV_SINT_COUNT) {
            return -EINVAL;
        }
    }
    hv_synic_update_overlays(vp);
    for (i = 0; i < HV_STIMER_COUNT; i++) {
        hv_stimer_rearm(&vp->stimer[i]);
    }
    return 0;
}

static const VMStateDescription vmstate_hv_stimer = {
    .name = "hvpart-stimer",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT64(config, HvStimer),
        VMSTATE_UINT64(count, HvStimer),
        VMSTATE_UINT64(expiration, HvStimer),
        VMSTATE_BOOL(msg_pending, HvStimer),
        VMSTATE_UINT64(pending_expiration, HvStimer),
        VMSTATE_END_OF_LIST()
    },
};

static const VMStateDescription vmstate_hv_queued_message = {
    .name = "hvpart-synic-message",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT8(sint, HvQueuedMessage),
        VMSTATE_BUFFER(raw, HvQueuedMessage),
        VMSTATE_END_OF_LIST()
    },
};

static const VMStateDescription vmstate_hv_vp = {
    .name = "hvpart-vp",
    .version_id = 1,
    .minimum_version_id = 1,
    .post_load = hv_vp_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT64(vp_assist, HvVp),
        VMSTATE_UINT64(scontrol, HvVp),
        VMSTATE_UINT64(siefp, HvVp),
        VMSTATE_UINT64(simp, HvVp),
        VMSTATE_UINT64_ARRAY(sint, HvVp, HV_SINT_COUNT),
        VMSTATE_STRUCT_ARRAY(stimer, HvVp, HV_STIMER_COUNT, 1,
                             vmstate_hv_stimer, HvStimer),
        VMSTATE_UINT32(msgq_len, HvVp),
        VMSTATE_STRUCT_ARRAY(msgq, HvVp, HV_VP_MSG_QUEUE_LEN, 1,
                             vmstate_hv_queued_message, HvQueuedMessage),
        VMSTATE_END_OF_LIST()
    },
};

static int hv_partition_post_load(void *opaque, int version_id)
{
    hv_hypercall_update_page(NULL);
    hv_reftime_update_tsc_page();
    return 0;
}

static const VMStateDescription vmstate_hv_partition = {
    .name = "hvpart-hv-partition",
    .version_id = 1,
    .minimum_version_id = 1,
    .post_load = hv_partition_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT64(guest_os_id, HvPartitionState),
        VMSTATE_UINT64(hypercall, HvPartitionState),
        VMSTATE_UINT64(reference_tsc, HvPartitionState),
        VMSTATE_UINT64_ARRAY(crash_params, HvPartitionState,
                             HV_CRASH_PARAM_COUNT),
        VMSTATE_UINT64(crash_ctl, HvPartitionState),
        VMSTATE_BOOL(hypercall_64bit, HvPartitionState),
        VMSTATE_END_OF_LIST()
    },
};

/* query-hvpart */

static void hv_vp_info(uint32_t vp_index, HvpartVp *info)
{
    HvVp *vp = hv_vp_get(vp_index);
    hwaddr gpa;

    if (!vp) {
        return;
    }
    info->guest_os_id = hv_partition.guest_os_id;
    info->synic_enabled = vp->scontrol & HV_SCONTROL_ENABLE;
    if (hv_partition.hypercall_page &&
        hvpart_overlay_mapped(hv_partition.hypercall_page, &gpa)) {
        info->has_hypercall_page = true;
        info->hypercall_page = gpa;
    }
    if (hvpart_overlay_mapped(vp->simp_page, &gpa)) {
        info->has_simp = true;
        info->simp = gpa;
    }
    if (hvpart_overlay_mapped(vp->siefp_page, &gpa)) {
        info->has_siefp = true;
        info->siefp = gpa;
    }
    if (hv_partition.tsc_page &&
        hvpart_overlay_mapped(hv_partition.tsc_page, &gpa)) {
        info->has_reference_tsc = true;
        info->reference_tsc = gpa;
    }
    info->pending_messages = vp->msgq_len;
}

/* Creation, from the partition's VP notifier */

static void hv_vp_created(Notifier *n, void *data)
{
    CPUState *cs = data;
    HvVp *vp;

    if (!hv_vps) {
        hv_vps = g_ptr_array_new();
        hv_reftime_init();
        hv_hypercall_init();
        qemu_register_reset(hv_partition_reset, NULL);
        vmstate_register(NULL, 0, &vmstate_hv_partition, &hv_partition);
        hvpart_set_vp_info_provider(hv_vp_info);
    }
    if (cs->cpu_index >= hv_vps->len) {
        g_ptr_array_set_size(hv_vps, cs->cpu_index + 1);
    }
    if (g_ptr_array_index(hv_vps, cs->cpu_index)) {
        return;                         /* a VP re-realized after unplug */
    }
    vp = g_new0(HvVp, 1);
    vp->index = cs->cpu_index;
    vp->cs = cs;
    g_ptr_array_index(hv_vps, cs->cpu_index) = vp;
    hv_synic_vp_init(vp);
    hv_stimer_vp_init(vp);
    hv_vp_reset(vp);
    vmstate_register(NULL, vp->index, &vmstate_hv_vp, vp);
}

static Notifier hv_vp_notifier = { .notify = hv_vp_created };

static void hv_synic_register(void)
{
    hvpart_add_vp_notifier(&hv_vp_notifier);
    QEMU_BUILD_BUG_ON(sizeof(HvMessageHeader) != 16);
    QEMU_BUILD_BUG_ON(sizeof(HvMessage) != HV_MESSAGE_SIZE);
    QEMU_BUILD_BUG_ON(sizeof(HvPostMessageInput) != 256);
    QEMU_BUILD_BUG_ON(sizeof(HvTimerMessagePayload) != 24);
    QEMU_BUILD_BUG_ON(sizeof(HvReferenceTscPage) != 24);
}

type_init(hv_synic_register);
