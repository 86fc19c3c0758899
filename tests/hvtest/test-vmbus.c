/*
 * hvtest: SynIC message delivery and the VMBus server, driven the way a
 * hostile guest would: messages only a host sends, short and lying
 * messages, unknown ids, bad rings. A well-formed flow (contact, offers,
 * GPADL, open, IC negotiation) runs in between, so that each hostile step
 * meets the server in the state where it could do damage. Every expected
 * reply is waited for with a timeout, so a missing reply fails the test
 * instead of hanging the guest.
 *
 * Copyright (c) 2025 qemu-hvpart contributors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "hv.h"
#include "vmbus.h"

#define VEC_VMBUS       0x50
#define REPLY_MS        3000        /* for a reply that must come */
#define QUIET_MS        100         /* watched for a reply that must not */
#define RING_PAGES      8
#define RING_SPLIT      4           /* pages 0..3 guest->host, 4..7 back */
#define RING_OPEN_ID    0x1234
#define MAX_HEADER_PFNS 26          /* (240 - 20 - 8) / 8 */
#define MAX_BODY_PFNS   28          /* (240 - 16) / 8 */

typedef struct VmbusMsg {
    uint32_t synic_type;
    uint8_t flags;
    uint32_t size;
    uint8_t data[HV_MESSAGE_PAYLOAD_MAX];
} VmbusMsg;

/* One direction of a channel's ring, as seen by the guest */
typedef struct GuestRing {
    VmbusRingCtrl *ctrl;
    uint8_t *data[RING_PAGES];
    uint32_t size;
} GuestRing;

static struct {
    bool synic;
    bool connected;
    uint32_t conn;                  /* connection id for channel messages */
    bool offered;
    uint32_t hb_relid;
    uint32_t hb_conn;
    uint32_t next_gpadl;
    /* the heartbeat channel's ring GPADL and whether the channel is open */
    bool gpadl_ok;
    uint32_t ring_gpadl;
    uint8_t *ring[RING_PAGES];
    bool open;
    GuestRing in;                   /* guest -> host */
    GuestRing out;                  /* host -> guest */
    uint32_t out_read;              /* guest's read position in "out" */
    /* the host's NEGOTIATE request, to answer it */
    uint64_t neg_trans_id;
    uint32_t neg_len;
    uint8_t neg[512];
} vm;

static const char *const msg_names[] = {
    [VMBUS_MSG_INVALID] = "Invalid",
    [VMBUS_MSG_OFFER_CHANNEL] = "OfferChannel",
    [VMBUS_MSG_RESCIND_OFFER] = "RescindChannelOffer",
    [VMBUS_MSG_REQUEST_OFFERS] = "RequestOffers",
    [VMBUS_MSG_ALL_OFFERS_DELIVERED] = "AllOffersDelivered",
    [VMBUS_MSG_OPEN_CHANNEL] = "OpenChannel",
    [VMBUS_MSG_OPEN_RESULT] = "OpenResult",
    [VMBUS_MSG_CLOSE_CHANNEL] = "CloseChannel",
    [VMBUS_MSG_GPADL_HEADER] = "GpadlHeader",
    [VMBUS_MSG_GPADL_BODY] = "GpadlBody",
    [VMBUS_MSG_GPADL_CREATED] = "GpadlCreated",
    [VMBUS_MSG_GPADL_TEARDOWN] = "GpadlTeardown",
    [VMBUS_MSG_GPADL_TORNDOWN] = "GpadlTorndown",
    [VMBUS_MSG_RELID_RELEASED] = "RelIdReleased",
    [VMBUS_MSG_INITIATE_CONTACT] = "InitiateContact",
    [VMBUS_MSG_VERSION_RESPONSE] = "VersionResponse",
    [VMBUS_MSG_UNLOAD] = "Unload",
    [VMBUS_MSG_UNLOAD_RESPONSE] = "UnloadResponse",
    [VMBUS_MSG_TL_CONNECT_REQUEST] = "TlConnectRequest",
    [VMBUS_MSG_MODIFY_CHANNEL] = "ModifyChannel",
    [VMBUS_MSG_TL_CONNECT_RESULT] = "TlConnectResult",
    [VMBUS_MSG_MODIFY_CHANNEL_RESPONSE] = "ModifyChannelResponse",
};

static const char *msg_name(uint32_t type)
{
    if (type < ARRAY_SIZE(msg_names) && msg_names[type]) {
        return msg_names[type];
    }
    return "unknown";
}

static uint32_t msg_type(const VmbusMsg *m)
{
    uint32_t t = 0;

    if (m->size >= 4) {
        memcpy(&t, m->data, 4);
    }
    return t;
}

static void msg_header(void *msg, uint32_t type)
{
    VmbusHdr *h = msg;

    h->type = type;
    h->padding = 0;
}

/* Posting and receiving channel messages */

static uint16_t vmbus_post(const void *msg, uint32_t len)
{
    return hv_post_message(vm.conn, VMBUS_SYNIC_MSG_TYPE, msg, len);
}

/* Take the message in the VMBus slot, waiting up to @ms; acknowledge it. */
static bool vmbus_take(VmbusMsg *m, uint32_t ms)
{
    HvMessage *slot = synic_slot(VMBUS_SINT);

    if (!WAIT_FOR(slot->type != 0, ms)) {
        return false;
    }
    m->synic_type = slot->type;
    m->flags = slot->flags;
    m->size = slot->payload_size;
    if (m->size > HV_MESSAGE_PAYLOAD_MAX) {
        m->size = HV_MESSAGE_PAYLOAD_MAX;
    }
    memcpy(m->data, slot->payload, m->size);
    synic_ack(VMBUS_SINT);
    return true;
}

/* A reply of @type must arrive (of at least @min_size bytes). */
static bool vmbus_expect(uint32_t type, uint32_t min_size, VmbusMsg *m,
                         const char *context)
{
    if (!vmbus_take(m, REPLY_MS)) {
        t_fail("%s: no %s within %u ms", context, msg_name(type), REPLY_MS);
        return false;
    }
    if (m->synic_type != VMBUS_SYNIC_MSG_TYPE) {
        t_fail("%s: SynIC message type 0x%x in the VMBus slot, want 1",
               context, m->synic_type);
        return false;
    }
    if (msg_type(m) != type) {
        t_fail("%s: got %s (%u), want %s", context, msg_name(msg_type(m)),
               msg_type(m), msg_name(type));
        return false;
    }
    if (m->size < min_size) {
        t_fail("%s: %s of %u bytes, want at least %u", context,
               msg_name(type), m->size, min_size);
        return false;
    }
    return true;
}

/* No message may arrive in QUIET_MS. */
static bool vmbus_expect_nothing(const char *context)
{
    VmbusMsg m;

    if (vmbus_take(&m, QUIET_MS)) {
        t_fail("%s: unexpected reply %s (%u), SynIC type 0x%x, %u bytes",
               context, msg_name(msg_type(&m)), msg_type(&m), m.synic_type,
               m.size);
        return false;
    }
    return true;
}

/* Post a message nobody must answer: no reply, whatever the status. */
static void post_expect_nothing(const void *msg, uint32_t len,
                                const char *context)
{
    uint16_t st = vmbus_post(msg, len);

    if (st != HV_STATUS_SUCCESS) {
        t_info("%s: HvPostMessage status %u", context, st);
    }
    vmbus_expect_nothing(context);
}

/* Operations */

static bool initiate_contact(uint32_t conn, uint32_t version, uint32_t vcpu,
                             uint8_t sint, VmbusVersionResponse *resp,
                             const char *context)
{
    VmbusInitiateContact ic;
    VmbusMsg m;
    uint16_t st;

    memset(&ic, 0, sizeof(ic));
    msg_header(&ic, VMBUS_MSG_INITIATE_CONTACT);
    ic.version = version;
    ic.target_vcpu = vcpu;
    ic.msg_sint = sint;
    st = hv_post_message(conn, VMBUS_SYNIC_MSG_TYPE, &ic, sizeof(ic));
    if (st != HV_STATUS_SUCCESS) {
        t_fail("%s: HvPostMessage(InitiateContact) to connection %u "
               "returned %u", context, conn, st);
        return false;
    }
    if (!vmbus_expect(VMBUS_MSG_VERSION_RESPONSE,
                      sizeof(VmbusVersionResponse), &m, context)) {
        return false;
    }
    memcpy(resp, m.data, sizeof(*resp));
    return true;
}

