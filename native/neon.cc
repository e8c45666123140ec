// The arm64 kernels: Advanced SIMD (NEON), part of the base AArch64 architecture, so no run-time check beyond the
// tests' scalar switch. Same contracts as avx2.cc (simd.h). Checked against the scalar kernels under qemu-aarch64
// (test/backends/native-arm64.test.ts); not measured for speed: no arm64 machine here.
#if defined(__aarch64__)
#include <arm_neon.h>

#include <algorithm>

#include "simd.h"

namespace bitnet {

// ---- ternary × int8 ---------------------------------------------------------------------------------------------
// Codes 0..2 and activations −128..127 multiply into int16 with vmlal_s8; a lane gains at most 16 products of
// |256| per chunk (4096), so int16 lanes take 7 chunks safely; they are widened into int32 every 4.

// Σ q · c over chunks [cs, ce) of one row (32 bytes per chunk) for one token.
static int32_t rowDotNeon(const uint8_t* row, const int8_t* x, int64_t cs, int64_t ce) {
  const uint8x16_t mask = vdupq_n_u8(3);
  int32x4_t acc32 = vdupq_n_s32(0);
  for (int64_t c0 = cs; c0 < ce; c0 += 4) {
    const int64_t c1 = std::min(c0 + 4, ce);
    int16x8_t acc16 = vdupq_n_s16(0);
    for (int64_t c = c0; c < c1; c++) {
      const uint8x16_t lo = vld1q_u8(row + c * 128);
      const uint8x16_t hi = vld1q_u8(row + c * 128 + 16);
      const int8_t* xc = x + c * kChunk;
      for (int k = 0; k < 4; k++) {
        // Shift amounts must be constants: unrolled through a switch the compiler folds.
        uint8x16_t l, h;
        switch (k) {
          case 0: l = lo; h = hi; break;
          case 1: l = vshrq_n_u8(lo, 2); h = vshrq_n_u8(hi, 2); break;
          case 2: l = vshrq_n_u8(lo, 4); h = vshrq_n_u8(hi, 4); break;
          default: l = vshrq_n_u8(lo, 6); h = vshrq_n_u8(hi, 6); break;
        }
        const int8x16_t cl = vreinterpretq_s8_u8(vandq_u8(l, mask));
        const int8x16_t ch = vreinterpretq_s8_u8(vandq_u8(h, mask));
        const int8x16_t xl = vld1q_s8(xc + 32 * k);
        const int8x16_t xh = vld1q_s8(xc + 32 * k + 16);
        acc16 = vmlal_s8(acc16, vget_low_s8(cl), vget_low_s8(xl));
        acc16 = vmlal_high_s8(acc16, cl, xl);
        acc16 = vmlal_s8(acc16, vget_low_s8(ch), vget_low_s8(xh));
        acc16 = vmlal_high_s8(acc16, ch, xh);
      }
    }
    acc32 = vpadalq_s16(acc32, acc16);
  }
  return vaddvq_s32(acc32);
}

void ternaryDotsNeon(int32_t* dots, int64_t dotStride, const uint8_t* w, int64_t chunks, const int8_t* q, int64_t qStride, int64_t T, int64_t g0, int64_t g1) {
  for (int64_t g = g0; g < g1; g++) {
    for (int r = 0; r < 4; r++) {
      const uint8_t* row = w + g * chunks * 128 + r * 32;
      for (int64_t t = 0; t < T; t++) dots[t * dotStride + (g - g0) * 4 + r] = rowDotNeon(row, q + t * qStride, 0, chunks);
    }
  }
}

// ---- lm_head rows --------------------------------------------------------------------------------------------------

static inline float32x4_t load4(const void* table, int storage, int64_t at) {
  if (storage == kF16) return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(static_cast<const uint16_t*>(table) + at)));
  if (storage == kBf16) return vreinterpretq_f32_u32(vshll_n_u16(vld1_u16(static_cast<const uint16_t*>(table) + at), 16));
  return vld1q_f32(static_cast<const float*>(table) + at);
}

float tableRowDotNeon(const void* table, int storage, int64_t base, const float* x, int64_t d) {
  float32x4_t s0 = vdupq_n_f32(0), s1 = vdupq_n_f32(0), s2 = vdupq_n_f32(0), s3 = vdupq_n_f32(0);
  int64_t i = 0;
  for (; i + 16 <= d; i += 16) {
    s0 = vfmaq_f32(s0, load4(table, storage, base + i), vld1q_f32(x + i));
    s1 = vfmaq_f32(s1, load4(table, storage, base + i + 4), vld1q_f32(x + i + 4));
    s2 = vfmaq_f32(s2, load4(table, storage, base + i + 8), vld1q_f32(x + i + 8));
    s3 = vfmaq_f32(s3, load4(table, storage, base + i + 12), vld1q_f32(x + i + 12));
  }
  for (; i + 4 <= d; i += 4) s0 = vfmaq_f32(s0, load4(table, storage, base + i), vld1q_f32(x + i));
  float sum = vaddvq_f32(vaddq_f32(vaddq_f32(s0, s1), vaddq_f32(s2, s3)));
  for (; i < d; i++) sum += tableValue(table, storage, base + i) * x[i];
  return sum;
}

int32_t i8DotNeon(const int8_t* a, const int8_t* b, int64_t n) {
  int32x4_t acc = vdupq_n_s32(0);
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const int8x16_t va = vld1q_s8(a + i), vb = vld1q_s8(b + i);
    acc = vpadalq_s16(acc, vmull_s8(vget_low_s8(va), vget_low_s8(vb)));
    acc = vpadalq_s16(acc, vmull_high_s8(va, vb));
  }
  int32_t sum = vaddvq_s32(acc);
  for (; i < n; i++) sum += a[i] * b[i];
  return sum;
}

// ---- float vectors (attention) ---------------------------------------------------------------------------------

float dotF32Neon(const float* a, const float* b, int64_t n) {
  float32x4_t s0 = vdupq_n_f32(0), s1 = vdupq_n_f32(0);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    s0 = vfmaq_f32(s0, vld1q_f32(a + i), vld1q_f32(b + i));
    s1 = vfmaq_f32(s1, vld1q_f32(a + i + 4), vld1q_f32(b + i + 4));
  }
  float sum = vaddvq_f32(vaddq_f32(s0, s1));
  for (; i < n; i++) sum += a[i] * b[i];
  return sum;
}

void axpyF32Neon(float* y, float a, const float* x, int64_t n) {
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) vst1q_f32(y + i, vfmaq_n_f32(vld1q_f32(y + i), vld1q_f32(x + i), a));
  for (; i < n; i++) y[i] += a * x[i];
}

}  // namespace bitnet
#endif
