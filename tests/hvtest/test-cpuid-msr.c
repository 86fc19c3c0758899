/*
 * hvtest: CPUID leaves and synthetic MSR semantics.
 *
 * The feature bits of leaf 0x40000003 must match the MSRs that work:
 * every MSR of an advertised group is readable, an MSR of a group that is
 * not advertised faults, and so does every other MSR of Hyper-V's range.
 * Reserved bits of the SynIC, timer and hypercall MSRs fault with #GP,
 * read-only MSRs fault on write, and the reference counter runs at 10 MHz.
 *
 * Copyright (c) 2025 qemu-hvpart contributors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "hv.h"

/* Detection (also run, and expected to fail, without Hyper-V) */

static void test_cpuid_vendor(void)
{
    CpuidRegs r1 = cpuid(1, 0);
    CpuidRegs r = cpuid(HV_LEAF_VENDOR, 0);
    char sig[13];
    int i;

    memcpy(sig, &r.ebx, 4);
    memcpy(sig + 4, &r.ecx, 4);
    memcpy(sig + 8, &r.edx, 4);
    sig[12] = '\0';
    for (i = 0; i < 12; i++) {
        if (sig[i] < 0x20 || sig[i] > 0x7e) {
            sig[i] = '.';
        }
    }
    CHECK(r1.ecx & CPUID1_ECX_HYPERVISOR,
          "CPUID.1:ECX bit 31 (hypervisor present) is clear");
    CHECK(!memcmp(sig, "Microsoft Hv", 12),
          "leaf 0x40000000 signature \"%s\", want \"Microsoft Hv\"", sig);
    CHECK(r.eax >= HV_LEAF_LIMITS && r.eax <= 0x400000ff,
          "leaf 0x40000000 max leaf 0x%x, want 0x40000005..0x400000ff",
          r.eax);
}

static void test_cpuid_interface(void)
{
    uint32_t eax = cpuid(HV_LEAF_INTERFACE, 0).eax;

    CHECK(eax == HV_INTERFACE_HV1,
          "leaf 0x40000001 EAX 0x%08x, want 0x%08x (\"Hv#1\")", eax,
          HV_INTERFACE_HV1);
}

const HvTestCase detect_tests[] = {
    { "cpuid-hv-vendor", test_cpuid_vendor },
    { "cpuid-hv-interface", test_cpuid_interface },
};
const size_t detect_tests_count = ARRAY_SIZE(detect_tests);

/* Privileges */

static void test_cpuid_privileges(void)
{
    CpuidRegs f = hv.features;

    t_info("0x40000003 eax=0x%08x ebx=0x%08x ecx=0x%08x edx=0x%08x; "
           "0x40000004 eax=0x%08x", f.eax, f.ebx, f.ecx, f.edx, hv.hints.eax);
    CHECK(!(f.ebx & HV_B_CPU_MANAGEMENT),
          "EBX bit 12 (CpuManagement: root partition) is set; a Linux "
          "guest then skips VMBus");
    CHECK(!(f.ebx & HV_B_ISOLATION), "EBX bit 22 (isolation) is set");
    CHECK(!(hv.hints.eax & HV_HINT_NESTED),
          "0x40000004 EAX bit 12 (nested hypervisor) is set");
    CHECK(f.eax & HV_A_HYPERCALL,
          "EAX bit 5 (hypercall MSRs) is clear; Linux requires it");
    CHECK(f.eax & HV_A_VP_INDEX,
          "EAX bit 6 (VP index MSR) is clear; Linux requires it");
    CHECK(f.ebx & HV_B_POST_MESSAGES,
          "EBX bit 4 (PostMessages) is clear but HvPostMessage is the "
          "VMBus transport");
    CHECK(f.ebx & HV_B_SIGNAL_EVENTS,
          "EBX bit 5 (SignalEvents) is clear but HvSignalEvent is the "
          "VMBus transport");
}

/* The MSRs each feature bit grants (TLFS 2.4.2, partition privileges). */
typedef struct MsrGroup {
    const char *name;
    uint32_t reg;               /* 'A' = 0x40000003 EAX, 'D' = EDX */
    uint32_t bit;
    uint32_t first, last;       /* inclusive MSR range */
    /* MSRs of the range that are write-only by definition */
    uint32_t write_only;
} MsrGroup;

