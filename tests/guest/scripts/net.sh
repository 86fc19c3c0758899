#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The synthetic NIC (hv_netvsc on vmbus-net), for tests/qtest/hvpart-net-test.c.
# Load hv_vmbus and hv_netvsc first. Kernel parameters:
#   hvtest.net_port=N   TCP port the host listens on (reached as 10.0.2.2:N
#                       through slirp)
#   hvtest.net_mb=N     MiB to send each way (default 64)
#   hvtest.net_ip=A/L   a static address instead of DHCP (a tap backend)
#   hvtest.net_host=A   the host's address (default 10.0.2.2, slirp's)
# The guest listens on TCP port 5001 for the host's data (slirp hostfwd).
#
#   HVTEST: net-if name=<ifname> mac=<address>
#   HVTEST: net-carrier=<0|1>               when it changes (first: after up)
#   HVTEST: net-dhcp rc=<udhcpc status, or "static"> ip=<address or none>
#   HVTEST: net-queues rx=<receive queues> tx=<transmit queues>
#   HVTEST: net-tx-sha256=<hash of the data the guest sends>
#   HVTEST: net-tx-done rc=<nc status>
#   HVTEST: net-rx-listening
#   HVTEST: net-rx-sha256=<hash> bytes=<count>   what the host sent
#   HVTEST: net-link-watch                   the host may toggle the link
#   then net-carrier lines, until the carrier went down and up again
#   (at most 5 minutes)

# shellcheck source=SCRIPTDIR/../hvtest-lib.sh
. /lib/hvtest-lib.sh

port=$(hvtest_cmdline_value hvtest.net_port)
mb=$(hvtest_cmdline_value hvtest.net_mb)
mb=${mb:-64}
static_ip=$(hvtest_cmdline_value hvtest.net_ip)
host=$(hvtest_cmdline_value hvtest.net_host)
host=${host:-10.0.2.2}

ifname=$(hvtest_net_if hv_netvsc)
if [ -z "$ifname" ]; then
    hvtest_say "net-if name=none"
    exit 1
fi
hvtest_say "net-if name=$ifname mac=$(cat "/sys/class/net/$ifname/address")"

ip link set "$ifname" up
carrier() {
    cat "/sys/class/net/$ifname/carrier" 2>/dev/null || echo x
}
n=0
while [ "$(carrier)" != 1 ] && [ $n -lt 100 ]; do
    sleep 0.2
    n=$((n + 1))
done
last=$(carrier)
hvtest_say "net-carrier=$last"

if [ -n "$static_ip" ]; then
    ip addr add "$static_ip" dev "$ifname"
    rc=static
else
    udhcpc -i "$ifname" -q -n -t 10 -T 2 >/dev/null 2>&1
    rc=$?
fi
addr=$(ip -4 -o addr show dev "$ifname" | sed -n 's/.* inet \([0-9.]*\).*/\1/p')
hvtest_say "net-dhcp rc=$rc ip=${addr:-none}"
# vRSS: one queue per channel (the sub-channels open after the probe)
queues=/sys/class/net/$ifname/queues
hvtest_say "net-queues rx=$(find "$queues" -maxdepth 1 -name 'rx-*' | wc -l)" \
    "tx=$(find "$queues" -maxdepth 1 -name 'tx-*' | wc -l)"

# Guest to host: random data, sent to the host's listener.
dd if=/dev/urandom of=/tmp/tx bs=1M count="$mb" 2>/dev/null
hvtest_say "net-tx-sha256=$(sha256sum /tmp/tx | cut -d' ' -f1)"
nc "$host" "$port" < /tmp/tx > /dev/null
hvtest_say "net-tx-done rc=$?"
rm -f /tmp/tx

# Host to guest: the host connects through hostfwd once we listen.
nc -l -p 5001 < /dev/null > /tmp/rx &
pid=$!
sleep 1
hvtest_say "net-rx-listening"
wait $pid
hvtest_say "net-rx-sha256=$(sha256sum /tmp/rx | cut -d' ' -f1)" \
    "bytes=$(wc -c < /tmp/rx)"
rm -f /tmp/rx

# Link: report every carrier change until it went down and came back.
hvtest_say "net-link-watch"
seen_down=0
n=0
while [ $n -lt 1500 ]; do
    cur=$(carrier)
    if [ "$cur" != "$last" ]; then
        hvtest_say "net-carrier=$cur"
        last=$cur
        [ "$cur" = 0 ] && seen_down=1
        if [ "$cur" = 1 ] && [ $seen_down = 1 ]; then
            exit 0
        fi
    fi
    sleep 0.2
    n=$((n + 1))
done
hvtest_say "net-link-timeout"
exit 1
