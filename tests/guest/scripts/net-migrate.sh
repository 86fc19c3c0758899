#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A TCP transfer from the guest that runs while the guest is live-migrated,
# for tests/qtest/hvpart-net-test.c (/hvpart/net/migrate). Load hv_vmbus
# and hv_netvsc first. The netdev is -netdev user with a guestfwd from
# 10.0.2.100:1234 to a socket chardev (slirp migrates such connections).
# Kernel parameters:
#   hvtest.net_mb=N       MiB to send (default 64), 1 MiB at a time with
#                         hvtest.net_gap_ms (default 250) between, so that
#                         the transfer outlasts the migration
#
#   HVTEST: net-if name=<ifname> mac=<address>
#   HVTEST: net-dhcp rc=<udhcpc status> ip=<address or none>
#   HVTEST: net-mig-tx-sha256=<hash of the data>
#   HVTEST: net-mig-tx-start
#   HVTEST: net-mig-tx-written     all handed to nc (the host counts bytes)
#   then "net-mig-alive <n>" every 5 s until the host stops the guest

# shellcheck source=SCRIPTDIR/../hvtest-lib.sh
. /lib/hvtest-lib.sh

mb=$(hvtest_cmdline_value hvtest.net_mb)
mb=${mb:-64}
gap=$(hvtest_cmdline_value hvtest.net_gap_ms)
gap=${gap:-250}

ifname=$(hvtest_net_if hv_netvsc)
if [ -z "$ifname" ]; then
    hvtest_say "net-if name=none"
    exit 1
fi
hvtest_say "net-if name=$ifname mac=$(cat "/sys/class/net/$ifname/address")"
ip link set "$ifname" up
udhcpc -i "$ifname" -q -n -t 10 -T 2 >/dev/null 2>&1
rc=$?
addr=$(ip -4 -o addr show dev "$ifname" | sed -n 's/.* inet \([0-9.]*\).*/\1/p')
hvtest_say "net-dhcp rc=$rc ip=${addr:-none}"

dd if=/dev/urandom of=/tmp/tx bs=1M count="$mb" 2>/dev/null
hvtest_say "net-mig-tx-sha256=$(sha256sum /tmp/tx | cut -d' ' -f1)"
hvtest_say "net-mig-tx-start"
sleep_gap=$(awk -v ms="$gap" 'BEGIN { printf "%.3f", ms / 1000 }')
(
    i=0
    while [ $i -lt "$mb" ]; do
        dd if=/tmp/tx bs=1M skip=$i count=1 2>/dev/null
        sleep "$sleep_gap"
        i=$((i + 1))
    done
    hvtest_say "net-mig-tx-written"
    # keep the connection open: the chardev end never closes it
    sleep 3600
) | nc 10.0.2.100 1234 > /dev/null &

n=0
while [ $n -lt 720 ]; do
    sleep 5
    hvtest_say "net-mig-alive $n"
    n=$((n + 1))
done
exit 1
