/*
 * qemu-hvpart: "-device vmbus-mouse", the synthetic HID mouse.
 *
 * The guest (Linux hid-hyperv) asks for protocol 2.0; the host approves,
 * then sends the device info: HID attributes (Microsoft's vendor and
 * product ids, which hid-hyperv binds to), the HID descriptor and a report
 * descriptor of an absolute pointer with 3 buttons and a wheel. Once the
 * guest acks it, QEMU's absolute pointer input (a tablet: VNC, GTK,
 * input-send-event) becomes input reports, one per input sync. While the
 * guest is connected the device takes QEMU's pointer input ahead of an
 * emulated PS/2 mouse.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/bswap.h"
#include "qom/object.h"
#include "hw/qdev-properties.h"
#include "migration/vmstate.h"
#include "ui/console.h"
#include "ui/input.h"
#include "hw/vmbus/vmbus.h"
#include "hw/input-vsp/input-msg.h"
#include "trace.h"

#define TYPE_VMBUS_MOUSE "vmbus-mouse"
OBJECT_DECLARE_SIMPLE_TYPE(VMBusMouse, VMBUS_MOUSE)

typedef enum SynthhidState {
    SYNTHHID_CLOSED,
    SYNTHHID_INFO_SENT,                 /* waiting for the guest's ack */
    SYNTHHID_READY,                     /* reports flow */
} SynthhidState;

/* QEMU's buttons -> report bits (0 left, 1 right, 2 middle) */
#define SYNTHHID_BUTTON_LEFT    0x1
#define SYNTHHID_BUTTON_RIGHT   0x2
#define SYNTHHID_BUTTON_MIDDLE  0x4

struct VMBusMouse {
    VMBusDevice parent_obj;

    QemuInputHandlerState *hs;
    uint32_t state;                     /* SynthhidState */
    bool info_pending;                  /* device info waits for room */
    bool report_pending;                /* a report waits for room */
    uint64_t trans_id;

    /* pointer state, as the next report carries it */
    uint32_t buttons;
    uint16_t x, y;
    int32_t wheel;                      /* clicks since the last report */
    bool changed;

    /* statistics (read-only QOM properties) */
    uint64_t reports;
    uint64_t rejected;
};

static void synthhid_reject(VMBusMouse *m, const char *why)
{
    m->rejected++;
    trace_synthhid_rejected(why);
}

static int synthhid_send(VMBusMouse *m, SynthhidMsgType type,
                         const void *body, uint32_t body_len)
{
    g_autofree uint8_t *buf = g_malloc0(SYNTHHID_HEADERS_SIZE + body_len);
    SynthhidPipeHeader *pipe = (SynthhidPipeHeader *)buf;
    SynthhidMsgHeader *hdr = (SynthhidMsgHeader *)(pipe + 1);
    int ret;

    pipe->type = cpu_to_le32(SYNTHHID_PIPE_MSG_DATA);
    pipe->size = cpu_to_le32(sizeof(*hdr) + body_len);
    hdr->type = cpu_to_le32(type);
    hdr->size = cpu_to_le32(body_len);
    memcpy(hdr + 1, body, body_len);
    ret = vmbus_channel_send_inband(VMBUS_DEVICE(m)->channels[0],
                                    ++m->trans_id, false, buf,
                                    SYNTHHID_HEADERS_SIZE + body_len);
    if (ret < 0) {
        trace_synthhid_send_failed(type, ret);
    }
    return ret;
}

static void synthhid_send_info(VMBusMouse *m)
{
    uint8_t buf[sizeof(SynthhidDeviceInfo) + 128];
    SynthhidDeviceInfo *info = (SynthhidDeviceInfo *)buf;
    uint16_t rlen = synthhid_mouse_report_desc_len;

    assert(rlen <= sizeof(buf) - sizeof(*info));
    memset(buf, 0, sizeof(buf));
    info->attributes.size = cpu_to_le32(sizeof(info->attributes));
    info->attributes.vendor_id = cpu_to_le16(SYNTHHID_MOUSE_VENDOR);
    info->attributes.product_id = cpu_to_le16(SYNTHHID_MOUSE_PRODUCT);
    info->attributes.version = cpu_to_le16(1);
    info->hid_descriptor.length = sizeof(info->hid_descriptor);
    info->hid_descriptor.descriptor_type = 0x21;        /* HID */
    info->hid_descriptor.bcd_hid = cpu_to_le16(0x0111);
    info->hid_descriptor.num_descriptors = 1;
    info->hid_descriptor.report_type = 0x22;            /* report */
    info->hid_descriptor.report_length = cpu_to_le16(rlen);
    memcpy(info + 1, synthhid_mouse_report_desc, rlen);

    m->info_pending = synthhid_send(m, SYNTHHID_INITIAL_DEVICE_INFO, buf,
                                    sizeof(*info) + rlen) == -ENOSPC;
    if (!m->info_pending) {
        m->state = SYNTHHID_INFO_SENT;
    }
}

