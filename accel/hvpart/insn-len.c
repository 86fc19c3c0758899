/*
 * qemu-hvpart: the length of an x86 instruction, for intercept messages
 * and for resuming a VP after the instruction ("skip").
 *
 * A length decoder only: legacy and REX prefixes, the one-, two- and
 * three-byte opcode maps, VEX (C4/C5), EVEX (62 in 64-bit mode) and XOP,
 * ModRM/SIB/displacement and immediate sizes (Intel SDM vol. 2, appendix A;
 * AMD APM vol. 3). Pure code: the unit test drives it directly.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "accel/hvpart/insn-len.h"

#define X86_MAX_INSN_LEN 15

/* One-byte map: does the opcode take a ModRM byte? (bit per opcode) */
static const uint8_t map1_modrm[256] = {
    /* 00 */ 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0,
    /* 10 */ 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0,
    /* 20 */ 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0,
    /* 30 */ 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0,
    /* 40 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    /* 50 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    /* 60 */ 0, 0, 1, 1, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0,
    /* 70 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    /* 80 */ 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    /* 90 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    /* a0 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    /* b0 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    /* c0 */ 1, 1, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0,
    /* d0 */ 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1,
    /* e0 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    /* f0 */ 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 1, 1,
};

/*
 * One-byte map immediates: 0 none, 1 byte, 2 word, 4 "z" (16/32 by operand
 * size), 8 "v" (16/32/64: only MOV r, imm), 3 word + byte (ENTER),
 * 5 far pointer (16/32 + 16), 6 moffs (address size).
 */
enum { I_NONE, I_B, I_W, I_WB, I_Z, I_FAR, I_MOFFS, I_V = 8 };

