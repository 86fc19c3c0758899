/*
 * hvtest: overlay pages. The SIMP, SIEFP, hypercall page and reference TSC
 * page are hypervisor pages laid over a guest physical page: while mapped
 * they hide the RAM below, which must come back unchanged when they are
 * disabled or moved. With several overlays on one GPA exactly one is
 * visible; hvpart documents the order (accel/hvpart/hvpart.h), and
 * overlay_precedence below follows it.
 *
 * Copyright (c) 2025 qemu-hvpart contributors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "hv.h"

/* Where the stacking test leaves its marks inside the overlays. */
#define MARK_OFFSET     4000        /* SINT15's slot: never used here */
#define MARK_SIMP       0x53
#define MARK_SIEFP      0x45

typedef enum Visible {
    VIS_RAM,
    VIS_HYPERCALL,
    VIS_SIMP,
    VIS_SIEFP,
    VIS_TSC,
    VIS_UNKNOWN,
} Visible;

static const char *const visible_names[] = {
    "the RAM below", "the hypercall page", "the SIMP", "the SIEFP",
    "the reference TSC page", "something unknown",
};

/* What the guest sees at @page, which holds pattern @seed in RAM. */
static Visible what_is_visible(const uint8_t *page, uint8_t seed)
{
    const volatile uint8_t *p = page;   /* changes under us: re-read it */
    const HvTscPage *tsc = (const HvTscPage *)page;

    if (pattern_mismatch(page, seed) < 0) {
        return VIS_RAM;
    }
    if (p[PAGE_SIZE - 1] == 0xcc && p[MARK_OFFSET] == 0xcc) {
        return VIS_HYPERCALL;
    }
    if (p[MARK_OFFSET] == MARK_SIMP) {
        return VIS_SIMP;
    }
    if (p[MARK_OFFSET] == MARK_SIEFP) {
        return VIS_SIEFP;
    }
    if (tsc->sequence != 0 && tsc->scale != 0 && p[MARK_OFFSET] == 0) {
        return VIS_TSC;
    }
    return VIS_UNKNOWN;
}

static bool all_zero(const void *page, uint32_t len)
{
    const volatile uint8_t *p = page;   /* changes under us: re-read it */
    uint32_t i;

    for (i = 0; i < len; i++) {
        if (p[i]) {
            return false;
        }
    }
    return true;
}

/*
 * Map the overlay of @msr (enable bit 0) over a pattern page, check that
 * it hides the pattern and that writes go to it, disable it, check the RAM.
 */
static void check_simple_overlay(const char *name, uint32_t msr, bool zeros)
{
    uint8_t *page = page_alloc();
    volatile uint8_t *p = page;         /* an overlay comes and goes */
    int bad;

    pattern_fill(page, 0x44);
    REQUIRE(wrmsr_safe(msr, gpa_of(page) | HV_PAGE_ENABLE) == NO_FAULT,
            "enabling the %s raised a fault", name);
    CHECK(pattern_mismatch(page, 0x44) >= 0,
          "the %s does not hide the RAM below it", name);
    if (zeros) {
        CHECK(all_zero(page, PAGE_SIZE),
              "the fresh %s is not all zeros", name);
    }
    /* A write while mapped lands in the overlay, not in RAM. */
    p[MARK_OFFSET] = 0x77;
    CHECK(p[MARK_OFFSET] == 0x77, "a write to the %s did not stick", name);
    p[MARK_OFFSET] = 0;
    wrmsr(msr, 0);
    bad = pattern_mismatch(page, 0x44);
    CHECK(bad < 0, "after disabling the %s the RAM differs at offset %d "
          "(0x%02x, want 0x%02x)", name, bad, bad < 0 ? 0 : page[bad],
          bad < 0 ? 0 : pattern_byte(0x44, bad));
}

static void test_overlay_simp(void)
{
    check_simple_overlay("SIMP", HV_MSR_SIMP, true);
}

static void test_overlay_siefp(void)
{
    check_simple_overlay("SIEFP", HV_MSR_SIEFP, true);
}

