// AVX2 path: 32 products per block with maddubs (unsigned × signed bytes → int16 pairs) and madd
// (int16 pairs → int32 lanes of four products). Signed weights put their sign on the activation
// (|w| · sign(a, w) = w · a); the int16 pair sums stay below 2·128·127, so nothing saturates.
#include "tq_simd.h"
#if defined(__x86_64__)

static inline TQ_AVX2_TARGET __m256i lane_sums(int type, __m256i w, __m256i a) {
    __m256i ones = _mm256_set1_epi16(1);
    if (type == TQ_Q4_1) return _mm256_madd_epi16(_mm256_maddubs_epi16(w, a), ones);
    return _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_sign_epi8(w, w), _mm256_sign_epi8(a, w)), ones);
}

static inline __attribute__((always_inline)) TQ_AVX2_TARGET void
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
        for (int r = 0; r < rows; r++) {
            const tq_act_block *a = act + (size_t)r * act_stride + b;
            __m256i lanes = lane_sums(type, wv, _mm256_loadu_si256((const __m256i *)a->qs));
            acc[r] = _mm256_fmadd_ps(_mm256_set1_ps(dw * a->d), _mm256_cvtepi32_ps(lanes), acc[r]);
            if (type == TQ_Q4_1) accm[r] = __builtin_fmaf(mw, a->s, accm[r]);
        }
    }
    for (int r = 0; r < rows; r++) out[r] = tq_hsum8(acc[r]) + accm[r];
}

TQ_AVX2_TARGET
void tq_dot_avx2(int type, const uint8_t *w, const tq_act_block *act, int act_stride, int nb, int rows, float *out) {
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

TQ_AVX2_TARGET
void tq_dot_bf16_avx2(const uint16_t *w, const float *x, int ldx, int k, int rows, float *out) {
    for (int r = 0; r < rows; r++) {
        const float *xr = x + (size_t)r * ldx;
        __m256 acc = _mm256_setzero_ps();
        int i = 0;
        for (; i + 8 <= k; i += 8) {
            __m256i wide = _mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(w + i))), 16);
            acc = _mm256_fmadd_ps(_mm256_loadu_ps(xr + i), _mm256_castsi256_ps(wide), acc);
        }
        float s = tq_hsum8(acc);
        for (; i < k; i++) {
            union { uint32_t u; float f; } v = { .u = (uint32_t)w[i] << 16 };
            s = __builtin_fmaf(xr[i], v.f, s);
        }
        out[r] = s;
    }
}
#endif
