#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Build the hvtest guests: OUTDIR/hvtest.elf (the Hyper-V interface checks)
# and OUTDIR/hvtest-partition.elf (the partition test guest a host drives
# through a mailbox: partition.c), multiboot (v1) images that QEMU's
# -kernel loads. They share the boot code, traps, console and libc. The code is x86-64, linked as ELF64 and converted
# to ELF32 (objcopy -O elf32-i386), because QEMU's multiboot loader only
# takes i386 ELF files (hw/i386/multiboot.c refuses EM_X86_64); the entry
# code starts in 32-bit mode and switches to long mode itself.
#
#   tests/hvtest/build.sh [OUTDIR]     (default: <repo>/build/hvtest)
#
# Needs only Debian's gcc and binutils; downloads nothing. Idempotent: a
# stamp holds a hash of the sources, this script and the tools' versions;
# when it matches and the image exists, nothing is done.
set -euo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$src/../.." && pwd)
outdir=${1:-$repo/build/hvtest}
mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)

cc=${HVTEST_CC:-gcc}
objcopy=${HVTEST_OBJCOPY:-objcopy}

cflags=(-std=gnu11 -O2 -g -Wall -Wextra -Wno-unused-parameter
        -Wno-missing-field-initializers
        -ffreestanding -fno-builtin -nostdlib -fno-pic -fno-pie -static
        -mno-red-zone -mgeneral-regs-only -mcmodel=small
        -fno-stack-protector -fno-asynchronous-unwind-tables
        -fno-omit-frame-pointer -fno-tree-loop-distribute-patterns
        -fcf-protection=none -fno-strict-aliasing)
ldflags=(-nostdlib -static -no-pie -Wl,--build-id=none
         -Wl,-z,max-page-size=0x1000 -Wl,-z,noexecstack
         -Wl,--no-warn-rwx-segments -Wl,-T,"$src/hvtest.ld")

common=(entry.S trap.c hw.c libc.c hv.c)
hvtest_sources=(main.c test-cpuid-msr.c test-hypercall.c test-overlay.c
                test-vmbus.c test-stimer.c)
partition_sources=(partition.c partition-asm.S)
sources=("${common[@]}" "${hvtest_sources[@]}" "${partition_sources[@]}")

# --no-warn-rwx-segments is binutils >= 2.39; leave it out where unknown.
if ! "$cc" -Wl,--no-warn-rwx-segments -Wl,--version >/dev/null 2>&1; then
    ldflags=("${ldflags[@]/-Wl,--no-warn-rwx-segments}")
fi

stamp_of() {
    {
        cat "$0"
        (cd "$src" && cat hvtest.ld ./*.h "${sources[@]}")
        "$cc" --version | head -n 1
        "$objcopy" --version | head -n 1
        printf '%s\n' "${cflags[@]}" "${ldflags[@]}"
    } | sha256sum | cut -d' ' -f1
}

images=("$outdir/hvtest.elf" "$outdir/hvtest-partition.elf")
stamp_file="$outdir/.hvtest-stamp"
want=$(stamp_of)
if [ -f "${images[0]}" ] && [ -f "${images[1]}" ] &&
   [ "$(cat "$stamp_file" 2>/dev/null)" = "$want" ]; then
    echo "hvtest: ${images[*]} are up to date"
    exit 0
fi

objdir="$outdir/obj"
rm -rf "$objdir"
mkdir -p "$objdir"
for s in "${sources[@]}"; do
    "$cc" "${cflags[@]}" -c "$src/$s" -o "$objdir/${s%.*}.o"
done

# link NAME SOURCES...: OUTDIR/NAME.elf from the common objects and SOURCES
link() {
    local name=$1 s magic_at objs=()
    shift
    for s in "${common[@]}" "$@"; do
        objs+=("$objdir/${s%.*}.o")
    done
    "$cc" "${cflags[@]}" "${ldflags[@]}" -o "$objdir/${name}64.elf" "${objs[@]}"
    "$objcopy" -O elf32-i386 "$objdir/${name}64.elf" "$objdir/$name.elf"

    # The multiboot header must sit, 4-byte aligned, in the first 8 KiB.
    magic_at=$(od -An -tx4 -w4 -v -N 8192 "$objdir/$name.elf" |
               grep -n -m1 '1badb002' | cut -d: -f1 || true)
    if [ -z "$magic_at" ]; then
        echo "hvtest: no multiboot header in the first 8 KiB of $name.elf" >&2
        exit 1
    fi
    mv "$objdir/$name.elf" "$outdir/$name.elf"
    echo "hvtest: built $outdir/$name.elf"
}

link hvtest "${hvtest_sources[@]}"
link hvtest-partition "${partition_sources[@]}"
echo "$want" > "$stamp_file"
