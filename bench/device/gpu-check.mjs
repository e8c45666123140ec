#!/usr/bin/env node
/**
 * A GPU backend (--backend webgpu | cuda) on a machine with a real GPU, in one go (docs/backends.md; the GPU
 * machine has no vitest, so the checks are plain code against the same independent data the test suite uses):
 *  1. exactness: per-token and Q8_K int8 activations and the integer ternary sums equal the reference backend's
 *     on random inputs with .5 ties and ragged shapes;
 *  2. the shipped model's golden checks (test/helpers/float32-golden.ts): logits, greedy ids, held-out perplexity;
 *  3. host cost per dispatch, and one 2B-4T-sized decode product's GPU time; attention alone at the 2B-4T heads;
 *  4. `bitnet synth` 2B-4T TQ2_0 (in the background from the start), then prefill (128 tokens) / decode (64) tokens/s for the backend and wasm through
 *     bench/engine-bitnet.mjs, greedy ids compared (cuda also with CUDA graphs off, and with fusion and the GEMM off);
 *  5. with --hf: HF transformers' BitNetForCausalLM (bf16, random weights of the same shape) as the baseline
 *     (bench/device/hf-baseline.py), in the same run;
 *  and for cuda, before 4: the NVRTC disk cache across two processes (compiled, then a hit).
 * Phases 1–3 run in a child process with a time limit, so that a crash or hang there leaves 4 and 5 to run.
 * Usage: node bench/device/gpu-check.mjs --backend webgpu|cuda [--shape 2b4t] [--prompt 128] [--hf] [--no-wasm] [--out DIR]. Prints a table
 * last; writes DIR/gpu-check-BACKEND.json.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const arg = (name, fallback) => (process.argv.includes(`--${name}`) ? process.argv[process.argv.indexOf(`--${name}`) + 1] : fallback);
const SHAPE = arg('shape', '2b4t');
const BACKEND = arg('backend', 'webgpu');
const OUT = arg('out', '/tmp');
mkdirSync(OUT, { recursive: true });
const results = { shape: SHAPE, backend: BACKEND, phases: {} };
/** Set in the child that runs the phases using the backend in its own process (selection … attention). */
const IN_PROCESS_CHILD = process.argv.includes('--in-process-phases');
const resultFile = `${OUT}/gpu-check-${BACKEND}${IN_PROCESS_CHILD ? '-in-process' : ''}.json`;
const save = () => writeFileSync(resultFile, JSON.stringify(results, null, 1));
const log = (s) => process.stderr.write(`${s}\n`);
async function phase(name, f) {
  const t = performance.now();
  try {
    results.phases[name] = { ok: true, ...(await f()) };
  } catch (err) {
    results.phases[name] = { ok: false, error: String(err?.stack ?? err) };
  }
  results.phases[name].seconds = (performance.now() - t) / 1000;
  log(`${name}: ${JSON.stringify(results.phases[name]).slice(0, 600)}`);
  save();
}

const dist = (p) => import(new URL(`../../dist/${p}`, import.meta.url).href);
const { createBackend } = await dist('backends/registry.js');
const { packTernaryRows } = await dist('formats/ternary-rows.js');
const { InferenceEngine } = await dist('engine/engine.js');

function rng(seed) {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

// The phases that use the backend in this process (selection … attention) run in a child of their own with a time
// limit: a crash or a hang there (a driver fault, a kernel that never ends) must not cost the benchmarks and the HF
// baseline after them, which are what a session on a device is for. The child saves each phase as it ends.
/** A phase of the in-process child; the parent skips it. */
const inProcessPhase = (name, f) => (IN_PROCESS_CHILD ? phase(name, f) : undefined);
// `bitnet synth` of the benchmark model is CPU work (~45 s for 2B-4T): it runs in the background while the in-process
// phases use the GPU, since device time is what a session has least of. Written under another name and renamed, so
// that a run cut short leaves no partial file that the next run would take for the model.
const model = `/tmp/synth-${SHAPE}-tq2_0-s1.gguf`;
const synthExit =
  IN_PROCESS_CHILD || existsSync(model)
    ? Promise.resolve(0)
    : new Promise((resolve) => {
        const child = spawn(process.execPath, [`${ROOT}dist/cli/main.js`, 'synth', '--shape', SHAPE, '--type', 'tq2_0', '--seed', '1', '-o', `${model}.part`], { stdio: ['ignore', 'ignore', 'inherit'] });
        child.on('error', () => resolve(-1));
        child.on('exit', (code) => resolve(code));
      });
if (!IN_PROCESS_CHILD) {
  const childFile = `${OUT}/gpu-check-${BACKEND}-in-process.json`;
  rmSync(childFile, { force: true });
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), ...process.argv.slice(2), '--in-process-phases'], { stdio: ['ignore', 'inherit', 'inherit'], timeout: 300_000 });
  const done = existsSync(childFile) ? JSON.parse(readFileSync(childFile, 'utf8')).phases : {};
  Object.assign(results.phases, done);
  if (r.status !== 0) {
    const how = r.error !== undefined ? r.error.message : `exited with ${r.signal ?? `status ${r.status}`}`;
    results.phases['in-process'] = { ok: false, error: `the child running the in-process phases ${how} after: ${Object.keys(done).join(', ') || 'none'}` };
  }
  save();
}

