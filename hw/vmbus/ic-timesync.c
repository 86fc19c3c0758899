/*
 * qemu-hvpart: "-device vmbus-timesync", the time synchronization
 * integration service.
 *
 * The host sends its wall-clock time: with the SYNC flag when the channel
 * opens and whenever the VM runs again after loadvm or an incoming
 * migration (the guest sets its clock: Linux hv_utils calls
 * do_settimeofday64()), and as SAMPLE at a fixed interval otherwise (a hint
 * the guest may use, e.g. Linux's hyperv PTP clock). Version 4.0 messages
 * also carry the partition reference time the sample was taken at, so the
 * guest can correct for delivery delay.
 *
 * The host time follows QEMU's -rtc option (base=utc|localtime|date), as
 * the emulated RTC does.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/bswap.h"
#include "qemu/cutils.h"
#include "qemu/timer.h"
#include "hw/qdev-properties.h"
#include "migration/vmstate.h"
#include "system/rtc.h"
#include "system/runstate.h"
#include "hw/synic/synic.h"
#include "hw/vmbus/ic.h"
#include "trace.h"

#define TYPE_VMBUS_TIMESYNC "vmbus-timesync"
OBJECT_DECLARE_SIMPLE_TYPE(VMBusTimesync, VMBUS_TIMESYNC)

struct VMBusTimesync {
    VMBusIC parent_obj;

    uint32_t interval_ms;
    /* the next message sets the guest's clock (start, loadvm, migration) */
    bool sync_pending;
    uint32_t syncs;                     /* SYNC messages the guest took */
    uint32_t samples;
    QEMUTimer *timer;
    VMChangeStateEntry *vmstate_entry;
};

/* The guest's wall clock as the RTC presents it, in FILETIME units. */
static uint64_t vmbus_timesync_host_filetime(void)
{
    struct tm tm;
    int64_t ns = qemu_clock_get_ns(QEMU_CLOCK_HOST);
    int64_t secs;

    qemu_get_timedate(&tm, 0);
    secs = mktimegm(&tm);
    return IC_FILETIME_UNIX_EPOCH + secs * 10000000ull +
           (ns % NANOSECONDS_PER_SECOND) / 100;
}

static void vmbus_timesync_send(VMBusTimesync *ts)
{
    VMBusIC *ic = VMBUS_IC(ts);
    uint8_t flags = ts->sync_pending ? IC_TIMESYNC_FLAG_SYNC
                                     : IC_TIMESYNC_FLAG_SAMPLE;
    uint64_t now = vmbus_timesync_host_filetime();
    int ret;

    if (ic->service_version >= IC_VERSION(4, 0)) {
        ICTimesyncRef msg = { 0 };

        msg.parenttime = cpu_to_le64(now);
        msg.vmreferencetime = cpu_to_le64(hv_reference_time());
        msg.flags = flags;
        msg.stratum = 2;
        ret = vmbus_ic_send_request(ic, IC_MSGTYPE_TIMESYNC, &msg,
                                    sizeof(msg));
    } else {
        ICTimesync msg = { 0 };

        msg.parenttime = cpu_to_le64(now);
        msg.flags = flags;
        ret = vmbus_ic_send_request(ic, IC_MSGTYPE_TIMESYNC, &msg,
                                    sizeof(msg));
    }
    trace_vmbus_timesync_send(flags, now, ret);
    if (ret == 0) {
        if (flags == IC_TIMESYNC_FLAG_SYNC) {
            ts->sync_pending = false;
        }
    }
}

static void vmbus_timesync_tick(void *opaque)
{
    VMBusTimesync *ts = opaque;

    if (!vmbus_ic_ready(VMBUS_IC(ts))) {
        return;
    }
    vmbus_timesync_send(ts);
    timer_mod(ts->timer, qemu_clock_get_ms(QEMU_CLOCK_VIRTUAL) +
              ts->interval_ms);
}

static void vmbus_timesync_ready(VMBusIC *ic)
{
    VMBusTimesync *ts = VMBUS_TIMESYNC(ic);

    /* A freshly opened channel: the guest (re)starts, set its clock. */
    ts->sync_pending = true;
    vmbus_timesync_tick(ts);
}

static void vmbus_timesync_closed(VMBusIC *ic)
{
    timer_del(VMBUS_TIMESYNC(ic)->timer);
}

