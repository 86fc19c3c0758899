/*
 * hvtest: boot code.
 *
 * QEMU's -kernel loads this image with its multiboot (v1) loader, which
 * enters _start in 32-bit protected mode with paging off. We identity-map
 * the low 4 GiB with 2 MiB pages, switch to long mode and call
 * hvtest_main(). Also here: the 256 interrupt/exception entry stubs that
 * funnel into trap_dispatch() (trap.c), and setjmp/longjmp for the test
 * runner's recovery from unexpected exceptions.
 *
 * Copyright (c) 2025 qemu-hvpart contributors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#define MB_HEADER_MAGIC     0x1badb002
/* bit 0: page-align modules, bit 1: memory map wanted (both harmless) */
#define MB_HEADER_FLAGS     0x00000003

#define CR0_PE              (1 << 0)
#define CR0_MP              (1 << 1)
#define CR0_PG              (1 << 31)
#define CR4_PAE             (1 << 5)
#define MSR_EFER            0xc0000080
#define EFER_LME            (1 << 8)

/* Page table entry bits: present, writable, 2 MiB page */
#define PTE_PW              0x003
#define PDE_LARGE_PW        0x083

#define SEL_CODE64          0x08
#define SEL_DATA            0x10

#define BOOT_STACK_SIZE     (64 * 1024)

/* Must lie in the first 8 KiB of the file: the linker script puts it first. */
    .section .multiboot, "a"
    .balign 4
    .long MB_HEADER_MAGIC
    .long MB_HEADER_FLAGS
    .long -(MB_HEADER_MAGIC + MB_HEADER_FLAGS)

    .section .boot32, "ax"
    .code32
    .globl _start
_start:
    cli
    cld
    movl $boot_stack_top, %esp

    /* BSS first: the page tables and stacks live there. */
    movl $__bss_start, %edi
    movl $__bss_end, %ecx
    subl %edi, %ecx
    xorl %eax, %eax
    rep stosb

    /* PML4[0] -> PDPT; PDPT[0..3] -> the four page directories. */
    movl $pdpt, %eax
    orl $PTE_PW, %eax
    movl %eax, pml4

    movl $pdpt, %edi
    movl $page_dirs, %eax
    orl $PTE_PW, %eax
    movl $4, %ecx
1:
    movl %eax, (%edi)
    addl $0x1000, %eax
    addl $8, %edi
    loop 1b

    /* 2048 PDEs of 2 MiB each: 0 .. 4 GiB, identity. */
    movl $page_dirs, %edi
    movl $PDE_LARGE_PW, %eax
    movl $2048, %ecx
2:
    movl %eax, (%edi)
    addl $0x200000, %eax
    addl $8, %edi
    loop 2b

    movl %cr4, %eax
    orl $CR4_PAE, %eax
    movl %eax, %cr4
    movl $pml4, %eax
    movl %eax, %cr3

    movl $MSR_EFER, %ecx
    rdmsr
    orl $EFER_LME, %eax
    wrmsr

    movl %cr0, %eax
    orl $(CR0_PG | CR0_PE | CR0_MP), %eax
    movl %eax, %cr0

    lgdt gdt_desc
    ljmp $SEL_CODE64, $start64

    .code64
start64:
    movw $SEL_DATA, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movw %ax, %fs
    movw %ax, %gs
    movq $boot_stack_top, %rsp
    xorl %ebp, %ebp
    call hvtest_main
3:
    cli
    hlt
    jmp 3b

/*
 * Interrupt and exception entry: stub N is at trap_stubs + 16 * N. Each
 * pushes a zero error code if the CPU does not push one, then the vector.
 */
    .text
    .balign 16
    .globl trap_stubs
trap_stubs:
    .set vec, 0
    .rept 256
    .balign 16
    .if (vec == 8) || (vec == 10) || (vec == 11) || (vec == 12) || \
        (vec == 13) || (vec == 14) || (vec == 17) || (vec == 21) || \
        (vec == 29) || (vec == 30)
    .else
    pushq $0
    .endif
    pushq $vec
    jmp trap_common
    .set vec, vec + 1
    .endr

/* The layout pushed here is TrapFrame in hvtest.h. */
trap_common:
    pushq %rax
    pushq %rbx
    pushq %rcx
    pushq %rdx
    pushq %rsi
    pushq %rdi
    pushq %rbp
    pushq %r8
    pushq %r9
    pushq %r10
    pushq %r11
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, %rdi
    cld
    call trap_dispatch
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %r11
    popq %r10
    popq %r9
    popq %r8
    popq %rbp
    popq %rdi
    popq %rsi
    popq %rdx
    popq %rcx
    popq %rbx
    popq %rax
    addq $16, %rsp
    iretq

/*
 * int hv_setjmp(HvJmpBuf *buf); void hv_longjmp(HvJmpBuf *buf, int val);
 * buf: rbx, rbp, r12, r13, r14, r15, rsp, rip.
 */
    .globl hv_setjmp
hv_setjmp:
    movq %rbx, 0(%rdi)
    movq %rbp, 8(%rdi)
    movq %r12, 16(%rdi)
    movq %r13, 24(%rdi)
    movq %r14, 32(%rdi)
    movq %r15, 40(%rdi)
    leaq 8(%rsp), %rdx
    movq %rdx, 48(%rdi)
    movq (%rsp), %rdx
    movq %rdx, 56(%rdi)
    xorl %eax, %eax
    ret

    .globl hv_longjmp
hv_longjmp:
    movl %esi, %eax
    testl %eax, %eax
    jnz 4f
    incl %eax
4:
    movq 0(%rdi), %rbx
    movq 8(%rdi), %rbp
    movq 16(%rdi), %r12
    movq 24(%rdi), %r13
    movq 32(%rdi), %r14
    movq 40(%rdi), %r15
    movq 48(%rdi), %rsp
    jmp *56(%rdi)

    .section .rodata
    .balign 8
gdt:
    .quad 0
    .quad 0x00af9a000000ffff        /* 0x08: 64-bit code, DPL 0 */
    .quad 0x00cf92000000ffff        /* 0x10: data, DPL 0 */
gdt_end:
gdt_desc:
    .word gdt_end - gdt - 1
    .long gdt

    .bss
    .balign 4096
pml4:
    .skip 4096
pdpt:
    .skip 4096
page_dirs:
    .skip 4 * 4096
    .balign 16
boot_stack:
    .skip BOOT_STACK_SIZE
boot_stack_top:
