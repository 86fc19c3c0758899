/*
 * More tests with an unmodified Linux guest (Debian 12's 6.1 kernel with a
 * busybox initramfs, built by tests/guest/mkguest.sh) under -accel hvpart.
 * Each case boots its own guest; the guest scripts are in
 * tests/guest/scripts/ and print "HVTEST: ..." lines on the console.
 *
 * /hvpart/guest/query: query-hvpart and "info hvpart" while the guest runs
 *     with the heartbeat and shutdown services bound; heartbeats counted.
 * /hvpart/guest/migrate: live migration to a second QEMU; the guest, its
 *     clock, its heartbeats and its shutdown service keep working there,
 *     and the partition's state (query-hvpart) is the same on both sides.
 * /hvpart/guest/panic: a guest kernel panic reaches QMP as GUEST_PANICKED
 *     with the Hyper-V crash parameters.
 * /hvpart/guest/stimer-message-mode, /hvpart/guest/stimer-direct-mode: the
 *     guest's clockevent is synthetic timer 0, in message mode with
 *     "-accel hvpart,stimer-direct=off" and in direct mode by default, and
 *     keeps time.
 * /hvpart/guest/hotplug: device_add and device_del of a VMBus device while
 *     the guest runs (offer, rescind, release, DEVICE_DELETED, re-add).
 * /hvpart/guest/no-vmbus: "-accel hvpart,vmbus=off" gives Hyper-V without
 *     a VMBus, and refuses VMBus devices.
 * /hvpart/guest/driver-kvm: "-accel hvpart,driver=kvm" is refused.
 *
 * Environment: as hvpart-boot-test.c (QTEST_QEMU_BINARY, HVPART_GUEST_DIR,
 * HVPART_KEEP_CONSOLE, HVPART_GUEST_QEMU_ARGS).
 *
 * Copyright (c) 2025 qemu-hvpart contributors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include <sys/wait.h>
#include "libqtest.h"
#include "qemu/cutils.h"
#include "qobject/qdict.h"
#include "qobject/qjson.h"
#include "qobject/qlist.h"
#include "qobject/qnum.h"
#include "hvpart-guest-util.h"

#define GUEST_VPS 2
#define GUEST_MACHINE "-machine pc -m 512 -smp 2"

/* Both integration services, with names the tests can look up in QOM. */
#define HB_ID "hb"
#define SD_ID "sd"
#define HB_PATH "/machine/peripheral/" HB_ID
#define SD_PATH "/machine/peripheral/" SD_ID
#define GUEST_ICS " -device vmbus-heartbeat,id=" HB_ID ",interval=500" \
                  " -device vmbus-shutdown,id=" SD_ID

#define CMDLINE_ICS(script) HVGUEST_CMDLINE_BASE \
    " hvtest.mods=hv_vmbus,hv_utils hvtest.script=" script

/* Interface type GUIDs (docs: PROTOCOLS.md, "Interface type GUIDs"). */
#define GUID_HEARTBEAT "57164f39-9115-4e78-ab55-382f3bd5422d"
#define GUID_SHUTDOWN  "0e0b6031-5213-4934-818b-38d90ced39db"

/*
 * What the guest kernel and busybox print, verbatim (Linux 6.1):
 * drivers/hv/hv_util.c shutdown_onchannelcallback(); busybox modprobe when
 * init_module() fails with ENODEV; panic() for sysrq-c (drivers/tty/sysrq.c).
 */
#define MSG_SHUTDOWN_IC \
    "hv_utils: Shutdown request received - graceful shutdown initiated"
#define MSG_NO_VMBUS "can't load module hv_vmbus"
#define MSG_ENODEV "No such device"
#define MSG_PANIC "Kernel panic - not syncing: sysrq triggered crash"
#define MSG_IC_VERSION "IC version"

/* The one clockevent device name of drivers/clocksource/hyperv_timer.c. */
#define HV_CLOCKEVENT "Hyper-V clockevent"

/* A guest "sleep N", timed on the host, must take N s within this ratio. */
#define SLEEP_TOLERANCE 0.10

/* How long QEMU may take to refuse a bad command line. */
#define REFUSE_TIMEOUT_S 60

/* Helpers: the guest */

static const HvGuestLine *wait_boot(HvGuest *g)
{
    const HvGuestLine *boot = hvguest_expect_line(g, "HVTEST: boot",
                                                  HVGUEST_TIMEOUT_S);

    g_test_message("guest reached /init %.1f s after QEMU started",
                   (boot->seen_us - hvguest_start_time(g)) /
                   (double)G_USEC_PER_SEC);
    return boot;
}

static int modprobe_rc(HvGuest *g, const char *module)
{
    g_autofree char *needle = g_strdup_printf("HVTEST: modprobe %s rc=",
                                              module);
    const HvGuestLine *line = hvguest_expect_line(g, needle,
                                                  HVGUEST_TIMEOUT_S);
    g_autofree char *rc = hvguest_line_field(line->text, "rc");

    g_assert_nonnull(rc);
    return atoi(rc);
}

static char *expect_value(HvGuest *g, const char *key)
{
    char *value = hvguest_wait_value(g, key, HVGUEST_TIMEOUT_S);

    if (!value) {
        g_error("no 'HVTEST: %s=' on the guest console; full log: %s", key,
                hvguest_console_path(g));
    }
    g_test_message("guest: %s=%s", key, value);
    return value;
}

static void check_value(HvGuest *g, const char *key, const char *expected)
{
    g_autofree char *value = expect_value(g, key);

    g_assert_cmpstr(value, ==, expected);
}

/* The number after @prefix in @text ("... tick 12" -> 12), or -1. */
static long number_after(const char *text, const char *prefix)
{
    const char *p = strstr(text, prefix);
    const char *end;
    long n;

    if (!p || !g_ascii_isdigit(p[strlen(prefix)]) ||
        qemu_strtol(p + strlen(prefix), &end, 10, &n) < 0) {
        return -1;
    }
    return n;
}

/* Host seconds between two console lines, checked against @expected. */
static void check_sleep(const HvGuestLine *start, const HvGuestLine *end,
                        double expected, const char *what)
{
    double seconds = hvguest_seconds_between(start, end);

    g_test_message("%s: guest 'sleep %.0f' took %.3f s of host time "
                   "(ratio %.3f)", what, expected, seconds,
                   seconds / expected);
    g_assert_cmpfloat(seconds, >=, expected * (1 - SLEEP_TOLERANCE));
    g_assert_cmpfloat(seconds, <=, expected * (1 + SLEEP_TOLERANCE));
}