static const MsrGroup msr_groups[] = {
    { "VP runtime", 'A', HV_A_VP_RUNTIME,
      HV_MSR_VP_RUNTIME, HV_MSR_VP_RUNTIME, 0 },
    { "reference counter", 'A', HV_A_TIME_REF_COUNT,
      HV_MSR_TIME_REF_COUNT, HV_MSR_TIME_REF_COUNT, 0 },
    { "SynIC", 'A', HV_A_SYNIC, HV_MSR_SCONTROL, HV_MSR_EOM, 0 },
    { "SynIC SINTs", 'A', HV_A_SYNIC, HV_MSR_SINT0, HV_MSR_SINT0 + 15, 0 },
    { "synthetic timers", 'A', HV_A_STIMER,
      HV_MSR_STIMER0_CONFIG, HV_MSR_STIMER0_CONFIG + 7, 0 },
    /* the EOI MSR is write-only */
    { "APIC access", 'A', HV_A_APIC_ACCESS, HV_MSR_EOI, HV_MSR_TPR,
      HV_MSR_EOI },
    { "hypercall", 'A', HV_A_HYPERCALL,
      HV_MSR_GUEST_OS_ID, HV_MSR_HYPERCALL, 0 },
    { "VP index", 'A', HV_A_VP_INDEX, HV_MSR_VP_INDEX, HV_MSR_VP_INDEX, 0 },
    { "reset", 'A', HV_A_RESET, HV_MSR_RESET, HV_MSR_RESET, 0 },
    { "reference TSC", 'A', HV_A_REFERENCE_TSC,
      HV_MSR_REFERENCE_TSC, HV_MSR_REFERENCE_TSC, 0 },
    { "frequency", 'A', HV_A_FREQUENCY,
      HV_MSR_TSC_FREQUENCY, HV_MSR_APIC_FREQUENCY, 0 },
    { "guest idle", 'A', HV_A_GUEST_IDLE, 0x400000f0, 0x400000f0, 0 },
    { "crash", 'D', HV_D_CRASH_MSRS, HV_MSR_CRASH_P0, HV_MSR_CRASH_CTL, 0 },
};

static bool group_advertised(const MsrGroup *g)
{
    return (g->reg == 'A' ? hv.features.eax : hv.features.edx) & g->bit;
}

/*
 * MSRs of Hyper-V's range a guest may use here: those of the advertised
 * groups, plus the VP assist page, which Linux writes whatever CPUID says
 * (hvpart implements it without the APIC-access privilege).
 */
static bool msr_implemented(uint32_t msr)
{
    size_t i;

    if (msr == HV_MSR_VP_ASSIST_PAGE) {
        return true;
    }
    for (i = 0; i < ARRAY_SIZE(msr_groups); i++) {
        const MsrGroup *g = &msr_groups[i];

        if (group_advertised(g) && msr >= g->first && msr <= g->last) {
            return true;
        }
    }
    return false;
}

static void test_advertised_msrs_readable(void)
{
    size_t i;
    uint32_t msr;

    for (i = 0; i < ARRAY_SIZE(msr_groups); i++) {
        const MsrGroup *g = &msr_groups[i];

        if (!group_advertised(g)) {
            continue;
        }
        for (msr = g->first; msr <= g->last; msr++) {
            uint64_t val;
            int fault;

            if (msr == g->write_only) {
                continue;
            }
            fault = rdmsr_safe(msr, &val);
            CHECK(fault == NO_FAULT,
                  "%s MSR 0x%x is advertised but reading it raised "
                  "vector %d", g->name, msr, fault);
        }
    }
}

static void test_unadvertised_msrs_fault(void)
{
    size_t i;
    uint32_t msr;
    uint64_t val;

    for (i = 0; i < ARRAY_SIZE(msr_groups); i++) {
        const MsrGroup *g = &msr_groups[i];

        if (group_advertised(g)) {
            continue;
        }
        for (msr = g->first; msr <= g->last; msr++) {
            int fault = rdmsr_safe(msr, &val);

            CHECK(fault == VEC_GP,
                  "%s MSR 0x%x is not advertised but reading it %s",
                  g->name, msr, fault == NO_FAULT ? "worked" : "did not #GP");
        }
    }
    if (!(hv.features.eax & HV_A_APIC_ACCESS) &&
        rdmsr_safe(HV_MSR_VP_ASSIST_PAGE, &val) == NO_FAULT) {
        t_info("VP_ASSIST_PAGE (0x40000073) is readable although EAX bit 4 "
               "(APIC access, which grants it) is clear; tolerated: Linux "
               "writes it regardless");
    }
}

