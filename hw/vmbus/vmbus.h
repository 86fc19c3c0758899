/*
 * qemu-hvpart: the VMBus as its devices (the VSPs) see it.
 *
 * A VSP is a QOM device on the "hvpart-vmbus" bus derived from
 * TYPE_VMBUS_DEVICE. Its class names the interface type GUID; each instance
 * has a stable instance GUID. The server offers one primary channel per
 * device (plus the sub-channels the device asks for), and calls the class's
 * open/close/notify hooks. Devices never touch the ring layout: they send
 * and receive packets through the functions below.
 *
 * All of it runs with the BQL held, unless the device serves its channels
 * in an IOThread (vmbus_device_set_aio_context()).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_VMBUS_VMBUS_H
#define HW_VMBUS_VMBUS_H

#include "block/aio.h"
#include "exec/hwaddr.h"
#include "exec/memattrs.h"
#include "hw/qdev-core.h"
#include "qemu/uuid.h"
#include "hw/vmbus/vmbus-proto.h"
#include "hw/vmbus/vmbus-ring.h"

#define TYPE_VMBUS_BUS "hvpart-vmbus"
#define TYPE_VMBUS_BRIDGE "hvpart-vmbus-bridge"
#define TYPE_VMBUS_DEVICE "hvpart-vmbus-device"

/* Primary channel plus sub-channels of one device */
#define VMBUS_MAX_CHANNELS_PER_DEVICE   64

OBJECT_DECLARE_TYPE(VMBusDevice, VMBusDeviceClass, VMBUS_DEVICE)

typedef struct VMBusChannel VMBusChannel;

struct VMBusDeviceClass {
    DeviceClass parent_class;

    /* Interface type GUID, as text ("57164f39-9115-...") */
    const char *interface_id;
    /* Short interface name for query-hvpart ("heartbeat") */
    const char *interface_name;
    /* Offer flags (VMBUS_OFFER_FLAG_*) and MMIO megabytes */
    uint16_t offer_flags;
    uint16_t mmio_megabytes;

    /* Device realize/unrealize, called from the base class's. */
    void (*vsp_realize)(VMBusDevice *dev, Error **errp);
    void (*vsp_unrealize)(VMBusDevice *dev);
    /*
     * The guest opened a channel; its rings are mapped. Return 0, or a
     * negative errno to fail the open (the guest gets the failure).
     */
    int (*open)(VMBusChannel *chan);
    /* The guest closed the channel, or the connection went away. */
    void (*close)(VMBusChannel *chan);
    /* The guest signalled the channel: packets may be waiting. */
    void (*notify)(VMBusChannel *chan);
    /*
     * Call notify at once, in the signalling VP's thread (with the BQL, as
     * an emulated device's register write), instead of from a bottom half
     * of the main loop: a request then starts without waiting for the main
     * loop to wake up. For devices whose notify only queues work, or that
     * choose per signal with notify_now.
     */
    bool notify_in_vp;
    /*
     * With notify_in_vp: asked first, in the VP's thread. False leaves this
     * signal to the bottom half after all (e.g. so that a stream of signals
     * is served in batches, while the VP goes on).
     */
    bool (*notify_now)(VMBusChannel *chan);
    /* Space opened up in the host-to-guest ring after -ENOSPC. */
    void (*writable)(VMBusChannel *chan);
    /* Guest or system reset: forget protocol state. */
    void (*reset)(VMBusDevice *dev);
};

struct VMBusDevice {
    DeviceState parent_obj;

    QemuUUID instance_id;
    /* MMIO megabytes for the offer; 0: the class's (vsp_realize sets it) */
    uint16_t mmio_megabytes;
    /* device_del seen: the device goes when the guest released it */
    bool unplug_requested;
    /* Number of channels: 1 (primary) + sub-channels offered so far */
    uint16_t num_channels;
    /* Sub-channels the driver asked for since it opened the primary */
    uint16_t subchannels_wanted;
    VMBusChannel *channels[VMBUS_MAX_CHANNELS_PER_DEVICE];
    /* An IOThread's context serving the channels, or NULL: the main loop */
    AioContext *ctx;
    /* the VM is stopped: the rings are left alone (owned by ctx, if any) */
    bool vm_stopped;
    VMChangeStateEntry *vmstate_entry;
};

