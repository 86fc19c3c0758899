/*
 * Integration services with the real Linux guest.
 *
 * /hvpart/ic/kvp: with Debian's hv_kvp_daemon running in the guest,
 * QMP hvpart-kvp-query returns the guest's IPv4 address from its auto pool,
 * and a value written with hvpart-kvp-set arrives in the guest's external
 * pool file.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "libqtest.h"
#include "qobject/qdict.h"
#include "qobject/qlist.h"
#include "hvpart-guest-util.h"

#define GUEST_IPV4 "192.0.2.10"

/* The auto pool's NetworkAddressIPv4, or NULL while the guest has none. */
static char *kvp_guest_ipv4(QTestState *qts)
{
    QDict *resp = qtest_qmp(qts, "{'execute': 'hvpart-kvp-query',"
                                 " 'arguments': {'id': 'kvp0'}}");
    char *addr = NULL;
    QList *list;
    QListEntry *e;

    if (!qdict_haskey(resp, "return")) {
        qobject_unref(resp);
        return NULL;
    }
    list = qdict_get_qlist(resp, "return");
    QLIST_FOREACH_ENTRY(list, e) {
        QDict *entry = qobject_to(QDict, qlist_entry_obj(e));

        if (g_str_equal(qdict_get_str(entry, "key"), "NetworkAddressIPv4")) {
            addr = g_strdup(qdict_get_str(entry, "value"));
        }
    }
    qobject_unref(resp);
    return addr;
}

static void test_kvp(void)
{
    static const char *const devices[] = { "vmbus-kvp", NULL };
    g_autofree char *addr = NULL;
    g_autofree char *value = NULL;
    QDict *resp;
    HvGuest *g;
    int i;

    if (!hvguest_check_requirements("hvpart", devices)) {
        return;
    }
    g = hvguest_start("hvpart",
                      "-machine q35 -m 512 -smp 2"
                      " -device vmbus-kvp,id=kvp0,interval=1000",
                      HVGUEST_CMDLINE_BASE
                      " hvtest.mods=hv_vmbus,hv_utils hvtest.script=kvp");
    if (!g) {
        return;
    }
    hvguest_expect_line(g, "hv_utils: KVP IC version", HVGUEST_TIMEOUT_S);
    value = hvguest_wait_value(g, "kvp-daemon", HVGUEST_TIMEOUT_S);
    g_assert_cmpstr(value, ==, "started");
    g_clear_pointer(&value, g_free);

    /* Before the guest answers, the query says so. */
    for (i = 0; i < 120 && !addr; i++) {
        addr = kvp_guest_ipv4(hvguest_qts(g));
        if (!addr || !strstr(addr, GUEST_IPV4)) {
            g_clear_pointer(&addr, g_free);
            g_usleep(G_USEC_PER_SEC);
        }
    }
    g_assert_nonnull(addr);
    g_test_message("guest KVP NetworkAddressIPv4: %s", addr);

    resp = qtest_qmp(hvguest_qts(g), "{'execute': 'hvpart-kvp-set',"
                     " 'arguments': {'id': 'kvp0', 'key': 'hvpart-test-key',"
                     " 'value': 'hello-from-host'}}");
    g_assert_true(qdict_haskey(resp, "return"));
    qobject_unref(resp);
    value = hvguest_wait_value(g, "kvp-host-value", HVGUEST_TIMEOUT_S);
    g_assert_cmpstr(value, ==, "hello-from-host");

    /* Bad requests are refused with errors naming the argument. */
    resp = qtest_qmp(hvguest_qts(g), "{'execute': 'hvpart-kvp-set',"
                     " 'arguments': {'id': 'kvp0', 'key': '', 'value': 'x'}}");
    g_assert_true(qdict_haskey(resp, "error"));
    qobject_unref(resp);
    resp = qtest_qmp(hvguest_qts(g), "{'execute': 'hvpart-kvp-query',"
                     " 'arguments': {'id': 'nosuchdevice'}}");
    g_assert_true(qdict_haskey(resp, "error"));
    qobject_unref(resp);
    hvguest_quit(g);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    if (g_str_equal(qtest_get_arch(), "x86_64")) {
        qtest_add_func("/hvpart/ic/kvp", test_kvp);
    }
    return g_test_run();
}
