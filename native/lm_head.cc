// The lm_head product over an embedding table kept as stored: float32, IEEE half (widened by F16C in registers,
// exact), bfloat16 (a 16-bit shift, exact), or the lossy int8 copy. float32 accumulation in 32-wide strips.
#include <immintrin.h>

#include <cmath>
#include <cstring>

#include "kernels.h"

namespace bitnet {

float halfToFloat(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  const uint32_t e = (h >> 10) & 0x1f;
  const uint32_t m = h & 0x3ff;
  float f;
  if (e == 0) {
    f = std::ldexp(static_cast<float>(m), -24);  // zero or subnormal: m · 2^-24, exact
    return sign ? -f : f;
  }
  const uint32_t bits = sign | (e == 31 ? (0xffu << 23) | (m << 13) : ((e + 112) << 23) | (m << 13));
  std::memcpy(&f, &bits, 4);
  return f;
}

static inline float bf16ToFloat(uint16_t h) {
  const uint32_t bits = static_cast<uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

static inline float tableAt(const void* table, int storage, int64_t at) {
  switch (storage) {
    case kF16: return halfToFloat(static_cast<const uint16_t*>(table)[at]);
    case kBf16: return bf16ToFloat(static_cast<const uint16_t*>(table)[at]);
    default: return static_cast<const float*>(table)[at];
  }
}

void tableRow(float* dst, const void* table, int storage, int64_t d, int64_t row, const float* i8Scales, int64_t rowBytes) {
  if (storage == kI8) {
    const int8_t* q = static_cast<const int8_t*>(table) + row * rowBytes;
    for (int64_t i = 0; i < d; i++) dst[i] = q[i] * i8Scales[row];
    return;
  }
  for (int64_t i = 0; i < d; i++) dst[i] = tableAt(table, storage, row * d + i);
}

__attribute__((target("avx2,fma,f16c"))) static inline __m256 load8(const void* table, int storage, int64_t at) {
  if (storage == kF16) return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(static_cast<const uint16_t*>(table) + at)));
  if (storage == kBf16) {
    const __m256i w = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(static_cast<const uint16_t*>(table) + at)));
    return _mm256_castsi256_ps(_mm256_slli_epi32(w, 16));
  }
  return _mm256_loadu_ps(static_cast<const float*>(table) + at);
}

__attribute__((target("avx2,fma,f16c"))) static float rowDotAvx2(const void* table, int storage, int64_t base, const float* x, int64_t d) {
  __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps(), s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 32 <= d; i += 32) {
    s0 = _mm256_fmadd_ps(load8(table, storage, base + i), _mm256_loadu_ps(x + i), s0);
    s1 = _mm256_fmadd_ps(load8(table, storage, base + i + 8), _mm256_loadu_ps(x + i + 8), s1);
    s2 = _mm256_fmadd_ps(load8(table, storage, base + i + 16), _mm256_loadu_ps(x + i + 16), s2);
    s3 = _mm256_fmadd_ps(load8(table, storage, base + i + 24), _mm256_loadu_ps(x + i + 24), s3);
  }
  for (; i + 8 <= d; i += 8) s0 = _mm256_fmadd_ps(load8(table, storage, base + i), _mm256_loadu_ps(x + i), s0);
  s0 = _mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3));
  __m128 h = _mm_add_ps(_mm256_castps256_ps128(s0), _mm256_extractf128_ps(s0, 1));
  h = _mm_add_ps(h, _mm_movehl_ps(h, h));
  h = _mm_add_ss(h, _mm_movehdup_ps(h));
  float sum = _mm_cvtss_f32(h);
  for (; i < d; i++) sum += tableAt(table, storage, base + i) * x[i];
  return sum;
}

void lmHeadRows(float* out, const void* table, int storage, int64_t V, int64_t d, const float* x, int64_t T, int64_t v0, int64_t v1) {
  const bool simd = useAvx2();
  for (int64_t v = v0; v < v1; v++) {
    if (simd) {
      // The row is read from memory once; later tokens find it in L1.
      for (int64_t t = 0; t < T; t++) out[t * V + v] = rowDotAvx2(table, storage, v * d, x + t * d, d);
      continue;
    }
    for (int64_t t = 0; t < T; t++) {
      float sum = 0;
      for (int64_t i = 0; i < d; i++) sum += tableAt(table, storage, v * d + i) * x[t * d + i];
      out[t * V + v] = sum;
    }
  }
}

__attribute__((target("avx2"))) static int32_t i8DotAvx2(const int8_t* a, const int8_t* b, int64_t n) {
  __m256i acc = _mm256_setzero_si256();
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m256i wa = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a + i)));
    const __m256i wb = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b + i)));
    acc = _mm256_add_epi32(acc, _mm256_madd_epi16(wa, wb));
  }
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
  int32_t sum = _mm_cvtsi128_si32(s);
  for (; i < n; i++) sum += a[i] * b[i];
  return sum;
}

void lmHeadI8Rows(float* out, const int8_t* table, const float* scales, int64_t V, int64_t rowBytes, const int8_t* xq, const float* xScales, int64_t T,
                  int64_t v0, int64_t v1) {
  const bool simd = useAvx2();
  for (int64_t v = v0; v < v1; v++) {
    const int8_t* row = table + v * rowBytes;
    for (int64_t t = 0; t < T; t++) {
      int32_t dot = 0;
      if (simd) dot = i8DotAvx2(row, xq + t * rowBytes, rowBytes);
      else
        for (int64_t i = 0; i < rowBytes; i++) dot += row[i] * xq[t * rowBytes + i];
      out[t * V + v] = (static_cast<float>(dot) * scales[v]) * xScales[t];
    }
  }
}

}  // namespace bitnet
