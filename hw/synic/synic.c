/*
 * qemu-hvpart: the synthetic interrupt controller (TLFS chapter 11).
 *
 * Per VP: SCONTROL, the message page (SIMP) and event flags page (SIEFP)
 * as overlay pages, 16 SINTs and EOM. Host-to-guest messages wait in a
 * per-VP queue until the SINT's slot is free; the guest's EOM (after it saw
 * the "pending" flag) lets the next one in.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/atomic.h"
#include "qemu/bswap.h"
#include "qemu/main-loop.h"
#include "hw/synic/hv-internal.h"
#include "hw/synic/synic.h"
#include "trace.h"

typedef struct HvConnection {
    HvMessageHandler *msg_fn;
    HvEventHandler *event_fn;
    void *opaque;
} HvConnection;

static GHashTable *hv_msg_connections;
static GHashTable *hv_event_connections;

/* Connections */

static int hv_connection_add(GHashTable **table, uint32_t conn_id,
                             HvMessageHandler *msg_fn,
                             HvEventHandler *event_fn, void *opaque)
{
    HvConnection *c;

    if (conn_id == 0 || conn_id > HV_CONN_ID_MASK) {
        return -EINVAL;
    }
    if (!*table) {
        *table = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL,
                                       g_free);
    }
    if (g_hash_table_contains(*table, GUINT_TO_POINTER(conn_id))) {
        return -EEXIST;
    }
    c = g_new0(HvConnection, 1);
    c->msg_fn = msg_fn;
    c->event_fn = event_fn;
    c->opaque = opaque;
    g_hash_table_insert(*table, GUINT_TO_POINTER(conn_id), c);
    return 0;
}

int hv_synic_add_message_connection(uint32_t conn_id, HvMessageHandler *fn,
                                    void *opaque)
{
    return hv_connection_add(&hv_msg_connections, conn_id, fn, NULL, opaque);
}

void hv_synic_del_message_connection(uint32_t conn_id)
{
    if (hv_msg_connections) {
        g_hash_table_remove(hv_msg_connections, GUINT_TO_POINTER(conn_id));
    }
}

int hv_synic_add_event_connection(uint32_t conn_id, HvEventHandler *fn,
                                  void *opaque)
{
    return hv_connection_add(&hv_event_connections, conn_id, NULL, fn,
                             opaque);
}

void hv_synic_del_event_connection(uint32_t conn_id)
{
    if (hv_event_connections) {
        g_hash_table_remove(hv_event_connections, GUINT_TO_POINTER(conn_id));
    }
}

uint16_t hv_synic_dispatch_message(uint32_t vp_index,
                                   const HvPostMessageInput *in)
{
    HvConnection *c = NULL;
    uint32_t conn_id = in->connection_id & HV_CONN_ID_MASK;

    if (hv_msg_connections) {
        c = g_hash_table_lookup(hv_msg_connections,
                                GUINT_TO_POINTER(conn_id));
    }
    if (!c) {
        trace_hv_post_message_bad_connection(vp_index, conn_id);
        return HV_STATUS_INVALID_CONNECTION_ID;
    }
    return c->msg_fn(c->opaque, vp_index, in->message_type, in->payload,
                     in->payload_size);
}

uint16_t hv_synic_dispatch_event(uint32_t vp_index, uint32_t conn_id,
                                 uint16_t flag_number)
{
    HvConnection *c = NULL;

    conn_id &= HV_CONN_ID_MASK;
    if (hv_event_connections) {
        c = g_hash_table_lookup(hv_event_connections,
                                GUINT_TO_POINTER(conn_id));
    }
    if (!c) {
        trace_hv_signal_event_bad_connection(vp_index, conn_id);
        return HV_STATUS_INVALID_CONNECTION_ID;
    }
    return c->event_fn(c->opaque, vp_index, flag_number);
}

/* The memory pool, for hw/vmbus */

