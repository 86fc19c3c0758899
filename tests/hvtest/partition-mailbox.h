/*
 * hvtest-partition: the mailbox through which a host (the qtest
 * tests/qtest/hvpart-intercept-test.c, or tests/bench/bench-partition.py)
 * drives the partition test guest in lock-step.
 *
 * The mailbox is one page of guest RAM at the fixed guest physical (and,
 * identity-mapped, virtual) address HVPT_MAILBOX_GPA. Both sides only use
 * naturally aligned 64-bit words, so a host can use qtest's readq/writeq or
 * hvpart-read-gpa/hvpart-write-gpa on them. A step goes:
 *
 *   guest: prints "HVPART: ready step=N", writes ready = N
 *   host:  writes op and arg[], changes rights or whatever the step needs,
 *          then writes go = N
 *   guest: prints "HVPART: step=N op=NAME ...", performs the operation
 *          (which may raise intercepts the host resumes), writes res[],
 *          fault, fault_rip, then done = N, prints "HVPART: done step=N ..."
 *
 * Steps are numbered from 1. This header is shared by the freestanding guest
 * and its hosts: it only uses <stdint.h>.
 *
 * Copyright (c) 2025 qemu-hvpart contributors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HVTEST_PARTITION_MAILBOX_H
#define HVTEST_PARTITION_MAILBOX_H

#include <stdint.h>

/* 15 MiB: above the image (1 MiB) and below the page pool (16 MiB). */
#define HVPT_MAILBOX_GPA        0x00f00000ull
#define HVPT_MAILBOX_MAGIC      0x424d545241505648ull   /* "HVPARTMB" */

/*
 * The area the host may use for its test pages: 128 MiB .. 240 MiB, which
 * the guest neither allocates nor touches unless told to (needs -m 256).
 */
#define HVPT_TEST_AREA_GPA      0x08000000ull
#define HVPT_TEST_AREA_END      0x0f000000ull

/*
 * Where HVPT_OP_MAP4K builds its 4 KiB mappings: PDPT entry 256 of the
 * identity map's PML4 entry 0, i.e. GVAs 256 GiB .. 257 GiB.
 */
#define HVPT_MAP4K_GVA_BASE     0x4000000000ull
#define HVPT_MAP4K_GVA_END      0x4040000000ull

/* What a step does: op (arguments a0..a3; results r0..r3). */
enum {
    HVPT_OP_NOP = 0,
    /*
     * The probes: one memory access by one known instruction (the guest
     * prints each probe's address, bytes and length at start). a0 = GVA,
     * a1 = value. r0 = RAX after the probe (the value read; for rmw64 the
     * old value), r1 = the address at which execution continued after the
     * probe instruction (its "next" label, unless a resume said otherwise).
     */
    HVPT_OP_READ64 = 1,         /* mov (%rdi), %rax */
    HVPT_OP_READ8 = 2,          /* movzbl (%rdi), %eax */
    HVPT_OP_WRITE64 = 3,        /* mov %rsi, (%rdi) */
    HVPT_OP_WRITE32 = 4,        /* mov %esi, (%rdi) */
    HVPT_OP_WRITE_IMM = 5,      /* movl $HVPT_WRITE_IMM_VALUE, 0x10(%rdi) */
    HVPT_OP_RMW64 = 6,          /* lock xadd %rsi, (%rdi) */
    HVPT_OP_EXEC = 7,           /* call *%rdi (a ret must be at a0) */
    HVPT_OP_PROBE_COUNT = 8,    /* probes are 1 .. HVPT_OP_PROBE_COUNT - 1 */

