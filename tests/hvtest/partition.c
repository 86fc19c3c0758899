/*
 * hvtest-partition: a freestanding guest that a host drives in lock-step
 * through a mailbox page (partition-mailbox.h), to test hvpart's partition
 * semantics: page states and rights, intercepts and resume, overlays over
 * restricted pages, the memory pool, and a second VP that keeps running
 * while the first is suspended (or the other way round).
 *
 * The guest itself checks little: it performs what the host asks, one step
 * at a time, and reports what it saw (registers after a probe, bytes it
 * read, hypercall statuses) in the mailbox and on COM1:
 *
 *   HVPART: START hyperv=0|1 mailbox=0x... image_end=0x... tsc_per_ms=N
 *   HVPART: probe op=N name=NAME insn=0x... next=0x... len=N bytes=HEX
 *   HVPART: ready step=N
 *   HVPART: step=N op=NAME a0=0x... a1=0x... a2=0x... a3=0x...
 *   HVPART: vp0 progress=N                      (while VP 1 runs a probe)
 *   HVPART: done step=N r0=0x... r1=0x... r2=0x... r3=0x... fault=0x...
 *   HVPART: FAIL <why>                          (then it exits QEMU)
 *
 * Copyright (c) 2025 qemu-hvpart contributors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "hvtest.h"
#include "hv.h"
#include "vmbus.h"
#include "partition-mailbox.h"
#include "partition.h"

#define GO_TIMEOUT_MS       (1200 * 1000)
#define REPLY_MS            5000
#define AP_TIMEOUT_MS       (600 * 1000)
#define PROGRESS_MS         50
#define VEC_VMBUS           0x50

#define PTE_P               0x001ull
#define PTE_W               0x002ull
#define PTE_A               0x020ull
#define PTE_D               0x040ull
#define PTE_ADDR            0x000ffffffffff000ull

#define LAPIC_BASE          0xfee00000ul
#define LAPIC_ICR_LOW       0x300
#define LAPIC_ICR_HIGH      0x310
#define ICR_BUSY            (1u << 12)
#define ICR_INIT            0x00004500u
#define ICR_STARTUP         0x00004600u
#define AP_APIC_ID          1
#define AP_TRAMPOLINE       0x8000ul

/* The host reads and writes the mailbox while the guest runs. */
static volatile HvptMailbox *const mbox =               /* shared */
    (volatile HvptMailbox *)(uintptr_t)HVPT_MAILBOX_GPA; /* shared */

typedef struct Probe {
    const char *name;
    ProbeFn *fn;
    const uint8_t *insn;
    const uint8_t *next;
} Probe;

static const Probe probes[HVPT_OP_PROBE_COUNT] = {
    [HVPT_OP_READ64] = { "read64", probe_read64, probe_read64_insn,
                         probe_read64_next },
    [HVPT_OP_READ8] = { "read8", probe_read8, probe_read8_insn,
                        probe_read8_next },
    [HVPT_OP_WRITE64] = { "write64", probe_write64, probe_write64_insn,
                          probe_write64_next },
    [HVPT_OP_WRITE32] = { "write32", probe_write32, probe_write32_insn,
                          probe_write32_next },
    [HVPT_OP_WRITE_IMM] = { "write_imm", probe_write_imm,
                            probe_write_imm_insn, probe_write_imm_next },
    [HVPT_OP_RMW64] = { "rmw64", probe_rmw64, probe_rmw64_insn,
                        probe_rmw64_next },
    [HVPT_OP_EXEC] = { "exec", probe_exec, probe_exec_insn,
                       probe_exec_next },
};

