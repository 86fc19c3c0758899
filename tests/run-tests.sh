#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Run every test of "make check" and end with one line "N passed, N failed"
# (plus skips); exit non-zero if anything failed. Each test program speaks
# TAP (glib's --tap); a program that crashes or times out counts as failed.
#
#   unit tests   build/qemu-build/hvpart/test-*       pure protocol code
#   fuzzers      build/fuzz/fuzz-* (tests/fuzz)      FUZZ_SECONDS each (15)
#   hvpart qtests                                     real guests, -accel hvpart
#   QEMU qtests  the upstream tests that cover the patched files
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
build="${BUILD_DIR:-$top/build}"
bdir="$build/qemu-build"
logdir="$build/test-logs"
mkdir -p "$logdir"

export QTEST_QEMU_BINARY="$bdir/qemu-system-x86_64"
export HVPART_GUEST_DIR="${HVPART_GUEST_DIR:-$build/guest}"
export G_TEST_DBUS_DAEMON=/bin/true

passed=0
failed=0
skipped=0
failures=()

# run NAME TIMEOUT CMD...: count the TAP results of one test program.
run() {
    local name=$1 tmo=$2 log rc p f s
    shift 2
    log="$logdir/$name.log"
    echo "== $name"
    timeout --foreground -k 10 "$tmo" "$@" --tap -k > "$log" 2>&1
    rc=$?
    # Cases deselected with -s are not counted at all.
    p=$(grep -E '^ok [0-9]+' "$log" | grep -cv '# *SKIP')
    s=$(grep -E '^ok [0-9]+.*# *SKIP' "$log" | grep -cv 'by request')
    f=$(grep -cE '^not ok [0-9]+' "$log")
    grep -E '^(not )?ok [0-9]+' "$log" | grep -v 'by request' | sed 's/^/   /'
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        # died (crash, timeout) without reporting a failure itself
        echo "   not ok - $name exited with status $rc (see $log)"
        f=1
    fi
    passed=$((passed + p))
    failed=$((failed + f))
    skipped=$((skipped + s))
    if [ "$f" -ne 0 ]; then
        failures+=("$name")
        tail -n 30 "$log" | sed 's/^/   | /'
    fi
}

# Unit tests (fake guest memory, hostile inputs).
for t in "$bdir"/hvpart/test-*; do
    [ -f "$t" ] && [ -x "$t" ] || continue      # not meson's *.p folders
    run "$(basename "$t")" 600 "$t"
done

# Fuzzers of the guest-facing parsers (tests/fuzz/fuzzers.list, built by
# "make fuzz"): each runs for FUZZ_SECONDS from its seed corpus, copied to a
# scratch folder so that the repository is not modified, and counts as one
# test. A crash, a sanitizer report or a failed postcondition is a failure;
# libFuzzer keeps the input in $logdir and the command to reproduce it is
# printed.
fuzz_secs="${FUZZ_SECONDS:-15}"
fuzz_dir="$build/fuzz"

run_fuzz() {
    local name=$1 bin="$fuzz_dir/fuzz-$1" log="$logdir/fuzz-$1.log"
    local work rc runs cov corpus input
    echo "== fuzz-$name"
    rm -f "$logdir/fuzz-$name-"*            # inputs kept by an earlier run
    if [ ! -x "$bin" ]; then
        echo "not ok 1 - fuzz-$name # not built (make fuzz)" > "$log"
        echo "   not ok - fuzz-$name: $bin not built (make fuzz)"
        failed=$((failed + 1))
        failures+=("fuzz-$name")
        return
    fi
    work=$(mktemp -d "${TMPDIR:-/tmp}/hvpart-fuzz-$name.XXXXXX")
    if [ -d "$top/tests/fuzz/corpus/$name" ]; then
        cp -R "$top/tests/fuzz/corpus/$name/." "$work/"
    fi
    timeout --foreground -k 10 $((fuzz_secs + 300)) "$bin" \
        -max_total_time="$fuzz_secs" -timeout=30 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$logdir/fuzz-$name-" \
        "$work" > "$log" 2>&1
    rc=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -n 1)
    corpus=$(find "$work" -type f | wc -l)
    rm -rf "$work"
    if [ "$rc" -eq 0 ]; then
        echo "ok 1 - fuzz-$name" >> "$log"
        echo "   ok - fuzz-$name: ${runs:-?} runs in ${fuzz_secs} s," \
             "${cov:-cov: ?}, corpus $corpus inputs"
        passed=$((passed + 1))
        return
    fi
    echo "not ok 1 - fuzz-$name" >> "$log"
    echo "   not ok - fuzz-$name exited with status $rc (see $log)"
    grep -E 'postcondition failed|ERROR: |SUMMARY: |runtime error' "$log" |
        head -n 5 | sed 's/^/   | /'
    input=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
    if [ -n "$input" ]; then
        echo "   | input kept: $input"
        echo "   | reproduce:  $bin $input"
    fi
    failed=$((failed + 1))
    failures+=("fuzz-$name")
}

while read -r name _; do
    case "$name" in
    ''|'#'*) continue ;;
    esac
    run_fuzz "$name"
done < "$top/tests/fuzz/fuzzers.list"

# qtests with real guests under -accel hvpart.
for t in "$bdir"/hvpart/hvpart-*-test; do
    [ -f "$t" ] && [ -x "$t" ] || continue
    run "$(basename "$t")" 1800 "$t"
done

# QEMU's own qtests touching what target-support/patches change:
# QOM types and device introspection (our devices), every query-* command and
# every "info" command (the QAPI/HMP patch), CPUID (the target/i386 patch)
# and the ACPI tables of pc and q35 (the acpi-build patch).
q="$bdir/tests/qtest"
# They find their reference data (tests/data/...) from QEMU's build folder.
cd "$bdir" || exit 1
run qom-test 900 "$q/qom-test"
run device-introspect-test 900 "$q/device-introspect-test"
run qmp-cmd-test 900 "$q/qmp-cmd-test"
run test-hmp 900 "$q/test-hmp"
# bios-tables-test prefers KVM when /dev/kvm exists; the paravirtual KVM of
# some hosts (kvm_pvm) yields a different FACP than the reference tables,
# with or without the overlay. Compare the TCG tables there: hide /dev/kvm
# in a private mount namespace when we may.
nokvm=()
if [ -e /dev/kvm ] && unshare -m true 2>/dev/null; then
    nokvm=(unshare -m sh -c 'mount --bind /dev/null /dev/kvm && exec "$@"' --)
fi
# Only the two base cases: the patch adds to the DSDT under -accel hvpart
# alone, and each case boots SeaBIOS under TCG (the full set takes an hour).
skips=()
for t in $("$q/bios-tables-test" -l 2>/dev/null |
           grep -E '^/x86_64/acpi/(piix4|q35)/'); do
    skips+=(-s "$t")
done
run bios-tables-test 1800 "${nokvm[@]}" "$q/bios-tables-test" \
    -p /x86_64/acpi/piix4 -p /x86_64/acpi/q35 "${skips[@]}"
run test-x86-cpuid-compat 600 "$q/test-x86-cpuid-compat"

echo
if [ ${#failures[@]} -ne 0 ]; then
    echo "failed programs: ${failures[*]} (logs in $logdir)"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
