/*
 * qemu-hvpart: the VMBus server: channel management messages.
 *
 * The guest posts channel messages (InitiateContact, RequestOffers, GPADLs,
 * OpenChannel, ...) with HvPostMessage to connection id 1 or 4; replies go to
 * the SINT and VP the guest named in InitiateContact. Every message from the
 * guest is checked against the message table (size, direction) before it is
 * looked at, and every id it carries is looked up before use. The guest
 * waits without a timeout for several replies (VersionResponse,
 * GpadlCreated, OpenResult, GpadlTorndown, UnloadResponse), so those are
 * always sent, with a failure status when the request was bad.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/bitmap.h"
#include "qemu/bswap.h"
#include "qemu/error-report.h"
#include "qemu/main-loop.h"
#include "migration/vmstate.h"
#include "system/runstate.h"
#include "accel/hvpart/hvpart.h"
#include "hw/synic/synic.h"
#include "hw/vmbus/vmbus-internal.h"
#include "hw/vmbus/vmbus-msg.h"
#include "trace.h"

/* The message type of VMBus channel messages in SynIC messages. */
#define VMBUS_SYNIC_MESSAGE_TYPE    1

/* Newest first: the guest tries them in this order too. */
static const uint32_t vmbus_versions[] = {
    VMBUS_VERSION_5_3, VMBUS_VERSION_5_2, VMBUS_VERSION_5_1,
    VMBUS_VERSION_5_0, VMBUS_VERSION_4_1, VMBUS_VERSION_4_0,
    VMBUS_VERSION_3_0, VMBUS_VERSION_2_4,
};

static uint32_t vmbus_negotiated_version;

uint32_t vmbus_version(void)
{
    return vmbus_negotiated_version;
}

void vmbus_server_post(VMBusBridge *br, const void *msg, uint32_t len)
{
    const VMBusMsgHeader *hdr = msg;
    int ret;

    assert(len <= VMBUS_MSG_MAX);
    trace_vmbus_msg_send(vmbus_msg_name(le32_to_cpu(hdr->msgtype)),
                         br->target_vp);
    ret = hv_synic_post_message(br->target_vp, br->msg_sint,
                                VMBUS_SYNIC_MESSAGE_TYPE, msg, len);
    if (ret < 0) {
        /* Only a guest that stopped reading messages gets here. */
        error_report_once("hvpart vmbus: cannot queue %s to VP %u: %s",
                          vmbus_msg_name(le32_to_cpu(hdr->msgtype)),
                          br->target_vp, strerror(-ret));
    }
}

static void vmbus_fill_guid(VMBusGuid *g, const QemuUUID *uuid)
{
    /* Windows GUID layout: the first three fields little-endian. */
    QemuUUID le = qemu_uuid_bswap(*uuid);

    memcpy(g, &le, sizeof(*g));
}

static void vmbus_send_offer(VMBusBridge *br, VMBusChannel *chan)
{
    VMBusDeviceClass *vdc = VMBUS_DEVICE_GET_CLASS(chan->dev);
    VMBusMsgOfferChannel offer = { 0 };
    QemuUUID type_id;

    if (qemu_uuid_parse(vdc->interface_id, &type_id) < 0) {
        g_assert_not_reached();
    }
    offer.header.msgtype = cpu_to_le32(VMBUS_MSGTYPE_OFFER_CHANNEL);
    vmbus_fill_guid(&offer.if_type, &type_id);
    vmbus_fill_guid(&offer.if_instance, &chan->dev->instance_id);
    offer.chn_flags = cpu_to_le16(vdc->offer_flags);
    offer.mmio_megabytes = cpu_to_le16(chan->dev->mmio_megabytes ?
                                       chan->dev->mmio_megabytes :
                                       vdc->mmio_megabytes);
    offer.sub_channel_index = cpu_to_le16(chan->index);
    offer.child_relid = cpu_to_le32(chan->relid);
    /* No monitor pages: the guest signals with HvSignalEvent. */
    offer.monitor_id = 0;
    offer.monitor_flags = 0;
    offer.interrupt_flags = 0;
    offer.connection_id = cpu_to_le32(VMBUS_CHANNEL_CONN_ID_BASE +
                                      chan->relid);
    chan->state = VMBUS_CHANNEL_OFFERED;
    trace_vmbus_offer(object_get_typename(OBJECT(chan->dev)), chan->index,
                      chan->relid);
    vmbus_server_post(br, &offer, sizeof(offer));
}

void vmbus_server_offer(VMBusBridge *br, VMBusChannel *chan)
{
    if (chan->state != VMBUS_CHANNEL_UNOFFERED) {
        return;
    }
    if (br->state == VMBUS_OFFERS_REQUESTED) {
        vmbus_send_offer(br, chan);
    }
    /* Otherwise it goes out with the others on RequestOffers. */
}

void vmbus_server_rescind(VMBusBridge *br, VMBusChannel *chan)
{
    VMBusMsgRescindChannelOffer msg = { 0 };

    if (chan->state == VMBUS_CHANNEL_UNOFFERED ||
        chan->state == VMBUS_CHANNEL_RESCINDED) {
        return;
    }
    if (br->state != VMBUS_OFFERS_REQUESTED) {
        /* The guest never saw it. */
        vmbus_channel_close(chan);
        chan->state = VMBUS_CHANNEL_UNOFFERED;
        return;
    }
    msg.header.msgtype = cpu_to_le32(VMBUS_MSGTYPE_RESCIND_CHANNEL_OFFER);
    msg.child_relid = cpu_to_le32(chan->relid);
    chan->state = VMBUS_CHANNEL_RESCINDED;
    trace_vmbus_rescind(chan->relid);
    vmbus_server_post(br, &msg, sizeof(msg));
}

