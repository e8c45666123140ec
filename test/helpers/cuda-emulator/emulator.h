// A CPU stand-in for the CUDA execution model, so that src/kernels/cuda/*.cu runs in CI without a GPU.
//
// The kernel source is compiled by the host C++ compiler with this header in front (driver.ts). Every CUDA thread
// of a block is a fiber with its own stack; blocks run one after another on the calling OS thread, in a scrambled
// order (CUDA promises none: a kernel that assumes block 0 runs first, or the last block last, shows). A fiber runs
// until it reaches a barrier: __syncthreads() releases when every live thread of the block has arrived, a warp
// barrier (__syncwarp, and each warp shuffle) when every live lane of the warp has. Threads that have returned no
// longer count, as on the hardware. A barrier nobody can release is reported as a deadlock, not hung.
//
// What this checks: indexing, bounds, barriers and shuffles, integer and float arithmetic of the kernels as
// written. What it cannot: timing, memory coalescing, and races that the hardware's warp scheduling would expose
// (fibers switch only at barriers, so a missing barrier between a shared-memory write and another thread's read
// usually shows as a wrong result, but not always).
#pragma once
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __shared__ static
#define __launch_bounds__(...)

struct dim3 { unsigned x = 1, y = 1, z = 1; };
struct alignas(16) int4 { int x, y, z, w; };
struct alignas(16) uint4 { unsigned x, y, z, w; };
struct alignas(8) int2 { int x, y; };
struct alignas(16) float4 { float x, y, z, w; };
struct alignas(8) float2 { float x, y; };

namespace emu {

enum State { RUNNABLE, AT_BLOCK_BARRIER, AT_WARP_BARRIER, DONE };

struct Fiber {
  void* sp = nullptr;
  State state = RUNNABLE;
  dim3 tid;
  int linear = 0;
  unsigned shuffles = 0;
#if !defined(__x86_64__)
  struct Context* context = nullptr;
#endif
};

using Entry = void (*)(void* const* params);

struct Launch {
  Entry entry = nullptr;
  void* const* params = nullptr;
  dim3 grid, block;
  std::vector<Fiber> fibers;
  std::vector<char*> stacks;
  std::vector<uint64_t> warpSlots; // two per thread, for shuffles
  std::vector<unsigned> slotSeq;   // which shuffle wrote each slot
  std::vector<signed char> mmaA, mmaB; // 8 bytes per thread: the fragments of a warp's WMMA multiply
  std::vector<unsigned char> dynamicShared;
  int current = -1;
  dim3 blockIndex;
};

inline Launch& launch() {
  static Launch l;
  return l;
}
inline Fiber& me() { return launch().fibers[launch().current]; }

constexpr size_t STACK_BYTES = 128 * 1024;

}  // namespace emu


// ---- context switching: a hand-written switch on x86-64 (swapcontext makes a system call per switch), else ucontext.
#if defined(__x86_64__)
extern "C" void emu_switch(void** save, void* to);
asm(R"(
.text
.globl emu_switch
.type emu_switch,@function
emu_switch:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
.size emu_switch, .-emu_switch
)");
namespace emu {
inline void*& schedulerSp() {
  static void* sp = nullptr;
  return sp;
}
[[noreturn]] inline void fiberMain() {
  Launch& l = launch();
  l.entry(l.params);
  me().state = DONE;
  emu_switch(&me().sp, schedulerSp());
  __builtin_unreachable();
}
inline void startFiber(Fiber& f, char* stack) {
  uintptr_t top = (reinterpret_cast<uintptr_t>(stack) + STACK_BYTES) & ~uintptr_t(15);
  void** sp = reinterpret_cast<void**>(top - 16);
  *sp = reinterpret_cast<void*>(&fiberMain); // emu_switch's `ret` lands here with rsp = top - 8, as after a call
  for (int i = 0; i < 6; i++) *--sp = nullptr;
  f.sp = sp;
}
inline void resume(Fiber& f) { emu_switch(&schedulerSp(), f.sp); }
inline void yield() { emu_switch(&me().sp, schedulerSp()); }
}  // namespace emu
#else
#include <ucontext.h>
namespace emu {
struct Context { ucontext_t uc; };
inline ucontext_t& scheduler() {
  static ucontext_t uc;
  return uc;
}
inline void fiberMain() {
  Launch& l = launch();
  l.entry(l.params);
  me().state = DONE;
  swapcontext(&me().context->uc, &scheduler());
}
inline void startFiber(Fiber& f, char* stack) {
  if (f.context == nullptr) f.context = new Context();
  getcontext(&f.context->uc);
  f.context->uc.uc_stack.ss_sp = stack;
  f.context->uc.uc_stack.ss_size = STACK_BYTES;
  f.context->uc.uc_link = nullptr;
  makecontext(&f.context->uc, &fiberMain, 0);
}
inline void resume(Fiber& f) { swapcontext(&scheduler(), &f.context->uc); }
inline void yield() { swapcontext(&me().context->uc, &scheduler()); }
}  // namespace emu
#endif