bool hv_pool_charge(uint32_t vp_index, uint64_t pages)
{
    return hvpart_pool_charge(hvpart_vp_node(vp_index), pages);
}

void hv_pool_release(uint32_t vp_index, uint64_t pages)
{
    hvpart_pool_release(hvpart_vp_node(vp_index), pages);
}

/* Delivery */

bool hv_synic_vp_ready(uint32_t vp_index)
{
    HvVp *vp = hv_vp_get(vp_index);

    return vp && (vp->scontrol & HV_SCONTROL_ENABLE) &&
           (vp->simp & HV_PAGE_ENABLE) && (vp->siefp & HV_PAGE_ENABLE);
}

bool hv_synic_sint_routable(HvVp *vp, uint8_t sint)
{
    return (vp->scontrol & HV_SCONTROL_ENABLE) &&
           !(vp->sint[sint] & HV_SINT_MSR_MASKED);
}

void hv_synic_raise_sint(HvVp *vp, uint8_t sint)
{
    uint8_t vector = vp->sint[sint] & HV_SINT_MSR_VECTOR;

    if (!hv_synic_sint_routable(vp, sint) ||
        vector < HV_SINT_FIRST_VALID_VECTOR) {
        return;
    }
    trace_hv_sint_raise(vp->index, sint, vector);
    hvpart_vp_raise_vector(vp->index, vector);
}

static HvMessage *hv_simp_slot(HvVp *vp, uint8_t sint)
{
    return (HvMessage *)((uint8_t *)hvpart_overlay_page(vp->simp_page) +
                         sint * HV_MESSAGE_SIZE);
}

/*
 * Put @raw (wire format) into the slot if it is free. The guest frees a slot
 * by clearing message_type, then (after a full barrier) looks at the pending
 * flag and writes EOM if it is set (TLFS 11.10.2). Setting the flag and then
 * re-reading the type, with a barrier between, means that either the guest
 * sees the flag or we see the free slot: no wake-up is lost.
 */
static bool hv_simp_slot_fill(HvVp *vp, uint8_t sint, uint8_t *raw)
{
    HvMessage *slot = hv_simp_slot(vp, sint);
    uint32_t type;

    if (qatomic_read(&slot->header.message_type) != HV_MESSAGE_NONE) {
        qatomic_or(&slot->header.message_flags, HV_MESSAGE_FLAG_PENDING);
        smp_mb(); /* pairs with the guest's barrier after clearing the type */
        if (qatomic_read(&slot->header.message_type) != HV_MESSAGE_NONE) {
            hvpart_overlay_dirty(vp->simp_page, sint * HV_MESSAGE_SIZE,
                                 HV_MESSAGE_SIZE);
            return false;
        }
    }
    /* Everything but the type first, the type last. */
    memcpy((uint8_t *)slot + 4, raw + 4, HV_MESSAGE_SIZE - 4);
    smp_wmb(); /* the guest reads the payload after it sees the type */
    memcpy(&type, raw, 4);
    qatomic_set(&slot->header.message_type, type);
    hvpart_overlay_dirty(vp->simp_page, sint * HV_MESSAGE_SIZE,
                         HV_MESSAGE_SIZE);
    return true;
}

/* A message in the slot or a flag in the event flags: the guest has work. */
static bool hv_synic_sint_has_work(HvVp *vp, uint8_t sint)
{
    const uint64_t *flags;
    int i;

    if ((vp->simp & HV_PAGE_ENABLE) &&
        qatomic_read(&hv_simp_slot(vp, sint)->header.message_type)) {
        return true;
    }
    if (!(vp->siefp & HV_PAGE_ENABLE)) {
        return false;
    }
    flags = (const uint64_t *)((uint8_t *)hvpart_overlay_page(vp->siefp_page) +
                               sint * HV_EVENT_FLAGS_BYTES);
    for (i = 0; i < HV_EVENT_FLAGS_BYTES / 8; i++) {
        if (qatomic_read(&flags[i])) {
            return true;
        }
    }
    return false;
}