static const char *const op_names[] = {
    [HVPT_OP_NOP] = "nop",
    [HVPT_OP_READ64] = "read64",
    [HVPT_OP_READ8] = "read8",
    [HVPT_OP_WRITE64] = "write64",
    [HVPT_OP_WRITE32] = "write32",
    [HVPT_OP_WRITE_IMM] = "write_imm",
    [HVPT_OP_RMW64] = "rmw64",
    [HVPT_OP_EXEC] = "exec",
    [HVPT_OP_PEEK] = "peek",
    [HVPT_OP_MAP4K] = "map4k",
    [HVPT_OP_UNMAP4K] = "unmap4k",
    [HVPT_OP_SIMP] = "simp",
    [HVPT_OP_HYPERCALL_MSR] = "hypercall-msr",
    [HVPT_OP_HYPERCALL] = "hypercall",
    [HVPT_OP_VMBUS_CONNECT] = "vmbus-connect",
    [HVPT_OP_GPADL] = "gpadl",
    [HVPT_OP_AP_START] = "ap-start",
    [HVPT_OP_AP_PROBE] = "ap-probe",
    [HVPT_OP_LOOP] = "loop",
    [HVPT_OP_BENCH_INTERCEPTS] = "bench-intercepts",
    [HVPT_OP_BENCH_STREAM] = "bench-stream",
    [HVPT_OP_BENCH_STRIDE] = "bench-stride",
    [HVPT_OP_EXIT] = "exit",
    [HVPT_OP_SCAN] = "scan",
};

static bool hyperv;
static uint32_t vmbus_conn;

/* What VP 0 asks VP 1 to do; VP 1 answers in the same structure. */
static volatile struct {               /* shared by the VPs */
    uint64_t seq;               /* VP 0: request number */
    uint64_t done;              /* VP 1: last request finished */
    uint64_t op, gva, value;    /* VP 0 */
    uint64_t rax, cont;         /* VP 1 */
} ap;

typedef struct IdtDesc {
    uint16_t limit;
    uint64_t base;
} PACKED IdtDesc;

static IdtDesc bsp_idt;

static void fail_exit(const char *why) __attribute__((noreturn));

static void fail_exit(const char *why)
{
    printf("HVPART: FAIL %s\n", why);
    hv_exit(1);
}

static const char *op_name(uint64_t op)
{
    if (op < ARRAY_SIZE(op_names) && op_names[op]) {
        return op_names[op];
    }
    return "unknown";
}

static bool is_probe(uint64_t op)
{
    return op >= HVPT_OP_READ64 && op < HVPT_OP_PROBE_COUNT;
}

static uint64_t read_cr3(void)
{
    uint64_t v;

    asm volatile("mov %%cr3, %0" : "=r"(v));
    return v;
}

static void write_cr3(uint64_t v)
{
    asm volatile("mov %0, %%cr3" : : "r"(v) : "memory");
}

static void invlpg(uint64_t gva)
{
    asm volatile("invlpg (%0)" : : "r"(gva) : "memory");
}

static uint64_t run_probe(uint64_t op, uint64_t gva, uint64_t value,
                          uint64_t *cont)
{
    return probes[op].fn(gva, value, cont);
}

/* The tables of a MAP4K mapping: index 256 of the identity map's PDPT. */
static uint64_t *table_below(uint64_t *table, unsigned index, bool create)
{
    if (!(table[index] & PTE_P)) {
        if (!create) {
            return NULL;
        }
        table[index] = gpa_of(page_alloc()) | PTE_P | PTE_W;
    }
    return (uint64_t *)(uintptr_t)(table[index] & PTE_ADDR);
}

static void op_map4k(uint64_t gva, uint64_t gpa, uint64_t *res)
{
    uint64_t *pml4 = (uint64_t *)(uintptr_t)(read_cr3() & PTE_ADDR);
    uint64_t *pdpt = table_below(pml4, 0, false);
    uint64_t *pd, *pt;

    if (gva < HVPT_MAP4K_GVA_BASE || gva >= HVPT_MAP4K_GVA_END ||
        (gva & (PAGE_SIZE - 1)) || (gpa & (PAGE_SIZE - 1))) {
        fail_exit("map4k: GVA outside the MAP4K window or unaligned");
    }
    pd = table_below(pdpt, (gva >> 30) & 511, true);
    pt = table_below(pd, (gva >> 21) & 511, true);
    pt[(gva >> 12) & 511] = gpa | PTE_P | PTE_W;
    mb();
    invlpg(gva);
    res[0] = gpa_of(&pt[(gva >> 12) & 511]);
    res[1] = gpa_of(pt);
    res[2] = gpa_of(pd);
}

