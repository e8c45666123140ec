// Per-row and elementwise ops. Where the reference decides an integer (per-token int8, Q8_K) the same steps run
// here in the same precision; elsewhere float64 arithmetic on float32 storage, rounded once when stored.
#include <cmath>

#include "kernels.h"
#include "simd.h"

namespace bitnet {

// Round half to even for |v| < 2^51 under the default rounding mode: adding 1.5 · 2^52 leaves no fraction bits.
static inline double roundEven(double v) {
  const double magic = 6755399441055744.0;
  return (v + magic) - magic;
}
static inline float roundEvenF(float v) {
  const float magic = 12582912.0f;  // 1.5 · 2^23, for |v| < 2^22
  return (v + magic) - magic;
}

void rmsnormRows(float* out, const float* x, const float* w, int64_t K, double eps, int64_t r0, int64_t r1) {
#if defined(__x86_64__) || defined(__i386__)
  if (useAvx2()) {
    for (int64_t t = r0; t < r1; t++) rmsnormRowAvx2(out + t * K, x + t * K, w, K, eps);
    return;
  }
#endif
  for (int64_t t = r0; t < r1; t++) {
    const float* xr = x + t * K;
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    int64_t i = 0;
    for (; i + 4 <= K; i += 4) {
      s0 += double(xr[i]) * xr[i];
      s1 += double(xr[i + 1]) * xr[i + 1];
      s2 += double(xr[i + 2]) * xr[i + 2];
      s3 += double(xr[i + 3]) * xr[i + 3];
    }
    for (; i < K; i++) s0 += double(xr[i]) * xr[i];
    const double rms = std::sqrt(((s0 + s1) + (s2 + s3)) / double(K) + eps);
    float* o = out + t * K;
    for (i = 0; i < K; i++) o[i] = static_cast<float>((double(xr[i]) / rms) * double(w[i]));
  }
}

void quantizeTokenRows(int8_t* q, int64_t qStride, double* s, int32_t* sums, const float* x, int64_t K, int64_t r0, int64_t r1) {
#if defined(__x86_64__) || defined(__i386__)
  if (useAvx2()) {
    for (int64_t t = r0; t < r1; t++) quantizeTokenRowAvx2(q + t * qStride, qStride, s + t, sums + t, x + t * K, K);
    return;
  }
#endif
  for (int64_t t = r0; t < r1; t++) {
    const float* xr = x + t * K;
    float a = 0;
    for (int64_t i = 0; i < K; i++) a = std::fmax(a, std::fabs(xr[i]));
    const double scale = 127.0 / std::fmax(double(a), 1e-5);
    s[t] = scale;
    int8_t* qr = q + t * qStride;
    int32_t sum = 0;
    for (int64_t i = 0; i < K; i++) {
      double v = roundEven(double(xr[i]) * scale);
      v = v > 127 ? 127 : v < -128 ? -128 : v;
      qr[i] = static_cast<int8_t>(v);
      sum += qr[i];
    }
    for (int64_t i = K; i < qStride; i++) qr[i] = 0;
    sums[t] = sum;
  }
}

void quantizeQ8kRows(int8_t* q, double* d, const float* x, int64_t K, int64_t r0, int64_t r1) {
  const int64_t blocks = K / 256;
  for (int64_t t = r0; t < r1; t++) {
    for (int64_t b = 0; b < blocks; b++) {
      const float* xb = x + t * K + b * 256;
      int8_t* qb = q + t * K + b * 256;
      float amax = 0, max = 0;
      for (int j = 0; j < 256; j++) {
        if (std::fabs(xb[j]) > amax) {
          amax = std::fabs(xb[j]);
          max = xb[j];
        }
      }
      if (amax == 0) {
        for (int j = 0; j < 256; j++) qb[j] = 0;
        d[t * blocks + b] = 0;
        continue;
      }
      const float iscale = -127.0f / max;
      for (int j = 0; j < 256; j++) {
        const float v = roundEvenF(iscale * xb[j]);
        qb[j] = static_cast<int8_t>(v > 127 ? 127 : v);
      }
      d[t * blocks + b] = 1.0f / iscale;
    }
  }
}

void ropeRows(float* x, int64_t H, int64_t D, int64_t startPos, const double* cosT, const double* sinT, int64_t r0, int64_t r1) {
  const int64_t half = D / 2;
  for (int64_t t = r0; t < r1; t++) {
    const double* c = cosT + (startPos + t) * half;
    const double* s = sinT + (startPos + t) * half;
    for (int64_t h = 0; h < H; h++) {
      float* v = x + (t * H + h) * D;
      for (int64_t i = 0; i < half; i++) {
        const double x0 = v[i], x1 = v[i + half];
        v[i] = static_cast<float>(x0 * c[i] - x1 * s[i]);
        v[i + half] = static_cast<float>(x1 * c[i] + x0 * s[i]);
      }
    }
  }
}

void addRange(float* out, const float* a, const float* b, int64_t i0, int64_t i1) {
  for (int64_t i = i0; i < i1; i++) out[i] = a[i] + b[i];
}

void reluSqMulRange(float* out, const float* gate, const float* up, int64_t i0, int64_t i1) {
  for (int64_t i = i0; i < i1; i++) {
    const double g = gate[i] > 0 ? double(gate[i]) : 0.0;
    out[i] = static_cast<float>(g * g * double(up[i]));
  }
}

void siluMulRange(float* out, const float* gate, const float* up, int64_t i0, int64_t i1) {
#if defined(__x86_64__) || defined(__i386__)
  if (useAvx2()) return siluMulAvx2(out, gate, up, i0, i1);
#endif
  for (int64_t i = i0; i < i1; i++) {
    const double g = gate[i];
    out[i] = static_cast<float>(g / (1.0 + std::exp(-g)) * double(up[i]));
  }
}

}  // namespace bitnet

namespace bitnet {

// The lossy int8 rows of the opt-in lm_head (docs/numerics.md "int8 lm_head"): s = float32(max|v| / 127),
// q = clamp(round-half-up(v / s), ±127) with the quotient in float64, as the wasm backend's quantizeTableRows.
void quantizeI8Rows(int8_t* q, float* scales, int64_t rowBytes, const float* x, int64_t d, int64_t r0, int64_t r1) {
  for (int64_t r = r0; r < r1; r++) {
    const float* v = x + r * d;
    float amax = 0;
    for (int64_t i = 0; i < d; i++) amax = std::fmax(amax, std::fabs(v[i]));
    const float s = static_cast<float>(double(amax) / 127.0);
    scales[r] = s;
    int8_t* qr = q + r * rowBytes;
    for (int64_t i = 0; i < rowBytes; i++) qr[i] = 0;
    if (s == 0) continue;
    for (int64_t i = 0; i < d; i++) {
      double k = std::floor(double(v[i]) / double(s) + 0.5);
      qr[i] = static_cast<int8_t>(k > 127 ? 127 : k < -127 ? -127 : k);
    }
  }
}

}  // namespace bitnet
