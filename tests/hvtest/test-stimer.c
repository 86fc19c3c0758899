/*
 * hvtest: synthetic timers (TLFS 12.5): message mode (HvMessageTimerExpired
 * in the SINT's slot), periodic mode, direct mode (a plain vector).
 *
 * Copyright (c) 2025 qemu-hvpart contributors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "hv.h"

#define TIMER_SINT          3
#define VEC_TIMER_MSG       0x51
#define VEC_TIMER_DIRECT    0x52
#define TEN_MS              100000ull       /* in 100 ns units */
#define TIMER_WAIT_MS       3000

typedef struct TimerPayload {
    uint32_t index;
    uint32_t reserved;
    uint64_t expiration;
    uint64_t delivery;
} TimerPayload;

static bool timers_usable(void)
{
    if (!hv_has_a(HV_A_STIMER) || !hv_has_a(HV_A_TIME_REF_COUNT)) {
        t_skip("synthetic timers or the reference counter not advertised");
        return false;
    }
    if (!hv.simp) {
        t_fail("the SynIC is not enabled");
        return false;
    }
    return true;
}

/* Wait for a timer message in TIMER_SINT's slot; copy and free it. */
static bool take_timer_message(TimerPayload *p, const char *context)
{
    HvMessage *slot = synic_slot(TIMER_SINT);

    if (!WAIT_FOR(slot->type != 0, TIMER_WAIT_MS)) {
        t_fail("%s: no timer message within %u ms", context, TIMER_WAIT_MS);
        return false;
    }
    if (slot->type != HV_MESSAGE_TIMER_EXPIRED ||
        slot->payload_size < sizeof(*p)) {
        t_fail("%s: message type 0x%x size %u, want 0x%x of >= %zu bytes",
               context, slot->type, slot->payload_size,
               HV_MESSAGE_TIMER_EXPIRED, sizeof(*p));
        synic_ack(TIMER_SINT);
        return false;
    }
    memcpy(p, slot->payload, sizeof(*p));
    synic_ack(TIMER_SINT);
    return true;
}

/*
 * After a timer is disabled an expiration that was waiting for the slot
 * may still arrive (it happened while the timer ran): take what comes
 * until the slot stays empty.
 */
static void drain_timer_slot(void)
{
    HvMessage *slot = synic_slot(TIMER_SINT);
    int i;

    for (i = 0; i < 10; i++) {
        delay_ms(20);
        if (slot->type == 0) {
            return;
        }
        synic_ack(TIMER_SINT);
    }
}

static void test_stimer_message(void)
{
    TimerPayload p;
    uint64_t now, exp, cfg;
    uint32_t irqs;
    int fault;

    if (!timers_usable()) {
        return;
    }
    REQUIRE(synic_setup(TIMER_SINT, VEC_TIMER_MSG), "cannot set up SINT3");
    irqs = irq_count(VEC_TIMER_MSG);
    now = rdmsr(HV_MSR_TIME_REF_COUNT);
    exp = now + TEN_MS;
    wrmsr(HV_STIMER_CONFIG_MSR(0), HV_STIMER_ENABLE |
          HV_STIMER_SINT(TIMER_SINT));
    wrmsr(HV_STIMER_COUNT_MSR(0), exp);
    if (take_timer_message(&p, "one-shot timer 0")) {
        CHECK(p.index == 0, "timer index %u, want 0", p.index);
        CHECK(p.expiration == exp, "expiration time %lu, want %lu",
              p.expiration, exp);
        CHECK(p.delivery >= p.expiration, "delivered at %lu, before the "
              "expiration %lu", p.delivery, p.expiration);
        t_info("one-shot: delivered %lu us after expiry",
               (p.delivery - p.expiration) / 10);
        CHECK(WAIT_FOR(irq_count(VEC_TIMER_MSG) != irqs, TIMER_WAIT_MS),
              "no SINT3 interrupt with the timer message");
    }
    cfg = rdmsr(HV_STIMER_CONFIG_MSR(0));
    t_info("one-shot timer config after expiry: 0x%lx", cfg);

    /* Message mode needs a SINT: with SINT 0 the timer stays disabled. */
    fault = wrmsr_safe(HV_STIMER_CONFIG_MSR(0), HV_STIMER_ENABLE);
    cfg = rdmsr(HV_STIMER_CONFIG_MSR(0));
    CHECK(fault == VEC_GP || !(cfg & HV_STIMER_ENABLE),
          "a message-mode timer on SINT 0 was enabled (config 0x%lx)", cfg);
    wrmsr(HV_STIMER_CONFIG_MSR(0), 0);
}

