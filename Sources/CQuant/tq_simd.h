// Shared AVX2 helpers (internal): block unpacking and the canonical horizontal sum.
#pragma once
#if defined(__x86_64__)
#include <immintrin.h>
#include "tq_kernels.h"

#define TQ_AVX2_TARGET __attribute__((target("avx2,fma,f16c")))
#define TQ_VNNI_TARGET __attribute__((target("avx2,fma,f16c,avx512f,avx512vl,avx512bw,avx512vnni")))

/// ((a0+a4)+(a2+a6)) + ((a1+a5)+(a3+a7)), as tq_reduce8.
static inline TQ_AVX2_TARGET float tq_hsum8(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    __m128 s2 = _mm_add_ps(s, _mm_movehl_ps(s, s));
    return _mm_cvtss_f32(_mm_add_ss(s2, _mm_shuffle_ps(s2, s2, 1)));
}

/// A block's f16 scale by the F16C instruction (exact, as tq_f16_to_f32).
static inline TQ_AVX2_TARGET float tq_f16_hw(const uint8_t *p) {
    return _cvtsh_ss((unsigned short)(p[0] | (p[1] << 8)));
}

/// The 32 nibbles of a Q4 block in element order (low nibbles first), as unsigned bytes 0…15.
static inline TQ_AVX2_TARGET __m256i tq_nibbles(const uint8_t *qs) {
    __m128i raw = _mm_loadu_si128((const __m128i *)qs);
    __m128i mask = _mm_set1_epi8(0x0F);
    __m128i lo = _mm_and_si128(raw, mask);
    __m128i hi = _mm_and_si128(_mm_srli_epi16(raw, 4), mask);
    return _mm256_set_m128i(hi, lo);
}

/// A block's weights as bytes for the unsigned×signed product: Q8_0 and Q4_0 give signed values
/// (the caller moves their sign onto the activations); Q4_1 gives the unsigned nibbles.
static inline TQ_AVX2_TARGET __m256i tq_weights(int type, const uint8_t *blk) {
    if (type == TQ_Q8_0) return _mm256_loadu_si256((const __m256i *)(blk + 2));
    if (type == TQ_Q4_0) return _mm256_sub_epi8(tq_nibbles(blk + 2), _mm256_set1_epi8(8));
    return tq_nibbles(blk + 4);
}

/// Defines the block kernel `tq_dot_<NAME>` for one instruction set. `LANES(u, s)` turns 32
/// unsigned bytes u and 32 signed bytes s into eight int32 lanes of four products each; signed
/// weight types pass |w| as u and carry their sign onto the activations (|w|·sign(a, w) = w·a).
#define TQ_DEFINE_BLOCK_KERNEL(NAME, TARGET, LANES)                                                          \
    static inline __attribute__((always_inline)) TARGET void                                                   \
    NAME##_rows(const int type, const uint8_t *w, const tq_act_block *act, int act_stride, int nb,            \
                const int rows, float *out) {                                                                  \
        const int bb = type == TQ_Q8_0 ? 34 : (type == TQ_Q4_0 ? 18 : 20);                                     \
        __m256 acc[TQ_TILE_ROWS];                                                                              \
        float accm[TQ_TILE_ROWS];                                                                              \
        for (int r = 0; r < rows; r++) { acc[r] = _mm256_setzero_ps(); accm[r] = 0; }                          \
        for (int b = 0; b < nb; b++) {                                                                         \
            const uint8_t *blk = w + (size_t)b * bb;                                                           \
            float dw = tq_f16_hw(blk);                                                                         \
            float mw = type == TQ_Q4_1 ? tq_f16_hw(blk + 2) : 0;                                               \
            __m256i wv = tq_weights(type, blk);                                                                \
            __m256i wu = type == TQ_Q4_1 ? wv : _mm256_sign_epi8(wv, wv);                                      \
            for (int r = 0; r < rows; r++) {                                                                   \
                const tq_act_block *a = act + (size_t)r * act_stride + b;                                      \
                __m256i av = _mm256_loadu_si256((const __m256i *)a->qs);                                       \
                if (type != TQ_Q4_1) av = _mm256_sign_epi8(av, wv);                                            \
                __m256i lanes = LANES(wu, av);                                                                 \
                acc[r] = _mm256_fmadd_ps(_mm256_set1_ps(dw * a->d), _mm256_cvtepi32_ps(lanes), acc[r]);        \
                if (type == TQ_Q4_1) accm[r] = __builtin_fmaf(mw, a->s, accm[r]);                              \
            }                                                                                                  \
        }                                                                                                      \
        for (int r = 0; r < rows; r++) out[r] = tq_hsum8(acc[r]) + accm[r];                                    \
    }                                                                                                          \
    TARGET void tq_dot_##NAME(int type, const uint8_t *w, const tq_act_block *act, int act_stride, int nb,    \
                              int rows, float *out) {                                                          \
        /* Constant type and row count per call, so each variant is compiled on its own. */                    \
        for (int r = 0; r < rows; r += (rows == TQ_TILE_ROWS ? TQ_TILE_ROWS : 1)) {                            \
            const tq_act_block *a = act + (size_t)r * act_stride;                                              \
            int four = rows == TQ_TILE_ROWS;                                                                   \
            switch (type) {                                                                                    \
            case TQ_Q8_0: if (four) NAME##_rows(TQ_Q8_0, w, a, act_stride, nb, TQ_TILE_ROWS, out);             \
                          else NAME##_rows(TQ_Q8_0, w, a, act_stride, nb, 1, out + r); break;                 \
            case TQ_Q4_0: if (four) NAME##_rows(TQ_Q4_0, w, a, act_stride, nb, TQ_TILE_ROWS, out);             \
                          else NAME##_rows(TQ_Q4_0, w, a, act_stride, nb, 1, out + r); break;                 \
            default:      if (four) NAME##_rows(TQ_Q4_1, w, a, act_stride, nb, TQ_TILE_ROWS, out);             \
                          else NAME##_rows(TQ_Q4_1, w, a, act_stride, nb, 1, out + r); break;                 \
            }                                                                                                  \
        }                                                                                                      \
    }
#endif
