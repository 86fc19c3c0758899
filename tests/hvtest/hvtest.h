/*
 * hvtest: a freestanding x86-64 guest that checks a Hyper-V style
 * hypervisor interface from the guest side (kvm-unit-tests style).
 *
 * Everything the test cases share: fixed-size types, the small C library,
 * CPU access (port I/O, CPUID, MSRs with fault recovery, TSC), interrupts,
 * a page allocator, bounded waits and the test runner's reporting API.
 *
 * Copyright (c) 2025 qemu-hvpart contributors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HVTEST_H
#define HVTEST_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define PAGE_SIZE 4096u
#define PACKED __attribute__((packed))
#define PRINTF_FMT(a, b) __attribute__((format(printf, a, b)))

/* libc.c */
void *memset(void *s, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strncmp(const char *a, const char *b, size_t n);
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) PRINTF_FMT(3, 4);
int printf(const char *fmt, ...) PRINTF_FMT(1, 2);

/* Port I/O */
static inline void outb(uint16_t port, uint8_t v)
{
    asm volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outw(uint16_t port, uint16_t v)
{
    asm volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outl(uint16_t port, uint32_t v)
{
    asm volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
    uint8_t v;

    asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

/* CPU */
typedef struct CpuidRegs {
    uint32_t eax, ebx, ecx, edx;
} CpuidRegs;

static inline CpuidRegs cpuid(uint32_t leaf, uint32_t subleaf)
{
    CpuidRegs r;

    asm volatile("cpuid"
                 : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
                 : "a"(leaf), "c"(subleaf));
    return r;
}

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;

    asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

static inline void cpu_relax(void)
{
    asm volatile("pause" : : : "memory");
}

static inline void mb(void)
{
    asm volatile("mfence" : : : "memory");
}

static inline void barrier(void)
{
    asm volatile("" : : : "memory");
}

static inline void irq_enable(void)
{
    asm volatile("sti" : : : "memory");
}

static inline void irq_disable(void)
{
    asm volatile("cli" : : : "memory");
}

/* Plain MSR access: a #GP here is an unexpected exception (test fails). */
static inline uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;

    asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr) : "memory");
    return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t val)
{
    asm volatile("wrmsr"
                 : : "c"(msr), "a"((uint32_t)val), "d"((uint32_t)(val >> 32))
                 : "memory");
}

/*
 * MSR access that may fault: returns -1 if the instruction completed, or
 * the exception vector it raised (13 for #GP). On a fault *val is 0.
 */
int rdmsr_safe(uint32_t msr, uint64_t *val);
int wrmsr_safe(uint32_t msr, uint64_t val);

#define VEC_GP 13
#define NO_FAULT (-1)

/* entry.S: the entry point called in long mode, and the vector stubs */
void hvtest_main(void);
extern const uint8_t trap_stubs[];

/*
 * The exception table (hvtest.ld puts it between these symbols):
 * instructions allowed to fault and where to resume after them.
 */
typedef struct ExTableEntry {
    uint64_t insn;
    uint64_t resume;
} ExTableEntry;
extern const ExTableEntry __extable_start[], __extable_end[];

/* trap.c: interrupts and exceptions */
typedef struct TrapFrame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error;
    uint64_t rip, cs, rflags, rsp, ss;
} TrapFrame;

/* Called by the stubs with the registers they pushed. */
void trap_dispatch(TrapFrame *f);

typedef struct HvJmpBuf {
    uint64_t regs[8];
} HvJmpBuf;

int hv_setjmp(HvJmpBuf *buf) __attribute__((returns_twice));
void hv_longjmp(HvJmpBuf *buf, int val) __attribute__((noreturn));

typedef void IrqHandler(uint8_t vector);

