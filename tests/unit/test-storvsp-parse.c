/*
 * Unit tests of the vstor packet parser (hw/storvsc-vsp/storvsp-parse.c):
 * packet framing, protocol versions, the initialization state machine,
 * SRB checks, GPA_DIRECT range lists and the IDE channel's one address.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "hw/vmbus/vmbus-proto.h"
#include "hw/storvsc-vsp/storvsp-parse.h"

#define MAX_XFER (1024 * 1024)

/* A ring packet as the VMBus layer hands it over: descriptor, then bytes */
typedef struct TestPacket {
    VMBusRingPacket pkt;
    uint8_t data[4096];
    uint32_t len;
} TestPacket;

/*
 * Build a packet of @type with @payload (@plen bytes) after @ext (@elen
 * bytes: for GPA_DIRECT the header and ranges, without the descriptor).
 */
static void packet_build(TestPacket *t, uint16_t type, uint16_t flags,
                         const void *ext, uint32_t elen,
                         const void *payload, uint32_t plen)
{
    uint32_t off = ROUND_UP(sizeof(VMBusPacketDesc) + elen, 8);

    memset(t, 0, sizeof(*t));
    g_assert_cmpuint(off + plen, <=, sizeof(t->data));
    t->pkt.type = type;
    t->pkt.flags = flags;
    t->pkt.trans_id = 0x1234;
    t->pkt.data_offset = off;
    t->pkt.len = off + plen;
    stw_le_p(t->data, type);
    if (elen) {
        memcpy(t->data + sizeof(VMBusPacketDesc), ext, elen);
    }
    memcpy(t->data + off, payload, plen);
    t->len = off + plen;
}

static void inband(TestPacket *t, const StorvspPacket *p, uint32_t plen)
{
    packet_build(t, VMBUS_PKT_INBAND, VMBUS_PKT_FLAG_COMPLETION_REQUESTED,
                 NULL, 0, p, plen);
}

/* GPA_DIRECT range list: @n ranges of (offset, count, first pfn...) */
typedef struct TestRange {
    uint32_t offset;
    uint32_t count;
    uint64_t pfn0;              /* pfns pfn0, pfn0 + 1, ... */
    int npfns;                  /* -1: as many as the range needs */
} TestRange;

static uint32_t ranges_build(uint8_t *buf, const TestRange *r, uint32_t n,
                             uint32_t count_field)
{
    uint32_t pos = sizeof(VMBusGpaDirectHeader), i;
    int j, npfns;

    memset(buf, 0, sizeof(VMBusGpaDirectHeader));
    stl_le_p(buf + offsetof(VMBusGpaDirectHeader, rangecount), count_field);
    for (i = 0; i < n; i++) {
        stl_le_p(buf + pos, r[i].count);
        stl_le_p(buf + pos + 4, r[i].offset);
        pos += sizeof(VMBusGpaRange);
        npfns = r[i].npfns >= 0 ? r[i].npfns :
                (int)DIV_ROUND_UP((uint64_t)r[i].offset + r[i].count, 4096);
        for (j = 0; j < npfns; j++) {
            stq_le_p(buf + pos, r[i].pfn0 + j);
            pos += 8;
        }
    }
    return pos;
}

static void gpa_direct(TestPacket *t, const TestRange *r, uint32_t n,
                       const StorvspPacket *p, uint32_t plen)
{
    uint8_t ext[1024];
    uint32_t elen = ranges_build(ext, r, n, n);

    packet_build(t, VMBUS_PKT_GPA_DIRECT,
                 VMBUS_PKT_FLAG_COMPLETION_REQUESTED, ext, elen, p, plen);
}

static StorvspPacket srb_packet(uint8_t path, uint8_t target, uint8_t lun,
                                uint8_t cdb_len, uint32_t data_len)
{
    StorvspPacket p = { 0 };

    p.operation = cpu_to_le32(STORVSP_OP_EXECUTE_SRB);
    p.flags = cpu_to_le32(STORVSP_FLAG_REQUEST_COMPLETION);
    p.srb.length = cpu_to_le16(STORVSP_SRB_SIZE);
    p.srb.path_id = path;
    p.srb.target_id = target;
    p.srb.lun = lun;
    p.srb.cdb_length = cdb_len;
    p.srb.cdb[0] = 0x28;                /* READ(10) */
    p.srb.data_in = STORVSP_DATA_IN;
    p.srb.data_transfer_length = cpu_to_le32(data_len);
    return p;
}

