#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Screen update cost (tests/bench/bench-video.sh): the guest fills its
# framebuffer (/dev/fb0, hyperv_drm's fbdev emulation; load hyperv_drm
# with hvtest.mods) again and again with changing content, as fast as it
# can. Every frame is one write() of the whole framebuffer from a file
# prepared in tmpfs (dd): the fbdev emulation turns it into one damage
# rectangle, its worker copies that to the VRAM and, if the host asked for
# them, sends it as a dirty rectangle. Then the same with a band of lines
# moving down the screen (a partial update).
#
# Kernel parameters (optional):
#   fbbench.frames=N  full-frame fills (default 100)
#   fbbench.bands=N   band fills (default 200)
#   fbbench.lines=N   lines per band (default 64)
#   fbbench.warmup=S  seconds of unmeasured fills before each phase
#                     (default 6): QEMU's VNC server lengthens its refresh
#                     interval up to 3 s while nothing changes and halves it
#                     back towards 30 ms at each refresh that finds changes
#
# Output:
#   HVTEST: fb-bench-info width=W height=H stride=S bpp=B
#   HVTEST: fb-bench-start phase=full|band
#   HVTEST: fb-bench-end phase=P frames=N bytes=B guest_ms=T
#   HVTEST: fb-bench-done
# guest_ms is the guest's own elapsed time for the N writes (/proc/uptime,
# 10 ms resolution). The host samples its own clock and QEMU's CPU time at
# the start and end lines.

# shellcheck source=SCRIPTDIR/../hvtest-lib.sh
. /lib/hvtest-lib.sh

frames=$(hvtest_cmdline_value fbbench.frames) || frames=100
bands=$(hvtest_cmdline_value fbbench.bands) || bands=200
lines=$(hvtest_cmdline_value fbbench.lines) || lines=64
warmup=$(hvtest_cmdline_value fbbench.warmup) || warmup=6
case "$frames$bands$lines$warmup" in
*[!0-9]*|"")
    hvtest_say "fb-bench-error bad parameters"
    exit 2 ;;
esac

fb=/sys/class/graphics/fb0
n=0
while [ ! -e $fb ] && [ $n -lt 60 ]; do
    sleep 1
    n=$((n + 1))
done
if [ ! -e $fb ] || [ ! -e /dev/fb0 ]; then
    hvtest_say "fb-bench-error no fb0"
    exit 1
fi
size=$(cat $fb/virtual_size)
w=${size%,*}
h=${size#*,}
stride=$(cat $fb/stride)
bpp=$(cat $fb/bits_per_pixel)
hvtest_say "fb-bench-info width=$w height=$h stride=$stride bpp=$bpp"
if [ "$bpp" != 32 ] || [ "$lines" -lt 2 ] || [ "$lines" -gt "$h" ]; then
    hvtest_say "fb-bench-error unsupported bpp=$bpp or lines=$lines"
    exit 1
fi
# fbcon's blinking cursor would add damage of its own.
echo 0 > /sys/class/graphics/fbcon/cursor_blink 2>/dev/null

cd /tmp || exit 1
fsize=$((stride * h))
bsize=$((stride * lines))

# replicate FILE BYTES OUT: FILE's bytes repeated, cut to BYTES.
replicate() {
    cp "$1" rep.a
    while [ "$(wc -c < rep.a)" -lt "$2" ]; do
        cat rep.a rep.a > rep.b
        mv rep.b rep.a
    done
    head -c "$2" rep.a > "$3"
    rm -f rep.a
}

# Four frames, each a different pair of colours in 8-pixel stripes (XRGB
# in memory as B G R X), so that consecutive frames differ in every pixel
# and a display that compares contents sees each change.
# shellcheck disable=SC2059  # the formats are octal escapes
for k in 0 1 2 3; do
    a=$((k * 60 + 20))
    b=$((255 - k * 60))
    px_a="\\$(printf %03o $a)\\$(printf %03o $b)\\$(printf %03o $((a / 2)))\\000"
    px_b="\\$(printf %03o $b)\\$(printf %03o $((b / 3)))\\$(printf %03o $a)\\000"
    printf "$px_a$px_a$px_a$px_a$px_a$px_a$px_a$px_a" > unit
    printf "$px_b$px_b$px_b$px_b$px_b$px_b$px_b$px_b" >> unit
    replicate unit "$fsize" "frame$k"
    head -c "$bsize" "frame$k" > "band$k"
done
rm -f unit
sync

# fill PHASE I BS: write number I of PHASE, of BS bytes: frame I mod 4;
# bands go down the screen (block I mod B of B = h / lines), each pass in
# the next colours (band (I / B) mod 4), so that every write changes what
# it covers.
fill() {
    if [ "$1" = full ]; then
        dd if=frame$(($2 % 4)) of=/dev/fb0 bs="$3" count=1 2>/dev/null
    else
        dd if=band$(($2 / (h / lines) % 4)) of=/dev/fb0 bs="$3" count=1 \
           conv=notrunc seek=$(($2 % (h / lines))) 2>/dev/null
    fi || { hvtest_say "fb-bench-error dd failed"; exit 1; }
}

# uptime in centiseconds
now_cs() {
    awk '{ printf "%d\n", $1 * 100 + 0.5 }' /proc/uptime
}

# One phase: WARMUP seconds of fills, then COUNT measured ones.
run_phase() {
    phase=$1 count=$2 bs=$3
    i=0
    t0=$(now_cs)
    while [ $(($(now_cs) - t0)) -lt $((warmup * 100)) ]; do
        fill "$phase" $i "$bs"
        i=$((i + 1))
    done
    hvtest_say "fb-bench-start phase=$phase"
    t0=$(cut -d' ' -f1 /proc/uptime)
    n=0
    while [ $n -lt "$count" ]; do
        fill "$phase" $i "$bs"
        i=$((i + 1))
        n=$((n + 1))
    done
    t1=$(cut -d' ' -f1 /proc/uptime)
    ms=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%d", (b - a) * 1000 + 0.5 }')
    hvtest_say "fb-bench-end phase=$phase frames=$count" \
        "bytes=$((count * bs)) guest_ms=$ms"
    # Let the last damage reach the VRAM and the display before the next
    # phase.
    sleep 1
}

sleep 1
run_phase full "$frames" "$fsize"
run_phase band "$bands" "$bsize"
hvtest_say "fb-bench-done"