/*
 * Wait for QEMU to exit after the guest powered off, and check that it
 * said why with a SHUTDOWN event: the guest did it, not the host.
 */
static void expect_guest_poweroff(HvGuest *g)
{
    QDict *event, *data;

    g_assert_true(hvguest_wait_exit(g, HVGUEST_TIMEOUT_S));
    event = qtest_qmp_eventwait_ref(hvguest_qts(g), "SHUTDOWN");
    data = qdict_get_qdict(event, "data");
    g_assert_true(qdict_get_bool(data, "guest"));
    g_assert_cmpstr(qdict_get_str(data, "reason"), ==, "guest-shutdown");
    qobject_unref(event);
}

/* system_powerdown, carried out by the guest through the shutdown IC. */
static void powerdown_through_ic(HvGuest *g, guint *pos)
{
    QTestState *qts = hvguest_qts(g);
    QDict *rsp;

    qtest_qmp_assert_success(qts, "{'execute': 'system_powerdown'}");
    /* The request went out synchronously, from the powerdown notifier. */
    rsp = qtest_qmp(qts, "{'execute': 'qom-get', 'arguments': "
                    "{'path': %s, 'property': 'requests'}}", SD_PATH);
    g_assert_cmpint(qdict_get_int(rsp, "return"), >=, 1);
    qobject_unref(rsp);

    if (!hvguest_wait_line_from(g, pos, MSG_SHUTDOWN_IC, HVGUEST_TIMEOUT_S)) {
        g_error("the guest did not get the shutdown request; full log: %s",
                hvguest_console_path(g));
    }
    /* orderly_poweroff() ran the initramfs' /sbin/poweroff. */
    if (!hvguest_wait_line_from(g, pos, "HVTEST: poweroff requested",
                                HVGUEST_TIMEOUT_S)) {
        g_error("the guest did not power off; full log: %s",
                hvguest_console_path(g));
    }
    expect_guest_poweroff(g);
}

/* Helpers: QMP */

static uint64_t dict_u64(QDict *d, const char *key)
{
    QNum *n = qobject_to(QNum, qdict_get(d, key));
    uint64_t val;

    if (!n || !qnum_get_try_uint(n, &val)) {
        g_error("'%s' missing or not an unsigned integer", key);
    }
    return val;
}

static QDict *query_hvpart(QTestState *qts)
{
    return qtest_qmp_assert_success_ref(qts, "{'execute': 'query-hvpart'}");
}

/*
 * Wait until the heartbeat device at @path has counted more than @above
 * good answers from the guest; @what says when, for the failure message.
 */
static uint64_t wait_beats_above(HvGuest *g, const char *path,
                                 uint64_t above, const char *what)
{
    gint64 deadline = g_get_monotonic_time() +
                      HVGUEST_TIMEOUT_S * G_USEC_PER_SEC;
    uint64_t beats;

    for (;;) {
        beats = hvguest_qom_get_u64(hvguest_qts(g), path, "beats");
        if (beats > above) {
            return beats;
        }
        if (g_get_monotonic_time() >= deadline || !hvguest_running(g)) {
            hvguest_dump_console(g, 40);
            g_error("%s: %s: the heartbeat count stayed at %" PRIu64
                    " for %d s (waited for more than %" PRIu64 ")", what,
                    path, beats, HVGUEST_TIMEOUT_S, above);
        }
        g_usleep(250 * 1000);
    }
}

/* The channel of query-hvpart's vmbus.channels with interface @name. */
static QDict *find_channel(QDict *vmbus, const char *name)
{
    QListEntry *e;

    QLIST_FOREACH_ENTRY(qdict_get_qlist(vmbus, "channels"), e) {
        QDict *c = qobject_to(QDict, qlist_entry_obj(e));

        if (g_str_equal(qdict_get_str(c, "interface"), name)) {
            return c;
        }
    }
    return NULL;
}

/* The instance GUID of the guest's "vmbus-dev" line of class @guid. */
static char *guest_instance_of(HvGuest *g, const char *guid)
{
    g_autoptr(GPtrArray) devs = hvguest_lines_matching(g,
                                                       "HVTEST: vmbus-dev ");
    g_autofree char *needle = g_strdup_printf("class=%s ", guid);
    guint i;

    for (i = 0; i < devs->len; i++) {
        const HvGuestLine *line = g_ptr_array_index(devs, i);

        if (strstr(line->text, needle)) {
            return hvguest_line_field(line->text, "id");
        }
    }
    return NULL;
}

/*
 * query-hvpart while the guest runs with both services bound: every VP
 * enlightened, the VMBus connected at 5.3 with two open channels whose
 * instance GUIDs are the names the guest gave the devices.
 */
static void check_running_partition(HvGuest *g, QDict *info)
{
    static const struct {
        const char *name, *guid, *path;
    } ics[] = {
        { "heartbeat", GUID_HEARTBEAT, HB_PATH },
        { "shutdown", GUID_SHUTDOWN, SD_PATH },
    };
    QList *vps = qdict_get_qlist(info, "vps");
    QDict *vmbus;
    QListEntry *e;
    uint64_t index = 0;
    size_t i;

    g_assert_cmpstr(qdict_get_str(info, "driver"), ==, "tcg");
    g_assert_nonnull(vps);
    g_assert_cmpuint(qlist_size(vps), ==, GUEST_VPS);
    QLIST_FOREACH_ENTRY(vps, e) {
        QDict *vp = qobject_to(QDict, qlist_entry_obj(e));

        g_assert_cmpuint(dict_u64(vp, "index"), ==, index);
        g_assert_true(qdict_get_bool(vp, "synic-enabled"));
        g_assert_cmpuint(dict_u64(vp, "guest-os-id"), !=, 0);
        g_assert_true(qdict_haskey(vp, "hypercall-page"));
        g_assert_true(qdict_haskey(vp, "simp"));
        g_assert_true(qdict_haskey(vp, "siefp"));
        g_assert_true(qdict_haskey(vp, "reference-tsc"));
        g_assert_true(qdict_haskey(vp, "pending-messages"));
        g_test_message("vp %" PRIu64 ": guest-os-id=0x%" PRIx64
                       " hypercall=0x%" PRIx64 " simp=0x%" PRIx64
                       " siefp=0x%" PRIx64 " reference-tsc=0x%" PRIx64,
                       index, dict_u64(vp, "guest-os-id"),
                       dict_u64(vp, "hypercall-page"), dict_u64(vp, "simp"),
                       dict_u64(vp, "siefp"), dict_u64(vp, "reference-tsc"));
        index++;
    }

    vmbus = qdict_get_qdict(info, "vmbus");
    g_assert_nonnull(vmbus);
    g_assert_true(qdict_get_bool(vmbus, "connected"));
    g_assert_cmpstr(qdict_get_try_str(vmbus, "version"), ==, "5.3");
    g_assert_cmpuint(qlist_size(qdict_get_qlist(vmbus, "channels")), ==, 2);
    for (i = 0; i < ARRAY_SIZE(ics); i++) {
        QDict *c = find_channel(vmbus, ics[i].name);
        g_autofree char *guest_id = guest_instance_of(g, ics[i].guid);

        g_assert_nonnull(c);
        g_test_message("channel %s: relid %" PRIu64 " instance %s state %s",
                       ics[i].name, dict_u64(c, "relid"),
                       qdict_get_str(c, "instance-id"),
                       qdict_get_str(c, "state"));
        g_assert_cmpstr(qdict_get_str(c, "interface-id"), ==, ics[i].guid);
        g_assert_cmpstr(qdict_get_str(c, "state"), ==, "open");
        g_assert_cmpstr(qdict_get_str(c, "device"), ==, ics[i].path);
        g_assert_cmpuint(dict_u64(c, "subchannel-index"), ==, 0);
        g_assert_cmpuint(dict_u64(c, "target-vp"), <, GUEST_VPS);
        g_assert_cmpuint(dict_u64(c, "ring-pages"), >=, 4);
        /* Linux names the sysfs device after the instance GUID. */
        g_assert_nonnull(guest_id);
        g_assert_cmpstr(qdict_get_str(c, "instance-id"), ==, guest_id);
    }
}

