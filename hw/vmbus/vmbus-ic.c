/*
 * qemu-hvpart: the integration service (IC) framework.
 *
 * On open, the host sends NEGOTIATE with the framework versions (3.0, 1.0)
 * and the service's versions; the guest answers with one of each, or none.
 * Afterwards the host sends requests carrying the agreed versions, and the
 * guest echoes each request with the response flag and a status.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "migration/vmstate.h"
#include "hw/vmbus/ic.h"
#include "trace.h"

bool vmbus_ic_ready(VMBusIC *ic)
{
    return ic->state == VMBUS_IC_READY;
}

static int vmbus_ic_send(VMBusIC *ic, uint16_t msgtype, const void *body,
                         uint32_t len)
{
    VMBusDevice *vdev = VMBUS_DEVICE(ic);
    ICPipeHeader pipe = { 0 };
    ICMsgHeader hdr = { 0 };
    uint32_t fw, srv;
    struct iovec iov[3];
    int ret;

    if (msgtype == IC_MSGTYPE_NEGOTIATE) {
        fw = IC_FRAMEWORK_1_0;
        srv = IC_FRAMEWORK_1_0;
    } else {
        fw = ic->framework_version;
        srv = ic->service_version;
    }
    pipe.flags = cpu_to_le32(1);
    pipe.msgsize = cpu_to_le32(sizeof(hdr) + len);
    hdr.icverframe.major = cpu_to_le16(IC_VERSION_MAJOR(fw));
    hdr.icverframe.minor = cpu_to_le16(IC_VERSION_MINOR(fw));
    hdr.icmsgtype = cpu_to_le16(msgtype);
    hdr.icvermsg.major = cpu_to_le16(IC_VERSION_MAJOR(srv));
    hdr.icvermsg.minor = cpu_to_le16(IC_VERSION_MINOR(srv));
    hdr.icmsgsize = cpu_to_le16(len);
    hdr.ictransaction_id = ++ic->transaction_id;
    hdr.icflags = IC_FLAG_TRANSACTION | IC_FLAG_REQUEST;
    iov[0] = (struct iovec) { &pipe, sizeof(pipe) };
    iov[1] = (struct iovec) { &hdr, sizeof(hdr) };
    iov[2] = (struct iovec) { (void *)body, len };
    ret = vmbus_channel_send(vdev->channels[0], VMBUS_PKT_INBAND, 0,
                             ++ic->packet_id, NULL, 0, iov, 3);
    trace_vmbus_ic_send(object_get_typename(OBJECT(ic)), msgtype, len, ret);
    return ret;
}

int vmbus_ic_send_request(VMBusIC *ic, uint16_t msgtype, const void *body,
                          uint32_t len)
{
    int ret;

    if (ic->state != VMBUS_IC_READY || len > VMBUS_IC_MAX_MSG) {
        return -EPIPE;
    }
    if (ic->request_queued) {
        return -EBUSY;
    }
    ret = vmbus_ic_send(ic, msgtype, body, len);
    if (ret == -ENOSPC) {
        /* Sent from the writable hook once the guest made room. */
        ic->request_queued = true;
        ic->queued_msgtype = msgtype;
        ic->queued_len = len;
        memcpy(ic->queued_body, body, len);
        return 0;
    }
    return ret;
}

static void vmbus_ic_negotiate(VMBusIC *ic)
{
    VMBusICClass *icc = VMBUS_IC_GET_CLASS(ic);
    uint8_t buf[sizeof(ICNegotiate) +
                (IC_MSG_FRAMEWORK_VERSIONS + VMBUS_IC_MAX_VERSIONS) *
                sizeof(ICVersion)];
    ICNegotiate *neg = (ICNegotiate *)buf;
    int nfw = IC_MSG_FRAMEWORK_VERSIONS, nsrv = 0, i;

    memset(buf, 0, sizeof(buf));
    for (i = 0; i < nfw; i++) {
        neg->versions[i].major = cpu_to_le16(
            IC_VERSION_MAJOR(ic_msg_framework_versions[i]));
        neg->versions[i].minor = cpu_to_le16(
            IC_VERSION_MINOR(ic_msg_framework_versions[i]));
    }
    while (nsrv < VMBUS_IC_MAX_VERSIONS && icc->versions[nsrv]) {
        neg->versions[nfw + nsrv].major =
            cpu_to_le16(IC_VERSION_MAJOR(icc->versions[nsrv]));
        neg->versions[nfw + nsrv].minor =
            cpu_to_le16(IC_VERSION_MINOR(icc->versions[nsrv]));
        nsrv++;
    }
    neg->icframe_vercnt = cpu_to_le16(nfw);
    neg->icmsg_vercnt = cpu_to_le16(nsrv);
    ic->state = VMBUS_IC_NEGOTIATING;
    vmbus_ic_send(ic, IC_MSGTYPE_NEGOTIATE, buf,
                  sizeof(ICNegotiate) + (nfw + nsrv) * sizeof(ICVersion));
}

static void vmbus_ic_negotiated(VMBusIC *ic, const ICGuestMsg *msg)
{
    VMBusICClass *icc = VMBUS_IC_GET_CLASS(ic);
    const char *why = NULL;
    uint32_t fw, srv;

    if (ic->state != VMBUS_IC_NEGOTIATING) {
        trace_vmbus_ic_bad(object_get_typename(OBJECT(ic)),
                           "negotiate response out of turn");
        return;
    }
    if (ic_msg_negotiate(msg, icc->versions, VMBUS_IC_MAX_VERSIONS, &fw, &srv,
                         &why) < 0) {
        trace_vmbus_ic_bad(object_get_typename(OBJECT(ic)), why);
        ic->state = VMBUS_IC_CLOSED;
        return;
    }
    ic->framework_version = fw;
    ic->service_version = srv;
    ic->state = VMBUS_IC_READY;
    trace_vmbus_ic_ready(object_get_typename(OBJECT(ic)),
                         IC_VERSION_MAJOR(fw), IC_VERSION_MINOR(fw),
                         IC_VERSION_MAJOR(srv), IC_VERSION_MINOR(srv));
    if (icc->ready) {
        icc->ready(ic);
    }
}

