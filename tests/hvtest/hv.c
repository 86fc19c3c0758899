/*
 * hvtest: guest-side helpers for the Hyper-V interface.
 *
 * Copyright (c) 2025 qemu-hvpart contributors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "hv.h"

HvGuestState hv;

/* The page the hypercall page is mapped over, kept for later tests. */
static uint8_t *hypercall_gpa_page;
static HvPostInput *post_input;

uint64_t hv_hypercall(uint64_t control, uint64_t in, uint64_t out)
{
    register uint64_t r8 asm("r8") = out;
    uint64_t result;

    /* The calling convention of the page: RCX, RDX, R8 in; RAX out. */
    asm volatile("call *%[page]"
                 : "=a"(result), "+c"(control), "+d"(in), "+r"(r8)
                 : [page] "r"(hv.hypercall_page)
                 : "r9", "r10", "r11", "memory", "cc");
    return result;
}

bool hv_hypercall_setup(void)
{
    uint64_t val;

    if (hv.hypercall_page) {
        return true;
    }
    if (!hypercall_gpa_page) {
        hypercall_gpa_page = page_alloc();
    }
    if (rdmsr(HV_MSR_GUEST_OS_ID) == 0) {
        wrmsr(HV_MSR_GUEST_OS_ID, HVTEST_GUEST_OS_ID);
    }
    if (wrmsr_safe(HV_MSR_HYPERCALL,
                   gpa_of(hypercall_gpa_page) | HV_PAGE_ENABLE) != NO_FAULT) {
        return false;
    }
    if (rdmsr_safe(HV_MSR_HYPERCALL, &val) != NO_FAULT ||
        !(val & HV_PAGE_ENABLE)) {
        return false;
    }
    hv.hypercall_page = hypercall_gpa_page;
    return true;
}

uint16_t hv_post_message(uint32_t connection_id, uint32_t message_type,
                         const void *payload, uint32_t payload_size)
{
    uint32_t copy = payload_size;

    if (!post_input) {
        post_input = page_alloc();
    }
    if (copy > HV_MESSAGE_PAYLOAD_MAX) {
        copy = HV_MESSAGE_PAYLOAD_MAX;
    }
    memset(post_input, 0, sizeof(*post_input));
    post_input->connection_id = connection_id;
    post_input->message_type = message_type;
    post_input->payload_size = payload_size;
    if (copy) {
        memcpy(post_input->payload, payload, copy);
    }
    return hv_status(hv_hypercall(HVCALL_POST_MESSAGE, gpa_of(post_input),
                                  0));
}

uint16_t hv_signal_event(uint32_t connection_id, uint16_t flag)
{
    uint64_t input = connection_id | ((uint64_t)flag << 32);

    return hv_status(hv_hypercall(HVCALL_SIGNAL_EVENT | HC_FAST, input, 0));
}

bool synic_setup(uint8_t sint, uint8_t vector)
{
    uint64_t val;

    if (!hv.simp) {
        HvMessage *simp = page_alloc();
        uint8_t *siefp = page_alloc();

        if (wrmsr_safe(HV_MSR_SIMP, gpa_of(simp) | HV_PAGE_ENABLE) !=
                NO_FAULT ||
            wrmsr_safe(HV_MSR_SIEFP, gpa_of(siefp) | HV_PAGE_ENABLE) !=
                NO_FAULT ||
            wrmsr_safe(HV_MSR_SCONTROL, 1) != NO_FAULT) {
            return false;
        }
        hv.simp = simp;
        hv.siefp = siefp;
    }
    lapic_enable();
    irq_enable();
    if (wrmsr_safe(HV_SINT_MSR(sint), vector) != NO_FAULT ||
        rdmsr_safe(HV_SINT_MSR(sint), &val) != NO_FAULT ||
        val != vector) {
        return false;
    }
    return true;
}

bool synic_ack(uint8_t sint)
{
    HvMessage *slot = synic_slot(sint);

    slot->type = 0;
    mb();
    if (slot->flags & HV_MESSAGE_PENDING) {
        wrmsr(HV_MSR_EOM, 0);
        return true;
    }
    return false;
}
