/*
 * Synthetic SCSI ("-device vmbus-scsi") with an unmodified Linux guest
 * (Debian 12's 6.1 kernel, hv_storvsc) under -accel hvpart.
 *
 * /hvpart/storage/disks: two controllers with disks, a CD-ROM and small
 * LUNs at chosen addresses; the first controller, which carries the image
 * formats, is served by an IOThread (iothread=), the second by the main
 * loop. hv_storvsc binds both; every device shows up
 * at the expected C:T:L below its own controller's SCSI host. On the disks
 * of each image format qemu-img makes (raw, fixed and dynamic VHD, VHDX,
 * differencing VHD), the guest writes pseudo-random data to the raw disk,
 * drops its caches and reads it back with the same sha256; after QEMU
 * exits, the host finds the same sha256 in the image. A disk on a
 * discard=unmap drive is discarded by the guest and its image file loses
 * its blocks.
 *
 * The differencing VHD: its parent (a dynamic VHD that qemu-img converts
 * from a raw file the test fills with known bytes) is opened through the
 * child's parent locator; before the guest runs (-S), QEMU's qemu-io
 * monitor command writes a few sectors into the child, so the guest's
 * first read through the child mixes parent blocks, child blocks and a
 * block whose bitmap holds both, and must hash to what the test computes.
 * After the guest's writes, qemu-img reads the whole chain back, qemu-img
 * check finds no errors, and the parent file is byte for byte unchanged.
 * (VHDX differencing disks are not supported by QEMU's vhdx driver: it
 * refuses to open them and qemu-img cannot create them.)
 *
 * /hvpart/storage/passthrough: a host block device (a loop device on a
 * sparse file; needs root and loop support) as -blockdev host_device
 * behind scsi-hd, with the same data test; the loop device is set to
 * clear itself when its last user closes it, so it goes away even when
 * the test fails.
 *
 * /hvpart/storage/migrate: live migration while the guest writes to a disk
 * of a controller served by an IOThread; both QEMUs open the same image
 * file (shared storage). The writes go on on the destination, the guest
 * reads back what it wrote, and the image holds the same sha256.
 *
 * /hvpart/storage/migrate-werror: the same guest with werror=stop and
 * blkdebug failing one write: the VM stops (io-error) with the request
 * held for a retry, is migrated stopped, and continued on the destination,
 * where the request is retried; the guest and the image hold its sha256.
 *
 * /hvpart/storage/hotplug: device_add and device_del of disks on a running
 * guest, and of a whole controller (after its disks; one served by an
 * IOThread made with object-add), make the guest see the devices appear
 * and disappear.
 *
 * Environment: as for every hvpart qtest (see hvpart-guest-util.h), plus
 * QTEST_QEMU_IMG (default: qemu-img next to QTEST_QEMU_BINARY; without it
 * only raw images are tested) and HVPART_STORAGE_MB (data test size,
 * default 256).
 *
 * Copyright (c) 2025 qemu-hvpart contributors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <linux/loop.h>
#include "qemu/units.h"
#include "libqtest.h"
#include "qobject/qdict.h"
#include "hvpart-guest-util.h"

#define GUEST_MACHINE "-machine q35 -m 1G -smp 2"
#define GUEST_MODS "hvtest.mods=hv_vmbus,hv_storvsc,sd_mod,sr_mod"

/* Instance GUIDs of the test's controllers */
#define CTRL_A "6b1c1c0e-8d5e-4a44-9c1f-3a5e6f0d2a01"
#define CTRL_B "6b1c1c0e-8d5e-4a44-9c1f-3a5e6f0d2a02"

/* SCSI peripheral device types (sysfs "type") */
#define TYPE_DISK 0
#define TYPE_ROM 5

#define DEFAULT_DATA_MB 256
#define SMALL_BYTES (1024u * 1024u)
#define DISCARD_MB 16

/* sha256 of one MiB of zeroes: what a fresh null-co disk reads */
#define SHA256_ZERO_MIB \
    "30e14955ebf1352266dc2ff8067e68104607e750abb9d3b36582b8af909fcb58"

typedef enum DiskKind {
    DISK_IMAGE,                 /* an image file made by the test */
    DISK_NULL,                  /* null-co: reads zeroes, small */
    DISK_CDROM,                 /* scsi-cd without a medium */
} DiskKind;

typedef struct TestDisk {
    const char *name;           /* drive id and image file name */
    DiskKind kind;
    const char *format;         /* image format (qemu-img -f) */
    const char *create_opts;    /* qemu-img create -o, or NULL */
    const char *ctrl;           /* instance-id of the controller */
    int target;
    int lun;
    bool data;                  /* random data written and read back */
    bool discard;               /* filled by the host, discarded by the guest */
    bool differencing;          /* a differencing VHD over a filled parent */
    char *path;                 /* image file */
    char *parent_path;          /* differencing: the parent image */
    char *parent_sha;           /* differencing: sha256 of the parent file */
} TestDisk;

static TestDisk storage_disks[] = {
    { "raw", DISK_IMAGE, "raw", NULL, CTRL_A, 0, 0, .data = true },
    { "vhd-fixed", DISK_IMAGE, "vpc", "subformat=fixed,force_size=on",
      CTRL_A, 0, 1, .data = true },
    { "vhd-dynamic", DISK_IMAGE, "vpc", "subformat=dynamic,force_size=on",
      CTRL_A, 0, 2, .data = true },
    { "vhdx", DISK_IMAGE, "vhdx", NULL, CTRL_A, 0, 3, .data = true },
    { "vhd-diff", DISK_IMAGE, "vpc", NULL, CTRL_A, 0, 5, .data = true,
      .differencing = true },
    { "cdrom", DISK_CDROM, NULL, NULL, CTRL_A, 0, 9 },
    { "target1", DISK_NULL, NULL, NULL, CTRL_A, 1, 4 },
    { "discard", DISK_IMAGE, "raw", NULL, CTRL_B, 0, 0, .discard = true },
    { "b7", DISK_NULL, NULL, NULL, CTRL_B, 0, 7 },
    { "b64", DISK_NULL, NULL, NULL, CTRL_B, 0, 64 },
    { "b254", DISK_NULL, NULL, NULL, CTRL_B, 0, 254 },
};

