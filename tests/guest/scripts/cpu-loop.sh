#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A fixed amount of CPU- and memory-bound work, for comparing accelerators
# and drivers. The host times it between "HVTEST: loop-start" and
# "HVTEST: loop-end".
#
# Kernel parameters (optional):
#   hvtest.loop_mib=N     size of the tmpfs file that is hashed (default 64)
#   hvtest.loop_rounds=N  how many times it is hashed (default 2)
#   hvtest.loop_iters=N   iterations of the awk arithmetic loop (default 1000000)
#
# Output, besides the two markers: the hashes and the awk result (the same on
# every run, so a wrong answer shows), and the guest's own view of the time:
#   HVTEST: loop-result sha256=... md5=... awk=...
#   HVTEST: loop-guest-seconds=S.SS

# shellcheck source=SCRIPTDIR/../hvtest-lib.sh
. /lib/hvtest-lib.sh

mib=$(hvtest_cmdline_value hvtest.loop_mib) || mib=64
rounds=$(hvtest_cmdline_value hvtest.loop_rounds) || rounds=2
iters=$(hvtest_cmdline_value hvtest.loop_iters) || iters=1000000
case "$mib$rounds$iters" in
*[!0-9]*) hvtest_say "loop-error bad parameters"; exit 2 ;;
esac

blob=/tmp/cpu-loop.bin
hvtest_say "loop-params mib=$mib rounds=$rounds iters=$iters"
hvtest_say "loop-start"
t0=$(hvtest_uptime)

# Memory: fill a tmpfs file (page allocation and zeroing, copies).
dd if=/dev/zero of="$blob" bs=1M count="$mib" 2>/dev/null || {
    hvtest_say "loop-error dd failed (tmpfs too small for $mib MiB?)"
    exit 1
}
# CPU and memory bandwidth: hash it, several times.
i=0
while [ $i -lt "$rounds" ]; do
    sha=$(sha256sum "$blob" | cut -d' ' -f1)
    md5=$(md5sum "$blob" | cut -d' ' -f1)
    i=$((i + 1))
done
rm -f "$blob"
# CPU only: integer arithmetic in awk.
awk_result=$(awk -v n="$iters" 'BEGIN {
    s = 0
    for (i = 0; i < n; i++)
        s = (s * 31 + i) % 1000003
    print s
}')

t1=$(hvtest_uptime)
hvtest_say "loop-end"
hvtest_say "loop-result sha256=$sha md5=$md5 awk=$awk_result"
hvtest_say "loop-guest-seconds=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')"
