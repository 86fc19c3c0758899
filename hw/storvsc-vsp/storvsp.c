/*
 * qemu-hvpart: "-device vmbus-scsi", a synthetic SCSI controller (storvsp).
 *
 * One VMBus channel with the SCSI interface GUID (plus the sub-channels the
 * guest asks for) carries vstor packets (storvsp-proto.h). The device owns
 * a QEMU SCSI bus: scsi-hd, scsi-cd, scsi-block... attach to it and do all
 * command emulation; this file only moves SRBs between the rings and
 * QEMU's SCSI layer.
 *
 * The guest (Linux: drivers/scsi/storvsc_drv.c) opens the primary channel
 * and runs BEGIN_INITIALIZATION, QUERY_PROTOCOL_VERSION (until one is
 * accepted), QUERY_PROPERTIES, END_INITIALIZATION and then, if the
 * properties allow it, CREATE_SUB_CHANNELS. Each is answered by a
 * COMPLETE_IO completion packet. Afterwards every channel carries
 * EXECUTE_SRB packets, completed the same way, in any order.
 *
 * Addressing: the guest names a device by (path, target, lun) and scans
 * paths 0..7, targets 0..1 and LUNs 0..254 (storvsc's max_channel, max_id
 * and max_lun). Path 0 is QEMU's SCSI channel 0; target and LUN are a SCSI
 * device's scsi-id and lun properties, so "-device scsi-hd,lun=N" appears
 * in the guest as H:0:0:N, as a Hyper-V SCSI disk at location N does.
 *
 * Data: an SRB with data comes in a GPA_DIRECT packet whose page ranges
 * become a QEMUSGList on guest RAM that the SCSI device DMAs to or from
 * (scsi-disk: dma_blk_io), with no bounce copy.
 *
 * Everything the guest sends is copied out of the ring first (the VMBus
 * layer does that) and checked before use; a rejected packet is answered
 * with an error status where the guest waits for an answer, and traced.
 *
 * All of it runs with the BQL held.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/bswap.h"
#include "qemu/main-loop.h"
#include "qemu/rcu.h"
#include "qemu/units.h"
#include "exec/address-spaces.h"
#include "exec/memory.h"
#include "system/dma.h"
#include "system/runstate.h"
#include "hw/hotplug.h"
#include "hw/qdev-properties.h"
#include "hw/scsi/scsi.h"
#include "scsi/constants.h"
#include "scsi/utils.h"
#include "migration/vmstate.h"
#include "accel/hvpart/hvpart.h"
#include "hw/vmbus/vmbus.h"
#include "hw/storvsc-vsp/storvsp-proto.h"
#include "trace.h"

#define TYPE_VMBUS_SCSI "vmbus-scsi"
OBJECT_DECLARE_SIMPLE_TYPE(StorvspState, VMBUS_SCSI)

/* Hyper-V gives a VM at most four synthetic SCSI controllers. */
#define STORVSP_MAX_CONTROLLERS     4

/*
 * The address space the guest scans (storvsc: max_channel + 1, max_id,
 * max_lun): paths 0..7, targets 0..1, LUNs 0..254. Only path 0 holds
 * devices.
 */
#define STORVSP_MAX_PATHS           8
#define STORVSP_MAX_TARGETS         2
#define STORVSP_MAX_LUN             254

/*
 * Requests in flight per channel before the VSP stops reading the ring. A
 * Linux guest keeps fewer (its queue depth follows the ring size).
 */
#define STORVSP_MAX_INFLIGHT        1024

/* Physical address width the GPA ranges may name (x86-64: 52 bits). */
#define STORVSP_MAX_PFN             ((1ull << (52 - VMBUS_PAGE_SHIFT)) - 1)

/* Standard INQUIRY data length of the answer for an empty address */
#define STORVSP_INQUIRY_LEN         36

typedef struct StorvspState StorvspState;

/* An answer waiting for room in the host-to-guest ring */
typedef struct StorvspAnswer {
    QSIMPLEQ_ENTRY(StorvspAnswer) link;
    uint16_t type;                      /* VMBUS_PKT_COMP or _INBAND */
    uint64_t trans_id;
    uint32_t len;
    StorvspPacket packet;
} StorvspAnswer;

/* One channel: the primary (index 0) or a sub-channel */
typedef struct StorvspQueue {
    StorvspState *s;
    VMBusChannel *chan;
    uint16_t index;
    bool open;
    /* stopped reading the ring: too many requests or answers pending */
    bool stalled;
    uint32_t inflight;
    uint32_t nanswers;
    QSIMPLEQ_HEAD(, StorvspAnswer) answers;
    uint8_t *rx_buf;                    /* rx_buf_len bytes */
} StorvspQueue;

/* One SCSI request in flight */
typedef struct StorvspRequest {
    StorvspQueue *q;
    SCSIRequest *sreq;
    QEMUSGList qsgl;
    uint64_t trans_id;
    uint32_t answer_len;
    bool cancelling;
    StorvspScsiRequest srb;             /* the guest's, copied */
    QTAILQ_ENTRY(StorvspRequest) link;
} StorvspRequest;

typedef enum StorvspInitState {
    STORVSP_INIT_BEGIN,                 /* waiting for BEGIN_INITIALIZATION */
    STORVSP_INIT_VERSION,               /* waiting for an acceptable version */
    STORVSP_INIT_END,                   /* waiting for END_INITIALIZATION */
    STORVSP_INIT_READY,                 /* SRBs flow */
} StorvspInitState;

struct StorvspState {
    VMBusDevice parent_obj;

    SCSIBus bus;

    /* properties */
    uint32_t max_transfer;
    uint16_t max_sub_channels;

    /* protocol state, kept by the primary channel */
    uint32_t init_state;                /* StorvspInitState */
    uint16_t version;                   /* agreed version, 0 before */
    uint16_t sub_channels;              /* offered at the guest's request */

    uint32_t next_tag;
    uint32_t rx_buf_len;
    QEMUBH *resume_bh;
    StorvspQueue queues[VMBUS_MAX_CHANNELS_PER_DEVICE];
    QTAILQ_HEAD(, StorvspRequest) requests;
};

/* The GPA_DIRECT range list of one packet, inside the packet's copy */
typedef struct StorvspGpaList {
    const uint8_t *ranges;              /* first VMBusGpaRange */
    uint32_t count;
    uint64_t bytes;                     /* sum of the byte counts */
} StorvspGpaList;

