/*
 * qemu-hvpart: the hypercall page and the hypercall dispatcher (TLFS 3).
 *
 * The hypercall page is an overlay filled with hvpart's own code. It leaves
 * the guest with a 32-bit port write of a magic value; the port handler then
 * reads the hypercall's inputs from the VP's registers, as the hypervisor
 * would after a VMCALL, and writes the result back to them. This works with
 * any driver that can exit on port I/O. Writes that are not the page's
 * (another value, another size, from user mode) are not hypercalls.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "exec/address-spaces.h"
#include "exec/memory.h"
#include "hw/core/cpu.h"
#include "target/i386/cpu.h"
#include "hw/synic/hv-internal.h"
#include "hw/synic/synic.h"
#include "trace.h"

/* An ISA port nothing on pc or q35 decodes. */
#define HV_HYPERCALL_PORT       0x5c
#define HV_HYPERCALL_MAGIC      0x48765063u     /* "cPvH" */

static MemoryRegion hv_hypercall_io;

/*
 * Long mode: RCX = control, RDX = input GPA (or fast input), R8 = output
 * GPA (or fast input), result in RAX.
 *   mov eax, MAGIC ; out PORT, eax ; ret
 * 32-bit mode: EDX:EAX = control, EBX:ECX = input, EDI:ESI = output, result
 * in EDX:EAX. EAX is needed for the magic, so it travels in EBP:
 *   push ebp ; mov ebp, eax ; mov eax, MAGIC ; out PORT, eax ; pop ebp ; ret
 */
static size_t hv_hypercall_code(uint8_t *p, bool long_mode)
{
    size_t n = 0;

    if (!long_mode) {
        p[n++] = 0x55;                  /* push ebp */
        p[n++] = 0x89;                  /* mov ebp, eax */
        p[n++] = 0xc5;
    }
    p[n++] = 0xb8;                      /* mov eax, imm32 */
    stl_le_p(p + n, HV_HYPERCALL_MAGIC);
    n += 4;
    p[n++] = 0xe7;                      /* out imm8, eax */
    p[n++] = HV_HYPERCALL_PORT;
    if (!long_mode) {
        p[n++] = 0x5d;                  /* pop ebp */
    }
    p[n++] = 0xc3;                      /* ret */
    return n;
}

void hv_hypercall_update_page(CPUArchState *env)
{
    HvpartOverlay *ov = hv_partition.hypercall_page;
    uint8_t *page;

    if (!ov) {
        return;
    }
    if (!(hv_partition.hypercall & HV_HYPERCALL_MSR_ENABLE)) {
        hvpart_overlay_unmap(ov);
        return;
    }
    if (env) {
        /* The code is for the mode the guest enables the page in. */
        hv_partition.hypercall_64bit = env->hflags & HF_LMA_MASK;
    }
    page = hvpart_overlay_page(ov);
    /* int3 everywhere else, so a stray call traps in the guest. */
    memset(page, 0xcc, HV_PAGE_SIZE);
    hv_hypercall_code(page, hv_partition.hypercall_64bit);
    hvpart_overlay_dirty(ov, 0, HV_PAGE_SIZE);
    hvpart_overlay_map(ov, hv_partition.hypercall & HV_GPA_PAGE_MASK);
}

/* TLFS 3.8: parameters are 8-byte aligned and do not cross a page. */
static uint16_t hv_read_input(uint32_t vp_index, uint64_t gpa, void *buf,
                              size_t len)
{
    if (gpa & 7) {
        return HV_STATUS_INVALID_ALIGNMENT;
    }
    if ((gpa & (HV_PAGE_SIZE - 1)) + len > HV_PAGE_SIZE) {
        return HV_STATUS_INVALID_ALIGNMENT;
    }
    /* As the calling VP sees memory: its own overlays included. */
    if (hvpart_vp_gpa_read(vp_index, gpa, buf, len) != MEMTX_OK) {
        return HV_STATUS_INVALID_PARAMETER;
    }
    return HV_STATUS_SUCCESS;
}

static uint16_t hv_post_message(uint32_t vp_index, uint64_t control,
                                uint64_t in_gpa)
{
    HvPostMessageInput in;
    uint16_t status;

    if (control & HV_HC_FAST) {
        return HV_STATUS_INVALID_HYPERCALL_INPUT;
    }
    status = hv_read_input(vp_index, in_gpa, &in, sizeof(in));
    if (status != HV_STATUS_SUCCESS) {
        return status;
    }
    in.connection_id = le32_to_cpu(in.connection_id);
    in.reserved = le32_to_cpu(in.reserved);
    in.message_type = le32_to_cpu(in.message_type);
    in.payload_size = le32_to_cpu(in.payload_size);
    /* Types with the top bit set belong to the hypervisor (TLFS 11.8). */
    if (in.message_type == 0 || (in.message_type & 0x80000000u) ||
        in.payload_size > HV_MESSAGE_PAYLOAD_SIZE || in.reserved) {
        trace_hv_post_message_bad(vp_index, in.connection_id,
                                  in.message_type, in.payload_size);
        return HV_STATUS_INVALID_PARAMETER;
    }
    return hv_synic_dispatch_message(vp_index, &in);
}

