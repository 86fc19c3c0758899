#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Receive checksums, for tests/qtest/hvpart-net-test.c (/hvpart/net/csum).
# Load hv_vmbus and hv_netvsc first. The test, the only other end of a
# -netdev dgram link, sends UDP (IPv4 and IPv6) and TCP (IPv4) segments to
# closed ports of this guest, some with bad checksums. The guest's stack
# answers a good one (UDP: port unreachable, counted as NoPorts; TCP: a
# reset, OutRsts) and counts a bad one as a checksum error, unless the
# host told it that the checksum was good. Kernel parameters:
#   hvtest.net_ip=A.B.C.D/N     this guest's IPv4 address
#   hvtest.net_ip6=ADDR/N       and its IPv6 address
#   hvtest.csum_expect=N        how many segments to wait for (up to 120 s)
#
#   HVTEST: net-if name=<ifname> mac=<address>
#   HVTEST: net-csum-ready
#   HVTEST: net-csum udp4-noports=N udp4-csumerrs=N udp4-inerrs=N
#           udp6-noports=N udp6-csumerrs=N tcp4-rsts=N tcp4-csumerrs=N
#           (what each counter of the guest's stack went up by)

# shellcheck source=SCRIPTDIR/../hvtest-lib.sh
. /lib/hvtest-lib.sh

addr=$(hvtest_cmdline_value hvtest.net_ip)
addr6=$(hvtest_cmdline_value hvtest.net_ip6)
expect=$(hvtest_cmdline_value hvtest.csum_expect)

ifname=$(hvtest_net_if hv_netvsc)
if [ -z "$ifname" ]; then
    hvtest_say "net-if name=none"
    exit 1
fi
hvtest_say "net-if name=$ifname mac=$(cat "/sys/class/net/$ifname/address")"
# No duplicate address detection: the address is usable at once.
echo 0 > "/proc/sys/net/ipv6/conf/$ifname/accept_dad"
ip addr add "$addr" dev "$ifname"
ip -6 addr add "$addr6" dev "$ifname"
ip link set "$ifname" up
hvtest_net_wait_carrier "$ifname"

# counters: the seven counters of the HVTEST: net-csum line, in its order
counters() {
    awk '
        FILENAME ~ /snmp6$/ { v6[$1] = $2; next }
        $1 == "Udp:" || $1 == "Tcp:" {
            if (!($1 in hdr)) { hdr[$1] = 1
                for (i = 2; i <= NF; i++) name[$1, i] = $i
                next }
            for (i = 2; i <= NF; i++) c[$1 name[$1, i]] = $i
        }
        END { print c["Udp:NoPorts"], c["Udp:InCsumErrors"],
                    c["Udp:InErrors"], v6["Udp6NoPorts"],
                    v6["Udp6InCsumErrors"], c["Tcp:OutRsts"],
                    c["Tcp:InCsumErrors"] }' /proc/net/snmp /proc/net/snmp6
}

# delta BEFORE AFTER: the seven differences
delta() {
    printf '%s %s\n' "$1" "$2" | awk '{
        for (i = 1; i <= 7; i++) printf "%d ", $(i + 7) - $i }'
}

c0=$(counters)
hvtest_say "net-csum-ready"
n=0
while [ $n -lt 240 ]; do
    # shellcheck disable=SC2046  # seven numbers
    set -- $(delta "$c0" "$(counters)")
    [ $(($1 + $2 + $3 + $4 + $5 + $6 + $7)) -ge "${expect:-1}" ] && break
    sleep 0.5
    n=$((n + 1))
done
# shellcheck disable=SC2046  # seven numbers
set -- $(delta "$c0" "$(counters)")
hvtest_say "net-csum udp4-noports=$1 udp4-csumerrs=$2 udp4-inerrs=$3" \
    "udp6-noports=$4 udp6-csumerrs=$5 tcp4-rsts=$6 tcp4-csumerrs=$7"
