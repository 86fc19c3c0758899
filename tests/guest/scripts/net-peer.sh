#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Two guests on one -netdev stream link, for tests/qtest/hvpart-net-test.c
# (/hvpart/net/stream). Load hv_vmbus and hv_netvsc first. Kernel
# parameters:
#   hvtest.net_ip=A.B.C.D/N   this guest's address
#   hvtest.net_peer=A.B.C.D   the other guest's
#   hvtest.net_role=send|recv the sender pushes hvtest.net_mb MiB (default 8)
#                             of random data to the receiver's TCP port 5002
#   hvtest.net_mtu=N          the MTU to set (default: the driver's)
#
#   HVTEST: net-if name=<ifname> mac=<address>
#   HVTEST: net-peer-mtu=<MTU>
#   HVTEST: net-peer-ping rc=<0 once the peer answered>
#   HVTEST: net-peer-tx-sha256=<hash>            (sender)
#   HVTEST: net-peer-tx-done rc=<nc status>      (sender)
#   HVTEST: net-peer-rx-sha256=<hash> bytes=<n>  (receiver)

# shellcheck source=SCRIPTDIR/../hvtest-lib.sh
. /lib/hvtest-lib.sh

addr=$(hvtest_cmdline_value hvtest.net_ip)
peer=$(hvtest_cmdline_value hvtest.net_peer)
role=$(hvtest_cmdline_value hvtest.net_role)
mb=$(hvtest_cmdline_value hvtest.net_mb)
mb=${mb:-8}

ifname=$(hvtest_net_if hv_netvsc)
if [ -z "$ifname" ]; then
    hvtest_say "net-if name=none"
    exit 1
fi
hvtest_say "net-if name=$ifname mac=$(cat "/sys/class/net/$ifname/address")"
mtu=$(hvtest_cmdline_value hvtest.net_mtu)
if [ -n "$mtu" ]; then
    ip link set "$ifname" mtu "$mtu"
fi
hvtest_say "net-peer-mtu=$(cat "/sys/class/net/$ifname/mtu")"
ip addr add "$addr" dev "$ifname"
ip link set "$ifname" up

# The other guest may boot later: keep asking for up to 4 minutes.
rc=1
n=0
while [ $n -lt 120 ]; do
    if ping -c 1 -W 2 "$peer" >/dev/null 2>&1; then
        rc=0
        break
    fi
    n=$((n + 1))
done
hvtest_say "net-peer-ping rc=$rc"
[ $rc = 0 ] || exit 1

if [ "$role" = recv ]; then
    # busybox nc ends when either side ends, and the sender's ends with the
    # data: give ours no end (a FIFO opened for reading and writing).
    mkfifo /tmp/hold
    nc -l -p 5002 <> /tmp/hold > /tmp/rx
    hvtest_say "net-peer-rx-sha256=$(sha256sum /tmp/rx | cut -d' ' -f1)" \
        "bytes=$(wc -c < /tmp/rx)"
    exit 0
fi

dd if=/dev/urandom of=/tmp/tx bs=1M count="$mb" 2>/dev/null
hvtest_say "net-peer-tx-sha256=$(sha256sum /tmp/tx | cut -d' ' -f1)"
# Until the receiver listens, the connection is refused: try again.
n=0
until nc "$peer" 5002 < /tmp/tx > /dev/null; do
    n=$((n + 1))
    if [ $n -ge 120 ]; then
        hvtest_say "net-peer-tx-done rc=1"
        exit 1
    fi
    sleep 1
done
hvtest_say "net-peer-tx-done rc=0"
