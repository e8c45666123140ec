/**
 * One bitnet-ts engine on one model, in its own process (so that its peak RSS is its own): loads the GGUF with the
 * named backend, then runs `runs` times a greedy generation from a fixed prompt of token ids and reports, per run,
 * prefill tokens/s (the prompt's forward pass and the first token) and decode tokens/s (every token after the
 * first), from the engine's own `usage` figures; at the end, VmHWM from /proc/self/status.
 *
 * Usage: node bench/engine-bitnet.mjs JSON  where JSON = { model, backend, threads, promptIds, decodeTokens, runs, lmHead? }
 * → one JSON line on stdout. A backend that cannot be created is reported as { unavailable: reason }.
 */
import { readFileSync } from 'node:fs';

const args = JSON.parse(process.argv[2]);
const { InferenceEngine, BackendUnavailableError } = await import(new URL('../dist/index.js', import.meta.url).href);

function peakRssBytes() {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m === null ? null : Number(m[1]) * 1024;
}

let engine;
const t0 = performance.now();
try {
  engine = await InferenceEngine.load(args.model, { backend: args.backend, threads: args.threads, lmHead: args.lmHead ?? 'exact' });
} catch (err) {
  if (err instanceof BackendUnavailableError) {
    process.stdout.write(`${JSON.stringify({ unavailable: err.message })}\n`);
    process.exit(0);
  }
  throw err;
}
const loadSeconds = (performance.now() - t0) / 1000;
process.stderr.write(`  loaded in ${loadSeconds.toFixed(1)} s (${JSON.stringify(engine.backendInfo)})\n`);

const runs = [];
for (let r = 0; r < args.runs; r++) {
  // maxTokens = decodeTokens + 1: the first generated token belongs to the prefill (usage.decodeTokensPerSecond).
  const res = await engine.generate({ tokenIds: args.promptIds }, { greedy: true, maxTokens: args.decodeTokens + 1, ignoreEos: true });
  const u = res.usage;
  runs.push({ prefillTokensPerSecond: u.prefillTokensPerSecond, decodeTokensPerSecond: u.decodeTokensPerSecond, prefillMs: u.prefillMs, decodeMs: u.decodeMs, generated: u.generatedTokens, firstIds: res.tokenIds.slice(0, 8) });
  process.stderr.write(`  run ${r + 1}/${args.runs}: prefill ${u.prefillTokensPerSecond.toFixed(2)} tok/s, decode ${u.decodeTokensPerSecond.toFixed(2)} tok/s\n`);
}
const backend = engine.backendInfo;
engine.close();
process.stdout.write(`${JSON.stringify({ loadSeconds, backend, numerics: 'hf (default)', runs, peakRssBytes: peakRssBytes() })}\n`);
