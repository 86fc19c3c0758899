/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for VMBus GPADL assembly (hw/vmbus/vmbus-gpadl.c)
 *
 * Well-formed GPADLs are split into messages the way the Linux guest does
 * (create_gpadl_header() in drivers/hv/channel.c: one range, 26 pfns in the
 * header, 28 per body); the rest are hostile variations.
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "hw/vmbus/vmbus-gpadl.h"

#define PAGE VMBUS_PAGE_SIZE
#define HDR_FIXED sizeof(VMBusMsgGpadlHeader)
#define BODY_FIXED sizeof(VMBusMsgGpadlBody)

typedef struct Msg {
    uint8_t buf[VMBUS_MESSAGE_PAYLOAD_MAX];
    uint32_t len;
} Msg;

static uint64_t range_word(uint32_t byte_count, uint32_t byte_offset)
{
    return ((uint64_t)byte_offset << 32) | byte_count;
}

static uint64_t test_pfn(uint32_t i)
{
    return 0x100000 + i * 3 + (i % 7);
}

/*
 * Splits a range list (@nwords words) into a header carrying @hdr_words of
 * them and bodies of up to @body_words each.  Returns the message count.
 */
static uint32_t build_msgs(Msg *msgs, uint32_t id, uint32_t relid,
                           uint16_t rangecount, uint16_t range_buflen,
                           const uint64_t *words, uint32_t nwords,
                           uint32_t hdr_words, uint32_t body_words)
{
    VMBusMsgGpadlHeader *hdr = (VMBusMsgGpadlHeader *)msgs[0].buf;
    uint32_t n = 1, done, i;

    g_assert_cmpuint(HDR_FIXED + hdr_words * 8, <=, VMBUS_MESSAGE_PAYLOAD_MAX);
    g_assert_cmpuint(BODY_FIXED + body_words * 8, <=,
                     VMBUS_MESSAGE_PAYLOAD_MAX);
    memset(msgs[0].buf, 0, sizeof(msgs[0].buf));
    hdr->header.msgtype = cpu_to_le32(VMBUS_MSGTYPE_GPADL_HEADER);
    hdr->child_relid = cpu_to_le32(relid);
    hdr->gpadl_id = cpu_to_le32(id);
    hdr->range_buflen = cpu_to_le16(range_buflen);
    hdr->rangecount = cpu_to_le16(rangecount);
    done = MIN(hdr_words, nwords);
    for (i = 0; i < done; i++) {
        stq_le_p(msgs[0].buf + HDR_FIXED + i * 8, words[i]);
    }
    msgs[0].len = HDR_FIXED + done * 8;

    while (done < nwords) {
        VMBusMsgGpadlBody *body = (VMBusMsgGpadlBody *)msgs[n].buf;
        uint32_t chunk = MIN(body_words, nwords - done);

        memset(msgs[n].buf, 0, sizeof(msgs[n].buf));
        body->header.msgtype = cpu_to_le32(VMBUS_MSGTYPE_GPADL_BODY);
        body->gpadl_id = cpu_to_le32(id);
        for (i = 0; i < chunk; i++) {
            stq_le_p(msgs[n].buf + BODY_FIXED + i * 8, words[done + i]);
        }
        msgs[n].len = BODY_FIXED + chunk * 8;
        done += chunk;
        n++;
    }
    return n;
}

/* A single-range, page-aligned GPADL of @npages as Linux sends it */
static uint32_t build_linux_gpadl(Msg *msgs, uint32_t id, uint32_t npages)
{
    g_autofree uint64_t *words = g_new(uint64_t, npages + 1);
    uint32_t i;

    words[0] = range_word(npages * PAGE, 0);
    for (i = 0; i < npages; i++) {
        words[i + 1] = test_pfn(i);
    }
    return build_msgs(msgs, id, 7, 1, 8 + npages * 8, words, npages + 1,
                      27, 28);
}

