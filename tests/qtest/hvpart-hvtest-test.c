/*
 * Boot the freestanding hvtest guest (tests/hvtest/, built by
 * tests/hvtest/build.sh) and turn its verdicts into test results.
 *
 * The guest checks the Hyper-V interface from the inside with input a Linux
 * guest never sends: reserved MSR bits, bad hypercall inputs, stacked
 * overlay pages, host-only and lying VMBus messages, corrupt rings. It
 * prints one "HVTEST-FS: PASS name" or "HVTEST-FS: FAIL name: detail" line
 * per check, then "HVTEST-FS: DONE passed=N failed=M", and exits QEMU
 * through isa-debug-exit.
 *
 * /hvpart/hvtest/hyperv-interface: under -accel hvpart with the heartbeat
 * integration service. Every verdict becomes a test message; every FAIL
 * fails the test (the others still run and are reported).
 *
 * /hvpart/hvtest/tcg-negative: the same image under plain TCG must say
 * that there is no Hyper-V, and fail its detection checks: the guest and
 * this harness can tell a missing interface from a working one.
 *
 * Environment: QTEST_QEMU_BINARY (as for every qtest); HVPART_HVTEST_ELF
 * (the image; default build/hvtest/hvtest.elf of the repository);
 * HVPART_KEEP_CONSOLE=1 keeps the console logs; HVPART_GUEST_QEMU_ARGS is
 * appended to QEMU's command line.
 *
 * Copyright (c) 2025 qemu-hvpart contributors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "libqtest.h"
#include "hvpart-guest-util.h"

/* The whole run takes ~10 s under TCG; a hang must not stall the suite. */
#define HVTEST_TIMEOUT_S        120
#define HVTEST_EXIT_TIMEOUT_S   30

/* isa-debug-exit where the guest expects it (tests/hvtest/hw.c) */
#define HVTEST_MACHINE \
    "-machine pc -m 256 -smp 1 " \
    "-device isa-debug-exit,iobase=0xf4,iosize=0x04"

/*
 * The guest's exit codes (tests/hvtest/main.c); isa-debug-exit makes QEMU
 * exit with status code * 2 + 1.
 */
#define HVTEST_EXIT_PASSED      0
#define HVTEST_EXIT_FAILED      1
#define HVTEST_EXIT_NO_HYPERV   2
#define HVTEST_QEMU_STATUS(code) ((code) * 2 + 1)

#define HVTEST_PREFIX           "HVTEST-FS: "

/*
 * Fewer verdicts than this under hvpart means the guest stopped early (it
 * has about 70 checks); a run that skips most of them must not pass.
 */
#define HVTEST_MIN_VERDICTS     60

typedef struct HvtestVerdicts {
    guint passed, failed, skipped;
    bool done;
    guint done_passed, done_failed;
    bool no_hyperv;
    GString *failures;          /* names of the failed checks */
} HvtestVerdicts;

static char *hvtest_image(void)
{
    const char *env = g_getenv("HVPART_HVTEST_ELF");

    if (env && *env) {
        return g_strdup(env);
    }
#ifdef HVPART_HVTEST_ELF_DEFAULT
    /* The build may say where the image is. */
    if (g_file_test(HVPART_HVTEST_ELF_DEFAULT, G_FILE_TEST_EXISTS)) {
        return g_strdup(HVPART_HVTEST_ELF_DEFAULT);
    }
#endif
    return hvguest_repo_path("build/hvtest/hvtest.elf");
}

/* Skip (and return NULL) unless the image, @accel and @devices exist. */
static char *hvtest_requirements(const char *accel,
                                 const char *const *devices)
{
    g_autofree char *image = hvtest_image();

    if (!g_file_test(image, G_FILE_TEST_EXISTS)) {
        g_autofree char *msg =
            g_strdup_printf("hvtest image %s is missing: build it with "
                            "tests/hvtest/build.sh, or point "
                            "HVPART_HVTEST_ELF at it", image);

        g_test_skip(msg);
        return NULL;
    }
    if (!qtest_has_accel(accel)) {
        g_autofree char *msg =
            g_strdup_printf("QEMU has no '%s' accelerator", accel);

        g_test_skip(msg);
        return NULL;
    }
    for (; devices && *devices; devices++) {
        if (!qtest_has_device(*devices)) {
            g_autofree char *msg =
                g_strdup_printf("QEMU has no '%s' device", *devices);

            g_test_skip(msg);
            return NULL;
        }
    }
    return g_steal_pointer(&image);
}

static guint parse_count(const char *line, const char *key)
{
    g_autofree char *value = hvguest_line_field(line, key);

    return value ? (guint)g_ascii_strtoull(value, NULL, 10) : G_MAXUINT;
}

/*
 * Read every verdict line. Each becomes a test message; with @fail_on_fail
 * each FAIL also marks the test failed (and the test goes on).
 */
static void hvtest_collect(HvGuest *g, HvtestVerdicts *v, bool fail_on_fail)
{
    g_autoptr(GPtrArray) lines = hvguest_lines_matching(g, HVTEST_PREFIX);
    guint i;

    memset(v, 0, sizeof(*v));
    v->failures = g_string_new("");
    for (i = 0; i < lines->len; i++) {
        const HvGuestLine *line = g_ptr_array_index(lines, i);
        const char *rest = strstr(line->text, HVTEST_PREFIX) +
                           strlen(HVTEST_PREFIX);

        if (g_str_has_prefix(rest, "PASS ")) {
            v->passed++;
            g_test_message("guest: %s", rest);
        } else if (g_str_has_prefix(rest, "FAIL ")) {
            const char *name = rest + strlen("FAIL ");
            size_t len = strcspn(name, ":");

            v->failed++;
            g_test_message("%s%s", fail_on_fail ? "guest check failed: " :
                           "guest: ", rest);
            g_string_append_printf(v->failures, "%s%.*s",
                                   v->failures->len ? ", " : "",
                                   (int)len, name);
            if (fail_on_fail) {
                g_test_fail();
            }
        } else if (g_str_has_prefix(rest, "SKIP ")) {
            v->skipped++;
            g_test_message("guest: %s", rest);
        } else if (g_str_has_prefix(rest, "NO-HYPERV")) {
            v->no_hyperv = true;
            g_test_message("guest: %s", rest);
        } else if (g_str_has_prefix(rest, "DONE ")) {
            v->done = true;
            v->done_passed = parse_count(rest, "passed");
            v->done_failed = parse_count(rest, "failed");
        } else {
            g_test_message("guest: %s", rest);      /* INFO, START */
        }
    }
}

