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

/// The canonical reduction of eight lane accumulators.
static inline float tq_reduce8(const float a[8]) {
    float t0 = a[0] + a[4], t1 = a[1] + a[5], t2 = a[2] + a[6], t3 = a[3] + a[7];
    return (t0 + t2) + (t1 + t3);
}

static inline float tq_load_f16(const uint8_t *p) { return tq_f16_to_f32((uint16_t)(p[0] | (p[1] << 8))); }
