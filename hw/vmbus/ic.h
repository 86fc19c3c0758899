/*
 * qemu-hvpart: the integration service (IC) base class.
 *
 * It runs the IC message framework over the device's channel: the version
 * negotiation when the guest opens the channel, numbered requests, and the
 * guest's responses checked before a subclass sees them.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_VMBUS_IC_H
#define HW_VMBUS_IC_H

#include "hw/vmbus/vmbus.h"
#include "hw/vmbus/ic-msg.h"

#define TYPE_VMBUS_IC "hvpart-vmbus-ic"
OBJECT_DECLARE_TYPE(VMBusIC, VMBusICClass, VMBUS_IC)

#define VMBUS_IC_MAX_VERSIONS   8
/* The largest IC message body (KVP: struct hv_kvp_msg, 7430 bytes). */
#define VMBUS_IC_MAX_MSG        8192

typedef enum VMBusICState {
    VMBUS_IC_CLOSED,
    VMBUS_IC_NEGOTIATING,
    VMBUS_IC_READY,
} VMBusICState;

struct VMBusICClass {
    VMBusDeviceClass parent_class;

    /* Service versions the host offers, newest first. */
    uint32_t versions[VMBUS_IC_MAX_VERSIONS];
    /* The channel is open and a version agreed: requests may flow. */
    void (*ready)(VMBusIC *ic);
    /* The channel closed. */
    void (*closed)(VMBusIC *ic);
    /*
     * The guest's response to a request (any type but NEGOTIATE), its IC
     * headers checked by ic_msg_parse(); the body is the service's to
     * check, with its ic_msg_*() function.
     */
    void (*response)(VMBusIC *ic, const ICGuestMsg *msg);
};

struct VMBusIC {
    VMBusDevice parent_obj;

    uint32_t state;                     /* VMBusICState */
    uint32_t framework_version;
    uint32_t service_version;
    uint8_t transaction_id;
    uint64_t packet_id;
    /* a request waiting for room in the ring */
    bool request_queued;
    uint16_t queued_msgtype;
    uint32_t queued_len;
    uint8_t queued_body[VMBUS_IC_MAX_MSG];
};

/*
 * Send a request with @body of @len bytes. Only one request can wait for
 * ring space; returns 0, or -EBUSY/-EPIPE.
 */
int vmbus_ic_send_request(VMBusIC *ic, uint16_t msgtype, const void *body,
                          uint32_t len);
bool vmbus_ic_ready(VMBusIC *ic);

extern const VMStateDescription vmstate_vmbus_ic;
#define VMSTATE_VMBUS_IC(_field, _state)                                 \
    VMSTATE_STRUCT(_field, _state, 1, vmstate_vmbus_ic, VMBusIC)

#endif
