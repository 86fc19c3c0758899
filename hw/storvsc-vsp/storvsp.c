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
 * "vmbus-ide" is the same VSP on an IDE accelerator channel: Hyper-V
 * offers each emulated IDE disk on the VMBus too, with the IDE interface
 * GUID and an instance GUID that names its place (controller in the first
 * field, unit in the second), so that storvsc drives the disk BIOS booted
 * from. The guest adds exactly one SCSI device for such a channel (path 0,
 * target = the unit it reads from the instance GUID, LUN 0) and asks for no
 * sub-channels. The device serves that address only, through an internal
 * scsi-hd on the IDE disk's own block node (see storvsp_ide_attach()).
 * "-accel hvpart,ide-accel=on" (the default with smbios-identity=hyperv)
 * creates one per IDE hard disk of the PIIX IDE function once the machine
 * is built.
 *
 * Threads: by default all of it runs in the main loop, with the BQL. With
 * "iothread=ID" the rings, the requests and their completions live in that
 * IOThread (the VMBus layer runs notify, writable, open and close there),
 * and the SCSI devices' BlockBackends move to its AioContext, as with
 * virtio-scsi. The main loop keeps what needs the BQL: offering
 * sub-channels, interrupting the guest, hot-plug, reset and migration;
 * it reaches the IOThread's state only through
 * vmbus_device_run_in_context(), which waits for the IOThread.
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
#include "system/iothread.h"
#include "system/runstate.h"
#include "hw/hotplug.h"
#include "hw/boards.h"
#include "hw/ide/ide-bus.h"
#include "hw/ide/ide-dev.h"
#include "hw/ide/piix.h"
#include "qemu/error-report.h"
#include "system/block-backend.h"
#include "system/system.h"
#include "hw/qdev-properties.h"
#include "hw/scsi/scsi.h"
#include "scsi/constants.h"
#include "scsi/utils.h"
#include "migration/vmstate.h"
#include "migration/qemu-file-types.h"
#include "migration/qemu-file.h"
#include "accel/hvpart/hvpart.h"
#include "hw/vmbus/vmbus.h"
#include "hw/storvsc-vsp/storvsp-proto.h"
#include "hw/storvsc-vsp/storvsp-parse.h"
#include "trace.h"

#define TYPE_VMBUS_SCSI "vmbus-scsi"
OBJECT_DECLARE_SIMPLE_TYPE(StorvspState, VMBUS_SCSI)

/* The IDE accelerator channel: a vmbus-scsi serving one IDE disk */
#define TYPE_VMBUS_IDE "vmbus-ide"

/* Hyper-V's emulated IDE: 2 controllers with 2 devices each */
#define STORVSP_IDE_CONTROLLERS     2
#define STORVSP_IDE_UNITS           2

/* Hyper-V gives a VM at most four synthetic SCSI controllers. */
#define STORVSP_MAX_CONTROLLERS     4

/*
 * Requests in flight per channel before the VSP stops reading the ring. A
 * Linux guest keeps fewer (its queue depth follows the ring size).
 */
#define STORVSP_MAX_INFLIGHT        1024

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

struct StorvspState {
    VMBusDevice parent_obj;

    SCSIBus bus;

    /* properties */
    uint32_t max_transfer;
    uint16_t max_sub_channels;
    IOThread *iothread;

    /* vmbus-ide: the IDE unit whose disk this channel carries */
    uint8_t ide_controller;
    uint8_t ide_unit;

    /* which addresses the guest may name (all, or the IDE disk's) */
    StorvspAddressing addressing;

    /* protocol state, kept by the primary channel */
    StorvspSession session;
    uint16_t sub_channels;              /* offered at the guest's request */

    uint32_t next_tag;
    uint32_t rx_buf_len;
    /* in the device's context: reads stalled rings again */
    QEMUBH *resume_bh;
    /* in the main loop: offers the sub-channels the IOThread was asked for */
    QEMUBH *offer_bh;
    int offer_wanted;                   /* atomic */
    /* the block layer drains a disk: start no request (atomic) */
    int drain_depth;
    StorvspQueue queues[VMBUS_MAX_CHANNELS_PER_DEVICE];
    QTAILQ_HEAD(, StorvspRequest) requests;

    /* migration: the answers waiting for ring space, as records */
    struct {
        uint32_t nanswers;
        uint8_t *answers;               /* nanswers StorvspMigAnswer */
    } mig;
};

/* One waiting answer in the migration stream (little-endian) */
typedef struct QEMU_PACKED StorvspMigAnswer {
    uint16_t queue;
    uint16_t type;
    uint32_t len;
    uint64_t trans_id;
    StorvspPacket packet;
} StorvspMigAnswer;

/* Answers a stream may carry: as many as requests may be in flight */
#define STORVSP_MIG_ANSWERS_MAX \
    (VMBUS_MAX_CHANNELS_PER_DEVICE * (STORVSP_MAX_INFLIGHT + 8))