static void op_unmap4k(uint64_t gva)
{
    uint64_t *pml4 = (uint64_t *)(uintptr_t)(read_cr3() & PTE_ADDR);
    uint64_t *pdpt = table_below(pml4, 0, false);
    uint64_t *pd = table_below(pdpt, (gva >> 30) & 511, false);
    uint64_t *pt = pd ? table_below(pd, (gva >> 21) & 511, false) : NULL;

    if (pt) {
        pt[(gva >> 12) & 511] = 0;
        mb();
        invlpg(gva);
    }
}

/* NO_FAULT (-1) becomes 0, a vector v becomes HVPT_FAULT_BASE + v. */
static uint64_t msr_status(int r)
{
    return r == NO_FAULT ? 0 : HVPT_FAULT_BASE + (uint64_t)r;
}

static uint64_t hypercall_at(uint64_t page, uint64_t control, uint64_t in,
                             uint64_t out)
{
    register uint64_t r8 asm("r8") = out;
    uint64_t result;

    asm volatile("call *%[page]"
                 : "=a"(result), "+c"(control), "+d"(in), "+r"(r8)
                 : [page] "r"(page)
                 : "r9", "r10", "r11", "memory", "cc");
    return result;
}

/* The next message in the VMBus SINT's slot, within REPLY_MS; acked. */
static bool vmbus_take(uint8_t *buf, uint32_t *size)
{
    HvMessage *slot;

    if (!hv.simp) {
        return false;
    }
    slot = synic_slot(VMBUS_SINT);
    if (!WAIT_FOR(slot->type != 0, REPLY_MS)) {
        return false;
    }
    *size = MIN(slot->payload_size, HV_MESSAGE_PAYLOAD_MAX);
    memcpy(buf, slot->payload, *size);
    synic_ack(VMBUS_SINT);
    return true;
}

static void op_vmbus_connect(uint64_t *res)
{
    VmbusInitiateContact ic;
    VmbusVersionResponse vr;
    uint8_t buf[HV_MESSAGE_PAYLOAD_MAX];
    uint32_t size;
    uint16_t st;

    if (!hv_hypercall_setup() || !synic_setup(VMBUS_SINT, VEC_VMBUS)) {
        res[0] = ~0ull;
        return;
    }
    memset(&ic, 0, sizeof(ic));
    ic.hdr.type = VMBUS_MSG_INITIATE_CONTACT;
    ic.version = VMBUS_VERSION_5_3;
    ic.target_vcpu = 0;
    ic.msg_sint = VMBUS_SINT;
    st = hv_post_message(VMBUS_CONN_V5, VMBUS_SYNIC_MSG_TYPE, &ic,
                         sizeof(ic));
    if (st != HV_STATUS_SUCCESS || !vmbus_take(buf, &size) ||
        size < sizeof(vr)) {
        res[0] = ~0ull;
        res[1] = st;
        return;
    }
    memcpy(&vr, buf, sizeof(vr));
    res[0] = vr.hdr.type == VMBUS_MSG_VERSION_RESPONSE ?
             vr.version_supported : ~0ull;
    res[1] = vr.msg_conn_id;
    vmbus_conn = vr.msg_conn_id;
}

static void op_gpadl(uint32_t id, uint64_t gpa, uint64_t *res)
{
    struct {
        VmbusGpadlHeader h;
        uint32_t byte_count, byte_offset;
        uint64_t pfn;
    } PACKED msg;
    VmbusGpadlCreated c;
    uint8_t buf[HV_MESSAGE_PAYLOAD_MAX];
    uint32_t size;

    memset(&msg, 0, sizeof(msg));
    msg.h.hdr.type = VMBUS_MSG_GPADL_HEADER;
    msg.h.child_relid = 0;
    msg.h.gpadl = id;
    msg.h.range_buflen = 8 + 8;
    msg.h.rangecount = 1;
    msg.byte_count = PAGE_SIZE;
    msg.byte_offset = 0;
    msg.pfn = gpa >> 12;
    res[0] = hv_post_message(vmbus_conn, VMBUS_SYNIC_MSG_TYPE, &msg,
                             sizeof(msg));
    res[1] = ~0ull;
    if (res[0] != HV_STATUS_SUCCESS) {
        return;
    }
    if (vmbus_take(buf, &size) && size >= sizeof(c)) {
        memcpy(&c, buf, sizeof(c));
        if (c.hdr.type == VMBUS_MSG_GPADL_CREATED && c.gpadl == id) {
            res[1] = c.status;
        } else {
            res[1] = 0xbad00000ull | c.hdr.type;
        }
    }
}