/*
 * Serve the device's channels in @ctx (an IOThread's AioContext) instead of
 * the main loop. Call from vsp_realize. Then:
 * - notify and writable run in a bottom half of @ctx (notify_in_vp is not
 *   used);
 * - open and close run in @ctx while the main loop waits for them, holding
 *   the BQL: these hooks must not take the BQL either;
 * - vmbus_channel_send() and vmbus_channel_recv() are for @ctx only; the
 *   guest is interrupted from the main loop;
 * - anything else that needs the BQL (offering sub-channels, vsp_realize,
 *   vsp_unrealize, reset) is the device's to move between the threads,
 *   with vmbus_device_run_in_context() and main-loop bottom halves.
 */
void vmbus_device_set_aio_context(VMBusDevice *dev, AioContext *ctx);
/*
 * Run @fn(@opaque) in the device's context and wait for it to finish; in
 * the main loop with the BQL. Without a context, @fn just runs.
 */
void vmbus_device_run_in_context(VMBusDevice *dev, void (*fn)(void *),
                                 void *opaque);

/*
 * Make @count sub-channels of @dev offered to the guest (sub-channel indices
 * 1..@count; the guest opens them like primary channels), re-offering those
 * that exist already. Returns how many are offered now, at most
 * VMBUS_MAX_CHANNELS_PER_DEVICE - 1, or a negative errno.
 */
int vmbus_device_offer_subchannels(VMBusDevice *dev, int count);

/* Channels */
VMBusDevice *vmbus_channel_device(VMBusChannel *chan);
uint16_t vmbus_channel_index(VMBusChannel *chan);
bool vmbus_channel_is_open(VMBusChannel *chan);
uint32_t vmbus_channel_target_vp(VMBusChannel *chan);
uint32_t vmbus_version(void);

/*
 * Send one packet to the guest. Returns 0, -ENOSPC when the ring is full
 * (the class's writable hook runs once there is room), -EPIPE when the
 * channel is not open or its ring is broken.
 */
int vmbus_channel_send(VMBusChannel *chan, uint16_t type, uint16_t flags,
                       uint64_t trans_id, const void *ext, uint32_t ext_len,
                       const struct iovec *iov, unsigned int iov_cnt);
int vmbus_channel_send_inband(VMBusChannel *chan, uint64_t trans_id,
                              bool want_completion, const void *buf,
                              uint32_t len);
int vmbus_channel_send_completion(VMBusChannel *chan, uint64_t trans_id,
                                  const void *buf, uint32_t len);

/*
 * Interrupt moderation: send a completion without interrupting the guest
 * now. If it needs a signal, the signal is held until
 * vmbus_channel_flush_signal() or the next vmbus_channel_send() on the
 * channel, which then signals for both (the guest reads every packet when
 * it is interrupted). For completions the guest does not wait for with
 * every packet (a NIC's send completions); bound the delay with a timer.
 */
int vmbus_channel_send_completion_quiet(VMBusChannel *chan,
                                        uint64_t trans_id, const void *buf,
                                        uint32_t len);
/*
 * Whether the notify hook runs in the signalling VP's thread (notify_in_vp)
 * right now, rather than in a bottom half.
 */
bool vmbus_channel_in_vp(VMBusChannel *chan);
/*
 * The type (VMBUS_PKT_*) of the next packet the guest sent on @chan,
 * without reading it: for a notify_now hook. -EAGAIN if there is none,
 * -EIO if the ring is broken, -EPIPE if the channel is not open.
 */
int vmbus_channel_peek_type(VMBusChannel *chan);
/*
 * Run the notify hook again from its bottom half (the main loop, or the
 * device's IOThread): for work that a hook serving in the VP leaves in
 * the ring, so that it runs beside the VP instead of stopping it.
 */
void vmbus_channel_defer_notify(VMBusChannel *chan);

/* Whether a quiet send holds a signal back */
bool vmbus_channel_signal_held(VMBusChannel *chan);
/* Give the held signal, if the guest still needs it. */
void vmbus_channel_flush_signal(VMBusChannel *chan);