static void synthhid_send_report(VMBusMouse *m)
{
    uint8_t report[SYNTHHID_MOUSE_REPORT_SIZE];
    int ret;

    synthhid_mouse_report(report, m->buttons, m->x, m->y, m->wheel);
    ret = synthhid_send(m, SYNTHHID_INPUT_REPORT, report, sizeof(report));
    /* Full ring: the writable hook sends the state as it is then. */
    m->report_pending = ret == -ENOSPC;
    if (ret == 0) {
        trace_synthhid_report(m->buttons, m->x, m->y, m->wheel);
        m->reports++;
        m->wheel = 0;
        m->changed = false;
    }
}

static void synthhid_event(DeviceState *dev, QemuConsole *src,
                           InputEvent *evt)
{
    static const uint32_t button_bits[INPUT_BUTTON__MAX] = {
        [INPUT_BUTTON_LEFT] = SYNTHHID_BUTTON_LEFT,
        [INPUT_BUTTON_RIGHT] = SYNTHHID_BUTTON_RIGHT,
        [INPUT_BUTTON_MIDDLE] = SYNTHHID_BUTTON_MIDDLE,
    };
    VMBusMouse *m = VMBUS_MOUSE(dev);
    InputBtnEvent *btn;
    InputMoveEvent *move;
    int value;

    switch (evt->type) {
    case INPUT_EVENT_KIND_BTN:
        btn = evt->u.btn.data;
        if (btn->button == INPUT_BUTTON_WHEEL_UP && btn->down) {
            m->wheel++;
        } else if (btn->button == INPUT_BUTTON_WHEEL_DOWN && btn->down) {
            m->wheel--;
        } else if (btn->button < INPUT_BUTTON__MAX &&
                   button_bits[btn->button]) {
            if (btn->down) {
                m->buttons |= button_bits[btn->button];
            } else {
                m->buttons &= ~button_bits[btn->button];
            }
        } else {
            return;
        }
        m->changed = true;
        break;
    case INPUT_EVENT_KIND_ABS:
        move = evt->u.abs.data;
        value = qemu_input_scale_axis(move->value, INPUT_EVENT_ABS_MIN,
                                      INPUT_EVENT_ABS_MAX, 0,
                                      SYNTHHID_MOUSE_ABS_MAX);
        value = MAX(MIN(value, SYNTHHID_MOUSE_ABS_MAX), 0);
        if (move->axis == INPUT_AXIS_X) {
            m->x = value;
        } else if (move->axis == INPUT_AXIS_Y) {
            m->y = value;
        } else {
            return;
        }
        m->changed = true;
        break;
    default:
        break;
    }
}

static void synthhid_sync(DeviceState *dev)
{
    VMBusMouse *m = VMBUS_MOUSE(dev);

    if (m->state == SYNTHHID_READY && m->changed && !m->report_pending) {
        synthhid_send_report(m);
    }
}

static const QemuInputHandler synthhid_handler = {
    .name = "Hyper-V synthetic mouse",
    .mask = INPUT_EVENT_MASK_BTN | INPUT_EVENT_MASK_ABS,
    .event = synthhid_event,
    .sync = synthhid_sync,
};

static void synthhid_set_state(VMBusMouse *m, SynthhidState state)
{
    m->state = state;
    if (state == SYNTHHID_READY) {
        /* Take the pointer from an emulated PS/2 mouse. */
        qemu_input_handler_activate(m->hs);
    } else {
        qemu_input_handler_deactivate(m->hs);
        m->info_pending = false;
        m->report_pending = false;
        m->wheel = 0;
    }
}

/* Messages from the guest. False: the answer waits for ring space. */
static bool synthhid_packet(VMBusChannel *chan, const VMBusRingPacket *pkt,
                            const uint8_t *data, uint32_t len, void *opaque)
{
    VMBusMouse *m = opaque;
    SynthhidGuestMsg msg;
    const char *why;

    if (pkt->type == VMBUS_PKT_COMP) {
        return true;
    }
    if (pkt->type != VMBUS_PKT_INBAND) {
        synthhid_reject(m, "not an in-band packet");
        return true;
    }
    if (synthhid_msg_parse(data + pkt->data_offset, len - pkt->data_offset,
                           &msg, &why) < 0) {
        synthhid_reject(m, why);
        return true;
    }
    switch (msg.type) {
    case SYNTHHID_PROTOCOL_REQUEST: {
        bool ok = msg.version == SYNTHHID_VERSION_2_0;
        SynthhidProtocolResponse rsp = {
            .version = cpu_to_le32(msg.version),
            .approved = ok,
        };

        if (synthhid_send(m, SYNTHHID_PROTOCOL_RESPONSE, &rsp,
                          sizeof(rsp)) == -ENOSPC) {
            return false;
        }
        trace_synthhid_protocol(msg.version >> 16, msg.version & 0xffff, ok);
        synthhid_set_state(m, SYNTHHID_CLOSED);
        if (!ok) {
            synthhid_reject(m, "protocol version not supported");
            return true;
        }
        synthhid_send_info(m);
        return true;
    }
    case SYNTHHID_INITIAL_DEVICE_INFO_ACK:
        if (m->state != SYNTHHID_INFO_SENT) {
            synthhid_reject(m, "device info ack out of turn");
            return true;
        }
        trace_synthhid_ready();
        synthhid_set_state(m, SYNTHHID_READY);
        return true;
    default:
        g_assert_not_reached();         /* the parser rejects the rest */
    }
}

