#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Synthetic SCSI through hv_storvsc, for tests/qtest/hvpart-storage-test.c.
# Load hv_vmbus, hv_storvsc, sd_mod and sr_mod first.
#
# Kernel parameters:
#   hvtest.storage.mb=N        data test size in MiB (default 64); disks
#                              smaller than that are only listed
#   hvtest.storage.devices=N   wait for N SCSI devices (else for the count
#                              to stay the same for 5 s)
#   hvtest.storage.discard=1   blkdiscard the disks too small for the data
#                              test (at least 1 MiB)
#   hvtest.storage.preread=T:L,...  before the data test of the disks at
#                              target T, LUN L (of any controller), hash
#                              what they hold (a differencing disk's parent
#                              data, say): before=<sha256> in disk-data
#   hvtest.storage.hotplug=N   afterwards, watch devices come and go until
#                              N were added and N removed and the SCSI
#                              hosts are those of the start again
#
# Lines for the host:
#   HVTEST: scsi-dev hctl=<H:C:T:L> controller=<vmbus instance> type=<n>
#           block=<sdX|srX|none> sectors=<512-byte sectors>
#   HVTEST: scsi-devices=<count>
#   HVTEST: disk-data hctl=<H:C:T:L> controller=<instance> mb=<N>
#           [before=<sha256>] written=<sha256> read=<sha256>
#           write-s=<s> read-s=<s>
#           (random data written to the raw disk with conv=fsync, the page
#           cache dropped, read back)
#   HVTEST: disk-discard hctl=... controller=... rc=<blkdiscard status>
#           discard-max=<bytes the queue allows per discard>
#   HVTEST: hotplug-watch
#   HVTEST: scsi-added hctl=... controller=... type=... block=...
#           sha256-1m=<hash of the first MiB, for disks>
#   HVTEST: scsi-removed hctl=...
#   HVTEST: scsi-host-added host=hostN / scsi-host-removed host=hostN
#   HVTEST: hotplug-done / HVTEST: hotplug-timeout

# shellcheck source=SCRIPTDIR/../hvtest-lib.sh
. /lib/hvtest-lib.sh

mb=$(hvtest_cmdline_value hvtest.storage.mb || echo 64)
want_devices=$(hvtest_cmdline_value hvtest.storage.devices || echo 0)
discard=$(hvtest_cmdline_value hvtest.storage.discard || echo 0)
hotplug=$(hvtest_cmdline_value hvtest.storage.hotplug || echo 0)
preread=$(hvtest_cmdline_value hvtest.storage.preread || echo "")

# The VMBus instance GUID of the controller above SCSI device $1 (H:C:T:L):
# sysfs puts the SCSI host below its VMBus device.
scsi_controller() {
    readlink -f "/sys/class/scsi_device/$1/device" |
        sed -n 's|.*/\([0-9a-f]\{8\}-[0-9a-f]\{4\}-[0-9a-f]\{4\}-[0-9a-f]\{4\}-[0-9a-f]\{12\}\)/host[0-9]*/.*|\1|p'
}

scsi_count() {
    hvtest_scsi_devices | grep -c .
}

# Wait until the guest's asynchronous scan is over: the wanted number of
# devices, or no change for 5 s; then until every disk has its block
# device (sd probes asynchronously as well). At most 180 s.
settle() {
    n=0
    stable=0
    last=-1
    while [ $n -lt 360 ]; do
        cur=$(scsi_count)
        if [ "$want_devices" -gt 0 ]; then
            [ "$cur" -ge "$want_devices" ] && break
        elif [ "$cur" -eq "$last" ] && [ "$cur" -gt 0 ]; then
            stable=$((stable + 1))
            [ $stable -ge 10 ] && break
        else
            stable=0
        fi
        last=$cur
        sleep 0.5
        n=$((n + 1))
    done
    hvtest_scsi_wait_blocks
}

describe() {
    d=$1
    blk=$(hvtest_scsi_block "$d")
    sectors=0
    [ "$blk" != none ] && sectors=$(cat "/sys/block/$blk/size" 2>/dev/null)
    echo "hctl=$d controller=$(scsi_controller "$d")" \
        "type=$(cat "/sys/class/scsi_device/$d/device/type" 2>/dev/null)" \
        "block=$blk sectors=${sectors:-0}"
}

sha_of() {
    sha256sum | cut -d' ' -f1
}

# Seconds since boot with two decimals, as an integer of centiseconds
centis() {
    tr -d . < /proc/uptime | cut -d' ' -f1
}

secs_since() {
    t=$(( $(centis) - $1 ))
    printf '%d.%02d' $((t / 100)) $((t % 100))
}

