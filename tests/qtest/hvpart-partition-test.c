/*
 * Partition semantics with the real Linux guest, the test playing the
 * parent over QMP.
 *
 * /hvpart/partition/write-protect: the parent write-protects one page of
 * guest RAM (a tmpfs file page the guest announces); the guest's write to
 * it raises exactly one HVPART_INTERCEPT, at that page, with the VP
 * suspended; the parent restores the rights and resumes with "retry", and
 * the write lands.
 *
 * /hvpart/partition/qmp-errors: bad requests get errors naming the
 * argument.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "libqtest.h"
#include "qobject/qdict.h"
#include "qobject/qlist.h"
#include "qobject/qnum.h"
#include "qemu/units.h"
#include "hvpart-guest-util.h"

#define GUEST_RAM_MIB   256
#define PAGE            4096

static uint64_t get_u64(QDict *d, const char *key)
{
    return qnum_get_uint(qobject_to(QNum, qdict_get(d, key)));
}

/* The page the guest script writes: 64 lines of tag, index, dots. */
static void expected_page(const char *tag, uint8_t *page)
{
    int i;

    for (i = 0; i < 64; i++) {
        g_autofree char *line = g_strdup_printf(
            "%s%03d%s\n", tag, i, "............................................");

        g_assert_cmpuint(strlen(line), ==, 64);
        memcpy(page + i * 64, line, 64);
    }
}

/* Dump guest RAM and find the one page-aligned copy of @page. */
static uint64_t find_page(QTestState *qts, const uint8_t *page)
{
    g_autofree char *path = g_strdup_printf("%s/hvpart-ram-XXXXXX",
                                            g_get_tmp_dir());
    g_autofree uint8_t *ram = NULL;
    uint64_t found = UINT64_MAX, off;
    gsize len;
    int fd = g_mkstemp(path);
    int copies = 0;

    g_assert_cmpint(fd, >=, 0);
    close(fd);
    qtest_qmp_assert_success(qts, "{'execute': 'pmemsave', 'arguments': "
                             "{'val': 0, 'size': %d, 'filename': %s}}",
                             GUEST_RAM_MIB << 20, path);
    g_assert_true(g_file_get_contents(path, (char **)&ram, &len, NULL));
    unlink(path);
    for (off = 0; off + PAGE <= len; off += PAGE) {
        if (!memcmp(ram + off, page, PAGE)) {
            found = off;
            copies++;
        }
    }
    g_assert_cmpint(copies, ==, 1);
    return found;
}