static unsigned data_mb(void)
{
    const char *env = g_getenv("HVPART_STORAGE_MB");
    unsigned mb = env ? atoi(env) : DEFAULT_DATA_MB;

    return mb >= 2 ? mb : DEFAULT_DATA_MB;
}

/* qemu-img of this build, or NULL */
static char *qemu_img_path(void)
{
    const char *env = g_getenv("QTEST_QEMU_IMG");
    const char *qemu = g_getenv("QTEST_QEMU_BINARY");
    g_autofree char *dir = NULL;
    char *path;

    if (env) {
        return g_strdup(env);
    }
    if (!qemu) {
        return NULL;
    }
    dir = g_path_get_dirname(qemu);
    path = g_build_filename(dir, "qemu-img", NULL);
    if (!g_file_test(path, G_FILE_TEST_IS_EXECUTABLE)) {
        g_free(path);
        return NULL;
    }
    return path;
}

static void run_qemu_img(const char *const *argv)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *out = NULL, *errout = NULL;
    int status;

    g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                 &out, &errout, &status, &err);
    g_assert_no_error(err);
    if (!g_spawn_check_exit_status(status, &err)) {
        g_error("%s %s: %s", argv[0], argv[1], errout);
    }
}

static char *image_create(const char *qemu_img, const char *dir,
                          const TestDisk *d, unsigned mb)
{
    char *path = g_strdup_printf("%s/%s.img", dir, d->name);
    g_autofree char *size = g_strdup_printf("%uM", mb);
    const char *argv[] = {
        qemu_img, "create", "-q", "-f", d->format, path, size, NULL, NULL,
        NULL
    };

    if (d->create_opts) {
        argv[6] = "-o";
        argv[7] = d->create_opts;
        argv[8] = size;
    }
    run_qemu_img(argv);
    return path;
}

static char *raw_create(const char *dir, const TestDisk *d, unsigned mb,
                        int fill)
{
    char *path = g_strdup_printf("%s/%s.img", dir, d->name);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    g_autofree uint8_t *buf = g_malloc(MiB);
    unsigned i;

    g_assert(fd >= 0);
    if (fill >= 0) {
        memset(buf, fill, MiB);
        for (i = 0; i < mb; i++) {
            g_assert_cmpint(write(fd, buf, MiB), ==, MiB);
        }
    } else {
        g_assert_cmpint(ftruncate(fd, (off_t)mb * MiB), ==, 0);
    }
    close(fd);
    return path;
}

/* sha256 of the first @mb MiB of the disk an image holds */
static char *sha256_of_image(const char *qemu_img, const TestDisk *d,
                             unsigned mb)
{
    g_autofree char *raw = NULL;
    const char *argv[] = {
        qemu_img, "convert", "-q", "-f", d->format, "-O", "raw", d->path,
        NULL, NULL
    };
    char *sha;

    if (g_str_equal(d->format, "raw")) {
        return hvguest_file_sha256(d->path, mb);
    }
    raw = g_strdup_printf("%s.raw", d->path);
    argv[8] = raw;
    run_qemu_img(argv);
    sha = hvguest_file_sha256(raw, mb);
    unlink(raw);
    return sha;
}

/*
 * The differencing disk's content, as the test lays it out. The parent: the
 * first half of the disk 0x5a, then zeroes but for one MiB of 0xa5 that
 * straddles a 2 MiB block boundary. The child, before the guest runs:
 * 0xc3 in sectors 1 MiB + 512 .. 1 MiB + 4 KiB (a block whose bitmap marks
 * some sectors as the child's, the rest as the parent's).
 */
#define DIFF_PARENT_A 0x5a
#define DIFF_PARENT_B 0xa5
#define DIFF_CHILD 0xc3
#define DIFF_CHILD_OFFSET (MiB + 512)
#define DIFF_CHILD_BYTES (4 * KiB - 512)

static uint64_t diff_b_offset(unsigned mb)
{
    return (uint64_t)(mb / 2 + 1) * MiB + MiB / 2;
}

/* Byte @off of the parent (@child false) or of the child's disk */
static uint8_t diff_byte(unsigned mb, uint64_t off, bool child)
{
    if (child && off >= DIFF_CHILD_OFFSET &&
        off < DIFF_CHILD_OFFSET + DIFF_CHILD_BYTES) {
        return DIFF_CHILD;
    }
    if (off < (uint64_t)mb / 2 * MiB) {
        return DIFF_PARENT_A;
    }
    if (off >= diff_b_offset(mb) && off < diff_b_offset(mb) + MiB) {
        return DIFF_PARENT_B;
    }
    return 0;
}

/* Fill @buf with MiB number @i of the parent or the child's disk */
static void diff_fill(uint8_t *buf, unsigned mb, unsigned i, bool child)
{
    uint64_t off;

    for (off = 0; off < MiB; off += 512) {
        memset(buf + off, diff_byte(mb, (uint64_t)i * MiB + off, child), 512);
    }
}

/* sha256 of the child's disk before the guest writes to it */
static char *diff_expected_sha(unsigned mb)
{
    g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
    g_autofree uint8_t *buf = g_malloc(MiB);
    unsigned i;

    for (i = 0; i < mb; i++) {
        diff_fill(buf, mb, i, true);
        g_checksum_update(sum, buf, MiB);
    }
    return g_strdup(g_checksum_get_string(sum));
}

/* sha256 of a whole file */
static char *sha256_of_whole_file(const char *path)
{
    g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
    g_autofree uint8_t *buf = g_malloc(MiB);
    int fd = open(path, O_RDONLY);
    ssize_t n;

    g_assert(fd >= 0);
    while ((n = read(fd, buf, MiB)) > 0) {
        g_checksum_update(sum, buf, n);
    }
    g_assert_cmpint(n, ==, 0);
    close(fd);
    return g_strdup(g_checksum_get_string(sum));
}

/*
 * The differencing disk @d: its parent, a dynamic VHD that qemu-img
 * converts from a raw file holding the parent's bytes, and the child,
 * made by qemu-img create -b (the parent named relative to the child).
 */