/* GPADLs */

static VMBusGpadlEntry *vmbus_gpadl_find(VMBusBridge *br, uint32_t id)
{
    VMBusGpadlEntry *ge;

    QTAILQ_FOREACH(ge, &br->gpadls, link) {
        if (ge->gpadl->id == id) {
            return ge;
        }
    }
    return NULL;
}

static void vmbus_gpadl_release(VMBusBridge *br, VMBusGpadlEntry *ge)
{
    QTAILQ_REMOVE(&br->gpadls, ge, link);
    br->gpadl_pages -= ge->gpadl->npages;
    hv_pool_release(ge->pool_vp, ge->pool_pages);
    vmbus_gpadl_free(ge->gpadl);
    g_free(ge);
}

static void vmbus_send_gpadl_torndown(VMBusBridge *br, uint32_t id)
{
    VMBusMsgGpadlTorndown reply = { 0 };

    reply.header.msgtype = cpu_to_le32(VMBUS_MSGTYPE_GPADL_TORNDOWN);
    reply.gpadl_id = cpu_to_le32(id);
    vmbus_server_post(br, &reply, sizeof(reply));
}

void vmbus_server_gpadl_put(VMBusBridge *br, VMBusGpadlEntry *ge)
{
    assert(ge->users > 0);
    if (--ge->users == 0 && ge->torn_down) {
        /* The last user let go: now the guest may have its pages back. */
        uint32_t id = ge->gpadl->id;

        vmbus_gpadl_release(br, ge);
        vmbus_send_gpadl_torndown(br, id);
    }
}

static void vmbus_send_gpadl_created(VMBusBridge *br, uint32_t relid,
                                     uint32_t id, uint32_t status)
{
    VMBusMsgGpadlCreated msg = { 0 };

    msg.header.msgtype = cpu_to_le32(VMBUS_MSGTYPE_GPADL_CREATED);
    msg.child_relid = cpu_to_le32(relid);
    msg.gpadl_id = cpu_to_le32(id);
    msg.creation_status = cpu_to_le32(status);
    vmbus_server_post(br, &msg, sizeof(msg));
}

/* The pool pages charged for a GPADL under construction, handed over. */
static VMBusPoolCharge vmbus_gpadl_take_charge(VMBusBridge *br, uint32_t id)
{
    VMBusPoolCharge *c = g_hash_table_lookup(br->gpadl_charges,
                                             GUINT_TO_POINTER(id));
    VMBusPoolCharge ret = { 0 };

    if (c) {
        ret = *c;
        g_hash_table_remove(br->gpadl_charges, GUINT_TO_POINTER(id));
    }
    return ret;
}

static void vmbus_gpadl_drop_charge(VMBusBridge *br, uint32_t id)
{
    VMBusPoolCharge c = vmbus_gpadl_take_charge(br, id);

    hv_pool_release(c.vp, c.pages);
}

static void vmbus_gpadl_builder_done(VMBusBridge *br, VMBusGpadlBuilder *b)
{
    uint32_t id = vmbus_gpadl_builder_id(b);
    uint32_t relid = vmbus_gpadl_builder_child_relid(b);
    VMBusPoolCharge charge = vmbus_gpadl_take_charge(br, id);
    VMBusGpadl *gpadl;
    VMBusGpadlEntry *ge;

    g_hash_table_steal(br->gpadl_builders, GUINT_TO_POINTER(id));
    gpadl = vmbus_gpadl_finish(b);
    if (!gpadl) {
        vmbus_gpadl_builder_free(b);
        hv_pool_release(charge.vp, charge.pages);
        trace_vmbus_gpadl_bad(id, "incomplete GPADL");
        vmbus_send_gpadl_created(br, relid, id, 1);
        return;
    }
    if (br->gpadl_pages + gpadl->npages > VMBUS_MAX_GPADL_PAGES) {
        trace_vmbus_gpadl_bad(id, "too many GPADL pages in all");
        vmbus_gpadl_free(gpadl);
        hv_pool_release(charge.vp, charge.pages);
        vmbus_send_gpadl_created(br, relid, id, 1);
        return;
    }
    ge = g_new0(VMBusGpadlEntry, 1);
    ge->gpadl = gpadl;
    ge->pool_pages = charge.pages;
    ge->pool_vp = charge.vp;
    br->gpadl_pages += gpadl->npages;
    QTAILQ_INSERT_TAIL(&br->gpadls, ge, link);
    trace_vmbus_gpadl_created(id, relid, gpadl->npages);
    vmbus_send_gpadl_created(br, relid, id, 0);
}

static uint32_t vmbus_channel_count(VMBusBridge *br)
{
    VMBusChannel *chan;
    uint32_t n = 0;

    QTAILQ_FOREACH(chan, &br->channels, link) {
        n++;
    }
    return n;
}

static uint32_t vmbus_gpadl_count(VMBusBridge *br)
{
    VMBusGpadlEntry *ge;
    uint32_t n = g_hash_table_size(br->gpadl_builders);

    QTAILQ_FOREACH(ge, &br->gpadls, link) {
        n++;
    }
    return n;
}