await inProcessPhase('selection', async () => {
  const auto = await createBackend('auto');
  const info = auto.info();
  auto.dispose();
  return { autoPicks: info.name, info };
});

await inProcessPhase('exactness', async () => {
  const gpu = await createBackend(BACKEND);
  const ref = await createBackend('reference');
  const r = rng(3);
  const report = {};
  for (const [scheme, K] of [['per-token', 1000], ['q8k', 1024]]) {
    const [N, T] = [515, 5];
    const t = Int8Array.from({ length: N * K }, () => Math.floor(r() * 3) - 1);
    // Powers of two times small integers: many products land exactly on .5 after scaling.
    const x = Float32Array.from({ length: T * K }, (_, i) => (i % 97 === 0 ? 127 : Math.round(r() * 508 - 254) / 2) * 2 ** (Math.floor(r() * 3) - 1));
    const outs = [];
    for (const b of [gpu, ref]) {
      const w = b.uploadTernary({ rows: N, cols: K, packed: packTernaryRows(t, N, K), scale: 1, storage: 'hf-packed' });
      const xb = b.allocate(T, K);
      b.write(xb, x);
      const xq = b.allocateQuantized(T, K, scheme);
      b.ops.quantizeActivations({ out: xq, x: xb });
      const y = b.allocate(T, N);
      b.ops.ternaryMatmul({ out: y, w, x: xq });
      outs.push({ q: await b.readQuantized(xq), y: await b.read(y) });
    }
    const qDiff = outs[0].q.q.reduce((n, v, i) => n + (v !== outs[1].q.q[i] ? 1 : 0), 0);
    let yRel = 0;
    for (let i = 0; i < outs[0].y.length; i++) yRel = Math.max(yRel, Math.abs(outs[0].y[i] - outs[1].y[i]) / Math.max(1e-30, Math.abs(outs[1].y[i])));
    report[scheme] = { int8Mismatches: qDiff, of: outs[0].q.q.length, maxRelativeOutputDiff: yRel };
    if (qDiff !== 0) throw new Error(`${scheme}: ${qDiff} int8 activations differ from the reference`);
  }
  gpu.dispose();
  ref.dispose();
  return report;
});

