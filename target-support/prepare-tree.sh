#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Turn the unpacked Debian QEMU source (build/qemu-pristine) into the tree we
# build (build/qemu):
#  1. copy the pristine tree once;
#  2. undo the overlay patches applied last time (restore those files from
#     the pristine tree) and apply target-support/patches/*.patch in order;
#     files whose patched content did not change keep their old timestamps,
#     so that editing one patch does not rebuild everything;
#  3. link the overlay's folders into the tree.
# A patch that does not apply fails the build with the patch's name.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build="${BUILD_DIR:-$top/build}"
pristine="$build/qemu-pristine"
tree="$build/qemu"
prev="$build/qemu-patched-prev"
list="$tree/.hvpart-patched-files"

if [ ! -d "$pristine" ]; then
    echo "prepare-tree: $pristine is missing; run target-support/fetch-qemu.sh" >&2
    exit 1
fi
if [ ! -d "$tree" ]; then
    echo "prepare-tree: copying QEMU $(cat "$build/qemu-version") to $tree"
    cp -a "$pristine" "$tree"
fi

# 2a. Undo last time's patches.
if [ -f "$list" ]; then
    while IFS= read -r f; do
        if [ -f "$pristine/$f" ]; then
            cp -p "$pristine/$f" "$tree/$f"
        else
            rm -f "$tree/$f"
        fi
    done < "$list"
fi

# 2b. Apply the overlay's patches.
: > "$list.new"
for p in "$top"/target-support/patches/*.patch; do
    [ -e "$p" ] || continue
    if ! patch -d "$tree" -p1 -s -N --no-backup-if-mismatch -r - < "$p"; then
        echo "prepare-tree: patch $(basename "$p") does not apply to QEMU" \
             "$(cat "$build/qemu-version")." >&2
        echo "prepare-tree: the patches were written for the version in" \
             "target-support/QEMU_VERSION ($(cat "$top/target-support/QEMU_VERSION"));" \
             "refresh them against the new tree." >&2
        exit 1
    fi
    sed -n 's:^+++ b/\([^[:space:]]*\).*:\1:p' "$p" >> "$list.new"
done
sort -u "$list.new" > "$list"
rm -f "$list.new"

# 2c. Keep timestamps of files whose patched content is unchanged.
while IFS= read -r f; do
    if [ -f "$prev/$f" ] && cmp -s "$prev/$f" "$tree/$f"; then
        touch -r "$prev/$f" "$tree/$f"
    else
        mkdir -p "$(dirname "$prev/$f")"
        cp -p "$tree/$f" "$prev/$f"
    fi
done < "$list"

# 3. Link the overlay into the tree.
mkdir -p "$tree/hvpart"
for d in meson.build accel hw tests qapi; do
    ln -sfn "$top/$d" "$tree/hvpart/$d"
done
ln -sfn "$top/qapi/hvpart.json" "$tree/qapi/hvpart.json"
ln -sfn "$top/target-support/include/system/hvpart.h" \
        "$tree/include/system/hvpart.h"
echo "prepare-tree: $tree ready ($(wc -l < "$list") patched files)"