static uint16_t vmbus_handle_gpadl_header(VMBusBridge *br, uint32_t vp,
                                          const void *msg, uint32_t len)
{
    const VMBusMsgGpadlHeader *hdr = msg;
    uint32_t id = le32_to_cpu(hdr->gpadl_id);
    uint32_t relid = le32_to_cpu(hdr->child_relid);
    /* The range list's words bound the page numbers it lists. */
    uint64_t cost = HVPART_POOL_COST_GPADL(le16_to_cpu(hdr->range_buflen) / 8);
    const char *why = NULL;
    VMBusGpadlBuilder *b;
    VMBusPoolCharge *charge;

    if (vmbus_gpadl_find(br, id) ||
        g_hash_table_contains(br->gpadl_builders, GUINT_TO_POINTER(id))) {
        trace_vmbus_gpadl_bad(id, "GPADL id in use");
        vmbus_send_gpadl_created(br, relid, id, 1);
        return HV_STATUS_SUCCESS;
    }
    if (vmbus_gpadl_count(br) >= VMBUS_MAX_GPADLS) {
        trace_vmbus_gpadl_bad(id, "too many GPADLs");
        vmbus_send_gpadl_created(br, relid, id, 1);
        return HV_STATUS_SUCCESS;
    }
    b = vmbus_gpadl_begin(msg, len, VMBUS_MAX_GPADL_PAGES, &why);
    if (!b) {
        trace_vmbus_gpadl_bad(id, why ? why : "bad GPADL header");
        vmbus_send_gpadl_created(br, relid, id, 1);
        return HV_STATUS_SUCCESS;
    }
    /*
     * Bookkeeping comes from the memory pool. Without it the message is
     * refused, not consumed: the guest may post it again (Linux retries)
     * once the parent deposited more.
     */
    if (!hv_pool_charge(vp, cost)) {
        trace_vmbus_gpadl_bad(id, "memory pool exhausted");
        vmbus_gpadl_builder_free(b);
        return HV_STATUS_INSUFFICIENT_MEMORY;
    }
    charge = g_new0(VMBusPoolCharge, 1);
    charge->pages = cost;
    charge->vp = vp;
    g_hash_table_insert(br->gpadl_charges, GUINT_TO_POINTER(id), charge);
    g_hash_table_insert(br->gpadl_builders, GUINT_TO_POINTER(id), b);
    if (vmbus_gpadl_complete(b)) {
        vmbus_gpadl_builder_done(br, b);
    }
    return HV_STATUS_SUCCESS;
}

static void vmbus_handle_gpadl_body(VMBusBridge *br, const void *msg,
                                    uint32_t len)
{
    VMBusGpadlBuilder *b;
    const char *why = NULL;
    uint32_t id;

    if (vmbus_gpadl_body_id(msg, len, &id) < 0) {
        trace_vmbus_msg_bad("GpadlBody", "too short");
        return;
    }
    b = g_hash_table_lookup(br->gpadl_builders, GUINT_TO_POINTER(id));
    if (!b) {
        trace_vmbus_gpadl_bad(id, "body for no GPADL header");
        return;
    }
    if (vmbus_gpadl_add_body(b, msg, len, &why) < 0) {
        uint32_t relid = vmbus_gpadl_builder_child_relid(b);

        trace_vmbus_gpadl_bad(id, why ? why : "bad GPADL body");
        g_hash_table_remove(br->gpadl_builders, GUINT_TO_POINTER(id));
        vmbus_gpadl_drop_charge(br, id);
        vmbus_send_gpadl_created(br, relid, id, 1);
        return;
    }
    if (vmbus_gpadl_complete(b)) {
        vmbus_gpadl_builder_done(br, b);
    }
}

static void vmbus_handle_gpadl_teardown(VMBusBridge *br, const void *msg)
{
    const VMBusMsgGpadlTeardown *td = msg;
    uint32_t id = le32_to_cpu(td->gpadl_id);
    VMBusGpadlEntry *ge = vmbus_gpadl_find(br, id);

    trace_vmbus_gpadl_teardown(id);
    if (!ge) {
        trace_vmbus_gpadl_bad(id, "teardown of an unknown GPADL");
    } else if (ge->users) {
        /*
         * Still in use (a ring of an open channel, a VSP's buffer): the
         * host may still write the pages, so the guest gets them back,
         * with the answer, once the last user lets go.
         */
        ge->torn_down = true;
        return;
    } else {
        vmbus_gpadl_release(br, ge);
    }
    vmbus_send_gpadl_torndown(br, id);
}

/* Channels */

static void vmbus_send_open_result(VMBusBridge *br, uint32_t relid,
                                   uint32_t open_id, uint32_t status)
{
    VMBusMsgOpenResult msg = { 0 };

    msg.header.msgtype = cpu_to_le32(VMBUS_MSGTYPE_OPEN_RESULT);
    msg.child_relid = cpu_to_le32(relid);
    msg.open_id = cpu_to_le32(open_id);
    msg.status = cpu_to_le32(status);
    vmbus_server_post(br, &msg, sizeof(msg));
}

