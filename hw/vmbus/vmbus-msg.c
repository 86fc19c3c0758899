/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * VMBus channel-management messages: the one table of message types
 *
 * Directions and minimum sizes come from what the Linux guest sends and
 * accepts (drivers/hv/channel_mgmt.c channel_message_table, channel.c,
 * connection.c).  Note that RelIdReleased travels guest -> host: the guest
 * sends it once it has let go of a rescinded channel (vmbus_release_relid()).
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "hw/vmbus/vmbus-msg.h"

#define MSG(type_, name_, size_, guest_)            \
    [VMBUS_MSGTYPE_##type_] = {                     \
        .name = (name_),                            \
        .min_size = (size_),                        \
        .guest_may_send = (guest_),                 \
    }

static const VMBusMsgInfo vmbus_msg_table[VMBUS_MSGTYPE_COUNT] = {
    /* host -> guest */
    MSG(OFFER_CHANNEL, "OfferChannel",
        sizeof(VMBusMsgOfferChannel), false),
    MSG(RESCIND_CHANNEL_OFFER, "RescindChannelOffer",
        sizeof(VMBusMsgRescindChannelOffer), false),
    MSG(ALL_OFFERS_DELIVERED, "AllOffersDelivered",
        sizeof(VMBusMsgAllOffersDelivered), false),
    MSG(OPEN_RESULT, "OpenResult",
        sizeof(VMBusMsgOpenResult), false),
    MSG(GPADL_CREATED, "GpadlCreated",
        sizeof(VMBusMsgGpadlCreated), false),
    MSG(GPADL_TORNDOWN, "GpadlTorndown",
        sizeof(VMBusMsgGpadlTorndown), false),
    MSG(VERSION_RESPONSE, "VersionResponse",
        sizeof(VMBusMsgVersionResponse), false),
    MSG(UNLOAD_RESPONSE, "UnloadResponse",
        sizeof(VMBusMsgUnloadResponse), false),
    /* no layout is needed here: hvpart never accepts hv_sock connections */
    MSG(TL_CONNECT_RESULT, "TlConnectResult",
        sizeof(VMBusMsgHeader), false),
    MSG(MODIFY_CHANNEL_RESPONSE, "ModifyChannelResponse",
        sizeof(VMBusMsgModifyChannelResponse), false),

    /* guest -> host */
    MSG(REQUEST_OFFERS, "RequestOffers",
        sizeof(VMBusMsgRequestOffers), true),
    MSG(OPEN_CHANNEL, "OpenChannel",
        sizeof(VMBusMsgOpenChannel), true),
    MSG(CLOSE_CHANNEL, "CloseChannel",
        sizeof(VMBusMsgCloseChannel), true),
    /* a header always carries at least the first range descriptor */
    MSG(GPADL_HEADER, "GpadlHeader",
        sizeof(VMBusMsgGpadlHeader) + sizeof(VMBusGpaRange), true),
    /* a body carries at least one pfn */
    MSG(GPADL_BODY, "GpadlBody",
        sizeof(VMBusMsgGpadlBody) + sizeof(uint64_t), true),
    MSG(GPADL_TEARDOWN, "GpadlTeardown",
        sizeof(VMBusMsgGpadlTeardown), true),
    MSG(RELID_RELEASED, "RelIdReleased",
        sizeof(VMBusMsgRelIdReleased), true),
    MSG(INITIATE_CONTACT, "InitiateContact",
        sizeof(VMBusMsgInitiateContact), true),
    MSG(UNLOAD, "Unload",
        sizeof(VMBusMsgUnload), true),
    MSG(TL_CONNECT_REQUEST, "TlConnectRequest",
        sizeof(VMBusMsgTlConnectRequest), true),
    MSG(MODIFY_CHANNEL, "ModifyChannel",
        sizeof(VMBusMsgModifyChannel), true),
};

#undef MSG

const VMBusMsgInfo *vmbus_msg_info(uint32_t type)
{
    if (type >= VMBUS_MSGTYPE_COUNT || !vmbus_msg_table[type].name) {
        return NULL;
    }
    return &vmbus_msg_table[type];
}

const char *vmbus_msg_name(uint32_t type)
{
    const VMBusMsgInfo *info = vmbus_msg_info(type);

    return info ? info->name : "unknown";
}

int vmbus_msg_check_guest(const void *msg, uint32_t len, uint32_t *type,
                          const char **why)
{
    const VMBusMsgInfo *info;
    const char *reason;
    uint32_t msgtype = 0;
    int ret;

    if (!msg || len < sizeof(VMBusMsgHeader)) {
        reason = "shorter than the message header";
        ret = -EMSGSIZE;
        goto out;
    }

    msgtype = ldl_le_p(msg);

    if (len > VMBUS_MESSAGE_PAYLOAD_MAX) {
        reason = "longer than a SynIC message payload";
        ret = -EMSGSIZE;
        goto out;
    }

    info = vmbus_msg_info(msgtype);
    if (!info) {
        reason = "unknown message type";
        ret = -EINVAL;
        goto out;
    }
    if (!info->guest_may_send) {
        reason = "message type that only the host sends";
        ret = -EPERM;
        goto out;
    }
    if (len < info->min_size) {
        reason = "shorter than its message type requires";
        ret = -EMSGSIZE;
        goto out;
    }
    reason = NULL;
    ret = 0;

out:
    if (type) {
        *type = msgtype;
    }
    if (why) {
        *why = reason;
    }
    return ret;
}