static const uint16_t storvsp_versions[] = {
    STORVSP_VERSION_WIN10, STORVSP_VERSION_WIN8_1, STORVSP_VERSION_WIN8,
};

static void storvsp_process(StorvspQueue *q);

/* Protocol helpers */

static bool storvsp_version_supported(uint16_t version)
{
    int i;

    for (i = 0; i < ARRAY_SIZE(storvsp_versions); i++) {
        if (storvsp_versions[i] == version) {
            return true;
        }
    }
    return false;
}

/* The SRB size, and so the vstor packet size, of a protocol version */
static uint32_t storvsp_srb_size(uint16_t version)
{
    return version >= STORVSP_VERSION_WIN8 ? STORVSP_SRB_SIZE
                                           : STORVSP_SRB_SIZE_PRE_WIN8;
}

/*
 * How long an answer is. Once a version is agreed, the packet size of that
 * version: guests check it. Before that the guest's own packet size
 * decides, as on Hyper-V: Linux 6.1 sends and expects 64-byte packets from
 * the start, older Linux 48-byte ones until it reaches protocol 5.1.
 */
static uint32_t storvsp_answer_len(StorvspState *s, uint32_t request_len)
{
    if (s->version) {
        return STORVSP_PACKET_HEADER_SIZE + storvsp_srb_size(s->version);
    }
    return MIN(MAX(request_len, STORVSP_PACKET_SIZE_PRE_WIN8),
               STORVSP_PACKET_SIZE);
}

/* Sub-channels the guest may ask for: the property, below the VP count. */
static uint16_t storvsp_sub_channel_cap(StorvspState *s)
{
    uint32_t vps = hvpart_vp_count();
    uint32_t cap = vps > 1 ? vps - 1 : 0;

    cap = MIN(cap, s->max_sub_channels);
    return MIN(cap, VMBUS_MAX_CHANNELS_PER_DEVICE - 1);
}

static StorvspQueue *storvsp_queue(VMBusChannel *chan)
{
    StorvspState *s = VMBUS_SCSI(vmbus_channel_device(chan));
    uint16_t index = vmbus_channel_index(chan);

    assert(index < VMBUS_MAX_CHANNELS_PER_DEVICE);
    return &s->queues[index];
}

/* Sending, with a queue for when the ring is full */

static int storvsp_send_now(StorvspQueue *q, uint16_t type, uint64_t trans_id,
                            const StorvspPacket *packet, uint32_t len)
{
    if (type == VMBUS_PKT_COMP) {
        return vmbus_channel_send_completion(q->chan, trans_id, packet, len);
    }
    return vmbus_channel_send_inband(q->chan, trans_id, false, packet, len);
}

static void storvsp_send(StorvspQueue *q, uint16_t type, uint64_t trans_id,
                         const StorvspPacket *packet, uint32_t len)
{
    StorvspAnswer *a;
    int ret = -ENOSPC;

    if (!q->open) {
        trace_storvsp_send_dropped(q->s, q->index, -EPIPE);
        return;
    }
    /* Answers go out in order: behind those already waiting. */
    if (QSIMPLEQ_EMPTY(&q->answers)) {
        ret = storvsp_send_now(q, type, trans_id, packet, len);
    }
    if (ret == -ENOSPC) {
        a = g_new(StorvspAnswer, 1);
        a->type = type;
        a->trans_id = trans_id;
        a->len = len;
        a->packet = *packet;
        QSIMPLEQ_INSERT_TAIL(&q->answers, a, link);
        q->nanswers++;
        trace_storvsp_send_queued(q->s, q->index, q->nanswers);
    } else if (ret < 0) {
        trace_storvsp_send_dropped(q->s, q->index, ret);
    }
}

static void storvsp_drop_answers(StorvspQueue *q)
{
    StorvspAnswer *a;

    while ((a = QSIMPLEQ_FIRST(&q->answers))) {
        QSIMPLEQ_REMOVE_HEAD(&q->answers, link);
        g_free(a);
    }
    q->nanswers = 0;
}

/* Read the ring again once the reasons to stop are gone. */
static void storvsp_maybe_resume(StorvspQueue *q)
{
    if (q->stalled && q->open && !q->nanswers &&
        q->inflight < STORVSP_MAX_INFLIGHT) {
        qemu_bh_schedule(q->s->resume_bh);
    }
}

static void storvsp_resume_bh(void *opaque)
{
    StorvspState *s = opaque;
    int i;

    for (i = 0; i < VMBUS_MAX_CHANNELS_PER_DEVICE; i++) {
        StorvspQueue *q = &s->queues[i];

        if (q->stalled && q->open) {
            q->stalled = false;
            storvsp_process(q);
        }
    }
}

/* Answers */

/* COMPLETE_IO for a control operation, with @status and no body */
static void storvsp_answer_status(StorvspQueue *q, uint64_t trans_id,
                                  uint32_t status, uint32_t len)
{
    StorvspPacket answer = { 0 };

    answer.operation = cpu_to_le32(STORVSP_OP_COMPLETE_IO);
    answer.status = cpu_to_le32(status);
    storvsp_send(q, VMBUS_PKT_COMP, trans_id, &answer, len);
}

/*
 * COMPLETE_IO for an SRB: the guest's SRB with the statuses, the bytes
 * moved and the sense data (in place of the CDB) filled in.
 */
static void storvsp_answer_srb(StorvspQueue *q, uint64_t trans_id,
                               const StorvspScsiRequest *srb, uint32_t len,
                               uint32_t status, uint8_t srb_status,
                               uint8_t scsi_status, uint32_t transferred,
                               const uint8_t *sense, uint32_t sense_len)
{
    StorvspPacket answer = { 0 };
    StorvspScsiRequest *out = &answer.srb;

    answer.operation = cpu_to_le32(STORVSP_OP_COMPLETE_IO);
    answer.status = cpu_to_le32(status);
    *out = *srb;
    memset(out->sense_data, 0, sizeof(out->sense_data));
    sense_len = MIN(sense_len, STORVSP_SENSE_MAX);
    if (sense_len &&
        !(le32_to_cpu(srb->srb_flags) & STORVSP_SRB_FLAGS_DISABLE_AUTOSENSE)) {
        memcpy(out->sense_data, sense, sense_len);
        srb_status |= STORVSP_SRB_STATUS_AUTOSENSE_VALID;
    } else {
        sense_len = 0;
    }
    out->srb_status = srb_status;
    out->scsi_status = scsi_status;
    out->sense_info_length = sense_len;
    out->data_transfer_length = cpu_to_le32(transferred);
    trace_storvsp_srb_done(q->s, q->index, trans_id, srb_status, scsi_status,
                           transferred, sense_len);
    storvsp_send(q, VMBUS_PKT_COMP, trans_id, &answer, len);
}