static uint16_t hv_signal_event(uint32_t vp_index, uint64_t control,
                                uint64_t input)
{
    uint32_t conn_id;
    uint16_t flag;

    if (!(control & HV_HC_FAST)) {
        uint8_t buf[8];
        uint16_t status = hv_read_input(vp_index, input, buf, sizeof(buf));

        if (status != HV_STATUS_SUCCESS) {
            return status;
        }
        input = ldq_le_p(buf);
    }
    conn_id = input & 0xffffffffu;
    flag = (input >> HV_EVENT_FLAG_NUMBER_SHIFT) & HV_EVENT_FLAG_NUMBER_MASK;
    if (conn_id & ~HV_CONN_ID_MASK || (input >> 48)) {
        return HV_STATUS_INVALID_HYPERCALL_INPUT;
    }
    return hv_synic_dispatch_event(vp_index, conn_id, flag);
}

static uint64_t hv_hypercall(uint32_t vp_index, uint64_t control,
                             uint64_t in, uint64_t out)
{
    uint16_t code = control & HV_HC_CODE_MASK;
    uint16_t status;

    if (control & HV_HC_RSVD_MASK) {
        status = HV_STATUS_INVALID_HYPERCALL_INPUT;
        goto done;
    }
    switch (code) {
    case HVCALL_POST_MESSAGE:
    case HVCALL_SIGNAL_EVENT:
        /* Simple calls: no repetitions, no variable header. */
        if (control & (HV_HC_REP_COUNT_MASK | HV_HC_REP_START_MASK |
                       HV_HC_VARHEAD_MASK)) {
            status = HV_STATUS_INVALID_HYPERCALL_INPUT;
        } else if (code == HVCALL_POST_MESSAGE) {
            status = hv_post_message(vp_index, control, in);
        } else {
            status = hv_signal_event(vp_index, control, in);
        }
        break;
    default:
        status = HV_STATUS_INVALID_HYPERCALL_CODE;
        break;
    }
done:
    trace_hv_hypercall(vp_index, code, control, in, out, status);
    return status;
}

static void hv_hypercall_port_write(void *opaque, hwaddr addr, uint64_t val,
                                    unsigned size)
{
    CPUState *cs = current_cpu;
    CPUX86State *env;
    HvVp *vp;
    uint64_t control, in, out, result;

    if (!cs || size != 4 || val != HV_HYPERCALL_MAGIC) {
        trace_hv_hypercall_port_stray(val, size);
        return;
    }
    env = cpu_env(cs);
    vp = hv_vp_from_env(env);
    if (!vp || !(hv_partition.hypercall & HV_HYPERCALL_MSR_ENABLE) ||
        (env->hflags & HF_CPL_MASK) != 0) {
        /* Not from the page at CPL 0: not a hypercall. */
        trace_hv_hypercall_port_stray(val, size);
        return;
    }
    if ((env->hflags & HF_LMA_MASK) && (env->hflags & HF_CS64_MASK)) {
        control = env->regs[R_ECX];
        in = env->regs[R_EDX];
        out = env->regs[8];
        result = hv_hypercall(vp->index, control, in, out);
        env->regs[R_EAX] = result;
    } else {
        control = ((uint64_t)(uint32_t)env->regs[R_EDX] << 32) |
                  (uint32_t)env->regs[R_EBP];
        in = ((uint64_t)(uint32_t)env->regs[R_EBX] << 32) |
             (uint32_t)env->regs[R_ECX];
        out = ((uint64_t)(uint32_t)env->regs[R_EDI] << 32) |
              (uint32_t)env->regs[R_ESI];
        result = hv_hypercall(vp->index, control, in, out);
        env->regs[R_EAX] = (uint32_t)result;
        env->regs[R_EDX] = (uint32_t)(result >> 32);
    }
}

static uint64_t hv_hypercall_port_read(void *opaque, hwaddr addr,
                                       unsigned size)
{
    return ~0ull;                       /* like an undecoded port */
}

static const MemoryRegionOps hv_hypercall_io_ops = {
    .read = hv_hypercall_port_read,
    .write = hv_hypercall_port_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {
        .min_access_size = 1,
        .max_access_size = 4,
    },
};

void hv_hypercall_init(void)
{
    memory_region_init_io(&hv_hypercall_io, NULL, &hv_hypercall_io_ops, NULL,
                          "hvpart-hypercall", 4);
    memory_region_add_subregion(get_system_io(), HV_HYPERCALL_PORT,
                                &hv_hypercall_io);
    hv_partition.hypercall_page = hvpart_overlay_new(HVPART_OVERLAY_HYPERCALL,
                                                     0);
}
