/*
 * Boot an unmodified Linux guest (Debian 12's 6.1 kernel with a busybox
 * initramfs, built by tests/guest/mkguest.sh) and check what it sees.
 *
 * /hvpart/boot/vmbus: under -accel hvpart with the heartbeat and shutdown
 * integration services, the guest detects Hyper-V, negotiates VMBus, uses
 * the Hyper-V reference TSC page as clocksource, binds hv_utils to both
 * devices, keeps time, and shuts down through the shutdown IC when the host
 * sends system_powerdown.
 *
 * /hvpart/boot/tcg-negative: the same guest under plain TCG sees no Hyper-V
 * and no VMBus; this also checks the guest and the harness themselves.
 *
 * Environment: QTEST_QEMU_BINARY (as for every qtest); HVPART_GUEST_DIR
 * (vmlinuz and initramfs.cpio.gz, default build/guest of the repository);
 * HVPART_KEEP_CONSOLE=1 keeps the console logs; HVPART_GUEST_QEMU_ARGS is
 * appended to QEMU's command line.
 *
 * Copyright (c) 2025 qemu-hvpart contributors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include <math.h>
#include "libqtest.h"
#include "qobject/qdict.h"
#include "hvpart-guest-util.h"

#define GUEST_CMDLINE HVGUEST_CMDLINE_BASE \
    " hvtest.mods=hv_vmbus,hv_utils hvtest.script=vmbus-basic"

#define GUEST_MACHINE "-machine pc -m 512 -smp 2"

/* Interface type GUIDs (docs: PROTOCOLS.md, "Interface type GUIDs"). */
#define GUID_HEARTBEAT "57164f39-9115-4e78-ab55-382f3bd5422d"
#define GUID_SHUTDOWN  "0e0b6031-5213-4934-818b-38d90ced39db"

/*
 * What the guest kernel prints, verbatim (Linux 6.1):
 * - drivers/hv/hv_util.c shutdown_onchannelcallback(), pr_fmt
 *   "hv_utils: ", when the shutdown IC asks for a power off;
 * - busybox modprobe, when init_module() of hv_vmbus fails with ENODEV
 *   (drivers/hv/vmbus_drv.c hv_acpi_init(): not on Hyper-V).
 */
#define MSG_SHUTDOWN_IC \
    "hv_utils: Shutdown request received - graceful shutdown initiated"
#define MSG_NO_VMBUS "can't load module hv_vmbus"
#define MSG_ENODEV "No such device"

/* The guest's "sleep 5", timed on the host, must stay within this. */
#define SLEEP_SECONDS 5.0
#define SLEEP_TOLERANCE 0.5

/* Versions Linux 6.1 offers, newest first (drivers/hv/connection.c). */
static const char *const vmbus_versions[] = {
    "5.3", "5.2", "5.1", "5.0", "4.1", "4.0", "3.0", "2.4",
};

