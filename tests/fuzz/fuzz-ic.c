/*
 * qemu-hvpart fuzzer: integration service answers from the guest
 * (hw/vmbus/ic-msg.c), as the IC devices take them.
 *
 * Input: one setup byte (the service: heartbeat, shutdown, timesync or
 * KVP, whose versions the host offers), then in-band packet payloads (see
 * fuzz-util.h). As in hw/vmbus/vmbus-ic.c, the first NEGOTIATE answer
 * picks the versions, and then every answer goes to the service's parser.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "fuzz-util.h"
#include "hw/vmbus/ic-msg.h"

typedef struct FuzzService {
    uint16_t msgtype;
    uint32_t versions[8];
} FuzzService;

static const FuzzService fuzz_services[] = {
    { IC_MSGTYPE_HEARTBEAT, { IC_VERSION(3, 0), IC_VERSION(1, 0) } },
    { IC_MSGTYPE_SHUTDOWN, { IC_VERSION(3, 2), IC_VERSION(3, 1),
                             IC_VERSION(3, 0), IC_VERSION(1, 0) } },
    { IC_MSGTYPE_TIMESYNC, { IC_VERSION(4, 0), IC_VERSION(3, 0),
                             IC_VERSION(1, 0) } },
    { IC_MSGTYPE_KVPEXCHANGE, { IC_VERSION(4, 0), IC_VERSION(3, 0),
                                IC_VERSION(1, 0) } },
};

static bool fuzz_version_in(const uint32_t *list, unsigned int n, uint32_t v)
{
    unsigned int i;

    for (i = 0; i < n; i++) {
        if (list[i] && list[i] == v) {
            return true;
        }
    }
    return false;
}

/*
 * A decoded UTF-16 string, encoded again, gives the guest's code units up
 * to its first NUL (or the end of its @size bytes).
 */
static void fuzz_check_utf16(const char *s, const uint8_t *field,
                             uint32_t size)
{
    g_autofree uint8_t *out = g_malloc(size + 4);
    uint32_t n, i;

    FUZZ_CHECK(g_utf8_validate(s, -1, NULL));
    n = ic_msg_kvp_utf16(s, out, size + 4);
    FUZZ_CHECK(n >= 2 && n % 2 == 0 && n - 2 <= size);
    FUZZ_CHECK(!memcmp(out, field, n - 2));
    for (i = 0; i < n - 2; i += 2) {
        FUZZ_CHECK(lduw_le_p(field + i) != 0);
    }
    FUZZ_CHECK(n - 2 + 1 >= size || lduw_le_p(field + n - 2) == 0);
}

static void fuzz_kvp_item(const ICGuestMsg *msg)
{
    const uint8_t *data = msg->body + offsetof(ICKvpEnumerate, data);
    uint32_t type = ldl_le_p(data);
    uint32_t key_size = ldl_le_p(data + 4);
    uint32_t value_size = ldl_le_p(data + 8);
    char *key = (char *)1, *value = (char *)1;
    const char *why = NULL;
    int ret;

    ret = ic_msg_kvp_enum_item(msg, &key, &value, &why);
    if (ret == -E2BIG) {
        FUZZ_CHECK(why != NULL);
        FUZZ_CHECK(key_size > IC_KVP_MAX_KEY_BYTES ||
                   value_size > IC_KVP_MAX_VALUE_BYTES);
        FUZZ_CHECK(!key && !value);
        return;
    }
    FUZZ_CHECK(key_size <= IC_KVP_MAX_KEY_BYTES &&
               value_size <= IC_KVP_MAX_VALUE_BYTES);
    if (ret < 0) {
        FUZZ_CHECK(ret == -EINVAL && why != NULL && !key && !value);
        return;
    }
    FUZZ_CHECK(ret == 0 && key && value);
    fuzz_check_utf16(key, data + offsetof(ICKvpValue, key), key_size);
    switch (type) {
    case IC_KVP_REG_SZ:
        fuzz_check_utf16(value, data + offsetof(ICKvpValue, value),
                         value_size);
        break;
    case IC_KVP_REG_U32:
    case IC_KVP_REG_U64:
        FUZZ_CHECK(strlen(value) >= 1 && strlen(value) <= 20);
        FUZZ_CHECK(strspn(value, "0123456789") == strlen(value));
        break;
    default:
        FUZZ_CHECK(false);
    }
    g_free(key);
    g_free(value);
}

