/*
 * hvtest: the hypercall page and the hypercall ABI (TLFS chapter 3) with
 * bad input: alignment, page crossing, parameters, unknown codes, fast and
 * rep forms where they are not allowed, GPAs outside RAM.
 *
 * Copyright (c) 2025 qemu-hvpart contributors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "hv.h"
#include "vmbus.h"

/* A connection id nothing listens on (ids are 24 bits). */
#define CONN_NOBODY     0x00abcdef

static HvPostInput *valid_post_at(void *where, uint32_t conn, uint32_t type,
                                  uint32_t size)
{
    HvPostInput *in = where;

    memset(in, 0, sizeof(*in));
    in->connection_id = conn;
    in->message_type = type;
    in->payload_size = size;
    return in;
}

static uint16_t post_raw(uint64_t control, uint64_t in_gpa)
{
    return hv_status(hv_hypercall(control, in_gpa, 0));
}

static void test_needs_guest_os_id(void)
{
    uint8_t *page = page_alloc();
    uint64_t val, saved_id = rdmsr(HV_MSR_GUEST_OS_ID);
    int fault, bad;

    REQUIRE(!hv.hypercall_page, "hypercall page already set up");
    pattern_fill(page, 0x21);
    wrmsr(HV_MSR_GUEST_OS_ID, 0);
    fault = wrmsr_safe(HV_MSR_HYPERCALL, gpa_of(page) | HV_PAGE_ENABLE);
    val = rdmsr(HV_MSR_HYPERCALL);
    CHECK(fault == VEC_GP || !(val & HV_PAGE_ENABLE),
          "the hypercall page was enabled while GUEST_OS_ID is 0 "
          "(HYPERCALL reads 0x%lx)", val);
    bad = pattern_mismatch(page, 0x21);
    CHECK(bad < 0, "the page under a hypercall page that must not be "
          "enabled changed at offset %d", bad);
    wrmsr_safe(HV_MSR_HYPERCALL, 0);

    wrmsr(HV_MSR_GUEST_OS_ID, saved_id ? saved_id : HVTEST_GUEST_OS_ID);
    REQUIRE(wrmsr_safe(HV_MSR_HYPERCALL, gpa_of(page) | HV_PAGE_ENABLE) ==
            NO_FAULT, "enabling the hypercall page raised a fault");
    val = rdmsr(HV_MSR_HYPERCALL);
    CHECK(val == (gpa_of(page) | HV_PAGE_ENABLE),
          "HYPERCALL reads 0x%lx after enabling at 0x%lx", val, gpa_of(page));
    CHECK(pattern_mismatch(page, 0x21) >= 0,
          "the enabled hypercall page shows the RAM below it");
    CHECK(page[PAGE_SIZE - 1] == 0xcc || page[0] != pattern_byte(0x21, 0),
          "the hypercall page does not look like code");
    wrmsr(HV_MSR_HYPERCALL, 0);
    bad = pattern_mismatch(page, 0x21);
    CHECK(bad < 0, "after disabling the hypercall page the RAM below "
          "differs at offset %d", bad);
}

static void test_call_works(void)
{
    uint64_t result;

    REQUIRE(hv_hypercall_setup(), "cannot enable the hypercall page");
    /* Code 0 is no hypercall: the call must come back with status 2. */
    result = hv_hypercall(0, 0, 0);
    CHECK(hv_status(result) == HV_STATUS_INVALID_HYPERCALL_CODE,
          "hypercall code 0 returned 0x%lx, want status 2", result);
    CHECK(hv_post_message(CONN_NOBODY, 1, "x", 1) ==
          HV_STATUS_INVALID_CONNECTION_ID,
          "a well-formed HvPostMessage to an unused connection did not "
          "return 18");
}