/* An SRB refused before it reached a SCSI device: nothing moved. */
static void storvsp_reject_srb(StorvspQueue *q, uint64_t trans_id,
                               const StorvspScsiRequest *srb, uint32_t len,
                               uint32_t status, uint8_t srb_status,
                               const char *why)
{
    trace_storvsp_srb_bad(q->s, q->index, trans_id, why);
    storvsp_answer_srb(q, trans_id, srb, len, status, srb_status, GOOD, 0,
                       NULL, 0);
}

/* An SRB whose CDB does not fit its buffer: ILLEGAL REQUEST, autosense. */
static void storvsp_reject_cdb(StorvspQueue *q, uint64_t trans_id,
                               const StorvspScsiRequest *srb, uint32_t len,
                               const char *why)
{
    uint8_t sense[SCSI_SENSE_LEN];
    int sense_len = scsi_build_sense_buf(sense, sizeof(sense),
                                         SENSE_CODE(INVALID_FIELD), true);

    trace_storvsp_srb_bad(q->s, q->index, trans_id, why);
    storvsp_answer_srb(q, trans_id, srb, len, STORVSP_STATUS_SUCCESS,
                       STORVSP_SRB_STATUS_INVALID_REQUEST, CHECK_CONDITION, 0,
                       sense, sense_len);
}

/*
 * No device at this address. The guest removes a LUN it knew on
 * SRB_STATUS_INVALID_LUN (storvsc_handle_error()), which is how a hot
 * removed disk disappears.
 */
static void storvsp_answer_no_lun(StorvspQueue *q, uint64_t trans_id,
                                  const StorvspScsiRequest *srb, uint32_t len)
{
    trace_storvsp_srb_no_lun(q->s, srb->path_id, srb->target_id, srb->lun,
                             srb->cdb[0]);
    storvsp_answer_srb(q, trans_id, srb, len, STORVSP_STATUS_SUCCESS,
                       STORVSP_SRB_STATUS_INVALID_LUN, CHECK_CONDITION, 0,
                       NULL, 0);
}

/* GPA ranges */

/*
 * Check the range list of a GPA_DIRECT packet (@data is the packet's copy,
 * descriptor included): VMBusGpaDirectHeader after the descriptor, then
 * the ranges, each with its pfns, all before the payload offset.
 * Returns NULL, or why the list is bad.
 */
static const char *storvsp_gpa_list_parse(const VMBusRingPacket *pkt,
                                          const uint8_t *data,
                                          StorvspGpaList *list)
{
    uint32_t pos = sizeof(VMBusPacketDesc) + sizeof(VMBusGpaDirectHeader);
    uint32_t end = pkt->data_offset;
    uint32_t i, count;

    if (end < pos) {
        return "GPA_DIRECT header beyond the payload offset";
    }
    count = ldl_le_p(data + sizeof(VMBusPacketDesc) +
                     offsetof(VMBusGpaDirectHeader, rangecount));
    if (count == 0) {
        return "GPA_DIRECT packet without ranges";
    }
    list->ranges = data + pos;
    list->count = count;
    list->bytes = 0;
    /* Each range takes at least 16 bytes of the packet: bounded loop. */
    for (i = 0; i < count; i++) {
        uint32_t byte_count, byte_offset;
        uint64_t npfns;

        if (end - pos < sizeof(VMBusGpaRange)) {
            return "GPA range list shorter than its count";
        }
        byte_count = ldl_le_p(data + pos + offsetof(VMBusGpaRange,
                                                    byte_count));
        byte_offset = ldl_le_p(data + pos + offsetof(VMBusGpaRange,
                                                     byte_offset));
        pos += sizeof(VMBusGpaRange);
        if (byte_count == 0) {
            return "empty GPA range";
        }
        if (byte_offset >= VMBUS_PAGE_SIZE) {
            return "GPA range offset beyond its first page";
        }
        npfns = DIV_ROUND_UP((uint64_t)byte_offset + byte_count,
                             VMBUS_PAGE_SIZE);
        if ((end - pos) / sizeof(uint64_t) < npfns) {
            return "GPA range with fewer pfns than its length needs";
        }
        pos += npfns * sizeof(uint64_t);
        list->bytes += byte_count;
    }
    return NULL;
}

static bool storvsp_sglist_add_ram(QEMUSGList *qsgl, hwaddr base, hwaddr len,
                                   hwaddr *bad_gpa)
{
    if (!vmbus_gpa_is_ram(base, len)) {
        *bad_gpa = base;
        return false;
    }
    qemu_sglist_add(qsgl, base, len);
    return true;
}

/*
 * Append the first @want bytes of the ranges to @qsgl, page runs that are
 * contiguous in guest physical memory merged. @list was parsed by
 * storvsp_gpa_list_parse() and holds at least @want bytes.
 * Returns NULL, or why the ranges cannot be used.
 */
static const char *storvsp_gpa_list_map(const StorvspGpaList *list,
                                        uint64_t want, QEMUSGList *qsgl)
{
    const uint8_t *p = list->ranges;
    hwaddr run_base = 0, run_len = 0, bad_gpa;
    uint32_t i;

    for (i = 0; i < list->count && want; i++) {
        uint32_t left = ldl_le_p(p + offsetof(VMBusGpaRange, byte_count));
        uint32_t offset = ldl_le_p(p + offsetof(VMBusGpaRange, byte_offset));
        uint64_t npfns = DIV_ROUND_UP((uint64_t)offset + left,
                                      VMBUS_PAGE_SIZE);
        const uint8_t *pfns = p + sizeof(VMBusGpaRange);
        uint64_t j;

        for (j = 0; j < npfns && want; j++) {
            uint64_t pfn = ldq_le_p(pfns + j * sizeof(uint64_t));
            uint32_t start = j == 0 ? offset : 0;
            uint32_t chunk = MIN(VMBUS_PAGE_SIZE - start, left);
            hwaddr gpa;

            chunk = MIN(chunk, want);
            if (pfn > STORVSP_MAX_PFN) {
                trace_storvsp_gpa_bad(pfn << VMBUS_PAGE_SHIFT, chunk);
                return "pfn beyond the physical address width";
            }
            gpa = (pfn << VMBUS_PAGE_SHIFT) + start;
            if (run_len && run_base + run_len == gpa) {
                run_len += chunk;
            } else {
                if (run_len &&
                    !storvsp_sglist_add_ram(qsgl, run_base, run_len,
                                            &bad_gpa)) {
                    trace_storvsp_gpa_bad(bad_gpa, run_len);
                    return "data buffer outside guest RAM";
                }
                run_base = gpa;
                run_len = chunk;
            }
            left -= chunk;
            want -= chunk;
        }
        p = pfns + npfns * sizeof(uint64_t);
    }
    if (run_len && !storvsp_sglist_add_ram(qsgl, run_base, run_len,
                                           &bad_gpa)) {
        trace_storvsp_gpa_bad(bad_gpa, run_len);
        return "data buffer outside guest RAM";
    }
    if (want) {
        return "GPA ranges shorter than the transfer";
    }
    return NULL;
}