static void send_gpadl(uint32_t relid, uint32_t id, const uint64_t *pfns,
                       uint32_t npages, uint32_t in_header)
{
    uint8_t buf[HV_MESSAGE_PAYLOAD_MAX];
    VmbusGpadlHeader *h = (VmbusGpadlHeader *)buf;
    VmbusGpadlBody *b = (VmbusGpadlBody *)buf;
    uint32_t range[2] = { npages * PAGE_SIZE, 0 };
    uint32_t sent, n;

    if (in_header > npages) {
        in_header = npages;
    }
    if (in_header > MAX_HEADER_PFNS) {
        in_header = MAX_HEADER_PFNS;
    }
    memset(buf, 0, sizeof(buf));
    msg_header(h, VMBUS_MSG_GPADL_HEADER);
    h->child_relid = relid;
    h->gpadl = id;
    h->range_buflen = sizeof(range) + npages * 8;
    h->rangecount = 1;
    memcpy(buf + sizeof(*h), range, sizeof(range));
    memcpy(buf + sizeof(*h) + sizeof(range), pfns, in_header * 8);
    vmbus_post(buf, sizeof(*h) + sizeof(range) + in_header * 8);
    for (sent = in_header; sent < npages; sent += n) {
        n = npages - sent > MAX_BODY_PFNS ? MAX_BODY_PFNS : npages - sent;
        memset(buf, 0, sizeof(buf));
        msg_header(b, VMBUS_MSG_GPADL_BODY);
        b->gpadl = id;
        memcpy(buf + sizeof(*b), pfns + sent, n * 8);
        vmbus_post(buf, sizeof(*b) + n * 8);
    }
}

/* The creation_status of the GpadlCreated for @id, or -1 (test failed). */
static int64_t expect_gpadl_created(uint32_t relid, uint32_t id,
                                    const char *context)
{
    VmbusGpadlCreated c;
    VmbusMsg m;

    if (!vmbus_expect(VMBUS_MSG_GPADL_CREATED, sizeof(c), &m, context)) {
        return -1;
    }
    memcpy(&c, m.data, sizeof(c));
    if (c.gpadl != id) {
        t_fail("%s: GpadlCreated for GPADL 0x%x, want 0x%x", context,
               c.gpadl, id);
        return -1;
    }
    if (c.child_relid != relid) {
        t_info("%s: GpadlCreated names relid %u, the header said %u",
               context, c.child_relid, relid);
    }
    return c.status;
}

static int64_t gpadl_create(uint32_t relid, uint32_t id, const uint64_t *pfns,
                            uint32_t npages, uint32_t in_header,
                            const char *context)
{
    send_gpadl(relid, id, pfns, npages, in_header);
    return expect_gpadl_created(relid, id, context);
}

static bool gpadl_teardown(uint32_t relid, uint32_t id, const char *context)
{
    VmbusGpadlTeardown td;
    VmbusGpadlTorndown t;
    VmbusMsg m;

    memset(&td, 0, sizeof(td));
    msg_header(&td, VMBUS_MSG_GPADL_TEARDOWN);
    td.child_relid = relid;
    td.gpadl = id;
    vmbus_post(&td, sizeof(td));
    if (!vmbus_expect(VMBUS_MSG_GPADL_TORNDOWN, sizeof(t), &m, context)) {
        return false;
    }
    memcpy(&t, m.data, sizeof(t));
    if (t.gpadl != id) {
        t_fail("%s: GpadlTorndown for 0x%x, want 0x%x", context, t.gpadl, id);
        return false;
    }
    return true;
}

static void post_teardown(uint32_t id)
{
    VmbusGpadlTeardown td;

    memset(&td, 0, sizeof(td));
    msg_header(&td, VMBUS_MSG_GPADL_TEARDOWN);
    td.gpadl = id;
    vmbus_post(&td, sizeof(td));
}

/* The status of the OpenResult, or -1 (test failed). */
static int64_t channel_open(uint32_t relid, uint32_t open_id, uint32_t gpadl,
                            uint32_t target_vp, uint32_t split,
                            const char *context)
{
    VmbusOpenChannel op;
    VmbusOpenResult r;
    VmbusMsg m;

    memset(&op, 0, sizeof(op));
    msg_header(&op, VMBUS_MSG_OPEN_CHANNEL);
    op.child_relid = relid;
    op.open_id = open_id;
    op.ring_gpadl = gpadl;
    op.target_vp = target_vp;
    op.downstream_page_offset = split;
    vmbus_post(&op, sizeof(op));
    if (!vmbus_expect(VMBUS_MSG_OPEN_RESULT, sizeof(r), &m, context)) {
        return -1;
    }
    memcpy(&r, m.data, sizeof(r));
    if (r.child_relid != relid || r.open_id != open_id) {
        t_fail("%s: OpenResult for relid %u open id 0x%x, want %u / 0x%x",
               context, r.child_relid, r.open_id, relid, open_id);
        return -1;
    }
    return r.status;
}

static void channel_close(uint32_t relid)
{
    VmbusRelid cl;

    memset(&cl, 0, sizeof(cl));
    msg_header(&cl, VMBUS_MSG_CLOSE_CHANNEL);
    cl.child_relid = relid;
    vmbus_post(&cl, sizeof(cl));
}

/* A round trip through the server: is QEMU still there and listening? */
static bool server_alive(const char *context)
{
    char what[96];

    snprintf(what, sizeof(what), "%s: round trip afterwards", context);
    return gpadl_teardown(0, 0x0dead000 + vm.next_gpadl++, what);
}

/* Rings */

static void ring_setup(GuestRing *r, uint8_t *const *pages, uint32_t n)
{
    uint32_t i;

    r->ctrl = (VmbusRingCtrl *)pages[0];
    for (i = 1; i < n; i++) {
        r->data[i - 1] = pages[i];
    }
    r->size = (n - 1) * PAGE_SIZE;
}

static void ring_copy_from(const GuestRing *r, uint32_t pos, void *dst,
                           uint32_t len)
{
    uint8_t *out = dst;

    while (len--) {
        pos %= r->size;
        *out++ = r->data[pos / PAGE_SIZE][pos % PAGE_SIZE];
        pos++;
    }
}

static void ring_copy_to(GuestRing *r, uint32_t pos, const void *src,
                         uint32_t len)
{
    const uint8_t *in = src;

    while (len--) {
        pos %= r->size;
        r->data[pos / PAGE_SIZE][pos % PAGE_SIZE] = *in++;
        pos++;
    }
}

/*
 * Append one packet to the guest->host ring at its write_index and
 * publish it. Returns the new write_index.
 */
static uint32_t ring_put_packet(GuestRing *r, uint16_t type,
                                uint64_t trans_id, const void *payload,
                                uint32_t len)
{
    VmbusPktDesc d;
    uint32_t start = r->ctrl->write_index, pos, padded = (len + 7) & ~7u;
    uint64_t trailer = (uint64_t)start << 32;
    uint64_t zero = 0;

    d.type = type;
    d.offset8 = sizeof(d) / 8;
    d.len8 = (sizeof(d) + padded) / 8;
    d.flags = 0;
    d.trans_id = trans_id;
    ring_copy_to(r, start, &d, sizeof(d));
    ring_copy_to(r, start + sizeof(d), payload, len);
    ring_copy_to(r, start + sizeof(d) + len, &zero, padded - len);
    pos = start + sizeof(d) + padded;
    ring_copy_to(r, pos, &trailer, sizeof(trailer));
    pos = (pos + sizeof(trailer)) % r->size;
    mb();
    r->ctrl->write_index = pos;
    mb();
    return pos;
}

/*
 * The next packet of the host->guest ring at vm.out_read, waiting up to
 * @ms for it: its descriptor and payload (at most @max bytes). Checks what
 * a guest reader relies on. Returns false (test failed) if there is none
 * or it is malformed; on success vm.out_read moves past it (not yet
 * published to read_index).
 */
static bool ring_get_packet(VmbusPktDesc *d, uint8_t *payload, uint32_t max,
                            uint32_t *len, uint32_t ms, const char *context)
{
    GuestRing *r = &vm.out;
    uint32_t start = vm.out_read, w, avail, plen;
    uint64_t trailer;

    if (!WAIT_FOR(r->ctrl->write_index != start, ms)) {
        t_fail("%s: no packet from the host within %u ms", context, ms);
        return false;
    }
    w = r->ctrl->write_index;
    if (w >= r->size || (w & 7)) {
        t_fail("%s: host write_index 0x%x is invalid (ring of 0x%x bytes)",
               context, w, r->size);
        return false;
    }
    avail = w >= start ? w - start : r->size - start + w;
    ring_copy_from(r, start, d, sizeof(*d));
    if (d->offset8 * 8u < sizeof(*d) || d->len8 < d->offset8 ||
        d->len8 * 8u + VMBUS_PKT_TRAILER > avail) {
        t_fail("%s: malformed packet: offset8 %u len8 %u with %u bytes "
               "published", context, d->offset8, d->len8, avail);
        return false;
    }
    plen = (d->len8 - d->offset8) * 8u;
    *len = plen;
    ring_copy_from(r, start + d->offset8 * 8u, payload, MIN(plen, max));
    ring_copy_from(r, start + d->len8 * 8u, &trailer, sizeof(trailer));
    if (trailer != (uint64_t)start << 32) {
        t_fail("%s: packet trailer 0x%lx, want 0x%lx", context, trailer,
               (uint64_t)start << 32);
        return false;
    }
    vm.out_read = (start + d->len8 * 8u + VMBUS_PKT_TRAILER) % r->size;
    return true;
}

static bool event_flag(uint32_t relid)
{
    return synic_event_flags(VMBUS_SINT)[relid / 8] & (1u << (relid % 8));
}