static void check_value(HvGuest *g, const char *key, const char *expected)
{
    g_autofree char *value = hvguest_wait_value(g, key, HVGUEST_TIMEOUT_S);

    g_assert_nonnull(value);
    g_test_message("guest: %s=%s", key, value);
    g_assert_cmpstr(value, ==, expected);
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

static const HvGuestLine *wait_boot(HvGuest *g)
{
    const HvGuestLine *boot = hvguest_expect_line(g, "HVTEST: boot",
                                                  HVGUEST_TIMEOUT_S);

    g_test_message("guest reached /init %.1f s after QEMU started",
                   (boot->seen_us - hvguest_start_time(g)) /
                   (double)G_USEC_PER_SEC);
    return boot;
}

/* The host-side duration of the guest's "sleep 5". */
static double measure_sleep(HvGuest *g)
{
    const HvGuestLine *start = hvguest_expect_line(g, "HVTEST: sleep-start",
                                                   HVGUEST_TIMEOUT_S);
    const HvGuestLine *end = hvguest_expect_line(g, "HVTEST: sleep-end",
                                                 HVGUEST_TIMEOUT_S);
    double seconds = hvguest_seconds_between(start, end);

    g_test_message("guest 'sleep %.0f' took %.3f s of host time",
                   SLEEP_SECONDS, seconds);
    return seconds;
}

/*
 * Wait for QEMU to exit after the guest powered off, and check that it
 * said why with a SHUTDOWN event: the guest did it (ACPI S5), not the host.
 */
static void expect_guest_poweroff(HvGuest *g)
{
    QDict *event;

    g_assert_true(hvguest_wait_exit(g, HVGUEST_TIMEOUT_S));
    event = qtest_qmp_eventwait_ref(hvguest_qts(g), "SHUTDOWN");
    g_assert_true(qdict_get_bool(qdict_get_qdict(event, "data"), "guest"));
    g_assert_cmpstr(qdict_get_str(qdict_get_qdict(event, "data"), "reason"),
                    ==, "guest-shutdown");
    qobject_unref(event);
}

static void test_boot_vmbus(void)
{
    static const char *const devices[] = {
        "vmbus-heartbeat", "vmbus-shutdown", NULL
    };
    const HvGuestLine *boot, *done;
    g_autofree char *version = NULL;
    g_autofree char *ndevs = NULL;
    g_autoptr(GPtrArray) devs = NULL;
    bool have_heartbeat = false, have_shutdown = false;
    bool version_known = false;
    double slept;
    size_t i;
    HvGuest *g;

    if (!hvguest_check_requirements("hvpart", devices)) {
        return;
    }
    g = hvguest_start("hvpart",
                      GUEST_MACHINE " -device vmbus-heartbeat"
                      " -device vmbus-shutdown",
                      GUEST_CMDLINE);
    if (!g) {
        return;
    }
    boot = wait_boot(g);

    g_assert_cmpint(modprobe_rc(g, "hv_vmbus"), ==, 0);
    g_assert_cmpint(modprobe_rc(g, "hv_utils"), ==, 0);

    check_value(g, "hyperv-detected", "yes");

    version = hvguest_wait_value(g, "vmbus-version", HVGUEST_TIMEOUT_S);
    g_assert_nonnull(version);
    for (i = 0; i < ARRAY_SIZE(vmbus_versions); i++) {
        version_known |= g_str_equal(version, vmbus_versions[i]);
    }
    g_test_message("guest negotiated VMBus version %s%s", version,
                   g_str_equal(version, "5.3") ? "" :
                   " (the newest, 5.3, is the one we specify)");
    g_assert_true(version_known);

    check_value(g, "clocksource", "hyperv_clocksource_tsc_page");

    ndevs = hvguest_wait_value(g, "vmbus-devices", HVGUEST_TIMEOUT_S);
    g_assert_nonnull(ndevs);
    devs = hvguest_lines_matching(g, "HVTEST: vmbus-dev ");
    for (i = 0; i < devs->len; i++) {
        const HvGuestLine *line = g_ptr_array_index(devs, i);
        g_autofree char *class = hvguest_line_field(line->text, "class");
        g_autofree char *driver = hvguest_line_field(line->text, "driver");

        g_test_message("guest: %s", line->text);
        g_assert_nonnull(class);
        g_assert_nonnull(driver);
        if (g_str_equal(class, GUID_HEARTBEAT)) {
            g_assert_false(have_heartbeat);
            have_heartbeat = true;
        } else if (g_str_equal(class, GUID_SHUTDOWN)) {
            g_assert_false(have_shutdown);
            have_shutdown = true;
        } else {
            g_error("unexpected VMBus device: %s", line->text);
        }
        g_assert_cmpstr(driver, ==, "hv_utils");
    }
    g_assert_cmpuint(devs->len, ==, 2);
    g_assert_cmpstr(ndevs, ==, "2");
    g_assert_true(have_heartbeat && have_shutdown);

    slept = measure_sleep(g);
    g_assert_cmpfloat(slept, >=, SLEEP_SECONDS - SLEEP_TOLERANCE);
    g_assert_cmpfloat(slept, <=, SLEEP_SECONDS + SLEEP_TOLERANCE);

    /* Shut down through the shutdown integration service. */
    hvguest_expect_line(g, "HVTEST: waiting-for-shutdown", HVGUEST_TIMEOUT_S);
    qtest_qmp_assert_success(hvguest_qts(g),
                             "{'execute': 'system_powerdown'}");
    hvguest_expect_line(g, MSG_SHUTDOWN_IC, HVGUEST_TIMEOUT_S);
    /* orderly_poweroff() ran the initramfs' /sbin/poweroff. */
    done = hvguest_expect_line(g, "HVTEST: poweroff requested",
                               HVGUEST_TIMEOUT_S);
    g_test_message("guest script ran for %.1f s",
                   hvguest_seconds_between(boot, done));
    expect_guest_poweroff(g);
    hvguest_quit(g);
}

static void test_boot_tcg_negative(void)
{
    const HvGuestLine *boot, *done, *line;
    g_autoptr(GPtrArray) devs = NULL;
    HvGuest *g;

    if (!hvguest_check_requirements("tcg", NULL)) {
        return;
    }
    g = hvguest_start("tcg", GUEST_MACHINE, GUEST_CMDLINE);
    if (!g) {
        return;
    }
    boot = wait_boot(g);

    /* No Hyper-V: hv_vmbus refuses to load, and hv_utils with it. */
    g_assert_cmpint(modprobe_rc(g, "hv_vmbus"), !=, 0);
    line = hvguest_find_line(g, MSG_NO_VMBUS);
    g_assert_nonnull(line);
    g_assert_nonnull(strstr(line->text, MSG_ENODEV));
    g_assert_cmpint(modprobe_rc(g, "hv_utils"), !=, 0);

    check_value(g, "hyperv-detected", "no");
    check_value(g, "vmbus-version", "none");
    check_value(g, "vmbus-devices", "0");
    devs = hvguest_lines_matching(g, "HVTEST: vmbus-dev ");
    g_assert_cmpuint(devs->len, ==, 0);

    /* Informational: TCG's own time keeping, for comparison. */
    measure_sleep(g);

    /* Without a shutdown IC the script ends and /init powers off. */
    done = hvguest_expect_line(g, "HVTEST: done rc=", HVGUEST_TIMEOUT_S);
    g_assert_nonnull(strstr(done->text, "HVTEST: done rc=0"));
    g_test_message("guest script ran for %.1f s",
                   hvguest_seconds_between(boot, done));
    expect_guest_poweroff(g);
    hvguest_quit(g);
}

/*
 * Time sync on a q35 machine: the guest sets its clock an hour back, loads
 * hv_utils, and the timesync IC's SYNC message puts it right.
 */
static void test_boot_timesync(void)
{
    static const char *const devices[] = { "vmbus-timesync", NULL };
    g_autofree char *skewed = NULL;
    const HvGuestLine *synced;
    g_autofree char *synced_value = NULL;
    gint64 host_now;
    double skew, error;
    HvGuest *g;

    if (!hvguest_check_requirements("hvpart", devices)) {
        return;
    }
    g = hvguest_start("hvpart",
                      "-machine q35 -m 512 -smp 2 -device vmbus-timesync",
                      HVGUEST_CMDLINE_BASE
                      " hvtest.mods=hv_vmbus hvtest.script=timesync");
    if (!g) {
        return;
    }
    wait_boot(g);
    g_assert_cmpint(modprobe_rc(g, "hv_vmbus"), ==, 0);

    /* The guest really was an hour off... */
    skewed = hvguest_wait_value(g, "time-skewed", HVGUEST_TIMEOUT_S);
    g_assert_nonnull(skewed);
    skew = (double)g_get_real_time() / G_USEC_PER_SEC -
           g_ascii_strtod(skewed, NULL);
    g_test_message("guest clock before sync: %.0f s behind the host", skew);
    g_assert_cmpfloat(skew, >, 3500);

    /* ...and is right after the timesync IC's SYNC. */
    g_assert_cmpint(modprobe_rc(g, "hv_utils"), ==, 0);
    hvguest_expect_line(g, "hv_utils: TimeSync IC version", HVGUEST_TIMEOUT_S);
    synced = hvguest_expect_line(g, "HVTEST: time-synced=",
                                 HVGUEST_TIMEOUT_S);
    /* The host's wall clock when the line came out. */
    host_now = g_get_real_time() - (g_get_monotonic_time() - synced->seen_us);
    synced_value = hvguest_line_field(synced->text, "time-synced");
    g_assert_nonnull(synced_value);
    error = g_ascii_strtod(synced_value, NULL) -
            (double)host_now / G_USEC_PER_SEC;
    g_test_message("guest clock after sync: %+.0f s from the host", error);
    g_assert_cmpfloat(fabs(error), <=, 3);
    hvguest_quit(g);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    /* The guest kernel is Debian's amd64 one. */
    if (g_str_equal(qtest_get_arch(), "x86_64")) {
        qtest_add_func("/hvpart/boot/vmbus", test_boot_vmbus);
        qtest_add_func("/hvpart/boot/tcg-negative", test_boot_tcg_negative);
        qtest_add_func("/hvpart/boot/timesync", test_boot_timesync);
    }
    return g_test_run();
}
