// Scalar conversions shared by every path: half and bfloat16 rounding, the activation quantiser
// and the Q8_0 weight quantiser (ggml's reference rounding), the per-thread scratch.
#include "tq_kernels.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

int tq_block_bytes(int type) {
    switch (type) {
    case TQ_Q8_0: return 34;
    case TQ_Q4_0: return 18;
    case TQ_Q4_1: return 20;
    case TQ_BF16: return 2;
    default: return 0;
    }
}

float tq_f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t magnitude = h & 0x7FFF;
    uint32_t bits;
    if (magnitude >= 0x7C00) {
        bits = (magnitude << 13) + (224u << 23);        // inf / NaN
    } else if (magnitude < 0x0400) {
        float sub = (float)magnitude * 0x1p-24f;        // subnormal (exact)
        memcpy(&bits, &sub, 4);
    } else {
        bits = (magnitude << 13) + (112u << 23);        // normal: rebias 15 → 127
    }
    bits |= sign;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

uint16_t tq_f32_to_f16(float f) {
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000;
    uint32_t ax = x & 0x7FFFFFFF;
    if (ax > 0x7F800000) return (uint16_t)(sign | 0x7E00);      // NaN
    if (ax >= 0x477FF000) return (uint16_t)(sign | 0x7C00);     // ≥ 65520 rounds to infinity
    if (ax < 0x38800000) {                                      // below 2^-14: subnormal half
        float a;
        memcpy(&a, &ax, 4);
        return (uint16_t)(sign | (uint32_t)lrintf(a * 0x1p24f)); // units of 2^-24, ties to even
    }
    ax += 0x0FFF + ((ax >> 13) & 1);                            // round mantissa, ties to even
    ax -= 112u << 23;
    return (uint16_t)(sign | (ax >> 13));
}

uint16_t tq_f32_to_bf16(float f) {
    uint32_t x;
    memcpy(&x, &f, 4);
    if ((x & 0x7FFFFFFF) > 0x7F800000) return (uint16_t)((x >> 16) | 0x40);
    x += 0x7FFF + ((x >> 16) & 1);
    return (uint16_t)(x >> 16);
}

size_t tq_activation_bytes(int rows, int k) {
    size_t nb = (size_t)(k / 32), np = (nb + 1) / 2;
    return (size_t)rows * np * (64 + 16);
}

/// One block's codes in offset binary, as ggml's Q8 activation quantiser rounds: d = max|v|/127,
/// q = roundf(v/d) clamped to ±127; returns d and the codes' sum in *sum.
static float block_codes_scalar(const float *v, uint8_t *codes, int *sum) {
    float amax = 0;
    for (int j = 0; j < 32; j++) amax = fmaxf(amax, fabsf(v[j]));
    float d = amax / 127.0f;
    float id = d != 0 ? 1.0f / d : 0.0f;
    int total = 0;
    for (int j = 0; j < 32; j++) {
        float q = fminf(fmaxf(roundf(v[j] * id), -127.0f), 127.0f);
        codes[j] = (uint8_t)((int8_t)q) ^ 0x80;
        total += (int)q;
    }
    *sum = total;
    return d;
}

void tq_quantize_rows(const float *x, int rows, int k, int ldx, void *out, tq_block_quantizer block) {
    int nb = k / 32;
    tq_acts a = tq_acts_view(out, rows, nb);
    int np = a.np;
    for (int r = 0; r < rows; r++) {
        const float *row = x + (size_t)r * ldx;
        uint8_t *qs = (uint8_t *)a.qs + (size_t)r * np * 64;
        float *dd = (float *)a.d + (size_t)r * np * 2, *ss = (float *)a.s + (size_t)r * np * 2;
        for (int b = 0; b < nb; b++) {
            int sum;
            float d = block(row + 32 * b, qs + 32 * b, &sum);
            dd[b] = d;
            ss[b] = d * (float)sum;
        }
        if (nb & 1) {   /* the odd tail's partner: zero codes and scale */
            memset(qs + 32 * nb, 0x80, 32);
            dd[nb] = 0;
            ss[nb] = 0;
        }
    }
}