static void diff_create(const char *qemu_img, const char *dir, TestDisk *d,
                        unsigned mb)
{
    g_autofree char *raw = g_strdup_printf("%s/%s-parent.raw", dir, d->name);
    g_autofree char *parent_name = g_strdup_printf("%s-parent.vhd", d->name);
    g_autofree uint8_t *buf = g_malloc(MiB);
    int fd = open(raw, O_RDWR | O_CREAT | O_TRUNC, 0600);
    unsigned i;

    g_assert(fd >= 0);
    for (i = 0; i < mb; i++) {
        diff_fill(buf, mb, i, false);
        g_assert_cmpint(write(fd, buf, MiB), ==, MiB);
    }
    close(fd);
    d->parent_path = g_build_filename(dir, parent_name, NULL);
    d->path = g_strdup_printf("%s/%s.img", dir, d->name);
    {
        const char *conv[] = {
            qemu_img, "convert", "-q", "-f", "raw", "-O", "vpc", "-o",
            "subformat=dynamic,force_size=on", raw, d->parent_path, NULL
        };
        const char *create[] = {
            qemu_img, "create", "-q", "-f", "vpc", "-b", parent_name,
            "-F", "vpc", d->path, NULL
        };

        run_qemu_img(conv);
        run_qemu_img(create);
    }
    unlink(raw);
    d->parent_sha = sha256_of_whole_file(d->parent_path);
}

/* qemu-img check of @path succeeds (exit status 0: no errors) */
static void check_image(const char *qemu_img, const char *path)
{
    const char *argv[] = { qemu_img, "check", "-q", path, NULL };

    run_qemu_img(argv);
}

/* Whether the file system under @dir can punch holes (for discard). */
static bool dir_can_punch_holes(const char *dir)
{
    g_autofree char *path = g_build_filename(dir, "punch-probe", NULL);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    bool ok;

    g_assert(fd >= 0);
    ok = ftruncate(fd, MiB) == 0 &&
         fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0,
                   64 * KiB) == 0;
    close(fd);
    unlink(path);
    return ok;
}

static uint64_t file_allocated_bytes(const char *path)
{
    struct stat st;

    g_assert_cmpint(stat(path, &st), ==, 0);
    return (uint64_t)st.st_blocks * 512;
}

/* The command-line options that attach @d */
static char *disk_args(const TestDisk *d)
{
    const char *bus = g_str_equal(d->ctrl, CTRL_A) ? "scsi0.0" : "scsi1.0";

    switch (d->kind) {
    case DISK_IMAGE:
        return g_strdup_printf(
            " -drive if=none,id=%s,file=%s,format=%s,discard=unmap"
            " -device scsi-hd,bus=%s,scsi-id=%d,lun=%d,drive=%s",
            d->name, d->path, d->format, bus, d->target, d->lun, d->name);
    case DISK_NULL:
        return g_strdup_printf(
            " -blockdev driver=null-co,node-name=%s,size=%u,read-zeroes=on"
            " -device scsi-hd,bus=%s,scsi-id=%d,lun=%d,drive=%s",
            d->name, SMALL_BYTES, bus, d->target, d->lun, d->name);
    case DISK_CDROM:
        return g_strdup_printf(" -device scsi-cd,bus=%s,scsi-id=%d,lun=%d",
                               bus, d->target, d->lun);
    }
    g_assert_not_reached();
}

/*
 * The guest's line "HVTEST: @what ... controller=@ctrl" whose hctl ends in
 * ":0:@target:@lun" (the SCSI host number H is the guest's to choose), or
 * NULL.
 */
static const HvGuestLine *find_device_line(GPtrArray *lines, const char *ctrl,
                                           int target, int lun)
{
    g_autofree char *ctl = g_strdup_printf(":0:%d:%d", target, lun);
    guint i;

    for (i = 0; i < lines->len; i++) {
        const HvGuestLine *line = g_ptr_array_index(lines, i);
        g_autofree char *c = hvguest_line_field(line->text, "controller");
        g_autofree char *hctl = hvguest_line_field(line->text, "hctl");

        if (c && hctl && g_str_equal(c, ctrl) && g_str_has_suffix(hctl, ctl) &&
            strchr(hctl, ':') == hctl + strlen(hctl) - strlen(ctl)) {
            return line;
        }
    }
    return NULL;
}

static int host_number(const HvGuestLine *line)
{
    g_autofree char *hctl = hvguest_line_field(line->text, "hctl");

    g_assert_nonnull(hctl);
    return atoi(hctl);
}

