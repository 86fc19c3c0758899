#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Memory pool exhaustion as the guest sees it: after the host emptied the
# pool, hv_utils cannot set up its channel's GPADL (HvPostMessage answers
# HV_STATUS_INSUFFICIENT_MEMORY); after the host deposited again, binding
# the device anew works.
#   HVTEST: pool-ready              -> host withdraws everything
#   HVTEST: pool-driver=<driver>    (first try)
#   HVTEST: pool-retry-ready        -> host deposits
#   HVTEST: pool-driver2=<driver>   (second try)

# shellcheck source=SCRIPTDIR/../hvtest-lib.sh
. /lib/hvtest-lib.sh

delay=$(hvtest_cmdline_value hvtest.pool_delay) || delay=10

driver_of() {
    for d in /sys/bus/vmbus/devices/*; do
        if [ -e "$d/driver" ]; then
            basename "$(readlink "$d/driver")"
        else
            echo none
        fi
        return
    done
    echo nodevice
}

hvtest_say "pool-ready"
sleep "$delay"
modprobe hv_utils
hvtest_say "pool-driver=$(driver_of)"
hvtest_say "pool-retry-ready"
sleep "$delay"
for d in /sys/bus/vmbus/devices/*; do
    echo "$(basename "$d")" > /sys/bus/vmbus/drivers/hv_utils/bind 2>/dev/null
done
sleep 1
hvtest_say "pool-driver2=$(driver_of)"
