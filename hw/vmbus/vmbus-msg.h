/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * VMBus channel-management messages: the one table of message types
 *
 * Every message a guest posts to the VMBus message connection goes through
 * vmbus_msg_check_guest() before anything else looks at it.  It checks the
 * things that do not depend on connection state: the length against the
 * SynIC payload limit and the type's minimum, a known type, and that the type
 * is one a guest may send at all.
 */

#ifndef HW_VMBUS_VMBUS_MSG_H
#define HW_VMBUS_VMBUS_MSG_H

#include "hw/vmbus/vmbus-proto.h"

typedef struct VMBusMsgInfo {
    const char *name;           /* e.g. "GpadlHeader", for traces */
    uint32_t min_size;          /* bytes, header included */
    bool guest_may_send;        /* false: only a host sends this type */
} VMBusMsgInfo;

/*
 * vmbus_msg_info:
 * Returns the table entry of @type, or NULL if @type is not a message type
 * of the protocol (0, 18..20, >= VMBUS_MSGTYPE_COUNT).
 */
const VMBusMsgInfo *vmbus_msg_info(uint32_t type);

/*
 * vmbus_msg_name:
 * Returns the name of @type, or "unknown" when the type is not in the table.
 * Never NULL.
 */
const char *vmbus_msg_name(uint32_t type);

/*
 * vmbus_msg_check_guest:
 * @msg: the message payload as the guest posted it (@len bytes readable)
 * @len: payload size from the guest's HvPostMessage
 * @type: set to the message type whenever @len covers the header, else 0
 * @why: set to a static human-readable reason on failure (may be NULL)
 *
 * Validates a message posted by the guest.  Reads at most the 8-byte header.
 *
 * Returns 0 if the message may be handled, or:
 *   -EMSGSIZE  shorter than the header or the type's minimum size, or longer
 *              than VMBUS_MESSAGE_PAYLOAD_MAX;
 *   -EINVAL    not a message type of the protocol;
 *   -EPERM     a type that only a host sends (OfferChannel, VersionResponse,
 *              GpadlCreated, OpenResult, ...).
 */
int vmbus_msg_check_guest(const void *msg, uint32_t len, uint32_t *type,
                          const char **why);

#endif