static void test_storage_disks(void)
{
    static const char *const devices[] = {
        "vmbus-scsi", "scsi-hd", "scsi-cd", NULL
    };
    unsigned mb = data_mb();
    g_autofree char *qemu_img = qemu_img_path();
    g_autoptr(GError) err = NULL;
    g_autofree char *dir = NULL;
    g_autoptr(GString) args = g_string_new(GUEST_MACHINE);
    g_autofree char *cmdline = NULL;
    g_autoptr(GPtrArray) devs = NULL;
    g_autoptr(GPtrArray) data_lines = NULL;
    const HvGuestLine *boot, *listed, *done;
    g_autofree char *count = NULL;
    int host_a = -1, host_b = -1, ndevices = 0;
    g_autofree char *diff_before = NULL;
    bool can_punch;
    uint64_t discard_before = 0;
    size_t i;
    HvGuest *g;

    if (!hvguest_check_requirements("hvpart", devices)) {
        return;
    }
    dir = g_dir_make_tmp("hvpart-storage-XXXXXX", &err);
    g_assert_no_error(err);
    can_punch = dir_can_punch_holes(dir);
    if (!qemu_img) {
        g_test_message("no qemu-img: only raw images are tested");
    }

    g_string_append(args, " -object iothread,id=io0"
                          " -device vmbus-scsi,id=scsi0,iothread=io0,"
                          "instance-id=" CTRL_A
                          " -device vmbus-scsi,id=scsi1,instance-id=" CTRL_B);
    for (i = 0; i < ARRAY_SIZE(storage_disks); i++) {
        TestDisk *d = &storage_disks[i];
        g_autofree char *a = NULL;

        d->path = NULL;
        if (d->kind == DISK_IMAGE) {
            if (d->differencing) {
                if (!qemu_img) {
                    continue;
                }
                diff_create(qemu_img, dir, d, mb);
                diff_before = diff_expected_sha(mb);
            } else if (d->discard) {
                d->path = raw_create(dir, d, DISCARD_MB, 0xa5);
                discard_before = file_allocated_bytes(d->path);
            } else if (g_str_equal(d->format, "raw")) {
                d->path = raw_create(dir, d, mb, -1);
            } else if (qemu_img) {
                d->path = image_create(qemu_img, dir, d, mb);
            } else {
                continue;
            }
        }
        a = disk_args(d);
        g_string_append(args, a);
        ndevices++;
    }
    /* Stopped until the differencing disk's child got its sectors */
    g_string_append(args, " -S");
    cmdline = g_strdup_printf(HVGUEST_CMDLINE_BASE " " GUEST_MODS
                              " hvtest.script=storage hvtest.storage.mb=%u"
                              " hvtest.storage.devices=%d"
                              " hvtest.storage.discard=1"
                              " hvtest.storage.preread=0:5", mb, ndevices);

    g = hvguest_start("hvpart", args->str, cmdline);
    if (!g) {
        return;
    }
    if (diff_before) {
        g_autofree char *out = qtest_hmp(hvguest_qts(g),
            "qemu-io vhd-diff \"write -P 0x%x %" PRIu64 " %" PRIu64 "\"",
            DIFF_CHILD, (uint64_t)DIFF_CHILD_OFFSET,
            (uint64_t)DIFF_CHILD_BYTES);

        /*
         * qemu-io prints its report on QEMU's stdout, and only errors on
         * the monitor; the guest's first hash (before=) checks the write.
         */
        g_assert_cmpstr(g_strstrip(out), ==, "");
    }
    qtest_qmp_assert_success(hvguest_qts(g), "{'execute': 'cont'}");
    boot = hvguest_expect_line(g, "HVTEST: boot", HVGUEST_TIMEOUT_S);
    hvguest_expect_line(g, "HVTEST: modprobe hv_storvsc rc=0",
                        HVGUEST_TIMEOUT_S);

    /* Enumeration: every device below its own controller, at C:T:L. */
    count = hvguest_wait_value(g, "scsi-devices", HVGUEST_TIMEOUT_S);
    g_assert_nonnull(count);
    listed = hvguest_find_line(g, "HVTEST: scsi-devices=");
    g_test_message("guest listed %s SCSI devices %.1f s after /init", count,
                   hvguest_seconds_between(boot, listed));
    devs = hvguest_lines_matching(g, "HVTEST: scsi-dev ");
    for (i = 0; i < devs->len; i++) {
        g_test_message("guest: %s",
                       ((HvGuestLine *)g_ptr_array_index(devs, i))->text);
    }
    g_assert_cmpint(atoi(count), ==, ndevices);
    for (i = 0; i < ARRAY_SIZE(storage_disks); i++) {
        const TestDisk *d = &storage_disks[i];
        const HvGuestLine *line;
        g_autofree char *type = NULL;
        g_autofree char *block = NULL;
        int *host;

        if (d->kind == DISK_IMAGE && !d->path) {
            continue;
        }
        line = find_device_line(devs, d->ctrl, d->target, d->lun);
        if (!line) {
            g_error("no SCSI device %s at 0:%d:%d of controller %s", d->name,
                    d->target, d->lun, d->ctrl);
        }
        type = hvguest_line_field(line->text, "type");
        block = hvguest_line_field(line->text, "block");
        g_assert_cmpint(atoi(type), ==,
                        d->kind == DISK_CDROM ? TYPE_ROM : TYPE_DISK);
        g_assert_cmpstr(block, !=, "none");
        host = g_str_equal(d->ctrl, CTRL_A) ? &host_a : &host_b;
        if (*host < 0) {
            *host = host_number(line);
        }
        g_assert_cmpint(host_number(line), ==, *host);
    }
    g_assert_cmpint(host_a, !=, host_b);

    /* Data: the guest's two hashes agree, line by line as they come. */
    for (i = 0; i < ARRAY_SIZE(storage_disks); i++) {
        TestDisk *d = &storage_disks[i];
        g_autofree char *needle = NULL;
        const HvGuestLine *line;
        g_autofree char *written = NULL, *read = NULL, *ws = NULL;
        g_autofree char *rs = NULL, *rc = NULL, *before = NULL;

        if (!d->data || !d->path) {
            continue;
        }
        needle = g_strdup_printf("HVTEST: disk-data hctl=%d:0:%d:%d ",
                                 g_str_equal(d->ctrl, CTRL_A) ? host_a
                                                              : host_b,
                                 d->target, d->lun);
        line = hvguest_expect_line(g, needle, 2 * HVGUEST_TIMEOUT_S);
        written = hvguest_line_field(line->text, "written");
        read = hvguest_line_field(line->text, "read");
        ws = hvguest_line_field(line->text, "write-s");
        rs = hvguest_line_field(line->text, "read-s");
        rc = hvguest_line_field(line->text, "write-rc");
        g_test_message("%s: %u MiB written in %s s, read and hashed in %s s",
                       d->name, mb, ws, rs);
        g_assert_cmpstr(rc, ==, "0");
        g_assert_cmpstr(written, ==, read);
        if (d->differencing) {
            /* The guest read the parent's and the child's data first. */
            before = hvguest_line_field(line->text, "before");
            g_test_message("%s: the guest read %s through the child "
                           "(expected %s)", d->name, before, diff_before);
            g_assert_cmpstr(before, ==, diff_before);
        }
    }

    /* Discard: the guest's blkdiscard reaches the image file. */
    for (i = 0; i < ARRAY_SIZE(storage_disks); i++) {
        const TestDisk *d = &storage_disks[i];
        g_autofree char *needle = NULL;
        const HvGuestLine *line;
        g_autofree char *rc = NULL;

        if (!d->discard) {
            continue;
        }
        needle = g_strdup_printf("HVTEST: disk-discard hctl=%d:0:%d:%d ",
                                 g_str_equal(d->ctrl, CTRL_A) ? host_a
                                                              : host_b,
                                 d->target, d->lun);
        line = hvguest_expect_line(g, needle, HVGUEST_TIMEOUT_S);
        rc = hvguest_line_field(line->text, "rc");
        g_assert_cmpstr(rc, ==, "0");
    }

    done = hvguest_expect_line(g, "HVTEST: done rc=", 2 * HVGUEST_TIMEOUT_S);
    g_assert_nonnull(strstr(done->text, "HVTEST: done rc=0"));
    g_test_message("guest script ran for %.1f s",
                   hvguest_seconds_between(boot, done));
    g_assert_true(hvguest_wait_exit(g, HVGUEST_TIMEOUT_S));

    /* The host reads the same data from the images. */
    data_lines = hvguest_lines_matching(g, "HVTEST: disk-data ");
    for (i = 0; i < ARRAY_SIZE(storage_disks); i++) {
        TestDisk *d = &storage_disks[i];
        const HvGuestLine *line;
        g_autofree char *written = NULL, *host_sha = NULL;

        if (!d->data || !d->path) {
            continue;
        }
        line = find_device_line(data_lines, d->ctrl, d->target, d->lun);
        g_assert_nonnull(line);
        written = hvguest_line_field(line->text, "written");
        host_sha = sha256_of_image(qemu_img, d, mb);
        g_test_message("%s (%s): host sha256 %s", d->name, d->format,
                       host_sha);
        g_assert_cmpstr(host_sha, ==, written);
        if (d->differencing) {
            g_autofree char *parent_sha =
                sha256_of_whole_file(d->parent_path);

            check_image(qemu_img, d->path);
            g_test_message("%s: parent file sha256 %s before, %s after",
                           d->name, d->parent_sha, parent_sha);
            g_assert_cmpstr(parent_sha, ==, d->parent_sha);
        }
    }
    for (i = 0; i < ARRAY_SIZE(storage_disks); i++) {
        const TestDisk *d = &storage_disks[i];
        uint64_t after;

        if (!d->discard) {
            continue;
        }
        after = file_allocated_bytes(d->path);
        g_test_message("%s: %" PRIu64 " KiB allocated before the guest's "
                       "discard, %" PRIu64 " KiB after", d->name,
                       discard_before / KiB, after / KiB);
        if (can_punch) {
            g_assert_cmpuint(after, <, discard_before / 2);
        }
    }

    hvguest_quit(g);
    for (i = 0; i < ARRAY_SIZE(storage_disks); i++) {
        TestDisk *d = &storage_disks[i];

        if (d->path) {
            unlink(d->path);
            g_free(d->path);
            d->path = NULL;
        }
        if (d->parent_path) {
            unlink(d->parent_path);
            g_free(d->parent_path);
            d->parent_path = NULL;
        }
        g_free(d->parent_sha);
        d->parent_sha = NULL;
    }
    rmdir(dir);
}