/* An HMP command's output, with the monitor's "\r\n" made "\n". */
static char *hmp_text(QTestState *qts, const char *cmd)
{
    g_autofree char *raw = qtest_hmp(qts, "%s", cmd);
    g_auto(GStrv) parts = g_strsplit(raw, "\r\n", -1);

    return g_strjoinv("\n", parts);
}

/* "info hvpart" must say what query-hvpart said. */
static void check_info_hvpart(QTestState *qts, QDict *info)
{
    g_autofree char *text = hmp_text(qts, "info hvpart");
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    QDict *vmbus = qdict_get_qdict(info, "vmbus");
    QListEntry *e;
    char **l;

    for (l = lines; *l; l++) {
        if (**l) {
            g_test_message("info hvpart| %s", *l);
        }
    }
    g_assert_nonnull(strstr(text, "driver: tcg\n"));
    QLIST_FOREACH_ENTRY(qdict_get_qlist(info, "vps"), e) {
        QDict *vp = qobject_to(QDict, qlist_entry_obj(e));
        g_autofree char *want = g_strdup_printf(
            "vp %" PRIu64 ": guest-os-id=0x%" PRIx64 " synic=on"
            " hypercall=0x%" PRIx64 " simp=0x%" PRIx64 " siefp=0x%" PRIx64
            " tsc-page=0x%" PRIx64 " pending-messages=",
            dict_u64(vp, "index"), dict_u64(vp, "guest-os-id"),
            dict_u64(vp, "hypercall-page"), dict_u64(vp, "simp"),
            dict_u64(vp, "siefp"), dict_u64(vp, "reference-tsc"));

        if (!strstr(text, want)) {
            g_error("info hvpart lacks '%s'", want);
        }
    }
    if (!vmbus) {
        g_assert_nonnull(strstr(text, "vmbus: none\n"));
        return;
    }
    g_assert_nonnull(strstr(text, "vmbus: connected, version 5.3, "));
    QLIST_FOREACH_ENTRY(qdict_get_qlist(vmbus, "channels"), e) {
        QDict *c = qobject_to(QDict, qlist_entry_obj(e));
        g_autofree char *want = g_strdup_printf(
            "  relid %" PRIu64 " %s[%" PRIu64 "] %s instance %s (%s)"
            " target-vp=%" PRIu64 " ring-pages=%" PRIu64 "\n",
            dict_u64(c, "relid"), qdict_get_str(c, "interface"),
            dict_u64(c, "subchannel-index"), qdict_get_str(c, "state"),
            qdict_get_str(c, "instance-id"), qdict_get_str(c, "device"),
            dict_u64(c, "target-vp"), dict_u64(c, "ring-pages"));

        if (!strstr(text, want)) {
            g_error("info hvpart lacks '%s'", want);
        }
    }
}

/* Helpers: QEMU that must refuse to start */

/*
 * Run $QTEST_QEMU_BINARY with @args (and $HVPART_GUEST_QEMU_ARGS) outside
 * libqtest, which would add "-accel qtest" for QEMU to fall back to. QEMU
 * must exit with a non-zero status by itself; returns what it wrote on
 * stderr.
 */
static char *run_qemu_expect_refusal(const char *args)
{
    const char *qemu = g_getenv("QTEST_QEMU_BINARY");
    const char *local = g_getenv("HVPART_GUEST_QEMU_ARGS");
    g_autofree char *q_qemu = g_shell_quote(qemu);
    g_autofree char *cmd = g_strdup_printf("%s %s %s", q_qemu, args,
                                           local ? local : "");
    g_auto(GStrv) argv = NULL;
    g_autoptr(GError) err = NULL;
    GString *out = g_string_new("");
    gint64 deadline = g_get_monotonic_time() +
                      REFUSE_TIMEOUT_S * G_USEC_PER_SEC;
    int err_fd, status = 0;
    GPid pid;

    g_test_message("running: %s", cmd);
    g_assert_true(g_shell_parse_argv(cmd, NULL, &argv, &err));
    g_assert_no_error(err);
    g_assert_true(g_spawn_async_with_pipes(NULL, argv, NULL,
                                           G_SPAWN_DO_NOT_REAP_CHILD |
                                           G_SPAWN_STDOUT_TO_DEV_NULL,
                                           NULL, NULL, &pid, NULL, NULL,
                                           &err_fd, &err));
    g_assert_no_error(err);
    g_assert_cmpint(fcntl(err_fd, F_SETFL, O_NONBLOCK), ==, 0);

    for (;;) {
        char buf[1024];
        ssize_t n;
        pid_t done;

        while ((n = read(err_fd, buf, sizeof(buf))) > 0) {
            g_string_append_len(out, buf, n);
        }
        done = waitpid(pid, &status, WNOHANG);
        if (done == pid) {
            while ((n = read(err_fd, buf, sizeof(buf))) > 0) {
                g_string_append_len(out, buf, n);
            }
            break;
        }
        if (g_get_monotonic_time() >= deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            g_error("QEMU still ran after %d s, but should have refused "
                    "'%s'; stderr: %s", REFUSE_TIMEOUT_S, args, out->str);
        }
        g_usleep(50 * 1000);
    }
    close(err_fd);
    g_spawn_close_pid(pid);
    g_test_message("QEMU's stderr: %s", out->str);
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), !=, 0);
    return g_string_free(out, false);
}

