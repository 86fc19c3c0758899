/*
 * Unit test of the x86 instruction length decoder used for intercepts.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "accel/hvpart/insn-len.h"

typedef struct InsnCase {
    const char *name;
    int mode;
    bool d32;
    int len;
    uint8_t bytes[16];
} InsnCase;

/* Encodings checked against the SDM (and objdump on the host). */
static const InsnCase cases[] = {
    { "nop", 64, false, 1, { 0x90 } },
    { "ret", 64, false, 1, { 0xc3 } },
    { "rep movsq", 64, false, 3, { 0xf3, 0x48, 0xa5 } },
    { "mov [rdi],eax", 64, false, 2, { 0x89, 0x07 } },
    { "mov [rip+d32],rax", 64, false, 7, { 0x48, 0x89, 0x05, 1, 2, 3, 4 } },
    { "mov [rsp+8],rax", 64, false, 5, { 0x48, 0x89, 0x44, 0x24, 0x08 } },
    { "mov [rbp+d32],ecx", 64, false, 6, { 0x89, 0x8d, 1, 2, 3, 4 } },
    { "mov [sib no base+d32]", 64, false, 7,
      { 0x89, 0x04, 0x25, 1, 2, 3, 4 } },
    { "mov rax,imm64", 64, false, 10, { 0x48, 0xb8, 1, 2, 3, 4, 5, 6, 7, 8 } },
    { "mov eax,imm32", 64, false, 5, { 0xb8, 1, 2, 3, 4 } },
    { "mov ax,imm16", 64, false, 4, { 0x66, 0xb8, 1, 2 } },
    { "add dword [rax],imm8", 64, false, 3, { 0x83, 0x00, 0x01 } },
    { "add dword [rax],imm32", 64, false, 6, { 0x81, 0x00, 1, 2, 3, 4 } },
    { "test byte [rax],imm8", 64, false, 3, { 0xf6, 0x00, 0x01 } },
    { "not dword [rax]", 64, false, 2, { 0xf7, 0x10 } },
    { "test dword [rax],imm32", 64, false, 6, { 0xf7, 0x00, 1, 2, 3, 4 } },
    { "lock cmpxchg [rdi],rsi", 64, false, 5,
      { 0xf0, 0x48, 0x0f, 0xb1, 0x37 } },
    { "jz rel32", 64, false, 6, { 0x0f, 0x84, 1, 2, 3, 4 } },
    { "jz rel8", 64, false, 2, { 0x74, 0x10 } },
    { "call rel32", 64, false, 5, { 0xe8, 1, 2, 3, 4 } },
    { "movdqu xmm0,[rsi]", 64, false, 4, { 0xf3, 0x0f, 0x6f, 0x06 } },
    { "pshufd xmm0,xmm1,imm8", 64, false, 5,
      { 0x66, 0x0f, 0x70, 0xc1, 0x1b } },
    { "pshufb xmm0,[rax] (0f38)", 64, false, 5,
      { 0x66, 0x0f, 0x38, 0x00, 0x00 } },
    { "palignr xmm0,xmm1,8 (0f3a)", 64, false, 6,
      { 0x66, 0x0f, 0x3a, 0x0f, 0xc1, 0x08 } },
    { "vmovdqu ymm0,[rsi] (vex2)", 64, false, 4, { 0xc5, 0xfe, 0x6f, 0x06 } },
    { "vpshufd ymm0,ymm1,imm8 (vex2)", 64, false, 5,
      { 0xc5, 0xfd, 0x70, 0xc1, 0x1b } },
    { "vpermq ymm0,ymm1,imm8 (vex3 0f3a)", 64, false, 6,
      { 0xc4, 0xe3, 0xfd, 0x00, 0xc1, 0x1b } },
    { "vmovdqu64 zmm0,[rsi] (evex)", 64, false, 6,
      { 0x62, 0xf1, 0xfe, 0x48, 0x6f, 0x06 } },
    { "mov eax,[moffs64]", 64, false, 9, { 0xa1, 1, 2, 3, 4, 5, 6, 7, 8 } },
    { "enter", 64, false, 4, { 0xc8, 1, 2, 3 } },
    { "wrmsr", 64, false, 2, { 0x0f, 0x30 } },
    { "out imm8,eax", 64, false, 2, { 0xe7, 0x5c } },
    /* 32-bit code */
    { "mov [ebx+d8],eax (32)", 32, true, 3, { 0x89, 0x43, 0x10 } },
    { "mov eax,[moffs32] (32)", 32, true, 5, { 0xa1, 1, 2, 3, 4 } },
    { "les (32: not vex)", 32, true, 2, { 0xc4, 0x06 } },
    { "mov [disp16] (16-bit addr in 32)", 32, true, 5,
      { 0x67, 0x89, 0x06, 1, 2 } },
    /* 16-bit code */
    { "mov [bx+si],ax (16)", 16, false, 2, { 0x89, 0x00 } },
    { "mov ax,imm16 (16)", 16, false, 3, { 0xb8, 1, 2 } },
    { "jmp far (16)", 16, false, 5, { 0xea, 1, 2, 3, 4 } },
};

static void test_lengths(void)
{
    size_t i;

    for (i = 0; i < ARRAY_SIZE(cases); i++) {
        const InsnCase *c = &cases[i];
        int len = hvpart_insn_length(c->bytes, 15, c->mode, c->d32);

        if (len != c->len) {
            g_test_message("%s: decoded %d, expected %d", c->name, len,
                           c->len);
        }
        g_assert_cmpint(len, ==, c->len);
    }
}

/* Truncated or garbage input: 0 or a length within what was given. */
static void test_truncated(void)
{
    static const uint8_t mov_imm64[] = {
        0x48, 0xb8, 1, 2, 3, 4, 5, 6, 7, 8
    };
    uint8_t prefixes[16];
    uint8_t buf[15];
    int avail, i, n;

    for (avail = 0; avail < (int)sizeof(mov_imm64); avail++) {
        g_assert_cmpint(hvpart_insn_length(mov_imm64, avail, 64, false), ==,
                        0);
    }
    /* 15 prefixes and no opcode: not an instruction. */
    memset(prefixes, 0x66, sizeof(prefixes));
    g_assert_cmpint(hvpart_insn_length(prefixes, 16, 64, false), ==, 0);
    /* Random bytes never decode longer than 15 or than the input. */
    for (i = 0; i < 100000; i++) {
        for (n = 0; n < 15; n++) {
            buf[n] = g_test_rand_int();
        }
        avail = g_test_rand_int_range(0, 16);
        n = hvpart_insn_length(buf, avail, 64, false);
        g_assert_cmpint(n, >=, 0);
        g_assert_cmpint(n, <=, avail);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/hvpart/insn-len/lengths", test_lengths);
    g_test_add_func("/hvpart/insn-len/truncated", test_truncated);
    return g_test_run();
}
