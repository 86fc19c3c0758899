/*
 * qemu-hvpart: "-device vmbus-net", the synthetic network adapter (netvsp).
 *
 * State shared by netvsp.c (the device, NVSP, the receive and send
 * buffers, the channels, the receive path from the netdev) and rndis.c
 * (RNDIS messages, OIDs, the transmit path to the netdev).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_NETVSC_VSP_NETVSP_H
#define HW_NETVSC_VSP_NETVSP_H

#include "qemu/queue.h"
#include "qemu/units.h"
#include "net/net.h"
#include "hw/vmbus/vmbus.h"
#include "hw/netvsc-vsp/netvsp-parse.h"

#define TYPE_VMBUS_NET "vmbus-net"
OBJECT_DECLARE_SIMPLE_TYPE(VMBusNet, VMBUS_NET)

/* Network adapter interface type (PROTOCOLS.md, "Interface type GUIDs") */
#define NETVSP_INTERFACE_ID "f8615163-df3e-46c5-913f-f2d2f965ed0e"

/*
 * Receive buffer slots: 1728 bytes as Hyper-V (NETVSC_RECV_SECTION_SIZE of
 * the Linux guest) hold an RNDIS header, its PPIs and a 1514-byte frame;
 * larger MTUs get larger slots. The send buffer is cut into 6144-byte
 * sections, Hyper-V's choice too (the host picks it).
 */
#define NETVSP_RX_SECTION_SIZE_MIN      1728
#define NETVSP_TX_SECTION_SIZE          6144
/* RNDIS header, RndisPacket and room for the PPIs the host sends */
#define NETVSP_RX_RNDIS_OVERHEAD        (sizeof(RndisHeader) + \
                                         sizeof(RndisPacket) + 2 * 16)
/* MTUs the device may offer (property "mtu"); 68 is IPv4's minimum */
#define NETVSP_MTU_MIN                  68
#define NETVSP_MTU_DEFAULT              1500
#define NETVSP_MTU_MAX                  9000
/* Largest frame handed to the netdev unsegmented: header and a VLAN tag */
#define NETVSP_FRAME_MAX                (NETVSP_MTU_MAX + ETH_HLEN + 4)
/*
 * Most bytes of RNDIS messages in one SEND_RNDIS_PKT: a 64 KiB LSO frame
 * with its headers, plus what a send buffer section can hold.
 */
#define NETVSP_TX_BUF_SIZE              (128 * KiB)
/* Largest packet read from a guest->host ring (GPA_DIRECT range lists) */
#define NETVSP_RECV_PKT_MAX             (16 * KiB)
/*
 * Received frames named by one XFER_PAGES packet (one range each), which
 * the guest completes at once: frames that arrive in one go from the
 * netdev are sent together (netvsp_rx_flush()).
 */
#define NETVSP_RX_BATCH_MAX             64
/* Longest delay of a send completion's interrupt (tx-coalesce-us) */
#define NETVSP_TX_COALESCE_US_DEFAULT   100
#define NETVSP_TX_COALESCE_US_MAX       10000
/* Guest signals at least this far apart are served in the VP (inline-gap-us) */
#define NETVSP_INLINE_GAP_US_DEFAULT    100
#define NETVSP_INLINE_GAP_US_MAX        100000
#define NETVSP_RX_END                   UINT32_MAX
/* Host->guest packets that may wait for ring space or a receive slot */
#define NETVSP_MAX_PENDING              256
/* max_pkt_per_msg and alignment (log2) told to the guest in INIT_C */
#define NETVSP_RNDIS_MAX_PKT_PER_MSG    8
#define NETVSP_RNDIS_ALIGN_SHIFT        3
/* Largest LSO the guest may hand over (Hyper-V's value) */
#define NETVSP_LSO_MAX_SIZE             62780
/*
 * vRSS: the Toeplitz key length and indirection table sizes (Linux asks
 * for OID_GEN_RECEIVE_SCALE_CAPABILITIES' count, at most 256; Hyper-V
 * offers 128), and the default of property "max-queues" (Linux's default
 * channel count, VRSS_CHANNEL_DEFAULT).
 */
