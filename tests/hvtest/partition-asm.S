/*
 * hvtest-partition: the probe instructions, and the start-up code of the
 * second VP.
 *
 * A probe is one memory access by one known instruction, so that the host
 * can compare what hvpart reports about an intercept (RIP, instruction
 * bytes and length) with what the guest knows about itself:
 *
 *   uint64_t probe_NAME(uint64_t gva, uint64_t value, uint64_t *cont);
 *
 * RAX is @value before the probe instruction and is returned. The
 * instruction lies between the labels probe_NAME_insn and probe_NAME_next;
 * the code at probe_NAME_next stores its own address in *@cont, so the
 * guest sees where execution went on after the instruction (a resume with
 * "skip" must land exactly there, or where the parent's RIP says:
 * probe_alt stores its own address instead).
 *
 * The second VP starts in real mode at AP_TRAMPOLINE (a SIPI vector is a
 * page number below 1 MiB). partition.c copies ap_tramp_start ..
 * ap_tramp_end there and patches the CR3 slot; the trampoline enters long
 * mode with the boot processor's page tables and jumps to ap_start64.
 *
 * Copyright (c) 2025 qemu-hvpart contributors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#define AP_TRAMPOLINE       0x8000
#define AP_STACK_SIZE       (16 * 1024)

#define CR0_PE              (1 << 0)
#define CR0_MP              (1 << 1)
#define CR0_PG              (1 << 31)
#define CR4_PAE             (1 << 5)
#define MSR_EFER            0xc0000080
#define EFER_LME            (1 << 8)

#define AP_SEL_CODE64       0x08
#define AP_SEL_DATA         0x10
#define AP_SEL_CODE32       0x18

/* An address inside the trampoline, once it is copied to AP_TRAMPOLINE. */
#define TRAMP(sym)          (AP_TRAMPOLINE + ((sym) - ap_tramp_start))

.macro PROBE name, insn:vararg
    .globl probe_\name
    .type probe_\name, @function
    .balign 16
probe_\name:
    mov %rdx, %r9
    movq $0, (%r9)
    mov %rsi, %rax
    .globl probe_\name\()_insn
probe_\name\()_insn:
    \insn
    .globl probe_\name\()_next
probe_\name\()_next:
    lea probe_\name\()_next(%rip), %rcx
    mov %rcx, (%r9)
    ret
.endm

    .text
    PROBE read64, mov (%rdi), %rax
    PROBE read8, movzbl (%rdi), %eax
    PROBE write64, mov %rsi, (%rdi)
    PROBE write32, mov %esi, (%rdi)
    PROBE write_imm, movl $0x5a5aa5a5, 0x10(%rdi)
    PROBE rmw64, lock xadd %rax, (%rdi)
    PROBE exec, call *%rdi

/* Where a resume's RIP may send a probe: stores its own address. */
    .globl probe_alt
    .type probe_alt, @function
    .balign 16
probe_alt:
    lea probe_alt(%rip), %rcx
    mov %rcx, (%r9)
    ret

/* The second VP's way from real mode to long mode. */
    .balign 16
    .code16
    .globl ap_tramp_start
ap_tramp_start:
    cli
    cld
    xorw %ax, %ax
    movw %ax, %ds
    lgdtl TRAMP(ap_gdt_desc)
    movl %cr0, %eax
    orl $CR0_PE, %eax
    movl %eax, %cr0
    ljmpl $AP_SEL_CODE32, $TRAMP(ap_pm32)

    .code32
ap_pm32:
    movw $AP_SEL_DATA, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movl %cr4, %eax
    orl $CR4_PAE, %eax
    movl %eax, %cr4
    movl TRAMP(ap_cr3_slot), %eax
    movl %eax, %cr3
    movl $MSR_EFER, %ecx
    rdmsr
    orl $EFER_LME, %eax
    wrmsr
    movl %cr0, %eax
    orl $(CR0_PG | CR0_PE | CR0_MP), %eax
    movl %eax, %cr0
    ljmpl $AP_SEL_CODE64, $ap_start64

    .balign 8
ap_gdt:
    .quad 0
    .quad 0x00af9a000000ffff        /* 0x08: 64-bit code */
    .quad 0x00cf92000000ffff        /* 0x10: data */
    .quad 0x00cf9a000000ffff        /* 0x18: 32-bit code */
ap_gdt_end:
ap_gdt_desc:
    .word ap_gdt_end - ap_gdt - 1
    .long TRAMP(ap_gdt)
    .balign 4
    .globl ap_cr3_slot
ap_cr3_slot:
    .long 0
    .globl ap_tramp_end
ap_tramp_end:

    .code64
ap_start64:
    movw $AP_SEL_DATA, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movw %ax, %fs
    movw %ax, %gs
    movq $ap_stack_top, %rsp
    xorl %ebp, %ebp
    call ap_main
1:
    cli
    hlt
    jmp 1b

    .bss
    .balign 16
ap_stack:
    .skip AP_STACK_SIZE
ap_stack_top:
