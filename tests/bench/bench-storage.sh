#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# make bench, storage (issue 3): fio in the guest (tests/guest/scripts/
# fio-bench.sh: O_DIRECT, libaio) on one disk behind each of
#   storvsc     -device vmbus-scsi + scsi-hd      (hv_storvsc)
#   storvsc-io  the same, vmbus-scsi,iothread=   (served by an IOThread)
#   virtio-blk  -device virtio-blk-pci            (virtio_blk)
#   virtio-io   the same, virtio-blk-pci,iothread=
#   ide         the pc machine's PIIX3 IDE + ide-hd (ata_piix)
# with the same host image (a raw file, cache=none, aio=threads), the same
# machine (pc, 1 GiB, 2 vCPUs) and -accel hvpart. The three devices take
# turns in every round, so that drift of the (shared, noisy) host hits all
# alike. Rows: sequential 1 MiB write and read (MB/s, QD8), 4 KiB random
# read IOPS at QD1 and QD32; medians over the rounds and the ratios
# storvsc/virtio-blk (target >= 1.0; with IOThreads: storvsc-io/virtio-io)
# and storvsc/IDE.
#   BENCH_STORAGE_DEVS="storvsc storvsc-io virtio-blk virtio-io ide" (the
#   default) picks and orders the devices;
#   BENCH_RUNS=N (default 3) rounds; BENCH_FIO_RUNTIME=S (default 10) s per
#   fio job; BENCH_STORAGE_INITRD=FILE: the initramfs with fio (default
#   build/guest/initramfs-bench.cpio.gz).
# Output: build/bench/storage.txt (summary), storage-raw.txt (every job).
set -euo pipefail

# shellcheck source=tests/bench/bench-lib.sh
. "$(dirname "$0")/bench-lib.sh"
runs="${BENCH_RUNS:-3}"
runtime="${BENCH_FIO_RUNTIME:-10}"
initrd="${BENCH_STORAGE_INITRD:-$guest/initramfs-bench.cpio.gz}"
image_mb=512
devs="${BENCH_STORAGE_DEVS:-storvsc storvsc-io virtio-blk virtio-io ide}"

# Run a private copy of QEMU: the shared build tree may relink it meanwhile.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$qemu" "$tmp/qemu-system-x86_64"
qemu="$tmp/qemu-system-x86_64"

if [ ! -f "$initrd" ]; then
    echo "bench-storage: no $initrd (tests/guest/mkguest.sh builds it)" >&2
    exit 1
fi

# A raw image with written (not sparse) blocks, so that reads touch data.
image="$out/storage-bench.raw"
if [ ! -f "$image" ] || [ "$(stat -c %s "$image")" != $((image_mb << 20)) ]; then
    dd if=/dev/zero of="$image" bs=1M count=$image_mb conv=fsync status=none
fi
drive="-drive if=none,id=d0,file=$image,format=raw,cache=none,aio=threads"

iothread="-object iothread,id=io0"
dev_args() {
    case $1 in
    storvsc)
        echo "$drive -device vmbus-scsi,id=scsi0 -device scsi-hd,bus=scsi0.0,drive=d0"
        ;;
    storvsc-io)
        echo "$drive $iothread -device vmbus-scsi,id=scsi0,iothread=io0 -device scsi-hd,bus=scsi0.0,drive=d0"
        ;;
    virtio-blk) echo "$drive -device virtio-blk-pci,drive=d0" ;;
    virtio-io) echo "$drive $iothread -device virtio-blk-pci,drive=d0,iothread=io0" ;;
    ide) echo "$drive -device ide-hd,bus=ide.0,unit=0,drive=d0" ;;
    *) echo "bench-storage: unknown device $1" >&2; return 1 ;;
    esac
}

dev_mods() {
    case $1 in
    storvsc*) echo "hv_vmbus,hv_storvsc,sd_mod" ;;
    virtio*) echo "virtio_pci,virtio_blk" ;;
    ide) echo "ata_piix,sd_mod" ;;
    esac
}

