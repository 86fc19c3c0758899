#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Time synchronization: set the guest's clock an hour wrong, then load
# hv_utils; the host's timesync integration service must put it right.
# Prints the guest's time (seconds since the epoch) before and after:
#   HVTEST: time-skewed=S   HVTEST: time-synced=S

# shellcheck source=SCRIPTDIR/../hvtest-lib.sh
. /lib/hvtest-lib.sh

now=$(date +%s)
date -s "@$((now - 3600))" > /dev/null
hvtest_say "time-skewed=$(date +%s)"
modprobe hv_utils
hvtest_say "modprobe hv_utils rc=$?"
# negotiation, then the SYNC message, then the guest's settimeofday
sleep 5
hvtest_say "time-synced=$(date +%s)"