static void test_unknown_msrs_fault(void)
{
    uint32_t msr;
    unsigned bad = 0, checked = 0;

    for (msr = HV_MSR_RANGE_FIRST; msr <= HV_MSR_RANGE_LAST; msr++) {
        uint64_t val;
        int rfault, wfault;

        if (msr_implemented(msr)) {
            continue;
        }
        checked++;
        rfault = rdmsr_safe(msr, &val);
        wfault = wrmsr_safe(msr, 0);
        if (rfault != VEC_GP || wfault != VEC_GP) {
            if (bad++ < 4) {
                t_fail("MSR 0x%x is not implemented but %s%s%s", msr,
                       rfault != VEC_GP ? "rdmsr did not #GP" : "",
                       rfault != VEC_GP && wfault != VEC_GP ? ", " : "",
                       wfault != VEC_GP ? "wrmsr did not #GP" : "");
            }
        }
    }
    CHECK(bad == 0, "%u unknown MSRs did not fault", bad);
    t_info("%u unknown MSRs in 0x40000000..0x400001ff checked", checked);
}

static void test_vp_index_readonly(void)
{
    uint64_t before, after;
    uint32_t max_vps = cpuid(HV_LEAF_LIMITS, 0).eax;

    REQUIRE(rdmsr_safe(HV_MSR_VP_INDEX, &before) == NO_FAULT,
            "VP_INDEX not readable");
    CHECK(before == 0, "VP_INDEX of the boot VP is %lu, want 0", before);
    CHECK(max_vps == 0 || before < max_vps,
          "VP_INDEX %lu not below the VP limit %u of leaf 0x40000005",
          before, max_vps);
    CHECK(wrmsr_safe(HV_MSR_VP_INDEX, 1) == VEC_GP,
          "writing 1 to VP_INDEX did not #GP");
    CHECK(wrmsr_safe(HV_MSR_VP_INDEX, before) == VEC_GP,
          "writing VP_INDEX's own value did not #GP");
    after = rdmsr(HV_MSR_VP_INDEX);
    CHECK(after == before, "VP_INDEX changed from %lu to %lu", before,
          after);
}

static void test_sversion(void)
{
    uint64_t v;

    REQUIRE(rdmsr_safe(HV_MSR_SVERSION, &v) == NO_FAULT,
            "SVERSION not readable");
    CHECK(v == 1, "SVERSION is 0x%lx, want 1", v);
    CHECK(wrmsr_safe(HV_MSR_SVERSION, 1) == VEC_GP,
          "writing SVERSION did not #GP");
}

/*
 * Each value in @bad must raise #GP and leave the MSR as it was; each value
 * in @good must be accepted and read back. The MSR is restored at the end.
 */
static void check_msr_values(const char *name, uint32_t msr,
                             const uint64_t *bad, size_t nbad,
                             const uint64_t *good, size_t ngood)
{
    uint64_t saved, now;
    size_t i;

    if (rdmsr_safe(msr, &saved) != NO_FAULT) {
        t_fail("%s (0x%x) not readable", name, msr);
        return;
    }
    for (i = 0; i < nbad; i++) {
        int fault = wrmsr_safe(msr, bad[i]);

        CHECK(fault == VEC_GP, "%s = 0x%lx (reserved bits) %s", name, bad[i],
              fault == NO_FAULT ? "was accepted" : "raised another fault");
        now = rdmsr(msr);
        CHECK(now == saved, "%s changed to 0x%lx by the write of 0x%lx",
              name, now, bad[i]);
        if (now != saved) {
            wrmsr_safe(msr, saved);
        }
    }
    for (i = 0; i < ngood; i++) {
        int fault = wrmsr_safe(msr, good[i]);

        CHECK(fault == NO_FAULT, "%s = 0x%lx (valid) raised vector %d", name,
              good[i], fault);
        now = rdmsr(msr);
        CHECK(now == good[i], "%s reads 0x%lx after writing 0x%lx", name,
              now, good[i]);
    }
    CHECK(wrmsr_safe(msr, saved) == NO_FAULT, "cannot restore %s", name);
}