data_test() {
    d=$1
    blk=$2
    where="hctl=$d controller=$(scsi_controller "$d")"
    before=""
    for tl in $(echo "$preread" | tr ',' ' '); do
        case "$d" in
        *:"$tl")
            before="before=$(dd if="/dev/$blk" bs=1M count="$mb" \
                2>/dev/null | sha_of) "
            ;;
        esac
    done
    dd if=/dev/urandom of=/tmp/disk-data bs=1M count="$mb" 2>/dev/null
    written=$(sha_of < /tmp/disk-data)
    t0=$(centis)
    dd if=/tmp/disk-data of="/dev/$blk" bs=1M conv=fsync 2>/dev/null
    wrc=$?
    tw=$(secs_since "$t0")
    rm -f /tmp/disk-data
    sync
    echo 3 > /proc/sys/vm/drop_caches
    t0=$(centis)
    read=$(dd if="/dev/$blk" bs=1M count="$mb" 2>/dev/null | sha_of)
    tr=$(secs_since "$t0")
    hvtest_say "disk-data $where mb=$mb ${before}written=$written read=$read" \
        "write-s=$tw read-s=$tr write-rc=$wrc"
}

discard_test() {
    d=$1
    blk=$2
    where="hctl=$d controller=$(scsi_controller "$d")"
    max=$(cat "/sys/block/$blk/queue/discard_max_bytes" 2>/dev/null)
    rc=skipped
    if [ "${max:-0}" -gt 0 ]; then
        blkdiscard "/dev/$blk" 2>/dev/null
        rc=$?
    fi
    hvtest_say "disk-discard $where rc=$rc discard-max=${max:-0}"
}

settle
count=0
for d in $(hvtest_scsi_devices); do
    hvtest_say "scsi-dev $(describe "$d")"
    count=$((count + 1))
done
hvtest_say "scsi-devices=$count"

for d in $(hvtest_scsi_devices); do
    blk=$(hvtest_scsi_block "$d")
    case "$blk" in
    sd*) ;;
    *) continue ;;
    esac
    sectors=$(cat "/sys/block/$blk/size")
    if [ "$sectors" -ge $((mb * 2048)) ]; then
        data_test "$d" "$blk"
    fi
done
if [ "$discard" = 1 ]; then
    for d in $(hvtest_scsi_devices); do
        blk=$(hvtest_scsi_block "$d")
        case "$blk" in
        sd*) ;;
        *) continue ;;
        esac
        sectors=$(cat "/sys/block/$blk/size")
        # Discard the disks that are too small for the data test.
        if [ "$sectors" -lt $((mb * 2048)) ] && [ "$sectors" -ge 2048 ]; then
            discard_test "$d" "$blk"
        fi
    done
fi

[ "$hotplug" -gt 0 ] || exit 0

scsi_hosts() {
    for h in /sys/class/scsi_host/*; do
        [ -e "$h" ] && echo "${h##*/}"
    done
}

# Hot-plug: report SCSI devices and hosts (controllers) that come and go,
# until $hotplug devices were added and as many removed, and the hosts are
# those of the start again.
prev=$(hvtest_scsi_devices)
hosts0=$(scsi_hosts)
prev_hosts=$hosts0
hvtest_say "hotplug-watch"
added=0
removed=0
n=0
while [ $n -lt 1200 ]; do
    cur_hosts=$(scsi_hosts)
    for h in $cur_hosts; do
        printf '%s\n' "$prev_hosts" | grep -qxF "$h" ||
            hvtest_say "scsi-host-added host=$h"
    done
    cur=$(hvtest_scsi_devices)
    if [ "$cur" != "$prev" ]; then
        for d in $cur; do
            printf '%s\n' "$prev" | grep -qxF "$d" && continue
            # Give sd a moment to attach the block device.
            i=0
            while [ $i -lt 20 ] && [ "$(hvtest_scsi_block "$d")" = none ]; do
                sleep 0.5
                i=$((i + 1))
            done
            blk=$(hvtest_scsi_block "$d")
            sha=none
            case "$blk" in
            sd*) sha=$(dd if="/dev/$blk" bs=64k count=16 2>/dev/null | sha_of) ;;
            esac
            hvtest_say "scsi-added $(describe "$d") sha256-1m=$sha"
            added=$((added + 1))
        done
        for d in $prev; do
            printf '%s\n' "$cur" | grep -qxF "$d" && continue
            hvtest_say "scsi-removed hctl=$d"
            removed=$((removed + 1))
        done
        prev=$cur
    fi
    for h in $prev_hosts; do
        printf '%s\n' "$cur_hosts" | grep -qxF "$h" ||
            hvtest_say "scsi-host-removed host=$h"
    done
    prev_hosts=$cur_hosts
    if [ $added -ge "$hotplug" ] && [ $removed -ge "$hotplug" ] &&
        [ "$cur_hosts" = "$hosts0" ]; then
        hvtest_say "hotplug-done"
        exit 0
    fi
    sleep 0.5
    n=$((n + 1))
done
hvtest_say "hotplug-timeout"
exit 1
