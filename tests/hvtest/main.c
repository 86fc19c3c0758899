/*
 * hvtest: the test runner.
 *
 * Output protocol (serial console, one line each, parsed by
 * tests/qtest/hvpart-hvtest-test.c):
 *   HVTEST-FS: PASS <name>
 *   HVTEST-FS: FAIL <name>: <detail>
 *   HVTEST-FS: SKIP <name>: <reason>          (neither passed nor failed)
 *   HVTEST-FS: INFO <name>: <text>            (measurements, extra details)
 *   HVTEST-FS: NO-HYPERV signature="<cpuid 0x40000000 signature>"
 *   HVTEST-FS: DONE passed=N failed=M
 * and then the guest exits QEMU through isa-debug-exit with code 0 (all
 * passed), 1 (something failed) or 2 (no Hyper-V interface found).
 *
 * Copyright (c) 2025 qemu-hvpart contributors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "hvtest.h"
#include "hv.h"

#define EXIT_PASSED     0
#define EXIT_FAILED     1
#define EXIT_NO_HYPERV  2

static const char *current_test;
static bool cur_failed;
static bool cur_skipped;
static char cur_detail[256];
static unsigned passed, failed;

void t_fail(const char *fmt, ...)
{
    char buf[256];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (!cur_failed) {
        cur_failed = true;
        memcpy(cur_detail, buf, sizeof(cur_detail));
    } else {
        /* The verdict line carries the first; the others go before it. */
        printf("HVTEST-FS: INFO %s: also: %s\n", current_test, buf);
    }
}

void t_skip(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    if (!cur_skipped && !cur_failed) {
        vsnprintf(cur_detail, sizeof(cur_detail), fmt, ap);
    }
    va_end(ap);
    cur_skipped = true;
}

void t_info(const char *fmt, ...)
{
    char buf[256];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    printf("HVTEST-FS: INFO %s: %s\n", current_test, buf);
}

bool t_failed(void)
{
    return cur_failed;
}

static void run_test(const HvTestCase *t)
{
    HvJmpBuf recover;

    current_test = t->name;
    cur_failed = false;
    cur_skipped = false;
    cur_detail[0] = '\0';
    if (hv_setjmp(&recover) == 0) {
        trap_set_recovery(&recover);
        t->fn();
    } else {
        t_fail("unexpected exception %lu (error 0x%lx) at rip 0x%lx "
               "(cr2 0x%lx)", trap_unexpected.vector, trap_unexpected.error,
               trap_unexpected.rip, trap_unexpected.cr2);
        /* The exception entry cleared IF; interrupts may be needed later. */
        if (hv.simp) {
            irq_enable();
        }
    }
    trap_set_recovery(NULL);
    if (cur_failed) {
        printf("HVTEST-FS: FAIL %s: %s\n", t->name, cur_detail);
        failed++;
    } else if (cur_skipped) {
        printf("HVTEST-FS: SKIP %s: %s\n", t->name, cur_detail);
    } else {
        printf("HVTEST-FS: PASS %s\n", t->name);
        passed++;
    }
}

static void run_table(const HvTestCase *tests, size_t count)
{
    size_t i;

    for (i = 0; i < count; i++) {
        run_test(&tests[i]);
    }
}

static void finish(uint32_t code) __attribute__((noreturn));

static void finish(uint32_t code)
{
    printf("HVTEST-FS: DONE passed=%u failed=%u\n", passed, failed);
    hv_exit(code);
}

/* Whether CPUID shows the Hyper-V interface; @sig gets the signature. */
static bool hyperv_present(char sig[13])
{
    CpuidRegs r = cpuid(HV_LEAF_VENDOR, 0);
    int i;

    memcpy(sig, &r.ebx, 4);
    memcpy(sig + 4, &r.ecx, 4);
    memcpy(sig + 8, &r.edx, 4);
    sig[12] = '\0';
    for (i = 0; i < 12; i++) {
        if (sig[i] < 0x20 || sig[i] > 0x7e || sig[i] == '"') {
            sig[i] = '.';
        }
    }
    return (cpuid(1, 0).ecx & CPUID1_ECX_HYPERVISOR) &&
           !memcmp(sig, "Microsoft Hv", 12) &&
           cpuid(HV_LEAF_INTERFACE, 0).eax == HV_INTERFACE_HV1;
}

void hvtest_main(void)
{
    char sig[13];

    serial_init();
    pic_mask_all();
    trap_init();
    printf("\nHVTEST-FS: START hvtest (Hyper-V interface, freestanding)\n");

    run_table(detect_tests, detect_tests_count);
    if (!hyperv_present(sig)) {
        /* Nothing else is safe to run: there is no hypercall page. */
        printf("HVTEST-FS: NO-HYPERV signature=\"%s\"\n", sig);
        finish(EXIT_NO_HYPERV);
    }
    hv.max_leaf = cpuid(HV_LEAF_VENDOR, 0).eax;
    hv.features = cpuid(HV_LEAF_FEATURES, 0);
    hv.hints = cpuid(HV_LEAF_HINTS, 0);
    time_init(hv_has_a(HV_A_TIME_REF_COUNT), hv_has_a(HV_A_FREQUENCY));

    run_table(cpuid_msr_tests, cpuid_msr_tests_count);
    run_table(hypercall_tests, hypercall_tests_count);
    run_table(overlay_tests, overlay_tests_count);
    run_table(vmbus_tests, vmbus_tests_count);
    run_table(stimer_tests, stimer_tests_count);
    finish(failed ? EXIT_FAILED : EXIT_PASSED);
}