/* The second VP */

static void lapic_icr(uint32_t high, uint32_t low)
{
    volatile uint32_t *icr_low =                        /* MMIO */
        (volatile uint32_t *)(LAPIC_BASE + LAPIC_ICR_LOW); /* MMIO */
    volatile uint32_t *icr_high =                       /* MMIO */
        (volatile uint32_t *)(LAPIC_BASE + LAPIC_ICR_HIGH); /* MMIO */

    *icr_high = high;
    *icr_low = low;
    WAIT_FOR(!(*icr_low & ICR_BUSY), 100);
}

void ap_main(void)
{
    uint64_t seen = 0;

    asm volatile("lidt %0" : : "m"(bsp_idt));
    mbox->ap_state = 1;
    for (;;) {
        uint64_t seq, cont = 0, rax;

        while ((seq = ap.seq) == seen) {
            cpu_relax();
        }
        seen = seq;
        rax = is_probe(ap.op) ? run_probe(ap.op, ap.gva, ap.value, &cont) : 0;
        ap.rax = rax;
        ap.cont = cont;
        mb();
        ap.done = seq;
    }
}

static void op_ap_start(uint64_t *res)
{
    uint32_t cr3_off = ap_cr3_slot - ap_tramp_start;

    if (mbox->ap_state) {
        res[0] = 1;
        return;
    }
    asm volatile("sidt %0" : "=m"(bsp_idt));
    memcpy((void *)AP_TRAMPOLINE, ap_tramp_start,
           ap_tramp_end - ap_tramp_start);
    /* VP 1 reads it */
    *(volatile uint32_t *)(AP_TRAMPOLINE + cr3_off) = read_cr3(); /* ditto */
    mb();
    lapic_enable();
    lapic_icr(AP_APIC_ID << 24, ICR_INIT);
    delay_ms(10);
    lapic_icr(AP_APIC_ID << 24, ICR_STARTUP | (AP_TRAMPOLINE >> 12));
    delay_ms(1);
    if (!mbox->ap_state) {
        lapic_icr(AP_APIC_ID << 24, ICR_STARTUP | (AP_TRAMPOLINE >> 12));
    }
    WAIT_FOR(mbox->ap_state, REPLY_MS);
    res[0] = mbox->ap_state;
}

static void op_ap_probe(uint64_t op, uint64_t gva, uint64_t value,
                        uint64_t *res)
{
    Deadline dl = deadline_in_ms(AP_TIMEOUT_MS);
    uint64_t count = 0, next_print, seq;

    if (!mbox->ap_state || !is_probe(op)) {
        res[0] = res[1] = ~0ull;
        return;
    }
    ap.op = op;
    ap.gva = gva;
    ap.value = value;
    mb();
    seq = ap.seq + 1;
    ap.seq = seq;
    next_print = rdtsc() + tsc_per_ms * PROGRESS_MS;
    while (ap.done != seq) {
        count++;
        mbox->progress = count;
        if ((int64_t)(rdtsc() - next_print) >= 0) {
            printf("HVPART: vp0 progress=%lu\n", count);
            next_print = rdtsc() + tsc_per_ms * PROGRESS_MS;
        }
        if (deadline_passed(&dl)) {
            fail_exit("ap-probe: VP 1 did not finish");
        }
    }
    res[0] = ap.rax;
    res[1] = ap.cont;
    res[2] = count;
}

