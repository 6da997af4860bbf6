// AVX-512 VNNI path (256-bit vpdpbusd, AVX512VL): one instruction forms the int32 lanes of four
// unsigned × signed byte products, replacing AVX2's maddubs + madd pair; same lanes, same sums.
#include "tq_simd.h"
#if defined(__x86_64__)

static inline __attribute__((always_inline)) TQ_VNNI_TARGET void
dot(const int type, const uint8_t *w, const tq_act_block *act, int act_stride, int nb, const int rows, float *out) {
    const int bb = type == TQ_Q8_0 ? 34 : (type == TQ_Q4_0 ? 18 : 20);
    __m256 acc[TQ_TILE_ROWS];
    float accm[TQ_TILE_ROWS];
    for (int r = 0; r < rows; r++) { acc[r] = _mm256_setzero_ps(); accm[r] = 0; }
    for (int b = 0; b < nb; b++) {
        const uint8_t *blk = w + (size_t)b * bb;
        float dw = tq_f16_hw(blk);
        float mw = type == TQ_Q4_1 ? tq_f16_hw(blk + 2) : 0;
        __m256i wv = tq_weights(type, blk);
        __m256i wu = type == TQ_Q4_1 ? wv : _mm256_sign_epi8(wv, wv);
        for (int r = 0; r < rows; r++) {
            const tq_act_block *a = act + (size_t)r * act_stride + b;
            __m256i av = _mm256_loadu_si256((const __m256i *)a->qs);
            if (type != TQ_Q4_1) av = _mm256_sign_epi8(av, wv);
            __m256i lanes = _mm256_dpbusd_epi32(_mm256_setzero_si256(), wu, av);
            acc[r] = _mm256_fmadd_ps(_mm256_set1_ps(dw * a->d), _mm256_cvtepi32_ps(lanes), acc[r]);
            if (type == TQ_Q4_1) accm[r] = __builtin_fmaf(mw, a->s, accm[r]);
        }
    }
    for (int r = 0; r < rows; r++) out[r] = tq_hsum8(acc[r]) + accm[r];
}

TQ_VNNI_TARGET
void tq_dot_vnni(int type, const uint8_t *w, const tq_act_block *act, int act_stride, int nb, int rows, float *out) {
    if (rows == TQ_TILE_ROWS) {
        switch (type) {
        case TQ_Q8_0: dot(TQ_Q8_0, w, act, act_stride, nb, TQ_TILE_ROWS, out); return;
        case TQ_Q4_0: dot(TQ_Q4_0, w, act, act_stride, nb, TQ_TILE_ROWS, out); return;
        default: dot(TQ_Q4_1, w, act, act_stride, nb, TQ_TILE_ROWS, out); return;
        }
    }
    for (int r = 0; r < rows; r++) {
        switch (type) {
        case TQ_Q8_0: dot(TQ_Q8_0, w, act + (size_t)r * act_stride, act_stride, nb, 1, out + r); break;
        case TQ_Q4_0: dot(TQ_Q4_0, w, act + (size_t)r * act_stride, act_stride, nb, 1, out + r); break;
        default: dot(TQ_Q4_1, w, act + (size_t)r * act_stride, act_stride, nb, 1, out + r); break;
        }
    }
}
#endif
