/*
 * Boot the hvpart test guest under libqtest and read its serial console.
 * See hvpart-guest-util.h.
 *
 * Copyright (c) 2025 qemu-hvpart contributors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/units.h"
#include "libqtest.h"
#include "hvpart-guest-util.h"
#include "qobject/qdict.h"
#include "qobject/qjson.h"
#include "qobject/qnum.h"

/* How often the console file is read while waiting. */
#define HVGUEST_POLL_US (10 * 1000)

struct HvGuest {
    QTestState *qts;
    char *console_path;
    int console_fd;
    GString *partial;       /* console bytes after the last '\n' */
    GPtrArray *lines;       /* HvGuestLine *, in console order */
    gint64 start_us;
    bool running;           /* QEMU not yet seen to exit */
};

static void hvguest_line_free(gpointer p)
{
    HvGuestLine *line = p;

    g_free(line->text);
    g_free(line);
}

static bool is_dir_with(const char *dir, const char *relpath)
{
    g_autofree char *path = g_build_filename(dir, relpath, NULL);

    return g_file_test(path, G_FILE_TEST_EXISTS);
}

/* The repository root above @start, i.e. a directory with our mkguest.sh. */
static char *find_repo_above(const char *start)
{
    g_autofree char *dir = g_canonicalize_filename(start, NULL);

    for (;;) {
        g_autofree char *parent = NULL;

        if (is_dir_with(dir, "tests/guest/mkguest.sh")) {
            return g_steal_pointer(&dir);
        }
        parent = g_path_get_dirname(dir);
        if (g_str_equal(parent, dir)) {
            return NULL;
        }
        g_free(dir);
        dir = g_steal_pointer(&parent);
    }
}

char *hvguest_assets_dir(void)
{
    const char *env = g_getenv("HVPART_GUEST_DIR");
    g_autofree char *exe = NULL;
    g_autofree char *cwd = NULL;
    const char *starts[2];
    size_t i;

    if (env && *env) {
        return g_strdup(env);
    }
#ifdef HVPART_GUEST_DIR_DEFAULT
    /* The build may say where the assets are. */
    if (is_dir_with(HVPART_GUEST_DIR_DEFAULT, "vmlinuz")) {
        return g_strdup(HVPART_GUEST_DIR_DEFAULT);
    }
#endif

    /*
     * The test binary lives in the QEMU build directory, which is normally
     * inside the repository (build/qemu-build/tests/qtest/).
     */
    exe = g_file_read_link("/proc/self/exe", NULL);
    if (exe) {
        char *slash = strrchr(exe, '/');

        if (slash) {
            *slash = '\0';
        }
    }
    cwd = g_get_current_dir();
    starts[0] = exe;
    starts[1] = cwd;
    for (i = 0; i < ARRAY_SIZE(starts); i++) {
        g_autofree char *repo = starts[i] ? find_repo_above(starts[i]) : NULL;

        if (repo) {
            return g_build_filename(repo, "build", "guest", NULL);
        }
    }
    return g_build_filename(cwd, "build", "guest", NULL);
}

/* Why the guest assets cannot be used, or NULL if they can. */
static char *assets_missing_reason(const char *dir)
{
    static const char *const names[] = { "vmlinuz", "initramfs.cpio.gz" };
    size_t i;

    for (i = 0; i < ARRAY_SIZE(names); i++) {
        if (!is_dir_with(dir, names[i])) {
            return g_strdup_printf("guest asset %s/%s is missing: build it "
                                   "with tests/guest/mkguest.sh, or point "
                                   "HVPART_GUEST_DIR at a directory that "
                                   "has vmlinuz and initramfs.cpio.gz",
                                   dir, names[i]);
        }
    }
    return NULL;
}

bool hvguest_check_requirements(const char *accel,
                                const char *const *devices)
{
    g_autofree char *dir = hvguest_assets_dir();
    g_autofree char *why = assets_missing_reason(dir);

    if (why) {
        g_test_skip(why);
        return false;
    }
    if (!qtest_has_accel(accel)) {
        g_autofree char *msg =
            g_strdup_printf("QEMU has no '%s' accelerator", accel);

        g_test_skip(msg);
        return false;
    }
    for (; devices && *devices; devices++) {
        if (!qtest_has_device(*devices)) {
            g_autofree char *msg =
                g_strdup_printf("QEMU has no '%s' device", *devices);

            g_test_skip(msg);
            return false;
        }
    }
    return true;
}