/* Requests */

static void storvsp_request_free(StorvspRequest *r)
{
    StorvspQueue *q = r->q;

    QTAILQ_REMOVE(&q->s->requests, r, link);
    if (r->sreq) {
        r->sreq->hba_private = NULL;
        scsi_req_unref(r->sreq);
    }
    qemu_sglist_destroy(&r->qsgl);
    g_free(r);
    q->inflight--;
    storvsp_maybe_resume(q);
}

static uint8_t storvsp_srb_status_of(int status)
{
    switch (status) {
    case GOOD:
    case CONDITION_GOOD:
        return STORVSP_SRB_STATUS_SUCCESS;
    default:
        return STORVSP_SRB_STATUS_ERROR;
    }
}

/* SCSIBusInfo.complete: the device is done with the request. */
static void storvsp_scsi_complete(SCSIRequest *sreq, size_t residual)
{
    StorvspRequest *r = sreq->hba_private;
    uint8_t sense[SCSI_SENSE_BUF_SIZE];
    uint32_t sense_len = 0, transferred = 0;

    if (!r) {
        return;
    }
    if (sreq->cmd.mode != SCSI_XFER_NONE && residual <= sreq->cmd.xfer) {
        transferred = sreq->cmd.xfer - residual;
    }
    if (sreq->status == CHECK_CONDITION) {
        sense_len = scsi_req_get_sense(sreq, sense, sizeof(sense));
    }
    storvsp_answer_srb(r->q, r->trans_id, &r->srb, r->answer_len,
                       STORVSP_STATUS_SUCCESS,
                       storvsp_srb_status_of(sreq->status), sreq->status,
                       transferred, sense, sense_len);
    storvsp_request_free(r);
}

/*
 * SCSIBusInfo.cancel: the request ended without completing (device reset
 * or unplug, channel closed). The guest still gets its answer.
 */
static void storvsp_scsi_cancel(SCSIRequest *sreq)
{
    StorvspRequest *r = sreq->hba_private;

    if (!r) {
        return;
    }
    trace_storvsp_srb_cancel(r->q->s, r->trans_id);
    storvsp_answer_srb(r->q, r->trans_id, &r->srb, r->answer_len,
                       STORVSP_STATUS_SUCCESS, STORVSP_SRB_STATUS_ABORTED,
                       GOOD, 0, NULL, 0);
    storvsp_request_free(r);
}

static QEMUSGList *storvsp_scsi_get_sg_list(SCSIRequest *sreq)
{
    StorvspRequest *r = sreq->hba_private;

    return &r->qsgl;
}

/*
 * INQUIRY or REPORT LUNS where no device sits at (path, target): answer
 * "no logical unit here" (peripheral qualifier 3) and an empty LUN list,
 * as a target without LUNs does. Anything else: no such LUN.
 */
static void storvsp_answer_empty_target(StorvspQueue *q, uint64_t trans_id,
                                        const StorvspScsiRequest *srb,
                                        uint32_t len,
                                        const StorvspGpaList *gpas,
                                        uint32_t data_len)
{
    uint8_t buf[STORVSP_INQUIRY_LEN] = { 0 };
    uint32_t n;
    const char *why;

    switch (srb->cdb[0]) {
    case INQUIRY:
        if ((srb->cdb[1] & 0x3) || srb->cdb[2]) {
            /* No vital product data without a device. */
            storvsp_reject_cdb(q, trans_id, srb, len,
                               "INQUIRY page of an empty address");
            return;
        }
        buf[0] = TYPE_NO_LUN;
        buf[2] = 5;                     /* SPC-3 */
        buf[3] = 2;                     /* response data format */
        buf[4] = STORVSP_INQUIRY_LEN - 5;
        n = MIN(lduw_be_p(&srb->cdb[3]), STORVSP_INQUIRY_LEN);
        break;
    case REPORT_LUNS:
        /* An 8-byte header with a list length of 0 */
        n = MIN(ldl_be_p(&srb->cdb[6]), 8);
        break;
    default:
        storvsp_answer_no_lun(q, trans_id, srb, len);
        return;
    }
    n = MIN(n, data_len);
    if (n) {
        QEMUSGList qsgl;

        qemu_sglist_init(&qsgl, DEVICE(q->s), 1, &address_space_memory);
        why = storvsp_gpa_list_map(gpas, n, &qsgl);
        if (!why) {
            dma_buf_read(buf, n, NULL, &qsgl, MEMTXATTRS_UNSPECIFIED);
        }
        qemu_sglist_destroy(&qsgl);
        if (why) {
            storvsp_reject_srb(q, trans_id, srb, len, STORVSP_STATUS_SUCCESS,
                               STORVSP_SRB_STATUS_INVALID_REQUEST, why);
            return;
        }
    }
    storvsp_answer_srb(q, trans_id, srb, len, STORVSP_STATUS_SUCCESS,
                       STORVSP_SRB_STATUS_SUCCESS, GOOD, n, NULL, 0);
}

