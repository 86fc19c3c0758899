/*
 * qemu-hvpart: enforcing page states and rights in the tcg driver, and
 * intercepts.
 *
 * Every guest-physical translation that enters a VP's software TLB passes
 * hvpart_tlb_fill_check(): the TLB entry gets only the rights the page has,
 * so a later forbidden access misses the TLB and comes back here. The page
 * walk's own accesses (page table reads, accessed/dirty bit updates) are
 * checked in hvpart_ptw_check(). A forbidden access does not happen: the VP
 * is rolled back to the start of the instruction, suspended (halted, with no
 * work until the parent resumes it), and the parent gets HVPART_INTERCEPT.
 * An access that crosses a page boundary translates both pages before it
 * writes anything, so it is refused whole.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/qapi-commands-hvpart.h"
#include "qapi/qapi-events-hvpart.h"
#include "qemu/main-loop.h"
#include "exec/cpu-common.h"
#include "exec/exec-all.h"
#include "hw/core/cpu.h"
#include "migration/vmstate.h"
#include "system/hvpart.h"
#include "system/reset.h"
#include "target/i386/cpu.h"
#include "accel/hvpart/hvpart.h"
#include "accel/hvpart/hvpart-internal.h"
#include "accel/hvpart/gpa-map.h"
#include "accel/hvpart/insn-len.h"
#include "trace.h"

#define X86_MAX_INSN_LEN        15
#define HVPART_MAX_GPA_IO       (64 * 1024)

typedef struct HvpartVpState {
    CPUState *cs;
    /*
     * The TLB fill in progress: vCPU thread only. Fills nest (the page walk
     * probes page-table pages through the physical TLB, which may fill in
     * turn): the outermost one is recorded.
     */
    int fill_depth;
    bool fill_active;
    bool fill_probe;
    vaddr fill_addr;
    uintptr_t fill_ra;
    /* suspension by an intercept */
    bool suspended;
    uint64_t seq;
    uint64_t gpa;
    uint64_t gva;
    uint8_t access;                 /* HvpartInterceptAccess */
    bool implicit;
    uint8_t state;                  /* HvpartPageState */
    uint64_t rip;
    uint8_t insn[X86_MAX_INSN_LEN];
    uint8_t insn_avail;
    uint8_t insn_len;
} HvpartVpState;

static GPtrArray *vp_states;
static uint64_t intercept_seq;

static HvpartVpState *vp_state(CPUState *cs)
{
    if (!vp_states || cs->cpu_index >= vp_states->len) {
        return NULL;
    }
    return g_ptr_array_index(vp_states, cs->cpu_index);
}

bool hvpart_vp_suspended(CPUState *cs)
{
    HvpartVpState *vs = vp_state(cs);

    return vs && qatomic_read(&vs->suspended);
}

static int page_prot(uint8_t bits)
{
    if (bits & (HVPART_PAGE_UNMAPPED | HVPART_PAGE_INACCESSIBLE)) {
        return 0;
    }
    return (bits & HVPART_PAGE_R ? PAGE_READ : 0) |
           (bits & HVPART_PAGE_W ? PAGE_WRITE : 0) |
           (bits & HVPART_PAGE_X ? PAGE_EXEC : 0);
}

static const char *const access_names[] = { "read", "write", "execute" };

