/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for the integration service message parser
 * (hw/vmbus/ic-msg.c), with the answers a Linux guest sends
 * (drivers/hv/hv_util.c, hv_kvp.c, vmbus_prep_negotiate_resp() in
 * channel_mgmt.c: the guest answers in the host's buffer with the response
 * flag set) and hostile ones.
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "hw/vmbus/ic-msg.h"

#define BUF_MAX     (IC_HEADERS_SIZE + IC_KVP_MSG_SIZE + 8)

static const uint32_t heartbeat_versions[] = {
    IC_VERSION(3, 0), IC_VERSION(1, 0), 0, 0, 0, 0, 0, 0,
};

/*
 * An answer as Linux sends it: the pipe header, the IC header with
 * @msgtype, @status and the response flag, then @body (@body_len bytes,
 * icmsgsize). Returns the packet length.
 */
static uint32_t make_answer(uint8_t *buf, uint16_t msgtype, uint32_t status,
                            const void *body, uint32_t body_len)
{
    uint32_t len = IC_HEADERS_SIZE + body_len;

    g_assert_cmpuint(len, <=, BUF_MAX);
    memset(buf, 0, BUF_MAX);
    stl_le_p(buf, 1);
    stl_le_p(buf + 4, sizeof(ICMsgHeader) + body_len);
    stw_le_p(buf + 8, 3);                       /* icverframe 3.0 */
    stw_le_p(buf + 12, msgtype);
    stw_le_p(buf + 14, 3);                      /* icvermsg 3.0 */
    stw_le_p(buf + 18, body_len);
    stl_le_p(buf + 20, status);
    buf[24] = 7;                                /* transaction id */
    buf[25] = IC_FLAG_TRANSACTION | IC_FLAG_RESPONSE;
    if (body_len) {
        memcpy(buf + IC_HEADERS_SIZE, body, body_len);
    }
    return len;
}

/* Parse an exact-size copy of @buf, so that a read past it is caught. */
static int parse_copy(const uint8_t *buf, uint32_t len, ICGuestMsg *msg,
                      uint8_t **copy, const char **why)
{
    *copy = g_memdup2(buf, len);
    return ic_msg_parse(*copy, len, msg, why);
}

static void test_headers(void)
{
    uint8_t buf[BUF_MAX], body[40] = { 1, 2, 3 };
    g_autofree uint8_t *copy = NULL;
    const char *why = NULL;
    ICGuestMsg msg;
    uint32_t len, i;

    len = make_answer(buf, IC_MSGTYPE_HEARTBEAT, IC_STATUS_OK, body,
                      sizeof(body));
    g_assert_cmpint(parse_copy(buf, len, &msg, &copy, &why), ==, 0);
    g_assert_cmpuint(msg.msgtype, ==, IC_MSGTYPE_HEARTBEAT);
    g_assert_cmpuint(msg.status, ==, IC_STATUS_OK);
    g_assert_cmpuint(msg.transaction_id, ==, 7);
    g_assert_true(msg.flags & IC_FLAG_RESPONSE);
    g_assert_true(msg.body == copy + IC_HEADERS_SIZE);
    g_assert_cmpuint(msg.body_len, ==, sizeof(body));
    g_assert_cmpuint(msg.avail, ==, sizeof(body));
    g_assert_cmpuint(msg.body[2], ==, 3);

    /* every length short of the headers */
    for (i = 0; i < IC_HEADERS_SIZE; i++) {
        g_autofree uint8_t *c = NULL;

        why = NULL;
        g_assert_cmpint(parse_copy(buf, i, &msg, &c, &why), ==, -EINVAL);
        g_assert_nonnull(why);
    }
    /* headers only: an empty body */
    g_clear_pointer(&copy, g_free);
    g_assert_cmpint(parse_copy(buf, IC_HEADERS_SIZE, &msg, &copy, &why), ==,
                    0);
    g_assert_cmpuint(msg.body_len, ==, 0);
    g_assert_cmpuint(msg.avail, ==, 0);

    /* icmsgsize beyond the packet is clipped to what is there */
    stw_le_p(buf + 18, 0xffff);
    g_clear_pointer(&copy, g_free);
    g_assert_cmpint(parse_copy(buf, len, &msg, &copy, &why), ==, 0);
    g_assert_cmpuint(msg.body_len, ==, sizeof(body));
    stw_le_p(buf + 18, 8);
    g_clear_pointer(&copy, g_free);
    g_assert_cmpint(parse_copy(buf, len, &msg, &copy, &why), ==, 0);
    g_assert_cmpuint(msg.body_len, ==, 8);
    g_assert_cmpuint(msg.avail, ==, sizeof(body));

    /* a request from the guest, with or without other flags */
    buf[25] = IC_FLAG_TRANSACTION | IC_FLAG_REQUEST;
    g_clear_pointer(&copy, g_free);
    why = NULL;
    g_assert_cmpint(parse_copy(buf, len, &msg, &copy, &why), ==, -EINVAL);
    g_assert_cmpstr(why, ==, "request from the guest");
    buf[25] = 0;
    g_clear_pointer(&copy, g_free);
    g_assert_cmpint(parse_copy(buf, len, &msg, &copy, &why), ==, -EINVAL);
}

