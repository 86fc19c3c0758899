/*
 * qemu-hvpart: integration service (IC) messages from the guest, decoded
 * and checked.
 *
 * Pure protocol code, without QEMU device plumbing, so that unit tests and
 * fuzzers can drive it (tests/unit/test-ic-msg.c, tests/fuzz/fuzz-ic.c).
 * The guest answers each host request in the same buffer (Linux:
 * drivers/hv/hv_util.c, hv_kvp.c): ic_msg_parse() checks the IC headers of
 * such a response, the ic_msg_*() functions after it check and decode the
 * body of one service. They take bytes the host copied out of the ring,
 * check every size the guest wrote against what it sent, and point only
 * into the given buffer. A failure names its reason in *@why (a static
 * string, for a trace event).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_VMBUS_IC_MSG_H
#define HW_VMBUS_IC_MSG_H

#include "hw/vmbus/ic-proto.h"

/* The framework versions the host offers, newest first */
#define IC_MSG_FRAMEWORK_VERSIONS   2
extern const uint32_t ic_msg_framework_versions[IC_MSG_FRAMEWORK_VERSIONS];

/* A guest's response, its headers decoded */
typedef struct ICGuestMsg {
    uint16_t msgtype;                   /* IC_MSGTYPE_* */
    uint32_t status;                    /* IC_STATUS_* */
    uint8_t flags;                      /* IC_FLAG_*: RESPONSE is set */
    uint8_t transaction_id;
    const uint8_t *body;                /* after the headers */
    /* icmsgsize, clipped to the bytes present: what a service reads */
    uint32_t body_len;
    /*
     * Every byte after the headers. Linux does not update icmsgsize in its
     * NEGOTIATE answer, whose versions thus lie beyond body_len.
     */
    uint32_t avail;
} ICGuestMsg;

/*
 * Decode the IC headers of a packet's payload (@buf, @len bytes). Returns
 * 0, or -EINVAL with *@why: shorter than the headers, or not a response
 * (the guest never sends requests).
 */
int ic_msg_parse(const uint8_t *buf, uint32_t len, ICGuestMsg *msg,
                 const char **why);

/*
 * The guest's NEGOTIATE answer (@msg->avail bytes): one framework version
 * of ic_msg_framework_versions and one service version of @versions
 * (@nversions entries at most, a 0 ends the list early). Returns 0 with
 * *@fw and *@srv, or -EINVAL with *@why: no version accepted (the counts
 * are not 1 each, or the versions are missing), or one not offered.
 */
int ic_msg_negotiate(const ICGuestMsg *msg, const uint32_t *versions,
                     unsigned int nversions, uint32_t *fw, uint32_t *srv,
                     const char **why);

/*
 * The answer to a heartbeat: the sequence number the guest wrote (the
 * host's plus one, from a live guest). Returns 0, or -EINVAL with *@why.
 */
int ic_msg_heartbeat(const ICGuestMsg *msg, uint64_t *seq, const char **why);

/* The answer to a shutdown request: only its type matters. */
int ic_msg_shutdown(const ICGuestMsg *msg, const char **why);

/*
 * The answer to a time sample of service version @service_version (4.0:
 * ICTimesyncRef, before: ICTimesync): the flags of the sample it echoes.
 * Returns 0, or -EINVAL with *@why.
 */
int ic_msg_timesync(const ICGuestMsg *msg, uint32_t service_version,
                    uint8_t *flags, const char **why);

/*
 * The answer to a KVP request: its operation (IC_KVP_OP_*). The guest
 * echoes the whole message, at least an ICKvpEnumerate. Returns 0, or
 * -EINVAL with *@why.
 */
int ic_msg_kvp(const ICGuestMsg *msg, uint8_t *op, const char **why);

/*
 * The item of an ENUMERATE answer that ic_msg_kvp() accepted: its key and
 * value as UTF-8 (g_free() them). A REG_U32 or REG_U64 value becomes its
 * decimal digits. Returns 0; -E2BIG with *@why if a size is beyond its
 * field (the enumeration cannot be trusted any more); -EINVAL with *@why
 * for a key or value that is not valid UTF-16 or a value of another type
 * (this item only).
 */
int ic_msg_kvp_enum_item(const ICGuestMsg *msg, char **key, char **value,
                         const char **why);

/*
 * Host to guest: @s (UTF-8) as NUL-terminated UTF-16LE in @out (@max
 * bytes). Returns the bytes written, NUL included, or 0 if @s is not
 * valid UTF-8 or does not fit.
 */
uint32_t ic_msg_kvp_utf16(const char *s, uint8_t *out, uint32_t max);

#endif
