/*
 * qemu-hvpart: "-device vmbus-shutdown", the shutdown integration service.
 *
 * QEMU's power-down request (QMP system_powerdown, the monitor, a signal)
 * becomes a shutdown request over the channel once the guest has negotiated
 * it; the guest then powers off in an orderly way (Linux: hv_utils calls
 * orderly_poweroff()). The machine's ACPI power button is pressed as well,
 * as on any QEMU machine; a guest that handles both shuts down once.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/bswap.h"
#include "qemu/cutils.h"
#include "system/runstate.h"
#include "migration/vmstate.h"
#include "hw/vmbus/ic.h"
#include "trace.h"

#define TYPE_VMBUS_SHUTDOWN "vmbus-shutdown"
OBJECT_DECLARE_SIMPLE_TYPE(VMBusShutdown, VMBUS_SHUTDOWN)

/* SHTDN_REASON_FLAG_PLANNED: what a host-initiated shutdown reports. */
#define IC_SHUTDOWN_REASON_PLANNED  0x80000000u

struct VMBusShutdown {
    VMBusIC parent_obj;

    Notifier powerdown;
    /* requests sent and answers with success, for tests and management */
    uint32_t requests;
    uint32_t accepted;
};

static void vmbus_shutdown_powerdown(Notifier *n, void *opaque)
{
    VMBusShutdown *sd = container_of(n, VMBusShutdown, powerdown);
    ICShutdown msg = { 0 };
    int ret;

    if (!vmbus_ic_ready(VMBUS_IC(sd))) {
        trace_vmbus_shutdown_request(-ENOTCONN);
        return;
    }
    msg.reason_code = cpu_to_le32(IC_SHUTDOWN_REASON_PLANNED);
    msg.timeout_seconds = cpu_to_le32(0);
    msg.flags = cpu_to_le32(IC_SHUTDOWN_FLAG_SHUTDOWN);
    pstrcpy((char *)msg.display_message, sizeof(msg.display_message),
            "QEMU system_powerdown");
    ret = vmbus_ic_send_request(VMBUS_IC(sd), IC_MSGTYPE_SHUTDOWN, &msg,
                                sizeof(msg));
    if (ret == 0) {
        sd->requests++;
    }
    trace_vmbus_shutdown_request(ret);
}

static void vmbus_shutdown_response(VMBusIC *ic, const ICGuestMsg *msg)
{
    VMBusShutdown *sd = VMBUS_SHUTDOWN(ic);
    const char *why = NULL;

    if (ic_msg_shutdown(msg, &why) < 0) {
        trace_vmbus_ic_bad(TYPE_VMBUS_SHUTDOWN, why);
        return;
    }
    if (msg->status == IC_STATUS_OK) {
        sd->accepted++;
    }
    trace_vmbus_shutdown_response(msg->status);
}

static void vmbus_shutdown_vsp_realize(VMBusDevice *vdev, Error **errp)
{
    VMBusShutdown *sd = VMBUS_SHUTDOWN(vdev);

    sd->powerdown.notify = vmbus_shutdown_powerdown;
    qemu_register_powerdown_notifier(&sd->powerdown);
}

static void vmbus_shutdown_vsp_unrealize(VMBusDevice *vdev)
{
    VMBusShutdown *sd = VMBUS_SHUTDOWN(vdev);

    notifier_remove(&sd->powerdown);
}

static void vmbus_shutdown_instance_init(Object *obj)
{
    VMBusShutdown *sd = VMBUS_SHUTDOWN(obj);

    object_property_add_uint32_ptr(obj, "requests", &sd->requests,
                                   OBJ_PROP_FLAG_READ);
    object_property_add_uint32_ptr(obj, "accepted", &sd->accepted,
                                   OBJ_PROP_FLAG_READ);
}

static const VMStateDescription vmstate_vmbus_shutdown = {
    .name = TYPE_VMBUS_SHUTDOWN,
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_VMBUS_IC(parent_obj, VMBusShutdown),
        VMSTATE_UINT32(requests, VMBusShutdown),
        VMSTATE_UINT32(accepted, VMBusShutdown),
        VMSTATE_END_OF_LIST()
    },
};

static void vmbus_shutdown_class_init(ObjectClass *oc, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(oc);
    VMBusDeviceClass *vdc = VMBUS_DEVICE_CLASS(oc);
    VMBusICClass *icc = VMBUS_IC_CLASS(oc);

    dc->desc = "Hyper-V shutdown integration service";
    dc->vmsd = &vmstate_vmbus_shutdown;
    set_bit(DEVICE_CATEGORY_MISC, dc->categories);
    vdc->interface_id = "0e0b6031-5213-4934-818b-38d90ced39db";
    vdc->interface_name = "shutdown";
    vdc->vsp_realize = vmbus_shutdown_vsp_realize;
    vdc->vsp_unrealize = vmbus_shutdown_vsp_unrealize;
    icc->versions[0] = IC_VERSION(3, 2);
    icc->versions[1] = IC_VERSION(3, 1);
    icc->versions[2] = IC_VERSION(3, 0);
    icc->versions[3] = IC_VERSION(1, 0);
    icc->response = vmbus_shutdown_response;
}

static const TypeInfo vmbus_shutdown_type = {
    .name = TYPE_VMBUS_SHUTDOWN,
    .parent = TYPE_VMBUS_IC,
    .instance_size = sizeof(VMBusShutdown),
    .instance_init = vmbus_shutdown_instance_init,
    .class_init = vmbus_shutdown_class_init,
};

static void vmbus_shutdown_register_types(void)
{
    type_register_static(&vmbus_shutdown_type);
}

type_init(vmbus_shutdown_register_types)