static void test_versions(void)
{
    g_assert_true(storvsp_version_supported(STORVSP_VERSION(6, 2)));
    g_assert_true(storvsp_version_supported(STORVSP_VERSION(6, 0)));
    g_assert_true(storvsp_version_supported(STORVSP_VERSION(5, 1)));
    g_assert_false(storvsp_version_supported(STORVSP_VERSION(4, 2)));
    g_assert_false(storvsp_version_supported(STORVSP_VERSION(2, 0)));
    g_assert_false(storvsp_version_supported(0));
    g_assert_false(storvsp_version_supported(0xffff));

    g_assert_cmpuint(storvsp_srb_size(STORVSP_VERSION(6, 2)), ==, 52);
    g_assert_cmpuint(storvsp_srb_size(STORVSP_VERSION(4, 2)), ==, 36);
    /* Before a version: the guest's size, clamped to 48..64 */
    g_assert_cmpuint(storvsp_answer_len(0, 64), ==, 64);
    g_assert_cmpuint(storvsp_answer_len(0, 48), ==, 48);
    g_assert_cmpuint(storvsp_answer_len(0, 12), ==, 48);
    g_assert_cmpuint(storvsp_answer_len(0, 4000), ==, 64);
    /* After: the version's */
    g_assert_cmpuint(storvsp_answer_len(STORVSP_VERSION(6, 2), 48), ==, 64);
}

static void test_packet_framing(void)
{
    StorvspPacket p = { 0 }, req;
    TestPacket t;
    uint32_t rlen;
    const char *why = NULL;

    p.operation = cpu_to_le32(STORVSP_OP_BEGIN_INITIALIZATION);
    inband(&t, &p, sizeof(p));
    g_assert_cmpint(storvsp_parse_packet(&t.pkt, t.data, t.len, &req, &rlen,
                                         &why), ==, 0);
    g_assert_cmpuint(rlen, ==, 64);
    g_assert_cmpuint(le32_to_cpu(req.operation), ==,
                     STORVSP_OP_BEGIN_INITIALIZATION);

    /* A short packet reads as zeroes beyond its end. */
    memset(&p, 0xff, sizeof(p));
    p.operation = cpu_to_le32(STORVSP_OP_QUERY_PROPERTIES);
    inband(&t, &p, 16);
    g_assert_cmpint(storvsp_parse_packet(&t.pkt, t.data, t.len, &req, &rlen,
                                         &why), ==, 0);
    g_assert_cmpuint(rlen, ==, 16);
    g_assert_cmpuint(req.body[4], ==, 0);
    g_assert_cmpuint(req.body[3], ==, 0xff);

    /* Shorter than a header: answered with an error */
    inband(&t, &p, 8);
    g_assert_cmpint(storvsp_parse_packet(&t.pkt, t.data, t.len, &req, &rlen,
                                         &why), ==, -EINVAL);
    g_assert_nonnull(why);

    /* No completion wanted, or a completion: dropped */
    packet_build(&t, VMBUS_PKT_INBAND, 0, NULL, 0, &p, sizeof(p));
    g_assert_cmpint(storvsp_parse_packet(&t.pkt, t.data, t.len, &req, &rlen,
                                         &why), ==, -EBADMSG);
    packet_build(&t, VMBUS_PKT_COMP, VMBUS_PKT_FLAG_COMPLETION_REQUESTED,
                 NULL, 0, &p, sizeof(p));
    g_assert_cmpint(storvsp_parse_packet(&t.pkt, t.data, t.len, &req, &rlen,
                                         &why), ==, -EBADMSG);

    /* A payload offset outside the packet */
    inband(&t, &p, sizeof(p));
    t.pkt.data_offset = t.len + 8;
    g_assert_cmpint(storvsp_parse_packet(&t.pkt, t.data, t.len, &req, &rlen,
                                         &why), ==, -EBADMSG);
    t.pkt.data_offset = 8;
    g_assert_cmpint(storvsp_parse_packet(&t.pkt, t.data, t.len, &req, &rlen,
                                         &why), ==, -EBADMSG);

    /* A control operation with GPA ranges */
    {
        TestRange r = { 0, 512, 0x100, -1 };

        p.operation = cpu_to_le32(STORVSP_OP_END_INITIALIZATION);
        gpa_direct(&t, &r, 1, &p, sizeof(p));
        g_assert_cmpint(storvsp_parse_packet(&t.pkt, t.data, t.len, &req,
                                             &rlen, &why), ==, -EINVAL);
    }
}

