/*
 * Partition semantics (issue 5) with the freestanding test guest
 * tests/hvtest/partition.c (image build/hvtest/hvtest-partition.elf), this
 * test playing the parent over QMP.
 *
 * The guest and the test go in lock-step through a mailbox page at GPA
 * HVPT_MAILBOX_GPA (tests/hvtest/partition-mailbox.h): the guest announces
 * "ready for step N", the test writes the step's operation (a memory access
 * by a known probe instruction, an overlay MSR, a VMBus message, ...) with
 * qtest writeq, sets page states and rights over QMP, says go; the guest
 * performs it. A forbidden access suspends the VP: the test receives
 * HVPART_INTERCEPT and checks every field (vp, sequence, gpa, gva, access,
 * implicit, state, rip, instruction bytes and length, against what the
 * guest printed about its probes and what hvpart-read-gpa reads at RIP),
 * then resumes the VP with retry (after restoring the rights) or skip
 * (with register results, or after emulating the access with
 * hvpart-write-gpa). The guest reports the registers the probe ended with
 * and where execution continued, so a wrong resume shows.
 *
 * Under -accel hvpart, each case boots the guest afresh (in a subprocess
 * of this test, so that a failed case does not stop the others), so its
 * intercepts are numbered from 1; every event's sequence number is checked
 * against the count of events so far, and each case checks the total at
 * its end:
 *   rights     rwx, rx, rw, r, none against read, write, fetch
 *   forms      more instruction forms (1-byte read, 32-bit, immediate and
 *              locked read-modify-write stores) and their lengths
 *   states     unmapped and inaccessible pages (and that set-access keeps
 *              their state), contents kept across unmap/map
 *   crossing   writes split over a writable and a read-only page write
 *              nothing and intercept at the page that refuses
 *   implicit   accessed/dirty bit updates and page table reads
 *              (implicit=true at the page table entry's GPA); translate
 *   fresh-walk refused accesses through a mapping whose page tables the
 *              VP has not used since the last TLB flush
 *   overlay    overlays obscure inaccessible and non-executable pages,
 *              rights apply again once the overlay moves; two overlays on
 *              one GPA; translate, read and write through overlays
 *   resume     retry that faults again, skip with RAX, skip to a given
 *              RIP, resume of a VP that is not suspended
 *   revoke     rights revoked while the guest loops on a page
 *   pool       the guest's GpadlHeader fails with
 *              HV_STATUS_INSUFFICIENT_MEMORY on an empty pool, and
 *              succeeds after a deposit
 *   pool-isolation  no page of guest RAM (overlays in place, a GPADL
 *              holding pool pages) is a pool page, before and after a
 *              withdrawal;
 *              a planted pool-page header is found (the scan can fail)
 *   smp        VP 1 suspended while VP 0 keeps running
 * and /hvpart/intercept/tcg-negative runs every scenario that needs no
 * Hyper-V interface under plain -accel tcg: no intercept at all, every
 * access succeeds with its natural result (so this test can fail).
 *
 * Environment: QTEST_QEMU_BINARY; HVPART_HVTEST_PARTITION_ELF (the image;
 * see image_path() for where it is looked for otherwise);
 * HVPART_KEEP_CONSOLE=1; HVPART_GUEST_QEMU_ARGS.
 *
 * Copyright (c) 2025 qemu-hvpart contributors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "libqtest.h"
#include "qobject/qdict.h"
#include "qobject/qlist.h"
#include "qobject/qnum.h"
#include "hvpart-guest-util.h"
#include "tests/hvtest/partition-mailbox.h"

#define PAGE                4096ull
#define WAIT_S              60          /* one step of the guest */
#define MB(field)           (HVPT_MAILBOX_GPA + offsetof(HvptMailbox, field))
#define EXEC_OFF            0x800       /* where test pages hold a ret */
#define RET_OPCODE          0xc3
#define HV_STATUS_INVALID_HYPERCALL_CODE    2
#define HV_STATUS_INSUFFICIENT_MEMORY       11
#define PTE_A               0x20ull
#define PTE_D               0x40ull

/* Test pages: page n of the guest's test area. */
#define TPAGE(n)            (HVPT_TEST_AREA_GPA + (uint64_t)(n) * PAGE)

typedef struct PartProbe {
    uint64_t insn, next, len;
    char *bytes;
} PartProbe;

typedef struct Part {
    HvGuest *g;
    QTestState *qts;
    bool hv;                    /* -accel hvpart; false: plain tcg */
    uint64_t step;              /* the step in progress, or the last one */
    uint64_t seq;               /* intercepts received */
    PartProbe probes[HVPT_OP_PROBE_COUNT];
    uint64_t probe_alt;
} Part;

/* What an intercept must say. */
typedef struct Want {
    uint32_t vp;
    uint64_t gpa, gva, rip;
    const char *access;
    bool implicit;
    const char *state;
    const char *bytes;          /* hex the instruction bytes start with */
    uint64_t len;
} Want;

/*
 * g_test_message(), also from the subprocess a scenario runs in (which
 * glib runs quiet): there as a TAP comment on the inherited stdout.
 */
static void G_GNUC_PRINTF(1, 2) note(const char *fmt, ...)
{
    g_autofree char *msg = NULL;
    va_list ap;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    if (g_test_subprocess()) {
        printf("# %s\n", msg);
        fflush(stdout);
    } else {
        g_test_message("%s", msg);
    }
}

/* The contents the test gives its pages: each qword names its address. */
static uint64_t pattern(uint64_t gpa)
{
    return 0xa5c3000000000000ull ^ (gpa & ~7ull);
}

static uint8_t pattern_byte(uint64_t gpa)
{
    return pattern(gpa) >> ((gpa & 7) * 8);
}

static uint64_t get_u64(QDict *d, const char *key)
{
    return qnum_get_uint(qobject_to(QNum, qdict_get(d, key)));
}

/*
 * The image: $HVPART_HVTEST_PARTITION_ELF, else next to $HVPART_HVTEST_ELF,
 * else in the hvtest folder beside $HVPART_GUEST_DIR (tests/run-tests.sh
 * sets it to BUILD/guest), else build/hvtest/ of the repository.
 */
static char *image_path(void)
{
    const char *env = g_getenv("HVPART_HVTEST_PARTITION_ELF");
    const char *elf = g_getenv("HVPART_HVTEST_ELF");
    const char *guest = g_getenv("HVPART_GUEST_DIR");
    char *path;

    if (env && *env) {
        return g_strdup(env);
    }
    if (elf && *elf) {
        g_autofree char *dir = g_path_get_dirname(elf);

        path = g_build_filename(dir, "hvtest-partition.elf", NULL);
        if (g_file_test(path, G_FILE_TEST_EXISTS)) {
            return path;
        }
        g_free(path);
    }
    if (guest && *guest) {
        path = g_build_filename(guest, "..", "hvtest", "hvtest-partition.elf",
                                NULL);
        if (g_file_test(path, G_FILE_TEST_EXISTS)) {
            return path;
        }
        g_free(path);
    }
    return hvguest_repo_path("build/hvtest/hvtest-partition.elf");
}

static uint64_t parse_hex_field(const char *line, const char *key)
{
    g_autofree char *v = hvguest_line_field(line, key);

    g_assert_nonnull(v);
    return g_ascii_strtoull(v, NULL, 0);
}

