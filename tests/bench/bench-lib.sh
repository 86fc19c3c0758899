# shellcheck shell=bash disable=SC2034  # the variables are for the sourcing script
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Shared by the make bench scripts (source it after "set -euo pipefail"):
# the tree's paths and small helpers.
#   top    the source tree     build  BUILD_DIR or $top/build
#   qemu   the built QEMU      guest  kernel and initramfs (mkguest.sh)
#   out    results, $build/bench (created)

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build="${BUILD_DIR:-$top/build}"
qemu="$build/qemu-build/qemu-system-x86_64"
guest="$build/guest"
out="$build/bench"
mkdir -p "$out"

# The median of the numbers on stdin, one per line (0 for none).
median() {
    sort -g | awk '{ v[NR] = $1 } END {
        if (NR == 0) print 0
        else if (NR % 2) print v[(NR + 1) / 2]
        else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
