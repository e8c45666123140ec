#!/usr/bin/env node
/**
 * Where a decode token's GPU time goes, kernel by kernel (cuda backend; a GPU machine only). Loads a model with the
 * cuda backend (BITNET_CUDA_GRAPHS=off, so that every launch is the driver's own), then wraps the driver's launch: each step (the
 * launches between two reads) starts behind a spin kernel that holds the device while the host queues the whole step,
 * and a CUDA event is recorded after every launch. The device then runs the step back to back, so the time between
 * two events is one kernel's, never the host's. An upload inside a step waits for the device (pageable copies
 * synchronise), so it is followed by another spin and a fresh starting event.
 *
 * Usage: node bench/device/cuda-profile.mjs MODEL.gguf [--prompt 512] [--tokens 24] [--out FILE.json]
 * Prints, per kernel and grid, launches per decode token and µs (median over the tokens), then the step's total.
 */
import { writeFileSync } from 'node:fs';
import { openDeviceTimer } from './device-timer.mjs';

const arg = (name, fallback) => (process.argv.includes(`--${name}`) ? process.argv[process.argv.indexOf(`--${name}`) + 1] : fallback);
const modelPath = process.argv[2];
const PROMPT = Number(arg('prompt', '512'));
const TOKENS = Number(arg('tokens', '24'));
process.env.BITNET_CUDA_GRAPHS = 'off';
const dist = (p) => import(new URL(`../../dist/${p}`, import.meta.url).href);
const { openCuda } = await dist('backends/cuda/open.js');
const { InferenceEngine } = await dist('index.js');

const { driver, kernels } = await openCuda();
const names = new Map([...kernels].map(([name, fn]) => [fn, name]));
const timer = openDeviceTimer(driver);
const events = timer.events(4096);

const launch = driver.launch;
const upload = driver.upload;
const download = driver.download;
let profiling = false;
/** The current step: events used so far, and per mark its event and label (null for a spin). */
let step = null;
const steps = [];
const record = () => {
  const e = events[step.used++];
  timer.record(e);
  return e;
};
const spin = () => {
  timer.spin();
  step.marks.push({ event: record(), label: null });
};
driver.launch = (kernel, grid, block, shared, args) => {
  if (!profiling) return launch(kernel, grid, block, shared, args);
  if (step === null) {
    step = { used: 0, marks: [] };
    spin();
  }
  launch(kernel, grid, block, shared, args);
  step.marks.push({ event: record(), label: `${names.get(kernel) ?? '?'} grid ${grid}` });
};
driver.upload = (dst, src) => {
  upload(dst, src);
  if (profiling && step !== null) spin();
};
driver.download = (dst, src) => {
  download(dst, src);
  if (!profiling || step === null) return;
  timer.synchronize(step.marks[step.marks.length - 1].event);
  const kernelsUs = [];
  for (let i = 1; i < step.marks.length; i++) {
    if (step.marks[i].label === null) continue; // a spin
    kernelsUs.push([step.marks[i].label, timer.elapsedUs(step.marks[i - 1].event, step.marks[i].event)]);
  }
  steps.push(kernelsUs);
  step = null;
};

const engine = await InferenceEngine.load(modelPath, { backend: 'cuda' });
process.stderr.write(`profile: ${JSON.stringify(engine.backendInfo.features)}\n`);
const promptIds = Array.from({ length: PROMPT }, (_, i) => 1 + ((i * 7919) % 30000));
// Unprofiled first: wall time per decode token as the benchmark sees it.
const plain = await engine.generate({ tokenIds: promptIds }, { greedy: true, maxTokens: TOKENS + 1, ignoreEos: true });
profiling = true;
await engine.generate({ tokenIds: promptIds }, { greedy: true, maxTokens: TOKENS + 1, ignoreEos: true });
profiling = false;
engine.close();

/** Per label: launches per step and µs (median over the steps given). */
function summarise(list) {
  const byLabel = new Map();
  for (const s of list) {
    const perStep = new Map();
    for (const [label, us] of s) {
      const e = perStep.get(label) ?? { n: 0, us: 0 };
      e.n++;
      e.us += us;
      perStep.set(label, e);
    }
    for (const [label, e] of perStep) {
      const all = byLabel.get(label) ?? { n: e.n, us: [] };
      all.us.push(e.us);
      byLabel.set(label, all);
    }
  }
  const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
  const rows = [...byLabel].map(([label, e]) => ({ label, launches: e.n, us: median(e.us) })).sort((a, b) => b.us - a.us);
  return { rows, totalUs: rows.reduce((n, r) => n + r.us, 0), launches: rows.reduce((n, r) => n + r.launches, 0) };
}
const decodeSteps = steps.slice(2); // the prefill, then a first decode step
const result = {
  prompt: PROMPT,
  wallUsPerDecodeToken: 1e6 / plain.usage.decodeTokensPerSecond,
  prefill: summarise(steps.slice(0, 1)),
  decode: summarise(decodeSteps),
  decodeSteps: decodeSteps.length,
};
if (arg('out', null) !== null) writeFileSync(arg('out'), JSON.stringify(result, null, 1));
const show = (title, s) => {
  console.log(`\n${title}: ${s.launches} launches, ${s.totalUs.toFixed(1)} us of kernels`);
  for (const r of s.rows) console.log(`  ${r.label.padEnd(34)} ${String(r.launches).padStart(4)} x  ${r.us.toFixed(1).padStart(9)} us  ${(r.us / r.launches).toFixed(2).padStart(8)} us each`);
};
show(`prefill (${PROMPT} tokens)`, result.prefill);
show(`decode (median of ${decodeSteps.length} tokens; wall ${result.wallUsPerDecodeToken.toFixed(0)} us a token unprofiled)`, result.decode);
process.exit(0);