/* Feeds all messages; asserts completion happens exactly at the end */
static VMBusGpadl *assemble(Msg *msgs, uint32_t n, uint32_t max_pages)
{
    const char *why = NULL;
    VMBusGpadlBuilder *b = vmbus_gpadl_begin(msgs[0].buf, msgs[0].len,
                                             max_pages, &why);
    uint32_t i;

    g_assert_null(why);
    g_assert_nonnull(b);
    for (i = 1; i < n; i++) {
        g_assert_false(vmbus_gpadl_complete(b));
        g_assert_null(vmbus_gpadl_finish(b));
        g_assert_cmpint(vmbus_gpadl_add_body(b, msgs[i].buf, msgs[i].len,
                                             &why), ==, 0);
    }
    g_assert_true(vmbus_gpadl_complete(b));
    g_assert_false(vmbus_gpadl_failed(b));
    return vmbus_gpadl_finish(b);
}

static void test_linux_single_range(void)
{
    static const uint32_t sizes[] = {
        1, 2, 25, 26, 27, 54, 55, 56, 300, 4096, 7936, 8190,
    };
    Msg *msgs = g_new(Msg, 300);
    size_t k;

    for (k = 0; k < ARRAY_SIZE(sizes); k++) {
        uint32_t npages = sizes[k], i, n;
        VMBusGpadl *gpadl;

        n = build_linux_gpadl(msgs, 0xe1e10 + k, npages);
        /* the header carries 26 pfns, each body 28 */
        g_assert_cmpuint(n, ==, 1 + (npages <= 26 ? 0 :
                                     DIV_ROUND_UP(npages - 26, 28)));
        g_assert_cmpuint(msgs[0].len, <=, 236);
        gpadl = assemble(msgs, n, 0);
        g_assert_nonnull(gpadl);
        g_assert_cmphex(gpadl->id, ==, 0xe1e10 + k);
        g_assert_cmpuint(gpadl->child_relid, ==, 7);
        g_assert_cmpuint(gpadl->nranges, ==, 1);
        g_assert_cmpuint(gpadl->npages, ==, npages);
        g_assert_cmpuint(gpadl->ranges[0].byte_count, ==, npages * PAGE);
        g_assert_cmpuint(gpadl->ranges[0].byte_offset, ==, 0);
        g_assert_cmpuint(gpadl->ranges[0].npfns, ==, npages);
        g_assert(gpadl->ranges[0].pfns == gpadl->pfns);
        for (i = 0; i < npages; i++) {
            g_assert_cmphex(gpadl->pfns[i], ==, test_pfn(i));
        }
        g_assert_true(vmbus_gpadl_is_page_list(gpadl));
        g_assert_cmpuint(vmbus_gpadl_byte_count(gpadl), ==,
                         (uint64_t)npages * PAGE);
        vmbus_gpadl_free(gpadl);
    }
    g_free(msgs);
}

static const struct {
    uint32_t byte_count, byte_offset, npfns;
} multi_ranges[] = {
    { 5000, 100, 2 },
    { PAGE, 0, 1 },
    { 1, PAGE - 1, 1 },
    { 30 * PAGE, 0, 30 },
    { 2, PAGE - 1, 2 },
};

static uint32_t multi_words(uint64_t *words)
{
    uint32_t n = 0, pfn = 0, k, i;

    for (k = 0; k < ARRAY_SIZE(multi_ranges); k++) {
        words[n++] = range_word(multi_ranges[k].byte_count,
                                multi_ranges[k].byte_offset);
        for (i = 0; i < multi_ranges[k].npfns; i++) {
            words[n++] = test_pfn(pfn++);
        }
    }
    return n;
}

static void test_multi_range(void)
{
    uint64_t words[64];
    uint32_t nwords = multi_words(words), hdr_words, body_words;
    Msg msgs[64];

    g_assert_cmpuint(nwords, ==, 5 + 36);
    /* every split, so that range descriptors land in bodies too */
    for (hdr_words = 1; hdr_words <= 27; hdr_words += 2) {
        for (body_words = 1; body_words <= 28; body_words += 3) {
            uint32_t n = build_msgs(msgs, 99, 3, ARRAY_SIZE(multi_ranges),
                                    nwords * 8, words, nwords,
                                    hdr_words, body_words);
            VMBusGpadl *gpadl = assemble(msgs, n, 0);
            uint32_t k, i, pfn = 0;

            g_assert_cmpuint(gpadl->nranges, ==, ARRAY_SIZE(multi_ranges));
            g_assert_cmpuint(gpadl->npages, ==, 36);
            for (k = 0; k < gpadl->nranges; k++) {
                const VMBusGpadlRange *range = &gpadl->ranges[k];

                g_assert_cmpuint(range->byte_count, ==,
                                 multi_ranges[k].byte_count);
                g_assert_cmpuint(range->byte_offset, ==,
                                 multi_ranges[k].byte_offset);
                g_assert_cmpuint(range->npfns, ==, multi_ranges[k].npfns);
                g_assert(range->pfns == gpadl->pfns + pfn);
                for (i = 0; i < range->npfns; i++) {
                    g_assert_cmphex(range->pfns[i], ==, test_pfn(pfn++));
                }
            }
            g_assert_false(vmbus_gpadl_is_page_list(gpadl));
            g_assert_cmpuint(vmbus_gpadl_byte_count(gpadl), ==,
                             5000 + PAGE + 1 + 30 * PAGE + 2);
            vmbus_gpadl_free(gpadl);
        }
    }
}