/*
 * Receive: call from the notify hook. While the VM is stopped nothing is
 * read (0 is returned): what the guest left waits for the VM to run, when
 * notify is called for every channel. Each packet is copied out of the ring
 * into @buf (so the guest cannot change it while the VSP reads it) and handed
 * to @fn with its descriptor. Packets larger than @buflen are dropped with a
 * trace event. Processing stops early when @fn returns false (the packet is
 * left in the ring; call again later). Returns the number of packets handled
 * or -EPIPE for a broken ring.
 */
typedef bool VMBusPacketFn(VMBusChannel *chan, const VMBusRingPacket *pkt,
                           const uint8_t *data, uint32_t len, void *opaque);
int vmbus_channel_recv(VMBusChannel *chan, uint8_t *buf, uint32_t buflen,
                       VMBusPacketFn *fn, void *opaque);

/*
 * Guest physical pages for data transfer (GPA_DIRECT, GPADLs): guest RAM
 * only; anything else (MMIO, ROM, holes) fails.
 */
bool vmbus_gpa_is_ram(hwaddr gpa, hwaddr len);
MemTxResult vmbus_gpa_read(hwaddr gpa, void *buf, hwaddr len);
MemTxResult vmbus_gpa_write(hwaddr gpa, const void *buf, hwaddr len);

/*
 * GPADLs as data buffers (hw/vmbus/vmbus-gpadl-map.c)
 *
 * Besides ring buffers, a guest hands some VSPs long-lived buffers as
 * GPADLs and names them by GPADL id in the device's own protocol (netvsc's
 * receive and send buffers). vmbus_gpadl_map() looks such a GPADL up and
 * maps its pages into the host for the VSP:
 * - the GPADL must be complete, not torn down, created for one of the
 *   channels of @chan's device, and a plain page list (whole pages, as
 *   vmbus_gpadl_is_page_list());
 * - every page must be guest RAM (not MMIO, ROM or a RAM device), as for
 *   ring buffers; the memory regions stay referenced while mapped;
 * - the map holds a reference on the GPADL: if the guest tears the GPADL
 *   down meanwhile, the pages stay mapped (and the GPADL's pages counted)
 *   until vmbus_gpadl_unmap().
 * Unmap at the latest from the device's close hook: when the guest
 * disconnects (Unload, reset) the server closes every channel and then
 * frees every GPADL.
 *
 * Offsets are bytes from the start of the GPADL. The accessors check
 * offset and length against the mapped size and copy page by page (the
 * pages need not be contiguous in the host), marking written pages dirty
 * for migration. The guest can change its pages at any time: copy what
 * you validate.
 */
typedef struct VMBusGpadlMap VMBusGpadlMap;

/* Returns the map, or NULL with a static reason in *@why (may be NULL). */
VMBusGpadlMap *vmbus_gpadl_map(VMBusChannel *chan, uint32_t gpadl_id,
                               const char **why);
/* Unmaps and drops the GPADL reference. NULL is allowed. */
void vmbus_gpadl_unmap(VMBusGpadlMap *map);
uint32_t vmbus_gpadl_map_id(const VMBusGpadlMap *map);
/* Bytes mapped: the GPADL's page count times 4096. */
uint64_t vmbus_gpadl_map_size(const VMBusGpadlMap *map);
/* Return 0, or -ERANGE (nothing copied) if the range is not all mapped. */
int vmbus_gpadl_map_read(VMBusGpadlMap *map, uint64_t offset, void *buf,
                         uint64_t len);
int vmbus_gpadl_map_write(VMBusGpadlMap *map, uint64_t offset,
                          const void *buf, uint64_t len);
/*
 * Copies @len bytes of @iov (@iov_cnt entries), starting @iov_offset bytes
 * into it, to @offset. Returns 0, or -ERANGE if the destination range is
 * not all mapped or @iov holds fewer bytes (nothing copied).
 */
int vmbus_gpadl_map_write_iov(VMBusGpadlMap *map, uint64_t offset,
                              const struct iovec *iov, unsigned int iov_cnt,
                              size_t iov_offset, size_t len);

#endif