await inProcessPhase('golden', async () => {
  const G = `${ROOT}golden/tiny-bitnet/`;
  const golden = JSON.parse(readFileSync(`${G}golden.json`, 'utf8'));
  const engine = await InferenceEngine.load(`${ROOT}models/tiny-bitnet`, { backend: BACKEND });
  const prompts = [];
  for (const p of golden.prompts) {
    const want = new Float64Array(readFileSync(`${G}${p.logits_file}`).buffer.slice(0));
    const V = p.logits_shape[1];
    const got = await engine.logits({ tokenIds: p.input_ids });
    const perPosition = [];
    for (let t = 0; t < p.logits_shape[0]; t++) {
      let m = 0;
      for (let v = 0; v < V; v++) m = Math.max(m, Math.abs(got.data[t * V + v] - want[t * V + v]));
      perPosition.push(m);
    }
    const r = await engine.generate({ tokenIds: p.input_ids }, { greedy: true, maxTokens: p.greedy_ids.length, ignoreEos: true });
    const nearTie = p.greedy_top2_margins.findIndex((m) => m < 0.05);
    const until = nearTie < 0 ? p.greedy_ids.length : nearTie;
    const ok = perPosition[0] <= 1e-4 && perPosition.every((d) => d <= 0.3) && perPosition.filter((d) => d <= 1e-3).length >= perPosition.length / 2 && r.tokenIds.slice(0, until).every((id, i) => id === p.greedy_ids[i]);
    prompts.push({ index: p.index, ok, position0: perPosition[0], max: Math.max(...perPosition) });
  }
  const tp = golden.text_perplexity;
  const ppl = await engine.perplexity(readFileSync(`${G}${tp.file}`, 'utf8'));
  const relative = Math.abs(ppl.perplexity / tp.ppl - 1);
  const t = performance.now();
  const gen = await engine.generate('Call me Ishmael.', { greedy: true, maxTokens: 64, ignoreEos: true });
  const decodeMs = performance.now() - t;
  engine.close();
  const ok = prompts.every((p) => p.ok) && ppl.tokens === tp.scored_tokens && relative < 1e-3;
  if (!ok) throw new Error(`golden checks failed: ${JSON.stringify({ prompts, relative })}`);
  return { prompts, perplexity: ppl.perplexity, oracle: tp.ppl, relative, tinyModel: { generated: gen.usage.generatedTokens, decodeTokensPerSecond: gen.usage.decodeTokensPerSecond, wallMs: decodeMs } };
});

await inProcessPhase('dispatch', async () => {
  const b = await createBackend(BACKEND);
  const a = b.allocate(1, 64);
  b.write(a, new Float32Array(64).fill(1));
  const o = b.allocate(1, 64);
  for (let i = 0; i < 300; i++) b.ops.add({ out: o, a, b: a });
  await b.read(o);
  let t = performance.now();
  for (let i = 0; i < 3000; i++) b.ops.add({ out: o, a, b: a });
  const host = (performance.now() - t) / 3000;
  await b.read(o);
  const withGpu = (performance.now() - t) / 3000;
  // One decode product of the 2B-4T FFN (6912 × 2560), many times between reads: GPU time per dispatch.
  const [N, K] = [6912, 2560];
  const r = rng(5);
  const w = b.uploadTernary({ rows: N, cols: K, packed: packTernaryRows(Int8Array.from({ length: N * K }, () => Math.floor(r() * 3) - 1), N, K), scale: 1, storage: 'hf-packed' });
  /** µs per product of T tokens through w, `times` products between two reads (after one untimed product). */
  const productUs = async (T, times) => {
    const x = b.allocate(T, K);
    b.write(x, Float32Array.from({ length: T * K }, () => r() - 0.5));
    const xq = b.allocateQuantized(T, K);
    b.ops.quantizeActivations({ out: xq, x });
    const y = b.allocate(T, N);
    b.ops.ternaryMatmul({ out: y, w, x: xq });
    await b.read(y);
    const t0 = performance.now();
    for (let i = 0; i < times; i++) b.ops.ternaryMatmul({ out: y, w, x: xq });
    await b.read(y);
    return ((performance.now() - t0) / times) * 1000;
  };
  const gemvUs = await productUs(1, 500);
  // The same product for a 512-token prefill call (the tensor-core GEMM where the backend has one): tera-MACs/s.
  const T = 512;
  const gemmUs = await productUs(T, 50);
  b.dispose();
  return { hostUsPerDispatch: host * 1000, usPerDispatchWithGpu: withGpu * 1000, decodeGemv6912x2560Us: gemvUs, packedWeightGBps: (N * K) / 4 / gemvUs / 1e3, prefillGemm512x6912x2560Us: gemmUs, prefillGemmTeraMacs: (T * N * K) / gemmUs / 1e6 };
});

