#include "program.h"

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <string>

#include "kernels.h"

namespace bitnet {

template <typename T>
static inline T* ptr(double v) {
  return reinterpret_cast<T*>(static_cast<uintptr_t>(v));
}
static inline int64_t i64(double v) { return static_cast<int64_t>(v); }

// The share [lo, hi) of n items that thread tid of `threads` takes: contiguous, sizes differing by at most one.
static inline void share(int64_t n, int tid, int threads, int64_t& lo, int64_t& hi) {
  lo = n * tid / threads;
  hi = n * (tid + 1) / threads;
}

// Fields per op (after the 3-word header); kEmbed has T token ids after its fixed fields.
static const int kFields[kOpCount] = {0, 7, 6, 7, 5, 11, 9, 8, 7, 9, 10, 4, 4, 4, 7, 6, 8};

void Runner::run(const double* program, int64_t words) {
  if (!pool_) throw std::invalid_argument("native program: the backend was disposed");
  Pool& pool = *pool_;
  std::vector<Record> records;
  int64_t dotsNeeded = 0, scoresNeeded = 0;
  for (int64_t at = 0; at < words;) {
    if (at + 3 > words) throw std::invalid_argument("native program: truncated record header at word " + std::to_string(at));
    const int op = static_cast<int>(program[at]);
    const int64_t len = i64(program[at + 1]);
    if (op <= 0 || op >= kOpCount || len < 3 + kFields[op] || at + len > words)
      throw std::invalid_argument("native program: bad record (op " + std::to_string(op) + ", " + std::to_string(len) + " words) at word " + std::to_string(at));
    const Record r{op, program[at + 2] != 0, program + at + 3, len - 3};
    if (op == kTernary) dotsNeeded = std::max(dotsNeeded, i64(r.f[10]) * ((i64(r.f[3]) + pool.threads() - 1) / pool.threads() + 1) * 4);
    if (op == kAttention) scoresNeeded = std::max(scoresNeeded, i64(r.f[5]) + i64(r.f[4]));
    records.push_back(r);
    at += len;
  }
  if (static_cast<int>(dots_.size()) < pool.threads()) dots_.resize(pool.threads());
  for (auto& d : dots_)
    if (static_cast<int64_t>(d.size()) < dotsNeeded) d.resize(dotsNeeded);
  if (static_cast<int>(scores_.size()) < pool.threads()) scores_.resize(pool.threads());
  for (auto& s : scores_)
    if (static_cast<int64_t>(s.size()) < scoresNeeded) s.resize(scoresNeeded);
  if (!profiling_) {
    pool.run([&](int tid) {
      for (const Record& r : records) {
        if (r.barrier) pool.barrier();
        execute(r, tid);
      }
    });
    return;
  }
  using Clock = std::chrono::steady_clock;
  const auto ns = [](Clock::duration d) { return std::chrono::duration_cast<std::chrono::nanoseconds>(d).count(); };
  const auto start = Clock::now();
  pool.run([&](int tid) {
    for (const Record& r : records) {
      if (tid != 0) {
        if (r.barrier) pool.barrier();
        execute(r, tid);
        continue;
      }
      const auto t0 = Clock::now();
      if (r.barrier) pool.barrier();
      const auto t1 = Clock::now();
      execute(r, tid);
      OpProfile& p = profile_.ops[r.op];
      p.records++;
      p.barrierNs += ns(t1 - t0);
      p.workNs += ns(Clock::now() - t1);
    }
  });
  profile_.runs++;
  profile_.wallNs += ns(Clock::now() - start);
}

void Runner::execute(const Record& r, int tid) {
  const double* f = r.f;
  const int n = pool_->threads();
  int64_t lo, hi;
  switch (r.op) {
    case kEmbed: {  // out, table, storage, d, i8Scales, rowBytes, T, ids[T]
      share(i64(f[6]), tid, n, lo, hi);
      for (int64_t t = lo; t < hi; t++)
        tableRow(ptr<float>(f[0]) + t * i64(f[3]), ptr<void>(f[1]), static_cast<int>(f[2]), i64(f[3]), i64(f[7 + t]), ptr<float>(f[4]), i64(f[5]));
      return;
    }
    case kRmsnorm:  // out, x, w, T, K, eps
      share(i64(f[3]), tid, n, lo, hi);
      return rmsnormRows(ptr<float>(f[0]), ptr<float>(f[1]), ptr<float>(f[2]), i64(f[4]), f[5], lo, hi);
    case kQuantToken:  // q, qStride, s, sums, x, T, K
      share(i64(f[5]), tid, n, lo, hi);
      return quantizeTokenRows(ptr<int8_t>(f[0]), i64(f[1]), ptr<double>(f[2]), ptr<int32_t>(f[3]), ptr<float>(f[4]), i64(f[6]), lo, hi);
    case kQuantQ8k:  // q, d, x, T, K
      share(i64(f[3]), tid, n, lo, hi);
      return quantizeQ8kRows(ptr<int8_t>(f[0]), ptr<double>(f[1]), ptr<float>(f[2]), i64(f[4]), lo, hi);
    case kTernary: {  // out, w, N, groups, chunks, beta, q, qStride, s, sums, T
      const int64_t N = i64(f[2]), groups = i64(f[3]), T = i64(f[10]);
      float* out = ptr<float>(f[0]);
      const double beta = f[5];
      const double* s = ptr<double>(f[8]);
      const int32_t* sums = ptr<int32_t>(f[9]);
      share(groups, tid, n, lo, hi);
      const int64_t stride = (hi - lo) * 4;
      int32_t* dots = dots_[tid].data();
      ternaryDots(dots, stride, ptr<uint8_t>(f[1]), i64(f[4]), ptr<int8_t>(f[6]), i64(f[7]), T, lo, hi);
      const int64_t j1 = std::min(N, hi * 4);
      for (int64_t t = 0; t < T; t++)
        for (int64_t j = lo * 4; j < j1; j++) out[t * N + j] = static_cast<float>((double(dots[t * stride + j - lo * 4] - sums[t]) * beta) / s[t]);
      return;
    }
    case kTernaryQ8k:  // out, w, N, chunks, K, beta, q, d, T
      share((i64(f[2]) + 3) / 4, tid, n, lo, hi);
      return ternaryQ8kRows(ptr<float>(f[0]), ptr<uint8_t>(f[1]), i64(f[2]), i64(f[3]), i64(f[4]), f[5], ptr<int8_t>(f[6]), ptr<double>(f[7]), i64(f[8]), lo, hi);
    case kTernaryFloat:  // out, w, N, chunks, K, beta, x, T
      share((i64(f[2]) + 3) / 4, tid, n, lo, hi);
      return ternaryFloatRows(ptr<float>(f[0]), ptr<uint8_t>(f[1]), i64(f[2]), i64(f[3]), i64(f[4]), f[5], ptr<float>(f[6]), i64(f[7]), lo, hi);
    case kRope:  // x, T, H, D, startPos, cos, sin
      share(i64(f[1]), tid, n, lo, hi);
      return ropeRows(ptr<float>(f[0]), i64(f[2]), i64(f[3]), i64(f[4]), ptr<double>(f[5]), ptr<double>(f[6]), lo, hi);
    case kKvAppend: {  // kc, vc, k, v, T, Hkv, D, cap, startPos — into head-major [Hkv][cap][D]
      const int64_t T = i64(f[4]), Hkv = i64(f[5]), D = i64(f[6]), cap = i64(f[7]), pos = i64(f[8]);
      share(T * Hkv, tid, n, lo, hi);
      for (int64_t it = lo; it < hi; it++) {
        const int64_t t = it / Hkv, g = it % Hkv;
        const int64_t to = (g * cap + pos + t) * D, from = (t * Hkv + g) * D;
        for (int64_t i = 0; i < D; i++) {
          ptr<float>(f[0])[to + i] = ptr<float>(f[2])[from + i];
          ptr<float>(f[1])[to + i] = ptr<float>(f[3])[from + i];
        }
      }
      return;
    }
    case kAttention: {  // out, q, kc, vc, T, startPos, H, Hkv, D, cap
      const int64_t T = i64(f[4]), H = i64(f[6]);
      share(T * H, tid, n, lo, hi);
      for (int64_t it = lo; it < hi; it++)
        attentionItem(ptr<float>(f[0]), ptr<float>(f[1]), ptr<float>(f[2]), ptr<float>(f[3]), it / H, it % H, i64(f[5]), H, i64(f[7]), i64(f[8]), i64(f[9]),
                      scores_[tid].data());
      return;
    }
    case kAdd:
    case kReluSqMul:
    case kSiluMul: {  // out, a, b, count
      share(i64(f[3]) / 16, tid, n, lo, hi);
      lo *= 16;
      hi = tid == n - 1 ? i64(f[3]) : hi * 16;
      auto fn = r.op == kAdd ? addRange : r.op == kReluSqMul ? reluSqMulRange : siluMulRange;
      return fn(ptr<float>(f[0]), ptr<float>(f[1]), ptr<float>(f[2]), lo, hi);
    }
    case kLmHead:  // out, x, table, storage, V, d, T
      share(i64(f[4]), tid, n, lo, hi);
      return lmHeadRows(ptr<float>(f[0]), ptr<void>(f[2]), static_cast<int>(f[3]), i64(f[4]), i64(f[5]), ptr<float>(f[1]), i64(f[6]), lo, hi);
    case kQuantI8:  // xq, xScales, x, T, d, rowBytes
      share(i64(f[3]), tid, n, lo, hi);
      return quantizeI8Rows(ptr<int8_t>(f[0]), ptr<float>(f[1]), i64(f[5]), ptr<float>(f[2]), i64(f[4]), lo, hi);
    case kLmHeadI8:  // out, table, scales, V, rowBytes, xq, xScales, T
      share(i64(f[3]), tid, n, lo, hi);
      return lmHeadI8Rows(ptr<float>(f[0]), ptr<int8_t>(f[1]), ptr<float>(f[2]), i64(f[3]), i64(f[4]), ptr<int8_t>(f[5]), ptr<float>(f[6]), i64(f[7]), lo, hi);
  }
}

}  // namespace bitnet
