#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# For developers: regenerate one overlay patch from the working tree.
#   refresh-patch.sh target-support/patches/NNNN-name.patch FILE...
# Edit the files in build/qemu, then run this with the patch and every file
# it should change (paths relative to QEMU's top). The header (everything
# before the first "--- a/" line) is kept. Afterwards the edited files are
# restored from the pristine tree, so that prepare-tree.sh applies the new
# patch cleanly.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build="${BUILD_DIR:-$top/build}"
patch=$1
shift
header=$(sed '/^--- a\//,$d' "$patch")
{
    printf '%s\n' "$header"
    for f in "$@"; do
        diff -u --label "a/$f" --label "b/$f" "$build/qemu-pristine/$f" \
            "$build/qemu/$f" || true
    done
} > "$patch.new"
mv "$patch.new" "$patch"
for f in "$@"; do
    cp -p "$build/qemu-pristine/$f" "$build/qemu/$f"
done
"$top/target-support/prepare-tree.sh"