static void vmbus_handle_open(VMBusBridge *br, const void *msg)
{
    const VMBusMsgOpenChannel *op = msg;
    uint32_t relid = le32_to_cpu(op->child_relid);
    uint32_t open_id = le32_to_cpu(op->open_id);
    uint32_t gpadl_id = le32_to_cpu(op->ring_gpadl_id);
    uint32_t target_vp = le32_to_cpu(op->target_vp);
    uint32_t offset = le32_to_cpu(op->downstream_ring_page_offset);
    VMBusChannel *chan = vmbus_channel_by_relid(br, relid);
    VMBusGpadlEntry *ge = vmbus_gpadl_find(br, gpadl_id);
    const char *why = NULL;

    if (!chan || chan->state != VMBUS_CHANNEL_OFFERED) {
        why = chan ? "channel not in offered state" : "unknown relid";
    } else if (!ge || ge->torn_down) {
        why = "unknown ring GPADL";
    } else if (vmbus_channel_open(chan, ge, offset, target_vp, false,
                                  &why) == 0) {
        chan->open_id = open_id;
        trace_vmbus_open(relid, gpadl_id, offset, target_vp);
        vmbus_send_open_result(br, relid, open_id, 0);
        return;
    }
    trace_vmbus_open_failed(relid, why);
    vmbus_send_open_result(br, relid, open_id, 1);
}

static void vmbus_handle_close(VMBusBridge *br, const void *msg)
{
    const VMBusMsgCloseChannel *cl = msg;
    uint32_t relid = le32_to_cpu(cl->child_relid);
    VMBusChannel *chan = vmbus_channel_by_relid(br, relid);

    if (!chan) {
        trace_vmbus_msg_bad("CloseChannel", "unknown relid");
        return;
    }
    trace_vmbus_close(relid);
    vmbus_channel_close(chan);
    /*
     * As Hyper-V does, closing a primary channel rescinds its
     * sub-channels (the guest closed them first): its driver frees them
     * and asks for fresh ones when it opens the device again.
     */
    if (chan->index == 0) {
        VMBusDevice *vdev = chan->dev;
        int i;

        vdev->subchannels_wanted = 0;
        for (i = 1; i < vdev->num_channels; i++) {
            vmbus_server_rescind(br, vdev->channels[i]);
        }
    }
}

static void vmbus_handle_relid_released(VMBusBridge *br, const void *msg)
{
    const VMBusMsgRelIdReleased *rr = msg;
    uint32_t relid = le32_to_cpu(rr->child_relid);
    VMBusChannel *chan = vmbus_channel_by_relid(br, relid);

    if (!chan || chan->state != VMBUS_CHANNEL_RESCINDED) {
        trace_vmbus_msg_bad("RelIdReleased", "relid not rescinded");
        return;
    }
    trace_vmbus_relid_released(relid);
    vmbus_channel_close(chan);
    chan->state = VMBUS_CHANNEL_UNOFFERED;
    /*
     * The device was opened again and asked for this sub-channel before
     * the guest had released the old one: offer it now.
     */
    if (chan->index && chan->index <= chan->dev->subchannels_wanted &&
        !chan->dev->unplug_requested) {
        vmbus_server_offer(br, chan);
        return;
    }
    vmbus_device_channel_released(chan);      /* may free @chan */
}

static void vmbus_handle_modify(VMBusBridge *br, const void *msg)
{
    const VMBusMsgModifyChannel *mc = msg;
    uint32_t relid = le32_to_cpu(mc->child_relid);
    uint32_t target_vp = le32_to_cpu(mc->target_vp);
    VMBusChannel *chan = vmbus_channel_by_relid(br, relid);
    VMBusMsgModifyChannelResponse reply = { 0 };
    uint32_t status = 0;

    if (!chan || chan->state != VMBUS_CHANNEL_OPEN ||
        target_vp >= hvpart_vp_count()) {
        trace_vmbus_msg_bad("ModifyChannel", "bad relid or VP");
        status = 1;
    } else {
        chan->target_vp = target_vp;
        trace_vmbus_modify(relid, target_vp);
    }
    /* Only from 5.3 on does the guest wait for an answer. */
    if (br->version >= VMBUS_VERSION_5_3) {
        reply.header.msgtype =
            cpu_to_le32(VMBUS_MSGTYPE_MODIFY_CHANNEL_RESPONSE);
        reply.child_relid = cpu_to_le32(relid);
        reply.status = cpu_to_le32(status);
        vmbus_server_post(br, &reply, sizeof(reply));
    }
}

/* Connection */

static void vmbus_disconnect(VMBusBridge *br)
{
    VMBusChannel *chan;
    VMBusGpadlEntry *ge, *next;

    QTAILQ_FOREACH(chan, &br->channels, link) {
        vmbus_channel_close(chan);
        if (chan->state == VMBUS_CHANNEL_RESCINDED) {
            /* The guest will never release it now: finish the unplug. */
            chan->state = VMBUS_CHANNEL_UNOFFERED;
            vmbus_device_channel_released(chan);
            /* the list may have changed under us */
            vmbus_disconnect(br);
            return;
        }
        chan->state = VMBUS_CHANNEL_UNOFFERED;
        if (chan->index == 0) {
            chan->dev->subchannels_wanted = 0;
        }
    }
    QTAILQ_FOREACH_SAFE(ge, &br->gpadls, link, next) {
        ge->users = 0;
        vmbus_gpadl_release(br, ge);
    }
    g_hash_table_remove_all(br->gpadl_builders);
    {
        GHashTableIter it;
        gpointer value;

        g_hash_table_iter_init(&it, br->gpadl_charges);
        while (g_hash_table_iter_next(&it, NULL, &value)) {
            VMBusPoolCharge *c = value;

            hv_pool_release(c->vp, c->pages);
            g_hash_table_iter_remove(&it);
        }
    }
    br->state = VMBUS_DISCONNECTED;
    br->version = 0;
    vmbus_negotiated_version = 0;
}

