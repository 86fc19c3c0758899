/*
 * qemu-hvpart: "-device vmbus-keyboard", the synthetic keyboard.
 *
 * The guest (Linux hyperv-keyboard, a serio port that atkbd drives as a
 * translated AT keyboard) asks for protocol 1.0. From then on every QEMU
 * key event becomes its set-1 scan codes, one message each, with the E0/E1
 * prefixes and the break bit as flags. While the guest is connected the
 * device takes QEMU's keyboard input ahead of an emulated PS/2 keyboard.
 * A guest that reports its LEDs (Windows does) has them passed to QEMU's
 * displays.
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

#define TYPE_VMBUS_KEYBOARD "vmbus-keyboard"
OBJECT_DECLARE_SIMPLE_TYPE(VMBusKeyboard, VMBUS_KEYBOARD)

/* Strokes kept while the guest does not read its ring; more are dropped. */
#define SYNTHKBD_QUEUE_LEN      256

struct VMBusKeyboard {
    VMBusDevice parent_obj;

    QemuInputHandlerState *hs;
    bool connected;                     /* protocol agreed */
    uint16_t led_flags;
    uint64_t trans_id;

    SynthkbdStroke queue[SYNTHKBD_QUEUE_LEN];
    uint32_t queue_head;
    uint32_t queue_count;

    /* statistics (read-only QOM properties) */
    uint64_t strokes;                   /* sent to the guest */
    uint64_t dropped;                   /* queue overflow, or not connected */
    uint64_t rejected;                  /* rejected guest messages */
};

static void synthkbd_reject(VMBusKeyboard *kbd, const char *why)
{
    kbd->rejected++;
    trace_synthkbd_rejected(why);
}

static int synthkbd_send(VMBusKeyboard *kbd, const void *msg, uint32_t len)
{
    return vmbus_channel_send_inband(VMBUS_DEVICE(kbd)->channels[0],
                                     ++kbd->trans_id, false, msg, len);
}

static void synthkbd_flush(VMBusKeyboard *kbd)
{
    while (kbd->queue_count) {
        const SynthkbdStroke *st = &kbd->queue[kbd->queue_head];
        SynthkbdKeystroke msg = {
            .type = cpu_to_le32(SYNTHKBD_EVENT),
            .make_code = cpu_to_le16(st->make_code),
            .info = cpu_to_le32(st->info),
        };
        int ret = synthkbd_send(kbd, &msg, sizeof(msg));

        if (ret == -ENOSPC) {
            return;                     /* the writable hook comes back */
        }
        if (ret == 0) {
            trace_synthkbd_stroke(st->make_code, st->info);
            kbd->strokes++;
        }
        kbd->queue_head = (kbd->queue_head + 1) % SYNTHKBD_QUEUE_LEN;
        kbd->queue_count--;
    }
}

static void synthkbd_event(DeviceState *dev, QemuConsole *src,
                           InputEvent *evt)
{
    VMBusKeyboard *kbd = VMBUS_KEYBOARD(dev);
    InputKeyEvent *key = evt->u.key.data;
    SynthkbdStroke strokes[SYNTHKBD_MAX_STROKES];
    int codes[SYNTHKBD_MAX_STROKES * 2];
    int ncodes, n, i;

    assert(evt->type == INPUT_EVENT_KIND_KEY);
    ncodes = qemu_input_key_value_to_scancode(key->key, key->down, codes);
    n = synthkbd_codes_to_strokes(codes, ncodes, strokes);
    for (i = 0; i < n; i++) {
        if (!kbd->connected || kbd->queue_count == SYNTHKBD_QUEUE_LEN) {
            kbd->dropped++;
            trace_synthkbd_dropped(strokes[i].make_code, kbd->connected);
            continue;
        }
        kbd->queue[(kbd->queue_head + kbd->queue_count) %
                   SYNTHKBD_QUEUE_LEN] = strokes[i];
        kbd->queue_count++;
    }
    synthkbd_flush(kbd);
}