#define NETVSP_RSS_KEY_LEN              40
#define NETVSP_RSS_ITAB_MAX             256
#define NETVSP_RSS_ITAB_OFFERED         128
#define NETVSP_QUEUES_DEFAULT           8

typedef enum NetvspRndisState {
    NETVSP_RNDIS_UNINITIALIZED,
    NETVSP_RNDIS_INITIALIZED,
} NetvspRndisState;

/* A host->guest message waiting for ring space or a receive slot */
typedef struct NetvspPending {
    QSIMPLEQ_ENTRY(NetvspPending) next;
    uint64_t trans_id;      /* of a completion */
    uint32_t len;
    uint8_t data[];
} NetvspPending;

/*
 * Two queues, each sent in order: completions only wait for ring space;
 * RNDIS control messages wait for a receive slot too. Completions may pass
 * control messages: slots come back through completions from the guest,
 * which the device must keep reading while a control message waits.
 */
typedef struct NetvspChannel {
    VMBusNet *net;
    VMBusChannel *chan;     /* NULL while closed */
    QSIMPLEQ_HEAD(, NetvspPending) completions;
    QSIMPLEQ_HEAD(, NetvspPending) controls;
    uint32_t npending;      /* in both queues */
    /*
     * A send found the host->guest ring full: read no guest requests
     * until the writable hook says there is room.
     */
    bool ring_full;
    /* Received frames in slots, not yet named to the guest */
    uint32_t batch_n;
    uint32_t batch_slot[NETVSP_RX_BATCH_MAX];
    uint32_t batch_len[NETVSP_RX_BATCH_MAX];
    /*
     * Send completions whose interrupt is held back (tx-coalesce-us), and
     * the timer that gives it at the latest.
     */
    uint32_t tx_held;
    QEMUTimer *tx_timer;
    /* host clock (ns) of the guest's last signal, for inline-gap-us */
    int64_t last_signal_ns;
    bool vp_comp_only;                  /* in the VP: completions only */
    /*
     * The last frame batched is a pure TCP ACK (ack-coalesce): its
     * connection and numbers, and the RNDIS header written before it. A
     * later ACK of the same connection that supersedes it takes its slot.
     */
    bool ack_last;
    NetvspTcpAck ack;
    uint32_t ack_head_len;
    uint8_t ack_head[NETVSP_RX_RNDIS_OVERHEAD];
} NetvspChannel;

struct VMBusNet {
    VMBusDevice parent_obj;

    /* properties */
    NICConf conf;
    uint32_t mtu;                       /* largest MTU offered */
    uint32_t speed_mbps;                /* reported link speed */
    uint16_t max_queues;                /* channels offered, with the VPs */
    uint32_t tx_coalesce_us;            /* send completion interrupt delay */
    uint32_t inline_gap_us;             /* signals served in the VP */
    bool ack_coalesce;                  /* merge pure ACKs of a batch */
    bool rx_csum_verify;                /* check receive checksums here */

    NICState *nic;
    /* the peer takes and gives a virtio-net header (tap vnet_hdr) */
    bool peer_vnet_hdr;
    /* netdev queues (a multi-queue tap): channel i uses queue i % nqueues */
    uint16_t nqueues;
    uint16_t tx_queue;                  /* of the frame being sent */

    /* NVSP, per device: the guest initialises the primary channel */
    bool nvsp_ready;
    uint32_t nvsp_version;
    uint32_t ndis_version;              /* major << 16 | minor */
    uint32_t guest_mtu;                 /* from NDIS config, 0 if none */