static void event_flag_clear(uint32_t relid)
{
    volatile uint8_t *f = synic_event_flags(VMBUS_SINT); /* host sets */

    asm volatile("lock andb %1, %0"
                 : "+m"(f[relid / 8]) : "q"((uint8_t)~(1u << (relid % 8))));
}

/*
 * Fresh, zeroed ring pages in a scrambled order (GPADL pages need not be
 * contiguous), a GPADL for them, and the two rings' views.
 */
static bool ring_gpadl_new(const char *context)
{
    uint8_t *pages[RING_PAGES];
    uint64_t pfns[RING_PAGES];
    uint32_t i, id = 0x100 + vm.next_gpadl++;
    int64_t st;

    for (i = 0; i < RING_PAGES; i++) {
        pages[i] = page_alloc();
    }
    for (i = 0; i < RING_PAGES; i++) {
        vm.ring[i] = pages[(i * 3) % RING_PAGES];
        pfns[i] = gpa_of(vm.ring[i]) >> 12;
    }
    /* Three pfns in the header, five in a GpadlBody. */
    st = gpadl_create(vm.hb_relid, id, pfns, RING_PAGES, 3, context);
    if (st != 0) {
        if (st > 0) {
            t_fail("%s: GpadlCreated status 0x%lx for a good 8-page GPADL",
                   context, st);
        }
        vm.gpadl_ok = false;
        return false;
    }
    vm.ring_gpadl = id;
    vm.gpadl_ok = true;
    ring_setup(&vm.in, vm.ring, RING_SPLIT);
    ring_setup(&vm.out, vm.ring + RING_SPLIT, RING_PAGES - RING_SPLIT);
    vm.out_read = 0;
    return true;
}

/*
 * Open the heartbeat channel on the current ring GPADL and wait for the
 * IC NEGOTIATE the host sends first; keeps it for answering.
 */
static bool channel_open_ring(const char *context)
{
    uint8_t payload[sizeof(vm.neg)];
    VmbusPktDesc d;
    uint32_t len;
    int64_t st;

    st = channel_open(vm.hb_relid, RING_OPEN_ID, vm.ring_gpadl, 0,
                      RING_SPLIT, context);
    if (st != 0) {
        if (st > 0) {
            t_fail("%s: OpenResult status 0x%lx for a good open", context,
                   st);
        }
        return false;
    }
    vm.open = true;
    if (!ring_get_packet(&d, payload, sizeof(payload), &len, REPLY_MS,
                         context)) {
        return false;
    }
    vm.neg_trans_id = d.trans_id;
    vm.neg_len = len < sizeof(vm.neg) ? len : sizeof(vm.neg);
    memcpy(vm.neg, payload, vm.neg_len);
    return true;
}

/* Close the channel (if open), tear its GPADL down, make and open anew. */
static bool channel_cycle(const char *context)
{
    if (vm.open) {
        channel_close(vm.hb_relid);
        vm.open = false;
        if (!vmbus_expect_nothing(context)) {
            return false;
        }
    }
    if (vm.gpadl_ok) {
        vm.gpadl_ok = false;
        if (!gpadl_teardown(vm.hb_relid, vm.ring_gpadl, context)) {
            return false;
        }
    }
    return ring_gpadl_new(context) && channel_open_ring(context);
}

/* Tests: SynIC and connection */

static void test_synic_enable(void)
{
    uint64_t v;

    REQUIRE(hv.hypercall_page, "no hypercall page");
    REQUIRE(synic_setup(VMBUS_SINT, VEC_VMBUS),
            "enabling SCONTROL/SIMP/SIEFP/SINT2 failed");
    vm.synic = true;
    vm.conn = VMBUS_CONN_V5;
    v = rdmsr(HV_MSR_SIMP);
    CHECK(v == (gpa_of(hv.simp) | HV_PAGE_ENABLE), "SIMP reads 0x%lx", v);
    v = rdmsr(HV_MSR_SIEFP);
    CHECK(v == (gpa_of(hv.siefp) | HV_PAGE_ENABLE), "SIEFP reads 0x%lx", v);
    v = rdmsr(HV_MSR_SCONTROL);
    CHECK(v == 1, "SCONTROL reads 0x%lx", v);
    CHECK(synic_slot(VMBUS_SINT)->type == 0,
          "a message waits in slot 2 before anything was sent");
}

static void test_before_contact(void)
{
    uint8_t buf[HV_MESSAGE_PAYLOAD_MAX];
    VmbusGpadlHeader *h = (VmbusGpadlHeader *)buf;
    VmbusOpenChannel op;
    uint64_t range[2] = { PAGE_SIZE, 0x2000 };

    REQUIRE(vm.synic, "SynIC not enabled");
    memset(buf, 0, sizeof(buf));
    msg_header(buf, VMBUS_MSG_REQUEST_OFFERS);
    post_expect_nothing(buf, 8, "RequestOffers before InitiateContact");
    msg_header(h, VMBUS_MSG_GPADL_HEADER);
    h->gpadl = 0x77;
    h->range_buflen = 16;
    h->rangecount = 1;
    memcpy(buf + sizeof(*h), range, sizeof(range));
    post_expect_nothing(buf, sizeof(*h) + 16,
                        "GpadlHeader before InitiateContact");
    memset(&op, 0, sizeof(op));
    msg_header(&op, VMBUS_MSG_OPEN_CHANNEL);
    op.child_relid = 1;
    op.ring_gpadl = 0x77;
    op.downstream_page_offset = 2;
    post_expect_nothing(&op, sizeof(op), "OpenChannel before InitiateContact");
    memset(buf, 0, sizeof(buf));
    msg_header(buf, VMBUS_MSG_GPADL_TEARDOWN);
    post_expect_nothing(buf, 16, "GpadlTeardown before InitiateContact");
}

static void test_initiate_contact_bad(void)
{
    static const struct {
        const char *what;
        uint32_t conn, version, vcpu;
        uint8_t sint;
    } cases[] = {
        { "version 1.2", VMBUS_CONN_LEGACY, VMBUS_VERSION(1, 2), 0, 0 },
        { "version 0xffffffff", VMBUS_CONN_V5, 0xffffffff, 0, 2 },
        { "version 5.4", VMBUS_CONN_V5, VMBUS_VERSION(5, 4), 0, 2 },
        { "5.3 with msg_sint 16", VMBUS_CONN_V5, VMBUS_VERSION_5_3, 0, 16 },
        { "5.3 with msg_sint 255", VMBUS_CONN_V5, VMBUS_VERSION_5_3, 0, 255 },
        { "5.3 with target VP 7", VMBUS_CONN_V5, VMBUS_VERSION_5_3, 7, 2 },
        { "5.3 with target VP ~0", VMBUS_CONN_V5, VMBUS_VERSION_5_3,
          0xffffffff, 2 },
    };
    VmbusVersionResponse r;
    uint8_t buf[8];
    size_t i;

    REQUIRE(vm.synic, "SynIC not enabled");
    for (i = 0; i < ARRAY_SIZE(cases); i++) {
        if (!initiate_contact(cases[i].conn, cases[i].version, cases[i].vcpu,
                              cases[i].sint, &r, cases[i].what)) {
            continue;
        }
        CHECK(r.version_supported == 0,
              "InitiateContact %s was accepted", cases[i].what);
    }
    /* Still not connected: offers must not flow. */
    msg_header(buf, VMBUS_MSG_REQUEST_OFFERS);
    post_expect_nothing(buf, 8, "RequestOffers after refused contacts");
}

static void test_initiate_contact_legacy(void)
{
    VmbusVersionResponse r;

    REQUIRE(vm.synic, "SynIC not enabled");
    if (!initiate_contact(VMBUS_CONN_LEGACY, VMBUS_VERSION_4_0, 0, 0, &r,
                          "InitiateContact 4.0")) {
        return;
    }
    CHECK(r.version_supported == 1, "version 4.0 (Windows 10) refused");
}

