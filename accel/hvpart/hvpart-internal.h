/*
 * qemu-hvpart: what the accelerator and the partition share.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef ACCEL_HVPART_INTERNAL_H
#define ACCEL_HVPART_INTERNAL_H

void hvpart_partition_init(MachineState *ms);
bool hvpart_partition_vp_realize(CPUState *cs, Error **errp);

#endif