/* A NEGOTIATE answer with @nfw / @nsrv counts and the two versions */
static uint32_t make_negotiate(uint8_t *buf, uint16_t nfw, uint16_t nsrv,
                               uint32_t fw, uint32_t srv)
{
    uint8_t body[sizeof(ICNegotiate) + 2 * sizeof(ICVersion)] = { 0 };
    uint32_t len;

    stw_le_p(body, nfw);
    stw_le_p(body + 2, nsrv);
    stw_le_p(body + 8, IC_VERSION_MAJOR(fw));
    stw_le_p(body + 10, IC_VERSION_MINOR(fw));
    stw_le_p(body + 12, IC_VERSION_MAJOR(srv));
    stw_le_p(body + 14, IC_VERSION_MINOR(srv));
    len = make_answer(buf, IC_MSGTYPE_NEGOTIATE, IC_STATUS_OK, body,
                      sizeof(body));
    /*
     * Linux leaves icmsgsize as the host's request had it (the host
     * offered 4 versions here: more than the answer's 2).
     */
    stw_le_p(buf + 18, sizeof(ICNegotiate) + 4 * sizeof(ICVersion));
    return len;
}

static int negotiate(const uint8_t *buf, uint32_t len, uint32_t *fw,
                     uint32_t *srv, const char **why)
{
    g_autofree uint8_t *copy = NULL;
    ICGuestMsg msg;

    g_assert_cmpint(parse_copy(buf, len, &msg, &copy, why), ==, 0);
    return ic_msg_negotiate(&msg, heartbeat_versions,
                            ARRAY_SIZE(heartbeat_versions), fw, srv, why);
}