namespace emu {

inline unsigned gcd(unsigned a, unsigned b) { return b == 0 ? a : gcd(b, a % b); }

/** Runs every block of the launch; 0, or 1 on a deadlock (a barrier some live thread never reaches). */
inline int run(Entry entry, void* const* params, unsigned grid, unsigned bx, unsigned by, unsigned sharedBytes) {
  Launch& l = launch();
  l.entry = entry;
  l.params = params;
  l.grid = dim3{grid, 1, 1};
  l.block = dim3{bx, by, 1};
  const unsigned n = bx * by;
  l.fibers.assign(n, Fiber());
  while (l.stacks.size() < n) l.stacks.push_back(static_cast<char*>(std::malloc(STACK_BYTES)));
  l.warpSlots.assign(2 * n, 0);
  l.slotSeq.assign(2 * n, ~0u);
  l.mmaA.assign(8 * n, 0);
  l.mmaB.assign(8 * n, 0);
  const unsigned warps = (n + 31) / 32;
  // Block i runs as block (i * stride + grid / 3) mod grid, stride coprime to grid: every block once, not in order.
  unsigned stride = grid / 2 + 1;
  while (grid > 1 && gcd(stride, grid) != 1) stride++;
  for (unsigned i = 0; i < grid; i++) {
    const unsigned b = static_cast<unsigned>((static_cast<unsigned long long>(i) * stride + grid / 3) % grid);
    l.blockIndex = dim3{b, 0, 0};
    // Shared memory starts as garbage on a GPU: NaN bytes here, so that a read before any write shows.
    l.dynamicShared.assign(sharedBytes + 16, 0xff);
    for (unsigned i = 0; i < n; i++) {
      Fiber& f = l.fibers[i];
      f.state = RUNNABLE;
      f.linear = static_cast<int>(i);
      f.shuffles = 0;
      f.tid = dim3{i % bx, i / bx, 0};
      startFiber(f, l.stacks[i]);
    }
    for (;;) {
      for (unsigned i = 0; i < n; i++) {
        if (l.fibers[i].state != RUNNABLE) continue;
        l.current = static_cast<int>(i);
        resume(l.fibers[i]);
      }
      l.current = -1;
      unsigned live = 0, atBlock = 0;
      for (const Fiber& f : l.fibers) {
        if (f.state != DONE) live++;
        if (f.state == AT_BLOCK_BARRIER) atBlock++;
      }
      if (live == 0) break;
      bool released = false;
      if (atBlock == live) {
        for (Fiber& f : l.fibers) if (f.state == AT_BLOCK_BARRIER) f.state = RUNNABLE;
        released = true;
      } else {
        for (unsigned w = 0; w < warps; w++) {
          unsigned lanes = 0, waiting = 0;
          for (unsigned i = w * 32; i < n && i < w * 32 + 32; i++) {
            if (l.fibers[i].state != DONE) lanes++;
            if (l.fibers[i].state == AT_WARP_BARRIER) waiting++;
          }
          if (lanes > 0 && waiting == lanes) {
            for (unsigned i = w * 32; i < n && i < w * 32 + 32; i++) if (l.fibers[i].state == AT_WARP_BARRIER) l.fibers[i].state = RUNNABLE;
            released = true;
          }
        }
      }
      if (!released) return 1;
    }
  }
  return 0;
}

inline void warpBarrier() {
  me().state = AT_WARP_BARRIER;
  yield();
}

/**
 * The value `v` of lane `src` of the caller's warp (the caller's own where that lane does not exist or has returned).
 * Slots are double-buffered by the parity of the lane's shuffle count: a lane can be at most one shuffle ahead of
 * the slowest (it passes the next barrier only when all have arrived there, so after all read this one's slots).
 */
template <class T>
inline T exchange(T v, int src) {
  static_assert(sizeof(T) <= 8, "shuffles move at most 8 bytes");
  Launch& l = launch();
  Fiber& f = me();
  const int self = f.linear, base = self - self % 32, n = static_cast<int>(l.fibers.size());
  const unsigned seq = f.shuffles++;
  uint64_t* slots = &l.warpSlots[(seq & 1) * n];
  unsigned* written = &l.slotSeq[(seq & 1) * n];
  std::memcpy(&slots[self], &v, sizeof(T));
  written[self] = seq;
  warpBarrier();
  // A lane that returned before this shuffle never wrote its slot for it (its slot holds an older sequence number).
  T out = v;
  const int from = base + src;
  if (src >= 0 && src < 32 && from < n && written[from] == seq) std::memcpy(&out, &slots[from], sizeof(T));
  return out;
}
inline int lane() { return me().linear % 32; }

using Registry = std::map<std::string, Entry>;
inline Registry& registry() {
  static Registry r;
  return r;
}
struct Register {
  Register(const char* name, Entry e) { registry()[name] = e; }
};

/** cuLaunchKernel's contract: params[i] is the address of argument i's value. */
template <class... A, size_t... I>
inline void callWith(void (*f)(A...), void* const* params, std::index_sequence<I...>) {
  f(*static_cast<A*>(params[I])...);
}
inline void* dynamicShared() { return launch().dynamicShared.data(); }

}  // namespace emu