/* A header built from fields, carrying @nwords words */
static uint32_t make_header(uint8_t *buf, uint16_t rangecount,
                            uint16_t range_buflen, const uint64_t *words,
                            uint32_t nwords)
{
    VMBusMsgGpadlHeader *hdr = (VMBusMsgGpadlHeader *)buf;
    uint32_t i;

    memset(buf, 0, VMBUS_MESSAGE_PAYLOAD_MAX);
    hdr->header.msgtype = cpu_to_le32(VMBUS_MSGTYPE_GPADL_HEADER);
    hdr->gpadl_id = cpu_to_le32(1);
    hdr->range_buflen = cpu_to_le16(range_buflen);
    hdr->rangecount = cpu_to_le16(rangecount);
    for (i = 0; i < nwords; i++) {
        stq_le_p(buf + HDR_FIXED + i * 8, words[i]);
    }
    return HDR_FIXED + nwords * 8;
}

/* The header must be refused, for the reason that contains @reason */
static void assert_header_rejected(const uint8_t *buf, uint32_t len,
                                   uint32_t max_pages, const char *reason)
{
    const char *why = NULL;

    g_assert_null(vmbus_gpadl_begin(buf, len, max_pages, &why));
    g_assert_nonnull(why);
    g_assert_nonnull(strstr(why, reason));
    /* a NULL why is allowed */
    g_assert_null(vmbus_gpadl_begin(buf, len, max_pages, NULL));
}

static void assert_header_accepted(const uint8_t *buf, uint32_t len,
                                   bool complete)
{
    const char *why = NULL;
    VMBusGpadlBuilder *b = vmbus_gpadl_begin(buf, len, 0, &why);

    g_assert_null(why);
    g_assert_nonnull(b);
    g_assert(vmbus_gpadl_complete(b) == complete);
    vmbus_gpadl_builder_free(b);
}

/*
 * Each lie next to the closest truthful header, so that the lie alone is
 * what gets the header refused.
 */