static void test_initiate_contact(void)
{
    HvMessage *slot = synic_slot(VMBUS_SINT);
    VmbusInitiateContact ic;
    VmbusVersionResponse r;
    uint32_t irqs = irq_count(VEC_VMBUS);
    uint16_t st;

    REQUIRE(vm.synic, "SynIC not enabled");
    memset(&ic, 0, sizeof(ic));
    msg_header(&ic, VMBUS_MSG_INITIATE_CONTACT);
    ic.version = VMBUS_VERSION_5_3;
    ic.target_vcpu = 0;
    ic.msg_sint = VMBUS_SINT;
    st = hv_post_message(VMBUS_CONN_V5, VMBUS_SYNIC_MSG_TYPE, &ic,
                         sizeof(ic));
    REQUIRE(st == HV_STATUS_SUCCESS,
            "HvPostMessage(InitiateContact 5.3) returned %u", st);
    REQUIRE(WAIT_FOR(slot->type != 0, REPLY_MS),
            "no message in SIMP slot 2 within %u ms", REPLY_MS);
    CHECK(slot->type == VMBUS_SYNIC_MSG_TYPE,
          "slot 2 holds SynIC message type 0x%x, want 1", slot->type);
    CHECK(slot->payload_size >= sizeof(r) &&
          slot->payload_size <= HV_MESSAGE_PAYLOAD_MAX,
          "payload size %u", slot->payload_size);
    memcpy(&r, slot->payload, sizeof(r));
    CHECK(r.hdr.type == VMBUS_MSG_VERSION_RESPONSE,
          "got %s, want VersionResponse", msg_name(r.hdr.type));
    CHECK(r.version_supported == 1, "version 5.3 refused");
    CHECK(WAIT_FOR(irq_count(VEC_VMBUS) != irqs, REPLY_MS),
          "no SINT2 interrupt (vector 0x%x) with the message", VEC_VMBUS);
    t_info("msg_conn_id %u, connection_state %u", r.msg_conn_id,
           r.connection_state);
    CHECK(r.msg_conn_id != 0 && r.msg_conn_id <= 0xffffff,
          "msg_conn_id %u is not a connection id", r.msg_conn_id);
    /* Free the slot, then EOM as a guest does when done with a message. */
    slot->type = 0;
    mb();
    wrmsr(HV_MSR_EOM, 0);
    if (!t_failed()) {
        vm.connected = true;
        vm.conn = r.msg_conn_id;
    }
}

/* Tests: hostile channel messages */

static void test_host_only_types(void)
{
    static const uint32_t types[] = {
        VMBUS_MSG_OFFER_CHANNEL, VMBUS_MSG_RESCIND_OFFER,
        VMBUS_MSG_ALL_OFFERS_DELIVERED, VMBUS_MSG_OPEN_RESULT,
        VMBUS_MSG_GPADL_CREATED, VMBUS_MSG_GPADL_TORNDOWN,
        VMBUS_MSG_VERSION_RESPONSE, VMBUS_MSG_UNLOAD_RESPONSE,
        VMBUS_MSG_TL_CONNECT_RESULT, VMBUS_MSG_MODIFY_CHANNEL_RESPONSE,
    };
    static const uint8_t hb_guid[16] = HEARTBEAT_GUID_WIRE;
    VmbusOffer msg;
    char what[64];
    size_t i;

    REQUIRE(vm.connected, "not connected");
    for (i = 0; i < ARRAY_SIZE(types); i++) {
        /* A plausible body: an offer of a heartbeat device at relid 1. */
        memset(&msg, 0, sizeof(msg));
        msg_header(&msg, types[i]);
        memcpy(msg.if_type, hb_guid, 16);
        memcpy(msg.if_instance, hb_guid, 16);
        msg.child_relid = 1;
        msg.connection_id = 0x10001;
        snprintf(what, sizeof(what), "guest-sent %s", msg_name(types[i]));
        post_expect_nothing(&msg, sizeof(msg), what);
    }
    CHECK(server_alive("host-only types"), "the server stopped answering");
}

static void test_unknown_types(void)
{
    static const uint32_t types[] = {
        VMBUS_MSG_INVALID, 18, 19, 20, 25, 26, 100, 0x80000001, 0xffffffff,
    };
    uint8_t buf[64];
    char what[64];
    size_t i;

    REQUIRE(vm.connected, "not connected");
    for (i = 0; i < ARRAY_SIZE(types); i++) {
        memset(buf, 0x11, sizeof(buf));
        msg_header(buf, types[i]);
        snprintf(what, sizeof(what), "message type %u", types[i]);
        post_expect_nothing(buf, sizeof(buf), what);
    }
}

static void test_short_messages(void)
{
    static const struct {
        const char *what;
        uint32_t type, size;
    } cases[] = {
        { "empty payload", VMBUS_MSG_REQUEST_OFFERS, 0 },
        { "4-byte payload", VMBUS_MSG_REQUEST_OFFERS, 4 },
        { "7-byte payload", VMBUS_MSG_REQUEST_OFFERS, 7 },
        { "InitiateContact of 39 bytes", VMBUS_MSG_INITIATE_CONTACT, 39 },
        { "InitiateContact of 12 bytes", VMBUS_MSG_INITIATE_CONTACT, 12 },
        { "OpenChannel of 147 bytes", VMBUS_MSG_OPEN_CHANNEL, 147 },
        { "OpenChannel of 16 bytes", VMBUS_MSG_OPEN_CHANNEL, 16 },
        { "GpadlHeader without ranges", VMBUS_MSG_GPADL_HEADER, 20 },
        { "GpadlHeader of 27 bytes", VMBUS_MSG_GPADL_HEADER, 27 },
        { "GpadlTeardown of 15 bytes", VMBUS_MSG_GPADL_TEARDOWN, 15 },
        { "ModifyChannel of 12 bytes", VMBUS_MSG_MODIFY_CHANNEL, 12 },
        { "GpadlBody without pfns", VMBUS_MSG_GPADL_BODY, 16 },
    };
    uint8_t buf[HV_MESSAGE_PAYLOAD_MAX];
    VmbusInitiateContact *ic = (VmbusInitiateContact *)buf;
    VmbusGpadlHeader *h = (VmbusGpadlHeader *)buf;
    size_t i;

    REQUIRE(vm.connected, "not connected");
    for (i = 0; i < ARRAY_SIZE(cases); i++) {
        memset(buf, 0, sizeof(buf));
        msg_header(buf, cases[i].type);
        /* What is there is valid: only the length is wrong. */
        ic->version = VMBUS_VERSION_5_3;
        ic->msg_sint = VMBUS_SINT;
        if (cases[i].type == VMBUS_MSG_GPADL_HEADER) {
            h->gpadl = 0x99;
            h->range_buflen = 16;
            h->rangecount = 1;
        }
        post_expect_nothing(buf, cases[i].size, cases[i].what);
    }
    CHECK(server_alive("short messages"), "the server stopped answering");
}

/* A GpadlHeader from raw words after the fixed part */
typedef struct LyingGpadl {
    const char *what;
    uint16_t range_buflen, rangecount;
    uint32_t nwords;                /* 8-byte words after the header */
    uint64_t words[6];
    uint32_t extra_bytes;           /* odd bytes after the words */
} LyingGpadl;

#define RANGE(count, offset) (((uint64_t)(offset) << 32) | (uint32_t)(count))

static void test_gpadl_header_lies(void)
{
    static const LyingGpadl cases[] = {
        { "range_buflen shorter than the pfns sent", 16, 1, 3,
          { RANGE(2 * 4096, 0), 0x2000, 0x2001 } },
        { "range needs 8 pfns, range_buflen holds 2", 24, 1, 3,
          { RANGE(8 * 4096, 0), 0x2000, 0x2001 } },
        { "rangecount 3 with range_buflen for 1", 16, 3, 2,
          { RANGE(4096, 0), 0x2000 } },
        { "rangecount 0", 16, 0, 2, { RANGE(4096, 0), 0x2000 } },
        { "range_buflen not a multiple of 8", 20, 1, 2,
          { RANGE(4096, 0), 0x2000 } },
        { "range_buflen longer than its ranges", 24, 1, 3,
          { RANGE(4096, 0), 0x2000, RANGE(4096, 0) } },
        { "byte_count 0", 16, 1, 2, { RANGE(0, 0), 0x2000 } },
        { "byte_offset 4096", 16, 1, 2, { RANGE(4096, 4096), 0x2000 } },
        { "byte_offset 0xffffffff", 16, 1, 2,
          { RANGE(4096, 0xffffffff), 0x2000 } },
        { "byte_count 0xffffffff", 16, 1, 2,
          { RANGE(0xffffffff, 0), 0x2000 } },
        { "pfn beyond 64-bit GPAs", 16, 1, 2,
          { RANGE(4096, 0), 1ull << 52 } },
        { "second range overruns range_buflen", 32, 2, 4,
          { RANGE(4096, 0), 0x2000, RANGE(3 * 4096, 0), 0x2001 } },
        { "range data not a multiple of 8", 24, 1, 2,
          { RANGE(4096, 0), 0x2000 }, 4 },
    };
    uint8_t buf[HV_MESSAGE_PAYLOAD_MAX];
    VmbusGpadlHeader *h = (VmbusGpadlHeader *)buf;
    size_t i;

    REQUIRE(vm.connected, "not connected");
    for (i = 0; i < ARRAY_SIZE(cases); i++) {
        uint32_t id = 0x400 + i, len;
        int64_t st;

        memset(buf, 0, sizeof(buf));
        msg_header(h, VMBUS_MSG_GPADL_HEADER);
        h->child_relid = 1;
        h->gpadl = id;
        h->range_buflen = cases[i].range_buflen;
        h->rangecount = cases[i].rangecount;
        len = cases[i].nwords * 8;
        memcpy(buf + sizeof(*h), cases[i].words, len);
        len += sizeof(*h) + cases[i].extra_bytes;
        vmbus_post(buf, len);
        st = expect_gpadl_created(1, id, cases[i].what);
        CHECK(st != 0, "GpadlHeader with %s was accepted (status 0)",
              cases[i].what);
    }
}

