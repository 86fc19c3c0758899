/*
 * qemu-hvpart: vstor packets from the guest, decoded and checked (see
 * storvsp-parse.h).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "hw/vmbus/vmbus-proto.h"
#include "hw/storvsc-vsp/storvsp-parse.h"

static const uint16_t storvsp_versions[] = {
    STORVSP_VERSION_WIN10, STORVSP_VERSION_WIN8_1, STORVSP_VERSION_WIN8,
};

bool storvsp_version_supported(uint16_t version)
{
    int i;

    for (i = 0; i < ARRAY_SIZE(storvsp_versions); i++) {
        if (storvsp_versions[i] == version) {
            return true;
        }
    }
    return false;
}

uint32_t storvsp_srb_size(uint16_t version)
{
    return version >= STORVSP_VERSION_WIN8 ? STORVSP_SRB_SIZE
                                           : STORVSP_SRB_SIZE_PRE_WIN8;
}

/*
 * Guests check the answer's size against the agreed version. Before a
 * version is agreed, Hyper-V answers in the guest's own packet size: Linux
 * 6.1 sends and expects 64-byte packets from the start, older Linux 48-byte
 * ones until it reaches protocol 5.1.
 */
uint32_t storvsp_answer_len(uint16_t version, uint32_t request_len)
{
    if (version) {
        return STORVSP_PACKET_HEADER_SIZE + storvsp_srb_size(version);
    }
    return MIN(MAX(request_len, STORVSP_PACKET_SIZE_PRE_WIN8),
               STORVSP_PACKET_SIZE);
}

int storvsp_parse_packet(const VMBusRingPacket *pkt, const uint8_t *data,
                         uint32_t len, StorvspPacket *request,
                         uint32_t *request_len, const char **why)
{
    uint32_t n;

    memset(request, 0, sizeof(*request));
    *request_len = 0;
    /* The VMBus layer guarantees these; the parser does not rely on it. */
    if (pkt->data_offset < sizeof(VMBusPacketDesc) ||
        pkt->data_offset > len) {
        *why = "payload offset outside the packet";
        return -EBADMSG;
    }
    if (pkt->type != VMBUS_PKT_INBAND && pkt->type != VMBUS_PKT_GPA_DIRECT) {
        *why = pkt->type == VMBUS_PKT_COMP ?
               "completion from the guest" :
               "packet type other than inband or GPA_DIRECT";
        return -EBADMSG;
    }
    if (!(pkt->flags & VMBUS_PKT_FLAG_COMPLETION_REQUESTED)) {
        /* Every vstor request is answered by a completion packet. */
        *why = "no completion requested";
        return -EBADMSG;
    }
    n = len - pkt->data_offset;
    *request_len = n;
    if (n < STORVSP_PACKET_HEADER_SIZE) {
        *why = "shorter than a vstor packet header";
        return -EINVAL;
    }
    /* Shorter packets read as zeroes beyond their end. */
    memcpy(request, data + pkt->data_offset, MIN(n, sizeof(*request)));
    if (le32_to_cpu(request->operation) != STORVSP_OP_EXECUTE_SRB &&
        pkt->type != VMBUS_PKT_INBAND) {
        *why = "GPA ranges with a control operation";
        return -EINVAL;
    }
    return 0;
}

