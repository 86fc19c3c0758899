/*
 * qemu-hvpart: synthetic timers (TLFS chapter 12.5).
 *
 * Four per VP. Message mode posts HVMSG_TIMER_EXPIRED to the timer's SINT;
 * direct mode raises the configured vector on the VP. Times are reference
 * time, 100 ns units, which is QEMU's virtual clock divided by 100: timers
 * stop while the VM is stopped and migrate with it.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "qemu/timer.h"
#include "hw/synic/hv-internal.h"
#include "hw/synic/synic.h"
#include "trace.h"

uint64_t hv_reference_time(void)
{
    return qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) / 100;
}

static uint8_t hv_stimer_sint(HvStimer *st)
{
    return (st->config & HV_STIMER_SINT_MASK) >> HV_STIMER_SINT_SHIFT;
}

static void hv_stimer_schedule(HvStimer *st)
{
    if (st->expiration == UINT64_MAX) {
        timer_del(st->timer);           /* never */
        return;
    }
    /* 100 ns units to virtual clock nanoseconds, saturating. */
    uint64_t ns = st->expiration > INT64_MAX / 100 ? INT64_MAX
                                                   : st->expiration * 100;

    timer_mod(st->timer, ns);
}

/* (Re)start the timer from its config and count (TLFS 12.5.1). */
static void hv_stimer_start(HvStimer *st)
{
    uint64_t now = hv_reference_time();

    timer_del(st->timer);
    if (!(st->config & HV_STIMER_ENABLE) || st->count == 0) {
        return;
    }
    if (st->config & HV_STIMER_PERIODIC) {
        /* A period past the end of time never expires. */
        st->expiration = st->count > UINT64_MAX - now ? UINT64_MAX
                                                       : now + st->count;
    } else {
        /* One-shot: the count is an absolute time; past means now. */
        st->expiration = st->count;
    }
    trace_hv_stimer_start(st->vp->index, st->index, st->config, st->count,
                          now);
    hv_stimer_schedule(st);
}

void hv_stimer_rearm(HvStimer *st)
{
    timer_del(st->timer);
    if ((st->config & HV_STIMER_ENABLE) && st->count) {
        hv_stimer_schedule(st);
    }
}

bool hv_stimer_deliver_pending(HvVp *vp, uint8_t sint)
{
    uint8_t raw[HV_MESSAGE_SIZE];
    uint32_t i;

    for (i = 0; i < HV_STIMER_COUNT; i++) {
        HvStimer *st = &vp->stimer[i];

        if (!st->msg_pending || hv_stimer_sint(st) != sint) {
            continue;
        }
        memset(raw, 0, sizeof(raw));
        stl_le_p(raw, HV_MESSAGE_TIMER_EXPIRED);
        raw[4] = sizeof(HvTimerMessagePayload);
        stl_le_p(raw + 16, st->index);
        stq_le_p(raw + 24, st->pending_expiration);
        stq_le_p(raw + 32, hv_reference_time());
        if (!hv_synic_fill_slot_raw(vp, sint, raw)) {
            return false;
        }
        st->msg_pending = false;
        trace_hv_stimer_message(vp->index, i, st->pending_expiration);
        return true;
    }
    return false;
}

static void hv_stimer_expired(void *opaque)
{
    HvStimer *st = opaque;
    HvVp *vp = st->vp;
    uint64_t now = hv_reference_time();

    if (!(st->config & HV_STIMER_ENABLE)) {
        return;
    }
    trace_hv_stimer_expired(vp->index, st->index, st->expiration, now);
    if (st->config & HV_STIMER_DIRECT_MODE) {
        uint8_t vector = (st->config & HV_STIMER_VECTOR_MASK) >>
                         HV_STIMER_VECTOR_SHIFT;

        if (vector >= HV_SINT_FIRST_VALID_VECTOR) {
            hvpart_vp_raise_vector(vp->index, vector);
        }
    } else if (!st->msg_pending) {
        st->msg_pending = true;
        st->pending_expiration = st->expiration;
        hv_synic_deliver(vp, hv_stimer_sint(st));
    } else {
        /* The last expiration is still undelivered: this one is lost. */
        trace_hv_stimer_missed(vp->index, st->index);
    }

    if (st->config & HV_STIMER_PERIODIC) {
        if (st->count > UINT64_MAX - st->expiration) {
            st->expiration = UINT64_MAX;
        } else {
            st->expiration += st->count;
        }
        if (st->expiration <= now) {
            st->expiration = st->count > UINT64_MAX - now ? UINT64_MAX
                                                           : now + st->count;
        }
        hv_stimer_schedule(st);
    } else {
        st->config &= ~HV_STIMER_ENABLE;
    }
}

int hv_stimer_write_config(HvStimer *st, uint64_t val)
{
    if (val & ~HV_STIMER_VALID_BITS) {
        return -EINVAL;
    }
    if ((val & HV_STIMER_DIRECT_MODE) && !hvpart_stimer_direct_wanted()) {
        return -EINVAL;                 /* not offered in CPUID */
    }
    /* Message mode with SINT 0 cannot be enabled (TLFS 12.5.2). */
    if ((val & HV_STIMER_ENABLE) && !(val & HV_STIMER_DIRECT_MODE) &&
        !(val & HV_STIMER_SINT_MASK)) {
        val &= ~HV_STIMER_ENABLE;
    }
    st->config = val;
    hv_stimer_start(st);
    return 0;
}

int hv_stimer_write_count(HvStimer *st, uint64_t val)
{
    st->count = val;
    if (val == 0) {
        st->config &= ~HV_STIMER_ENABLE;
    } else if (st->config & HV_STIMER_AUTO_ENABLE) {
        uint64_t cfg = st->config | HV_STIMER_ENABLE;

        if (!(cfg & HV_STIMER_DIRECT_MODE) && !(cfg & HV_STIMER_SINT_MASK)) {
            cfg &= ~HV_STIMER_ENABLE;
        }
        st->config = cfg;
    }
    hv_stimer_start(st);
    return 0;
}

void hv_stimer_vp_init(HvVp *vp)
{
    uint32_t i;

    for (i = 0; i < HV_STIMER_COUNT; i++) {
        vp->stimer[i].vp = vp;
        vp->stimer[i].index = i;
        vp->stimer[i].timer = timer_new_ns(QEMU_CLOCK_VIRTUAL,
                                           hv_stimer_expired,
                                           &vp->stimer[i]);
    }
}

void hv_stimer_vp_reset(HvVp *vp)
{
    uint32_t i;

    for (i = 0; i < HV_STIMER_COUNT; i++) {
        HvStimer *st = &vp->stimer[i];

        timer_del(st->timer);
        st->config = 0;
        st->count = 0;
        st->expiration = 0;
        st->msg_pending = false;
        st->pending_expiration = 0;
    }
}
