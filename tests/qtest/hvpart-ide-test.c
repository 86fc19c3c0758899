/*
 * Emulated IDE of a Gen1-style hvpart machine (-machine pc: PIIX IDE) with
 * an unmodified Linux guest (Debian 12's 6.1 kernel), and the IDE
 * accelerator channel (vmbus-ide) that offers the IDE disks on the VMBus.
 *
 * /hvpart/ide/smbios: "-accel hvpart,smbios-identity=hyperv" makes SMBIOS
 * type 1 say Microsoft Corporation / Virtual Machine, and a -smbios type=1
 * value of the user's stays (read from fw_cfg, without running the guest).
 *
 * /hvpart/ide/boot-accel: the test builds a disk image with Debian's
 * syslinux (MBR, one FAT partition made with mkfs.fat and mtools, SYSLINUX
 * with the test guest's kernel and initramfs). QEMU gets no -kernel:
 * SeaBIOS boots IDE 0:0, and the guest proves it came from there with a
 * kernel parameter only syslinux.cfg has. With the Hyper-V SMBIOS
 * identity, ata_piix leaves the two IDE disks alone and hv_storvsc drives
 * both through their IDE accelerator channels (target = IDE unit); the
 * guest writes pseudo-random data to the second one (storage.sh) and
 * reads it back with the same sha256, which the host finds in the image
 * after QEMU exits. The IDE CD-ROM stays with ata_piix and reads back the
 * bytes the host put in its image.
 *
 * /hvpart/ide/no-identity: without the identity, ata_piix keeps the IDE
 * disk (and storvsc sees it on the channel too, which takes
 * "ide-accel=on": by default the channels come with the identity only).
 *
 * Environment: as for every hvpart qtest (see hvpart-guest-util.h). Needs
 * mkfs.fat, mcopy, syslinux and /usr/lib/syslinux/mbr/mbr.bin (Debian's
 * dosfstools, mtools, syslinux, syslinux-common) for the boot test.
 *
 * Copyright (c) 2025 qemu-hvpart contributors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "qemu/units.h"
#include "libqtest.h"
#include "libqos/fw_cfg.h"
#include "hvpart-guest-util.h"

#define GUEST_MACHINE "-machine pc -m 1G -smp 2"
#define GUEST_MODS "hvtest.mods=ata_piix,hv_vmbus,hv_storvsc,sd_mod,sr_mod"
#define HYPERV_ACCEL "hvpart,smbios-identity=hyperv"

#define MBR_BIN "/usr/lib/syslinux/mbr/mbr.bin"
#define BOOT_MB 32                      /* boot disk: kernel + initramfs */
#define PART_START 2048                 /* first sector of the partition */
#define DATA_MB 64                      /* data disk and data test size */
#define CD_SECTORS 512                  /* 1 MiB of 2048-byte sectors */
#define BOOT_MARKER "syslinux-disk"

/* Instance GUIDs of the IDE accelerator channels (controller-unit-8899) */
#define IDE_0_0 "00000000-0000-8899-0000-000000000000"
#define IDE_0_1 "00000000-0001-8899-0000-000000000000"

/* SCSI peripheral device types (sysfs "type") */
#define TYPE_DISK 0
#define TYPE_ROM 5

static void run(const char *const *argv)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *out = NULL, *errout = NULL;
    int status;

    g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                 &out, &errout, &status, &err);
    g_assert_no_error(err);
    if (!g_spawn_check_exit_status(status, &err)) {
        g_error("%s: %s%s", argv[0], out, errout);
    }
}

static void file_write_at(const char *path, off_t off, const void *buf,
                          size_t len)
{
    int fd = open(path, O_WRONLY);

    g_assert(fd >= 0);
    g_assert_cmpint(pwrite(fd, buf, len, off), ==, len);
    close(fd);
}

static char *file_create(const char *dir, const char *name, unsigned mb)
{
    char *path = g_build_filename(dir, name, NULL);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);

    g_assert(fd >= 0);
    g_assert_cmpint(ftruncate(fd, (off_t)mb * MiB), ==, 0);
    close(fd);
    return path;
}

