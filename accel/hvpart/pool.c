/*
 * qemu-hvpart: the partition's memory pool.
 *
 * The parent deposits pages for the hypervisor's own use on the partition's
 * behalf and may withdraw what is unused. Operations that need hypervisor
 * memory draw from the pool of the NUMA node they concern and give it back
 * when undone; an operation the balance cannot cover fails
 * (HV_STATUS_INSUFFICIENT_MEMORY for a guest's hypercall). The costs are
 * set in hvpart.h.
 *
 * The pages are real: a deposit maps fresh anonymous host memory outside
 * every RAMBlock, so no GPA of any partition (guest RAM, ROM, VRAM,
 * overlay pages) can reach it; a withdrawal unmaps it. An operation takes
 * its pages from the node's free list and gives them back when undone.
 * Every page starts with a header that names it (HvpartPoolPageHeader), so
 * that a guest scanning its whole address space for the header proves the
 * invariant (tests/qtest/hvpart-intercept-test.c, "pool-isolation"). The
 * hypervisor state the pages pay for lives in QEMU's own structures.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include <sys/mman.h>
#include "qapi/error.h"
#include "qapi/qapi-commands-hvpart.h"
#include "qemu/bswap.h"
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

#define POOL_PAGE_SIZE              4096

/* One deposit at most: 1 Mi pages (4 GiB). */
#define HVPART_POOL_MAX_DEPOSIT     (1ull << 20)
/* An incoming migration's pool, per node, at most: 64 GiB. */
#define HVPART_POOL_MAX_LOADED      (16ull << 20)

/*
 * The start of every pool page, little-endian. The tests know the magic;
 * nothing else reads it.
 */
typedef struct HvpartPoolPageHeader {
    char magic[16];                 /* HVPART_POOL_PAGE_MAGIC, no NUL */
    uint32_t node;
    uint32_t reserved;
    uint64_t serial;                /* per node, from 1 */
} HvpartPoolPageHeader;

#define HVPART_POOL_PAGE_MAGIC      "HVPART POOL PAGE"

typedef struct HvpartPoolNode_ {
    GPtrArray *free;                /* pages deposited and not used */
    GPtrArray *used;                /* pages an operation holds */
    uint64_t serial;
} HvpartPoolNode_;

typedef struct HvpartPool {
    uint32_t nodes;
    HvpartPoolNode_ node[MAX_NODES];
    /* For VMState only: the counts of node[].free and node[].used. */
    uint64_t balance[MAX_NODES];
    uint64_t used[MAX_NODES];
} HvpartPool;

static HvpartPool pool;
static uint32_t pool_vps;

/* Map @pages fresh pages onto node @n's free list. */
static bool pool_add_pages(uint32_t n, uint64_t pages, Error **errp)
{
    HvpartPoolNode_ *pn = &pool.node[n];
    uint8_t *chunk;
    uint64_t i;

    if (pages > SIZE_MAX / POOL_PAGE_SIZE) {
        error_setg(errp, "cannot map %" PRIu64 " pool pages", pages);
        return false;
    }
    chunk = mmap(NULL, pages * POOL_PAGE_SIZE, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (chunk == MAP_FAILED) {
        error_setg_errno(errp, errno, "cannot map %" PRIu64 " pool pages "
                         "for node %u", pages, n);
        return false;
    }
    for (i = 0; i < pages; i++) {
        HvpartPoolPageHeader *h = (void *)(chunk + i * POOL_PAGE_SIZE);

        memcpy(h->magic, HVPART_POOL_PAGE_MAGIC, sizeof(h->magic));
        h->node = cpu_to_le32(n);
        h->serial = cpu_to_le64(++pn->serial);
        g_ptr_array_add(pn->free, h);
    }
    return true;
}

/* Unmap @pages pages of node @n's free list (the caller checked). */
static void pool_remove_pages(uint32_t n, uint64_t pages)
{
    GPtrArray *free = pool.node[n].free;

    while (pages--) {
        munmap(g_ptr_array_steal_index_fast(free, free->len - 1),
               POOL_PAGE_SIZE);
    }
}

/* Move @pages pages from one list to the other (the caller checked). */
static void pool_move_pages(GPtrArray *from, GPtrArray *to, uint64_t pages)
{
    while (pages--) {
        g_ptr_array_add(to, g_ptr_array_steal_index_fast(from,
                                                         from->len - 1));
    }
}

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
        pool.node[n].free = g_ptr_array_new();
        pool.node[n].used = g_ptr_array_new();
        if (!pool_add_pages(n, pool_vps * HVPART_POOL_COST_VP_SYNIC +
                            HVPART_POOL_DEFAULT_SLACK, NULL)) {
            /* An empty pool: VP creation reports it. */
            trace_hvpart_pool_short(n, HVPART_POOL_DEFAULT_SLACK, 0);
        }
    }
}

