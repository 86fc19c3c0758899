#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Synthetic video, keyboard and mouse (hyperv_drm, hyperv_keyboard,
# hid_hyperv; loaded by hvtest.mods). Used by tests/qtest/hvpart-display-test.c.
#
# 1. The DRM connectors and their modes:
#      HVTEST: drm-connector NAME status=S modes=WxH,WxH,...
#      HVTEST: fb0 width=W height=H stride=S bpp=B
# 2. A known pattern written to /dev/fb0 (DRM's fbdev emulation) in one
#    write(), once fbcon's cursor is stopped so that nothing else draws:
#      rows [64, 128):   8 vertical bars (red, green, blue, yellow, cyan,
#                        magenta, white, brown), each W/8 wide
#      rows [160, 176):  4-pixel groups of 4 greys, rotated by one pixel
#                        per row
#      rows [H-8, H):    left half brown, right half white
#      everything else:  black
#    then "HVTEST: pattern-written".
# 3. Input: finds the synthetic keyboard's and mouse's event devices, reads
#    them until the host's last key (Esc released) and last click (middle
#    button released), and prints every key, relative and absolute event:
#      HVTEST: input-ready kbd=DEV mouse=DEV
#      HVTEST: kbd type=T code=C value=V
#      HVTEST: mouse type=T code=C value=V
#      HVTEST: input-done

# Bars are W/8 pixels wide, halves W/2: the truncation is meant.
# shellcheck disable=SC2017
# shellcheck source=SCRIPTDIR/../hvtest-lib.sh
. /lib/hvtest-lib.sh

# --- modes ------------------------------------------------------------------
for c in /sys/class/drm/card*-*; do
    [ -f "$c/modes" ] || continue
    hvtest_say "drm-connector ${c##*/} status=$(cat "$c/status")" \
        "modes=$(tr '\n' ',' < "$c/modes" | sed 's/,$//')"
done
fb=/sys/class/graphics/fb0
if [ ! -e "$fb" ]; then
    hvtest_say "no-fb0"
    exit 1
