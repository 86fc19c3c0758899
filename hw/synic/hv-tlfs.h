/*
 * Hyper-V Top Level Functional Specification: the constants and wire
 * structures a VP sees (CPUID leaves, synthetic MSRs, hypercall ABI, SynIC
 * messages). One place for all of them; names follow the TLFS.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_SYNIC_HV_TLFS_H
#define HW_SYNIC_HV_TLFS_H

/* Hyper-V's page size, whatever the guest's paging uses */
#define HV_PAGE_SIZE                    4096

/* CPUID leaves (TLFS 2.4) */
#define HV_CPUID_VENDOR_AND_MAX         0x40000000
#define HV_CPUID_INTERFACE              0x40000001
#define HV_CPUID_VERSION                0x40000002
#define HV_CPUID_FEATURES               0x40000003
#define HV_CPUID_ENLIGHTENMENT_INFO     0x40000004
#define HV_CPUID_IMPLEMENT_LIMITS       0x40000005
#define HV_CPUID_HARDWARE_FEATURES      0x40000006
#define HV_CPUID_MAX_LEAF               HV_CPUID_HARDWARE_FEATURES
#define HV_CPUID_INTERFACE_HV1          0x31237648  /* "Hv#1" */

/* 0x40000003 EAX: partition privilege mask, low half */
#define HV_PRIV_VP_RUNTIME              (1u << 0)
#define HV_PRIV_TIME_REF_COUNT          (1u << 1)
#define HV_PRIV_SYNIC_REGS              (1u << 2)
#define HV_PRIV_SYNTIMER_REGS           (1u << 3)
#define HV_PRIV_APIC_ACCESS             (1u << 4)
#define HV_PRIV_HYPERCALL_MSRS          (1u << 5)
#define HV_PRIV_VP_INDEX                (1u << 6)
#define HV_PRIV_RESET                   (1u << 7)
#define HV_PRIV_REFERENCE_TSC           (1u << 9)
#define HV_PRIV_FREQUENCY_MSRS          (1u << 11)
#define HV_PRIV_TSC_INVARIANT           (1u << 15)
/* 0x40000003 EBX: partition privilege mask, high half */
#define HV_PRIV_POST_MESSAGES           (1u << 4)
#define HV_PRIV_SIGNAL_EVENTS           (1u << 5)
#define HV_PRIV_CPU_MANAGEMENT          (1u << 12)  /* root partition only */
#define HV_PRIV_ISOLATION               (1u << 22)
/* 0x40000003 EDX: miscellaneous features */
#define HV_FEAT_FREQUENCY_MSRS          (1u << 8)
#define HV_FEAT_GUEST_CRASH_MSRS        (1u << 10)
#define HV_FEAT_STIMER_DIRECT_MODE      (1u << 19)
/* 0x40000004 EAX: implementation recommendations */
#define HV_HINT_RELAXED_TIMING          (1u << 5)
#define HV_HINT_DEPRECATING_AEOI        (1u << 9)
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
#define HV_MSR_VP_ASSIST_PAGE           0x40000073
#define HV_MSR_SCONTROL                 0x40000080
#define HV_MSR_SVERSION                 0x40000081
#define HV_MSR_SIEFP                    0x40000082
#define HV_MSR_SIMP                     0x40000083
#define HV_MSR_EOM                      0x40000084
#define HV_MSR_SINT0                    0x40000090
#define HV_MSR_SINT15                   0x4000009F
#define HV_MSR_STIMER0_CONFIG           0x400000B0
#define HV_MSR_STIMER3_COUNT            0x400000B7
#define HV_MSR_CRASH_P0                 0x40000100
#define HV_MSR_CRASH_P4                 0x40000104
#define HV_MSR_CRASH_CTL                0x40000105

#define HV_HYPERCALL_MSR_ENABLE             (1ull << 0)
#define HV_HYPERCALL_MSR_LOCKED             (1ull << 1)
#define HV_PAGE_ENABLE                  (1ull << 0)  /* SIMP, SIEFP, TSC page */
#define HV_VP_ASSIST_ENABLE             (1ull << 0)
#define HV_GPA_PAGE_MASK                (~0xfffull)
#define HV_SCONTROL_ENABLE              (1ull << 0)
#define HV_SINT_MSR_VECTOR             0xffull
#define HV_SINT_MSR_MASKED                  (1ull << 16)
#define HV_SINT_MSR_AUTO_EOI                (1ull << 17)
#define HV_SINT_MSR_POLLING                 (1ull << 18)
#define HV_SINT_MSR_VALID_BITS          (HV_SINT_MSR_VECTOR | \
                                         HV_SINT_MSR_MASKED | \
                                         HV_SINT_MSR_AUTO_EOI | \
                                         HV_SINT_MSR_POLLING)
#define HV_SINT_FIRST_VALID_VECTOR      16
#define HV_SINT_COUNT                   16
#define HV_SYNIC_VERSION                1
#define HV_CRASH_CTL_NOTIFY             (1ull << 63)
#define HV_CRASH_PARAM_COUNT                 5