/* blockdev-add of a small null-co node named @node */
static void add_null_node(QTestState *qts, const char *node)
{
    qtest_qmp_assert_success(qts,
        "{'execute': 'blockdev-add', 'arguments': {"
        " 'driver': 'null-co', 'node-name': %s, 'size': %u,"
        " 'read-zeroes': true } }", node, SMALL_BYTES);
}

static const HvGuestLine *expect_added(HvGuest *g, guint *pos,
                                       const char *ctrl, int lun)
{
    g_autofree char *ctl = g_strdup_printf(":0:0:%d ", lun);
    g_autofree char *c = NULL;
    g_autofree char *sha = NULL;
    const HvGuestLine *line;

    line = hvguest_wait_line_from(g, pos, "HVTEST: scsi-added ",
                                  HVGUEST_TIMEOUT_S);
    g_assert_nonnull(line);
    g_test_message("guest: %s", line->text);
    g_assert_nonnull(strstr(line->text, ctl));
    c = hvguest_line_field(line->text, "controller");
    g_assert_cmpstr(c, ==, ctrl);
    sha = hvguest_line_field(line->text, "sha256-1m");
    g_assert_cmpstr(sha, ==, SHA256_ZERO_MIB);
    return line;
}

static void expect_removed(HvGuest *g, guint *pos, int host, int lun)
{
    g_autofree char *needle = g_strdup_printf("HVTEST: scsi-removed "
                                              "hctl=%d:0:0:%d", host, lun);
    const HvGuestLine *line = hvguest_wait_line_from(g, pos, needle,
                                                     HVGUEST_TIMEOUT_S);

    g_assert_nonnull(line);
    g_test_message("guest: %s", line->text);
}

