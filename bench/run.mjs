#!/usr/bin/env node
/**
 * `npm run bench`: bitnet-ts against llama.cpp on synthetic BitNet models (docs/benchmark.md).
 *
 * 1. Installs bench/'s own dependencies (node-llama-cpp 3.21.1 and its prebuilt linux-x64 CPU binary, nothing else)
 *    with `npm ci --prefix bench --ignore-scripts --omit=optional`, unless already there.
 * 2. Generates and caches in bench/.cache/ the models, with `bitnet synth --type tq2_0 --seed 1`.
 * 3. Measures the read bandwidth (bench/bandwidth.mjs) for the decode ceiling: GGUF tensor bytes per token / bandwidth.
 * 4. Per model and engine, in a child process of its own (bench/engine-*.mjs): load, then `runs` greedy generations
 *    from the same prompt token ids; prefill and decode tokens/s (median, min, max), peak RSS (VmHWM), load time.
 * 5. Writes bench/results.json and bench/results.md, and prints the table.
 *
 * Options: --shapes 700m,2b4t  --engines llamacpp,native,native-int8,wasm,wasm-int8,reference  --runs 3
 * (native-int8 / wasm-int8: that backend with the opt-in lossy int8 lm_head, docs/numerics.md; `webgpu` may be added to
 * --engines where a GPU adapter exists — on a CPU-emulated adapter its figures say nothing about GPUs)
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';

const BENCH = fileURLToPath(new URL('.', import.meta.url));
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CACHE = `${BENCH}.cache/`;
const CLI = `${ROOT}dist/cli/main.js`;
const NODE_LLAMA_CPP = '3.21.1';
const THREADS = 2;
const PROMPT_TOKENS = 128;
const DECODE_TOKENS = 64;
const CHILD_TIMEOUT_S = 600;
const env = { ...process.env, NODE_LLAMA_CPP_SKIP_DOWNLOAD: 'true' };

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}
const shapes = option('shapes', '700m,2b4t').split(',');
const engines = option('engines', 'llamacpp,native,native-int8,wasm,wasm-int8,reference').split(',');
const runs = Number(option('runs', '3'));
const log = (s) => process.stderr.write(`${s}\n`);

if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run 'npm run build' first (npm run bench does)`);
const { GgufFile } = await import(new URL('../dist/index.js', import.meta.url).href);

// ---- 1. bench dependencies ----------------------------------------------------------------------------------------

function llamaCppUnavailable() {
  if (process.platform !== 'linux' || process.arch !== 'x64') return `the pinned prebuilt binary is linux-x64 only (this is ${process.platform}-${process.arch})`;
  const installed = (p) => existsSync(`${BENCH}node_modules/${p}/package.json`) && JSON.parse(readFileSync(`${BENCH}node_modules/${p}/package.json`, 'utf8')).version === NODE_LLAMA_CPP;
  if (!installed('node-llama-cpp') || !installed('@node-llama-cpp/linux-x64')) {
    log(`bench: installing node-llama-cpp ${NODE_LLAMA_CPP} (npm ci --prefix bench --ignore-scripts --omit=optional)`);
    const r = spawnSync('npm', ['ci', '--prefix', BENCH, '--ignore-scripts', '--omit=optional', '--no-audit', '--no-fund'], { env, stdio: ['ignore', 'inherit', 'inherit'] });
    if (r.status !== 0) return `npm ci --prefix bench failed (exit ${r.status})`;
  }
  return null;
}

// ---- 2. models ----------------------------------------------------------------------------------------------------

/** The cached model of a shape; regenerated when missing or made by another version of the generator. */
function model(shape) {
  mkdirSync(CACHE, { recursive: true });
  const path = `${CACHE}synth-${shape}-tq2_0-s1.gguf`;
  const stampPath = `${path}.stamp`;
  // The generator's code without its comments: a change to what it draws makes the model again, a reworded comment not.
  const code = readFileSync(`${ROOT}dist/convert/synth.js`, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const stamp = createHash('sha256').update(code).digest('hex');
  let synthSeconds = null;
  if (!existsSync(path) || !existsSync(stampPath) || readFileSync(stampPath, 'utf8') !== stamp) {
    log(`bench: bitnet synth --shape ${shape} --type tq2_0 --seed 1 (cached in bench/.cache/)`);
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [CLI, 'synth', '--shape', shape, '--type', 'tq2_0', '--seed', '1', '-o', path, '-q'], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error(`bitnet synth --shape ${shape} failed (exit ${r.status})`);
    synthSeconds = (performance.now() - t0) / 1000;
    writeFileSync(stampPath, stamp);
  }
  const f = GgufFile.open(path);
  try {
    const vocab = f.metadata.integer('bitnet.vocab_size');
    const bos = f.metadata.integer('tokenizer.ggml.bos_token_id');
    // Every tensor is read once per decoded token: the projections, the norms, and token_embd whole as the tied lm_head.
    const bytesPerToken = [...f.tensors.values()].reduce((n, t) => n + t.byteSize, 0);
    return { shape, path, fileBytes: statSync(path).size, bytesPerToken, vocab, bos, synthSeconds };
  } finally {
    f.close();
  }
}

/** BOS then pseudo-random ordinary token ids (a fixed LCG), the same for every engine. */
function promptIds(m, n) {
  const ids = [m.bos];
  let x = 12345;
  while (ids.length < n) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    ids.push((x >>> 8) % (m.vocab - 2));
  }
  return ids;
}

