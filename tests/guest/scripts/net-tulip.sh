#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The synthetic NIC (hv_netvsc on vmbus-net) and the legacy NIC (QEMU's
# tulip, a DEC 21143) in one guest, each on its own -netdev user, for
# tests/qtest/hvpart-net-test.c (/hvpart/net/tulip). Load hv_vmbus,
# hv_netvsc and tulip first. Kernel parameters:
#   hvtest.net_port=N     TCP port of the host reached through vmbus-net
#                         (slirp host alias 10.0.2.2)
#   hvtest.tulip_port=N   TCP port of the host reached through tulip (its
#                         netdev is 10.0.3.0/24: host alias 10.0.3.2)
#   hvtest.net_mb=N       MiB sent over each NIC, both at once (default 16)
# The guest listens on TCP port 5003 for the host's data over tulip (slirp
# hostfwd on the tulip netdev).
#
#   HVTEST: net-if drv=<hv_netvsc|tulip> name=<ifname> mac=<address>
#   HVTEST: net-dhcp drv=<driver> rc=<udhcpc status> ip=<address or none>
#   HVTEST: net-tx-sha256=<hash of the data sent over each NIC>
#   HVTEST: net-tx-done drv=<driver> rc=<nc status>
#   HVTEST: net-rx-listening
#   HVTEST: net-rx-sha256=<hash> bytes=<count>   what the host sent over tulip

# shellcheck source=SCRIPTDIR/../hvtest-lib.sh
. /lib/hvtest-lib.sh

net_port=$(hvtest_cmdline_value hvtest.net_port)
tulip_port=$(hvtest_cmdline_value hvtest.tulip_port)
mb=$(hvtest_cmdline_value hvtest.net_mb)
mb=${mb:-16}

rc=0
for drv in hv_netvsc tulip; do
    ifname=$(hvtest_net_if "$drv")
    if [ -z "$ifname" ]; then
        hvtest_say "net-if drv=$drv name=none"
        exit 1
    fi
    hvtest_say "net-if drv=$drv name=$ifname" \
        "mac=$(cat "/sys/class/net/$ifname/address")"
    ip link set "$ifname" up
    hvtest_net_wait_carrier "$ifname"
    udhcpc -i "$ifname" -q -n -t 10 -T 2 >/dev/null 2>&1
    r=$?
    addr=$(ip -4 -o addr show dev "$ifname" |
           sed -n 's/.* inet \([0-9.]*\).*/\1/p')
    hvtest_say "net-dhcp drv=$drv rc=$r ip=${addr:-none}"
    [ $r = 0 ] || rc=1
done
[ $rc = 0 ] || exit 1

# Guest to host over both NICs at once, the same data.
dd if=/dev/urandom of=/tmp/tx bs=1M count="$mb" 2>/dev/null
hvtest_say "net-tx-sha256=$(sha256sum /tmp/tx | cut -d' ' -f1)"
nc 10.0.2.2 "$net_port" < /tmp/tx > /dev/null &
npid=$!
nc 10.0.3.2 "$tulip_port" < /tmp/tx > /dev/null &
tpid=$!
wait $npid
hvtest_say "net-tx-done drv=hv_netvsc rc=$?"
wait $tpid
hvtest_say "net-tx-done drv=tulip rc=$?"
rm -f /tmp/tx

# Host to guest over tulip: the host connects through hostfwd.
nc -l -p 5003 < /dev/null > /tmp/rx &
pid=$!
sleep 1
hvtest_say "net-rx-listening"
wait $pid
hvtest_say "net-rx-sha256=$(sha256sum /tmp/rx | cut -d' ' -f1)" \
    "bytes=$(wc -c < /tmp/rx)"
rm -f /tmp/rx
