// The N-API surface of the native backend (node-addon-api). Memory is handed to JavaScript as external
// ArrayBuffers (64-byte aligned, zeroed, freed when collected); kernels receive raw addresses inside recorded
// programs (program.h). Nothing here keeps JavaScript objects alive: the TypeScript side holds every buffer a
// pending program refers to until it has run.
#include <napi.h>

#include <cstdlib>
#if defined(__linux__)
#include <sys/mman.h>
#endif
#include <cstring>
#include <stdexcept>
#include <unordered_map>
#include <vector>

#include "kernels.h"
#include "program.h"

using namespace bitnet;

static Napi::Value Features(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Array list = Napi::Array::New(env);
  uint32_t i = 0;
#if defined(__x86_64__)
  list.Set(i++, "x86_64");
#elif defined(__aarch64__)
  list.Set(i++, "arm64");
#endif
  list.Set(i++, useAvx2() ? "avx2" : useNeon() ? "neon" : "scalar");
  if (useAvxVnni() || useAvx512Vnni()) list.Set(i++, std::string("ternary:") + ternaryIsa());
  return list;
}

static Napi::Value SetForceScalar(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), setForceScalar(info[0].As<Napi::Boolean>().Value()));
}

// Each allocation's owner record: freed either by free() (at once) or by the ArrayBuffer's finalizer (when
// collected), whichever comes first. Touched only on the JavaScript thread (calls and finalizers).
struct Block {
  void* data;
  bool freed;
  size_t mapped;  // > 0: a mapping of this many bytes of our own (allocateBlock), else from aligned_alloc
};

static void releaseBlock(void* data, size_t mapped) {
#if defined(__linux__)
  if (mapped > 0) {
    munmap(data, mapped);
    return;
  }
#endif
  std::free(data);
}
static std::unordered_map<void*, Block*> liveBlocks;

// Large blocks (weights, the lm_head table, KV caches) are mappings of their own, on a 2 MiB boundary, and ask Linux
// for transparent huge pages over their whole 2 MiB pages (the tail stays in 4 KiB pages, so a block never holds
// more than it uses): streaming a 656 MB F16 table with two threads went from 12.5–14 to 15.5–17.7 GB/s (fewer TLB
// misses) on the development machine, whose THP mode is "madvise". Their own mappings, not aligned_alloc: 2 MiB
// alignment inside malloc's heap stranded freed load-time buffers between weight blocks (+69 MB resident at 2B-4T).
// Fresh mappings read as zero. BITNET_HUGE_PAGES=off keeps 4 KiB pages (for measurements).
constexpr size_t kHugePage = size_t{2} << 20;

static bool hugePagesWanted() {
  static const bool wanted = [] {
    const char* v = std::getenv("BITNET_HUGE_PAGES");
    return v == nullptr || std::strcmp(v, "off") != 0;
  }();
  return wanted;
}

// A zero-filled block of `rounded` bytes; `mapped` says how to give it back (releaseBlock).
static void* allocateBlock(size_t rounded, size_t& mapped) {
  mapped = 0;
#if defined(__linux__)
  if (rounded >= kHugePage && hugePagesWanted()) {
    const size_t size = (rounded + kHugePage - 1) / kHugePage * kHugePage;
    void* raw = mmap(nullptr, size + kHugePage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) return nullptr;
    const uintptr_t start = (reinterpret_cast<uintptr_t>(raw) + kHugePage - 1) & ~(kHugePage - 1);
    const size_t head = start - reinterpret_cast<uintptr_t>(raw);
    if (head > 0) munmap(raw, head);
    if (kHugePage - head > 0) munmap(reinterpret_cast<void*>(start + size), kHugePage - head);
    madvise(reinterpret_cast<void*>(start), rounded / kHugePage * kHugePage, MADV_HUGEPAGE);  // advice: failure is harmless
    mapped = size;
    return reinterpret_cast<void*>(start);
  }
#endif
  void* p = std::aligned_alloc(64, rounded);
  if (p != nullptr) std::memset(p, 0, rounded);
  return p;
}