/* A file of @len pseudo-random bytes (seeded, so runs compare); its sha256 */
static char *random_file(const char *path, size_t len, char **sha)
{
    g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
    g_autofree uint8_t *buf = g_malloc(len);
    GRand *rand = g_rand_new_with_seed(0x1de);
    size_t i;

    for (i = 0; i < len; i += 4) {
        stl_le_p(buf + i, g_rand_int(rand));
    }
    g_rand_free(rand);
    g_assert(g_file_set_contents(path, (char *)buf, len, NULL));
    g_checksum_update(sum, buf, len);
    *sha = g_strdup(g_checksum_get_string(sum));
    return g_strdup(path);
}

static bool have_boot_tools(void)
{
    static const char *const tools[] = { "mkfs.fat", "mcopy", "syslinux" };
    size_t i;

    for (i = 0; i < ARRAY_SIZE(tools); i++) {
        g_autofree char *p = g_find_program_in_path(tools[i]);

        if (!p) {
            g_test_skip(g_strdup_printf("%s not installed", tools[i]));
            return false;
        }
    }
    if (!g_file_test(MBR_BIN, G_FILE_TEST_EXISTS)) {
        g_test_skip(MBR_BIN " missing (syslinux-common)");
        return false;
    }
    return true;
}

/*
 * A bootable disk: syslinux's MBR, one active FAT16 partition from
 * sector PART_START to the end, SYSLINUX installed in it, the test guest's
 * kernel and initramfs, and a syslinux.cfg that boots them with @append.
 * Made without mounting: mkfs.fat and syslinux take the partition's
 * offset, mtools copies the files.
 */
static char *boot_image_create(const char *dir, const char *append)
{
    g_autofree char *assets = hvguest_assets_dir();
    g_autofree char *kernel = g_build_filename(assets, "vmlinuz", NULL);
    g_autofree char *initrd = g_build_filename(assets, "initramfs.cpio.gz",
                                               NULL);
    g_autofree char *cfg = g_build_filename(dir, "syslinux.cfg", NULL);
    g_autofree char *cfg_text = NULL;
    g_autofree char *mbr = NULL;
    g_autofree char *img_at = NULL;
    g_autofree char *blocks = g_strdup_printf("%u",
                                              BOOT_MB * 1024 - PART_START / 2);
    g_autofree char *offset = g_strdup_printf("%u", PART_START * 512);
    g_autofree char *start = g_strdup_printf("%u", PART_START);
    char *img = file_create(dir, "boot.img", BOOT_MB);
    uint8_t entry[16] = { 0 };
    static const uint8_t sig[2] = { 0x55, 0xaa };
    gsize mbr_len;

    /* MBR: boot code, then the partition table's first entry */
    g_assert(g_file_get_contents(MBR_BIN, &mbr, &mbr_len, NULL));
    g_assert_cmpuint(mbr_len, <=, 440);
    file_write_at(img, 0, mbr, mbr_len);
    entry[0] = 0x80;                        /* active */
    entry[1] = 0xfe;                        /* CHS: use the LBA fields */
    entry[2] = 0xff;
    entry[3] = 0xff;
    entry[4] = 0x0e;                        /* FAT16, LBA */
    entry[5] = 0xfe;
    entry[6] = 0xff;
    entry[7] = 0xff;
    stl_le_p(entry + 8, PART_START);
    stl_le_p(entry + 12, BOOT_MB * 2048 - PART_START);
    file_write_at(img, 446, entry, sizeof(entry));
    file_write_at(img, 510, sig, sizeof(sig));

    {
        const char *mkfs[] = {
            "mkfs.fat", "-F", "16", "-n", "HVBOOT", "--offset", start,
            "-h", start, img, blocks, NULL
        };
        const char *sl[] = {
            "syslinux", "--offset", offset, "--install", img, NULL
        };

        run(mkfs);
        run(sl);
    }
    cfg_text = g_strdup_printf("DEFAULT hvtest\n"
                               "PROMPT 0\n"
                               "TIMEOUT 0\n"
                               "LABEL hvtest\n"
                               "  KERNEL vmlinuz\n"
                               "  INITRD initramfs.cpio.gz\n"
                               "  APPEND %s\n", append);
    g_assert(g_file_set_contents(cfg, cfg_text, -1, NULL));
    img_at = g_strdup_printf("%s@@%s", img, offset);
    {
        const char *cp[] = {
            "mcopy", "-i", img_at, kernel, initrd, cfg, "::", NULL
        };

        run(cp);
    }
    unlink(cfg);
    return img;
}

