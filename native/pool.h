// A persistent pool of native threads. The caller of run() is thread 0; the others wait for work with a bounded
// spin (fast hand-offs between the ops of a token) and then sleep on a futex (std::atomic::wait), so an idle pool
// or one that shares its cores with another process costs nothing after the bound.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <thread>
#include <vector>

namespace bitnet {

class Pool {
 public:
  explicit Pool(int threads);
  ~Pool();
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  int threads() const { return threads_; }
  // Runs job(tid) on every thread and returns when all have finished. Not reentrant.
  void run(const std::function<void(int)>& job);
  // All threads of the running job meet here.
  void barrier();

  // Spin bound before sleeping, in microseconds (tunable for measurements).
  static constexpr int kSpinMicros = 200;

 private:
  void worker(int tid);
  // Waits until `word` differs from `seen`: a bounded spin, then a futex sleep.
  static void awaitChange(const std::atomic<uint32_t>& word, uint32_t seen);

  const int threads_;
  std::vector<std::thread> workers_;
  const std::function<void(int)>* job_ = nullptr;
  std::atomic<uint32_t> start_{0};
  std::atomic<bool> stop_{false};
  std::atomic<uint32_t> arrived_{0};
  std::atomic<uint32_t> phase_{0};
};

}  // namespace bitnet
