/*
 * qemu-hvpart: "info hvpart" for people at the monitor.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/qapi-commands-hvpart.h"
#include "qapi/qapi-types-hvpart.h"
#include "qapi/util.h"
#include "qobject/qdict.h"
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
    {
        g_autoptr(HvpartPoolNodeList) pool = qmp_query_hvpart_pool(NULL);
        HvpartPoolNodeList *p;

        for (p = pool; p; p = p->next) {
            monitor_printf(mon, "pool node %u: %" PRIu64 " pages free, %"
                           PRIu64 " used\n", p->value->node,
                           p->value->balance, p->value->used);
        }
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

void hmp_info_hvpart_gpa(Monitor *mon, const QDict *qdict)
{
    Error *err = NULL;
    g_autoptr(HvpartGpaRunList) runs = qmp_hvpart_gpa_query(false, 0, false,
                                                            0, &err);
    HvpartGpaRunList *r;

    if (hmp_handle_error(mon, err)) {
        return;
    }
    for (r = runs; r; r = r->next) {
        monitor_printf(mon, "0x%016" PRIx64 "-0x%016" PRIx64
                       " node %u %s%s%s\n",
                       r->value->gpa, r->value->gpa + r->value->size - 1,
                       r->value->node, HvpartPageState_str(r->value->state),
                       r->value->has_access ? " " : "",
                       r->value->has_access ?
                       HvpartAccess_str(r->value->access) : "");
    }
}

static bool hmp_lookup(Monitor *mon, const QEnumLookup *lookup,
                       const char *name, const char *value, int *out)
{
    Error *err = NULL;

    *out = qapi_enum_parse(lookup, value, -1, &err);
    if (err) {
        error_prepend(&err, "'%s': ", name);
    }
    return !hmp_handle_error(mon, err) && *out >= 0;
}

void hmp_hvpart_gpa_set_access(Monitor *mon, const QDict *qdict)
{
    Error *err = NULL;
    int access;

    if (hmp_lookup(mon, &HvpartAccess_lookup, "access",
                   qdict_get_str(qdict, "access"), &access)) {
        qmp_hvpart_gpa_set_access(qdict_get_int(qdict, "gpa"),
                                  qdict_get_int(qdict, "size"), access,
                                  false, 0, &err);
        hmp_handle_error(mon, err);
    }
}

void hmp_hvpart_gpa_map(Monitor *mon, const QDict *qdict)
{
    const char *str = qdict_get_try_str(qdict, "access");
    Error *err = NULL;
    int access = HVPART_ACCESS_RWX;

    if (str && !hmp_lookup(mon, &HvpartAccess_lookup, "access", str,
                           &access)) {
        return;
    }
    qmp_hvpart_gpa_map(qdict_get_int(qdict, "gpa"),
                       qdict_get_int(qdict, "size"), true, access, false, 0,
                       &err);
    hmp_handle_error(mon, err);
}

void hmp_hvpart_gpa_unmap(Monitor *mon, const QDict *qdict)
{
    const char *str = qdict_get_try_str(qdict, "state");
    Error *err = NULL;
    int state = HVPART_PAGE_STATE_UNMAPPED;

    if (str && !hmp_lookup(mon, &HvpartPageState_lookup, "state", str,
                           &state)) {
        return;
    }
    qmp_hvpart_gpa_unmap(qdict_get_int(qdict, "gpa"),
                         qdict_get_int(qdict, "size"), true, state, false, 0,
                         &err);
    hmp_handle_error(mon, err);
}

void hmp_hvpart_vp_resume(Monitor *mon, const QDict *qdict)
{
    Error *err = NULL;
    int action;

    if (hmp_lookup(mon, &HvpartResumeAction_lookup, "action",
                   qdict_get_str(qdict, "action"), &action)) {
        qmp_hvpart_vp_resume(qdict_get_int(qdict, "vp"), action, NULL, &err);
        hmp_handle_error(mon, err);
    }
}

void hmp_hvpart_pool(Monitor *mon, const QDict *qdict)
{
    const char *op = qdict_get_str(qdict, "op");
    bool has_node = qdict_haskey(qdict, "node");
    uint32_t node = has_node ? qdict_get_int(qdict, "node") : 0;
    uint64_t pages = qdict_get_int(qdict, "pages");
    Error *err = NULL;

    if (g_str_equal(op, "deposit")) {
        qmp_hvpart_pool_deposit(pages, has_node, node, &err);
    } else if (g_str_equal(op, "withdraw")) {
        qmp_hvpart_pool_withdraw(pages, has_node, node, &err);
    } else {
        error_setg(&err, "the operation must be 'deposit' or 'withdraw'");
    }
    hmp_handle_error(mon, err);
}
