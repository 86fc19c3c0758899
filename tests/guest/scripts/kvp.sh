#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# KVP: give the guest an IPv4 address (on a dummy interface: no traffic),
# start Debian's hv_kvp_daemon, and wait for the host's write to the
# external pool (key "hvpart-test-key") to arrive.
#   HVTEST: kvp-daemon=started|missing
#   HVTEST: kvp-host-value=<value>     (or kvp-host-value=none after 120 s)

# shellcheck source=SCRIPTDIR/../hvtest-lib.sh
. /lib/hvtest-lib.sh

modprobe dummy numdummies=1
ip addr add 192.0.2.10/24 dev dummy0
ip link set dummy0 up
hvtest_say "kvp-ipv4=$(ip -4 addr show dev dummy0 | awk '/inet / { print $2 }')"

if [ ! -x /usr/sbin/hv_kvp_daemon ]; then
    hvtest_say "kvp-daemon=missing"
    exit 1
fi
mkdir -p /var/lib/hyperv
/usr/sbin/hv_kvp_daemon -n > /tmp/kvp-daemon.log 2>&1 &
hvtest_say "kvp-daemon=started"

# The daemon keeps the external pool (pool 0) in this file: fixed-size
# records of a 512-byte key and a 2048-byte value, NUL padded.
pool=/var/lib/hyperv/.kvp_pool_0
i=0
while [ $i -lt 120 ]; do
    if [ -f "$pool" ] && grep -q hvpart-test-key "$pool"; then
        value=$(dd if="$pool" bs=1 skip=512 count=2048 2>/dev/null |
                tr -d '\000')
        hvtest_say "kvp-host-value=$value"
        exit 0
    fi
    sleep 1
    i=$((i + 1))
done
hvtest_say "kvp-host-value=none"
exit 1