static void test_write_protect(void)
{
    HvGuest *g;
    QTestState *qts;
    const HvGuestLine *ready, *written;
    g_autofree char *tag = NULL;
    g_autofree char *content = NULL;
    uint8_t page[PAGE];
    uint64_t gpa;
    QDict *ev, *data, *resp;
    char hex16[33];
    int i;

    if (!hvguest_check_requirements("hvpart", NULL)) {
        return;
    }
    g = hvguest_start("hvpart",
                      "-machine pc -m " stringify(GUEST_RAM_MIB) " -smp 2",
                      HVGUEST_CMDLINE_BASE " hvtest.script=partition-wp"
                      " hvtest.wp_delay=20");
    if (!g) {
        return;
    }
    qts = hvguest_qts(g);
    ready = hvguest_expect_line(g, "HVTEST: wp-ready", HVGUEST_TIMEOUT_S);
    tag = hvguest_line_field(ready->text, "tag");
    g_assert_nonnull(tag);
    expected_page(tag, page);
    for (i = 0; i < 16; i++) {
        sprintf(hex16 + 2 * i, "%02x", page[i]);
    }
    gpa = find_page(qts, page);
    g_test_message("guest page at GPA 0x%" PRIx64, gpa);

    qtest_qmp_assert_success(qts, "{'execute': 'hvpart-gpa-set-access',"
                             " 'arguments': {'gpa': %" PRIu64 ","
                             " 'size': %d, 'access': 'r'}}", gpa, PAGE);
    resp = qtest_qmp(qts, "{'execute': 'hvpart-gpa-query', 'arguments':"
                     " {'gpa': %" PRIu64 ", 'size': %d}}", gpa, PAGE);
    data = qobject_to(QDict, qlist_peek(qdict_get_qlist(resp, "return")));
    g_assert_cmpstr(qdict_get_str(data, "state"), ==, "mapped");
    g_assert_cmpstr(qdict_get_str(data, "access"), ==, "r");
    qobject_unref(resp);

    /* The guest writes: one intercept, at that page, a write. */
    ev = qtest_qmp_eventwait_ref(qts, "HVPART_INTERCEPT");
    data = qdict_get_qdict(ev, "data");
    g_test_message("intercept: vp %" PRId64 " gpa 0x%" PRIx64 " %s rip 0x%"
                   PRIx64 " bytes %s length %" PRId64,
                   qdict_get_int(data, "vp"), get_u64(data, "gpa"),
                   qdict_get_str(data, "access"), get_u64(data, "rip"),
                   qdict_get_str(data, "instruction-bytes"),
                   qdict_get_int(data, "instruction-length"));
    g_assert_cmpuint(get_u64(data, "gpa") & ~(uint64_t)(PAGE - 1), ==,
                     gpa);
    g_assert_cmpstr(qdict_get_str(data, "access"), ==, "write");
    g_assert_cmpstr(qdict_get_str(data, "state"), ==, "mapped");
    g_assert_cmpint(qdict_get_int(data, "sequence"), ==, 1);
    g_assert_cmpint(qdict_get_int(data, "instruction-length"), >, 0);

    /* The write has not happened; the VP is suspended. */
    resp = qtest_qmp(qts, "{'execute': 'hvpart-read-gpa', 'arguments':"
                     " {'vp': %" PRId64 ", 'gpa': %" PRIu64 ", 'size': 16}}",
                     qdict_get_int(data, "vp"), gpa);
    g_assert_cmpstr(qdict_get_str(qdict_get_qdict(resp, "return"), "data"),
                    ==, hex16);
    qobject_unref(resp);
    g_assert_null(hvguest_find_line(g, "HVTEST: wp-written"));

    /* Restore the rights and retry: the write lands. */
    qtest_qmp_assert_success(qts, "{'execute': 'hvpart-gpa-set-access',"
                             " 'arguments': {'gpa': %" PRIu64 ","
                             " 'size': %d, 'access': 'rwx'}}", gpa, PAGE);
    qtest_qmp_assert_success(qts, "{'execute': 'hvpart-vp-resume',"
                             " 'arguments': {'vp': %" PRId64 ","
                             " 'action': 'retry'}}",
                             qdict_get_int(data, "vp"));
    qobject_unref(ev);
    written = hvguest_expect_line(g, "HVTEST: wp-written", HVGUEST_TIMEOUT_S);
    content = hvguest_line_field(written->text, "content");
    g_assert_cmpstr(content, ==, "HVPART-WRITTEN");
    /* Exactly one intercept. */
    g_assert_null(qtest_qmp_event_ref(qts, "HVPART_INTERCEPT"));
    hvguest_quit(g);
}

static void expect_error(QDict *resp, const char *what);

/*
 * A VP suspended by an intercept migrates suspended, with its pending
 * intercept and the page map: on the destination the page is still
 * read-only, the guest's write has not happened, and the parent resumes the
 * VP there.
 */