// Attention alone at the 2B-4T shape (20 query heads over 5 kv heads, head dimension 128): one 512-token prefill
// call, and one decode step at 512 and at 4,096 cached positions, in µs per call (repeated between reads). Each
// output is also checked against a float64 softmax attention computed here: the golden prompts stay under 128
// positions, so this is where a device first runs the kernel's spans of keys and their combine (cuda).
/** Causal GQA attention of query rows `q` (T × H·D) at positions startPos.., over key/value rows 0..startPos + T − 1. */
function naiveAttention(q, keys, values, T, startPos, H, Hkv, D) {
  const kvDim = Hkv * D;
  const out = new Float64Array(T * H * D);
  const scale = new Float64Array(T * H * D); // Σ α |v|: what a float32 error is relative to (spec/tolerances.ts)
  for (let t = 0; t < T; t++) {
    const n = startPos + t + 1;
    for (let h = 0; h < H; h++) {
      const g = Math.floor(h / (H / Hkv));
      const scores = new Float64Array(n);
      let max = -Infinity;
      for (let j = 0; j < n; j++) {
        let dot = 0;
        for (let d = 0; d < D; d++) dot += q[(t * H + h) * D + d] * keys[j * kvDim + g * D + d];
        scores[j] = dot / Math.sqrt(D);
        max = Math.max(max, scores[j]);
      }
      let sum = 0;
      for (let j = 0; j < n; j++) sum += (scores[j] = Math.exp(scores[j] - max));
      for (let j = 0; j < n; j++) {
        const alpha = scores[j] / sum;
        for (let d = 0; d < D; d++) {
          const v = values[j * kvDim + g * D + d];
          out[(t * H + h) * D + d] += alpha * v;
          scale[(t * H + h) * D + d] += alpha * Math.abs(v);
        }
      }
    }
  }
  return { out, scale };
}

await inProcessPhase('attention', async () => {
  const b = await createBackend(BACKEND);
  const [H, Hkv, D, ctx] = [20, 5, 128, 4096];
  const kvDim = Hkv * D;
  const r = rng(9);
  const filled = (rows, cols) => {
    const data = Float32Array.from({ length: rows * cols }, () => r() - 0.5);
    const x = b.allocate(rows, cols);
    b.write(x, data);
    return { x, data };
  };
  const cache = b.allocateKvCache(1, ctx + 1, kvDim);
  const rows = (T) => {
    const [q, k, v] = [filled(T, H * D), filled(T, kvDim), filled(T, kvDim)];
    return { args: { q: q.x, k: k.x, v: v.x, out: b.allocate(T, H * D) }, q: q.data, k: k.data, v: v.data };
  };
  const [prefill, step] = [rows(512), rows(1)];
  const call = (x, startPos) => b.ops.attention({ ...x.args, cache, layer: 0, startPos, numHeads: H, numKvHeads: Hkv, headDim: D });
  const usPerCall = async (x, startPos, n) => {
    call(x, startPos);
    await b.read(x.args.out);
    const t = performance.now();
    for (let i = 0; i < n; i++) call(x, startPos);
    await b.read(x.args.out);
    return ((performance.now() - t) / n) * 1000;
  };
  // The cache: positions p hold prefill's rows p mod 512 (every fill is the same 512 rows), and the decode step's
  // row at its own position.
  const cached = (n, extra) => {
    const out = new Float32Array((n + 1) * kvDim);
    for (let p = 0; p < n; p++) out.set(extra.rows.subarray((p % 512) * kvDim, (p % 512 + 1) * kvDim), p * kvDim);
    out.set(extra.last, n * kvDim);
    return out;
  };
  let worst = 0;
  const check = async (x, T, startPos, keys, values, what) => {
    const got = await b.read(x.args.out);
    const want = naiveAttention(x.q, keys, values, T, startPos, H, Hkv, D);
    const n = startPos + T;
    const rel = (2 * (D + 1) + 2 * n + 12) * 2 ** -24; // spec/tolerances.ts's float32 attention bound
    for (let i = 0; i < got.length; i++) {
      const err = Math.abs(got[i] - want.out[i]) / Math.max(want.scale[i], 1e-30);
      worst = Math.max(worst, err / rel);
      if (err > rel) throw new Error(`attention ${what}: output ${i} is ${got[i]}, the float64 softmax attention ${want.out[i]}`);
    }
  };
  const prefill512Us = await usPerCall(prefill, 0, 20);
  await check(prefill, 512, 0, prefill.k, prefill.v, 'prefill of 512 tokens');
  const decodeAt512Us = await usPerCall(step, 512, 200);
  await check(step, 1, 512, cached(512, { rows: prefill.k, last: step.k }), cached(512, { rows: prefill.v, last: step.v }), 'decode at 512');
  for (let p = 512; p < ctx; p += 512) call(prefill, p);
  const decodeAt4096Us = await usPerCall(step, ctx, 200);
  await check(step, 1, ctx, cached(ctx, { rows: prefill.k, last: step.k }), cached(ctx, { rows: prefill.v, last: step.v }), 'decode at 4096');
  b.dispose();
  return { prefill512Us, decodeAt512Us, decodeAt4096Us, worstErrorOfBound: worst };
});

