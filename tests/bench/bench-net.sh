#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# make bench, network (issue 4): TCP throughput and small-packet rate of
# the synthetic NIC (vmbus-net) against virtio-net-pci, e1000 and tulip,
# in one run: same backend (-netdev user), accelerator (-accel hvpart),
# machine, kernel and initramfs (build/guest/initramfs-bench.cpio.gz, with
# Debian's iperf3). The guest (tests/guest/scripts/iperf-bench.sh) runs the
# iperf3 client against "iperf3 -s" on this host's loopback, reached
# through slirp as 10.0.2.2:
#   tcp-tx   TCP guest to host, Mbit/s (iperf3 default 128 KiB writes)
#   tcp-rx   TCP host to guest (iperf3 -R), Mbit/s
#   udp-tx   UDP, 64-byte datagrams, guest to host, unlimited: datagrams/s
#            that reached the host
#   udp-rx   UDP, 64-byte datagrams, host to guest (-R) at
#            BENCH_NET_UDP_RATE (default 40M bit/s, ~78k datagrams/s,
#            more than any of the NICs delivers under TCG): datagrams/s
#            that reached the guest's socket
# Small packets are UDP: TCP with 64-byte writes (-l 64) measures the
# guest's socket layer, not the NIC, since TCP coalesces small writes into
# full segments. The NICs alternate within each run, so that drift of the
# (shared, noisy) host hits all alike; medians over the runs, and the ratio
# vmbus-net / best of (virtio-net, e1000) per row (target: >= 1).
#   BENCH_RUNS=N (default 3), BENCH_NET_TIME=S seconds per measurement
#   (default 10), BENCH_NET_NICS="vmbus-net virtio-net-pci e1000 tulip",
#   BENCH_NET_TESTS="tcp-tx tcp-rx udp-tx udp-rx" (some of them)
# Output: build/bench/net.txt (summary), net-raw.txt (every measurement).
set -euo pipefail

# shellcheck source=tests/bench/bench-lib.sh
. "$(dirname "$0")/bench-lib.sh"
qemu="${BENCH_QEMU:-$qemu}"
runs="${BENCH_RUNS:-3}"
secs="${BENCH_NET_TIME:-10}"
udp_rate="${BENCH_NET_UDP_RATE:-40M}"
nics="${BENCH_NET_NICS:-vmbus-net virtio-net-pci e1000 tulip}"
tests="${BENCH_NET_TESTS:-tcp-tx tcp-rx udp-tx udp-rx}"
ntests=$(echo "$tests" | wc -w)
initrd="$guest/initramfs-bench.cpio.gz"

if [ ! -f "$initrd" ]; then
    echo "bench-net: $initrd missing (tests/guest/mkguest.sh build/guest)" >&2
    exit 1
fi
command -v iperf3 >/dev/null || {
    echo "bench-net: iperf3 missing on the host (apt-get install iperf3)" >&2
    exit 1
}

# The host's iperf3 server, on a free loopback port, for the whole run.
port=$(python3 -c 'import socket; s = socket.socket();
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
iperf3 -s -B 127.0.0.1 -p "$port" >"$out/net-iperf3-server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
sleep 1

# driver and modules of each NIC
nic_driver() {
    case "$1" in
    vmbus-net) echo hv_netvsc ;;
    virtio-net-pci) echo virtio_net ;;
    e1000) echo e1000 ;;
    tulip) echo tulip ;;
    *) echo "bench-net: unknown NIC $1" >&2; return 1 ;;
    esac
}
nic_mods() {
    case "$1" in
    vmbus-net) echo hv_vmbus,hv_netvsc ;;
    virtio-net-pci) echo virtio_pci,virtio_net ;;
    *) nic_driver "$1" ;;
    esac
}