/*
 * Boot the image, wait for DONE and for QEMU to exit by itself, tell
 * libqtest which exit status the guest asked for, and collect the
 * verdicts. Returns false (after failing the test) if the guest never
 * finished.
 */
static bool hvtest_run(const char *accel, const char *image,
                       const char *extra_args, HvtestVerdicts *v,
                       bool fail_on_fail)
{
    g_autofree char *args = g_strdup_printf("%s %s", HVTEST_MACHINE,
                                            extra_args ? extra_args : "");
    HvGuest *g = hvguest_start_kernel(accel, image, args);
    const HvGuestLine *done;
    int code;

    done = hvguest_wait_line(g, HVTEST_PREFIX "DONE", HVTEST_TIMEOUT_S);
    hvtest_collect(g, v, fail_on_fail);
    if (!done) {
        g_autoptr(GPtrArray) seen = hvguest_lines_matching(g, HVTEST_PREFIX);
        const HvGuestLine *last = seen->len ?
            g_ptr_array_index(seen, seen->len - 1) : NULL;

        g_test_message("the guest did not print DONE (%s); the last "
                       "verdict line was '%s', so the check after it never "
                       "ended; console: %s",
                       hvguest_running(g) ?
                       "QEMU still runs after " G_STRINGIFY(HVTEST_TIMEOUT_S)
                       " s: a hang" :
                       "QEMU exited: a crash, or a triple fault",
                       last ? last->text : "(none)",
                       hvguest_console_path(g));
        g_test_fail();
        /*
         * QEMU may have died; libqtest's own status check would abort
         * the whole program on that, so only a live QEMU is stopped.
         */
        if (hvguest_running(g)) {
            hvguest_quit(g);
        }
        return false;
    }
    g_test_message("guest finished %.1f s after QEMU started",
                   (done->seen_us - hvguest_start_time(g)) /
                   (double)G_USEC_PER_SEC);
    if (!hvguest_wait_exit(g, HVTEST_EXIT_TIMEOUT_S)) {
        g_test_message("the guest printed DONE but QEMU did not exit: is "
                       "isa-debug-exit missing?");
        g_test_fail();
        hvguest_quit(g);
        return false;
    }
    code = v->no_hyperv ? HVTEST_EXIT_NO_HYPERV :
           v->done_failed ? HVTEST_EXIT_FAILED : HVTEST_EXIT_PASSED;
    qtest_set_expected_status(hvguest_qts(g), HVTEST_QEMU_STATUS(code));
    hvguest_quit(g);
    return true;
}

static void test_hyperv_interface(void)
{
    static const char *const devices[] = {
        "vmbus-heartbeat", "isa-debug-exit", NULL
    };
    g_autofree char *image = hvtest_requirements("hvpart", devices);
    HvtestVerdicts v;

    if (!image) {
        return;
    }
    g_test_message("hvtest image: %s", image);
    if (!hvtest_run("hvpart", image, "-device vmbus-heartbeat", &v, true)) {
        g_string_free(v.failures, true);
        return;
    }
    g_test_message("guest verdicts: %u passed, %u failed, %u skipped%s%s",
                   v.passed, v.failed, v.skipped,
                   v.failed ? "; failed: " : "", v.failures->str);
    g_assert_false(v.no_hyperv);
    /* The summary must agree with the lines, or lines went missing. */
    g_assert_cmpuint(v.done_passed, ==, v.passed);
    g_assert_cmpuint(v.done_failed, ==, v.failed);
    g_assert_cmpuint(v.passed + v.failed, >=, HVTEST_MIN_VERDICTS);
    g_string_free(v.failures, true);
}

static void test_tcg_negative(void)
{
    static const char *const devices[] = { "isa-debug-exit", NULL };
    g_autofree char *image = hvtest_requirements("tcg", devices);
    HvtestVerdicts v;

    if (!image) {
        return;
    }
    /* Here a FAIL is what we want to see: it does not fail this test. */
    if (!hvtest_run("tcg", image, NULL, &v, false)) {
        g_string_free(v.failures, true);
        return;
    }
    g_test_message("guest verdicts: %u passed, %u failed (expected: the "
                   "detection checks fail)", v.passed, v.failed);
    g_assert_true(v.no_hyperv);
    g_assert_cmpuint(v.failed, >=, 1);
    g_assert_nonnull(strstr(v.failures->str, "cpuid-hv-vendor"));
    g_assert_cmpuint(v.done_failed, ==, v.failed);
    g_assert_cmpuint(v.done_passed, ==, v.passed);
    g_string_free(v.failures, true);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    /* The guest is an x86-64 multiboot image. */
    if (g_str_equal(qtest_get_arch(), "x86_64")) {
        qtest_add_func("/hvpart/hvtest/hyperv-interface",
                       test_hyperv_interface);
        qtest_add_func("/hvpart/hvtest/tcg-negative", test_tcg_negative);
    }
    return g_test_run();
}