#define EMU_KERNEL(name)                                                                                   \
  static void emu_entry_##name(void* const* params) { emu::callWith(&name, params, std::make_index_sequence<emu::Arity<decltype(&name)>::value>()); } \
  static emu::Register emu_register_##name(#name, &emu_entry_##name);

namespace emu {
template <class F> struct Arity;
template <class... A> struct Arity<void (*)(A...)> { static constexpr size_t value = sizeof...(A); };
}  // namespace emu

// ---- the CUDA built-in variables and device functions the kernels use.
#define threadIdx (emu::me().tid)
#define blockIdx (emu::launch().blockIndex)
#define blockDim (emu::launch().block)
#define gridDim (emu::launch().grid)
#define warpSize 32

inline void __syncthreads() {
  emu::me().state = emu::AT_BLOCK_BARRIER;
  emu::yield();
}
inline void __syncwarp(unsigned = 0xffffffffu) { emu::warpBarrier(); }
// Blocks run one at a time, so every write is visible to every later block without a fence.
inline void __threadfence() {}
template <class T> inline T __shfl_down_sync(unsigned, T v, int delta, int = 32) { return emu::exchange(v, emu::lane() + delta); }
template <class T> inline T __shfl_up_sync(unsigned, T v, int delta, int = 32) { return emu::exchange(v, emu::lane() - delta); }
template <class T> inline T __shfl_xor_sync(unsigned, T v, int mask, int = 32) { return emu::exchange(v, emu::lane() ^ mask); }
template <class T> inline T __shfl_sync(unsigned, T v, int src, int = 32) { return emu::exchange(v, src); }