// ---- 3-4. children ------------------------------------------------------------------------------------------------

function child(script, args) {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [`${BENCH}${script}`, JSON.stringify(args)], { env, stdio: ['ignore', 'pipe', 'inherit'], cwd: BENCH });
    let out = '';
    p.stdout.setEncoding('utf8').on('data', (d) => (out += d));
    const timer = setTimeout(() => p.kill('SIGKILL'), CHILD_TIMEOUT_S * 1000);
    p.on('close', (code, signal) => {
      clearTimeout(timer);
      const line = out.trim().split('\n').pop() ?? '';
      if (code === 0 && line.startsWith('{')) resolve(JSON.parse(line));
      else resolve({ failed: signal === 'SIGKILL' ? `timed out after ${CHILD_TIMEOUT_S} s` : `exit ${code ?? signal}` });
    });
  });
}

/** Fraction of all CPUs busy over one second (/proc/stat), while none of the bench's children runs: other work. */
async function cpuBusy() {
  const sample = () => {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    return { idle: f[3] + f[4], total: f.reduce((a, b) => a + b, 0) };
  };
  if (!existsSync('/proc/stat')) return NaN;
  const a = sample();
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const b = sample();
  return b.total === a.total ? 0 : 1 - (b.idle - a.idle) / (b.total - a.total);
}

function stats(values) {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return { median: s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2, min: s[0], max: s[s.length - 1], runs: values };
}

/** What each engine runs on each shape: the float64 reference is far too slow for the full prompt. */
function plan(engine, shape) {
  if (engine !== 'reference') return { prompt: PROMPT_TOKENS, decode: DECODE_TOKENS, warmup: 1, note: null };
  if (shape === '2b4t') return { prompt: 1, decode: 2, warmup: 0, note: 'reference: float64 JS, too slow for 2b4t prefill: BOS only (prefill not measured), 2 decode tokens' };
  return { prompt: 4, decode: 2, warmup: 0, note: 'reference: float64 JS: 4-token prompt, 2 decode tokens' };
}

async function measure(engine, m, unavailable) {
  const p = plan(engine, m.shape);
  const base = { engine, shape: m.shape, promptTokens: p.prompt, decodeTokens: p.decode, note: p.note };
  if (unavailable !== null) return { ...base, status: `unavailable: ${unavailable}` };
  const othersBusy = await cpuBusy();
  log(`bench: ${m.shape} ${engine} (prompt ${p.prompt}, decode ${p.decode}, ${p.warmup} warm-up + ${runs} runs; CPU ${(100 * othersBusy).toFixed(0)} % busy before)`);
  const args = { model: m.path, threads: THREADS, promptIds: promptIds(m, p.prompt), decodeTokens: p.decode, runs: p.warmup + runs };
  const bitnet = engine.endsWith('-int8') ? { backend: engine.slice(0, -'-int8'.length), lmHead: 'int8' } : { backend: engine };
  const r = engine === 'llamacpp' ? await child('engine-llamacpp.mjs', args) : await child('engine-bitnet.mjs', { ...args, ...bitnet });
  if (r.failed !== undefined) return { ...base, status: `failed: ${r.failed}` };
  if (r.unavailable !== undefined) return { ...base, status: `unavailable: ${r.unavailable}` };
  const counted = r.runs.slice(p.warmup);
  return {
    ...base,
    status: 'ok',
    cpuBusyBefore: othersBusy,
    backend: r.backend,
    loadSeconds: r.loadSeconds,
    peakRssBytes: r.peakRssBytes,
    prefill: p.prompt > 1 ? stats(counted.map((x) => x.prefillTokensPerSecond)) : null,
    decode: stats(counted.map((x) => x.decodeTokensPerSecond)),
    firstIds: counted[0]?.firstIds ?? [],
  };
}

// ---- 5. report ----------------------------------------------------------------------------------------------------

const fmt = (x) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x >= 1 ? x.toFixed(2) : x.toPrecision(2));
const ratio = (a, b) => (a == null || b == null ? '—' : `${(a / b).toFixed(a / b >= 0.1 ? 2 : 4)}×`);
const NAMES = { llamacpp: `llama.cpp (node-llama-cpp ${NODE_LLAMA_CPP})`, webgpu: 'bitnet-ts webgpu', native: 'bitnet-ts native', 'native-int8': 'bitnet-ts native, int8 lm_head (lossy)', wasm: 'bitnet-ts wasm', 'wasm-int8': 'bitnet-ts wasm, int8 lm_head (lossy)', reference: 'bitnet-ts reference' };

