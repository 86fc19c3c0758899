#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Build the libFuzzer harnesses of tests/fuzz/fuzzers.list with Debian's
# clang: each fuzzer is its harness (tests/fuzz/fuzz-NAME.c) linked with
# the overlay's pure parser files, instrumented for coverage and checked by
# AddressSanitizer and UndefinedBehaviorSanitizer.
#
#   tests/fuzz/build.sh [OUTDIR]        (default: build/fuzz)
#
# The parsers include QEMU's headers as the unit tests do (tests/unit), so
# QEMU must have been configured (config-host.h): "make tests" does that.
# Incremental: an object is rebuilt when its source, a header it includes
# (clang's dependency file) or this script is newer; a fuzzer is linked
# again when one of its objects is newer.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
build="${BUILD_DIR:-$top/build}"
out="${1:-$build/fuzz}"
qsrc="$build/qemu"
qbuild="$build/qemu-build"
list="$top/tests/fuzz/fuzzers.list"
cc="${FUZZ_CC:-clang}"
self="$top/tests/fuzz/build.sh"

die() {
    echo "tests/fuzz/build.sh: $*" >&2
    exit 1
}

command -v "$cc" >/dev/null ||
    die "$cc not found: install clang and libclang-rt-14-dev" \
        "(target-support/install-deps.sh)"
[ -f "$qbuild/config-host.h" ] ||
    die "$qbuild/config-host.h missing: configure QEMU first (make tests)"
[ -d "$qsrc/hvpart" ] ||
    die "$qsrc/hvpart missing: prepare QEMU's tree first (make tests)"
glib_cflags=$(pkg-config --cflags glib-2.0) ||
    die "pkg-config glib-2.0 failed: install libglib2.0-dev"
glib_libs=$(pkg-config --libs glib-2.0)

mkdir -p "$out/obj"

# libFuzzer itself: a one-line program must link with -fsanitize=fuzzer.
probe="$out/obj/.libfuzzer-probe"
if [ ! -x "$probe" ] || [ "$self" -nt "$probe" ]; then
    printf '%s\n' '#include <stdint.h>' '#include <stddef.h>' \
        'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);' \
        'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)' \
        '{ return 0; }' > "$probe.c"
    "$cc" -fsanitize=fuzzer,address,undefined -o "$probe" "$probe.c" \
        2> "$probe.log" ||
        die "$cc cannot link libFuzzer (-fsanitize=fuzzer):" \
            "install libclang-rt-14-dev; see $probe.log"
fi

sanitize=(-fsanitize=fuzzer,address,undefined
          -fno-sanitize-recover=undefined)
# The include paths and defines of QEMU's own build of tests/unit, so that
# "hw/vmbus/..." and "qemu/..." resolve the same way.
cflags=(-g -O1 "${sanitize[@]}" -std=gnu11
        -Wall -Werror=implicit-function-declaration -Wno-unused-function
        -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -D_LARGEFILE_SOURCE
        -fno-strict-aliasing -fno-common -fwrapv -pthread
        -I"$qbuild" -I"$qsrc/hvpart" -I"$qsrc/include"
        -I"$qsrc/host/include/x86_64" -I"$qsrc/host/include/generic"
        -isystem "$qsrc/linux-headers"
        -iquote "$qsrc" -I"$top/tests/fuzz"
        $glib_cflags)

# newer_than TARGET FILE...: whether a FILE is newer than TARGET (or it is
# missing)
newer_than() {
    local t=$1 f
    shift
    [ -e "$t" ] || return 0
    for f in "$@"; do
        [ "$f" -nt "$t" ] && return 0
    done
    return 1
}

# deps OBJ: the files the object was built from, per clang's -MD file
deps() {
    local d="${1%.o}.d"
    [ -f "$d" ] || return 0
    sed -e 's/^[^:]*://' -e 's/\\$//' "$d" | tr -s ' \t' '\n' | grep -v '^$'
}

built=0
names=()
while read -r name srcs; do
    case "$name" in
    ''|'#'*) continue ;;
    esac
    [ -n "$srcs" ] || die "fuzzers.list: $name has no sources"
    names+=("$name")
    objdir="$out/obj/$name"
    mkdir -p "$objdir"
    objs=()
    for src in $srcs; do
        [ -f "$top/$src" ] || die "fuzzers.list: $name: no file $src"
        obj="$objdir/$(echo "$src" | tr '/' '_').o"
        objs+=("$obj")
        mapfile -t inputs < <(deps "$obj")
        if newer_than "$obj" "$top/$src" "$self" "${inputs[@]}"; then
            echo "  CC      fuzz-$name: $src"
            "$cc" "${cflags[@]}" -MD -MF "${obj%.o}.d" -c "$top/$src" \
                -o "$obj"
        fi
    done
    bin="$out/fuzz-$name"
    if newer_than "$bin" "${objs[@]}"; then
        echo "  LINK    $bin"
        # shellcheck disable=SC2086
        "$cc" "${sanitize[@]}" -pthread -o "$bin.tmp" "${objs[@]}" \
            $glib_libs -lm
        mv -f "$bin.tmp" "$bin"
        built=$((built + 1))
    fi
done < "$list"

# Fuzzers dropped from the list do not linger in OUTDIR to be run.
for bin in "$out"/fuzz-*; do
    [ -e "$bin" ] || continue
    n=${bin##*/fuzz-}
    case " ${names[*]} " in
    *" $n "*) ;;
    *) rm -f "$bin" ;;
    esac
done
echo "fuzzers: ${#names[@]} in $out ($built linked now)"