/* Boot the guest under @accel with @smp VPs, up to "ready for step 1". */
static Part *part_start(const char *accel, int smp)
{
    static const char *const devices[] = { "isa-debug-exit", NULL };
    g_autofree char *image = image_path();
    g_autofree char *args = NULL;
    g_autoptr(GPtrArray) lines = NULL;
    const HvGuestLine *start;
    Part *p;
    guint i;

    if (!g_file_test(image, G_FILE_TEST_EXISTS)) {
        g_autofree char *msg = g_strdup_printf(
            "%s is missing: build it with tests/hvtest/build.sh, or point "
            "HVPART_HVTEST_PARTITION_ELF at it", image);

        g_test_skip(msg);
        return NULL;
    }
    if (!qtest_has_accel(accel) || !qtest_has_device(devices[0])) {
        g_test_skip("QEMU lacks the accelerator or isa-debug-exit");
        return NULL;
    }
    args = g_strdup_printf("-machine pc -m 256 -smp %d "
                           "-device isa-debug-exit,iobase=0xf4,iosize=0x04",
                           smp);
    p = g_new0(Part, 1);
    p->hv = g_str_equal(accel, "hvpart");
    p->g = hvguest_start_kernel(accel, image, args);
    p->qts = hvguest_qts(p->g);
    hvguest_expect_line(p->g, "HVPART: ready step=1", WAIT_S);
    start = hvguest_expect_line(p->g, "HVPART: START", 1);
    g_assert_cmpuint(parse_hex_field(start->text, "hyperv"), ==, p->hv);
    g_assert_cmphex(parse_hex_field(start->text, "mailbox"), ==,
                    HVPT_MAILBOX_GPA);
    g_assert_cmphex(qtest_readq(p->qts, MB(magic)), ==, HVPT_MAILBOX_MAGIC);

    lines = hvguest_lines_matching(p->g, "HVPART: probe op=");
    for (i = 0; i < lines->len; i++) {
        const char *text = ((HvGuestLine *)g_ptr_array_index(lines, i))->text;
        uint64_t op = parse_hex_field(text, "op");
        PartProbe *pr;

        g_assert_cmpuint(op, >=, HVPT_OP_READ64);
        g_assert_cmpuint(op, <, HVPT_OP_PROBE_COUNT);
        pr = &p->probes[op];
        pr->insn = parse_hex_field(text, "insn");
        pr->next = parse_hex_field(text, "next");
        pr->len = parse_hex_field(text, "len");
        pr->bytes = hvguest_line_field(text, "bytes");
        g_assert_cmpuint(pr->next - pr->insn, ==, pr->len);
        g_assert_cmpuint(strlen(pr->bytes), ==, 2 * pr->len);
    }
    for (i = HVPT_OP_READ64; i < HVPT_OP_PROBE_COUNT; i++) {
        g_assert_nonnull(p->probes[i].bytes);
    }
    p->probe_alt = parse_hex_field(
        hvguest_expect_line(p->g, "HVPART: probe-alt", 1)->text, "rip");

    if (!p->hv) {
        /* The parent's commands need -accel hvpart. */
        QDict *resp = qtest_qmp(p->qts, "{'execute': 'hvpart-gpa-set-access',"
                                " 'arguments': {'gpa': 0, 'size': 4096,"
                                " 'access': 'r'}}");

        g_assert_nonnull(strstr(qdict_get_str(qdict_get_qdict(resp, "error"),
                                              "desc"), "-accel hvpart"));
        qobject_unref(resp);
    }
    return p;
}

static void part_quit(Part *p)
{
    int i;

    for (i = 0; i < HVPT_OP_PROBE_COUNT; i++) {
        g_free(p->probes[i].bytes);
    }
    hvguest_quit(p->g);
    g_free(p);
}

static G_NORETURN void part_fail(Part *p, const char *what)
{
    hvguest_dump_console(p->g, 40);
    g_error("step %" PRIu64 ": %s (console: %s)", p->step, what,
            hvguest_console_path(p->g));
}

/* Wait until the mailbox word at @addr is @value. */
static void wait_mbox(Part *p, uint64_t addr, uint64_t value, const char *what)
{
    gint64 deadline = g_get_monotonic_time() + WAIT_S * G_USEC_PER_SEC;

    while (qtest_readq(p->qts, addr) != value) {
        if (!hvguest_running(p->g)) {
            part_fail(p, "QEMU exited");
        }
        if (g_get_monotonic_time() > deadline) {
            part_fail(p, what);
        }
        g_usleep(100);
    }
}

/* Hand the guest step (p->step + 1); it starts at step_go(). */
static void step_begin(Part *p, uint64_t op, uint64_t a0, uint64_t a1,
                       uint64_t a2, uint64_t a3)
{
    p->step++;
    wait_mbox(p, MB(ready), p->step, "the guest is not ready");
    qtest_writeq(p->qts, MB(op), op);
    qtest_writeq(p->qts, MB(arg[0]), a0);
    qtest_writeq(p->qts, MB(arg[1]), a1);
    qtest_writeq(p->qts, MB(arg[2]), a2);
    qtest_writeq(p->qts, MB(arg[3]), a3);
}

static void step_go(Part *p)
{
    qtest_writeq(p->qts, MB(go), p->step);
}

/* No intercept is pending (after all events QEMU sent so far). */
static void expect_no_intercept(Part *p)
{
    QDict *ev;

    qobject_unref(qtest_qmp(p->qts, "{'execute': 'query-status'}"));
    ev = qtest_qmp_event_ref(p->qts, "HVPART_INTERCEPT");
    if (ev) {
        QDict *d = qdict_get_qdict(ev, "data");
        g_autofree char *msg = g_strdup_printf(
            "unexpected intercept: vp %" PRId64 " seq %" PRId64 " gpa 0x%"
            PRIx64 " %s rip 0x%" PRIx64, qdict_get_int(d, "vp"),
            qdict_get_int(d, "sequence"), get_u64(d, "gpa"),
            qdict_get_str(d, "access"), get_u64(d, "rip"));

        part_fail(p, msg);
    }
}

/* The step ends: its results; no exception, no intercept. */
static void step_end(Part *p, uint64_t *res)
{
    uint64_t fault;
    int i;

    wait_mbox(p, MB(done), p->step, "the step did not finish");
    fault = qtest_readq(p->qts, MB(fault));
    if (fault) {
        g_autofree char *msg = g_strdup_printf(
            "exception %" PRIu64 " at rip 0x%" PRIx64,
            fault - HVPT_FAULT_BASE, qtest_readq(p->qts, MB(fault_rip)));

        part_fail(p, msg);
    }
    for (i = 0; res && i < 4; i++) {
        res[i] = qtest_readq(p->qts, MB(res[i]));
    }
    expect_no_intercept(p);
}

static void step(Part *p, uint64_t op, uint64_t a0, uint64_t a1, uint64_t a2,
                 uint64_t a3, uint64_t *res)
{
    step_begin(p, op, a0, a1, a2, a3);
    step_go(p);
    step_end(p, res);
}

/* Parent commands */

static void gpa_cmd(Part *p, const char *cmd, uint64_t gpa, uint64_t size,
                    const char *key, const char *value)
{
    QDict *args;

    if (!p->hv) {
        return;
    }
    args = qdict_new();
    qdict_put_int(args, "gpa", gpa);
    qdict_put_int(args, "size", size);
    if (key) {
        qdict_put_str(args, key, value);
    }
    qtest_qmp_assert_success(p->qts, "{'execute': %s, 'arguments': %p}",
                             cmd, args);
}

static void set_access(Part *p, uint64_t gpa, uint64_t size,
                       const char *access)
{
    gpa_cmd(p, "hvpart-gpa-set-access", gpa, size, "access", access);
}

static void gpa_map(Part *p, uint64_t gpa, uint64_t size, const char *access)
{
    gpa_cmd(p, "hvpart-gpa-map", gpa, size, "access", access);
}

static void gpa_unmap(Part *p, uint64_t gpa, uint64_t size, const char *state)
{
    gpa_cmd(p, "hvpart-gpa-unmap", gpa, size, "state", state);
}

/* "state" or "state/access" of the page at @gpa. */
static char *gpa_query(Part *p, uint64_t gpa)
{
    QDict *resp = qtest_qmp(p->qts, "{'execute': 'hvpart-gpa-query',"
                            " 'arguments': {'gpa': %" PRIu64 ","
                            " 'size': 4096}}", gpa);
    QList *runs = qdict_get_qlist(resp, "return");
    QDict *run;
    char *ret;

    g_assert_nonnull(runs);
    g_assert_cmpuint(qlist_size(runs), ==, 1);
    run = qobject_to(QDict, qlist_peek(runs));
    g_assert_cmphex(get_u64(run, "gpa"), ==, gpa);
    ret = qdict_haskey(run, "access") ?
          g_strdup_printf("%s/%s", qdict_get_str(run, "state"),
                          qdict_get_str(run, "access")) :
          g_strdup(qdict_get_str(run, "state"));
    qobject_unref(resp);
    return ret;
}

static void expect_gpa_state(Part *p, uint64_t gpa, const char *want)
{
    g_autofree char *got = NULL;

    if (!p->hv) {
        return;
    }
    got = gpa_query(p, gpa);
    g_assert_cmpstr(got, ==, want);
}

/* hvpart-read-gpa: @size bytes as hex */
static char *read_gpa(Part *p, uint32_t vp, uint64_t gpa, uint32_t size)
{
    QDict *resp = qtest_qmp(p->qts, "{'execute': 'hvpart-read-gpa',"
                            " 'arguments': {'vp': %u, 'gpa': %" PRIu64 ","
                            " 'size': %u}}", vp, gpa, size);
    QDict *ret = qdict_get_qdict(resp, "return");
    char *hex;

    g_assert_nonnull(ret);
    hex = g_strdup(qdict_get_str(ret, "data"));
    qobject_unref(resp);
    return hex;
}

static char *hex_of(const void *buf, size_t len)
{
    const uint8_t *b = buf;
    GString *s = g_string_new("");
    size_t i;

    for (i = 0; i < len; i++) {
        g_string_append_printf(s, "%02x", b[i]);
    }
    return g_string_free(s, false);
}

static char *hex_le64(uint64_t v)
{
    uint64_t le = cpu_to_le64(v);

    return hex_of(&le, 8);
}