static const uint8_t map1_imm[256] = {
    /* 00 */ 0, 0, 0, 0, I_B, I_Z, 0, 0, 0, 0, 0, 0, I_B, I_Z, 0, 0,
    /* 10 */ 0, 0, 0, 0, I_B, I_Z, 0, 0, 0, 0, 0, 0, I_B, I_Z, 0, 0,
    /* 20 */ 0, 0, 0, 0, I_B, I_Z, 0, 0, 0, 0, 0, 0, I_B, I_Z, 0, 0,
    /* 30 */ 0, 0, 0, 0, I_B, I_Z, 0, 0, 0, 0, 0, 0, I_B, I_Z, 0, 0,
    /* 40 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    /* 50 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    /* 60 */ 0, 0, 0, 0, 0, 0, 0, 0, I_Z, I_Z, I_B, I_B, 0, 0, 0, 0,
    /* 70 */ I_B, I_B, I_B, I_B, I_B, I_B, I_B, I_B,
             I_B, I_B, I_B, I_B, I_B, I_B, I_B, I_B,
    /* 80 */ I_B, I_Z, I_B, I_B, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    /* 90 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, I_FAR, 0, 0, 0, 0, 0,
    /* a0 */ I_MOFFS, I_MOFFS, I_MOFFS, I_MOFFS, 0, 0, 0, 0,
             I_B, I_Z, 0, 0, 0, 0, 0, 0,
    /* b0 */ I_B, I_B, I_B, I_B, I_B, I_B, I_B, I_B,
             I_V, I_V, I_V, I_V, I_V, I_V, I_V, I_V,
    /* c0 */ I_B, I_B, I_W, 0, 0, 0, I_B, I_Z, I_WB, 0, I_W, 0, 0, I_B, 0, 0,
    /* d0 */ 0, 0, 0, 0, I_B, I_B, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    /* e0 */ I_B, I_B, I_B, I_B, I_B, I_B, I_B, I_B,
             I_Z, I_Z, I_FAR, I_B, 0, 0, 0, 0,
    /* f0 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

/* Two-byte map (0F xx): opcodes without a ModRM byte. */
static bool map2_no_modrm(uint8_t op)
{
    switch (op) {
    case 0x05: case 0x06: case 0x07: case 0x08: case 0x09: case 0x0b:
    case 0x0e:                                  /* femms */
    case 0x30: case 0x31: case 0x32: case 0x33: case 0x34: case 0x35:
    case 0x37: case 0x77:
    case 0xa0: case 0xa1: case 0xa2: case 0xa8: case 0xa9: case 0xaa:
        return true;
    }
    /* jcc rel32 and bswap */
    return (op >= 0x80 && op <= 0x8f) || (op >= 0xc8 && op <= 0xcf);
}

/* Two-byte map: immediate bytes (excluding jcc, handled separately). */
static int map2_imm(uint8_t op)
{
    switch (op) {
    case 0x70: case 0x71: case 0x72: case 0x73:   /* pshuf*, shifts imm8 */
    case 0xa4: case 0xac:                           /* shld/shrd imm8 */
    case 0xba:                                      /* bt* imm8 */
    case 0xc2: case 0xc4: case 0xc5: case 0xc6:     /* cmpps, pinsrw ... */
    case 0x0f:                                      /* 3DNow! suffix */
        return 1;
    }
    return 0;
}

static int modrm_len(const uint8_t *p, int left, int addr_bits)
{
    uint8_t modrm, mod, rm;
    int n = 1;

    if (left < 1) {
        return -1;
    }
    modrm = p[0];
    mod = modrm >> 6;
    rm = modrm & 7;
    if (mod == 3) {
        return 1;
    }
    if (addr_bits == 16) {
        if (mod == 0 && rm == 6) {
            return 3;
        }
        return 1 + (mod == 1 ? 1 : mod == 2 ? 2 : 0);
    }
    if (rm == 4) {                      /* SIB */
        if (left < 2) {
            return -1;
        }
        n++;
        if (mod == 0 && (p[1] & 7) == 5) {
            n += 4;
        }
    } else if (mod == 0 && rm == 5) {
        n += 4;                         /* disp32 / RIP-relative */
    }
    if (mod == 1) {
        n += 1;
    } else if (mod == 2) {
        n += 4;
    }
    return n;
}

int hvpart_insn_length(const uint8_t *insn, int avail, int mode_bits,
                       bool default32)
{
    const uint8_t *p = insn;
    int left = MIN(avail, X86_MAX_INSN_LEN);
    bool opsize16 = false, addrsize_override = false, rex_w = false;
    int op_bits, addr_bits, imm = 0, n;
    uint8_t op;
    bool modrm;

    /* Legacy prefixes, then REX (64-bit mode: the last byte before op). */
    for (;;) {
        if (left < 1) {
            return 0;
        }
        switch (*p) {
        case 0x66:
            opsize16 = true;
            break;
        case 0x67:
            addrsize_override = true;
            break;
        case 0x26: case 0x2e: case 0x36: case 0x3e: case 0x64: case 0x65:
        case 0xf0: case 0xf2: case 0xf3:
            break;
        default:
            goto prefixes_done;
        }
        p++;
        left--;
    }
prefixes_done:
    if (mode_bits == 64 && (*p & 0xf0) == 0x40) {
        rex_w = *p & 8;
        p++;
        left--;
        if (left < 1) {
            return 0;
        }
    }
    if (mode_bits == 64) {
        op_bits = rex_w ? 64 : opsize16 ? 16 : 32;
        addr_bits = addrsize_override ? 32 : 64;
    } else {
        bool d32 = default32;

        op_bits = (d32 != opsize16) ? 32 : 16;
        addr_bits = (d32 != addrsize_override) ? 32 : 16;
    }

    op = *p++;
    left--;

    /* VEX, EVEX and XOP: the map and the rest follow a fixed pattern. */
    if ((op == 0xc4 || op == 0xc5 || op == 0x62 || op == 0x8f) && left >= 1 &&
        (mode_bits == 64 || (p[0] & 0xc0) == 0xc0)) {
        int map = 1, prefix_len = op == 0xc5 ? 1 : op == 0x62 ? 3 : 2;

        if (op == 0x8f && (p[0] & 0x1f) < 8) {
            goto legacy;                /* POP r/m, not XOP */
        }
        if (left < prefix_len + 2) {
            return 0;
        }
        if (op != 0xc5) {
            map = p[0] & (op == 0x62 ? 0x07 : 0x1f);
        }
        p += prefix_len;
        left -= prefix_len;
        op = *p++;                      /* the opcode within the map */
        left--;
        n = modrm_len(p, left, addr_bits);
        if (n < 0) {
            return 0;
        }
        /* Immediate: map 3 (0F3A) and XOP map 8 always have an imm8. */
        if (map == 3 || map == 8) {
            imm = 1;
        } else if (map == 1 && (op == 0x70 || op == 0x71 || op == 0x72 ||
                                op == 0x73 || op == 0xc2 || op == 0xc4 ||
                                op == 0xc5 || op == 0xc6)) {
            imm = 1;
        } else if (map == 10) {
            imm = 4;                    /* XOP map 0Ah: imm32 */
        }
        n += imm;
        if (n > left) {
            return 0;
        }
        return (p - insn) + n;
    }

legacy:
    if (op == 0x0f) {
        if (left < 1) {
            return 0;
        }
        op = *p++;
        left--;
        if (op == 0x38 || op == 0x3a) {
            bool three_a = op == 0x3a;

            if (left < 1) {
                return 0;
            }
            p++;                        /* the opcode within 0F38/0F3A */
            left--;
            n = modrm_len(p, left, addr_bits);
            if (n < 0) {
                return 0;
            }
            n += three_a ? 1 : 0;
            return n > left ? 0 : (p - insn) + n;
        }
        modrm = !map2_no_modrm(op);
        imm = map2_imm(op);
        if (op >= 0x80 && op <= 0x8f) {
            imm = op_bits == 16 && mode_bits != 64 ? 2 : 4;  /* jcc rel */
        }
    } else {
        modrm = map1_modrm[op];
        switch (map1_imm[op]) {
        case I_B:
            imm = 1;
            break;
        case I_W:
            imm = 2;
            break;
        case I_WB:
            imm = 3;
            break;
        case I_Z:
            imm = op_bits == 16 ? 2 : 4;
            break;
        case I_V:
            imm = op_bits == 64 ? 8 : op_bits == 16 ? 2 : 4;
            break;
        case I_FAR:
            if (mode_bits == 64 && op == 0x9a) {
                return 0;               /* invalid in 64-bit mode */
            }
            imm = (op_bits == 16 ? 2 : 4) + 2;
            break;
        case I_MOFFS:
            imm = addr_bits / 8;
            break;
        }
        /* Group 3 (F6/F7): TEST has an immediate, the others none. */
        if ((op == 0xf6 || op == 0xf7) && left >= 1 &&
            ((p[0] >> 3) & 7) < 2) {
            imm = op == 0xf6 ? 1 : (op_bits == 16 ? 2 : 4);
        }
    }
    n = 0;
    if (modrm) {
        n = modrm_len(p, left, addr_bits);
        if (n < 0) {
            return 0;
        }
    }
    n += imm;
    if (n > left) {
        return 0;
    }
    return (p - insn) + n;
}