static void vmbus_timesync_response(VMBusIC *ic, const ICGuestMsg *msg)
{
    VMBusTimesync *ts = VMBUS_TIMESYNC(ic);
    const char *why = NULL;
    uint8_t flags;

    if (ic_msg_timesync(msg, ic->service_version, &flags, &why) < 0) {
        trace_vmbus_ic_bad(TYPE_VMBUS_TIMESYNC, why);
        return;
    }
    if (msg->status != IC_STATUS_OK) {
        trace_vmbus_ic_bad(TYPE_VMBUS_TIMESYNC, "guest failed a sample");
        return;
    }
    if (flags == IC_TIMESYNC_FLAG_SYNC) {
        ts->syncs++;
    } else {
        ts->samples++;
    }
}

/* After loadvm or an incoming migration the guest's clock is stale. */
static void vmbus_timesync_vm_state(void *opaque, bool running,
                                    RunState state)
{
    VMBusTimesync *ts = opaque;

    if (running && ts->sync_pending && vmbus_ic_ready(VMBUS_IC(ts))) {
        vmbus_timesync_tick(ts);
    }
}

static int vmbus_timesync_post_load(void *opaque, int version_id)
{
    VMBusTimesync *ts = opaque;

    ts->sync_pending = true;
    return 0;
}

static void vmbus_timesync_vsp_realize(VMBusDevice *vdev, Error **errp)
{
    VMBusTimesync *ts = VMBUS_TIMESYNC(vdev);

    if (ts->interval_ms < 100) {
        error_setg(errp, "vmbus-timesync: interval must be at least 100 ms");
        return;
    }
    ts->timer = timer_new_ms(QEMU_CLOCK_VIRTUAL, vmbus_timesync_tick, ts);
    ts->vmstate_entry = qemu_add_vm_change_state_handler(
        vmbus_timesync_vm_state, ts);
}

static void vmbus_timesync_vsp_unrealize(VMBusDevice *vdev)
{
    VMBusTimesync *ts = VMBUS_TIMESYNC(vdev);

    qemu_del_vm_change_state_handler(ts->vmstate_entry);
    timer_free(ts->timer);
    ts->timer = NULL;
}

static void vmbus_timesync_instance_init(Object *obj)
{
    VMBusTimesync *ts = VMBUS_TIMESYNC(obj);

    object_property_add_uint32_ptr(obj, "syncs", &ts->syncs,
                                   OBJ_PROP_FLAG_READ);
    object_property_add_uint32_ptr(obj, "samples", &ts->samples,
                                   OBJ_PROP_FLAG_READ);
}

static const VMStateDescription vmstate_vmbus_timesync = {
    .name = TYPE_VMBUS_TIMESYNC,
    .version_id = 1,
    .minimum_version_id = 1,
    .post_load = vmbus_timesync_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_VMBUS_IC(parent_obj, VMBusTimesync),
        VMSTATE_UINT32(syncs, VMBusTimesync),
        VMSTATE_UINT32(samples, VMBusTimesync),
        VMSTATE_END_OF_LIST()
    },
};

static const Property vmbus_timesync_props[] = {
    DEFINE_PROP_UINT32("interval", VMBusTimesync, interval_ms, 5000),
};

static void vmbus_timesync_class_init(ObjectClass *oc, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(oc);
    VMBusDeviceClass *vdc = VMBUS_DEVICE_CLASS(oc);
    VMBusICClass *icc = VMBUS_IC_CLASS(oc);

    dc->desc = "Hyper-V time synchronization integration service";
    dc->vmsd = &vmstate_vmbus_timesync;
    set_bit(DEVICE_CATEGORY_MISC, dc->categories);
    device_class_set_props(dc, vmbus_timesync_props);
    vdc->interface_id = "9527e630-d0ae-497b-adce-e80ab0175caf";
    vdc->interface_name = "timesync";
    vdc->vsp_realize = vmbus_timesync_vsp_realize;
    vdc->vsp_unrealize = vmbus_timesync_vsp_unrealize;
    icc->versions[0] = IC_VERSION(4, 0);
    icc->versions[1] = IC_VERSION(3, 0);
    icc->versions[2] = IC_VERSION(1, 0);
    icc->ready = vmbus_timesync_ready;
    icc->closed = vmbus_timesync_closed;
    icc->response = vmbus_timesync_response;
}

static const TypeInfo vmbus_timesync_type = {
    .name = TYPE_VMBUS_TIMESYNC,
    .parent = TYPE_VMBUS_IC,
    .instance_size = sizeof(VMBusTimesync),
    .instance_init = vmbus_timesync_instance_init,
    .class_init = vmbus_timesync_class_init,
};

static void vmbus_timesync_register_types(void)
{
    type_register_static(&vmbus_timesync_type);
}

type_init(vmbus_timesync_register_types)
