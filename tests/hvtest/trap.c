/*
 * hvtest: interrupts and exceptions.
 *
 * Every vector has a stub (entry.S) that ends in trap_dispatch().
 * - An exception at an instruction listed in the exception table (the
 *   .extable section: pairs of {faulting instruction, resume address}) is
 *   recorded and skipped: that is how a test executes a WRMSR that must
 *   raise #GP.
 * - Any other exception is unexpected: with a recovery point set, the
 *   runner gets control back (the test fails); without one the guest
 *   reports it and exits.
 * - Vectors >= 32 are interrupts: counted, passed to a handler if one is
 *   registered, then acknowledged at the local APIC (the guest EOIs itself:
 *   hvpart recommends it in CPUID 0x40000004).
 *
 * Copyright (c) 2025 qemu-hvpart contributors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "hvtest.h"

#define IDT_ENTRIES         256
#define IDT_INTERRUPT_GATE  0x8e            /* present, DPL 0, 64-bit */
#define SEL_CODE64          0x08
#define TRAP_STUB_SIZE      16

#define LAPIC_BASE          0xfee00000ul
#define LAPIC_TPR           0x080
#define LAPIC_EOI           0x0b0
#define LAPIC_SVR           0x0f0
#define LAPIC_SVR_ENABLE    (1u << 8)
#define SPURIOUS_VECTOR     0xff

typedef struct IdtEntry {
    uint16_t offset_low;
    uint16_t selector;
    uint8_t ist;
    uint8_t type_attr;
    uint16_t offset_mid;
    uint32_t offset_high;
    uint32_t reserved;
} PACKED IdtEntry;

typedef struct IdtDesc {
    uint16_t limit;
    uint64_t base;
} PACKED IdtDesc;

static IdtEntry idt[IDT_ENTRIES] __attribute__((aligned(16)));
static IrqHandler *irq_handlers[IDT_ENTRIES];
static volatile uint32_t irq_counts[IDT_ENTRIES];  /* read while counted */
static HvJmpBuf *recovery;
TrapInfo trap_unexpected;

/* The vector of the last fault at an extable instruction, or NO_FAULT. */
static volatile int extable_fault = NO_FAULT;   /* set by the handler */

static void idt_set(uint8_t vector, uint64_t handler)
{
    IdtEntry *e = &idt[vector];

    e->offset_low = handler & 0xffff;
    e->selector = SEL_CODE64;
    e->ist = 0;
    e->type_attr = IDT_INTERRUPT_GATE;
    e->offset_mid = (handler >> 16) & 0xffff;
    e->offset_high = handler >> 32;
    e->reserved = 0;
}

void trap_init(void)
{
    IdtDesc desc;
    int i;

    for (i = 0; i < IDT_ENTRIES; i++) {
        idt_set(i, (uint64_t)(uintptr_t)(trap_stubs + i * TRAP_STUB_SIZE));
    }
    desc.limit = sizeof(idt) - 1;
    desc.base = (uint64_t)(uintptr_t)idt;
    asm volatile("lidt %0" : : "m"(desc));
}

void irq_set_handler(uint8_t vector, IrqHandler *fn)
{
    irq_handlers[vector] = fn;
}

uint32_t irq_count(uint8_t vector)
{
    return irq_counts[vector];
}

void trap_set_recovery(HvJmpBuf *buf)
{
    recovery = buf;
}

static inline void lapic_write(uint32_t reg, uint32_t val)
{
    *(volatile uint32_t *)(LAPIC_BASE + reg) = val;    /* MMIO */
}

void lapic_enable(void)
{
    lapic_write(LAPIC_TPR, 0);
    lapic_write(LAPIC_SVR, LAPIC_SVR_ENABLE | SPURIOUS_VECTOR);
}

static const ExTableEntry *extable_find(uint64_t rip)
{
    const ExTableEntry *e;

    for (e = __extable_start; e < __extable_end; e++) {
        if (e->insn == rip) {
            return e;
        }
    }
    return NULL;
}

void trap_dispatch(TrapFrame *f)
{
    uint8_t vector = f->vector;

    if (vector < 32) {
        const ExTableEntry *e = extable_find(f->rip);
        uint64_t cr2;

        if (e) {
            extable_fault = vector;
            f->rip = e->resume;
            return;
        }
        asm volatile("mov %%cr2, %0" : "=r"(cr2));
        trap_unexpected.vector = vector;
        trap_unexpected.error = f->error;
        trap_unexpected.rip = f->rip;
        trap_unexpected.cr2 = cr2;
        if (recovery) {
            hv_longjmp(recovery, 1);
        }
        printf("HVTEST-FS: FAIL guest: unexpected exception %u error 0x%lx "
               "at rip 0x%lx cr2 0x%lx\n", vector, f->error, f->rip, cr2);
        printf("HVTEST-FS: DONE passed=0 failed=1\n");
        hv_exit(1);
    }
    irq_counts[vector]++;
    if (irq_handlers[vector]) {
        irq_handlers[vector](vector);
    }
    if (vector != SPURIOUS_VECTOR) {
        lapic_write(LAPIC_EOI, 0);
    }
}

/*
 * The faulting instruction's address and the resume address go into
 * .extable; the handler moves RIP from one to the other.
 */
#define EXTABLE_ENTRY(insn, resume)             \
    ".pushsection .extable, \"a\"\n"            \
    ".balign 8\n"                               \
    ".quad " insn ", " resume "\n"              \
    ".popsection\n"

int rdmsr_safe(uint32_t msr, uint64_t *val)
{
    uint32_t lo = 0, hi = 0;
    int fault;

    extable_fault = NO_FAULT;
    asm volatile("1: rdmsr\n"
                 "2:\n"
                 EXTABLE_ENTRY("1b", "2b")
                 : "+a"(lo), "+d"(hi) : "c"(msr) : "memory");
    fault = extable_fault;
    *val = fault == NO_FAULT ? ((uint64_t)hi << 32) | lo : 0;
    return fault;
}

int wrmsr_safe(uint32_t msr, uint64_t val)
{
    extable_fault = NO_FAULT;
    asm volatile("1: wrmsr\n"
                 "2:\n"
                 EXTABLE_ENTRY("1b", "2b")
                 : : "c"(msr), "a"((uint32_t)val), "d"((uint32_t)(val >> 32))
                 : "memory");
    return extable_fault;
}