static void test_negotiate(void)
{
    uint8_t buf[BUF_MAX];
    const char *why = NULL;
    uint32_t fw = 0, srv = 0, len, i;

    /* what Linux answers to a heartbeat offer */
    len = make_negotiate(buf, 1, 1, IC_FRAMEWORK_3_0, IC_VERSION(3, 0));
    g_assert_cmpint(negotiate(buf, len, &fw, &srv, &why), ==, 0);
    g_assert_cmphex(fw, ==, IC_FRAMEWORK_3_0);
    g_assert_cmphex(srv, ==, IC_VERSION(3, 0));
    len = make_negotiate(buf, 1, 1, IC_FRAMEWORK_1_0, IC_VERSION(1, 0));
    g_assert_cmpint(negotiate(buf, len, &fw, &srv, &why), ==, 0);
    g_assert_cmphex(srv, ==, IC_VERSION(1, 0));

    /* no match: Linux sets both counts to 0 */
    len = make_negotiate(buf, 0, 0, 0, 0);
    g_assert_cmpint(negotiate(buf, len, &fw, &srv, &why), ==, -EINVAL);
    g_assert_cmpstr(why, ==, "guest accepted no version");
    len = make_negotiate(buf, 1, 2, IC_FRAMEWORK_3_0, IC_VERSION(3, 0));
    g_assert_cmpint(negotiate(buf, len, &fw, &srv, &why), ==, -EINVAL);
    len = make_negotiate(buf, 0xffff, 1, IC_FRAMEWORK_3_0, IC_VERSION(3, 0));
    g_assert_cmpint(negotiate(buf, len, &fw, &srv, &why), ==, -EINVAL);

    /* versions that were not offered; 0.0 must not match the list's end */
    len = make_negotiate(buf, 1, 1, IC_VERSION(2, 0), IC_VERSION(3, 0));
    g_assert_cmpint(negotiate(buf, len, &fw, &srv, &why), ==, -EINVAL);
    g_assert_cmpstr(why, ==, "guest picked a version not offered");
    len = make_negotiate(buf, 1, 1, IC_FRAMEWORK_3_0, IC_VERSION(3, 2));
    g_assert_cmpint(negotiate(buf, len, &fw, &srv, &why), ==, -EINVAL);
    len = make_negotiate(buf, 1, 1, IC_FRAMEWORK_3_0, 0);
    g_assert_cmpint(negotiate(buf, len, &fw, &srv, &why), ==, -EINVAL);
    len = make_negotiate(buf, 1, 1, 0, IC_VERSION(3, 0));
    g_assert_cmpint(negotiate(buf, len, &fw, &srv, &why), ==, -EINVAL);

    /* cut short anywhere before the service version's end */
    len = make_negotiate(buf, 1, 1, IC_FRAMEWORK_3_0, IC_VERSION(3, 0));
    for (i = IC_HEADERS_SIZE; i < len; i++) {
        g_assert_cmpint(negotiate(buf, i, &fw, &srv, &why), ==, -EINVAL);
        g_assert_cmpstr(why, ==, "guest accepted no version");
    }

    /* a NEGOTIATE-shaped answer of another type */
    len = make_negotiate(buf, 1, 1, IC_FRAMEWORK_3_0, IC_VERSION(3, 0));
    stw_le_p(buf + 12, IC_MSGTYPE_HEARTBEAT);
    g_assert_cmpint(negotiate(buf, len, &fw, &srv, &why), ==, -EINVAL);
}

static void test_heartbeat_shutdown(void)
{
    uint8_t buf[BUF_MAX];
    ICHeartbeat hb = { .seq_num = cpu_to_le64(0x1234567890ull) };
    ICShutdown sd = { .flags = cpu_to_le32(IC_SHUTDOWN_FLAG_SHUTDOWN) };
    g_autofree uint8_t *copy = NULL;
    const char *why = NULL;
    ICGuestMsg msg;
    uint64_t seq = 0;
    uint32_t len;

    len = make_answer(buf, IC_MSGTYPE_HEARTBEAT, IC_STATUS_OK, &hb,
                      sizeof(hb));
    g_assert_cmpint(parse_copy(buf, len, &msg, &copy, &why), ==, 0);
    g_assert_cmpint(ic_msg_heartbeat(&msg, &seq, &why), ==, 0);
    g_assert_cmphex(seq, ==, 0x1234567890ull);
    /* not a heartbeat, for the heartbeat and the shutdown service */
    g_assert_cmpint(ic_msg_shutdown(&msg, &why), ==, -EINVAL);
    g_assert_cmpstr(why, ==, "unexpected response");

    /* a body too short for the sequence number (icmsgsize, or the packet) */
    stw_le_p(buf + 18, 7);
    g_clear_pointer(&copy, g_free);
    g_assert_cmpint(parse_copy(buf, len, &msg, &copy, &why), ==, 0);
    g_assert_cmpint(ic_msg_heartbeat(&msg, &seq, &why), ==, -EINVAL);
    stw_le_p(buf + 18, sizeof(hb));
    g_clear_pointer(&copy, g_free);
    g_assert_cmpint(parse_copy(buf, IC_HEADERS_SIZE + 7, &msg, &copy, &why),
                    ==, 0);
    g_assert_cmpint(ic_msg_heartbeat(&msg, &seq, &why), ==, -EINVAL);

    /* shutdown: the guest's status is what counts, the body is not read */
    len = make_answer(buf, IC_MSGTYPE_SHUTDOWN, IC_STATUS_FAIL, &sd,
                      sizeof(sd));
    g_clear_pointer(&copy, g_free);
    g_assert_cmpint(parse_copy(buf, len, &msg, &copy, &why), ==, 0);
    g_assert_cmpint(ic_msg_shutdown(&msg, &why), ==, 0);
    g_assert_cmphex(msg.status, ==, IC_STATUS_FAIL);
    g_assert_cmpint(ic_msg_heartbeat(&msg, &seq, &why), ==, -EINVAL);
    g_clear_pointer(&copy, g_free);
    g_assert_cmpint(parse_copy(buf, IC_HEADERS_SIZE, &msg, &copy, &why), ==,
                    0);
    g_assert_cmpint(ic_msg_shutdown(&msg, &why), ==, 0);
}