static uint64_t read_gpa_u64(Part *p, uint32_t vp, uint64_t gpa)
{
    g_autofree char *hex = read_gpa(p, vp, gpa, 8);
    uint64_t v = 0;
    int i;

    for (i = 7; i >= 0; i--) {
        v = v << 8 | (g_ascii_xdigit_value(hex[2 * i]) << 4 |
                      g_ascii_xdigit_value(hex[2 * i + 1]));
    }
    return v;
}

static void write_gpa(Part *p, uint32_t vp, uint64_t gpa, const char *hex)
{
    qtest_qmp_assert_success(p->qts, "{'execute': 'hvpart-write-gpa',"
                             " 'arguments': {'vp': %u, 'gpa': %" PRIu64 ","
                             " 'data': %s}}", vp, gpa, hex);
}

/* hvpart-translate-gva: true with *gpa and *overlay, or false (error). */
static bool translate(Part *p, uint32_t vp, uint64_t gva, uint64_t *gpa,
                      bool *overlay, char **error)
{
    QDict *resp = qtest_qmp(p->qts, "{'execute': 'hvpart-translate-gva',"
                            " 'arguments': {'vp': %u, 'gva': %" PRIu64 "}}",
                            vp, gva);
    QDict *ret = qdict_get_qdict(resp, "return");

    if (ret) {
        *gpa = get_u64(ret, "gpa");
        *overlay = qdict_get_bool(ret, "overlay");
    } else if (error) {
        *error = g_strdup(qdict_get_str(qdict_get_qdict(resp, "error"),
                                        "desc"));
    }
    qobject_unref(resp);
    return ret != NULL;
}

static void expect_translation(Part *p, uint64_t gva, uint64_t gpa,
                               bool overlay)
{
    uint64_t got;
    bool ov;

    if (!p->hv) {
        return;
    }
    g_assert_true(translate(p, 0, gva, &got, &ov, NULL));
    note("translate 0x%" PRIx64 " -> 0x%" PRIx64 " overlay=%d",
                   gva, got, ov);
    g_assert_cmphex(got, ==, gpa);
    g_assert_cmpint(ov, ==, overlay);
}

static void expect_error(QDict *resp, const char *what)
{
    QDict *err = qdict_get_qdict(resp, "error");

    g_assert_nonnull(err);
    note("error (as wanted): %s", qdict_get_str(err, "desc"));
    g_assert_nonnull(strstr(qdict_get_str(err, "desc"), what));
    qobject_unref(resp);
}

static void resume(Part *p, uint32_t vp, const char *action, QDict *regs)
{
    QDict *args = qdict_new();

    qdict_put_int(args, "vp", vp);
    qdict_put_str(args, "action", action);
    if (regs) {
        qdict_put(args, "registers", regs);
    }
    qtest_qmp_assert_success(p->qts, "{'execute': 'hvpart-vp-resume',"
                             " 'arguments': %p}", args);
}

static void resume_retry(Part *p, uint32_t vp)
{
    resume(p, vp, "retry", NULL);
}

/* skip; with @has_rax, RAX = @rax; with @rip, RIP = @rip */
static void resume_skip(Part *p, uint32_t vp, bool has_rax, uint64_t rax,
                        uint64_t rip)
{
    QDict *regs = NULL;

    if (has_rax || rip) {
        regs = qdict_new();
        if (has_rax) {
            qdict_put(regs, "rax", qnum_from_uint(rax));
        }
        if (rip) {
            qdict_put(regs, "rip", qnum_from_uint(rip));
        }
    }
    resume(p, vp, "skip", regs);
}

/* Intercepts */

static Want want_probe(Part *p, uint64_t op, uint64_t gva, uint64_t gpa,
                       const char *access, const char *state)
{
    Want w = {
        .vp = 0, .gpa = gpa, .gva = gva, .access = access,
        .implicit = false, .state = state,
    };

    if (op == HVPT_OP_EXEC) {
        w.rip = gva;
        w.bytes = "c3";
        w.len = 1;
    } else {
        w.rip = p->probes[op].insn;
        w.bytes = p->probes[op].bytes;
        w.len = p->probes[op].len;
    }
    return w;
}

/*
 * The next intercept, within WAIT_S; NULL if none came, with *@finished
 * if the guest finished the step without one.
 */
static QDict *wait_intercept(Part *p, bool *finished)
{
    gint64 deadline = g_get_monotonic_time() + WAIT_S * G_USEC_PER_SEC;
    QDict *ev;

    *finished = false;
    for (;;) {
        /* An intercept of the step comes before the step's end. */
        bool done = qtest_readq(p->qts, MB(done)) == p->step;

        ev = qtest_qmp_event_ref(p->qts, "HVPART_INTERCEPT");
        if (ev) {
            return ev;
        }
        qobject_unref(qtest_qmp(p->qts, "{'execute': 'query-status'}"));
        ev = qtest_qmp_event_ref(p->qts, "HVPART_INTERCEPT");
        if (ev) {
            return ev;
        }
        if (done) {
            *finished = true;
            return NULL;
        }
        if (!hvguest_running(p->g) || g_get_monotonic_time() > deadline) {
            return NULL;
        }
        g_usleep(500);
    }
}

/*
 * The intercept the current step must raise: every field as @w says, the
 * sequence number the next one, the VP suspended before the step ended.
 */
static void expect_intercept(Part *p, const Want *w)
{
    bool finished;
    QDict *ev = wait_intercept(p, &finished);
    QDict *d;
    const char *bytes;
    g_autofree char *at_rip = NULL;

    if (!ev) {
        g_autofree char *msg = NULL;

        if (finished) {
            msg = g_strdup_printf(
                "no intercept (%s%s at GPA 0x%" PRIx64 "): the guest "
                "finished the step, r0=0x%" PRIx64 " r1=0x%" PRIx64
                "; the qword at GPA 0x%" PRIx64 " is now 0x%" PRIx64,
                w->implicit ? "implicit " : "", w->access, w->gpa,
                qtest_readq(p->qts, MB(res[0])),
                qtest_readq(p->qts, MB(res[1])), (uint64_t)(w->gpa & ~7ull),
                qtest_readq(p->qts, w->gpa & ~7ull));
        } else {
            msg = g_strdup_printf("no intercept (%s at GPA 0x%" PRIx64
                                  ") within %d s", w->access, w->gpa,
                                  WAIT_S);
        }
        part_fail(p, msg);
    }
    d = qdict_get_qdict(ev, "data");
    bytes = qdict_get_str(d, "instruction-bytes");
    note("step %" PRIu64 ": HVPART_INTERCEPT vp=%" PRId64
                   " sequence=%" PRId64 " gpa=0x%" PRIx64 " gva=0x%" PRIx64
                   " %s implicit=%d state=%s rip=0x%" PRIx64 " bytes=%s "
                   "length=%" PRId64, p->step, qdict_get_int(d, "vp"),
                   qdict_get_int(d, "sequence"), get_u64(d, "gpa"),
                   qdict_haskey(d, "gva") ? get_u64(d, "gva") : 0,
                   qdict_get_str(d, "access"), qdict_get_bool(d, "implicit"),
                   qdict_get_str(d, "state"), get_u64(d, "rip"), bytes,
                   qdict_get_int(d, "instruction-length"));
    g_assert_cmpuint(qdict_get_int(d, "vp"), ==, w->vp);
    g_assert_cmpuint(get_u64(d, "sequence"), ==, ++p->seq);
    g_assert_cmphex(get_u64(d, "gpa"), ==, w->gpa);
    g_assert_true(qdict_haskey(d, "gva"));
    g_assert_cmphex(get_u64(d, "gva"), ==, w->gva);
    g_assert_cmpstr(qdict_get_str(d, "access"), ==, w->access);
    g_assert_cmpint(qdict_get_bool(d, "implicit"), ==, w->implicit);
    g_assert_cmpstr(qdict_get_str(d, "state"), ==, w->state);
    g_assert_cmphex(get_u64(d, "rip"), ==, w->rip);
    g_assert_cmpuint(qdict_get_int(d, "instruction-length"), ==, w->len);
    g_assert_true(g_str_has_prefix(bytes, w->bytes));
    /* All of them: what the VP's memory holds at RIP (identity-mapped). */
    g_assert_cmpuint(strlen(bytes) % 2, ==, 0);
    g_assert_cmpuint(strlen(bytes), >=, 2 * w->len);
    at_rip = read_gpa(p, w->vp, w->rip, strlen(bytes) / 2);
    g_assert_cmpstr(bytes, ==, at_rip);
    /* Suspended on the instruction: the step has not finished. */
    g_assert_cmpuint(qtest_readq(p->qts, MB(done)), ==, p->step - 1);
    qobject_unref(ev);
}

/* Test pages */