static bool vmbus_ic_packet(VMBusChannel *chan, const VMBusRingPacket *pkt,
                            const uint8_t *data, uint32_t len, void *opaque)
{
    VMBusIC *ic = opaque;
    VMBusICClass *icc = VMBUS_IC_GET_CLASS(ic);
    const char *why = NULL;
    ICGuestMsg msg;

    if (pkt->type != VMBUS_PKT_INBAND || pkt->data_offset > len) {
        trace_vmbus_ic_bad(object_get_typename(OBJECT(ic)),
                           "short or non-inband packet");
        return true;
    }
    if (ic_msg_parse(data + pkt->data_offset, len - pkt->data_offset, &msg,
                     &why) < 0) {
        trace_vmbus_ic_bad(object_get_typename(OBJECT(ic)), why);
        return true;
    }
    if (msg.msgtype == IC_MSGTYPE_NEGOTIATE) {
        vmbus_ic_negotiated(ic, &msg);
    } else if (ic->state == VMBUS_IC_READY && icc->response) {
        icc->response(ic, &msg);
    }
    return true;
}

static void vmbus_ic_notify(VMBusChannel *chan)
{
    VMBusIC *ic = VMBUS_IC(vmbus_channel_device(chan));
    g_autofree uint8_t *buf = g_malloc(VMBUS_IC_MAX_MSG * 2);

    vmbus_channel_recv(chan, buf, VMBUS_IC_MAX_MSG * 2, vmbus_ic_packet, ic);
}

static void vmbus_ic_writable(VMBusChannel *chan)
{
    VMBusIC *ic = VMBUS_IC(vmbus_channel_device(chan));

    if (ic->request_queued) {
        ic->request_queued = false;
        vmbus_ic_send_request(ic, ic->queued_msgtype, ic->queued_body,
                              ic->queued_len);
    }
}

static int vmbus_ic_open(VMBusChannel *chan)
{
    VMBusIC *ic = VMBUS_IC(vmbus_channel_device(chan));

    if (vmbus_channel_index(chan) != 0) {
        return -EINVAL;
    }
    ic->request_queued = false;
    vmbus_ic_negotiate(ic);
    return 0;
}

static void vmbus_ic_close(VMBusChannel *chan)
{
    VMBusIC *ic = VMBUS_IC(vmbus_channel_device(chan));
    VMBusICClass *icc = VMBUS_IC_GET_CLASS(ic);

    ic->state = VMBUS_IC_CLOSED;
    ic->request_queued = false;
    if (icc->closed) {
        icc->closed(ic);
    }
}

static void vmbus_ic_reset(VMBusDevice *vdev)
{
    VMBusIC *ic = VMBUS_IC(vdev);

    ic->state = VMBUS_IC_CLOSED;
    ic->request_queued = false;
    ic->transaction_id = 0;
}

static bool vmbus_ic_queued_needed(void *opaque)
{
    return ((VMBusIC *)opaque)->request_queued;
}

static int vmbus_ic_post_load(void *opaque, int version_id)
{
    VMBusIC *ic = opaque;

    if (ic->state > VMBUS_IC_READY || ic->queued_len > VMBUS_IC_MAX_MSG) {
        return -EINVAL;
    }
    return 0;
}

static const VMStateDescription vmstate_vmbus_ic_queued = {
    .name = "hvpart-vmbus-ic/queued",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = vmbus_ic_queued_needed,
    .fields = (const VMStateField[]) {
        VMSTATE_BOOL(request_queued, VMBusIC),
        VMSTATE_UINT16(queued_msgtype, VMBusIC),
        VMSTATE_UINT32(queued_len, VMBusIC),
        VMSTATE_BUFFER(queued_body, VMBusIC),
        VMSTATE_END_OF_LIST()
    },
};

const VMStateDescription vmstate_vmbus_ic = {
    .name = "hvpart-vmbus-ic",
    .version_id = 1,
    .minimum_version_id = 1,
    .post_load = vmbus_ic_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32(state, VMBusIC),
        VMSTATE_UINT32(framework_version, VMBusIC),
        VMSTATE_UINT32(service_version, VMBusIC),
        VMSTATE_UINT8(transaction_id, VMBusIC),
        VMSTATE_UINT64(packet_id, VMBusIC),
        VMSTATE_END_OF_LIST()
    },
    .subsections = (const VMStateDescription * const []) {
        &vmstate_vmbus_ic_queued,
        NULL
    },
};

static void vmbus_ic_class_init(ObjectClass *oc, void *data)
{
    VMBusDeviceClass *vdc = VMBUS_DEVICE_CLASS(oc);

    vdc->open = vmbus_ic_open;
    vdc->close = vmbus_ic_close;
    vdc->notify = vmbus_ic_notify;
    vdc->writable = vmbus_ic_writable;
    vdc->reset = vmbus_ic_reset;
    ic_proto_check_sizes();
}

static const TypeInfo vmbus_ic_type = {
    .name = TYPE_VMBUS_IC,
    .parent = TYPE_VMBUS_DEVICE,
    .instance_size = sizeof(VMBusIC),
    .class_size = sizeof(VMBusICClass),
    .class_init = vmbus_ic_class_init,
    .abstract = true,
};

static void vmbus_ic_register_types(void)
{
    type_register_static(&vmbus_ic_type);
}

type_init(vmbus_ic_register_types)
