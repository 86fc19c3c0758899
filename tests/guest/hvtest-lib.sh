# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
#
# Helpers shared by the initramfs /init and the /hvtest/*.sh guest scripts
# (installed as /lib/hvtest-lib.sh). Busybox sh.
#
# Every line meant for the host starts with "HVTEST: " and goes to the
# console through the kernel log (/dev/kmsg), so it shows as
# "[    5.123456] HVTEST: ...". printk writes each record to the console
# whole, while output through the tty leaves the UART in FIFO-sized chunks
# that a kernel message (hv_utils logging an IC negotiation, say) can land
# between, splitting the line the host is looking for.

# Print one line on the console, through the kernel log if we can. Each
# write opens /dev/kmsg anew (/init also turns its rate limit off).
hvtest_log() {
    if [ -w /dev/kmsg ]; then
        echo "$*" > /dev/kmsg
    else
        echo "$*"
    fi
}

# Print one machine-readable line for the host test.
hvtest_say() {
    hvtest_log "HVTEST: $*"
}

# The value of kernel parameter $1 (as in "$1=value"), or nothing.
hvtest_cmdline_value() {
    # shellcheck disable=SC2013  # the command line is split into words
    for word in $(cat /proc/cmdline); do
        case "$word" in
        "$1"=*) echo "${word#*=}"; return 0 ;;
        esac
    done
    return 1
}

hvtest_clocksource() {
    cat /sys/devices/system/clocksource/clocksource0/current_clocksource \
        2>/dev/null || echo unknown
}

# "x.y" from hv_vmbus' "Vmbus version:x.y" (drivers/hv/connection.c,
# vmbus_connect()), or "none".
hvtest_vmbus_version() {
    v=$(dmesg | sed -n 's/.*hv_vmbus: Vmbus version:\([0-9]*\.[0-9]*\).*/\1/p' | tail -n 1)
    echo "${v:-none}"
}

# The hypervisor the kernel detected ("Hypervisor detected: NAME" from
# arch/x86/kernel/cpu/hypervisor.c), or "none".
hvtest_hypervisor() {
    h=$(dmesg | sed -n 's/.*Hypervisor detected: //p' | tail -n 1)
    echo "${h:-none}"
}

# One line per VMBus device: "ID CLASS DRIVER". ID is the sysfs name (the
# instance GUID), CLASS the interface type GUID without braces (sysfs
# class_id prints "{guid}"), DRIVER the bound driver or "none".
hvtest_vmbus_devices() {
    for dev in /sys/bus/vmbus/devices/*; do
        [ -e "$dev" ] || continue
        class=$(tr -d '{}\n' < "$dev/class_id" 2>/dev/null)
        if [ -L "$dev/driver" ]; then
            driver=$(readlink "$dev/driver")
            driver=${driver##*/}
        else
            driver=none
        fi
        echo "${dev##*/} ${class:-unknown} $driver"
    done
}

# Guest uptime in seconds with two decimals, from /proc/uptime.
hvtest_uptime() {
    cut -d' ' -f1 /proc/uptime
}

# Wait until every integration service named in "$@" (as hv_utils names
# them: Heartbeat, Shutdown, TimeSync...) has negotiated its version, which
# hv_utils logs as "hv_utils: <Name> IC version x.y" (drivers/hv/hv_util.c)
# when the host's ICMSG NEGOTIATE arrives. Prints
# "HVTEST: ic-version <Name>=<x.y>" for each, or
# "HVTEST: ics-timeout missing=<names>" and returns 1 after $HVTEST_ICS_WAIT
# seconds (default 120).
hvtest_wait_ics() {
    limit=$(( ${HVTEST_ICS_WAIT:-120} * 2 ))
    n=0
    while :; do
        missing=
        for ic in "$@"; do
            dmesg | grep -q "hv_utils: $ic IC version" || missing="$missing${missing:+,}$ic"
        done
        [ -z "$missing" ] && break
        if [ $n -ge $limit ]; then
            hvtest_say "ics-timeout missing=$missing"
            return 1
        fi
        sleep 0.5
        n=$((n + 1))
    done
    for ic in "$@"; do
        v=$(dmesg | sed -n "s/.*hv_utils: $ic IC version \([0-9.]*\).*/\1/p" | head -n 1)
        hvtest_say "ic-version $ic=$v"
    done
    return 0
}