static void test_gpadl_body_unknown(void)
{
    uint8_t buf[64];
    VmbusGpadlBody *b = (VmbusGpadlBody *)buf;
    uint64_t pfns[2] = { 0x2000, 0x2001 };

    REQUIRE(vm.connected, "not connected");
    memset(buf, 0, sizeof(buf));
    msg_header(b, VMBUS_MSG_GPADL_BODY);
    b->gpadl = 0xdead;
    memcpy(buf + sizeof(*b), pfns, sizeof(pfns));
    post_expect_nothing(buf, sizeof(*b) + sizeof(pfns),
                        "GpadlBody for an unknown GPADL");
    b->gpadl = 0;
    post_expect_nothing(buf, sizeof(*b) + sizeof(pfns),
                        "GpadlBody for GPADL 0");
}

static void test_gpadl_body_overflow(void)
{
    uint8_t buf[HV_MESSAGE_PAYLOAD_MAX];
    VmbusGpadlHeader *h = (VmbusGpadlHeader *)buf;
    VmbusGpadlBody *b = (VmbusGpadlBody *)buf;
    uint64_t words[2] = { RANGE(4 * 4096, 0), 0x3000 };
    uint64_t pfns[5] = { 0x3001, 0x3002, 0x3003, 0x3004, 0x3005 };
    uint64_t good[4] = { 0x3000, 0x3001, 0x3002, 0x3003 };
    uint32_t id = 0x500;
    int64_t st;

    REQUIRE(vm.connected, "not connected");
    /* A 4-page GPADL: the header has 1 pfn, the body brings 5. */
    memset(buf, 0, sizeof(buf));
    msg_header(h, VMBUS_MSG_GPADL_HEADER);
    h->child_relid = 1;
    h->gpadl = id;
    h->range_buflen = 8 + 4 * 8;
    h->rangecount = 1;
    memcpy(buf + sizeof(*h), words, sizeof(words));
    vmbus_post(buf, sizeof(*h) + sizeof(words));
    vmbus_expect_nothing("GpadlHeader waiting for its body");
    memset(buf, 0, sizeof(buf));
    msg_header(b, VMBUS_MSG_GPADL_BODY);
    b->gpadl = id;
    memcpy(buf + sizeof(*b), pfns, sizeof(pfns));
    vmbus_post(buf, sizeof(*b) + sizeof(pfns));
    st = expect_gpadl_created(1, id, "GpadlBody with too many pfns");
    CHECK(st != 0, "a GpadlBody with more pfns than range_buflen left was "
          "accepted");
    post_expect_nothing(buf, sizeof(*b) + 8,
                        "GpadlBody after the GPADL failed");

    /* A good one through header + body; then one body too many. */
    st = gpadl_create(1, id + 1, good, 4, 1, "4-page GPADL in two parts");
    CHECK(st == 0, "a good 4-page GPADL (header + body) got status 0x%lx",
          st);
    memset(buf, 0, sizeof(buf));
    msg_header(b, VMBUS_MSG_GPADL_BODY);
    b->gpadl = id + 1;
    memcpy(buf + sizeof(*b), pfns, 8);
    post_expect_nothing(buf, sizeof(*b) + 8,
                        "GpadlBody after the GPADL was complete");
    if (st == 0) {
        gpadl_teardown(1, id + 1, "teardown of the 4-page GPADL");
    }
}

static void test_open_unknown_relid(void)
{
    static const uint32_t relids[] = { 0, 0x7ff, 0x800, 0xffffffff };
    size_t i;

    REQUIRE(vm.connected, "not connected");
    for (i = 0; i < ARRAY_SIZE(relids); i++) {
        char what[64];
        int64_t st;

        snprintf(what, sizeof(what), "OpenChannel of relid 0x%x",
                 relids[i]);
        st = channel_open(relids[i], 0x77, 0x501, 0, 2, what);
        CHECK(st != 0, "%s succeeded", what);
    }
}

/* Tests: offers, GPADLs, open */

static void test_request_offers(void)
{
    static const uint8_t hb_guid[16] = HEARTBEAT_GUID_WIRE;
    uint8_t instances[8][16];
    uint8_t buf[8];
    unsigned offers = 0, i;
    VmbusMsg m;
    bool done = false;

    REQUIRE(vm.connected, "not connected");
    msg_header(buf, VMBUS_MSG_REQUEST_OFFERS);
    REQUIRE(vmbus_post(buf, 8) == HV_STATUS_SUCCESS,
            "HvPostMessage(RequestOffers) failed");
    while (!done && offers < 64) {
        VmbusOffer o;

        if (!vmbus_take(&m, REPLY_MS)) {
            t_fail("no AllOffersDelivered after %u offers", offers);
            return;
        }
        if (msg_type(&m) == VMBUS_MSG_ALL_OFFERS_DELIVERED) {
            done = true;
            break;
        }
        if (msg_type(&m) != VMBUS_MSG_OFFER_CHANNEL ||
            m.size < sizeof(o)) {
            t_fail("got %s (%u bytes) among the offers",
                   msg_name(msg_type(&m)), m.size);
            return;
        }
        memcpy(&o, m.data, sizeof(o));
        CHECK(o.child_relid >= 1 && o.child_relid <= 2047,
              "offer with relid %u", o.child_relid);
        CHECK(o.connection_id != 0, "offer of relid %u without a connection "
              "id", o.child_relid);
        for (i = 0; i < offers && i < ARRAY_SIZE(instances); i++) {
            CHECK(memcmp(instances[i], o.if_instance, 16) != 0,
                  "two offers with the same instance GUID");
        }
        if (offers < ARRAY_SIZE(instances)) {
            memcpy(instances[offers], o.if_instance, 16);
        }
        if (!memcmp(o.if_type, hb_guid, 16) && o.sub_channel_index == 0) {
            vm.hb_relid = o.child_relid;
            vm.hb_conn = o.connection_id;
            t_info("heartbeat offer: relid %u connection id 0x%x monitor "
                   "allocated %u", o.child_relid, o.connection_id,
                   o.monitor_allocated);
        }
        offers++;
    }
    CHECK(done, "more than 64 offers");
    CHECK(vm.hb_relid != 0, "no heartbeat offer among %u offers", offers);
    vm.offered = vm.hb_relid != 0;
}

static void test_request_offers_repeated(void)
{
    uint8_t buf[8];
    VmbusMsg m;
    unsigned got = 0;

    REQUIRE(vm.offered, "no offers");
    msg_header(buf, VMBUS_MSG_REQUEST_OFFERS);
    vmbus_post(buf, 8);
    /* Ignoring it and offering again are both fine; anything else is not. */
    while (got < 64 && vmbus_take(&m, QUIET_MS)) {
        uint32_t t = msg_type(&m);

        got++;
        CHECK(t == VMBUS_MSG_OFFER_CHANNEL ||
              t == VMBUS_MSG_ALL_OFFERS_DELIVERED,
              "a repeated RequestOffers got %s", msg_name(t));
    }
    t_info("a repeated RequestOffers got %u messages", got);
    CHECK(server_alive("repeated RequestOffers"),
          "the server stopped answering");
}

static void test_open_unknown_gpadl(void)
{
    int64_t st;

    REQUIRE(vm.offered, "no offers");
    st = channel_open(vm.hb_relid, 0x55, 0x4242, 0, 2,
                      "OpenChannel with an unknown GPADL");
    CHECK(st != 0, "OpenChannel with an unknown ring GPADL succeeded");
    st = channel_open(vm.hb_relid, 0x56, 0, 0, 2,
                      "OpenChannel with GPADL 0");
    CHECK(st != 0, "OpenChannel with ring GPADL 0 succeeded");
}

static void test_gpadl_create(void)
{
    REQUIRE(vm.offered, "no offers");
    ring_gpadl_new("8-page ring GPADL");
}

static void test_gpadl_duplicate_id(void)
{
    uint64_t pfns[2] = { 0x2000, 0x2001 };
    int64_t st;

    REQUIRE(vm.gpadl_ok, "no ring GPADL");
    st = gpadl_create(vm.hb_relid, vm.ring_gpadl, pfns, 2, 2,
                      "GPADL with an id in use");
    CHECK(st != 0, "a second GPADL with id 0x%x was accepted",
          vm.ring_gpadl);
}

static void expect_open_fails(uint32_t gpadl, uint32_t vp, uint32_t split,
                              const char *what)
{
    int64_t st = channel_open(vm.hb_relid, 0x66, gpadl, vp, split, what);

    CHECK(st != 0, "%s succeeded", what);
}

/* A GPADL over @n pages starting at @first_pfn; its id, or 0. */
static uint32_t gpadl_of_pfns(uint64_t first_pfn, uint32_t n,
                              const char *what)
{
    uint64_t pfns[RING_PAGES];
    uint32_t i, id = 0x600 + vm.next_gpadl++;
    int64_t st;

    for (i = 0; i < n; i++) {
        pfns[i] = first_pfn + i;
    }
    st = gpadl_create(vm.hb_relid, id, pfns, n, n, what);
    if (st != 0) {
        t_info("%s: GpadlCreated status 0x%lx (refused at creation)", what,
               st);
        return 0;
    }
    return id;
}