/* Suspend the VP on the instruction boundary and tell the parent. */
static G_NORETURN void hvpart_intercept(CPUState *cs, HvpartVpState *vs,
                                        hwaddr gpa, MMUAccessType type,
                                        bool implicit, uint8_t bits)
{
    CPUX86State *env = cpu_env(cs);
    bool locked = bql_locked();
    g_autofree char *hex = NULL;
    vaddr linear;
    int avail, mode, i;

    vs->fill_active = false;
    vs->fill_depth = 0;
    /* Back to the start of the instruction: nothing of it has happened. */
    cpu_restore_state(cs, vs->fill_ra);
    linear = env->segs[R_CS].base + env->eip;
    if (!(env->hflags & HF_CS64_MASK)) {
        linear = (uint32_t)linear;
    }
    /* The instruction's bytes, stopping where they cannot be read. */
    for (avail = X86_MAX_INSN_LEN; avail > 0; avail--) {
        if (cpu_memory_rw_debug(cs, linear, vs->insn, avail, false) == 0) {
            break;
        }
    }
    mode = (env->hflags & HF_CS64_MASK) ? 64 :
           (env->hflags & HF_CS32_MASK) ? 32 : 16;

    if (!locked) {
        bql_lock();
    }
    vs->insn_avail = avail;
    vs->insn_len = avail ? hvpart_insn_length(vs->insn, avail, mode,
                                              mode == 32) : 0;
    vs->seq = ++intercept_seq;
    vs->gpa = gpa;
    vs->gva = vs->fill_addr;
    vs->access = type == MMU_INST_FETCH ? HVPART_INTERCEPT_ACCESS_EXECUTE :
                 type == MMU_DATA_STORE ? HVPART_INTERCEPT_ACCESS_WRITE :
                 HVPART_INTERCEPT_ACCESS_READ;
    vs->implicit = implicit;
    vs->state = hvpart_page_state(bits);
    vs->rip = env->eip;
    qatomic_set(&vs->suspended, true);
    hex = g_malloc0(2 * X86_MAX_INSN_LEN + 1);
    for (i = 0; i < vs->insn_avail; i++) {
        sprintf(hex + 2 * i, "%02x", vs->insn[i]);
    }
    trace_hvpart_intercept(cs->cpu_index, vs->seq, gpa, vs->gva,
                           access_names[vs->access], implicit, vs->rip,
                           vs->insn_len);
    qapi_event_send_hvpart_intercept(cs->cpu_index, vs->seq, gpa, true,
                                     vs->gva, vs->access, implicit,
                                     vs->state, vs->rip, hex, vs->insn_len);
    if (!locked) {
        bql_unlock();
    }
    /* Halted with no work (hvpart_vp_suspended) until resumed. */
    cs->halted = 1;
    cs->exception_index = EXCP_HLT;
    cpu_loop_exit(cs);
}

void hvpart_tlb_fill_begin(CPUState *cs, vaddr addr, bool probe,
                           uintptr_t retaddr)
{
    HvpartVpState *vs = vp_state(cs);

    if (vs && vs->fill_depth++ == 0) {
        vs->fill_active = true;
        vs->fill_probe = probe;
        vs->fill_addr = addr;
        vs->fill_ra = retaddr;
    }
}

void hvpart_tlb_fill_end(CPUState *cs)
{
    HvpartVpState *vs = vp_state(cs);

    if (vs && vs->fill_depth > 0 && --vs->fill_depth == 0) {
        vs->fill_active = false;
    }
}

bool hvpart_tlb_fill_check(CPUState *cs, hwaddr paddr, int access_type,
                           int mmu_idx, int *prot)
{
    HvpartVpState *vs = vp_state(cs);
    uint8_t bits = hvpart_page_bits(paddr);

    /* Page walks translate physically: hvpart_ptw_check() checks them. */
    if (likely(bits == HVPART_PAGE_RWX) || !vs ||
        mmu_idx == MMU_PHYS_IDX || mmu_idx == MMU_NESTED_IDX ||
        hvpart_gpa_is_overlay(cs->cpu_index, paddr)) {
        hvpart_tlb_fill_end(cs);
        return true;
    }
    /* The entry carries only the page's rights. */
    *prot &= page_prot(bits);
    if (*prot & (1 << access_type)) {
        hvpart_tlb_fill_end(cs);
        return true;
    }
    if (vs->fill_probe) {
        hvpart_tlb_fill_end(cs);
        return false;
    }
    hvpart_intercept(cs, vs, paddr, access_type, false, bits);
}

bool hvpart_ptw_check(CPUArchState *env, hwaddr gpa, bool write)
{
    CPUState *cs = env_cpu(env);
    HvpartVpState *vs;
    uint8_t bits = hvpart_page_bits(gpa);

    if (likely(bits == HVPART_PAGE_RWX) ||
        (page_prot(bits) & (write ? PAGE_WRITE : PAGE_READ))) {
        return true;
    }
    vs = vp_state(cs);
    /* Outside a fill (a debugger's walk) or in a probe: let it be. */
    if (!vs || !vs->fill_active || vs->fill_probe ||
        hvpart_gpa_is_overlay(cs->cpu_index, gpa)) {
        return true;
    }
    hvpart_intercept(cs, vs, gpa, write ? MMU_DATA_STORE : MMU_DATA_LOAD,
                     true, bits);
}

/* hvpart-vp-resume */

typedef struct ResumeRequest {
    HvpartVpState *vs;
    HvpartResumeAction action;
    HvpartRegisters *regs;
} ResumeRequest;

static void set_reg(CPUX86State *env, int reg, bool has, uint64_t val)
{
    if (has) {
        env->regs[reg] = val;
    }
}