static void test_header_lies(void)
{
    uint8_t buf[VMBUS_MESSAGE_PAYLOAD_MAX];
    uint64_t w[8] = { range_word(PAGE, 0), 0x1234, 0x5678, 0x9abc };
    uint32_t len;

    assert_header_rejected(NULL, 0, 0, "shorter than its fixed part");

    /* one page, all in the header */
    len = make_header(buf, 1, 16, w, 2);
    assert_header_accepted(buf, len, true);
    assert_header_rejected(buf, HDR_FIXED - 1, 0,
                           "shorter than its fixed part");
    assert_header_rejected(buf, HDR_FIXED, 0, "non-empty multiple of 8");
    assert_header_rejected(buf, HDR_FIXED + 12, 0, "non-empty multiple of 8");

    /* no ranges */
    len = make_header(buf, 0, 16, w, 2);
    assert_header_rejected(buf, len, 0, "without ranges");

    /* range_buflen: not whole words, too short for rangecount */
    len = make_header(buf, 1, 20, w, 2);
    assert_header_rejected(buf, len, 0, "not a multiple of 8");
    len = make_header(buf, 1, 0, w, 1);
    assert_header_rejected(buf, len, 0, "too short for rangecount");
    len = make_header(buf, 2, 24, w, 2);
    assert_header_rejected(buf, len, 0, "too short for rangecount");
    len = make_header(buf, 2, 32, w, 2);
    assert_header_accepted(buf, len, false);
    len = make_header(buf, 0xffff, 0xfff8, w, 2);
    assert_header_rejected(buf, len, 0, "too short for rangecount");

    /* the header carries more than range_buflen */
    len = make_header(buf, 2, 32, w, 4);
    assert_header_rejected(buf, len, 0, "more pfns than range_buflen");
    len = make_header(buf, 1, 16, w, 3);
    assert_header_rejected(buf, len, 0, "carries more than range_buflen");
    /* range_buflen longer than the one range it announces */
    len = make_header(buf, 1, 24, w, 3);
    assert_header_rejected(buf, len, 0, "longer than the ranges");
    len = make_header(buf, 1, 24, w, 2);
    assert_header_accepted(buf, len, false);

    /* byte_count 0 */
    w[0] = range_word(0, 0);
    len = make_header(buf, 1, 16, w, 2);
    assert_header_rejected(buf, len, 0, "byte_count 0");
    /* byte_offset outside the first page, with pfns enough for it */
    w[0] = range_word(1, PAGE);
    len = make_header(buf, 1, 24, w, 3);
    assert_header_rejected(buf, len, 0, "byte_offset not inside");
    w[0] = range_word(1, PAGE - 1);
    len = make_header(buf, 1, 16, w, 2);
    assert_header_accepted(buf, len, true);

    /* more pfns needed than range_buflen holds */
    w[0] = range_word(3 * PAGE, 0);
    len = make_header(buf, 1, 16, w, 2);
    assert_header_rejected(buf, len, 0, "more pfns than range_buflen");
    w[0] = range_word(PAGE + 1, 0);     /* 2 pages, 1 pfn */
    len = make_header(buf, 1, 16, w, 2);
    assert_header_rejected(buf, len, 0, "more pfns than range_buflen");
    /* byte_offset + byte_count wraps in 32 bits: 1048577 pages, not 1 */
    w[0] = range_word(0xffffffff, PAGE - 1);
    len = make_header(buf, 1, 16, w, 2);
    assert_header_rejected(buf, len, 0, "more pfns than range_buflen");
    /* the first range leaves no room for the second */
    w[0] = range_word(3 * PAGE, 0);
    len = make_header(buf, 2, 32, w, 4);
    assert_header_rejected(buf, len, 0, "more pfns than range_buflen");
    /* and with the room the second range needs, announced later */
    len = make_header(buf, 2, 48, w, 4);
    assert_header_accepted(buf, len, false);

    /* a pfn whose address does not fit in 64 bits */
    w[0] = range_word(PAGE, 0);
    w[1] = VMBUS_GPADL_MAX_PFN + 1;
    len = make_header(buf, 1, 16, w, 2);
    assert_header_rejected(buf, len, 0, "pfn beyond");
    w[1] = VMBUS_GPADL_MAX_PFN;
    len = make_header(buf, 1, 16, w, 2);
    assert_header_accepted(buf, len, true);
}

static void test_page_list(void)
{
    uint8_t buf[VMBUS_MESSAGE_PAYLOAD_MAX];
    uint64_t w[4] = { range_word(2 * PAGE, 0), 1, 2 };
    uint32_t len = make_header(buf, 1, 24, w, 3);
    VMBusGpadlBuilder *b = vmbus_gpadl_begin(buf, len, 0, NULL);
    VMBusGpadl *gpadl = vmbus_gpadl_finish(b);

    g_assert_true(vmbus_gpadl_is_page_list(gpadl));
    vmbus_gpadl_free(gpadl);

    /* whole pages' worth of bytes, but not page-aligned */
    w[0] = range_word(PAGE, 100);
    len = make_header(buf, 1, 24, w, 3);
    gpadl = vmbus_gpadl_finish(vmbus_gpadl_begin(buf, len, 0, NULL));
    g_assert_nonnull(gpadl);
    g_assert_cmpuint(gpadl->npages, ==, 2);
    g_assert_false(vmbus_gpadl_is_page_list(gpadl));
    vmbus_gpadl_free(gpadl);

    /* page-aligned start, partial last page */
    w[0] = range_word(PAGE + 8, 0);
    len = make_header(buf, 1, 24, w, 3);
    gpadl = vmbus_gpadl_finish(vmbus_gpadl_begin(buf, len, 0, NULL));
    g_assert_false(vmbus_gpadl_is_page_list(gpadl));
    g_assert_cmpuint(vmbus_gpadl_byte_count(gpadl), ==, PAGE + 8);
    vmbus_gpadl_free(gpadl);
}

