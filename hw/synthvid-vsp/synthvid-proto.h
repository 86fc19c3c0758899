/*
 * qemu-hvpart: the synthetic video (synthvid) protocol on the wire
 *
 * A synthetic video VSC (Linux: drivers/gpu/drm/hyperv/hyperv_drm_proto.c,
 * drivers/video/fbdev/hyperv_fb.c) and the host's VSP exchange in-band
 * VMBus packets. Each holds a pipe header, a synthvid header whose size
 * counts itself and the body, then the body of the message type.
 *
 * The framebuffer itself (the VRAM) is not in the messages: the guest
 * places it in the VMBus MMIO window and tells the host where
 * (VRAM_LOCATION); the host reads the pixels from there.
 *
 * Every multi-byte field is little-endian; the structures are packed.
 * Sizes are pinned in synthvid_proto_check_sizes() at the end.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_SYNTHVID_VSP_SYNTHVID_PROTO_H
#define HW_SYNTHVID_VSP_SYNTHVID_PROTO_H

/* Interface type GUID of the synthetic video device */
#define SYNTHVID_INTERFACE_ID   "da0a7802-e377-4aac-8e77-0558eb1073f8"

/*
 * Versions: major in the low 16 bits, minor in the high 16 bits. 3.0 is
 * Windows 7 (16 bpp), 3.2 Windows 8 (32 bpp, VRAM location), 3.5 Windows
 * 10 (supported resolutions).
 */
#define SYNTHVID_VERSION(major, minor)  ((uint32_t)(minor) << 16 | (major))
#define SYNTHVID_VERSION_MAJOR(v)       ((v) & 0xffff)
#define SYNTHVID_VERSION_MINOR(v)       ((v) >> 16)
#define SYNTHVID_VERSION_WIN7           SYNTHVID_VERSION(3, 0)
#define SYNTHVID_VERSION_WIN8           SYNTHVID_VERSION(3, 2)
#define SYNTHVID_VERSION_WIN10          SYNTHVID_VERSION(3, 5)

/* SynthvidPipeHeader.type */
#define SYNTHVID_PIPE_MSG_DATA          1

/* SynthvidMsgHeader.type */
typedef enum SynthvidMsgType {
    SYNTHVID_ERROR                      = 0,
    SYNTHVID_VERSION_REQUEST            = 1,
    SYNTHVID_VERSION_RESPONSE           = 2,
    SYNTHVID_VRAM_LOCATION              = 3,
    SYNTHVID_VRAM_LOCATION_ACK          = 4,
    SYNTHVID_SITUATION_UPDATE           = 5,
    SYNTHVID_SITUATION_UPDATE_ACK       = 6,
    SYNTHVID_POINTER_POSITION           = 7,
    SYNTHVID_POINTER_SHAPE              = 8,
    SYNTHVID_FEATURE_CHANGE             = 9,
    SYNTHVID_DIRT                       = 10,
    SYNTHVID_BIOS_INFO_REQUEST          = 11,
    SYNTHVID_BIOS_INFO_RESPONSE         = 12,
    SYNTHVID_RESOLUTION_REQUEST         = 13,
    SYNTHVID_RESOLUTION_RESPONSE        = 14,
    SYNTHVID_CAPABILITY_REQUEST         = 15,
    SYNTHVID_CAPABILITY_RESPONSE        = 16,
    SYNTHVID_MSG_TYPE_COUNT
} SynthvidMsgType;

typedef struct SynthvidPipeHeader {
    uint32_t type;                      /* SYNTHVID_PIPE_MSG_DATA */
    uint32_t size;                      /* bytes after this header */
} QEMU_PACKED SynthvidPipeHeader;

typedef struct SynthvidMsgHeader {
    uint32_t type;                      /* SynthvidMsgType */
    uint32_t size;                      /* this header and the body */
} QEMU_PACKED SynthvidMsgHeader;

#define SYNTHVID_HEADERS_SIZE \
    (sizeof(SynthvidPipeHeader) + sizeof(SynthvidMsgHeader))

/* Bodies, after SynthvidMsgHeader */

typedef struct SynthvidVersionRequest {
    uint32_t version;
} QEMU_PACKED SynthvidVersionRequest;

typedef struct SynthvidVersionResponse {
    uint32_t version;
    uint8_t is_accepted;
    uint8_t max_video_outputs;
} QEMU_PACKED SynthvidVersionResponse;

typedef struct SynthvidVramLocation {
    uint64_t user_ctx;
    uint8_t is_vram_gpa_specified;
    uint64_t vram_gpa;
} QEMU_PACKED SynthvidVramLocation;

/* Answers VRAM_LOCATION and SITUATION_UPDATE: echoes user_ctx. */
typedef struct SynthvidAck {
    uint64_t user_ctx;
} QEMU_PACKED SynthvidAck;

typedef struct SynthvidOutputSituation {
    uint8_t active;
    uint32_t vram_offset;               /* of the primary surface */
    uint8_t depth_bits;
    uint32_t width_pixels;
    uint32_t height_pixels;
    uint32_t pitch_bytes;
} QEMU_PACKED SynthvidOutputSituation;