/* /hvpart/guest/query */

static void test_query(void)
{
    static const char *const devices[] = {
        "vmbus-heartbeat", "vmbus-shutdown", NULL
    };
    QDict *info, *hb;
    uint64_t beats0, beats;
    guint pos;
    HvGuest *g;

    if (!hvguest_check_requirements("hvpart", devices)) {
        return;
    }
    g = hvguest_start("hvpart", GUEST_MACHINE GUEST_ICS,
                      CMDLINE_ICS("ic-idle"));
    if (!g) {
        return;
    }
    wait_boot(g);
    g_assert_cmpint(modprobe_rc(g, "hv_vmbus"), ==, 0);
    g_assert_cmpint(modprobe_rc(g, "hv_utils"), ==, 0);
    hvguest_expect_line(g, "HVTEST: ics-ready", HVGUEST_TIMEOUT_S);
    pos = hvguest_line_count(g);

    info = query_hvpart(hvguest_qts(g));
    check_running_partition(g, info);
    check_info_hvpart(hvguest_qts(g), info);
    hb = find_channel(qdict_get_qdict(info, "vmbus"), "heartbeat");
    g_assert_nonnull(hb);
    qobject_unref(info);

    /* The guest answers every 500 ms; wait for a few answers more. */
    beats0 = hvguest_qom_get_u64(hvguest_qts(g), HB_PATH, "beats");
    beats = wait_beats_above(g, HB_PATH, beats0 + 2, "running guest");
    g_test_message("heartbeats: %" PRIu64 ", then %" PRIu64 "; last %"
                   PRIu64 " ms ago", beats0, beats,
                   hvguest_qom_get_u64(hvguest_qts(g), HB_PATH,
                                       "last-beat-age-ms"));

    powerdown_through_ic(g, &pos);
    hvguest_quit(g);
}

/* /hvpart/guest/migrate */

/* Compare optional uint64 @key of two query-hvpart dicts. */
static void check_same_u64(QDict *a, QDict *b, const char *key,
                           const char *where)
{
    bool in_a = qdict_haskey(a, key), in_b = qdict_haskey(b, key);

    if (in_a != in_b) {
        g_error("%s: '%s' %s before migration but %s after", where, key,
                in_a ? "present" : "absent", in_b ? "present" : "absent");
    }
    if (in_a && dict_u64(a, key) != dict_u64(b, key)) {
        g_error("%s: '%s' was 0x%" PRIx64 " before migration, 0x%" PRIx64
                " after", where, key, dict_u64(a, key), dict_u64(b, key));
    }
}

static void check_same_str(QDict *a, QDict *b, const char *key,
                           const char *where)
{
    const char *va = qdict_get_try_str(a, key);
    const char *vb = qdict_get_try_str(b, key);

    if (g_strcmp0(va, vb)) {
        g_error("%s: '%s' was '%s' before migration, '%s' after", where,
                key, va ? va : "(absent)", vb ? vb : "(absent)");
    }
}

static void check_same_bool(QDict *a, QDict *b, const char *key,
                            const char *where)
{
    if (qdict_get_bool(a, key) != qdict_get_bool(b, key)) {
        g_error("%s: '%s' was %d before migration, %d after", where, key,
                qdict_get_bool(a, key), qdict_get_bool(b, key));
    }
}

/*
 * The partition state that query-hvpart shows on the source (taken while
 * the guest idled before the migration) and on the destination (right
 * after it): everything but the queue of pending messages must match.
 */
static void check_same_partition(QDict *before, QDict *after)
{
    static const char *const vp_keys[] = {
        "index", "guest-os-id", "hypercall-page", "simp", "siefp",
        "reference-tsc",
    };
    static const char *const chan_u64[] = {
        "subchannel-index", "target-vp", "ring-pages",
    };
    static const char *const chan_str[] = {
        "device", "interface", "interface-id", "instance-id", "state",
    };
    QList *vps_a = qdict_get_qlist(before, "vps");
    QList *vps_b = qdict_get_qlist(after, "vps");
    QDict *vmbus_a = qdict_get_qdict(before, "vmbus");
    QDict *vmbus_b = qdict_get_qdict(after, "vmbus");
    const QListEntry *ea, *eb;
    size_t i;

    check_same_str(before, after, "driver", "partition");
    g_assert_cmpuint(qlist_size(vps_a), ==, qlist_size(vps_b));
    for (ea = qlist_first(vps_a), eb = qlist_first(vps_b); ea && eb;
         ea = qlist_next(ea), eb = qlist_next(eb)) {
        QDict *a = qobject_to(QDict, qlist_entry_obj(ea));
        QDict *b = qobject_to(QDict, qlist_entry_obj(eb));
        g_autofree char *where = g_strdup_printf("vp %" PRIu64,
                                                 dict_u64(a, "index"));

        check_same_bool(a, b, "synic-enabled", where);
        for (i = 0; i < ARRAY_SIZE(vp_keys); i++) {
            check_same_u64(a, b, vp_keys[i], where);
        }
    }

    g_assert_nonnull(vmbus_a);
    if (!vmbus_b) {
        g_error("vmbus: present before migration, absent after");
    }
    check_same_bool(vmbus_a, vmbus_b, "connected", "vmbus");
    check_same_str(vmbus_a, vmbus_b, "version", "vmbus");
    check_same_u64(vmbus_a, vmbus_b, "gpadls", "vmbus");
    g_assert_cmpuint(qlist_size(qdict_get_qlist(vmbus_a, "channels")), ==,
                     qlist_size(qdict_get_qlist(vmbus_b, "channels")));
    QLIST_FOREACH_ENTRY(qdict_get_qlist(vmbus_a, "channels"), ea) {
        QDict *a = qobject_to(QDict, qlist_entry_obj(ea));
        QDict *b = find_channel(vmbus_b, qdict_get_str(a, "interface"));
        g_autofree char *where = g_strdup_printf(
            "channel %s", qdict_get_str(a, "interface"));

        if (!b) {
            g_error("%s: gone after migration", where);
        }
        check_same_u64(a, b, "relid", where);
        for (i = 0; i < ARRAY_SIZE(chan_u64); i++) {
            check_same_u64(a, b, chan_u64[i], where);
        }
        for (i = 0; i < ARRAY_SIZE(chan_str); i++) {
            check_same_str(a, b, chan_str[i], where);
        }
    }
}

