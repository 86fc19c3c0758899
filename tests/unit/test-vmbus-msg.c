/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for the VMBus message table (hw/vmbus/vmbus-msg.c)
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "hw/vmbus/vmbus-msg.h"

/* What a Linux guest posts, with the size it posts it at */
static const struct {
    uint32_t type;
    uint32_t min_size;
    const char *name;
} guest_types[] = {
    { VMBUS_MSGTYPE_REQUEST_OFFERS, 8, "RequestOffers" },
    { VMBUS_MSGTYPE_OPEN_CHANNEL, 148, "OpenChannel" },
    { VMBUS_MSGTYPE_CLOSE_CHANNEL, 12, "CloseChannel" },
    { VMBUS_MSGTYPE_GPADL_HEADER, 28, "GpadlHeader" },
    { VMBUS_MSGTYPE_GPADL_BODY, 24, "GpadlBody" },
    { VMBUS_MSGTYPE_GPADL_TEARDOWN, 16, "GpadlTeardown" },
    { VMBUS_MSGTYPE_RELID_RELEASED, 12, "RelIdReleased" },
    { VMBUS_MSGTYPE_INITIATE_CONTACT, 40, "InitiateContact" },
    { VMBUS_MSGTYPE_UNLOAD, 8, "Unload" },
    { VMBUS_MSGTYPE_TL_CONNECT_REQUEST, 40, "TlConnectRequest" },
    { VMBUS_MSGTYPE_MODIFY_CHANNEL, 16, "ModifyChannel" },
};

/* What only a host sends, with its full size */
static const struct {
    uint32_t type;
    uint32_t size;
    const char *name;
} host_types[] = {
    { VMBUS_MSGTYPE_OFFER_CHANNEL, 196, "OfferChannel" },
    { VMBUS_MSGTYPE_RESCIND_CHANNEL_OFFER, 12, "RescindChannelOffer" },
    { VMBUS_MSGTYPE_ALL_OFFERS_DELIVERED, 8, "AllOffersDelivered" },
    { VMBUS_MSGTYPE_OPEN_RESULT, 20, "OpenResult" },
    { VMBUS_MSGTYPE_GPADL_CREATED, 20, "GpadlCreated" },
    { VMBUS_MSGTYPE_GPADL_TORNDOWN, 12, "GpadlTorndown" },
    { VMBUS_MSGTYPE_VERSION_RESPONSE, 16, "VersionResponse" },
    { VMBUS_MSGTYPE_UNLOAD_RESPONSE, 8, "UnloadResponse" },
    { VMBUS_MSGTYPE_TL_CONNECT_RESULT, 8, "TlConnectResult" },
    { VMBUS_MSGTYPE_MODIFY_CHANNEL_RESPONSE, 16, "ModifyChannelResponse" },
};

static const uint32_t unknown_types[] = {
    VMBUS_MSGTYPE_INVALID, 18, 19, 20, VMBUS_MSGTYPE_COUNT, 0x100,
    0x80000001, UINT32_MAX,
};

static uint32_t make_msg(uint8_t *buf, uint32_t type)
{
    memset(buf, 0xa5, VMBUS_MESSAGE_PAYLOAD_MAX + 16);
    stl_le_p(buf, type);
    stl_le_p(buf + 4, 0);
    return VMBUS_MESSAGE_PAYLOAD_MAX;
}

static void test_table(void)
{
    uint32_t type, known = 0;
    size_t i;

    /* 0 and 18..20 are holes; 21 types in all */
    for (type = 0; type < VMBUS_MSGTYPE_COUNT + 5; type++) {
        const VMBusMsgInfo *info = vmbus_msg_info(type);

        if (type == 0 || (type >= 18 && type <= 20) ||
            type >= VMBUS_MSGTYPE_COUNT) {
            g_assert_null(info);
            g_assert_cmpstr(vmbus_msg_name(type), ==, "unknown");
            continue;
        }
        g_assert_nonnull(info);
        g_assert_cmpuint(info->min_size, >=, sizeof(VMBusMsgHeader));
        g_assert_cmpuint(info->min_size, <=, VMBUS_MESSAGE_PAYLOAD_MAX);
        known++;
    }
    g_assert_cmpuint(known, ==, ARRAY_SIZE(guest_types) +
                     ARRAY_SIZE(host_types));
    g_assert_cmpuint(VMBUS_MSGTYPE_COUNT, ==, 25);

    for (i = 0; i < ARRAY_SIZE(guest_types); i++) {
        const VMBusMsgInfo *info = vmbus_msg_info(guest_types[i].type);

        g_assert_true(info->guest_may_send);
        g_assert_cmpuint(info->min_size, ==, guest_types[i].min_size);
        g_assert_cmpstr(vmbus_msg_name(guest_types[i].type), ==,
                        guest_types[i].name);
    }
    for (i = 0; i < ARRAY_SIZE(host_types); i++) {
        const VMBusMsgInfo *info = vmbus_msg_info(host_types[i].type);

        g_assert_false(info->guest_may_send);
        g_assert_cmpuint(info->min_size, ==, host_types[i].size);
        g_assert_cmpstr(vmbus_msg_name(host_types[i].type), ==,
                        host_types[i].name);
    }
}

