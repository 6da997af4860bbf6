// Per-path block kernels (internal). Each computes, for one weight row and R activation rows, the R
// dot products in the canonical order described in tq_quant.h.
#pragma once
#include "tq_quant.h"

/// Activation rows per pass of a weight row on the scalar and AVX2 paths; AVX-512 VNNI takes
/// TQ_TILE_ROWS_WIDE (its 32 vector registers hold eight accumulators beside the weight block).
#define TQ_TILE_ROWS 4
#define TQ_TILE_ROWS_WIDE 8

/// The quantised activations, as planes over all rows (one buffer from tq_quantize_activations).
/// Blocks come in pairs (block 2p and 2p+1, the second zero when k/32 is odd) so that AVX-512 reads
/// two blocks with one load:
///   qs  uint8 [rows][np·64]  the codes in offset binary (code + 128, i.e. code ^ 0x80), block b at
///                            offset 32·b of its row; vpdpbusd takes them as its unsigned operand;
///   d   float [rows][np·2]   the block scales d_a (0 for the odd tail's partner);
///   s   float [rows][np·2]   s_a = d_a · Σ codes per block (Q4_1's offset term).
typedef struct {
    int nb, np;
    const uint8_t *qs;
    const float *d;
    const float *s;
} tq_acts;

/// The planes of a buffer of `rows` rows of k = 32·nb elements.
static inline tq_acts tq_acts_view(const void *buffer, int rows, int nb) {
    int np = (nb + 1) / 2;
    const uint8_t *p = (const uint8_t *)buffer;
    tq_acts a;
    a.nb = nb; a.np = np;
    a.qs = p;                        p += (size_t)rows * np * 64;
    a.d = (const float *)p;          p += (size_t)rows * np * 8;
    a.s = (const float *)p;
    return a;
}

/// Signed code j of a block from its offset-binary byte.
static inline int tq_code(uint8_t u) { return (int)(int8_t)(u ^ 0x80); }

void tq_dot_scalar(int type, const uint8_t *w, const tq_acts *act, int r0, int rows, float *out);
void tq_dot_avx2(int type, const uint8_t *w, const tq_acts *act, int r0, int rows, float *out);
void tq_dot_vnni(int type, const uint8_t *w, const tq_acts *act, int r0, int rows, float *out);

/// One block of 32 activations to offset-binary codes; returns d_a and the codes' sum in *sum.
typedef float (*tq_block_quantizer)(const float *v, uint8_t *codes, int *sum);
/// Fills the activation planes row by row with `block` (the scalar one or the AVX-512 one: the same
/// bytes either way).
void tq_quantize_rows(const float *x, int rows, int k, int ldx, void *out, tq_block_quantizer block);
float tq_block_codes_avx512(const float *v, uint8_t *codes, int *sum);

void tq_dot_bf16_scalar(const uint16_t *w, const float *x, int ldx, int k, int rows, float *out);
void tq_dot_bf16_avx2(const uint16_t *w, const float *x, int ldx, int k, int rows, float *out);

/// Calls KERNEL with a constant type and a constant row count (TILE, four, or one at a time), so the
/// compiler specialises each variant.
#define TQ_DISPATCH_ROWS(KERNEL, TILE)                                                              \
    for (int r = 0; r < rows;) {                                                                    \
        int left_ = rows - r;                                                                       \
        int take_ = left_ >= (TILE) ? (TILE) : (left_ >= 4 ? 4 : 1);                                \
        switch (type) {                                                                             \
        case TQ_Q8_0: if (take_ == (TILE)) KERNEL(TQ_Q8_0, w, act, r0 + r, (TILE), out + r);          \
                      else if (take_ == 4) KERNEL(TQ_Q8_0, w, act, r0 + r, 4, out + r);              \
                      else KERNEL(TQ_Q8_0, w, act, r0 + r, 1, out + r); break;                       \
        case TQ_Q4_0: if (take_ == (TILE)) KERNEL(TQ_Q4_0, w, act, r0 + r, (TILE), out + r);          \
                      else if (take_ == 4) KERNEL(TQ_Q4_0, w, act, r0 + r, 4, out + r);              \
                      else KERNEL(TQ_Q4_0, w, act, r0 + r, 1, out + r); break;                       \
        default:      if (take_ == (TILE)) KERNEL(TQ_Q4_1, w, act, r0 + r, (TILE), out + r);          \
                      else if (take_ == 4) KERNEL(TQ_Q4_1, w, act, r0 + r, 4, out + r);              \
                      else KERNEL(TQ_Q4_1, w, act, r0 + r, 1, out + r); break;                       \
        }                                                                                           \
        r += take_;                                                                                 \
    }

/// The canonical reduction of eight lane accumulators.
static inline float tq_reduce8(const float a[8]) {
    float t0 = a[0] + a[4], t1 = a[1] + a[5], t2 = a[2] + a[6], t3 = a[3] + a[7];
    return (t0 + t2) + (t1 + t3);
}

static inline float tq_load_f16(const uint8_t *p) { return tq_f16_to_f32((uint16_t)(p[0] | (p[1] << 8))); }