static void fill_page(Part *p, uint64_t gpa)
{
    uint64_t buf[PAGE / 8];
    int i;

    for (i = 0; i < PAGE / 8; i++) {
        buf[i] = cpu_to_le64(pattern(gpa + 8 * i));
    }
    ((uint8_t *)buf)[EXEC_OFF] = RET_OPCODE;
    qtest_memwrite(p->qts, gpa, buf, sizeof(buf));
}

static uint64_t mem_u64(Part *p, uint64_t gpa)
{
    return qtest_readq(p->qts, gpa);
}

/*
 * Access scenarios shared by both accelerators: a probe on @gva (= @gpa,
 * identity-mapped) that under hvpart is @allowed or not by the page's
 * @state and rights.
 */

/* read64: returns RAX; a forbidden read is skipped with RAX = a marker */
static uint64_t access_read(Part *p, uint64_t gva, bool allowed,
                            const char *state)
{
    uint64_t res[4], want;

    step_begin(p, HVPT_OP_READ64, gva, 0x77, 0, 0);
    step_go(p);
    if (p->hv && !allowed) {
        Want w = want_probe(p, HVPT_OP_READ64, gva, gva, "read", state);

        expect_intercept(p, &w);
        want = 0x1234000 + p->seq;
        resume_skip(p, 0, true, want, 0);
    } else {
        want = pattern(gva);
    }
    step_end(p, res);
    g_assert_cmphex(res[0], ==, want);
    g_assert_cmphex(res[1], ==, p->probes[HVPT_OP_READ64].next);
    return res[0];
}

/*
 * write64 of @value; a forbidden write is emulated by the parent
 * (hvpart-write-gpa, then skip) with @emulate, else skipped (lost).
 */
static void access_write(Part *p, uint64_t gva, uint64_t value, bool allowed,
                         const char *state, bool emulate)
{
    uint64_t res[4], before = mem_u64(p, gva);
    bool lands = !p->hv || allowed || emulate;

    step_begin(p, HVPT_OP_WRITE64, gva, value, 0, 0);
    step_go(p);
    if (p->hv && !allowed) {
        Want w = want_probe(p, HVPT_OP_WRITE64, gva, gva, "write", state);

        expect_intercept(p, &w);
        /* Nothing was written. */
        g_assert_cmphex(read_gpa_u64(p, 0, gva), ==, before);
        if (emulate) {
            g_autofree char *hex = hex_le64(value);

            write_gpa(p, 0, gva, hex);
        }
        resume_skip(p, 0, false, 0, 0);
    }
    step_end(p, res);
    g_assert_cmphex(res[1], ==, p->probes[HVPT_OP_WRITE64].next);
    g_assert_cmphex(res[0], ==, value);     /* RAX held the value */
    g_assert_cmphex(mem_u64(p, gva), ==, lands ? value : before);
}

/*
 * exec: call the ret at @gva; a forbidden fetch is retried after giving
 * the page @restore (then @access again).
 */
static void access_exec(Part *p, uint64_t gva, bool allowed,
                        const char *state, const char *access)
{
    uint64_t res[4];
    uint64_t page = gva & ~(PAGE - 1);

    step_begin(p, HVPT_OP_EXEC, gva, 0, 0, 0);
    step_go(p);
    if (p->hv && !allowed) {
        Want w = want_probe(p, HVPT_OP_EXEC, gva, gva, "execute", state);

        expect_intercept(p, &w);
        if (g_str_equal(state, "mapped")) {
            set_access(p, page, PAGE, "rwx");
        } else {
            gpa_map(p, page, PAGE, "rwx");
        }
        resume_retry(p, 0);
    }
    step_end(p, res);
    g_assert_cmphex(res[1], ==, p->probes[HVPT_OP_EXEC].next);
    if (p->hv && !allowed) {
        if (g_str_equal(state, "mapped")) {
            set_access(p, page, PAGE, access);
        } else {
            gpa_unmap(p, page, PAGE, state);
        }
    }
}

/* Scenarios */

/* Every rights combination against read, write and fetch: 7 intercepts. */
static void scenario_rights(Part *p)
{
    static const struct {
        const char *access;
        bool r, w, x;
    } rights[] = {
        { "rwx", true, true, true },
        { "rx", true, false, true },
        { "rw", true, true, false },
        { "r", true, false, false },
        { "none", false, false, false },
    };
    uint64_t first = p->seq;
    int i;

    for (i = 0; i < ARRAY_SIZE(rights); i++) {
        uint64_t page = TPAGE(i);
        g_autofree char *st = g_strdup_printf("mapped/%s", rights[i].access);

        note("rights %s", rights[i].access);
        fill_page(p, page);
        set_access(p, page, PAGE, rights[i].access);
        expect_gpa_state(p, page, st);
        access_read(p, page + 0x100, rights[i].r, "mapped");
        access_write(p, page + 0x200, 0x1111000000000000ull | i, rights[i].w,
                     "mapped", true);
        access_exec(p, page + EXEC_OFF, rights[i].x, "mapped",
                    rights[i].access);
        /* The rights are what they were. */
        expect_gpa_state(p, page, st);
    }
    if (p->hv) {
        g_assert_cmpuint(p->seq - first, ==, 7);
    }
}

/*
 * Other instruction forms on a read-only page: a 1-byte read is allowed;
 * a 32-bit store, a store of an immediate and a locked read-modify-write
 * each raise one write intercept, with their own length, and the parent
 * emulates them.
 */
static void scenario_forms(Part *p)
{
    uint64_t page = TPAGE(8), res[4], old, first = p->seq;
    uint64_t gva;

    fill_page(p, page);
    set_access(p, page, PAGE, "r");

    step(p, HVPT_OP_READ8, page + 0x123, 0, 0, 0, res);
    g_assert_cmphex(res[0], ==, pattern_byte(page + 0x123));
    g_assert_cmphex(res[1], ==, p->probes[HVPT_OP_READ8].next);

    /* write32: the parent writes the low dword and skips. */
    gva = page + 0x300;
    old = mem_u64(p, gva);
    step_begin(p, HVPT_OP_WRITE32, gva, 0xdeadbeef, 0, 0);
    step_go(p);
    if (p->hv) {
        Want w = want_probe(p, HVPT_OP_WRITE32, gva, gva, "write", "mapped");

        expect_intercept(p, &w);
        g_assert_cmphex(read_gpa_u64(p, 0, gva), ==, old);
        write_gpa(p, 0, gva, "efbeadde");
        resume_skip(p, 0, false, 0, 0);
    }
    step_end(p, res);
    g_assert_cmphex(res[1], ==, p->probes[HVPT_OP_WRITE32].next);
    g_assert_cmphex(mem_u64(p, gva), ==, (old & ~0xffffffffull) | 0xdeadbeef);

    /* write_imm stores at a0 + 0x10: skipped, nothing lands. */
    gva = page + 0x400;
    old = mem_u64(p, gva + HVPT_WRITE_IMM_OFFSET);
    step_begin(p, HVPT_OP_WRITE_IMM, gva, 0, 0, 0);
    step_go(p);
    if (p->hv) {
        Want w = want_probe(p, HVPT_OP_WRITE_IMM, gva + HVPT_WRITE_IMM_OFFSET,
                            gva + HVPT_WRITE_IMM_OFFSET, "write", "mapped");

        expect_intercept(p, &w);
        resume_skip(p, 0, false, 0, 0);
    }
    step_end(p, res);
    g_assert_cmphex(res[1], ==, p->probes[HVPT_OP_WRITE_IMM].next);
    g_assert_cmphex(mem_u64(p, gva + HVPT_WRITE_IMM_OFFSET), ==,
                    p->hv ? old : (old & ~0xffffffffull) |
                    HVPT_WRITE_IMM_VALUE);

    /* rmw64 (lock xadd 5): the parent adds and returns the old value. */
    gva = page + 0x500;
    old = mem_u64(p, gva);
    step_begin(p, HVPT_OP_RMW64, gva, 5, 0, 0);
    step_go(p);
    if (p->hv) {
        Want w = want_probe(p, HVPT_OP_RMW64, gva, gva, "write", "mapped");
        g_autofree char *hex = hex_le64(old + 5);

        expect_intercept(p, &w);
        g_assert_cmphex(read_gpa_u64(p, 0, gva), ==, old);
        write_gpa(p, 0, gva, hex);
        resume_skip(p, 0, true, old, 0);
    }
    step_end(p, res);
    g_assert_cmphex(res[0], ==, old);
    g_assert_cmphex(res[1], ==, p->probes[HVPT_OP_RMW64].next);
    g_assert_cmphex(mem_u64(p, gva), ==, old + 5);
    if (p->hv) {
        g_assert_cmpuint(p->seq - first, ==, 3);
    }
}