static Napi::Value Alloc(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const double want = info[0].As<Napi::Number>().DoubleValue();
  if (!(want >= 0) || want > 9007199254740991.0) throw Napi::RangeError::New(env, "alloc: bad byte count");
  const size_t bytes = static_cast<size_t>(want);
  const size_t rounded = (bytes + 63) / 64 * 64;
  if (rounded == 0) return Napi::ArrayBuffer::New(env, 0);
  size_t mapped = 0;
  void* p = allocateBlock(rounded, mapped);
  if (p == nullptr) throw Napi::Error::New(env, "alloc: out of memory (" + std::to_string(bytes) + " bytes)");
  Block* block = new Block{p, false, mapped};
  liveBlocks[p] = block;
  return Napi::ArrayBuffer::New(
      env, p, bytes,
      [](Napi::Env, void* data, Block* b) {
        if (!b->freed) {
          releaseBlock(data, b->mapped);
          liveBlocks.erase(data);
        }
        delete b;
      },
      block);
}

// free(arrayBuffer): returns a buffer from alloc() now instead of when the collector gets to it. The ArrayBuffer
// is detached first, so its views read as empty and nothing in JavaScript can reach the freed memory.
static Napi::Value Free(const Napi::CallbackInfo& info) {
  Napi::ArrayBuffer b = info[0].As<Napi::ArrayBuffer>();
  if (b.IsDetached()) return info.Env().Undefined();
  void* data = b.Data();
  b.Detach();
  auto it = liveBlocks.find(data);
  if (it != liveBlocks.end()) {
    it->second->freed = true;
    releaseBlock(data, it->second->mapped);
    liveBlocks.erase(it);
  }
  return info.Env().Undefined();
}

static Napi::Value Address(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info[0].IsArrayBuffer()) return Napi::Number::New(env, static_cast<double>(reinterpret_cast<uintptr_t>(info[0].As<Napi::ArrayBuffer>().Data())));
  if (info[0].IsTypedArray()) {
    Napi::TypedArray a = info[0].As<Napi::TypedArray>();
    const uintptr_t base = reinterpret_cast<uintptr_t>(a.ArrayBuffer().Data()) + a.ByteOffset();
    return Napi::Number::New(env, static_cast<double>(base));
  }
  throw Napi::TypeError::New(env, "address: expected an ArrayBuffer or a typed array");
}

static inline uintptr_t addressArg(const Napi::CallbackInfo& info, size_t i) { return static_cast<uintptr_t>(info[i].As<Napi::Number>().DoubleValue()); }
static inline int64_t intArg(const Napi::CallbackInfo& info, size_t i) { return info[i].As<Napi::Number>().Int64Value(); }

// packTernary(dstAddress, rowsLayout: Uint8Array, rows, cols)
static Napi::Value PackTernary(const Napi::CallbackInfo& info) {
  Napi::Uint8Array src = info[1].As<Napi::Uint8Array>();
  const int64_t rows = intArg(info, 2), cols = intArg(info, 3);
  if (static_cast<int64_t>(src.ByteLength()) < rows * ((cols + 3) / 4)) throw Napi::RangeError::New(info.Env(), "packTernary: source too short");
  packTernary(reinterpret_cast<uint8_t*>(addressArg(info, 0)), src.Data(), rows, cols, 0, ternaryGroups(rows) * 4);
  return info.Env().Undefined();
}

// quantizeTable(tableAddress, storage, rows, cols, qAddress, scalesAddress, rowBytes): the lossy int8 lm_head copy.
static Napi::Value QuantizeTable(const Napi::CallbackInfo& info) {
  const void* table = reinterpret_cast<const void*>(addressArg(info, 0));
  const int storage = static_cast<int>(intArg(info, 1));
  const int64_t rows = intArg(info, 2), cols = intArg(info, 3), rowBytes = intArg(info, 6);
  int8_t* q = reinterpret_cast<int8_t*>(addressArg(info, 4));
  float* scales = reinterpret_cast<float*>(addressArg(info, 5));
  std::vector<float> row(cols);
  for (int64_t r = 0; r < rows; r++) {
    tableRow(row.data(), table, storage, cols, r, nullptr, 0);
    quantizeI8Rows(q + r * rowBytes, scales + r, rowBytes, row.data(), cols, 0, 1);
  }
  return info.Env().Undefined();
}