    /* a0 = GVA, a1 = length (<= 64): the bytes, read by the guest, in data */
    HVPT_OP_PEEK = 16,
    /*
     * a0 = GVA in [HVPT_MAP4K_GVA_BASE, HVPT_MAP4K_GVA_END), a1 = GPA:
     * a fresh present, writable 4 KiB mapping, accessed and dirty clear,
     * the TLB entry flushed. r0 = GPA of its PTE, r1 = GPA of the page
     * table page, r2 = GPA of the page directory page.
     */
    HVPT_OP_MAP4K = 17,
    /* a0 = GVA: the PTE of a MAP4K mapping cleared, TLB entry flushed */
    HVPT_OP_UNMAP4K = 18,
    /* a0: value for HV_X64_MSR_SIMP (GPA | 1 enables, 0 disables) */
    HVPT_OP_SIMP = 19,
    /* a0: value for HV_X64_MSR_HYPERCALL (sets GUEST_OS_ID first) */
    HVPT_OP_HYPERCALL_MSR = 20,
    /* a0 = GVA of the hypercall page, a1 = control: r0 = RAX result */
    HVPT_OP_HYPERCALL = 21,
    /*
     * SynIC (SINT 2) and VMBus InitiateContact 5.3: r0 = version_supported,
     * r1 = the connection id for later messages.
     */
    HVPT_OP_VMBUS_CONNECT = 22,
    /*
     * Post a GpadlHeader for GPADL id a0 covering the one page at GPA a1
     * (relid 0): r0 = the HvPostMessage status; if 0, r1 = GpadlCreated's
     * creation_status (or ~0 if none came within 5 s).
     */
    HVPT_OP_GPADL = 23,
    /* Start VP 1 (INIT-SIPI-SIPI): r0 = 1 once it runs. */
    HVPT_OP_AP_START = 24,
    /*
     * VP 1 runs probe a0 with GVA a1, value a2; meanwhile VP 0 counts
     * (progress) and prints "HVPART: vp0 progress=N" every 50 ms.
     * r0, r1 as for the probe, r2 = VP 0's count.
     */
    HVPT_OP_AP_PROBE = 25,
    /*
     * Run probe a0 on GVA a1 (value a2 + iteration) over and over until
     * stop == this step: progress counts the iterations. r0 = iterations.
     */
    HVPT_OP_LOOP = 26,
    /*
     * Benchmark: a1 times probe read64 on GVA a0. r0 = TSC ticks in all,
     * r1 = TSC ticks per millisecond.
     */
    HVPT_OP_BENCH_INTERCEPTS = 27,
    /*
     * Benchmarks: the buffer at GVA a0 of a1 bytes is zeroed, then timed:
     * a2 passes over it, with the TLB flushed (CR3 reload) every a3 pages
     * (0: never). STREAM updates every 8th qword of every page, in order
     * (memory-bound work, at most one TLB fill per 64 accesses); STRIDE
     * updates one qword per page with some arithmetic. Prints
     * "HVPART: bench-loop-start" and "-end". r0 = TSC ticks, r1 = TSC
     * ticks per millisecond, r2 = a checksum, r3 = TSC ticks of the
     * fastest pass.
     */
    HVPT_OP_BENCH_STREAM = 28,
    HVPT_OP_BENCH_STRIDE = 29,
    /* Exit QEMU through isa-debug-exit with code a0. */
    HVPT_OP_EXIT = 30,
    /*
     * Read every 4 KiB page of GPAs [a0, a1) (identity-mapped, below
     * 4 GiB) and count those whose first 16 bytes are the little-endian
     * words a2, a3: r0 = the count, r1 = the GPA of the first (or ~0),
     * r2 = the pages read. The pattern comes only from the host, so the
     * guest's image and stack never hold it at the start of a page.
     */
    HVPT_OP_SCAN = 31,
};

/* What HVPT_OP_WRITE_IMM stores (at a0 + HVPT_WRITE_IMM_OFFSET). */
#define HVPT_WRITE_IMM_VALUE    0x5a5aa5a5u
#define HVPT_WRITE_IMM_OFFSET   0x10

/* fault: 0, or 0x100 + the vector of an exception the step raised */
#define HVPT_FAULT_BASE         0x100

typedef struct HvptMailbox {
    uint64_t magic;             /* guest: HVPT_MAILBOX_MAGIC once running */
    uint64_t ready;             /* guest: ready for step N */
    uint64_t go;                /* host: perform step N */
    uint64_t done;              /* guest: step N finished */
    uint64_t op;                /* host: HVPT_OP_* */
    uint64_t arg[4];            /* host */
    uint64_t res[4];            /* guest */
    uint64_t fault;             /* guest: exception during the step */
    uint64_t fault_rip;         /* guest: where */
    uint64_t stop;              /* host: ends HVPT_OP_LOOP of step N */
    uint64_t progress;          /* guest: loop iterations, VP 0's count */
    uint64_t ap_state;          /* guest: 1 once VP 1 runs */
    uint64_t reserved[14];
    uint8_t data[64];           /* guest: HVPT_OP_PEEK's bytes */
} HvptMailbox;

#endif
