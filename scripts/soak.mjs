#!/usr/bin/env node
/**
 * Soak test of `bitnet serve` (not part of `npm test`): runs the built CLI as a child process on loopback for a few
 * minutes while several clients stream chat and text completions without pause, some read to the end and checked
 * against the same request sent alone, some abandoned mid-stream or while still queued. The server's memory is
 * sampled throughout: VmRSS from /proc/<pid>/status and, through an IPC probe loaded with --import, the V8 heap after
 * a forced GC. At the end: is memory flat (Theil–Sen RSS slope over the second half under a limit, final heap
 * within a margin of the heap after warm-up), does the server still give the same answers, does it stop cleanly on
 * SIGTERM. Exit code 0 when all hold, 1 otherwise, 2 on bad arguments.
 *
 *   npm run soak                                   # 180 s, defaults below
 *   npm run soak -- --duration 60 --clients 4 --backend wasm --json soak.json
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { Rng } = await import(new URL('../dist/random.js', import.meta.url).href);
const CLI = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const MiB = 1024 * 1024;

const USAGE = `usage: node scripts/soak.mjs [options]
  --duration S       seconds of load (default 180)
  --clients N        concurrent client loops (default 4)
  --concurrency N    the server's --concurrency (default 2)
  --max-tokens N     tokens per request (default 24)
  --backend NAME     the server's --backend (default: its own, auto)
  --threads N        the server's --threads (default: its own)
  --model PATH       the server's --model (default: the shipped model)
  --sample-ms N      memory sampling interval (default 1000)
  --max-slope M      largest RSS slope over the second half, MiB per minute (default 2)
  --max-heap-growth F  largest final heap over warm-up heap, as a fraction (default 0.2; at least 2 MiB allowed)
  --seed N           seed of the clients' choices (default 1)
  --json FILE        also write every sample and count to FILE`;

function options() {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '180' },
      clients: { type: 'string', default: '4' },
      concurrency: { type: 'string', default: '2' },
      'max-tokens': { type: 'string', default: '24' },
      backend: { type: 'string' },
      threads: { type: 'string' },
      model: { type: 'string' },
      'sample-ms': { type: 'string', default: '1000' },
      'max-slope': { type: 'string', default: '2' },
      'max-heap-growth': { type: 'string', default: '0.2' },
      seed: { type: 'string', default: '1' },
      json: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const num = (name, min) => {
    const v = Number(values[name]);
    if (!Number.isFinite(v) || v < min) throw new Error(`--${name} must be a number ≥ ${min}, got ${values[name]}`);
    return v;
  };
  return {
    duration: num('duration', 10),
    clients: Math.floor(num('clients', 1)),
    concurrency: Math.floor(num('concurrency', 1)),
    maxTokens: Math.floor(num('max-tokens', 1)),
    backend: values.backend,
    threads: values.threads,
    model: values.model,
    sampleMs: num('sample-ms', 100),
    maxSlope: num('max-slope', 0),
    maxHeapGrowth: num('max-heap-growth', 0),
    seed: Math.floor(num('seed', 0)),
    json: values.json,
  };
}

// ---- the server child and its memory -------------------------------------------------------------------------------

/**
 * Loaded into the server with --import: answers 'mem' over IPC with process.memoryUsage() after a full GC (the
 * child runs with --expose-gc). The channel is unref'd so it never keeps the server alive.
 */
const PROBE = `if (process.send) {
  process.on('message', (m) => { if (m === 'mem') { globalThis.gc?.(); process.send({ mem: process.memoryUsage() }); } });
  process.channel?.unref();
}`;