static void test_migrate_suspended(void)
{
    const char *args = "-machine pc -m " stringify(GUEST_RAM_MIB) " -smp 2";
    const char *cmdline = HVGUEST_CMDLINE_BASE " hvtest.script=partition-wp"
                          " hvtest.wp_delay=20";
    g_autofree char *tag = NULL;
    g_autofree char *content = NULL;
    g_autofree char *sock = NULL;
    g_autofree char *uri = NULL;
    g_autofree char *dst_args = NULL;
    const HvGuestLine *ready, *written;
    HvGuest *src, *dst;
    uint8_t page[PAGE];
    uint64_t gpa;
    int64_t vp;
    QDict *ev, *resp, *run;

    if (!hvguest_check_requirements("hvpart", NULL)) {
        return;
    }
    src = hvguest_start("hvpart", args, cmdline);
    if (!src) {
        return;
    }
    ready = hvguest_expect_line(src, "HVTEST: wp-ready", HVGUEST_TIMEOUT_S);
    tag = hvguest_line_field(ready->text, "tag");
    expected_page(tag, page);
    gpa = find_page(hvguest_qts(src), page);
    qtest_qmp_assert_success(hvguest_qts(src),
                             "{'execute': 'hvpart-gpa-set-access',"
                             " 'arguments': {'gpa': %" PRIu64 ","
                             " 'size': %d, 'access': 'r'}}", gpa, PAGE);
    ev = qtest_qmp_eventwait_ref(hvguest_qts(src), "HVPART_INTERCEPT");
    vp = qdict_get_int(qdict_get_qdict(ev, "data"), "vp");
    qobject_unref(ev);

    dst_args = g_strdup_printf("%s -incoming defer", args);
    dst = hvguest_start("hvpart", dst_args, cmdline);
    g_assert_nonnull(dst);
    sock = g_strdup_printf("%s/hvpart-wp-migrate-%d.sock", g_get_tmp_dir(),
                           (int)getpid());
    uri = g_strdup_printf("unix:%s", sock);
    unlink(sock);
    hvguest_migrate(src, dst, uri);
    hvguest_quit(src);

    /* The page map came across, and the VP is still suspended. */
    resp = qtest_qmp(hvguest_qts(dst), "{'execute': 'hvpart-gpa-query',"
                     " 'arguments': {'gpa': %" PRIu64 ", 'size': %d}}",
                     gpa, PAGE);
    run = qobject_to(QDict, qlist_peek(qdict_get_qlist(resp, "return")));
    g_assert_cmpstr(qdict_get_str(run, "access"), ==, "r");
    qobject_unref(resp);
    g_usleep(2 * G_USEC_PER_SEC);
    g_assert_null(hvguest_find_line(dst, "HVTEST: wp-written"));
    expect_error(qtest_qmp(hvguest_qts(dst), "{'execute': 'hvpart-vp-resume',"
                           " 'arguments': {'vp': %" PRId64 ","
                           " 'action': 'retry'}}", 1 - vp), "not suspended");

    qtest_qmp_assert_success(hvguest_qts(dst),
                             "{'execute': 'hvpart-gpa-set-access',"
                             " 'arguments': {'gpa': %" PRIu64 ","
                             " 'size': %d, 'access': 'rwx'}}", gpa, PAGE);
    qtest_qmp_assert_success(hvguest_qts(dst), "{'execute': 'hvpart-vp-resume',"
                             " 'arguments': {'vp': %" PRId64 ","
                             " 'action': 'retry'}}", vp);
    written = hvguest_expect_line(dst, "HVTEST: wp-written",
                                  HVGUEST_TIMEOUT_S);
    content = hvguest_line_field(written->text, "content");
    g_assert_cmpstr(content, ==, "HVPART-WRITTEN");
    hvguest_quit(dst);
}

/* The pool's balance on node 0. */
static uint64_t pool_balance(QTestState *qts, uint64_t *used)
{
    QDict *resp = qtest_qmp(qts, "{'execute': 'query-hvpart-pool'}");
    QDict *node0 = qobject_to(QDict,
                              qlist_peek(qdict_get_qlist(resp, "return")));
    uint64_t balance = get_u64(node0, "balance");

    *used = get_u64(node0, "used");
    qobject_unref(resp);
    return balance;
}

/*
 * The parent empties the pool; the guest's GPADL for a new channel is
 * refused (hv_utils does not bind); after a deposit it binds.
 */
