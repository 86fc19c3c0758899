#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Watch the network interfaces of hv_netvsc while the host adds and removes
# vmbus-net devices, for tests/qtest/hvpart-net-test.c (/hvpart/net/hotplug).
# Load hv_vmbus and hv_netvsc first. hv_netvsc registers the interface at
# the end of its probe, so an interface means the driver is done talking
# to the host.
#
#   HVTEST: net-watch-start
#   HVTEST: net-if name=<ifname> mac=<address>    an interface appeared
#   HVTEST: net-if-gone name=<ifname>             it went away
#
# Every half second, for at most 20 minutes.

# shellcheck source=SCRIPTDIR/../hvtest-lib.sh
. /lib/hvtest-lib.sh

netvsc_ifs() {
    for d in /sys/class/net/*; do
        drv=$(readlink "$d/device/driver" 2>/dev/null)
        [ "${drv##*/}" = hv_netvsc ] || continue
        echo "${d##*/} $(cat "$d/address")"
    done
}

prev=$(netvsc_ifs)
hvtest_say "net-watch-start"
n=0
while [ $n -lt 2400 ]; do
    cur=$(netvsc_ifs)
    if [ "$cur" != "$prev" ]; then
        printf '%s\n' "$cur" | while read -r name mac; do
            [ -n "$name" ] || continue
            printf '%s\n' "$prev" | grep -q "^$name " ||
                hvtest_say "net-if name=$name mac=$mac"
        done
        printf '%s\n' "$prev" | while read -r name mac; do
            [ -n "$name" ] || continue
            printf '%s\n' "$cur" | grep -q "^$name " ||
                hvtest_say "net-if-gone name=$name"
        done
        prev=$cur
    fi
    sleep 0.5
    n=$((n + 1))
done
hvtest_say "net-watch-timeout"
