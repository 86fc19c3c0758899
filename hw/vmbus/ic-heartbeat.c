/*
 * qemu-hvpart: "-device vmbus-heartbeat", the heartbeat integration service.
 *
 * The host sends a sequence number at a fixed interval; a live guest answers
 * with the number plus one (Linux: drivers/hv/hv_util.c). The count of good
 * answers and the time of the last one are QOM properties, so management
 * can tell a hung guest from a running one.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/visitor.h"
#include "qemu/bswap.h"
#include "qemu/timer.h"
#include "hw/qdev-properties.h"
#include "migration/vmstate.h"
#include "hw/vmbus/ic.h"
#include "trace.h"

#define TYPE_VMBUS_HEARTBEAT "vmbus-heartbeat"
OBJECT_DECLARE_SIMPLE_TYPE(VMBusHeartbeat, VMBUS_HEARTBEAT)

struct VMBusHeartbeat {
    VMBusIC parent_obj;

    uint32_t interval_ms;
    uint64_t seq;
    uint64_t beats;                     /* correct answers */
    int64_t last_beat_ns;               /* QEMU_CLOCK_VIRTUAL */
    QEMUTimer *timer;
};

static void vmbus_heartbeat_send(VMBusHeartbeat *hb)
{
    ICHeartbeat msg = { 0 };

    msg.seq_num = cpu_to_le64(hb->seq);
    vmbus_ic_send_request(VMBUS_IC(hb), IC_MSGTYPE_HEARTBEAT, &msg,
                          sizeof(msg));
}

static void vmbus_heartbeat_tick(void *opaque)
{
    VMBusHeartbeat *hb = opaque;

    if (!vmbus_ic_ready(VMBUS_IC(hb))) {
        return;
    }
    vmbus_heartbeat_send(hb);
    timer_mod(hb->timer, qemu_clock_get_ms(QEMU_CLOCK_VIRTUAL) +
              hb->interval_ms);
}

static void vmbus_heartbeat_ready(VMBusIC *ic)
{
    vmbus_heartbeat_tick(VMBUS_HEARTBEAT(ic));
}

static void vmbus_heartbeat_closed(VMBusIC *ic)
{
    timer_del(VMBUS_HEARTBEAT(ic)->timer);
}

static void vmbus_heartbeat_response(VMBusIC *ic, const ICGuestMsg *msg)
{
    VMBusHeartbeat *hb = VMBUS_HEARTBEAT(ic);
    const char *why = NULL;
    uint64_t seq;

    if (ic_msg_heartbeat(msg, &seq, &why) < 0) {
        trace_vmbus_ic_bad(TYPE_VMBUS_HEARTBEAT, why);
        return;
    }
    if (msg->status != IC_STATUS_OK || seq != hb->seq + 1) {
        trace_vmbus_ic_bad(TYPE_VMBUS_HEARTBEAT, "wrong sequence number");
        return;
    }
    hb->seq += 2;
    hb->beats++;
    hb->last_beat_ns = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    trace_vmbus_heartbeat(hb->beats);
}

static void vmbus_heartbeat_get_u64(Object *obj, Visitor *v, const char *name,
                                    void *opaque, Error **errp)
{
    uint64_t val = *(uint64_t *)opaque;

    visit_type_uint64(v, name, &val, errp);
}

static void vmbus_heartbeat_get_age(Object *obj, Visitor *v, const char *name,
                                    void *opaque, Error **errp)
{
    VMBusHeartbeat *hb = VMBUS_HEARTBEAT(obj);
    int64_t age = -1;

    if (hb->beats) {
        age = (qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) - hb->last_beat_ns) /
              SCALE_MS;
    }
    visit_type_int64(v, name, &age, errp);
}

static void vmbus_heartbeat_vsp_realize(VMBusDevice *vdev, Error **errp)
{
    VMBusHeartbeat *hb = VMBUS_HEARTBEAT(vdev);

    if (hb->interval_ms < 100) {
        error_setg(errp, "vmbus-heartbeat: interval must be at least 100 ms");
        return;
    }
    hb->timer = timer_new_ms(QEMU_CLOCK_VIRTUAL, vmbus_heartbeat_tick, hb);
}

static void vmbus_heartbeat_vsp_unrealize(VMBusDevice *vdev)
{
    VMBusHeartbeat *hb = VMBUS_HEARTBEAT(vdev);

    timer_free(hb->timer);
    hb->timer = NULL;
}

static void vmbus_heartbeat_instance_init(Object *obj)
{
    VMBusHeartbeat *hb = VMBUS_HEARTBEAT(obj);

    object_property_add(obj, "beats", "uint64", vmbus_heartbeat_get_u64,
                        NULL, NULL, &hb->beats);
    object_property_add(obj, "last-beat-age-ms", "int",
                        vmbus_heartbeat_get_age, NULL, NULL, NULL);
}

static int vmbus_heartbeat_post_load(void *opaque, int version_id)
{
    VMBusHeartbeat *hb = opaque;

    if (vmbus_ic_ready(VMBUS_IC(hb))) {
        timer_mod(hb->timer, qemu_clock_get_ms(QEMU_CLOCK_VIRTUAL) +
                  hb->interval_ms);
    }
    return 0;
}

static const VMStateDescription vmstate_vmbus_heartbeat = {
    .name = TYPE_VMBUS_HEARTBEAT,
    .version_id = 1,
    .minimum_version_id = 1,
    .post_load = vmbus_heartbeat_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_VMBUS_IC(parent_obj, VMBusHeartbeat),
        VMSTATE_UINT64(seq, VMBusHeartbeat),
        VMSTATE_UINT64(beats, VMBusHeartbeat),
        VMSTATE_INT64(last_beat_ns, VMBusHeartbeat),
        VMSTATE_END_OF_LIST()
    },
};

static const Property vmbus_heartbeat_props[] = {
    DEFINE_PROP_UINT32("interval", VMBusHeartbeat, interval_ms, 5000),
};

static void vmbus_heartbeat_class_init(ObjectClass *oc, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(oc);
    VMBusDeviceClass *vdc = VMBUS_DEVICE_CLASS(oc);
    VMBusICClass *icc = VMBUS_IC_CLASS(oc);

    dc->desc = "Hyper-V heartbeat integration service";
    dc->vmsd = &vmstate_vmbus_heartbeat;
    set_bit(DEVICE_CATEGORY_MISC, dc->categories);
    device_class_set_props(dc, vmbus_heartbeat_props);
    vdc->interface_id = "57164f39-9115-4e78-ab55-382f3bd5422d";
    vdc->interface_name = "heartbeat";
    vdc->vsp_realize = vmbus_heartbeat_vsp_realize;
    vdc->vsp_unrealize = vmbus_heartbeat_vsp_unrealize;
    icc->versions[0] = IC_VERSION(3, 0);
    icc->versions[1] = IC_VERSION(1, 0);
    icc->ready = vmbus_heartbeat_ready;
    icc->closed = vmbus_heartbeat_closed;
    icc->response = vmbus_heartbeat_response;
}

static const TypeInfo vmbus_heartbeat_type = {
    .name = TYPE_VMBUS_HEARTBEAT,
    .parent = TYPE_VMBUS_IC,
    .instance_size = sizeof(VMBusHeartbeat),
    .instance_init = vmbus_heartbeat_instance_init,
    .class_init = vmbus_heartbeat_class_init,
};

static void vmbus_heartbeat_register_types(void)
{
    type_register_static(&vmbus_heartbeat_type);
}

type_init(vmbus_heartbeat_register_types)
