/*
 * qemu-hvpart fuzzer: vstor packets from the guest
 * (hw/storvsc-vsp/storvsp-parse.c), as vmbus-scsi and vmbus-ide take them.
 *
 * Input: two setup bytes (the session's start state and version, the
 * controller kind: SCSI or the IDE channel of unit 0/1, the sub-channel
 * cap and the maximum transfer size), then packets (see fuzz-util.h).
 * Each packet is: one byte of ring packet type, one of flags, one of
 * payload offset in 8-byte units, one of channel index; the rest is the
 * packet as the VMBus layer copied it out of the ring (descriptor
 * included). Each goes through storvsp_parse_packet(); SRBs through
 * storvsp_parse_srb(), the address check and a walk of the data buffer's
 * GPA ranges; control operations through the session's state machine.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "fuzz-util.h"
#include "qemu/units.h"
#include "hw/storvsc-vsp/storvsp-parse.h"

static const uint32_t fuzz_max_transfers[] = {
    64 * KiB, 1 * MiB, 8 * MiB, 4 * KiB,
};

static const uint16_t fuzz_start_versions[] = {
    0, STORVSP_VERSION_WIN8, STORVSP_VERSION_WIN8_1, STORVSP_VERSION_WIN10,
};

static const uint16_t fuzz_pkt_types[] = {
    VMBUS_PKT_INBAND, VMBUS_PKT_GPA_DIRECT, VMBUS_PKT_COMP,
    VMBUS_PKT_GPA_DIRECT,
};

typedef struct FuzzWalk {
    uint64_t bytes;
    uint64_t last_end;
    uint32_t runs;
    bool refuse;
} FuzzWalk;

static bool fuzz_run(uint64_t gpa, uint64_t len, void *opaque)
{
    FuzzWalk *w = opaque;

    FUZZ_CHECK(len > 0);
    /* Every run lies below the 52-bit physical address limit. */
    FUZZ_CHECK(gpa < (1ull << 52));
    FUZZ_CHECK(len <= (1ull << 52) - gpa);
    /* Contiguous pieces were merged. */
    FUZZ_CHECK(w->runs == 0 || gpa != w->last_end);
    w->bytes += len;
    w->last_end = gpa + len;
    w->runs++;
    /* Refuse now and then, as a GPA outside guest RAM would be. */
    return !(w->refuse && (gpa & 0x10000));
}

static void fuzz_srb(const StorvspSession *ss, const StorvspAddressing *a,
                     uint32_t max_transfer, const VMBusRingPacket *pkt,
                     const uint8_t *data, uint32_t len,
                     const StorvspPacket *req, uint32_t rlen, bool refuse)
{
    StorvspGpaList gpas;
    uint32_t data_len = 0, status = 0;
    const char *why = NULL;
    FuzzWalk w = { .refuse = refuse };
    bool refused;

    if (storvsp_parse_srb(ss, max_transfer, pkt, data, req, rlen, &gpas,
                          &data_len, &status, &why) < 0) {
        FUZZ_CHECK(why != NULL);
        FUZZ_CHECK(status != STORVSP_STATUS_SUCCESS);
        return;
    }
    FUZZ_CHECK(ss->init_state == STORVSP_INIT_READY);
    FUZZ_CHECK(rlen >= STORVSP_PACKET_HEADER_SIZE +
                       storvsp_srb_size(ss->version));
    FUZZ_CHECK(req->srb.cdb_length >= 1 &&
               req->srb.cdb_length <= STORVSP_CDB_MAX);
    FUZZ_CHECK(data_len <= max_transfer);
    if (pkt->type != VMBUS_PKT_GPA_DIRECT) {
        FUZZ_CHECK(data_len == 0);
    } else {
        FUZZ_CHECK(gpas.count >= 1);
        FUZZ_CHECK(gpas.bytes >= data_len);
        /* The range list lies inside the bytes the guest sent. */
        FUZZ_CHECK(FUZZ_INSIDE(gpas.ranges, 0, data, pkt->data_offset));
    }
    if (!storvsp_srb_address_ok(a, &req->srb, &why)) {
        FUZZ_CHECK(why != NULL);
    } else if (a->ide) {
        FUZZ_CHECK(req->srb.path_id == 0 && req->srb.lun == 0 &&
                   req->srb.target_id == a->ide_target);
    } else {
        FUZZ_CHECK(req->srb.path_id < STORVSP_MAX_PATHS &&
                   req->srb.target_id < STORVSP_MAX_TARGETS &&
                   req->srb.lun <= STORVSP_MAX_LUN);
    }
    if (!data_len) {
        return;
    }
    why = storvsp_gpa_list_walk(&gpas, data_len, fuzz_run, &w, &refused);
    if (!why) {
        FUZZ_CHECK(w.bytes == data_len);
        FUZZ_CHECK(!refused);
    } else {
        FUZZ_CHECK(w.bytes <= data_len);
    }
}

