/*
 * qemu-hvpart: integration service (IC) messages from the guest, decoded
 * and checked (see ic-msg.h).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "hw/vmbus/ic-msg.h"

const uint32_t ic_msg_framework_versions[IC_MSG_FRAMEWORK_VERSIONS] = {
    IC_FRAMEWORK_3_0, IC_FRAMEWORK_1_0,
};

int ic_msg_parse(const uint8_t *buf, uint32_t len, ICGuestMsg *msg,
                 const char **why)
{
    const ICMsgHeader *hdr;

    memset(msg, 0, sizeof(*msg));
    if (len < IC_HEADERS_SIZE) {
        *why = "packet shorter than the IC headers";
        return -EINVAL;
    }
    /*
     * The pipe header is not looked at: Linux echoes the host's, and the
     * ring already delimits the packet.
     */
    hdr = (const ICMsgHeader *)(buf + sizeof(ICPipeHeader));
    msg->msgtype = le16_to_cpu(hdr->icmsgtype);
    msg->status = le32_to_cpu(hdr->status);
    msg->flags = hdr->icflags;
    msg->transaction_id = hdr->ictransaction_id;
    msg->body = buf + IC_HEADERS_SIZE;
    msg->avail = len - IC_HEADERS_SIZE;
    msg->body_len = MIN(le16_to_cpu(hdr->icmsgsize), msg->avail);
    if (!(msg->flags & IC_FLAG_RESPONSE)) {
        *why = "request from the guest";
        return -EINVAL;
    }
    return 0;
}

static bool ic_msg_version_in(const uint32_t *list, unsigned int n,
                              uint32_t v)
{
    unsigned int i;

    for (i = 0; i < n && list[i]; i++) {
        if (list[i] == v) {
            return true;
        }
    }
    return false;
}

static uint32_t ic_msg_version_at(const uint8_t *p)
{
    return IC_VERSION(lduw_le_p(p), lduw_le_p(p + 2));
}

int ic_msg_negotiate(const ICGuestMsg *msg, const uint32_t *versions,
                     unsigned int nversions, uint32_t *fw, uint32_t *srv,
                     const char **why)
{
    const uint8_t *v = msg->body + sizeof(ICNegotiate);

    if (msg->msgtype != IC_MSGTYPE_NEGOTIATE) {
        *why = "not a negotiate response";
        return -EINVAL;
    }
    /* Linux answers with one of each, or with none */
    if (msg->avail < sizeof(ICNegotiate) + 2 * sizeof(ICVersion) ||
        lduw_le_p(msg->body + offsetof(ICNegotiate, icframe_vercnt)) != 1 ||
        lduw_le_p(msg->body + offsetof(ICNegotiate, icmsg_vercnt)) != 1) {
        *why = "guest accepted no version";
        return -EINVAL;
    }
    *fw = ic_msg_version_at(v);
    *srv = ic_msg_version_at(v + sizeof(ICVersion));
    if (!ic_msg_version_in(ic_msg_framework_versions,
                           IC_MSG_FRAMEWORK_VERSIONS, *fw) ||
        !ic_msg_version_in(versions, nversions, *srv)) {
        *why = "guest picked a version not offered";
        return -EINVAL;
    }
    return 0;
}

/* A response of @msgtype with at least @min body bytes */
static bool ic_msg_expect(const ICGuestMsg *msg, uint16_t msgtype,
                          uint32_t min, const char **why)
{
    if (msg->msgtype != msgtype || msg->body_len < min) {
        *why = "unexpected response";
        return false;
    }
    return true;
}

int ic_msg_heartbeat(const ICGuestMsg *msg, uint64_t *seq, const char **why)
{
    if (!ic_msg_expect(msg, IC_MSGTYPE_HEARTBEAT, sizeof(uint64_t), why)) {
        return -EINVAL;
    }
    *seq = ldq_le_p(msg->body + offsetof(ICHeartbeat, seq_num));
    return 0;
}

