/*
 * qemu-hvpart: vstor packets from the guest, decoded and checked.
 *
 * Pure protocol code, without QEMU device plumbing, so that unit tests and
 * fuzzers can drive it (tests/unit/test-storvsp-parse.c,
 * tests/fuzz/fuzz-storvsp.c). storvsp.c feeds it the packets the VMBus
 * layer copied out of the ring and acts on the verdicts: it answers,
 * traces, and hands accepted SRBs to QEMU's SCSI layer.
 *
 * Every function takes bytes the host owns (the guest cannot change them
 * meanwhile), checks each size, count and offset the guest wrote against
 * what it sent, and returns values in host byte order and pointers only
 * into the given buffer. A refusal names its reason in a static string,
 * for a trace event.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_STORVSC_VSP_STORVSP_PARSE_H
#define HW_STORVSC_VSP_STORVSP_PARSE_H

#include "hw/vmbus/vmbus-proto.h"
#include "hw/vmbus/vmbus-ring.h"
#include "hw/storvsc-vsp/storvsp-proto.h"

/*
 * The address space a synthetic SCSI controller's guest scans (storvsc:
 * max_channel + 1, max_id, max_lun): paths 0..7, targets 0..1, LUNs
 * 0..254. Only path 0 holds devices.
 */
#define STORVSP_MAX_PATHS           8
#define STORVSP_MAX_TARGETS         2
#define STORVSP_MAX_LUN             254

/* Physical address width the GPA ranges may name (x86-64: 52 bits). */
#define STORVSP_MAX_PFN             ((1ull << (52 - VMBUS_PAGE_SHIFT)) - 1)

/* Where the protocol of one controller stands, kept by its primary channel */
typedef enum StorvspInitState {
    STORVSP_INIT_BEGIN,                 /* waiting for BEGIN_INITIALIZATION */
    STORVSP_INIT_VERSION,               /* waiting for an acceptable version */
    STORVSP_INIT_END,                   /* waiting for END_INITIALIZATION */
    STORVSP_INIT_READY,                 /* SRBs flow */
} StorvspInitState;

typedef struct StorvspSession {
    uint32_t init_state;                /* StorvspInitState */
    uint16_t version;                   /* agreed version, 0 before */
} StorvspSession;

/* Whether the VSP speaks protocol @version (5.1, 6.0, 6.2). */
bool storvsp_version_supported(uint16_t version);

/* The SRB size, and so the vstor packet body size, of a protocol version */
uint32_t storvsp_srb_size(uint16_t version);

/*
 * How long an answer is: once a version is agreed (@version != 0), the
 * packet size of that version; before, the guest's own packet size
 * (@request_len) decides, clamped to the sizes of the protocol.
 */
uint32_t storvsp_answer_len(uint16_t version, uint32_t request_len);

/*
 * One packet the VMBus layer copied out of a ring: @pkt its descriptor,
 * @data its @len bytes (descriptor included). On success the vstor packet
 * is copied into @request (bytes the guest did not send read as zero),
 * *@request_len says how many it sent, and 0 is returned. Otherwise:
 * -EBADMSG: a packet that gets no answer (wrong packet type, no completion
 *           requested, a broken descriptor);
 * -EINVAL:  answer with STORVSP_STATUS_INVALID_PARAMETER (too short for a
 *           vstor header, or GPA ranges with a control operation); the
 *           operation, if any, is in @request.
 * *@why says why.
 */
int storvsp_parse_packet(const VMBusRingPacket *pkt, const uint8_t *data,
                         uint32_t len, StorvspPacket *request,
                         uint32_t *request_len, const char **why);

/* The GPA_DIRECT range list of one packet, inside the packet's bytes */
typedef struct StorvspGpaList {
    const uint8_t *ranges;              /* first VMBusGpaRange */
    uint32_t count;
    uint64_t bytes;                     /* sum of the byte counts */
} StorvspGpaList;

/*
 * Check the range list of a GPA_DIRECT packet (@data, as for
 * storvsp_parse_packet()): VMBusGpaDirectHeader after the descriptor,
 * then the ranges, each with the pfns its offset and length need, all
 * before the payload offset. Returns NULL, or why the list is bad.
 */
const char *storvsp_gpa_list_parse(const VMBusRingPacket *pkt,
                                   const uint8_t *data, StorvspGpaList *list);

/*
 * Walk the first @want bytes of a list storvsp_gpa_list_parse() accepted,
 * calling @fn for each run of guest physical memory (pieces contiguous in
 * GPA merged), in order, as long as it returns true. Returns NULL, or why
 * not: a pfn beyond STORVSP_MAX_PFN, @fn said no (*@refused set), fewer
 * than @want bytes.
 */
typedef bool StorvspGpaRunFn(uint64_t gpa, uint64_t len, void *opaque);
const char *storvsp_gpa_list_walk(const StorvspGpaList *list, uint64_t want,
                                  StorvspGpaRunFn *fn, void *opaque,
                                  bool *refused);

/*
 * Check an EXECUTE_SRB request (after storvsp_parse_packet()) for a
 * session in the READY state: its length against the version's SRB, the
 * CDB length, the data length against @max_transfer and against the
 * GPA_DIRECT ranges (which are parsed into @gpas; a packet without ranges
 * must have no data). Returns 0 with *@data_len set, or -EINVAL with *@why:
 * answer STORVSP_SRB_STATUS_INVALID_REQUEST with vstor status *@status.
 */
int storvsp_parse_srb(const StorvspSession *ss, uint32_t max_transfer,
                      const VMBusRingPacket *pkt, const uint8_t *data,
                      const StorvspPacket *request, uint32_t request_len,
                      StorvspGpaList *gpas, uint32_t *data_len,
                      uint32_t *status, const char **why);

/*
 * Which (path, target, lun) a controller answers for. A synthetic SCSI
 * controller: the whole STORVSP_MAX_* space. An IDE accelerator channel
 * carries exactly one disk: path 0, target @ide_target (its IDE unit,
 * which the guest takes from the instance GUID), LUN 0.
 */
typedef struct StorvspAddressing {
    bool ide;
    uint8_t ide_target;
} StorvspAddressing;

/* Whether @srb names an address of @a; if not, *@why says how. */
bool storvsp_srb_address_ok(const StorvspAddressing *a,
                            const StorvspScsiRequest *srb, const char **why);

/* What one control operation did */
typedef struct StorvspControlResult {
    uint32_t op;
    uint32_t status;                    /* STORVSP_STATUS_* of the answer */
    uint32_t answer_len;
    const char *why;                    /* refused: why (for a trace) */
    bool version_asked;                 /* a QUERY_PROTOCOL_VERSION... */
    uint16_t version;                   /* ...for this version */
    uint16_t offer;                     /* sub-channels to offer now */
} StorvspControlResult;

/*
 * Run a control operation (anything but EXECUTE_SRB) that arrived on
 * channel @chan_index (0: primary) of a session: check it against the
 * session's state, move the state on, and fill in the answer packet
 * @answer (COMPLETE_IO with the status and, for QUERY_PROPERTIES, the
 * properties: @sub_channel_cap sub-channels, @max_transfer bytes).
 */
void storvsp_control_step(StorvspSession *ss, uint16_t chan_index,
                          const StorvspPacket *request, uint32_t request_len,
                          uint16_t sub_channel_cap, uint32_t max_transfer,
                          StorvspPacket *answer, StorvspControlResult *res);

#endif
