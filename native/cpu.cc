// Runtime CPU dispatch: on x86-64 the AVX2 kernels (compiled with per-function target attributes) run only where
// cpuid says AVX2, FMA and F16C are all present, and the VNNI ternary kernels (vnni.cc) where AVX-VNNI or
// AVX-512 VNNI are present too; on arm64 the NEON kernels always can; elsewhere, and when forced (tests), the
// portable scalar kernels run. libgcc's and compiler-rt's cpuid checks include the OS's XSAVE support (xgetbv),
// so an AVX-512 CPU under an OS or hypervisor that does not save ZMM state reports no AVX-512.
#include "kernels.h"

namespace bitnet {

bool vnniCompiled();  // vnni.cc: false when the compiler lacked the intrinsics

static CpuFeatures detect() {
  CpuFeatures f;
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  f.avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
#if defined(BITNET_EMULATE_VNNI)
  // The kernel check built over SIMDe: the VNNI kernels run emulated on any x86-64 with AVX2.
  f.avxVnni = f.avx512Vnni = f.avx2;
#else
  f.avxVnni = f.avx2 && vnniCompiled() && __builtin_cpu_supports("avxvnni");
  f.avx512Vnni = f.avx2 && vnniCompiled() && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                 __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni");
#endif
#elif defined(__aarch64__)
  f.neon = true;
#endif
  return f;
}

const CpuFeatures& cpu() {
  static const CpuFeatures features = detect();
  return features;
}

static int ceiling = kIsaAvx512Vnni;

int setIsaCeiling(int level) {
  const int was = ceiling;
  ceiling = level;
  return was;
}

bool setForceScalar(bool on) { return setIsaCeiling(on ? kIsaScalar : kIsaAvx512Vnni) == kIsaScalar; }

bool useAvx2() { return ceiling >= kIsaAvx2 && cpu().avx2; }
bool useAvxVnni() { return ceiling >= kIsaAvxVnni && cpu().avxVnni; }
bool useAvx512Vnni() { return ceiling >= kIsaAvx512Vnni && cpu().avx512Vnni; }
bool useNeon() { return ceiling >= kIsaAvx2 && cpu().neon; }

const char* ternaryIsa() {
  if (useAvx512Vnni()) return "avx512-vnni";
  if (useAvxVnni()) return "avx-vnni";
  if (useAvx2()) return "avx2";
  if (useNeon()) return "neon";
  return "scalar";
}

}  // namespace bitnet