static void test_page_cap(void)
{
    Msg msgs[8];
    uint32_t n = build_linux_gpadl(msgs, 5, 100);
    const char *why = NULL;
    VMBusGpadlBuilder *b;
    VMBusGpadl *gpadl;

    gpadl = assemble(msgs, n, 100);
    g_assert_cmpuint(gpadl->npages, ==, 100);
    vmbus_gpadl_free(gpadl);

    /* the header alone already exceeds a cap of 10 */
    g_assert_null(vmbus_gpadl_begin(msgs[0].buf, msgs[0].len, 10, &why));
    g_assert_nonnull(why);

    /* multi-range: the cap is hit by the 30-page range, announced in a body */
    {
        uint64_t words[64];
        uint32_t nwords = multi_words(words);

        n = build_msgs(msgs, 6, 3, ARRAY_SIZE(multi_ranges), nwords * 8,
                       words, nwords, 5, 28);
        b = vmbus_gpadl_begin(msgs[0].buf, msgs[0].len, 33, &why);
        g_assert_nonnull(b);
        g_assert_cmpint(vmbus_gpadl_add_body(b, msgs[1].buf, msgs[1].len,
                                             &why), ==, -EINVAL);
        g_assert_true(vmbus_gpadl_failed(b));
        vmbus_gpadl_builder_free(b);
    }
}

static void test_body_errors(void)
{
    Msg msgs[8], bad;
    uint32_t n = build_linux_gpadl(msgs, 0x42, 60), id = 0;
    const char *why = NULL;
    VMBusGpadlBuilder *b;
    VMBusGpadl *gpadl;

    g_assert_cmpuint(n, ==, 3);         /* 26 + 28 + 6 */
    b = vmbus_gpadl_begin(msgs[0].buf, msgs[0].len, 0, &why);
    g_assert_nonnull(b);

    /* the body's id is readable for routing */
    g_assert_cmpint(vmbus_gpadl_body_id(msgs[1].buf, BODY_FIXED - 1, &id),
                    ==, -EMSGSIZE);
    g_assert_cmpint(vmbus_gpadl_body_id(msgs[1].buf, msgs[1].len, &id),
                    ==, 0);
    g_assert_cmphex(id, ==, 0x42);

    /* too short, or a pfn array that is not whole pfns */
    g_assert_cmpint(vmbus_gpadl_add_body(b, msgs[1].buf, 0, &why), ==,
                    -EMSGSIZE);
    g_assert_cmpint(vmbus_gpadl_add_body(b, msgs[1].buf, BODY_FIXED, &why),
                    ==, -EMSGSIZE);
    g_assert_cmpint(vmbus_gpadl_add_body(b, msgs[1].buf, BODY_FIXED + 7,
                                         &why), ==, -EMSGSIZE);
    g_assert_cmpint(vmbus_gpadl_add_body(b, msgs[1].buf, BODY_FIXED + 12,
                                         &why), ==, -EMSGSIZE);

    /* another GPADL's body */
    bad = msgs[1];
    stl_le_p(bad.buf + offsetof(VMBusMsgGpadlBody, gpadl_id), 0x43);
    why = NULL;
    g_assert_cmpint(vmbus_gpadl_add_body(b, bad.buf, bad.len, &why), ==,
                    -ENOENT);
    g_assert_nonnull(why);

    /* more pfns than announced: after 26 + 28, 6 remain, not 28 */
    g_assert_cmpint(vmbus_gpadl_add_body(b, msgs[1].buf, msgs[1].len, &why),
                    ==, 0);
    bad = msgs[1];
    g_assert_cmpint(vmbus_gpadl_add_body(b, bad.buf, bad.len, &why), ==,
                    -EMSGSIZE);
    /* none of these errors changed the builder */
    g_assert_false(vmbus_gpadl_failed(b));
    g_assert_null(vmbus_gpadl_finish(b));
    g_assert_cmpint(vmbus_gpadl_add_body(b, msgs[2].buf, msgs[2].len, &why),
                    ==, 0);
    g_assert_true(vmbus_gpadl_complete(b));

    /* a body too many */
    g_assert_cmpint(vmbus_gpadl_add_body(b, msgs[2].buf, msgs[2].len, &why),
                    ==, -EALREADY);
    g_assert_true(vmbus_gpadl_complete(b));
    gpadl = vmbus_gpadl_finish(b);
    g_assert_nonnull(gpadl);
    g_assert_cmpuint(gpadl->npages, ==, 60);
    g_assert_cmphex(gpadl->pfns[59], ==, test_pfn(59));
    vmbus_gpadl_free(gpadl);
}