/* Followed by video_output_count SynthvidOutputSituation. */
typedef struct SynthvidSituationUpdate {
    uint64_t user_ctx;
    uint8_t video_output_count;
} QEMU_PACKED SynthvidSituationUpdate;

typedef struct SynthvidPointerPosition {
    uint8_t is_visible;
    uint8_t video_output;
    int32_t image_x;
    int32_t image_y;
} QEMU_PACKED SynthvidPointerPosition;

#define SYNTHVID_CURSOR_MAX_WIDTH       96
#define SYNTHVID_CURSOR_MAX_HEIGHT      96
/* SynthvidPointerShape.part_idx: the whole shape in one message */
#define SYNTHVID_CURSOR_COMPLETE        0xff
/* SynthvidPointerShape.flags */
#define SYNTHVID_CURSOR_FLAG_ARGB       0x01

/* Followed by the pixels: width * height 32-bit ARGB values. */
typedef struct SynthvidPointerShape {
    uint8_t part_idx;
    uint8_t flags;
    uint32_t width;
    uint32_t height;
    uint32_t hot_x;
    uint32_t hot_y;
} QEMU_PACKED SynthvidPointerShape;

/* Host to guest: what the host wants to be told from now on. */
typedef struct SynthvidFeatureChange {
    uint8_t is_dirt_needed;
    uint8_t is_ptr_pos_needed;
    uint8_t is_ptr_shape_needed;
    uint8_t is_situ_needed;
} QEMU_PACKED SynthvidFeatureChange;

typedef struct SynthvidRect {
    int32_t x1, y1;                     /* top left, inclusive */
    int32_t x2, y2;                     /* bottom right, exclusive */
} QEMU_PACKED SynthvidRect;

/* Followed by dirt_count SynthvidRect. */
typedef struct SynthvidDirt {
    uint8_t video_output;
    uint8_t dirt_count;
} QEMU_PACKED SynthvidDirt;

typedef struct SynthvidBiosInfoResponse {
    uint32_t vm_generation;
    uint32_t reserved;
    uint64_t reserved2;
} QEMU_PACKED SynthvidBiosInfoResponse;

#define SYNTHVID_EDID_BLOCK_SIZE        128
#define SYNTHVID_MAX_RESOLUTIONS        64

typedef struct SynthvidResolutionRequest {
    uint8_t maximum_resolution_count;
} QEMU_PACKED SynthvidResolutionRequest;

typedef struct SynthvidScreenSize {
    uint16_t width;
    uint16_t height;
} QEMU_PACKED SynthvidScreenSize;

/*
 * Followed by resolution_count SynthvidScreenSize: the guest takes as
 * many as the count says (Linux requires exactly those bytes).
 */
typedef struct SynthvidResolutionResponse {
    uint8_t edid_block[SYNTHVID_EDID_BLOCK_SIZE];
    uint8_t resolution_count;
    uint8_t default_resolution_index;
    uint8_t is_standard;
} QEMU_PACKED SynthvidResolutionResponse;

typedef struct SynthvidCapabilityResponse {
    uint32_t flags;                     /* bit 0: lock on disconnect */
    uint32_t reserved[15];
} QEMU_PACKED SynthvidCapabilityResponse;

static inline void synthvid_proto_check_sizes(void)
{
    QEMU_BUILD_BUG_ON(sizeof(SynthvidPipeHeader) != 8);
    QEMU_BUILD_BUG_ON(sizeof(SynthvidMsgHeader) != 8);
    QEMU_BUILD_BUG_ON(sizeof(SynthvidVersionRequest) != 4);
    QEMU_BUILD_BUG_ON(sizeof(SynthvidVersionResponse) != 6);
    QEMU_BUILD_BUG_ON(sizeof(SynthvidVramLocation) != 17);
    QEMU_BUILD_BUG_ON(sizeof(SynthvidAck) != 8);
    QEMU_BUILD_BUG_ON(sizeof(SynthvidOutputSituation) != 18);
    QEMU_BUILD_BUG_ON(sizeof(SynthvidSituationUpdate) != 9);
    QEMU_BUILD_BUG_ON(sizeof(SynthvidPointerPosition) != 10);
    QEMU_BUILD_BUG_ON(sizeof(SynthvidPointerShape) != 18);
    QEMU_BUILD_BUG_ON(sizeof(SynthvidFeatureChange) != 4);
    QEMU_BUILD_BUG_ON(sizeof(SynthvidRect) != 16);
    QEMU_BUILD_BUG_ON(sizeof(SynthvidDirt) != 2);
    QEMU_BUILD_BUG_ON(sizeof(SynthvidBiosInfoResponse) != 16);
    QEMU_BUILD_BUG_ON(sizeof(SynthvidResolutionRequest) != 1);
    QEMU_BUILD_BUG_ON(sizeof(SynthvidScreenSize) != 4);
    QEMU_BUILD_BUG_ON(sizeof(SynthvidResolutionResponse) != 131);
    QEMU_BUILD_BUG_ON(sizeof(SynthvidCapabilityResponse) != 64);
}

#endif
