/**
 * The demo page: loads the shipped model from the page's own server, on the first backend this browser can run
 * (webgpu, then wasm, then reference, or those named by `?backend=`), and streams completions with the sampling
 * controls. `?model=URL` loads another Hugging Face BitNet folder. `document.body.dataset.state` says where it is
 * (loading, ready, generating, done, error), for people and for test/browser/demo.test.ts.
 */
import { AbortError, InferenceEngine, type GenerateOptions, type GenerationResult, type SkippedBackend } from '../src/browser.js';

/** Backends in order of preference: a GPU, then WebAssembly SIMD on all cores, then the float64 reference. */
const PREFERENCE = ['webgpu', 'wasm', 'reference'];

const params = new URLSearchParams(location.search);
const modelUrl = new URL(params.get('model') ?? 'tiny-bitnet/', location.href);
/** `?backend=wasm` runs one backend; `?backend=webgpu,reference` sets the order to try. */
const backends = params.get('backend')?.split(',') ?? PREFERENCE;

function el<T extends HTMLElement = HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (e === null) throw new Error(`the page has no #${id}`);
  return e as T;
}

const ui = {
  model: el('model'),
  backend: el('backend'),
  backendInfo: el('backend-info'),
  skipped: el<HTMLUListElement>('skipped'),
  form: el<HTMLFormElement>('controls'),
  prompt: el<HTMLTextAreaElement>('prompt'),
  temperature: el<HTMLInputElement>('temperature'),
  topK: el<HTMLInputElement>('top-k'),
  topP: el<HTMLInputElement>('top-p'),
  maxTokens: el<HTMLInputElement>('max-tokens'),
  seed: el<HTMLInputElement>('seed'),
  generate: el<HTMLButtonElement>('generate'),
  stop: el<HTMLButtonElement>('stop'),
  promptEcho: el('prompt-echo'),
  completion: el('completion'),
  tokensPerSecond: el('tokens-per-second'),
  runInfo: el('run-info'),
  error: el('error'),
};

type State = 'loading' | 'ready' | 'generating' | 'done' | 'error';

function setState(state: State): void {
  document.body.dataset.state = state;
  ui.generate.disabled = state === 'loading' || state === 'generating' || engine === null;
  ui.stop.disabled = state !== 'generating';
}

function showError(err: unknown): void {
  ui.error.hidden = false;
  ui.error.textContent = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  setState('error');
}

let engine: InferenceEngine | null = null;
let running: AbortController | null = null;

async function load(): Promise<void> {
  ui.model.textContent = modelUrl.href;
  const loaded = await InferenceEngine.loadFirstAvailable(modelUrl, backends);
  engine = loaded.engine;
  const info = engine.backendInfo;
  document.body.dataset.backend = info.name;
  ui.backend.textContent = info.name;
  ui.backendInfo.textContent = `(${info.precision}, ${info.threads} thread${info.threads === 1 ? '' : 's'}${info.features.length > 0 ? `, ${info.features.join(', ')}` : ''})`;
  showSkipped(loaded.skipped);
  setState('ready');
}

function showSkipped(skipped: readonly SkippedBackend[]): void {
  ui.skipped.replaceChildren(
    ...skipped.map((s) => {
      const li = document.createElement('li');
      li.textContent = `${s.backend} skipped: ${s.reason}`;
      return li;
    }),
  );
  if (!crossOriginIsolated) {
    const li = document.createElement('li');
    li.textContent = 'this page is not cross-origin isolated (COOP/COEP headers), so the wasm backend cannot share memory with workers';
    ui.skipped.append(li);
  }
}

/** The form's sampling settings; temperature 0 is greedy, an empty seed a random one. */
function options(signal: AbortSignal): GenerateOptions {
  const temperature = ui.temperature.valueAsNumber;
  const seed = ui.seed.value.trim() === '' ? undefined : ui.seed.valueAsNumber;
  return {
    ...(temperature === 0 ? { greedy: true } : { temperature }),
    topK: ui.topK.valueAsNumber,
    topP: ui.topP.valueAsNumber,
    maxTokens: ui.maxTokens.valueAsNumber,
    seed,
    signal,
  };
}

function showRate(tokens: number, ms: number): void {
  // Decode speed: tokens after the first, over the time since the first arrived (prefill is reported apart).
  ui.tokensPerSecond.textContent = tokens > 1 && ms > 0 ? `${(((tokens - 1) * 1000) / ms).toFixed(1)} tokens/s` : '– tokens/s';
}

function showResult(r: GenerationResult): void {
  const u = r.usage;
  ui.tokensPerSecond.textContent = u.generatedTokens > 1 ? `${u.decodeTokensPerSecond.toFixed(1)} tokens/s` : '– tokens/s';
  ui.runInfo.textContent = `· ${u.generatedTokens} tokens · prompt ${u.promptTokens} tokens in ${u.prefillMs.toFixed(0)} ms · finish: ${r.finishReason} · seed ${r.seed}`;
}

async function generate(): Promise<void> {
  if (engine === null) return;
  ui.error.hidden = true;
  running = new AbortController();
  const prompt = ui.prompt.value;
  ui.promptEcho.textContent = prompt;
  ui.completion.textContent = '';
  ui.runInfo.textContent = '';
  showRate(0, 0);
  setState('generating');
  try {
    const stream = engine.stream(prompt, options(running.signal));
    let tokens = 0;
    let first = 0;
    for await (const chunk of stream) {
      ui.completion.append(chunk.text);
      if (tokens === 0) first = performance.now();
      tokens += chunk.tokenIds.length;
      showRate(tokens, performance.now() - first);
    }
    showResult(await stream.result);
    setState('done');
  } catch (err) {
    if (!(err instanceof AbortError)) throw err;
    ui.runInfo.textContent = '· stopped';
    setState('done');
  } finally {
    running = null;
  }
}

ui.form.addEventListener('submit', (e) => {
  e.preventDefault();
  generate().catch(showError);
});
ui.stop.addEventListener('click', () => running?.abort());
setState('loading');
load().catch(showError);