static void test_guest_types_accepted(void)
{
    uint8_t buf[VMBUS_MESSAGE_PAYLOAD_MAX + 16];
    size_t i;

    for (i = 0; i < ARRAY_SIZE(guest_types); i++) {
        uint32_t len, type = 0xdead;
        const char *why = "stale";

        make_msg(buf, guest_types[i].type);
        /* every length from the minimum to a full SynIC payload */
        for (len = guest_types[i].min_size; len <= VMBUS_MESSAGE_PAYLOAD_MAX;
             len++) {
            g_assert_cmpint(vmbus_msg_check_guest(buf, len, &type, &why),
                            ==, 0);
            g_assert_cmpuint(type, ==, guest_types[i].type);
            g_assert_null(why);
        }
        /* type and why may be NULL */
        g_assert_cmpint(vmbus_msg_check_guest(buf, guest_types[i].min_size,
                                              NULL, NULL), ==, 0);
    }
}

static void test_host_types_rejected(void)
{
    uint8_t buf[VMBUS_MESSAGE_PAYLOAD_MAX + 16];
    size_t i;

    for (i = 0; i < ARRAY_SIZE(host_types); i++) {
        uint32_t type = 0;
        const char *why = NULL;

        make_msg(buf, host_types[i].type);
        g_assert_cmpint(vmbus_msg_check_guest(buf, host_types[i].size, &type,
                                              &why), ==, -EPERM);
        g_assert_cmpuint(type, ==, host_types[i].type);
        g_assert_nonnull(why);
        g_assert_cmpint(vmbus_msg_check_guest(buf, VMBUS_MESSAGE_PAYLOAD_MAX,
                                              NULL, NULL), ==, -EPERM);
    }
}

static void test_short_messages(void)
{
    uint8_t buf[VMBUS_MESSAGE_PAYLOAD_MAX + 16];
    size_t i;
    uint32_t len;

    for (i = 0; i < ARRAY_SIZE(guest_types); i++) {
        make_msg(buf, guest_types[i].type);
        for (len = 0; len < guest_types[i].min_size; len++) {
            uint32_t type = 0xdead;
            const char *why = NULL;

            g_assert_cmpint(vmbus_msg_check_guest(buf, len, &type, &why), ==,
                            -EMSGSIZE);
            g_assert_nonnull(why);
            /* the type is reported once the header is there */
            g_assert_cmpuint(type, ==, len < 8 ? 0 : guest_types[i].type);
        }
    }

    /* a header-sized read of nothing at all */
    g_assert_cmpint(vmbus_msg_check_guest(NULL, 0, NULL, NULL), ==,
                    -EMSGSIZE);
    g_assert_cmpint(vmbus_msg_check_guest(NULL, 64, NULL, NULL), ==,
                    -EMSGSIZE);
}

static void test_long_messages(void)
{
    uint8_t buf[VMBUS_MESSAGE_PAYLOAD_MAX + 16];
    size_t i;

    for (i = 0; i < ARRAY_SIZE(guest_types); i++) {
        const char *why = NULL;
        uint32_t type = 0;

        make_msg(buf, guest_types[i].type);
        g_assert_cmpint(vmbus_msg_check_guest(buf,
                                              VMBUS_MESSAGE_PAYLOAD_MAX + 1,
                                              &type, &why), ==, -EMSGSIZE);
        g_assert_nonnull(why);
        g_assert_cmpuint(type, ==, guest_types[i].type);
        g_assert_cmpint(vmbus_msg_check_guest(buf, UINT32_MAX, NULL, NULL),
                        ==, -EMSGSIZE);
    }
}

static void test_unknown_types(void)
{
    uint8_t buf[VMBUS_MESSAGE_PAYLOAD_MAX + 16];
    size_t i;

    for (i = 0; i < ARRAY_SIZE(unknown_types); i++) {
        uint32_t type = 0;
        const char *why = NULL;

        make_msg(buf, unknown_types[i]);
        g_assert_cmpint(vmbus_msg_check_guest(buf, 64, &type, &why), ==,
                        -EINVAL);
        g_assert_cmpuint(type, ==, unknown_types[i]);
        g_assert_nonnull(why);
    }
}

/* The type is little-endian on the wire, whatever the host */
static void test_byte_order(void)
{
    uint8_t buf[VMBUS_MESSAGE_PAYLOAD_MAX + 16];
    uint32_t type = 0;

    make_msg(buf, 0);
    buf[0] = VMBUS_MSGTYPE_UNLOAD;
    g_assert_cmpint(vmbus_msg_check_guest(buf, 8, &type, NULL), ==, 0);
    g_assert_cmpuint(type, ==, VMBUS_MSGTYPE_UNLOAD);
    buf[0] = 0;
    buf[3] = VMBUS_MSGTYPE_UNLOAD;
    g_assert_cmpint(vmbus_msg_check_guest(buf, 8, &type, NULL), ==, -EINVAL);
    g_assert_cmphex(type, ==, (uint32_t)VMBUS_MSGTYPE_UNLOAD << 24);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/vmbus-msg/table", test_table);
    g_test_add_func("/vmbus-msg/guest-types-accepted",
                    test_guest_types_accepted);
    g_test_add_func("/vmbus-msg/host-types-rejected",
                    test_host_types_rejected);
    g_test_add_func("/vmbus-msg/short", test_short_messages);
    g_test_add_func("/vmbus-msg/long", test_long_messages);
    g_test_add_func("/vmbus-msg/unknown-types", test_unknown_types);
    g_test_add_func("/vmbus-msg/byte-order", test_byte_order);
    return g_test_run();
}