HvGuest *hvguest_start(const char *accel, const char *extra_args,
                       const char *cmdline)
{
    g_autofree char *dir = hvguest_assets_dir();
    g_autofree char *why = assets_missing_reason(dir);
    g_autofree char *kernel = NULL;
    g_autofree char *initrd = NULL;
    g_autofree char *q_kernel = NULL;
    g_autofree char *q_initrd = NULL;
    g_autofree char *q_cmdline = NULL;
    g_autofree char *q_console = NULL;
    const char *local_args = g_getenv("HVPART_GUEST_QEMU_ARGS");
    g_autoptr(GError) err = NULL;
    HvGuest *g;
    int fd;

    if (why) {
        g_test_skip(why);
        return NULL;
    }
    kernel = g_build_filename(dir, "vmlinuz", NULL);
    initrd = g_build_filename(dir, "initramfs.cpio.gz", NULL);

    g = g_new0(HvGuest, 1);
    g->partial = g_string_new("");
    g->lines = g_ptr_array_new_with_free_func(hvguest_line_free);

    fd = g_file_open_tmp("hvpart-console-XXXXXX.log", &g->console_path, &err);
    g_assert_no_error(err);
    close(fd);
    g_test_message("guest console: %s", g->console_path);

    /* libqtest runs the command line through /bin/sh: quote what we pass. */
    q_kernel = g_shell_quote(kernel);
    q_initrd = g_shell_quote(initrd);
    q_cmdline = g_shell_quote(cmdline);
    q_console = g_shell_quote(g->console_path);

    g->start_us = g_get_monotonic_time();
    g->qts = qtest_initf("-accel %s -nodefaults -no-reboot "
                         "-chardev file,id=hvcon,path=%s "
                         "-serial chardev:hvcon "
                         "-kernel %s -initrd %s -append %s %s %s",
                         accel, q_console, q_kernel, q_initrd, q_cmdline,
                         extra_args ? extra_args : "",
                         local_args ? local_args : "");
    g->running = true;

    g->console_fd = open(g->console_path, O_RDONLY);
    g_assert(g->console_fd >= 0);
    return g;
}

QTestState *hvguest_qts(HvGuest *g)
{
    return g->qts;
}

const char *hvguest_console_path(HvGuest *g)
{
    return g->console_path;
}

gint64 hvguest_start_time(HvGuest *g)
{
    return g->start_us;
}

static void add_line(HvGuest *g, const char *text, gsize len, gint64 now)
{
    HvGuestLine *line = g_new0(HvGuestLine, 1);

    /* Console lines end in "\r\n" (tty ONLCR, and the kernel's console). */
    while (len > 0 && (text[len - 1] == '\r' || text[len - 1] == '\n')) {
        len--;
    }
    line->text = g_strndup(text, len);
    line->seen_us = now;
    g_ptr_array_add(g->lines, line);
}

/* Read what the console file has gained and split it into lines. */
static void hvguest_poll_console(HvGuest *g)
{
    gint64 now = g_get_monotonic_time();
    char buf[4096];
    ssize_t n;

    while ((n = read(g->console_fd, buf, sizeof(buf))) > 0) {
        ssize_t i;

        for (i = 0; i < n; i++) {
            char c = buf[i];

            if (c == '\n') {
                add_line(g, g->partial->str, g->partial->len, now);
                g_string_truncate(g->partial, 0);
            } else {
                /* A NUL would end the C string early. */
                g_string_append_c(g->partial, c ? c : '?');
            }
        }
    }
    g_assert(n == 0 || errno == EINTR);
}

/* Poll once; notice QEMU's exit and then flush an unterminated last line. */
static void hvguest_update(HvGuest *g)
{
    hvguest_poll_console(g);
    if (g->running && !qtest_probe_child(g->qts)) {
        g->running = false;
        hvguest_poll_console(g);
        if (g->partial->len) {
            add_line(g, g->partial->str, g->partial->len,
                     g_get_monotonic_time());
            g_string_truncate(g->partial, 0);
        }
    }
}

const HvGuestLine *hvguest_find_line(HvGuest *g, const char *needle)
{
    guint i;

    for (i = 0; i < g->lines->len; i++) {
        HvGuestLine *line = g_ptr_array_index(g->lines, i);

        if (strstr(line->text, needle)) {
            return line;
        }
    }
    return NULL;
}