/* EXECUTE_SRB: hand the command to the SCSI device it addresses. */
static void storvsp_execute_srb(StorvspQueue *q, const VMBusRingPacket *pkt,
                                const uint8_t *data,
                                const StorvspPacket *request,
                                uint32_t request_len)
{
    StorvspState *s = q->s;
    const StorvspScsiRequest *srb = &request->srb;
    uint32_t len = storvsp_answer_len(s, request_len);
    uint64_t trans_id = pkt->trans_id;
    StorvspGpaList gpas = { 0 };
    StorvspRequest *r;
    SCSIDevice *d;
    uint32_t data_len;
    uint64_t xfer;
    const char *why;
    uint8_t opcode;

    if (s->init_state != STORVSP_INIT_READY) {
        storvsp_reject_srb(q, trans_id, srb, len,
                           STORVSP_STATUS_INVALID_DEVICE_STATE,
                           STORVSP_SRB_STATUS_INVALID_REQUEST,
                           "SRB before the end of initialization");
        return;
    }
    if (request_len < STORVSP_PACKET_HEADER_SIZE +
                      storvsp_srb_size(s->version)) {
        storvsp_reject_srb(q, trans_id, srb, len,
                           STORVSP_STATUS_INVALID_PARAMETER,
                           STORVSP_SRB_STATUS_INVALID_REQUEST,
                           "SRB shorter than the protocol version's");
        return;
    }
    data_len = le32_to_cpu(srb->data_transfer_length);
    opcode = srb->cdb[0];
    trace_storvsp_srb(s, q->index, trans_id, srb->path_id, srb->target_id,
                      srb->lun, opcode, data_len);
    if (srb->cdb_length == 0 || srb->cdb_length > STORVSP_CDB_MAX) {
        storvsp_reject_srb(q, trans_id, srb, len,
                           STORVSP_STATUS_INVALID_PARAMETER,
                           STORVSP_SRB_STATUS_INVALID_REQUEST,
                           "CDB length out of range");
        return;
    }
    if (data_len > s->max_transfer) {
        storvsp_reject_srb(q, trans_id, srb, len,
                           STORVSP_STATUS_INVALID_PARAMETER,
                           STORVSP_SRB_STATUS_INVALID_REQUEST,
                           "data length beyond the maximum transfer size");
        return;
    }
    if (pkt->type == VMBUS_PKT_GPA_DIRECT) {
        why = storvsp_gpa_list_parse(pkt, data, &gpas);
        if (!why && gpas.bytes < data_len) {
            why = "data length beyond the GPA ranges";
        }
    } else {
        why = data_len ? "data length without GPA ranges" : NULL;
    }
    if (why) {
        storvsp_reject_srb(q, trans_id, srb, len,
                           STORVSP_STATUS_INVALID_PARAMETER,
                           STORVSP_SRB_STATUS_INVALID_REQUEST, why);
        return;
    }
    if (srb->path_id >= STORVSP_MAX_PATHS ||
        srb->target_id >= STORVSP_MAX_TARGETS ||
        srb->lun > STORVSP_MAX_LUN) {
        trace_storvsp_srb_bad(s, q->index, trans_id,
                              "address out of range");
        storvsp_answer_no_lun(q, trans_id, srb, len);
        return;
    }

    d = srb->path_id == 0 ?
        scsi_device_find(&s->bus, 0, srb->target_id, srb->lun) : NULL;
    if (!d) {
        storvsp_answer_empty_target(q, trans_id, srb, len, &gpas, data_len);
        return;
    }
    /*
     * Another LUN of the same target: QEMU's SCSI layer answers INQUIRY,
     * REPORT LUNS and REQUEST SENSE for the target; the rest has no LUN.
     */
    if (d->lun != srb->lun && opcode != INQUIRY && opcode != REPORT_LUNS &&
        opcode != REQUEST_SENSE) {
        storvsp_answer_no_lun(q, trans_id, srb, len);
        return;
    }

    r = g_new0(StorvspRequest, 1);
    r->q = q;
    r->trans_id = trans_id;
    r->answer_len = len;
    r->srb = *srb;
    qemu_sglist_init(&r->qsgl, DEVICE(s), 1, &address_space_memory);
    QTAILQ_INSERT_TAIL(&s->requests, r, link);
    q->inflight++;

    r->sreq = scsi_req_new(d, s->next_tag++, srb->lun, r->srb.cdb,
                           srb->cdb_length, r);
    xfer = r->sreq->cmd.mode == SCSI_XFER_NONE ? 0 : r->sreq->cmd.xfer;
    /*
     * The device moves exactly what the CDB says (scsi-disk reads or
     * writes cmd.xfer bytes at the LBA): the buffer must hold that much,
     * and the scatter/gather list is cut to it.
     */
    if (xfer > data_len) {
        storvsp_reject_cdb(q, trans_id, srb, len,
                           "CDB transfers more than the data buffer");
        storvsp_request_free(r);
        return;
    }
    if (xfer) {
        why = storvsp_gpa_list_map(&gpas, xfer, &r->qsgl);
        if (why) {
            storvsp_reject_srb(q, trans_id, srb, len,
                               STORVSP_STATUS_INVALID_PARAMETER,
                               STORVSP_SRB_STATUS_INVALID_REQUEST, why);
            storvsp_request_free(r);
            return;
        }
    }
    /* From here on the request may complete (and be freed) at any time. */
    if (scsi_req_enqueue(r->sreq)) {
        scsi_req_continue(r->sreq);
    }
}

/* Control operations: initialization, sub-channels, resets */