if (IN_PROCESS_CHILD) process.exit(0);

// CUDA: the NVRTC disk cache across processes (src/backends/cuda/kernel-cache.ts) — a fresh cache directory, two
// processes: the first compiles and stores, the second loads the stored cubin; each says so in its features.
if (BACKEND === 'cuda') {
  await phase('kernel-cache', async () => {
    const dir = `${OUT}/bitnet-kernel-cache-${process.pid}`;
    const script = `const t = performance.now(); const { createBackend } = await import(${JSON.stringify(`${ROOT}dist/index.js`)});
      const b = await createBackend('cuda'); const f = b.info().features.find((x) => x.startsWith('kernels: '));
      console.log(JSON.stringify({ kernels: f, seconds: (performance.now() - t) / 1000 })); b.dispose();`;
    const runs = [0, 1].map(() => {
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, BITNET_CACHE_DIR: dir }, timeout: 120_000 });
      if (r.status !== 0) throw new Error(`kernel-cache child exited ${r.status}: ${r.stderr.slice(-400)}`);
      return JSON.parse(r.stdout.trim().split('\n').pop());
    });
    if (runs[0].kernels !== 'kernels: compiled' || runs[1].kernels !== 'kernels: hit') throw new Error(`expected compiled then hit, got ${JSON.stringify(runs)}`);
    return { first: runs[0], second: runs[1] };
  });
}

await phase('synth', async () => {
  const code = await synthExit;
  if (code !== 0) throw new Error(`bitnet synth exited ${code}`);
  if (!existsSync(model)) renameSync(`${model}.part`, model);
  return { model };
});

const PROMPT = Number(arg('prompt', '128'));
const promptIds = Array.from({ length: PROMPT }, (_, i) => 1 + ((i * 7919) % (SHAPE === 'tiny' ? 500 : 30000)));
// For cuda, the same engine again with CUDA graphs off (on by default since measured here), and with fusion and the
// tensor-core GEMM off (one launch per op, prefill on the warp-per-row product): what each buys on this device, and
// the same greedy ids as they promise. Each runs in a process of its own, so a crash in one leaves the others.
const variants = [
  { label: BACKEND, backend: BACKEND, env: {} },
  ...(BACKEND === 'cuda' ? [{ label: 'cuda-no-graphs', backend: 'cuda', env: { BITNET_CUDA_GRAPHS: 'off' } }] : []),
  ...(BACKEND === 'cuda' ? [{ label: 'cuda-plain', backend: 'cuda', env: { BITNET_CUDA_FUSION: 'off', BITNET_CUDA_TENSOR_CORES: 'off' } }] : []),
  ...(process.argv.includes('--no-wasm') ? [] : [{ label: 'wasm', backend: 'wasm', env: {} }]),
];
for (const { label, backend, env } of variants) {
  await phase(`bench-${label}`, async () => {
    const args = { model, backend, promptIds, decodeTokens: 64, runs: 3 };
    const r = spawnSync(process.execPath, [`${ROOT}bench/engine-bitnet.mjs`, JSON.stringify(args)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 240_000, env: { ...process.env, ...env } });
    if (r.status !== 0) throw new Error(`engine-bitnet exited ${r.status} ${r.signal ?? ''}`);
    const out = JSON.parse(r.stdout.trim().split('\n').pop());
    const counted = out.runs.slice(1);
    const median = (k) => counted.map((x) => x[k]).sort((a, b) => a - b)[counted.length >> 1];
    return { backend: out.backend, loadSeconds: out.loadSeconds, prefill: median('prefillTokensPerSecond'), decode: median('decodeTokensPerSecond'), runs: out.runs, firstIds: out.runs[0].firstIds, peakRssBytes: out.peakRssBytes };
  });
}
const [g, c, plain, graphs] = [results.phases[`bench-${BACKEND}`], results.phases['bench-wasm'], results.phases['bench-cuda-plain'], results.phases['bench-cuda-no-graphs']];
if (g?.ok && c?.ok) results.sameGreedyIds = JSON.stringify(g.firstIds) === JSON.stringify(c.firstIds);
if (g?.ok && plain?.ok) results.sameGreedyIdsFusedVsPlain = JSON.stringify(g.firstIds) === JSON.stringify(plain.firstIds);
if (g?.ok && graphs?.ok) results.sameGreedyIdsGraphs = JSON.stringify(g.firstIds) === JSON.stringify(graphs.firstIds);
save();