static const QemuInputHandler synthkbd_handler = {
    .name = "Hyper-V synthetic keyboard",
    .mask = INPUT_EVENT_MASK_KEY,
    .event = synthkbd_event,
};

static void synthkbd_set_connected(VMBusKeyboard *kbd, bool connected)
{
    kbd->connected = connected;
    if (connected) {
        /* Take the keys from an emulated PS/2 keyboard. */
        qemu_input_handler_activate(kbd->hs);
    } else {
        qemu_input_handler_deactivate(kbd->hs);
        kbd->queue_count = 0;
    }
}

/* Messages from the guest. False: the answer waits for ring space. */
static bool synthkbd_packet(VMBusChannel *chan, const VMBusRingPacket *pkt,
                            const uint8_t *data, uint32_t len, void *opaque)
{
    VMBusKeyboard *kbd = opaque;
    SynthkbdGuestMsg msg;
    const char *why;

    if (pkt->type == VMBUS_PKT_COMP) {
        return true;
    }
    if (pkt->type != VMBUS_PKT_INBAND) {
        synthkbd_reject(kbd, "not an in-band packet");
        return true;
    }
    if (synthkbd_msg_parse(data + pkt->data_offset, len - pkt->data_offset,
                           &msg, &why) < 0) {
        synthkbd_reject(kbd, why);
        return true;
    }
    switch (msg.type) {
    case SYNTHKBD_PROTOCOL_REQUEST: {
        bool ok = msg.version == SYNTHKBD_VERSION_1_0;
        SynthkbdProtocolResponse rsp = {
            .type = cpu_to_le32(SYNTHKBD_PROTOCOL_RESPONSE),
            .status = cpu_to_le32(ok ? SYNTHKBD_PROTOCOL_ACCEPTED : 0),
        };

        if (synthkbd_send(kbd, &rsp, sizeof(rsp)) == -ENOSPC) {
            return false;
        }
        trace_synthkbd_protocol(msg.version >> 16, msg.version & 0xffff, ok);
        if (!ok) {
            synthkbd_reject(kbd, "protocol version not supported");
        }
        synthkbd_set_connected(kbd, ok);
        return true;
    }
    case SYNTHKBD_LED_INDICATORS: {
        int ledstate = 0;

        if (!kbd->connected) {
            synthkbd_reject(kbd, "LED indicators before the protocol");
            return true;
        }
        trace_synthkbd_leds(msg.led_flags);
        kbd->led_flags = msg.led_flags;
        if (msg.led_flags & SYNTHKBD_LED_SCROLL_LOCK) {
            ledstate |= QEMU_SCROLL_LOCK_LED;
        }
        if (msg.led_flags & SYNTHKBD_LED_NUM_LOCK) {
            ledstate |= QEMU_NUM_LOCK_LED;
        }
        if (msg.led_flags & SYNTHKBD_LED_CAPS_LOCK) {
            ledstate |= QEMU_CAPS_LOCK_LED;
        }
        kbd_put_ledstate(ledstate);
        return true;
    }
    default:
        g_assert_not_reached();         /* the parser rejects the rest */
    }
}

static void synthkbd_notify(VMBusChannel *chan)
{
    VMBusKeyboard *kbd = VMBUS_KEYBOARD(vmbus_channel_device(chan));
    uint8_t buf[SYNTHKBD_MAX_MSG + 64];

    vmbus_channel_recv(chan, buf, sizeof(buf), synthkbd_packet, kbd);
}

static void synthkbd_writable(VMBusChannel *chan)
{
    VMBusKeyboard *kbd = VMBUS_KEYBOARD(vmbus_channel_device(chan));

    synthkbd_flush(kbd);
    synthkbd_notify(chan);
}

static int synthkbd_open(VMBusChannel *chan)
{
    VMBusKeyboard *kbd = VMBUS_KEYBOARD(vmbus_channel_device(chan));

    trace_synthkbd_open();
    synthkbd_set_connected(kbd, false);
    return 0;
}