static void vmbus_handle_initiate_contact(VMBusBridge *br, const void *msg)
{
    const VMBusMsgInitiateContact *ic = msg;
    uint32_t version = le32_to_cpu(ic->version_requested);
    uint32_t target_vp = le32_to_cpu(ic->target_vcpu);
    VMBusMsgVersionResponse reply = { 0 };
    bool supported = false;
    int i;

    for (i = 0; i < ARRAY_SIZE(vmbus_versions); i++) {
        if (vmbus_versions[i] == version) {
            supported = true;
        }
    }
    if (target_vp >= hvpart_vp_count()) {
        trace_vmbus_msg_bad("InitiateContact", "target VP out of range");
        target_vp = 0;
        supported = false;
    }
    if (version >= VMBUS_VERSION_5_0 && ic->msg_sint >= HV_SINT_COUNT) {
        trace_vmbus_msg_bad("InitiateContact", "message SINT out of range");
        supported = false;
    }
    if (br->state != VMBUS_DISCONNECTED && supported) {
        /* A new kernel (kexec) that did not unload: start afresh. */
        vmbus_disconnect(br);
    }
    br->target_vp = target_vp;
    br->msg_sint = VMBUS_MESSAGE_SINT;
    if (supported) {
        if (version >= VMBUS_VERSION_5_0) {
            br->msg_sint = ic->msg_sint;
        }
        br->version = version;
        vmbus_negotiated_version = version;
        br->state = VMBUS_CONNECTED;
    }
    trace_vmbus_initiate_contact(VMBUS_VERSION_MAJOR(version),
                                 VMBUS_VERSION_MINOR(version), target_vp,
                                 supported);
    reply.header.msgtype = cpu_to_le32(VMBUS_MSGTYPE_VERSION_RESPONSE);
    reply.version_supported = supported;
    reply.connection_state = 0;
    reply.msg_conn_id = cpu_to_le32(VMBUS_MESSAGE_CONNECTION_ID_4);
    vmbus_server_post(br, &reply, sizeof(reply));
}

static void vmbus_handle_request_offers(VMBusBridge *br)
{
    VMBusMsgAllOffersDelivered done = { 0 };
    VMBusChannel *chan;

    if (br->state != VMBUS_CONNECTED) {
        trace_vmbus_msg_bad("RequestOffers", "not connected or repeated");
        return;
    }
    br->state = VMBUS_OFFERS_REQUESTED;
    /* Primary channels only; sub-channels come when their device asks. */
    QTAILQ_FOREACH(chan, &br->channels, link) {
        if (chan->index == 0 && chan->state == VMBUS_CHANNEL_UNOFFERED) {
            vmbus_send_offer(br, chan);
        }
    }
    done.header.msgtype = cpu_to_le32(VMBUS_MSGTYPE_ALL_OFFERS_DELIVERED);
    vmbus_server_post(br, &done, sizeof(done));
}

static void vmbus_handle_unload(VMBusBridge *br)
{
    VMBusMsgUnloadResponse reply = { 0 };

    trace_vmbus_unload();
    vmbus_disconnect(br);
    reply.header.msgtype = cpu_to_le32(VMBUS_MSGTYPE_UNLOAD_RESPONSE);
    vmbus_server_post(br, &reply, sizeof(reply));
}

static uint16_t vmbus_message_handler(void *opaque, uint32_t vp_index,
                                      uint32_t message_type,
                                      const void *payload, uint32_t size)
{
    VMBusBridge *br = opaque;
    const char *why = NULL;
    uint32_t type;

    if (vmbus_msg_check_guest(payload, size, &type, &why) < 0) {
        trace_vmbus_msg_bad(vmbus_msg_name(type), why ? why : "invalid");
        return HV_STATUS_SUCCESS;       /* delivered, and ignored */
    }
    trace_vmbus_msg_recv(vmbus_msg_name(type), vp_index, size);
    /*
     * The guest waits for the answers: accept a request only if they can
     * be queued (RequestOffers: one offer per channel, then the end;
     * CloseChannel of a primary: a rescind per sub-channel); otherwise
     * push back, and the guest posts it again.
     */
    if (!hv_synic_queue_has_room(br->state == VMBUS_DISCONNECTED ?
                                 vp_index : br->target_vp,
                                 type == VMBUS_MSGTYPE_REQUEST_OFFERS ?
                                 vmbus_channel_count(br) + 1 :
                                 type == VMBUS_MSGTYPE_CLOSE_CHANNEL ?
                                 VMBUS_MAX_CHANNELS_PER_DEVICE : 1)) {
        trace_vmbus_msg_bad(vmbus_msg_name(type), "answer queue full");
        return HV_STATUS_INSUFFICIENT_BUFFERS;
    }
    if (br->state == VMBUS_DISCONNECTED &&
        type != VMBUS_MSGTYPE_INITIATE_CONTACT &&
        type != VMBUS_MSGTYPE_UNLOAD) {
        trace_vmbus_msg_bad(vmbus_msg_name(type), "not connected");
        return HV_STATUS_SUCCESS;
    }
    switch (type) {
    case VMBUS_MSGTYPE_INITIATE_CONTACT:
        vmbus_handle_initiate_contact(br, payload);
        break;
    case VMBUS_MSGTYPE_REQUEST_OFFERS:
        vmbus_handle_request_offers(br);
        break;
    case VMBUS_MSGTYPE_GPADL_HEADER:
        return vmbus_handle_gpadl_header(br, vp_index, payload, size);
    case VMBUS_MSGTYPE_GPADL_BODY:
        vmbus_handle_gpadl_body(br, payload, size);
        break;
    case VMBUS_MSGTYPE_GPADL_TEARDOWN:
        vmbus_handle_gpadl_teardown(br, payload);
        break;
    case VMBUS_MSGTYPE_OPEN_CHANNEL:
        vmbus_handle_open(br, payload);
        break;
    case VMBUS_MSGTYPE_CLOSE_CHANNEL:
        vmbus_handle_close(br, payload);
        break;
    case VMBUS_MSGTYPE_RELID_RELEASED:
        vmbus_handle_relid_released(br, payload);
        break;
    case VMBUS_MSGTYPE_MODIFY_CHANNEL:
        vmbus_handle_modify(br, payload);
        break;
    case VMBUS_MSGTYPE_UNLOAD:
        vmbus_handle_unload(br);
        break;
    default:
        trace_vmbus_msg_bad(vmbus_msg_name(type), "not supported");
        break;
    }
    return HV_STATUS_SUCCESS;
}