fi
size=$(cat $fb/virtual_size)
w=${size%,*}
h=${size#*,}
stride=$(cat $fb/stride)
bpp=$(cat $fb/bits_per_pixel)
hvtest_say "fb0 width=$w height=$h stride=$stride bpp=$bpp"
[ "$bpp" = 32 ] || exit 1

# --- pattern ----------------------------------------------------------------
# fbcon shows the (empty) text console of tty1 on fb0, with a blinking
# cursor: stop the blinking (the test's command line hides the cursor with
# vt.global_cursor_default=0). Unbinding fbcon would blank the display
# (DPMS off): the guest's DRM would then stop updating the VRAM.
echo 0 > /sys/class/graphics/fbcon/cursor_blink 2>/dev/null
sleep 1

# One pixel (R G B) as it sits in XRGB8888 memory: B G R X.
# shellcheck disable=SC2059  # the format is built of octal escapes
pixel() {
    printf "\\$(printf %03o "$3")\\$(printf %03o "$2")\\$(printf %03o "$1")\\000"
}

# replicate FILE BYTES OUT: FILE's bytes repeated, cut to BYTES.
replicate() {
    cp "$1" /tmp/rep.a
    while [ "$(wc -c < /tmp/rep.a)" -lt "$2" ]; do
        cat /tmp/rep.a /tmp/rep.a > /tmp/rep.b
        mv /tmp/rep.b /tmp/rep.a
    done
    head -c "$2" /tmp/rep.a > "$3"
    rm -f /tmp/rep.a
}

# pad FILE to a whole stride
pad_row() {
    extra=$((stride - w * 4))
    if [ $extra -gt 0 ]; then
        head -c $extra /dev/zero >> "$1"
    fi
}

cd /tmp || exit 1

# rows FILE N: N copies of the one-line FILE
rows() {
    : > "$1.rows"
    n=0
    while [ $n -lt "$2" ]; do
        cat "$1" >> "$1.rows"
        n=$((n + 1))
    done
}

# Region A: 8 bars
: > rowA
for rgb in "255 0 0" "0 255 0" "0 0 255" "255 255 0" "0 255 255" \
           "255 0 255" "255 255 255" "128 64 32"; do
    # shellcheck disable=SC2086  # three words: R G B
    pixel $rgb > px
    replicate px $((w / 8 * 4)) bar
    cat bar >> rowA
done
pad_row rowA
rows rowA 64

# Region B: rotated 4-pixel groups
set -- "17 34 51" "68 85 102" "119 136 153" "170 187 204"
for v in 0 1 2 3; do
    : > unit
    for k in 0 1 2 3; do
        # shellcheck disable=SC2046,SC2086
        eval pixel \$$(( (v + k) % 4 + 1 )) >> unit
    done
    replicate unit $((w * 4)) rowB$v
    pad_row rowB$v
done
cat rowB0 rowB1 rowB2 rowB3 > rowB
rows rowB 4

# Region C: the last 8 rows
pixel 128 64 32 > px
replicate px $((w / 2 * 4)) left
pixel 255 255 255 > px
replicate px $((w * 4 - w / 2 * 4)) right
cat left right > rowC
pad_row rowC
rows rowC 8

# The whole frame, written with one write(): the fbdev emulation turns
# each write into a damage rectangle of whole lines, except that a write of
# exactly one line gives an empty one (Linux 6.1,
# drm_fb_helper_memory_range_to_clip()) and never reaches the device.
{
    head -c $((stride * 64)) /dev/zero
    cat rowA.rows
    head -c $((stride * 32)) /dev/zero
    cat rowB.rows
    head -c $((stride * (h - 8 - 176))) /dev/zero
    cat rowC.rows
} > frame
dd if=frame of=/dev/fb0 bs="$(wc -c < frame)" count=1 2>/dev/null
# The fbdev emulation copies to the VRAM from a worker.
sleep 1
hvtest_say "pattern-written"

# --- input ------------------------------------------------------------------
modprobe evdev 2>/dev/null
kbd=
mouse=
for e in /sys/class/input/event*; do
    [ -e "$e" ] || continue
    dev=$(readlink -f "$e/device")
    name=$(cat "$e/device/name" 2>/dev/null)
    case "$dev" in
    */VMBUS:*) kbd=/dev/input/${e##*/} ;;
    esac
    case "$name" in
    *Vmbus*Mouse*) mouse=/dev/input/${e##*/} ;;
    esac
done
if [ -z "$kbd" ] || [ -z "$mouse" ]; then
    hvtest_say "input-missing kbd=$kbd mouse=$mouse"
    sleep 600
    exit 1
fi
cat "$kbd" > /tmp/kbd.ev &
kpid=$!
cat "$mouse" > /tmp/mouse.ev &
mpid=$!
sleep 1
hvtest_say "input-ready kbd=$kbd mouse=$mouse"

# struct input_event on x86_64: 16 bytes of time, u16 type, u16 code,
# s32 value. Prints "TYPE CODE VALUE" for key (1), rel (2) and abs (3).
decode() {
    od -An -v -tu2 -w24 "$1" | awk '
        NF == 12 && $9 >= 1 && $9 <= 3 {
            v = $11 + $12 * 65536
            if (v >= 2147483648) v -= 4294967296
            printf "%d %d %d\n", $9, $10, v
        }'
}

# wait_for FILE "TYPE CODE VALUE": until the event shows up (120 s at most)
wait_for() {
    n=0
    while [ $n -lt 240 ]; do
        decode "$1" | grep -qx "$2" && return 0
        sleep 0.5
        n=$((n + 1))
    done
    return 1
}

wait_for /tmp/kbd.ev "1 1 0" || hvtest_say "input-timeout kbd"
wait_for /tmp/mouse.ev "1 274 0" || hvtest_say "input-timeout mouse"
kill $kpid $mpid 2>/dev/null
decode /tmp/kbd.ev | while read -r t c v; do
    hvtest_say "kbd type=$t code=$c value=$v"
done
decode /tmp/mouse.ev | while read -r t c v; do
    hvtest_say "mouse type=$t code=$c value=$v"
done
hvtest_say "input-done"
# The host ends the guest when it has looked at the screen.
sleep 600