static void test_open_bad_params(void)
{
    static const uint32_t splits[] = { 0, 1, 7, 8, 100, 0xffffffff };
    static const struct {
        const char *what;
        uint64_t first_pfn;
        uint32_t pages;
    } bad_gpadls[] = {
        { "ring in the BIOS ROM", 0xffff8, 8 },
        { "ring outside RAM", 0x4000000, 8 },
        { "ring in the local APIC", 0xfee00, 8 },
        { "ring of 3 pages", 0x2000, 3 },
    };
    char what[80];
    size_t i;

    REQUIRE(vm.gpadl_ok, "no ring GPADL");
    for (i = 0; i < ARRAY_SIZE(splits); i++) {
        snprintf(what, sizeof(what), "OpenChannel split at page %u",
                 splits[i]);
        expect_open_fails(vm.ring_gpadl, 0, splits[i], what);
    }
    expect_open_fails(vm.ring_gpadl, 1, RING_SPLIT,
                      "OpenChannel to target VP 1 (of 1)");
    expect_open_fails(vm.ring_gpadl, 0xffffffff, RING_SPLIT,
                      "OpenChannel to target VP ~0");

    /* Ring control pages the guest left with garbage indices */
    vm.in.ctrl->write_index = 0x12345;
    expect_open_fails(vm.ring_gpadl, 0, RING_SPLIT,
                      "OpenChannel with an unaligned write_index");
    vm.in.ctrl->write_index = 0;
    vm.out.ctrl->read_index = 0xfffffff8;
    expect_open_fails(vm.ring_gpadl, 0, RING_SPLIT,
                      "OpenChannel with read_index beyond the ring");
    vm.out.ctrl->read_index = 0;

    for (i = 0; i < ARRAY_SIZE(bad_gpadls); i++) {
        uint32_t id = gpadl_of_pfns(bad_gpadls[i].first_pfn,
                                    bad_gpadls[i].pages, bad_gpadls[i].what);

        if (!id) {
            continue;
        }
        snprintf(what, sizeof(what), "OpenChannel with a %s",
                 bad_gpadls[i].what);
        expect_open_fails(id, 0, bad_gpadls[i].pages > 4 ? RING_SPLIT : 2,
                          what);
        gpadl_teardown(vm.hb_relid, id, bad_gpadls[i].what);
    }
}

static void test_open_channel(void)
{
    REQUIRE(vm.gpadl_ok, "no ring GPADL");
    channel_open_ring("OpenChannel of the heartbeat channel");
}

static void test_ic_negotiate(void)
{
    const IcPipeHdr *pipe = (const IcPipeHdr *)vm.neg;
    const IcMsgHdr *ic = (const IcMsgHdr *)(vm.neg + sizeof(*pipe));
    const IcNegotiate *neg = (const IcNegotiate *)(ic + 1);
    uint32_t hdrs = sizeof(*pipe) + sizeof(*ic);

    REQUIRE(vm.open && vm.neg_len, "channel not open, or no packet");
    REQUIRE(vm.neg_len >= hdrs + sizeof(*neg),
            "first packet has only %u bytes", vm.neg_len);
    CHECK(ic->msgtype == IC_MSG_NEGOTIATE, "first IC message has type %u, "
          "want NEGOTIATE (0)", ic->msgtype);
    CHECK(ic->flags & IC_FLAG_REQUEST, "NEGOTIATE without the request flag "
          "(flags 0x%x)", ic->flags);
    CHECK(neg->framework_count >= 1 && neg->service_count >= 1,
          "NEGOTIATE offers %u framework and %u service versions",
          neg->framework_count, neg->service_count);
    CHECK(hdrs + sizeof(*neg) + 4u * (neg->framework_count +
                                      neg->service_count) <= vm.neg_len,
          "NEGOTIATE lists more versions than the packet holds");
    t_info("NEGOTIATE: framework %u.%u (of %u), service %u.%u (of %u)",
           neg->versions[0].major, neg->versions[0].minor,
           neg->framework_count,
           neg->versions[neg->framework_count].major,
           neg->versions[neg->framework_count].minor, neg->service_count);
    CHECK(event_flag(vm.hb_relid),
          "event flag %u in SIEFP slot 2 is not set", vm.hb_relid);
    CHECK(irq_count(VEC_VMBUS) > 0, "no SINT2 interrupt at all");
}

static void test_ic_response(void)
{
    uint8_t resp[sizeof(vm.neg)];
    IcMsgHdr *ic = (IcMsgHdr *)(resp + sizeof(IcPipeHdr));
    IcNegotiate *neg = (IcNegotiate *)(ic + 1);
    uint8_t payload[256];
    VmbusPktDesc d;
    uint32_t irqs, w, len;
    const IcMsgHdr *hb = (const IcMsgHdr *)(payload + sizeof(IcPipeHdr));
    uint16_t st;

    REQUIRE(vm.open && vm.neg_len >= sizeof(IcPipeHdr) + sizeof(IcMsgHdr) +
            sizeof(IcNegotiate) + 8, "no NEGOTIATE to answer");
    /* Answer as hv_utils does: the same buffer, one version of each. */
    memcpy(resp, vm.neg, vm.neg_len);
    ic->flags = IC_FLAG_TRANSACTION | IC_FLAG_RESPONSE;
    ic->status = 0;
    neg->framework_count = 1;
    neg->service_count = 1;
    /* versions[0] stays the newest framework version the host offered */
    neg->versions[1].major = 3;
    neg->versions[1].minor = 0;

    /* Everything read so far is consumed; the host may signal again. */
    mb();
    vm.out.ctrl->read_index = vm.out_read;
    event_flag_clear(vm.hb_relid);
    irqs = irq_count(VEC_VMBUS);
    w = ring_put_packet(&vm.in, VMBUS_PKT_INBAND, vm.neg_trans_id, resp,
                        vm.neg_len);
    st = hv_signal_event(vm.hb_conn, 0);
    REQUIRE(st == HV_STATUS_SUCCESS,
            "HvSignalEvent on the open channel's connection 0x%x returned %u",
            vm.hb_conn, st);
    CHECK(WAIT_FOR(vm.in.ctrl->read_index == w, REPLY_MS),
          "the host did not consume the response (read_index 0x%x, "
          "write_index 0x%x)", vm.in.ctrl->read_index, w);
    if (!ring_get_packet(&d, payload, sizeof(payload), &len, REPLY_MS,
                         "heartbeat request")) {
        return;
    }
    CHECK(len >= sizeof(IcPipeHdr) + sizeof(IcMsgHdr) + 8,
          "heartbeat packet of %u bytes", len);
    CHECK(hb->msgtype == IC_MSG_HEARTBEAT, "IC message type %u after "
          "negotiation, want HEARTBEAT (1)", hb->msgtype);
    CHECK(hb->framework.major == neg->versions[0].major &&
          hb->service.major == 3,
          "heartbeat request carries versions %u.%u / %u.%u, not the "
          "negotiated ones", hb->framework.major, hb->framework.minor,
          hb->service.major, hb->service.minor);
    CHECK(WAIT_FOR(event_flag(vm.hb_relid), REPLY_MS),
          "no event flag for the heartbeat packet");
    CHECK(WAIT_FOR(irq_count(VEC_VMBUS) != irqs, REPLY_MS),
          "no interrupt for the heartbeat packet");
    mb();
    vm.out.ctrl->read_index = vm.out_read;
}

static void test_open_twice(void)
{
    int64_t st;

    REQUIRE(vm.open, "channel not open");
    st = channel_open(vm.hb_relid, 0x99, vm.ring_gpadl, 0, RING_SPLIT,
                      "second OpenChannel of an open channel");
    CHECK(st != 0, "an open channel was opened again");
    CHECK(hv_signal_event(vm.hb_conn, 0) == HV_STATUS_SUCCESS,
          "the channel's connection is gone after the refused open");
}

static void test_modify_channel(void)
{
    static const struct {
        const char *what;
        bool open_relid;
        uint32_t vp;
        bool ok;
    } cases[] = {
        { "ModifyChannel to VP 0", true, 0, true },
        { "ModifyChannel to VP 9", true, 9, false },
        { "ModifyChannel of an unknown relid", false, 0, false },
    };
    uint8_t buf[16];
    size_t i;

    REQUIRE(vm.open, "channel not open");
    for (i = 0; i < ARRAY_SIZE(cases); i++) {
        uint32_t relid = 0x7fe;             /* nobody's */
        uint32_t status;
        VmbusMsg m;

        if (cases[i].open_relid) {
            relid = vm.hb_relid;
        }
        msg_header(buf, VMBUS_MSG_MODIFY_CHANNEL);
        memcpy(buf + 8, &relid, 4);
        memcpy(buf + 12, &cases[i].vp, 4);
        vmbus_post(buf, sizeof(buf));
        if (!vmbus_expect(VMBUS_MSG_MODIFY_CHANNEL_RESPONSE, 16, &m,
                          cases[i].what)) {
            continue;
        }
        memcpy(&status, m.data + 12, 4);
        CHECK((status == 0) == cases[i].ok, "%s: status 0x%x", cases[i].what,
              status);
    }
}