static int hv_msgq_find(HvVp *vp, uint8_t sint, int start)
{
    uint32_t i;

    for (i = start; i < vp->msgq_len; i++) {
        if (vp->msgq[i].sint == sint) {
            return i;
        }
    }
    return -1;
}

void hv_synic_deliver(HvVp *vp, uint8_t sint)
{
    int i;

    if (!(vp->simp & HV_PAGE_ENABLE) || !hv_synic_sint_routable(vp, sint)) {
        return;
    }
    /* Timer expirations first: they carry the time they happened. */
    if (hv_stimer_deliver_pending(vp, sint)) {
        hv_synic_raise_sint(vp, sint);
        return;
    }
    i = hv_msgq_find(vp, sint, 0);
    if (i < 0) {
        return;
    }
    if (hv_msgq_find(vp, sint, i + 1) >= 0) {
        vp->msgq[i].raw[5] |= HV_MESSAGE_FLAG_PENDING;
    }
    if (!hv_simp_slot_fill(vp, sint, vp->msgq[i].raw)) {
        trace_hv_message_slot_busy(vp->index, sint, vp->msgq_len);
        return;
    }
    trace_hv_message_delivered(vp->index, sint, ldl_le_p(vp->msgq[i].raw));
    vp->msgq_len--;
    memmove(&vp->msgq[i], &vp->msgq[i + 1],
            (vp->msgq_len - i) * sizeof(vp->msgq[0]));
    hv_synic_raise_sint(vp, sint);
}

/* For timer messages, which wait in their timer rather than the queue. */
bool hv_synic_fill_slot_raw(HvVp *vp, uint8_t sint, uint8_t *raw)
{
    return hv_simp_slot_fill(vp, sint, raw);
}

static void hv_synic_deliver_all(HvVp *vp)
{
    uint8_t sint;

    for (sint = 0; sint < HV_SINT_COUNT; sint++) {
        hv_synic_deliver(vp, sint);
    }
}

bool hv_synic_queue_has_room(uint32_t vp_index, uint32_t count)
{
    HvVp *vp = hv_vp_get(vp_index);

    return vp && vp->msgq_len + (uint64_t)count <= HV_VP_MSG_QUEUE_LEN;
}

int hv_synic_post_message(uint32_t vp_index, uint8_t sint,
                          uint32_t message_type, const void *payload,
                          uint8_t size)
{
    HvVp *vp = hv_vp_get(vp_index);
    HvQueuedMessage *q;

    if (!vp || sint >= HV_SINT_COUNT || size > HV_MESSAGE_PAYLOAD_SIZE) {
        return -EINVAL;
    }
    if (vp->msgq_len >= HV_VP_MSG_QUEUE_LEN) {
        trace_hv_message_queue_full(vp_index, sint, message_type);
        return -ENOBUFS;
    }
    q = &vp->msgq[vp->msgq_len++];
    memset(q, 0, sizeof(*q));
    q->sint = sint;
    stl_le_p(q->raw, message_type);
    q->raw[4] = size;
    memcpy(q->raw + sizeof(HvMessageHeader), payload, size);
    trace_hv_message_post(vp_index, sint, message_type, size);
    hv_synic_deliver(vp, sint);
    return 0;
}

int hv_synic_signal_event(uint32_t vp_index, uint8_t sint, uint32_t flag)
{
    HvVp *vp = hv_vp_get(vp_index);
    uint8_t *flags, bit;
    uint8_t old;

    if (!vp || sint >= HV_SINT_COUNT || flag >= HV_EVENT_FLAGS_PER_SINT) {
        return -EINVAL;
    }
    if (!(vp->scontrol & HV_SCONTROL_ENABLE) ||
        !(vp->siefp & HV_PAGE_ENABLE)) {
        trace_hv_event_lost(vp_index, sint, flag);
        return -ENXIO;
    }
    flags = (uint8_t *)hvpart_overlay_page(vp->siefp_page) +
            sint * HV_EVENT_FLAGS_BYTES;
    bit = 1u << (flag % 8);
    old = qatomic_fetch_or(&flags[flag / 8], bit);
    hvpart_overlay_dirty(vp->siefp_page, sint * HV_EVENT_FLAGS_BYTES + flag / 8,
                         1);
    trace_hv_event_signal(vp_index, sint, flag, !(old & bit));
    if (!(old & bit)) {
        hv_synic_raise_sint(vp, sint);
    }
    return 0;
}

