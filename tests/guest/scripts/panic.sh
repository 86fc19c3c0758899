#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Crash the guest kernel on purpose, for the guest panic test
# (tests/qtest/hvpart-guest-test.c, /hvpart/guest/panic).
#
# On Hyper-V, Linux reports a panic through the crash MSRs when the
# hypervisor advertises them (CPUID 0x40000003 EDX bit 10): hv_common_init()
# (drivers/hv/hv_common.c) then logs "Hyper-V: enabling
# crash_kexec_post_notifiers" and registers a panic notifier that calls
# hyperv_report_panic() (arch/x86/hyperv/hv_init.c): P0 = 0 (a panic, not an
# oops), P1 = guest OS id, P2/P3/P4 = ip/ax/sp of the task's registers, then
# CRASH_CTL = CRASH_NOTIFY. Output:
#
#   HVTEST: crash-msrs=yes|no      (the kernel registered its notifier)
#   HVTEST: sysrq=<value of /proc/sys/kernel/sysrq>
#   HVTEST: panic-now
#
# and nothing more from this script: "echo c > /proc/sysrq-trigger" calls
# panic("sysrq triggered crash") (drivers/tty/sysrq.c).

# shellcheck source=SCRIPTDIR/../hvtest-lib.sh
. /lib/hvtest-lib.sh

if dmesg | grep -q 'Hyper-V: enabling crash_kexec_post_notifiers'; then
    hvtest_say "crash-msrs=yes"
else
    hvtest_say "crash-msrs=no"
fi
echo 1 > /proc/sys/kernel/sysrq
hvtest_say "sysrq=$(cat /proc/sys/kernel/sysrq)"
hvtest_say "panic-now"
echo c > /proc/sysrq-trigger
hvtest_say "panic-returned"
exit 1