/* The first "HVTEST: @what" line whose field @key is @value, or NULL */
static const HvGuestLine *find_line_with(HvGuest *g, const char *what,
                                         const char *key, const char *value)
{
    g_autoptr(GPtrArray) lines = hvguest_lines_matching(g, what);
    guint i;

    for (i = 0; i < lines->len; i++) {
        const HvGuestLine *line = g_ptr_array_index(lines, i);
        g_autofree char *v = hvguest_line_field(line->text, key);

        if (v && g_str_equal(v, value)) {
            return line;
        }
    }
    return NULL;
}

static void log_lines(HvGuest *g, const char *what)
{
    g_autoptr(GPtrArray) lines = hvguest_lines_matching(g, what);
    guint i;

    for (i = 0; i < lines->len; i++) {
        g_test_message("guest: %s",
                       ((HvGuestLine *)g_ptr_array_index(lines, i))->text);
    }
}

static void assert_field(const HvGuestLine *line, const char *key,
                         const char *value)
{
    g_autofree char *v = hvguest_line_field(line->text, key);

    g_assert_cmpstr(v, ==, value);
}

/* hctl "H:C:T:L" ends in ":@c:@t:@l" */
static void assert_ctl(const HvGuestLine *line, int c, int t, int l)
{
    g_autofree char *hctl = hvguest_line_field(line->text, "hctl");
    g_autofree char *ctl = g_strdup_printf(":%d:%d:%d", c, t, l);

    g_assert_nonnull(hctl);
    g_assert_true(g_str_has_suffix(hctl, ctl));
}

