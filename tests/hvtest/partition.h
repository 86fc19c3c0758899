/*
 * hvtest-partition: what partition.c takes from partition-asm.S and the
 * linker script.
 *
 * Copyright (c) 2025 qemu-hvpart contributors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HVTEST_PARTITION_H
#define HVTEST_PARTITION_H

#include "hvtest.h"

/*
 * A probe: one memory access by the instruction between probe_NAME_insn
 * and probe_NAME_next (see partition-asm.S). Returns RAX; *@cont gets the
 * address at which execution went on after the instruction.
 */
typedef uint64_t ProbeFn(uint64_t gva, uint64_t value, uint64_t *cont);

#define PROBE_DECL(name) \
    extern ProbeFn probe_##name; \
    extern const uint8_t probe_##name##_insn[], probe_##name##_next[]

PROBE_DECL(read64);
PROBE_DECL(read8);
PROBE_DECL(write64);
PROBE_DECL(write32);
PROBE_DECL(write_imm);
PROBE_DECL(rmw64);
PROBE_DECL(exec);

/* Where a resume's RIP may send a probe: it stores its own address. */
extern const uint8_t probe_alt[];

/* VP 1's real-mode start: copied below 1 MiB, with CR3 in the slot. */
extern const uint8_t ap_tramp_start[], ap_tramp_end[], ap_cr3_slot[];

/* VP 1's C entry, in long mode with its own stack. */
void ap_main(void);

/* The end of the image (hvtest.ld). */
extern const uint8_t __bss_end[];

#endif
