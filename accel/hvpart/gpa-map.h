/*
 * qemu-hvpart: the page-state map of the partition's RAM.
 *
 * One byte per 4 KiB page of guest RAM: the access rights of a mapped page
 * (R, W, X in the valid x64 combinations), or the page's other state
 * (inaccessible, unmapped). Pages that are not RAM (MMIO, holes) are not in
 * the map: devices answer there. Written with all VPs paused; read by the
 * VPs' translations without locks.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef ACCEL_HVPART_GPA_MAP_H
#define ACCEL_HVPART_GPA_MAP_H

#include "qemu/atomic.h"
#include "exec/hwaddr.h"

#define HVPART_PAGE_SHIFT       12
#define HVPART_PAGE_SIZE        (1ull << HVPART_PAGE_SHIFT)

#define HVPART_PAGE_R           0x01
#define HVPART_PAGE_W           0x02
#define HVPART_PAGE_X           0x04
#define HVPART_PAGE_RWX         (HVPART_PAGE_R | HVPART_PAGE_W | HVPART_PAGE_X)
#define HVPART_PAGE_INACCESSIBLE 0x08
#define HVPART_PAGE_UNMAPPED    0x10

typedef struct HvpartGpaMap {
    uint8_t *pages;                 /* NULL until first restricted */
    uint64_t npages;                /* covers [0, npages << 12) */
    uint64_t below_4g_pages;        /* RAM: [0, below) and [4G, 4G+above) */
    uint64_t above_4g_pages;
    uint64_t restricted;            /* pages not plain RWX: 0 = fast path */
    uint32_t mig_npages;            /* npages, for migration */
} HvpartGpaMap;

extern HvpartGpaMap hvpart_gpa_map;

/* The page's bits; RWX for everything outside the map. */
static inline uint8_t hvpart_page_bits(hwaddr gpa)
{
    uint64_t pfn = gpa >> HVPART_PAGE_SHIFT;

    if (likely(!qatomic_read(&hvpart_gpa_map.restricted)) ||
        pfn >= hvpart_gpa_map.npages) {
        return HVPART_PAGE_RWX;
    }
    return qatomic_read(&hvpart_gpa_map.pages[pfn]);
}

/* Whether the page is an overlay page in VP @vp_index's view. */
bool hvpart_gpa_is_overlay(uint32_t vp_index, hwaddr gpa);

#endif