static void op_loop(uint64_t step, uint64_t op, uint64_t gva, uint64_t value,
                    uint64_t *res)
{
    uint64_t i = 0, cont;

    if (!is_probe(op)) {
        res[0] = ~0ull;
        return;
    }
    mbox->progress = 0;
    while (mbox->stop != step) {
        run_probe(op, gva, value + i, &cont);
        i++;
        mbox->progress = i;
    }
    res[0] = i;
}

static void op_bench_intercepts(uint64_t gva, uint64_t count, uint64_t *res)
{
    uint64_t t0 = rdtsc(), i, cont;

    for (i = 0; i < count; i++) {
        probe_read64(gva, 0, &cont);
    }
    res[0] = rdtsc() - t0;
    res[1] = tsc_per_ms;
}

/* One pass of the stream loop: 64 qwords of every page, in order. */
static uint64_t bench_stream_pass(volatile uint64_t *buf, /* see caller */
                                  uint64_t npages, uint64_t pass,
                                  uint64_t flush_every)
{
    uint64_t i, k, sum = 0, cr3 = read_cr3();

    for (i = 0; i < npages; i++) {
        volatile uint64_t *page = buf + i * (PAGE_SIZE / 8); /* ditto */

        for (k = 0; k < PAGE_SIZE / 8; k += 8) {
            uint64_t x = page[k] * 6364136223846793005ull + pass + k;

            page[k] = x;
            sum += x >> 17;
        }
        if (flush_every && i % flush_every == 0) {
            write_cr3(cr3);
        }
    }
    return sum;
}

/* One pass of the stride loop: one qword per page, TLB flushes. */
static uint64_t bench_stride_pass(volatile uint64_t *buf, /* see caller */
                                  uint64_t npages, uint64_t pass,
                                  uint64_t flush_every)
{
    uint64_t i, sum = 0, cr3 = read_cr3();

    for (i = 0; i < npages; i++) {
        volatile uint64_t *q = buf + i * (PAGE_SIZE / 8) + /* ditto */
                               ((i * 7 + pass) & 511);
        uint64_t x = *q;
        int k;

        for (k = 0; k < 8; k++) {
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            sum += x >> 17;
        }
        *q = x;
        if (flush_every && i % flush_every == 0) {
            write_cr3(cr3);
        }
    }
    return sum;
}

static void op_bench_loop(bool stride, uint64_t gva, uint64_t size,
                          uint64_t passes, uint64_t flush_every,
                          uint64_t *res)
{
    /* Every access must happen: the point of the loop. */
    volatile uint64_t *buf = (volatile uint64_t *)(uintptr_t)gva; /* ditto */
    uint64_t npages = size / PAGE_SIZE, pass, i, sum = 0, t0, t1;
    uint64_t min_pass = 0;

    /* The same start every time: the checksum depends on nothing else. */
    for (i = 0; i < npages * (PAGE_SIZE / 8); i++) {
        buf[i] = 0;
    }
    printf("HVPART: bench-loop-start %s pages=%lu passes=%lu flush=%lu\n",
           stride ? "stride" : "stream", npages, passes, flush_every);
    t0 = rdtsc();
    for (pass = 0; pass < passes; pass++) {
        uint64_t tp = rdtsc();

        sum += stride ? bench_stride_pass(buf, npages, pass, flush_every) :
                        bench_stream_pass(buf, npages, pass, flush_every);
        tp = rdtsc() - tp;
        if (!pass || tp < min_pass) {
            min_pass = tp;
        }
    }
    t1 = rdtsc();
    printf("HVPART: bench-loop-end ticks=%lu tsc_per_ms=%lu sum=0x%lx\n",
           t1 - t0, tsc_per_ms, sum);
    res[0] = t1 - t0;
    res[1] = tsc_per_ms;
    res[2] = sum;
    res[3] = min_pass;
}

static void op_scan(uint64_t start, uint64_t end, uint64_t w0, uint64_t w1,
                    uint64_t *res)
{
    uint64_t gpa;

    res[0] = 0;
    res[1] = ~0ull;
    res[2] = 0;
    if (end > (4ull << 30)) {
        end = 4ull << 30;
    }
    start &= ~(uint64_t)(PAGE_SIZE - 1);
    for (gpa = start; gpa < end; gpa += PAGE_SIZE) {
        /* volatile: every page is really read, in order */
        volatile const uint64_t *w = (volatile const uint64_t *)gpa;

        if (w[0] == w0 && w[1] == w1) {
            if (!res[0]++) {
                res[1] = gpa;
            }
        }
        res[2]++;
    }
}