async function startServer(o) {
  const args = ['--expose-gc', '--import', `data:text/javascript,${encodeURIComponent(PROBE)}`, CLI, 'serve', '--port', '0', '--json', '--concurrency', String(o.concurrency), '--max-queue', '64'];
  if (o.backend) args.push('--backend', o.backend);
  if (o.threads) args.push('--threads', o.threads);
  if (o.model) args.push('--model', o.model);
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const info = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]));
    });
    exited.then(({ code }) => reject(new Error(`bitnet serve exited ${code} before listening:\n${stderr}`)));
  });
  let pending = null;
  child.on('message', (m) => {
    if (m?.mem && pending) {
      pending(m.mem);
      pending = null;
    }
  });
  /** The child's memory: VmRSS / VmHWM from /proc where there is one, the heap after GC from the probe. */
  const memory = async () => {
    const mem = await new Promise((resolve) => {
      pending = resolve;
      child.send('mem');
      setTimeout(() => resolve(null), 5000);
    });
    let rss = mem?.rss ?? NaN;
    let hwm = NaN;
    try {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      rss = Number(/VmRSS:\s+(\d+) kB/.exec(status)[1]) * 1024;
      hwm = Number(/VmHWM:\s+(\d+) kB/.exec(status)[1]) * 1024;
    } catch {
      // no /proc (not Linux): the probe's rss stands
    }
    return { rss, hwm, heapUsed: mem?.heapUsed ?? NaN, external: mem?.external ?? NaN, arrayBuffers: mem?.arrayBuffers ?? NaN };
  };
  /** SIGTERM, then SIGKILL after 30 s; `{ code, signal, seconds }`. */
  const stop = async () => {
    const t = Date.now();
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 30000);
    const r = await exited;
    clearTimeout(timer);
    return { ...r, seconds: (Date.now() - t) / 1000 };
  };
  return { ...info, pid: child.pid, memory, stop, stderr: () => stderr };
}

// ---- clients -----------------------------------------------------------------------------------------------------

/** The requests the clients choose from: chat and text, seeded and greedy. Each is also sent alone for its text. */
function variants(maxTokens) {
  const chat = (content, extra) => ({ path: '/v1/chat/completions', body: { messages: [{ role: 'user', content }], max_tokens: maxTokens, ...extra } });
  const text = (prompt, extra) => ({ path: '/v1/completions', body: { prompt, max_tokens: maxTokens, ...extra } });
  return [
    chat('Who is the captain of the ship?', { temperature: 1, seed: 1 }),
    chat('Who is the captain of the ship?', { temperature: 1, seed: 2 }),
    chat('Tell me of the sea.', { temperature: 0.8, top_p: 0.9, seed: 3 }),
    chat('Tell me of the sea.', { temperature: 0 }),
    text('Call me Ishmael.', { temperature: 0 }),
    text('Call me Ishmael.', { temperature: 1, seed: 4 }),
    text('Fellow-Citizens of the Senate and House of Representatives:', { temperature: 1, seed: 5 }),
  ];
}

/**
 * Sends one request; streamed, it reads events until [DONE] or until `abortAfter` events, then abandons it;
 * `abortAtOnce` abandons it 2 ms after sending.
 */
async function send(url, { path, body }, { stream, abortAfter, abortAtOnce }) {
  const controller = new AbortController();
  if (abortAtOnce) setTimeout(() => controller.abort(), 2); // gone before its first token, most likely still queued
  const res = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...body, stream }),
    signal: controller.signal,
  });
  if (abortAtOnce) {
    controller.abort();
    return { status: res.status, aborted: true };
  }
  if (res.status !== 200) return { status: res.status, text: await res.text() };
  if (!stream) {
    const json = await res.json();
    return { status: 200, text: json.choices[0].message?.content ?? json.choices[0].text };
  }
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let text = '';
  let events = 0;
  let done = false;
  while (!done) {
    const { value, done: end } = await reader.read();
    if (end) break;
    buffer += value;
    let cut;
    while ((cut = buffer.indexOf('\n\n')) >= 0) {
      const event = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      if (event === 'data: [DONE]') {
        done = true;
        break;
      }
      const chunk = JSON.parse(event.slice('data: '.length));
      if (chunk.error) return { status: 200, error: chunk.error.message };
      text += chunk.choices[0].delta?.content ?? chunk.choices[0].text ?? '';
      if (abortAfter !== undefined && ++events >= abortAfter) {
        controller.abort();
        return { status: 200, aborted: true };
      }
    }
  }
  if (!done) return { status: 200, error: 'the stream ended without [DONE]' };
  return { status: 200, text };
}

/** The clients' choices, seeded: the package's own generator (src/random.ts), as floats in [0, 1). */
function rng(seed) {
  const r = new Rng(seed);
  return () => r.nextFloat();
}

