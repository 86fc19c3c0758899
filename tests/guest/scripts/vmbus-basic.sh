#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# What the guest sees of Hyper-V and VMBus, as lines for the host test
# (tests/qtest/hvpart-boot-test.c). They reach the console through the
# kernel log, so each shows after a "[    5.123456] " timestamp:
#
#   HVTEST: hypervisor=<name|none>
#   HVTEST: hyperv-detected=yes|no
#   HVTEST: clocksource=<current clocksource>
#   HVTEST: vmbus-version=<x.y|none>
#   HVTEST: vmbus-dev id=<instance> class=<interface type> driver=<name|none>
#   HVTEST: vmbus-devices=<count>
#   HVTEST: ic-version <service>=<x.y>       (for each IC that negotiated)
#   HVTEST: sleep-start / HVTEST: sleep-end  (5 s apart; timed by the host)
#
# Then, if the shutdown integration service is bound to hv_utils, it waits
# (up to 600 s) for the host to shut the guest down through it
# ("HVTEST: waiting-for-shutdown"); otherwise it ends.

# shellcheck source=SCRIPTDIR/../hvtest-lib.sh
. /lib/hvtest-lib.sh

shutdown_class=0e0b6031-5213-4934-818b-38d90ced39db

hypervisor=$(hvtest_hypervisor)
hvtest_say "hypervisor=$hypervisor"
# "Hypervisor detected: Microsoft Hyper-V": arch/x86/kernel/cpu/hypervisor.c
# prints the name of x86_hyper_ms_hyperv (arch/x86/kernel/cpu/mshyperv.c).
if [ "$hypervisor" = "Microsoft Hyper-V" ]; then
    hvtest_say "hyperv-detected=yes"
else
    hvtest_say "hyperv-detected=no"
fi
hvtest_say "clocksource=$(hvtest_clocksource)"
hvtest_say "vmbus-version=$(hvtest_vmbus_version)"

devices=$(hvtest_vmbus_devices)
count=0
have_shutdown_ic=no
if [ -n "$devices" ]; then
    while read -r id class driver; do
        hvtest_say "vmbus-dev id=$id class=$class driver=$driver"
        count=$((count + 1))
        if [ "$class" = "$shutdown_class" ] && [ "$driver" = hv_utils ]; then
            have_shutdown_ic=yes
        fi
    done <<EOF
$devices
EOF
fi
hvtest_say "vmbus-devices=$count"

# hv_utils logs "<Name> IC version x.y" when the host's ICMSG NEGOTIATE
# arrives (drivers/hv/hv_util.c), which may be a moment after the channel
# opened: wait a little for it, for information only.
if [ "$count" -gt 0 ]; then
    i=0
    while [ $i -lt 10 ] && ! dmesg | grep -q 'IC version'; do
        sleep 0.5
        i=$((i + 1))
    done
    dmesg | sed -n 's/.*hv_utils: \([A-Za-z]*\) IC version \([0-9.]*\).*/\1 \2/p' |
        while read -r service version; do
            hvtest_say "ic-version $service=$version"
        done
fi

# Time keeping: the host measures the wall time between these two lines.
hvtest_say "sleep-start"
sleep 5
hvtest_say "sleep-end"

if [ "$have_shutdown_ic" = no ]; then
    hvtest_say "shutdown-wait skipped (no shutdown IC bound to hv_utils)"
    exit 0
fi

# The host now sends system_powerdown; hv_utils' shutdown IC logs
# "hv_utils: Shutdown request received - graceful shutdown initiated" and
# calls orderly_poweroff(), which runs /sbin/poweroff.
hvtest_say "waiting-for-shutdown"
i=0
while [ $i -lt 600 ]; do
    sleep 1
    i=$((i + 1))
done
hvtest_say "shutdown-timeout"
exit 1
