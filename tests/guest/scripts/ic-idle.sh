#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Bring the integration services up and idle, for host tests that look at
# QEMU while the guest runs (tests/qtest/hvpart-guest-test.c,
# /hvpart/guest/query).
#
# Kernel parameter hvtest.ics=A,B names the services to wait for, as
# hv_utils names them (default: Heartbeat,Shutdown). Output:
#
#   HVTEST: ic-version <Name>=<x.y>            (one per service)
#   HVTEST: vmbus-dev id=<instance> class=<interface type> driver=<name>
#   HVTEST: vmbus-devices=<count>
#   HVTEST: ics-ready
#   HVTEST: waiting-for-shutdown
#
# then it waits (up to 600 s) for the host to shut the guest down through
# the shutdown IC.

# shellcheck source=SCRIPTDIR/../hvtest-lib.sh
. /lib/hvtest-lib.sh

ics=$(hvtest_cmdline_value hvtest.ics) || ics=Heartbeat,Shutdown
# shellcheck disable=SC2046  # one argument per service
hvtest_wait_ics $(echo "$ics" | tr ',' ' ') || exit 1
hvtest_report_vmbus_devices
hvtest_say "ics-ready"
hvtest_wait_for_shutdown 600
