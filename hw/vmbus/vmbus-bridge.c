/*
 * qemu-hvpart: the VMBus bridge: the ACPI device the guest finds, the bus
 * the VSP devices plug into, and the home of the VMBus server's state.
 *
 * "-accel hvpart" adds one bridge to the machine (unless vmbus=off), before
 * the board and the -device options are processed, so "-device vmbus-..."
 * needs no bus= option.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/error-report.h"
#include "qemu/units.h"
#include "hw/acpi/aml-build.h"
#include "hw/boards.h"
#include "hw/hotplug.h"
#include "hw/qdev-properties.h"
#include "hw/sysbus.h"
#include "migration/vmstate.h"
#include "system/hvpart.h"
#include "accel/hvpart/hvpart.h"
#include "hw/vmbus/vmbus-internal.h"
#include "trace.h"

/*
 * Default MMIO window offered in _CRS: high enough to stay clear of RAM and
 * of the 64-bit PCI hole of pc/q35 machines of up to several hundred GiB,
 * low enough for the default 40 physical address bits.
 */
#define VMBUS_MMIO_DEFAULT_BASE     0xf000000000ull
#define VMBUS_MMIO_DEFAULT_SIZE     (512 * MiB)

VMBusBridge *vmbus_bridge(void)
{
    Object *obj = object_resolve_path_type("", TYPE_VMBUS_BRIDGE, NULL);

    return obj ? VMBUS_BRIDGE(obj) : NULL;
}

/* The bus */

static char *vmbus_bus_get_dev_path(DeviceState *dev)
{
    VMBusDevice *vdev = VMBUS_DEVICE(dev);

    return qemu_uuid_unparse_strdup(&vdev->instance_id);
}

static void vmbus_bus_class_init(ObjectClass *oc, void *data)
{
    BusClass *bc = BUS_CLASS(oc);

    bc->get_dev_path = vmbus_bus_get_dev_path;
    /* Channels are identified by their instance GUID, not a bus address. */
    bc->max_dev = VMBUS_RELID_MAX;
}

static const TypeInfo vmbus_bus_type = {
    .name = TYPE_VMBUS_BUS,
    .parent = TYPE_BUS,
    .instance_size = sizeof(BusState),
    .class_init = vmbus_bus_class_init,
};

/* Hot-plug: device_add offers, device_del rescinds. */

static void vmbus_bridge_plug(HotplugHandler *hh, DeviceState *dev,
                              Error **errp)
{
    /* The device's realize already offered its channels. */
}

static void vmbus_bridge_unplug_request(HotplugHandler *hh, DeviceState *dev,
                                        Error **errp)
{
    VMBusBridge *br = VMBUS_BRIDGE(hh);
    VMBusDevice *vdev = VMBUS_DEVICE(dev);
    bool waiting = false;
    int i;

    vdev->unplug_requested = true;
    for (i = vdev->num_channels - 1; i >= 0; i--) {
        VMBusChannel *chan = vdev->channels[i];

        if (chan->state == VMBUS_CHANNEL_OFFERED ||
            chan->state == VMBUS_CHANNEL_OPEN) {
            vmbus_server_rescind(br, chan);
        }
        if (chan->state == VMBUS_CHANNEL_RESCINDED) {
            waiting = true;
        }
    }
    /* Nothing the guest holds: the device can go at once. */
    if (!waiting) {
        qdev_unrealize(dev);
        object_unparent(OBJECT(dev));
    }
}

static void vmbus_bridge_unplug(HotplugHandler *hh, DeviceState *dev,
                                Error **errp)
{
    qdev_unrealize(dev);
}

/* ACPI: the device Linux's hv_vmbus binds to (drivers/hv/vmbus_drv.c). */

void hvpart_acpi_build_dsdt(Aml *dsdt)
{
    VMBusBridge *br = vmbus_bridge();
    Aml *scope, *dev, *crs;

    if (!br) {
        return;
    }
    scope = aml_scope("\\_SB");
    dev = aml_device("VMBS");
    aml_append(dev, aml_name_decl("_HID", aml_string("VMBus")));
    aml_append(dev, aml_name_decl("_UID", aml_int(0)));
    aml_append(dev, aml_name_decl("_DDN", aml_string("VMBUS")));
    aml_append(dev, aml_name_decl("_STA", aml_int(0xf)));
    /*
     * The guest takes the memory ranges of _CRS as the pool it places
     * device MMIO in (synthetic video's VRAM).
     */
    crs = aml_resource_template();
    aml_append(crs, aml_qword_memory(AML_POS_DECODE, AML_MIN_FIXED,
                                     AML_MAX_FIXED, AML_NON_CACHEABLE,
                                     AML_READ_WRITE, 0, br->mmio_base,
                                     br->mmio_base + br->mmio_size - 1, 0,
                                     br->mmio_size));
    aml_append(dev, aml_name_decl("_CRS", crs));
    aml_append(scope, dev);
    aml_append(dsdt, scope);
}

