// AVX-512 VNNI path: two blocks per 512-bit register. vpdpbusd forms the int32 lanes of four
// unsigned × signed byte products in one instruction (the low eight lanes for the even block, the
// high eight for the odd one, exactly the two accumulator sets of the other paths). AVX-512 has no
// byte sign instruction, so a signed weight's sign moves onto the activation by a masked negation.
#include "tq_simd.h"
#if defined(__x86_64__)

static inline TQ_VNNI_TARGET __m512i pair(__m256i lo, __m256i hi) {
    return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
}

static inline __attribute__((always_inline)) TQ_VNNI_TARGET void
rows_vnni(const int type, const uint8_t *w, const tq_act_block *act, int act_stride, int nb, const int rows, float *out) {
    const int bb = type == TQ_Q8_0 ? 34 : (type == TQ_Q4_0 ? 18 : 20);
    const __m512i zero = _mm512_setzero_si512();
    __m512 acc[TQ_TILE_ROWS];
    float accm[TQ_TILE_ROWS];
    for (int r = 0; r < rows; r++) { acc[r] = _mm512_setzero_ps(); accm[r] = 0; }
    for (int b = 0; b < nb; b += 2) {
        const uint8_t *b0 = w + (size_t)b * bb;
        const int second = b + 1 < nb;      /* an odd tail block pairs with zeros */
        const uint8_t *b1 = second ? b0 + bb : b0;
        float d0 = tq_f16_hw(b0), d1 = second ? tq_f16_hw(b1) : 0;
        float m0 = type == TQ_Q4_1 ? tq_f16_hw(b0 + 2) : 0, m1 = type == TQ_Q4_1 && second ? tq_f16_hw(b1 + 2) : 0;
        __m512i wv = pair(tq_weights(type, b0), second ? tq_weights(type, b1) : _mm256_setzero_si256());
        __m512i wu = type == TQ_Q4_1 ? wv : _mm512_abs_epi8(wv);
        __mmask64 negative = _mm512_movepi8_mask(wv);
        for (int r = 0; r < rows; r++) {
            const tq_act_block *a = act + (size_t)r * act_stride + b;
            __m256i a0 = _mm256_loadu_si256((const __m256i *)a[0].qs);
            __m256i a1 = second ? _mm256_loadu_si256((const __m256i *)a[1].qs) : _mm256_setzero_si256();
            __m512i av = pair(a0, a1);
            if (type != TQ_Q4_1) av = _mm512_mask_sub_epi8(av, negative, zero, av);
            __m512i lanes = _mm512_dpbusd_epi32(zero, wu, av);
            __m512 scale = _mm512_insertf32x8(_mm512_set1_ps(d0 * a[0].d), _mm256_set1_ps(second ? d1 * a[1].d : 0), 1);
            acc[r] = _mm512_fmadd_ps(scale, _mm512_cvtepi32_ps(lanes), acc[r]);
            if (type == TQ_Q4_1) {
                accm[r] = __builtin_fmaf(m0, a[0].s, accm[r]);
                if (second) accm[r] = __builtin_fmaf(m1, a[1].s, accm[r]);
            }
        }
    }
    for (int r = 0; r < rows; r++) {
        __m256 sum = _mm256_add_ps(_mm512_castps512_ps256(acc[r]), _mm512_extractf32x8_ps(acc[r], 1));
        out[r] = tq_hsum8(sum) + accm[r];
    }
}

TQ_VNNI_TARGET
void tq_dot_vnni(int type, const uint8_t *w, const tq_act_block *act, int act_stride, int nb, int rows, float *out) {
    TQ_DISPATCH_ROWS(rows_vnni)
}
#endif