/* Tests: bad rings */

static void test_ring_bad_write_index(void)
{
    uint32_t rd, w;
    uint16_t st;

    REQUIRE(vm.open, "channel not open");
    rd = vm.in.ctrl->read_index;
    w = vm.in.ctrl->write_index;
    vm.in.ctrl->write_index = 0x7ffffff8;       /* far beyond 12 KiB */
    mb();
    st = hv_signal_event(vm.hb_conn, 0);
    CHECK(st == HV_STATUS_SUCCESS, "HvSignalEvent returned %u", st);
    delay_ms(200);
    CHECK(vm.in.ctrl->read_index == rd,
          "the host moved read_index from 0x%x to 0x%x in a ring whose "
          "write_index is out of range", rd, vm.in.ctrl->read_index);
    CHECK(server_alive("ring with an out-of-range write_index"),
          "the server stopped answering");

    /* Put the index back and send a good packet: the ring stays broken. */
    vm.in.ctrl->write_index = w;
    {
        uint8_t junk[32] = { 0 };
        uint32_t nw = ring_put_packet(&vm.in, VMBUS_PKT_INBAND, 7, junk,
                                      sizeof(junk));

        hv_signal_event(vm.hb_conn, 0);
        delay_ms(100);
        t_info("after repairing write_index the host %s the next packet",
               vm.in.ctrl->read_index == nw ? "consumed" : "ignored");
    }
}

typedef struct RingAbuse {
    const char *what;
    /* write what the guest publishes; returns false to skip */
    void (*make)(GuestRing *r);
} RingAbuse;

static void abuse_unaligned_write_index(GuestRing *r)
{
    r->ctrl->write_index = 5;
}

static void put_raw_desc(GuestRing *r, uint16_t offset8, uint16_t len8,
                         uint32_t publish)
{
    VmbusPktDesc d = {
        .type = VMBUS_PKT_INBAND, .offset8 = offset8, .len8 = len8,
        .trans_id = 1,
    };

    ring_copy_to(r, r->ctrl->write_index, &d, sizeof(d));
    mb();
    r->ctrl->write_index = (r->ctrl->write_index + publish) % r->size;
}

static void abuse_offset_in_desc(GuestRing *r)
{
    put_raw_desc(r, 1, 4, 40);
}

static void abuse_len_below_offset(GuestRing *r)
{
    put_raw_desc(r, 4, 2, 40);
}

static void abuse_len_beyond_published(GuestRing *r)
{
    put_raw_desc(r, 2, 0xffff, 64);
}

static void abuse_fewer_than_a_packet(GuestRing *r)
{
    put_raw_desc(r, 2, 2, 8);
}

static void abuse_packet_fills_ring(GuestRing *r)
{
    /* A descriptor claiming the whole data area, wrapping around. */
    put_raw_desc(r, 2, (r->size - 8) / 8, r->size - 8);
}

static void abuse_huge_packet(GuestRing *r)
{
    /* Well-formed, larger than any IC message: dropped, not a crash. */
    uint32_t len = r->size - 64;

    put_raw_desc(r, 2, len / 8, len + 8);
}

static void abuse_host_ring_read_index(GuestRing *r)
{
    /*
     * The host->guest ring: an impossible read_index, then make the host
     * write (answering the negotiation makes it send a heartbeat).
     */
    uint8_t resp[sizeof(vm.neg)];
    IcMsgHdr *ic = (IcMsgHdr *)(resp + sizeof(IcPipeHdr));
    IcNegotiate *neg = (IcNegotiate *)(ic + 1);

    vm.out.ctrl->read_index = 0xfff0;
    memcpy(resp, vm.neg, vm.neg_len);
    ic->flags = IC_FLAG_TRANSACTION | IC_FLAG_RESPONSE;
    neg->framework_count = 1;
    neg->service_count = 1;
    neg->versions[1].major = 3;
    neg->versions[1].minor = 0;
    ring_put_packet(r, VMBUS_PKT_INBAND, vm.neg_trans_id, resp, vm.neg_len);
}

static void test_ring_bad_packets(void)
{
    static const RingAbuse abuses[] = {
        { "unaligned write_index", abuse_unaligned_write_index },
        { "offset8 inside the descriptor", abuse_offset_in_desc },
        { "len8 below offset8", abuse_len_below_offset },
        { "len8 beyond the published bytes", abuse_len_beyond_published },
        { "fewer bytes than a packet", abuse_fewer_than_a_packet },
        { "a packet as large as the ring", abuse_packet_fills_ring },
        { "a well-formed 12 KiB packet", abuse_huge_packet },
        { "host->guest read_index beyond the ring",
          abuse_host_ring_read_index },
    };
    size_t i;

    REQUIRE(vm.offered, "no offers");
    for (i = 0; i < ARRAY_SIZE(abuses); i++) {
        uint16_t st;

        if (!channel_cycle(abuses[i].what)) {
            return;
        }
        abuses[i].make(&vm.in);
        mb();
        st = hv_signal_event(vm.hb_conn, 0);
        CHECK(st == HV_STATUS_SUCCESS, "%s: HvSignalEvent returned %u",
              abuses[i].what, st);
        delay_ms(100);
        if (!server_alive(abuses[i].what)) {
            return;
        }
    }
    /* And a normal open still works afterwards. */
    if (channel_cycle("open after the bad rings")) {
        vm.out.ctrl->read_index = vm.out_read;
    }
}

static void test_gpadl_teardown_in_use(void)
{
    uint32_t gpadl = vm.ring_gpadl, got;
    int64_t st;
    VmbusMsg m;

    REQUIRE(vm.open && vm.gpadl_ok, "channel not open");
    /*
     * Linux closes first; a hostile guest need not. The host still uses
     * the ring, so the guest gets its pages back (GpadlTorndown) only when
     * the channel is closed: until then the answer is held back.
     */
    post_teardown(gpadl);
    vmbus_expect_nothing("GpadlTeardown of an open channel's ring");
    vm.gpadl_ok = false;
    CHECK(hv_signal_event(vm.hb_conn, 0) == HV_STATUS_SUCCESS,
          "the channel broke when its GPADL was torn down");
    delay_ms(50);
    channel_close(vm.hb_relid);
    vm.open = false;
    if (vmbus_expect(VMBUS_MSG_GPADL_TORNDOWN, 12, &m,
                     "GpadlTorndown once the channel closed")) {
        memcpy(&got, m.data + 8, 4);
        CHECK(got == gpadl, "GpadlTorndown for 0x%x, want 0x%x", got, gpadl);
    }
    CHECK(hv_signal_event(vm.hb_conn, 0) == HV_STATUS_INVALID_CONNECTION_ID,
          "the closed channel's connection still takes HvSignalEvent");
    channel_close(vm.hb_relid);
    vmbus_expect_nothing("CloseChannel of a closed channel");
    st = channel_open(vm.hb_relid, 0x77, gpadl, 0, RING_SPLIT,
                      "OpenChannel with a torn-down GPADL");
    CHECK(st != 0, "a torn-down GPADL could be used as a ring");
    CHECK(server_alive("teardown in use"), "the server stopped answering");
}

/* Tests: SynIC message queueing */

static void test_masked_sint(void)
{
    HvMessage *slot = synic_slot(VMBUS_SINT);
    uint32_t irqs, id = 0x5500, got;
    bool in_slot;
    VmbusMsg m;

    REQUIRE(vm.connected, "not connected");
    wrmsr(HV_SINT_MSR(VMBUS_SINT), HV_SINT_MASKED | VEC_VMBUS);
    irqs = irq_count(VEC_VMBUS);
    post_teardown(id);
    delay_ms(100);
    CHECK(irq_count(VEC_VMBUS) == irqs,
          "interrupt from a masked SINT");
    in_slot = slot->type != 0;
    t_info("while SINT2 is masked the reply is %s", in_slot ?
           "already in the slot" : "held back");
    wrmsr(HV_SINT_MSR(VMBUS_SINT), VEC_VMBUS);
    if (!vmbus_expect(VMBUS_MSG_GPADL_TORNDOWN, 12, &m,
                      "reply after unmasking")) {
        return;
    }
    memcpy(&got, m.data + 8, 4);
    CHECK(got == id, "GpadlTorndown for 0x%x, want 0x%x", got, id);
    CHECK(WAIT_FOR(irq_count(VEC_VMBUS) != irqs, REPLY_MS),
          "no interrupt after unmasking SINT2 with a message pending");
}

