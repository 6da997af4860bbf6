// AVX-512 VNNI path: two blocks per 512-bit register. vpdpbusd forms the int32 lanes of four
// unsigned × signed byte products in one instruction (the low eight lanes for the even block, the
// high eight for the odd one, exactly the two accumulator sets of the other paths).
//
// The activations are the unsigned operand, stored in offset binary (a + 128); the weights the
// signed one (Q8_0's codes, Q4_0's nibbles − 8, Q4_1's nibbles). Each lane then holds
// Σ w·a + 128·Σ w; the second term depends on the weights only, so it is formed once per weight
// block pair (−128·Σ w per lane, itself a vpdpbusd) and is the accumulator every activation row's
// vpdpbusd starts from: the lanes come out as the exact signed sums Σ w·a. Per activation row and
// block pair that leaves the dot-product instruction, the two activation scales spread over their
// lanes, the scale product, one conversion and one fma; the weight pair is unpacked once for eight
// activation rows.
#include "tq_simd.h"
#if defined(__x86_64__)

static inline TQ_VNNI_TARGET __m512i pair(__m256i lo, __m256i hi) {
    return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
}

static inline __attribute__((always_inline)) TQ_VNNI_TARGET void
rows_vnni(const int type, const uint8_t *w, const tq_acts *act, int r0, const int rows, float *out) {
    const int bb = type == TQ_Q8_0 ? 34 : (type == TQ_Q4_0 ? 18 : 20);
    const int nb = act->nb, np = act->np;
    const uint8_t *qs = act->qs + (size_t)r0 * np * 64;
    const float *da = act->d + (size_t)r0 * np * 2;
    const float *s = act->s + (size_t)r0 * np * 2;
    const __m512i spread = _mm512_set_epi32(1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0);
    const __m512i offset = _mm512_set1_epi8((char)0x80);
    __m512 acc[TQ_TILE_ROWS_WIDE];
    float accm[TQ_TILE_ROWS_WIDE];
    for (int r = 0; r < rows; r++) { acc[r] = _mm512_setzero_ps(); accm[r] = 0; }
    for (int p = 0; p < np; p++) {
        const int b = 2 * p;
        const uint8_t *b0 = w + (size_t)b * bb;
        const int second = b + 1 < nb;      /* an odd tail block pairs with zeros (its activation scale is 0) */
        const uint8_t *b1 = second ? b0 + bb : b0;
        float d0 = tq_f16_hw(b0), d1 = second ? tq_f16_hw(b1) : 0;
        float m0 = type == TQ_Q4_1 ? tq_f16_hw(b0 + 2) : 0, m1 = type == TQ_Q4_1 && second ? tq_f16_hw(b1 + 2) : 0;
        __m512i wv = pair(tq_weights(type, b0), second ? tq_weights(type, b1) : _mm256_setzero_si256());
        __m512i init = _mm512_sub_epi32(_mm512_setzero_si512(), _mm512_dpbusd_epi32(_mm512_setzero_si512(), offset, wv));
        __m512 dw = _mm512_insertf32x8(_mm512_set1_ps(d0), _mm256_set1_ps(d1), 1);
        for (int r = 0; r < rows; r++) {
            __m512i lanes = _mm512_dpbusd_epi32(init, _mm512_loadu_si512(qs + (size_t)r * np * 64 + (size_t)p * 64), wv);
            __m128 dpair = _mm_castpd_ps(_mm_load_sd((const double *)(da + (size_t)r * np * 2 + b)));
            __m512 scale = _mm512_mul_ps(dw, _mm512_permutexvar_ps(spread, _mm512_castps128_ps512(dpair)));
            acc[r] = _mm512_fmadd_ps(scale, _mm512_cvtepi32_ps(lanes), acc[r]);
            if (type == TQ_Q4_1) {
                accm[r] = __builtin_fmaf(m0, s[(size_t)r * np * 2 + b], accm[r]);
                if (second) accm[r] = __builtin_fmaf(m1, s[(size_t)r * np * 2 + b + 1], accm[r]);
            }
        }
    }
    for (int r = 0; r < rows; r++) {
        __m256 sum = _mm256_add_ps(_mm512_castps512_ps256(acc[r]), _mm512_extractf32x8_ps(acc[r], 1));
        out[r] = tq_hsum8(sum) + accm[r];
    }
}

TQ_VNNI_TARGET
void tq_dot_vnni(int type, const uint8_t *w, const tq_acts *act, int r0, int rows, float *out) {
    TQ_DISPATCH_ROWS(rows_vnni, TQ_TILE_ROWS_WIDE)
}
#endif
