/*
 * qemu-hvpart: x86 instruction length decoder.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef ACCEL_HVPART_INSN_LEN_H
#define ACCEL_HVPART_INSN_LEN_H

/*
 * The length of the instruction at @insn (@avail bytes readable), in
 * @mode_bits 64-bit mode, or 32/16-bit code with @default32 the code
 * segment's D bit. Returns 1..15, or 0 when the bytes do not form a
 * complete instruction.
 */
int hvpart_insn_length(const uint8_t *insn, int avail, int mode_bits,
                       bool default32);

#endif