/* Run a control operation on @ss; returns the answer's status. */
static uint32_t control(StorvspSession *ss, uint16_t chan, uint32_t op,
                        uint16_t arg, uint16_t cap, StorvspControlResult *res)
{
    StorvspPacket p = { 0 }, answer;
    StorvspControlResult r;

    p.operation = cpu_to_le32(op);
    if (op == STORVSP_OP_QUERY_PROTOCOL_VERSION) {
        p.version.major_minor = cpu_to_le16(arg);
    } else if (op == STORVSP_OP_CREATE_SUB_CHANNELS) {
        p.sub_channels.count = cpu_to_le16(arg);
    }
    storvsp_control_step(ss, chan, &p, sizeof(p), cap, MAX_XFER, &answer,
                         &r);
    g_assert_cmpuint(le32_to_cpu(answer.operation), ==,
                     STORVSP_OP_COMPLETE_IO);
    g_assert_cmpuint(le32_to_cpu(answer.status), ==, r.status);
    g_assert_cmpuint(r.answer_len, >=, STORVSP_PACKET_SIZE_PRE_WIN8);
    g_assert_cmpuint(r.answer_len, <=, STORVSP_PACKET_SIZE);
    if (op == STORVSP_OP_QUERY_PROPERTIES && !r.status) {
        g_assert_cmpuint(le16_to_cpu(answer.properties.max_channel_count), ==,
                         cap);
        g_assert_cmpuint(le32_to_cpu(answer.properties.max_transfer_bytes),
                         ==, MAX_XFER);
        g_assert_cmpuint(le32_to_cpu(answer.properties.flags), ==,
                         cap ? STORVSP_PROPERTY_MULTI_CHANNEL : 0);
    }
    if (res) {
        *res = r;
    }
    return r.status;
}