static uint32_t pool_node(uint32_t node)
{
    pool_setup();
    return node < pool.nodes ? node : 0;
}

static uint64_t pool_balance(uint32_t n)
{
    return pool.node[n].free->len;
}

bool hvpart_pool_charge(uint32_t node, uint64_t pages)
{
    node = pool_node(node);
    if (pool_balance(node) < pages) {
        trace_hvpart_pool_short(node, pages, pool_balance(node));
        return false;
    }
    pool_move_pages(pool.node[node].free, pool.node[node].used, pages);
    return true;
}

void hvpart_pool_release(uint32_t node, uint64_t pages)
{
    node = pool_node(node);
    pages = MIN(pages, pool.node[node].used->len);
    pool_move_pages(pool.node[node].used, pool.node[node].free, pages);
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
    if (!pages || pages > HVPART_POOL_MAX_DEPOSIT) {
        error_setg(errp, "'pages' must be 1 to %llu per deposit",
                   HVPART_POOL_MAX_DEPOSIT);
        return;
    }
    if (!pool_add_pages(node, pages, errp)) {
        return;
    }
    trace_hvpart_pool_deposit(node, pages, pool_balance(node));
}

void qmp_hvpart_pool_withdraw(uint64_t pages, bool has_node, uint32_t node,
                              Error **errp)
{
    if (!pool_node_arg(has_node, &node, errp)) {
        return;
    }
    if (!pages || pages > pool_balance(node)) {
        error_setg(errp, "'pages' %" PRIu64 " is beyond node %u's balance "
                   "of %" PRIu64 " unused pages", pages, node,
                   pool_balance(node));
        return;
    }
    pool_remove_pages(node, pages);
    trace_hvpart_pool_withdraw(node, pages, pool_balance(node));
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
        e->balance = pool_balance(n);
        e->used = pool.node[n].used->len;
        QAPI_LIST_APPEND(tail, e);
    }
    return list;
}

static int pool_pre_save(void *opaque)
{
    uint32_t n;

    pool_setup();
    for (n = 0; n < MAX_NODES; n++) {
        pool.balance[n] = n < pool.nodes ? pool_balance(n) : 0;
        pool.used[n] = n < pool.nodes ? pool.node[n].used->len : 0;
    }
    return 0;
}

static int pool_pre_load(void *opaque)
{
    pool_setup();
    return 0;
}

/* Make each node's lists as long as the source's. */
static int pool_post_load(void *opaque, int version_id)
{
    uint64_t total, have;
    uint32_t n;

    for (n = 0; n < pool.nodes; n++) {
        GPtrArray *free = pool.node[n].free, *used = pool.node[n].used;

        /* The stream is untrusted: no more than QMP could have deposited. */
        if (pool.balance[n] > HVPART_POOL_MAX_LOADED ||
            pool.used[n] > HVPART_POOL_MAX_LOADED - pool.balance[n]) {
            return -EINVAL;
        }
        total = pool.balance[n] + pool.used[n];
        have = free->len + used->len;
        if (total > have &&
            !pool_add_pages(n, total - have, NULL)) {
            return -ENOMEM;
        }
        if (used->len > pool.used[n]) {
            pool_move_pages(used, free, used->len - pool.used[n]);
        } else {
            pool_move_pages(free, used, pool.used[n] - used->len);
        }
        if (free->len > pool.balance[n]) {
            pool_remove_pages(n, free->len - pool.balance[n]);
        }
    }
    return 0;
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
