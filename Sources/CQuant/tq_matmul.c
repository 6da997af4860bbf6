// Path selection (cpuid) and the row tiling around the per-path block kernels.
#include "tq_kernels.h"
#include <stdlib.h>
#include <string.h>

int tq_path_supported(int path) {
    switch (path) {
    case TQ_PATH_SCALAR: return 1;
#if defined(__x86_64__)
    case TQ_PATH_AVX2: return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
    case TQ_PATH_VNNI:
        return tq_path_supported(TQ_PATH_AVX2) && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
               __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vnni");
#endif
    default: return 0;
    }
}

int tq_best_path(void) {
    const char *forced = getenv("TOKENALIGN_QUANT_KERNEL");
    if (forced) {
        int path = strcmp(forced, "scalar") == 0 ? TQ_PATH_SCALAR
                 : strcmp(forced, "avx2") == 0   ? TQ_PATH_AVX2
                 : strcmp(forced, "vnni") == 0   ? TQ_PATH_VNNI : -1;
        if (path >= 0 && tq_path_supported(path)) return path;
    }
    if (tq_path_supported(TQ_PATH_VNNI)) return TQ_PATH_VNNI;
    if (tq_path_supported(TQ_PATH_AVX2)) return TQ_PATH_AVX2;
    return TQ_PATH_SCALAR;
}

/// Weight rows per tile: a tile (≤ 16 · 1.6 KB for K = 1536 in Q8_0) stays in L1 while every
/// group of activation rows passes over it.
#define TQ_TILE_N 16

void tq_matmul(int path, int type, const void *w, size_t row_bytes, int k, const void *act,
               const float *x, int ldx, int rows, float *y, int ldy, int n0, int n1) {
    const uint8_t *wb = (const uint8_t *)w;
    int nb = k / 32;
#if defined(__x86_64__)
    if (!tq_path_supported(path)) path = TQ_PATH_SCALAR;
#else
    path = TQ_PATH_SCALAR;
#endif
    tq_acts a;
    if (type != TQ_BF16) a = tq_acts_view(act, rows, nb);
    const int group = path == TQ_PATH_VNNI ? TQ_TILE_ROWS_WIDE : TQ_TILE_ROWS;
    float out[TQ_TILE_ROWS_WIDE];
    for (int t0 = n0; t0 < n1; t0 += TQ_TILE_N) {
        int t1 = t0 + TQ_TILE_N < n1 ? t0 + TQ_TILE_N : n1;
        for (int m = 0; m < rows; m += group) {
            int r = rows - m < group ? rows - m : group;
            for (int n = t0; n < t1; n++) {
                const uint8_t *wr = wb + (size_t)n * row_bytes;
                if (type == TQ_BF16) {
#if defined(__x86_64__)
                    if (path != TQ_PATH_SCALAR) tq_dot_bf16_avx2((const uint16_t *)wr, x + (size_t)m * ldx, ldx, k, r, out);
                    else
#endif
                    tq_dot_bf16_scalar((const uint16_t *)wr, x + (size_t)m * ldx, ldx, k, r, out);
                } else {
                    switch (path) {
#if defined(__x86_64__)
                    case TQ_PATH_VNNI: tq_dot_vnni(type, wr, &a, m, r, out); break;
                    case TQ_PATH_AVX2: tq_dot_avx2(type, wr, &a, m, r, out); break;
#endif
                    default: tq_dot_scalar(type, wr, &a, m, r, out); break;
                    }
                }
                for (int i = 0; i < r; i++) y[(size_t)(m + i) * ldy + n] = out[i];
            }
        }
    }
}