/*
 * After an incoming migration (or loadvm), once the VM runs: interrupt the
 * guest for every open channel and look at what it left in the rings, as
 * signals that were in flight on the source are not in the stream.
 */
static void vmbus_server_resume(void *opaque, bool running, RunState state)
{
    VMBusBridge *br = opaque;
    VMBusChannel *chan;

    if (!running || !br->resume_pending) {
        return;
    }
    br->resume_pending = false;
    QTAILQ_FOREACH(chan, &br->channels, link) {
        if (chan->state == VMBUS_CHANNEL_OPEN) {
            vmbus_channel_signal_guest(chan);
            qemu_bh_schedule(chan->notify_bh);
        }
    }
}

void vmbus_server_init(VMBusBridge *br)
{
    br->vmstate_entry = qemu_add_vm_change_state_handler(vmbus_server_resume,
                                                         br);
    QTAILQ_INIT(&br->channels);
    QTAILQ_INIT(&br->gpadls);
    br->gpadl_builders = g_hash_table_new_full(
        g_direct_hash, g_direct_equal, NULL,
        (GDestroyNotify)vmbus_gpadl_builder_free);
    br->gpadl_charges = g_hash_table_new_full(g_direct_hash, g_direct_equal,
                                              NULL, g_free);
    br->relids = bitmap_new(VMBUS_RELID_MAX + 1);
    set_bit(0, br->relids);             /* relid 0 is never used */
    br->msg_sint = VMBUS_MESSAGE_SINT;
    if (hv_synic_add_message_connection(VMBUS_MESSAGE_CONNECTION_ID,
                                        vmbus_message_handler, br) < 0 ||
        hv_synic_add_message_connection(VMBUS_MESSAGE_CONNECTION_ID_4,
                                        vmbus_message_handler, br) < 0) {
        g_assert_not_reached();
    }
}

void vmbus_server_reset(VMBusBridge *br)
{
    vmbus_disconnect(br);
}

HvpartVmbus *vmbus_server_query(VMBusBridge *br)
{
    HvpartVmbus *info = g_new0(HvpartVmbus, 1);
    HvpartVmbusChannelList **tail = &info->channels;
    VMBusChannel *chan;

    info->connected = br->state != VMBUS_DISCONNECTED;
    if (info->connected) {
        info->version = g_strdup_printf("%u.%u",
                                        VMBUS_VERSION_MAJOR(br->version),
                                        VMBUS_VERSION_MINOR(br->version));
    }
    info->gpadls = vmbus_gpadl_count(br);
    QTAILQ_FOREACH(chan, &br->channels, link) {
        VMBusDeviceClass *vdc = VMBUS_DEVICE_GET_CLASS(chan->dev);
        HvpartVmbusChannel *c = g_new0(HvpartVmbusChannel, 1);

        c->device = object_get_canonical_path(OBJECT(chan->dev));
        c->interface = g_strdup(vdc->interface_name);
        c->interface_id = g_strdup(vdc->interface_id);
        c->instance_id = qemu_uuid_unparse_strdup(&chan->dev->instance_id);
        c->relid = chan->relid;
        c->subchannel_index = chan->index;
        switch (chan->state) {
        case VMBUS_CHANNEL_OPEN:
            c->state = HVPART_CHANNEL_STATE_OPEN;
            c->has_target_vp = true;
            c->target_vp = chan->target_vp;
            c->has_ring_pages = true;
            c->ring_pages = chan->map.npages;
            break;
        case VMBUS_CHANNEL_RESCINDED:
            c->state = HVPART_CHANNEL_STATE_RESCINDED;
            break;
        default:
            c->state = HVPART_CHANNEL_STATE_OFFERED;
            break;
        }
        QAPI_LIST_APPEND(tail, c);
    }
    return info;
}

/*
 * Migration. Channels and GPADLs are recreated on the destination from a
 * flat record, then the open channels' rings are mapped again from guest
 * memory (which carries the ring indices).
 */

