# SPDX-License-Identifier: GPL-2.0-or-later
#
# qemu-hvpart: the single entry point. Every target installs and fetches
# what it needs (Debian packages, QEMU's source, guest kernel) by itself.

BUILD ?= $(CURDIR)/build
QEMU_BUILD := $(BUILD)/qemu-build
QEMU := $(QEMU_BUILD)/qemu-system-x86_64
GUEST := $(BUILD)/guest
export BUILD_DIR := $(BUILD)

# QEMU's own qtests that cover what the overlay patches touch.
QEMU_QTESTS := qom-test device-introspect-test qmp-cmd-test test-hmp \
               bios-tables-test test-x86-cpuid-compat

.PHONY: all deps qemu tests fuzz guest check run bench checkpatch clean

all: qemu

deps:
	target-support/install-deps.sh

qemu:
	target-support/build-qemu.sh qemu-system-x86_64

tests:
	target-support/build-qemu.sh qemu-system-x86_64 qemu-img hvpart-tests \
	    $(addprefix tests/qtest/,$(QEMU_QTESTS))
	$(MAKE) fuzz

# libFuzzer harnesses of the guest-facing parsers (clang), in $(BUILD)/fuzz.
# They include QEMU's headers, so QEMU's tree must be configured first.
fuzz:
	@test -f $(QEMU_BUILD)/config-host.h || \
	    target-support/build-qemu.sh qemu-system-x86_64
	tests/fuzz/build.sh $(BUILD)/fuzz

guest: deps
	tests/guest/mkguest.sh $(GUEST)
	tests/hvtest/build.sh $(BUILD)/hvtest

check: tests guest
	tests/run-tests.sh

# The demo: a Debian kernel and a busybox initramfs under -accel hvpart,
# with the guest's own view of Hyper-V on the console, then a shell.
# Quit with Ctrl-A X (or "poweroff" in the guest).
run: qemu guest
	$(QEMU) -accel hvpart -machine q35 -m 1G -smp 2 -nographic \
	    -kernel $(GUEST)/vmlinuz -initrd $(GUEST)/initramfs.cpio.gz \
	    -append "console=ttyS0 hvtest.mods=hv_vmbus,hv_utils" \
	    -device vmbus-heartbeat -device vmbus-shutdown

bench: tests guest
	tests/bench/run-bench.sh

checkpatch: qemu
	tests/checkpatch.sh

clean:
	rm -rf $(QEMU_BUILD) $(GUEST) $(BUILD)/fuzz