static void test_control_sequence(void)
{
    StorvspSession ss = { 0 };
    StorvspControlResult r;

    /* Out of order before BEGIN */
    g_assert_cmpuint(control(&ss, 0, STORVSP_OP_QUERY_PROTOCOL_VERSION,
                             STORVSP_VERSION(6, 2), 3, NULL), ==,
                     STORVSP_STATUS_INVALID_DEVICE_STATE);
    g_assert_cmpuint(control(&ss, 0, STORVSP_OP_END_INITIALIZATION, 0, 3,
                             NULL), ==, STORVSP_STATUS_INVALID_DEVICE_STATE);
    g_assert_cmpuint(control(&ss, 0, STORVSP_OP_RESET_BUS, 0, 3, NULL), ==,
                     STORVSP_STATUS_INVALID_DEVICE_STATE);

    /* Linux 6.1's sequence */
    g_assert_cmpuint(control(&ss, 0, STORVSP_OP_BEGIN_INITIALIZATION, 0, 3,
                             NULL), ==, 0);
    g_assert_cmpuint(ss.init_state, ==, STORVSP_INIT_VERSION);
    g_assert_cmpuint(control(&ss, 0, STORVSP_OP_QUERY_PROPERTIES, 0, 3,
                             NULL), ==, STORVSP_STATUS_INVALID_DEVICE_STATE);
    g_assert_cmpuint(control(&ss, 0, STORVSP_OP_QUERY_PROTOCOL_VERSION,
                             STORVSP_VERSION(7, 0), 3, &r), ==,
                     STORVSP_STATUS_REVISION_MISMATCH);
    g_assert_true(r.version_asked);
    g_assert_cmpuint(ss.version, ==, 0);
    g_assert_cmpuint(control(&ss, 0, STORVSP_OP_QUERY_PROTOCOL_VERSION,
                             STORVSP_VERSION(6, 2), 3, NULL), ==, 0);
    g_assert_cmpuint(ss.version, ==, STORVSP_VERSION(6, 2));
    g_assert_cmpuint(control(&ss, 0, STORVSP_OP_QUERY_PROPERTIES, 0, 3,
                             NULL), ==, 0);
    g_assert_cmpuint(control(&ss, 0, STORVSP_OP_CREATE_SUB_CHANNELS, 2, 3,
                             NULL), ==, STORVSP_STATUS_INVALID_DEVICE_STATE);
    g_assert_cmpuint(control(&ss, 0, STORVSP_OP_END_INITIALIZATION, 0, 3,
                             NULL), ==, 0);
    g_assert_cmpuint(ss.init_state, ==, STORVSP_INIT_READY);

    /* Sub-channels: 1..cap */
    g_assert_cmpuint(control(&ss, 0, STORVSP_OP_CREATE_SUB_CHANNELS, 0, 3,
                             NULL), ==, STORVSP_STATUS_INVALID_PARAMETER);
    g_assert_cmpuint(control(&ss, 0, STORVSP_OP_CREATE_SUB_CHANNELS, 4, 3,
                             NULL), ==, STORVSP_STATUS_INVALID_PARAMETER);
    g_assert_cmpuint(control(&ss, 0, STORVSP_OP_CREATE_SUB_CHANNELS, 3, 3,
                             &r), ==, 0);
    g_assert_cmpuint(r.offer, ==, 3);
    /* The IDE channel: no sub-channels at all */
    g_assert_cmpuint(control(&ss, 0, STORVSP_OP_CREATE_SUB_CHANNELS, 1, 0,
                             &r), ==, STORVSP_STATUS_INVALID_PARAMETER);
    g_assert_cmpuint(r.offer, ==, 0);

    /* Sub-channels carry resets only */
    g_assert_cmpuint(control(&ss, 1, STORVSP_OP_BEGIN_INITIALIZATION, 0, 3,
                             NULL), ==, STORVSP_STATUS_INVALID_DEVICE_STATE);
    g_assert_cmpuint(control(&ss, 1, STORVSP_OP_RESET_LUN, 0, 3, NULL), ==,
                     0);
    /* No second BEGIN while ready; host-only and unknown operations */
    g_assert_cmpuint(control(&ss, 0, STORVSP_OP_BEGIN_INITIALIZATION, 0, 3,
                             NULL), ==, STORVSP_STATUS_INVALID_DEVICE_STATE);
    g_assert_cmpuint(control(&ss, 0, STORVSP_OP_ENUMERATE_BUS, 0, 3, NULL),
                     ==, STORVSP_STATUS_INVALID_DEVICE_REQUEST);
    g_assert_cmpuint(control(&ss, 0, STORVSP_OP_COMPLETE_IO, 0, 3, NULL),
                     ==, STORVSP_STATUS_INVALID_DEVICE_REQUEST);
    g_assert_cmpuint(control(&ss, 0, 0, 0, 3, NULL), ==,
                     STORVSP_STATUS_INVALID_DEVICE_REQUEST);
    g_assert_cmpuint(control(&ss, 0, 0xdeadbeef, 0, 3, NULL), ==,
                     STORVSP_STATUS_INVALID_DEVICE_REQUEST);
    g_assert_cmpuint(ss.init_state, ==, STORVSP_INIT_READY);
}

static void test_control_short_version(void)
{
    StorvspSession ss = { .init_state = STORVSP_INIT_VERSION };
    StorvspPacket p = { 0 }, answer;
    StorvspControlResult r;

    p.operation = cpu_to_le32(STORVSP_OP_QUERY_PROTOCOL_VERSION);
    p.version.major_minor = cpu_to_le16(STORVSP_VERSION(6, 2));
    storvsp_control_step(&ss, 0, &p, STORVSP_PACKET_HEADER_SIZE + 1, 0,
                         MAX_XFER, &answer, &r);
    g_assert_cmpuint(r.status, ==, STORVSP_STATUS_INVALID_PARAMETER);
    g_assert_cmpuint(ss.version, ==, 0);
}

static StorvspSession ready_session(void)
{
    StorvspSession ss = {
        .init_state = STORVSP_INIT_READY,
        .version = STORVSP_VERSION(6, 2),
    };

    return ss;
}

static int srb_check(const StorvspSession *ss, TestPacket *t,
                     uint32_t *data_len, uint32_t *status, const char **why)
{
    StorvspPacket req;
    StorvspGpaList gpas;
    uint32_t rlen;

    g_assert_cmpint(storvsp_parse_packet(&t->pkt, t->data, t->len, &req,
                                         &rlen, why), ==, 0);
    return storvsp_parse_srb(ss, MAX_XFER, &t->pkt, t->data, &req, rlen,
                             &gpas, data_len, status, why);
}

