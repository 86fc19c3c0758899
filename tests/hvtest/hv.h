/*
 * hvtest: the Hyper-V interface as the guest sees it (constants from the
 * Hyper-V Top Level Functional Specification), and the guest-side helpers
 * the test cases share: the hypercall page, HvPostMessage, the SynIC pages.
 *
 * Copyright (c) 2025 qemu-hvpart contributors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HVTEST_HV_H
#define HVTEST_HV_H

#include "hvtest.h"

/* CPUID (TLFS chapter 2) */
#define HV_LEAF_VENDOR                  0x40000000
#define HV_LEAF_INTERFACE               0x40000001
#define HV_LEAF_VERSION                 0x40000002
#define HV_LEAF_FEATURES                0x40000003
#define HV_LEAF_HINTS                   0x40000004
#define HV_LEAF_LIMITS                  0x40000005
#define HV_INTERFACE_HV1                0x31237648      /* "Hv#1" */
#define CPUID1_ECX_HYPERVISOR           (1u << 31)

/* 0x40000003 EAX: which synthetic MSRs the partition may access */
#define HV_A_VP_RUNTIME                 (1u << 0)
#define HV_A_TIME_REF_COUNT             (1u << 1)
#define HV_A_SYNIC                      (1u << 2)
#define HV_A_STIMER                     (1u << 3)
#define HV_A_APIC_ACCESS                (1u << 4)
#define HV_A_HYPERCALL                  (1u << 5)
#define HV_A_VP_INDEX                   (1u << 6)
#define HV_A_RESET                      (1u << 7)
#define HV_A_STATS                      (1u << 8)
#define HV_A_REFERENCE_TSC              (1u << 9)
#define HV_A_GUEST_IDLE                 (1u << 10)
#define HV_A_FREQUENCY                  (1u << 11)
/* 0x40000003 EBX */
#define HV_B_POST_MESSAGES              (1u << 4)
#define HV_B_SIGNAL_EVENTS              (1u << 5)
#define HV_B_CPU_MANAGEMENT             (1u << 12)      /* root partition */
#define HV_B_ISOLATION                  (1u << 22)
/* 0x40000003 EDX */
#define HV_D_FREQUENCY_MSRS             (1u << 8)
#define HV_D_CRASH_MSRS                 (1u << 10)
#define HV_D_STIMER_DIRECT              (1u << 19)
/* 0x40000004 EAX */
#define HV_HINT_NESTED                  (1u << 12)

/* Synthetic MSRs */
#define HV_MSR_GUEST_OS_ID              0x40000000
#define HV_MSR_HYPERCALL                0x40000001
#define HV_MSR_VP_INDEX                 0x40000002
#define HV_MSR_RESET                    0x40000003
#define HV_MSR_VP_RUNTIME               0x40000010
#define HV_MSR_TIME_REF_COUNT           0x40000020
#define HV_MSR_REFERENCE_TSC            0x40000021
#define HV_MSR_TSC_FREQUENCY            0x40000022
#define HV_MSR_APIC_FREQUENCY           0x40000023
#define HV_MSR_EOI                      0x40000070
#define HV_MSR_ICR                      0x40000071
#define HV_MSR_TPR                      0x40000072
#define HV_MSR_VP_ASSIST_PAGE           0x40000073
#define HV_MSR_SCONTROL                 0x40000080
#define HV_MSR_SVERSION                 0x40000081
#define HV_MSR_SIEFP                    0x40000082
#define HV_MSR_SIMP                     0x40000083
#define HV_MSR_EOM                      0x40000084
#define HV_MSR_SINT0                    0x40000090
#define HV_MSR_STIMER0_CONFIG           0x400000b0
#define HV_MSR_STIMER0_COUNT            0x400000b1
#define HV_MSR_CRASH_P0                 0x40000100
#define HV_MSR_CRASH_CTL                0x40000105
#define HV_MSR_RANGE_FIRST              0x40000000
#define HV_MSR_RANGE_LAST               0x400001ff

#define HV_SINT_MSR(n)                  (HV_MSR_SINT0 + (n))
#define HV_STIMER_CONFIG_MSR(n)         (HV_MSR_STIMER0_CONFIG + 2 * (n))
#define HV_STIMER_COUNT_MSR(n)          (HV_MSR_STIMER0_COUNT + 2 * (n))

#define HV_PAGE_ENABLE                  1ull            /* SIMP, SIEFP, ... */
#define HV_SINT_MASKED                  (1ull << 16)
#define HV_SINT_AUTO_EOI                (1ull << 17)
#define HV_SINT_POLLING                 (1ull << 18)
#define HV_STIMER_ENABLE                (1ull << 0)
#define HV_STIMER_PERIODIC              (1ull << 1)
#define HV_STIMER_LAZY                  (1ull << 2)
#define HV_STIMER_AUTO_ENABLE           (1ull << 3)
#define HV_STIMER_VECTOR(v)             ((uint64_t)(v) << 4)
#define HV_STIMER_DIRECT                (1ull << 12)
#define HV_STIMER_SINT(s)               ((uint64_t)(s) << 16)