int ic_msg_shutdown(const ICGuestMsg *msg, const char **why)
{
    return ic_msg_expect(msg, IC_MSGTYPE_SHUTDOWN, 0, why) ? 0 : -EINVAL;
}

int ic_msg_timesync(const ICGuestMsg *msg, uint32_t service_version,
                    uint8_t *flags, const char **why)
{
    bool v4 = service_version >= IC_VERSION(4, 0);

    if (!ic_msg_expect(msg, IC_MSGTYPE_TIMESYNC,
                       v4 ? sizeof(ICTimesyncRef) : sizeof(ICTimesync),
                       why)) {
        return -EINVAL;
    }
    /* The guest echoes the message: its flags say which one it took. */
    *flags = msg->body[v4 ? offsetof(ICTimesyncRef, flags)
                          : offsetof(ICTimesync, flags)];
    return 0;
}

int ic_msg_kvp(const ICGuestMsg *msg, uint8_t *op, const char **why)
{
    if (!ic_msg_expect(msg, IC_MSGTYPE_KVPEXCHANGE, sizeof(ICKvpEnumerate),
                       why)) {
        return -EINVAL;
    }
    *op = msg->body[offsetof(ICKvpHeader, operation)];
    return 0;
}

/* UTF-16LE of @bytes bytes (NUL optional) to UTF-8, NULL if invalid. */
static char *ic_msg_from_utf16(const uint8_t *in, uint32_t bytes)
{
    g_autofree gunichar2 *u = g_new0(gunichar2, bytes / 2 + 1);
    uint32_t i, n = 0;

    for (i = 0; i + 1 < bytes; i += 2) {
        u[n] = lduw_le_p(in + i);
        if (!u[n]) {
            break;
        }
        n++;
    }
    return g_utf16_to_utf8(u, n, NULL, NULL, NULL);
}

int ic_msg_kvp_enum_item(const ICGuestMsg *msg, char **key, char **value,
                         const char **why)
{
    const uint8_t *data = msg->body + offsetof(ICKvpEnumerate, data);
    uint32_t type, key_size, value_size;
    const uint8_t *val = data + offsetof(ICKvpValue, value);

    *key = NULL;
    *value = NULL;
    if (msg->body_len < sizeof(ICKvpEnumerate)) {
        *why = "enumerate response too short";
        return -EINVAL;
    }
    type = ldl_le_p(data + offsetof(ICKvpValue, value_type));
    key_size = ldl_le_p(data + offsetof(ICKvpValue, key_size));
    value_size = ldl_le_p(data + offsetof(ICKvpValue, value_size));
    if (key_size > IC_KVP_MAX_KEY_BYTES ||
        value_size > IC_KVP_MAX_VALUE_BYTES) {
        *why = "key or value size too large";
        return -E2BIG;
    }
    *key = ic_msg_from_utf16(data + offsetof(ICKvpValue, key), key_size);
    switch (type) {
    case IC_KVP_REG_SZ:
        *value = ic_msg_from_utf16(val, value_size);
        break;
    case IC_KVP_REG_U32:
        *value = g_strdup_printf("%" PRIu32, ldl_le_p(val));
        break;
    case IC_KVP_REG_U64:
        *value = g_strdup_printf("%" PRIu64, ldq_le_p(val));
        break;
    }
    if (!*key || !*value) {
        g_free(*key);
        g_free(*value);
        *key = NULL;
        *value = NULL;
        *why = "bad key or value encoding";
        return -EINVAL;
    }
    return 0;
}

uint32_t ic_msg_kvp_utf16(const char *s, uint8_t *out, uint32_t max)
{
    g_autofree gunichar2 *u = NULL;
    glong n = 0, i;

    u = g_utf8_to_utf16(s, -1, NULL, &n, NULL);
    if (!u || (n + 1) * 2 > max) {
        return 0;
    }
    for (i = 0; i <= n; i++) {
        stw_le_p(out + i * 2, i < n ? u[i] : 0);
    }
    return (n + 1) * 2;
}
