/**
 * Where a decode token's time goes on the native backend (docs/native.md): runs greedy decode on a cached synthetic
 * model (bench/.cache, written by `npm run bench`) with the backend's per-op timing on, and prints per op the
 * milliseconds per token thread 0 spent working and waiting at barriers, the bytes the products stream and the
 * GB/s that makes, the native wall time per token, and the time outside native code (JavaScript: sampling, the
 * engine loop, recording the program). Not a test; figures vary with the machine's load.
 *
 * Usage: node bench/native-profile.mjs [--shape 700m|2b4t] [--tokens 32] [--threads 2] [--lm-head exact|int8] [--prompt N] [--json]
 * With --prompt N it profiles the prefill of an N-token prompt instead (per-op figures are then per prompt).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dist = new URL('../dist/', import.meta.url);
const { InferenceEngine, registerBackend } = await import(new URL('index.js', dist).href);
const { NativeBackend } = await import(new URL('backends/native/index.js', dist).href);
const { OP } = await import(new URL('backends/native/program.js', dist).href);

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}
const shape = option('shape', '700m');
const tokens = Number(option('tokens', '32'));
const threads = Number(option('threads', '2'));
const lmHead = option('lm-head', 'exact');
const promptTokens = Number(option('prompt', '0'));
const model = fileURLToPath(new URL(`.cache/synth-${shape}-tq2_0-s1.gguf`, import.meta.url));
if (!existsSync(model)) {
  process.stderr.write(`${model} is missing: run \`npm run bench -- --shapes ${shape}\` once to write it\n`);
  process.exit(2);
}

let backend;
registerBackend({
  name: 'native-profiled',
  unavailableReason: async () => null,
  create: async (options) => (backend = await NativeBackend.create(options)),
});
const engine = await InferenceEngine.load(model, { backend: 'native-profiled', threads, lmHead });
const c = engine.config;

// Bytes the products stream per decode token: packed ternary weights (2 bits, rows ×4, K ×128) and the lm_head table.
const packed = (rows, cols) => Math.ceil(rows / 4) * 4 * Math.ceil(cols / 128) * 32;
const qDim = c.numHeads * c.headDim;
const kvDim = c.numKvHeads * c.headDim;
const ternaryBytes = c.numLayers * (packed(qDim, c.hiddenSize) + 2 * packed(kvDim, c.hiddenSize) + packed(c.hiddenSize, qDim) + 2 * packed(c.intermediateSize, c.hiddenSize) + packed(c.hiddenSize, c.intermediateSize));
const lmHeadBytes = c.vocabSize * (lmHead === 'int8' ? Math.ceil(c.hiddenSize / 16) * 16 + 4 : c.hiddenSize * 2);

await engine.generate({ tokenIds: [1] }, { greedy: true, maxTokens: 8, ignoreEos: true }); // warm-up
if (promptTokens > 0) {
  const ids = Array.from({ length: promptTokens }, (_, i) => ((i * 7919) % (c.vocabSize - 2)) + 1);
  await engine.generate({ tokenIds: ids }, { greedy: true, maxTokens: 1, ignoreEos: true }); // warm-up at this size
  backend.profiling(true);
  const t0 = performance.now();
  const res = await engine.generate({ tokenIds: ids }, { greedy: true, maxTokens: 1, ignoreEos: true });
  const ms = performance.now() - t0;
  const p = backend.profile();
  backend.profiling(false);
  engine.close();
  const names = Object.fromEntries(Object.entries(OP).map(([k, v]) => [v, k]));
  console.log(`native, ${shape}, ${threads} thread(s): prefill of ${promptTokens} tokens ${ms.toFixed(0)} ms = ${(promptTokens / (ms / 1000)).toFixed(1)} tok/s (engine: ${res.usage.prefillTokensPerSecond.toFixed(1)}); native wall ${(p.wallNs / 1e6).toFixed(0)} ms in ${p.runs} call(s)`);
  console.log('| op | records | work ms (thread 0) | barrier wait ms |');
  console.log('|---|---|---|---|');
  for (const o of p.ops) console.log(`| ${names[o.op]} | ${o.records} | ${(o.workNs / 1e6).toFixed(1)} | ${(o.barrierNs / 1e6).toFixed(1)} |`);
  process.exit(0);
}
backend.profiling(true);
const r = await engine.generate({ tokenIds: [1] }, { greedy: true, maxTokens: tokens + 1, ignoreEos: true });
const p = backend.profile();
backend.profiling(false);
engine.close();

// The first generated token belongs to the prefill (usage); the profile covers it too, so count tokens + 1 runs.
const perToken = (ns) => ns / 1e6 / p.runs;
const names = Object.fromEntries(Object.entries(OP).map(([k, v]) => [v, k]));
const rows = p.ops.map((o) => {
  const bytes = o.op === OP.ternary ? ternaryBytes : o.op === OP.lmHead || o.op === OP.lmHeadI8 ? lmHeadBytes : null;
  const ms = perToken(o.workNs);
  return { op: names[o.op], recordsPerToken: o.records / p.runs, workMs: ms, barrierMs: perToken(o.barrierNs), gbPerS: bytes === null ? null : bytes / 1e6 / ms };
});
const decodeMsPerToken = 1000 / r.usage.decodeTokensPerSecond;
const nativeMs = perToken(p.wallNs);
const summary = {
  shape, threads, lmHead, tokens, decodeTokensPerSecond: r.usage.decodeTokensPerSecond, decodeMsPerToken, nativeWallMsPerToken: nativeMs,
  outsideNativeMsPerToken: decodeMsPerToken - nativeMs, callsPerToken: 1, ternaryMBPerToken: ternaryBytes / 1e6, lmHeadMBPerToken: lmHeadBytes / 1e6, ops: rows,
};
if (process.argv.includes('--json')) {
  process.stdout.write(`${JSON.stringify(summary)}\n`);
} else {
  const f = (x, d = 3) => (x === null ? '—' : x.toFixed(d));
  console.log(`native, ${shape}, ${threads} thread(s), lm_head ${lmHead}: decode ${f(summary.decodeTokensPerSecond, 1)} tok/s = ${f(decodeMsPerToken, 2)} ms/token`);
  console.log(`native wall ${f(nativeMs, 2)} ms/token in 1 call; outside native (JS) ${f(summary.outsideNativeMsPerToken, 2)} ms/token`);
  console.log('| op | records/token | work ms/token (thread 0) | barrier wait ms/token | GB/s streamed |');
  console.log('|---|---|---|---|---|');
  for (const o of rows) console.log(`| ${o.op} | ${o.recordsPerToken} | ${f(o.workMs)} | ${f(o.barrierMs)} | ${f(o.gbPerS, 1)} |`);
}