static void test_ide_boot_accel(void)
{
    static const char *const devices[] = {
        "ide-hd", "ide-cd", "vmbus-scsi", "scsi-hd", NULL
    };
    g_autoptr(GError) err = NULL;
    g_autofree char *dir = NULL;
    g_autofree char *append = NULL;
    g_autofree char *boot = NULL, *data = NULL, *cd = NULL;
    g_autofree char *cd_sha = NULL, *args = NULL, *host_sha = NULL;
    g_autofree char *written = NULL, *read = NULL, *needle = NULL;
    g_autofree char *cd_path = NULL, *d01_hctl = NULL;
    g_autoptr(GPtrArray) devs = NULL;
    const HvGuestLine *line, *d00, *d01;
    HvGuest *g;

    if (!hvguest_check_requirements("hvpart", devices) ||
        !have_boot_tools()) {
        return;
    }
    dir = g_dir_make_tmp("hvpart-ide-XXXXXX", &err);
    g_assert_no_error(err);

    /*
     * Devices: the boot disk and the CD-ROM, the ATA disks ignored; the
     * storage.sh data test takes the disks of DATA_MB and more (only the
     * data disk: the boot disk is smaller).
     */
    append = g_strdup_printf(HVGUEST_CMDLINE_BASE " " GUEST_MODS
                             " hvtest.script=ide hvtest.ide.boot="
                             BOOT_MARKER " hvtest.ide.devices=3"
                             " hvtest.ide.cd-sectors=%u hvtest.ide.data=1"
                             " hvtest.storage.mb=%u"
                             " hvtest.storage.devices=3",
                             CD_SECTORS, DATA_MB);
    boot = boot_image_create(dir, append);
    data = file_create(dir, "data.img", DATA_MB);
    cd_path = g_build_filename(dir, "cd.iso", NULL);
    cd = random_file(cd_path, CD_SECTORS * 2048, &cd_sha);

    /*
     * IDE 0:0 from -device ide-hd, IDE 0:1 from -drive if=ide, the CD-ROM
     * at 1:0 as on Hyper-V. No -kernel: SeaBIOS boots 0:0.
     */
    args = g_strdup_printf(GUEST_MACHINE
        " -drive if=none,id=boot,file=%s,format=raw"
        " -device ide-hd,drive=boot,bus=ide.0,unit=0"
        " -drive if=ide,index=1,file=%s,format=raw"
        " -drive if=none,id=cd,file=%s,format=raw,media=cdrom,readonly=on"
        " -device ide-cd,drive=cd,bus=ide.1,unit=0",
        boot, data, cd);
    g = hvguest_start_kernel(HYPERV_ACCEL, NULL, args);

    /* Booted from the disk: the parameter only syslinux.cfg has */
    hvguest_expect_line(g, "HVTEST: ide-boot=" BOOT_MARKER,
                        HVGUEST_TIMEOUT_S);
    line = hvguest_expect_line(g, "HVTEST: ide-smbios ", HVGUEST_TIMEOUT_S);
    assert_field(line, "vendor", "Microsoft_Corporation");
    assert_field(line, "product", "Virtual_Machine");
    hvguest_expect_line(g, "HVTEST: ide-ata-ignore=1", HVGUEST_TIMEOUT_S);

    /* Devices: both disks through storvsc, the CD-ROM through ata_piix */
    hvguest_expect_line(g, "HVTEST: ide-devices=", HVGUEST_TIMEOUT_S);
    log_lines(g, "HVTEST: ide-vmbus ");
    log_lines(g, "HVTEST: ide-dev ");
    line = find_line_with(g, "HVTEST: ide-vmbus ", "id", IDE_0_0);
    g_assert_nonnull(line);
    assert_field(line, "driver", "hv_storvsc");
    line = find_line_with(g, "HVTEST: ide-vmbus ", "id", IDE_0_1);
    g_assert_nonnull(line);
    assert_field(line, "driver", "hv_storvsc");
    d00 = find_line_with(g, "HVTEST: ide-dev ", "controller", IDE_0_0);
    g_assert_nonnull(d00);
    assert_field(d00, "via", "vmbus");
    assert_field(d00, "type", G_STRINGIFY(TYPE_DISK));
    assert_ctl(d00, 0, 0, 0);
    d01 = find_line_with(g, "HVTEST: ide-dev ", "controller", IDE_0_1);
    g_assert_nonnull(d01);
    assert_field(d01, "via", "vmbus");
    assert_ctl(d01, 0, 1, 0);
    line = find_line_with(g, "HVTEST: ide-dev ", "via", "ata");
    g_assert_nonnull(line);
    assert_field(line, "type", G_STRINGIFY(TYPE_ROM));
    devs = hvguest_lines_matching(g, "HVTEST: ide-dev ");
    g_assert_cmpint(devs->len, ==, 3);

    /* The CD-ROM's bytes */
    line = hvguest_expect_line(g, "HVTEST: ide-cd ", HVGUEST_TIMEOUT_S);
    g_test_message("guest: %s", line->text);
    assert_field(line, "sha256", cd_sha);

    /* Data through the IDE channel of 0:1 */
    d01_hctl = hvguest_line_field(d01->text, "hctl");
    needle = g_strdup_printf("HVTEST: disk-data hctl=%s ", d01_hctl);
    line = hvguest_expect_line(g, needle, 2 * HVGUEST_TIMEOUT_S);
    g_test_message("guest: %s", line->text);
    written = hvguest_line_field(line->text, "written");
    read = hvguest_line_field(line->text, "read");
    assert_field(line, "write-rc", "0");
    g_assert_nonnull(written);
    g_assert_cmpstr(written, ==, read);
    hvguest_expect_line(g, "HVTEST: done rc=0", 2 * HVGUEST_TIMEOUT_S);
    g_assert_true(hvguest_wait_exit(g, HVGUEST_TIMEOUT_S));
    hvguest_quit(g);

    /* On the host, from the image */
    host_sha = hvguest_file_sha256(data, DATA_MB);
    g_assert_cmpstr(host_sha, ==, written);

    unlink(boot);
    unlink(data);
    unlink(cd);
    rmdir(dir);
}

