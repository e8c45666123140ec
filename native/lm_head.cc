// The lm_head product over an embedding table kept as stored: float32, IEEE half (widened by F16C in registers,
// exact), bfloat16 (a 16-bit shift, exact), or the lossy int8 copy. float32 accumulation in 32-wide strips.
#include <cmath>
#include <cstring>

#include "kernels.h"
#include "simd.h"

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

float tableValue(const void* table, int storage, int64_t at) {
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
  for (int64_t i = 0; i < d; i++) dst[i] = tableValue(table, storage, row * d + i);
}


void lmHeadRows(float* out, const void* table, int storage, int64_t V, int64_t d, const float* x, int64_t T, int64_t v0, int64_t v1) {
  const RowDot simd = tableRowDotSimd();
  for (int64_t v = v0; v < v1; v++) {
    if (simd != nullptr) {
      // The row is read from memory once; later tokens find it in L1.
      for (int64_t t = 0; t < T; t++) out[t * V + v] = simd(table, storage, v * d, x + t * d, d);
      continue;
    }
    for (int64_t t = 0; t < T; t++) {
      float sum = 0;
      for (int64_t i = 0; i < d; i++) sum += tableValue(table, storage, v * d + i) * x[t * d + i];
      out[t * V + v] = sum;
    }
  }
}


void lmHeadI8Rows(float* out, const int8_t* table, const float* scales, int64_t V, int64_t rowBytes, const int8_t* xq, const float* xScales, int64_t T,
                  int64_t v0, int64_t v1) {
  const I8Dot simd = i8DotSimd();
  for (int64_t v = v0; v < v1; v++) {
    const int8_t* row = table + v * rowBytes;
    for (int64_t t = 0; t < T; t++) {
      int32_t dot = 0;
      if (simd != nullptr) dot = simd(row, xq + t * rowBytes, rowBytes);
      else
        for (int64_t i = 0; i < rowBytes; i++) dot += row[i] * xq[t * rowBytes + i];
      out[t * V + v] = (static_cast<float>(dot) * scales[v]) * xScales[t];
    }
  }
}

}  // namespace bitnet