static void test_srb(void)
{
    StorvspSession ss = ready_session();
    StorvspSession early = { .init_state = STORVSP_INIT_END,
                             .version = STORVSP_VERSION(6, 2) };
    StorvspPacket p;
    TestPacket t;
    TestRange r2[2] = { { 512, 3584, 0x100, -1 }, { 0, 8192, 0x200, -1 } };
    uint32_t data_len, status;
    const char *why;

    /* Good: 11776 bytes in two ranges, 8192 wanted */
    p = srb_packet(0, 0, 0, 10, 8192);
    gpa_direct(&t, r2, 2, &p, sizeof(p));
    g_assert_cmpint(srb_check(&ss, &t, &data_len, &status, &why), ==, 0);
    g_assert_cmpuint(data_len, ==, 8192);
    g_assert_cmpuint(status, ==, STORVSP_STATUS_SUCCESS);

    /* Before READY */
    g_assert_cmpint(srb_check(&early, &t, &data_len, &status, &why), ==,
                    -EINVAL);
    g_assert_cmpuint(status, ==, STORVSP_STATUS_INVALID_DEVICE_STATE);

    /* More than the ranges hold */
    p = srb_packet(0, 0, 0, 10, 16384);
    gpa_direct(&t, r2, 2, &p, sizeof(p));
    g_assert_cmpint(srb_check(&ss, &t, &data_len, &status, &why), ==,
                    -EINVAL);
    g_assert_cmpstr(why, ==, "data length beyond the GPA ranges");

    /* Beyond the maximum transfer */
    p = srb_packet(0, 0, 0, 10, MAX_XFER + 1);
    gpa_direct(&t, r2, 2, &p, sizeof(p));
    g_assert_cmpint(srb_check(&ss, &t, &data_len, &status, &why), ==,
                    -EINVAL);
    g_assert_cmpuint(status, ==, STORVSP_STATUS_INVALID_PARAMETER);

    /* CDB lengths 0 and 17 */
    p = srb_packet(0, 0, 0, 0, 0);
    inband(&t, &p, sizeof(p));
    g_assert_cmpint(srb_check(&ss, &t, &data_len, &status, &why), ==,
                    -EINVAL);
    p = srb_packet(0, 0, 0, 17, 0);
    inband(&t, &p, sizeof(p));
    g_assert_cmpint(srb_check(&ss, &t, &data_len, &status, &why), ==,
                    -EINVAL);

    /* No data without ranges is fine; data without ranges is not */
    p = srb_packet(0, 0, 0, 6, 0);
    inband(&t, &p, sizeof(p));
    g_assert_cmpint(srb_check(&ss, &t, &data_len, &status, &why), ==, 0);
    g_assert_cmpuint(data_len, ==, 0);
    p = srb_packet(0, 0, 0, 6, 512);
    inband(&t, &p, sizeof(p));
    g_assert_cmpint(srb_check(&ss, &t, &data_len, &status, &why), ==,
                    -EINVAL);

    /* A pre-5.1 sized SRB under protocol 6.2 */
    p = srb_packet(0, 0, 0, 6, 0);
    inband(&t, &p, STORVSP_PACKET_SIZE_PRE_WIN8);
    g_assert_cmpint(srb_check(&ss, &t, &data_len, &status, &why), ==,
                    -EINVAL);
    g_assert_cmpstr(why, ==, "SRB shorter than the protocol version's");
}

