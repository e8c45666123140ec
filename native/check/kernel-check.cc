// Standalone check of the SIMD kernels against the portable ones and against naive sums, without Node: built and
// run by test/backends/native-arm64.test.ts for arm64 under qemu, natively for x86-64, and for x86-64 with
// BITNET_EMULATE_VNNI (vnni.cc over SIMDe), so that kernels for a CPU the development machine lacks are still run
// before they ship. Prints one line per check; exit 1 on a mismatch.
#include <cmath>
#include <cstring>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "../kernels.h"

using namespace bitnet;

static int failures = 0;
static std::set<std::string> ternaryPaths;

// The kernel family the dispatch picks under a given ceiling (the current ceiling is restored).
static const char* ternaryIsa(int level) {
  const int was = setIsaCeiling(level);
  const char* isa = ternaryIsa();
  setIsaCeiling(was);
  return isa;
}
static void fail(const char* what, long a, long b, long c) {
  if (failures++ < 10) std::printf("MISMATCH %s (%ld, %ld, %ld)\n", what, a, b, c);
}

int main() {
  std::mt19937 rng(12345);
  const char* path = useAvx2() ? "avx2" : useNeon() ? "neon" : "scalar";
  std::printf("simd path: %s\n", path);
  int cases = 0;

  // Ternary dots: SIMD and scalar equal the naive Σ q · (t + 1) from the engine's row layout.
  const int Ts[] = {1, 2, 7, 8, 9, 33, 41};
  const int Ks[] = {1, 5, 127, 128, 129, 1000, 1100};
  const int Ns[] = {1, 3, 4, 5, 17};
  for (int T : Ts)
    for (int K : Ks)
      for (int N : Ns) {
        const int64_t rowBytes = (K + 3) / 4, chunks = ternaryChunks(K), groups = ternaryGroups(N);
        std::vector<uint8_t> src(N * rowBytes), packed(ternaryBytes(N, K));
        std::vector<int> codes(N * K);
        for (int j = 0; j < N; j++)
          for (int c = 0; c < K; c++) {
            codes[j * K + c] = rng() % 3;
            src[j * rowBytes + c / 4] |= codes[j * K + c] << (2 * (c % 4));
          }
        packTernary(packed.data(), src.data(), N, K, 0, groups * 4);
        const int64_t qStride = chunks * 128;
        std::vector<int8_t> q(T * qStride, 0);
        for (int t = 0; t < T; t++)
          for (int c = 0; c < K; c++) q[t * qStride + c] = static_cast<int8_t>(static_cast<int>(rng() % 256) - 128);
        // Every kernel family this CPU (or the emulation) offers, from the widest down to scalar.
        for (int level = kIsaAvx512Vnni; level >= kIsaScalar; level--) {
          const int was = setIsaCeiling(level);
          const char* isa = ternaryIsa();
          if (level == kIsaAvx512Vnni || std::strcmp(isa, ternaryIsa(level + 1)) != 0) ternaryPaths.insert(isa);
          std::vector<int32_t> dots(T * groups * 4);
          ternaryDots(dots.data(), groups * 4, packed.data(), chunks, q.data(), qStride, T, 0, groups);
          for (int t = 0; t < T; t++)
            for (int j = 0; j < N; j++) {
              long want = 0;
              for (int c = 0; c < K; c++) want += q[t * qStride + c] * codes[j * K + c];
              if (dots[t * groups * 4 + j] != want) fail(isa, T, K, N);
            }
          setIsaCeiling(was);
        }
        cases++;
      }
  std::printf("ternary dots: %d shapes\n", cases);
  std::printf("ternary paths:");
  for (const std::string& p : ternaryPaths) std::printf(" %s", p.c_str());
  std::printf("\n");

  // lm_head over F32 / F16 / BF16 tables and the int8 one: within float32 accumulation error of float64 sums.
  const int V = 19, Ts2 = 3;
  for (int d : {1, 7, 16, 33, 203}) {
    std::vector<float> x(Ts2 * d);
    for (auto& v : x) v = static_cast<float>(static_cast<int>(rng() % 2001) - 1000) / 997.0f;
    std::vector<uint16_t> half(V * d), bf(V * d);
    std::vector<float> f32(V * d), halfV(V * d), bfV(V * d);
    for (int i = 0; i < V * d; i++) {
      half[i] = static_cast<uint16_t>((i % 29 == 0 ? 1 + i % 5 : 0x3000 + rng() % 0x1800) | (rng() % 2 ? 0x8000 : 0));
      halfV[i] = halfToFloat(half[i]);
      f32[i] = static_cast<float>(static_cast<int>(rng() % 4001) - 2000) / 1013.0f;
      uint32_t bits;
      std::memcpy(&bits, &f32[i], 4);
      bf[i] = static_cast<uint16_t>(bits >> 16);
      const uint32_t back = static_cast<uint32_t>(bf[i]) << 16;
      std::memcpy(&bfV[i], &back, 4);
    }
    struct Table { const void* data; int storage; const std::vector<float>* values; const char* name; } tables[] = {
        {f32.data(), kF32, &f32, "f32"}, {half.data(), kF16, &halfV, "f16"}, {bf.data(), kBf16, &bfV, "bf16"}};
    for (const Table& tb : tables) {
      for (bool scalar : {false, true}) {
        setForceScalar(scalar);
        std::vector<float> out(Ts2 * V);
        lmHeadRows(out.data(), tb.data, tb.storage, V, d, x.data(), Ts2, 0, V);
        for (int t = 0; t < Ts2; t++)
          for (int v = 0; v < V; v++) {
            double want = 0, scale = 0;
            for (int i = 0; i < d; i++) {
              want += double((*tb.values)[v * d + i]) * x[t * d + i];
              scale += std::fabs(double((*tb.values)[v * d + i]) * x[t * d + i]);
            }
            if (std::fabs(out[t * V + v] - want) > (d + 1) * std::ldexp(1.0, -24) * scale) fail(tb.name, d, t, v);
          }
        setForceScalar(false);
      }
    }
    // int8 rows: exact integer dots, then two float32 multiplies.
    const int64_t rowBytes = (d + 15) / 16 * 16;
    std::vector<int8_t> tq(V * rowBytes, 0), xq(Ts2 * rowBytes, 0);
    std::vector<float> ts(V), xs(Ts2);
    for (int v = 0; v < V; v++) quantizeI8Rows(tq.data() + v * rowBytes, ts.data() + v, rowBytes, f32.data() + v * d, d, 0, 1);
    quantizeI8Rows(xq.data(), xs.data(), rowBytes, x.data(), d, 0, Ts2);
    std::vector<float> a(Ts2 * V), b(Ts2 * V);
    lmHeadI8Rows(a.data(), tq.data(), ts.data(), V, rowBytes, xq.data(), xs.data(), Ts2, 0, V);
    setForceScalar(true);
    lmHeadI8Rows(b.data(), tq.data(), ts.data(), V, rowBytes, xq.data(), xs.data(), Ts2, 0, V);
    setForceScalar(false);
    for (int i = 0; i < Ts2 * V; i++)
      if (a[i] != b[i]) fail("lm_head i8", d, i, 0);
  }
  std::printf("lm_head: f32, f16, bf16, i8 checked\n");

  // Per-token int8 (identical) and RMSNorm (float32 rounding of the same float64 math) against the portable rows,
  // with exact .5 ties and rows under the 1e-5 clamp among the inputs.
  for (int K : {1, 7, 8, 9, 100, 1029}) {
    const int T = 4;
    const int64_t stride = (K + 127) / 128 * 128;
    std::vector<float> x(T * K), w(K), o1(T * K), o2(T * K);
    for (int i = 0; i < T * K; i++) x[i] = static_cast<float>(static_cast<int>(rng() % 2001) - 1000) / (i / K == 3 ? 4e9f : 256.0f);
    for (int i = 0; i < K; i++) w[i] = static_cast<float>(rng() % 1000) / 500.0f;
    x[0] = 127.0f / 256.0f * 8;  // a row max that makes x · s land on k + 0.5 for some elements
    std::vector<int8_t> q1(T * stride, 9), q2(T * stride, 9);
    std::vector<double> s1(T), s2(T);
    std::vector<int32_t> u1(T), u2(T);
    quantizeTokenRows(q1.data(), stride, s1.data(), u1.data(), x.data(), K, 0, T);
    rmsnormRows(o1.data(), x.data(), w.data(), K, 1e-5, 0, T);
    setForceScalar(true);
    quantizeTokenRows(q2.data(), stride, s2.data(), u2.data(), x.data(), K, 0, T);
    rmsnormRows(o2.data(), x.data(), w.data(), K, 1e-5, 0, T);
    setForceScalar(false);
    if (q1 != q2 || s1 != s2 || u1 != u2) fail("quantize per token", K, 0, 0);
    for (int i = 0; i < T * K; i++)
      if (std::fabs(o1[i] - o2[i]) > std::ldexp(std::fabs(o2[i]), -22)) fail("rmsnorm", K, i, 0);
  }
  std::printf("quantize and rmsnorm checked\n");

  // SiLU gating: the SIMD form (float32 exp) within 8 float32 ulp of the float64 portable one, tails included,
  // over the whole range where e^−g is finite and beyond it.
  {
    const int n = 4099;
    std::vector<float> g(n), u(n), o1(n), o2(n);
    for (int i = 0; i < n; i++) {
      g[i] = -120.0f + 240.0f * static_cast<float>(i) / n + static_cast<float>(rng() % 1000) / 7919.0f;
      u[i] = static_cast<float>(static_cast<int>(rng() % 2001) - 1000) / 333.0f;
    }
    siluMulRange(o1.data(), g.data(), u.data(), 0, n);
    setForceScalar(true);
    siluMulRange(o2.data(), g.data(), u.data(), 0, n);
    setForceScalar(false);
    for (int i = 0; i < n; i++)
      if (std::fabs(o1[i] - o2[i]) > std::ldexp(std::fabs(o2[i]), -21) + 1e-30) fail("siluMul", i, 0, 0);
    std::printf("siluMul checked\n");
  }

  // Attention: SIMD and scalar within float32 error of each other (same formula, different summation order).
  for (int D : {2, 6, 64, 100, 128}) {
    const int H = 4, Hkv = 2, cap = 40, T = 3, start = 20;
    std::vector<float> q(T * H * D), kc(Hkv * cap * D), vc(Hkv * cap * D), o1(T * H * D), o2(T * H * D), scores(cap);
    for (auto* v : {&q, &kc, &vc})
      for (auto& e : *v) e = static_cast<float>(static_cast<int>(rng() % 2001) - 1000) / 1000.0f;
    for (int t = 0; t < T; t++)
      for (int h = 0; h < H; h++) {
        attentionItem(o1.data(), q.data(), kc.data(), vc.data(), t, h, start, H, Hkv, D, cap, scores.data());
        setForceScalar(true);
        attentionItem(o2.data(), q.data(), kc.data(), vc.data(), t, h, start, H, Hkv, D, cap, scores.data());
        setForceScalar(false);
      }
    for (size_t i = 0; i < o1.size(); i++)
      if (std::fabs(o1[i] - o2[i]) > 1e-5 * (1 + std::fabs(o2[i]))) fail("attention", D, static_cast<long>(i), 0);
  }
  std::printf("attention checked\n");
  if (failures == 0) std::printf("all checks passed (%s)\n", path);
  else std::printf("%d mismatches (%s)\n", failures, path);
  return failures == 0 ? 0 : 1;
}