#define HV_STIMER_COUNT                 4
#define HV_STIMER_ENABLE                (1ull << 0)
#define HV_STIMER_PERIODIC              (1ull << 1)
#define HV_STIMER_LAZY                  (1ull << 2)
#define HV_STIMER_AUTO_ENABLE           (1ull << 3)
#define HV_STIMER_VECTOR_SHIFT          4
#define HV_STIMER_VECTOR_MASK           (0xffull << HV_STIMER_VECTOR_SHIFT)
#define HV_STIMER_DIRECT_MODE           (1ull << 12)
#define HV_STIMER_SINT_SHIFT            16
#define HV_STIMER_SINT_MASK             (0xfull << HV_STIMER_SINT_SHIFT)
#define HV_STIMER_VALID_BITS            (HV_STIMER_ENABLE | HV_STIMER_PERIODIC | \
                                         HV_STIMER_LAZY | HV_STIMER_AUTO_ENABLE | \
                                         HV_STIMER_VECTOR_MASK | \
                                         HV_STIMER_DIRECT_MODE | \
                                         HV_STIMER_SINT_MASK)

/* Hypercall input value (TLFS 3.7) */
#define HV_HC_CODE_MASK                 0xffffull
#define HV_HC_FAST                      (1ull << 16)
#define HV_HC_VARHEAD_SHIFT             17
#define HV_HC_VARHEAD_MASK              (0x3ffull << HV_HC_VARHEAD_SHIFT)
#define HV_HC_REP_COUNT_SHIFT           32
#define HV_HC_REP_COUNT_MASK            (0xfffull << HV_HC_REP_COUNT_SHIFT)
#define HV_HC_REP_START_SHIFT           48
#define HV_HC_REP_START_MASK            (0xfffull << HV_HC_REP_START_SHIFT)
#define HV_HC_RSVD_MASK                 ((0x1full << 27) | (0xfull << 44) | \
                                         (0xfull << 60))

#define HVCALL_POST_MESSAGE             0x005c
#define HVCALL_SIGNAL_EVENT             0x005d

/* Hypercall status codes (TLFS appendix B) */
#define HV_STATUS_SUCCESS               0
#define HV_STATUS_INVALID_HYPERCALL_CODE 2
#define HV_STATUS_INVALID_HYPERCALL_INPUT 3
#define HV_STATUS_INVALID_ALIGNMENT     4
#define HV_STATUS_INVALID_PARAMETER     5
#define HV_STATUS_ACCESS_DENIED         6
#define HV_STATUS_INVALID_PARTITION_STATE 7
#define HV_STATUS_OPERATION_DENIED      8
#define HV_STATUS_INSUFFICIENT_MEMORY   11
#define HV_STATUS_INVALID_PORT_ID       17
#define HV_STATUS_INVALID_CONNECTION_ID 18
#define HV_STATUS_INSUFFICIENT_BUFFERS  19

/* SynIC messages (TLFS 11.8) */
#define HV_MESSAGE_SIZE                 256
#define HV_MESSAGE_PAYLOAD_SIZE         240
#define HV_MESSAGE_NONE                 0x00000000
#define HV_MESSAGE_TIMER_EXPIRED        0x80000010
#define HV_MESSAGE_FLAG_PENDING         0x1
#define HV_EVENT_FLAGS_BYTES            256  /* per SINT in the SIEFP */
#define HV_EVENT_FLAGS_PER_SINT            (HV_EVENT_FLAGS_BYTES * 8)

typedef struct HvMessageHeader {
    uint32_t message_type;
    uint8_t payload_size;
    uint8_t message_flags;
    uint8_t reserved[2];
    uint64_t sender;                    /* port id or partition id */
} HvMessageHeader;

typedef struct HvMessage {
    HvMessageHeader header;
    uint8_t payload[HV_MESSAGE_PAYLOAD_SIZE];
} HvMessage;

typedef struct HvTimerMessagePayload {
    uint32_t timer_index;
    uint32_t reserved;
    uint64_t expiration_time;           /* 100 ns units */
    uint64_t delivery_time;
} HvTimerMessagePayload;

/* HvPostMessage input page (TLFS 11.10.1) */
typedef struct HvPostMessageInput {
    uint32_t connection_id;
    uint32_t reserved;
    uint32_t message_type;
    uint32_t payload_size;
    uint8_t payload[HV_MESSAGE_PAYLOAD_SIZE];
} HvPostMessageInput;

/* Reference TSC page (TLFS 12.7) */
typedef struct HvReferenceTscPage {
    uint32_t tsc_sequence;
    uint32_t reserved1;
    uint64_t tsc_scale;
    int64_t tsc_offset;
} HvReferenceTscPage;

#define HV_CONN_ID_MASK           0xffffffull
#define HV_EVENT_FLAG_NUMBER_SHIFT      32
#define HV_EVENT_FLAG_NUMBER_MASK       0xffffull

#endif