const char *storvsp_gpa_list_parse(const VMBusRingPacket *pkt,
                                   const uint8_t *data, StorvspGpaList *list)
{
    uint32_t pos = sizeof(VMBusPacketDesc) + sizeof(VMBusGpaDirectHeader);
    uint32_t end = pkt->data_offset;
    uint32_t i, count;

    list->ranges = NULL;
    list->count = 0;
    list->bytes = 0;
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
    /* Each range takes at least 16 bytes of the packet: a bounded loop. */
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

const char *storvsp_gpa_list_walk(const StorvspGpaList *list, uint64_t want,
                                  StorvspGpaRunFn *fn, void *opaque,
                                  bool *refused)
{
    const uint8_t *p = list->ranges;
    uint64_t run_base = 0, run_len = 0;
    uint32_t i;

    *refused = false;
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
            uint64_t gpa;

            chunk = MIN(chunk, want);
            if (pfn > STORVSP_MAX_PFN) {
                return "pfn beyond the physical address width";
            }
            gpa = (pfn << VMBUS_PAGE_SHIFT) + start;
            if (run_len && run_base + run_len == gpa) {
                run_len += chunk;
            } else {
                if (run_len && !fn(run_base, run_len, opaque)) {
                    *refused = true;
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
    if (run_len && !fn(run_base, run_len, opaque)) {
        *refused = true;
        return "data buffer outside guest RAM";
    }
    if (want) {
        return "GPA ranges shorter than the transfer";
    }
    return NULL;
}

int storvsp_parse_srb(const StorvspSession *ss, uint32_t max_transfer,
                      const VMBusRingPacket *pkt, const uint8_t *data,
                      const StorvspPacket *request, uint32_t request_len,
                      StorvspGpaList *gpas, uint32_t *data_len,
                      uint32_t *status, const char **why)
{
    const StorvspScsiRequest *srb = &request->srb;
    uint32_t n;

    memset(gpas, 0, sizeof(*gpas));
    *data_len = 0;
    *status = STORVSP_STATUS_INVALID_PARAMETER;
    if (ss->init_state != STORVSP_INIT_READY) {
        *status = STORVSP_STATUS_INVALID_DEVICE_STATE;
        *why = "SRB before the end of initialization";
        return -EINVAL;
    }
    if (request_len < STORVSP_PACKET_HEADER_SIZE +
                      storvsp_srb_size(ss->version)) {
        *why = "SRB shorter than the protocol version's";
        return -EINVAL;
    }
    if (srb->cdb_length == 0 || srb->cdb_length > STORVSP_CDB_MAX) {
        *why = "CDB length out of range";
        return -EINVAL;
    }
    n = le32_to_cpu(srb->data_transfer_length);
    if (n > max_transfer) {
        *why = "data length beyond the maximum transfer size";
        return -EINVAL;
    }
    if (pkt->type == VMBUS_PKT_GPA_DIRECT) {
        *why = storvsp_gpa_list_parse(pkt, data, gpas);
        if (!*why && gpas->bytes < n) {
            *why = "data length beyond the GPA ranges";
        }
    } else {
        *why = n ? "data length without GPA ranges" : NULL;
    }
    if (*why) {
        return -EINVAL;
    }
    *data_len = n;
    *status = STORVSP_STATUS_SUCCESS;
    return 0;
}

bool storvsp_srb_address_ok(const StorvspAddressing *a,
                            const StorvspScsiRequest *srb, const char **why)
{
    if (a->ide) {
        if (srb->path_id != 0 || srb->target_id != a->ide_target ||
            srb->lun != 0) {
            *why = "address other than the IDE channel's disk";
            return false;
        }
        return true;
    }
    if (srb->path_id >= STORVSP_MAX_PATHS ||
        srb->target_id >= STORVSP_MAX_TARGETS ||
        srb->lun > STORVSP_MAX_LUN) {
        *why = "address out of range";
        return false;
    }
    return true;
}

void storvsp_control_step(StorvspSession *ss, uint16_t chan_index,
                          const StorvspPacket *request, uint32_t request_len,
                          uint16_t sub_channel_cap, uint32_t max_transfer,
                          StorvspPacket *answer, StorvspControlResult *res)
{
    uint32_t op = le32_to_cpu(request->operation);
    uint32_t status = STORVSP_STATUS_SUCCESS;
    const char *why = NULL;
    uint16_t version, count;

    memset(answer, 0, sizeof(*answer));
    memset(res, 0, sizeof(*res));
    res->op = op;
    res->answer_len = storvsp_answer_len(ss->version, request_len);

    if (chan_index != 0 && op != STORVSP_OP_RESET_LUN &&
        op != STORVSP_OP_RESET_ADAPTER && op != STORVSP_OP_RESET_BUS) {
        why = "initialization on a sub-channel";
        status = STORVSP_STATUS_INVALID_DEVICE_STATE;
        goto out;
    }
    switch (op) {
    case STORVSP_OP_BEGIN_INITIALIZATION:
        if (ss->init_state == STORVSP_INIT_READY) {
            why = "BEGIN_INITIALIZATION after initialization";
            status = STORVSP_STATUS_INVALID_DEVICE_STATE;
            break;
        }
        ss->init_state = STORVSP_INIT_VERSION;
        ss->version = 0;
        res->answer_len = storvsp_answer_len(ss->version, request_len);
        break;
    case STORVSP_OP_QUERY_PROTOCOL_VERSION:
        if (ss->init_state != STORVSP_INIT_VERSION) {
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
        answer->version = request->version;
        version = le16_to_cpu(request->version.major_minor);
        res->version_asked = true;
        res->version = version;
        if (!storvsp_version_supported(version)) {
            /* Normal: the guest tries the next older one. */
            status = STORVSP_STATUS_REVISION_MISMATCH;
            break;
        }
        ss->version = version;
        ss->init_state = STORVSP_INIT_END;
        break;
    case STORVSP_OP_QUERY_PROPERTIES:
        if (ss->init_state != STORVSP_INIT_END) {
            why = "QUERY_PROPERTIES before a version was agreed";
            status = STORVSP_STATUS_INVALID_DEVICE_STATE;
            break;
        }
        answer->properties.max_channel_count = cpu_to_le16(sub_channel_cap);
        answer->properties.flags =
            cpu_to_le32(sub_channel_cap ? STORVSP_PROPERTY_MULTI_CHANNEL : 0);
        answer->properties.max_transfer_bytes = cpu_to_le32(max_transfer);
        break;
    case STORVSP_OP_END_INITIALIZATION:
        if (ss->init_state != STORVSP_INIT_END) {
            why = "END_INITIALIZATION before a version was agreed";
            status = STORVSP_STATUS_INVALID_DEVICE_STATE;
            break;
        }
        ss->init_state = STORVSP_INIT_READY;
        break;
    case STORVSP_OP_CREATE_SUB_CHANNELS:
        if (ss->init_state != STORVSP_INIT_READY) {
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
        if (count == 0 || count > sub_channel_cap) {
            why = "sub-channel count out of range";
            status = STORVSP_STATUS_INVALID_PARAMETER;
            break;
        }
        res->offer = count;
        break;
    case STORVSP_OP_RESET_LUN:
    case STORVSP_OP_RESET_ADAPTER:
    case STORVSP_OP_RESET_BUS:
        /*
         * Every request in flight is answered when its I/O ends, which is
         * all the guest waits for after a reset (storvsc_host_reset_handler
         * drains its outstanding requests).
         */
        if (ss->init_state != STORVSP_INIT_READY) {
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

out:
    res->status = status;
    res->why = why;
    answer->operation = cpu_to_le32(STORVSP_OP_COMPLETE_IO);
    answer->status = cpu_to_le32(status);
}
