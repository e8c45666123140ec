#include "pool.h"

#include <chrono>
#if defined(__linux__) || defined(__APPLE__)
#include <pthread.h>
#endif

namespace bitnet {

// The pool's threads carry a name, so that `top -H`, a debugger or /proc/PID/task/*/comm tell them from Node's own
// (V8's and libuv's threads come and go on their own schedule; the tests count ours by name). On Linux the name is
// set here, before the constructor returns, so that nobody sees a pool thread unnamed.
static constexpr const char* kThreadName = "bitnet-native";

Pool::Pool(int threads) : threads_(threads < 1 ? 1 : threads) {
  for (int tid = 1; tid < threads_; tid++) {
    workers_.emplace_back([this, tid] { worker(tid); });
#if defined(__linux__)
    pthread_setname_np(workers_.back().native_handle(), kThreadName);
#endif
  }
}

Pool::~Pool() {
  stop_.store(true, std::memory_order_release);
  start_.fetch_add(1, std::memory_order_acq_rel);
  start_.notify_all();
  for (auto& w : workers_) w.join();
}

// The spin reads the word and nothing else: no `pause` (or arm64 `yield`). On the development machine (a VM) a
// spin with `pause` made every barrier cost ~200 µs — hypervisors trap pause loops (pause-loop exiting) and
// deschedule the spinning vCPU — and two threads ran a GEMV sequence at half the speed of one; without it, a
// barrier costs well under a microsecond and two threads reach 17 GB/s against one thread's 9. The spin is bounded,
// so a plain loop costs at most kSpinMicros of a core that would otherwise idle.
static inline void cpuRelax() { asm volatile("" ::: "memory"); }

void Pool::awaitChange(const std::atomic<uint32_t>& word, uint32_t seen) {
  // Three stages: a tight spin (a hand-off between ops of a token is usually over within it); then spinning with
  // sched_yield, which costs little when the cores are free and, when this thread shares a core with the one it
  // waits for (another process busy on the other core), hands the core over instead of burning the time slice the
  // other thread needs; then, after kSpinMicros, a futex sleep.
  for (int i = 0; i < 2000; i++) {
    if (word.load(std::memory_order_acquire) != seen) return;
    cpuRelax();
  }
  const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(kSpinMicros);
  for (;;) {
    if (word.load(std::memory_order_acquire) != seen) return;
    std::this_thread::yield();
    if (std::chrono::steady_clock::now() > until) break;
  }
  while (word.load(std::memory_order_acquire) == seen) word.wait(seen, std::memory_order_acquire);
}

void Pool::worker(int tid) {
#if defined(__APPLE__)
  pthread_setname_np(kThreadName); // macOS names only the calling thread
#endif
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
