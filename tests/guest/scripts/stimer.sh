#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Which clockevent device the guest ticks with, and whether it keeps time,
# for the synthetic timer tests (tests/qtest/hvpart-guest-test.c,
# /hvpart/guest/stimer-*). Load hv_vmbus first (hvtest.mods=hv_vmbus):
# without direct mode the stimer clockevent only starts when hv_vmbus sets
# up the SynIC (hv_stimer_legacy_init(), drivers/clocksource/hyperv_timer.c).
#
#   HVTEST: clockevent cpu<n>=<name>    current_device of each clockevent<n>
#   HVTEST: timer-list-hyperv=<count>   "Hyper-V clockevent" in /proc/timer_list
#   HVTEST: irq-before hvs=<n|none> hyp=<n|none>
#   HVTEST: sleep-start / HVTEST: sleep-end   ("sleep 5", timed by the host)
#   HVTEST: irq-after hvs=<n|none> hyp=<n|none>
#
# HVS counts the direct-mode stimer0 vector, HYP the VMBus/SynIC vector
# that message-mode timer expirations arrive on (arch/x86/kernel/irq.c).

# shellcheck source=SCRIPTDIR/../hvtest-lib.sh
. /lib/hvtest-lib.sh

for dev in /sys/devices/system/clockevents/clockevent*; do
    [ -e "$dev/current_device" ] || continue
    hvtest_say "clockevent cpu${dev##*clockevent}=$(cat "$dev/current_device")"
done
hvtest_say "timer-list-hyperv=$(grep -c 'Clock Event Device: Hyper-V clockevent' /proc/timer_list)"

hvtest_say "irq-before hvs=$(hvtest_irq_count HVS) hyp=$(hvtest_irq_count HYP)"
hvtest_say "sleep-start"
sleep 5
hvtest_say "sleep-end"
hvtest_say "irq-after hvs=$(hvtest_irq_count HVS) hyp=$(hvtest_irq_count HYP)"