static void blob_put32(GByteArray *b, uint32_t v)
{
    uint32_t le = cpu_to_le32(v);

    g_byte_array_append(b, (uint8_t *)&le, 4);
}

static void blob_put64(GByteArray *b, uint64_t v)
{
    uint64_t le = cpu_to_le64(v);

    g_byte_array_append(b, (uint8_t *)&le, 8);
}

static int vmbus_server_pre_save(void *opaque)
{
    VMBusBridge *br = opaque;
    GByteArray *b = g_byte_array_new();
    VMBusGpadlEntry *ge;
    VMBusChannel *chan;
    uint32_t n = 0, i, j;

    QTAILQ_FOREACH(ge, &br->gpadls, link) {
        n++;
    }
    blob_put32(b, n);
    QTAILQ_FOREACH(ge, &br->gpadls, link) {
        const VMBusGpadl *g = ge->gpadl;

        blob_put32(b, g->id);
        blob_put32(b, g->child_relid);
        blob_put32(b, ge->torn_down);
        blob_put64(b, ge->pool_pages);
        blob_put32(b, ge->pool_vp);
        blob_put32(b, g->nranges);
        for (i = 0; i < g->nranges; i++) {
            blob_put32(b, g->ranges[i].byte_count);
            blob_put32(b, g->ranges[i].byte_offset);
            blob_put32(b, g->ranges[i].npfns);
            for (j = 0; j < g->ranges[i].npfns; j++) {
                blob_put64(b, g->ranges[i].pfns[j]);
            }
        }
    }
    n = 0;
    QTAILQ_FOREACH(chan, &br->channels, link) {
        n++;
    }
    blob_put32(b, n);
    QTAILQ_FOREACH(chan, &br->channels, link) {
        g_byte_array_append(b, chan->dev->instance_id.data, 16);
        blob_put32(b, chan->index);
        blob_put32(b, chan->relid);
        blob_put32(b, chan->state);
        blob_put32(b, chan->open_id);
        blob_put32(b, chan->target_vp);
        blob_put32(b, chan->ring_gpadl_id);
        blob_put32(b, chan->downstream_offset);
        blob_put32(b, chan->index ? 0 : chan->dev->subchannels_wanted);
    }
    br->mig.state = br->state;
    br->mig.version = br->version;
    br->mig.target_vp = br->target_vp;
    br->mig.msg_sint = br->msg_sint;
    g_free(br->mig.blob);
    br->mig.blob_len = b->len;
    br->mig.blob = g_byte_array_free(b, false);
    return 0;
}

typedef struct BlobReader {
    const uint8_t *p;
    uint32_t left;
    bool bad;
} BlobReader;

static uint32_t blob_get32(BlobReader *r)
{
    uint32_t v;

    if (r->left < 4) {
        r->bad = true;
        return 0;
    }
    v = ldl_le_p(r->p);
    r->p += 4;
    r->left -= 4;
    return v;
}

static uint64_t blob_get64(BlobReader *r)
{
    uint64_t lo = blob_get32(r);

    return lo | ((uint64_t)blob_get32(r) << 32);
}

/*
 * Rebuild a GPADL through the same validating builder the guest's messages
 * go through: a header message with every pfn, no bodies.
 */
static VMBusGpadl *vmbus_gpadl_from_blob(BlobReader *r, uint32_t id,
                                         uint32_t relid, uint32_t nranges)
{
    g_autoptr(GByteArray) m = g_byte_array_new();
    VMBusMsgGpadlHeader hdr = { 0 };
    VMBusGpadlBuilder *b;
    uint32_t i, j, buflen = 0;
    const char *why = NULL;
    size_t hdr_at;

    if (nranges == 0 || nranges > 0xffff) {
        return NULL;
    }
    hdr.header.msgtype = cpu_to_le32(VMBUS_MSGTYPE_GPADL_HEADER);
    hdr.child_relid = cpu_to_le32(relid);
    hdr.gpadl_id = cpu_to_le32(id);
    hdr.rangecount = cpu_to_le16(nranges);
    g_byte_array_append(m, (uint8_t *)&hdr, sizeof(hdr));
    hdr_at = 0;
    for (i = 0; i < nranges && !r->bad; i++) {
        uint32_t count = blob_get32(r), offset = blob_get32(r);
        uint32_t npfns = blob_get32(r);

        if (npfns > VMBUS_MAX_GPADL_PAGES) {
            return NULL;
        }
        blob_put32(m, count);
        blob_put32(m, offset);
        buflen += 8;
        for (j = 0; j < npfns && !r->bad; j++) {
            blob_put64(m, blob_get64(r));
            buflen += 8;
        }
    }
    if (r->bad || buflen > 0xffff) {
        return NULL;
    }
    ((VMBusMsgGpadlHeader *)(m->data + hdr_at))->range_buflen =
        cpu_to_le16(buflen);
    b = vmbus_gpadl_begin(m->data, m->len, VMBUS_MAX_GPADL_PAGES, &why);
    if (!b) {
        return NULL;
    }
    if (!vmbus_gpadl_complete(b)) {
        vmbus_gpadl_builder_free(b);
        return NULL;
    }
    return vmbus_gpadl_finish(b);
}