/* The highest "HVTEST: tick N" seen so far, or -1. */
static long last_tick(HvGuest *g)
{
    g_autoptr(GPtrArray) ticks = hvguest_lines_matching(g, "HVTEST: tick ");
    long last = -1;
    guint i;

    for (i = 0; i < ticks->len; i++) {
        const HvGuestLine *line = g_ptr_array_index(ticks, i);

        last = MAX(last, number_after(line->text, "HVTEST: tick "));
    }
    return last;
}

static void test_migrate(void)
{
    static const char *const devices[] = {
        "vmbus-heartbeat", "vmbus-shutdown", NULL
    };
    g_autofree char *uri = NULL;
    g_autofree char *sock = NULL;
    g_autofree char *needle = NULL;
    const HvGuestLine *line, *start, *end;
    QDict *before, *after;
    uint64_t src_beats, dst_beats;
    long src_tick, dst_tick, k;
    g_autoptr(GPtrArray) renegotiated = NULL;
    guint spos = 0, dpos = 0;
    HvGuest *src, *dst;

    if (!hvguest_check_requirements("hvpart", devices)) {
        return;
    }
    src = hvguest_start("hvpart", GUEST_MACHINE GUEST_ICS,
                        CMDLINE_ICS("migrate"));
    if (!src) {
        return;
    }
    wait_boot(src);
    g_assert_cmpint(modprobe_rc(src, "hv_vmbus"), ==, 0);
    g_assert_cmpint(modprobe_rc(src, "hv_utils"), ==, 0);
    hvguest_expect_line(src, "HVTEST: ics-ready", HVGUEST_TIMEOUT_S);
    g_assert_nonnull(hvguest_wait_line_from(src, &spos, "HVTEST: tick 2",
                                            HVGUEST_TIMEOUT_S));
    src_beats = wait_beats_above(src, HB_PATH, 1, "before migration");
    before = query_hvpart(hvguest_qts(src));
    check_running_partition(src, before);

    dst = hvguest_start("hvpart", GUEST_MACHINE GUEST_ICS " -incoming defer",
                        CMDLINE_ICS("migrate"));
    g_assert_nonnull(dst);
    sock = g_strdup_printf("%s/hvpart-migrate-%d.sock", g_get_tmp_dir(),
                           (int)getpid());
    uri = g_strdup_printf("unix:%s", sock);
    unlink(sock);
    hvguest_migrate(src, dst, uri);

    /* State that must have come across. */
    src_beats = hvguest_qom_get_u64(hvguest_qts(src), HB_PATH, "beats");
    dst_beats = hvguest_qom_get_u64(hvguest_qts(dst), HB_PATH, "beats");
    g_test_message("heartbeats: %" PRIu64 " on the source when it stopped, "
                   "%" PRIu64 " on the destination when it started",
                   src_beats, dst_beats);
    g_assert_cmpuint(dst_beats, >=, src_beats);
    after = query_hvpart(hvguest_qts(dst));
    check_same_partition(before, after);
    qobject_unref(before);
    qobject_unref(after);

    /* The guest's console goes on where the source's stopped. */
    src_tick = last_tick(src);
    g_assert_cmpint(src_tick, >=, 2);
    line = hvguest_wait_line_from(dst, &dpos, "HVTEST: tick ",
                                  HVGUEST_TIMEOUT_S);
    if (!line) {
        g_error("the guest printed nothing on the destination; its last "
                "line on the source: tick %ld", src_tick);
    }
    dst_tick = number_after(line->text, "HVTEST: tick ");
    g_test_message("last tick on the source: %ld, first on the "
                   "destination: %ld", src_tick, dst_tick);
    g_assert_cmpint(dst_tick, >, src_tick);
    g_assert_cmpint(dst_tick, <=, src_tick + 3);
    needle = g_strdup_printf("HVTEST: tick %ld", dst_tick + 5);
    g_assert_nonnull(hvguest_wait_line_from(dst, &dpos, needle,
                                            HVGUEST_TIMEOUT_S));

    /*
     * The guest's clock: a "sleep 3" that began on the destination (the
     * first one seen there may have begun on the source).
     */
    dpos = 0;
    line = hvguest_wait_line_from(dst, &dpos, "HVTEST: sleep3-start ",
                                  HVGUEST_TIMEOUT_S);
    g_assert_nonnull(line);
    k = number_after(line->text, "HVTEST: sleep3-start ") + 1;
    g_free(needle);
    needle = g_strdup_printf("HVTEST: sleep3-start %ld", k);
    start = hvguest_wait_line_from(dst, &dpos, needle, HVGUEST_TIMEOUT_S);
    g_assert_nonnull(start);
    g_free(needle);
    needle = g_strdup_printf("HVTEST: sleep3-end %ld", k);
    end = hvguest_wait_line_from(dst, &dpos, needle, HVGUEST_TIMEOUT_S);
    g_assert_nonnull(end);
    check_sleep(start, end, 3.0, "after migration");

    /* Heartbeats keep arriving on the destination. */
    dst_beats = wait_beats_above(dst, HB_PATH, dst_beats + 3,
                                 "after migration, on the destination");
    g_test_message("heartbeats on the destination: %" PRIu64, dst_beats);

    /*
     * The services were negotiated once, on the source: the guest must not
     * see a second negotiation (hv_utils logs each one).
     */
    renegotiated = hvguest_lines_matching(dst, MSG_IC_VERSION);
    if (renegotiated->len) {
        const HvGuestLine *l = g_ptr_array_index(renegotiated, 0);

        g_error("the guest negotiated an integration service again after "
                "the migration: '%s'", l->text);
    }

    /* And the shutdown service works there. */
    dpos = hvguest_line_count(dst);
    powerdown_through_ic(dst, &dpos);
    hvguest_quit(dst);
    hvguest_quit(src);
    unlink(sock);
}

/* /hvpart/guest/panic */