static void test_timesync(void)
{
    uint8_t buf[BUF_MAX];
    ICTimesync v3 = { .flags = IC_TIMESYNC_FLAG_SYNC };
    ICTimesyncRef v4 = { .flags = IC_TIMESYNC_FLAG_SAMPLE };
    g_autofree uint8_t *copy = NULL;
    const char *why = NULL;
    ICGuestMsg msg;
    uint8_t flags = 0xff;
    uint32_t len;

    len = make_answer(buf, IC_MSGTYPE_TIMESYNC, IC_STATUS_OK, &v3,
                      sizeof(v3));
    g_assert_cmpint(parse_copy(buf, len, &msg, &copy, &why), ==, 0);
    g_assert_cmpint(ic_msg_timesync(&msg, IC_VERSION(3, 0), &flags, &why),
                    ==, 0);
    g_assert_cmpuint(flags, ==, IC_TIMESYNC_FLAG_SYNC);
    /* a 3.0 answer is long enough for 4.0 too, but holds other fields */
    g_assert_cmpint(ic_msg_timesync(&msg, IC_VERSION(4, 0), &flags, &why),
                    ==, 0);

    len = make_answer(buf, IC_MSGTYPE_TIMESYNC, IC_STATUS_OK, &v4,
                      sizeof(v4));
    g_clear_pointer(&copy, g_free);
    g_assert_cmpint(parse_copy(buf, len, &msg, &copy, &why), ==, 0);
    g_assert_cmpint(ic_msg_timesync(&msg, IC_VERSION(4, 0), &flags, &why),
                    ==, 0);
    g_assert_cmpuint(flags, ==, IC_TIMESYNC_FLAG_SAMPLE);
    /* 22 bytes are too short for a 3.0 sample */
    g_assert_cmpint(ic_msg_timesync(&msg, IC_VERSION(3, 0), &flags, &why),
                    ==, -EINVAL);
    g_assert_cmpint(ic_msg_timesync(&msg, IC_VERSION(1, 0), &flags, &why),
                    ==, -EINVAL);
    /* one byte short of the 4.0 sample */
    stw_le_p(buf + 18, sizeof(v4) - 1);
    g_clear_pointer(&copy, g_free);
    g_assert_cmpint(parse_copy(buf, len, &msg, &copy, &why), ==, 0);
    g_assert_cmpint(ic_msg_timesync(&msg, IC_VERSION(4, 0), &flags, &why),
                    ==, -EINVAL);
    /* another type */
    len = make_answer(buf, IC_MSGTYPE_HEARTBEAT, IC_STATUS_OK, &v3,
                      sizeof(v3));
    g_clear_pointer(&copy, g_free);
    g_assert_cmpint(parse_copy(buf, len, &msg, &copy, &why), ==, 0);
    g_assert_cmpint(ic_msg_timesync(&msg, IC_VERSION(3, 0), &flags, &why),
                    ==, -EINVAL);
}

