// Shared AVX2 helpers (internal): block unpacking and the canonical horizontal sum.
#pragma once
#if defined(__x86_64__)
#include <immintrin.h>
#include "tq_kernels.h"

#define TQ_AVX2_TARGET __attribute__((target("avx2,fma,f16c")))
#define TQ_VNNI_TARGET __attribute__((target("avx2,fma,f16c,avx512f,avx512vl,avx512bw,avx512dq,avx512vnni")))

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

#endif
