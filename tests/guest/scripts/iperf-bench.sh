#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Network benchmark guest, for tests/bench/bench-net.sh: iperf3 (from the
# bench initramfs, build/guest/initramfs-bench.cpio.gz) against the host's
# "iperf3 -s" on its loopback, reached through slirp as 10.0.2.2. Load the
# NIC's driver first. Kernel parameters:
#   hvtest.iperf_drv=NAME   the driver of the NIC to measure (hv_netvsc,
#                           virtio_net, e1000, tulip)
#   hvtest.iperf_port=N     the host's iperf3 port
#   hvtest.iperf_time=S     seconds per measurement (default 10)
#   hvtest.iperf_udp_rate=R iperf3 -b for host-to-guest UDP (default 40M)
#   hvtest.iperf_tests=A,B  the measurements to take, of the four below
#                           (default all, in this order)
# Measurements, in this order:
#   tcp-tx   TCP, guest to host (iperf3 default 128 KiB writes)
#   tcp-rx   TCP, host to guest (-R)
#   udp-tx   UDP datagrams of 64 bytes, guest to host, unlimited rate
#   udp-rx   UDP datagrams of 64 bytes, host to guest (-R) at udp_rate
#
#   HVTEST: iperf-if drv=<driver> name=<ifname> ip=<address or none>
#   HVTEST: iperf-raw <test> <iperf3's receiver summary line>
#   HVTEST: iperf-result <test> rc=<iperf3 status> mbps=<receiver Mbit/s>
#           pps=<datagrams/s received, UDP only>
#   HVTEST: iperf-rx <test> frames=<the NIC's received frames>
#           sockdrops=<UDP datagrams the guest dropped: socket buffer full>
#   HVTEST: iperf-irqs <test> <interrupts the guest took meanwhile>
#   HVTEST: iperf-cpu <test> cpuN=<busy>/<softirq>/<idle> ...
#           the guest's own account of each CPU's time meanwhile, in %

# shellcheck source=SCRIPTDIR/../hvtest-lib.sh
. /lib/hvtest-lib.sh

drv=$(hvtest_cmdline_value hvtest.iperf_drv)
port=$(hvtest_cmdline_value hvtest.iperf_port)
t=$(hvtest_cmdline_value hvtest.iperf_time)
t=${t:-10}
udp_rate=$(hvtest_cmdline_value hvtest.iperf_udp_rate)
udp_rate=${udp_rate:-40M}

ifname=
n=0
while [ -z "$ifname" ] && [ $n -lt 50 ]; do
    ifname=$(hvtest_net_if "$drv")
    [ -n "$ifname" ] || sleep 0.2
    n=$((n + 1))
done
if [ -z "$ifname" ]; then
    hvtest_say "iperf-if drv=$drv name=none"
    exit 1
fi
ip link set lo up
ip link set "$ifname" up
hvtest_net_wait_carrier "$ifname"
udhcpc -i "$ifname" -q -n -t 10 -T 2 >/dev/null 2>&1
addr=$(ip -4 -o addr show dev "$ifname" | sed -n 's/.* inet \([0-9.]*\).*/\1/p')
hvtest_say "iperf-if drv=$drv name=$ifname ip=${addr:-none}"
[ -n "$addr" ] || exit 1

# Interrupts taken so far on all CPUs, every source together.
irq_total() {
    awk 'NR > 1 { for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) s += $i }
         END { print s + 0 }' /proc/interrupts
}

# The cpuN lines of /proc/stat: busy, softirq and idle time in ticks.
cpu_times() {
    awk '/^cpu[0-9]/ { print $1, $2 + $3 + $4 + $7 + $8, $8, $5 + $6 }' \
        /proc/stat
}

# The NIC's received frames and the guest's UDP receive-buffer drops
# (RcvbufErrors in /proc/net/snmp), as "FRAMES DROPS".
rx_counts() {
    printf '%s %s\n' "$(cat "/sys/class/net/$ifname/statistics/rx_packets")" \
        "$(awk '$1 == "Udp:" && !h { for (i = 2; i <= NF; i++) c[$i] = i
                                       h = 1; next }
               $1 == "Udp:" { print $c["RcvbufErrors"] }' /proc/net/snmp)"
}

# measure NAME IPERF3-ARGS...: one iperf3 client run, its receiver line
measure() {
    name=$1
    shift
    irq0=$(irq_total)
    cpu0=$(cpu_times)
    rx0=$(rx_counts)
    out=$(iperf3 -c 10.0.2.2 -p "$port" -t "$t" -f m --connect-timeout 10000 \
          "$@" 2>&1)
    rc=$?
    line=$(echo "$out" | grep 'receiver$' | tail -n 1)
    if [ -z "$line" ]; then
        echo "$out" | tail -n 5 | while IFS= read -r l; do
            hvtest_log "iperf3: $l"
        done
    fi
    hvtest_say "iperf-raw $name $line"
    # "[  5]   0.00-10.04  sec  1.25 MBytes  1.04 Mbits/sec ... lost/total (x%)"
    res=$(echo "$line" | awk '{
        mbps = ""; pps = ""
        for (i = 1; i <= NF; i++) {
            if ($i == "Mbits/sec") mbps = $(i - 1)
            if ($i == "sec" && split($(i - 1), iv, "-") == 2) dur = iv[2] - iv[1]
            if ($i ~ /^[0-9]+\/[0-9]+$/ && split($i, lt, "/") == 2 && dur > 0)
                pps = sprintf("%.0f", (lt[2] - lt[1]) / dur)
        }
        printf "mbps=%s", mbps
        if (pps != "") printf " pps=%s", pps
    }')
    hvtest_say "iperf-result $name rc=$rc $res"
    hvtest_say "iperf-rx $name $(printf '%s %s\n' "$rx0" "$(rx_counts)" |
        awk '{ printf "frames=%d sockdrops=%d", $3 - $1, $4 - $2 }')"
    hvtest_say "iperf-irqs $name $(($(irq_total) - irq0))"
    hvtest_say "iperf-cpu $name $(printf '%s\n%s\n' "$cpu0" "$(cpu_times)" |
        awk '{ if ($1 in b) { t = $2 - b[$1] + $4 - i[$1]; if (t < 1) t = 1
                   printf "%s=%d/%d/%d ", $1, 100 * ($2 - b[$1]) / t,
                          100 * ($3 - s[$1]) / t, 100 * ($4 - i[$1]) / t }
               else { b[$1] = $2; s[$1] = $3; i[$1] = $4 } }')"
}

tests=$(hvtest_cmdline_value hvtest.iperf_tests)
for name in $(echo "${tests:-tcp-tx,tcp-rx,udp-tx,udp-rx}" | tr , ' '); do
    case $name in
    tcp-tx) measure tcp-tx ;;
    tcp-rx) measure tcp-rx -R ;;
    udp-tx) measure udp-tx -u -l 64 -b 0 ;;
    udp-rx) measure udp-rx -u -l 64 -b "$udp_rate" -R ;;
    *) hvtest_log "iperf-bench: unknown measurement $name" ;;
    esac
done
