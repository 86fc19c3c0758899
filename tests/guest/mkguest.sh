#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Build the Linux guest used by the hvpart guest tests, benchmarks and demo:
#
#   OUTDIR/vmlinuz            Debian 12's current 6.1 amd64 kernel
#   OUTDIR/initramfs.cpio.gz  busybox-static + /init + /hvtest/*.sh + the kernel
#                             modules of the Hyper-V drivers (and of the emulated
#                             devices used for comparison), with their dependencies
#   OUTDIR/initramfs-bench.cpio.gz
#                             the same initramfs followed by a second archive
#                             with fio and iperf3 and their libraries (the
#                             kernel unpacks concatenated archives in turn);
#                             only the benchmarks boot it
#   OUTDIR/kernel-version     the kernel release (uname -r), one line
#   OUTDIR/kernel-package     the Debian package and version it came from
#   OUTDIR/modules.list       the modules that went into the initramfs
#
# Usage: tests/guest/mkguest.sh [OUTDIR]     (default: <repo>/build/guest)
#
# The kernel package is found by resolving the linux-image-amd64 metapackage
# with apt-cache, fetched with `apt-get download` and unpacked with dpkg-deb:
# nothing is installed on the host apart from the tools below. Needs Debian 12
# with `apt-get update` done. Idempotent: a stamp holds a hash of this script,
# the guest files, busybox and the kernel package version; when it matches and
# the outputs exist, nothing is done.
set -euo pipefail

guest_src=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$guest_src/../.." && pwd)
outdir=${1:-$repo/build/guest}

# Modules our tests and benchmarks load. Their dependencies (modules.dep) and
# soft dependencies (modules.softdep) are added automatically.
# Required: the test cannot run without them.
required_modules="hv_vmbus hv_utils"
# Wanted: a missing one is reported but does not stop the build (for example
# hyperv_fb: Debian 6.1 is built with CONFIG_FB_HYPERV unset and relies on
# hyperv_drm).
wanted_modules="hv_storvsc hv_netvsc hyperv_drm hyperv_fb hid_hyperv
    hyperv_keyboard virtio_pci virtio_blk virtio_net ata_piix e1000 tulip
    sd_mod sr_mod dummy evdev"

# Fixed timestamp for every file of the initramfs, so that the archive only
# changes when its content does.
epoch=${SOURCE_DATE_EPOCH:-0}

msg() { echo "mkguest: $*" >&2; }
die() { msg "error: $*"; exit 1; }

apt_install() {
    [ "$(id -u)" = 0 ] || die "need root to install $* (apt-get install -y $*)"
    msg "installing $*"
    DEBIAN_FRONTEND=noninteractive apt-get -q install -y --no-install-recommends "$@" >&2
}

# --- tools ----------------------------------------------------------------
need_pkgs=()
command -v cpio >/dev/null || need_pkgs+=(cpio)
command -v depmod >/dev/null || need_pkgs+=(kmod)
command -v xz >/dev/null || need_pkgs+=(xz-utils)
command -v gzip >/dev/null || need_pkgs+=(gzip)
# Only busybox-static is usable in an initramfs without a libc. Debian's
# dynamic "busybox" package conflicts with it; in that case fetch the static
# one without installing it (see below) rather than replace the host's.
is_static() {
    case "$(LC_ALL=C ldd "$1" 2>&1 || true)" in
    *"not a dynamic executable"*) return 0 ;;
    *) return 1 ;;
    esac
}
busybox=
if [ -x /bin/busybox ] && is_static /bin/busybox; then
    busybox=/bin/busybox
elif [ ! -e /bin/busybox ]; then
    need_pkgs+=(busybox-static)
    busybox=/bin/busybox
