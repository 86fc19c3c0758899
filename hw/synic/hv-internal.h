/*
 * qemu-hvpart: state shared by the files of hw/synic.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_SYNIC_HV_INTERNAL_H
#define HW_SYNIC_HV_INTERNAL_H

#include "qemu/timer.h"
#include "accel/hvpart/hvpart.h"
#include "hw/synic/hv-tlfs.h"

/* Undelivered host-to-guest messages a VP may hold, all SINTs together. */
#define HV_VP_MSG_QUEUE_LEN     256

typedef struct HvVp HvVp;

typedef struct HvStimer {
    HvVp *vp;
    uint32_t index;
    uint64_t config;
    uint64_t count;
    /* Next expiration in reference time (100 ns) while armed. */
    uint64_t expiration;
    /* Message mode: an expiration message waits for the SINT's slot. */
    bool msg_pending;
    uint64_t pending_expiration;
    QEMUTimer *timer;
} HvStimer;

typedef struct HvQueuedMessage {
    uint8_t sint;
    uint8_t raw[HV_MESSAGE_SIZE];       /* wire format, little-endian */
} HvQueuedMessage;

struct HvVp {
    uint32_t index;
    CPUState *cs;
    uint64_t vp_assist;
    uint64_t scontrol;
    uint64_t siefp;
    uint64_t simp;
    uint64_t sint[HV_SINT_COUNT];
    HvStimer stimer[HV_STIMER_COUNT];
    /* undelivered messages, oldest first */
    HvQueuedMessage msgq[HV_VP_MSG_QUEUE_LEN];
    uint32_t msgq_len;
    HvpartOverlay *simp_page;
    HvpartOverlay *siefp_page;
};

/* State that TLFS defines per partition rather than per VP. */
typedef struct HvPartitionState {
    uint64_t guest_os_id;
    uint64_t hypercall;
    uint64_t reference_tsc;
    uint64_t crash_params[HV_CRASH_PARAM_COUNT];
    uint64_t crash_ctl;
    bool hypercall_64bit;               /* page code written for long mode */
    HvpartOverlay *hypercall_page;
    HvpartOverlay *tsc_page;
    uint32_t tsc_sequence;
    /* host TSC frequency in Hz, 0 if the host TSC is not usable */
    uint64_t tsc_hz;
} HvPartitionState;

extern HvPartitionState hv_partition;

HvVp *hv_vp_get(uint32_t vp_index);
HvVp *hv_vp_from_env(CPUArchState *env);

/* synic.c */
void hv_synic_vp_init(HvVp *vp);
void hv_synic_vp_reset(HvVp *vp);
int hv_synic_write_msr(HvVp *vp, uint32_t msr, uint64_t val);
void hv_synic_update_overlays(HvVp *vp);
void hv_synic_deliver(HvVp *vp, uint8_t sint);
void hv_synic_raise_sint(HvVp *vp, uint8_t sint);
bool hv_synic_sint_routable(HvVp *vp, uint8_t sint);
bool hv_synic_fill_slot_raw(HvVp *vp, uint8_t sint, uint8_t *raw);
uint16_t hv_synic_dispatch_message(uint32_t vp_index,
                                   const HvPostMessageInput *in);
uint16_t hv_synic_dispatch_event(uint32_t vp_index, uint32_t conn_id,
                                 uint16_t flag_number);

/* stimer.c */
void hv_stimer_vp_init(HvVp *vp);
void hv_stimer_vp_reset(HvVp *vp);
int hv_stimer_write_config(HvStimer *st, uint64_t val);
int hv_stimer_write_count(HvStimer *st, uint64_t val);
void hv_stimer_rearm(HvStimer *st);
/* Put a pending timer message for @sint into its slot; true if one went in. */
bool hv_stimer_deliver_pending(HvVp *vp, uint8_t sint);

/* hypercall.c */
void hv_hypercall_init(void);
void hv_hypercall_update_page(CPUArchState *env);

/* reftime.c */
void hv_reftime_init(void);
void hv_reftime_update_tsc_page(void);

/* cpuid.c */
bool hv_feature_reference_tsc(void);

#endif
