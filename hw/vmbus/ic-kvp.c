/*
 * qemu-hvpart: "-device vmbus-kvp", the key/value pair exchange (KVP)
 * integration service.
 *
 * The guest keeps key/value pools; a guest daemon (Linux: hv_kvp_daemon
 * from Debian's hyperv-daemons) answers the host's requests through the
 * kernel's hv_utils. The device enumerates the guest's auto pool (host name,
 * OS, IP addresses) and guest pool periodically and keeps the last complete
 * answer for QMP's hvpart-kvp-query; hvpart-kvp-set writes the host's pool.
 * One request is in flight at a time, as the guest expects.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/qapi-commands-hvpart.h"
#include "qemu/bswap.h"
#include "qemu/timer.h"
#include "hw/qdev-properties.h"
#include "hw/sysbus.h"
#include "migration/vmstate.h"
#include "hw/vmbus/ic.h"
#include "trace.h"

#define TYPE_VMBUS_KVP "vmbus-kvp"
OBJECT_DECLARE_SIMPLE_TYPE(VMBusKvp, VMBUS_KVP)

/* Keys the host may write: UTF-16 with its NUL must fit the wire fields. */
#define KVP_MAX_KEY_CHARS       (IC_KVP_MAX_KEY_BYTES / 2 - 1)
#define KVP_MAX_VALUE_CHARS     (IC_KVP_MAX_VALUE_BYTES / 2 - 1)
/* An enumeration longer than this is a guest gone wrong. */
#define KVP_MAX_ENUM_ITEMS      1024
#define KVP_MAX_PENDING_SETS    256

/* The pools refreshed periodically, in this order. */
static const uint8_t kvp_refreshed_pools[] = {
    IC_KVP_POOL_AUTO, IC_KVP_POOL_GUEST,
};

typedef struct KvpPair {
    char *key;
    char *value;
} KvpPair;

struct VMBusKvp {
    VMBusIC parent_obj;

    uint32_t interval_ms;
    QEMUTimer *timer;
    bool busy;                          /* a request is with the guest */
    uint8_t busy_op;
    /* the last complete enumeration of each pool, NULL: none yet */
    GPtrArray *pools[IC_KVP_POOL_COUNT];
    /* enumeration in progress */
    int enum_step;                      /* index into kvp_refreshed_pools */
    uint32_t enum_index;
    GPtrArray *enum_items;
    /* host writes not yet acknowledged, oldest first */
    GQueue pending_sets;
    /* migration: pending_sets flattened as key\0value\0... */
    uint32_t mig_sets_len;
    uint8_t *mig_sets;
};

static void kvp_pair_free(gpointer p)
{
    KvpPair *pair = p;

    g_free(pair->key);
    g_free(pair->value);
    g_free(pair);
}

static KvpPair *kvp_pair_new(const char *key, const char *value)
{
    KvpPair *pair = g_new0(KvpPair, 1);

    pair->key = g_strdup(key);
    pair->value = g_strdup(value);
    return pair;
}

static void vmbus_kvp_send(VMBusKvp *kvp, const void *msg, uint8_t op)
{
    g_autofree uint8_t *buf = g_malloc0(IC_KVP_MSG_SIZE);
    int ret;

    memcpy(buf, msg, op == IC_KVP_OP_ENUMERATE ? sizeof(ICKvpEnumerate)
                                               : sizeof(ICKvpSet));
    ret = vmbus_ic_send_request(VMBUS_IC(kvp), IC_MSGTYPE_KVPEXCHANGE, buf,
                                IC_KVP_MSG_SIZE);
    trace_vmbus_kvp_send(op, buf[1], ret);
    if (ret == 0) {
        kvp->busy = true;
        kvp->busy_op = op;
    }
}