static void test_unknown_codes(void)
{
    static const uint16_t codes[] = {
        0x0001, 0x0002, 0x0003, 0x0008, 0x0013, 0x004e, 0x005b, 0x005e,
        0x007e, 0x0099, 0x00af, 0x0100, 0x7fff, 0x8001, 0x8003, 0xffff,
    };
    size_t i;

    REQUIRE(hv.hypercall_page, "no hypercall page");
    for (i = 0; i < ARRAY_SIZE(codes); i++) {
        uint16_t slow = hv_status(hv_hypercall(codes[i], 0, 0));
        uint16_t fast = hv_status(hv_hypercall(codes[i] | HC_FAST, 0, 0));

        CHECK(slow == HV_STATUS_INVALID_HYPERCALL_CODE,
              "unknown call code 0x%04x returned %u, want 2", codes[i], slow);
        CHECK(fast == HV_STATUS_INVALID_HYPERCALL_CODE,
              "unknown fast call code 0x%04x returned %u, want 2", codes[i],
              fast);
    }
}

static void test_reserved_control_bits(void)
{
    static const uint64_t bits[] = {
        1ull << 27, 1ull << 31, 1ull << 44, 1ull << 47, 1ull << 60,
        1ull << 63,
    };
    uint8_t *page = page_alloc();
    size_t i;

    REQUIRE(hv.hypercall_page, "no hypercall page");
    valid_post_at(page, VMBUS_CONN_V5, 1, 8);
    for (i = 0; i < ARRAY_SIZE(bits); i++) {
        uint16_t st = post_raw(HVCALL_POST_MESSAGE | bits[i], gpa_of(page));

        CHECK(st == HV_STATUS_INVALID_HYPERCALL_INPUT,
              "HvPostMessage with reserved control bit 0x%lx returned %u, "
              "want 3", bits[i], st);
    }
}

static void test_post_unaligned(void)
{
    static const uint32_t offsets[] = { 1, 2, 4, 7, 0x104 };
    uint8_t *page = page_alloc();
    size_t i;

    REQUIRE(hv.hypercall_page, "no hypercall page");
    for (i = 0; i < ARRAY_SIZE(offsets); i++) {
        uint16_t st;

        valid_post_at(page + offsets[i], CONN_NOBODY, 1, 8);
        st = post_raw(HVCALL_POST_MESSAGE, gpa_of(page + offsets[i]));
        CHECK(st == HV_STATUS_INVALID_ALIGNMENT,
              "HvPostMessage input at page offset 0x%x returned %u, want 4",
              offsets[i], st);
    }
}

static void test_post_cross_page(void)
{
    static const uint32_t offsets[] = { 0xf08, 0xf80, 0xff8 };
    uint8_t *pages = page_alloc();
    size_t i;

    page_alloc();                       /* the next page, for the tail */
    REQUIRE(hv.hypercall_page, "no hypercall page");
    for (i = 0; i < ARRAY_SIZE(offsets); i++) {
        uint16_t st;

        valid_post_at(pages + offsets[i], CONN_NOBODY, 1, 8);
        st = post_raw(HVCALL_POST_MESSAGE, gpa_of(pages + offsets[i]));
        CHECK(st == HV_STATUS_INVALID_ALIGNMENT,
              "HvPostMessage input crossing a page (offset 0x%x) returned "
              "%u, want 4", offsets[i], st);
    }
}

static void test_post_payload_too_big(void)
{
    static const uint32_t sizes[] = { 241, 256, 0x10000, 0xffffffff };
    static const uint8_t zeros[HV_MESSAGE_PAYLOAD_MAX];
    size_t i;

    REQUIRE(hv.hypercall_page, "no hypercall page");
    for (i = 0; i < ARRAY_SIZE(sizes); i++) {
        /* To the VMBus connection, which exists. */
        uint16_t st = hv_post_message(VMBUS_CONN_V5, 1, zeros, sizes[i]);

        CHECK(st == HV_STATUS_INVALID_PARAMETER,
              "HvPostMessage with payload_size %u returned %u, want 5",
              sizes[i], st);
    }
}