static void test_body_bad_data(void)
{
    uint64_t words[64];
    uint32_t nwords = multi_words(words), n;
    Msg msgs[16];
    const char *why = NULL;
    VMBusGpadlBuilder *b;

    /* the second range descriptor (word 3) arrives in the first body */
    words[3] = range_word(PAGE, PAGE + 8);
    n = build_msgs(msgs, 8, 3, ARRAY_SIZE(multi_ranges), nwords * 8,
                   words, nwords, 2, 4);
    g_assert_cmpuint(n, >, 2);
    b = vmbus_gpadl_begin(msgs[0].buf, msgs[0].len, 0, &why);
    g_assert_nonnull(b);
    why = NULL;
    g_assert_cmpint(vmbus_gpadl_add_body(b, msgs[1].buf, msgs[1].len, &why),
                    ==, -EINVAL);
    g_assert_nonnull(why);
    g_assert_nonnull(strstr(why, "byte_offset not inside"));
    g_assert_true(vmbus_gpadl_failed(b));
    g_assert_false(vmbus_gpadl_complete(b));
    /* failed for good */
    g_assert_cmpint(vmbus_gpadl_add_body(b, msgs[2].buf, msgs[2].len, &why),
                    ==, -EINVAL);
    g_assert_nonnull(strstr(why, "already failed"));
    g_assert_null(vmbus_gpadl_finish(b));
    vmbus_gpadl_builder_free(b);

    /* range_buflen one word longer than the single range: found in a body */
    words[0] = range_word(2 * PAGE, 0);
    words[1] = 10;
    words[2] = 11;
    words[3] = 12;
    n = build_msgs(msgs, 9, 3, 1, 32, words, 4, 2, 28);
    g_assert_cmpuint(n, ==, 2);
    b = vmbus_gpadl_begin(msgs[0].buf, msgs[0].len, 0, &why);
    g_assert_nonnull(b);
    g_assert_cmpint(vmbus_gpadl_add_body(b, msgs[1].buf, msgs[1].len, &why),
                    ==, -EINVAL);
    g_assert_nonnull(strstr(why, "longer than the ranges"));
    g_assert_true(vmbus_gpadl_failed(b));
    /* every word has arrived, yet the GPADL is not complete */
    g_assert_false(vmbus_gpadl_complete(b));
    g_assert_null(vmbus_gpadl_finish(b));
    vmbus_gpadl_builder_free(b);

    /* a bad pfn in a body */
    n = build_linux_gpadl(msgs, 10, 40);
    stq_le_p(msgs[1].buf + BODY_FIXED + 8 * 5, UINT64_MAX);
    b = vmbus_gpadl_begin(msgs[0].buf, msgs[0].len, 0, &why);
    g_assert_cmpint(vmbus_gpadl_add_body(b, msgs[1].buf, msgs[1].len, &why),
                    ==, -EINVAL);
    g_assert_nonnull(strstr(why, "pfn beyond"));
    vmbus_gpadl_builder_free(b);

    vmbus_gpadl_builder_free(NULL);
    vmbus_gpadl_free(NULL);
}

/* Fills the range-list part of a message with words that are often valid */
static void random_words(GRand *rand, uint8_t *words, uint32_t nwords)
{
    uint32_t i;

    for (i = 0; i < nwords; i++) {
        uint64_t w;

        switch (g_rand_int_range(rand, 0, 4)) {
        case 0:
            w = ((uint64_t)g_rand_int(rand) << 32) | g_rand_int(rand);
            break;
        case 1:
            w = range_word(g_rand_int_range(rand, 0, 3 * PAGE),
                           g_rand_int_range(rand, 0, PAGE + 2));
            break;
        default:
            w = g_rand_int(rand);       /* a plausible pfn */
            break;
        }
        stq_le_p(words + i * 8, w);
    }
}