static void synthkbd_close(VMBusChannel *chan)
{
    VMBusKeyboard *kbd = VMBUS_KEYBOARD(vmbus_channel_device(chan));

    trace_synthkbd_close();
    synthkbd_set_connected(kbd, false);
}

static void synthkbd_reset(VMBusDevice *vdev)
{
    synthkbd_set_connected(VMBUS_KEYBOARD(vdev), false);
}

static void synthkbd_vsp_realize(VMBusDevice *vdev, Error **errp)
{
    VMBusKeyboard *kbd = VMBUS_KEYBOARD(vdev);

    kbd->hs = qemu_input_handler_register(DEVICE(vdev), &synthkbd_handler);
    /* Registered last, it gets no keys until the guest connects. */
    qemu_input_handler_deactivate(kbd->hs);
}

static void synthkbd_vsp_unrealize(VMBusDevice *vdev)
{
    VMBusKeyboard *kbd = VMBUS_KEYBOARD(vdev);

    qemu_input_handler_unregister(kbd->hs);
    kbd->hs = NULL;
}

static bool synthkbd_get_connected(Object *obj, Error **errp)
{
    return VMBUS_KEYBOARD(obj)->connected;
}

static void synthkbd_instance_init(Object *obj)
{
    VMBusKeyboard *kbd = VMBUS_KEYBOARD(obj);

    object_property_add_uint64_ptr(obj, "strokes", &kbd->strokes,
                                   OBJ_PROP_FLAG_READ);
    object_property_add_uint64_ptr(obj, "dropped", &kbd->dropped,
                                   OBJ_PROP_FLAG_READ);
    object_property_add_uint64_ptr(obj, "rejected", &kbd->rejected,
                                   OBJ_PROP_FLAG_READ);
    object_property_add_bool(obj, "connected", synthkbd_get_connected, NULL);
}

static int synthkbd_post_load(void *opaque, int version_id)
{
    VMBusKeyboard *kbd = opaque;

    synthkbd_set_connected(kbd, kbd->connected);
    return 0;
}

static const VMStateDescription vmstate_synthkbd = {
    .name = TYPE_VMBUS_KEYBOARD,
    .version_id = 1,
    .minimum_version_id = 1,
    .post_load = synthkbd_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_BOOL(connected, VMBusKeyboard),
        VMSTATE_UINT16(led_flags, VMBusKeyboard),
        VMSTATE_UINT64(trans_id, VMBusKeyboard),
        VMSTATE_END_OF_LIST()
    },
};

static void synthkbd_class_init(ObjectClass *oc, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(oc);
    VMBusDeviceClass *vdc = VMBUS_DEVICE_CLASS(oc);

    dc->desc = "Hyper-V synthetic keyboard";
    dc->vmsd = &vmstate_synthkbd;
    set_bit(DEVICE_CATEGORY_INPUT, dc->categories);
    vdc->interface_id = SYNTHKBD_INTERFACE_ID;
    vdc->interface_name = "keyboard";
    vdc->vsp_realize = synthkbd_vsp_realize;
    vdc->vsp_unrealize = synthkbd_vsp_unrealize;
    vdc->open = synthkbd_open;
    vdc->close = synthkbd_close;
    vdc->notify = synthkbd_notify;
    vdc->writable = synthkbd_writable;
    vdc->reset = synthkbd_reset;
    input_proto_check_sizes();
}

static const TypeInfo synthkbd_type = {
    .name = TYPE_VMBUS_KEYBOARD,
    .parent = TYPE_VMBUS_DEVICE,
    .instance_size = sizeof(VMBusKeyboard),
    .instance_init = synthkbd_instance_init,
    .class_init = synthkbd_class_init,
};

static void synthkbd_register_types(void)
{
    type_register_static(&synthkbd_type);
}

type_init(synthkbd_register_types)
