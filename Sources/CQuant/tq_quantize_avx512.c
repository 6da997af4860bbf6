// The activation quantiser with AVX-512: the same codes, scales and sums as
// tq_quantize_activations_scalar, bit for bit (a test compares the two buffers). roundf's
// half-away-from-zero rounding is rebuilt from a truncation: t − trunc(t) is exact, and a fraction of
// at least one half moves the code one step away from zero.
#include "tq_simd.h"
#if defined(__x86_64__)

/// The 32 codes of one block, in offset binary, into `codes`; returns d and the codes' sum in *sum.
TQ_VNNI_TARGET float tq_block_codes_avx512(const float *v, uint8_t *codes, int *sum) {
    const __m512 sign = _mm512_set1_ps(-0.0f), one = _mm512_set1_ps(1.0f), half = _mm512_set1_ps(0.5f);
    const __m512 lo = _mm512_set1_ps(-127.0f), hi = _mm512_set1_ps(127.0f);
    __m512 v0 = _mm512_loadu_ps(v), v1 = _mm512_loadu_ps(v + 16);
    /* max(|x|, m) keeps m where x is NaN, as fmaxf skips NaN */
    __m512 m = _mm512_max_ps(_mm512_andnot_ps(sign, v0), _mm512_setzero_ps());
    m = _mm512_max_ps(_mm512_andnot_ps(sign, v1), m);
    float amax = _mm512_reduce_max_ps(m);
    float d = amax / 127.0f;
    float id = d != 0 ? 1.0f / d : 0.0f;
    const __m512 idv = _mm512_set1_ps(id);
    __m512i total = _mm512_setzero_si512();
    for (int h = 0; h < 2; h++) {
        __m512 t = _mm512_mul_ps(h ? v1 : v0, idv);
        __m512 tr = _mm512_roundscale_ps(t, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
        __mmask16 up = _mm512_cmp_ps_mask(_mm512_andnot_ps(sign, _mm512_sub_ps(t, tr)), half, _CMP_GE_OQ);
        __m512 q = _mm512_mask_add_ps(tr, up, tr, _mm512_or_ps(one, _mm512_and_ps(t, sign)));
        q = _mm512_min_ps(_mm512_max_ps(q, lo), hi);
        __m512i qi = _mm512_cvttps_epi32(q);
        total = _mm512_add_epi32(total, qi);
        __m128i bytes = _mm_xor_si128(_mm512_cvtepi32_epi8(qi), _mm_set1_epi8((char)0x80));
        _mm_storeu_si128((__m128i *)(codes + 16 * h), bytes);
    }
    *sum = _mm512_reduce_add_epi32(total);
    return d;
}

#endif