/* MSRs */

void hv_synic_update_overlays(HvVp *vp)
{
    /*
     * The pages are overlays whenever their own enable bit is set (TLFS
     * 11.9: SCONTROL gates delivery, not the mapping).
     */
    if (vp->simp & HV_PAGE_ENABLE) {
        hvpart_overlay_map(vp->simp_page, vp->simp & HV_GPA_PAGE_MASK);
    } else {
        hvpart_overlay_unmap(vp->simp_page);
    }
    if (vp->siefp & HV_PAGE_ENABLE) {
        hvpart_overlay_map(vp->siefp_page, vp->siefp & HV_GPA_PAGE_MASK);
    } else {
        hvpart_overlay_unmap(vp->siefp_page);
    }
}

int hv_synic_write_msr(HvVp *vp, uint32_t msr, uint64_t val)
{
    uint8_t sint;

    switch (msr) {
    case HV_MSR_SCONTROL:
        if (val & ~HV_SCONTROL_ENABLE) {
            return -EINVAL;
        }
        vp->scontrol = val;
        hv_synic_deliver_all(vp);
        return 0;
    case HV_MSR_SIEFP:
    case HV_MSR_SIMP:
        if (val & 0xffeull) {
            return -EINVAL;
        }
        if (msr == HV_MSR_SIMP) {
            vp->simp = val;
        } else {
            vp->siefp = val;
        }
        hv_synic_update_overlays(vp);
        hv_synic_deliver_all(vp);
        return 0;
    case HV_MSR_EOM:
        trace_hv_eom(vp->index, vp->msgq_len);
        hv_synic_deliver_all(vp);
        return 0;
    case HV_MSR_SINT0 ... HV_MSR_SINT15:
        sint = msr - HV_MSR_SINT0;
        if (val & ~HV_SINT_MSR_VALID_BITS) {
            return -EINVAL;
        }
        if (!(val & HV_SINT_MSR_MASKED) &&
            (val & HV_SINT_MSR_VECTOR) < HV_SINT_FIRST_VALID_VECTOR) {
            return -EINVAL;
        }
        vp->sint[sint] = val;
        /* Unmasking delivers what waited in the queue or the flags page. */
        hv_synic_deliver(vp, sint);
        if (hv_synic_sint_has_work(vp, sint)) {
            hv_synic_raise_sint(vp, sint);
        }
        return 0;
    default:
        return -EINVAL;
    }
}

void hv_synic_vp_init(HvVp *vp)
{
    vp->simp_page = hvpart_overlay_new(HVPART_OVERLAY_SIMP, vp->index);
    vp->siefp_page = hvpart_overlay_new(HVPART_OVERLAY_SIEFP, vp->index);
}

void hv_synic_vp_reset(HvVp *vp)
{
    uint8_t sint;

    vp->scontrol = 0;
    vp->simp = 0;
    vp->siefp = 0;
    for (sint = 0; sint < HV_SINT_COUNT; sint++) {
        vp->sint[sint] = HV_SINT_MSR_MASKED;
    }
    vp->msgq_len = 0;
    hv_synic_update_overlays(vp);
    memset(hvpart_overlay_page(vp->simp_page), 0, HV_PAGE_SIZE);
    memset(hvpart_overlay_page(vp->siefp_page), 0, HV_PAGE_SIZE);
}