    /* receive buffer: slots of rx_section_size bytes */
    VMBusGpadlMap *rx_map;
    uint16_t rx_buf_id;
    uint32_t rx_section_size;
    uint32_t rx_sections;
    uint32_t rx_free;
    uint32_t rx_hint;                   /* where to look for a free slot */
    /* high half of XFER trans_ids, bumped for every receive buffer */
    uint32_t rx_generation;
    unsigned long *rx_in_use;           /* bitmap of rx_sections */
    /*
     * Slots named by one XFER_PAGES packet: its trans_id names the first
     * (rx_head), each names the next (NETVSP_RX_END after the last).
     */
    unsigned long *rx_head;
    uint32_t *rx_next;
    QEMUBH *rx_bh;                      /* netvsp_rx_flush() */
    /* can_receive said no, or receive queued: flush once that changes */
    bool rx_blocked;

    /* send buffer */
    VMBusGpadlMap *tx_map;
    uint16_t tx_buf_id;
    uint32_t tx_section_size;
    uint32_t tx_sections;

    /* RNDIS */
    uint32_t rndis_state;               /* NetvspRndisState */
    uint32_t packet_filter;             /* RNDIS_PACKET_TYPE_* */
    uint8_t mac[ETH_ALEN];              /* current address */
    NetvspOffloads offloads;

    /* transmit */
    struct NetTxPkt *tx_pkt;
    uint8_t *tx_buf;                    /* NETVSP_TX_BUF_SIZE */
    bool tx_waiting;                    /* the netdev queued a frame */

    uint8_t *recv_buf;                  /* NETVSP_RECV_PKT_MAX */

    NetvspChannel channels[VMBUS_MAX_CHANNELS_PER_DEVICE];

    /*
     * vRSS: sub-channels granted (channels 1..sub_channels), and whether
     * any were offered since the primary channel opened (see
     * netvsp_handle_subchannel()); the guest's RSS parameters.
     */
    uint32_t sub_channels;
    bool subs_offered;
    bool rss_enabled;
    uint32_t rss_hashinfo;              /* NDIS_HASH_* */
    uint32_t rss_itab_size;             /* entries */
    uint8_t rss_key[NETVSP_RSS_KEY_LEN];
    uint32_t rss_itab[NETVSP_RSS_ITAB_MAX];
    struct NetRxPkt *rx_pkt;            /* the received frame, parsed */

    /* statistics */
    uint64_t rx_frames;
    uint64_t rx_dropped;
    uint64_t tx_frames;
    uint64_t tx_dropped;
    uint64_t rx_acks_merged;            /* not migrated: a statistic */
    uint64_t rx_csum_verified;          /* not migrated: a statistic */

    /* migration: what the host pointers stand for (netvsp.c) */
    struct {
        bool has_rx;
        bool has_tx;
        bool link_down;
        uint32_t rx_gpadl;
        uint32_t tx_gpadl;
        /* in-use receive slots and waiting messages */
        uint32_t blob_len;
        uint8_t *blob;
    } mig;
};

/* netvsp.c */
bool netvsp_link_up(VMBusNet *s);
/* Channels the guest may use (1: no vRSS). */
uint32_t netvsp_queue_cap(VMBusNet *s);
/*
 * Send an RNDIS message (control completion or status indication) to the
 * guest on @nch in a receive slot, now or once there is room.
 */
void netvsp_send_rndis_control(NetvspChannel *nch, const void *msg,
                               uint32_t len);

/* rndis.c */
void netvsp_rndis_reset(VMBusNet *s);
/* Forget the guest's RSS parameters: everything goes to the primary. */
void netvsp_rss_reset(VMBusNet *s);
/*
 * Handle the RNDIS messages in @msg (@len bytes, the host's copy of what
 * the guest sent; the transmit path may change it): data packets go to
 * the netdev, control messages are answered on @nch. Returns the NVSP
 * status for the SEND_RNDIS_PKT completion.
 */
uint32_t netvsp_rndis_receive(NetvspChannel *nch, uint8_t *msg, uint32_t len);
/* The link changed: tell an initialised guest. */
void netvsp_rndis_indicate_link(VMBusNet *s);
/* The backend accepts frames again after a queued one. */
void netvsp_tx_resume(VMBusNet *s);
void netvsp_tx_init(VMBusNet *s);
void netvsp_tx_cleanup(VMBusNet *s);

#endif