GPtrArray *hvguest_lines_matching(HvGuest *g, const char *needle)
{
    GPtrArray *found = g_ptr_array_new();
    guint i;

    hvguest_update(g);
    for (i = 0; i < g->lines->len; i++) {
        HvGuestLine *line = g_ptr_array_index(g->lines, i);

        if (strstr(line->text, needle)) {
            g_ptr_array_add(found, line);
        }
    }
    return found;
}

void hvguest_dump_console(HvGuest *g, int nlines)
{
    guint n = nlines > 0 ? nlines : 0;
    guint i = g->lines->len > n ? g->lines->len - n : 0;

    fprintf(stderr, "---- last %u lines of the guest console (%s):\n",
            g->lines->len - i, g->console_path);
    for (; i < g->lines->len; i++) {
        HvGuestLine *line = g_ptr_array_index(g->lines, i);

        fprintf(stderr, "| %s\n", line->text);
    }
    if (g->partial->len) {
        fprintf(stderr, "| %s (no end of line yet)\n", g->partial->str);
    }
    fprintf(stderr, "---- end of console\n");
}

/* The first line at index @start or later that contains @needle. */
static const HvGuestLine *find_line_from(HvGuest *g, guint start,
                                         const char *needle, guint *index)
{
    guint i;

    for (i = start; i < g->lines->len; i++) {
        HvGuestLine *line = g_ptr_array_index(g->lines, i);

        if (strstr(line->text, needle)) {
            *index = i;
            return line;
        }
    }
    return NULL;
}

const HvGuestLine *hvguest_wait_line_from(HvGuest *g, guint *pos,
                                          const char *needle, int timeout_s)
{
    gint64 deadline = g_get_monotonic_time() + timeout_s * G_USEC_PER_SEC;

    for (;;) {
        const HvGuestLine *line;
        bool was_running = g->running;
        guint index;

        hvguest_update(g);
        line = find_line_from(g, *pos, needle, &index);
        if (line) {
            *pos = index + 1;
            return line;
        }
        if (!was_running) {
            fprintf(stderr, "hvguest: QEMU exited before the guest printed "
                    "'%s'\n", needle);
            break;
        }
        if (g_get_monotonic_time() >= deadline) {
            fprintf(stderr, "hvguest: no '%s' on the guest console after "
                    "%d s\n", needle, timeout_s);
            break;
        }
        g_usleep(HVGUEST_POLL_US);
    }
    hvguest_dump_console(g, 60);
    return NULL;
}

const HvGuestLine *hvguest_wait_line(HvGuest *g, const char *needle,
                                     int timeout_s)
{
    guint pos = 0;

    return hvguest_wait_line_from(g, &pos, needle, timeout_s);
}

guint hvguest_line_count(HvGuest *g)
{
    hvguest_update(g);
    return g->lines->len;
}

const HvGuestLine *hvguest_expect_line(HvGuest *g, const char *needle,
                                       int timeout_s)
{
    const HvGuestLine *line = hvguest_wait_line(g, needle, timeout_s);

    if (!line) {
        g_error("expected '%s' on the guest console; full log: %s",
                needle, g->console_path);
    }
    return line;
}

char *hvguest_wait_value(HvGuest *g, const char *key, int timeout_s)
{
    g_autofree char *needle = g_strdup_printf("HVTEST: %s=", key);
    const HvGuestLine *line = hvguest_wait_line(g, needle, timeout_s);
    const char *value;

    if (!line) {
        return NULL;
    }
    value = strstr(line->text, needle) + strlen(needle);
    return g_strchomp(g_strdup(value));
}

char *hvguest_line_field(const char *line, const char *key)
{
    g_autofree char *word = g_strdup_printf("%s=", key);
    size_t wlen = strlen(word);
    const char *p = line;

    while ((p = strstr(p, word)) != NULL) {
        /* Only a whole word: at the start or after a blank. */
        if (p == line || p[-1] == ' ' || p[-1] == '\t') {
            const char *value = p + wlen;

            return g_strndup(value, strcspn(value, " \t"));
        }
        p += wlen;
    }
    return NULL;
}

double hvguest_seconds_between(const HvGuestLine *a, const HvGuestLine *b)
{
    return (double)(b->seen_us - a->seen_us) / G_USEC_PER_SEC;
}