/* A KVP ENUMERATE answer (the whole hv_kvp_msg, as Linux echoes it) */
static uint32_t make_kvp(uint8_t *buf, uint8_t op, uint32_t type,
                         const char *key, const void *value,
                         uint32_t value_size)
{
    g_autofree uint8_t *body = g_malloc0(IC_KVP_MSG_SIZE);
    ICKvpEnumerate *e = (ICKvpEnumerate *)body;

    e->hdr.operation = op;
    e->hdr.pool = IC_KVP_POOL_AUTO;
    e->data.value_type = cpu_to_le32(type);
    e->data.key_size = cpu_to_le32(
        ic_msg_kvp_utf16(key, e->data.key, sizeof(e->data.key)));
    memcpy(e->data.value, value, value_size);
    e->data.value_size = cpu_to_le32(value_size);
    return make_answer(buf, IC_MSGTYPE_KVPEXCHANGE, IC_STATUS_OK, body,
                       IC_KVP_MSG_SIZE);
}

static int kvp_item(const uint8_t *buf, uint32_t len, char **key,
                    char **value, const char **why)
{
    g_autofree uint8_t *copy = NULL;
    ICGuestMsg msg;
    uint8_t op = 0xff;
    int ret;

    g_assert_cmpint(parse_copy(buf, len, &msg, &copy, why), ==, 0);
    ret = ic_msg_kvp(&msg, &op, why);
    if (ret < 0) {
        return ret;
    }
    g_assert_cmpuint(op, ==, buf[IC_HEADERS_SIZE]);
    return ic_msg_kvp_enum_item(&msg, key, value, why);
}