/* Unmapped and inaccessible pages: 6 intercepts. */
static void scenario_states(Part *p)
{
    static const char *const states[] = { "unmapped", "inaccessible" };
    uint64_t first = p->seq;
    int i;

    for (i = 0; i < ARRAY_SIZE(states); i++) {
        uint64_t page = TPAGE(10 + i);
        uint64_t res[4];

        note("state %s", states[i]);
        fill_page(p, page);
        gpa_unmap(p, page, PAGE, states[i]);
        expect_gpa_state(p, page, states[i]);
        /* set-access leaves pages that are not mapped alone */
        set_access(p, page, PAGE, "rwx");
        expect_gpa_state(p, page, states[i]);
        access_read(p, page + 0x100, false, states[i]);
        /* the parent drops the write */
        access_write(p, page + 0x200, 0x2222, false, states[i], false);
        access_exec(p, page + EXEC_OFF, false, states[i], NULL);
        expect_gpa_state(p, page, states[i]);
        /* Mapped again, with the contents it had. */
        gpa_map(p, page, PAGE, "rwx");
        expect_gpa_state(p, page, "mapped/rwx");
        step(p, HVPT_OP_READ64, page + 0x200, 0, 0, 0, res);
        g_assert_cmphex(res[0], ==, p->hv ? pattern(page + 0x200) : 0x2222);
        step(p, HVPT_OP_READ64, page + 0x108, 0, 0, 0, res);
        g_assert_cmphex(res[0], ==, pattern(page + 0x108));
    }
    if (p->hv) {
        g_assert_cmpuint(p->seq - first, ==, 6);
    }
}

/* The 16 bytes around the boundary of @a and the next page, by the guest */
static void peek16(Part *p, uint64_t gva, uint8_t *out)
{
    int i;

    step(p, HVPT_OP_PEEK, gva, 16, 0, 0, NULL);
    for (i = 0; i < 16; i += 8) {
        uint64_t v = cpu_to_le64(qtest_readq(p->qts, MB(data) + i));

        memcpy(out + i, &v, 8);
    }
}

/*
 * A write of @size (4 or 8) bytes at @gva, crossing from page @a into the
 * next: under hvpart it must raise one write intercept at @icpt_gpa and
 * move no byte; with @restore_b the parent then makes the second page
 * writable and retries (everything lands), else it skips.
 */
static void crossing_write(Part *p, uint64_t a, uint64_t gva, int size,
                           uint64_t icpt_gpa, bool restore_b)
{
    uint64_t value = size == 4 ? 0x44332211ull : 0x8877665544332211ull;
    uint64_t op = size == 4 ? HVPT_OP_WRITE32 : HVPT_OP_WRITE64;
    uint64_t le = cpu_to_le64(value);
    uint8_t before[16], after[16], want[16];
    g_autofree char *hex_before = NULL;
    g_autofree char *hex_now = NULL;
    uint64_t res[4];
    bool lands = !p->hv || restore_b;

    qtest_memread(p->qts, a + PAGE - 8, before, 16);
    memcpy(want, before, 16);
    if (lands) {
        memcpy(want + (gva - (a + PAGE - 8)), &le, size);
    }
    step_begin(p, op, gva, value, 0, 0);
    step_go(p);
    if (p->hv) {
        Want w = want_probe(p, op, icpt_gpa, icpt_gpa, "write", "mapped");

        expect_intercept(p, &w);
        /* Validated before any byte moved: both pages as they were. */
        hex_before = hex_of(before, 16);
        hex_now = read_gpa(p, 0, a + PAGE - 8, 16);
        g_assert_cmpstr(hex_now, ==, hex_before);
        if (restore_b) {
            set_access(p, a + PAGE, PAGE, "rw");
            resume_retry(p, 0);
        } else {
            resume_skip(p, 0, false, 0, 0);
        }
    }
    step_end(p, res);
    g_assert_cmphex(res[1], ==, p->probes[op].next);
    /* And the guest sees the same. */
    peek16(p, a + PAGE - 8, after);
    g_assert_cmpmem(after, 16, want, 16);
}

static void scenario_crossing(Part *p)
{
    uint64_t a = TPAGE(16), b = a + PAGE, res[4], first = p->seq;

    fill_page(p, a);
    fill_page(p, b);
    /* writable, then read-only: refused at the second page */
    set_access(p, a, PAGE, "rw");
    set_access(p, b, PAGE, "r");
    crossing_write(p, a, a + PAGE - 2, 4, b, false);
    crossing_write(p, a, a + PAGE - 4, 8, b, false);
    /* read-only, then writable: refused at the first page */
    set_access(p, a, PAGE, "r");
    set_access(p, b, PAGE, "rw");
    crossing_write(p, a, a + PAGE - 2, 4, a + PAGE - 2, false);
    /* refused, then retried once the second page is writable */
    set_access(p, a, PAGE, "rw");
    set_access(p, b, PAGE, "r");
    crossing_write(p, a, a + PAGE - 3, 4, b, true);

    /* A read crossing into a page without access: skipped with RAX. */
    set_access(p, b, PAGE, "none");
    step_begin(p, HVPT_OP_READ64, a + PAGE - 4, 0, 0, 0);
    step_go(p);
    if (p->hv) {
        Want w = want_probe(p, HVPT_OP_READ64, b, b, "read", "mapped");

        expect_intercept(p, &w);
        resume_skip(p, 0, true, 0x4321, 0);
    }
    step_end(p, res);
    if (p->hv) {
        g_assert_cmphex(res[0], ==, 0x4321);
    } else {
        g_assert_cmphex(res[0], ==, mem_u64(p, a + PAGE - 4));
    }
    if (p->hv) {
        g_assert_cmpuint(p->seq - first, ==, 5);
    }
}

/*
 * Implicit accesses: the page walk's accessed/dirty bit updates and page
 * table reads, refused by the page table page's rights: 3 intercepts.
 */
static void scenario_implicit(Part *p)
{
    uint64_t d1 = TPAGE(20), d2 = TPAGE(21), res[4], first = p->seq;
    uint64_t g1 = HVPT_MAP4K_GVA_BASE + 0x5000, g2 = g1 + PAGE;
    uint64_t pte1, pte2, pt;
    g_autofree char *err = NULL;
    uint64_t gpa;
    bool ov;

    fill_page(p, d1);
    fill_page(p, d2);
    step(p, HVPT_OP_MAP4K, g1, d1, 0, 0, res);
    pte1 = res[0];
    pt = res[1];
    note("GVA 0x%" PRIx64 " -> GPA 0x%" PRIx64 ": PTE at 0x%"
                   PRIx64 ", page table at 0x%" PRIx64 ", directory at 0x%"
                   PRIx64, g1, d1, pte1, pt, res[2]);
    g_assert_cmphex(pte1 & ~(PAGE - 1), ==, pt);
    g_assert_cmphex(mem_u64(p, pte1) & (PTE_A | PTE_D), ==, 0);
    expect_translation(p, g1 + 0x123, d1 + 0x123, false);

    /* The accessed bit: an implicit write to the PTE. */
    set_access(p, pt, PAGE, "r");
    step_begin(p, HVPT_OP_READ64, g1 + 0x100, 0, 0, 0);
    step_go(p);
    if (p->hv) {
        Want w = want_probe(p, HVPT_OP_READ64, g1 + 0x100, pte1, "write",
                            "mapped");

        w.implicit = true;
        expect_intercept(p, &w);
        g_assert_cmphex(mem_u64(p, pte1) & PTE_A, ==, 0);
        set_access(p, pt, PAGE, "rwx");
        resume_retry(p, 0);
    }
    step_end(p, res);
    g_assert_cmphex(res[0], ==, pattern(d1 + 0x100));
    g_assert_cmphex(mem_u64(p, pte1) & (PTE_A | PTE_D), ==, PTE_A);

    /* The dirty bit, on the first write through the mapping. */
    set_access(p, pt, PAGE, "r");
    step_begin(p, HVPT_OP_WRITE64, g1 + 0x200, 0xd1d1, 0, 0);
    step_go(p);
    if (p->hv) {
        Want w = want_probe(p, HVPT_OP_WRITE64, g1 + 0x200, pte1, "write",
                            "mapped");

        w.implicit = true;
        expect_intercept(p, &w);
        g_assert_cmphex(mem_u64(p, pte1) & PTE_D, ==, 0);
        g_assert_cmphex(mem_u64(p, d1 + 0x200), ==, pattern(d1 + 0x200));
        set_access(p, pt, PAGE, "rwx");
        resume_retry(p, 0);
    }
    step_end(p, res);
    g_assert_cmphex(mem_u64(p, d1 + 0x200), ==, 0xd1d1);
    g_assert_cmphex(mem_u64(p, pte1) & (PTE_A | PTE_D), ==, PTE_A | PTE_D);

    /* Reading the PTE itself, from a page table page without access. */
    step(p, HVPT_OP_MAP4K, g2, d2, 0, 0, res);
    pte2 = res[0];
    g_assert_cmphex(res[1], ==, pt);
    set_access(p, pt, PAGE, "none");
    /* translate walks as a debugger would: not an access of the VP */
    expect_translation(p, g2, d2, false);
    step_begin(p, HVPT_OP_READ64, g2 + 0x10, 0, 0, 0);
    step_go(p);
    if (p->hv) {
        Want w = want_probe(p, HVPT_OP_READ64, g2 + 0x10, pte2, "read",
                            "mapped");

        w.implicit = true;
        expect_intercept(p, &w);
        set_access(p, pt, PAGE, "rwx");
        resume_retry(p, 0);
    }
    step_end(p, res);
    g_assert_cmphex(res[0], ==, pattern(d2 + 0x10));

    /* translate: a GVA without a PTE, and one without a PML4 entry */
    step(p, HVPT_OP_UNMAP4K, g2, 0, 0, 0, NULL);
    if (p->hv) {
        g_assert_false(translate(p, 0, g2, &gpa, &ov, &err));
        note("translate 0x%" PRIx64 ": %s", g2, err);
        g_assert_nonnull(strstr(err, "not mapped"));
        g_clear_pointer(&err, g_free);
        g_assert_false(translate(p, 0, 0x8000000000ull, &gpa, &ov, &err));
        g_assert_nonnull(strstr(err, "not mapped"));
        g_clear_pointer(&err, g_free);
        expect_error(qtest_qmp(p->qts, "{'execute': 'hvpart-translate-gva',"
                               " 'arguments': {'vp': 9, 'gva': 4096}}"),
                     "'vp'");
        /* the guest's own identity map: the mailbox and its code */
        expect_translation(p, HVPT_MAILBOX_GPA + 0x18,
                           HVPT_MAILBOX_GPA + 0x18, false);
        expect_translation(p, p->probes[HVPT_OP_READ64].insn,
                           p->probes[HVPT_OP_READ64].insn, false);
        g_assert_cmpuint(p->seq - first, ==, 3);
    }
}