static void test_overlay_reference_tsc(void)
{
    if (!hv_has_a(HV_A_REFERENCE_TSC)) {
        t_skip("reference TSC page not advertised");
        return;
    }
    check_simple_overlay("reference TSC page", HV_MSR_REFERENCE_TSC, false);
}

static void test_overlay_hypercall(void)
{
    uint8_t *page = page_alloc();
    uint64_t saved = rdmsr(HV_MSR_HYPERCALL);
    Visible v;
    int bad;

    REQUIRE(hv.hypercall_page && (saved & HV_PAGE_ENABLE),
            "no hypercall page");
    pattern_fill(page, 0x55);
    wrmsr(HV_MSR_HYPERCALL, gpa_of(page) | HV_PAGE_ENABLE);
    v = what_is_visible(page, 0x55);
    CHECK(v == VIS_HYPERCALL, "the moved hypercall page shows %s",
          visible_names[v]);
    wrmsr(HV_MSR_HYPERCALL, saved);
    bad = pattern_mismatch(page, 0x55);
    CHECK(bad < 0, "after moving the hypercall page away the RAM differs "
          "at offset %d", bad);
    CHECK(hv_status(hv_hypercall(0, 0, 0)) ==
          HV_STATUS_INVALID_HYPERCALL_CODE,
          "the hypercall page does not work after moving it back");
}

static void test_overlay_move(void)
{
    uint8_t *a = page_alloc(), *b = page_alloc();
    int bad;

    pattern_fill(a, 0x61);
    pattern_fill(b, 0x62);
    wrmsr(HV_MSR_SIMP, gpa_of(a) | HV_PAGE_ENABLE);
    CHECK(pattern_mismatch(a, 0x61) >= 0, "SIMP does not hide page A");
    wrmsr(HV_MSR_SIMP, gpa_of(b) | HV_PAGE_ENABLE);
    bad = pattern_mismatch(a, 0x61);
    CHECK(bad < 0, "after moving the SIMP from A to B, A differs at "
          "offset %d", bad);
    CHECK(pattern_mismatch(b, 0x62) >= 0, "the moved SIMP does not hide B");
    wrmsr(HV_MSR_SIMP, 0);
    bad = pattern_mismatch(b, 0x62);
    CHECK(bad < 0, "after disabling the SIMP, B differs at offset %d", bad);
    bad = pattern_mismatch(a, 0x61);
    CHECK(bad < 0, "after disabling the SIMP, A differs at offset %d", bad);
}

/* Leave a mark in the overlay of @msr, mapped alone over @scratch. */
static bool mark_overlay(uint32_t msr, uint8_t *scratch, uint8_t mark)
{
    volatile uint8_t *p = scratch;      /* an overlay comes and goes */
    bool ok;

    wrmsr(msr, gpa_of(scratch) | HV_PAGE_ENABLE);
    p[MARK_OFFSET] = mark;
    ok = p[MARK_OFFSET] == mark;
    wrmsr(msr, 0);
    return ok;
}

static void expect_visible(const char *when, uint8_t *page, Visible want)
{
    Visible v = what_is_visible(page, 0x66);

    CHECK(v == want, "%s: %s is visible, want %s", when, visible_names[v],
          visible_names[want]);
}

typedef struct StackedOverlay {
    Visible kind;
    uint32_t msr;
} StackedOverlay;

/*
 * The precedence hvpart documents (accel/hvpart/hvpart.h), highest first:
 * the VP's own SynIC pages above the partition-wide pages.
 */
static const StackedOverlay overlay_precedence[] = {
    { VIS_SIMP, HV_MSR_SIMP },
    { VIS_SIEFP, HV_MSR_SIEFP },
    { VIS_HYPERCALL, HV_MSR_HYPERCALL },
    { VIS_TSC, HV_MSR_REFERENCE_TSC },
};