bool hvguest_wait_exit(HvGuest *g, int timeout_s)
{
    gint64 deadline = g_get_monotonic_time() + timeout_s * G_USEC_PER_SEC;

    while (g->running) {
        hvguest_update(g);
        if (!g->running) {
            break;
        }
        if (g_get_monotonic_time() >= deadline) {
            fprintf(stderr, "hvguest: QEMU still running after %d s\n",
                    timeout_s);
            hvguest_dump_console(g, 60);
            return false;
        }
        g_usleep(HVGUEST_POLL_US);
    }
    return true;
}

bool hvguest_running(HvGuest *g)
{
    hvguest_update(g);
    return g->running;
}

QDict *hvguest_wait_event(HvGuest *g, const char *event, int timeout_s)
{
    gint64 deadline = g_get_monotonic_time() + timeout_s * G_USEC_PER_SEC;

    for (;;) {
        QDict *ev = qtest_qmp_event_ref(g->qts, event);

        if (ev) {
            return ev;
        }
        if (!hvguest_running(g)) {
            fprintf(stderr, "hvguest: QEMU exited before event %s\n", event);
            break;
        }
        if (g_get_monotonic_time() >= deadline) {
            fprintf(stderr, "hvguest: no event %s after %d s\n", event,
                    timeout_s);
            break;
        }
        /* A command's reply comes after the events QEMU sent before it. */
        qobject_unref(qtest_qmp(g->qts, "{'execute': 'query-status'}"));
        ev = qtest_qmp_event_ref(g->qts, event);
        if (ev) {
            return ev;
        }
        g_usleep(100 * 1000);
    }
    hvguest_dump_console(g, 60);
    return NULL;
}

void hvguest_quit(HvGuest *g)
{
    qtest_quit(g->qts);
    close(g->console_fd);
    if (g_getenv("HVPART_KEEP_CONSOLE")) {
        g_test_message("guest console kept: %s", g->console_path);
    } else {
        unlink(g->console_path);
    }
    g_free(g->console_path);
    g_string_free(g->partial, true);
    g_ptr_array_unref(g->lines);
    g_free(g);
}

char *hvguest_repo_path(const char *relpath)
{
    g_autofree char *exe = g_file_read_link("/proc/self/exe", NULL);
    g_autofree char *cwd = g_get_current_dir();
    const char *starts[2];
    size_t i;

    if (exe) {
        char *slash = strrchr(exe, '/');

        if (slash) {
            *slash = '\0';
        }
    }
    starts[0] = exe;
    starts[1] = cwd;
    for (i = 0; i < ARRAY_SIZE(starts); i++) {
        g_autofree char *repo = starts[i] ? find_repo_above(starts[i]) : NULL;

        if (repo) {
            return g_build_filename(repo, relpath, NULL);
        }
    }
    return g_build_filename(cwd, relpath, NULL);
}

HvGuest *hvguest_start_kernel(const char *accel, const char *kernel,
                              const char *extra_args)
{
    g_autofree char *q_kernel = kernel ? g_shell_quote(kernel) : NULL;
    g_autofree char *kernel_arg = kernel ? g_strdup_printf("-kernel %s",
                                                           q_kernel)
                                         : g_strdup("");
    g_autofree char *q_console = NULL;
    const char *local_args = g_getenv("HVPART_GUEST_QEMU_ARGS");
    g_autoptr(GError) err = NULL;
    HvGuest *g;
    int fd;

    g = g_new0(HvGuest, 1);
    g->partial = g_string_new("");
    g->lines = g_ptr_array_new_with_free_func(hvguest_line_free);

    fd = g_file_open_tmp("hvpart-console-XXXXXX.log", &g->console_path, &err);
    g_assert_no_error(err);
    close(fd);
    g_test_message("guest console: %s", g->console_path);
    q_console = g_shell_quote(g->console_path);

    g->start_us = g_get_monotonic_time();
    g->qts = qtest_initf("-accel %s -nodefaults -no-reboot "
                         "-chardev file,id=hvcon,path=%s "
                         "-serial chardev:hvcon %s %s %s",
                         accel, q_console, kernel_arg,
                         extra_args ? extra_args : "",
                         local_args ? local_args : "");
    g->running = true;

    g->console_fd = open(g->console_path, O_RDONLY);
    g_assert(g->console_fd >= 0);
    return g;
}