static void test_stimer_periodic(void)
{
    TimerPayload p[3];
    unsigned i;

    if (!timers_usable()) {
        return;
    }
    REQUIRE(synic_setup(TIMER_SINT, VEC_TIMER_MSG), "cannot set up SINT3");
    wrmsr(HV_STIMER_CONFIG_MSR(2), HV_STIMER_ENABLE | HV_STIMER_PERIODIC |
          HV_STIMER_SINT(TIMER_SINT));
    wrmsr(HV_STIMER_COUNT_MSR(2), TEN_MS / 2);
    for (i = 0; i < ARRAY_SIZE(p); i++) {
        if (!take_timer_message(&p[i], "periodic timer 2")) {
            break;
        }
        CHECK(p[i].index == 2, "timer index %u, want 2", p[i].index);
        if (i) {
            uint64_t d = p[i].expiration - p[i - 1].expiration;

            /* Never early; a late VP may see the phase move (TLFS 12.5). */
            CHECK(p[i].expiration >= p[i - 1].expiration + TEN_MS / 2,
                  "expirations %lu then %lu are less than a period apart",
                  p[i - 1].expiration, p[i].expiration);
            if (p[i].expiration > p[i - 1].expiration &&
                d % (TEN_MS / 2)) {
                t_info("expirations %lu then %lu: not whole periods apart "
                       "(re-anchored after a late expiry)",
                       p[i - 1].expiration, p[i].expiration);
            }
        }
    }
    wrmsr(HV_STIMER_CONFIG_MSR(2), 0);
    drain_timer_slot();
}

static void test_stimer_direct(void)
{
    uint64_t cfg = HV_STIMER_ENABLE | HV_STIMER_DIRECT |
                   HV_STIMER_VECTOR(VEC_TIMER_DIRECT);
    uint32_t irqs;

    if (!timers_usable()) {
        return;
    }
    if (!(hv.features.edx & HV_D_STIMER_DIRECT)) {
        CHECK(wrmsr_safe(HV_STIMER_CONFIG_MSR(1), cfg) == VEC_GP,
              "direct mode is not advertised but was accepted");
        wrmsr_safe(HV_STIMER_CONFIG_MSR(1), 0);
        return;
    }
    irqs = irq_count(VEC_TIMER_DIRECT);
    wrmsr(HV_STIMER_CONFIG_MSR(1), cfg);
    wrmsr(HV_STIMER_COUNT_MSR(1), rdmsr(HV_MSR_TIME_REF_COUNT) + TEN_MS);
    CHECK(WAIT_FOR(irq_count(VEC_TIMER_DIRECT) != irqs, TIMER_WAIT_MS),
          "no interrupt on vector 0x%x from a direct-mode timer",
          VEC_TIMER_DIRECT);
    CHECK(synic_slot(TIMER_SINT)->type == 0 && synic_slot(0)->type == 0,
          "a direct-mode timer posted a message");
    wrmsr(HV_STIMER_CONFIG_MSR(1), 0);
}

/*
 * Interrupt delivery must not depend on what the guest maps at the local
 * APIC's address: the APIC is not memory (on hardware it claims
 * 0xfee00000 before any memory does), so a partition-wide overlay placed
 * there must neither hide it nor swallow the hypervisor's interrupts.
 */