/* The visible overlay among those in @mapped, or the RAM. */
static Visible top_of(const bool *mapped)
{
    size_t i;

    for (i = 0; i < ARRAY_SIZE(overlay_precedence); i++) {
        if (mapped[i]) {
            return overlay_precedence[i].kind;
        }
    }
    return VIS_RAM;
}

static void stack_set(size_t i, bool *mapped, uint64_t gpa, uint64_t hc,
                      const char *verb)
{
    char when[96];
    const StackedOverlay *o = &overlay_precedence[i];
    uint64_t val;

    if (mapped[i]) {
        /* The hypercall page moves back to where the tests call it. */
        val = o->kind == VIS_HYPERCALL ? hc : 0;
    } else {
        val = gpa;
    }
    wrmsr(o->msr, val);
    mapped[i] = !mapped[i];
    snprintf(when, sizeof(when), "%s %s", verb, visible_names[o->kind]);
    expect_visible(when, (uint8_t *)(uintptr_t)(gpa & ~0xfffull),
                   top_of(mapped));
}

static void test_overlay_stacking(void)
{
    const size_t n = ARRAY_SIZE(overlay_precedence);
    uint8_t *scratch = page_alloc();
    uint8_t *page = page_alloc();
    uint64_t hc = rdmsr(HV_MSR_HYPERCALL);
    uint64_t gpa = gpa_of(page) | HV_PAGE_ENABLE;
    bool mapped[ARRAY_SIZE(overlay_precedence)] = { false };
    bool usable[ARRAY_SIZE(overlay_precedence)];
    size_t i;
    int bad;

    REQUIRE(hv.hypercall_page && (hc & HV_PAGE_ENABLE), "no hypercall page");
    REQUIRE(mark_overlay(HV_MSR_SIMP, scratch, MARK_SIMP) &&
            mark_overlay(HV_MSR_SIEFP, scratch, MARK_SIEFP),
            "cannot mark the SIMP and SIEFP");
    for (i = 0; i < n; i++) {
        usable[i] = overlay_precedence[i].kind != VIS_TSC ||
                    hv_has_a(HV_A_REFERENCE_TSC);
    }
    pattern_fill(page, 0x66);

    /* Lowest first: each new one goes on top. */
    for (i = n; i-- > 0;) {
        if (usable[i]) {
            stack_set(i, mapped, gpa, hc, "mapped (lowest first)");
        }
    }
    /* Remove from the top: each removal shows the next. */
    for (i = 0; i < n; i++) {
        if (usable[i]) {
            stack_set(i, mapped, gpa, hc, "removed (from the top)");
        }
    }
    /* Highest first: the order, not the last write, decides. */
    for (i = 0; i < n; i++) {
        if (usable[i]) {
            stack_set(i, mapped, gpa, hc, "mapped (highest first)");
        }
    }
    /* Remove from the bottom: the top one stays visible until last. */
    for (i = n; i-- > 0;) {
        if (usable[i]) {
            stack_set(i, mapped, gpa, hc, "removed (from the bottom)");
        }
    }
    bad = pattern_mismatch(page, 0x66);
    CHECK(bad < 0, "with every overlay gone the RAM differs at offset %d",
          bad);

    /* Clean the marks for the SynIC tests. */
    mark_overlay(HV_MSR_SIMP, scratch, 0);
    mark_overlay(HV_MSR_SIEFP, scratch, 0);
    CHECK(rdmsr(HV_MSR_HYPERCALL) == hc, "hypercall page not restored");
    CHECK(hv_status(hv_hypercall(0, 0, 0)) ==
          HV_STATUS_INVALID_HYPERCALL_CODE,
          "the hypercall page does not work afterwards");
}

const HvTestCase overlay_tests[] = {
    { "overlay-simp", test_overlay_simp },
    { "overlay-siefp", test_overlay_siefp },
    { "overlay-hypercall", test_overlay_hypercall },
    { "overlay-reference-tsc", test_overlay_reference_tsc },
    { "overlay-move", test_overlay_move },
    { "overlay-stacking", test_overlay_stacking },
};
const size_t overlay_tests_count = ARRAY_SIZE(overlay_tests);