# one_run NIC: prints "NIC TEST MBPS PPS" lines (PPS "-" for TCP)
one_run() {
    local nic=$1 line test mbps pps got=0
    # shellcheck disable=SC2086  # BENCH_NET_QEMU_ARGS: several arguments
    while IFS= read -r line; do
        case "$line" in
        *"HVTEST: iperf-raw "*|*"HVTEST: iperf-irqs "*|*"HVTEST: iperf-cpu "*|\
        *"HVTEST: iperf-rx "*)
            echo "$nic ${line#*HVTEST: }" >> "$out/net-iperf3-lines.txt" ;;
        *"HVTEST: iperf-result "*)
            line=${line#*HVTEST: iperf-result }
            test=${line%% *}
            mbps=$(echo "$line" | sed -n 's/.*mbps=\([0-9.]*\).*/\1/p')
            pps=$(echo "$line" | sed -n 's/.*pps=\([0-9]*\).*/\1/p')
            case "$line" in *"rc=0 "*) ;; *)
                echo "bench-net: $nic $test: $line" >&2 ;;
            esac
            echo "$nic $test ${mbps:-0} ${pps:--}"
            got=$((got + 1)) ;;
        *"HVTEST: iperf-if "*)
            echo "bench-net: $nic: ${line#*HVTEST: }" >&2 ;;
        esac
    done < <(timeout $((300 + 8 * secs)) "$qemu" -accel hvpart -machine q35 \
                 -m 1G -smp 2 -display none -monitor none -serial stdio \
                 -no-reboot -nodefaults -kernel "$guest/vmlinuz" \
                 -initrd "$initrd" \
                 -append "console=ttyS0 panic=-1 hvtest.mods=$(nic_mods "$nic") hvtest.script=iperf-bench hvtest.iperf_drv=$(nic_driver "$nic") hvtest.iperf_port=$port hvtest.iperf_time=$secs hvtest.iperf_udp_rate=$udp_rate hvtest.iperf_tests=${tests// /,}" \
                 -netdev user,id=n0 -device "$nic,netdev=n0" \
                 ${BENCH_NET_QEMU_ARGS:-} 2>&1)
    if [ "$got" != "$ntests" ]; then
        echo "bench-net: $nic run gave $got of $ntests results" >&2
        return 1
    fi
}

: > "$out/net-raw.txt"
: > "$out/net-iperf3-lines.txt"
echo "bench-net: $runs runs of $nics, ${secs} s per measurement," \
    "host load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
for _ in $(seq "$runs"); do
    for nic in $nics; do
        one_run "$nic" | tee -a "$out/net-raw.txt" || true
    done
done

# value NIC TEST COLUMN: the median over the runs
value() {
    awk -v n="$1" -v t="$2" -v c="$3" '$1 == n && $2 == t && $c != "-" {
        print $c }' "$out/net-raw.txt" | median
}
{
    echo "benchmark: network, -accel hvpart, -netdev user, iperf3 ${secs} s," \
        "$runs runs (medians)"
    echo "host load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
    printf '%-24s' ""
    for nic in $nics; do printf ' %14s' "$nic"; done
    printf ' %8s\n' "ratio"
    for row in "tcp-tx 3 Mbit/s" "tcp-rx 3 Mbit/s" "udp-tx 4 pkt/s" \
               "udp-rx 4 pkt/s"; do
        # shellcheck disable=SC2086  # three words
        set -- $row
        case " $tests " in *" $1 "*) ;; *) continue ;; esac
        printf '%-24s' "$1 ($3)"
        declare -A v=()
        for nic in $nics; do
            v[$nic]=$(value "$nic" "$1" "$2")
            printf ' %14s' "${v[$nic]}"
        done
        best=$(printf '%s\n' "${v[virtio-net-pci]:-0}" "${v[e1000]:-0}" |
               sort -g | tail -n 1)
        if [ -n "${v[vmbus-net]:-}" ] && [ "$best" != 0 ]; then
            printf ' %8.3f\n' "$(echo "scale=6; ${v[vmbus-net]} / $best" | bc)"
        else
            printf ' %8s\n' "-"
        fi
        unset v
    done
    echo "ratio: vmbus-net / best of (virtio-net-pci, e1000); target >= 1"
} | tee "$out/net.txt"
