/*
 * Boot the hvpart test guest (Linux + busybox initramfs built by
 * tests/guest/mkguest.sh) under libqtest and read what it prints on its
 * serial console.
 *
 * The guest's /init and scripts (tests/guest/) print machine-readable lines
 * "HVTEST: ..." on ttyS0. QEMU writes the console to a file; the helpers
 * poll that file, split it into lines and remember when (host monotonic
 * time) each line was first seen.
 *
 * Copyright (c) 2025 qemu-hvpart contributors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HVPART_GUEST_UTIL_H
#define HVPART_GUEST_UTIL_H

#include "libqtest.h"

/* Kernel parameters every test guest wants; tests append theirs. */
#define HVGUEST_CMDLINE_BASE "console=ttyS0 panic=-1"

/*
 * Seconds to wait for any one expected console line. Generous: a guest
 * under TCG on a loaded 2-core machine needs ~10-60 s to reach /init.
 */
#define HVGUEST_TIMEOUT_S 240

typedef struct HvGuest HvGuest;

typedef struct HvGuestLine {
    char *text;         /* the console line, without "\r\n" */
    gint64 seen_us;     /* g_get_monotonic_time() when first read */
} HvGuestLine;

/*
 * Directory holding vmlinuz and initramfs.cpio.gz: $HVPART_GUEST_DIR if
 * set, else build/guest of the repository this test belongs to (found by
 * walking up from the test binary and from the working directory to a
 * directory that has tests/guest/mkguest.sh). Never NULL.
 */
char *hvguest_assets_dir(void);

/*
 * Skip the current test (g_test_skip, with the reason) and return false
 * unless the guest assets exist, QEMU has accelerator @accel and every
 * device type in the NULL-terminated @devices (which may be NULL).
 */
bool hvguest_check_requirements(const char *accel,
                                const char *const *devices);

/*
 * Start QEMU with "-accel @accel" (placed before libqtest's own
 * "-accel qtest", so the vCPUs really run), the guest kernel and initramfs,
 * kernel command line @cmdline, the first serial port written to a
 * temporary file, and @extra_args (machine, memory, devices). Adds
 * -nodefaults and -no-reboot (a guest panic or reboot ends QEMU, which the
 * waits notice), and $HVPART_GUEST_QEMU_ARGS if set (local additions such
 * as "-L DIR"). Returns NULL after g_test_skip() if the assets are missing.
 */
HvGuest *hvguest_start(const char *accel, const char *extra_args,
                       const char *cmdline);

QTestState *hvguest_qts(HvGuest *g);

/* An unsigned integer property of a QOM object (fails the test if none). */
uint64_t hvguest_qom_get_u64(QTestState *qts, const char *path,
                             const char *prop);

/* The console log file (kept when a test fails, see hvguest_quit()). */
const char *hvguest_console_path(HvGuest *g);

/* Monotonic time (us) at which hvguest_start() launched QEMU. */
gint64 hvguest_start_time(HvGuest *g);

/*
 * The first console line that contains @needle (anywhere, so that a kernel
 * message written into the middle of a line does not hide it), waiting up
 * to @timeout_s seconds. NULL on timeout or if QEMU exited first; then the
 * end of the console is printed on stderr. The line belongs to @g.
 */
const HvGuestLine *hvguest_wait_line(HvGuest *g, const char *needle,
                                     int timeout_s);

/*
 * As hvguest_wait_line(), but only lines at index *@pos or later count, and
 * on success *@pos moves past the line found: successive calls walk through
 * the console in order, so that a line printed again later (a device that
 * comes back, a counter) is told from its first appearance.
 */
const HvGuestLine *hvguest_wait_line_from(HvGuest *g, guint *pos,
                                          const char *needle, int timeout_s);

/*
 * The number of console lines read so far, after reading what the console
 * gained: a position for hvguest_wait_line_from() that only lets later
 * lines count.
 */
guint hvguest_line_count(HvGuest *g);

/* As hvguest_wait_line(), but fails the test (g_assert) on timeout. */
const HvGuestLine *hvguest_expect_line(HvGuest *g, const char *needle,
                                       int timeout_s);

/* The first line read so far that contains @needle, without waiting. */
const HvGuestLine *hvguest_find_line(HvGuest *g, const char *needle);

/*
 * All lines read so far that contain @needle, in order, without waiting.
 * Free the array (not its elements) with g_ptr_array_unref().
 */
GPtrArray *hvguest_lines_matching(HvGuest *g, const char *needle);

/*
 * The value of the guest's "HVTEST: @key=VALUE" line: the rest of the line
 * after '=', trailing blanks removed. Waits up to @timeout_s; NULL on
 * timeout. Free with g_free().
 */
char *hvguest_wait_value(HvGuest *g, const char *key, int timeout_s);

/*
 * The value of a "@key=VALUE" word inside @line ("... class=X driver=Y"),
 * up to the next blank, or NULL. Free with g_free().
 */
char *hvguest_line_field(const char *line, const char *key);

/* Seconds from line @a to line @b, as the host saw them. */
double hvguest_seconds_between(const HvGuestLine *a, const HvGuestLine *b);

/*
 * Wait up to @timeout_s seconds for QEMU to exit by itself (the guest
 * powered off; QEMU runs without -no-shutdown). True if it did.
 * Events QEMU sent before exiting (SHUTDOWN) can still be read with
 * qtest_qmp_eventwait() afterwards.
 */
bool hvguest_wait_exit(HvGuest *g, int timeout_s);

/* Whether QEMU still runs (reads the console as a side effect). */
bool hvguest_running(HvGuest *g);

/*
 * Wait up to @timeout_s seconds for the QMP event @event, polling with
 * query-status so that QEMU's events get read. Events of other names that
 * arrive meanwhile are dropped, as qtest_qmp_event_ref() does. Returns the
 * event (qobject_unref() it), or NULL on timeout or if QEMU exited first.
 */
QDict *hvguest_wait_event(HvGuest *g, const char *event, int timeout_s);

/* Print the last @nlines console lines on stderr. */
void hvguest_dump_console(HvGuest *g, int nlines);

/*
 * Stop QEMU (if still running) and free @g. The console file is removed,
 * unless $HVPART_KEEP_CONSOLE is set. (If a test assertion fails, the test
 * aborts before this and the file stays; its path was logged at start.)
 */
void hvguest_quit(HvGuest *g);

/*
 * @relpath under the repository this test belongs to, found as
 * hvguest_assets_dir() finds it (walking up from the test binary, then from
 * the working directory); under the working directory if neither is inside
 * the repository. Never NULL; the file need not exist.
 */
char *hvguest_repo_path(const char *relpath);

/*
 * As hvguest_start(), for a guest that is one -kernel image without initrd
 * or command line (a multiboot test kernel, say): "-accel @accel", the first
 * serial port to a temporary file, -nodefaults -no-reboot, @extra_args and
 * $HVPART_GUEST_QEMU_ARGS. The caller checks that @kernel exists.
 * @kernel NULL: no -kernel at all, the firmware boots the machine's disks.
 */
HvGuest *hvguest_start_kernel(const char *accel, const char *kernel,
                              const char *extra_args);

/*
 * Migrate the guest of @src into @dst (started with "-incoming defer")
 * through @uri, and wait until it runs on @dst (or, if @src was stopped,
 * until @dst is paused).
 */
void hvguest_migrate(HvGuest *src, HvGuest *dst, const char *uri);

/* The sha256 (hex) of the first @mb MiB of the file @path (asserts). */
char *hvguest_file_sha256(const char *path, unsigned mb);

#endif /* HVPART_GUEST_UTIL_H */