static void test_scontrol_reserved(void)
{
    static const uint64_t bad[] = {
        1ull << 1, 1ull << 2, 1ull << 31, 1ull << 32, 1ull << 63, ~0ull,
    };
    static const uint64_t good[] = { 1, 0 };

    check_msr_values("SCONTROL", HV_MSR_SCONTROL, bad, ARRAY_SIZE(bad), good,
                     ARRAY_SIZE(good));
}

static void check_page_msr(const char *name, uint32_t msr)
{
    uint64_t gpa = gpa_of(page_alloc());
    uint64_t bad[] = {
        gpa | (1ull << 1), gpa | (1ull << 11), gpa | 0xffe, 1ull << 5,
    };
    uint64_t good[] = { gpa, 0 };

    check_msr_values(name, msr, bad, ARRAY_SIZE(bad), good, ARRAY_SIZE(good));
}

static void test_simp_reserved(void)
{
    check_page_msr("SIMP", HV_MSR_SIMP);
}

static void test_siefp_reserved(void)
{
    check_page_msr("SIEFP", HV_MSR_SIEFP);
}

static void test_sint_reserved(void)
{
    static const uint64_t bad[] = {
        HV_SINT_MASKED | (1ull << 19) | 0x40,
        HV_SINT_MASKED | (1ull << 31) | 0x40,
        HV_SINT_MASKED | (1ull << 32) | 0x40,
        HV_SINT_MASKED | (1ull << 63) | 0x40,
        HV_SINT_MASKED | (0xffull << 8) | 0x40,
    };
    static const uint64_t good[] = {
        HV_SINT_MASKED | HV_SINT_AUTO_EOI | 0x40,
        HV_SINT_MASKED | HV_SINT_POLLING | 0x41,
        HV_SINT_MASKED,
    };
    unsigned sint;

    /* TLFS 11.9.4: every SINT is masked after reset. */
    for (sint = 0; sint < 16; sint++) {
        uint64_t v = rdmsr(HV_SINT_MSR(sint));

        CHECK(v == HV_SINT_MASKED, "SINT%u is 0x%lx at start, want 0x%llx "
              "(masked)", sint, v, HV_SINT_MASKED);
    }
    check_msr_values("SINT5", HV_SINT_MSR(5), bad, ARRAY_SIZE(bad), good,
                     ARRAY_SIZE(good));
}

static void test_sint_low_vector(void)
{
    /* Vectors 0..15 are exceptions: not allowed unmasked (TLFS 11.9.4). */
    static const uint64_t bad[] = { 0x00, 0x02, 0x0f, HV_SINT_AUTO_EOI | 0x0e };
    static const uint64_t good[] = {
        HV_SINT_MASKED | 0x05, HV_SINT_MASKED | 0x00, HV_SINT_MASKED,
    };

    check_msr_values("SINT5", HV_SINT_MSR(5), bad, ARRAY_SIZE(bad), good,
                     ARRAY_SIZE(good));
}

static void test_stimer_config_reserved(void)
{
    static const uint64_t bad[] = {
        1ull << 13, 1ull << 14, 1ull << 15, 1ull << 20, 1ull << 31,
        1ull << 32, 1ull << 63,
    };
    static const uint64_t good[] = {
        HV_STIMER_SINT(3) | HV_STIMER_PERIODIC | HV_STIMER_LAZY, 0,
    };

    if (!hv_has_a(HV_A_STIMER)) {
        t_skip("synthetic timers not advertised");
        return;
    }
    check_msr_values("STIMER0_CONFIG", HV_STIMER_CONFIG_MSR(0), bad,
                     ARRAY_SIZE(bad), good, ARRAY_SIZE(good));
}

static void test_hypercall_msr_reserved(void)
{
    uint64_t gpa = gpa_of(page_alloc());
    /* Never bit 1: a locked hypercall MSR stays so until reset. */
    uint64_t bad[] = {
        gpa | (1ull << 2), gpa | (1ull << 11), gpa | 0xffc,
    };

    check_msr_values("HYPERCALL", HV_MSR_HYPERCALL, bad, ARRAY_SIZE(bad),
                     NULL, 0);
}

