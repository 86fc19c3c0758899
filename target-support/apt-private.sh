#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A private apt configuration derived from the machine's own Debian sources.
#
# The system's apt sources are binary-only and name only bookworm. We need
#  - deb-src entries for Debian 13 (trixie), where QEMU 10.0.x lives, and
#  - binary entries for bookworm-backports (meson >= 1.5, python3-pycotap).
# Both are derived from the URIs the machine already uses, written into a
# private directory under build/, and used through -o options only, so the
# system's own apt files are never touched and no mirror host is ever written
# into this repository.
#
# Usage: source this file, then call apt_private_init DIR; afterwards
# "${APT_SRC[@]}" and "${APT_BPO[@]}" are apt-get argument vectors and
# "${APT_SRC_CACHE[@]}" the apt-cache one for the source lists.

apt_private_uris() {
    # Print "URI" lines for the Debian archive and the security archive as
    # configured on this machine (deb822 .sources files and one-line lists).
    local f
    {
        for f in /etc/apt/sources.list.d/*.sources; do
            [ -f "$f" ] && awk 'tolower($1)=="uris:" { for (i = 2; i <= NF; i++) print $i }' "$f"
        done
        for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
            [ -f "$f" ] && awk '$1=="deb" { for (i = 2; i <= NF; i++) if ($i ~ /:\/\//) { print $i; break } }' "$f"
        done
    } | sed 's:/*$::' | awk '!seen[$0]++'
}

apt_private_init() {
    local dir uri main_uri="" sec_uri="" keyring f
    mkdir -p "$1"
    dir=$(cd "$1" && pwd)
    keyring=/usr/share/keyrings/debian-archive-keyring.gpg
    for uri in $(apt_private_uris); do
        case "$uri" in
        *debian-security) [ -z "$sec_uri" ] && sec_uri="$uri" ;;
        */debian) [ -z "$main_uri" ] && main_uri="$uri" ;;
        esac
    done
    if [ -z "$main_uri" ]; then
        echo "apt-private: no Debian archive URI (…/debian) in the machine's apt sources" >&2
        return 1
    fi

    : > "$dir/empty.list"
    mkdir -p "$dir/src.d" "$dir/bpo.d" "$dir/lists-src/partial" \
             "$dir/lists-bpo/partial" "$dir/cache/archives/partial"

    {
        printf 'Types: deb-src\nURIs: %s\nSuites: trixie trixie-updates\n' "$main_uri"
        printf 'Components: main\nSigned-By: %s\n' "$keyring"
        if [ -n "$sec_uri" ]; then
            printf '\nTypes: deb-src\nURIs: %s\nSuites: trixie-security\n' "$sec_uri"
            printf 'Components: main\nSigned-By: %s\n' "$keyring"
        fi
    } > "$dir/src.d/trixie-src.sources"

    # Binary installs from backports also need the system's own suites for
    # dependencies: link the system's files next to the backports entry.
    rm -f "$dir/bpo.d/"*
    for f in /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] && ln -sf "$f" "$dir/bpo.d/"
    done
    if [ -s /etc/apt/sources.list ]; then
        ln -sf /etc/apt/sources.list "$dir/bpo.d/system.list"
    fi
    printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: %s\n' \
        "$main_uri" "$keyring" > "$dir/bpo.d/bookworm-backports.sources"

    APT_SRC=(apt-get -q -o "Dir::Etc::SourceList=$dir/empty.list"
             -o "Dir::Etc::SourceParts=$dir/src.d"
             -o "Dir::State::Lists=$dir/lists-src"
             -o "Dir::Cache=$dir/cache")
    APT_SRC_CACHE=(apt-cache "${APT_SRC[@]:2}")
    APT_BPO=(apt-get -q -o "Dir::Etc::SourceList=$dir/empty.list"
             -o "Dir::Etc::SourceParts=$dir/bpo.d"
             -o "Dir::State::Lists=$dir/lists-bpo"
             -o "Dir::Cache=$dir/cache")
}