static void test_addressing(void)
{
    StorvspAddressing scsi = { .ide = false };
    StorvspAddressing ide1 = { .ide = true, .ide_target = 1 };
    StorvspScsiRequest srb = { 0 };
    const char *why = NULL;

    srb.target_id = 1;
    srb.lun = 254;
    g_assert_true(storvsp_srb_address_ok(&scsi, &srb, &why));
    srb.lun = 255;
    g_assert_false(storvsp_srb_address_ok(&scsi, &srb, &why));
    srb.lun = 0;
    srb.path_id = 8;
    g_assert_false(storvsp_srb_address_ok(&scsi, &srb, &why));
    srb.path_id = 0;
    srb.target_id = 2;
    g_assert_false(storvsp_srb_address_ok(&scsi, &srb, &why));

    /* The IDE channel of unit 1: 0:1:0 and nothing else */
    srb.target_id = 1;
    g_assert_true(storvsp_srb_address_ok(&ide1, &srb, &why));
    srb.target_id = 0;
    g_assert_false(storvsp_srb_address_ok(&ide1, &srb, &why));
    srb.target_id = 1;
    srb.lun = 1;
    g_assert_false(storvsp_srb_address_ok(&ide1, &srb, &why));
    srb.lun = 0;
    srb.path_id = 1;
    g_assert_false(storvsp_srb_address_ok(&ide1, &srb, &why));
    g_assert_cmpstr(why, ==, "address other than the IDE channel's disk");
}

typedef struct RunLog {
    uint64_t gpa[16];
    uint64_t len[16];
    unsigned count;
    int refuse_at;
} RunLog;

static bool run_log(uint64_t gpa, uint64_t len, void *opaque)
{
    RunLog *log = opaque;

    if ((int)log->count == log->refuse_at) {
        return false;
    }
    g_assert_cmpuint(log->count, <, ARRAY_SIZE(log->gpa));
    log->gpa[log->count] = gpa;
    log->len[log->count] = len;
    log->count++;
    return true;
}

static const char *list_of(TestPacket *t, const TestRange *r, uint32_t n,
                           uint32_t count_field, StorvspGpaList *list)
{
    uint8_t ext[1024];
    uint32_t elen = ranges_build(ext, r, n, count_field);
    StorvspPacket p = srb_packet(0, 0, 0, 10, 0);

    packet_build(t, VMBUS_PKT_GPA_DIRECT,
                 VMBUS_PKT_FLAG_COMPLETION_REQUESTED, ext, elen, &p,
                 sizeof(p));
    return storvsp_gpa_list_parse(&t->pkt, t->data, list);
}

static void test_gpa_lists(void)
{
    TestPacket t;
    StorvspGpaList list;
    RunLog log = { .refuse_at = -1 };
    bool refused;
    /* pages 0x100, 0x101 contiguous with the second range's 0x102 */
    TestRange merge[2] = { { 512, 7680, 0x100, -1 }, { 0, 4096, 0x102, -1 } };
    TestRange apart[2] = { { 0, 4096, 0x100, -1 }, { 0, 4096, 0x300, -1 } };
    TestRange one;

    g_assert_null(list_of(&t, merge, 2, 2, &list));
    g_assert_cmpuint(list.count, ==, 2);
    g_assert_cmpuint(list.bytes, ==, 7680 + 4096);
    g_assert_null(storvsp_gpa_list_walk(&list, list.bytes, run_log, &log,
                                        &refused));
    g_assert_cmpuint(log.count, ==, 1);
    g_assert_cmpuint(log.gpa[0], ==, 0x100 * 4096 + 512);
    g_assert_cmpuint(log.len[0], ==, 7680 + 4096);

    /* Cut short: only what is wanted */
    memset(&log, 0, sizeof(log));
    log.refuse_at = -1;
    g_assert_null(storvsp_gpa_list_walk(&list, 100, run_log, &log,
                                        &refused));
    g_assert_cmpuint(log.count, ==, 1);
    g_assert_cmpuint(log.len[0], ==, 100);
    /* More than there is */
    g_assert_nonnull(storvsp_gpa_list_walk(&list, list.bytes + 1, run_log,
                                           &log, &refused));
    g_assert_false(refused);

    /* Two runs; the second refused */
    g_assert_null(list_of(&t, apart, 2, 2, &list));
    memset(&log, 0, sizeof(log));
    log.refuse_at = 1;
    g_assert_nonnull(storvsp_gpa_list_walk(&list, 8192, run_log, &log,
                                           &refused));
    g_assert_true(refused);
    g_assert_cmpuint(log.count, ==, 1);

    /* A pfn beyond 52 bits */
    one = (TestRange){ 0, 4096, STORVSP_MAX_PFN + 1, -1 };
    g_assert_null(list_of(&t, &one, 1, 1, &list));
    memset(&log, 0, sizeof(log));
    log.refuse_at = -1;
    g_assert_nonnull(storvsp_gpa_list_walk(&list, 4096, run_log, &log,
                                           &refused));
    g_assert_cmpuint(log.count, ==, 0);

    /* Bad lists */
    g_assert_nonnull(list_of(&t, merge, 0, 0, &list));      /* no ranges */
    g_assert_nonnull(list_of(&t, merge, 2, 3, &list));      /* count > */
    g_assert_nonnull(list_of(&t, merge, 2, 0xffffffff, &list));
    one = (TestRange){ 4096, 10, 0x100, 1 };                /* offset */
    g_assert_nonnull(list_of(&t, &one, 1, 1, &list));
    one = (TestRange){ 0, 0, 0x100, 1 };                    /* empty */
    g_assert_nonnull(list_of(&t, &one, 1, 1, &list));
    one = (TestRange){ 1, 8192, 0x100, 2 };                 /* needs 3 */
    g_assert_nonnull(list_of(&t, &one, 1, 1, &list));
    one = (TestRange){ 0, 0xffffffff, 0x100, 1 };           /* huge */
    g_assert_nonnull(list_of(&t, &one, 1, 1, &list));

    /* No room for the GPA_DIRECT header before the payload */
    {
        StorvspPacket p = srb_packet(0, 0, 0, 10, 0);

        packet_build(&t, VMBUS_PKT_GPA_DIRECT,
                     VMBUS_PKT_FLAG_COMPLETION_REQUESTED, NULL, 0, &p,
                     sizeof(p));
        g_assert_nonnull(storvsp_gpa_list_parse(&t.pkt, t.data, &list));
    }
}