/* Send the next request, if any and if none is with the guest. */
static void vmbus_kvp_kick(VMBusKvp *kvp)
{
    KvpPair *set;

    if (kvp->busy || !vmbus_ic_ready(VMBUS_IC(kvp))) {
        return;
    }
    set = g_queue_peek_head(&kvp->pending_sets);
    if (set) {
        ICKvpSet msg = { 0 };

        msg.hdr.operation = IC_KVP_OP_SET;
        msg.hdr.pool = IC_KVP_POOL_EXTERNAL;
        msg.data.value_type = cpu_to_le32(IC_KVP_REG_SZ);
        msg.data.key_size = cpu_to_le32(ic_msg_kvp_utf16(
            set->key, msg.data.key, sizeof(msg.data.key)));
        msg.data.value_size = cpu_to_le32(ic_msg_kvp_utf16(
            set->value, msg.data.value, sizeof(msg.data.value)));
        vmbus_kvp_send(kvp, &msg, IC_KVP_OP_SET);
        return;
    }
    if (kvp->enum_items) {
        ICKvpEnumerate msg = { 0 };

        msg.hdr.operation = IC_KVP_OP_ENUMERATE;
        msg.hdr.pool = kvp_refreshed_pools[kvp->enum_step];
        msg.index = cpu_to_le32(kvp->enum_index);
        vmbus_kvp_send(kvp, &msg, IC_KVP_OP_ENUMERATE);
    }
}

static void vmbus_kvp_refresh(void *opaque)
{
    VMBusKvp *kvp = opaque;

    if (!vmbus_ic_ready(VMBUS_IC(kvp))) {
        return;
    }
    if (!kvp->enum_items) {
        kvp->enum_step = 0;
        kvp->enum_index = 0;
        kvp->enum_items = g_ptr_array_new_with_free_func(kvp_pair_free);
    }
    vmbus_kvp_kick(kvp);
    timer_mod(kvp->timer, qemu_clock_get_ms(QEMU_CLOCK_VIRTUAL) +
              kvp->interval_ms);
}

/* The current pool's enumeration ended: keep it, go to the next pool. */
static void vmbus_kvp_pool_done(VMBusKvp *kvp)
{
    uint8_t pool = kvp_refreshed_pools[kvp->enum_step];

    if (kvp->pools[pool]) {
        g_ptr_array_unref(kvp->pools[pool]);
    }
    kvp->pools[pool] = kvp->enum_items;
    trace_vmbus_kvp_pool(pool, kvp->enum_items->len);
    kvp->enum_index = 0;
    if (++kvp->enum_step < ARRAY_SIZE(kvp_refreshed_pools)) {
        kvp->enum_items = g_ptr_array_new_with_free_func(kvp_pair_free);
    } else {
        kvp->enum_items = NULL;
    }
}

static void vmbus_kvp_enum_response(VMBusKvp *kvp, const ICGuestMsg *msg)
{
    g_autofree char *key = NULL;
    g_autofree char *value = NULL;
    const char *why = NULL;
    int ret;

    if (!kvp->enum_items) {
        return;
    }
    if (msg->status != IC_STATUS_OK) {
        /* End of the pool (or the daemon failed: keep what we have). */
        vmbus_kvp_pool_done(kvp);
        return;
    }
    ret = ic_msg_kvp_enum_item(msg, &key, &value, &why);
    if (ret == -E2BIG) {
        trace_vmbus_ic_bad(TYPE_VMBUS_KVP, why);
        vmbus_kvp_pool_done(kvp);
        return;
    }
    if (ret < 0) {
        trace_vmbus_ic_bad(TYPE_VMBUS_KVP, why);
    } else {
        g_ptr_array_add(kvp->enum_items, kvp_pair_new(key, value));
    }
    if (++kvp->enum_index >= KVP_MAX_ENUM_ITEMS) {
        trace_vmbus_ic_bad(TYPE_VMBUS_KVP, "enumeration too long");
        vmbus_kvp_pool_done(kvp);
    }
}

static void vmbus_kvp_response(VMBusIC *ic, const ICGuestMsg *msg)
{
    VMBusKvp *kvp = VMBUS_KVP(ic);
    const char *why = "unexpected response";
    uint8_t op;

    if (!kvp->busy || ic_msg_kvp(msg, &op, &why) < 0) {
        trace_vmbus_ic_bad(TYPE_VMBUS_KVP, why);
        return;
    }
    kvp->busy = false;
    if (op != kvp->busy_op) {
        trace_vmbus_ic_bad(TYPE_VMBUS_KVP, "response to another operation");
    } else if (op == IC_KVP_OP_SET) {
        trace_vmbus_kvp_set_done(msg->status);
        kvp_pair_free(g_queue_pop_head(&kvp->pending_sets));
    } else if (op == IC_KVP_OP_ENUMERATE) {
        vmbus_kvp_enum_response(kvp, msg);
    }
    vmbus_kvp_kick(kvp);
}

static void vmbus_kvp_ready(VMBusIC *ic)
{
    VMBusKvp *kvp = VMBUS_KVP(ic);

    kvp->busy = false;
    vmbus_kvp_refresh(kvp);
}