static void do_resume(CPUState *cs, run_on_cpu_data data)
{
    ResumeRequest *req = data.host_ptr;
    HvpartRegisters *r = req->regs;
    CPUX86State *env = cpu_env(cs);

    if (req->action == HVPART_RESUME_ACTION_SKIP) {
        env->eip += req->vs->insn_len;
    }
    if (r) {
        set_reg(env, R_EAX, r->has_rax, r->rax);
        set_reg(env, R_EBX, r->has_rbx, r->rbx);
        set_reg(env, R_ECX, r->has_rcx, r->rcx);
        set_reg(env, R_EDX, r->has_rdx, r->rdx);
        set_reg(env, R_ESI, r->has_rsi, r->rsi);
        set_reg(env, R_EDI, r->has_rdi, r->rdi);
        set_reg(env, R_EBP, r->has_rbp, r->rbp);
        set_reg(env, R_ESP, r->has_rsp, r->rsp);
        set_reg(env, 8, r->has_r8, r->r8);
        set_reg(env, 9, r->has_r9, r->r9);
        set_reg(env, 10, r->has_r10, r->r10);
        set_reg(env, 11, r->has_r11, r->r11);
        set_reg(env, 12, r->has_r12, r->r12);
        set_reg(env, 13, r->has_r13, r->r13);
        set_reg(env, 14, r->has_r14, r->r14);
        set_reg(env, 15, r->has_r15, r->r15);
        if (r->has_rip) {
            env->eip = r->rip;
        }
    }
    qatomic_set(&req->vs->suspended, false);
    cs->halted = 0;
}

void qmp_hvpart_vp_resume(uint32_t vp, HvpartResumeAction action,
                          HvpartRegisters *registers, Error **errp)
{
    CPUState *cs = hvpart_enabled() ? hvpart_vp_cpu(vp) : NULL;
    HvpartVpState *vs = cs ? vp_state(cs) : NULL;
    ResumeRequest req = { vs, action, registers };

    if (!vs) {
        error_setg(errp, "'vp' %u: no such VP in an hvpart partition", vp);
        return;
    }
    if (!qatomic_read(&vs->suspended)) {
        error_setg(errp, "'vp' %u is not suspended", vp);
        return;
    }
    if (action == HVPART_RESUME_ACTION_SKIP && !vs->insn_len &&
        !(registers && registers->has_rip)) {
        error_setg(errp, "the length of VP %u's instruction is not known: "
                   "give 'registers' 'rip' to skip it", vp);
        return;
    }
    trace_hvpart_resume(vp, vs->seq, action == HVPART_RESUME_ACTION_SKIP);
    run_on_cpu(cs, do_resume, RUN_ON_CPU_HOST_PTR(&req));
    qemu_cpu_kick(cs);
}

/* Parent-side access to a VP's view */

static CPUState *qmp_vp(uint32_t vp, Error **errp)
{
    CPUState *cs = hvpart_enabled() ? hvpart_vp_cpu(vp) : NULL;

    if (!cs) {
        error_setg(errp, "'vp' %u: no such VP in an hvpart partition", vp);
    }
    return cs;
}

typedef struct TranslateRequest {
    uint64_t gva;
    hwaddr gpa;
} TranslateRequest;

static void do_translate(CPUState *cs, run_on_cpu_data data)
{
    TranslateRequest *req = data.host_ptr;
    MemTxAttrs attrs;
    hwaddr page = cpu_get_phys_page_attrs_debug(cs, req->gva & TARGET_PAGE_MASK,
                                                &attrs);

    req->gpa = page == -1 ? -1 : page | (req->gva & ~TARGET_PAGE_MASK);
}

HvpartTranslation *qmp_hvpart_translate_gva(uint32_t vp, uint64_t gva,
                                            Error **errp)
{
    CPUState *cs = qmp_vp(vp, errp);
    TranslateRequest req = { .gva = gva };
    HvpartTranslation *t;

    if (!cs) {
        return NULL;
    }
    /* In the VP's thread, with its registers current. */
    run_on_cpu(cs, do_translate, RUN_ON_CPU_HOST_PTR(&req));
    if (req.gpa == -1) {
        error_setg(errp, "'gva' 0x%" PRIx64 " is not mapped by VP %u's "
                   "page tables", gva, vp);
        return NULL;
    }
    t = g_new0(HvpartTranslation, 1);
    t->gpa = req.gpa;
    t->overlay = hvpart_gpa_is_overlay(vp, req.gpa);
    return t;
}

