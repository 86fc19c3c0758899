#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Emulated IDE and the IDE accelerator channel, for
# tests/qtest/hvpart-ide-test.c. Load ata_piix, hv_vmbus, hv_storvsc,
# sd_mod and sr_mod first.
#
# Kernel parameters:
#   hvtest.ide.boot=WORD       say it back (the test puts it in the boot
#                              loader's configuration only)
#   hvtest.ide.devices=N       wait for N SCSI devices, ATA ones included
#   hvtest.ide.cd-sectors=N    hash the first N 2048-byte sectors of the
#                              CD-ROM
#   hvtest.ide.data=1          afterwards run storage.sh (random data on
#                              every disk as large as hvtest.storage.mb)
#
# Lines for the host:
#   HVTEST: ide-boot=<WORD>
#   HVTEST: ide-smbios vendor=<sys_vendor> product=<product_name>
#           (blanks as '_')
#   HVTEST: ide-ata-ignore=<1 if ata_piix said it ignores ATA devices>
#   HVTEST: ide-vmbus id=<instance GUID> driver=<driver>
#           (each IDE accelerator channel)
#   HVTEST: ide-dev hctl=<H:C:T:L> via=<vmbus|ata|other>
#           controller=<instance GUID|none> type=<n> block=<sdX|srX|none>
#   HVTEST: ide-devices=<count>
#   HVTEST: ide-cd block=<srX> sectors=<N> sha256=<hash>

# shellcheck source=SCRIPTDIR/../hvtest-lib.sh
. /lib/hvtest-lib.sh

IDE_CLASS=32412632-86cb-44a2-9b5c-50d1417354f5

want=$(hvtest_cmdline_value hvtest.ide.devices || echo 1)
cd_sectors=$(hvtest_cmdline_value hvtest.ide.cd-sectors || echo 0)
data=$(hvtest_cmdline_value hvtest.ide.data || echo 0)

boot=$(hvtest_cmdline_value hvtest.ide.boot) && hvtest_say "ide-boot=$boot"

vendor=$(tr ' ' _ < /sys/class/dmi/id/sys_vendor 2>/dev/null)
product=$(tr ' ' _ < /sys/class/dmi/id/product_name 2>/dev/null)
hvtest_say "ide-smbios vendor=${vendor:-none} product=${product:-none}"
if dmesg | grep -q 'ATA device ignore set'; then
    hvtest_say "ide-ata-ignore=1"
else
    hvtest_say "ide-ata-ignore=0"
fi

# Wait (at most 180 s) for the devices, then for their block devices.
n=0
while [ $n -lt 360 ] && [ "$(hvtest_scsi_devices | grep -c .)" -lt "$want" ]; do
    sleep 0.5
    n=$((n + 1))
done
hvtest_scsi_wait_blocks

hvtest_vmbus_devices | while read -r id class driver; do
    [ "$class" = "$IDE_CLASS" ] && hvtest_say "ide-vmbus id=$id driver=$driver"
done

count=0
cd_block=none
for d in $(hvtest_scsi_devices); do
    path=$(readlink -f "/sys/class/scsi_device/$d/device")
    ctrl=$(echo "$path" |
        sed -n 's|.*/\([0-9a-f]\{8\}-[0-9a-f]\{4\}-[0-9a-f]\{4\}-[0-9a-f]\{4\}-[0-9a-f]\{12\}\)/host[0-9]*/.*|\1|p')
    case "$path" in
    */ata[0-9]*/*) via=ata ;;
    *) if [ -n "$ctrl" ]; then via=vmbus; else via=other; fi ;;
    esac
    type=$(cat "/sys/class/scsi_device/$d/device/type" 2>/dev/null)
    blk=$(hvtest_scsi_block "$d")
    [ "$type" = 5 ] && [ "$cd_block" = none ] && cd_block=$blk
    hvtest_say "ide-dev hctl=$d via=$via controller=${ctrl:-none}" \
        "type=$type block=$blk"
    count=$((count + 1))
done
hvtest_say "ide-devices=$count"

if [ "$cd_sectors" -gt 0 ] && [ "$cd_block" != none ]; then
    sha=$(dd if="/dev/$cd_block" bs=2048 count="$cd_sectors" 2>/dev/null |
        sha256sum | cut -d' ' -f1)
    hvtest_say "ide-cd block=$cd_block sectors=$cd_sectors sha256=$sha"
fi

[ "$data" = 1 ] || exit 0
# The data test of the synthetic SCSI tests, on the disks storvsc has now
exec sh /hvtest/storage.sh