static void test_storage_hotplug(void)
{
    static const char *const devices[] = { "vmbus-scsi", "scsi-hd", NULL };
    g_autofree char *needle = NULL;
    const HvGuestLine *line;
    QTestState *qts;
    int host_a, host_b;
    guint pos = 0;
    HvGuest *g;

    if (!hvguest_check_requirements("hvpart", devices)) {
        return;
    }
    g = hvguest_start("hvpart",
                      GUEST_MACHINE
                      " -device vmbus-scsi,id=scsi0,instance-id=" CTRL_A
                      " -blockdev driver=null-co,node-name=n0,size=1048576,"
                      "read-zeroes=on"
                      " -device scsi-hd,bus=scsi0.0,lun=0,drive=n0,id=disk0",
                      HVGUEST_CMDLINE_BASE " " GUEST_MODS
                      " hvtest.script=storage hvtest.storage.devices=1"
                      " hvtest.storage.hotplug=2");
    if (!g) {
        return;
    }
    qts = hvguest_qts(g);
    line = hvguest_expect_line(g, "HVTEST: scsi-dev ", HVGUEST_TIMEOUT_S);
    host_a = host_number(line);
    hvguest_expect_line(g, "HVTEST: hotplug-watch", HVGUEST_TIMEOUT_S);
    pos = hvguest_line_count(g);

    /* A disk comes: the controller asks the guest to rescan its bus. */
    add_null_node(qts, "n17");
    qtest_qmp_device_add(qts, "scsi-hd", "disk17",
                         "{'bus': 'scsi0.0', 'lun': 17, 'drive': 'n17'}");
    expect_added(g, &pos, CTRL_A, 17);

    /* A disk goes: the guest finds LUN 0 gone when it rescans. */
    qtest_qmp_device_del(qts, "disk0");
    expect_removed(g, &pos, host_a, 0);

    /*
     * A controller with a disk comes: a new VMBus offer. It is served by
     * an IOThread, into whose context the disk's node moves.
     */
    qtest_qmp_assert_success(qts,
        "{'execute': 'object-add', 'arguments': {"
        " 'qom-type': 'iothread', 'id': 'io1' } }");
    qtest_qmp_device_add(qts, "vmbus-scsi", "scsi1",
                         "{'instance-id': '" CTRL_B "', 'iothread': 'io1'}");
    add_null_node(qts, "n3");
    qtest_qmp_device_add(qts, "scsi-hd", "disk3",
                         "{'bus': 'scsi1.0', 'lun': 3, 'drive': 'n3'}");
    line = expect_added(g, &pos, CTRL_B, 3);
    host_b = host_number(line);
    g_assert_cmpint(host_b, !=, host_a);

    /*
     * ... and goes: its disk first, then the controller, whose offer is
     * rescinded. (Hyper-V never rescinds a SCSI controller that still has
     * disks, and Linux does not survive it: sd_remove() then flushes the
     * disk's cache through a channel it may no longer write to.)
     */
    qtest_qmp_device_del(qts, "disk3");
    expect_removed(g, &pos, host_b, 3);
    qtest_qmp_device_del(qts, "scsi1");
    needle = g_strdup_printf("HVTEST: scsi-host-removed host=host%d", host_b);
    g_assert_nonnull(hvguest_wait_line_from(g, &pos, needle,
                                            HVGUEST_TIMEOUT_S));

    hvguest_expect_line(g, "HVTEST: hotplug-done", HVGUEST_TIMEOUT_S);
    line = hvguest_expect_line(g, "HVTEST: done rc=", HVGUEST_TIMEOUT_S);
    g_assert_nonnull(strstr(line->text, "HVTEST: done rc=0"));
    g_assert_true(hvguest_wait_exit(g, HVGUEST_TIMEOUT_S));
    hvguest_quit(g);
}

#define LOOP_MAJOR_NUMBER 7

/*
 * Attach @file to a free loop device that clears itself when its last
 * user closes it. Returns an open descriptor of the device and its path in
 * *@path (a node made in @dir if /dev lacks it), or -1 with the reason in
 * *@why.
 */
static int loop_attach(const char *file, const char *dir, char **path,
                       char **why)
{
    int ctl, tries;

    ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
    if (ctl < 0) {
        *why = g_strdup_printf("no loop devices (/dev/loop-control: %s)",
                               strerror(errno));
        return -1;
    }
    for (tries = 0; tries < 8; tries++) {
        struct loop_info64 info = { .lo_flags = LO_FLAGS_AUTOCLEAR };
        int n = ioctl(ctl, LOOP_CTL_GET_FREE);
        g_autofree char *p = NULL;
        int dev, fd, err;

        if (n < 0) {
            *why = g_strdup_printf("LOOP_CTL_GET_FREE: %s", strerror(errno));
            break;
        }
        p = g_strdup_printf("/dev/loop%d", n);
        if (access(p, F_OK) < 0) {
            g_free(p);
            p = g_strdup_printf("%s/loop%d", dir, n);
            if (mknod(p, S_IFBLK | 0600,
                      makedev(LOOP_MAJOR_NUMBER, n)) < 0 && errno != EEXIST) {
                *why = g_strdup_printf("mknod %s: %s", p, strerror(errno));
                break;
            }
        }
        dev = open(p, O_RDWR | O_CLOEXEC);
        if (dev < 0) {
            *why = g_strdup_printf("open %s: %s", p, strerror(errno));
            break;
        }
        fd = open(file, O_RDWR | O_CLOEXEC);
        g_assert(fd >= 0);
        err = ioctl(dev, LOOP_SET_FD, fd) < 0 ? errno : 0;
        close(fd);
        if (err == EBUSY) {
            /* Someone else took it meanwhile */
            close(dev);
            continue;
        }
        if (!err) {
            g_strlcpy((char *)info.lo_file_name, file, LO_NAME_SIZE);
            if (ioctl(dev, LOOP_SET_STATUS64, &info) < 0) {
                err = errno;
                ioctl(dev, LOOP_CLR_FD, 0);
            }
        }
        if (err) {
            *why = g_strdup_printf("attaching %s to %s: %s", file, p,
                                   strerror(err));
            close(dev);
            break;
        }
        close(ctl);
        *path = g_steal_pointer(&p);
        return dev;
    }
    if (!*why) {
        *why = g_strdup("no free loop device");
    }
    close(ctl);
    return -1;
}

/* Whether loop device @path has no file attached, waiting up to 30 s */
static bool loop_detached(const char *path)
{
    struct loop_info64 info;
    int i;

    for (i = 0; i < 300; i++) {
        int dev = open(path, O_RDONLY | O_CLOEXEC);
        bool gone;

        if (dev < 0) {
            return true;
        }
        gone = ioctl(dev, LOOP_GET_STATUS64, &info) < 0 && errno == ENXIO;
        close(dev);
        if (gone) {
            return true;
        }
        g_usleep(100 * 1000);
    }
    return false;
}

