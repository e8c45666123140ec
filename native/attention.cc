// Causal grouped-query attention for one (token, head) item over a head-major float32 KV cache: scores and the
// weighted value sum in float32 (FMA on AVX2), the softmax's exponentials and normaliser in float64.
#include <immintrin.h>

#include <cmath>

#include "kernels.h"

namespace bitnet {

__attribute__((target("avx2,fma"))) static float dotAvx2(const float* a, const float* b, int64_t n) {
  __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
    s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
  }
  for (; i + 8 <= n; i += 8) s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
  s0 = _mm256_add_ps(s0, s1);
  __m128 h = _mm_add_ps(_mm256_castps256_ps128(s0), _mm256_extractf128_ps(s0, 1));
  h = _mm_add_ps(h, _mm_movehl_ps(h, h));
  h = _mm_add_ss(h, _mm_movehdup_ps(h));
  float sum = _mm_cvtss_f32(h);
  for (; i < n; i++) sum += a[i] * b[i];
  return sum;
}

__attribute__((target("avx2,fma"))) static void axpyAvx2(float* y, float a, const float* x, int64_t n) {
  const __m256 va = _mm256_set1_ps(a);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_fmadd_ps(va, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
  for (; i < n; i++) y[i] += a * x[i];
}

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
  const bool simd = useAvx2();
  const int64_t n = startPos + t + 1;
  const int64_t g = h / (H / Hkv);
  const float* qh = q + (t * H + h) * D;
  const float* keys = kc + g * capacity * D;
  const float* values = vc + g * capacity * D;
  const double scale = 1.0 / std::sqrt(double(D));
  float max = -INFINITY;
  for (int64_t j = 0; j < n; j++) {
    const float dot = simd ? dotAvx2(qh, keys + j * D, D) : dotScalar(qh, keys + j * D, D);
    scores[j] = static_cast<float>(dot * scale);
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
    if (simd) axpyAvx2(o, a, values + j * D, D);
    else axpyScalar(o, a, values + j * D, D);
  }
}

}  // namespace bitnet
