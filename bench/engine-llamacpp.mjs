/**
 * llama.cpp on one model, through node-llama-cpp 3.21.1's prebuilt CPU binary, in its own process: no GPU, no
 * build, no download, no mmap (weights are read into memory, so RSS counts them, as it does for bitnet-ts), 2 threads,
 * an F32 KV cache and flash attention off (the settings of shared/golden/llamacpp), one batch for the whole prompt.
 * Per run, on a cleared sequence: greedy generation from the same prompt token ids as the bitnet-ts engines; prefill
 * tokens/s = prompt tokens / time to the first generated token, decode tokens/s = later tokens / their time.
 *
 * Usage: node bench/engine-llamacpp.mjs JSON  where JSON = { model, threads, promptIds, decodeTokens, runs }
 * → one JSON line on stdout.
 */
import { readFileSync } from 'node:fs';
import { getLlama } from 'node-llama-cpp';

const args = JSON.parse(process.argv[2]);

function peakRssBytes() {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m === null ? null : Number(m[1]) * 1024;
}

const t0 = performance.now();
const llama = await getLlama({ gpu: false, build: 'never', skipDownload: true, maxThreads: args.threads, logLevel: 'error' });
const model = await llama.loadModel({ modelPath: args.model, useMmap: false, gpuLayers: 0 });
const contextSize = args.promptIds.length + args.decodeTokens + 16;
const context = await model.createContext({
  contextSize,
  batchSize: contextSize,
  threads: args.threads,
  flashAttention: false,
  experimentalKvCacheKeyType: 'F32',
  experimentalKvCacheValueType: 'F32',
});
const loadSeconds = (performance.now() - t0) / 1000;
const sequence = context.getSequence();
process.stderr.write(`  loaded in ${loadSeconds.toFixed(1)} s (${llama.systemInfo})\n`);

const runs = [];
for (let r = 0; r < args.runs; r++) {
  await sequence.clearHistory();
  const ids = [];
  const start = performance.now();
  let first = 0;
  for await (const id of sequence.evaluate(args.promptIds, { temperature: 0 })) {
    if (ids.length === 0) first = performance.now();
    ids.push(id);
    if (ids.length === args.decodeTokens + 1) break;
  }
  const end = performance.now();
  const prefillMs = first - start;
  const decodeMs = end - first;
  const run = { prefillTokensPerSecond: args.promptIds.length / (prefillMs / 1000), decodeTokensPerSecond: (ids.length - 1) / (decodeMs / 1000), prefillMs, decodeMs, generated: ids.length, firstIds: ids.slice(0, 8) };
  runs.push(run);
  process.stderr.write(`  run ${r + 1}/${args.runs}: prefill ${run.prefillTokensPerSecond.toFixed(2)} tok/s, decode ${run.decodeTokensPerSecond.toFixed(2)} tok/s\n`);
}
const info = JSON.parse(readFileSync(new URL('./node_modules/node-llama-cpp/llama/llama.cpp.info.json', import.meta.url), 'utf8'));
const backend = { name: 'llama.cpp', release: info.tag, threads: args.threads, systemInfo: llama.systemInfo, kvCache: 'F32', flashAttention: false, mmap: false };
await context.dispose();
await model.dispose();
await llama.dispose();
process.stdout.write(`${JSON.stringify({ loadSeconds, backend, runs, peakRssBytes: peakRssBytes() })}\n`);