static void test_overlay_over_apic(void)
{
    const uint64_t apic_page = 0xfee00000ull;
    uint64_t hc = rdmsr(HV_MSR_HYPERCALL);
    bool direct = hv.features.edx & HV_D_STIMER_DIRECT;
    uint8_t vector = direct ? VEC_TIMER_DIRECT : VEC_TIMER_MSG;
    uint64_t cfg = direct ?
        HV_STIMER_ENABLE | HV_STIMER_DIRECT | HV_STIMER_VECTOR(vector) :
        HV_STIMER_ENABLE | HV_STIMER_SINT(TIMER_SINT);
    uint32_t irqs, got;

    if (!timers_usable()) {
        return;
    }
    REQUIRE(hc & HV_PAGE_ENABLE, "no hypercall page");
    REQUIRE(synic_setup(TIMER_SINT, VEC_TIMER_MSG), "cannot set up SINT3");
    irqs = irq_count(vector);
    wrmsr(HV_MSR_HYPERCALL, apic_page | HV_PAGE_ENABLE);
    wrmsr(HV_STIMER_CONFIG_MSR(1), cfg);
    wrmsr(HV_STIMER_COUNT_MSR(1), rdmsr(HV_MSR_TIME_REF_COUNT) + TEN_MS / 10);
    WAIT_FOR(irq_count(vector) != irqs, TIMER_WAIT_MS);
    got = irq_count(vector) - irqs;
    wrmsr(HV_MSR_HYPERCALL, hc);
    wrmsr(HV_STIMER_CONFIG_MSR(1), 0);
    drain_timer_slot();
    CHECK(got == 1, "with the hypercall page mapped at 0x%lx a %s timer "
          "raised %u interrupts in %u ms, want 1: the interrupt went into "
          "the overlay", apic_page, direct ? "direct-mode" : "message-mode",
          got, TIMER_WAIT_MS);
    CHECK(hv_status(hv_hypercall(0, 0, 0)) ==
          HV_STATUS_INVALID_HYPERCALL_CODE,
          "the hypercall page does not work after moving it back");
}

/*
 * A periodic timer whose period does not fit "now + count" is due in tens
 * of thousands of years: nothing may happen. A host that lets the sum wrap
 * puts the expiration in the past and re-arms it there on every expiry:
 * the timer fires continuously (and the host's timer loop spins). Should
 * the host hang instead, the guest stops here (its next MSR access or
 * console write waits for QEMU), which only the qtest can see: so this
 * runs last, and says so first.
 */
static void test_stimer_huge_period(void)
{
    static const uint64_t counts[] = { ~0ull, ~0ull - 1000000000ull };
    HvMessage *slot;
    size_t i;

    if (!timers_usable()) {
        return;
    }
    REQUIRE(synic_setup(TIMER_SINT, VEC_TIMER_MSG), "cannot set up SINT3");
    slot = synic_slot(TIMER_SINT);
    t_info("arming periodic timers with periods near 2^64; if the guest "
           "stops here, QEMU hung");
    for (i = 0; i < ARRAY_SIZE(counts); i++) {
        uint32_t irqs = irq_count(VEC_TIMER_MSG);

        wrmsr(HV_STIMER_CONFIG_MSR(3), HV_STIMER_ENABLE |
              HV_STIMER_PERIODIC | HV_STIMER_SINT(TIMER_SINT));
        wrmsr(HV_STIMER_COUNT_MSR(3), counts[i]);
        delay_ms(100);
        /* An MSR access needs QEMU's main loop to be alive. */
        CHECK(rdmsr(HV_STIMER_COUNT_MSR(3)) == counts[i],
              "period 0x%lx: count reads back differently", counts[i]);
        CHECK(slot->type == 0 && irq_count(VEC_TIMER_MSG) == irqs,
              "a periodic message-mode timer with period 0x%lx (100 ns "
              "units) expired within 100 ms", counts[i]);
        wrmsr(HV_STIMER_CONFIG_MSR(3), 0);
        drain_timer_slot();
    }
    if (hv.features.edx & HV_D_STIMER_DIRECT) {
        uint32_t irqs = irq_count(VEC_TIMER_DIRECT), n;

        wrmsr(HV_STIMER_CONFIG_MSR(3), HV_STIMER_ENABLE |
              HV_STIMER_PERIODIC | HV_STIMER_DIRECT |
              HV_STIMER_VECTOR(VEC_TIMER_DIRECT));
        wrmsr(HV_STIMER_COUNT_MSR(3), ~0ull);
        delay_ms(100);
        wrmsr(HV_STIMER_CONFIG_MSR(3), 0);
        n = irq_count(VEC_TIMER_DIRECT) - irqs;
        CHECK(n == 0, "a periodic direct-mode timer with period 2^64-1 "
              "raised %u interrupts in 100 ms", n);
    }
    printf("HVTEST-FS: INFO stimer-huge-period: QEMU still answers\n");
}

const HvTestCase stimer_tests[] = {
    { "stimer-message", test_stimer_message },
    { "stimer-periodic", test_stimer_periodic },
    { "stimer-direct", test_stimer_direct },
    { "overlay-over-apic", test_overlay_over_apic },
    /* last: a broken host hangs here */
    { "stimer-huge-period", test_stimer_huge_period },
};
const size_t stimer_tests_count = ARRAY_SIZE(stimer_tests);