static void test_storage_passthrough(void)
{
    static const char *const devices[] = { "vmbus-scsi", "scsi-hd", NULL };
    unsigned mb = data_mb();
    g_autoptr(GError) err = NULL;
    g_autofree char *dir = NULL, *file = NULL, *loop = NULL, *why = NULL;
    g_autofree char *args = NULL, *cmdline = NULL, *needle = NULL;
    g_autofree char *written = NULL, *read = NULL, *rc = NULL;
    g_autofree char *host_sha = NULL;
    const HvGuestLine *line;
    int dev, fd;
    HvGuest *g;

    if (!hvguest_check_requirements("hvpart", devices)) {
        return;
    }
    if (geteuid() != 0) {
        g_test_skip("a host block device needs a loop device: not root");
        return;
    }
    dir = g_dir_make_tmp("hvpart-passthrough-XXXXXX", &err);
    g_assert_no_error(err);
    file = g_build_filename(dir, "backing.raw", NULL);
    fd = open(file, O_RDWR | O_CREAT | O_TRUNC, 0600);
    g_assert(fd >= 0);
    g_assert_cmpint(ftruncate(fd, (off_t)mb * MiB), ==, 0);
    close(fd);

    dev = loop_attach(file, dir, &loop, &why);
    if (dev < 0) {
        g_autofree char *msg = g_strdup_printf("no loop device: %s", why);

        unlink(file);
        rmdir(dir);
        g_test_skip(msg);
        return;
    }
    g_test_message("host block device %s on %s", loop, file);

    args = g_strdup_printf(GUEST_MACHINE
                           " -device vmbus-scsi,id=scsi0,instance-id=" CTRL_A
                           " -blockdev driver=host_device,filename=%s,"
                           "node-name=pt,cache.direct=on"
                           " -device scsi-hd,bus=scsi0.0,lun=0,drive=pt",
                           loop);
    cmdline = g_strdup_printf(HVGUEST_CMDLINE_BASE " " GUEST_MODS
                              " hvtest.script=storage hvtest.storage.mb=%u"
                              " hvtest.storage.devices=1", mb);
    g = hvguest_start("hvpart", args, cmdline);
    /*
     * QEMU holds the device open now (or failed to start): drop our
     * reference, so that the device clears itself when QEMU's goes, how
     * ever this test ends.
     */
    close(dev);
    if (!g) {
        g_assert_true(loop_detached(loop));
        unlink(file);
        rmdir(dir);
        return;
    }
    hvguest_expect_line(g, "HVTEST: modprobe hv_storvsc rc=0",
                        HVGUEST_TIMEOUT_S);
    line = hvguest_expect_line(g, "HVTEST: disk-data ",
                               2 * HVGUEST_TIMEOUT_S);
    written = hvguest_line_field(line->text, "written");
    read = hvguest_line_field(line->text, "read");
    rc = hvguest_line_field(line->text, "write-rc");
    g_test_message("guest: %s", line->text);
    g_assert_cmpstr(rc, ==, "0");
    g_assert_cmpstr(written, ==, read);
    line = hvguest_expect_line(g, "HVTEST: done rc=", HVGUEST_TIMEOUT_S);
    g_assert_nonnull(strstr(line->text, "HVTEST: done rc=0"));
    g_assert_true(hvguest_wait_exit(g, HVGUEST_TIMEOUT_S));
    hvguest_quit(g);

    /* QEMU is gone: the loop device with it; its file holds the data. */
    g_assert_true(loop_detached(loop));
    host_sha = hvguest_file_sha256(file, mb);
    g_test_message("%s: host sha256 %s", file, host_sha);
    g_assert_cmpstr(host_sha, ==, written);
    if (!g_str_has_prefix(loop, "/dev/")) {
        unlink(loop);
    }
    unlink(file);
    rmdir(dir);
}

/* /hvpart/storage/migrate */

#define MIG_MB 96

/*
 * The migration guest on @image; with @werror_sector, the source of
 * /hvpart/storage/migrate-werror: blkdebug fails the first write there
 * (EIO), and werror=stop stops the VM with the request held for a retry.
 */
static HvGuest *start_mig_guest(const char *image, bool incoming,
                                int64_t werror_sector)
{
    g_autofree char *args = NULL, *drive = NULL;

    if (werror_sector >= 0) {
        drive = g_strdup_printf("if=none,id=d0,format=raw,werror=stop,"
                                "file.driver=blkdebug,"
                                "file.image.filename=%s,"
                                "file.inject-error.0.event=pwritev,"
                                "file.inject-error.0.errno=5,"
                                "file.inject-error.0.sector=%" PRId64 ","
                                "file.inject-error.0.once=on",
                                image, werror_sector);
    } else {
        drive = g_strdup_printf("if=none,id=d0,file=%s,format=raw", image);
    }
    args = g_strdup_printf(GUEST_MACHINE
                           " -object iothread,id=io0"
                           " -device vmbus-scsi,id=scsi0,iothread=io0,"
                           "instance-id=" CTRL_A
                           " -drive %s"
                           " -device scsi-hd,bus=scsi0.0,lun=0,drive=d0%s",
                           drive, incoming ? " -incoming defer" : "");
    return hvguest_start("hvpart", args,
                         HVGUEST_CMDLINE_BASE " " GUEST_MODS
                         " hvtest.script=storage-migrate"
                         " hvtest.storage.mb=" stringify(MIG_MB));
}

/* A fresh image of MIG_MB MiB in a new temporary directory (*@dir). */
static char *mig_image_new(char **dir)
{
    g_autoptr(GError) err = NULL;
    char *image;
    int fd;

    *dir = g_dir_make_tmp("hvpart-storage-mig-XXXXXX", &err);
    g_assert_no_error(err);
    image = g_build_filename(*dir, "disk.raw", NULL);
    fd = open(image, O_RDWR | O_CREAT | O_TRUNC, 0600);
    g_assert(fd >= 0);
    g_assert_cmpint(ftruncate(fd, (off_t)MIG_MB * MiB), ==, 0);
    close(fd);
    return image;
}

static void mig_image_remove(const char *image, const char *dir)
{
    unlink(image);
    rmdir(dir);
}

/* Migrate @src into @dst through a UNIX socket. */
static void mig_migrate(HvGuest *src, HvGuest *dst)
{
    g_autofree char *sock = NULL, *uri = NULL;

    sock = g_strdup_printf("%s/hvpart-storage-migrate-%d.sock",
                           g_get_tmp_dir(), (int)getpid());
    uri = g_strdup_printf("unix:%s", sock);
    unlink(sock);
    hvguest_migrate(src, dst, uri);
    unlink(sock);
}

