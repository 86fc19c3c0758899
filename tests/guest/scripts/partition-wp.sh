#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Partition semantics with a real kernel: a page of a tmpfs file, whose
# content exists nowhere else in RAM (it is written in 64 small pieces), is
# announced with its tag; the host finds it, write-protects it, and the
# guest writes to it after a pause. The host sees the intercept, restores
# the rights and resumes; the guest's write lands.
#   HVTEST: wp-ready tag=<tag>
#   HVTEST: wp-written content=<first 14 bytes>

# shellcheck source=SCRIPTDIR/../hvtest-lib.sh
. /lib/hvtest-lib.sh

f=/tmp/wp-page
tag=$(cat /proc/sys/kernel/random/uuid | tr -d '-' | cut -c1-16)
: > "$f"
i=0
while [ $i -lt 64 ]; do
    # 64 bytes: tag (16), index (3), then '.' padding up to 63, and '\n'
    printf '%s%03d%s\n' "$tag" "$i" \
        "............................................" >> "$f"
    i=$((i + 1))
done
hvtest_say "wp-ready tag=$tag size=$(wc -c < "$f")"
# The host needs a few seconds to find the page and protect it.
sleep "$(hvtest_cmdline_value hvtest.wp_delay || echo 15)"
printf 'HVPART-WRITTEN' | dd of="$f" conv=notrunc 2>/dev/null
hvtest_say "wp-written content=$(head -c 14 "$f")"
