#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Fetch, patch, configure and build qemu-system-x86_64 with the overlay.
# Every step is idempotent; ccache is used when present.
#   build-qemu.sh [ninja targets...]   (default: qemu-system-x86_64)
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build="${BUILD_DIR:-$top/build}"
bdir="$build/qemu-build"

# One build at a time in this build directory.
mkdir -p "$build"
exec 9> "$build/.build.lock"
flock 9

"$top/target-support/install-deps.sh"
"$top/target-support/fetch-qemu.sh"
"$top/target-support/prepare-tree.sh"

cc=gcc
cxx=g++
if command -v ccache >/dev/null; then
    # ccache's own default directory, outside the work tree, so that a
    # fresh clone on a kept machine (CI) starts warm; paths are hashed
    # relative to the clone, so any clone of the repository hits.
    export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$top}"
    export CCACHE_NOHASHDIR=1
    cc="ccache gcc"
    cxx="ccache g++"
fi

# Firmware comes from Debian's seabios, qemu-system-data and ipxe-qemu
# packages; compiling their directories in (not relocatable) means no -L is
# needed, whether QEMU runs from the build tree or is installed.
fwpath=/usr/share/qemu:/usr/share/seabios:/usr/lib/ipxe/qemu
config_args=(--target-list=x86_64-softmmu --disable-docs --enable-kvm
             --enable-slirp --disable-download --disable-install-blobs
             --python=/usr/bin/python3 "--firmwarepath=$fwpath"
             --disable-relocatable)
stamp="$bdir/.hvpart-configure-args"
want="$(printf '%s\n' "${config_args[@]}")"
if [ ! -f "$bdir/build.ninja" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    # configure re-runs in place on an existing build directory, so a
    # changed option does not throw the objects away.
    mkdir -p "$bdir"
    (cd "$bdir" && "$build/qemu/configure" --cc="$cc" --cxx="$cxx" \
        "${config_args[@]}")
    echo "$want" > "$stamp"
fi

# Run from the build tree, QEMU looks for its firmware path under
# qemu-bundle/; point those directories at the packages' files.
IFS=: read -r -a fwdirs <<< "$fwpath"
for d in "${fwdirs[@]}"; do
    mkdir -p "$bdir/qemu-bundle$(dirname "$d")"
    ln -sfn "$d" "$bdir/qemu-bundle$d"
done

if [ $# -eq 0 ]; then
    set -- qemu-system-x86_64
fi
ninja -C "$bdir" "$@"
