// A token's worth of ops recorded by the TypeScript side (src/backends/native/program.ts) and run in one call:
// every thread walks the same records, does its share of each, and meets the others only where a record is
// marked as depending on an earlier one.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "pool.h"

namespace bitnet {

// Record layout: [op, words, barrier, fields...] as float64 (pointers are below 2^53, so exact). The field order
// of each op is listed in program.cc and mirrored in program.ts.
enum Op : int {
  kEmbed = 1,
  kRmsnorm = 2,
  kQuantToken = 3,
  kQuantQ8k = 4,
  kTernary = 5,
  kTernaryQ8k = 6,
  kTernaryFloat = 7,
  kRope = 8,
  kKvAppend = 9,
  kAttention = 10,
  kAdd = 11,
  kReluSqMul = 12,
  kSiluMul = 13,
  kLmHead = 14,
  kQuantI8 = 15,
  kLmHeadI8 = 16,
  kOpCount = 17,
};

class Runner {
 public:
  explicit Runner(int threads) : pool_(std::make_unique<Pool>(threads)) {}
  // Runs `words` float64 words of records; throws std::invalid_argument on a malformed program or after shutdown.
  void run(const double* program, int64_t words);
  // Joins the pool's threads now rather than when the runner is collected.
  void shutdown() { pool_.reset(); }

  // Where the time goes (docs/native.md): per op, how long thread 0 spent in its share of the work and waiting at
  // the barriers in front of those records, summed over runs while profiling is on; plus calls and wall time.
  struct OpProfile {
    int64_t records = 0;
    int64_t workNs = 0;
    int64_t barrierNs = 0;
  };
  struct Profile {
    OpProfile ops[kOpCount];
    int64_t runs = 0;
    int64_t wallNs = 0;
  };
  void setProfiling(bool on) {
    profiling_ = on;
    profile_ = Profile{};
  }
  const Profile& profile() const { return profile_; }

 private:
  struct Record {
    int op;
    bool barrier;
    const double* f;
    int64_t n;  // field count
  };
  void execute(const Record& r, int tid);

  std::unique_ptr<Pool> pool_;
  bool profiling_ = false;
  Profile profile_;
  std::vector<std::vector<int32_t>> dots_;  // per thread
  std::vector<std::vector<float>> scores_;
};

}  // namespace bitnet
