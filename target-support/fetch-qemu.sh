#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Fetch QEMU 10.0.x from Debian 13's "qemu" source package with apt-get
# source (dpkg-source verifies the signature and checksums and applies
# Debian's patch series), unpack it under build/, and record the version.
#
# The series is pinned, not the point release: trixie replaces 10.0.x with
# 10.0.y over time, and the newest 10.0 upload is taken.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build="${BUILD_DIR:-$top/build}"
series="${QEMU_SERIES:-10.0}"
. "$top/target-support/apt-private.sh"

if [ -f "$build/qemu-version" ] && [ -d "$build/qemu-pristine" ]; then
    echo "fetch-qemu: QEMU $(cat "$build/qemu-version") already unpacked"
    exit 0
fi

apt_private_init "$build/apt"
"${APT_SRC[@]}" update >/dev/null

# All versions of the qemu source package the archive offers, newest first.
versions=$("${APT_SRC_CACHE[@]}" showsrc qemu 2>/dev/null |
           awk '/^Package: /{p=$2} /^Version: /{ if (p == "qemu") print $2 }' |
           sort -u -r -V)
version=""
for v in $versions; do
    upstream=${v#*:}
    case "$upstream" in
    "$series".*) version="$v"; break ;;
    esac
done
if [ -z "$version" ]; then
    echo "fetch-qemu: no qemu $series.x source package in Debian 13 (found: $versions)" >&2
    exit 1
fi
echo "fetch-qemu: using qemu $version"

dl="$build/qemu-dl"
rm -rf "$dl" "$build/qemu-pristine"
mkdir -p "$dl"
(cd "$dl" && "${APT_SRC[@]}" source --download-only "qemu=$version")
dsc=$(ls "$dl"/qemu_*.dsc)
# apt checked the .dsc and tarballs against the archive's signed Sources
# index; dpkg-source checks the tarballs against the .dsc again and applies
# Debian's patch series.
dpkg-source -x "$dsc" "$build/qemu-pristine"
rm -rf "$dl"

up=${version#*:}
echo "${up%%+*}" > "$build/qemu-version"
echo "$version" > "$build/qemu-debian-version"
echo "fetch-qemu: unpacked QEMU $(cat "$build/qemu-version") into $build/qemu-pristine"