static void __attribute__((noinline)) run_op(uint64_t step, uint64_t op,
                                             const uint64_t *a, uint64_t *res)
{
    uint64_t cont = 0;
    uint32_t i, n;

    switch (op) {
    case HVPT_OP_NOP:
        break;
    case HVPT_OP_PEEK:
        n = MIN(a[1], sizeof(mbox->data));
        for (i = 0; i < n; i++) {
            /* byte by byte, each read once, as the host asked */
            mbox->data[i] = ((volatile uint8_t *)(uintptr_t)a[0])[i]; /* ... */
        }
        break;
    case HVPT_OP_MAP4K:
        op_map4k(a[0], a[1], res);
        break;
    case HVPT_OP_UNMAP4K:
        op_unmap4k(a[0]);
        break;
    case HVPT_OP_SIMP:
        res[0] = msr_status(wrmsr_safe(HV_MSR_SIMP, a[0]));
        if (!res[0]) {
            hv.simp = (a[0] & HV_PAGE_ENABLE) ?
                      (HvMessage *)(uintptr_t)(a[0] & PTE_ADDR) : NULL;
        }
        break;
    case HVPT_OP_HYPERCALL_MSR:
        if (rdmsr(HV_MSR_GUEST_OS_ID) == 0) {
            wrmsr(HV_MSR_GUEST_OS_ID, HVTEST_GUEST_OS_ID);
        }
        res[0] = msr_status(wrmsr_safe(HV_MSR_HYPERCALL, a[0]));
        if (!res[0]) {
            hv.hypercall_page = (a[0] & HV_PAGE_ENABLE) ?
                                (uint8_t *)(uintptr_t)(a[0] & PTE_ADDR) :
                                NULL;
        }
        break;
    case HVPT_OP_HYPERCALL:
        res[0] = hypercall_at(a[0], a[1], 0, 0);
        break;
    case HVPT_OP_VMBUS_CONNECT:
        op_vmbus_connect(res);
        break;
    case HVPT_OP_GPADL:
        op_gpadl(a[0], a[1], res);
        break;
    case HVPT_OP_AP_START:
        op_ap_start(res);
        break;
    case HVPT_OP_AP_PROBE:
        op_ap_probe(a[0], a[1], a[2], res);
        break;
    case HVPT_OP_LOOP:
        op_loop(step, a[0], a[1], a[2], res);
        break;
    case HVPT_OP_BENCH_INTERCEPTS:
        op_bench_intercepts(a[0], a[1], res);
        break;
    case HVPT_OP_BENCH_STREAM:
    case HVPT_OP_BENCH_STRIDE:
        op_bench_loop(op == HVPT_OP_BENCH_STRIDE, a[0], a[1], a[2], a[3],
                      res);
        break;
    case HVPT_OP_SCAN:
        op_scan(a[0], a[1], a[2], a[3], res);
        break;
    case HVPT_OP_EXIT:
        printf("HVPART: EXIT code=%lu\n", a[0]);
        hv_exit(a[0]);
    default:
        if (!is_probe(op)) {
            fail_exit("unknown op");
        }
        res[0] = run_probe(op, a[0], a[1], &cont);
        res[1] = cont;
        break;
    }
}

/*
 * run_op() with an exception caught: returns 0, or HVPT_FAULT_BASE + the
 * vector with *@fault_rip set.
 */
static uint64_t run_guarded(uint64_t step, uint64_t op, const uint64_t *a,
                            uint64_t *res, uint64_t *fault_rip)
{
    HvJmpBuf recover;

    if (hv_setjmp(&recover) == 0) {
        /* VP 1 must not jump into VP 0's recovery point. */
        trap_set_recovery(op == HVPT_OP_AP_PROBE ? NULL : &recover);
        run_op(step, op, a, res);
        trap_set_recovery(NULL);
        return 0;
    }
    trap_set_recovery(NULL);
    *fault_rip = trap_unexpected.rip;
    if (hv.simp) {
        irq_enable();
    }
    return HVPT_FAULT_BASE + trap_unexpected.vector;
}

