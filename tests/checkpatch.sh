#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# QEMU's checkpatch.pl over every C file and header of the overlay.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
build="${BUILD_DIR:-$top/build}"
cp="$build/qemu/scripts/checkpatch.pl"
cd "$top"
files=$(git ls-files '*.c' '*.h' | grep -v '^build/')
status=0
for f in $files; do
    if ! out=$("$cp" --no-tree --terse -f "$f" 2>&1); then
        echo "$out"
        status=1
    fi
done
[ $status -eq 0 ] && echo "checkpatch: $(echo "$files" | wc -w) files clean"
exit $status