async function client(url, reqs, want, until, random, counts) {
  while (Date.now() < until) {
    const i = Math.floor(random() * reqs.length);
    const r = random();
    // 50 % streamed to the end, 15 % plain, 25 % abandoned mid-stream, 10 % abandoned before any token.
    const how = r < 0.5 ? { stream: true } : r < 0.65 ? { stream: false } : r < 0.9 ? { stream: true, abortAfter: 1 + Math.floor(random() * 6) } : { stream: true, abortAtOnce: true };
    try {
      const got = await send(url, reqs[i], how);
      if (got.aborted) counts[how.abortAtOnce ? 'abortedEarly' : 'abortedMidStream']++;
      else if (got.status !== 200 || got.error) {
        counts.errors++;
        counts.lastError = `${got.status} ${got.error ?? got.text}`;
      } else if (got.text !== want[i]) {
        counts.mismatches++;
        counts.lastError = `request ${i}: ${JSON.stringify(got.text)} ≠ alone ${JSON.stringify(want[i])}`;
      } else counts.completed++;
    } catch (err) {
      if (err.name === 'AbortError') counts.abortedEarly++;
      else {
        counts.errors++;
        counts.lastError = String(err);
      }
    }
  }
}

// ---- statistics and the run ----------------------------------------------------------------------------------------

/**
 * Theil–Sen slope of y over x: the median of the slopes between every pair of samples. Unlike least squares it is
 * not swung by a few spikes (a GC, an allocator returning pages), while a steady climb moves every pair.
 */
function slope(xs, ys) {
  const slopes = [];
  for (let i = 0; i < xs.length; i++) for (let j = i + 1; j < xs.length; j++) if (xs[j] !== xs[i]) slopes.push((ys[j] - ys[i]) / (xs[j] - xs[i]));
  return slopes.length === 0 ? 0 : median(slopes);
}

const median = (v) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.floor(s.length / 2)];
};
const mib = (b) => (b / MiB).toFixed(1);

