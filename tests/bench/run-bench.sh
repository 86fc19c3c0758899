#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# make bench: the cost of -accel hvpart over plain -accel tcg, measured in
# one run with the same kernel, initramfs and machine, alternating the two
# accelerators so that drift of the (noisy) host hits both alike.
#   boot:  QEMU start to the guest's /init ("HVTEST: boot"), host time
#   loop:  the guest's fixed CPU/memory work (scripts/cpu-loop.sh), host time
# Reports medians and the ratio hvpart/tcg (target: <= 1.03 for both).
# Then the partition, storage, network and video benchmarks (their own
# scripts, each against its peers in one run).
#   BENCH_RUNS=N (default 5) runs per accelerator.
#   BENCH_ONLY="boot partition storage net video" (the default: all)
#   picks some.
set -euo pipefail

# shellcheck source=tests/bench/bench-lib.sh
. "$(dirname "$0")/bench-lib.sh"
runs="${BENCH_RUNS:-5}"

# one_run ACCEL: prints "boot_seconds loop_seconds"
one_run() {
    local accel=$1 t0 line now boot="" start="" end=""
    t0=$(date +%s.%N)
    while IFS= read -r line; do
        now=$(date +%s.%N)
        case "$line" in
        *"HVTEST: boot"*) boot=$(echo "$now - $t0" | bc) ;;
        *"HVTEST: loop-start"*) start=$now ;;
        *"HVTEST: loop-end"*) end=$now ;;
        esac
    done < <(timeout 600 "$qemu" -accel "$accel" -machine pc -m 1G -smp 2 \
                 -display none -monitor none -serial stdio -no-reboot \
                 -nodefaults -kernel "$guest/vmlinuz" \
                 -initrd "$guest/initramfs.cpio.gz" \
                 -append "console=ttyS0 panic=-1 hvtest.script=cpu-loop" \
                 2>&1)
    if [ -z "$boot" ] || [ -z "$start" ] || [ -z "$end" ]; then
        echo "bench: $accel run did not finish" >&2
        return 1
    fi
    echo "$boot $(echo "$end - $start" | bc)"
}


only=" ${BENCH_ONLY:-boot partition storage net video} "
want() {
    case "$only" in
    *" $1 "*) return 0 ;;
    *) return 1 ;;
    esac
}

if want boot; then
    : > "$out/raw.txt"
    for i in $(seq "$runs"); do
        for accel in hvpart tcg; do
            r=$(one_run "$accel")
            echo "$accel $r" | tee -a "$out/raw.txt"
        done
    done

    {
        echo "benchmark: -accel hvpart vs -accel tcg, $runs runs each (medians, host seconds)"
        printf '%-22s %10s %10s %8s\n' "" hvpart tcg ratio
        for col in 2 3; do
            name=$([ $col = 2 ] && echo "boot to init" || echo "cpu/memory loop")
            h=$(awk -v c=$col '$1 == "hvpart" { print $c }' "$out/raw.txt" | median)
            t=$(awk -v c=$col '$1 == "tcg" { print $c }' "$out/raw.txt" | median)
            printf '%-22s %10.2f %10.2f %8.3f\n' "$name" "$h" "$t" \
                "$(echo "scale=6; $h / $t" | bc)"
        done
    } | tee "$out/summary.txt"
fi

# Partition semantics: intercept round trip, rights on 1 % / 50 % of pages.
if want partition; then
    "$top/tests/bench/bench-partition.sh"
fi
# storvsc vs virtio-blk vs IDE; vmbus-net vs virtio-net, e1000, tulip;
# vmbus-video with dirty rectangles vs full-frame scanning.
for b in storage net video; do
    if want $b; then
        "$top/tests/bench/bench-$b.sh"
    fi
done