static void storvsp_control(StorvspQueue *q, uint64_t trans_id,
                            const StorvspPacket *request,
                            uint32_t request_len)
{
    StorvspState *s = q->s;
    StorvspPacket answer = { 0 };
    uint32_t op = le32_to_cpu(request->operation);
    uint32_t len = storvsp_answer_len(s, request_len);
    uint32_t status = STORVSP_STATUS_SUCCESS;
    uint16_t offer = 0, version, count, cap;
    const char *why = NULL;

    if (q->index != 0 && op != STORVSP_OP_RESET_LUN &&
        op != STORVSP_OP_RESET_ADAPTER && op != STORVSP_OP_RESET_BUS) {
        why = "initialization on a sub-channel";
        status = STORVSP_STATUS_INVALID_DEVICE_STATE;
        goto answer;
    }
    switch (op) {
    case STORVSP_OP_BEGIN_INITIALIZATION:
        if (s->init_state == STORVSP_INIT_READY) {
            why = "BEGIN_INITIALIZATION after initialization";
            status = STORVSP_STATUS_INVALID_DEVICE_STATE;
            break;
        }
        s->init_state = STORVSP_INIT_VERSION;
        s->version = 0;
        len = storvsp_answer_len(s, request_len);
        break;
    case STORVSP_OP_QUERY_PROTOCOL_VERSION:
        if (s->init_state != STORVSP_INIT_VERSION) {
            why = "QUERY_PROTOCOL_VERSION out of order";
            status = STORVSP_STATUS_INVALID_DEVICE_STATE;
            break;
        }
        if (request_len < STORVSP_PACKET_HEADER_SIZE +
                          sizeof(StorvspProtocolVersion)) {
            why = "QUERY_PROTOCOL_VERSION without a version";
            status = STORVSP_STATUS_INVALID_PARAMETER;
            break;
        }
        answer.version = request->version;
        version = le16_to_cpu(request->version.major_minor);
        if (!storvsp_version_supported(version)) {
            /* Normal: the guest tries the next older one. */
            trace_storvsp_version(s, STORVSP_VERSION_MAJOR(version),
                                  STORVSP_VERSION_MINOR(version), false);
            status = STORVSP_STATUS_REVISION_MISMATCH;
            break;
        }
        trace_storvsp_version(s, STORVSP_VERSION_MAJOR(version),
                              STORVSP_VERSION_MINOR(version), true);
        s->version = version;
        s->init_state = STORVSP_INIT_END;
        break;
    case STORVSP_OP_QUERY_PROPERTIES:
        if (s->init_state != STORVSP_INIT_END) {
            why = "QUERY_PROPERTIES before a version was agreed";
            status = STORVSP_STATUS_INVALID_DEVICE_STATE;
            break;
        }
        cap = storvsp_sub_channel_cap(s);
        answer.properties.max_channel_count = cpu_to_le16(cap);
        answer.properties.flags =
            cpu_to_le32(cap ? STORVSP_PROPERTY_MULTI_CHANNEL : 0);
        answer.properties.max_transfer_bytes = cpu_to_le32(s->max_transfer);
        break;
    case STORVSP_OP_END_INITIALIZATION:
        if (s->init_state != STORVSP_INIT_END) {
            why = "END_INITIALIZATION before a version was agreed";
            status = STORVSP_STATUS_INVALID_DEVICE_STATE;
            break;
        }
        s->init_state = STORVSP_INIT_READY;
        break;
    case STORVSP_OP_CREATE_SUB_CHANNELS:
        if (s->init_state != STORVSP_INIT_READY) {
            why = "CREATE_SUB_CHANNELS before the end of initialization";
            status = STORVSP_STATUS_INVALID_DEVICE_STATE;
            break;
        }
        if (request_len < STORVSP_PACKET_HEADER_SIZE +
                          sizeof(StorvspSubChannelRequest)) {
            why = "CREATE_SUB_CHANNELS without a count";
            status = STORVSP_STATUS_INVALID_PARAMETER;
            break;
        }
        count = le16_to_cpu(request->sub_channels.count);
        cap = storvsp_sub_channel_cap(s);
        if (count == 0 || count > cap) {
            why = "sub-channel count out of range";
            status = STORVSP_STATUS_INVALID_PARAMETER;
            break;
        }
        offer = count;
        break;
    case STORVSP_OP_RESET_LUN:
    case STORVSP_OP_RESET_ADAPTER:
    case STORVSP_OP_RESET_BUS:
        /*
         * Every request in flight is answered when its I/O ends, which is
         * all the guest waits for after a reset (storvsc_host_reset_handler
         * drains its outstanding requests).
         */
        if (s->init_state != STORVSP_INIT_READY) {
            why = "reset before the end of initialization";
            status = STORVSP_STATUS_INVALID_DEVICE_STATE;
        }
        break;
    default:
        why = op && op < STORVSP_OP_COUNT ? "operation only a host sends"
                                          : "unknown operation";
        status = STORVSP_STATUS_INVALID_DEVICE_REQUEST;
        break;
    }

answer:
    if (why) {
        trace_storvsp_control_bad(s, q->index, op, why);
    }
    trace_storvsp_control(s, q->index, op, status);
    answer.operation = cpu_to_le32(STORVSP_OP_COMPLETE_IO);
    answer.status = cpu_to_le32(status);
    storvsp_send(q, VMBUS_PKT_COMP, trans_id, &answer, len);
    if (offer) {
        int ret = vmbus_device_offer_subchannels(VMBUS_DEVICE(s), offer);

        trace_storvsp_sub_channels(s, offer, ret);
        s->sub_channels = ret > 0 ? ret : 0;
    }
}

/* One packet from a guest-to-host ring (vmbus_channel_recv's callback) */
static bool storvsp_ring_packet(VMBusChannel *chan, const VMBusRingPacket *pkt,
                                const uint8_t *data, uint32_t len,
                                void *opaque)
{
    StorvspQueue *q = opaque;
    StorvspState *s = q->s;
    StorvspPacket request = { 0 };
    uint32_t request_len, op;

    if (q->nanswers || q->inflight >= STORVSP_MAX_INFLIGHT) {
        /* Leave it in the ring: storvsp_maybe_resume() comes back. */
        trace_storvsp_stalled(s, q->index, q->inflight, q->nanswers);
        q->stalled = true;
        return false;
    }
    if (pkt->type != VMBUS_PKT_INBAND && pkt->type != VMBUS_PKT_GPA_DIRECT) {
        trace_storvsp_packet_bad(s, q->index, pkt->trans_id,
                                 pkt->type == VMBUS_PKT_COMP ?
                                 "completion from the guest" :
                                 "packet type other than inband or "
                                 "GPA_DIRECT");
        return true;
    }
    if (!(pkt->flags & VMBUS_PKT_FLAG_COMPLETION_REQUESTED)) {
        /* Every vstor request is answered by a completion packet. */
        trace_storvsp_packet_bad(s, q->index, pkt->trans_id,
                                 "no completion requested");
        return true;
    }
    request_len = len - pkt->data_offset;
    if (request_len < STORVSP_PACKET_HEADER_SIZE) {
        trace_storvsp_packet_bad(s, q->index, pkt->trans_id,
                                 "shorter than a vstor packet header");
        storvsp_answer_status(q, pkt->trans_id,
                              STORVSP_STATUS_INVALID_PARAMETER,
                              storvsp_answer_len(s, request_len));
        return true;
    }
    /* Shorter packets read as zeroes beyond their end. */
    memcpy(&request, data + pkt->data_offset,
           MIN(request_len, sizeof(request)));
    op = le32_to_cpu(request.operation);
    if (op == STORVSP_OP_EXECUTE_SRB) {
        storvsp_execute_srb(q, pkt, data, &request, request_len);
    } else if (pkt->type != VMBUS_PKT_INBAND) {
        trace_storvsp_control_bad(s, q->index, op,
                                  "GPA ranges with a control operation");
        storvsp_answer_status(q, pkt->trans_id,
                              STORVSP_STATUS_INVALID_PARAMETER,
                              storvsp_answer_len(s, request_len));
    } else {
        storvsp_control(q, pkt->trans_id, &request, request_len);
    }
    return true;
}