/* A message length: usually whole words, sometimes anything */
static uint32_t random_len(GRand *rand, uint32_t fixed)
{
    switch (g_rand_int_range(rand, 0, 8)) {
    case 0:
        return g_rand_int_range(rand, 0, VMBUS_MESSAGE_PAYLOAD_MAX + 1);
    case 1:
        return fixed + 8 * g_rand_int_range(rand, 0,
                                            (VMBUS_MESSAGE_PAYLOAD_MAX - fixed)
                                            / 8 + 1);
    default:
        return fixed + 8 * g_rand_int_range(rand, 0, 6);
    }
}

/* Random headers and bodies: no crash, no leak, complete means consistent */
static void test_random(void)
{
    GRand *rand = g_rand_new_with_seed(0x6ad1);
    uint32_t iter, completed = 0, failed_bodies = 0;

    for (iter = 0; iter < 200000; iter++) {
        uint8_t buf[VMBUS_MESSAGE_PAYLOAD_MAX];
        uint32_t len = random_len(rand, HDR_FIXED);
        uint32_t i, total, bodies = g_rand_int_range(rand, 0, 4);
        VMBusGpadlBuilder *b;
        VMBusGpadl *gpadl;

        /* mostly one range over a few pages, so that some complete */
        make_header(buf,
                    g_rand_boolean(rand) ? 1 : g_rand_int_range(rand, 0, 4),
                    8 * g_rand_int_range(rand, 0, 12), NULL, 0);
        random_words(rand, buf + HDR_FIXED,
                     (sizeof(buf) - HDR_FIXED) / 8);
        if (g_rand_boolean(rand)) {
            stq_le_p(buf + HDR_FIXED,
                     range_word(g_rand_int_range(rand, 1, 4 * PAGE),
                                g_rand_int_range(rand, 0, PAGE)));
        }
        b = vmbus_gpadl_begin(buf, len, g_rand_int_range(rand, 0, 50), NULL);
        if (!b) {
            continue;
        }
        while (bodies--) {
            memset(buf, 0, sizeof(buf));
            stl_le_p(buf, VMBUS_MSGTYPE_GPADL_BODY);
            stl_le_p(buf + 12, vmbus_gpadl_builder_id(b) +
                     (g_rand_int_range(rand, 0, 8) == 0));
            random_words(rand, buf + BODY_FIXED,
                         (sizeof(buf) - BODY_FIXED) / 8);
            if (vmbus_gpadl_add_body(b, buf, random_len(rand, BODY_FIXED),
                                     NULL) < 0) {
                failed_bodies++;
            }
        }
        gpadl = vmbus_gpadl_finish(b);
        if (!gpadl) {
            vmbus_gpadl_builder_free(b);
            continue;
        }
        completed++;
        total = 0;
        for (i = 0; i < gpadl->nranges; i++) {
            const VMBusGpadlRange *range = &gpadl->ranges[i];

            g_assert_cmpuint(range->byte_count, >, 0);
            g_assert_cmpuint(range->byte_offset, <, PAGE);
            g_assert_cmpuint(range->npfns, ==,
                             DIV_ROUND_UP((uint64_t)range->byte_offset +
                                          range->byte_count, PAGE));
            g_assert(range->pfns == gpadl->pfns + total);
            total += range->npfns;
        }
        g_assert_cmpuint(total, ==, gpadl->npages);
        vmbus_gpadl_free(gpadl);
    }
    /* the generator must reach both outcomes to test anything */
    g_assert_cmpuint(completed, >, 100);
    g_assert_cmpuint(failed_bodies, >, 100);
    g_rand_free(rand);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/vmbus-gpadl/linux-single-range",
                    test_linux_single_range);
    g_test_add_func("/vmbus-gpadl/multi-range", test_multi_range);
    g_test_add_func("/vmbus-gpadl/header-lies", test_header_lies);
    g_test_add_func("/vmbus-gpadl/page-cap", test_page_cap);
    g_test_add_func("/vmbus-gpadl/page-list", test_page_list);
    g_test_add_func("/vmbus-gpadl/body-errors", test_body_errors);
    g_test_add_func("/vmbus-gpadl/body-bad-data", test_body_bad_data);
    g_test_add_func("/vmbus-gpadl/random", test_random);
    return g_test_run();
}
