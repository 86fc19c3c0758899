/*
 * qemu-hvpart: the "hvpart" accelerator.
 *
 * "-accel hvpart[,driver=auto|tcg|kvm][,vmbus=on|off][,ide-accel=on|off|auto]
 *  [,smbios-identity=qemu|hyperv]" runs the machine as a
 * Hyper-V style partition. The tcg driver executes the VPs with QEMU's TCG:
 * the accelerator, its ops and its x86 CPU class derive from TCG's, so TCG
 * does the execution while the partition layer adds Hyper-V semantics
 * (enlightenments through hw/synic, overlay pages, the VMBus).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/qapi-visit-hvpart.h"
#include "qemu/accel.h"
#include "qemu/error-report.h"
#include "qom/object.h"
#include "hw/boards.h"
#include "hw/firmware/smbios.h"
#include "qapi/qapi-types-common.h"
#include "system/accel-ops.h"
#include "system/hvpart.h"
#include "accel/accel-cpu-target.h"
#include "accel/hvpart/hvpart.h"
#include "accel/hvpart/hvpart-internal.h"
#include "trace.h"

#define TYPE_TCG_ACCEL_PARENT       ACCEL_CLASS_NAME("tcg")
#define TYPE_HVPART_ACCEL_OPS       ACCEL_OPS_NAME("hvpart")
#define TYPE_HVPART_ACCEL_CPU       ACCEL_CPU_NAME("hvpart")

bool hvpart_allowed;

enum {
    HVPART_SMBIOS_IDENTITY_QEMU,
    HVPART_SMBIOS_IDENTITY_HYPERV,
};

enum {
    HVPART_DRIVER_CHOICE_AUTO,
    HVPART_DRIVER_CHOICE_TCG,
    HVPART_DRIVER_CHOICE_KVM,
};

/*
 * The accelerator's own options. The instance struct belongs to TCG (it is
 * private to accel/tcg), so the options live here; there is one accelerator
 * per process.
 */
static struct {
    int driver;             /* HvpartDriverChoice */
    bool vmbus;
    bool stimer_direct;
    int ide_accel;          /* OnOffAuto */
    int smbios_identity;    /* HVPART_SMBIOS_IDENTITY_* */
} hvpart_opts = {
    .driver = HVPART_DRIVER_CHOICE_AUTO,
    .vmbus = true,
    .stimer_direct = true,
    .ide_accel = ON_OFF_AUTO_AUTO,
    .smbios_identity = HVPART_SMBIOS_IDENTITY_QEMU,
};

static const char *const hvpart_smbios_identity_choices[] = {
    [HVPART_SMBIOS_IDENTITY_QEMU] = "qemu",
    [HVPART_SMBIOS_IDENTITY_HYPERV] = "hyperv",
};

static const char *const hvpart_driver_choices[] = {
    [HVPART_DRIVER_CHOICE_AUTO] = "auto",
    [HVPART_DRIVER_CHOICE_TCG] = "tcg",
    [HVPART_DRIVER_CHOICE_KVM] = "kvm",
};

HvpartDriver hvpart_driver(void)
{
    return HVPART_DRIVER_TCG;
}

bool hvpart_vmbus_wanted(void)
{
    return hvpart_opts.vmbus;
}

bool hvpart_stimer_direct_wanted(void)
{
    return hvpart_opts.stimer_direct;
}

/*
 * auto: only with the Hyper-V SMBIOS identity, with which Linux's ata_piix
 * leaves the disks to storvsc; otherwise a guest would find each disk
 * twice, on ata_piix and on the channel.
 */
bool hvpart_ide_accel_wanted(void)
{
    return hvpart_opts.ide_accel == ON_OFF_AUTO_ON ||
           (hvpart_opts.ide_accel == ON_OFF_AUTO_AUTO &&
            hvpart_opts.smbios_identity == HVPART_SMBIOS_IDENTITY_HYPERV);
}

static int (*tcg_parent_init_machine)(MachineState *ms);

static int hvpart_init_machine(MachineState *ms)
{
    int ret;

    switch (hvpart_opts.driver) {
    case HVPART_DRIVER_CHOICE_KVM:
        /*
         * No silent fallback: a user who asked for KVM must not get TCG.
         * The kvm driver (memory slots from the page-state map, the
         * hypercall port exit) is not written yet.
         */
        error_report("hvpart: driver=kvm is not implemented yet; use "
                     "driver=tcg (or driver=auto)");
        return -ENOTSUP;
    case HVPART_DRIVER_CHOICE_AUTO:
    case HVPART_DRIVER_CHOICE_TCG:
        break;
    default:
        g_assert_not_reached();
    }

    ret = tcg_parent_init_machine(ms);
    if (ret < 0) {
        return ret;
    }
    if (hvpart_opts.smbios_identity == HVPART_SMBIOS_IDENTITY_HYPERV) {
        /*
         * SMBIOS type 1 (and 2, 3) as a Hyper-V VM has them. The board
         * sets its own defaults later, and defaults never replace a value
         * already there: what the user gave with -smbios (parsed before the
         * accelerator starts) stays, and these stay over the board's.
         * Linux's ata_piix then leaves the ATA disks to storvsc.
         */
        smbios_set_defaults("Microsoft Corporation", "Virtual Machine",
                            MACHINE_GET_CLASS(ms)->name);
    }
    hvpart_allowed = true;
    hvpart_partition_init(ms);
    trace_hvpart_init_machine(hvpart_driver_choices[hvpart_opts.driver],
                              hvpart_opts.vmbus);
    return 0;
}

