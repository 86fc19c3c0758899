/*
 * qemu-hvpart: "info hvpart" for people at the monitor.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/qapi-commands-hvpart.h"
#include "qapi/qapi-types-hvpart.h"
#include "monitor/hmp.h"
#include "monitor/monitor.h"

static void hmp_print_gpa(Monitor *mon, const char *name, bool has,
                          uint64_t gpa)
{
    if (has) {
        monitor_printf(mon, " %s=0x%" PRIx64, name, gpa);
    }
}

void hmp_info_hvpart(Monitor *mon, const QDict *qdict)
{
    Error *err = NULL;
    g_autoptr(HvpartInfo) info = qmp_query_hvpart(&err);
    HvpartVpList *vp;
    HvpartVmbusChannelList *ch;

    if (hmp_handle_error(mon, err)) {
        return;
    }
    monitor_printf(mon, "driver: %s\n", HvpartDriver_str(info->driver));
    for (vp = info->vps; vp; vp = vp->next) {
        HvpartVp *v = vp->value;

        monitor_printf(mon, "vp %u: guest-os-id=0x%" PRIx64 " synic=%s",
                       v->index, v->guest_os_id,
                       v->synic_enabled ? "on" : "off");
        hmp_print_gpa(mon, "hypercall", v->has_hypercall_page,
                      v->hypercall_page);
        hmp_print_gpa(mon, "simp", v->has_simp, v->simp);
        hmp_print_gpa(mon, "siefp", v->has_siefp, v->siefp);
        hmp_print_gpa(mon, "tsc-page", v->has_reference_tsc,
                      v->reference_tsc);
        monitor_printf(mon, " pending-messages=%u\n", v->pending_messages);
    }
    if (!info->vmbus) {
        monitor_printf(mon, "vmbus: none\n");
        return;
    }
    monitor_printf(mon, "vmbus: %s, version %s, %u gpadls\n",
                   info->vmbus->connected ? "connected" : "not connected",
                   info->vmbus->version ? info->vmbus->version : "-",
                   info->vmbus->gpadls);
    for (ch = info->vmbus->channels; ch; ch = ch->next) {
        HvpartVmbusChannel *c = ch->value;

        monitor_printf(mon, "  relid %u %s[%u] %s instance %s (%s)",
                       c->relid, c->interface, c->subchannel_index,
                       HvpartChannelState_str(c->state), c->instance_id,
                       c->device);
        if (c->has_target_vp) {
            monitor_printf(mon, " target-vp=%u", c->target_vp);
        }
        if (c->has_ring_pages) {
            monitor_printf(mon, " ring-pages=%u", c->ring_pages);
        }
        monitor_printf(mon, "\n");
    }
}