/*
 * Migrate @src into @dst (started with "-incoming defer") through @uri and
 * wait until the guest runs on @dst, as QEMU's tests/qtest/migration
 * helpers do: poll query-migrate on the source, then query-status on the
 * destination (which starts the guest by itself: no -S).
 */
void hvguest_migrate(HvGuest *src, HvGuest *dst, const char *uri)
{
    QTestState *from = hvguest_qts(src), *to = hvguest_qts(dst);
    gint64 deadline = g_get_monotonic_time() +
                      HVGUEST_TIMEOUT_S * G_USEC_PER_SEC;
    QDict *rsp;
    bool src_running;

    /* A source stopped (an I/O error) leaves the destination paused. */
    rsp = qtest_qmp_assert_success_ref(from, "{'execute': 'query-status'}");
    src_running = qdict_get_bool(rsp, "running");
    qobject_unref(rsp);
    qtest_qmp_assert_success(to, "{'execute': 'migrate-incoming',"
                             " 'arguments': {'uri': %s}}", uri);
    qtest_qmp_assert_success(from, "{'execute': 'migrate',"
                             " 'arguments': {'uri': %s}}", uri);
    for (;;) {
        const char *status;

        rsp = qtest_qmp_assert_success_ref(from,
                                           "{'execute': 'query-migrate'}");
        status = qdict_get_try_str(rsp, "status");
        if (status && g_str_equal(status, "completed")) {
            QDict *ram = qdict_get_qdict(rsp, "ram");

            g_test_message("migration completed: total %" PRId64 " ms, "
                           "downtime %" PRId64 " ms, %" PRId64 " bytes",
                           qdict_get_try_int(rsp, "total-time", -1),
                           qdict_get_try_int(rsp, "downtime", -1),
                           ram ? qdict_get_try_int(ram, "transferred", -1)
                               : -1);
            qobject_unref(rsp);
            break;
        }
        if (status && (g_str_equal(status, "failed") ||
                       g_str_equal(status, "cancelled"))) {
            g_error("migration %s: %s", status,
                    qdict_get_try_str(rsp, "error-desc") ?: "(no reason)");
        }
        qobject_unref(rsp);
        if (!hvguest_running(dst)) {
            g_error("the destination QEMU exited during the migration "
                    "(its stderr is above)");
        }
        g_assert_cmpint(g_get_monotonic_time(), <, deadline);
        g_usleep(100 * 1000);
    }

    for (;;) {
        const char *status;
        bool running, settled;

        if (!hvguest_running(dst)) {
            g_error("the destination QEMU exited after the migration "
                    "(its stderr is above)");
        }
        rsp = qtest_qmp_assert_success_ref(to, "{'execute': 'query-status'}");
        status = qdict_get_str(rsp, "status");
        running = g_str_equal(status, "running");
        settled = !g_str_equal(status, "inmigrate") &&
                  !g_str_equal(status, "prelaunch");
        /* A stopped source's state comes across (paused, io-error...) */
        if (running || (!src_running && settled)) {
            qobject_unref(rsp);
            break;
        }
        if (settled && !g_str_equal(status, "paused")) {
            g_error("destination in state '%s' after the migration", status);
        }
        qobject_unref(rsp);
        g_assert_cmpint(g_get_monotonic_time(), <, deadline);
        g_usleep(100 * 1000);
    }
}

char *hvguest_file_sha256(const char *path, unsigned mb)
{
    g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
    g_autofree uint8_t *buf = g_malloc(MiB);
    int fd = open(path, O_RDONLY);
    unsigned i;

    g_assert(fd >= 0);
    for (i = 0; i < mb; i++) {
        g_assert_cmpint(read(fd, buf, MiB), ==, MiB);
        g_checksum_update(sum, buf, MiB);
    }
    close(fd);
    return g_strdup(g_checksum_get_string(sum));
}

uint64_t hvguest_qom_get_u64(QTestState *qts, const char *path,
                             const char *prop)
{
    QDict *rsp = qtest_qmp(qts, "{'execute': 'qom-get', 'arguments': "
                           "{'path': %s, 'property': %s}}", path, prop);
    QNum *n = qobject_to(QNum, qdict_get(rsp, "return"));
    uint64_t val;

    if (!n || !qnum_get_try_uint(n, &val)) {
        g_autoptr(GString) s = qobject_to_json(QOBJECT(rsp));

        g_error("qom-get %s %s: %s", path, prop, s->str);
    }
    qobject_unref(rsp);
    return val;
}