static void fuzz_control(StorvspSession *ss, uint16_t chan,
                         const StorvspPacket *req, uint32_t rlen,
                         uint16_t cap, uint32_t max_transfer)
{
    StorvspSession before = *ss;
    StorvspPacket answer;
    StorvspControlResult res;

    storvsp_control_step(ss, chan, req, rlen, cap, max_transfer, &answer,
                         &res);
    FUZZ_CHECK(le32_to_cpu(answer.operation) == STORVSP_OP_COMPLETE_IO);
    FUZZ_CHECK(le32_to_cpu(answer.status) == res.status);
    FUZZ_CHECK(res.answer_len >= STORVSP_PACKET_SIZE_PRE_WIN8 &&
               res.answer_len <= STORVSP_PACKET_SIZE);
    FUZZ_CHECK(ss->init_state <= STORVSP_INIT_READY);
    FUZZ_CHECK(res.offer <= cap);
    FUZZ_CHECK(res.status == STORVSP_STATUS_SUCCESS || !res.offer);
    if (ss->init_state >= STORVSP_INIT_END) {
        FUZZ_CHECK(storvsp_version_supported(ss->version));
    }
    if (res.status != STORVSP_STATUS_SUCCESS) {
        /* A refused operation leaves the session as it was. */
        FUZZ_CHECK(ss->init_state == before.init_state &&
                   ss->version == before.version);
    }
    if (chan != 0) {
        FUZZ_CHECK(ss->init_state == before.init_state);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FuzzInput in = { data, size };
    uint8_t s0 = fuzz_u8(&in), s1 = fuzz_u8(&in);
    StorvspSession ss = { 0 };
    StorvspAddressing a = { 0 };
    uint32_t max_transfer = fuzz_max_transfers[s1 & 3];
    uint16_t cap = (s1 >> 2) & 0xf;
    bool refuse = s1 & 0x40;
    uint8_t *pkt_bytes;
    uint32_t len;

    ss.version = fuzz_start_versions[s0 & 3];
    if (ss.version) {
        ss.init_state = (s0 >> 2) & 1 ? STORVSP_INIT_READY : STORVSP_INIT_END;
    } else {
        ss.init_state = (s0 >> 2) & 1 ? STORVSP_INIT_VERSION
                                      : STORVSP_INIT_BEGIN;
    }
    if (s0 & 0x10) {
        a.ide = true;
        a.ide_target = (s0 >> 5) & 1;
        cap = 0;
    }

    while ((pkt_bytes = fuzz_next_packet(&in, &len))) {
        VMBusRingPacket pkt = { 0 };
        StorvspPacket req;
        uint32_t rlen;
        const char *why = NULL;
        uint16_t chan;
        int ret;

        if (len < 4) {
            free(pkt_bytes);
            continue;
        }
        pkt.type = fuzz_pkt_types[pkt_bytes[0] & 3];
        pkt.flags = pkt_bytes[1] & 1 ? 0 : VMBUS_PKT_FLAG_COMPLETION_REQUESTED;
        pkt.data_offset = pkt_bytes[2] * 8u;
        chan = pkt_bytes[3] & 0x80 ? pkt_bytes[3] & 0x3f : 0;
        pkt.trans_id = 1;
        pkt.len = len - 4;
        ret = storvsp_parse_packet(&pkt, pkt_bytes + 4, len - 4, &req, &rlen,
                                   &why);
        if (ret < 0) {
            FUZZ_CHECK(ret == -EBADMSG || ret == -EINVAL);
            FUZZ_CHECK(why != NULL);
        } else {
            FUZZ_CHECK(pkt.data_offset >= sizeof(VMBusPacketDesc));
            FUZZ_CHECK((uint64_t)pkt.data_offset + rlen == len - 4);
            FUZZ_CHECK(rlen >= STORVSP_PACKET_HEADER_SIZE);
            if (le32_to_cpu(req.operation) == STORVSP_OP_EXECUTE_SRB) {
                fuzz_srb(&ss, &a, max_transfer, &pkt, pkt_bytes + 4, len - 4,
                         &req, rlen, refuse);
            } else {
                FUZZ_CHECK(pkt.type == VMBUS_PKT_INBAND);
                fuzz_control(&ss, chan, &req, rlen, cap, max_transfer);
            }
        }
        free(pkt_bytes);
    }
    return 0;
}
