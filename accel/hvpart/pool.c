/*
 * qemu-hvpart: the partition's memory pool.
 *
 * The parent deposits pages for the hypervisor's own use on the partition's
 * behalf and may withdraw what is unused. Operations that need hypervisor
 * memory draw from the pool of the NUMA node they concern and give it back
 * when undone; an operation the balance cannot cover fails
 * (HV_STATUS_INSUFFICIENT_MEMORY for a guest's hypercall). The costs are
 * set in hvpart.h. Pool pages hold hypervisor state only: no GPA of the
 * partition reaches them (the pages are accounted here; the state itself
 * lives in QEMU's own memory, never in guest RAM).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/qapi-commands-hvpart.h"
#include "hw/boards.h"
#include "migration/vmstate.h"
#include "system/hvpart.h"
#include "system/numa.h"
#include "target/i386/cpu.h"
#include "accel/hvpart/hvpart.h"
#include "accel/hvpart/hvpart-internal.h"
#include "trace.h"

/* The parent's default deposit on top of what the VPs need at creation. */
#define HVPART_POOL_DEFAULT_SLACK   4096        /* 16 MiB */

typedef struct HvpartPool {
    uint32_t nodes;
    uint64_t balance[MAX_NODES];
    uint64_t used[MAX_NODES];
} HvpartPool;

static HvpartPool pool;
static uint32_t pool_vps;

/*
 * The NUMA nodes are known only once -numa is parsed, after the
 * accelerator starts: set the pool up at its first use (the first VP).
 */
static void pool_setup(void)
{
    MachineState *ms = current_machine;
    uint32_t n;

    if (pool.nodes) {
        return;
    }
    pool.nodes = ms->numa_state && ms->numa_state->num_nodes ?
                 ms->numa_state->num_nodes : 1;
    /* Enough for every VP's SynIC, and room for GPADLs, per node. */
    for (n = 0; n < pool.nodes; n++) {
        pool.balance[n] = pool_vps * HVPART_POOL_COST_VP_SYNIC +
                          HVPART_POOL_DEFAULT_SLACK;
    }
}

static uint32_t pool_node(uint32_t node)
{
    pool_setup();
    return node < pool.nodes ? node : 0;
}

bool hvpart_pool_charge(uint32_t node, uint64_t pages)
{
    node = pool_node(node);
    if (pool.balance[node] < pages) {
        trace_hvpart_pool_short(node, pages, pool.balance[node]);
        return false;
    }
    pool.balance[node] -= pages;
    pool.used[node] += pages;
    return true;
}

void hvpart_pool_release(uint32_t node, uint64_t pages)
{
    node = pool_node(node);
    pages = MIN(pages, pool.used[node]);
    pool.used[node] -= pages;
    pool.balance[node] += pages;
}

uint32_t hvpart_cpu_node(CPUState *cs)
{
    return cs && X86_CPU(cs)->node_id >= 0 ? X86_CPU(cs)->node_id : 0;
}

uint32_t hvpart_vp_node(uint32_t vp_index)
{
    return hvpart_cpu_node(hvpart_vp_cpu(vp_index));
}

void hvpart_pool_init(MachineState *ms)
{
    pool_vps = ms->smp.max_cpus;
}

static bool pool_node_arg(bool has_node, uint32_t *node, Error **errp)
{
    if (!hvpart_enabled()) {
        error_setg(errp, "this QEMU does not run with -accel hvpart");
        return false;
    }
    pool_setup();
    if (!has_node) {
        *node = 0;
    } else if (*node >= pool.nodes) {
        error_setg(errp, "'node' %u does not exist (the partition has %u)",
                   *node, pool.nodes);
        return false;
    }
    return true;
}

void qmp_hvpart_pool_deposit(uint64_t pages, bool has_node, uint32_t node,
                             Error **errp)
{
    if (!pool_node_arg(has_node, &node, errp)) {
        return;
    }
    if (!pages || pool.balance[node] + pages < pool.balance[node]) {
        error_setg(errp, "'pages' must be at least 1 and keep the balance "
                   "finite");
        return;
    }
    pool.balance[node] += pages;
    trace_hvpart_pool_deposit(node, pages, pool.balance[node]);
}

void qmp_hvpart_pool_withdraw(uint64_t pages, bool has_node, uint32_t node,
                              Error **errp)
{
    if (!pool_node_arg(has_node, &node, errp)) {
        return;
    }
    if (!pages || pages > pool.balance[node]) {
        error_setg(errp, "'pages' %" PRIu64 " is beyond node %u's balance "
                   "of %" PRIu64 " unused pages", pages, node,
                   pool.balance[node]);
        return;
    }
    pool.balance[node] -= pages;
    trace_hvpart_pool_withdraw(node, pages, pool.balance[node]);
}

HvpartPoolNodeList *qmp_query_hvpart_pool(Error **errp)
{
    HvpartPoolNodeList *list = NULL, **tail = &list;
    uint32_t n;

    if (!hvpart_enabled()) {
        error_setg(errp, "this QEMU does not run with -accel hvpart");
        return NULL;
    }
    pool_setup();
    for (n = 0; n < pool.nodes; n++) {
        HvpartPoolNode *e = g_new0(HvpartPoolNode, 1);

        e->node = n;
        e->balance = pool.balance[n];
        e->used = pool.used[n];
        QAPI_LIST_APPEND(tail, e);
    }
    return list;
}

static int pool_pre_save(void *opaque)
{
    pool_setup();
    return 0;
}

static int pool_pre_load(void *opaque)
{
    pool_setup();
    return 0;
}

static int pool_post_load(void *opaque, int version_id)
{
    return pool.nodes >= 1 && pool.nodes <= MAX_NODES ? 0 : -EINVAL;
}

static const VMStateDescription vmstate_pool = {
    .name = "hvpart-pool",
    .version_id = 1,
    .minimum_version_id = 1,
    .pre_save = pool_pre_save,
    .pre_load = pool_pre_load,
    .post_load = pool_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32_EQUAL(nodes, HvpartPool, NULL),
        VMSTATE_UINT64_ARRAY(balance, HvpartPool, MAX_NODES),
        VMSTATE_UINT64_ARRAY(used, HvpartPool, MAX_NODES),
        VMSTATE_END_OF_LIST()
    },
};

void hvpart_pool_register(void)
{
    vmstate_register(NULL, 0, &vmstate_pool, &pool);
}