static void test_kvp(void)
{
    g_autofree uint8_t *buf = g_malloc0(BUF_MAX);
    uint8_t value[IC_KVP_MAX_VALUE_BYTES];
    char *key = NULL, *val = NULL;
    const char *why = NULL;
    uint32_t len, vlen;
    uint8_t u16[8];

    /* a string value, as hv_kvp_daemon answers for the host name */
    vlen = ic_msg_kvp_utf16("debian-guest", value, sizeof(value));
    g_assert_cmpuint(vlen, ==, 26);
    len = make_kvp(buf, IC_KVP_OP_ENUMERATE, IC_KVP_REG_SZ, "FullyQualified"
                   "DomainName", value, vlen);
    g_assert_cmpint(kvp_item(buf, len, &key, &val, &why), ==, 0);
    g_assert_cmpstr(key, ==, "FullyQualifiedDomainName");
    g_assert_cmpstr(val, ==, "debian-guest");
    g_clear_pointer(&key, g_free);
    g_clear_pointer(&val, g_free);

    /* a string without its NUL, and non-ASCII text */
    vlen = ic_msg_kvp_utf16("Gr\xc3\xbc\xc3\x9f" "e", value, sizeof(value));
    len = make_kvp(buf, IC_KVP_OP_ENUMERATE, IC_KVP_REG_SZ, "k", value,
                   vlen - 2);
    g_assert_cmpint(kvp_item(buf, len, &key, &val, &why), ==, 0);
    g_assert_cmpstr(val, ==, "Gr\xc3\xbc\xc3\x9f" "e");
    g_clear_pointer(&key, g_free);
    g_clear_pointer(&val, g_free);

    /* numbers */
    stl_le_p(value, 4000000000u);
    len = make_kvp(buf, IC_KVP_OP_ENUMERATE, IC_KVP_REG_U32, "n", value, 4);
    g_assert_cmpint(kvp_item(buf, len, &key, &val, &why), ==, 0);
    g_assert_cmpstr(val, ==, "4000000000");
    g_clear_pointer(&key, g_free);
    g_clear_pointer(&val, g_free);
    stq_le_p(value, 18446744073709551615ull);
    len = make_kvp(buf, IC_KVP_OP_ENUMERATE, IC_KVP_REG_U64, "n", value, 8);
    g_assert_cmpint(kvp_item(buf, len, &key, &val, &why), ==, 0);
    g_assert_cmpstr(val, ==, "18446744073709551615");
    g_clear_pointer(&key, g_free);
    g_clear_pointer(&val, g_free);

    /* a type the host does not know: this item only */
    len = make_kvp(buf, IC_KVP_OP_ENUMERATE, 3, "n", value, 8);
    g_assert_cmpint(kvp_item(buf, len, &key, &val, &why), ==, -EINVAL);
    g_assert_null(key);
    g_assert_null(val);

    /* a lone surrogate is no UTF-16 */
    stw_le_p(u16, 0xd800);
    stw_le_p(u16 + 2, 'x');
    len = make_kvp(buf, IC_KVP_OP_ENUMERATE, IC_KVP_REG_SZ, "k", u16, 4);
    g_assert_cmpint(kvp_item(buf, len, &key, &val, &why), ==, -EINVAL);
    g_assert_cmpstr(why, ==, "bad key or value encoding");

    /* sizes beyond their fields: the enumeration is over */
    len = make_kvp(buf, IC_KVP_OP_ENUMERATE, IC_KVP_REG_SZ, "k", value, 2);
    stl_le_p(buf + IC_HEADERS_SIZE + 8 + 4, IC_KVP_MAX_KEY_BYTES + 2);
    g_assert_cmpint(kvp_item(buf, len, &key, &val, &why), ==, -E2BIG);
    len = make_kvp(buf, IC_KVP_OP_ENUMERATE, IC_KVP_REG_SZ, "k", value, 2);
    stl_le_p(buf + IC_HEADERS_SIZE + 8 + 8, 0xffffffffu);
    g_assert_cmpint(kvp_item(buf, len, &key, &val, &why), ==, -E2BIG);
    g_assert_null(key);
    /* the largest sizes are fine (and stay in the fields) */
    memset(value, 'a', sizeof(value));
    len = make_kvp(buf, IC_KVP_OP_ENUMERATE, IC_KVP_REG_SZ, "k", value,
                   IC_KVP_MAX_VALUE_BYTES);
    stl_le_p(buf + IC_HEADERS_SIZE + 8 + 4, IC_KVP_MAX_KEY_BYTES);
    g_assert_cmpint(kvp_item(buf, len, &key, &val, &why), ==, 0);
    /* 1024 times U+6161 ("aa" read as UTF-16LE) */
    g_assert_cmpuint(g_utf8_strlen(val, -1), ==, IC_KVP_MAX_VALUE_BYTES / 2);
    g_clear_pointer(&key, g_free);
    g_clear_pointer(&val, g_free);

    /* shorter than an ENUMERATE message: refused before the item */
    len = make_kvp(buf, IC_KVP_OP_SET, IC_KVP_REG_SZ, "k", value, 2);
    g_assert_cmpint(kvp_item(buf, IC_HEADERS_SIZE + sizeof(ICKvpEnumerate),
                             &key, &val, &why), ==, 0);
    g_clear_pointer(&key, g_free);
    g_clear_pointer(&val, g_free);
    g_assert_cmpint(kvp_item(buf, IC_HEADERS_SIZE + sizeof(ICKvpEnumerate)
                             - 1, &key, &val, &why), ==, -EINVAL);
    g_assert_cmpstr(why, ==, "unexpected response");
}

