// Runtime CPU dispatch: on x86-64 the AVX2 kernels (compiled with per-function target attributes) run only where
// cpuid says AVX2, FMA and F16C are all present; on arm64 the NEON kernels always can; elsewhere, and when forced
// (tests), the portable scalar kernels run.
#include "kernels.h"

namespace bitnet {

static CpuFeatures detect() {
  CpuFeatures f;
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  f.avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
#elif defined(__aarch64__)
  f.neon = true;
#endif
  return f;
}

const CpuFeatures& cpu() {
  static const CpuFeatures features = detect();
  return features;
}

static bool forceScalar = false;

bool setForceScalar(bool on) {
  const bool was = forceScalar;
  forceScalar = on;
  return was;
}

bool useAvx2() { return !forceScalar && cpu().avx2; }
bool useNeon() { return !forceScalar && cpu().neon; }

}  // namespace bitnet