static void print_probes(void)
{
    uint64_t op;

    for (op = HVPT_OP_READ64; op < HVPT_OP_PROBE_COUNT; op++) {
        const Probe *p = &probes[op];
        uint64_t len = p->next - p->insn, i;
        char hex[2 * 16 + 1];

        for (i = 0; i < len && i < 16; i++) {
            snprintf(hex + 2 * i, 3, "%02x", p->insn[i]);
        }
        hex[2 * i] = '\0';
        printf("HVPART: probe op=%lu name=%s insn=0x%lx next=0x%lx len=%lu "
               "bytes=%s\n", op, p->name, (uint64_t)(uintptr_t)p->insn,
               (uint64_t)(uintptr_t)p->next, len, hex);
    }
    printf("HVPART: probe-alt rip=0x%lx\n",
           (uint64_t)(uintptr_t)probe_alt);
}

void hvtest_main(void)
{
    uint64_t step;

    serial_init();
    pic_mask_all();
    trap_init();
    memset((void *)mbox, 0, PAGE_SIZE);
    hyperv = (cpuid(1, 0).ecx & CPUID1_ECX_HYPERVISOR) &&
             cpuid(HV_LEAF_VENDOR, 0).ebx == 0x7263694d;    /* "Micr" */
    if (hyperv) {
        hv.max_leaf = cpuid(HV_LEAF_VENDOR, 0).eax;
        hv.features = cpuid(HV_LEAF_FEATURES, 0);
        hv.hints = cpuid(HV_LEAF_HINTS, 0);
        time_init(hv_has_a(HV_A_TIME_REF_COUNT), hv_has_a(HV_A_FREQUENCY));
    }
    printf("\nHVPART: START hyperv=%d mailbox=0x%lx image_end=0x%lx "
           "tsc_per_ms=%lu\n", hyperv, (uint64_t)HVPT_MAILBOX_GPA,
           (uint64_t)(uintptr_t)__bss_end, tsc_per_ms);
    print_probes();
    mbox->magic = HVPT_MAILBOX_MAGIC;

    for (step = 1;; step++) {
        Deadline dl = deadline_in_ms(GO_TIMEOUT_MS);
        uint64_t op, a[4], res[4] = { 0, 0, 0, 0 }, fault, fault_rip = 0;
        int i;

        printf("HVPART: ready step=%lu\n", step);
        mb();
        mbox->ready = step;
        while (mbox->go != step) {
            if (deadline_passed(&dl)) {
                fail_exit("no go from the host");
            }
            cpu_relax();
        }
        mb();
        op = mbox->op;
        for (i = 0; i < 4; i++) {
            a[i] = mbox->arg[i];
        }
        if (is_probe(op)) {
            printf("HVPART: step=%lu op=%s a0=0x%lx a1=0x%lx rip=0x%lx "
                   "len=%lu\n", step, op_name(op), a[0], a[1],
                   (uint64_t)(uintptr_t)probes[op].insn,
                   (uint64_t)(probes[op].next - probes[op].insn));
        } else {
            printf("HVPART: step=%lu op=%s a0=0x%lx a1=0x%lx a2=0x%lx "
                   "a3=0x%lx\n", step, op_name(op), a[0], a[1], a[2], a[3]);
        }
        fault = run_guarded(step, op, a, res, &fault_rip);
        for (i = 0; i < 4; i++) {
            mbox->res[i] = res[i];
        }
        mbox->fault = fault;
        mbox->fault_rip = fault_rip;
        mb();
        mbox->done = step;
        printf("HVPART: done step=%lu r0=0x%lx r1=0x%lx r2=0x%lx r3=0x%lx "
               "fault=0x%lx rip=0x%lx\n", step, res[0], res[1], res[2],
               res[3], fault, fault_rip);
    }
}