static void test_panic(void)
{
    QDict *event, *data, *info, *status, *vp0;
    uint64_t args[5];
    HvGuest *g;
    size_t i;

    if (!hvguest_check_requirements("hvpart", NULL)) {
        return;
    }
    /* Pause on a panic, so that QEMU stays to be asked about it. */
    g = hvguest_start("hvpart", GUEST_MACHINE " -action panic=pause",
                      HVGUEST_CMDLINE_BASE " hvtest.script=panic");
    if (!g) {
        return;
    }
    wait_boot(g);
    /* The guest saw the crash MSRs in CPUID and registered its notifier. */
    check_value(g, "crash-msrs", "yes");
    check_value(g, "sysrq", "1");
    hvguest_expect_line(g, "HVTEST: panic-now", HVGUEST_TIMEOUT_S);

    event = hvguest_wait_event(g, "GUEST_PANICKED", HVGUEST_TIMEOUT_S);
    if (!event) {
        g_error("no GUEST_PANICKED event; full log: %s",
                hvguest_console_path(g));
    }
    data = qdict_get_qdict(event, "data");
    {
        g_autoptr(GString) s = qobject_to_json(QOBJECT(data));

        g_test_message("GUEST_PANICKED: %s", s->str);
    }
    g_assert_cmpstr(qdict_get_str(data, "action"), ==, "pause");
    info = qdict_get_qdict(data, "info");
    g_assert_nonnull(info);
    g_assert_cmpstr(qdict_get_str(info, "type"), ==, "hyper-v");
    for (i = 0; i < ARRAY_SIZE(args); i++) {
        g_autofree char *key = g_strdup_printf("arg%zu", i + 1);

        args[i] = dict_u64(info, key);
    }
    hvguest_expect_line(g, MSG_PANIC, HVGUEST_TIMEOUT_S);

    status = qtest_qmp_assert_success_ref(hvguest_qts(g),
                                          "{'execute': 'query-status'}");
    g_assert_cmpstr(qdict_get_str(status, "status"), ==, "guest-panicked");
    qobject_unref(status);

    /*
     * hyperv_report_panic() (arch/x86/hyperv/hv_init.c), called from the
     * panic notifier: P0 = 0 (a panic, not an oops), P1 = the guest OS id
     * the guest registered, P2 = ip, P4 = sp of the crashing task.
     */
    info = query_hvpart(hvguest_qts(g));
    vp0 = qobject_to(QDict, qlist_peek(qdict_get_qlist(info, "vps")));
    g_assert_cmpuint(args[0], ==, 0);
    g_assert_cmpuint(args[1], !=, 0);
    g_assert_cmpuint(args[1], ==, dict_u64(vp0, "guest-os-id"));
    g_assert_cmpuint(args[2], !=, 0);
    g_assert_cmpuint(args[4], !=, 0);
    qobject_unref(info);
    qobject_unref(event);
    hvguest_quit(g);
}

/* /hvpart/guest/stimer-message-mode and stimer-direct-mode */

/* "hvs=N" or "hyp=N" of an irq line: the count, or -1 for "none". */
static long irq_field(const HvGuestLine *line, const char *key)
{
    g_autofree char *v = hvguest_line_field(line->text, key);

    g_assert_nonnull(v);
    return g_str_equal(v, "none") ? -1 : atol(v);
}

static void run_stimer_case(bool direct)
{
    const HvGuestLine *before, *after, *start, *end;
    g_autoptr(GPtrArray) ces = NULL;
    g_autofree char *listed = NULL;
    long hvs0, hvs1, hyp0, hyp1;
    HvGuest *g;
    guint i;

    if (!hvguest_check_requirements("hvpart", NULL)) {
        return;
    }
    g = hvguest_start(direct ? "hvpart" : "hvpart,stimer-direct=off",
                      GUEST_MACHINE,
                      HVGUEST_CMDLINE_BASE
                      " hvtest.mods=hv_vmbus hvtest.script=stimer");
    if (!g) {
        return;
    }
    wait_boot(g);
    g_assert_cmpint(modprobe_rc(g, "hv_vmbus"), ==, 0);

    /* Every CPU's clockevent is stimer0. */
    listed = expect_value(g, "timer-list-hyperv");
    ces = hvguest_lines_matching(g, "HVTEST: clockevent cpu");
    for (i = 0; i < ces->len; i++) {
        const HvGuestLine *line = g_ptr_array_index(ces, i);

        g_test_message("guest: %s", strstr(line->text, "clockevent cpu"));
        g_assert_nonnull(strstr(line->text, "=" HV_CLOCKEVENT));
    }
    g_assert_cmpuint(ces->len, ==, GUEST_VPS);
    g_assert_cmpint(atoi(listed), ==, GUEST_VPS);

    before = hvguest_expect_line(g, "HVTEST: irq-before ", HVGUEST_TIMEOUT_S);
    start = hvguest_expect_line(g, "HVTEST: sleep-start", HVGUEST_TIMEOUT_S);
    end = hvguest_expect_line(g, "HVTEST: sleep-end", HVGUEST_TIMEOUT_S);
    after = hvguest_expect_line(g, "HVTEST: irq-after ", HVGUEST_TIMEOUT_S);
    hvs0 = irq_field(before, "hvs");
    hyp0 = irq_field(before, "hyp");
    hvs1 = irq_field(after, "hvs");
    hyp1 = irq_field(after, "hyp");
    g_test_message("interrupts during the sleep: stimer0 vector (HVS) %ld "
                   "-> %ld, VMBus/SynIC vector (HYP) %ld -> %ld",
                   hvs0, hvs1, hyp0, hyp1);
    check_sleep(start, end, 5.0, direct ? "direct mode" : "message mode");

    if (direct) {
        /* Expirations arrive on the timer's own vector. */
        g_assert_cmpint(hvs0, >=, 0);
        g_assert_cmpint(hvs1, >, hvs0);
    } else {
        /* As SynIC messages: on the VMBus vector, never the direct one. */
        g_assert_true(hvs1 == -1 || hvs1 == hvs0);
        g_assert_cmpint(hyp0, >=, 0);
        g_assert_cmpint(hyp1, >, hyp0);
    }

    /* The script ends; /init powers off. */
    hvguest_expect_line(g, "HVTEST: done rc=0", HVGUEST_TIMEOUT_S);
    expect_guest_poweroff(g);
    hvguest_quit(g);
}

static void test_stimer_message_mode(void)
{
    run_stimer_case(false);
}

static void test_stimer_direct_mode(void)
{
    run_stimer_case(true);
}

/* /hvpart/guest/hotplug */

/* The channels query-hvpart lists. */
static size_t vmbus_channel_count(QTestState *qts)
{
    QDict *info = query_hvpart(qts);
    QDict *vmbus = qdict_get_qdict(info, "vmbus");
    size_t n;

    g_assert_nonnull(vmbus);
    g_assert_true(qdict_get_bool(vmbus, "connected"));
    n = qlist_size(qdict_get_qlist(vmbus, "channels"));
    qobject_unref(info);
    return n;
}

/*
 * device_add a heartbeat device: the guest must see a new VMBus device of
 * the heartbeat class, bound to hv_utils, and the device must beat.
 * Returns the guest's name for it (the instance GUID).
 */