# Print "HVTEST: vmbus-dev id=<instance> class=<type> driver=<name|none>"
# for each VMBus device, then "HVTEST: vmbus-devices=<count>".
hvtest_report_vmbus_devices() {
    count=0
    devices=$(hvtest_vmbus_devices)
    if [ -n "$devices" ]; then
        while read -r id class driver; do
            hvtest_say "vmbus-dev id=$id class=$class driver=$driver"
            count=$((count + 1))
        done <<DEVICES
$devices
DEVICES
    fi
    hvtest_say "vmbus-devices=$count"
}

# Idle until the host shuts the guest down (through the shutdown IC, whose
# hv_utils handler runs /sbin/poweroff), at most $1 seconds (default 600):
# "HVTEST: waiting-for-shutdown", and "HVTEST: shutdown-timeout" with
# status 1 if nothing happened.
hvtest_wait_for_shutdown() {
    hvtest_say "waiting-for-shutdown"
    n=0
    while [ $n -lt "${1:-600}" ]; do
        sleep 1
        n=$((n + 1))
    done
    hvtest_say "shutdown-timeout"
    return 1
}

# The sum over all CPUs of the /proc/interrupts row $1 ("HVS", "HYP",
# "LOC"...), or "none" if the kernel has no such row.
hvtest_irq_count() {
    awk -v row="$1:" '
        $1 == row {
            found = 1
            for (i = 2; i <= NF; i++) {
                if ($i !~ /^[0-9]+$/) break
                sum += $i
            }
        }
        END { if (found) print sum + 0; else print "none" }
    ' /proc/interrupts
}

# The network interface kernel driver $1 drives (the first), or nothing
# (and status 1).
hvtest_net_if() {
    for d in /sys/class/net/*; do
        drv=$(readlink "$d/device/driver" 2>/dev/null)
        if [ "${drv##*/}" = "$1" ]; then
            echo "${d##*/}"
            return 0
        fi
    done
    return 1
}

# Wait up to $2 * 0.2 s (default 20 s) for interface $1 to have a carrier.
hvtest_net_wait_carrier() {
    _n=0
    while [ "$(cat "/sys/class/net/$1/carrier" 2>/dev/null)" != 1 ] &&
          [ $_n -lt "${2:-100}" ]; do
        sleep 0.2
        _n=$((_n + 1))
    done
}

# The SCSI devices (H:C:T:L), in order.
hvtest_scsi_devices() {
    for d in /sys/class/scsi_device/*; do
        [ -e "$d" ] && echo "${d##*/}"
    done | sort -t: -k1,1n -k2,2n -k3,3n -k4,4n
}

# The block device of SCSI device $1, or "none".
hvtest_scsi_block() {
    for b in "/sys/class/scsi_device/$1/device/block/"*; do
        [ -e "$b" ] && { echo "${b##*/}"; return; }
    done
    echo none
}

# Wait (at most 60 s) until every disk and CD-ROM has its block device.
hvtest_scsi_wait_blocks() {
    n=0
    while [ $n -lt 120 ]; do
        missing=0
        for d in $(hvtest_scsi_devices); do
            type=$(cat "/sys/class/scsi_device/$d/device/type" 2>/dev/null)
            if { [ "$type" = 0 ] || [ "$type" = 5 ]; } &&
                [ "$(hvtest_scsi_block "$d")" = none ]; then
                missing=1
            fi
        done
        [ $missing -eq 0 ] && return 0
        sleep 0.5
        n=$((n + 1))
    done
    return 1
}
