#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Watch /sys/bus/vmbus/devices while the host adds and removes VMBus
# devices, for the hot-plug test (tests/qtest/hvpart-guest-test.c,
# /hvpart/guest/hotplug). Load hv_vmbus and hv_utils first.
#
#   HVTEST: watch-start devices=<count>
#   HVTEST: vmbus-dev id=<instance> class=<type> driver=<name|none>
#           a device appeared, or its driver changed
#   HVTEST: vmbus-gone id=<instance> class=<type>
#           a device disappeared
#
# Every half second, for at most 20 minutes, then the guest powers off.

# shellcheck source=SCRIPTDIR/../hvtest-lib.sh
. /lib/hvtest-lib.sh

prev=$(hvtest_vmbus_devices | sort)
hvtest_say "watch-start devices=$(printf '%s' "$prev" | grep -c .)"
n=0
while [ $n -lt 2400 ]; do
    cur=$(hvtest_vmbus_devices | sort)
    if [ "$cur" != "$prev" ]; then
        printf '%s\n' "$cur" | while read -r id class driver; do
            [ -n "$id" ] || continue
            printf '%s\n' "$prev" | grep -qxF "$id $class $driver" ||
                hvtest_say "vmbus-dev id=$id class=$class driver=$driver"
        done
        printf '%s\n' "$prev" | while read -r id class driver; do
            [ -n "$id" ] || continue
            printf '%s\n' "$cur" | grep -q "^$id " ||
                hvtest_say "vmbus-gone id=$id class=$class"
        done
        prev=$cur
    fi
    sleep 0.5
    n=$((n + 1))
done
hvtest_say "watch-timeout"