static void storvsp_process(StorvspQueue *q);

/* Sub-channels the guest may ask for: the property, below the VP count. */
static uint16_t storvsp_sub_channel_cap(StorvspState *s)
{
    uint32_t vps = hvpart_vp_count();
    uint32_t cap = vps > 1 ? vps - 1 : 0;

    if (s->addressing.ide) {
        /* Hyper-V's IDE channels have no sub-channels; storvsc asks none. */
        return 0;
    }

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

/* storvsp_gpa_list_walk()'s callback: one run of the data buffer */
static bool storvsp_sglist_add_ram(uint64_t gpa, uint64_t len, void *opaque)
{
    QEMUSGList *qsgl = opaque;

    if (!vmbus_gpa_is_ram(gpa, len)) {
        trace_storvsp_gpa_bad(gpa, len);
        return false;
    }
    qemu_sglist_add(qsgl, gpa, len);
    return true;
}

/*
 * Append the first @want bytes of the ranges to @qsgl, page runs that are
 * contiguous in guest physical memory merged, each checked to be guest
 * RAM. @list was parsed by storvsp_gpa_list_parse() and holds at least
 * @want bytes. Returns NULL, or why the ranges cannot be used.
 */
static const char *storvsp_gpa_list_map(const StorvspGpaList *list,
                                        uint64_t want, QEMUSGList *qsgl)
{
    bool refused;

    return storvsp_gpa_list_walk(list, want, storvsp_sglist_add_ram, qsgl,
                                 &refused);
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
    uint32_t len = storvsp_answer_len(s->session.version, request_len);
    uint64_t trans_id = pkt->trans_id;
    StorvspGpaList gpas;
    StorvspRequest *r;
    SCSIDevice *d;
    uint32_t data_len, status;
    uint64_t xfer;
    const char *why;
    uint8_t opcode = srb->cdb[0];

    trace_storvsp_srb(s, q->index, trans_id, srb->path_id, srb->target_id,
                      srb->lun, opcode, le32_to_cpu(srb->data_transfer_length));
    if (storvsp_parse_srb(&s->session, s->max_transfer, pkt, data, request,
                          request_len, &gpas, &data_len, &status, &why) < 0) {
        storvsp_reject_srb(q, trans_id, srb, len, status,
                           STORVSP_SRB_STATUS_INVALID_REQUEST, why);
        return;
    }
    if (!storvsp_srb_address_ok(&s->addressing, srb, &why)) {
        trace_storvsp_srb_bad(s, q->index, trans_id, why);
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

static void storvsp_offer_bh(void *opaque)
{
    StorvspState *s = opaque;
    int count = qatomic_xchg(&s->offer_wanted, 0);
    int ret;

    if (count <= 0) {
        return;
    }
    ret = vmbus_device_offer_subchannels(VMBUS_DEVICE(s), count);
    trace_storvsp_sub_channels(s, count, ret);
    s->sub_channels = ret > 0 ? ret : 0;
}

static void storvsp_control(StorvspQueue *q, uint64_t trans_id,
                            const StorvspPacket *request,
                            uint32_t request_len)
{
    StorvspState *s = q->s;
    StorvspPacket answer;
    StorvspControlResult res;

    storvsp_control_step(&s->session, q->index, request, request_len,
                         storvsp_sub_channel_cap(s), s->max_transfer,
                         &answer, &res);
    if (res.version_asked) {
        trace_storvsp_version(s, STORVSP_VERSION_MAJOR(res.version),
                              STORVSP_VERSION_MINOR(res.version),
                              res.status == STORVSP_STATUS_SUCCESS);
    }
    if (res.why) {
        trace_storvsp_control_bad(s, q->index, res.op, res.why);
    }
    trace_storvsp_control(s, q->index, res.op, res.status);
    storvsp_send(q, VMBUS_PKT_COMP, trans_id, &answer, res.answer_len);
    if (res.offer) {
        /* Offers are VMBus messages: the main loop's (the BQL's) work. */
        qatomic_set(&s->offer_wanted, res.offer);
        if (bql_locked()) {
            qemu_bh_cancel(s->offer_bh);
            storvsp_offer_bh(s);
        } else {
            qemu_bh_schedule(s->offer_bh);
        }
    }
}

/* One packet from a guest-to-host ring (vmbus_channel_recv's callback) */
static bool storvsp_ring_packet(VMBusChannel *chan, const VMBusRingPacket *pkt,
                                const uint8_t *data, uint32_t len,
                                void *opaque)
{
    StorvspQueue *q = opaque;
    StorvspState *s = q->s;
    StorvspPacket request;
    uint32_t request_len;
    const char *why;
    int ret;

    if (q->nanswers || q->inflight >= STORVSP_MAX_INFLIGHT ||
        qatomic_read(&s->drain_depth)) {
        /*
         * Leave it in the ring: storvsp_maybe_resume() or the end of the
         * drain comes back.
         */
        trace_storvsp_stalled(s, q->index, q->inflight, q->nanswers);
        q->stalled = true;
        return false;
    }
    ret = storvsp_parse_packet(pkt, data, len, &request, &request_len, &why);
    if (ret == -EBADMSG) {
        trace_storvsp_packet_bad(s, q->index, pkt->trans_id, why);
        return true;
    }
    if (ret < 0) {
        trace_storvsp_packet_bad(s, q->index, pkt->trans_id, why);
        storvsp_answer_status(q, pkt->trans_id,
                              STORVSP_STATUS_INVALID_PARAMETER,
                              storvsp_answer_len(s->session.version,
                                                 request_len));
        return true;
    }
    if (le32_to_cpu(request.operation) == STORVSP_OP_EXECUTE_SRB) {
        storvsp_execute_srb(q, pkt, data, &request, request_len);
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

    if (!q->open || s->session.init_state != STORVSP_INIT_READY) {
        /* The guest scans the bus when it finishes initializing. */
        return;
    }
    trace_storvsp_enumerate_bus(s, why);
    notice.operation = cpu_to_le32(STORVSP_OP_ENUMERATE_BUS);
    storvsp_send(q, VMBUS_PKT_INBAND, 0, &notice,
                 storvsp_answer_len(s->session.version, STORVSP_PACKET_SIZE));
}

static void storvsp_enumerate_added(void *opaque)
{
    storvsp_enumerate_bus(opaque, "device added");
}

static void storvsp_enumerate_removed(void *opaque)
{
    storvsp_enumerate_bus(opaque, "device removed");
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
        s->session.init_state = STORVSP_INIT_BEGIN;
        s->session.version = 0;
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
        s->session.init_state = STORVSP_INIT_BEGIN;
        s->session.version = 0;
    }
}

static void storvsp_writable(VMBusChannel *chan);

static void storvsp_notify(VMBusChannel *chan)
{
    StorvspQueue *q = storvsp_queue(chan);

    if (q->nanswers) {
        /* Answers wait (for room, or since a migration): send them first. */
        storvsp_writable(chan);
    }
    storvsp_process(q);
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

/* Forget every request and answer; in the device's context. */
static void storvsp_reset_queues(void *opaque)
{
    StorvspState *s = opaque;
    int i;

    for (i = 0; i < VMBUS_MAX_CHANNELS_PER_DEVICE; i++) {
        storvsp_cancel_requests(s, &s->queues[i]);
        storvsp_drop_answers(&s->queues[i]);
        s->queues[i].stalled = false;
    }
    s->session.init_state = STORVSP_INIT_BEGIN;
    s->session.version = 0;
}

static void storvsp_reset(VMBusDevice *vdev)
{
    StorvspState *s = VMBUS_SCSI(vdev);

    /* Ends every request: the SCSI devices purge theirs. */
    bus_cold_reset(BUS(&s->bus));
    vmbus_device_run_in_context(vdev, storvsp_reset_queues, s);
    qemu_bh_cancel(s->offer_bh);
    qatomic_set(&s->offer_wanted, 0);
    s->sub_channels = 0;
}

/* SCSI bus hot-plug: devices added or removed while the guest runs */

static void storvsp_scsi_pre_plug(HotplugHandler *hotplug_dev,
                                  DeviceState *dev, Error **errp)
{
    /* Requests are made and completed in our IOThread, if there is one. */
    SCSI_DEVICE(dev)->hba_supports_iothread = true;
}

static void storvsp_scsi_plug(HotplugHandler *hotplug_dev, DeviceState *dev,
                              Error **errp)
{
    StorvspState *s = VMBUS_SCSI(hotplug_dev);
    SCSIDevice *sd = SCSI_DEVICE(dev);
    AioContext *ctx = VMBUS_DEVICE(s)->ctx;

    if (ctx && sd->conf.blk) {
        /*
         * The disk's requests run in the IOThread. A node that another
         * user keeps in its own context (a block job, a second device)
         * still works, but is a configuration worth hearing about.
         */
        Error *err = NULL;

        if (blk_set_aio_context(sd->conf.blk, ctx, &err) < 0) {
            warn_report_err_once(err);
        }
    }
    vmbus_device_run_in_context(VMBUS_DEVICE(s), storvsp_enumerate_added, s);
}

static void storvsp_scsi_unplug(HotplugHandler *hotplug_dev,
                                DeviceState *dev, Error **errp)
{
    StorvspState *s = VMBUS_SCSI(hotplug_dev);
    SCSIDevice *sd = SCSI_DEVICE(dev);
    Error *err = NULL;

    /* Its requests in flight are cancelled and answered as aborted. */
    qdev_simple_device_unplug_cb(hotplug_dev, dev, &err);
    if (err) {
        error_propagate(errp, err);
        return;
    }
    if (VMBUS_DEVICE(s)->ctx && sd->conf.blk) {
        /* Back to the main loop, unless others keep it in the IOThread. */
        blk_set_aio_context(sd->conf.blk, qemu_get_aio_context(), NULL);
    }
    vmbus_device_run_in_context(VMBUS_DEVICE(s), storvsp_enumerate_removed,
                                s);
}

/*
 * The block layer drains one of the disks (snapshot, block job, moving a
 * node): start no request until it ends, or the drain might never finish.
 */
static void storvsp_drained_begin(SCSIBus *bus)
{
    StorvspState *s = container_of(bus, StorvspState, bus);

    qatomic_inc(&s->drain_depth);
}

static void storvsp_drained_end(SCSIBus *bus)
{
    StorvspState *s = container_of(bus, StorvspState, bus);

    if (qatomic_fetch_dec(&s->drain_depth) == 1 && s->resume_bh) {
        qemu_bh_schedule(s->resume_bh);
    }
}

/*
 * Migration of a request held for a retry after an I/O error
 * (rerror/werror=stop): QEMU's SCSI layer saves the request (its CDB, tag
 * and LUN) with the device and restarts it on the destination; these two
 * carry what vmbus-scsi needs to answer it there: its queue, the guest's
 * transaction id and SRB, and the data buffer's guest-physical runs.
 */
static void storvsp_scsi_save_request(QEMUFile *f, SCSIRequest *sreq)
{
    StorvspRequest *r = sreq->hba_private;
    int i;

    qemu_put_be16(f, r->q->index);
    qemu_put_be64(f, r->trans_id);
    qemu_put_be32(f, r->answer_len);
    qemu_put_buffer(f, (const uint8_t *)&r->srb, sizeof(r->srb));
    qemu_put_be32(f, r->qsgl.nsg);
    for (i = 0; i < r->qsgl.nsg; i++) {
        qemu_put_be64(f, r->qsgl.sg[i].base);
        qemu_put_be64(f, r->qsgl.sg[i].len);
    }
}

static void *storvsp_scsi_load_request(QEMUFile *f, SCSIRequest *sreq)
{
    StorvspState *s = container_of(sreq->bus, StorvspState, bus);
    uint16_t index = qemu_get_be16(f);
    uint64_t trans_id = qemu_get_be64(f);
    uint32_t answer_len = qemu_get_be32(f), nsg, i;
    StorvspRequest *r = g_new0(StorvspRequest, 1);
    uint64_t total = 0;

    qemu_get_buffer(f, (uint8_t *)&r->srb, sizeof(r->srb));
    nsg = qemu_get_be32(f);
    qemu_sglist_init(&r->qsgl, DEVICE(s), 1, &address_space_memory);
    /* Runs merge contiguous pages: at most one per page of the buffer. */
    for (i = 0; i < nsg && i <= s->max_transfer / VMBUS_PAGE_SIZE + 1; i++) {
        uint64_t base = qemu_get_be64(f), len = qemu_get_be64(f);

        if (!len || len > s->max_transfer || !vmbus_gpa_is_ram(base, len)) {
            break;
        }
        qemu_sglist_add(&r->qsgl, base, len);
        total += len;
    }
    if (index >= VMBUS_MAX_CHANNELS_PER_DEVICE || i != nsg ||
        total > s->max_transfer || answer_len > sizeof(StorvspPacket)) {
        error_report("vmbus-scsi: a migrated SCSI request is malformed "
                     "(queue %u, %u buffer runs)", index, nsg);
        qemu_file_set_error(f, -EINVAL);
        qemu_sglist_destroy(&r->qsgl);
        g_free(r);
        return NULL;
    }
    r->q = &s->queues[index];
    r->trans_id = trans_id;
    r->answer_len = answer_len;
    r->sreq = scsi_req_ref(sreq);
    QTAILQ_INSERT_TAIL(&s->requests, r, link);
    r->q->inflight++;
    return r;
}

static const SCSIBusInfo storvsp_scsi_info = {
    .tcq = true,
    .max_channel = 0,
    .max_target = STORVSP_MAX_TARGETS - 1,
    .max_lun = STORVSP_MAX_LUN,
    .get_sg_list = storvsp_scsi_get_sg_list,
    .save_request = storvsp_scsi_save_request,
    .load_request = storvsp_scsi_load_request,
    .complete = storvsp_scsi_complete,
    .cancel = storvsp_scsi_cancel,
    .drained_begin = storvsp_drained_begin,
    .drained_end = storvsp_drained_end,
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
            object_dynamic_cast(OBJECT(dev), TYPE_VMBUS_SCSI) &&
            !VMBUS_SCSI(dev)->addressing.ide) {
            n++;
        }
    }
    return n;
}

/* IDE accelerator channels */

/* Whether @bus is one of the two channels of the PIIX IDE function */
static bool storvsp_ide_bus_is_piix(IDEBus *bus)
{
    Object *ctrl = OBJECT(bus->qbus.parent);

    return ctrl && (object_dynamic_cast(ctrl, TYPE_PIIX3_IDE) ||
                    object_dynamic_cast(ctrl, TYPE_PIIX4_IDE));
}

typedef struct StorvspIdeFind {
    uint32_t controller;
    uint32_t unit;
    IDEDevice *found;
} StorvspIdeFind;

static int storvsp_ide_find_one(Object *obj, void *opaque)
{
    StorvspIdeFind *f = opaque;
    DeviceState *dev;
    IDEBus *bus;

    /* Hard disks only: Hyper-V keeps CD-ROMs on emulated IDE alone. */
    if (!object_dynamic_cast(obj, "ide-hd")) {
        return 0;
    }
    dev = DEVICE(obj);
    if (!dev->realized || !dev->parent_bus) {
        return 0;
    }
    bus = (IDEBus *)object_dynamic_cast(OBJECT(dev->parent_bus),
                                        TYPE_IDE_BUS);
    if (bus && storvsp_ide_bus_is_piix(bus) &&
        bus->bus_id == f->controller && IDE_DEVICE(dev)->unit == f->unit) {
        f->found = IDE_DEVICE(dev);
        return 1;
    }
    return 0;
}

/* The ide-hd at @controller:@unit of the PIIX IDE function, or NULL */
static IDEDevice *storvsp_ide_find(uint32_t controller, uint32_t unit)
{
    StorvspIdeFind f = { .controller = controller, .unit = unit };

    object_child_foreach_recursive(object_get_root(), storvsp_ide_find_one,
                                   &f);
    return f.found;
}

/*
 * Serve @ide's disk on this channel: an internal scsi-hd on the same block
 * node, at the one address the guest uses (target = unit, LUN 0).
 *
 * Two devices cannot share one BlockBackend (a BlockBackend has at most
 * one device), so the scsi-hd gets a BlockBackend of its own on the IDE
 * disk's node, created by its "drive" property from the node name. Both
 * BlockBackends want WRITE; the block layer allows that only if each
 * shares WRITE with the other. The scsi-hd says so with share-rw=on, and
 * the IDE device's BlockBackend gets BLK_PERM_WRITE added to the
 * permissions it shares (blk_get_perm / blk_set_perm) instead of asking
 * the user for share-rw=on on ide-hd. That is sound here because both are
 * the same virtual disk seen through two paths, as on Hyper-V: neither
 * device caches data of its own above the node, every write goes to the
 * one node (and its format driver's metadata) in order, and a guest uses
 * one path at a time (BIOS and boot loader the IDE one, then the OS
 * storvsc; a Linux guest's ata_piix leaves the ATA disks alone once the
 * SMBIOS says Hyper-V). The write cache setting and the serial number
 * follow the IDE disk's.
 */
static bool storvsp_ide_attach(StorvspState *s, IDEDevice *ide, Error **errp)
{
    BlockBackend *blk = ide->conf.blk;
    BlockDriverState *bs = blk ? blk_bs(blk) : NULL;
    uint64_t perm, shared;
    DeviceState *disk;

    if (!bs) {
        error_setg(errp, "vmbus-ide: the IDE disk at %u:%u has no medium",
                   s->ide_controller, s->ide_unit);
        return false;
    }
    blk_get_perm(blk, &perm, &shared);
    if (blk_set_perm(blk, perm, shared | BLK_PERM_WRITE, errp) < 0) {
        error_prepend(errp, "vmbus-ide: cannot share the IDE disk at %u:%u: ",
                      s->ide_controller, s->ide_unit);
        return false;
    }

    disk = qdev_new("scsi-hd");
    object_property_add_child(OBJECT(s), "disk", OBJECT(disk));
    if (!object_property_set_str(OBJECT(disk), "drive",
                                 bdrv_get_node_name(bs), errp)) {
        goto fail;
    }
    qdev_prop_set_bit(disk, "share-rw", true);
    qdev_prop_set_uint32(disk, "scsi-id", s->ide_unit);
    qdev_prop_set_uint32(disk, "lun", 0);
    /* What Hyper-V's IDE accelerator disks answer to INQUIRY */
    qdev_prop_set_string(disk, "vendor", "Msft");
    qdev_prop_set_string(disk, "product", "Virtual Disk");
    if (ide->serial) {
        qdev_prop_set_string(disk, "serial", ide->serial);
    }
    qdev_prop_set_enum(disk, "write-cache",
                       blk_enable_write_cache(blk) ? ON_OFF_AUTO_ON
                                                   : ON_OFF_AUTO_OFF);
    if (!qdev_realize(disk, BUS(&s->bus), errp)) {
        goto fail;
    }
    object_unref(OBJECT(disk));
    return true;

fail:
    error_prepend(errp, "vmbus-ide: IDE disk at %u:%u: ", s->ide_controller,
                  s->ide_unit);
    object_unparent(OBJECT(disk));
    object_unref(OBJECT(disk));
    return false;
}

static void storvsp_vsp_realize(VMBusDevice *vdev, Error **errp)
{
    StorvspState *s = VMBUS_SCSI(vdev);
    IDEDevice *ide = NULL;
    uint32_t max_pfns;
    int i;

    if (s->addressing.ide) {
        if (s->ide_controller >= STORVSP_IDE_CONTROLLERS ||
            s->ide_unit >= STORVSP_IDE_UNITS) {
            error_setg(errp, "vmbus-ide: controller must be 0 or 1, unit 0 "
                       "or 1");
            return;
        }
        ide = storvsp_ide_find(s->ide_controller, s->ide_unit);
        if (!ide) {
            error_setg(errp, "vmbus-ide: no IDE hard disk at %u:%u of the "
                       "PIIX IDE controller", s->ide_controller, s->ide_unit);
            return;
        }
        s->addressing.ide_target = s->ide_unit;
    } else if (storvsp_count_controllers(vdev) >= STORVSP_MAX_CONTROLLERS) {
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
    if (s->iothread && ide) {
        /* The IDE device keeps the shared block node in the main loop. */
        error_setg(errp, "vmbus-ide: iothread is not supported on the IDE "
                   "accelerator channel");
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
    if (s->iothread) {
        vmbus_device_set_aio_context(vdev,
                                     iothread_get_aio_context(s->iothread));
    }
    s->resume_bh = aio_bh_new_guarded(vdev->ctx ? vdev->ctx :
                                      qemu_get_aio_context(),
                                      storvsp_resume_bh, s,
                                      &DEVICE(s)->mem_reentrancy_guard);
    s->offer_bh = qemu_bh_new(storvsp_offer_bh, s);
    scsi_bus_init(&s->bus, sizeof(s->bus), DEVICE(s), &storvsp_scsi_info);
    if (ide) {
        /* One fixed disk: nothing to plug on this bus later. */
        if (!storvsp_ide_attach(s, ide, errp)) {
            qemu_bh_delete(s->resume_bh);
            s->resume_bh = NULL;
            qemu_bh_delete(s->offer_bh);
            s->offer_bh = NULL;
        }
        return;
    }
    /* device_add and device_del on the bus tell the guest */
    qbus_set_hotplug_handler(BUS(&s->bus), OBJECT(s));
}

static void storvsp_vsp_unrealize(VMBusDevice *vdev)
{
    StorvspState *s = VMBUS_SCSI(vdev);
    int i;

    vmbus_device_run_in_context(vdev, storvsp_reset_queues, s);
    for (i = 0; i < VMBUS_MAX_CHANNELS_PER_DEVICE; i++) {
        g_free(s->queues[i].rx_buf);
        s->queues[i].rx_buf = NULL;
    }
    qemu_bh_delete(s->resume_bh);
    s->resume_bh = NULL;
    qemu_bh_delete(s->offer_bh);
    s->offer_bh = NULL;
}

/*
 * Migration: the protocol state and the answers that wait for ring space.
 * The VM is stopped and the block layer drained before the state is saved,
 * so SCSI requests have ended, but for those held for a retry after an
 * I/O error (rerror/werror=stop): QEMU's SCSI layer migrates them with
 * their devices, and restarts them there (storvsp_scsi_save_request()).
 */

static int storvsp_pre_save(void *opaque)
{
    StorvspState *s = opaque;
    StorvspRequest *r;
    StorvspMigAnswer *m;
    uint32_t n = 0;
    int i;

    QTAILQ_FOREACH(r, &s->requests, link) {
        /* Held for a retry: the SCSI layer migrates it (save_request). */
        if (!r->sreq || !r->sreq->retry) {
            error_report("vmbus-scsi: SCSI requests still in flight");
            return -EBUSY;
        }
    }
    for (i = 0; i < VMBUS_MAX_CHANNELS_PER_DEVICE; i++) {
        n += s->queues[i].nanswers;
    }
    g_free(s->mig.answers);
    s->mig.answers = NULL;
    s->mig.nanswers = n;
    if (!n) {
        return 0;
    }
    s->mig.answers = g_malloc0(n * sizeof(StorvspMigAnswer));
    m = (StorvspMigAnswer *)s->mig.answers;
    for (i = 0; i < VMBUS_MAX_CHANNELS_PER_DEVICE; i++) {
        StorvspAnswer *a;

        QSIMPLEQ_FOREACH(a, &s->queues[i].answers, link) {
            m->queue = cpu_to_le16(i);
            m->type = cpu_to_le16(a->type);
            m->len = cpu_to_le32(a->len);
            m->trans_id = cpu_to_le64(a->trans_id);
            m->packet = a->packet;
            m++;
        }
    }
    return 0;
}

static int storvsp_post_save(void *opaque)
{
    StorvspState *s = opaque;

    g_free(s->mig.answers);
    s->mig.answers = NULL;
    s->mig.nanswers = 0;
    return 0;
}

static bool storvsp_answers_needed(void *opaque)
{
    StorvspState *s = opaque;

    return s->mig.nanswers != 0;
}

static bool storvsp_answers_count_ok(void *opaque, int version_id)
{
    StorvspState *s = opaque;

    return s->mig.nanswers <= STORVSP_MIG_ANSWERS_MAX;
}

/* Queue the answers of the stream again, each checked. */
static int storvsp_load_answers(StorvspState *s)
{
    const StorvspMigAnswer *m = (const StorvspMigAnswer *)s->mig.answers;
    uint32_t i;

    for (i = 0; i < s->mig.nanswers; i++, m++) {
        uint16_t index = le16_to_cpu(m->queue);
        uint16_t type = le16_to_cpu(m->type);
        uint32_t len = le32_to_cpu(m->len);
        StorvspQueue *q;
        StorvspAnswer *a;

        if (index >= VMBUS_DEVICE(s)->num_channels ||
            !s->queues[index].open ||
            (type != VMBUS_PKT_COMP && type != VMBUS_PKT_INBAND) ||
            len > STORVSP_PACKET_SIZE) {
            error_report("vmbus-scsi: bad waiting answer %u in the "
                         "migration stream", i);
            return -EINVAL;
        }
        q = &s->queues[index];
        a = g_new(StorvspAnswer, 1);
        a->type = type;
        a->trans_id = le64_to_cpu(m->trans_id);
        a->len = len;
        a->packet = m->packet;
        QSIMPLEQ_INSERT_TAIL(&q->answers, a, link);
        q->nanswers++;
    }
    return 0;
}

/*
 * The channels the guest had open are open again (the VMBus server's state
 * comes first, and reopens them without calling the open hook): serve
 * them. In the device's context; the VM is not running yet.
 */
static void storvsp_attach_queues(void *opaque)
{
    StorvspState *s = opaque;
    VMBusDevice *vdev = VMBUS_DEVICE(s);
    int i;

    for (i = 0; i < vdev->num_channels; i++) {
        VMBusChannel *chan = vdev->channels[i];
        StorvspQueue *q = &s->queues[i];

        q->chan = chan;
        q->open = vmbus_channel_is_open(chan);
        q->stalled = false;
        storvsp_drop_answers(q);
        if (q->open && !q->rx_buf) {
            q->rx_buf = g_malloc(s->rx_buf_len);
        }
    }
}

static int storvsp_post_load(void *opaque, int version_id)
{
    StorvspState *s = opaque;
    StorvspSession *ss = &s->session;
    int ret;

    if (ss->init_state > STORVSP_INIT_READY ||
        (ss->version && !storvsp_version_supported(ss->version)) ||
        (ss->init_state >= STORVSP_INIT_END && !ss->version)) {
        return -EINVAL;
    }
    vmbus_device_run_in_context(VMBUS_DEVICE(s), storvsp_attach_queues, s);
    ret = storvsp_load_answers(s);
    g_free(s->mig.answers);
    s->mig.answers = NULL;
    s->mig.nanswers = 0;
    return ret;
}

static const VMStateDescription vmstate_storvsp_answers = {
    .name = TYPE_VMBUS_SCSI "/answers",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = storvsp_answers_needed,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32(mig.nanswers, StorvspState),
        VMSTATE_VALIDATE("vmbus-scsi answers", storvsp_answers_count_ok),
        /* VMSTATE_VBUFFER_MULTIPLY, allocated on load */
        {
            .name = "mig.answers",
            .size_offset = vmstate_offset_value(StorvspState, mig.nanswers,
                                                uint32_t),
            .size = sizeof(StorvspMigAnswer),
            .info = &vmstate_info_buffer,
            .flags = VMS_VBUFFER | VMS_POINTER | VMS_MULTIPLY | VMS_ALLOC,
            .offset = offsetof(StorvspState, mig.answers),
        },
        VMSTATE_END_OF_LIST()
    },
};

static const VMStateDescription vmstate_storvsp = {
    .name = TYPE_VMBUS_SCSI,
    .version_id = 1,
    .minimum_version_id = 1,
    .pre_save = storvsp_pre_save,
    .post_save = storvsp_post_save,
    .post_load = storvsp_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32(session.init_state, StorvspState),
        VMSTATE_UINT16(session.version, StorvspState),
        VMSTATE_UINT16(sub_channels, StorvspState),
        VMSTATE_UINT32(next_tag, StorvspState),
        VMSTATE_END_OF_LIST()
    },
    .subsections = (const VMStateDescription * const []) {
        &vmstate_storvsp_answers,
        NULL
    },
};

static const Property storvsp_props[] = {
    DEFINE_PROP_UINT32("max-transfer", StorvspState, max_transfer, 1 * MiB),
    DEFINE_PROP_UINT16("max-sub-channels", StorvspState, max_sub_channels,
                       16),
    DEFINE_PROP_LINK("iothread", StorvspState, iothread, TYPE_IOTHREAD,
                     IOThread *),
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
    object_class_property_set_description(oc, "iothread",
        "IOThread that serves the channels and runs the disks' I/O, instead "
        "of the main loop");
    vdc->interface_id = STORVSP_SCSI_INTERFACE_ID;
    vdc->interface_name = "scsi";
    vdc->vsp_realize = storvsp_vsp_realize;
    vdc->vsp_unrealize = storvsp_vsp_unrealize;
    vdc->open = storvsp_open;
    vdc->close = storvsp_close;
    vdc->notify = storvsp_notify;
    vdc->notify_in_vp = true;
    vdc->writable = storvsp_writable;
    vdc->reset = storvsp_reset;
    hc->pre_plug = storvsp_scsi_pre_plug;
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

static void storvsp_ide_instance_init(Object *obj)
{
    VMBUS_SCSI(obj)->addressing.ide = true;
}

static const Property storvsp_ide_props[] = {
    DEFINE_PROP_UINT8("controller", StorvspState, ide_controller, 0),
    DEFINE_PROP_UINT8("unit", StorvspState, ide_unit, 0),
};

static void storvsp_ide_class_init(ObjectClass *oc, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(oc);
    VMBusDeviceClass *vdc = VMBUS_DEVICE_CLASS(oc);

    dc->desc = "Hyper-V IDE accelerator channel of an emulated IDE disk";
    /* Created by -accel hvpart,ide-accel=on, one per IDE hard disk. */
    dc->user_creatable = false;
    device_class_set_props(dc, storvsp_ide_props);
    object_class_property_set_description(oc, "controller",
        "IDE controller (channel) of the PIIX IDE function: 0 or 1");
    object_class_property_set_description(oc, "unit",
        "unit on that controller: 0 (master) or 1 (slave)");
    vdc->interface_id = STORVSP_IDE_INTERFACE_ID;
    vdc->interface_name = "ide";
}

static const TypeInfo storvsp_ide_type = {
    .name = TYPE_VMBUS_IDE,
    .parent = TYPE_VMBUS_SCSI,
    .instance_init = storvsp_ide_instance_init,
    .class_init = storvsp_ide_class_init,
};

/*
 * Once every device of the command line exists: offer each IDE hard disk
 * of the PIIX IDE function on the VMBus too, as Hyper-V does, with the
 * instance GUID that names its controller and unit.
 */
static void storvsp_ide_machine_done(Notifier *n, void *data)
{
    Object *br = object_resolve_path_type("", TYPE_VMBUS_BRIDGE, NULL);
    BusState *vmbus = br ? QLIST_FIRST(&DEVICE(br)->child_bus) : NULL;
    uint32_t c, u;

    if (!vmbus) {
        return;
    }
    for (c = 0; c < STORVSP_IDE_CONTROLLERS; c++) {
        for (u = 0; u < STORVSP_IDE_UNITS; u++) {
            g_autofree char *id = NULL;
            g_autofree char *name = NULL;
            Error *err = NULL;
            DeviceState *dev;

            if (!storvsp_ide_find(c, u)) {
                continue;
            }
            id = g_strdup_printf(STORVSP_IDE_INSTANCE_FMT, c, u);
            name = g_strdup_printf("vmbus-ide[%u.%u]", c, u);
            dev = qdev_new(TYPE_VMBUS_IDE);
            qdev_prop_set_uint8(dev, "controller", c);
            qdev_prop_set_uint8(dev, "unit", u);
            qdev_prop_set_string(dev, "instance-id", id);
            object_property_add_child(qdev_get_machine(), name, OBJECT(dev));
            if (!qdev_realize_and_unref(dev, vmbus, &err)) {
                /* No silent fallback: say how to do without the channel. */
                error_append_hint(&err, "Use -accel hvpart,ide-accel=off to "
                                  "keep the IDE disks off the VMBus.\n");
                error_report_err(err);
                exit(1);
            }
        }
    }
}

static Notifier storvsp_ide_notifier = {
    .notify = storvsp_ide_machine_done,
};

static void storvsp_partition_created(Notifier *n, void *data)
{
    if (hvpart_vmbus_wanted() && hvpart_ide_accel_wanted()) {
        qemu_add_machine_init_done_notifier(&storvsp_ide_notifier);
    }
}

static Notifier storvsp_partition_notifier = {
    .notify = storvsp_partition_created,
};

static void storvsp_register_types(void)
{
    type_register_static(&storvsp_type);
    type_register_static(&storvsp_ide_type);
    hvpart_add_partition_notifier(&storvsp_partition_notifier);
}

type_init(storvsp_register_types)