void trap_init(void);
/* Called for @vector (>= 32) before the local APIC EOI. */
void irq_set_handler(uint8_t vector, IrqHandler *fn);
/* How many times @vector was taken. */
uint32_t irq_count(uint8_t vector);
/* Where an unexpected exception returns to (NULL: stop the guest). */
void trap_set_recovery(HvJmpBuf *buf);
/* The last unexpected exception, for the runner's report. */
typedef struct TrapInfo {
    uint64_t vector, error, rip, cr2;
} TrapInfo;
extern TrapInfo trap_unexpected;

/* Local APIC (xAPIC, at its default base, identity-mapped) */
void lapic_enable(void);

/* hw.c: console, exit, memory, time */
void serial_init(void);
void console_write(const char *s, size_t len);
/* Exit QEMU through isa-debug-exit (status = code * 2 + 1), or power off. */
void hv_exit(uint32_t code) __attribute__((noreturn));
void pic_mask_all(void);

/* A zeroed 4 KiB page from a pool in low RAM (identity-mapped). */
void *page_alloc(void);
static inline uint64_t gpa_of(const void *p)
{
    return (uint64_t)(uintptr_t)p;     /* identity mapping */
}

/* A recognisable fill for RAM pages that overlays will cover. */
static inline uint8_t pattern_byte(uint8_t seed, uint32_t i)
{
    return (uint8_t)(seed * 31u + i * 7u + (i >> 5) * 3u + 1u);
}
void pattern_fill(void *page, uint8_t seed);
/* The offset of the first byte that differs from the pattern, or -1. */
int pattern_mismatch(const void *page, uint8_t seed);

/*
 * Time: TSC ticks per millisecond, set up by time_init() (from the Hyper-V
 * TSC frequency MSR, else calibrated against the reference counter, else a
 * guess). Waits are always bounded, also by a spin count.
 */
extern uint64_t tsc_per_ms;
void time_init(bool have_ref_counter, bool have_freq_msr);
void delay_ms(uint32_t ms);

typedef struct Deadline {
    uint64_t tsc_end;
    uint64_t spins_left;
} Deadline;

Deadline deadline_in_ms(uint32_t ms);
bool deadline_passed(Deadline *d);

/* Evaluates to true as soon as @cond holds, false after @ms milliseconds. */
#define WAIT_FOR(cond, ms) ({                       \
    Deadline dl_ = deadline_in_ms(ms);              \
    bool ok_ = false;                               \
    for (;;) {                                      \
        barrier();                                  \
        if (cond) {                                 \
            ok_ = true;                             \
            break;                                  \
        }                                           \
        if (deadline_passed(&dl_)) {                \
            barrier();                              \
            ok_ = (cond);                           \
            break;                                  \
        }                                           \
        cpu_relax();                                \
    }                                               \
    ok_;                                            \
})

/* main.c: the runner's reporting API for test functions */
void t_fail(const char *fmt, ...) PRINTF_FMT(1, 2);
void t_skip(const char *fmt, ...) PRINTF_FMT(1, 2);
void t_info(const char *fmt, ...) PRINTF_FMT(1, 2);
bool t_failed(void);

#define CHECK(cond, ...)                                \
    do {                                                \
        if (!(cond)) {                                  \
            t_fail(__VA_ARGS__);                        \
        }                                               \
    } while (0)

#define REQUIRE(cond, ...)                              \
    do {                                                \
        if (!(cond)) {                                  \
            t_fail(__VA_ARGS__);                        \
            return;                                     \
        }                                               \
    } while (0)

typedef struct HvTestCase {
    const char *name;
    void (*fn)(void);
} HvTestCase;

/* The test cases, in the order they run (each file exports its table). */
extern const HvTestCase detect_tests[];
extern const size_t detect_tests_count;
extern const HvTestCase cpuid_msr_tests[];
extern const size_t cpuid_msr_tests_count;
extern const HvTestCase hypercall_tests[];
extern const size_t hypercall_tests_count;
extern const HvTestCase overlay_tests[];
extern const size_t overlay_tests_count;
extern const HvTestCase vmbus_tests[];
extern const size_t vmbus_tests_count;
extern const HvTestCase stimer_tests[];
extern const size_t stimer_tests_count;

#endif