/*
 * Explicit accesses through a fresh 4 KiB mapping, whose page tables the
 * VP has not used since the TLB flush that a rights change brings: the
 * page walk itself fills TLB entries for them while it translates the
 * refused access. 2 intercepts.
 */
static void scenario_walk(Part *p)
{
    uint64_t d = TPAGE(46), res[4], first = p->seq;
    uint64_t g = HVPT_MAP4K_GVA_BASE + 0x600000 + 0x3000;
    int i;

    fill_page(p, d);
    step(p, HVPT_OP_MAP4K, g, d, 0, 0, res);
    note("GVA 0x%" PRIx64 " -> GPA 0x%" PRIx64 ": page table at 0x%" PRIx64
         ", directory at 0x%" PRIx64, g, d, res[1], res[2]);
    for (i = 0; i < 2; i++) {
        const char *access = i ? "r" : "none";
        uint64_t op = i ? HVPT_OP_WRITE64 : HVPT_OP_READ64;
        uint64_t gva = g + 0x100 + 8 * i;

        set_access(p, d, PAGE, access);
        step_begin(p, op, gva, 0x6060, 0, 0);
        step_go(p);
        if (p->hv) {
            Want w = want_probe(p, op, gva, d + 0x100 + 8 * i,
                                i ? "write" : "read", "mapped");

            expect_intercept(p, &w);
            set_access(p, d, PAGE, "rwx");
            resume_retry(p, 0);
        }
        step_end(p, res);
        g_assert_cmphex(res[0], ==, i ? 0x6060 : pattern(d + 0x100));
        g_assert_cmphex(res[1], ==, p->probes[op].next);
    }
    g_assert_cmphex(mem_u64(p, d + 0x108), ==, 0x6060);
    if (p->hv) {
        g_assert_cmpuint(p->seq - first, ==, 2);
    }
}

/* The first 8 bytes of the hypercall page (tests/../hw/synic/hypercall.c) */
static uint64_t hypercall_code_head(Part *p, uint64_t gpa)
{
    return read_gpa_u64(p, 0, gpa);
}

/*
 * Overlays over restricted pages, translate and read/write through them:
 * 3 intercepts.
 */
static void scenario_overlay(Part *p)
{
    uint64_t pg = TPAGE(24), q = TPAGE(25), h = TPAGE(26), o = TPAGE(27);
    uint64_t res[4], code, first = p->seq;
    g_autofree char *hex = NULL;
    g_autofree char *ram_hex = NULL;
    uint8_t ram[16], seen[16];
    int i;

    for (i = 24; i < 28; i++) {
        fill_page(p, TPAGE(i));
    }

    /* An inaccessible page under the SIMP is accessible as the SIMP. */
    gpa_unmap(p, pg, PAGE, "inaccessible");
    step(p, HVPT_OP_SIMP, pg | 1, 0, 0, 0, res);
    g_assert_cmphex(res[0], ==, 0);
    expect_translation(p, pg + 0x100, pg + 0x100, true);
    step(p, HVPT_OP_READ64, pg + 0x100, 0, 0, 0, res);
    g_assert_cmphex(res[0], ==, 0);                 /* an empty slot */
    step(p, HVPT_OP_WRITE64, pg + 0xf08, 0xfeed0001, 0, 0, res);
    /* hvpart-read-gpa/-write-gpa go through the VP's overlay too */
    g_assert_cmphex(read_gpa_u64(p, 0, pg + 0xf08), ==, 0xfeed0001);
    hex = hex_le64(0xfeed0002);
    write_gpa(p, 0, pg + 0xf10, hex);
    step(p, HVPT_OP_READ64, pg + 0xf10, 0, 0, 0, res);
    g_assert_cmphex(res[0], ==, 0xfeed0002);

    /* Moved away: the page's state applies again, its contents kept. */
    step(p, HVPT_OP_SIMP, q | 1, 0, 0, 0, res);
    g_assert_cmphex(res[0], ==, 0);
    expect_translation(p, pg + 0x100, pg + 0x100, false);
    expect_translation(p, q, q, true);
    step_begin(p, HVPT_OP_READ64, pg + 0x100, 0, 0, 0);
    step_go(p);
    {
        Want w = want_probe(p, HVPT_OP_READ64, pg + 0x100, pg + 0x100,
                            "read", "inaccessible");

        expect_intercept(p, &w);
        gpa_map(p, pg, PAGE, "rwx");
        resume_retry(p, 0);
    }
    step_end(p, res);
    g_assert_cmphex(res[0], ==, pattern(pg + 0x100));
    /* The overlay's writes never reached the RAM below. */
    peek16(p, pg + 0xf08, seen);
    for (i = 0; i < 16; i++) {
        ram[i] = pattern_byte(pg + 0xf08 + i);
    }
    g_assert_cmpmem(seen, 16, ram, 16);
    step(p, HVPT_OP_SIMP, 0, 0, 0, 0, res);
    expect_translation(p, q, q, false);

    /* The hypercall page over a page without execute right runs. */
    set_access(p, h, PAGE, "rw");
    step(p, HVPT_OP_HYPERCALL_MSR, h | 1, 0, 0, 0, res);
    g_assert_cmphex(res[0], ==, 0);
    expect_translation(p, h + 0x10, h + 0x10, true);
    step(p, HVPT_OP_HYPERCALL, h, 0xffff, 0, 0, res);
    g_assert_cmphex(res[0] & 0xffff, ==, HV_STATUS_INVALID_HYPERCALL_CODE);
    /* read-gpa at its GPA: the hypercall code, not the RAM below */
    step(p, HVPT_OP_READ64, h, 0, 0, 0, res);
    code = res[0];
    note("hypercall page starts 0x%016" PRIx64, code);
    g_assert_cmphex(code, !=, pattern(h));
    g_assert_cmphex(code & 0xff, ==, 0xb8);         /* mov eax, imm32 */
    g_assert_cmphex(hypercall_code_head(p, h), ==, code);
    g_clear_pointer(&hex, g_free);
    hex = read_gpa(p, 0, h + EXEC_OFF, 1);
    g_assert_cmpstr(hex, ==, "cc");                 /* not the RAM's ret */
    step(p, HVPT_OP_HYPERCALL_MSR, 0, 0, 0, 0, res);
    g_assert_cmphex(read_gpa_u64(p, 0, h), ==, pattern(h));
    /* Uncovered: no execute right again. */
    access_exec(p, h + EXEC_OFF, false, "mapped", "rw");

    /* Two overlays on one GPA: the SIMP wins, then the hypercall page. */
    set_access(p, o, PAGE, "none");
    step(p, HVPT_OP_HYPERCALL_MSR, o | 1, 0, 0, 0, res);
    step(p, HVPT_OP_SIMP, o | 1, 0, 0, 0, res);
    step(p, HVPT_OP_READ64, o, 0, 0, 0, res);
    g_assert_cmphex(res[0], ==, 0);
    g_assert_cmphex(read_gpa_u64(p, 0, o), ==, 0);
    step(p, HVPT_OP_SIMP, 0, 0, 0, 0, res);
    step(p, HVPT_OP_READ64, o, 0, 0, 0, res);
    g_assert_cmphex(res[0], ==, code);
    step(p, HVPT_OP_HYPERCALL_MSR, 0, 0, 0, 0, res);
    step_begin(p, HVPT_OP_READ64, o, 0, 0, 0);
    step_go(p);
    {
        Want w = want_probe(p, HVPT_OP_READ64, o, o, "read", "mapped");

        expect_intercept(p, &w);
        set_access(p, o, PAGE, "rwx");
        resume_retry(p, 0);
    }
    step_end(p, res);
    g_assert_cmphex(res[0], ==, pattern(o));
    ram_hex = read_gpa(p, 0, o, 8);
    g_clear_pointer(&hex, g_free);
    hex = hex_le64(pattern(o));
    g_assert_cmpstr(ram_hex, ==, hex);
    g_assert_cmpuint(p->seq - first, ==, 3);
}

