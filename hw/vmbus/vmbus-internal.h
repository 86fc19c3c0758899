/*
 * qemu-hvpart: state shared by the VMBus server's files.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_VMBUS_VMBUS_INTERNAL_H
#define HW_VMBUS_VMBUS_INTERNAL_H

#include "exec/memory.h"
#include "qapi/qapi-types-hvpart.h"
#include "hw/sysbus.h"
#include "hw/vmbus/vmbus.h"
#include "hw/vmbus/vmbus-gpadl.h"

/* Event connection ids of channels: base + relid (all below 2^24). */
#define VMBUS_CHANNEL_CONN_ID_BASE      0x10000
/* Most GPADLs (and pages in all of them) a guest may hold at once. */
#define VMBUS_MAX_GPADLS                4096
#define VMBUS_MAX_GPADL_PAGES           (1u << 20)      /* 4 GiB */
/* Largest host-to-guest channel message the server sends. */
#define VMBUS_MSG_MAX                   VMBUS_MESSAGE_PAYLOAD_MAX

typedef enum VMBusChannelState {
    VMBUS_CHANNEL_UNOFFERED,        /* exists, not yet offered */
    VMBUS_CHANNEL_OFFERED,
    VMBUS_CHANNEL_OPEN,
    VMBUS_CHANNEL_RESCINDED,        /* rescind sent, relid not released */
} VMBusChannelState;

typedef struct VMBusGpadlEntry {
    VMBusGpadl *gpadl;
    /* memory pool pages charged for its bookkeeping, and to whom */
    uint64_t pool_pages;
    uint32_t pool_vp;
    uint32_t users;                 /* open channels using it as ring */
    bool torn_down;                 /* guest asked for teardown */
    QTAILQ_ENTRY(VMBusGpadlEntry) link;
} VMBusGpadlEntry;

typedef struct VMBusPoolCharge {
    uint64_t pages;
    uint32_t vp;
} VMBusPoolCharge;

typedef struct VMBusRingMap {
    void **pages;                   /* host pointers */
    MemoryRegion **mrs;             /* referenced regions, for dirty/unref */
    hwaddr *offsets;                /* offset of each page in its region */
    uint32_t npages;
} VMBusRingMap;

struct VMBusChannel {
    VMBusDevice *dev;
    uint16_t index;                 /* 0: primary */
    uint32_t relid;
    VMBusChannelState state;
    /* while open */
    uint32_t open_id;
    uint32_t target_vp;
    uint32_t ring_gpadl_id;
    uint32_t downstream_offset;     /* first page of the host->guest ring */
    VMBusGpadlEntry *ring_gpadl;
    VMBusRingMap map;
    VMBusRing in_ring;              /* guest -> host */
    VMBusRing out_ring;             /* host -> guest */
    bool want_writable;
    /* a quiet send needed a signal that has not been given yet */
    bool signal_held;
    /* runs notify and writable: in the device's context */
    QEMUBH *notify_bh;
    /* notify runs in the signalling VP's thread (notify_in_vp) */
    bool notify_in_vp_now;
    /* devices with an IOThread: interrupts the guest from the main loop */
    QEMUBH *signal_bh;
    /* devices with an IOThread: the rings may be used (owned by ctx) */
    bool ctx_live;
    QTAILQ_ENTRY(VMBusChannel) link;
};

typedef enum VMBusConnState {
    VMBUS_DISCONNECTED,
    VMBUS_CONNECTED,                /* version agreed */
    VMBUS_OFFERS_REQUESTED,         /* RequestOffers seen: offers flow */
} VMBusConnState;

typedef struct VMBusBridge {
    SysBusDevice parent_obj;

    BusState bus;
    uint64_t mmio_base;
    uint64_t mmio_size;

    VMBusConnState state;
    uint32_t version;
    uint32_t target_vp;             /* for channel management messages */
    uint8_t msg_sint;
    QTAILQ_HEAD(, VMBusChannel) channels;
    QTAILQ_HEAD(, VMBusGpadlEntry) gpadls;
    uint32_t gpadl_pages;
    /* GPADLs being assembled from a header and bodies */
    GHashTable *gpadl_builders;     /* id -> VMBusGpadlBuilder */
    GHashTable *gpadl_charges;      /* id -> VMBusPoolCharge, while built */
    unsigned long *relids;          /* bitmap of allocated relids */
    /* channels restored by migration wait for the VM to run */
    bool resume_pending;
    VMChangeStateEntry *vmstate_entry;
    /* migration: the server's state as one record */
    struct {
        uint32_t state;
        uint32_t version;
        uint32_t target_vp;
        uint8_t msg_sint;
        uint32_t blob_len;
        uint8_t *blob;
    } mig;
} VMBusBridge;

OBJECT_DECLARE_SIMPLE_TYPE(VMBusBridge, VMBUS_BRIDGE)

VMBusBridge *vmbus_bridge(void);

/* vmbus-server.c */
extern const VMStateDescription vmstate_vmbus_server;
void vmbus_server_init(VMBusBridge *br);
void vmbus_server_reset(VMBusBridge *br);
void vmbus_server_offer(VMBusBridge *br, VMBusChannel *chan);
void vmbus_server_rescind(VMBusBridge *br, VMBusChannel *chan);
void vmbus_server_post(VMBusBridge *br, const void *msg, uint32_t len);
HvpartVmbus *vmbus_server_query(VMBusBridge *br);
void vmbus_server_gpadl_put(VMBusBridge *br, VMBusGpadlEntry *ge);

/* vmbus-channel.c */
int vmbus_pages_map(VMBusRingMap *map, const VMBusGpadl *g,
                    const char **why);
void vmbus_pages_unmap(VMBusRingMap *map);
VMBusChannel *vmbus_channel_new(VMBusDevice *dev, uint16_t index);
VMBusChannel *vmbus_channel_restore_sub(VMBusBridge *br, const uint8_t *uuid,
                                        uint16_t index, uint32_t relid);
void vmbus_channel_free(VMBusChannel *chan);
VMBusChannel *vmbus_channel_by_relid(VMBusBridge *br, uint32_t relid);
int vmbus_channel_open(VMBusChannel *chan, VMBusGpadlEntry *ge,
                       uint32_t downstream_offset, uint32_t target_vp,
                       bool restoring, const char **why);
void vmbus_channel_close(VMBusChannel *chan);
void vmbus_channel_signal_guest(VMBusChannel *chan);
void vmbus_device_watch_vm_state(VMBusDevice *dev);
void vmbus_device_unwatch_vm_state(VMBusDevice *dev);

/* vmbus-dev.c */
void vmbus_device_channel_released(VMBusChannel *chan);

#endif