void tq_quantize_activations_scalar(const float *x, int rows, int k, int ldx, void *out) {
    tq_quantize_rows(x, rows, k, ldx, out, block_codes_scalar);
}

void tq_quantize_activations(const float *x, int rows, int k, int ldx, void *out) {
#if defined(__x86_64__)
    /* the same bytes either way; the check reads cpuid flags cached by the compiler runtime */
    if (tq_path_supported(TQ_PATH_VNNI)) { tq_quantize_rows(x, rows, k, ldx, out, tq_block_codes_avx512); return; }
#endif
    tq_quantize_activations_scalar(x, rows, k, ldx, out);
}

void tq_quantize_q8_0(const float *x, size_t count, void *out) {
    uint8_t *dst = (uint8_t *)out;
    for (size_t b = 0; b < count / 32; b++) {
        const float *v = x + 32 * b;
        uint8_t *block = dst + 34 * b;
        float amax = 0;
        for (int j = 0; j < 32; j++) amax = fmaxf(amax, fabsf(v[j]));
        float d = amax / 127.0f;
        float id = d != 0 ? 1.0f / d : 0.0f;
        uint16_t h = tq_f32_to_f16(d);
        block[0] = (uint8_t)(h & 0xFF);
        block[1] = (uint8_t)(h >> 8);
        for (int j = 0; j < 32; j++) block[2 + j] = (uint8_t)(int8_t)roundf(v[j] * id);
    }
}

void tq_dequantize(int type, const void *src, size_t count, float *dst) {
    const uint8_t *s = (const uint8_t *)src;
    if (type == TQ_BF16) {
        for (size_t i = 0; i < count; i++) {
            uint32_t bits = (uint32_t)(s[2 * i] | (s[2 * i + 1] << 8)) << 16;
            memcpy(dst + i, &bits, 4);
        }
        return;
    }
    int bb = tq_block_bytes(type);
    for (size_t b = 0; b < count / 32; b++) {
        const uint8_t *blk = s + (size_t)bb * b;
        float *out = dst + 32 * b;
        float d = tq_f16_to_f32((uint16_t)(blk[0] | (blk[1] << 8)));
        if (type == TQ_Q8_0) {
            for (int j = 0; j < 32; j++) out[j] = (float)(int8_t)blk[2 + j] * d;
        } else if (type == TQ_Q4_0) {
            for (int j = 0; j < 16; j++) {
                out[j] = (float)((blk[2 + j] & 0x0F) - 8) * d;
                out[j + 16] = (float)((blk[2 + j] >> 4) - 8) * d;
            }
        } else {
            float m = tq_f16_to_f32((uint16_t)(blk[2] | (blk[3] << 8)));
            for (int j = 0; j < 16; j++) {
                out[j] = (float)(blk[4 + j] & 0x0F) * d + m;
                out[j + 16] = (float)(blk[4 + j] >> 4) * d + m;
            }
        }
    }
}

void tq_quantize_bf16(const float *x, size_t count, uint16_t *out) {
    for (size_t i = 0; i < count; i++) out[i] = tq_f32_to_bf16(x[i]);
}

static _Thread_local void *scratch[2] = {NULL, NULL};
static _Thread_local size_t scratch_bytes[2] = {0, 0};

void *tq_thread_scratch(int slot, size_t bytes) {
    if (slot < 0 || slot > 1) return NULL;
    if (bytes > scratch_bytes[slot]) {
        free(scratch[slot]);
        size_t grown = bytes + bytes / 2 + 4096;
        scratch[slot] = malloc(grown);
        scratch_bytes[slot] = scratch[slot] ? grown : 0;
    }
    return scratch[slot];
}