static void test_readonly_msrs(void)
{
    static const struct {
        const char *name;
        uint32_t msr;
        uint32_t feature;
    } ro[] = {
        { "TIME_REF_COUNT", HV_MSR_TIME_REF_COUNT, HV_A_TIME_REF_COUNT },
        { "TSC_FREQUENCY", HV_MSR_TSC_FREQUENCY, HV_A_FREQUENCY },
        { "APIC_FREQUENCY", HV_MSR_APIC_FREQUENCY, HV_A_FREQUENCY },
    };
    size_t i;

    for (i = 0; i < ARRAY_SIZE(ro); i++) {
        uint64_t v;

        if (!hv_has_a(ro[i].feature)) {
            continue;
        }
        v = rdmsr(ro[i].msr);
        CHECK(wrmsr_safe(ro[i].msr, v) == VEC_GP,
              "writing read-only %s did not #GP", ro[i].name);
    }
}

/* Reference time */

#define REF_HZ              10000000ull     /* 100 ns units */
#define RATE_WINDOW_REF     1000000ull      /* 100 ms */
#define PPM_1_PERCENT       10000

static uint64_t ppm_diff(uint64_t a, uint64_t b)
{
    uint64_t d = a > b ? a - b : b - a;

    return b ? d * 1000000ull / b : ~0ull;
}

/*
 * TIME_REF_COUNT and the TSC at (nearly) the same instant: the MSR read
 * bracketed by two TSC reads, the tightest of a few tries. A VP that was
 * descheduled between two reads would otherwise skew a 100 ms rate by more
 * than the 1 % it is checked to.
 */
#define SAMPLE_TRIES 16

static void sample_ref_and_tsc(uint64_t *ref, uint64_t *tsc)
{
    uint64_t best = ~0ull;
    int i;

    for (i = 0; i < SAMPLE_TRIES; i++) {
        uint64_t t0 = rdtsc();
        uint64_t r = rdmsr(HV_MSR_TIME_REF_COUNT);
        uint64_t t1 = rdtsc();

        if (t1 - t0 < best) {
            best = t1 - t0;
            *ref = r;
            *tsc = t0 + (t1 - t0) / 2;
        }
    }
}

static void test_time_ref_count_rate(void)
{
    uint64_t r0, r1, t0, t1, hz, ref_ns, tsc_ns, ppm;
    bool ok;

    if (!hv_has_a(HV_A_TIME_REF_COUNT)) {
        t_skip("reference counter not advertised");
        return;
    }
    if (!hv_has_a(HV_A_FREQUENCY)) {
        t_skip("TSC frequency MSR not advertised: no reference for the "
               "rate");
        return;
    }
    hz = rdmsr(HV_MSR_TSC_FREQUENCY);
    REQUIRE(hz >= 1000000, "TSC_FREQUENCY is %lu Hz", hz);
    sample_ref_and_tsc(&r0, &t0);
    ok = WAIT_FOR(rdmsr(HV_MSR_TIME_REF_COUNT) - r0 >= RATE_WINDOW_REF, 3000);
    sample_ref_and_tsc(&r1, &t1);
    REQUIRE(ok, "TIME_REF_COUNT advanced by %lu in 3 s of TSC time "
            "(from %lu)", r1 - r0, r0);
    ref_ns = (r1 - r0) * 100;
    tsc_ns = (t1 - t0) * 1000000 / (hz / 1000);
    ppm = ppm_diff(ref_ns, tsc_ns);
    t_info("over %lu us of TSC time (TSC %lu Hz) TIME_REF_COUNT advanced "
           "%lu us: %lu ppm off", tsc_ns / 1000, hz, ref_ns / 1000, ppm);
    CHECK(ppm <= PPM_1_PERCENT,
          "TIME_REF_COUNT rate is %lu ppm off 10 MHz (TSC-based), limit "
          "1%%", ppm);
}

static uint64_t tsc_page_time(HvTscPage *p, bool *valid, uint64_t *tsc_out)
{
    uint32_t seq;
    uint64_t scale, tsc;
    int64_t offset;
    int tries = 0;

    do {
        seq = p->sequence;
        barrier();
        scale = p->scale;
        offset = p->offset;
        tsc = rdtsc();
        barrier();
    } while (p->sequence != seq && ++tries < 1000);
    *valid = seq != 0 && seq != 0xffffffff;
    if (tsc_out) {
        *tsc_out = tsc;
    }
    return (uint64_t)(((unsigned __int128)tsc * scale) >> 64) + offset;
}