static void test_post_bad_type(void)
{
    static const uint32_t types[] = {
        0, 0x80000000, 0x80000010, 0x80000001, 0xffffffff,
    };
    uint8_t payload[8] = { 0 };
    size_t i;

    REQUIRE(hv.hypercall_page, "no hypercall page");
    for (i = 0; i < ARRAY_SIZE(types); i++) {
        uint16_t st = hv_post_message(VMBUS_CONN_V5, types[i], payload,
                                      sizeof(payload));

        CHECK(st == HV_STATUS_INVALID_PARAMETER,
              "HvPostMessage with message type 0x%x returned %u, want 5",
              types[i], st);
    }
}

static void test_post_bad_connection(void)
{
    static const uint32_t conns[] = { 0, 2, 3, 5, CONN_NOBODY, 0xffffff };
    size_t i;

    REQUIRE(hv.hypercall_page, "no hypercall page");
    for (i = 0; i < ARRAY_SIZE(conns); i++) {
        uint16_t st = hv_post_message(conns[i], 1, "12345678", 8);

        CHECK(st == HV_STATUS_INVALID_CONNECTION_ID,
              "HvPostMessage to unregistered connection %u returned %u, "
              "want 18", conns[i], st);
    }
}

static void test_post_rep_or_fast(void)
{
    static const struct {
        const char *what;
        uint64_t bits;
    } forms[] = {
        { "rep count 1", HC_REP_COUNT(1) },
        { "rep count 4095", HC_REP_COUNT(0xfff) },
        { "rep start 1", HC_REP_START(1) },
        { "variable header 1", HC_VARHEAD(1) },
        { "fast", HC_FAST },
    };
    uint8_t *page = page_alloc();
    size_t i;

    REQUIRE(hv.hypercall_page, "no hypercall page");
    valid_post_at(page, CONN_NOBODY, 1, 8);
    for (i = 0; i < ARRAY_SIZE(forms); i++) {
        uint16_t st = post_raw(HVCALL_POST_MESSAGE | forms[i].bits,
                               gpa_of(page));

        CHECK(st == HV_STATUS_INVALID_HYPERCALL_INPUT,
              "HvPostMessage with %s returned %u, want 3", forms[i].what, st);
    }
    for (i = 0; i < 2; i++) {
        uint16_t st = post_raw(HVCALL_SIGNAL_EVENT | HC_FAST | forms[i].bits,
                               CONN_NOBODY);

        CHECK(st == HV_STATUS_INVALID_HYPERCALL_INPUT,
              "HvSignalEvent with %s returned %u, want 3", forms[i].what, st);
    }
}

/* GPAs where no RAM is: far above -m 256, and beyond any address width */
static const uint64_t gpas_outside_ram[] = {
    0x4000000000ull, 0x7ffffffff000ull, 0xfffffffffffff000ull,
};

static void test_post_outside_ram(void)
{
    size_t i;

    REQUIRE(hv.hypercall_page, "no hypercall page");
    for (i = 0; i < ARRAY_SIZE(gpas_outside_ram); i++) {
        uint16_t st = post_raw(HVCALL_POST_MESSAGE, gpas_outside_ram[i]);

        CHECK(st != HV_STATUS_SUCCESS,
              "HvPostMessage with its input at GPA 0x%lx (no RAM) "
              "returned success", gpas_outside_ram[i]);
        if (i == 0) {
            t_info("input outside RAM: status %u", st);
        }
    }
}

static void test_signal_fast_unknown(void)
{
    static const uint32_t conns[] = { 0, 1, 4, CONN_NOBODY, 0xffffff };
    size_t i;

    REQUIRE(hv.hypercall_page, "no hypercall page");
    for (i = 0; i < ARRAY_SIZE(conns); i++) {
        uint16_t st = hv_signal_event(conns[i], 0);

        CHECK(st == HV_STATUS_INVALID_CONNECTION_ID,
              "fast HvSignalEvent to connection %u returned %u, want 18",
              conns[i], st);
    }
    CHECK(hv_signal_event(CONN_NOBODY, 5) == HV_STATUS_INVALID_CONNECTION_ID,
          "fast HvSignalEvent with flag 5 to an unused connection did not "
          "return 18");
}

