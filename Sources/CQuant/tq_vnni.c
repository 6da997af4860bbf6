// AVX-512 VNNI path (256-bit vpdpbusd, AVX512VL): one instruction forms the int32 lanes of four
// unsigned × signed byte products, replacing AVX2's maddubs + madd pair; same lanes, same sums.
#include "tq_simd.h"
#if defined(__x86_64__)

/// vpdpbusd: four unsigned × signed byte products summed into each int32 lane, in one instruction.
#define TQ_VNNI_LANES(u, s) _mm256_dpbusd_epi32(_mm256_setzero_si256(), (u), (s))
TQ_DEFINE_BLOCK_KERNEL(vnni, TQ_VNNI_TARGET, TQ_VNNI_LANES)
#endif