static void synthhid_notify(VMBusChannel *chan)
{
    VMBusMouse *m = VMBUS_MOUSE(vmbus_channel_device(chan));
    uint8_t buf[SYNTHHID_MAX_MSG + 64];

    vmbus_channel_recv(chan, buf, sizeof(buf), synthhid_packet, m);
}

static void synthhid_writable(VMBusChannel *chan)
{
    VMBusMouse *m = VMBUS_MOUSE(vmbus_channel_device(chan));

    if (m->info_pending) {
        synthhid_send_info(m);
    } else if (m->report_pending) {
        m->report_pending = false;
        synthhid_send_report(m);
    }
    synthhid_notify(chan);
}

static int synthhid_open(VMBusChannel *chan)
{
    trace_synthhid_open();
    synthhid_set_state(VMBUS_MOUSE(vmbus_channel_device(chan)),
                       SYNTHHID_CLOSED);
    return 0;
}

static void synthhid_close(VMBusChannel *chan)
{
    trace_synthhid_close();
    synthhid_set_state(VMBUS_MOUSE(vmbus_channel_device(chan)),
                       SYNTHHID_CLOSED);
}

static void synthhid_reset(VMBusDevice *vdev)
{
    VMBusMouse *m = VMBUS_MOUSE(vdev);

    synthhid_set_state(m, SYNTHHID_CLOSED);
    m->buttons = 0;
    m->changed = false;
}

static void synthhid_vsp_realize(VMBusDevice *vdev, Error **errp)
{
    VMBusMouse *m = VMBUS_MOUSE(vdev);

    m->hs = qemu_input_handler_register(DEVICE(vdev), &synthhid_handler);
    /* Registered last, it gets no input until the guest is ready. */
    qemu_input_handler_deactivate(m->hs);
}

static void synthhid_vsp_unrealize(VMBusDevice *vdev)
{
    VMBusMouse *m = VMBUS_MOUSE(vdev);

    qemu_input_handler_unregister(m->hs);
    m->hs = NULL;
}

static bool synthhid_get_ready(Object *obj, Error **errp)
{
    return VMBUS_MOUSE(obj)->state == SYNTHHID_READY;
}

static void synthhid_instance_init(Object *obj)
{
    VMBusMouse *m = VMBUS_MOUSE(obj);

    object_property_add_uint64_ptr(obj, "reports", &m->reports,
                                   OBJ_PROP_FLAG_READ);
    object_property_add_uint64_ptr(obj, "rejected", &m->rejected,
                                   OBJ_PROP_FLAG_READ);
    object_property_add_bool(obj, "connected", synthhid_get_ready, NULL);
}

static int synthhid_post_load(void *opaque, int version_id)
{
    VMBusMouse *m = opaque;

    if (m->state > SYNTHHID_READY || m->x > SYNTHHID_MOUSE_ABS_MAX ||
        m->y > SYNTHHID_MOUSE_ABS_MAX) {
        return -EINVAL;
    }
    synthhid_set_state(m, m->state);
    return 0;
}

static const VMStateDescription vmstate_synthhid = {
    .name = TYPE_VMBUS_MOUSE,
    .version_id = 1,
    .minimum_version_id = 1,
    .post_load = synthhid_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32(state, VMBusMouse),
        VMSTATE_UINT32(buttons, VMBusMouse),
        VMSTATE_UINT16(x, VMBusMouse),
        VMSTATE_UINT16(y, VMBusMouse),
        VMSTATE_UINT64(trans_id, VMBusMouse),
        VMSTATE_END_OF_LIST()
    },
};

static void synthhid_class_init(ObjectClass *oc, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(oc);
    VMBusDeviceClass *vdc = VMBUS_DEVICE_CLASS(oc);

    dc->desc = "Hyper-V synthetic mouse (HID, absolute)";
    dc->vmsd = &vmstate_synthhid;
    set_bit(DEVICE_CATEGORY_INPUT, dc->categories);
    vdc->interface_id = SYNTHHID_INTERFACE_ID;
    vdc->interface_name = "mouse";
    vdc->vsp_realize = synthhid_vsp_realize;
    vdc->vsp_unrealize = synthhid_vsp_unrealize;
    vdc->open = synthhid_open;
    vdc->close = synthhid_close;
    vdc->notify = synthhid_notify;
    vdc->writable = synthhid_writable;
    vdc->reset = synthhid_reset;
    input_proto_check_sizes();
}

static const TypeInfo synthhid_type = {
    .name = TYPE_VMBUS_MOUSE,
    .parent = TYPE_VMBUS_DEVICE,
    .instance_size = sizeof(VMBusMouse),
    .instance_init = synthhid_instance_init,
    .class_init = synthhid_class_init,
};

static void synthhid_register_types(void)
{
    type_register_static(&synthhid_type);
}

type_init(synthhid_register_types)