static Napi::Value CreateRunner(const Napi::CallbackInfo& info) {
  const int threads = static_cast<int>(intArg(info, 0));
  return Napi::External<Runner>::New(info.Env(), new Runner(threads), [](Napi::Env, Runner* r) { delete r; });
}

// run(runner, program: Float64Array, words)
static Napi::Value Run(const Napi::CallbackInfo& info) {
  Runner* runner = info[0].As<Napi::External<Runner>>().Data();
  Napi::Float64Array program = info[1].As<Napi::Float64Array>();
  const int64_t words = intArg(info, 2);
  if (words < 0 || words > static_cast<int64_t>(program.ElementLength())) throw Napi::RangeError::New(info.Env(), "run: bad word count");
  try {
    runner->run(program.Data(), words);
  } catch (const std::invalid_argument& e) {
    throw Napi::Error::New(info.Env(), e.what());
  }
  return info.Env().Undefined();
}

static Napi::Value DestroyRunner(const Napi::CallbackInfo& info) {
  info[0].As<Napi::External<Runner>>().Data()->shutdown();
  return info.Env().Undefined();
}

// setProfiling(runner, on): starts (clearing) or stops the per-op timing of program.h.
static Napi::Value SetProfiling(const Napi::CallbackInfo& info) {
  info[0].As<Napi::External<Runner>>().Data()->setProfiling(info[1].As<Napi::Boolean>().Value());
  return info.Env().Undefined();
}

// profile(runner) → { runs, wallNs, ops: [{ op, records, workNs, barrierNs }] } for the ops that ran.
static Napi::Value Profile(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Runner::Profile& p = info[0].As<Napi::External<Runner>>().Data()->profile();
  Napi::Object out = Napi::Object::New(env);
  out.Set("runs", Napi::Number::New(env, static_cast<double>(p.runs)));
  out.Set("wallNs", Napi::Number::New(env, static_cast<double>(p.wallNs)));
  Napi::Array ops = Napi::Array::New(env);
  uint32_t n = 0;
  for (int op = 1; op < kOpCount; op++) {
    if (p.ops[op].records == 0) continue;
    Napi::Object o = Napi::Object::New(env);
    o.Set("op", Napi::Number::New(env, op));
    o.Set("records", Napi::Number::New(env, static_cast<double>(p.ops[op].records)));
    o.Set("workNs", Napi::Number::New(env, static_cast<double>(p.ops[op].workNs)));
    o.Set("barrierNs", Napi::Number::New(env, static_cast<double>(p.ops[op].barrierNs)));
    ops.Set(n++, o);
  }
  out.Set("ops", ops);
  return out;
}

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("features", Napi::Function::New(env, Features));
  exports.Set("setForceScalar", Napi::Function::New(env, SetForceScalar));
  exports.Set("alloc", Napi::Function::New(env, Alloc));
  exports.Set("address", Napi::Function::New(env, Address));
  exports.Set("free", Napi::Function::New(env, Free));
  exports.Set("packTernary", Napi::Function::New(env, PackTernary));
  exports.Set("quantizeTable", Napi::Function::New(env, QuantizeTable));
  exports.Set("createRunner", Napi::Function::New(env, CreateRunner));
  exports.Set("run", Napi::Function::New(env, Run));
  exports.Set("destroyRunner", Napi::Function::New(env, DestroyRunner));
  exports.Set("setProfiling", Napi::Function::New(env, SetProfiling));
  exports.Set("profile", Napi::Function::New(env, Profile));
  return exports;
}

NODE_API_MODULE(bitnet_native, Init)
