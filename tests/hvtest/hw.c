/*
 * hvtest: the PC hardware the guest uses: COM1, the 8259 PICs (masked),
 * isa-debug-exit and ACPI power off, a page pool, and time from the TSC.
 *
 * Copyright (c) 2025 qemu-hvpart contributors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "hvtest.h"
#include "hv.h"

#define COM1                0x3f8
#define UART_THR            0
#define UART_IER            1
#define UART_FCR            2
#define UART_LCR            3
#define UART_MCR            4
#define UART_LSR            5
#define UART_LSR_THRE       0x20
#define UART_LCR_DLAB       0x80

#define PIC1_DATA           0x21
#define PIC2_DATA           0xa1

/* -device isa-debug-exit,iobase=0xf4,iosize=4 (as kvm-unit-tests uses) */
#define DEBUG_EXIT_PORT     0xf4
/* pc machine: SeaBIOS puts the PIIX4 PM block at 0x600; S5 is SLP_TYP 0 */
#define ACPI_PM1A_CNT       0x604
#define ACPI_SLP_EN         (1u << 13)

/* Test pages: 16 MiB .. 128 MiB, well above the image and below -m 256. */
#define POOL_START          0x01000000ul
#define POOL_END            0x08000000ul

void serial_init(void)
{
    outb(COM1 + UART_IER, 0x00);
    outb(COM1 + UART_LCR, UART_LCR_DLAB);
    outb(COM1 + 0, 0x01);               /* divisor 1: 115200 baud */
    outb(COM1 + 1, 0x00);
    outb(COM1 + UART_LCR, 0x03);        /* 8N1 */
    outb(COM1 + UART_FCR, 0xc7);
    outb(COM1 + UART_MCR, 0x03);
}

static void serial_putc(char c)
{
    unsigned spins = 100000;

    while (!(inb(COM1 + UART_LSR) & UART_LSR_THRE) && --spins) {
        cpu_relax();
    }
    outb(COM1 + UART_THR, c);
}

void console_write(const char *s, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++) {
        if (s[i] == '\n') {
            serial_putc('\r');
        }
        serial_putc(s[i]);
    }
}

void pic_mask_all(void)
{
    outb(PIC1_DATA, 0xff);
    outb(PIC2_DATA, 0xff);
}

void hv_exit(uint32_t code)
{
    irq_disable();
    outl(DEBUG_EXIT_PORT, code);
    /* No isa-debug-exit device: power off instead. */
    outw(ACPI_PM1A_CNT, ACPI_SLP_EN);
    for (;;) {
        asm volatile("hlt");
    }
}

static uint64_t pool_next = POOL_START;

void *page_alloc(void)
{
    void *p;

    if (pool_next >= POOL_END) {
        printf("HVTEST-FS: FAIL guest: page pool exhausted\n");
        printf("HVTEST-FS: DONE passed=0 failed=1\n");
        hv_exit(1);
    }
    p = (void *)(uintptr_t)pool_next;
    pool_next += PAGE_SIZE;
    memset(p, 0, PAGE_SIZE);
    return p;
}

void pattern_fill(void *page, uint8_t seed)
{
    uint8_t *p = page;
    uint32_t i;

    for (i = 0; i < PAGE_SIZE; i++) {
        p[i] = pattern_byte(seed, i);
    }
}

int pattern_mismatch(const void *page, uint8_t seed)
{
    const volatile uint8_t *p = page;   /* may be an overlay */
    uint32_t i;

    for (i = 0; i < PAGE_SIZE; i++) {
        if (p[i] != pattern_byte(seed, i)) {
            return i;
        }
    }
    return -1;
}

/* Time */

/* A guess good enough for bounded waits if nothing better is known. */
#define TSC_PER_MS_GUESS    3000000ull
#define SPINS_PER_MS_MAX    1000000ull

uint64_t tsc_per_ms = TSC_PER_MS_GUESS;

void time_init(bool have_ref_counter, bool have_freq_msr)
{
    if (have_freq_msr) {
        uint64_t hz = rdmsr(HV_MSR_TSC_FREQUENCY);

        if (hz >= 1000000ull && hz <= 100000000000ull) {
            tsc_per_ms = hz / 1000;
            return;
        }
    }
    if (have_ref_counter) {
        /* 10 ms of reference time (100 ns units), bounded by spins. */
        uint64_t r0 = rdmsr(HV_MSR_TIME_REF_COUNT), t0 = rdtsc(), r1, t1;
        uint64_t spins = 0;

        do {
            r1 = rdmsr(HV_MSR_TIME_REF_COUNT);
            t1 = rdtsc();
        } while (r1 - r0 < 100000 && ++spins < 100000000ull);
        if (r1 > r0 && t1 > t0) {
            tsc_per_ms = (t1 - t0) * 10000 / (r1 - r0);
        }
    }
}

Deadline deadline_in_ms(uint32_t ms)
{
    Deadline d;

    d.tsc_end = rdtsc() + tsc_per_ms * ms;
    d.spins_left = SPINS_PER_MS_MAX * (ms ? ms : 1);
    return d;
}

bool deadline_passed(Deadline *d)
{
    if (d->spins_left == 0) {
        return true;
    }
    d->spins_left--;
    return (int64_t)(rdtsc() - d->tsc_end) >= 0;
}

void delay_ms(uint32_t ms)
{
    Deadline d = deadline_in_ms(ms);

    while (!deadline_passed(&d)) {
        cpu_relax();
    }
}