static void test_kvp_utf16(void)
{
    uint8_t out[IC_KVP_MAX_KEY_BYTES];

    g_assert_cmpuint(ic_msg_kvp_utf16("", out, sizeof(out)), ==, 2);
    g_assert_cmpuint(lduw_le_p(out), ==, 0);
    g_assert_cmpuint(ic_msg_kvp_utf16("ab", out, sizeof(out)), ==, 6);
    g_assert_cmpuint(lduw_le_p(out), ==, 'a');
    g_assert_cmpuint(lduw_le_p(out + 4), ==, 0);
    /* U+1F600 takes a surrogate pair */
    g_assert_cmpuint(ic_msg_kvp_utf16("\xf0\x9f\x98\x80", out, sizeof(out)),
                     ==, 6);
    g_assert_cmphex(lduw_le_p(out), ==, 0xd83d);
    /* exactly full, one too many, not UTF-8 */
    g_assert_cmpuint(ic_msg_kvp_utf16("abc", out, 8), ==, 8);
    g_assert_cmpuint(ic_msg_kvp_utf16("abcd", out, 8), ==, 0);
    g_assert_cmpuint(ic_msg_kvp_utf16("\xff", out, sizeof(out)), ==, 0);
}

/* Random answers: no crash, no read outside the copy (ASan builds). */
static void test_random(void)
{
    GRand *rand = g_rand_new_with_seed(0x1c3e55);
    g_autofree uint8_t *buf = g_malloc0(BUF_MAX);
    int i;

    for (i = 0; i < 20000; i++) {
        static const uint16_t types[] = {
            IC_MSGTYPE_NEGOTIATE, IC_MSGTYPE_HEARTBEAT, IC_MSGTYPE_SHUTDOWN,
            IC_MSGTYPE_TIMESYNC, IC_MSGTYPE_KVPEXCHANGE, 77,
        };
        uint32_t body_len = g_rand_int_range(rand, 0, 2) ?
                            g_rand_int_range(rand, 0, 64) :
                            g_rand_int_range(rand, 2560, IC_KVP_MSG_SIZE);
        g_autofree uint8_t *body = g_malloc(body_len + 1);
        g_autofree uint8_t *copy = NULL;
        char *key = NULL, *val = NULL;
        const char *why = NULL;
        uint32_t len, j, fw, srv;
        uint64_t seq;
        uint8_t flags;
        ICGuestMsg msg;

        for (j = 0; j < body_len; j++) {
            body[j] = g_rand_int_range(rand, 0, 4) ? g_rand_int(rand) : 0;
        }
        len = make_answer(buf, types[g_rand_int_range(rand, 0, 6)],
                          g_rand_int(rand), body, body_len);
        if (!g_rand_int_range(rand, 0, 4)) {
            stw_le_p(buf + 18, g_rand_int(rand));
        }
        len = g_rand_int_range(rand, 0, 8) ? len :
              (uint32_t)g_rand_int_range(rand, 0, len + 1);
        if (parse_copy(buf, len, &msg, &copy, &why) < 0) {
            continue;
        }
        g_assert_cmpuint(msg.body_len, <=, msg.avail);
        g_assert_cmpuint(IC_HEADERS_SIZE + msg.avail, ==, len);
        ic_msg_negotiate(&msg, heartbeat_versions,
                         ARRAY_SIZE(heartbeat_versions), &fw, &srv, &why);
        ic_msg_heartbeat(&msg, &seq, &why);
        ic_msg_shutdown(&msg, &why);
        ic_msg_timesync(&msg, IC_VERSION(4, 0), &flags, &why);
        ic_msg_timesync(&msg, IC_VERSION(3, 0), &flags, &why);
        if (ic_msg_kvp(&msg, &flags, &why) == 0 &&
            ic_msg_kvp_enum_item(&msg, &key, &val, &why) == 0) {
            g_free(key);
            g_free(val);
        }
    }
    g_rand_free(rand);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/ic-msg/headers", test_headers);
    g_test_add_func("/ic-msg/negotiate", test_negotiate);
    g_test_add_func("/ic-msg/heartbeat-shutdown", test_heartbeat_shutdown);
    g_test_add_func("/ic-msg/timesync", test_timesync);
    g_test_add_func("/ic-msg/kvp", test_kvp);
    g_test_add_func("/ic-msg/kvp-utf16", test_kvp_utf16);
    g_test_add_func("/ic-msg/random", test_random);
    return g_test_run();
}
