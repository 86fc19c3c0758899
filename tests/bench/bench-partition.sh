#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# make bench, partition semantics (issue 5): the intercept round trip over
# QMP, and the guest's CPU/memory loop with access rights set on none, 1 %
# and 50 % of the guest's pages, as ratios against none. The guest is the
# freestanding partition test guest (tests/hvtest/partition.c); the driver
# is tests/bench/bench-partition.py (Python 3 standard library). See the
# driver's header for what is measured and how the pages are chosen.
#   BENCH_PARTITION_RUNS=N (default 3), BENCH_INTERCEPTS=N (default 1000),
#   BENCH_LOOP_PASSES=N (default 60)
# Output: build/bench/partition.txt (summary), partition-raw.txt (runs).
set -euo pipefail

# shellcheck source=tests/bench/bench-lib.sh
. "$(dirname "$0")/bench-lib.sh"

"$top/tests/hvtest/build.sh" "$build/hvtest" >/dev/null
exec python3 "$top/tests/bench/bench-partition.py" "$qemu" \
    "$build/hvtest/hvtest-partition.elf" "$out"
