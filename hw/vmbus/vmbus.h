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
 * All of it runs with the BQL held.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_VMBUS_VMBUS_H
#define HW_VMBUS_VMBUS_H

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
    /* Space opened up in the host-to-guest ring after -ENOSPC. */
    void (*writable)(VMBusChannel *chan);
    /* Guest or system reset: forget protocol state. */
    void (*reset)(VMBusDevice *dev);
};

struct VMBusDevice {
    DeviceState parent_obj;

    QemuUUID instance_id;
    /* device_del seen: the device goes when the guest released it */
    bool unplug_requested;
    /* Number of channels: 1 (primary) + sub-channels offered so far */
    uint16_t num_channels;
    VMBusChannel *channels[VMBUS_MAX_CHANNELS_PER_DEVICE];
};

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
 * Receive: call from the notify hook. Each packet is copied out of the ring
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

/* Guest physical pages for data transfer (GPA_DIRECT, GPADLs). */
MemTxResult vmbus_gpa_read(hwaddr gpa, void *buf, hwaddr len);
MemTxResult vmbus_gpa_write(hwaddr gpa, const void *buf, hwaddr len);

#endif