static char *hotplug_heartbeat(HvGuest *g, guint *pos, const char *id)
{
    QTestState *qts = hvguest_qts(g);
    g_autofree char *path = g_strdup_printf("/machine/peripheral/%s", id);
    const HvGuestLine *line;
    QDict *info, *c;
    char *instance;

    qtest_qmp_device_add(qts, "vmbus-heartbeat", id, "{'interval': 500}");
    line = hvguest_wait_line_from(g, pos, "class=" GUID_HEARTBEAT
                                  " driver=hv_utils", HVGUEST_TIMEOUT_S);
    if (!line) {
        g_error("device_add %s: no heartbeat device bound to hv_utils "
                "appeared in the guest; full log: %s", id,
                hvguest_console_path(g));
    }
    instance = hvguest_line_field(line->text, "id");
    g_assert_nonnull(instance);
    g_test_message("device_add %s: the guest has %s", id, instance);

    info = query_hvpart(qts);
    c = find_channel(qdict_get_qdict(info, "vmbus"), "heartbeat");
    g_assert_nonnull(c);
    g_assert_cmpstr(qdict_get_str(c, "device"), ==, path);
    g_assert_cmpstr(qdict_get_str(c, "instance-id"), ==, instance);
    g_assert_cmpstr(qdict_get_str(c, "state"), ==, "open");
    qobject_unref(info);

    wait_beats_above(g, path, 0, "hot-plugged device");
    return instance;
}

/*
 * device_del: QEMU rescinds the offer; the guest removes the device and
 * releases the relid; then QEMU finishes the unplug with DEVICE_DELETED.
 */
static void hotunplug(HvGuest *g, guint *pos, const char *id,
                      const char *instance)
{
    g_autofree char *gone = g_strdup_printf("HVTEST: vmbus-gone id=%s ",
                                            instance);
    QDict *event, *info, *c;

    qtest_qmp_device_del_send(hvguest_qts(g), id);
    /*
     * Until the guest has released the relid, the channel stays, as
     * rescinded (it may already be gone: the guest runs meanwhile).
     */
    info = query_hvpart(hvguest_qts(g));
    c = find_channel(qdict_get_qdict(info, "vmbus"), "heartbeat");
    g_test_message("device_del %s: right after it, the channel is %s", id,
                   c ? qdict_get_str(c, "state") : "gone");
    if (c) {
        g_assert_cmpstr(qdict_get_str(c, "state"), ==, "rescinded");
    }
    qobject_unref(info);

    if (!hvguest_wait_line_from(g, pos, gone, HVGUEST_TIMEOUT_S)) {
        g_error("device_del %s: the guest kept %s; full log: %s", id,
                instance, hvguest_console_path(g));
    }
    event = hvguest_wait_event(g, "DEVICE_DELETED", HVGUEST_TIMEOUT_S);
    if (!event) {
        g_autofree char *text = hmp_text(hvguest_qts(g), "info hvpart");

        g_error("device_del %s: the guest removed the device but QEMU sent "
                "no DEVICE_DELETED; info hvpart:\n%s", id, text);
    }
    g_assert_cmpstr(qdict_get_try_str(qdict_get_qdict(event, "data"),
                                      "device"), ==, id);
    qobject_unref(event);
    g_assert_cmpuint(vmbus_channel_count(hvguest_qts(g)), ==, 0);
    g_test_message("device_del %s: gone from the guest and from QEMU", id);
}

static void test_hotplug(void)
{
    static const char *const devices[] = { "vmbus-heartbeat", NULL };
    g_autofree char *first = NULL;
    g_autofree char *second = NULL;
    guint pos = 0;
    HvGuest *g;

    if (!hvguest_check_requirements("hvpart", devices)) {
        return;
    }
    g = hvguest_start("hvpart", GUEST_MACHINE, CMDLINE_ICS("hotplug"));
    if (!g) {
        return;
    }
    wait_boot(g);
    g_assert_cmpint(modprobe_rc(g, "hv_vmbus"), ==, 0);
    g_assert_cmpint(modprobe_rc(g, "hv_utils"), ==, 0);
    g_assert_nonnull(hvguest_wait_line_from(g, &pos,
                                            "HVTEST: watch-start devices=0",
                                            HVGUEST_TIMEOUT_S));
    g_assert_cmpuint(vmbus_channel_count(hvguest_qts(g)), ==, 0);

    first = hotplug_heartbeat(g, &pos, "hb2");
    hotunplug(g, &pos, "hb2", first);
    /* The same id again: the same QOM path, so the same instance GUID. */
    second = hotplug_heartbeat(g, &pos, "hb2");
    g_assert_cmpstr(second, ==, first);
    hotunplug(g, &pos, "hb2", second);
    hvguest_quit(g);
}

/* /hvpart/guest/no-vmbus */

static void test_no_vmbus(void)
{
    const HvGuestLine *line;
    g_autofree char *err = NULL;
    g_autofree char *text = NULL;
    QDict *info;
    HvGuest *g;

    if (!hvguest_check_requirements("hvpart", NULL)) {
        return;
    }
    g = hvguest_start("hvpart,vmbus=off", GUEST_MACHINE,
                      CMDLINE_ICS("vmbus-basic"));
    if (!g) {
        return;
    }
    wait_boot(g);

    /* Hyper-V, but no ACPI VMBus device: hv_vmbus says ENODEV. */
    g_assert_cmpint(modprobe_rc(g, "hv_vmbus"), !=, 0);
    line = hvguest_find_line(g, MSG_NO_VMBUS);
    g_assert_nonnull(line);
    g_test_message("guest: %s", line->text);
    g_assert_nonnull(strstr(line->text, MSG_ENODEV));
    g_assert_cmpint(modprobe_rc(g, "hv_utils"), !=, 0);
    check_value(g, "hyperv-detected", "yes");
    check_value(g, "clocksource", "hyperv_clocksource_tsc_page");
    check_value(g, "vmbus-version", "none");
    check_value(g, "vmbus-devices", "0");

    info = query_hvpart(hvguest_qts(g));
    g_assert_cmpstr(qdict_get_str(info, "driver"), ==, "tcg");
    g_assert_false(qdict_haskey(info, "vmbus"));
    qobject_unref(info);
    text = hmp_text(hvguest_qts(g), "info hvpart");
    g_assert_nonnull(strstr(text, "vmbus: none\n"));

    /* Without a shutdown IC the script ends and /init powers off. */
    hvguest_expect_line(g, "HVTEST: done rc=0", HVGUEST_TIMEOUT_S);
    expect_guest_poweroff(g);
    hvguest_quit(g);

    /* A VMBus device cannot be had without the VMBus. */
    err = run_qemu_expect_refusal("-accel hvpart,vmbus=off -machine pc "
                                  "-nodefaults -display none -S "
                                  "-device vmbus-heartbeat");
    g_assert_nonnull(strstr(err, "vmbus-heartbeat"));
}