/*
 * The guest on @dst ends its writes, and reads back what it wrote (@sha);
 * once both QEMUs quit, the image holds it too.
 */
static void mig_check_data(HvGuest *src, HvGuest *dst, guint *dpos,
                           const char *sha, const char *image)
{
    g_autofree char *written = NULL, *read = NULL, *mb = NULL;
    g_autofree char *host_sha = NULL;
    const HvGuestLine *line;

    line = hvguest_wait_line_from(dst, dpos, "HVTEST: disk-mig-done ",
                                  2 * HVGUEST_TIMEOUT_S);
    g_assert_nonnull(line);
    g_test_message("guest: %s", line->text);
    written = hvguest_line_field(line->text, "written");
    read = hvguest_line_field(line->text, "read");
    g_assert_cmpstr(written, ==, sha);
    g_assert_cmpstr(read, ==, sha);
    mb = g_strdup_printf("HVTEST: disk-mig-mb=%d", MIG_MB);
    g_assert_nonnull(hvguest_find_line(dst, mb));
    g_assert_nonnull(hvguest_wait_line_from(dst, dpos,
                                            "HVTEST: disk-mig-alive",
                                            HVGUEST_TIMEOUT_S));
    hvguest_quit(dst);
    hvguest_quit(src);

    host_sha = hvguest_file_sha256(image, MIG_MB);
    g_test_message("%s: host sha256 %s", image, host_sha);
    g_assert_cmpstr(host_sha, ==, sha);
}

/*
 * Live migration while the guest writes to a disk of a controller served
 * by an IOThread (both QEMUs open the same image file, as with shared
 * storage): the writes go on on the destination, the guest reads back
 * what it wrote, and the image holds it after the destination quits.
 */
static void test_storage_migrate(void)
{
    static const char *const devices[] = { "vmbus-scsi", "scsi-hd", NULL };
    g_autofree char *dir = NULL, *image = NULL, *sha = NULL;
    g_autofree char *before = NULL;
    g_autoptr(GPtrArray) progress = NULL;
    const HvGuestLine *line;
    guint spos = 0, dpos = 0;
    HvGuest *src, *dst;

    if (!hvguest_check_requirements("hvpart", devices)) {
        return;
    }
    image = mig_image_new(&dir);
    src = start_mig_guest(image, false, -1);
    if (!src) {
        mig_image_remove(image, dir);
        return;
    }
    line = hvguest_expect_line(src, "HVTEST: disk-mig-disk ",
                               HVGUEST_TIMEOUT_S);
    g_test_message("guest: %s", line->text);
    sha = hvguest_wait_value(src, "disk-mig-sha256", HVGUEST_TIMEOUT_S);
    g_assert_nonnull(sha);
    /* Migrate once the writes are well under way. */
    g_assert_nonnull(hvguest_wait_line_from(src, &spos,
                                            "HVTEST: disk-mig-mb=8",
                                            HVGUEST_TIMEOUT_S));

    dst = start_mig_guest(image, true, -1);
    g_assert_nonnull(dst);
    mig_migrate(src, dst);
    progress = hvguest_lines_matching(src, "HVTEST: disk-mig-mb=");
    g_assert_cmpuint(progress->len, >, 0);
    before = hvguest_line_field(
        ((HvGuestLine *)g_ptr_array_index(progress, progress->len - 1))->text,
        "disk-mig-mb");
    g_test_message("migrated after %s MiB of %d", before, MIG_MB);
    /* The source stopped before the end: the rest is written after. */
    g_assert_cmpint(atoi(before), <, MIG_MB);

    /* The writes go on, and end, on the destination. */
    mig_check_data(src, dst, &dpos, sha, image);
    mig_image_remove(image, dir);
}

/*
 * A write that failed with werror=stop is held for a retry while the VM
 * is stopped; the stopped VM is migrated and continued on the destination
 * (no injected errors there): the held write is retried there, the guest
 * goes on writing, and reads back what it wrote, as the image holds it.
 */
static void test_storage_migrate_werror(void)
{
    static const char *const devices[] = { "vmbus-scsi", "scsi-hd", NULL };
    g_autofree char *dir = NULL, *image = NULL, *sha = NULL;
    QDict *ev, *rsp;
    guint dpos = 0;
    HvGuest *src, *dst;

    if (!hvguest_check_requirements("hvpart", devices)) {
        return;
    }
    image = mig_image_new(&dir);
    /* The write of the 9th MiB fails. */
    src = start_mig_guest(image, false, 8 * MiB / 512);
    if (!src) {
        mig_image_remove(image, dir);
        return;
    }
    sha = hvguest_wait_value(src, "disk-mig-sha256", HVGUEST_TIMEOUT_S);
    g_assert_nonnull(sha);
    ev = hvguest_wait_event(src, "BLOCK_IO_ERROR", HVGUEST_TIMEOUT_S);
    g_assert_nonnull(ev);
    g_assert_cmpstr(qdict_get_str(qdict_get_qdict(ev, "data"), "action"), ==,
                    "stop");
    qobject_unref(ev);
    rsp = qtest_qmp_assert_success_ref(hvguest_qts(src),
                                       "{'execute': 'query-status'}");
    g_assert_cmpstr(qdict_get_str(rsp, "status"), ==, "io-error");
    qobject_unref(rsp);

    dst = start_mig_guest(image, true, -1);
    g_assert_nonnull(dst);
    mig_migrate(src, dst);
    qtest_qmp_assert_success(hvguest_qts(dst), "{'execute': 'cont'}");
    mig_check_data(src, dst, &dpos, sha, image);
    mig_image_remove(image, dir);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_func("/hvpart/storage/disks", test_storage_disks);
    qtest_add_func("/hvpart/storage/hotplug", test_storage_hotplug);
    qtest_add_func("/hvpart/storage/passthrough", test_storage_passthrough);
    qtest_add_func("/hvpart/storage/migrate", test_storage_migrate);
    qtest_add_func("/hvpart/storage/migrate-werror",
                   test_storage_migrate_werror);
    return g_test_run();
}