static void test_signal_slow(void)
{
    uint64_t *in = page_alloc();
    size_t i;
    uint16_t st;

    REQUIRE(hv.hypercall_page, "no hypercall page");
    in[0] = CONN_NOBODY;
    st = post_raw(HVCALL_SIGNAL_EVENT, gpa_of(in));
    CHECK(st == HV_STATUS_INVALID_CONNECTION_ID,
          "slow HvSignalEvent to an unused connection returned %u, want 18",
          st);
    st = post_raw(HVCALL_SIGNAL_EVENT, gpa_of(in) + 4);
    CHECK(st == HV_STATUS_INVALID_ALIGNMENT,
          "slow HvSignalEvent with unaligned input returned %u, want 4", st);
    for (i = 0; i < ARRAY_SIZE(gpas_outside_ram); i++) {
        st = post_raw(HVCALL_SIGNAL_EVENT, gpas_outside_ram[i]);
        CHECK(st != HV_STATUS_SUCCESS,
              "slow HvSignalEvent with its input at GPA 0x%lx (no RAM) "
              "returned success", gpas_outside_ram[i]);
        if (i == 0) {
            t_info("input outside RAM: status %u", st);
        }
    }
}

static void test_clear_guest_os_id(void)
{
    uint8_t *page = hv.hypercall_page;
    uint64_t val;
    int bad;

    REQUIRE(page, "no hypercall page");
    /* Fill the RAM below the hypercall page, then map it again. */
    wrmsr(HV_MSR_HYPERCALL, 0);
    pattern_fill(page, 0x33);
    wrmsr(HV_MSR_HYPERCALL, gpa_of(page) | HV_PAGE_ENABLE);
    REQUIRE(pattern_mismatch(page, 0x33) >= 0,
            "re-enabled hypercall page shows the RAM below it");

    /* TLFS 3.13: a zero guest OS id disables the hypercall page. */
    wrmsr(HV_MSR_GUEST_OS_ID, 0);
    val = rdmsr(HV_MSR_HYPERCALL);
    CHECK(!(val & HV_PAGE_ENABLE),
          "HYPERCALL still enabled (0x%lx) after GUEST_OS_ID was cleared",
          val);
    bad = pattern_mismatch(page, 0x33);
    CHECK(bad < 0, "after GUEST_OS_ID was cleared the page differs from "
          "the RAM below at offset %d", bad);

    wrmsr(HV_MSR_GUEST_OS_ID, HVTEST_GUEST_OS_ID);
    wrmsr(HV_MSR_HYPERCALL, gpa_of(page) | HV_PAGE_ENABLE);
    REQUIRE(hv_status(hv_hypercall(0, 0, 0)) ==
            HV_STATUS_INVALID_HYPERCALL_CODE,
            "the hypercall page does not work after re-enabling");
}

const HvTestCase hypercall_tests[] = {
    { "hypercall-needs-guest-os-id", test_needs_guest_os_id },
    { "hypercall-call-works", test_call_works },
    { "hypercall-unknown-codes", test_unknown_codes },
    { "hypercall-reserved-control-bits", test_reserved_control_bits },
    { "hypercall-post-unaligned", test_post_unaligned },
    { "hypercall-post-cross-page", test_post_cross_page },
    { "hypercall-post-payload-too-big", test_post_payload_too_big },
    { "hypercall-post-bad-type", test_post_bad_type },
    { "hypercall-post-bad-connection", test_post_bad_connection },
    { "hypercall-rep-or-fast-not-allowed", test_post_rep_or_fast },
    { "hypercall-post-outside-ram", test_post_outside_ram },
    { "hypercall-signal-fast-unknown", test_signal_fast_unknown },
    { "hypercall-signal-slow", test_signal_slow },
    { "hypercall-clear-guest-os-id", test_clear_guest_os_id },
};
const size_t hypercall_tests_count = ARRAY_SIZE(hypercall_tests);