static void vmbus_kvp_closed(VMBusIC *ic)
{
    VMBusKvp *kvp = VMBUS_KVP(ic);

    timer_del(kvp->timer);
    kvp->busy = false;
    if (kvp->enum_items) {
        g_ptr_array_unref(kvp->enum_items);
        kvp->enum_items = NULL;
    }
}

/* QMP */

static VMBusKvp *vmbus_kvp_find(const char *id, Error **errp)
{
    Object *obj;
    bool ambiguous = false;

    if (!id) {
        obj = object_resolve_path_type("", TYPE_VMBUS_KVP, &ambiguous);
        if (!obj) {
            error_setg(errp, ambiguous ? "more than one vmbus-kvp device: "
                       "give 'id'" : "there is no vmbus-kvp device");
            return NULL;
        }
        return VMBUS_KVP(obj);
    }
    obj = OBJECT(qdev_find_recursive(sysbus_get_default(), id));
    if (!obj) {
        obj = object_resolve_path(id, NULL);
    }
    if (!obj || !object_dynamic_cast(obj, TYPE_VMBUS_KVP)) {
        error_setg(errp, "'%s' is not a vmbus-kvp device", id);
        return NULL;
    }
    return VMBUS_KVP(obj);
}

HvpartKvpEntryList *qmp_hvpart_kvp_query(const char *id, bool has_pool,
                                         HvpartKvpPool pool, Error **errp)
{
    VMBusKvp *kvp = vmbus_kvp_find(id, errp);
    HvpartKvpEntryList *list = NULL, **tail = &list;
    GPtrArray *items;
    guint i;

    if (!kvp) {
        return NULL;
    }
    if (!has_pool) {
        pool = HVPART_KVP_POOL_AUTO;
    }
    items = kvp->pools[pool];
    if (!items) {
        error_setg(errp, "the guest has not answered for pool '%s' yet "
                   "(with Linux: is hv_kvp_daemon running?)",
                   HvpartKvpPool_str(pool));
        return NULL;
    }
    for (i = 0; i < items->len; i++) {
        KvpPair *pair = g_ptr_array_index(items, i);
        HvpartKvpEntry *e = g_new0(HvpartKvpEntry, 1);

        e->key = g_strdup(pair->key);
        e->value = g_strdup(pair->value);
        QAPI_LIST_APPEND(tail, e);
    }
    return list;
}

void qmp_hvpart_kvp_set(const char *id, const char *key, const char *value,
                        Error **errp)
{
    VMBusKvp *kvp = vmbus_kvp_find(id, errp);

    if (!kvp) {
        return;
    }
    if (!*key || g_utf8_strlen(key, -1) > KVP_MAX_KEY_CHARS) {
        error_setg(errp, "'key' must have 1 to %d characters",
                   KVP_MAX_KEY_CHARS);
        return;
    }
    if (g_utf8_strlen(value, -1) > KVP_MAX_VALUE_CHARS) {
        error_setg(errp, "'value' must have at most %d characters",
                   KVP_MAX_VALUE_CHARS);
        return;
    }
    if (g_queue_get_length(&kvp->pending_sets) >= KVP_MAX_PENDING_SETS) {
        error_setg(errp, "%d writes already wait for the guest",
                   KVP_MAX_PENDING_SETS);
        return;
    }
    g_queue_push_tail(&kvp->pending_sets, kvp_pair_new(key, value));
    vmbus_kvp_kick(kvp);
}

/* Device */

static void vmbus_kvp_vsp_realize(VMBusDevice *vdev, Error **errp)
{
    VMBusKvp *kvp = VMBUS_KVP(vdev);

    if (kvp->interval_ms < 100) {
        error_setg(errp, "vmbus-kvp: interval must be at least 100 ms");
        return;
    }
    kvp->timer = timer_new_ms(QEMU_CLOCK_VIRTUAL, vmbus_kvp_refresh, kvp);
}

static void vmbus_kvp_vsp_unrealize(VMBusDevice *vdev)
{
    VMBusKvp *kvp = VMBUS_KVP(vdev);
    int i;

    timer_free(kvp->timer);
    kvp->timer = NULL;
    vmbus_kvp_closed(VMBUS_IC(kvp));
    for (i = 0; i < IC_KVP_POOL_COUNT; i++) {
        if (kvp->pools[i]) {
            g_ptr_array_unref(kvp->pools[i]);
            kvp->pools[i] = NULL;
        }
    }
    g_queue_clear_full(&kvp->pending_sets, kvp_pair_free);
}