fi
# Benchmark tools, taken from the host's Debian packages (with the
# libraries the host resolves for them).
bench_tools="/usr/bin/fio /usr/bin/iperf3"
command -v fio >/dev/null || need_pkgs+=(fio)
command -v iperf3 >/dev/null || need_pkgs+=(iperf3)
if [ ${#need_pkgs[@]} -gt 0 ]; then
    apt_install "${need_pkgs[@]}"
fi

# --- which kernel -----------------------------------------------------------
resolve_kernel() {
    apt-cache depends --important linux-image-amd64 2>/dev/null |
        awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }'
}
kpkg=$(resolve_kernel || true)
kpkg_ver=
if [ -n "$kpkg" ]; then
    kpkg_ver=$(apt-cache policy "$kpkg" | awk '$1 == "Candidate:" { print $2 }')
    [ "$kpkg_ver" != "(none)" ] || kpkg_ver=
fi
if [ -z "$kpkg" ] || [ -z "$kpkg_ver" ]; then
    if [ -f "$outdir/.stamp" ] && [ -f "$outdir/vmlinuz" ] &&
       [ -f "$outdir/initramfs.cpio.gz" ]; then
        msg "warning: apt-cache cannot resolve linux-image-amd64;" \
            "keeping the existing guest in $outdir"
        exit 0
    fi
    die "apt-cache cannot resolve linux-image-amd64 (run apt-get update)"
fi
kver=${kpkg#linux-image-}

# --- busybox from a .deb, if the host's is the dynamic one ------------------
cache="$outdir/.cache"
mkdir -p "$cache"

# apt-get download drops privileges to _apt: give it a directory it can write.
apt_download() {    # package version destfile
    local dl
    dl=$(mktemp -d "$cache/dl.XXXXXX")
    if id _apt >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
        chown _apt "$dl"
    fi
    (cd "$dl" && apt-get -q download "$1=$2" >&2) || { rm -rf "$dl"; return 1; }
    mv "$dl"/"$1"_*.deb "$3"
    rm -rf "$dl"
}

if [ -z "$busybox" ]; then
    bb_ver=$(apt-cache policy busybox-static | awk '$1 == "Candidate:" { print $2 }')
    if [ -z "$bb_ver" ] || [ "$bb_ver" = "(none)" ]; then
        die "no busybox-static candidate in apt"
    fi
    bb_deb="$cache/busybox-static_${bb_ver//:/%3a}_amd64.deb"
    [ -f "$bb_deb" ] || apt_download busybox-static "$bb_ver" "$bb_deb"
    rm -rf "$cache/busybox-static"
    dpkg-deb -x "$bb_deb" "$cache/busybox-static"
    busybox="$cache/busybox-static/bin/busybox"
    is_static "$busybox" || die "$busybox is not statically linked"
fi

# Debian's hyperv-daemons (hv_kvp_daemon, for the KVP integration service):
# the version that matches the kernel's source package.
hvd_ver=$(apt-cache policy hyperv-daemons | awk '$1 == "Candidate:" { print $2 }')
[ -n "$hvd_ver" ] || die "no hyperv-daemons candidate in apt"

# --- up to date? ------------------------------------------------------------
guest_inputs() {
    # Everything whose change must rebuild the initramfs, in a fixed order.
    printf '%s\n' "$guest_src/mkguest.sh" "$guest_src/init" \
        "$guest_src/hvtest-lib.sh" "$guest_src/poweroff"
    printf '%s\n' "$guest_src/udhcpc.script"
    find "$guest_src/scripts" -maxdepth 1 -name '*.sh' -type f | LC_ALL=C sort
}
stamp_value=$(
    {
        while read -r f; do
            echo "${f#"$guest_src"/} $(sha256sum < "$f" | cut -d' ' -f1)"
        done < <(guest_inputs)
        echo "busybox $(sha256sum < "$busybox" | cut -d' ' -f1)"
        echo "kernel $kpkg $kpkg_ver"
        echo "hyperv-daemons $hvd_ver"
        for t in $bench_tools; do
            echo "bench $t $(dpkg -S "$t" 2>/dev/null | cut -d: -f1 |
                xargs -r dpkg-query -W -f '${Version}')"
        done
        echo "epoch $epoch"
    } | sha256sum | cut -d' ' -f1
)
if [ -f "$outdir/.stamp" ] && [ "$(cat "$outdir/.stamp")" = "$stamp_value" ] &&
   [ -f "$outdir/vmlinuz" ] && [ -f "$outdir/initramfs.cpio.gz" ] &&
   [ -f "$outdir/kernel-version" ] && [ -f "$outdir/initramfs-bench.cpio.gz" ]; then
    msg "up to date: $outdir ($kver, $kpkg_ver)"
    exit 0
fi

# --- fetch and unpack the kernel ------------------------------------------------
kdeb="$cache/${kpkg}_${kpkg_ver//:/%3a}_amd64.deb"
if [ ! -f "$kdeb" ]; then
    msg "downloading $kpkg $kpkg_ver"
    rm -f "$cache/${kpkg}"_*.deb "$cache"/linux-image-*.deb
    apt_download "$kpkg" "$kpkg_ver" "$kdeb"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/mkguest.XXXXXX")
trap 'rm -rf "$work"' EXIT
kroot="$work/kernel"
msg "unpacking $(basename "$kdeb")"
dpkg-deb -x "$kdeb" "$kroot"
[ -f "$kroot/boot/vmlinuz-$kver" ] || die "no boot/vmlinuz-$kver in $kdeb"
kmoddir="lib/modules/$kver"
[ -d "$kroot/$kmoddir" ] || die "no $kmoddir in $kdeb"
# The package ships no modules.dep (its postinst makes it): make one.
depmod -b "$kroot" "$kver"

# --- module closure -------------------------------------------------------------
# Prints the paths (relative to lib/modules/KVER) of the wanted modules and of
# everything they depend on, through modules.dep and the pre:/post: soft
# dependencies of modules.softdep (these may name an alias of modules.alias).
# Names compare with '-' read as '_', as
# modprobe does. Unknown names are reported on stderr as "missing NAME",
# built-in ones as "builtin NAME".
resolve_modules() {   # moddir names...
    local moddir=$1
    shift
    awk -v wanted="$*" '
        function norm(s) { gsub(/-/, "_", s); return s }
        function modname(path,    n) {
            n = path; sub(/.*\//, "", n); sub(/\.ko(\.(xz|zst|gz))?$/, "", n)
            return norm(n)
        }
        FILENAME ~ /modules\.dep$/ {
            path = $1; sub(/:$/, "", path)
            n = modname(path); file[n] = path
            deps[n] = ""
            for (i = 2; i <= NF; i++) deps[n] = deps[n] " " modname($i)
            next
        }
        FILENAME ~ /modules\.softdep$/ && $1 == "softdep" {
            n = norm($2)
            for (i = 3; i <= NF; i++)
                if ($i != "pre:" && $i != "post:") soft[n] = soft[n] " " norm($i)
            next
        }
        FILENAME ~ /modules\.builtin$/ { builtin[modname($0)] = 1; next }
        # Soft dependencies may name an alias ("crc_t10dif pre: crct10dif").
        FILENAME ~ /modules\.alias$/ && $1 == "alias" && $2 !~ /[*?[]/ {
            alias[norm($2)] = alias[norm($2)] " " norm($3)
            next
        }
        function add(n, required,    k, d, c) {
            if (n in seen) return
            seen[n] = 1
            if (!(n in file) && (n in alias)) {
                c = split(alias[n], d, " ")
                for (k = 1; k <= c; k++) add(d[k], required)
                return
            }
            if (!(n in file)) {
                if (n in builtin) print "builtin " n > "/dev/stderr"
                else if (required) print "missing " n > "/dev/stderr"
                return
            }
            out[n] = file[n]
            c = split(deps[n], d, " ")
            for (k = 1; k <= c; k++) add(d[k], 1)
            c = split(soft[n], d, " ")
            for (k = 1; k <= c; k++) add(d[k], 0)
        }
        END {
            c = split(wanted, w, " ")
            for (k = 1; k <= c; k++) add(norm(w[k]), 1)
            for (n in out) print out[n]
        }
    ' "$moddir/modules.dep" "$moddir/modules.softdep" "$moddir/modules.builtin" \
        "$moddir/modules.alias" |
        LC_ALL=C sort
}

# shellcheck disable=SC2086  # word splitting of the module lists is intended
resolve_modules "$kroot/$kmoddir" $required_modules $wanted_modules \
    > "$work/modules.paths" 2> "$work/modules.notes"
while read -r what name; do
    case " $required_modules " in
    *" $name "*) die "required module $name is $what in $kpkg" ;;
    esac
    msg "note: module $name is $what in $kpkg, skipped"
done < "$work/modules.notes"

# --- initramfs tree ---------------------------------------------------------------
root="$work/root"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,run,etc,root,hvtest,lib}
install -m 0755 "$busybox" "$root/bin/busybox"
# One symlink per applet, where this busybox build says each one lives.
"$busybox" --list-full | while read -r applet; do
    [ -e "$root/$applet" ] || [ -L "$root/$applet" ] && continue
    case "$applet" in
    sbin/poweroff|sbin/reboot) continue ;;
    esac
    ln -s /bin/busybox "$root/$applet"
