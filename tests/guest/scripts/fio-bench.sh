#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Disk benchmark with fio (O_DIRECT, libaio) on one disk, for
# tests/bench/bench-storage.sh. Needs the bench initramfs (fio inside).
# Load the disk's driver first (hvtest.mods=...).
#
# Kernel parameters:
#   hvtest.fio.disk=NAME    the disk's block device (sda, vda); default: the
#                           first of sd*, vd* that appears
#   hvtest.fio.runtime=S    seconds per job (default 10)
#   hvtest.fio.size=MIB     region of the disk the jobs use (default 256)
#
# Lines for the host:
#   HVTEST: fio-disk dev=<name> sectors=<n> driver=<kernel driver>
#   HVTEST: fio-result job=<seqread|seqwrite|randread-qd1|randread-qd32>
#           mbps=<MB/s> iops=<n> rc=<fio status>
#           (MB/s is 10^6 bytes per second)
#   HVTEST: fio-error <what>

# shellcheck source=SCRIPTDIR/../hvtest-lib.sh
. /lib/hvtest-lib.sh

want=$(hvtest_cmdline_value hvtest.fio.disk) || want=""
runtime=$(hvtest_cmdline_value hvtest.fio.runtime) || runtime=10
size=$(hvtest_cmdline_value hvtest.fio.size) || size=256
case "$runtime$size$want" in
*[!0-9a-z]*) hvtest_say "fio-error bad parameters"; exit 2 ;;
esac

if ! command -v fio >/dev/null; then
    hvtest_say "fio-error no fio in the initramfs (boot initramfs-bench)"
    exit 2
fi

# Wait up to 60 s for the disk (the drivers probe asynchronously).
dev=""
n=0
while [ $n -lt 120 ]; do
    if [ -n "$want" ]; then
        [ -b "/dev/$want" ] && dev=$want
    else
        for b in /sys/block/sd* /sys/block/vd*; do
            [ -e "$b" ] && { dev=${b##*/}; break; }
        done
    fi
    [ -n "$dev" ] && break
    sleep 0.5
    n=$((n + 1))
done
if [ -z "$dev" ]; then
    hvtest_say "fio-error no disk${want:+ $want}"
    exit 1
fi
drv=$(basename "$(readlink -f "/sys/block/$dev/device/driver")" 2>/dev/null)
hvtest_say "fio-disk dev=$dev sectors=$(cat "/sys/block/$dev/size")" \
    "driver=${drv:-unknown}"

# run NAME RW BS IODEPTH: one fio job; prints its result line.
run() {
    out=$(fio --name="$1" --filename="/dev/$dev" --direct=1 \
              --ioengine=libaio --rw="$2" --bs="$3" --iodepth="$4" \
              --size="${size}M" --runtime="$runtime" --time_based \
              --ramp_time=1 --norandommap --randrepeat=0 \
              --minimal 2>/dev/null)
    rc=$?
    # Terse format v3: read bandwidth (KiB/s) and IOPS are fields 7 and 8,
    # write bandwidth and IOPS fields 48 and 49.
    echo "$out" | awk -F';' -v job="$1" -v rc="$rc" '
        $1 == "3" {
            kib = $7 + $48; iops = $8 + $49
            printf "job=%s mbps=%.1f iops=%d rc=%s\n", job,
                kib * 1024 / 1000000, iops, rc
            found = 1
        }
        END { if (!found) printf "job=%s mbps=0 iops=0 rc=%s\n", job, rc }' |
        while IFS= read -r line; do hvtest_say "fio-result $line"; done
}

# Writes first: afterwards the reads find written blocks everywhere.
run seqwrite write 1M 8
run seqread read 1M 8
run randread-qd1 randread 4k 1
run randread-qd32 randread 4k 32
exit 0
