// Products with weights kept in GGML's block formats (Q8_0, Q4_0, Q4_1) or in bfloat16, for
// inference on frozen weights. Written from the block formulas (see docs/design/quantized.md):
// the activation row is quantised to 8 bits per block of 32 (one float scale per block), and each
// weight block meets it in an exact integer dot product.
//
// Every path (scalar, AVX2, AVX-512 VNNI) accumulates in the same order: per block, eight int32
// lane sums of four products each, each lane converted to float and fused-multiply-added with the
// block's scale into one of eight float accumulators of the block's parity (even and odd blocks
// have separate sets, so AVX-512 can take two blocks per register); at the end the two sets are
// added lane by lane and reduced as ((a0+a4)+(a2+a6)) + ((a1+a5)+(a3+a7)). Q4_1's m·s terms go into
// a scalar accumulator in block order. Integer sums are exact, so the paths agree bit for bit.
#pragma once
#include <stddef.h>
#include <stdint.h>

/// Weight formats.
enum { TQ_Q8_0 = 0, TQ_Q4_0 = 1, TQ_Q4_1 = 2, TQ_BF16 = 3 };
/// Kernel paths.
enum { TQ_PATH_SCALAR = 0, TQ_PATH_AVX2 = 1, TQ_PATH_VNNI = 2 };

/// Bytes of one weight block of `type` (32 elements), or 2 for bf16 (one element).
int tq_block_bytes(int type);

/// The best path this CPU supports (cpuid), or the one named by TOKENALIGN_QUANT_KERNEL
/// (scalar | avx2 | vnni) when it is supported.
int tq_best_path(void);
/// Whether this CPU can run `path`.
int tq_path_supported(int path);

/// IEEE binary16 ↔ binary32; the narrowing rounds to nearest, ties to even.
float tq_f16_to_f32(uint16_t h);
uint16_t tq_f32_to_f16(float f);
/// bfloat16, rounding to nearest, ties to even (NaN stays NaN).
uint16_t tq_f32_to_bf16(float f);

/// Bytes of the buffer tq_quantize_activations fills for `rows` rows of `k` floats (k a multiple
/// of 32). The layout is internal to the kernels (see tq_kernels.h).
size_t tq_activation_bytes(int rows, int k);
/// Quantises `rows` rows of `k` floats (row stride `ldx`) to int8 blocks of 32 with one float scale
/// each, into `out` (tq_activation_bytes(rows, k) bytes, 64-byte aligned for speed, any alignment
/// works). The blocks of a row are stored contiguously beside the per-block terms the kernels read.
void tq_quantize_activations(const float *x, int rows, int k, int ldx, void *out);
/// The portable quantiser tq_quantize_activations falls back to; the SIMD one must equal it byte
/// for byte (tests compare them).
void tq_quantize_activations_scalar(const float *x, int rows, int k, int ldx, void *out);

/// Quantises `count` floats (a multiple of 32) to Q8_0 blocks as ggml's reference quantiser does:
/// d = max|x| / 127 stored as f16, q = round-half-away(x / d) computed with the float d.
void tq_quantize_q8_0(const float *x, size_t count, void *out);
/// Expands `count` elements (a multiple of 32 for the block types) of `type` to floats, as ggml's
/// dequantize_row_*: Q8_0 d·q, Q4_0 d·(q − 8), Q4_1 d·q + m (product rounded before the add).
void tq_dequantize(int type, const void *src, size_t count, float *dst);
/// Rounds `count` floats to bfloat16.
void tq_quantize_bf16(const float *x, size_t count, uint16_t *out);

/// Y[m, n] = Σ_k X[m, k] · W[n, k] for weight rows n in [n0, n1) and all `m` < rows.
/// Quantised types read `act` (filled by tq_quantize_activations for the same rows and k); bf16
/// reads `x` (row stride ldx) directly. `w` points at row 0; each row holds `row_bytes` bytes.
void tq_matmul(int path, int type, const void *w, size_t row_bytes, int k, const void *act,
               const float *x, int ldx, int rows, float *y, int ldy, int n0, int n1);

/// Per-thread scratch buffer `slot` (0 or 1) of at least `bytes` bytes, reused across calls (grown
/// when needed), so the decode loop does not allocate. NULL if the allocation fails.
void *tq_thread_scratch(int slot, size_t bytes);