/* /hvpart/guest/driver-kvm */

static void test_driver_kvm(void)
{
    g_autofree char *err = NULL;

    if (!qtest_has_accel("hvpart")) {
        g_test_skip("QEMU has no 'hvpart' accelerator");
        return;
    }
    /* No silent fallback to TCG, and the message names the option. */
    err = run_qemu_expect_refusal("-accel hvpart,driver=kvm -machine pc "
                                  "-nodefaults -display none -S");
    g_assert_nonnull(strstr(err, "driver=kvm"));
}

/* /hvpart/guest/net-options */

/*
 * Out-of-range vmbus-net properties stop QEMU with a message that names
 * the property and its range.
 */
static void test_net_options(void)
{
    static const char *const bad[] = {
        "mtu=67", "mtu=9001", "tx-coalesce-us=10001",
        "inline-gap-us=100001",
    };
    int i;

    if (!qtest_has_accel("hvpart")) {
        g_test_skip("QEMU has no 'hvpart' accelerator");
        return;
    }
    for (i = 0; i < ARRAY_SIZE(bad); i++) {
        g_autofree char *args = g_strdup_printf(
            "-accel hvpart -machine pc -nodefaults -display none -S "
            "-netdev user,id=n0 -device vmbus-net,netdev=n0,%s", bad[i]);
        g_autofree char *name = g_strndup(bad[i], strcspn(bad[i], "="));
        g_autofree char *err = run_qemu_expect_refusal(args);

        g_assert_nonnull(strstr(err, name));
        g_assert_nonnull(strstr(err, "must be"));
    }
}

/* /hvpart/guest/driver-reload */

/* Open channels of the device whose QOM path ends in @dev. */
static int open_channels_of(QTestState *qts, const char *dev)
{
    QDict *info = query_hvpart(qts);
    QListEntry *e;
    int n = 0;

    QLIST_FOREACH_ENTRY(qdict_get_qlist(qdict_get_qdict(info, "vmbus"),
                                        "channels"), e) {
        QDict *c = qobject_to(QDict, qlist_entry_obj(e));

        if (g_str_has_suffix(qdict_get_str(c, "device"), dev) &&
            g_str_equal(qdict_get_str(c, "state"), "open")) {
            n++;
        }
    }
    qobject_unref(info);
    return n;
}

/* The counts of "HVTEST: channels round=@round netvsc=N storvsc=M". */
static void reload_round(HvGuest *g, guint *pos, int round, int *net,
                         int *scsi)
{
    g_autofree char *needle = g_strdup_printf("HVTEST: channels round=%d ",
                                              round);
    const HvGuestLine *l = hvguest_wait_line_from(g, pos, needle,
                                                  HVGUEST_TIMEOUT_S);
    const char *p;

    g_assert_nonnull(l);
    p = strstr(l->text, "netvsc=");
    g_assert_nonnull(p);
    *net = atoi(p + strlen("netvsc="));
    p = strstr(l->text, "storvsc=");
    g_assert_nonnull(p);
    *scsi = atoi(p + strlen("storvsc="));
    g_test_message("round %d: netvsc has %d channels open, storvsc %d",
                   round, *net, *scsi);
}

/*
 * Closing a primary channel rescinds its sub-channels, as on Hyper-V: a
 * reloaded driver gets fresh ones and uses as many channels as the first
 * time (before, the guest kept the stale sub-channels and ran on one).
 * The SCSI controller is served by an IOThread: its channels open and
 * close there, and its sub-channels are offered from the main loop.
 */
static void test_driver_reload(void)
{
    static const char *const devices[] = { "vmbus-net", "vmbus-scsi", NULL };
    int net1, scsi1, net2, scsi2;
    guint pos = 0;
    HvGuest *g;

    if (!hvguest_check_requirements("hvpart", devices)) {
        return;
    }
    g = hvguest_start("hvpart", GUEST_MACHINE
                      " -netdev user,id=n0 -device vmbus-net,id=nic,netdev=n0"
                      " -blockdev null-co,node-name=d0,size=67108864"
                      " -object iothread,id=io0"
                      " -device vmbus-scsi,id=hba,iothread=io0"
                      " -device scsi-hd,drive=d0,bus=hba.0",
                      HVGUEST_CMDLINE_BASE " hvtest.mods=hv_vmbus,sd_mod"
                      " hvtest.script=reload");
    if (!g) {
        return;
    }
    wait_boot(g);
    reload_round(g, &pos, 1, &net1, &scsi1);
    g_assert_cmpint(net1, ==, 2);               /* -smp 2 */
    g_assert_cmpint(scsi1, ==, 2);
    reload_round(g, &pos, 2, &net2, &scsi2);
    g_assert_nonnull(hvguest_wait_line_from(g, &pos, "HVTEST: reload-done",
                                            HVGUEST_TIMEOUT_S));
    g_assert_cmpint(net2, ==, net1);
    g_assert_cmpint(scsi2, ==, scsi1);
    /* QEMU's side agrees. */
    g_assert_cmpint(open_channels_of(hvguest_qts(g), "/nic"), ==, net2);
    g_assert_cmpint(open_channels_of(hvguest_qts(g), "/hba"), ==, scsi2);
    hvguest_quit(g);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    /* The guest kernel is Debian's amd64 one. */
    if (g_str_equal(qtest_get_arch(), "x86_64")) {
        qtest_add_func("/hvpart/guest/query", test_query);
        qtest_add_func("/hvpart/guest/panic", test_panic);
        qtest_add_func("/hvpart/guest/stimer-message-mode",
                       test_stimer_message_mode);
        qtest_add_func("/hvpart/guest/stimer-direct-mode",
                       test_stimer_direct_mode);
        qtest_add_func("/hvpart/guest/hotplug", test_hotplug);
        qtest_add_func("/hvpart/guest/driver-reload", test_driver_reload);
        qtest_add_func("/hvpart/guest/no-vmbus", test_no_vmbus);
        qtest_add_func("/hvpart/guest/driver-kvm", test_driver_kvm);
        qtest_add_func("/hvpart/guest/net-options", test_net_options);
        /*
         * Last: it is the longest, and a failed assertion ends the whole
         * program, so the others have reported by then.
         */
        qtest_add_func("/hvpart/guest/migrate", test_migrate);
    }
    return g_test_run();
}
