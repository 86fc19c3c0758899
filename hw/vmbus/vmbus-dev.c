/*
 * qemu-hvpart: the base class of every VSP device on the VMBus.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "hw/qdev-properties.h"
#include "hw/qdev-properties-system.h"
#include "system/hvpart.h"
#include "hw/vmbus/vmbus-internal.h"
#include "trace.h"

/*
 * A stable default instance GUID: a name-based (SHA-1, version 5 layout)
 * UUID of the device type and its QOM path, so the same command line gives
 * the guest the same device identity on every boot.
 */
static void vmbus_device_default_instance_id(VMBusDevice *vdev)
{
    g_autofree char *path = object_get_canonical_path(OBJECT(vdev));
    g_autofree char *name = g_strdup_printf("qemu-hvpart/%s/%s",
                                            object_get_typename(OBJECT(vdev)),
                                            path);
    g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA1);
    uint8_t digest[20];
    gsize len = sizeof(digest);

    g_checksum_update(sum, (const guchar *)name, strlen(name));
    g_checksum_get_digest(sum, digest, &len);
    memcpy(vdev->instance_id.data, digest, 16);
    vdev->instance_id.data[6] = (vdev->instance_id.data[6] & 0x0f) | 0x50;
    vdev->instance_id.data[8] = (vdev->instance_id.data[8] & 0x3f) | 0x80;
}

static bool vmbus_instance_id_in_use(VMBusBridge *br, VMBusDevice *vdev)
{
    VMBusChannel *chan;

    QTAILQ_FOREACH(chan, &br->channels, link) {
        if (chan->dev != vdev &&
            qemu_uuid_is_equal(&chan->dev->instance_id, &vdev->instance_id)) {
            return true;
        }
    }
    return false;
}

static void vmbus_device_realize(DeviceState *dev, Error **errp)
{
    VMBusDevice *vdev = VMBUS_DEVICE(dev);
    VMBusDeviceClass *vdc = VMBUS_DEVICE_GET_CLASS(vdev);
    VMBusBridge *br = vmbus_bridge();
    Error *err = NULL;
    VMBusChannel *chan;

    if (!br) {
        error_setg(errp, "%s needs a VMBus: run with -accel hvpart "
                   "(and without vmbus=off)", object_get_typename(OBJECT(dev)));
        return;
    }
    if (qemu_uuid_is_null(&vdev->instance_id)) {
        vmbus_device_default_instance_id(vdev);
    }
    if (vmbus_instance_id_in_use(br, vdev)) {
        error_setg(errp, "instance-id is already used by another VMBus "
                   "device");
        return;
    }
    chan = vmbus_channel_new(vdev, 0);
    if (!chan) {
        error_setg(errp, "no free VMBus channel id");
        return;
    }
    vdev->channels[0] = chan;
    vdev->num_channels = 1;
    vmbus_device_watch_vm_state(vdev);
    if (vdc->vsp_realize) {
        vdc->vsp_realize(vdev, &err);
        if (err) {
            error_propagate(errp, err);
            vmbus_channel_free(chan);
            vmbus_device_unwatch_vm_state(vdev);
            vdev->channels[0] = NULL;
            vdev->num_channels = 0;
            return;
        }
    }
    vmbus_server_offer(br, chan);
}

static void vmbus_device_unrealize(DeviceState *dev)
{
    VMBusDevice *vdev = VMBUS_DEVICE(dev);
    VMBusDeviceClass *vdc = VMBUS_DEVICE_GET_CLASS(vdev);
    int i;

    for (i = vdev->num_channels - 1; i >= 0; i--) {
        vmbus_channel_free(vdev->channels[i]);
        vdev->channels[i] = NULL;
    }
    vdev->num_channels = 0;
    if (vdc->vsp_unrealize) {
        vdc->vsp_unrealize(vdev);
    }
    vmbus_device_unwatch_vm_state(vdev);
}

int vmbus_device_offer_subchannels(VMBusDevice *vdev, int count)
{
    VMBusBridge *br = vmbus_bridge();
    int i;

    if (!br || count < 0) {
        return -EINVAL;
    }
    count = MIN(count, VMBUS_MAX_CHANNELS_PER_DEVICE - 1);
    vdev->subchannels_wanted = count;
    while (vdev->num_channels < count + 1) {
        VMBusChannel *chan = vmbus_channel_new(vdev, vdev->num_channels);

        if (!chan) {
            break;                      /* out of relids */
        }
        vdev->channels[vdev->num_channels++] = chan;
    }
    for (i = 1; i < vdev->num_channels && i <= count; i++) {
        vmbus_server_offer(br, vdev->channels[i]);
    }
    return MIN(count, vdev->num_channels - 1);
}

/* The guest released a rescinded channel: finish a pending device_del. */
void vmbus_device_channel_released(VMBusChannel *chan)
{
    VMBusDevice *vdev = chan->dev;
    int i;

    if (!vdev->unplug_requested) {
        return;
    }
    for (i = 0; i < vdev->num_channels; i++) {
        if (vdev->channels[i]->state == VMBUS_CHANNEL_RESCINDED) {
            return;
        }
    }
    trace_vmbus_device_unplugged(object_get_typename(OBJECT(vdev)));
    qdev_unrealize(DEVICE(vdev));
    object_unparent(OBJECT(vdev));
}

static void vmbus_device_reset(DeviceState *dev)
{
    VMBusDevice *vdev = VMBUS_DEVICE(dev);
    VMBusDeviceClass *vdc = VMBUS_DEVICE_GET_CLASS(vdev);

    if (vdc->reset) {
        vdc->reset(vdev);
    }
}

static const Property vmbus_device_props[] = {
    DEFINE_PROP_UUID_NODEFAULT("instance-id", VMBusDevice, instance_id),
};

static void vmbus_device_class_init(ObjectClass *oc, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(oc);

    dc->bus_type = TYPE_VMBUS_BUS;
    dc->realize = vmbus_device_realize;
    dc->unrealize = vmbus_device_unrealize;
    dc->hotpluggable = true;
    device_class_set_legacy_reset(dc, vmbus_device_reset);
    device_class_set_props(dc, vmbus_device_props);
}

static const TypeInfo vmbus_device_type = {
    .name = TYPE_VMBUS_DEVICE,
    .parent = TYPE_DEVICE,
    .instance_size = sizeof(VMBusDevice),
    .class_size = sizeof(VMBusDeviceClass),
    .class_init = vmbus_device_class_init,
    .abstract = true,
};

static void vmbus_device_register_types(void)
{
    type_register_static(&vmbus_device_type);
}

type_init(vmbus_device_register_types)