# one_run DEVICE ROUND: appends "DEVICE ROUND JOB MBPS IOPS" lines
one_run() {
    local dev=$1 round=$2 line n=0 log="$out/storage-console-$1.log"
    # shellcheck disable=SC2046  # dev_args is a list of words
    timeout 900 "$qemu" -accel hvpart -machine pc -m 1G -smp 2 \
        -display none -monitor none -serial stdio -no-reboot -nodefaults \
        -kernel "$guest/vmlinuz" -initrd "$initrd" \
        -append "console=ttyS0 panic=-1 hvtest.mods=$(dev_mods "$dev") hvtest.script=fio-bench hvtest.fio.runtime=$runtime" \
        $(dev_args "$dev") > "$log" 2>&1 || true
    while IFS= read -r line; do
        line=${line%$'\r'}
        case "$line" in
        *"HVTEST: fio-disk "*) echo "bench-storage: $dev: ${line#*HVTEST: }" >&2 ;;
        *"HVTEST: fio-error"*) echo "bench-storage: $dev: ${line#*HVTEST: }" >&2 ;;
        *"HVTEST: fio-result "*)
            line=${line#*HVTEST: fio-result }
            # job=X mbps=Y iops=Z rc=R
            # shellcheck disable=SC2086  # split into its words
            set -- $line
            if [ "${4#rc=}" = 0 ]; then
                echo "$dev $round ${1#job=} ${2#mbps=} ${3#iops=}" |
                    tee -a "$out/storage-raw.txt"
                n=$((n + 1))
            fi
            ;;
        esac
    done < "$log"
    if [ $n -ne 4 ]; then
        echo "bench-storage: $dev run $round: $n of 4 fio jobs finished" \
             "(console: $log)" >&2
        return 1
    fi
}

: > "$out/storage-raw.txt"
failed=0
for round in $(seq "$runs"); do
    # Rotate the order from round to round as well.
    order=$(echo "$devs" | awk -v r="$round" '{
        for (i = 0; i < NF; i++) printf "%s ", $((i + r - 1) % NF + 1) }')
    for dev in $order; do
        one_run "$dev" "$round" || failed=1
    done
done

{
    echo "storage benchmark: fio in the guest, -accel hvpart, pc machine," \
         "raw image cache=none, $runs round(s), ${runtime} s per job (medians)"
    printf '%-24s' ""
    for dev in $devs; do printf ' %10s' "$dev"; done
    printf ' %9s %9s %9s\n' "st/virtio" "io/io" "st/ide"
    for job in seqwrite seqread randread-qd1 randread-qd32; do
        case $job in
        seqwrite) name="seq write 1M MB/s"; col=4 ;;
        seqread) name="seq read 1M MB/s"; col=4 ;;
        randread-qd1) name="rand read 4K QD1 IOPS"; col=5 ;;
        randread-qd32) name="rand read 4K QD32 IOPS"; col=5 ;;
        esac
        printf '%-24s' "$name"
        declare -A m=()
        for dev in $devs; do
            m[$dev]=$(awk -v d="$dev" -v j="$job" -v c="$col" \
                '$1 == d && $3 == j { print $c }' "$out/storage-raw.txt" |
                median)
            printf ' %10.1f' "${m[$dev]}"
        done
        # ratio A B: A / B, or "-" without both
        ratio() {
            awk -v a="${m[$1]:-0}" -v b="${m[$2]:-0}" 'BEGIN {
                if (a > 0 && b > 0) printf "%.2f", a / b; else printf "-" }'
        }
        printf ' %9s %9s %9s\n' "$(ratio storvsc virtio-blk)" \
            "$(ratio storvsc-io virtio-io)" "$(ratio storvsc ide)"
        unset m
    done
} | tee "$out/storage.txt"
exit $failed