static void storvsp_process(StorvspQueue *q)
{
    if (!q->open) {
        return;
    }
    if (vmbus_channel_recv(q->chan, q->rx_buf, q->s->rx_buf_len,
                           storvsp_ring_packet, q) == -EPIPE) {
        trace_storvsp_ring_broken(q->s, q->index);
    }
}

/*
 * Tell the guest that devices came or went: it then tests the LUNs it
 * knows (a removed one answers SRB_STATUS_INVALID_LUN) and rescans
 * (storvsc_host_scan()).
 */
static void storvsp_enumerate_bus(StorvspState *s, const char *why)
{
    StorvspQueue *q = &s->queues[0];
    StorvspPacket notice = { 0 };

    if (!q->open || s->init_state != STORVSP_INIT_READY) {
        /* The guest scans the bus when it finishes initializing. */
        return;
    }
    trace_storvsp_enumerate_bus(s, why);
    notice.operation = cpu_to_le32(STORVSP_OP_ENUMERATE_BUS);
    storvsp_send(q, VMBUS_PKT_INBAND, 0, &notice,
                 storvsp_answer_len(s, STORVSP_PACKET_SIZE));
}

/* VMBus device hooks */

static int storvsp_open(VMBusChannel *chan)
{
    StorvspState *s = VMBUS_SCSI(vmbus_channel_device(chan));
    StorvspQueue *q = storvsp_queue(chan);

    trace_storvsp_open(s, q->index);
    q->chan = chan;
    q->open = true;
    q->stalled = false;
    if (!q->rx_buf) {
        q->rx_buf = g_malloc(s->rx_buf_len);
    }
    /*
     * A new primary channel starts a new protocol session (driver load,
     * kexec, resume); an incoming migration reopens channels in the state
     * that was saved.
     */
    if (q->index == 0 && !runstate_check(RUN_STATE_INMIGRATE)) {
        s->init_state = STORVSP_INIT_BEGIN;
        s->version = 0;
    }
    return 0;
}

/* Cancel what the guest still has in flight on @q. */
static void storvsp_cancel_requests(StorvspState *s, StorvspQueue *q)
{
    StorvspRequest *r;

    /*
     * Cancelling may complete other requests (blk_aio_cancel() runs the
     * event loop): start from the head each time.
     */
    for (;;) {
        QTAILQ_FOREACH(r, &s->requests, link) {
            if (r->q == q && !r->cancelling) {
                break;
            }
        }
        if (!r) {
            break;
        }
        r->cancelling = true;
        if (r->sreq->enqueued) {
            scsi_req_cancel(r->sreq);
        } else {
            storvsp_request_free(r);
        }
    }
}

static void storvsp_close(VMBusChannel *chan)
{
    StorvspState *s = VMBUS_SCSI(vmbus_channel_device(chan));
    StorvspQueue *q = storvsp_queue(chan);

    trace_storvsp_close(s, q->index, q->inflight);
    q->open = false;
    q->stalled = false;
    storvsp_cancel_requests(s, q);
    storvsp_drop_answers(q);
    if (q->index == 0) {
        s->init_state = STORVSP_INIT_BEGIN;
        s->version = 0;
    }
}

static void storvsp_notify(VMBusChannel *chan)
{
    storvsp_process(storvsp_queue(chan));
}

/* The guest made room in a host-to-guest ring: send what waits. */
static void storvsp_writable(VMBusChannel *chan)
{
    StorvspQueue *q = storvsp_queue(chan);
    StorvspAnswer *a;
    int ret;

    while ((a = QSIMPLEQ_FIRST(&q->answers))) {
        ret = storvsp_send_now(q, a->type, a->trans_id, &a->packet, a->len);
        if (ret == -ENOSPC) {
            break;
        }
        if (ret < 0) {
            trace_storvsp_send_dropped(q->s, q->index, ret);
        }
        QSIMPLEQ_REMOVE_HEAD(&q->answers, link);
        q->nanswers--;
        g_free(a);
    }
    storvsp_maybe_resume(q);
}

static void storvsp_reset(VMBusDevice *vdev)
{
    StorvspState *s = VMBUS_SCSI(vdev);
    int i;

    /* Ends every request: the SCSI devices purge theirs. */
    bus_cold_reset(BUS(&s->bus));
    for (i = 0; i < VMBUS_MAX_CHANNELS_PER_DEVICE; i++) {
        storvsp_cancel_requests(s, &s->queues[i]);
        storvsp_drop_answers(&s->queues[i]);
        s->queues[i].stalled = false;
    }
    s->init_state = STORVSP_INIT_BEGIN;
    s->version = 0;
    s->sub_channels = 0;
}

/* SCSI bus hot-plug: devices added or removed while the guest runs */

static void storvsp_scsi_plug(HotplugHandler *hotplug_dev, DeviceState *dev,
                              Error **errp)
{
    storvsp_enumerate_bus(VMBUS_SCSI(hotplug_dev), "device added");
}

static void storvsp_scsi_unplug(HotplugHandler *hotplug_dev,
                                DeviceState *dev, Error **errp)
{
    StorvspState *s = VMBUS_SCSI(hotplug_dev);
    Error *err = NULL;

    /* Its requests in flight are cancelled and answered as aborted. */
    qdev_simple_device_unplug_cb(hotplug_dev, dev, &err);
    if (err) {
        error_propagate(errp, err);
        return;
    }
    storvsp_enumerate_bus(s, "device removed");
}

static const SCSIBusInfo storvsp_scsi_info = {
    .tcq = true,
    .max_channel = 0,
    .max_target = STORVSP_MAX_TARGETS - 1,
    .max_lun = STORVSP_MAX_LUN,
    .get_sg_list = storvsp_scsi_get_sg_list,
    .complete = storvsp_scsi_complete,
    .cancel = storvsp_scsi_cancel,
};

/* Realize */

static int storvsp_count_controllers(VMBusDevice *self)
{
    BusState *bus = qdev_get_parent_bus(DEVICE(self));
    BusChild *kid;
    int n = 0;

    QTAILQ_FOREACH(kid, &bus->children, sibling) {
        DeviceState *dev = kid->child;

        if (dev != DEVICE(self) && dev->realized &&
            object_dynamic_cast(OBJECT(dev), TYPE_VMBUS_SCSI)) {
            n++;
        }
    }
    return n;
}

