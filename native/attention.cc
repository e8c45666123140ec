// Causal grouped-query attention for one (token, head) item over a head-major float32 KV cache: scores and the
// weighted value sum in float32 (FMA in the AVX2 / NEON kernels), the softmax's exponentials and normaliser in float64.
#include <cmath>

#include "kernels.h"
#include "simd.h"

namespace bitnet {

static float dotScalar(const float* a, const float* b, int64_t n) {
  float sum = 0;
  for (int64_t i = 0; i < n; i++) sum += a[i] * b[i];
  return sum;
}

static void axpyScalar(float* y, float a, const float* x, int64_t n) {
  for (int64_t i = 0; i < n; i++) y[i] += a * x[i];
}

void attentionItem(float* out, const float* q, const float* kc, const float* vc, int64_t t, int64_t h, int64_t startPos, int64_t H, int64_t Hkv, int64_t D,
                   int64_t capacity, float* scores) {
  const FloatDot dot = floatDotSimd();
  const FloatAxpy axpy = floatAxpySimd();
  const int64_t n = startPos + t + 1;
  const int64_t g = h / (H / Hkv);
  const float* qh = q + (t * H + h) * D;
  const float* keys = kc + g * capacity * D;
  const float* values = vc + g * capacity * D;
  const double scale = 1.0 / std::sqrt(double(D));
  float max = -INFINITY;
  for (int64_t j = 0; j < n; j++) {
    const float s = dot != nullptr ? dot(qh, keys + j * D, D) : dotScalar(qh, keys + j * D, D);
    scores[j] = static_cast<float>(s * scale);
    max = std::fmax(max, scores[j]);
  }
  double sum = 0;
  for (int64_t j = 0; j < n; j++) {
    const double e = std::exp(double(scores[j]) - max);
    scores[j] = static_cast<float>(e);
    sum += e;
  }
  float* o = out + (t * H + h) * D;
  for (int64_t i = 0; i < D; i++) o[i] = 0;
  for (int64_t j = 0; j < n; j++) {
    const float a = static_cast<float>(scores[j] / sum);
    if (axpy != nullptr) axpy(o, a, values + j * D, D);
    else axpyScalar(o, a, values + j * D, D);
  }
}

}  // namespace bitnet
