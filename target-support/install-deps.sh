#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Install everything a build, a test run or a benchmark needs on a fresh
# Debian 12 machine. Idempotent: a stamp records what was installed.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build="${BUILD_DIR:-$top/build}"
stamp="$build/.deps-installed"
. "$top/target-support/apt-private.sh"

# Bump when the list changes so that kept machines install the new packages.
deps_version=6
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$deps_version" ]; then
    exit 0
fi

SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive

PKGS=(
    # QEMU build
    ninja-build pkgconf flex bison ccache dpkg-dev
    libglib2.0-dev libpixman-1-dev libslirp-dev libfdt-dev zlib1g-dev
    python3 python3-venv python3-distlib
    # firmware and option ROMs QEMU loads at run time
    seabios qemu-system-data
    # option ROMs of the emulated NICs (e1000, virtio-net-pci, ...): the
    # firmware path names /usr/lib/ipxe/qemu, and without them -device
    # e1000 fails with "failed to find romfile"
    ipxe-qemu
    # guest assets (initramfs) and tests
    busybox-static cpio kmod xz-utils zstd gzip bc
    # fuzzing (libFuzzer is in libclang-rt) and static checks of the
    # overlay's C files
    clang libclang-rt-14-dev
    # disk images for the IDE boot test: an MBR, a FAT partition and
    # SYSLINUX, all made without mounting anything
    syslinux syslinux-common mtools dosfstools fdisk
    # benchmarks: fio and iperf3 run in the guest (copied into the bench
    # initramfs with their libraries) and iperf3 on the host side
    fio iperf3
)

mkdir -p "$build"
$SUDO apt-get -q update
$SUDO apt-get -q install -y --no-install-recommends "${PKGS[@]}"

# meson >= 1.5 is only in bookworm-backports.
apt_private_init "$build/apt"
$SUDO "${APT_BPO[@]}" update
$SUDO "${APT_BPO[@]}" install -y --no-install-recommends \
    -t bookworm-backports meson

meson_ver=$(meson --version)
case "$meson_ver" in
0.*|1.[0-4].*)
    echo "install-deps: meson $meson_ver is too old (QEMU 10.0 needs >= 1.5)" >&2
    exit 1 ;;
esac

echo "$deps_version" > "$stamp"