HvpartGpaData *qmp_hvpart_read_gpa(uint32_t vp, uint64_t gpa, uint32_t size,
                                   Error **errp)
{
    CPUState *cs = qmp_vp(vp, errp);
    g_autofree uint8_t *buf = NULL;
    HvpartGpaData *ret;
    char *hex;
    uint32_t i;

    if (!cs) {
        return NULL;
    }
    if (!size || size > HVPART_MAX_GPA_IO) {
        error_setg(errp, "'size' must be 1 to %d", HVPART_MAX_GPA_IO);
        return NULL;
    }
    buf = g_malloc(size);
    if (address_space_read(cpu_get_address_space(cs, X86ASIdx_MEM), gpa,
                           MEMTXATTRS_UNSPECIFIED, buf, size) != MEMTX_OK) {
        error_setg(errp, "'gpa' 0x%" PRIx64 " + %u bytes is not readable",
                   gpa, size);
        return NULL;
    }
    hex = g_malloc(2 * size + 1);
    for (i = 0; i < size; i++) {
        sprintf(hex + 2 * i, "%02x", buf[i]);
    }
    ret = g_new0(HvpartGpaData, 1);
    ret->data = hex;
    return ret;
}

void qmp_hvpart_write_gpa(uint32_t vp, uint64_t gpa, const char *data,
                          Error **errp)
{
    CPUState *cs = qmp_vp(vp, errp);
    size_t len = strlen(data), i;
    g_autofree uint8_t *buf = NULL;

    if (!cs) {
        return;
    }
    if (!len || len % 2 || len / 2 > HVPART_MAX_GPA_IO) {
        error_setg(errp, "'data' must be 1 to %d bytes in hex",
                   HVPART_MAX_GPA_IO);
        return;
    }
    buf = g_malloc(len / 2);
    for (i = 0; i < len / 2; i++) {
        int hi = g_ascii_xdigit_value(data[2 * i]);
        int lo = g_ascii_xdigit_value(data[2 * i + 1]);

        if (hi < 0 || lo < 0) {
            error_setg(errp, "'data' is not hexadecimal");
            return;
        }
        buf[i] = hi << 4 | lo;
    }
    if (address_space_write(cpu_get_address_space(cs, X86ASIdx_MEM), gpa,
                            MEMTXATTRS_UNSPECIFIED, buf, len / 2) !=
        MEMTX_OK) {
        error_setg(errp, "'gpa' 0x%" PRIx64 " + %zu bytes is not writable",
                   gpa, len / 2);
    }
}

/* Reset and migration */

static void hvpart_intercept_reset(void *opaque)
{
    uint32_t i;

    for (i = 0; vp_states && i < vp_states->len; i++) {
        HvpartVpState *vs = g_ptr_array_index(vp_states, i);

        if (vs) {
            qatomic_set(&vs->suspended, false);
        }
    }
}

static int vp_state_post_load(void *opaque, int version_id)
{
    HvpartVpState *vs = opaque;

    if (vs->insn_avail > X86_MAX_INSN_LEN || vs->insn_len > vs->insn_avail ||
        vs->access > HVPART_INTERCEPT_ACCESS_EXECUTE ||
        vs->state >= HVPART_PAGE_STATE__MAX) {
        return -EINVAL;
    }
    intercept_seq = MAX(intercept_seq, vs->seq);
    return 0;
}

static const VMStateDescription vmstate_vp_state = {
    .name = "hvpart-vp-intercept",
    .version_id = 1,
    .minimum_version_id = 1,
    .post_load = vp_state_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_BOOL(suspended, HvpartVpState),
        VMSTATE_UINT64(seq, HvpartVpState),
        VMSTATE_UINT64(gpa, HvpartVpState),
        VMSTATE_UINT64(gva, HvpartVpState),
        VMSTATE_UINT8(access, HvpartVpState),
        VMSTATE_BOOL(implicit, HvpartVpState),
        VMSTATE_UINT8(state, HvpartVpState),
        VMSTATE_UINT64(rip, HvpartVpState),
        VMSTATE_BUFFER(insn, HvpartVpState),
        VMSTATE_UINT8(insn_avail, HvpartVpState),
        VMSTATE_UINT8(insn_len, HvpartVpState),
        VMSTATE_END_OF_LIST()
    },
};

void hvpart_intercept_vp_init(CPUState *cs)
{
    HvpartVpState *vs = g_new0(HvpartVpState, 1);

    if (!vp_states) {
        vp_states = g_ptr_array_new();
        qemu_register_reset(hvpart_intercept_reset, NULL);
        hvpart_gpa_map_register();
    }
    if (cs->cpu_index >= vp_states->len) {
        g_ptr_array_set_size(vp_states, cs->cpu_index + 1);
    }
    vs->cs = cs;
    g_ptr_array_index(vp_states, cs->cpu_index) = vs;
    vmstate_register(NULL, cs->cpu_index, &vmstate_vp_state, vs);
}
