// AVX2 path: 32 products per block with maddubs (unsigned × signed bytes → int16 pairs) and madd
// (int16 pairs → int32 lanes of four products). Signed weights put their sign on the activation
// (|w| · sign(a, w) = w · a); the int16 pair sums stay below 2·128·127, so nothing saturates.
#include "tq_simd.h"
#if defined(__x86_64__)

/// maddubs: unsigned × signed byte pairs → int16; madd with ones: int16 pairs → int32 lanes.
#define TQ_AVX2_LANES(u, s) _mm256_madd_epi16(_mm256_maddubs_epi16((u), (s)), _mm256_set1_epi16(1))
TQ_DEFINE_BLOCK_KERNEL(avx2, TQ_AVX2_TARGET, TQ_AVX2_LANES)

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