static void fuzz_one(const uint8_t *buf, uint32_t len,
                     const FuzzService *svc, bool *ready, uint32_t *srv)
{
    ICGuestMsg msg;
    const char *why = NULL;
    uint32_t fw, v;
    uint64_t seq;
    uint8_t flags, op;

    if (ic_msg_parse(buf, len, &msg, &why) < 0) {
        FUZZ_CHECK(why != NULL);
        return;
    }
    FUZZ_CHECK(len >= IC_HEADERS_SIZE);
    FUZZ_CHECK(msg.body == buf + IC_HEADERS_SIZE);
    FUZZ_CHECK(msg.avail == len - IC_HEADERS_SIZE);
    FUZZ_CHECK(msg.body_len <= msg.avail);
    FUZZ_CHECK(msg.body_len == MIN(lduw_le_p(buf + 18), msg.avail));
    FUZZ_CHECK(msg.flags & IC_FLAG_RESPONSE);
    FUZZ_CHECK(msg.msgtype == lduw_le_p(buf + 12));

    if (msg.msgtype == IC_MSGTYPE_NEGOTIATE) {
        if (*ready) {
            return;                     /* out of turn: the device says so */
        }
        why = NULL;
        if (ic_msg_negotiate(&msg, svc->versions, ARRAY_SIZE(svc->versions),
                             &fw, &v, &why) < 0) {
            FUZZ_CHECK(why != NULL);
            return;
        }
        FUZZ_CHECK(msg.avail >= sizeof(ICNegotiate) + 2 * sizeof(ICVersion));
        FUZZ_CHECK(fw == IC_FRAMEWORK_3_0 || fw == IC_FRAMEWORK_1_0);
        FUZZ_CHECK(fuzz_version_in(svc->versions, ARRAY_SIZE(svc->versions),
                                   v));
        *ready = true;
        *srv = v;
        return;
    }
    if (!*ready) {
        return;
    }
    switch (svc->msgtype) {
    case IC_MSGTYPE_HEARTBEAT:
        if (ic_msg_heartbeat(&msg, &seq, &why) == 0) {
            FUZZ_CHECK(msg.msgtype == IC_MSGTYPE_HEARTBEAT);
            FUZZ_CHECK(msg.body_len >= sizeof(uint64_t));
            FUZZ_CHECK(seq == ldq_le_p(msg.body));
        }
        break;
    case IC_MSGTYPE_SHUTDOWN:
        if (ic_msg_shutdown(&msg, &why) == 0) {
            FUZZ_CHECK(msg.msgtype == IC_MSGTYPE_SHUTDOWN);
        }
        break;
    case IC_MSGTYPE_TIMESYNC:
        if (ic_msg_timesync(&msg, *srv, &flags, &why) == 0) {
            bool v4 = *srv >= IC_VERSION(4, 0);

            FUZZ_CHECK(msg.msgtype == IC_MSGTYPE_TIMESYNC);
            FUZZ_CHECK(msg.body_len >= (v4 ? sizeof(ICTimesyncRef)
                                           : sizeof(ICTimesync)));
            FUZZ_CHECK(flags == msg.body[v4 ? offsetof(ICTimesyncRef, flags)
                                            : offsetof(ICTimesync, flags)]);
        }
        break;
    default:
        if (ic_msg_kvp(&msg, &op, &why) == 0) {
            FUZZ_CHECK(msg.msgtype == IC_MSGTYPE_KVPEXCHANGE);
            FUZZ_CHECK(msg.body_len >= sizeof(ICKvpEnumerate));
            FUZZ_CHECK(op == msg.body[0]);
            if (op == IC_KVP_OP_ENUMERATE && msg.status == IC_STATUS_OK) {
                fuzz_kvp_item(&msg);
            }
        }
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FuzzInput in = { data, size };
    const FuzzService *svc =
        &fuzz_services[fuzz_u8(&in) % ARRAY_SIZE(fuzz_services)];
    bool ready = false;
    uint32_t srv = 0;
    uint8_t *pkt;
    uint32_t len;

    while ((pkt = fuzz_next_packet(&in, &len))) {
        fuzz_one(pkt, len, svc, &ready, &srv);
        free(pkt);
    }
    return 0;
}