/* The TSC page's time and TIME_REF_COUNT at (nearly) the same instant. */
static bool sample_page_and_ref(HvTscPage *p, uint64_t *page_time,
                                uint64_t *ref)
{
    uint64_t best = ~0ull;
    bool valid = false;
    int i;

    for (i = 0; i < SAMPLE_TRIES; i++) {
        uint64_t m0 = rdmsr(HV_MSR_TIME_REF_COUNT);
        uint64_t pg = tsc_page_time(p, &valid, NULL);
        uint64_t m1 = rdmsr(HV_MSR_TIME_REF_COUNT);

        if (!valid) {
            return false;
        }
        if (m1 - m0 < best) {
            best = m1 - m0;
            *page_time = pg;
            *ref = m0 + (m1 - m0) / 2;
        }
    }
    return true;
}

static void test_reference_tsc_page(void)
{
    HvTscPage *p = page_alloc();
    uint64_t m0, m1, pg0, pg1, tsc, diff, ppm;
    bool valid0, valid1, ok;

    if (!hv_has_a(HV_A_REFERENCE_TSC)) {
        t_skip("reference TSC page not advertised");
        return;
    }
    REQUIRE(wrmsr_safe(HV_MSR_REFERENCE_TSC, gpa_of(p) | HV_PAGE_ENABLE) ==
            NO_FAULT, "enabling the reference TSC page raised a fault");
    m0 = rdmsr(HV_MSR_TIME_REF_COUNT);
    pg0 = tsc_page_time(p, &valid0, &tsc);
    m1 = rdmsr(HV_MSR_TIME_REF_COUNT);
    if (!valid0) {
        t_fail("TSC page sequence is 0x%x (invalid) while enabled",
               p->sequence);
        goto out;
    }
    diff = pg0 < m0 ? m0 - pg0 : pg0 > m1 ? pg0 - m1 : 0;
    t_info("TSC page: seq %u scale 0x%lx offset %ld; page %lu vs MSR "
           "%lu..%lu (off by %lu us)", p->sequence, p->scale, p->offset,
           pg0, m0, m1, diff / 10);
    /* 1 ms, plus 0.1 % of the time since boot for calibration drift */
    CHECK(diff <= 10000 + m0 / 1000,
          "TSC page time %lu is %lu us away from TIME_REF_COUNT (%lu)",
          pg0, diff / 10, m0);

    valid0 = sample_page_and_ref(p, &pg0, &m0);
    ok = WAIT_FOR(rdmsr(HV_MSR_TIME_REF_COUNT) - m0 >= RATE_WINDOW_REF, 3000);
    valid1 = sample_page_and_ref(p, &pg1, &m1);
    if (!ok || !valid0 || !valid1) {
        t_fail("no 100 ms window (ok=%d, sequence valid=%d/%d)", ok, valid0,
               valid1);
        goto out;
    }
    ppm = ppm_diff(pg1 - pg0, m1 - m0);
    t_info("over %lu us of TIME_REF_COUNT the TSC page advanced %lu us: "
           "%lu ppm off", (m1 - m0) / 10, (pg1 - pg0) / 10, ppm);
    CHECK(ppm <= PPM_1_PERCENT,
          "TSC page runs %lu ppm off TIME_REF_COUNT, limit 1%%", ppm);
out:
    wrmsr(HV_MSR_REFERENCE_TSC, 0);
}

const HvTestCase cpuid_msr_tests[] = {
    { "cpuid-privileges", test_cpuid_privileges },
    { "cpuid-advertised-msrs-readable", test_advertised_msrs_readable },
    { "cpuid-unadvertised-msrs-fault", test_unadvertised_msrs_fault },
    { "msr-unknown-range-faults", test_unknown_msrs_fault },
    { "msr-vp-index-readonly", test_vp_index_readonly },
    { "msr-sversion", test_sversion },
    { "msr-scontrol-reserved", test_scontrol_reserved },
    { "msr-simp-reserved", test_simp_reserved },
    { "msr-siefp-reserved", test_siefp_reserved },
    { "msr-sint-reserved", test_sint_reserved },
    { "msr-sint-low-vector", test_sint_low_vector },
    { "msr-stimer-config-reserved", test_stimer_config_reserved },
    { "msr-hypercall-reserved", test_hypercall_msr_reserved },
    { "msr-readonly", test_readonly_msrs },
    { "time-ref-count-rate", test_time_ref_count_rate },
    { "time-reference-tsc-page", test_reference_tsc_page },
};
const size_t cpuid_msr_tests_count = ARRAY_SIZE(cpuid_msr_tests);
