#include "pool.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

#include <chrono>

namespace bitnet {

Pool::Pool(int threads) : threads_(threads < 1 ? 1 : threads) {
  for (int tid = 1; tid < threads_; tid++) workers_.emplace_back([this, tid] { worker(tid); });
}

Pool::~Pool() {
  stop_.store(true, std::memory_order_release);
  start_.fetch_add(1, std::memory_order_acq_rel);
  start_.notify_all();
  for (auto& w : workers_) w.join();
}

static inline void cpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

void Pool::awaitChange(const std::atomic<uint32_t>& word, uint32_t seen) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(kSpinMicros);
  for (int i = 0;; i++) {
    if (word.load(std::memory_order_acquire) != seen) return;
    cpuRelax();
    if ((i & 255) == 255 && std::chrono::steady_clock::now() > until) break;
  }
  while (word.load(std::memory_order_acquire) == seen) word.wait(seen, std::memory_order_acquire);
}

void Pool::worker(int tid) {
  uint32_t seen = 0;
  for (;;) {
    awaitChange(start_, seen);
    seen = start_.load(std::memory_order_acquire);
    if (stop_.load(std::memory_order_acquire)) return;
    (*job_)(tid);
    barrier();
  }
}

void Pool::run(const std::function<void(int)>& job) {
  if (threads_ == 1) {
    job(0);
    return;
  }
  job_ = &job;
  start_.fetch_add(1, std::memory_order_acq_rel);
  start_.notify_all();
  job(0);
  barrier();
}

void Pool::barrier() {
  if (threads_ == 1) return;
  const uint32_t phase = phase_.load(std::memory_order_acquire);
  if (arrived_.fetch_add(1, std::memory_order_acq_rel) == static_cast<uint32_t>(threads_ - 1)) {
    arrived_.store(0, std::memory_order_relaxed);
    phase_.fetch_add(1, std::memory_order_acq_rel);
    phase_.notify_all();
    return;
  }
  awaitChange(phase_, phase);
}

}  // namespace bitnet