static void test_ide_no_identity(void)
{
    static const char *const devices[] = { "ide-hd", NULL };
    g_autoptr(GError) err = NULL;
    g_autofree char *dir = NULL;
    g_autofree char *disk = NULL, *args = NULL;
    const HvGuestLine *line;
    HvGuest *g;

    if (!hvguest_check_requirements("hvpart", devices)) {
        return;
    }
    dir = g_dir_make_tmp("hvpart-ide-XXXXXX", &err);
    g_assert_no_error(err);
    disk = file_create(dir, "disk.img", 16);
    args = g_strdup_printf(GUEST_MACHINE
                           " -drive if=ide,index=0,file=%s,format=raw", disk);
    g = hvguest_start("hvpart,ide-accel=on", args,
                      HVGUEST_CMDLINE_BASE " " GUEST_MODS
                      " hvtest.script=ide hvtest.ide.devices=2");
    if (!g) {
        return;
    }
    line = hvguest_expect_line(g, "HVTEST: ide-smbios ", HVGUEST_TIMEOUT_S);
    g_test_message("guest: %s", line->text);
    assert_field(line, "vendor", "QEMU");
    hvguest_expect_line(g, "HVTEST: ide-ata-ignore=0", HVGUEST_TIMEOUT_S);
    hvguest_expect_line(g, "HVTEST: ide-devices=", HVGUEST_TIMEOUT_S);
    log_lines(g, "HVTEST: ide-dev ");

    /* ata_piix has the disk; the channel shows it to storvsc as well. */
    line = find_line_with(g, "HVTEST: ide-dev ", "via", "ata");
    g_assert_nonnull(line);
    assert_field(line, "type", G_STRINGIFY(TYPE_DISK));
    line = find_line_with(g, "HVTEST: ide-dev ", "controller", IDE_0_0);
    g_assert_nonnull(line);
    assert_field(line, "via", "vmbus");
    hvguest_expect_line(g, "HVTEST: done rc=0", HVGUEST_TIMEOUT_S);
    hvguest_quit(g);

    unlink(disk);
    rmdir(dir);
}

/*
 * The strings of the first SMBIOS structure of @type in @tables: @nstr
 * string indexes at @offsets of its formatted area, into @out.
 */
static void smbios_strings(const uint8_t *tables, size_t len, uint8_t type,
                           const uint8_t *offsets, int nstr, char **out)
{
    size_t pos = 0;
    int i;

    while (pos + 4 <= len) {
        uint8_t t = tables[pos], flen = tables[pos + 1];
        size_t s = pos + flen, end = s;

        g_assert_cmpuint(flen, >=, 4);
        /* The string set ends with two NULs. */
        while (end + 1 < len && (tables[end] || tables[end + 1])) {
            end++;
        }
        if (t == type) {
            for (i = 0; i < nstr; i++) {
                uint8_t idx = tables[pos + offsets[i]];
                const char *str = (const char *)tables + s;
                int k;

                out[i] = NULL;
                for (k = 1; idx && k < idx; k++) {
                    str += strlen(str) + 1;
                }
                if (idx) {
                    out[i] = g_strdup(str);
                }
            }
            return;
        }
        pos = end + 2;
    }
    g_error("no SMBIOS type %u structure", type);
}

static void smbios_type1(const char *accel, const char *extra, char **out)
{
    static const uint8_t offsets[] = { 4, 5 };  /* manufacturer, product */
    QTestState *qts;
    QFWCFG *fw;
    g_autofree uint8_t *tables = g_malloc(64 * KiB);
    size_t len;

    qts = qtest_initf("-accel %s -nodefaults -S -machine pc %s", accel,
                      extra);
    fw = pc_fw_cfg_init(qts);
    len = qfw_cfg_get_file(fw, "etc/smbios/smbios-tables", tables, 64 * KiB);
    g_assert_cmpuint(len, >, 0);
    g_assert_cmpuint(len, <=, 64 * KiB);
    smbios_strings(tables, len, 1, offsets, 2, out);
    pc_fw_cfg_uninit(fw);
    qtest_quit(qts);
}

static void test_ide_smbios(void)
{
    char *s[2];

    if (!hvguest_check_requirements("hvpart", NULL)) {
        return;
    }
    smbios_type1(HYPERV_ACCEL, "", s);
    g_assert_cmpstr(s[0], ==, "Microsoft Corporation");
    g_assert_cmpstr(s[1], ==, "Virtual Machine");
    g_free(s[0]);
    g_free(s[1]);

    /* What the user says wins. */
    smbios_type1(HYPERV_ACCEL, "-smbios type=1,product=Contoso", s);
    g_assert_cmpstr(s[0], ==, "Microsoft Corporation");
    g_assert_cmpstr(s[1], ==, "Contoso");
    g_free(s[0]);
    g_free(s[1]);

    /* Without the option: QEMU's */
    smbios_type1("hvpart", "", s);
    g_assert_cmpstr(s[0], ==, "QEMU");
    g_free(s[0]);
    g_free(s[1]);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_func("/hvpart/ide/smbios", test_ide_smbios);
    qtest_add_func("/hvpart/ide/boot-accel", test_ide_boot_accel);
    qtest_add_func("/hvpart/ide/no-identity", test_ide_no_identity);
    return g_test_run();
}