async function main() {
  let o;
  try {
    o = options();
  } catch (err) {
    console.error(`soak: ${err.message}\n${USAGE}`);
    return 2;
  }
  const server = await startServer(o);
  const { url } = server;
  console.log(`soak: bitnet serve pid ${server.pid} on ${url} (model ${server.model}, backend ${server.backend}), ${o.duration} s, ${o.clients} clients, --concurrency ${o.concurrency}, ${o.maxTokens} tokens a request`);
  const reqs = variants(o.maxTokens);
  const want = [];
  for (const r of reqs) {
    const got = await send(url, r, { stream: false });
    if (got.status !== 200) throw new Error(`a lone request failed: ${got.status} ${got.text}`);
    want.push(got.text);
  }

  const t0 = Date.now();
  const until = t0 + o.duration * 1000;
  const samples = [];
  const start = { ...(await server.memory()), t: 0 };
  samples.push(start);
  const counts = { completed: 0, abortedMidStream: 0, abortedEarly: 0, errors: 0, mismatches: 0, lastError: null };
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      await new Promise((r) => setTimeout(r, o.sampleMs));
      if (!sampling) break;
      const m = await server.memory();
      const h = await fetch(`${url}/health`).then((r) => r.json()).catch(() => null);
      samples.push({ ...m, t: (Date.now() - t0) / 1000, active: h?.active, waiting: h?.waiting });
      if (samples.length % Math.max(1, Math.round(30000 / o.sampleMs)) === 0) {
        const s = samples.at(-1);
        console.log(`  ${s.t.toFixed(0)} s: RSS ${mib(s.rss)} MiB, heap ${mib(s.heapUsed)} MiB, ${counts.completed} completed, ${counts.abortedMidStream + counts.abortedEarly} abandoned, ${counts.errors + counts.mismatches} wrong`);
      }
    }
  })();
  const random = rng(o.seed);
  await Promise.all(Array.from({ length: o.clients }, (_, k) => client(url, reqs, want, until, rng(Math.floor(random() * 2 ** 32) + k), counts)));
  sampling = false;
  await sampler;
  const elapsed = (Date.now() - t0) / 1000;

  // Let abandoned generations wind down, then the server must be idle and answer as before.
  await new Promise((r) => setTimeout(r, 1000));
  const health = await fetch(`${url}/health`).then((r) => r.json());
  const after = [];
  for (const r of reqs) after.push((await send(url, r, { stream: true })).text);
  const sameAnswers = after.every((t, i) => t === want[i]);
  const end = await server.memory();
  const stopped = await server.stop();

  // Memory verdict: slope of RSS over the second half; heap after warm-up (the samples between 15 % and 25 % of the
  // run) against the heap at the end (the last 10 %).
  const inWindow = (a, b) => samples.filter((s) => s.t >= a * elapsed && s.t <= b * elapsed);
  const second = inWindow(0.5, 1);
  const rssSlope = (slope(second.map((s) => s.t), second.map((s) => s.rss)) * 60) / MiB; // MiB per minute
  const warmHeap = median(inWindow(0.15, 0.25).map((s) => s.heapUsed));
  const endHeap = median(inWindow(0.9, 1).map((s) => s.heapUsed));
  const heapLimit = warmHeap + Math.max(o.maxHeapGrowth * warmHeap, 2 * MiB);
  const warmRss = median(inWindow(0.15, 0.25).map((s) => s.rss));
  const endRss = median(inWindow(0.9, 1).map((s) => s.rss));
  const maxRss = Math.max(...samples.map((s) => s.rss));
  const problems = [];
  if (!(rssSlope <= o.maxSlope)) problems.push(`RSS grows ${rssSlope.toFixed(2)} MiB/min over the second half (limit ${o.maxSlope})`);
  if (!(endHeap <= heapLimit)) problems.push(`heap ${mib(endHeap)} MiB at the end against ${mib(warmHeap)} MiB after warm-up (limit ${mib(heapLimit)})`);
  if (counts.errors > 0 || counts.mismatches > 0) problems.push(`${counts.errors} errors, ${counts.mismatches} wrong answers (last: ${counts.lastError})`);
  if (counts.completed === 0) problems.push('no request completed');
  if (health.active !== 0 || health.waiting !== 0) problems.push(`after the load the server still has ${health.active} generating, ${health.waiting} waiting`);
  if (!sameAnswers) problems.push('after the load the answers differ from those before');
  if (stopped.code !== 0) problems.push(`on SIGTERM the server exited with ${stopped.code ?? stopped.signal}`);

  const total = counts.completed + counts.abortedMidStream + counts.abortedEarly + counts.errors + counts.mismatches;
  console.log(`requests: ${total} in ${elapsed.toFixed(0)} s (${(total / elapsed).toFixed(1)}/s): ${counts.completed} completed and equal to their lone runs, ${counts.abortedMidStream} abandoned mid-stream, ${counts.abortedEarly} abandoned before a token, ${counts.errors} errors, ${counts.mismatches} wrong`);
  console.log(`RSS MiB: start ${mib(start.rss)}, after warm-up ${mib(warmRss)}, end ${mib(endRss)}, max ${mib(maxRss)} (VmHWM ${mib(end.hwm)}); slope over the second half ${rssSlope >= 0 ? '+' : ''}${rssSlope.toFixed(2)} MiB/min (limit ${o.maxSlope})`);
  console.log(`heap after GC MiB: start ${mib(start.heapUsed)}, after warm-up ${mib(warmHeap)}, end ${mib(endHeap)} (limit ${mib(heapLimit)})`);
  console.log(`after: health active ${health.active}, waiting ${health.waiting}; answers as before: ${sameAnswers ? 'yes' : 'no'}; SIGTERM exit ${stopped.code ?? stopped.signal} after ${stopped.seconds.toFixed(1)} s`);
  console.log(problems.length === 0 ? 'soak: memory flat, every answer right' : `soak: FAILED\n  ${problems.join('\n  ')}`);
  if (o.json) {
    writeFileSync(o.json, `${JSON.stringify({ options: o, server: { model: server.model, backend: server.backend }, elapsed, counts, rssSlopeMiBPerMin: rssSlope, warmHeap, endHeap, warmRss, endRss, maxRss, health, sameAnswers, exit: stopped, problems, samples }, null, 1)}\n`);
  }
  return problems.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`soak: ${err.stack ?? err}`);
    process.exit(1);
  },
);