static VMBusChannel *vmbus_channel_by_instance(VMBusBridge *br,
                                               const uint8_t *uuid,
                                               uint32_t index)
{
    VMBusChannel *chan;

    QTAILQ_FOREACH(chan, &br->channels, link) {
        if (!memcmp(chan->dev->instance_id.data, uuid, 16) &&
            chan->index == index) {
            return chan;
        }
    }
    return NULL;
}

static int vmbus_server_post_save(void *opaque)
{
    VMBusBridge *br = opaque;

    g_free(br->mig.blob);
    br->mig.blob = NULL;
    br->mig.blob_len = 0;
    return 0;
}

static int vmbus_server_load_blob(VMBusBridge *br);

static int vmbus_server_post_load(void *opaque, int version_id)
{
    VMBusBridge *br = opaque;
    int ret = vmbus_server_load_blob(br);

    g_free(br->mig.blob);
    br->mig.blob = NULL;
    br->mig.blob_len = 0;
    return ret;
}

static int vmbus_server_load_blob(VMBusBridge *br)
{
    BlobReader r = { br->mig.blob, br->mig.blob_len, false };
    uint32_t n, i;

    vmbus_disconnect(br);
    if (br->mig.state > VMBUS_OFFERS_REQUESTED ||
        br->mig.target_vp >= hvpart_vp_count() ||
        br->mig.msg_sint >= HV_SINT_COUNT) {
        return -EINVAL;
    }
    n = blob_get32(&r);
    for (i = 0; i < n && !r.bad; i++) {
        uint32_t id = blob_get32(&r), relid = blob_get32(&r);
        uint32_t torn = blob_get32(&r);
        uint64_t pool_pages = blob_get64(&r);
        uint32_t pool_vp = blob_get32(&r), nranges = blob_get32(&r);
        VMBusGpadl *g = vmbus_gpadl_from_blob(&r, id, relid, nranges);
        VMBusGpadlEntry *ge;

        if (!g || vmbus_gpadl_find(br, id)) {
            vmbus_gpadl_free(g);
            return -EINVAL;
        }
        ge = g_new0(VMBusGpadlEntry, 1);
        ge->gpadl = g;
        ge->torn_down = torn & 1;
        /* the pool's own state, migrated before, accounts for these */
        ge->pool_pages = pool_pages;
        ge->pool_vp = pool_vp;
        br->gpadl_pages += g->npages;
        QTAILQ_INSERT_TAIL(&br->gpadls, ge, link);
    }
    br->state = br->mig.state;
    br->version = br->mig.version;
    vmbus_negotiated_version = br->version;
    br->target_vp = br->mig.target_vp;
    br->msg_sint = br->mig.msg_sint;
    n = blob_get32(&r);
    for (i = 0; i < n && !r.bad; i++) {
        uint8_t uuid[16];
        VMBusChannel *chan;
        uint32_t index, relid, state, open_id, target_vp, gpadl, offset;
        uint32_t wanted;

        if (r.left < 16) {
            return -EINVAL;
        }
        memcpy(uuid, r.p, 16);
        r.p += 16;
        r.left -= 16;
        index = blob_get32(&r);
        relid = blob_get32(&r);
        state = blob_get32(&r);
        open_id = blob_get32(&r);
        target_vp = blob_get32(&r);
        gpadl = blob_get32(&r);
        offset = blob_get32(&r);
        wanted = blob_get32(&r);
        chan = vmbus_channel_by_instance(br, uuid, index);
        if (!chan && !r.bad && index > 0) {
            chan = vmbus_channel_restore_sub(br, uuid, index, relid);
        }
        if (r.bad || !chan || chan->relid != relid) {
            error_report("hvpart vmbus: incoming channel %u has no "
                         "matching device here", relid);
            return -EINVAL;
        }
        if (index == 0) {
            chan->dev->subchannels_wanted =
                MIN(wanted, VMBUS_MAX_CHANNELS_PER_DEVICE - 1);
        }
        if (state == VMBUS_CHANNEL_OPEN) {
            const char *why = NULL;
            VMBusGpadlEntry *ge = vmbus_gpadl_find(br, gpadl);

            chan->state = VMBUS_CHANNEL_OFFERED;
            if (!ge || vmbus_channel_open(chan, ge, offset, target_vp, true,
                                          &why) < 0) {
                error_report("hvpart vmbus: cannot reopen channel %u: %s",
                             relid, why ? why : "no ring GPADL");
                return -EINVAL;
            }
            chan->open_id = open_id;
        } else if (state <= VMBUS_CHANNEL_RESCINDED) {
            chan->state = state;
        } else {
            return -EINVAL;
        }
    }
    br->resume_pending = true;
    return r.bad ? -EINVAL : 0;
}

const VMStateDescription vmstate_vmbus_server = {
    .name = "hvpart-vmbus",
    .version_id = 1,
    .minimum_version_id = 1,
    .pre_save = vmbus_server_pre_save,
    .post_save = vmbus_server_post_save,
    .post_load = vmbus_server_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32(mig.state, VMBusBridge),
        VMSTATE_UINT32(mig.version, VMBusBridge),
        VMSTATE_UINT32(mig.target_vp, VMBusBridge),
        VMSTATE_UINT8(mig.msg_sint, VMBusBridge),
        VMSTATE_UINT32(mig.blob_len, VMBusBridge),
        VMSTATE_VBUFFER_ALLOC_UINT32(mig.blob, VMBusBridge, 0, NULL,
                                     mig.blob_len),
        VMSTATE_END_OF_LIST()
    },
};
