/*
 * qemu-hvpart: the SynIC services the layers above use (hw/vmbus).
 *
 * Guest to host: HvPostMessage and HvSignalEvent reach the handler that is
 * registered for their connection id. Host to guest: messages go into the
 * SINT's slot of a VP's message page (queued behind a busy slot, delivered on
 * EOM), events set a flag in the SINT's slot of the event flags page. Both
 * raise the SINT's vector on that VP.
 *
 * All functions must be called with the BQL held.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_SYNIC_SYNIC_H
#define HW_SYNIC_SYNIC_H

#include "hw/synic/hv-tlfs.h"

/*
 * HvPostMessage to a connection: @payload is a copy (the guest cannot change
 * it), @size <= HV_MESSAGE_PAYLOAD_SIZE. Returns an HV_STATUS_* code for the
 * guest: HV_STATUS_INSUFFICIENT_BUFFERS when the receiver is congested.
 */
typedef uint16_t HvMessageHandler(void *opaque, uint32_t vp_index,
                                  uint32_t message_type,
                                  const void *payload, uint32_t size);
/* HvSignalEvent to a connection. Returns an HV_STATUS_* code. */
typedef uint16_t HvEventHandler(void *opaque, uint32_t vp_index,
                                uint16_t flag_number);

/* 0 on success, -EEXIST when the id is taken, -EINVAL when out of range. */
int hv_synic_add_message_connection(uint32_t conn_id, HvMessageHandler *fn,
                                    void *opaque);
void hv_synic_del_message_connection(uint32_t conn_id);
int hv_synic_add_event_connection(uint32_t conn_id, HvEventHandler *fn,
                                  void *opaque);
void hv_synic_del_event_connection(uint32_t conn_id);

/*
 * Post a message to @sint of VP @vp_index. Messages to one VP and SINT
 * arrive in order. Returns 0, -EINVAL for a bad VP/SINT/size, or -ENOBUFS
 * when the VP's queue of undelivered messages is full.
 */
int hv_synic_post_message(uint32_t vp_index, uint8_t sint,
                          uint32_t message_type, const void *payload,
                          uint8_t size);

/*
 * Set event flag @flag in @sint's slot of VP @vp_index's event flags page and
 * interrupt the VP if the flag was clear. Returns 0, -EINVAL for bad
 * arguments, or -ENXIO when the guest has not enabled the SynIC or SIEFP
 * (the event is lost, as on Hyper-V).
 */
int hv_synic_signal_event(uint32_t vp_index, uint8_t sint, uint32_t flag);

/*
 * Room for @count more messages in VP @vp_index's queue: a receiver checks
 * before it accepts a request whose answers it must post, and otherwise
 * refuses it with HV_STATUS_INSUFFICIENT_BUFFERS (the guest posts again).
 */
bool hv_synic_queue_has_room(uint32_t vp_index, uint32_t count);

/* Whether the guest enabled SCONTROL, SIMP and SIEFP on that VP. */
bool hv_synic_vp_ready(uint32_t vp_index);

/*
 * Hypervisor memory for work done on behalf of VP @vp_index's guest, from
 * the pool of its NUMA node. false: the pool cannot cover it.
 */
bool hv_pool_charge(uint32_t vp_index, uint64_t pages);
void hv_pool_release(uint32_t vp_index, uint64_t pages);

/* The partition's reference time, in 100 ns units. */
uint64_t hv_reference_time(void);

#endif
