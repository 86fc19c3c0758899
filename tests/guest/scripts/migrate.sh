#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A guest that keeps showing it is alive, for the live migration test
# (tests/qtest/hvpart-guest-test.c, /hvpart/guest/migrate). Once the
# heartbeat and shutdown services have negotiated:
#
#   HVTEST: ics-ready
#   HVTEST: tick <n>                 every second, n = 0, 1, 2, ...
#   HVTEST: sleep3-start <k>         then "sleep 3", then
#   HVTEST: sleep3-end <k>           k = 0, 1, 2, ... (timed by the host)
#
# Both loops run until the host shuts the guest down through the shutdown
# IC (hv_utils runs /sbin/poweroff), or for at most an hour.

# shellcheck source=SCRIPTDIR/../hvtest-lib.sh
. /lib/hvtest-lib.sh

hvtest_wait_ics Heartbeat Shutdown || exit 1
hvtest_report_vmbus_devices
hvtest_say "ics-ready"

(
    n=0
    while [ $n -lt 3600 ]; do
        hvtest_say "tick $n"
        n=$((n + 1))
        sleep 1
    done
) &

k=0
while [ $k -lt 1200 ]; do
    hvtest_say "sleep3-start $k"
    sleep 3
    hvtest_say "sleep3-end $k"
    k=$((k + 1))
done
hvtest_say "migrate-script-timeout"
exit 1