/* Any non-zero value identifies the guest; this one is ours. */
#define HVTEST_GUEST_OS_ID              0x8100000000484654ull

/* Hypercalls (TLFS chapter 3) */
#define HVCALL_POST_MESSAGE             0x005c
#define HVCALL_SIGNAL_EVENT             0x005d
#define HC_FAST                         (1ull << 16)
#define HC_VARHEAD(n)                   ((uint64_t)(n) << 17)
#define HC_REP_COUNT(n)                 ((uint64_t)(n) << 32)
#define HC_REP_START(n)                 ((uint64_t)(n) << 48)

#define HV_STATUS_SUCCESS               0
#define HV_STATUS_INVALID_HYPERCALL_CODE 2
#define HV_STATUS_INVALID_HYPERCALL_INPUT 3
#define HV_STATUS_INVALID_ALIGNMENT     4
#define HV_STATUS_INVALID_PARAMETER     5
#define HV_STATUS_INVALID_CONNECTION_ID 18
#define HV_STATUS_INSUFFICIENT_BUFFERS  19

/* SynIC (TLFS chapter 11) */
#define HV_MESSAGE_PAYLOAD_MAX          240
#define HV_MESSAGE_PENDING              0x01
#define HV_MESSAGE_TIMER_EXPIRED        0x80000010u
#define HV_EVENT_FLAGS_SLOT_BYTES       256

typedef struct HvMessage {
    volatile uint32_t type;             /* the guest frees the slot here */
    uint8_t payload_size;
    volatile uint8_t flags;             /* set while the slot is busy */
    uint16_t reserved;
    uint64_t sender;
    uint8_t payload[HV_MESSAGE_PAYLOAD_MAX];
} HvMessage;

_Static_assert(sizeof(HvMessage) == 256, "SynIC message slot");

/* The HvPostMessage input block */
typedef struct HvPostInput {
    uint32_t connection_id;
    uint32_t reserved;
    uint32_t message_type;
    uint32_t payload_size;
    uint8_t payload[HV_MESSAGE_PAYLOAD_MAX];
} HvPostInput;

_Static_assert(sizeof(HvPostInput) == 256, "HvPostMessage input");

/* Reference TSC page */
typedef struct HvTscPage {
    volatile uint32_t sequence;         /* the host updates the page */
    uint32_t reserved;
    volatile uint64_t scale;            /* ditto */
    volatile int64_t offset;            /* ditto */
} HvTscPage;

/* What the guest found and what it has enabled; see hv.c. */
typedef struct HvGuestState {
    uint32_t max_leaf;
    CpuidRegs features;             /* 0x40000003 */
    CpuidRegs hints;                /* 0x40000004 */
    uint8_t *hypercall_page;        /* mapped hypercall page, or NULL */
    HvMessage *simp;                /* enabled SIMP, or NULL */
    uint8_t *siefp;                 /* enabled SIEFP, or NULL */
} HvGuestState;

extern HvGuestState hv;

static inline bool hv_has_a(uint32_t bit)
{
    return hv.features.eax & bit;
}

/*
 * Call the hypercall page: RCX = control, RDX = input (GPA or fast value),
 * R8 = output; returns RAX. Only with hv.hypercall_page set.
 */
uint64_t hv_hypercall(uint64_t control, uint64_t in, uint64_t out);
/* The status field (bits 15:0) of a hypercall result */
static inline uint16_t hv_status(uint64_t result)
{
    return result & 0xffff;
}

/* Set GUEST_OS_ID and map the hypercall page (idempotent); false on error. */
bool hv_hypercall_setup(void);

/*
 * HvPostMessage through a page-aligned input block. Returns the status.
 * @payload_size is put in the input as given (even if > 240); at most 240
 * bytes are copied.
 */
uint16_t hv_post_message(uint32_t connection_id, uint32_t message_type,
                         const void *payload, uint32_t payload_size);
/* HvSignalEvent, fast form; returns the status. */
uint16_t hv_signal_event(uint32_t connection_id, uint16_t flag);

/*
 * Enable SCONTROL, the SIMP and SIEFP (on pages of their own), and unmask
 * @sint with @vector; the local APIC is enabled and interrupts are on.
 */
bool synic_setup(uint8_t sint, uint8_t vector);

/* The message slot of @sint in the SIMP (hv.simp must be set) */
static inline HvMessage *synic_slot(uint8_t sint)
{
    return &hv.simp[sint];
}

/* The event flags of @sint in the SIEFP (hv.siefp must be set) */
static inline volatile uint8_t *synic_event_flags(uint8_t sint)
{
    return hv.siefp + sint * HV_EVENT_FLAGS_SLOT_BYTES;
}

/*
 * Free the slot of @sint as the TLFS asks: clear the message type, then
 * (after a full barrier) write EOM if the pending flag is set. Returns
 * whether EOM was written.
 */
bool synic_ack(uint8_t sint);

#endif