static void vmbus_kvp_instance_init(Object *obj)
{
    g_queue_init(&VMBUS_KVP(obj)->pending_sets);
}

static int vmbus_kvp_pre_save(void *opaque)
{
    VMBusKvp *kvp = opaque;
    GString *s = g_string_new(NULL);
    GList *l;

    for (l = kvp->pending_sets.head; l; l = l->next) {
        KvpPair *pair = l->data;

        g_string_append_len(s, pair->key, strlen(pair->key) + 1);
        g_string_append_len(s, pair->value, strlen(pair->value) + 1);
    }
    g_free(kvp->mig_sets);
    kvp->mig_sets_len = s->len;
    kvp->mig_sets = (uint8_t *)g_string_free(s, false);
    return 0;
}

static int vmbus_kvp_post_load(void *opaque, int version_id)
{
    VMBusKvp *kvp = opaque;
    const char *p = (const char *)kvp->mig_sets;
    const char *end = p + kvp->mig_sets_len;

    g_queue_clear_full(&kvp->pending_sets, kvp_pair_free);
    while (p < end) {
        const char *key = p;
        const char *value = memchr(key, 0, end - key);
        const char *next = NULL;

        if (value && ++value < end) {
            next = memchr(value, 0, end - value);
        }
        if (!next) {
            return -EINVAL;
        }
        g_queue_push_tail(&kvp->pending_sets, kvp_pair_new(key, value));
        p = next + 1;
    }
    g_free(kvp->mig_sets);
    kvp->mig_sets = NULL;
    kvp->mig_sets_len = 0;
    /* A request that was with the guest is answered to the old host. */
    kvp->busy = false;
    if (vmbus_ic_ready(VMBUS_IC(kvp))) {
        timer_mod(kvp->timer, qemu_clock_get_ms(QEMU_CLOCK_VIRTUAL));
    }
    return 0;
}

static const VMStateDescription vmstate_vmbus_kvp = {
    .name = TYPE_VMBUS_KVP,
    .version_id = 1,
    .minimum_version_id = 1,
    .pre_save = vmbus_kvp_pre_save,
    .post_load = vmbus_kvp_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_VMBUS_IC(parent_obj, VMBusKvp),
        VMSTATE_UINT32(mig_sets_len, VMBusKvp),
        VMSTATE_VBUFFER_ALLOC_UINT32(mig_sets, VMBusKvp, 0, NULL,
                                     mig_sets_len),
        VMSTATE_END_OF_LIST()
    },
};

static const Property vmbus_kvp_props[] = {
    DEFINE_PROP_UINT32("interval", VMBusKvp, interval_ms, 10000),
};

static void vmbus_kvp_class_init(ObjectClass *oc, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(oc);
    VMBusDeviceClass *vdc = VMBUS_DEVICE_CLASS(oc);
    VMBusICClass *icc = VMBUS_IC_CLASS(oc);

    dc->desc = "Hyper-V key/value pair exchange integration service";
    dc->vmsd = &vmstate_vmbus_kvp;
    set_bit(DEVICE_CATEGORY_MISC, dc->categories);
    device_class_set_props(dc, vmbus_kvp_props);
    vdc->interface_id = "a9a0f4e7-5a45-4d96-b827-8a841e8c03e6";
    vdc->interface_name = "kvp";
    vdc->vsp_realize = vmbus_kvp_vsp_realize;
    vdc->vsp_unrealize = vmbus_kvp_vsp_unrealize;
    icc->versions[0] = IC_VERSION(4, 0);
    icc->versions[1] = IC_VERSION(3, 0);
    icc->versions[2] = IC_VERSION(1, 0);
    icc->ready = vmbus_kvp_ready;
    icc->closed = vmbus_kvp_closed;
    icc->response = vmbus_kvp_response;
}

static const TypeInfo vmbus_kvp_type = {
    .name = TYPE_VMBUS_KVP,
    .parent = TYPE_VMBUS_IC,
    .instance_size = sizeof(VMBusKvp),
    .instance_init = vmbus_kvp_instance_init,
    .class_init = vmbus_kvp_class_init,
};

static void vmbus_kvp_register_types(void)
{
    type_register_static(&vmbus_kvp_type);
}

type_init(vmbus_kvp_register_types)
