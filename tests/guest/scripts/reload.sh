#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Unload and reload hv_netvsc and hv_storvsc, for the driver-reload test
# (tests/qtest/hvpart-guest-test.c, /hvpart/guest/driver-reload): each time
# the drivers bind, count the channels (primary + sub-channels) each device
# has open in sysfs. Load hv_vmbus first. storvsc asks for a sub-channel
# per VP (storvsc_vcpus_per_sub_channel=1), netvsc for one per VP anyway.
#
#   HVTEST: channels round=N netvsc=<count> storvsc=<count>
#   HVTEST: reload-done

# shellcheck source=SCRIPTDIR/../hvtest-lib.sh
. /lib/hvtest-lib.sh

# chans DRIVER: the channels of the first device bound to DRIVER.
chans() {
    for d in /sys/bus/vmbus/drivers/"$1"/*-*; do
        if [ -d "$d/channels" ]; then
            ls "$d/channels" | grep -c .
            return
        fi
    done
    echo 0
}

# Load both, then wait (at most 120 s) until the counts stop changing
# for 3 s with both at 2 or more.
load_and_count() {
    modprobe hv_netvsc
    modprobe hv_storvsc storvsc_vcpus_per_sub_channel=1
    last=
    same=0
    i=0
    while [ $i -lt 240 ]; do
        cur="netvsc=$(chans hv_netvsc) storvsc=$(chans hv_storvsc)"
        if [ "$cur" = "$last" ]; then
            same=$((same + 1))
        else
            same=0
            last=$cur
        fi
        case "$cur" in
        *=0*|*=1\ *|*=1) ;;
        *) [ $same -ge 6 ] && break ;;
        esac
        sleep 0.5
        i=$((i + 1))
    done
    hvtest_say "channels round=$1 $cur"
}

load_and_count 1
rmmod hv_netvsc
rmmod hv_storvsc
sleep 2
load_and_count 2
hvtest_say "reload-done"
