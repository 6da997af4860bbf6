// AVX2 path: 32 products per block with maddubs (unsigned × signed bytes → int16 pairs) and madd
// (int16 pairs → int32 lanes of four products). Signed weights put their sign on the activation
// (|w| · sign(a, w) = w · a); the int16 pair sums stay below 2·128·127, so nothing saturates.
#include "tq_simd.h"
#if defined(__x86_64__)

/// R rows against one weight row; even blocks accumulate into acc0, odd ones into acc1.
static inline __attribute__((always_inline)) TQ_AVX2_TARGET void
rows_avx2(const int type, const uint8_t *w, const tq_acts *act, int r0, const int rows, float *out) {
    const int bb = type == TQ_Q8_0 ? 34 : (type == TQ_Q4_0 ? 18 : 20);
    const int nb = act->nb;
    const size_t qs_row = (size_t)act->np * 64;
    const __m256i ones = _mm256_set1_epi16(1);
    __m256 acc[2][TQ_TILE_ROWS];
    float accm[TQ_TILE_ROWS];
    for (int r = 0; r < rows; r++) { acc[0][r] = acc[1][r] = _mm256_setzero_ps(); accm[r] = 0; }
    for (int b = 0; b < nb; b++) {
        const uint8_t *blk = w + (size_t)b * bb;
        float dw = tq_f16_hw(blk);
        float mw = type == TQ_Q4_1 ? tq_f16_hw(blk + 2) : 0;
        __m256i wv = tq_weights(type, blk);
        __m256i wu = type == TQ_Q4_1 ? wv : _mm256_sign_epi8(wv, wv);
        for (int r = 0; r < rows; r++) {
            size_t at = (size_t)(r0 + r) * act->np * 2 + b;
            __m256i av = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(act->qs + (size_t)(r0 + r) * qs_row + 32 * (size_t)b)),
                                          _mm256_set1_epi8((char)0x80));
            if (type != TQ_Q4_1) av = _mm256_sign_epi8(av, wv);
            __m256i lanes = _mm256_madd_epi16(_mm256_maddubs_epi16(wu, av), ones);
            acc[b & 1][r] = _mm256_fmadd_ps(_mm256_set1_ps(dw * act->d[at]), _mm256_cvtepi32_ps(lanes), acc[b & 1][r]);
            if (type == TQ_Q4_1) accm[r] = __builtin_fmaf(mw, act->s[at], accm[r]);
        }
    }
    for (int r = 0; r < rows; r++) out[r] = tq_hsum8(_mm256_add_ps(acc[0][r], acc[1][r])) + accm[r];
}

TQ_AVX2_TARGET
void tq_dot_avx2(int type, const uint8_t *w, const tq_acts *act, int r0, int rows, float *out) {
    TQ_DISPATCH_ROWS(rows_avx2, TQ_TILE_ROWS)
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