static void test_pool(void)
{
    HvGuest *g;
    QTestState *qts;
    g_autofree char *driver = NULL;
    g_autofree char *driver2 = NULL;
    uint64_t balance, used, used_after;

    if (!hvguest_check_requirements("hvpart", NULL)) {
        return;
    }
    g = hvguest_start("hvpart", "-machine pc -m 256 -smp 2"
                      " -device vmbus-heartbeat",
                      HVGUEST_CMDLINE_BASE " hvtest.mods=hv_vmbus"
                      " hvtest.script=pool hvtest.pool_delay=8");
    if (!g) {
        return;
    }
    qts = hvguest_qts(g);
    hvguest_expect_line(g, "HVTEST: pool-ready", HVGUEST_TIMEOUT_S);
    balance = pool_balance(qts, &used);
    g_test_message("pool: %" PRIu64 " pages free, %" PRIu64 " used",
                   balance, used);
    /* Two VPs' SynIC at least. */
    g_assert_cmpuint(used, >=, 2 * 18);
    qtest_qmp_assert_success(qts, "{'execute': 'hvpart-pool-withdraw',"
                             " 'arguments': {'pages': %" PRIu64 "}}",
                             balance);
    /* More than the balance: an error naming the argument. */
    expect_error(qtest_qmp(qts, "{'execute': 'hvpart-pool-withdraw',"
                           " 'arguments': {'pages': 1}}"), "'pages'");
    driver = hvguest_wait_value(g, "pool-driver", HVGUEST_TIMEOUT_S);
    g_test_message("guest driver with an empty pool: %s", driver);
    g_assert_cmpstr(driver, ==, "none");

    hvguest_expect_line(g, "HVTEST: pool-retry-ready", HVGUEST_TIMEOUT_S);
    qtest_qmp_assert_success(qts, "{'execute': 'hvpart-pool-deposit',"
                             " 'arguments': {'pages': 1024}}");
    driver2 = hvguest_wait_value(g, "pool-driver2", HVGUEST_TIMEOUT_S);
    g_test_message("guest driver after a deposit: %s", driver2);
    g_assert_cmpstr(driver2, ==, "hv_utils");
    /* The channel's ring GPADL is charged to the pool now. */
    pool_balance(qts, &used_after);
    g_assert_cmpuint(used_after, >, used);
    hvguest_quit(g);
}

static void expect_error(QDict *resp, const char *what)
{
    QDict *err = qdict_get_qdict(resp, "error");

    g_assert_nonnull(err);
    g_test_message("error: %s", qdict_get_str(err, "desc"));
    g_assert_nonnull(strstr(qdict_get_str(err, "desc"), what));
    qobject_unref(resp);
}

static void test_qmp_errors(void)
{
    QTestState *qts;

    if (!hvguest_check_requirements("hvpart", NULL)) {
        return;
    }
    qts = qtest_init("-accel hvpart -machine pc -m 128 -nodefaults -S");
    expect_error(qtest_qmp(qts, "{'execute': 'hvpart-gpa-set-access',"
                           " 'arguments': {'gpa': 4097, 'size': 4096,"
                           " 'access': 'r'}}"), "'gpa'");
    expect_error(qtest_qmp(qts, "{'execute': 'hvpart-gpa-set-access',"
                           " 'arguments': {'gpa': 0, 'size': 100,"
                           " 'access': 'r'}}"), "'size'");
    /* Write without read is no valid x64 combination. */
    expect_error(qtest_qmp(qts, "{'execute': 'hvpart-gpa-set-access',"
                           " 'arguments': {'gpa': 0, 'size': 4096,"
                           " 'access': 'w'}}"), "'access'");
    expect_error(qtest_qmp(qts, "{'execute': 'hvpart-gpa-set-access',"
                           " 'arguments': {'gpa': 18446744073709547520,"
                           " 'size': 8192, 'access': 'r'}}"), "overflows");
    expect_error(qtest_qmp(qts, "{'execute': 'hvpart-gpa-map',"
                           " 'arguments': {'gpa': 1099511627776,"
                           " 'size': 4096}}"), "beyond");
    expect_error(qtest_qmp(qts, "{'execute': 'hvpart-vp-resume',"
                           " 'arguments': {'vp': 0, 'action': 'retry'}}"),
                 "not suspended");
    expect_error(qtest_qmp(qts, "{'execute': 'hvpart-vp-resume',"
                           " 'arguments': {'vp': 7, 'action': 'retry'}}"),
                 "'vp'");
    qtest_quit(qts);
}