static int hvpart_get_driver(Object *obj, Error **errp)
{
    return hvpart_opts.driver;
}

static void hvpart_set_driver(Object *obj, int value, Error **errp)
{
    hvpart_opts.driver = value;
}

static bool hvpart_get_vmbus(Object *obj, Error **errp)
{
    return hvpart_opts.vmbus;
}

static void hvpart_set_vmbus(Object *obj, bool value, Error **errp)
{
    hvpart_opts.vmbus = value;
}

static bool hvpart_get_stimer_direct(Object *obj, Error **errp)
{
    return hvpart_opts.stimer_direct;
}

static void hvpart_set_stimer_direct(Object *obj, bool value, Error **errp)
{
    hvpart_opts.stimer_direct = value;
}

static int hvpart_get_ide_accel(Object *obj, Error **errp)
{
    return hvpart_opts.ide_accel;
}

static void hvpart_set_ide_accel(Object *obj, int value, Error **errp)
{
    hvpart_opts.ide_accel = value;
}

static int hvpart_get_smbios_identity(Object *obj, Error **errp)
{
    return hvpart_opts.smbios_identity;
}

static void hvpart_set_smbios_identity(Object *obj, int value, Error **errp)
{
    hvpart_opts.smbios_identity = value;
}

static const QEnumLookup hvpart_smbios_identity_lookup = {
    .array = hvpart_smbios_identity_choices,
    .size = ARRAY_SIZE(hvpart_smbios_identity_choices),
};

static const QEnumLookup hvpart_driver_lookup = {
    .array = hvpart_driver_choices,
    .size = ARRAY_SIZE(hvpart_driver_choices),
};

static void hvpart_accel_class_init(ObjectClass *oc, void *data)
{
    AccelClass *ac = ACCEL_CLASS(oc);

    ac->name = "hvpart";
    tcg_parent_init_machine = ac->init_machine;
    ac->init_machine = hvpart_init_machine;

    object_class_property_add_enum(oc, "driver", "HvpartDriverChoice",
                                   &hvpart_driver_lookup,
                                   hvpart_get_driver, hvpart_set_driver);
    object_class_property_set_description(oc, "driver",
        "What runs the VPs: auto, tcg or kvm (auto picks tcg)");
    object_class_property_add_bool(oc, "vmbus", hvpart_get_vmbus,
                                   hvpart_set_vmbus);
    object_class_property_set_description(oc, "vmbus",
        "Give the machine a VMBus (default on)");
    object_class_property_add_bool(oc, "stimer-direct",
                                   hvpart_get_stimer_direct,
                                   hvpart_set_stimer_direct);
    object_class_property_set_description(oc, "stimer-direct",
        "Offer direct-mode synthetic timers (default on); off makes "
        "guests use timer messages");
    object_class_property_add_enum(oc, "ide-accel", "OnOffAuto",
                                   &OnOffAuto_lookup, hvpart_get_ide_accel,
                                   hvpart_set_ide_accel);
    object_class_property_set_description(oc, "ide-accel",
        "Offer each IDE hard disk of the PIIX IDE controller on the VMBus "
        "too (the IDE accelerator channel, vmbus-ide), as Hyper-V does; "
        "auto (default): with smbios-identity=hyperv only");
    object_class_property_add_enum(oc, "smbios-identity",
                                   "HvpartSmbiosIdentity",
                                   &hvpart_smbios_identity_lookup,
                                   hvpart_get_smbios_identity,
                                   hvpart_set_smbios_identity);
    object_class_property_set_description(oc, "smbios-identity",
        "SMBIOS system manufacturer and product: qemu (QEMU's, default) "
        "or hyperv (Microsoft Corporation / Virtual Machine, so that "
        "Linux's ata_piix yields the IDE disks to hv_storvsc); -smbios "
        "type=1 values win");
}

static const TypeInfo hvpart_accel_type = {
    .name = TYPE_HVPART_ACCEL,
    .parent = TYPE_TCG_ACCEL_PARENT,
    .class_init = hvpart_accel_class_init,
};

/* TCG's vCPU threads and ops, found by the accelerator's name. */
static const TypeInfo hvpart_accel_ops_type = {
    .name = TYPE_HVPART_ACCEL_OPS,
    .parent = ACCEL_OPS_NAME("tcg"),
    .abstract = true,
};

static bool (*tcg_parent_cpu_target_realize)(CPUState *cs, Error **errp);

static bool hvpart_cpu_target_realize(CPUState *cs, Error **errp)
{
    hvpart_partition_vp_prepare(cs);
    if (!tcg_parent_cpu_target_realize(cs, errp)) {
        return false;
    }
    return hvpart_partition_vp_realize(cs, errp);
}

static void hvpart_accel_cpu_class_init(ObjectClass *oc, void *data)
{
    AccelCPUClass *acc = ACCEL_CPU_CLASS(oc);

    tcg_parent_cpu_target_realize = acc->cpu_target_realize;
    acc->cpu_target_realize = hvpart_cpu_target_realize;
}

static const TypeInfo hvpart_accel_cpu_type = {
    .name = TYPE_HVPART_ACCEL_CPU,
    .parent = ACCEL_CPU_NAME("tcg"),
    .class_init = hvpart_accel_cpu_class_init,
    .abstract = true,
};

static void hvpart_accel_register_types(void)
{
    type_register_static(&hvpart_accel_type);
    type_register_static(&hvpart_accel_ops_type);
    type_register_static(&hvpart_accel_cpu_type);
}

type_init(hvpart_accel_register_types);
