#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Disk writes through hv_storvsc that go on while the guest is
# live-migrated, for tests/qtest/hvpart-storage-test.c
# (/hvpart/storage/migrate). Load hv_vmbus, hv_storvsc and sd_mod first.
# The one SCSI disk is on storage both QEMUs open (an image file).
# Kernel parameters:
#   hvtest.storage.mb=N      MiB to write (default 128), 1 MiB at a time
#                            with O_DIRECT, hvtest.storage.gap_ms (default
#                            100) between, so that the writes outlast the
#                            migration
#
#   HVTEST: disk-mig-disk block=<sdX or none>
#   HVTEST: disk-mig-sha256=<hash of the data>
#   HVTEST: disk-mig-mb=<MiB written so far>    after every 4 MiB
#   HVTEST: disk-mig-done written=<sha256> read=<sha256 read back>
#           (page cache dropped, O_DIRECT reads)
#   then "disk-mig-alive <n>" every 5 s until the host stops the guest

# shellcheck source=SCRIPTDIR/../hvtest-lib.sh
. /lib/hvtest-lib.sh

mb=$(hvtest_cmdline_value hvtest.storage.mb || echo 128)
gap=$(hvtest_cmdline_value hvtest.storage.gap_ms || echo 100)

n=0
while [ -z "$(hvtest_scsi_devices)" ] && [ $n -lt 120 ]; do
    sleep 0.5
    n=$((n + 1))
done
hvtest_scsi_wait_blocks
dev=$(hvtest_scsi_devices | head -n 1)
blk=$(hvtest_scsi_block "$dev")
hvtest_say "disk-mig-disk block=$blk"
[ "$blk" != none ] || exit 1

dd if=/dev/urandom of=/tmp/data bs=1M count="$mb" 2>/dev/null
sha=$(sha256sum /tmp/data | cut -d' ' -f1)
hvtest_say "disk-mig-sha256=$sha"
sleep_gap=$(awk -v ms="$gap" 'BEGIN { printf "%.3f", ms / 1000 }')
i=0
while [ $i -lt "$mb" ]; do
    dd if=/tmp/data of="/dev/$blk" bs=1M skip=$i seek=$i count=1 \
       oflag=direct conv=notrunc 2>/dev/null
    i=$((i + 1))
    [ $((i % 4)) -eq 0 ] && hvtest_say "disk-mig-mb=$i"
    sleep "$sleep_gap"
done
sync
echo 3 > /proc/sys/vm/drop_caches
read=$(dd if="/dev/$blk" bs=1M count="$mb" iflag=direct 2>/dev/null |
       sha256sum | cut -d' ' -f1)
hvtest_say "disk-mig-done written=$sha read=$read"
k=0
while :; do
    sleep 5
    k=$((k + 1))
    hvtest_say "disk-mig-alive $k"
done