/*
 * NUMA: each node has its pool (each VP's SynIC charged to its own node),
 * GPA runs say their node, and a range that is not on the named node is
 * refused.
 */
static void test_numa(void)
{
    QTestState *qts;
    QDict *resp;
    QList *list;
    QListEntry *e;
    int nodes = 0, runs_node1 = 0;

    if (!hvguest_check_requirements("hvpart", NULL)) {
        return;
    }
    qts = qtest_init("-accel hvpart -machine pc -m 512 -smp 2 -nodefaults -S"
                     " -object memory-backend-ram,id=m0,size=256M"
                     " -object memory-backend-ram,id=m1,size=256M"
                     " -numa node,nodeid=0,cpus=0,memdev=m0"
                     " -numa node,nodeid=1,cpus=1,memdev=m1");
    resp = qtest_qmp(qts, "{'execute': 'query-hvpart-pool'}");
    list = qdict_get_qlist(resp, "return");
    QLIST_FOREACH_ENTRY(list, e) {
        QDict *n = qobject_to(QDict, qlist_entry_obj(e));

        g_assert_cmpuint(get_u64(n, "used"), ==, 18);
        nodes++;
    }
    g_assert_cmpint(nodes, ==, 2);
    qobject_unref(resp);

    /* 256 MiB is the first byte of node 1. */
    qtest_qmp_assert_success(qts, "{'execute': 'hvpart-gpa-set-access',"
                             " 'arguments': {'gpa': 268435456, 'size': 4096,"
                             " 'access': 'r', 'node': 1}}");
    expect_error(qtest_qmp(qts, "{'execute': 'hvpart-gpa-set-access',"
                           " 'arguments': {'gpa': 268431360, 'size': 8192,"
                           " 'access': 'r', 'node': 1}}"), "'node'");
    expect_error(qtest_qmp(qts, "{'execute': 'hvpart-pool-deposit',"
                           " 'arguments': {'pages': 1, 'node': 2}}"),
                 "'node'");
    qtest_qmp_assert_success(qts, "{'execute': 'hvpart-pool-deposit',"
                             " 'arguments': {'pages': 1, 'node': 1}}");
    resp = qtest_qmp(qts, "{'execute': 'hvpart-gpa-query'}");
    list = qdict_get_qlist(resp, "return");
    QLIST_FOREACH_ENTRY(list, e) {
        QDict *run = qobject_to(QDict, qlist_entry_obj(e));

        if (qdict_get_int(run, "node") == 1) {
            g_assert_cmpuint(get_u64(run, "gpa"), >=, 256 * MiB);
            runs_node1++;
        } else {
            g_assert_cmpuint(get_u64(run, "gpa"), <, 256 * MiB);
        }
    }
    g_assert_cmpint(runs_node1, ==, 2);     /* the 'r' page, then the rest */
    qobject_unref(resp);
    qtest_quit(qts);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    if (g_str_equal(qtest_get_arch(), "x86_64")) {
        qtest_add_func("/hvpart/partition/qmp-errors", test_qmp_errors);
        qtest_add_func("/hvpart/partition/write-protect", test_write_protect);
        qtest_add_func("/hvpart/partition/pool", test_pool);
        qtest_add_func("/hvpart/partition/numa", test_numa);
        qtest_add_func("/hvpart/partition/migrate-suspended",
                       test_migrate_suspended);
    }
    return g_test_run();
}