/*
 * Resume: a retry that meets the same refusal intercepts again; skip with
 * RAX; skip to a RIP; resume of a running VP: 5 intercepts.
 */
static void scenario_resume(Part *p)
{
    uint64_t u = TPAGE(30), res[4], first = p->seq;
    Want w;

    fill_page(p, u);
    gpa_unmap(p, u, PAGE, "unmapped");
    if (p->hv) {
        expect_error(qtest_qmp(p->qts, "{'execute': 'hvpart-vp-resume',"
                               " 'arguments': {'vp': 0, 'action': 'retry'}}"),
                     "not suspended");
    }

    step_begin(p, HVPT_OP_READ64, u + 0x40, 0x99, 0, 0);
    step_go(p);
    if (p->hv) {
        w = want_probe(p, HVPT_OP_READ64, u + 0x40, u + 0x40, "read",
                       "unmapped");
        expect_intercept(p, &w);
        /* Nothing changed: the retry raises the same intercept again. */
        resume_retry(p, 0);
        expect_intercept(p, &w);
        resume_skip(p, 0, true, 0x1234, 0);
    }
    step_end(p, res);
    g_assert_cmphex(res[0], ==, p->hv ? 0x1234 : pattern(u + 0x40));
    g_assert_cmphex(res[1], ==, p->probes[HVPT_OP_READ64].next);
    if (p->hv) {
        expect_error(qtest_qmp(p->qts, "{'execute': 'hvpart-vp-resume',"
                               " 'arguments': {'vp': 0, 'action': 'skip'}}"),
                     "not suspended");
    }

    /* skip to another RIP, with RAX */
    step_begin(p, HVPT_OP_READ64, u + 0x48, 0, 0, 0);
    step_go(p);
    if (p->hv) {
        w = want_probe(p, HVPT_OP_READ64, u + 0x48, u + 0x48, "read",
                       "unmapped");
        expect_intercept(p, &w);
        resume_skip(p, 0, true, 0x5678, p->probe_alt);
    }
    step_end(p, res);
    g_assert_cmphex(res[0], ==, p->hv ? 0x5678 : pattern(u + 0x48));
    g_assert_cmphex(res[1], ==, p->hv ? p->probe_alt :
                    p->probes[HVPT_OP_READ64].next);

    /* skip without registers: RAX keeps what it had (the probe's value) */
    access_write(p, u + 0x50, 0xabcd, false, "unmapped", false);

    /* retry once the page is mapped again */
    step_begin(p, HVPT_OP_READ8, u + 0x59, 0, 0, 0);
    step_go(p);
    if (p->hv) {
        w = want_probe(p, HVPT_OP_READ8, u + 0x59, u + 0x59, "read",
                       "unmapped");
        expect_intercept(p, &w);
        gpa_map(p, u, PAGE, "rwx");
        resume_retry(p, 0);
    }
    step_end(p, res);
    g_assert_cmphex(res[0], ==, pattern_byte(u + 0x59));
    if (p->hv) {
        g_assert_cmpuint(p->seq - first, ==, 5);
    }
}

/*
 * Rights revoked while the guest runs a probe in a loop on the page: the
 * VP must not keep using what it had translated before: 3 intercepts.
 */
static void scenario_revoke(Part *p)
{
    static const struct {
        uint64_t op, off;
        const char *access;     /* NULL: unmap */
        const char *what;
    } revokes[] = {
        { HVPT_OP_WRITE64, 0x100, "r", "write" },
        { HVPT_OP_EXEC, EXEC_OFF, "rw", "execute" },
        { HVPT_OP_READ64, 0x100, NULL, "read" },
    };
    uint64_t first = p->seq;
    int i;

    for (i = 0; i < ARRAY_SIZE(revokes); i++) {
        uint64_t page = TPAGE(32 + i), gva = page + revokes[i].off, res[4];
        gint64 deadline = g_get_monotonic_time() + WAIT_S * G_USEC_PER_SEC;

        fill_page(p, page);
        step_begin(p, HVPT_OP_LOOP, revokes[i].op, gva, 0x100, 0);
        qtest_writeq(p->qts, MB(progress), 0);
        step_go(p);
        /* the loop runs with the page's translation cached */
        while (qtest_readq(p->qts, MB(progress)) < 2000) {
            g_assert_cmpint(g_get_monotonic_time(), <, deadline);
            g_usleep(1000);
        }
        if (p->hv) {
            const char *state = revokes[i].access ? "mapped" : "unmapped";
            Want w = want_probe(p, revokes[i].op, gva, gva, revokes[i].what,
                                state);

            if (revokes[i].access) {
                set_access(p, page, PAGE, revokes[i].access);
            } else {
                gpa_unmap(p, page, PAGE, "unmapped");
            }
            expect_intercept(p, &w);
            qtest_writeq(p->qts, MB(stop), p->step);
            gpa_map(p, page, PAGE, "rwx");
            resume_retry(p, 0);
        } else {
            qtest_writeq(p->qts, MB(stop), p->step);
        }
        step_end(p, res);
        note("loop %s: %" PRIu64 " iterations", revokes[i].what,
                       res[0]);
        g_assert_cmpuint(res[0], >=, 2000);
    }
    if (p->hv) {
        g_assert_cmpuint(p->seq - first, ==, 3);
    }
}

/* VP 1 suspended, VP 0 runs: 1 intercept. */
static void scenario_smp(Part *p)
{
    uint64_t page = TPAGE(40), gva = page + 0x100, res[4], first = p->seq;
    uint64_t c0, c1;
    guint pos;

    fill_page(p, page);
    step(p, HVPT_OP_AP_START, 0, 0, 0, 0, res);
    g_assert_cmpuint(res[0], ==, 1);
    set_access(p, page, PAGE, "none");
    step_begin(p, HVPT_OP_AP_PROBE, HVPT_OP_READ64, gva, 0, 0);
    step_go(p);
    if (p->hv) {
        Want w = want_probe(p, HVPT_OP_READ64, gva, gva, "read", "mapped");
        g_autoptr(GPtrArray) lines = NULL;

        w.vp = 1;
        expect_intercept(p, &w);
        /* VP 0 counts on, and prints, while VP 1 waits. */
        pos = hvguest_line_count(p->g);
        c0 = qtest_readq(p->qts, MB(progress));
        g_usleep(300 * 1000);
        c1 = qtest_readq(p->qts, MB(progress));
        note("VP 0 counted %" PRIu64 " -> %" PRIu64 " in 300 ms "
                       "while VP 1 was suspended", c0, c1);
        g_assert_cmpuint(c1, >, c0);
        g_assert_nonnull(hvguest_wait_line_from(p->g, &pos,
                                                "HVPART: vp0 progress=", 10));
        g_assert_nonnull(hvguest_wait_line_from(p->g, &pos,
                                                "HVPART: vp0 progress=", 10));
        g_assert_cmpuint(qtest_readq(p->qts, MB(done)), ==, p->step - 1);
        expect_error(qtest_qmp(p->qts, "{'execute': 'hvpart-vp-resume',"
                               " 'arguments': {'vp': 0, 'action': 'retry'}}"),
                     "not suspended");
        set_access(p, page, PAGE, "rwx");
        resume_retry(p, 1);
    }
    step_end(p, res);
    g_assert_cmphex(res[0], ==, pattern(gva));
    g_assert_cmphex(res[1], ==, p->probes[HVPT_OP_READ64].next);
    note("VP 0 counted to %" PRIu64 " while VP 1 ran the probe",
                   res[2]);
    if (p->hv) {
        g_assert_cmpuint(p->seq - first, ==, 1);
    }
}

/* The memory pool, as the guest sees it: no intercepts. */
static uint64_t pool_balance(Part *p, uint64_t *used)
{
    QDict *resp = qtest_qmp(p->qts, "{'execute': 'query-hvpart-pool'}");
    QDict *node0 = qobject_to(QDict,
                              qlist_peek(qdict_get_qlist(resp, "return")));
    uint64_t balance = get_u64(node0, "balance");

    *used = get_u64(node0, "used");
    qobject_unref(resp);
    return balance;
}