static void storvsp_vsp_realize(VMBusDevice *vdev, Error **errp)
{
    StorvspState *s = VMBUS_SCSI(vdev);
    uint32_t max_pfns;
    int i;

    if (storvsp_count_controllers(vdev) >= STORVSP_MAX_CONTROLLERS) {
        error_setg(errp, "vmbus-scsi: at most %d synthetic SCSI controllers "
                   "per VM", STORVSP_MAX_CONTROLLERS);
        return;
    }
    if (s->max_transfer < 64 * KiB || s->max_transfer > 8 * MiB ||
        s->max_transfer % VMBUS_PAGE_SIZE) {
        error_setg(errp, "vmbus-scsi: max-transfer must be a multiple of 4 "
                   "KiB from 64 KiB to 8 MiB");
        return;
    }
    if (s->max_sub_channels > VMBUS_MAX_CHANNELS_PER_DEVICE - 1) {
        error_setg(errp, "vmbus-scsi: max-sub-channels must be at most %d",
                   VMBUS_MAX_CHANNELS_PER_DEVICE - 1);
        return;
    }
    /*
     * The largest packet the guest sends for a full-size transfer: one
     * range whose buffer may start anywhere in a page, plus room for a few
     * more ranges. Larger packets are dropped by the VMBus layer.
     */
    max_pfns = s->max_transfer / VMBUS_PAGE_SIZE + 1;
    s->rx_buf_len = sizeof(VMBusPacketDesc) + sizeof(VMBusGpaDirectHeader) +
                    8 * sizeof(VMBusGpaRange) +
                    (max_pfns + 8) * sizeof(uint64_t) + STORVSP_PACKET_SIZE;
    s->rx_buf_len = ROUND_UP(s->rx_buf_len, VMBUS_PKT_ALIGN);
    QTAILQ_INIT(&s->requests);
    for (i = 0; i < VMBUS_MAX_CHANNELS_PER_DEVICE; i++) {
        s->queues[i].s = s;
        s->queues[i].index = i;
        QSIMPLEQ_INIT(&s->queues[i].answers);
    }
    s->resume_bh = qemu_bh_new_guarded(storvsp_resume_bh, s,
                                       &DEVICE(s)->mem_reentrancy_guard);
    scsi_bus_init(&s->bus, sizeof(s->bus), DEVICE(s), &storvsp_scsi_info);
    /* device_add and device_del on the bus tell the guest */
    qbus_set_hotplug_handler(BUS(&s->bus), OBJECT(s));
}

static void storvsp_vsp_unrealize(VMBusDevice *vdev)
{
    StorvspState *s = VMBUS_SCSI(vdev);
    int i;

    for (i = 0; i < VMBUS_MAX_CHANNELS_PER_DEVICE; i++) {
        storvsp_cancel_requests(s, &s->queues[i]);
        storvsp_drop_answers(&s->queues[i]);
        g_free(s->queues[i].rx_buf);
        s->queues[i].rx_buf = NULL;
    }
    qemu_bh_delete(s->resume_bh);
    s->resume_bh = NULL;
}

/* Migration: the protocol state. Requests end before the state is saved. */

static int storvsp_pre_save(void *opaque)
{
    StorvspState *s = opaque;
    int i;

    for (i = 0; i < VMBUS_MAX_CHANNELS_PER_DEVICE; i++) {
        if (s->queues[i].nanswers) {
            error_report("vmbus-scsi: answers still wait for ring space");
            return -EBUSY;
        }
    }
    if (!QTAILQ_EMPTY(&s->requests)) {
        error_report("vmbus-scsi: SCSI requests still in flight");
        return -EBUSY;
    }
    return 0;
}

static int storvsp_post_load(void *opaque, int version_id)
{
    StorvspState *s = opaque;

    if (s->init_state > STORVSP_INIT_READY ||
        (s->version && !storvsp_version_supported(s->version)) ||
        (s->init_state >= STORVSP_INIT_END && !s->version)) {
        return -EINVAL;
    }
    return 0;
}

static const VMStateDescription vmstate_storvsp = {
    .name = TYPE_VMBUS_SCSI,
    .version_id = 1,
    .minimum_version_id = 1,
    .pre_save = storvsp_pre_save,
    .post_load = storvsp_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32(init_state, StorvspState),
        VMSTATE_UINT16(version, StorvspState),
        VMSTATE_UINT16(sub_channels, StorvspState),
        VMSTATE_UINT32(next_tag, StorvspState),
        VMSTATE_END_OF_LIST()
    },
};

static const Property storvsp_props[] = {
    DEFINE_PROP_UINT32("max-transfer", StorvspState, max_transfer, 1 * MiB),
    DEFINE_PROP_UINT16("max-sub-channels", StorvspState, max_sub_channels,
                       16),
};

static void storvsp_class_init(ObjectClass *oc, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(oc);
    VMBusDeviceClass *vdc = VMBUS_DEVICE_CLASS(oc);
    HotplugHandlerClass *hc = HOTPLUG_HANDLER_CLASS(oc);

    dc->desc = "Hyper-V synthetic SCSI controller";
    dc->vmsd = &vmstate_storvsp;
    set_bit(DEVICE_CATEGORY_STORAGE, dc->categories);
    device_class_set_props(dc, storvsp_props);
    object_class_property_set_description(oc, "max-transfer",
        "largest data buffer of one SCSI request the guest is told about, "
        "in bytes (64 KiB to 8 MiB, a multiple of 4 KiB)");
    object_class_property_set_description(oc, "max-sub-channels",
        "most sub-channels the guest may ask for (also at most the VP "
        "count minus one)");
    vdc->interface_id = STORVSP_SCSI_INTERFACE_ID;
    vdc->interface_name = "scsi";
    vdc->vsp_realize = storvsp_vsp_realize;
    vdc->vsp_unrealize = storvsp_vsp_unrealize;
    vdc->open = storvsp_open;
    vdc->close = storvsp_close;
    vdc->notify = storvsp_notify;
    vdc->writable = storvsp_writable;
    vdc->reset = storvsp_reset;
    hc->plug = storvsp_scsi_plug;
    hc->unplug = storvsp_scsi_unplug;
    storvsp_proto_check_sizes();
}

static const TypeInfo storvsp_type = {
    .name = TYPE_VMBUS_SCSI,
    .parent = TYPE_VMBUS_DEVICE,
    .instance_size = sizeof(StorvspState),
    .class_init = storvsp_class_init,
    .interfaces = (InterfaceInfo[]) {
        { TYPE_HOTPLUG_HANDLER },
        { }
    },
};

static void storvsp_register_types(void)
{
    type_register_static(&storvsp_type);
}

type_init(storvsp_register_types)