inline int __dp4a(int a, int b, int c) {
  for (int k = 0; k < 4; k++) c += static_cast<int>(static_cast<int8_t>(a >> (8 * k))) * static_cast<int>(static_cast<int8_t>(b >> (8 * k)));
  return c;
}
inline float __uint_as_float(unsigned u) { float f; std::memcpy(&f, &u, 4); return f; }
inline unsigned __float_as_uint(float f) { unsigned u; std::memcpy(&u, &f, 4); return u; }
inline int __float_as_int(float f) { int u; std::memcpy(&u, &f, 4); return u; }
inline float __int_as_float(int u) { float f; std::memcpy(&f, &u, 4); return f; }
// The host runs in round-to-nearest-even, so plain float operations are the _rn intrinsics.
inline float __fdiv_rn(float a, float b) { return a / b; }
inline float __fmul_rn(float a, float b) { return a * b; }
inline float __fadd_rn(float a, float b) { return a + b; }
inline int __float2int_rn(float f) { return static_cast<int>(std::nearbyint(f)); }
inline float __int2float_rn(int i) { return static_cast<float>(i); }
template <class T> inline T __ldg(const T* p) { return *p; }
inline int min(int a, int b) { return a < b ? a : b; }
inline int max(int a, int b) { return a > b ? a : b; }
inline unsigned min(unsigned a, unsigned b) { return a < b ? a : b; }
inline unsigned max(unsigned a, unsigned b) { return a > b ? a : b; }
inline int atomicAdd(int* p, int v) { int old = *p; *p += v; return old; }
inline float atomicAdd(float* p, float v) { float old = *p; *p += v; return old; }
inline unsigned atomicAdd(unsigned* p, unsigned v) { unsigned old = *p; *p += v; return old; }
using std::exp;
using std::fabs;
using std::rint;
using std::sqrt;

// ---- int8 WMMA, m16n16k16 (ternary-gemm.cu's wmmaLoadA/B, wmmaMma, wmmaStore, there in PTX). The hardware's fragment
// layout is opaque and the kernels only load, multiply and store whole fragments, so any layout these four agree on
// computes the same: here lane L holds elements 8L .. 8L + 7 of the tile counted along rows of A and C, and along
// columns of B (B(k, n) at n * ld + k, column-major as the kernel loads it).
#define BITNET_EMULATED_WMMA 1
struct FragAB { unsigned r[2]; };
struct FragC { int r[8]; };
inline void wmmaLoadA(FragAB& f, const signed char* p, int ld) {
  auto* bytes = reinterpret_cast<signed char*>(f.r);
  for (int e = 0, i = 8 * emu::lane(); e < 8; e++, i++) bytes[e] = p[(i / 16) * ld + i % 16];
}
inline void wmmaLoadB(FragAB& f, const signed char* p, int ld) { wmmaLoadA(f, p, ld); }
inline void wmmaStore(int* p, const FragC& c, int ld) {
  for (int e = 0, i = 8 * emu::lane(); e < 8; e++, i++) p[(i / 16) * ld + i % 16] = c.r[e];
}
inline void wmmaMma(FragC& c, const FragAB& a, const FragAB& b) {
  emu::Launch& l = emu::launch();
  const int self = emu::me().linear, base = 8 * (self - self % 32);
  std::memcpy(&l.mmaA[8 * self], a.r, 8);
  std::memcpy(&l.mmaB[8 * self], b.r, 8);
  emu::warpBarrier(); // the warp's fragments are now the whole tiles: A(m, k) at base + 16m + k, B(k, n) at base + 16n + k
  for (int e = 0, i = 8 * emu::lane(); e < 8; e++, i++) {
    const int m = i / 16, n = i % 16;
    int sum = 0;
    for (int k = 0; k < 16; k++) sum += int(l.mmaA[base + 16 * m + k]) * int(l.mmaB[base + 16 * n + k]);
    c.r[e] += sum;
  }
  emu::warpBarrier(); // every lane has read the tiles before any writes its next fragment
}