static void scenario_pool(Part *p)
{
    uint64_t res[4], balance, used, used2, gpadl_page = TPAGE(44);

    step(p, HVPT_OP_VMBUS_CONNECT, 0, 0, 0, 0, res);
    g_assert_cmphex(res[0], ==, 1);                 /* version accepted */
    balance = pool_balance(p, &used);
    note("pool: balance %" PRIu64 ", used %" PRIu64, balance,
                   used);
    qtest_qmp_assert_success(p->qts, "{'execute': 'hvpart-pool-withdraw',"
                             " 'arguments': {'pages': %" PRIu64 "}}",
                             balance);
    g_assert_cmpuint(pool_balance(p, &used2), ==, 0);
    expect_error(qtest_qmp(p->qts, "{'execute': 'hvpart-pool-withdraw',"
                           " 'arguments': {'pages': 1}}"), "'pages'");

    step(p, HVPT_OP_GPADL, 0x4242, gpadl_page, 0, 0, res);
    note("GpadlHeader with an empty pool: HvPostMessage status %"
                   PRIu64, res[0]);
    g_assert_cmpuint(res[0], ==, HV_STATUS_INSUFFICIENT_MEMORY);
    g_assert_cmphex(res[1], ==, ~0ull);             /* no GpadlCreated */
    g_assert_cmpuint(pool_balance(p, &used2), ==, 0);
    g_assert_cmpuint(used2, ==, used);

    qtest_qmp_assert_success(p->qts, "{'execute': 'hvpart-pool-deposit',"
                             " 'arguments': {'pages': 64}}");
    step(p, HVPT_OP_GPADL, 0x4242, gpadl_page, 0, 0, res);
    note("after a deposit of 64 pages: status %" PRIu64
                   ", GpadlCreated status 0x%" PRIx64, res[0], res[1]);
    g_assert_cmpuint(res[0], ==, 0);
    g_assert_cmphex(res[1], ==, 0);
    /* one page of bookkeeping and one for its page numbers */
    g_assert_cmpuint(pool_balance(p, &used2), ==, 64 - 2);
    g_assert_cmpuint(used2, ==, used + 2);
}

/*
 * Pool pages are never reachable through a GPA: each starts with the
 * header "HVPART POOL PAGE" (accel/hvpart/pool.c); after a deposit the
 * guest reads the first bytes of every page of its RAM, with overlay pages
 * (SIMP, hypercall page) in place, and finds none. The same scan finds the
 * header the test plants in one page of guest RAM, so it can fail.
 */
#define POOL_MAGIC_W0       0x5020545241505648ull     /* "HVPART P" */
#define POOL_MAGIC_W1       0x45474150204c4f4full      /* "OOL PAGE" */
#define GUEST_RAM           (256ull << 20)

static void scenario_pool_isolation(Part *p)
{
    uint64_t res[4], balance, used, plant = TPAGE(70);

    /* The hypercall page, SIMP and SIEFP overlays, and a GPADL. */
    step(p, HVPT_OP_VMBUS_CONNECT, 0, 0, 0, 0, res);
    g_assert_cmphex(res[0], ==, 1);
    step(p, HVPT_OP_GPADL, 0x4343, TPAGE(44), 0, 0, res);
    g_assert_cmpuint(res[0], ==, 0);
    g_assert_cmphex(res[1], ==, 0);
    balance = pool_balance(p, &used);
    qtest_qmp_assert_success(p->qts, "{'execute': 'hvpart-pool-deposit',"
                             " 'arguments': {'pages': 4096}}");
    g_assert_cmpuint(pool_balance(p, &used), ==, balance + 4096);
    note("pool: %" PRIu64 " pages free, %" PRIu64 " used", balance + 4096,
         used);

    /* The scan can see: a header planted in guest RAM is found. */
    qtest_writeq(p->qts, plant, POOL_MAGIC_W0);
    qtest_writeq(p->qts, plant + 8, POOL_MAGIC_W1);
    step(p, HVPT_OP_SCAN, 0, GUEST_RAM, POOL_MAGIC_W0, POOL_MAGIC_W1, res);
    note("scan with a planted header: %" PRIu64 " hit(s), first at 0x%"
         PRIx64 ", %" PRIu64 " pages read", res[0], res[1], res[2]);
    g_assert_cmpuint(res[2], ==, GUEST_RAM / PAGE);
    g_assert_cmpuint(res[0], ==, 1);
    g_assert_cmphex(res[1], ==, plant);

    /* Without it, no page of the partition's RAM is a pool page. */
    qtest_writeq(p->qts, plant, 0);
    step(p, HVPT_OP_SCAN, 0, GUEST_RAM, POOL_MAGIC_W0, POOL_MAGIC_W1, res);
    note("scan: %" PRIu64 " hit(s) in %" PRIu64 " pages", res[0], res[2]);
    g_assert_cmpuint(res[0], ==, 0);
    g_assert_cmpuint(res[2], ==, GUEST_RAM / PAGE);

    /* Nor after a withdrawal. */
    qtest_qmp_assert_success(p->qts, "{'execute': 'hvpart-pool-withdraw',"
                             " 'arguments': {'pages': 2048}}");
    step(p, HVPT_OP_SCAN, 0, GUEST_RAM, POOL_MAGIC_W0, POOL_MAGIC_W1, res);
    g_assert_cmpuint(res[0], ==, 0);
}

/* Test cases */

typedef void ScenarioFn(Part *p);

typedef struct Scenario {
    const char *name;
    ScenarioFn *fn;
    int smp;
    bool needs_hyperv;      /* not in the tcg run */
    uint64_t intercepts;    /* under hvpart */
} Scenario;

static const Scenario scenarios[] = {
    { "rights", scenario_rights, 1, false, 7 },
    { "forms", scenario_forms, 1, false, 3 },
    { "states", scenario_states, 1, false, 6 },
    { "crossing", scenario_crossing, 1, false, 5 },
    { "implicit", scenario_implicit, 1, false, 3 },
    { "fresh-walk", scenario_walk, 1, false, 2 },
    { "overlay", scenario_overlay, 1, true, 3 },
    { "resume", scenario_resume, 1, false, 5 },
    { "revoke", scenario_revoke, 1, false, 3 },
    { "pool", scenario_pool, 1, true, 0 },
    { "pool-isolation", scenario_pool_isolation, 1, true, 0 },
    { "smp", scenario_smp, 2, false, 1 },
};

static void run_scenario(const Scenario *s)
{
    Part *p = part_start("hvpart", s->smp);

    if (!p) {
        return;
    }
    s->fn(p);
    /* Exactly these, numbered 1, 2, ... in order, and no other. */
    expect_no_intercept(p);
    note("%s: %" PRIu64 " intercepts, sequence 1..%" PRIu64
                   " in order, in %" PRIu64 " steps", s->name, p->seq,
                   p->seq, p->step);
    g_assert_cmpuint(p->seq, ==, s->intercepts);
    part_quit(p);
}

/*
 * Each scenario runs in a subprocess, so that one whose assertion fails
 * (and aborts) does not keep the others from running.
 */
static void test_scenario(gconstpointer data)
{
    if (g_test_subprocess()) {
        run_scenario(data);
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDOUT |
                           G_TEST_SUBPROCESS_INHERIT_STDERR);
    if (!g_test_trap_has_passed()) {
        note("scenario %s failed (its messages are above)",
                       ((const Scenario *)data)->name);
        g_test_fail();
    }
}

/* The same accesses under plain TCG: all succeed, no intercept at all. */
static void test_tcg_negative(void)
{
    Part *p = part_start("tcg", 2);
    int i;

    if (!p) {
        return;
    }
    for (i = 0; i < ARRAY_SIZE(scenarios); i++) {
        if (!scenarios[i].needs_hyperv) {
            note("tcg: %s", scenarios[i].name);
            scenarios[i].fn(p);
        }
    }
    expect_no_intercept(p);
    g_assert_cmpuint(p->seq, ==, 0);
    note("tcg: %" PRIu64 " steps, every access succeeded, no "
                   "intercept", p->step);
    part_quit(p);
}

int main(int argc, char **argv)
{
    int i;

    g_test_init(&argc, &argv, NULL);
    if (g_str_equal(qtest_get_arch(), "x86_64")) {
        for (i = 0; i < ARRAY_SIZE(scenarios); i++) {
            g_autofree char *path = g_strdup_printf("/hvpart/intercept/%s",
                                                    scenarios[i].name);

            qtest_add_data_func(path, &scenarios[i], test_scenario);
        }
        qtest_add_func("/hvpart/intercept/tcg-negative", test_tcg_negative);
    }
    return g_test_run();
}
