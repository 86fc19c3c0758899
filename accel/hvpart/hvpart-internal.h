/*
 * qemu-hvpart: what the accelerator and the partition share.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef ACCEL_HVPART_INTERNAL_H
#define ACCEL_HVPART_INTERNAL_H

#include "qapi/qapi-types-hvpart.h"

void hvpart_partition_init(MachineState *ms);
/*
 * Before the VP is realized: give it its own view of guest memory, in
 * which its private overlays live.
 */
void hvpart_partition_vp_prepare(CPUState *cs);
bool hvpart_partition_vp_realize(CPUState *cs, Error **errp);

/* gpa-map.c */
HvpartPageState hvpart_page_state(uint8_t bits);
void hvpart_gpa_map_register(void);

/* pool.c */
uint32_t hvpart_cpu_node(CPUState *cs);
void hvpart_pool_init(MachineState *ms);
void hvpart_pool_register(void);

/* intercept.c */
void hvpart_intercept_vp_init(CPUState *cs);

#endif