/* The device */

static HvpartVmbus *vmbus_bridge_query(void)
{
    VMBusBridge *br = vmbus_bridge();

    return br ? vmbus_server_query(br) : NULL;
}

static void vmbus_bridge_realize(DeviceState *dev, Error **errp)
{
    VMBusBridge *br = VMBUS_BRIDGE(dev);

    if (!hvpart_enabled()) {
        error_setg(errp, "%s needs -accel hvpart", TYPE_VMBUS_BRIDGE);
        return;
    }
    if (vmbus_bridge() != br) {
        error_setg(errp, "there can be only one %s", TYPE_VMBUS_BRIDGE);
        return;
    }
    if (!br->mmio_size || (br->mmio_base | br->mmio_size) & (MiB - 1) ||
        br->mmio_base + br->mmio_size < br->mmio_base) {
        error_setg(errp, "%s: mmio-base and mmio-size must be non-zero "
                   "multiples of 1 MiB that do not wrap", TYPE_VMBUS_BRIDGE);
        return;
    }
    qbus_init(&br->bus, sizeof(br->bus), TYPE_VMBUS_BUS, dev, "vmbus.0");
    qbus_set_hotplug_handler(&br->bus, OBJECT(br));
    vmbus_server_init(br);
    hvpart_set_vmbus_info_provider(vmbus_bridge_query);
}

static void vmbus_bridge_reset(DeviceState *dev)
{
    vmbus_server_reset(VMBUS_BRIDGE(dev));
}

static const Property vmbus_bridge_props[] = {
    DEFINE_PROP_UINT64("mmio-base", VMBusBridge, mmio_base,
                       VMBUS_MMIO_DEFAULT_BASE),
    DEFINE_PROP_SIZE("mmio-size", VMBusBridge, mmio_size,
                     VMBUS_MMIO_DEFAULT_SIZE),
};

static void vmbus_bridge_class_init(ObjectClass *oc, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(oc);
    HotplugHandlerClass *hc = HOTPLUG_HANDLER_CLASS(oc);

    dc->realize = vmbus_bridge_realize;
    dc->desc = "Hyper-V VMBus (qemu-hvpart)";
    dc->vmsd = &vmstate_vmbus_server;
    /* Created by -accel hvpart, never by -device. */
    dc->user_creatable = false;
    device_class_set_legacy_reset(dc, vmbus_bridge_reset);
    device_class_set_props(dc, vmbus_bridge_props);
    hc->plug = vmbus_bridge_plug;
    hc->unplug_request = vmbus_bridge_unplug_request;
    hc->unplug = vmbus_bridge_unplug;
}

static const TypeInfo vmbus_bridge_type = {
    .name = TYPE_VMBUS_BRIDGE,
    .parent = TYPE_SYS_BUS_DEVICE,
    .instance_size = sizeof(VMBusBridge),
    .class_init = vmbus_bridge_class_init,
    .interfaces = (InterfaceInfo[]) {
        { TYPE_HOTPLUG_HANDLER },
        { }
    },
};

static void vmbus_partition_created(Notifier *n, void *data)
{
    MachineState *ms = data;
    DeviceState *dev;

    if (!hvpart_vmbus_wanted()) {
        return;
    }
    dev = qdev_new(TYPE_VMBUS_BRIDGE);
    object_property_add_child(OBJECT(ms), "vmbus-bridge", OBJECT(dev));
    sysbus_realize_and_unref(SYS_BUS_DEVICE(dev), &error_fatal);
}

static Notifier vmbus_partition_notifier = {
    .notify = vmbus_partition_created,
};

static void vmbus_bridge_register_types(void)
{
    type_register_static(&vmbus_bus_type);
    type_register_static(&vmbus_bridge_type);
    hvpart_add_partition_notifier(&vmbus_partition_notifier);
}

type_init(vmbus_bridge_register_types)