if (process.argv.includes('--hf')) {
  await phase('hf-baseline', async () => {
    const r = spawnSync('python3', [`${ROOT}bench/device/hf-baseline.py`, SHAPE], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 300_000 });
    if (r.status !== 0) throw new Error(`hf-baseline.py exited ${r.status} ${r.signal ?? ''}`);
    return JSON.parse(r.stdout.trim().split('\n').pop());
  });
}

const P = results.phases;
const line = (k, v) => console.log(`${k.padEnd(34)} ${v}`);
console.log(`\n${BACKEND} check (auto picks ${P.selection?.autoPicks}: ${(P.selection?.info?.features ?? []).join(', ')})`);
for (const [name, p] of Object.entries(P)) line(name, p.ok ? 'ok' : `FAILED ${p.error.split('\n')[0]}`);
if (P.golden?.ok) line('tiny model perplexity', `${P.golden.perplexity.toFixed(6)} (oracle ${P.golden.oracle.toFixed(6)}, rel ${P.golden.relative.toExponential(2)}); decode ${P.golden.tinyModel.decodeTokensPerSecond.toFixed(1)} tok/s`);
if (P['kernel-cache']?.ok) line('NVRTC disk cache', `first process ${P['kernel-cache'].first.seconds.toFixed(2)} s (compiled), second ${P['kernel-cache'].second.seconds.toFixed(2)} s (hit)`);
if (P.dispatch?.ok) line('dispatch host cost', `${P.dispatch.hostUsPerDispatch.toFixed(1)} us; 6912x2560 GEMV ${P.dispatch.decodeGemv6912x2560Us.toFixed(1)} us (${P.dispatch.packedWeightGBps.toFixed(0)} GB/s packed); 512-token GEMM ${P.dispatch.prefillGemm512x6912x2560Us.toFixed(0)} us (${P.dispatch.prefillGemmTeraMacs.toFixed(1)} T MAC/s)`);
if (P.attention?.ok) line('attention (2B-4T heads)', `prefill 512 tokens ${P.attention.prefill512Us.toFixed(0)} us; decode at 512 ${P.attention.decodeAt512Us.toFixed(1)} us, at 4096 ${P.attention.decodeAt4096Us.toFixed(1)} us; worst error ${P.attention.worstErrorOfBound.toFixed(3)} of the float32 bound`);
for (const { label } of variants) {
  const p = P[`bench-${label}`];
  if (p?.ok) line(`${SHAPE} ${label}`, `prefill ${p.prefill.toFixed(1)} tok/s (${PROMPT} tokens), decode ${p.decode.toFixed(2)} tok/s, load ${p.loadSeconds.toFixed(1)} s (${p.backend.threads} threads; ${p.backend.features.filter((f) => /launches|GEMM|graphs/.test(f)).join(', ')})`);
}
if (c !== undefined) line(`same greedy ids (${BACKEND}, wasm)`, String(results.sameGreedyIds));
if (plain !== undefined) line('same greedy ids (cuda, cuda-plain)', String(results.sameGreedyIdsFusedVsPlain));
if (graphs !== undefined) line('same greedy ids (cuda, cuda-no-graphs)', String(results.sameGreedyIdsGraphs));
const hf = P['hf-baseline'];
if (hf?.ok) {
  line('HF transformers bf16', `prefill ${hf.prefillTokensPerSecond.toFixed(0)} tok/s (${hf.prefillTokens} tokens), decode ${hf.decodeTokensPerSecond.toFixed(2)} tok/s`);
  for (const [label, p] of [[BACKEND, g], ['cuda-no-graphs', graphs]]) {
    if (p?.ok) line(`${label} / HF`, `prefill ${(p.prefill / hf.prefillTokensPerSecond).toFixed(2)}x (at ${PROMPT} vs ${hf.prefillTokens} tokens), decode ${(p.decode / hf.decodeTokensPerSecond).toFixed(2)}x`);
  }
}
process.exit(0);
