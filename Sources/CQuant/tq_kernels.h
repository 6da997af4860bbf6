// Per-path block kernels (internal). Each computes, for one weight row and R ≤ 4 activation rows,
// the R dot products in the canonical order described in tq_quant.h.
#pragma once
#include "tq_quant.h"

#define TQ_TILE_ROWS 4

void tq_dot_scalar(int type, const uint8_t *w, const tq_act_block *act, int act_stride, int nb, int rows, float *out);
void tq_dot_avx2(int type, const uint8_t *w, const tq_act_block *act, int act_stride, int nb, int rows, float *out);
void tq_dot_vnni(int type, const uint8_t *w, const tq_act_block *act, int act_stride, int nb, int rows, float *out);

void tq_dot_bf16_scalar(const uint16_t *w, const float *x, int ldx, int k, int rows, float *out);
void tq_dot_bf16_avx2(const uint16_t *w, const float *x, int ldx, int k, int rows, float *out);

/// Calls KERNEL with a constant type and a constant row count (four, or one at a time), so the
/// compiler specialises each variant.
#define TQ_DISPATCH_ROWS(KERNEL)                                                                    \
    for (int r = 0; r < rows; r += (rows == TQ_TILE_ROWS ? TQ_TILE_ROWS : 1)) {                     \
        const tq_act_block *a_ = act + (size_t)r * act_stride;                                      \
        int four_ = rows == TQ_TILE_ROWS;                                                           \
        switch (type) {                                                                             \
        case TQ_Q8_0: if (four_) KERNEL(TQ_Q8_0, w, a_, act_stride, nb, TQ_TILE_ROWS, out);         \
                      else KERNEL(TQ_Q8_0, w, a_, act_stride, nb, 1, out + r); break;              \
        case TQ_Q4_0: if (four_) KERNEL(TQ_Q4_0, w, a_, act_stride, nb, TQ_TILE_ROWS, out);         \
                      else KERNEL(TQ_Q4_0, w, a_, act_stride, nb, 1, out + r); break;              \
        default:      if (four_) KERNEL(TQ_Q4_1, w, a_, act_stride, nb, TQ_TILE_ROWS, out);         \
                      else KERNEL(TQ_Q4_1, w, a_, act_stride, nb, 1, out + r); break;              \
        }                                                                                           \
    }

/// The canonical reduction of eight lane accumulators.
static inline float tq_reduce8(const float a[8]) {
    float t0 = a[0] + a[4], t1 = a[1] + a[5], t2 = a[2] + a[6], t3 = a[3] + a[7];
    return (t0 + t2) + (t1 + t3);
}

static inline float tq_load_f16(const uint8_t *p) { return tq_f16_to_f32((uint16_t)(p[0] | (p[1] << 8))); }