done
install -m 0755 "$guest_src/init" "$root/init"
install -m 0755 "$guest_src/poweroff" "$root/sbin/poweroff"
ln -s poweroff "$root/sbin/reboot"
install -m 0644 "$guest_src/hvtest-lib.sh" "$root/lib/hvtest-lib.sh"
# udhcpc's event script: it configures the interface with the lease.
install -D -m 0755 "$guest_src/udhcpc.script" \
    "$root/etc/udhcpc/default.script"
for s in "$guest_src"/scripts/*.sh; do
    install -m 0755 "$s" "$root/hvtest/$(basename "$s")"
done
# hv_kvp_daemon is dynamically linked: bring its libraries (the machine's
# own Debian libc6, which hyperv-daemons depends on).
hvd_deb="$cache/hyperv-daemons_${hvd_ver//:/%3a}_amd64.deb"
[ -f "$hvd_deb" ] || apt_download hyperv-daemons "$hvd_ver" "$hvd_deb"
rm -rf "$work/hvd"
dpkg-deb -x "$hvd_deb" "$work/hvd"
install -D -m 0755 "$work/hvd/usr/sbin/hv_kvp_daemon" \
    "$root/usr/sbin/hv_kvp_daemon"
for f in "$work"/hvd/usr/libexec/hypervkvpd/*; do
    install -D -m 0755 "$f" "$root/usr/libexec/hypervkvpd/$(basename "$f")"
done
ldd "$work/hvd/usr/sbin/hv_kvp_daemon" | grep -o '/[^ ]*' | while read -r lib; do
    install -D -m 0755 "$(readlink -f "$lib")" "$root$lib"
done
mkdir -p "$root/var/lib/hyperv"

cat > "$root/etc/profile" <<'EOF'
# hvtest initramfs
export PATH=/sbin:/bin:/usr/sbin:/usr/bin
PS1='hvguest:$PWD# '
EOF
echo "hvguest" > "$root/etc/hostname"

# Modules, decompressed: busybox's modprobe and insmod read plain .ko files
# (whether it can decompress depends on its build options), and a plain .ko
# costs nothing once the whole archive is gzipped.
mkdir -p "$root/$kmoddir"
while read -r path; do
    src="$kroot/$kmoddir/$path"
    dst="$root/$kmoddir/${path%.*}"
    mkdir -p "$(dirname "$dst")"
    case "$path" in
    *.ko)     cp "$src" "$root/$kmoddir/$path" ;;
    *.ko.xz)  xz -dc < "$src" > "$dst" ;;
    *.ko.gz)  gzip -dc < "$src" > "$dst" ;;
    *.ko.zst)
        command -v zstd >/dev/null || apt_install zstd
        zstd -qdc < "$src" > "$dst" ;;
    *) die "unexpected module file $path" ;;
    esac
done < "$work/modules.paths"
for f in modules.order modules.builtin modules.builtin.modinfo; do
    [ -f "$kroot/$kmoddir/$f" ] && cp "$kroot/$kmoddir/$f" "$root/$kmoddir/"
done
# modules.order names the compressed files; depmod only needs the plain ones.
sed -i -E 's/\.ko\.(xz|gz|zst)$/.ko/' "$root/$kmoddir/modules.order"
# Regenerate modules.dep (and the rest) for the plain .ko files we ship.
depmod -b "$root" "$kver"
if grep -qE '\.ko\.(xz|gz|zst)' "$root/$kmoddir/modules.dep"; then
    die "modules.dep still names compressed modules"
fi
# A module that is in modules.dep but whose dependencies are not in the
# initramfs would fail to load in the guest: check the closure.
while IFS=: read -r mod deps; do
    for d in $deps; do
        [ -f "$root/$kmoddir/$d" ] || die "$mod needs $d, which is missing"
    done
done < "$root/$kmoddir/modules.dep"

# Device nodes the kernel uses before /init mounts devtmpfs (the kernel's own
# built-in initramfs has a /dev/console too; /init copes without them).
mknod -m 0600 "$root/dev/console" c 5 1 2>/dev/null ||
    msg "warning: cannot create dev/console (not root?); relying on the kernel's"
mknod -m 0666 "$root/dev/null" c 1 3 2>/dev/null || true

# --- archive ------------------------------------------------------------------------
find "$root" -exec touch -h -d "@$epoch" {} +
mkdir -p "$outdir"
(
    cd "$root"
    find . -mindepth 1 -print0 | LC_ALL=C sort -z |
        cpio --null --create --format=newc --owner=0:0 --reproducible --quiet
) | gzip -9 -n > "$outdir/initramfs.cpio.gz.tmp"
# The benchmark tools: a second archive, appended to a copy of the first.
broot="$work/bench-root"
for t in $bench_tools; do
    install -D -m 0755 "$t" "$broot$t"
    ldd "$t" | grep -o '/[^ ]*' | while read -r lib; do
        [ -e "$root$lib" ] && continue
        install -D -m 0755 "$(readlink -f "$lib")" "$broot$lib"
    done
done
find "$broot" -exec touch -h -d "@$epoch" {} +
{
    cat "$outdir/initramfs.cpio.gz.tmp"
    (
        cd "$broot"
        find . -mindepth 1 -print0 | LC_ALL=C sort -z |
            cpio --null --create --format=newc --owner=0:0 --reproducible --quiet
    ) | gzip -9 -n
} > "$outdir/initramfs-bench.cpio.gz.tmp"
cp "$kroot/boot/vmlinuz-$kver" "$outdir/vmlinuz.tmp"
mv "$outdir/vmlinuz.tmp" "$outdir/vmlinuz"
mv "$outdir/initramfs.cpio.gz.tmp" "$outdir/initramfs.cpio.gz"
mv "$outdir/initramfs-bench.cpio.gz.tmp" "$outdir/initramfs-bench.cpio.gz"
echo "$kver" > "$outdir/kernel-version"
echo "$kpkg $kpkg_ver" > "$outdir/kernel-package"
sed -E 's/\.ko(\.(xz|gz|zst))?$//; s|.*/||' "$work/modules.paths" \
    > "$outdir/modules.list"
echo "$stamp_value" > "$outdir/.stamp"
msg "built $outdir: kernel $kver ($kpkg $kpkg_ver)," \
    "$(wc -l < "$work/modules.paths") modules," \
    "initramfs $(du -k "$outdir/initramfs.cpio.gz" | cut -f1) KiB"