static void test_pending_eom(void)
{
    HvMessage *slot = synic_slot(VMBUS_SINT);
    const uint32_t n = 5, base = 0x6000;
    uint32_t i, irqs;

    REQUIRE(vm.connected, "not connected");
    irqs = irq_count(VEC_VMBUS);
    for (i = 0; i < n; i++) {
        post_teardown(base + i);
    }
    for (i = 0; i < n; i++) {
        uint32_t id = 0;

        if (!WAIT_FOR(slot->type != 0, REPLY_MS)) {
            t_fail("reply %u of %u did not arrive", i + 1, n);
            return;
        }
        memcpy(&id, slot->payload + 8, 4);
        CHECK(id == base + i, "reply %u is for GPADL 0x%x, want 0x%x "
              "(out of order)", i + 1, id, base + i);
        if (i + 1 < n) {
            CHECK(slot->flags & HV_MESSAGE_PENDING,
                  "reply %u of %u: pending flag clear with more queued",
                  i + 1, n);
        } else {
            CHECK(!(slot->flags & HV_MESSAGE_PENDING),
                  "last reply: pending flag set with nothing queued");
        }
        if (i == 0) {
            /* Nothing moves until the guest frees the slot. */
            delay_ms(50);
            memcpy(&id, slot->payload + 8, 4);
            CHECK(id == base, "the slot was overwritten while busy");
        }
        synic_ack(VMBUS_SINT);
    }
    CHECK(irq_count(VEC_VMBUS) != irqs, "no interrupts for the replies");
    vmbus_expect_nothing("after the last queued reply");
}

static void test_eom_busy_slot(void)
{
    HvMessage *slot = synic_slot(VMBUS_SINT);
    uint32_t id = 0;

    REQUIRE(vm.connected, "not connected");
    post_teardown(0x6100);
    post_teardown(0x6101);
    REQUIRE(WAIT_FOR(slot->type != 0, REPLY_MS), "no reply");
    /* EOM while the slot is still busy: the message must stay. */
    wrmsr(HV_MSR_EOM, 0);
    delay_ms(20);
    memcpy(&id, slot->payload + 8, 4);
    CHECK(slot->type != 0 && id == 0x6100,
          "EOM with a busy slot replaced its message (now type 0x%x, id "
          "0x%x)", slot->type, id);
    synic_ack(VMBUS_SINT);
    REQUIRE(WAIT_FOR(slot->type != 0, REPLY_MS), "second reply missing");
    memcpy(&id, slot->payload + 8, 4);
    CHECK(id == 0x6101, "second reply for 0x%x", id);
    synic_ack(VMBUS_SINT);
    vmbus_expect_nothing("after both replies");
}

static void test_queue_overflow(void)
{
    const uint32_t n = 300, base = 0x7000;
    uint32_t i, refused = 0, received = 0, last = 0, first_refused = 0;
    VmbusMsg m;

    REQUIRE(vm.connected, "not connected");
    /* Many requests, no reading: the replies pile up in the hypervisor. */
    for (i = 0; i < n; i++) {
        VmbusGpadlTeardown td;
        uint16_t st;

        memset(&td, 0, sizeof(td));
        msg_header(&td, VMBUS_MSG_GPADL_TEARDOWN);
        td.gpadl = base + i;
        st = vmbus_post(&td, sizeof(td));
        if (st != HV_STATUS_SUCCESS) {
            if (!refused++) {
                first_refused = i;
                t_info("HvPostMessage %u returned %u", i, st);
            }
        }
    }
    while (received < n && vmbus_take(&m, 500)) {
        uint32_t id = 0;

        memcpy(&id, m.data + 8, 4);
        if (msg_type(&m) != VMBUS_MSG_GPADL_TORNDOWN ||
            id < base || id >= base + n || (received && id <= last)) {
            t_fail("reply %u: %s for 0x%x after 0x%x", received,
                   msg_name(msg_type(&m)), id, last);
            break;
        }
        last = id;
        received++;
    }
    t_info("%u requests: %u replies, %u refused (first refused #%u)", n,
           received, refused, first_refused);
    CHECK(received + refused == n,
          "%u requests were accepted (HvPostMessage status 0) but never "
          "answered: replies lost, a guest waiting for them hangs",
          n - received - refused);
    CHECK(server_alive("message flood"), "the server stopped answering");
}

/*
 * A ring page the guest ran code from before. Under TCG the host's writes
 * to it (the write_index of the NEGOTIATE it sends at open) must drop the
 * code translated from it, or keep the page's writes trapped: code the
 * guest writes there afterwards is what runs, not the old translation.
 */
static void test_ring_page_was_code(void)
{
    static const uint8_t ret1[] = { 0xb8, 1, 0, 0, 0, 0xc3 };
    static const uint8_t ret2[] = { 0xb8, 2, 0, 0, 0, 0xc3 };
    const char *context = "ring page that held code";
    volatile uint8_t *code;     /* the host writes this page too */
    int (*fn)(void);
    int r;

    REQUIRE(vm.connected && vm.hb_relid, "no heartbeat channel");
    if (vm.open) {
        channel_close(vm.hb_relid);
        vm.open = false;
        REQUIRE(vmbus_expect_nothing(context), "close answered");
    }
    if (vm.gpadl_ok) {
        vm.gpadl_ok = false;
        REQUIRE(gpadl_teardown(vm.hb_relid, vm.ring_gpadl, context),
                "teardown failed");
    }
    REQUIRE(ring_gpadl_new(context), "no ring GPADL");
    /* The host->guest ring's control page: the host writes its index. */
    code = vm.ring[RING_SPLIT] + 0x800;
    fn = (int (*)(void))(uintptr_t)code;
    memcpy((void *)code, ret1, sizeof(ret1));
    r = fn();
    CHECK(r == 1, "the first code returned %d", r);
    REQUIRE(channel_open_ring(context), "open failed");
    memcpy((void *)code, ret2, sizeof(ret2));
    r = fn();
    CHECK(r == 2, "the code written after the host's ring write returned "
          "%d: a stale translation of the old code ran", r);
}

/* Unload */

static void test_unload(void)
{
    VmbusVersionResponse r;
    uint8_t buf[8];
    VmbusMsg m;

    REQUIRE(vm.connected, "not connected");
    msg_header(buf, VMBUS_MSG_UNLOAD);
    vmbus_post(buf, 8);
    REQUIRE(vmbus_expect(VMBUS_MSG_UNLOAD_RESPONSE, 8, &m, "Unload"),
            "no UnloadResponse");
    vm.connected = false;
    vm.open = false;
    vm.gpadl_ok = false;
    if (vm.hb_conn) {
        CHECK(hv_signal_event(vm.hb_conn, 0) ==
              HV_STATUS_INVALID_CONNECTION_ID,
              "a channel connection still takes events after Unload");
    }
    msg_header(buf, VMBUS_MSG_REQUEST_OFFERS);
    post_expect_nothing(buf, 8, "RequestOffers after Unload");
    /* A new contact works, and a second Unload as well. */
    if (initiate_contact(VMBUS_CONN_V5, VMBUS_VERSION_5_3, 0, VMBUS_SINT, &r,
                         "InitiateContact after Unload")) {
        CHECK(r.version_supported == 1, "no new contact after Unload");
    }
    msg_header(buf, VMBUS_MSG_UNLOAD);
    vmbus_post(buf, 8);
    vmbus_expect(VMBUS_MSG_UNLOAD_RESPONSE, 8, &m, "second Unload");
}

const HvTestCase vmbus_tests[] = {
    { "synic-enable", test_synic_enable },
    { "vmbus-before-contact", test_before_contact },
    { "vmbus-initiate-contact-refused", test_initiate_contact_bad },
    { "vmbus-initiate-contact-legacy", test_initiate_contact_legacy },
    { "vmbus-initiate-contact", test_initiate_contact },
    { "vmbus-host-only-types", test_host_only_types },
    { "vmbus-unknown-types", test_unknown_types },
    { "vmbus-short-messages", test_short_messages },
    { "vmbus-gpadl-header-lies", test_gpadl_header_lies },
    { "vmbus-gpadl-body-unknown", test_gpadl_body_unknown },
    { "vmbus-gpadl-body-overflow", test_gpadl_body_overflow },
    { "vmbus-open-unknown-relid", test_open_unknown_relid },
    { "vmbus-request-offers", test_request_offers },
    { "vmbus-request-offers-repeated", test_request_offers_repeated },
    { "vmbus-open-unknown-gpadl", test_open_unknown_gpadl },
    { "vmbus-gpadl-create", test_gpadl_create },
    { "vmbus-gpadl-duplicate-id", test_gpadl_duplicate_id },
    { "vmbus-open-bad-params", test_open_bad_params },
    { "vmbus-open-channel", test_open_channel },
    { "vmbus-ic-negotiate", test_ic_negotiate },
    { "vmbus-ic-response", test_ic_response },
    { "vmbus-open-twice", test_open_twice },
    { "vmbus-modify-channel", test_modify_channel },
    { "vmbus-ring-bad-write-index", test_ring_bad_write_index },
    { "vmbus-ring-bad-packets", test_ring_bad_packets },
    { "vmbus-gpadl-teardown-in-use", test_gpadl_teardown_in_use },
    { "synic-masked-sint", test_masked_sint },
    { "synic-pending-eom", test_pending_eom },
    { "synic-eom-busy-slot", test_eom_busy_slot },
    { "synic-queue-overflow", test_queue_overflow },
    { "vmbus-ring-page-was-code", test_ring_page_was_code },
    { "vmbus-unload", test_unload },
};
const size_t vmbus_tests_count = ARRAY_SIZE(vmbus_tests);