/* Random packets: never a crash, and what is accepted holds. */
static void test_random(void)
{
    GRand *rand = g_rand_new_with_seed(0x5707);
    int i, j;

    for (i = 0; i < 20000; i++) {
        TestPacket t;
        StorvspPacket req, answer;
        StorvspSession ss = ready_session();
        StorvspGpaList gpas;
        StorvspControlResult res;
        uint32_t rlen, dlen, status;
        const char *why;
        int ret;

        memset(&t, 0, sizeof(t));
        t.len = g_rand_int_range(rand, 16, 600);
        for (j = 0; j < t.len; j++) {
            t.data[j] = g_rand_int(rand);
        }
        t.pkt.type = g_rand_boolean(rand) ? VMBUS_PKT_GPA_DIRECT
                                          : VMBUS_PKT_INBAND;
        t.pkt.flags = VMBUS_PKT_FLAG_COMPLETION_REQUESTED;
        t.pkt.data_offset = 8 * g_rand_int_range(rand, 2, t.len / 8 + 1);
        t.pkt.len = t.len;
        ret = storvsp_parse_packet(&t.pkt, t.data, t.len, &req, &rlen, &why);
        if (ret < 0) {
            continue;
        }
        g_assert_cmpuint(rlen + t.pkt.data_offset, ==, t.len);
        if (le32_to_cpu(req.operation) != STORVSP_OP_EXECUTE_SRB) {
            storvsp_control_step(&ss, 0, &req, rlen, 4, MAX_XFER, &answer,
                                 &res);
            g_assert_cmpuint(ss.init_state, <=, STORVSP_INIT_READY);
            continue;
        }
        req.srb.cdb_length = g_rand_int_range(rand, 1, 17);
        ret = storvsp_parse_srb(&ss, MAX_XFER, &t.pkt, t.data, &req, rlen,
                                &gpas, &dlen, &status, &why);
        if (ret == 0) {
            g_assert_cmpuint(dlen, <=, MAX_XFER);
            g_assert_true(dlen == 0 || gpas.bytes >= dlen);
        }
    }
    g_rand_free(rand);
}

int main(int argc, char **argv)
{
    storvsp_proto_check_sizes();
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/storvsp-parse/versions", test_versions);
    g_test_add_func("/storvsp-parse/packet-framing", test_packet_framing);
    g_test_add_func("/storvsp-parse/control-sequence",
                    test_control_sequence);
    g_test_add_func("/storvsp-parse/control-short-version",
                    test_control_short_version);
    g_test_add_func("/storvsp-parse/srb", test_srb);
    g_test_add_func("/storvsp-parse/addressing", test_addressing);
    g_test_add_func("/storvsp-parse/gpa-lists", test_gpa_lists);
    g_test_add_func("/storvsp-parse/random", test_random);
    return g_test_run();
}
