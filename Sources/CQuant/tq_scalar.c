// The portable path: the same integer lane sums and float accumulation order as the SIMD paths,
// one element at a time.
#include "tq_kernels.h"
#include <math.h>

/// Weight element j of a block as a signed integer (Q4_1: the unsigned nibble).
static inline int weight_at(int type, const uint8_t *blk, int j) {
    switch (type) {
    case TQ_Q8_0: return (int8_t)blk[2 + j];
    case TQ_Q4_0: return (j < 16 ? (blk[2 + j] & 0x0F) : (blk[2 + j - 16] >> 4)) - 8;
    default: return j < 16 ? (blk[4 + j] & 0x0F) : (blk[4 + j - 16] >> 4);
    }
}

void tq_dot_scalar(int type, const uint8_t *w, const tq_acts *act, int r0, int rows, float *out) {
    int bb = tq_block_bytes(type), nb = act->nb;
    size_t qs_row = (size_t)act->np * 64;
    float acc[2][TQ_TILE_ROWS_WIDE][8] = {{{0}}};   /* even blocks, odd blocks */
    float accm[TQ_TILE_ROWS_WIDE] = {0};
    for (int b = 0; b < nb; b++) {
        const uint8_t *blk = w + (size_t)b * bb;
        float dw = tq_load_f16(blk);
        float mw = type == TQ_Q4_1 ? tq_load_f16(blk + 2) : 0;
        int wq[32];
        for (int j = 0; j < 32; j++) wq[j] = weight_at(type, blk, j);
        for (int r = 0; r < rows; r++) {
            const uint8_t *qs = act->qs + (size_t)(r0 + r) * qs_row + 32 * (size_t)b;
            size_t at = (size_t)(r0 + r) * act->np * 2 + b;
            float scale = dw * act->d[at];
            for (int l = 0; l < 8; l++) {
                int lane = 0;
                for (int j = 4 * l; j < 4 * l + 4; j++) lane += wq[j] * tq_code(qs[j]);
                acc[b & 1][r][l] = fmaf(scale, (float)lane, acc[b & 1][r][l]);
            }
            if (type == TQ_Q4_1) accm[r] = fmaf(mw, act->s[at], accm[r]);
        }
    }
    for (int r = 0; r < rows; r++) {
        float sum[8];
        for (int l = 0; l < 8; l++) sum[l] = acc[0][r][l] + acc[1][r][l];
        out[r] = tq_reduce8(sum) + accm[r];
    }
}

void tq_dot_bf16_scalar(const uint16_t *w, const float *x, int ldx, int k, int rows, float *out) {
    for (int r = 0; r < rows; r++) {
        const float *xr = x + (size_t)r * ldx;
        float acc[8] = {0};
        int i = 0;
        for (; i + 8 <= k; i += 8) {
            for (int l = 0; l < 8; l++) {
                union { uint32_t u; float f; } v = { .u = (uint32_t)w[i + l] << 16 };
                acc[l] = fmaf(xr[i + l], v.f, acc[l]);
            }
        }
        float s = tq_reduce8(acc);
        for (; i < k; i++) {
            union { uint32_t u; float f; } v = { .u = (uint32_t)w[i] << 16 };
            s = fmaf(xr[i], v.f, s);
        }
        out[r] = s;
    }
}