function table(m, rows, bandwidth) {
  const lc = rows.find((r) => r.engine === 'llamacpp' && r.status === 'ok');
  const cell = (s, tokens) => (s === null || s === undefined ? 'not measured' : `${fmt(s.median)} (${fmt(s.min)}–${fmt(s.max)})${tokens}`);
  const lines = [
    `### ${m.shape}, TQ2_0, seed 1 (${(m.fileBytes / 2 ** 20).toFixed(1)} MiB)`,
    '',
    `| engine | prefill tok/s, median (min–max) | × llama.cpp | decode tok/s, median (min–max) | × llama.cpp | peak RSS MiB | × llama.cpp | load s |`,
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    if (r.status !== 'ok') {
      lines.push(`| ${NAMES[r.engine]} | ${r.status} | | | | | | |`);
      continue;
    }
    const pTok = r.promptTokens === PROMPT_TOKENS ? '' : ` [${r.promptTokens}-token prompt]`;
    const dTok = r.decodeTokens === DECODE_TOKENS ? '' : ` [${r.decodeTokens} tokens]`;
    lines.push(`| ${NAMES[r.engine]} | ${cell(r.prefill, pTok)} | ${ratio(r.prefill?.median, lc?.prefill?.median)} | ${cell(r.decode, dTok)} | ${ratio(r.decode.median, lc?.decode.median)} | ${(r.peakRssBytes / 2 ** 20).toFixed(0)} | ${ratio(r.peakRssBytes, lc?.peakRssBytes)} | ${r.loadSeconds.toFixed(1)} |`);
  }
  const ceiling = (bandwidth.twoThreadGBs * 1e9) / m.bytesPerToken;
  lines.push('', `Decode ceiling from bandwidth: ${(m.bytesPerToken / 1e6).toFixed(1)} MB read per token / ${bandwidth.twoThreadGBs.toFixed(1)} GB/s (2 threads) = ${fmt(ceiling)} tok/s.`);
  for (const r of rows) if (r.note !== null && r.status === 'ok') lines.push(`Note: ${r.note}.`);
  const busy = rows.filter((r) => r.status === 'ok' && r.cpuBusyBefore > 0.1);
  if (busy.length > 0) lines.push(`Warning: other processes were using the CPU (${busy.map((r) => `${(100 * r.cpuBusyBefore).toFixed(0)} % just before ${r.engine}`).join(', ')}); these figures are disturbed.`);
  return lines.join('\n');
}

// ---- main ---------------------------------------------------------------------------------------------------------

const started = new Date();
const machine = { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memoryGiB: totalmem() / 2 ** 30, node: process.version };
const git = spawnSync('git', ['-C', ROOT, 'describe', '--always', '--dirty'], { encoding: 'utf8' }).stdout.trim() || null;
const llamaUnavailable = engines.includes('llamacpp') ? llamaCppUnavailable() : 'not requested';
const models = shapes.map(model);
log('bench: measuring read bandwidth');
const measured = await child('bandwidth.mjs', {});
const bandwidth = measured.failed === undefined ? measured : { oneThreadGBs: NaN, twoThreadGBs: NaN, failed: measured.failed };
const results = [];
for (const m of models) {
  for (const engine of engines) results.push(await measure(engine, m, engine === 'llamacpp' ? llamaUnavailable : null));
}
const report = {
  date: started.toISOString(),
  seconds: (Date.now() - started.getTime()) / 1000,
  bitnetTs: git,
  machine,
  settings: { threads: THREADS, promptTokens: PROMPT_TOKENS, decodeTokens: DECODE_TOKENS, runs, warmupRuns: 'all but the reference: 1; reference: 0', numerics: 'bitnet-ts: hf (default); llama.cpp: its own (Q8_K activations)', llamaCpp: 'node-llama-cpp 3.21.1 prebuilt CPU binary, no mmap, F32 KV cache, flash attention off, one batch for the prompt' },
  bandwidth,
  models: models.map((m) => ({ ...m, decodeCeilingTokensPerSecond: (bandwidth.twoThreadGBs * 1e9) / m.bytesPerToken })),
  results,
};
const md = [
  `## bitnet-ts benchmark (${started.toISOString().slice(0, 10)}, ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, bitnet-ts ${git ?? '?'})`,
  '',
  `${THREADS} threads. Prefill: ${PROMPT_TOKENS}-token prompt; decode: ${DECODE_TOKENS} tokens after the first; medians of ${runs} runs (min–max), after a warm-up run (all but the reference).`,
  `Read bandwidth: ${bandwidth.oneThreadGBs.toFixed(1)} GB/s (1 thread), ${bandwidth.twoThreadGBs.toFixed(1)} GB/s (2 threads).`,
  '',
  ...models.map((m) => table(m, results.filter((r) => r.shape === m.shape), bandwidth) + '\n'),
].join('\n');
writeFileSync(`${BENCH}results.json`, `${JSON.stringify(report, null, 2)}\n`);
writeFileSync(`${BENCH}results.md`, md);
process.stdout.write(md);
log(`bench: wrote bench/results.json and bench/results.md in ${report.seconds.toFixed(0)} s`);
